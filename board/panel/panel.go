package panel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Pattern is what an LED shows.
type Pattern int

const (
	Off Pattern = iota
	On
	Booting
	Ready
	Alarm
	InCall
	Ringing
	warning // the status LED while the reset button is held for a factory reset
)

func (p Pattern) String() string {
	switch p {
	case Off:
		return "off"
	case On:
		return "on"
	case Booting:
		return "booting"
	case Ready:
		return "ready"
	case Alarm:
		return "alarm"
	case InCall:
		return "in-call"
	case Ringing:
		return "ringing"
	case warning:
		return "reset-warning"
	}
	return fmt.Sprintf("pattern(%d)", int(p))
}

// cycle returns the pattern's on and off times; off 0 = steady on, on 0 =
// steady off.
func (p Pattern) cycle() (on, off time.Duration) {
	switch p {
	case On, InCall:
		return time.Hour, 0
	case Booting:
		return 500 * time.Millisecond, 500 * time.Millisecond
	case Ready:
		return 4900 * time.Millisecond, 100 * time.Millisecond
	case Alarm:
		return 125 * time.Millisecond, 125 * time.Millisecond
	case Ringing:
		return 250 * time.Millisecond, 250 * time.Millisecond
	case warning:
		return 62500 * time.Microsecond, 62500 * time.Microsecond
	}
	return 0, time.Hour
}

// lit reports whether an LED showing p since start is lit at now.
func (p Pattern) lit(since time.Duration) bool {
	on, off := p.cycle()
	if off == 0 {
		return true
	}
	if on == 0 {
		return false
	}
	return since%(on+off) < on
}

// Clock is the time source; tests inject a fake one.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker is the part of time.Ticker the panel uses.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) NewTicker(d time.Duration) Ticker {
	return realTicker{time.NewTicker(d)}
}

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }

// Timing constants of the button (doc.go).
const (
	ShortPressMax = 2 * time.Second
	FactoryHold   = 10 * time.Second
	Tick          = 10 * time.Millisecond
)

// Config names the pins and the callbacks. Any pin may be nil (a variant
// without it).
type Config struct {
	// Relay drives the lifeline relay's coil; RelayActiveLow inverts it.
	Relay          gpio.PinOut
	RelayActiveLow bool
	// Status is the status LED; Ports are the per-port LEDs, by port
	// index. LEDs are lit by a high level unless LEDActiveLow.
	Status       gpio.PinOut
	Ports        []gpio.PinOut
	LEDActiveLow bool
	// Button is the reset button, read with a pull-up and pressed when
	// low (the usual wiring to ground) unless ButtonActiveHigh.
	Button           gpio.PinIn
	ButtonActiveHigh bool
	// Debounce is how long the button level must be stable; zero means
	// 30 ms.
	Debounce time.Duration
	// HealthTimeout is how long after the last Healthy the relay drops;
	// zero means 5 s.
	HealthTimeout time.Duration
	// OnReboot and OnFactoryReset are called from Run's goroutine.
	OnReboot, OnFactoryReset func()
	// Clock is the time source; nil means the real clock.
	Clock  Clock
	Logger *slog.Logger
}

// Panel is the front panel. Its methods are safe for concurrent use.
type Panel struct {
	c     Config
	clock Clock
	log   *slog.Logger

	mu       sync.Mutex
	status   Pattern
	ports    []Pattern
	since    []time.Time // when each LED's pattern was set: [0] status, [1+i] port i
	lastKick time.Time
	forced   bool

	// Run goroutine state.
	lit      []bool // last level driven, same indexing as since
	litValid []bool
	relayOn  bool
	relaySet bool
	rawLast  bool
	rawSince time.Time
	pressed  bool
	pressAt  time.Time
	fired    bool
	pinErrs  int
}

// New prepares the pins: relay de-energised (lifeline), LEDs off, button
// as input with pull-up (or pull-down when active high).
func New(c Config) (*Panel, error) {
	if c.Debounce <= 0 {
		c.Debounce = 30 * time.Millisecond
	}
	if c.HealthTimeout <= 0 {
		c.HealthTimeout = 5 * time.Second
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Panel{
		c: c, clock: c.Clock, log: c.Logger,
		status: Booting,
		ports:  make([]Pattern, len(c.Ports)),
		since:  make([]time.Time, 1+len(c.Ports)),
		lit:    make([]bool, 1+len(c.Ports)),
	}
	p.litValid = make([]bool, len(p.lit))
	now := p.clock.Now()
	for i := range p.since {
		p.since[i] = now
	}
	if err := p.setRelay(false); err != nil {
		return nil, fmt.Errorf("panel: relay: %w", err)
	}
	if c.Button != nil {
		pull := gpio.PullUp
		if c.ButtonActiveHigh {
			pull = gpio.PullDown
		}
		if err := c.Button.In(pull, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("panel: button %s: %w", c.Button, err)
		}
	}
	return p, nil
}

// SetStatus sets the status LED's pattern.
func (p *Panel) SetStatus(pt Pattern) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.status != pt {
		p.status, p.since[0] = pt, p.clock.Now()
	}
}

// SetPort sets port i's LED pattern (0-based port index).
func (p *Panel) SetPort(i int, pt Pattern) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < 0 || i >= len(p.ports) {
		return fmt.Errorf("panel: no LED for port %d", i)
	}
	if p.ports[i] != pt {
		p.ports[i], p.since[1+i] = pt, p.clock.Now()
	}
	return nil
}

// Healthy is the firmware's heartbeat: the relay stays energised (ports on
// their chips) until HealthTimeout after the last call.
func (p *Panel) Healthy() {
	p.mu.Lock()
	p.lastKick = p.clock.Now()
	p.mu.Unlock()
}

// SetLifeline forces the lifeline (relay de-energised) while on.
func (p *Panel) SetLifeline(on bool) {
	p.mu.Lock()
	p.forced = on
	p.mu.Unlock()
}

// Lifeline reports whether the lifeline is connected (relay de-energised).
func (p *Panel) Lifeline() bool {
	return !p.relayEnergised()
}

func (p *Panel) relayEnergised() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.relaySet && p.relayOn
}

func (p *Panel) setRelay(on bool) error {
	if p.c.Relay == nil {
		p.mu.Lock()
		p.relayOn, p.relaySet = on, true
		p.mu.Unlock()
		return nil
	}
	lv := gpio.Level(on != p.c.RelayActiveLow)
	if err := p.c.Relay.Out(lv); err != nil {
		return err
	}
	p.mu.Lock()
	p.relayOn, p.relaySet = on, true
	p.mu.Unlock()
	return nil
}

// Run owns the pins until ctx is done; then the relay is de-energised
// (lifeline) and the LEDs switched off.
func (p *Panel) Run(ctx context.Context) error {
	t := p.clock.NewTicker(Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			err := p.setRelay(false)
			for i := range p.lit {
				err = errors.Join(err, p.drive(i, false))
			}
			if err != nil {
				return fmt.Errorf("panel: shutdown: %w", err)
			}
			return nil
		case now := <-t.C():
			p.step(now)
		}
	}
}

// step runs one tick at time now.
func (p *Panel) step(now time.Time) {
	p.button(now)

	p.mu.Lock()
	energise := !p.forced && !p.lastKick.IsZero() && now.Sub(p.lastKick) < p.c.HealthTimeout
	relayOn, relaySet := p.relayOn, p.relaySet
	status, statusSince := p.status, p.since[0]
	ports := p.ports
	var portPats [16]Pattern
	var portSince [16]time.Time
	n := min(len(ports), len(portPats))
	copy(portPats[:], ports)
	copy(portSince[:], p.since[1:])
	p.mu.Unlock()

	if energise != relayOn || !relaySet {
		if err := p.setRelay(energise); err != nil {
			p.pinError("relay", err)
		} else if energise {
			p.log.Info("panel: relay energised: ports on their chips")
		} else {
			p.log.Warn("panel: lifeline connected (FXS 1 to FXO 1)")
		}
	}

	if p.pressed && now.Sub(p.pressAt) >= ShortPressMax && !p.fired {
		status, statusSince = warning, p.pressAt.Add(ShortPressMax)
	}
	if err := p.drive(0, status.lit(now.Sub(statusSince))); err != nil {
		p.pinError("status LED", err)
	}
	for i := range n {
		if err := p.drive(1+i, portPats[i].lit(now.Sub(portSince[i]))); err != nil {
			p.pinError(fmt.Sprintf("port %d LED", i), err)
		}
	}
}

func (p *Panel) pinError(what string, err error) {
	p.pinErrs++
	if p.pinErrs <= 10 {
		p.log.Error("panel: pin", "pin", what, "err", err)
	}
}

// drive sets LED i (0 status, 1+n port n), writing only on change.
func (p *Panel) drive(i int, on bool) error {
	if p.litValid[i] && p.lit[i] == on {
		return nil
	}
	var pin gpio.PinOut
	if i == 0 {
		pin = p.c.Status
	} else {
		pin = p.c.Ports[i-1]
	}
	if pin != nil {
		if err := pin.Out(gpio.Level(on != p.c.LEDActiveLow)); err != nil {
			return err
		}
	}
	p.lit[i], p.litValid[i] = on, true
	return nil
}

// button debounces the reset button and fires the callbacks.
func (p *Panel) button(now time.Time) {
	if p.c.Button == nil {
		return
	}
	raw := p.c.Button.Read() == gpio.Level(p.c.ButtonActiveHigh)
	if raw != p.rawLast || p.rawSince.IsZero() {
		p.rawLast, p.rawSince = raw, now
	}
	if raw != p.pressed && now.Sub(p.rawSince) >= p.c.Debounce {
		p.pressed = raw
		if raw {
			p.pressAt, p.fired = p.rawSince, false
		} else if held := p.rawSince.Sub(p.pressAt); !p.fired && held < ShortPressMax {
			p.log.Info("panel: reset button pressed: reboot", "held", held)
			if p.c.OnReboot != nil {
				p.c.OnReboot()
			}
		} else if !p.fired {
			p.log.Info("panel: reset button released before the factory-reset hold; nothing done", "held", held)
		}
	}
	if p.pressed && !p.fired && now.Sub(p.pressAt) >= FactoryHold {
		p.fired = true
		p.log.Warn("panel: reset button held: factory reset")
		if p.c.OnFactoryReset != nil {
			p.c.OnFactoryReset()
		}
	}
}
