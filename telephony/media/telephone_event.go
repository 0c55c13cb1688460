package media

import (
	"encoding/binary"
	"errors"
)

// RFC 4733 telephone-event payload: event, E|R|volume, duration (16 bits).
const eventPayloadLen = 4

// EventCode maps a DTMF digit to its RFC 4733 event code.
func EventCode(d byte) (uint8, bool) {
	switch {
	case d >= '0' && d <= '9':
		return d - '0', true
	case d == '*':
		return 10, true
	case d == '#':
		return 11, true
	case d >= 'A' && d <= 'D':
		return 12 + d - 'A', true
	case d >= 'a' && d <= 'd':
		return 12 + d - 'a', true
	}
	return 0, false
}

// EventDigit maps an RFC 4733 event code to its digit (0 for non-DTMF events).
func EventDigit(code uint8) byte {
	switch {
	case code <= 9:
		return '0' + code
	case code == 10:
		return '*'
	case code == 11:
		return '#'
	case code <= 15:
		return 'A' + code - 12
	}
	return 0
}

// TelephoneEvent is one decoded RFC 4733 payload.
type TelephoneEvent struct {
	Code     uint8
	End      bool
	Volume   uint8 // -dBm0, 0..63
	Duration uint16
}

var errShortEvent = errors.New("media: telephone-event payload shorter than 4 bytes")

// ParseTelephoneEvent decodes an RFC 4733 payload.
func ParseTelephoneEvent(b []byte) (TelephoneEvent, error) {
	if len(b) < eventPayloadLen {
		return TelephoneEvent{}, errShortEvent
	}
	return TelephoneEvent{
		Code:     b[0],
		End:      b[1]&0x80 != 0,
		Volume:   b[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(b[2:4]),
	}, nil
}

// Put encodes e into b (at least 4 bytes).
func (e TelephoneEvent) Put(b []byte) {
	b[0] = e.Code
	b[1] = e.Volume & 0x3f
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:4], e.Duration)
}

// eventReceiver turns a stream of RFC 4733 packets into digits, once per
// event: an event is identified by its RTP timestamp (RFC 4733 §2.5.1.2
// keeps it constant for all packets, retransmitted end packets included),
// so the first packet of a new timestamp is the digit, whichever packet of
// the event happens to arrive first.
type eventReceiver struct {
	have   bool
	lastTS uint32
}

// packet returns the digit to report for a packet, or 0.
func (r *eventReceiver) packet(ts uint32, payload []byte) byte {
	ev, err := ParseTelephoneEvent(payload)
	if err != nil {
		return 0
	}
	if r.have && ts == r.lastTS {
		return 0
	}
	d := EventDigit(ev.Code)
	if d == 0 {
		return 0
	}
	r.have, r.lastTS = true, ts
	return d
}
