package dsp

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// CallerIDMessage is one caller ID (CLIP) or message-waiting (VMWI)
// message as sent on an analog line by FSK (ETSI EN 300 659-3, Telcordia
// GR-30-CORE) or DTMF.
//
// Time carries month, day, hour and minute only: the line protocols send
// no year, so a parsed Time has year 0 (which, being a leap year, keeps
// 29 February valid); a caller that shows it fills in the year from its
// own clock. Absence reasons are 'P' (private, withheld by the caller) or
// 'O' (out of area / unavailable); zero means no reason given.
type CallerIDMessage struct {
	Time                     time.Time
	HasTime                  bool
	Number, Name             string
	NumberAbsent, NameAbsent byte
	MessageWaiting           bool
	HasMessageWaiting        bool
	MDMF                     bool
}

// Message types (first byte) of FSK caller ID messages.
const (
	msgSDMF    = 0x04 // single data message format: call setup
	msgSDMFMWI = 0x06 // single data message format: message waiting (Bell VMWI)
	msgMDMF    = 0x80 // multiple data message format: call setup
	msgMDMFMWI = 0x82 // multiple data message format: message waiting
)

// MDMF parameter types (ETSI EN 300 659-3 table 3; the same codes in GR-30).
const (
	parDateTime     = 0x01
	parNumber       = 0x02
	parNumberAbsent = 0x04
	parName         = 0x07
	parNameAbsent   = 0x08
	parVisualInd    = 0x0B
)

// Field limits. Telcordia SDMF carries at most 10 digits; ETSI and GR-30
// MDMF allow 20 digits and names of up to 50 characters (Bell CPE show 15).
const (
	maxSDMFNumber = 10
	maxMDMFNumber = 20
	maxName       = 50
)

// ErrCallerIDChecksum reports a message whose checksum does not match: a
// corrupted message must never be shown, since a wrong number is worse
// than none.
var ErrCallerIDChecksum = errors.New("callerid: bad checksum")

// EncodeCallerID builds the FSK message bytes for m: message type, length,
// body and checksum (the two's complement of the modulo-256 sum of all the
// preceding bytes). m.MDMF selects the multiple data message format. A
// message with HasMessageWaiting set is a message-waiting message (type
// 0x82 in MDMF, 0x06 VMWI in SDMF); in MDMF it may carry the call fields
// too, in SDMF it may not.
func EncodeCallerID(m CallerIDMessage) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 2, 64)
	switch {
	case m.HasMessageWaiting && !m.MDMF:
		b[0] = msgSDMFMWI
		v := byte(0x6F)
		if m.MessageWaiting {
			v = 0x42
		}
		b = append(b, v, v, v)
	case !m.MDMF:
		b[0] = msgSDMF
		b = appendTime(b, m.Time)
		if m.NumberAbsent != 0 {
			b = append(b, m.NumberAbsent)
		} else {
			b = append(b, m.Number...)
		}
	default:
		b[0] = msgMDMF
		if m.HasMessageWaiting {
			b[0] = msgMDMFMWI
		}
		if m.HasTime {
			b = append(b, parDateTime, 8)
			b = appendTime(b, m.Time)
		}
		switch {
		case m.NumberAbsent != 0:
			b = append(b, parNumberAbsent, 1, m.NumberAbsent)
		case m.Number != "":
			b = append(b, parNumber, byte(len(m.Number)))
			b = append(b, m.Number...)
		}
		switch {
		case m.NameAbsent != 0:
			b = append(b, parNameAbsent, 1, m.NameAbsent)
		case m.Name != "":
			b = append(b, parName, byte(len(m.Name)))
			b = append(b, m.Name...)
		}
		if m.HasMessageWaiting {
			v := byte(0)
			if m.MessageWaiting {
				v = 0xFF
			}
			b = append(b, parVisualInd, 1, v)
		}
	}
	if len(b)-2 > 255 {
		return nil, fmt.Errorf("callerid: message body of %d bytes exceeds 255", len(b)-2)
	}
	b[1] = byte(len(b) - 2)
	return append(b, checksum(b)), nil
}

func (m CallerIDMessage) validate() error {
	for _, a := range []struct {
		what string
		v    byte
	}{{"number", m.NumberAbsent}, {"name", m.NameAbsent}} {
		if a.v != 0 && a.v != 'P' && a.v != 'O' {
			return fmt.Errorf("callerid: %s absence reason %q: want 'P' or 'O'", a.what, a.v)
		}
	}
	if m.NumberAbsent != 0 && m.Number != "" {
		return errors.New("callerid: both a number and a number absence reason")
	}
	if m.NameAbsent != 0 && m.Name != "" {
		return errors.New("callerid: both a name and a name absence reason")
	}
	if err := validNumber(m.Number); err != nil {
		return err
	}
	for i := 0; i < len(m.Name); i++ {
		if c := m.Name[i]; c < 0x20 || c > 0x7E {
			return fmt.Errorf("callerid: name byte %#x at %d is not printable ASCII", c, i)
		}
	}
	if !m.MDMF {
		if m.HasMessageWaiting {
			if m.Number != "" || m.Name != "" || m.NumberAbsent != 0 || m.NameAbsent != 0 || m.HasTime {
				return errors.New("callerid: SDMF message waiting (VMWI) carries no call fields; use MDMF")
			}
			return nil
		}
		if m.Name != "" || m.NameAbsent != 0 {
			return errors.New("callerid: SDMF carries no name; use MDMF")
		}
		if !m.HasTime {
			return errors.New("callerid: SDMF requires the date and time")
		}
		if m.Number == "" && m.NumberAbsent == 0 {
			return errors.New("callerid: SDMF requires a number or an absence reason")
		}
		if len(m.Number) > maxSDMFNumber {
			return fmt.Errorf("callerid: SDMF number of %d digits exceeds %d", len(m.Number), maxSDMFNumber)
		}
		return nil
	}
	if len(m.Number) > maxMDMFNumber {
		return fmt.Errorf("callerid: number of %d digits exceeds %d", len(m.Number), maxMDMFNumber)
	}
	if len(m.Name) > maxName {
		return fmt.Errorf("callerid: name of %d characters exceeds %d", len(m.Name), maxName)
	}
	if !m.HasTime && !m.HasMessageWaiting && m.Number == "" && m.Name == "" && m.NumberAbsent == 0 && m.NameAbsent == 0 {
		return errors.New("callerid: empty message")
	}
	return nil
}

// validNumber accepts the characters a calling number may hold on the
// line: digits, and '+', '*', '#' (international prefix, service codes).
func validNumber(n string) error {
	for i := 0; i < len(n); i++ {
		c := n[i]
		if (c < '0' || c > '9') && c != '+' && c != '*' && c != '#' {
			return fmt.Errorf("callerid: number %q: invalid character %q", n, c)
		}
	}
	return nil
}

func appendTime(b []byte, t time.Time) []byte {
	return fmt.Appendf(b, "%02d%02d%02d%02d", int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

func checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return -s
}

// ParseCallerID decodes FSK message bytes (type, length, body, checksum).
// The checksum is verified first; unknown MDMF parameters are skipped (the
// standards require receivers to ignore what they do not understand),
// while structural errors (truncation, a parameter overrunning the
// message) are rejected. Bytes after the checksum are ignored. A date
// that is not a valid calendar time is dropped (HasTime false) rather
// than failing the whole message, since exchanges with unset clocks
// exist and the number is what matters.
func ParseCallerID(b []byte) (CallerIDMessage, error) {
	var m CallerIDMessage
	if len(b) < 3 {
		return m, fmt.Errorf("callerid: message of %d bytes is too short", len(b))
	}
	n := int(b[1])
	if len(b) < n+3 {
		return m, fmt.Errorf("callerid: message truncated: length %d, have %d body bytes", n, len(b)-3)
	}
	b = b[:n+3]
	if checksum(b[:n+2]) != b[n+2] {
		return m, ErrCallerIDChecksum
	}
	body := b[2 : n+2]
	switch b[0] {
	case msgSDMF:
		if len(body) < 8 {
			return m, fmt.Errorf("callerid: SDMF body of %d bytes is shorter than its date and time", len(body))
		}
		m.Time, m.HasTime = parseTime(body[:8])
		num := body[8:]
		if len(num) == 1 && (num[0] == 'P' || num[0] == 'O') {
			m.NumberAbsent = num[0]
		} else {
			s, err := printable("number", num)
			if err != nil {
				return CallerIDMessage{}, err
			}
			m.Number = s
		}
		return m, nil
	case msgSDMFMWI:
		if len(body) < 3 {
			return m, fmt.Errorf("callerid: VMWI body of %d bytes, want 3", len(body))
		}
		switch {
		case body[0] == 0x42 && body[1] == 0x42 && body[2] == 0x42:
			m.MessageWaiting = true
		case body[0] == 0x6F && body[1] == 0x6F && body[2] == 0x6F:
		default:
			return m, fmt.Errorf("callerid: VMWI code % x is neither on nor off", body[:3])
		}
		m.HasMessageWaiting = true
		return m, nil
	case msgMDMF, msgMDMFMWI:
		m.MDMF = true
		for len(body) > 0 {
			if len(body) < 2 {
				return CallerIDMessage{}, errors.New("callerid: MDMF parameter header truncated")
			}
			typ, l := body[0], int(body[1])
			if len(body) < 2+l {
				return CallerIDMessage{}, fmt.Errorf("callerid: MDMF parameter %#x of length %d overruns the message", typ, l)
			}
			v := body[2 : 2+l]
			body = body[2+l:]
			switch typ {
			case parDateTime:
				if l == 8 {
					m.Time, m.HasTime = parseTime(v)
				}
			case parNumber:
				s, err := printable("number", v)
				if err != nil {
					return CallerIDMessage{}, err
				}
				m.Number = s
			case parName:
				s, err := printable("name", v)
				if err != nil {
					return CallerIDMessage{}, err
				}
				m.Name = s
			case parNumberAbsent, parNameAbsent:
				if l != 1 || (v[0] != 'P' && v[0] != 'O') {
					return CallerIDMessage{}, fmt.Errorf("callerid: absence reason % x is neither 'P' nor 'O'", v)
				}
				if typ == parNumberAbsent {
					m.NumberAbsent = v[0]
				} else {
					m.NameAbsent = v[0]
				}
			case parVisualInd:
				if l != 1 {
					return CallerIDMessage{}, fmt.Errorf("callerid: visual indicator of %d bytes, want 1", l)
				}
				m.HasMessageWaiting = true
				m.MessageWaiting = v[0] != 0
			}
		}
		if b[0] == msgMDMFMWI && !m.HasMessageWaiting {
			return CallerIDMessage{}, errors.New("callerid: message-waiting message without a visual indicator")
		}
		return m, nil
	}
	return m, fmt.Errorf("callerid: unknown message type %#x", b[0])
}

func parseTime(v []byte) (time.Time, bool) {
	var d [4]int
	for i := range d {
		hi, lo := v[2*i], v[2*i+1]
		if hi < '0' || hi > '9' || lo < '0' || lo > '9' {
			return time.Time{}, false
		}
		d[i] = int(hi-'0')*10 + int(lo-'0')
	}
	mo, day, h, mi := d[0], d[1], d[2], d[3]
	if mo < 1 || mo > 12 || day < 1 || day > 31 || h > 23 || mi > 59 {
		return time.Time{}, false
	}
	t := time.Date(0, time.Month(mo), day, h, mi, 0, 0, time.UTC)
	if t.Day() != day { // 31 April and the like
		return time.Time{}, false
	}
	return t, true
}

func printable(what string, v []byte) (string, error) {
	for i, c := range v {
		if c < 0x20 || c > 0x7E {
			return "", fmt.Errorf("callerid: %s byte %#x at %d is not printable ASCII", what, c, i)
		}
	}
	return string(v), nil
}

// EncodeDTMFCallerID renders m in the common DTMF caller ID form
// "A<number>C" (ETSI EN 300 659 annex / ES 200 778-1 style, used in
// Scandinavia, the Netherlands, Russia, India and others). An absent
// number is "B00C" (unavailable) or "B10C" (private). Only digits can be
// sent this way, so a number with '+', '*' or '#' is refused; names and
// dates have no DTMF form and are ignored.
func EncodeDTMFCallerID(m CallerIDMessage) (string, error) {
	switch m.NumberAbsent {
	case 'O':
		return "B00C", nil
	case 'P':
		return "B10C", nil
	case 0:
	default:
		return "", fmt.Errorf("callerid: number absence reason %q: want 'P' or 'O'", m.NumberAbsent)
	}
	if m.Number == "" {
		return "", errors.New("callerid: DTMF caller ID needs a number or an absence reason")
	}
	if len(m.Number) > maxMDMFNumber {
		return "", fmt.Errorf("callerid: number of %d digits exceeds %d", len(m.Number), maxMDMFNumber)
	}
	for i := 0; i < len(m.Number); i++ {
		if c := m.Number[i]; c < '0' || c > '9' {
			return "", fmt.Errorf("callerid: number %q: DTMF caller ID carries digits only", m.Number)
		}
	}
	return "A" + m.Number + "C", nil
}

// ParseDTMFCallerID decodes a DTMF caller ID digit string as collected by
// the DTMF receiver between the line reversal (or first ring) and the
// ring. Accepted: "A<digits>C", "D<digits>C" (the start digit varies by
// country), the terminator also as '#' or missing; "B<2 digits>C" for an
// absent number with code 00 = unavailable ('O') and 10 = private ('P')
// (other codes read as unavailable); and "D1C"/"D2C"/"D3C" as some
// exchanges send for private/unavailable. Lower-case letters are accepted.
func ParseDTMFCallerID(digits string) (CallerIDMessage, error) {
	var m CallerIDMessage
	s := strings.ToUpper(digits)
	if len(s) < 2 {
		return m, fmt.Errorf("callerid: DTMF caller ID %q is too short", digits)
	}
	start := s[0]
	body := s[1:]
	if end := body[len(body)-1]; end == 'C' || end == '#' {
		body = body[:len(body)-1]
	}
	if body == "" {
		return m, fmt.Errorf("callerid: DTMF caller ID %q has no digits", digits)
	}
	for i := 0; i < len(body); i++ {
		if c := body[i]; c < '0' || c > '9' {
			return m, fmt.Errorf("callerid: DTMF caller ID %q: unexpected %q inside the number", digits, c)
		}
	}
	switch start {
	case 'A', 'D':
		if start == 'D' && len(body) == 1 {
			// Single-digit D codes are absence indications, not numbers.
			switch body {
			case "1":
				m.NumberAbsent = 'P'
			default:
				m.NumberAbsent = 'O'
			}
			return m, nil
		}
		if len(body) > maxMDMFNumber {
			return m, fmt.Errorf("callerid: DTMF caller ID number of %d digits exceeds %d", len(body), maxMDMFNumber)
		}
		m.Number = body
		return m, nil
	case 'B':
		if len(body) != 2 {
			return m, fmt.Errorf("callerid: DTMF absence code %q: want two digits", body)
		}
		m.NumberAbsent = 'O'
		if body == "10" {
			m.NumberAbsent = 'P'
		}
		return m, nil
	}
	return m, fmt.Errorf("callerid: DTMF caller ID %q does not start with A, B or D", digits)
}
