package proslic

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/board"
	"minipbx/dsp"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"
)

// Errors returned by Probe and New; they are wrapped with context.
var (
	// ErrNoChip: nothing answers on the chip select (reads all 0x00 or 0xFF).
	ErrNoChip = errors.New("no ProSLIC answers")
	// ErrWrongChip: something answers but it is not a supported ProSLIC.
	ErrWrongChip = errors.New("not a supported ProSLIC")
	// ErrPowerUp: the DC-DC converter did not bring the battery up in time.
	ErrPowerUp = errors.New("DC-DC converter power-up failed")
	// ErrLeakage: the battery collapsed when the converter was switched off,
	// which means a short or heavy leakage on the line or the battery rail.
	ErrLeakage = errors.New("excessive leakage (short circuit?)")
	// ErrForeignVoltage: the open line carries a voltage of its own.
	ErrForeignVoltage = errors.New("foreign voltage on the line")
	// ErrCalibrationTimeout: a self calibration did not finish in time.
	ErrCalibrationTimeout = errors.New("calibration timed out")
	// ErrCalibration: a calibration reported failure.
	ErrCalibration = errors.New("calibration failed")
	// ErrBadCalibration: a kept calibration does not fit this chip.
	ErrBadCalibration = errors.New("kept calibration does not fit this chip")
)

// IndirectMismatchError reports an indirect register whose read-back differs
// from what was written.
type IndirectMismatchError struct {
	Name      string
	Addr      uint8
	Want, Got uint16
}

func (e *IndirectMismatchError) Error() string {
	return fmt.Sprintf("indirect register %s (IR%d) reads %#04x, wrote %#04x", e.Name, e.Addr, e.Got, e.Want)
}

// Variant is the member of the Si3210 family.
type Variant int

const (
	// AnyVariant in Opts.Require accepts both.
	AnyVariant Variant = iota
	Si3210
	Si3215
)

func (v Variant) String() string {
	switch v {
	case Si3210:
		return "Si3210"
	case Si3215:
		return "Si3215"
	}
	return "any"
}

// ChipInfo identifies a ProSLIC.
type ChipInfo struct {
	// Variant is the register-map family: Si3210 (with DTMF decoder and
	// pulse metering) or Si3215 (Si3215/Si3216, compact indirect map).
	Variant Variant
	// Model is the part: Si3210, Si3210M, Si3215, Si3215M, Si3216 or Si3216M.
	Model string
	// M is set for the "M" parts, whose DC-DC converter needs other timing.
	M        bool
	Revision uint8 // DR0[3:0]: 1 = A, 2 = B, ...
}

func (c ChipInfo) String() string {
	return fmt.Sprintf("%s rev %c", c.Model, 'A'+rune(c.Revision)-1)
}

// identify decodes DR0, DR1, DR6 and DR11 as read from a chip, the way
// Silicon Labs' reference driver tells the parts apart: DR1 bit 7 marks the
// Si3215 family, whose DR6[7:5] name the part; otherwise DR0[5:4] do.
func identify(dr0, dr1, dr6, dr11 byte) (ChipInfo, error) {
	rev := dr0 & 0x0F
	if dr0 == 0x00 || dr0 == 0xFF || rev == 0 || rev == 0x0F {
		return ChipInfo{}, fmt.Errorf("%w (DR0 reads %#02x)", ErrNoChip, dr0)
	}
	if dr11 != hybridReset {
		return ChipInfo{}, fmt.Errorf("%w: DR11 = %#02x, want %#02x", ErrWrongChip, dr11, hybridReset)
	}
	if dr0&0xC0 != 0 {
		return ChipInfo{}, fmt.Errorf("%w: DR0 = %#02x (daisy-chain mode is not supported)", ErrWrongChip, dr0)
	}
	var ci ChipInfo
	if dr1&pcm3215ID != 0 {
		ci.Variant = Si3215
		switch dr6 & 0xE0 {
		case 0x00:
			ci.Model = "Si3215"
		case 0x80:
			ci.Model = "Si3216"
		case 0x60:
			ci.Model, ci.M = "Si3215M", true
		case 0xE0:
			ci.Model, ci.M = "Si3216M", true
		default:
			return ChipInfo{}, fmt.Errorf("%w: Si3215 family with unknown part code DR6 = %#02x", ErrWrongChip, dr6)
		}
	} else {
		ci.Variant = Si3210
		switch dr0 & 0x30 {
		case 0x00:
			ci.Model = "Si3210"
		case 0x30:
			ci.Model, ci.M = "Si3210M", true
		default:
			// The Si3211/Si3212 take their battery from outside; this
			// driver runs the on-chip DC-DC converter controller.
			return ChipInfo{}, fmt.Errorf("%w: DR0 = %#02x is an Si3211/Si3212 (no DC-DC converter)", ErrWrongChip, dr0)
		}
	}
	if rev < 2 {
		return ChipInfo{}, fmt.Errorf("%w: %s revision A is too old", ErrWrongChip, ci.Model)
	}
	ci.Revision = rev
	return ci, nil
}

// Probe identifies the ProSLIC on conn without changing its state: it only
// reads DR0, DR1, DR6 and DR11 (whose reset value this driver never
// changes). Use it on a chip select that carries a ProSLIC or nothing: the
// read commands are not harmless to a chip of another kind.
func Probe(conn spi.Conn) (ChipInfo, error) {
	b := &bus{conn: conn}
	return probe(b)
}

func probe(b *bus) (ChipInfo, error) {
	var v [4]byte
	for i, r := range []uint8{drID, drPCMMode, drPartID, drHybrid} {
		x, err := b.read(r)
		if err != nil {
			return ChipInfo{}, fmt.Errorf("proslic: probe: %w", err)
		}
		v[i] = x
	}
	ci, err := identify(v[0], v[1], v[2], v[3])
	if err != nil {
		return ChipInfo{}, fmt.Errorf("proslic: probe: %w", err)
	}
	return ci, nil
}

// Law is the G.711 companding law on the PCM highway.
type Law int

const (
	ULaw Law = iota // μ-law (North America, Japan)
	ALaw            // A-law (Europe, Russia and most of the world)
)

// DCDC holds the DC-DC converter's timing registers, which depend on the
// board's converter components (AN45/AN47 design spreadsheets). Zero values
// take the reference design's values: PWM period 0x7F and minimum off time
// 0x14 (0x60 and 0x38 on the "M" parts).
type DCDC struct {
	PWMPeriod   byte // DR92
	SwitchDelay byte // DR93 bits 6:0
}

// Opts configures one ProSLIC port. Zero values are sensible defaults.
type Opts struct {
	// Index and Name identify the port on the board (board.PortInfo).
	Index int
	Name  string
	// Require refuses a chip of another variant (default: either).
	Require Variant

	// Reset is the chip's RESET pin (active low); nil when the board has no
	// reset line (then the chip's registers are not known to be at their
	// reset values, and New forces the converter off before starting).
	Reset gpio.PinOut
	// IRQ is the chip's INT pin (active low). With it the monitor goroutine
	// wakes on interrupts as well as on its polling period.
	IRQ gpio.PinIn

	// Law and Timeslot place the port on the PCM highway: the 8-bit sample
	// starts Timeslot×8 PCLK cycles after FSYNC. Audio itself never crosses
	// SPI: see AudioFunc.
	Law      Law
	Timeslot int

	// Events receives the port's events (board.Event). The monitor blocks
	// on a full channel, so it must be buffered and drained; the board
	// assembly usually passes one channel shared by all its ports. Nil
	// drops events.
	Events chan<- board.Event
	Logger *slog.Logger

	// Calibration is a calibration kept from an earlier run of this chip
	// (Dev.Calibration). With it New skips the leakage test and the
	// calibrations and restores the results, which is fast.
	Calibration *Calibration

	// RingFreqHz and RingVrms set the ringer (default 25 Hz, 45 Vrms).
	RingFreqHz, RingVrms float64
	// LoopCurrentMA is the loop current limit, 20..41 mA (default 26).
	LoopCurrentMA int
	// OnHookVolts is the open-circuit tip-ring voltage (default 48 V).
	OnHookVolts float64
	// TxGainDB (line to PCM) and RxGainDB (PCM to line), −30..+6 dB.
	TxGainDB, RxGainDB float64
	// DCDC holds the converter timing registers.
	DCDC DCDC
	// SkipLeakageTest skips the line tests (foreign voltage on the open
	// line, leakage) at full initialisation.
	SkipLeakageTest bool

	// HookDebounce is how long a new hook state must hold before it counts
	// (default 10 ms, below the shortest dial-pulse half period).
	HookDebounce time.Duration
	// PollInterval is the monitor's period (default 5 ms).
	PollInterval time.Duration
	// Hook sets the pulse, flash and hang-up windows of the default hook
	// decoder (dsp.HookDecoder; zero values are its defaults).
	Hook dsp.HookConfig
	// NewHookDecoder replaces the classifier of debounced hook transitions.
	NewHookDecoder func() HookDecoder

	// MaxPowerAlarms power alarms within AlarmWindow take the port out of
	// service (defaults 5 and 1 minute).
	MaxPowerAlarms int
	AlarmWindow    time.Duration
	// FaultRetry is how long a faulty port waits before a full
	// re-initialisation (default 5 minutes; negative: never).
	FaultRetry time.Duration

	// PowerUpTimeout bounds the battery power-up (default 1 s);
	// CalibrationTimeout each calibration step (default 2 s).
	PowerUpTimeout, CalibrationTimeout time.Duration

	// Clock is the time source (default: the real clock).
	Clock Clock
}

func (o *Opts) normalize() error {
	if o.RingFreqHz == 0 {
		o.RingFreqHz = 25
	}
	if o.RingVrms == 0 {
		o.RingVrms = 45
	}
	if o.LoopCurrentMA == 0 {
		o.LoopCurrentMA = 26
	}
	if o.LoopCurrentMA < 20 || o.LoopCurrentMA > 41 {
		return fmt.Errorf("loop current %d mA out of range 20..41", o.LoopCurrentMA)
	}
	if o.OnHookVolts == 0 {
		o.OnHookVolts = 48
	}
	if o.OnHookVolts < 0 || o.OnHookVolts > 60 {
		return fmt.Errorf("on-hook voltage %.1f V out of range 0..60", o.OnHookVolts)
	}
	if o.Timeslot < 0 || o.Timeslot > 127 {
		return fmt.Errorf("timeslot %d out of range 0..127", o.Timeslot)
	}
	if o.Law != ULaw && o.Law != ALaw {
		return fmt.Errorf("unknown law %d", o.Law)
	}
	if o.HookDebounce == 0 {
		o.HookDebounce = 10 * time.Millisecond
	}
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Millisecond
	}
	if o.NewHookDecoder == nil {
		hc := o.Hook
		o.NewHookDecoder = func() HookDecoder { return newDSPHook(hc) }
	}
	if o.MaxPowerAlarms == 0 {
		o.MaxPowerAlarms = 5
	}
	if o.AlarmWindow == 0 {
		o.AlarmWindow = time.Minute
	}
	if o.FaultRetry == 0 {
		o.FaultRetry = 5 * time.Minute
	}
	if o.PowerUpTimeout == 0 {
		o.PowerUpTimeout = time.Second
	}
	if o.CalibrationTimeout == 0 {
		o.CalibrationTimeout = 2 * time.Second
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Name == "" {
		o.Name = fmt.Sprintf("FXS %d", o.Index+1)
	}
	return nil
}

// Dev is one ProSLIC driving one FXS port. It implements board.FXSPort.
// Methods are safe for concurrent use.
type Dev struct {
	opts Opts
	bus  bus
	clk  Clock
	log  *slog.Logger
	chip ChipInfo

	audio board.AudioHook

	mu       sync.Mutex
	ring     RingParams
	cadence  *Cadence
	txGain   uint16
	rxGain   uint16
	reversed bool
	oht      bool
	ringing  bool
	loopback bool // DR8 DLM set by SetLoopback
	cal      Calibration
	hasCal   bool

	// Monitor state (mu).
	epoch     time.Time
	hookDec   HookDecoder
	rawOff    bool // last debounced raw state fed to the decoder
	candOff   bool
	candSince time.Time
	offHook   bool // classified state (decoder's view)
	alarms    []time.Time
	fault     string
	faultAt   time.Time
	commErrs  int
	badIDs    int // consecutive supervision reads of an implausible DR0
	polls     int
	lastLF    byte
	alarmBits byte // power-alarm bits collected while acknowledging interrupts
	stopMon   context.CancelFunc
	monDone   chan struct{}
	// monCtx is the running monitor's context: an event send gives up
	// when it ends, so Halt cannot hang on a full Events channel.
	monCtx atomic.Pointer[context.Context]
}

var _ board.FXSPort = (*Dev)(nil)

// New resets and identifies the ProSLIC on conn, powers its DC-DC converter
// up, tests the line for leakage, calibrates (or restores opts.Calibration),
// loads and verifies the indirect registers, sets PCM, ringer, current limit
// and gains, and leaves the line in forward active state. It does not start
// the monitor: call Start.
func New(conn spi.Conn, opts *Opts) (*Dev, error) {
	o := Opts{}
	if opts != nil {
		o = *opts
	}
	if err := o.normalize(); err != nil {
		return nil, fmt.Errorf("proslic: %s: %w", o.Name, err)
	}
	rp, err := RingerParams(o.RingFreqHz, o.RingVrms)
	if err != nil {
		return nil, fmt.Errorf("proslic: %s: %w", o.Name, err)
	}
	tx, err := digitalGain(o.TxGainDB)
	if err != nil {
		return nil, fmt.Errorf("proslic: %s: tx gain: %w", o.Name, err)
	}
	rx, err := digitalGain(o.RxGainDB)
	if err != nil {
		return nil, fmt.Errorf("proslic: %s: rx gain: %w", o.Name, err)
	}
	d := &Dev{
		opts: o, bus: bus{conn: conn}, clk: o.Clock, log: o.Logger.With("port", o.Name),
		ring: rp, txGain: tx, rxGain: rx,
	}
	if o.Calibration != nil {
		d.cal, d.hasCal = *o.Calibration, true
	}
	if o.IRQ != nil {
		if err := o.IRQ.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return nil, fmt.Errorf("proslic: %s: IRQ pin: %w", o.Name, err)
		}
	}
	if err := d.hardReset(); err != nil {
		return nil, fmt.Errorf("proslic: %s: reset: %w", o.Name, err)
	}
	ci, err := probe(&d.bus)
	if err != nil {
		return nil, fmt.Errorf("proslic: %s: %w", o.Name, errors.Unwrap(err))
	}
	if o.Require != AnyVariant && ci.Variant != o.Require {
		return nil, fmt.Errorf("proslic: %s: %w: found %s, want %s", o.Name, ErrWrongChip, ci, o.Require)
	}
	d.chip = ci
	if err := d.checkAccess(); err != nil {
		return nil, fmt.Errorf("proslic: %s (%s): %w", o.Name, ci, err)
	}
	if d.hasCal {
		if err := d.cal.fits(ci); err != nil {
			d.log.Warn("kept calibration not usable; calibrating", "err", err)
			d.hasCal = false
		}
	}
	if err := d.bringUp(); err != nil {
		d.shutdown()
		return nil, fmt.Errorf("proslic: %s (%s): %w", o.Name, ci, err)
	}
	d.log.Info("ProSLIC ready", "chip", ci.String(), "timeslot", o.Timeslot)
	return d, nil
}

// checkAccess is AN35 step 8: right after a hardware reset DR8 holds its
// reset value, and a write to an innocuous register (the receive start
// count, set properly later) must read back.
func (d *Dev) checkAccess() error {
	if d.opts.Reset != nil {
		v, err := d.bus.read(drLoopback)
		if err != nil {
			return err
		}
		if v != loopbackReset {
			return fmt.Errorf("%w: DR8 = %#02x after reset, want %#02x", ErrWrongChip, v, loopbackReset)
		}
	}
	if err := d.bus.write(drRXStartLo, accessPattern); err != nil {
		return err
	}
	v, err := d.bus.read(drRXStartLo)
	if err != nil {
		return err
	}
	if v != accessPattern {
		return fmt.Errorf("%w: DR4 reads %#02x after writing %#02x (writes do not reach the chip)", ErrNoChip, v, accessPattern)
	}
	return nil
}

// accessPattern is written to DR4 to check register writes.
const accessPattern = 0x5A

// hardReset pulses RESET low when the board has the pin.
func (d *Dev) hardReset() error {
	if d.opts.Reset == nil {
		return nil
	}
	if err := d.opts.Reset.Out(gpio.Low); err != nil {
		return err
	}
	d.clk.Sleep(5 * time.Millisecond)
	if err := d.opts.Reset.Out(gpio.High); err != nil {
		return err
	}
	d.clk.Sleep(10 * time.Millisecond)
	return nil
}

// Chip is the identified ProSLIC.
func (d *Dev) Chip() ChipInfo { return d.chip }

// Info describes the port.
func (d *Dev) Info() board.PortInfo {
	return board.PortInfo{Index: d.opts.Index, Kind: board.FXS, Name: d.opts.Name, Driver: "si3215"}
}

// Timeslot is the port's PCM timeslot, for the board assembly's channel map.
func (d *Dev) Timeslot() int { return d.opts.Timeslot }

// SetAudio installs the per-frame audio callback. The ProSLIC's audio goes
// over the PCM highway, not SPI: the board assembly (board/hw) reads the
// installed callback with AudioFunc on every frame and calls it with the
// samples of this port's timeslot.
func (d *Dev) SetAudio(fn board.AudioFunc) { d.audio.Set(fn) }

// AudioFunc returns the installed audio callback, or nil. It allocates
// nothing and may be called from the board's clock goroutine.
func (d *Dev) AudioFunc() board.AudioFunc { return d.audio.Get() }

// Status is a snapshot of the port's state.
func (d *Dev) Status() board.PortStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := board.PortStatus{Hook: board.OnHook, Line: board.LineOK}
	if d.offHook {
		s.Hook = board.OffHook
	}
	switch {
	case d.fault != "":
		s.Line, s.Fault = board.LineFault, d.fault
	case d.ringing:
		s.Line = board.LineRinging
	}
	return s
}

// Calibration returns the results of the calibration in use, for the caller
// to keep (for example in the configuration store) and pass back in
// Opts.Calibration.
func (d *Dev) Calibration() Calibration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cal
}

func (d *Dev) emit(t board.EventType, digit byte, detail string) {
	ev := board.Event{Port: d.opts.Index, Type: t, Time: d.clk.Now(), Digit: digit, Detail: detail}
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
