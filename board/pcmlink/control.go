package pcmlink

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Law is the companding law of the PCM highway's timeslots.
type Law uint8

const (
	ULaw Law = 0 // μ-law (North America, Japan)
	ALaw Law = 1 // A-law (Europe and most of the world)
)

func (l Law) String() string {
	switch l {
	case ULaw:
		return "ulaw"
	case ALaw:
		return "alaw"
	}
	return fmt.Sprintf("law(%d)", uint8(l))
}

// idle returns the G.711 code for silence (zero amplitude, positive sign).
func (l Law) idle() byte {
	if l == ALaw {
		return 0xD5
	}
	return 0xFF
}

// Status flag bits reported by the MCU.
const (
	FlagPCMClockLost = 1 << 0 // the MCU does not see the PCM highway clock / frame sync
	FlagConfigured   = 1 << 1 // the MCU has applied a CONFIG since it started
	FlagUARTOverrun  = 1 << 2 // the MCU's UART receiver lost bytes since the last status
)

// StatusSize is the payload size of a version-1 STATUS frame. Later
// versions may append fields; a receiver ignores bytes beyond the ones it
// knows.
const StatusSize = 32

// MCUStatus is the payload of a STATUS frame: the MCU's view of the link.
// Counters are free-running from the MCU's start (or the last
// CmdResetCounters) and wrap at 2^32.
type MCUStatus struct {
	Firmware  uint16 // MCU firmware version, major<<8 | minor
	Flags     uint16 // Flag* bits
	UptimeMS  uint32 // milliseconds since the MCU started
	CRCErrors uint32 // AUDIO_DOWN/CONTROL frames with a bad CRC
	Discarded uint32 // bytes skipped while hunting for sync
	Late      uint32 // AUDIO_DOWN frames that arrived after their playout period
	Underruns uint32 // periods played with no AUDIO_DOWN frame (idle code sent)
	Overruns  uint32 // AUDIO_UP frames not sent because the UART was still busy
	PCMSlips  uint32 // PCM highway frame-sync slips seen by the MCU
}

// ErrStatus reports a STATUS payload that is too short.
var ErrStatus = errors.New("pcmlink: short status payload")

// ParseStatus decodes a STATUS payload.
func ParseStatus(p []byte) (MCUStatus, error) {
	if len(p) < StatusSize {
		return MCUStatus{}, fmt.Errorf("%w: %d bytes, want %d", ErrStatus, len(p), StatusSize)
	}
	be := binary.BigEndian
	return MCUStatus{
		Firmware:  be.Uint16(p[0:]),
		Flags:     be.Uint16(p[2:]),
		UptimeMS:  be.Uint32(p[4:]),
		CRCErrors: be.Uint32(p[8:]),
		Discarded: be.Uint32(p[12:]),
		Late:      be.Uint32(p[16:]),
		Underruns: be.Uint32(p[20:]),
		Overruns:  be.Uint32(p[24:]),
		PCMSlips:  be.Uint32(p[28:]),
	}, nil
}

// AppendStatus appends the STATUS payload of s (used by MCU simulators and
// tests).
func AppendStatus(dst []byte, s MCUStatus) []byte {
	be := binary.BigEndian
	dst = be.AppendUint16(dst, s.Firmware)
	dst = be.AppendUint16(dst, s.Flags)
	for _, v := range [...]uint32{s.UptimeMS, s.CRCErrors, s.Discarded, s.Late, s.Underruns, s.Overruns, s.PCMSlips} {
		dst = be.AppendUint32(dst, v)
	}
	return dst
}

// Control commands (first payload byte of a CONTROL frame).
const (
	CmdConfig        = 0x01 // law, playout delay, timeslot map
	CmdStatusRequest = 0x02 // send a STATUS frame now
	CmdResetCounters = 0x03 // zero the STATUS counters
)

// Config limits for the MCU's playout delay, in 5 ms periods.
const (
	MinPlayoutDelay     = 2
	MaxPlayoutDelay     = 8
	DefaultPlayoutDelay = 3
)

// ControlConfig is the argument of CmdConfig.
type ControlConfig struct {
	Law          Law
	PlayoutDelay uint8  // periods between an AUDIO_UP and the playout of its answer
	Slots        uint16 // timeslots the MCU must carry in AUDIO_UP frames
}

// ErrControl reports a malformed CONTROL payload.
var ErrControl = errors.New("pcmlink: bad control payload")

// AppendConfig appends a CmdConfig payload.
func AppendConfig(dst []byte, c ControlConfig) []byte {
	dst = append(dst, CmdConfig, byte(c.Law), c.PlayoutDelay, 0)
	return binary.BigEndian.AppendUint16(dst, c.Slots)
}

// ParseControl decodes a CONTROL payload: the command, and for CmdConfig
// its argument. It is what the MCU firmware implements; the Go version
// serves MCU simulators and tests.
func ParseControl(p []byte) (cmd byte, c ControlConfig, err error) {
	if len(p) < 1 {
		return 0, c, fmt.Errorf("%w: empty", ErrControl)
	}
	switch p[0] {
	case CmdStatusRequest, CmdResetCounters:
		return p[0], c, nil
	case CmdConfig:
		if len(p) < 6 {
			return 0, c, fmt.Errorf("%w: config needs 6 bytes, got %d", ErrControl, len(p))
		}
		c = ControlConfig{Law: Law(p[1]), PlayoutDelay: p[2], Slots: binary.BigEndian.Uint16(p[4:])}
		if c.Law > ALaw {
			return 0, c, fmt.Errorf("%w: law %d", ErrControl, p[1])
		}
		if c.PlayoutDelay < MinPlayoutDelay || c.PlayoutDelay > MaxPlayoutDelay {
			return 0, c, fmt.Errorf("%w: playout delay %d outside %d..%d", ErrControl, p[2], MinPlayoutDelay, MaxPlayoutDelay)
		}
		return CmdConfig, c, nil
	}
	return 0, c, fmt.Errorf("%w: unknown command %#02x", ErrControl, p[0])
}
