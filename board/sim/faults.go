package sim

import (
	"fmt"

	"minipbx/board"
)

// FXSFault is a fault of the wiring or the power stage of an FXS port that
// the simulated ProSLIC's measurements show, as a line test finds it
// before a user notices. The switch hook and the audio are not affected.
type FXSFault int

const (
	// FXSFaultNone: a healthy port (the default).
	FXSFaultNone FXSFault = iota
	// FXSFaultNoBattery: the DC-DC converter gives no battery voltage.
	FXSFaultNoBattery
	// FXSFaultShort: tip and ring shorted together (a crushed cable): loop
	// current flows with the phone on hook and no voltage is left between
	// the wires.
	FXSFaultShort
	// FXSFaultForeignVoltage: tip touches another pair carrying +48 V.
	FXSFaultForeignVoltage
	// FXSFaultLeakage: a damp cable leaks a few milliamps from ring to
	// ground with the phone on hook.
	FXSFaultLeakage
)

// portTest is the simulated chips' test state of one port: an injected
// wiring fault, the ringer load on the line, and the codec's digital
// loopback (the port receives what it sent one frame earlier, through
// G.711 both ways, as with the Si3215's and Si3050's loopback registers).
// Guarded by Board.mu.
type portTest struct {
	fault    FXSFault
	ren      float64
	renSet   bool
	loopback bool
	last     board.Frame // what the port sent last frame
}

// SetLineFault injects (FXSFaultNone clears) a wiring fault on the phone's
// FXS port; Measure reports it.
func (ph *Phone) SetLineFault(f FXSFault) error {
	if f < FXSFaultNone || f > FXSFaultLeakage {
		return fmt.Errorf("sim: FXS %d: unknown fault %d", ph.n, int(f))
	}
	ph.b.mu.Lock()
	ph.port.test.fault = f
	ph.b.mu.Unlock()
	return nil
}

// SetREN sets the ringer equivalence number of what is plugged into the
// port (0: nothing that rings; 1 until set). RingerLoad reports it.
func (ph *Phone) SetREN(ren float64) {
	ph.b.mu.Lock()
	ph.port.test.ren, ph.port.test.renSet = ren, true
	ph.b.mu.Unlock()
}

// RingerLoad estimates the REN on the port, as a ProSLIC does by ringing
// briefly into the line and measuring the AC current (about 1 REN per
// 7 kΩ at 20 Hz). Not while ringing or off hook.
func (p *fxsPort) RingerLoad() (float64, error) {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if err := p.usable("ringer load"); err != nil {
		return 0, err
	}
	if p.ringing || p.offHook {
		return 0, fmt.Errorf("sim: %s ringer load: line busy", p.info.Name)
	}
	if p.test.fault == FXSFaultShort {
		return 0, fmt.Errorf("sim: %s ringer load: line shorted", p.info.Name)
	}
	if !p.test.renSet {
		return 1, nil
	}
	return p.test.ren, nil
}

// SetLoopback turns the codec's digital loopback on or off.
func (p *fxsPort) SetLoopback(on bool) error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if err := p.usable("loopback"); err != nil {
		return err
	}
	p.test.loopback, p.test.last = on, board.Frame{}
	return nil
}

// SetLoopback turns the codec's digital loopback on or off.
func (p *fxoPort) SetLoopback(on bool) error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if p.b.closed {
		return fmt.Errorf("sim: %s loopback: %w", p.info.Name, board.ErrClosed)
	}
	p.test.loopback, p.test.last = on, board.Frame{}
	return nil
}

// received replaces what the port receives when the loopback is on
// (before the G.711 round trip of the highway).
func (t *portTest) received(rx *board.Frame) {
	if t.loopback {
		*rx = t.last
	}
}

// sent keeps what the port sent for the loopback.
func (t *portTest) sent(tx *board.Frame) { t.last = *tx }

// measureFXS applies the injected fault to an FXS port's readings.
func (t *portTest) measureFXS(m *board.Measurements) {
	switch t.fault {
	case FXSFaultNoBattery:
		m.BatteryVolts, m.TipVolts, m.RingVolts, m.LoopMilliamps = -1.5, -0.5, -1, 0
	case FXSFaultShort:
		m.TipVolts, m.RingVolts, m.LoopMilliamps = -27, -28, 42
	case FXSFaultForeignVoltage:
		m.TipVolts = 48
	case FXSFaultLeakage:
		m.RingVolts += 6
		m.LoopMilliamps += 3.5
	}
}
