// Package board is the hardware boundary of minipbx: the Board and Port
// interfaces that every line driver implements (the simulated board in
// board/sim, the Si3215 FXS driver in board/proslic, the Si3050 FXO driver in
// board/voicedaa, the voice modem in board/modem), the events they report and
// the audio frames they exchange.
//
// Everything above board/ (telephony, webui) sees only these interfaces, so
// the exchange runs unchanged on the simulated board and on hardware.
//
// # Audio
//
// Audio is 20 ms frames of 160 linear 16-bit samples at 8 kHz. The board's
// clock is the master (on hardware the MCU that bridges the PCM highway; on
// the simulated board a ticker): once per frame period the board calls the
// AudioFunc installed on each port with the frame received from the line and
// a frame to fill with what the line should hear. The callback runs on the
// board's clock goroutine and must not block or allocate; it hands work to
// its owner through lock-free or non-blocking structures (for example a
// jitter buffer).
//
// # Signalling
//
// Drivers report hook, ring and line events on the board's Events channel.
// Hook transitions are classified by the driver with dsp.PulseDecoder before
// they are reported, so telephony sees EventOffHook, EventOnHook (a real
// hang-up), EventFlash and EventPulseDigit, never a raw switch-hook bounce.
package board

import (
	"errors"
	"fmt"
	"time"
)

// SampleRate is the sampling rate of every port's audio, in Hz.
const SampleRate = 8000

// FrameSamples is the number of samples in one audio frame (20 ms at 8 kHz).
const FrameSamples = 160

// FrameDuration is the period of the board's audio clock.
const FrameDuration = 20 * time.Millisecond

// Frame is one 20 ms frame of linear 16-bit audio at 8 kHz.
type Frame [FrameSamples]int16

// AudioFunc is called by the board once per frame period with rx, the audio
// received from the line, and tx, to be filled with the audio the line should
// hear. tx arrives zeroed (silence). The function must return quickly, must
// not block and must not keep rx or tx after it returns.
type AudioFunc func(rx *Frame, tx *Frame)

// Kind tells an FXS port (a phone plugs into it) from an FXO port (a line
// from the telephone company plugs into it).
type Kind int

const (
	// FXS is a station port: the box feeds battery and rings an analog phone.
	FXS Kind = iota + 1
	// FXO is an office port: the box is the phone on a telco line.
	FXO
)

func (k Kind) String() string {
	switch k {
	case FXS:
		return "fxs"
	case FXO:
		return "fxo"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// EventType names what happened on a port.
type EventType int

const (
	// EventOffHook: an FXS phone was lifted (after debounce).
	EventOffHook EventType = iota + 1
	// EventOnHook: an FXS phone was hung up (on hook longer than a flash).
	EventOnHook
	// EventFlash: a hook flash (a short on-hook within the flash window).
	EventFlash
	// EventPulseDigit: a rotary (pulse) digit; Event.Digit holds '0'..'9'.
	EventPulseDigit
	// EventRingStart: an FXO line started a validated ring burst.
	EventRingStart
	// EventRingStop: the ring burst ended.
	EventRingStop
	// EventPolarityReversal: the FXO line's polarity reversed (often the far
	// end answering or hanging up).
	EventPolarityReversal
	// EventLineVoltageLost: the FXO line lost its battery (loop current drop,
	// CPC, cable cut).
	EventLineVoltageLost
	// EventLineVoltageRestored: the FXO line's battery came back.
	EventLineVoltageRestored
	// EventLineInUse: another device on the same FXO line went off hook.
	EventLineInUse
	// EventLineIdle: the parallel device on the FXO line hung up again.
	EventLineIdle
	// EventPowerAlarm: the port's power stage reported a fault; Detail says which.
	EventPowerAlarm
	// EventFault: the port was taken out of service; Detail says why.
	EventFault
	// EventRecovered: a faulty port is back in service.
	EventRecovered
)

var eventNames = map[EventType]string{
	EventOffHook: "off-hook", EventOnHook: "on-hook", EventFlash: "flash",
	EventPulseDigit: "pulse-digit", EventRingStart: "ring-start", EventRingStop: "ring-stop",
	EventPolarityReversal: "polarity-reversal", EventLineVoltageLost: "line-voltage-lost",
	EventLineVoltageRestored: "line-voltage-restored", EventLineInUse: "line-in-use",
	EventLineIdle: "line-idle", EventPowerAlarm: "power-alarm", EventFault: "fault",
	EventRecovered: "recovered",
}

func (t EventType) String() string {
	if s, ok := eventNames[t]; ok {
		return s
	}
	return fmt.Sprintf("event(%d)", int(t))
}

// Event is one signalling event from a port.
type Event struct {
	Port   int       // index of the port on its board (Port.Info().Index)
	Type   EventType //
	Time   time.Time // when the driver observed it
	Digit  byte      // for EventPulseDigit: '0'..'9'
	Detail string    // human-readable detail for alarms and faults
}

func (e Event) String() string {
	s := fmt.Sprintf("port %d %s", e.Port, e.Type)
	if e.Digit != 0 {
		s += " " + string(e.Digit)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// PortInfo describes a port; it does not change while the board runs.
type PortInfo struct {
	Index  int    // 0-based, unique on the board
	Kind   Kind   //
	Name   string // e.g. "FXS 1", "FXO 2", "Modem 1"
	Driver string // e.g. "sim", "si3215", "si3050", "modem"
}

// HookState is the state of an FXS phone's switch hook or of an FXO port's
// own loop.
type HookState int

const (
	OnHook HookState = iota
	OffHook
)

func (h HookState) String() string {
	if h == OffHook {
		return "off-hook"
	}
	return "on-hook"
}

// LineState is the condition of the line attached to a port.
type LineState int

const (
	LineOK        LineState = iota // normal
	LineNoBattery                  // FXO: no line voltage
	LineInUse                      // FXO: a parallel device is off hook
	LineRinging                    // being rung (FXS) or ringing (FXO)
	LineFault                      // out of service
)

func (l LineState) String() string {
	switch l {
	case LineOK:
		return "ok"
	case LineNoBattery:
		return "no-battery"
	case LineInUse:
		return "in-use"
	case LineRinging:
		return "ringing"
	case LineFault:
		return "fault"
	}
	return fmt.Sprintf("line(%d)", int(l))
}

// PortStatus is a snapshot of a port's state for status pages.
type PortStatus struct {
	Hook  HookState
	Line  LineState
	Fault string // why the port is out of service, if it is
}

// Measurements are a port's analog readings, used by diagnostics. A driver
// fills what its hardware can measure and sets the matching Has* flags.
type Measurements struct {
	TipVolts, RingVolts, BatteryVolts float64 // FXS: to ground
	LineVolts                         float64 // FXO: tip-ring voltage
	LoopMilliamps                     float64 // loop current
	HasTipRing, HasBattery, HasLine   bool
	HasLoop                           bool
}

// Port is one analog port. Methods are safe for concurrent use.
type Port interface {
	Info() PortInfo
	Status() PortStatus
	// SetAudio installs the per-frame audio callback; nil removes it (the
	// line then hears silence and received audio is dropped).
	SetAudio(fn AudioFunc)
	// Measure reads the port's analog measurements; ErrNotSupported when the
	// hardware cannot.
	Measure() (Measurements, error)
}

// FXSPort is a port that feeds and rings an analog phone.
type FXSPort interface {
	Port
	// Ring starts (true) or stops (false) the ring signal. Cadence is kept by
	// the caller, who can then send caller ID in the silent interval.
	Ring(on bool) error
	// SetRinger sets the ring frequency (Hz) and amplitude (Vrms) for the
	// zone; it takes effect at the next Ring(true).
	SetRinger(freqHz, vrms float64) error
	// SetOnHookTransmission enables the audio path while the phone is on
	// hook (for FSK caller ID and message waiting).
	SetOnHookTransmission(on bool) error
	// SetPolarity reverses the line feed (true) or restores it (false);
	// used as an answer/disconnect supervision signal.
	SetPolarity(reversed bool) error
}

// FXOPort is a port that acts as a phone on a telco line.
type FXOPort interface {
	Port
	// Seize takes the line off hook; ErrNoBattery when the line is dead.
	Seize() error
	// Release puts the line back on hook.
	Release() error
	// Flash puts the line on hook for d, then off hook again.
	Flash(d time.Duration) error
}

// Board is a set of ports with one audio clock and one event stream.
type Board interface {
	Name() string
	Ports() []Port
	// Events delivers signalling events from every port. It is closed when
	// the board is closed.
	Events() <-chan Event
	// Close stops the audio clock and releases the hardware.
	Close() error
}

// Errors a driver may return; wrap them with context.
var (
	ErrNotSupported = errors.New("not supported by this port")
	ErrNoBattery    = errors.New("no line voltage")
	ErrPortFault    = errors.New("port out of service")
	ErrWrongKind    = errors.New("wrong port kind")
	ErrClosed       = errors.New("board closed")
)
