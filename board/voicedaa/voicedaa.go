package voicedaa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/board"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"
)

// Errors returned by Probe and New; they are wrapped with context.
var (
	// ErrNoChip: nothing answers on the chip select.
	ErrNoChip = errors.New("no Si3050 answers")
	// ErrWrongChip: something answers, but not like an Si3050.
	ErrWrongChip = errors.New("not an Si3050")
	// ErrISOLink: the isolation capacitor link to the line side did not come up.
	ErrISOLink = errors.New("isolation link to the line side did not come up")
	// ErrLineSide: the line-side device reports an implausible revision.
	ErrLineSide = errors.New("line-side device not recognised")
)

// ChipInfo identifies an Si3050 and, once the isolation link is up, its
// line-side device.
type ChipInfo struct {
	SystemRev   uint8 // REVA, register 11 [3:0]
	LineSideID  uint8 // LSID, register 11 [7:4] (0 while the link is down)
	LineSideRev uint8 // REVB, register 13 [5:2]
}

func (c ChipInfo) String() string {
	s := fmt.Sprintf("Si3050 rev %c", 'A'+rune(c.SystemRev)-1)
	if c.LineSideID != 0 {
		s += fmt.Sprintf(", line side id %d rev %c", c.LineSideID, 'A'+rune(c.LineSideRev)-1)
	}
	return s
}

// identify decodes registers 2 and 11 as read from a chip.
func identify(r2, r11 byte) (ChipInfo, error) {
	rev := r11 & 0x0F
	if r2 == r11 && (r2 == 0x00 || r2 == 0xFF) {
		return ChipInfo{}, fmt.Errorf("%w (registers read %#02x)", ErrNoChip, r2)
	}
	// HBE and RXE reset set and this driver never clears them; INTE may
	// have been set by a running driver.
	if r2&ctl2Reset != ctl2Reset || r2 == 0xFF {
		return ChipInfo{}, fmt.Errorf("%w: register 2 = %#02x, want bits %#02x set", ErrWrongChip, r2, ctl2Reset)
	}
	if rev == 0 || rev == 0x0F {
		return ChipInfo{}, fmt.Errorf("%w: system-side revision %d", ErrWrongChip, rev)
	}
	return ChipInfo{SystemRev: rev, LineSideID: r11 >> 4}, nil
}

// Probe identifies the Si3050 on conn without changing its state: it reads
// registers 2 and 11 only. Use it on a chip select that carries an Si3050 or
// nothing: the read commands are not harmless to a chip of another kind.
func Probe(conn spi.Conn) (ChipInfo, error) {
	return probe(&bus{conn: conn})
}

func probe(b *bus) (ChipInfo, error) {
	r2, err := b.read(regCtl2)
	if err != nil {
		return ChipInfo{}, fmt.Errorf("voicedaa: probe: %w", err)
	}
	r11, err := b.read(regRev)
	if err != nil {
		return ChipInfo{}, fmt.Errorf("voicedaa: probe: %w", err)
	}
	ci, err := identify(r2, r11)
	if err != nil {
		return ChipInfo{}, fmt.Errorf("voicedaa: probe: %w", err)
	}
	return ci, nil
}

// Law is the G.711 companding law on the PCM highway.
type Law int

const (
	ULaw Law = iota
	ALaw
)

// Opts configures one Si3050 FXO port. Zero values are sensible defaults.
type Opts struct {
	Index int
	Name  string

	// Reset is the chip's RESET pin (active low), nil if none: then a soft
	// reset (register 1) is used.
	Reset gpio.PinOut
	// IRQ is the chip's INT pin; with it the monitor also wakes on edges.
	IRQ gpio.PinIn

	// Law and Timeslot place the port on the PCM highway (start count
	// Timeslot×8). Audio never crosses SPI: see AudioFunc.
	Law      Law
	Timeslot int

	// Country selects the line-interface settings (default "us"); see
	// LookupCountry.
	Country string

	// TxGainDB (PCM to line) −15..+12 dB, RxGainDB (line to PCM) −15..+12 dB,
	// 0.1 dB steps.
	TxGainDB, RxGainDB float64
	// Hybrid, when set, loads the programmable hybrid (echo) coefficients
	// HYB1..HYB8 (registers 45..52), chosen for the line's impedance.
	Hybrid *[8]byte

	// Events receives the port's events; it must be buffered and drained
	// (the monitor blocks on it). Nil drops events.
	Events chan<- board.Event
	Logger *slog.Logger

	// PollInterval is the monitor period (default 5 ms: four samples per
	// half cycle of a 25 Hz ring).
	PollInterval time.Duration
	// NoBatteryVolts: a line below it has no battery (default 3 V).
	NoBatteryVolts float64
	// BatteryDebounce (default 50 ms) and PolarityDebounce (default 64 ms)
	// filter battery loss/return and polarity reversals.
	BatteryDebounce, PolarityDebounce time.Duration
	// InUseFraction: an on-hook line whose voltage drops below this fraction
	// of its idle voltage has a parallel device off hook (default 0.5);
	// InUseDebounce filters it (default 100 ms).
	InUseFraction float64
	InUseDebounce time.Duration
	// InUseCurrentFraction: while the port holds the line, a drop of its
	// loop current below this fraction of the current it had means a
	// parallel handset took a share (default 0.7).
	InUseCurrentFraction float64
	// RingMinAlternations ring-detector polarity alternations, each within
	// RingMaxHalfPeriod, validate a ring (defaults 4 and 70 ms: two cycles
	// of a 15..68 Hz ring); RingStopAfter without alternation ends it
	// (default 250 ms).
	RingMinAlternations int
	RingMaxHalfPeriod   time.Duration
	RingStopAfter       time.Duration

	// ISOTimeout bounds the isolation link bring-up (default 2 s).
	ISOTimeout time.Duration

	Clock Clock
}

func (o *Opts) normalize() error {
	if o.Country == "" {
		o.Country = "us"
	}
	if o.Timeslot < 0 || o.Timeslot > 127 {
		return fmt.Errorf("timeslot %d out of range 0..127", o.Timeslot)
	}
	if o.Law != ULaw && o.Law != ALaw {
		return fmt.Errorf("unknown law %d", o.Law)
	}
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Millisecond
	}
	if o.NoBatteryVolts == 0 {
		o.NoBatteryVolts = 3
	}
	if o.BatteryDebounce == 0 {
		o.BatteryDebounce = 50 * time.Millisecond
	}
	if o.PolarityDebounce == 0 {
		o.PolarityDebounce = 64 * time.Millisecond
	}
	if o.InUseFraction == 0 {
		o.InUseFraction = 0.5
	}
	if o.InUseFraction <= 0 || o.InUseFraction >= 1 {
		return fmt.Errorf("in-use fraction %.2f out of range (0, 1)", o.InUseFraction)
	}
	if o.InUseCurrentFraction == 0 {
		o.InUseCurrentFraction = 0.7
	}
	if o.InUseCurrentFraction <= 0 || o.InUseCurrentFraction >= 1 {
		return fmt.Errorf("in-use current fraction %.2f out of range (0, 1)", o.InUseCurrentFraction)
	}
	if o.InUseDebounce == 0 {
		o.InUseDebounce = 100 * time.Millisecond
	}
	if o.RingMinAlternations == 0 {
		o.RingMinAlternations = 4
	}
	if o.RingMaxHalfPeriod == 0 {
		o.RingMaxHalfPeriod = 70 * time.Millisecond
	}
	if o.RingStopAfter == 0 {
		o.RingStopAfter = 250 * time.Millisecond
	}
	if o.ISOTimeout == 0 {
		o.ISOTimeout = 2 * time.Second
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Name == "" {
		o.Name = fmt.Sprintf("FXO %d", o.Index+1)
	}
	return nil
}

// Dev is one Si3050 + Si3019 driving one FXO port. It implements
// board.FXOPort. Methods are safe for concurrent use.
type Dev struct {
	opts    Opts
	country Country
	bus     bus
	clk     Clock
	log     *slog.Logger
	chip    ChipInfo

	audio board.AudioHook

	mu       sync.Mutex
	offHook  bool
	flashing bool // on hook for a Flash; offHook stays true
	loopback bool // Control 1 IDL set by SetLoopback
	fault    string
	mon      lineMonitor
	state    monitorState
	stopMon  context.CancelFunc
	monDone  chan struct{}
	// monCtx is the running monitor's context: an event send gives up
	// when it ends, so Halt cannot hang on a full Events channel.
	monCtx atomic.Pointer[context.Context]
}

var _ board.FXOPort = (*Dev)(nil)

// New resets and identifies the Si3050 on conn, sets PCM, the country's
// line settings and the gains, brings the isolation link to the line side up
// (with a timeout and a line-side revision check), and leaves the port on
// hook with the on-hook line monitor enabled (so caller ID between rings
// reaches the PCM highway). It does not start the monitor: call Start.
func New(conn spi.Conn, opts *Opts) (*Dev, error) {
	o := Opts{}
	if opts != nil {
		o = *opts
	}
	if err := o.normalize(); err != nil {
		return nil, fmt.Errorf("voicedaa: %s: %w", o.Name, err)
	}
	c, err := LookupCountry(o.Country)
	if err != nil {
		return nil, fmt.Errorf("voicedaa: %s: %w", o.Name, err)
	}
	tx2, tx3, err := gainRegs(o.TxGainDB)
	if err != nil {
		return nil, fmt.Errorf("voicedaa: %s: tx gain: %w", o.Name, err)
	}
	rx2, rx3, err := gainRegs(o.RxGainDB)
	if err != nil {
		return nil, fmt.Errorf("voicedaa: %s: rx gain: %w", o.Name, err)
	}
	d := &Dev{opts: o, country: c, bus: bus{conn: conn}, clk: o.Clock, log: o.Logger.With("port", o.Name)}
	if o.IRQ != nil {
		if err := o.IRQ.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return nil, fmt.Errorf("voicedaa: %s: IRQ pin: %w", o.Name, err)
		}
	}
	if err := d.reset(); err != nil {
		return nil, fmt.Errorf("voicedaa: %s: reset: %w", o.Name, err)
	}
	ci, err := probe(&d.bus)
	if err != nil {
		return nil, fmt.Errorf("voicedaa: %s: %w", o.Name, errors.Unwrap(err))
	}
	d.chip = ci
	if err := d.checkAccess(); err != nil {
		return nil, fmt.Errorf("voicedaa: %s (%s): %w", o.Name, ci, err)
	}
	if err := d.configure(tx2, tx3, rx2, rx3); err != nil {
		return nil, fmt.Errorf("voicedaa: %s (%s): %w", o.Name, ci, err)
	}
	d.log.Info("Si3050 ready", "chip", d.chip.String(), "country", c.Code, "timeslot", o.Timeslot)
	return d, nil
}

// checkAccess writes an innocuous register (the receive start count, set
// properly by configure) and reads it back, as the vendor's driver does: a
// chip that answers reads but not writes is no use.
func (d *Dev) checkAccess() error {
	if err := d.bus.write(regRXStartLo, accessPattern); err != nil {
		return err
	}
	v, err := d.bus.read(regRXStartLo)
	if err != nil {
		return err
	}
	if v != accessPattern {
		return fmt.Errorf("%w: register 36 reads %#02x after writing %#02x (writes do not reach the chip)", ErrNoChip, v, accessPattern)
	}
	return nil
}

const accessPattern = 0x5A

// reset pulses RESET when wired, or soft-resets through register 1.
func (d *Dev) reset() error {
	if p := d.opts.Reset; p != nil {
		if err := p.Out(gpio.Low); err != nil {
			return err
		}
		d.clk.Sleep(5 * time.Millisecond)
		if err := p.Out(gpio.High); err != nil {
			return err
		}
		d.clk.Sleep(10 * time.Millisecond)
		return nil
	}
	if err := d.bus.write(regCtl1, softReset); err != nil {
		return err
	}
	d.clk.Sleep(100 * time.Millisecond)
	return nil
}

// configure programs a chip fresh from reset.
func (d *Dev) configure(tx2, tx3, rx2, rx3 byte) error {
	o := &d.opts
	b := &d.bus
	pcm := byte(pcmEnable | pcmULaw)
	if o.Law == ALaw {
		pcm = pcmEnable | pcmALaw
	}
	start := o.Timeslot * 8
	if err := b.writeAll(
		[2]byte{regPCM, pcm},
		[2]byte{regTXStartLo, byte(start)}, [2]byte{regTXStartHi, byte(start >> 8 & 0x03)},
		[2]byte{regRXStartLo, byte(start)}, [2]byte{regRXStartHi, byte(start >> 8 & 0x03)},
		// Full-wave ring detector with the chip's own ring validation off:
		// the driver validates rings from the RDTP/RDTN alternation (the
		// combination DAHDI's wctdm uses for the same check).
		[2]byte{regIntl3, rfweBit}, [2]byte{regRingVal3, 0},
		[2]byte{regTXGain2, tx2}, [2]byte{regTXGain3, tx3},
		[2]byte{regRXGain2, rx2}, [2]byte{regRXGain3, rx3},
	); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	r16, r26, r30, r31 := d.country.registers()
	for _, u := range [][3]byte{{regIntl1, mask16, r16}, {regDCTerm, mask26, r26}, {regACTerm, mask30, r30}, {regDAACtl5, mask31, r31}} {
		if err := b.update(u[0], u[1], u[2]); err != nil {
			return fmt.Errorf("country settings: %w", err)
		}
	}
	if o.Hybrid != nil {
		if err := d.writeHybrid(*o.Hybrid); err != nil {
			return err
		}
	}
	if err := d.linkUp(); err != nil {
		return err
	}
	if err := b.write(regDAACtl1, onhmBit); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	if o.IRQ != nil {
		if err := b.write(regIntMask, intRing|intDropOut|intPolarity); err != nil {
			return fmt.Errorf("configure: %w", err)
		}
		if err := b.update(regCtl2, inteBit, inteBit); err != nil {
			return fmt.Errorf("configure: %w", err)
		}
	}
	return nil
}

// linkUp powers the line side up and waits for the isolation link: the
// line-side device ID (register 11 [7:4]) reads non-zero only once the
// system side talks to the line side through the isolation capacitors.
func (d *Dev) linkUp() error {
	if err := d.bus.update(regDAACtl2, pdlBit|pdnBit, 0); err != nil {
		return fmt.Errorf("isolation link: %w", err)
	}
	deadline := d.clk.Now().Add(d.opts.ISOTimeout)
	var r11 byte
	for {
		var err error
		if r11, err = d.bus.read(regRev); err != nil {
			return fmt.Errorf("isolation link: %w", err)
		}
		if r11>>4 != 0 {
			break
		}
		if !d.clk.Now().Before(deadline) {
			return fmt.Errorf("%w within %v (register 11 = %#02x)", ErrISOLink, d.opts.ISOTimeout, r11)
		}
		d.clk.Sleep(10 * time.Millisecond)
	}
	r13, err := d.bus.read(regLineRev)
	if err != nil {
		return fmt.Errorf("isolation link: %w", err)
	}
	rev := r13 >> 2 & 0x0F
	if rev == 0 || rev == 0x0F {
		return fmt.Errorf("%w: line-side revision %d (register 13 = %#02x)", ErrLineSide, rev, r13)
	}
	d.chip.LineSideID, d.chip.LineSideRev = r11>>4, rev
	return nil
}

// Chip is the identified device pair.
func (d *Dev) Chip() ChipInfo { return d.chip }

// Country is the line-interface setting in use.
func (d *Dev) Country() Country { return d.country }

// Info describes the port.
func (d *Dev) Info() board.PortInfo {
	return board.PortInfo{Index: d.opts.Index, Kind: board.FXO, Name: d.opts.Name, Driver: "si3050"}
}

// Timeslot is the port's PCM timeslot, for the board assembly's channel map.
func (d *Dev) Timeslot() int { return d.opts.Timeslot }

// SetAudio installs the per-frame audio callback. Audio goes over the PCM
// highway, not SPI: the board assembly fetches the callback with AudioFunc
// every frame and calls it with this port's timeslot samples.
func (d *Dev) SetAudio(fn board.AudioFunc) { d.audio.Set(fn) }

// AudioFunc returns the installed callback or nil; it allocates nothing.
func (d *Dev) AudioFunc() board.AudioFunc { return d.audio.Get() }

// Status is a snapshot of the port's state.
func (d *Dev) Status() board.PortStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := board.PortStatus{Hook: board.OnHook, Line: board.LineOK}
	if d.offHook {
		s.Hook = board.OffHook
	}
	m := &d.mon
	switch {
	case d.fault != "":
		s.Line, s.Fault = board.LineFault, d.fault
	case m.ringing:
		s.Line = board.LineRinging
	case m.battery == batLost:
		s.Line = board.LineNoBattery
	case m.inUse:
		s.Line = board.LineInUse
	}
	return s
}

func (d *Dev) emit(t board.EventType, detail string) {
	ev := board.Event{Port: d.opts.Index, Type: t, Time: d.clk.Now(), Detail: detail}
	d.log.Debug("event", "event", ev.String())
	if d.opts.Events == nil {
		return
	}
	var done <-chan struct{}
	if c := d.monCtx.Load(); c != nil {
		done = (*c).Done()
	}
	select {
	case d.opts.Events <- ev:
	case <-done:
		d.log.Warn("event dropped: monitor stopping", "event", ev.String())
	}
}
