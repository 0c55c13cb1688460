package pcmlink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Wire constants of protocol version 1. doc.go explains each of them.
const (
	Sync0 = 0xA5 // first sync byte
	Sync1 = 0x5A // second sync byte

	// Version is the protocol version this package speaks.
	Version = 1

	// HeaderSize is the size of the fixed header: sync(2) version(1)
	// type(1) seq(2) ack(2) map(2) length(2).
	HeaderSize = 12
	// TrailerSize is the size of the CRC that ends every frame.
	TrailerSize = 2
	// MaxPayload bounds the payload length field; anything larger is a
	// corrupt header, so a receiver never waits for more than
	// HeaderSize+MaxPayload+TrailerSize bytes before it can decide.
	MaxPayload = 1024
	// MaxFrameSize is the largest valid frame.
	MaxFrameSize = HeaderSize + MaxPayload + TrailerSize

	// MaxSlots is the number of PCM timeslots the channel map can name.
	MaxSlots = 16
	// SlotSamples is the number of G.711 bytes per timeslot in one audio
	// frame: 40 samples = 5 ms at 8 kHz.
	SlotSamples = 40
	// SubFrames is the number of link frames in one 20 ms board frame.
	SubFrames = 160 / SlotSamples
)

// Type is the frame type byte.
type Type uint8

// Frame types.
const (
	TypeAudioUp   Type = 0x01 // MCU → SoC: audio received from the lines (one per 5 ms period)
	TypeAudioDown Type = 0x02 // SoC → MCU: audio to play to the lines, one per AudioUp
	TypeStatus    Type = 0x03 // MCU → SoC: status and counters
	TypeControl   Type = 0x04 // SoC → MCU: configuration and requests
)

func (t Type) String() string {
	switch t {
	case TypeAudioUp:
		return "audio-up"
	case TypeAudioDown:
		return "audio-down"
	case TypeStatus:
		return "status"
	case TypeControl:
		return "control"
	}
	return fmt.Sprintf("type(%#02x)", uint8(t))
}

func (t Type) valid() bool { return t >= TypeAudioUp && t <= TypeControl }

func (t Type) audio() bool { return t == TypeAudioUp || t == TypeAudioDown }

// Frame is one decoded frame. Payload aliases the buffer it was parsed
// from and is valid only as long as that buffer is.
type Frame struct {
	Type    Type
	Seq     uint16 // sender's sequence number for this type
	Ack     uint16 // AudioDown: the Seq of the AudioUp it answers; 0 otherwise
	Map     uint16 // audio frames: bit i set = timeslot i present
	Payload []byte
}

// Channels returns the number of timeslots present in an audio frame.
func (f *Frame) Channels() int { return bits.OnesCount16(f.Map) }

// Slot returns the SlotSamples G.711 bytes of timeslot slot in an audio
// frame, or nil when the slot is absent. Slots are laid out in increasing
// timeslot order.
func (f *Frame) Slot(slot int) []byte {
	if slot < 0 || slot >= MaxSlots || f.Map&(1<<slot) == 0 {
		return nil
	}
	i := bits.OnesCount16(f.Map & (1<<slot - 1))
	off := i * SlotSamples
	if off+SlotSamples > len(f.Payload) {
		return nil
	}
	return f.Payload[off : off+SlotSamples : off+SlotSamples]
}

// Errors of ParseFrame. ErrShort means "not enough bytes yet"; the others
// mean the bytes at the start of the buffer are not a frame.
var (
	ErrShort   = errors.New("pcmlink: short frame")
	ErrSync    = errors.New("pcmlink: no sync word")
	ErrVersion = errors.New("pcmlink: unsupported version")
	ErrType    = errors.New("pcmlink: unknown frame type")
	ErrLength  = errors.New("pcmlink: bad payload length")
	ErrCRC     = errors.New("pcmlink: CRC mismatch")
)

// headerCheck validates the fixed header in b (len(b) >= HeaderSize) and
// returns the payload length.
func headerCheck(b []byte) (int, error) {
	if b[0] != Sync0 || b[1] != Sync1 {
		return 0, ErrSync
	}
	if b[2] != Version {
		return 0, ErrVersion
	}
	t := Type(b[3])
	if !t.valid() {
		return 0, ErrType
	}
	m := binary.BigEndian.Uint16(b[8:])
	n := int(binary.BigEndian.Uint16(b[10:]))
	if n > MaxPayload {
		return 0, ErrLength
	}
	if t.audio() && n != bits.OnesCount16(m)*SlotSamples || !t.audio() && m != 0 {
		return 0, ErrLength
	}
	return n, nil
}

// ParseFrame decodes the frame at the start of b and returns it with its
// size in bytes. It returns ErrShort when b holds a plausible but
// incomplete frame, and another of the sentinel errors above (unwrapped, so
// that a flood of garbage costs no allocation) when b does not start with a
// valid frame. It never reads beyond b and does not allocate.
func ParseFrame(b []byte) (Frame, int, error) {
	if len(b) < HeaderSize {
		if len(b) >= 1 && b[0] != Sync0 || len(b) >= 2 && b[1] != Sync1 {
			return Frame{}, 0, ErrSync
		}
		return Frame{}, 0, ErrShort
	}
	n, err := headerCheck(b)
	if err != nil {
		return Frame{}, 0, err
	}
	size := HeaderSize + n + TrailerSize
	if len(b) < size {
		return Frame{}, 0, ErrShort
	}
	want := binary.BigEndian.Uint16(b[HeaderSize+n:])
	if CRC16(b[2:HeaderSize+n]) != want {
		return Frame{}, 0, ErrCRC
	}
	return Frame{
		Type:    Type(b[3]),
		Seq:     binary.BigEndian.Uint16(b[4:]),
		Ack:     binary.BigEndian.Uint16(b[6:]),
		Map:     binary.BigEndian.Uint16(b[8:]),
		Payload: b[HeaderSize : HeaderSize+n : HeaderSize+n],
	}, size, nil
}

// AppendFrame appends the encoding of f to dst and returns the extended
// slice. It checks what a receiver would check (payload length, channel map
// consistency) so that this side never sends a frame the other would drop.
// It does not allocate when dst has room.
func AppendFrame(dst []byte, f *Frame) ([]byte, error) {
	if !f.Type.valid() {
		return dst, fmt.Errorf("%w: %#02x", ErrType, uint8(f.Type))
	}
	n := len(f.Payload)
	if n > MaxPayload {
		return dst, fmt.Errorf("%w: %d > %d", ErrLength, n, MaxPayload)
	}
	if f.Type.audio() && n != f.Channels()*SlotSamples {
		return dst, fmt.Errorf("%w: %d bytes for %d timeslots", ErrLength, n, f.Channels())
	}
	if !f.Type.audio() && f.Map != 0 {
		return dst, fmt.Errorf("%w: channel map on a %s frame", ErrLength, f.Type)
	}
	start := len(dst)
	dst = append(dst, Sync0, Sync1, Version, byte(f.Type))
	dst = binary.BigEndian.AppendUint16(dst, f.Seq)
	dst = binary.BigEndian.AppendUint16(dst, f.Ack)
	dst = binary.BigEndian.AppendUint16(dst, f.Map)
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	dst = append(dst, f.Payload...)
	dst = binary.BigEndian.AppendUint16(dst, CRC16(dst[start+2:]))
	return dst, nil
}

// crcTable is the byte-wise table of CRC-16/CCITT-FALSE (poly 0x1021). It
// is computed once and never written after.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 is CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no
// input or output reflection, no final XOR. CRC16([]byte("123456789")) is
// 0x29B1.
func CRC16(b []byte) uint16 {
	c := uint16(0xFFFF)
	for _, x := range b {
		c = c<<8 ^ crcTable[byte(c>>8)^x]
	}
	return c
}
