package analog

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"minipbx/board"
	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// cidPort is an FXO port that decodes caller ID in its own hardware, as
// board/modem does with +VCID.
type cidPort struct {
	board.FXOPort
	msg dsp.CallerIDMessage
}

func (p cidPort) LineCallerID() (dsp.CallerIDMessage, bool) { return p.msg, true }

// cidBoard is the simulated board with its first FXO port wrapped.
type cidBoard struct {
	*sim.Board
	ports []board.Port
}

func (b cidBoard) Ports() []board.Port { return b.ports }

func TestFXOInboundCallerIDFromThePort(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	sb, err := sim.New(sim.Config{Zone: "us", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	want := dsp.CallerIDMessage{Number: "5550100", Name: "MODEM CID"}
	wb := cidBoard{Board: sb}
	for _, p := range sb.Ports() {
		if fxo, ok := p.(board.FXOPort); ok && p.Info().Index == sb.FXOPort(1).Info().Index {
			p = cidPort{FXOPort: fxo, msg: want}
		}
		wb.ports = append(wb.ports, p)
	}
	calls := make(chan channel.Channel, 1)
	m, err := New(Config{Board: wb, Zone: "us", Logger: log, EchoTail: -1,
		Lines:  []LineConfig{{Port: 1, Enabled: true, AnswerAfterRings: 1}},
		OnCall: func(c channel.Channel) { calls <- c }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	line := sb.Line(1)
	line.SetCallerIDMode(sim.CallerIDNone) // nothing in the audio
	if err := line.Ring(dsp.CallerIDMessage{}); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-calls:
		if got := c.Info().Caller; got.Number != want.Number || got.Name != want.Name {
			t.Errorf("caller %+v, want the port's %s %q", got, want.Number, want.Name)
		}
		_ = c.Hangup(channel.CauseNormal)
	case <-time.After(15 * time.Second):
		t.Fatal("no inbound call")
	}
}
