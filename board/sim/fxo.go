package sim

import (
	"fmt"
	"time"

	"minipbx/board"
)

// fxoPort is a simulated FXO port (the DAA side): it closes and opens the
// loop of its virtual telco line, validates its ring, watches its line
// voltage and polarity, and monitors the line's audio on hook (for caller
// ID), as the Si3050's on-hook line monitor does.
type fxoPort struct {
	b    *Board
	info board.PortInfo
	line *Line

	fn        board.AudioFunc
	rx, tx    board.Frame
	seized    bool     // the port's own hook switch
	flashLeft int      // frames of loop break left in a Flash
	test      portTest // codec loopback (faults.go)
}

func newFXOPort(b *Board, index, n int) (*fxoPort, error) {
	p := &fxoPort{
		b:    b,
		info: board.PortInfo{Index: index, Kind: board.FXO, Name: fmt.Sprintf("FXO %d", n), Driver: "sim"},
	}
	l, err := newLine(b, p, n)
	if err != nil {
		return nil, err
	}
	p.line = l
	return p, nil
}

func (p *fxoPort) Info() board.PortInfo { return p.info }

func (p *fxoPort) Status() board.PortStatus {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	st := board.PortStatus{Hook: board.OnHook, Line: board.LineOK}
	if p.seized {
		st.Hook = board.OffHook
	}
	switch {
	case !p.line.hasBattery():
		st.Line = board.LineNoBattery
	case p.line.ringOn:
		st.Line = board.LineRinging
	}
	return st
}

func (p *fxoPort) SetAudio(fn board.AudioFunc) {
	p.b.mu.Lock()
	p.fn = fn
	p.b.mu.Unlock()
}

// Measure reports what a DAA reads back: about 48 V tip-ring on hook,
// about 8 V and 25 mA when the loop is closed, nothing without battery.
func (p *fxoPort) Measure() (board.Measurements, error) {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if p.b.closed {
		return board.Measurements{}, fmt.Errorf("sim: %s measure: %w", p.info.Name, board.ErrClosed)
	}
	m := board.Measurements{HasLine: true, HasLoop: true}
	switch {
	case !p.line.hasBattery():
	case p.loopClosed():
		m.LineVolts, m.LoopMilliamps = 8, 25
	default:
		m.LineVolts = 48
	}
	if p.line.reversed {
		m.LineVolts = -m.LineVolts
	}
	return m, nil
}

// Seize closes the loop. Without line voltage it fails with ErrNoBattery.
func (p *fxoPort) Seize() error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if p.b.closed {
		return fmt.Errorf("sim: %s seize: %w", p.info.Name, board.ErrClosed)
	}
	if !p.line.hasBattery() {
		return fmt.Errorf("sim: %s seize: %w", p.info.Name, board.ErrNoBattery)
	}
	if p.seized {
		return nil
	}
	p.seized, p.flashLeft = true, 0
	p.line.seize(p.b.now())
	return nil
}

// Release opens the loop (cancelling a flash in progress).
func (p *fxoPort) Release() error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if p.b.closed {
		return fmt.Errorf("sim: %s release: %w", p.info.Name, board.ErrClosed)
	}
	if !p.seized {
		return nil
	}
	p.seized, p.flashLeft = false, 0
	p.line.release()
	return nil
}

// Flash opens the loop for d, then closes it again; it returns at once and
// the clock closes the loop.
func (p *fxoPort) Flash(d time.Duration) error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if p.b.closed {
		return fmt.Errorf("sim: %s flash: %w", p.info.Name, board.ErrClosed)
	}
	if !p.seized {
		return fmt.Errorf("sim: %s flash: line not seized", p.info.Name)
	}
	if d <= 0 || d > 2*time.Second {
		return fmt.Errorf("sim: %s flash of %v: want 0-2 s", p.info.Name, d)
	}
	p.flashLeft = frames(d)
	p.line.flashes++
	return nil
}

func (p *fxoPort) loopClosed() bool { return p.seized && p.flashLeft == 0 }

// produce runs at the start of a frame: the line advances its state, and
// what it sends (through G.711) becomes the port's received frame.
func (p *fxoPort) produce(now time.Duration) {
	if p.flashLeft > 0 {
		p.flashLeft--
	}
	p.line.produce(now, &p.rx)
	p.test.received(&p.rx)
	p.b.cfg.Law.roundTrip(&p.rx)
}

// consume runs after the AudioFunc: what the port sent reaches the telco
// line when the loop is closed.
func (p *fxoPort) consume(now time.Duration) {
	p.b.cfg.Law.roundTrip(&p.tx)
	p.test.sent(&p.tx)
	if !p.loopClosed() {
		p.tx = board.Frame{}
	}
	p.line.consume(now, &p.tx)
}
