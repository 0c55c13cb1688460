package sim

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/internal/pace"
)

// MaxPorts is the largest number of ports of one kind the simulated board
// accepts, as on the reference hardware (8 chip selects per kind).
const MaxPorts = 8

// eventBuffer is the capacity of the Events channel. The clock never blocks
// on it: when the consumer falls this far behind, events are dropped,
// counted and logged (see DroppedEvents).
const eventBuffer = 256

// Config describes the simulated box.
type Config struct {
	// FXS and FXO are the numbers of ports of each kind: 0 means the
	// default 2, a negative number means none, at most MaxPorts.
	FXS, FXO int
	// Zone is the dsp tone-zone code whose tones and ring cadence the
	// virtual telco lines use ("us" by default).
	Zone string
	// Law is the G.711 companding of the simulated PCM highway: every frame
	// is encoded and decoded once in each direction, so the audio crossing a
	// simulated port carries the same quantisation noise as on hardware.
	Law Law
	// Logger receives the board's diagnostics (slog.Default when nil).
	Logger *slog.Logger
}

// Board is the simulated box: FXS ports with a virtual analog phone on each,
// FXO ports with a virtual telco line on each, one 20 ms audio clock and one
// event stream. It implements board.Board.
//
// One mutex guards every port, phone and line; the clock takes it twice per
// frame (to produce what the devices send, then to deliver what the ports
// sent) and releases it while it calls the ports' AudioFuncs, so an AudioFunc
// may call port methods without deadlock.
type Board struct {
	cfg     Config
	zone    dsp.Zone
	log     *slog.Logger
	events  chan board.Event
	dropped atomic.Uint64

	mu     sync.Mutex
	frame  int64         // frames elapsed since New: the board's time base
	tick   chan struct{} // closed after the next frame; created on demand by waiters
	closed bool
	ports  []board.Port
	fxs    []*fxsPort
	fxo    []*fxoPort
	fns    []board.AudioFunc // AudioFunc snapshot for the current frame, by port index

	stop chan struct{}
	done chan struct{}
}

// New builds the simulated board and starts its audio clock.
func New(c Config) (*Board, error) {
	b, err := build(c)
	if err != nil {
		return nil, err
	}
	go b.run()
	return b, nil
}

// build makes the board without starting its clock (benchmarks step it).
func build(c Config) (*Board, error) {
	if c.FXS == 0 {
		c.FXS = 2
	}
	if c.FXO == 0 {
		c.FXO = 2
	}
	c.FXS, c.FXO = max(c.FXS, 0), max(c.FXO, 0)
	if c.FXS > MaxPorts || c.FXO > MaxPorts {
		return nil, fmt.Errorf("sim: %d FXS and %d FXO ports: at most %d of each", c.FXS, c.FXO, MaxPorts)
	}
	if c.Zone == "" {
		c.Zone = "us"
	}
	if c.Law != ULaw && c.Law != ALaw {
		return nil, fmt.Errorf("sim: unknown G.711 law %d", int(c.Law))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	zone, err := dsp.LookupZone(c.Zone)
	if err != nil {
		return nil, fmt.Errorf("sim: tone zone: %w", err)
	}
	b := &Board{
		cfg:    c,
		zone:   zone,
		log:    c.Logger.With("board", "sim"),
		events: make(chan board.Event, eventBuffer),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	for i := range c.FXS {
		p := newFXSPort(b, len(b.ports), i+1)
		b.fxs = append(b.fxs, p)
		b.ports = append(b.ports, p)
	}
	for i := range c.FXO {
		p, err := newFXOPort(b, len(b.ports), i+1)
		if err != nil {
			return nil, err
		}
		b.fxo = append(b.fxo, p)
		b.ports = append(b.ports, p)
	}
	b.fns = make([]board.AudioFunc, len(b.ports))
	return b, nil
}

// Name implements board.Board.
func (b *Board) Name() string { return "sim" }

// Zone is the tone zone of the virtual telco lines and phones.
func (b *Board) Zone() dsp.Zone {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.zone
}

// SetZone makes the virtual telco lines and phones behave as in the tone zone
// code names: the lines ring with its cadence (a line given its own cadence by
// SetRingCadence keeps it) and send caller ID in its standard, and the phones
// and lines judge call-progress tones by it. The box calls it when the
// installer chooses a country, so the simulated office sounds like the one
// configured. A ringing line keeps the cadence of the ring in progress.
func (b *Board) SetZone(code string) error {
	if code == "" {
		code = "us"
	}
	z, err := dsp.LookupZone(code)
	if err != nil {
		return fmt.Errorf("sim: tone zone: %w", err)
	}
	if len(z.Ring) < 2 {
		return fmt.Errorf("sim: zone %q has no ring cadence", z.Code)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.zone.Code == z.Code {
		return nil
	}
	b.zone, b.cfg.Zone = z, z.Code
	std := CallerIDStandard(z.Code)
	for _, p := range b.fxo {
		if l := p.line; !l.ownCadence && l.state != lineRinging {
			l.cadence = z.Ring
		}
	}
	for _, p := range b.fxs {
		ph := p.phone
		if ph.cidStd != std {
			ph.cidStd, ph.cid = std, dsp.NewCallerIDDecoder(std)
			ph.cw.dec = dsp.NewCallerIDDecoder(std)
		}
		ph.cw.sas = newSASDetector(z.CallWaiting)
	}
	return nil
}

// Ports implements board.Board: the FXS ports first, then the FXO ports, in
// order of their Index.
func (b *Board) Ports() []board.Port { return append([]board.Port(nil), b.ports...) }

// Events implements board.Board.
func (b *Board) Events() <-chan board.Event { return b.events }

// DroppedEvents is how many events were dropped because nobody read Events.
func (b *Board) DroppedEvents() uint64 { return b.dropped.Load() }

// Phone is the virtual phone plugged into FXS port n (1-based); nil when
// there is no such port.
func (b *Board) Phone(n int) *Phone {
	if n < 1 || n > len(b.fxs) {
		return nil
	}
	return b.fxs[n-1].phone
}

// Line is the virtual telco line plugged into FXO port n (1-based); nil when
// there is no such port.
func (b *Board) Line(n int) *Line {
	if n < 1 || n > len(b.fxo) {
		return nil
	}
	return b.fxo[n-1].line
}

// FXSPort is FXS port n (1-based) as a board.FXSPort; nil when absent.
func (b *Board) FXSPort(n int) board.FXSPort {
	if n < 1 || n > len(b.fxs) {
		return nil
	}
	return b.fxs[n-1]
}

// FXOPort is FXO port n (1-based) as a board.FXOPort; nil when absent.
func (b *Board) FXOPort(n int) board.FXOPort {
	if n < 1 || n > len(b.fxo) {
		return nil
	}
	return b.fxo[n-1]
}

// Close implements board.Board: it stops the clock and closes Events.
func (b *Board) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	if b.tick != nil {
		close(b.tick)
		b.tick = nil
	}
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	b.mu.Lock()
	close(b.events)
	b.mu.Unlock()
	return nil
}

// Now is the board's time: frames elapsed since New times 20 ms. All the
// simulated timing (hook pulses, ring cadence, inter-digit timeouts) counts
// in these frames, so it is exact even when the host is slow.
func (b *Board) Now() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now()
}

func (b *Board) now() time.Duration { return time.Duration(b.frame) * board.FrameDuration }

// maxCatchUp is the most frames the clock runs back to back to catch up
// with wall time after the host stalled it; a longer stall is forgotten
// (board time then lags wall time by the excess, as audio would glitch).
const maxCatchUp = 25

// run is the audio clock: one frame every 20 ms until Close. Like the
// crystal of a real PCM highway it keeps time with the wall clock, each
// frame due at its absolute time (so frames are evenly paced, never none
// and then two): when the host was too busy to tick, the missed frames run
// back to back (at most maxCatchUp, half a second), so timers kept in wall
// time by the software above (ring cadences, timeouts) and board time
// agree.
func (b *Board) run() {
	defer close(b.done)
	clk := pace.New(board.FrameDuration, maxCatchUp)
	for {
		n := clk.Wait(b.stop)
		if n == 0 {
			return
		}
		for range n {
			b.step()
		}
	}
}

// step runs one frame: devices produce (what the phones' mouths and the
// telco lines send, through G.711), the AudioFuncs run without the lock, then
// the ports' output goes (through G.711) to the devices and the signalling
// state machines advance.
func (b *Board) step() {
	b.mu.Lock()
	now := b.now()
	for _, p := range b.fxs {
		p.produce(now)
		b.fns[p.info.Index] = p.fn
	}
	for _, p := range b.fxo {
		p.produce(now)
		b.fns[p.info.Index] = p.fn
	}
	b.mu.Unlock()

	for _, p := range b.fxs {
		p.tx = board.Frame{}
		if fn := b.fns[p.info.Index]; fn != nil {
			fn(&p.rx, &p.tx)
		}
	}
	for _, p := range b.fxo {
		p.tx = board.Frame{}
		if fn := b.fns[p.info.Index]; fn != nil {
			fn(&p.rx, &p.tx)
		}
	}

	b.mu.Lock()
	for _, p := range b.fxs {
		p.consume(now)
	}
	for _, p := range b.fxo {
		p.consume(now)
	}
	b.frame++
	if b.tick != nil {
		close(b.tick)
		b.tick = nil
	}
	b.mu.Unlock()
}

// emit sends a port event without ever blocking the clock. Callers hold b.mu.
func (b *Board) emit(port int, t board.EventType, digit byte, detail string) {
	if b.closed {
		return
	}
	ev := board.Event{Port: port, Type: t, Time: time.Now(), Digit: digit, Detail: detail}
	select {
	case b.events <- ev:
	default:
		// Log the first drop and then every thousandth: a board nobody
		// listens to must not flood the log.
		if n := b.dropped.Add(1); n == 1 || n%1000 == 0 {
			b.log.Warn("event dropped: nobody reads the board's events", "event", ev.String(), "dropped", n)
		}
	}
}

// waitFor blocks until cond (called with b.mu held, once per frame) is true,
// ctx ends or the board closes.
func (b *Board) waitFor(ctx context.Context, cond func() bool) error {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return board.ErrClosed
		}
		if cond() {
			b.mu.Unlock()
			return nil
		}
		if b.tick == nil {
			b.tick = make(chan struct{})
		}
		ch := b.tick
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitFrames blocks until n more frames have passed on the board's clock.
func (b *Board) WaitFrames(ctx context.Context, n int) error {
	b.mu.Lock()
	until := b.frame + int64(n)
	b.mu.Unlock()
	return b.waitFor(ctx, func() bool { return b.frame >= until })
}

// frames converts a duration to whole frames, rounding up.
func frames(d time.Duration) int {
	return int((d + board.FrameDuration - 1) / board.FrameDuration)
}
