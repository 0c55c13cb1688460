package analog

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// ptimer is a stoppable one-shot timer whose action runs on the port
// goroutine.
type ptimer struct {
	t  *time.Timer
	fn func()
}

func newPTimer() *ptimer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &ptimer{t: t}
}

func (t *ptimer) after(d time.Duration, fn func()) {
	t.t.Reset(d)
	t.fn = fn
}

func (t *ptimer) stop() {
	t.t.Stop()
	t.fn = nil
}

// stopped reports whether no action is pending.
func (t *ptimer) stopped() bool { return t.fn == nil }

func (t *ptimer) fire() {
	fn := t.fn
	t.fn = nil
	if fn != nil {
		fn()
	}
}

// port is one analog port's signalling: a goroutine (run) that owns all of
// the port's call state and receives, one at a time, the board's events for
// the port, the notes of its audio path, the requests of its channels and
// its timers. Only that goroutine touches the fields below the line.
type port struct {
	m     *Manager
	bp    board.Port
	fxs   board.FXSPort // for FXS ports
	fxo   board.FXOPort // for FXO ports
	kind  board.Kind
	num   int // 1-based within its kind
	log   *slog.Logger
	audio *portAudio

	events chan board.Event
	cmds   chan func()

	inCall  atomic.Bool
	state   atomic.Value // string, for PortStates
	mwiWant atomic.Int32 // mwiState SetMessageWaiting asked for (FXS)
	dnd     atomic.Bool  // SetDoNotDisturb (FXS)

	// ---- port goroutine only ----
	step, aux, limit *ptimer
	ch               *analogChannel
	zone             dsp.Zone
	fault            string
	resv             *Reservation // a diagnostic test holds the idle port (reserve.go)
	live             *liveFeed    // the port is a live music source (live.go)
	liveT            *ptimer

	// FXS
	fs        fxsState
	offHook   bool
	cadence   []time.Duration
	ringSeg   int
	ringCycle int
	cid       []byte
	cidSeg    int
	// message-waiting indication (mwi.go)
	mwiT        *ptimer
	mwiSent     mwiState // what the phone's lamp was last told
	mwiSending  mwiState // what the transmission in progress says
	mwiBusy     bool     // a VMWI transmission is in progress
	mwiETSI     bool     // it reversed the line's polarity
	mwiPolDirty bool     // restoring the polarity failed: retry on recovery
	mwiStep     mwiStep  // the transmission's progress (mwiNote)
	mwiSendData func()   // the data step of an ETSI transmission
	// call-waiting alert (callwait.go)
	cwT        *ptimer
	cw         cwStep
	cwAcked    bool
	cwMsg      []byte   // the caller ID to send; nil: the tone only
	cwPrevTone toneMode // what the port played before the alert

	// FXO
	fo    fxoState
	rings int
	// declined: the exchange chose not to answer this ringing call
	// (Config.ShouldAnswer); the line rings on until the caller gives up.
	declined   bool
	lineCID    dsp.CallerIDMessage
	lineCIDOK  bool
	cidDigits  []byte
	cidDigitAt time.Time
	guardUntil time.Time
	digits     string
}

func newPort(m *Manager, bp board.Port, num int, z dsp.Zone, std dsp.FSKStandard) *port {
	info := bp.Info()
	p := &port{
		m: m, bp: bp, kind: info.Kind, num: num,
		log:    m.log.With("port", info.Name),
		audio:  newPortAudio(z, std),
		events: make(chan board.Event, 32),
		cmds:   make(chan func()),
		step:   newPTimer(), aux: newPTimer(), limit: newPTimer(),
		mwiT: newPTimer(), cwT: newPTimer(), liveT: newPTimer(),
		zone: z,
	}
	p.fxs, _ = bp.(board.FXSPort)
	p.fxo, _ = bp.(board.FXOPort)
	p.state.Store("idle")
	return p
}

func (p *port) kindName() string { return p.kind.String() }

func (p *port) channelKind() channel.Kind {
	if p.kind == board.FXS {
		return channel.FXS
	}
	return channel.FXO
}

// endpointName is the channel's Info.Endpoint: "fxs:N", or the FXO line's
// configured name (default "fxo:N").
func (p *port) endpointName() string {
	if p.kind == board.FXO {
		if lc := p.m.lineConfig(p.num); lc.Name != "" {
			return lc.Name
		}
	}
	return fmt.Sprintf("%s:%d", p.kind, p.num)
}

func (p *port) setState(s string) { p.state.Store(s) }

// do runs fn on the port goroutine and returns its error.
func (p *port) do(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	select {
	case p.cmds <- func() { done <- fn() }:
	case <-p.m.stopped:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-done
}

// run is the port goroutine.
func (p *port) run(ctx context.Context) {
	defer p.shutdown()
	p.start()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-p.events:
			if p.kind == board.FXS {
				p.fxsEvent(ev)
			} else {
				p.fxoEvent(ev)
			}
		case n := <-p.audio.notes:
			if p.kind == board.FXS {
				p.fxsNote(n)
			} else {
				p.fxoNote(n)
			}
		case fn := <-p.cmds:
			fn()
		case <-p.step.t.C:
			p.step.fire()
		case <-p.aux.t.C:
			p.aux.fire()
		case <-p.limit.t.C:
			p.limit.fire()
		case <-p.mwiT.t.C:
			p.mwiT.fire()
		case <-p.cwT.t.C:
			p.cwT.fire()
		case <-p.liveT.t.C:
			p.liveT.fire()
		}
	}
}

func (p *port) start() {
	if p.kind == board.FXS {
		p.fxsStart()
	} else {
		p.fxoStart()
	}
}

// shutdown ends the call in progress when the manager stops.
func (p *port) shutdown() {
	p.liveClose()
	p.step.stop()
	p.aux.stop()
	p.limit.stop()
	if p.kind == board.FXS {
		if p.fs == fxsRinging {
			p.stopRinging()
		}
		p.cwEnd()
		p.mwiAbort()
	} else if p.ch != nil {
		if err := p.fxo.Release(); err != nil {
			p.log.Warn("release on shutdown", "err", err)
		}
	}
	if p.ch != nil {
		p.ch.end(channel.CauseNormal)
		p.ch = nil
	}
	p.audio.set(func(a *portAudio) { a.ep = nil; a.setTone(toneNone); a.ec = nil })
	p.inCall.Store(false)
	p.setState("stopped")
}

// setZone switches the port to a new tone zone (Update); a call in progress
// keeps its detectors, the tones change at once.
func (p *port) setZone(z dsp.Zone, std dsp.FSKStandard) {
	p.zone = z
	p.audio.set(func(a *portAudio) {
		a.tones, a.toneNew = newTones(z), true
		a.cidDec = dsp.NewCallerIDDecoder(std)
		a.fsk = dsp.NewFSKModulator(std, callerIDLevel)
		if !a.progOn {
			a.progDet = dsp.NewProgressDetector(z)
		}
	})
}

// progress is Channel.Progress on the port goroutine.
func (p *port) progress(c *analogChannel) error {
	if c.ended {
		return fmt.Errorf("analog: %s: progress: call ended", c.info.ID)
	}
	if p.kind == board.FXS && p.fs == fxsActive && c == p.ch && !c.answered && c.info.Direction == "in" {
		p.audio.set(func(a *portAudio) { a.setTone(toneRingback) })
		p.setState("ringback")
	}
	return nil
}

// answer is Channel.Answer on the port goroutine.
func (p *port) answer(c *analogChannel) error {
	if c.ended {
		return fmt.Errorf("analog: %s: answer: call ended", c.info.ID)
	}
	if c.answered {
		return nil
	}
	if p.kind == board.FXS && p.fs == fxsActive && c == p.ch {
		c.answered = true
		p.audio.set(func(a *portAudio) { a.setTone(toneNone) })
		p.setState("connected")
	}
	return nil
}

// hangup is Channel.Hangup on the port goroutine.
func (p *port) hangup(c *analogChannel, cause channel.Cause) {
	if c.ended || c != p.ch {
		c.end(cause)
		return
	}
	if p.kind == board.FXS {
		p.fxsHangup(cause)
	} else {
		p.fxoHangup(cause)
	}
}

// deliver hands a new inbound channel to the exchange.
func (p *port) deliver(c *analogChannel) {
	onCall := p.m.onCall()
	if onCall == nil {
		p.log.Warn("no OnCall handler: call refused", "channel", c.info.ID)
		p.hangup(c, channel.CauseUnavailable)
		return
	}
	p.log.Info("inbound call", "channel", c.info.ID, "caller", c.info.Caller.String())
	go onCall(c)
}
