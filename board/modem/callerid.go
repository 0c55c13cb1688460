package modem

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CallerID is what the modem decoded from the line between the first and
// second ring (AT+VCID=1, formatted presentation).
type CallerID struct {
	Number, Name string
	// NumberAbsent and NameAbsent are 'P' (private, withheld) or 'O' (out of
	// area, unavailable) when the network sent a reason instead of a value.
	NumberAbsent, NameAbsent byte
	// Month, Day, Hour, Minute are the network's date and time, when sent.
	Month, Day, Hour, Minute int
	HasTime                  bool
	// Message is the MESG field some modems print for data they could not
	// classify (hex), kept for diagnostics.
	Message string
	// Received is when the first field arrived.
	Received time.Time
}

// Empty reports whether no field was received.
func (c *CallerID) Empty() bool {
	return c.Number == "" && c.Name == "" && c.NumberAbsent == 0 && c.NameAbsent == 0 && !c.HasTime && c.Message == ""
}

// maxField bounds a caller ID value; anything longer is garbage (the
// standards allow 20 digits and 15 characters of name).
const maxField = 64

// ParseCallerIDLine parses one line of a modem's formatted caller ID
// report — "DATE = 0321", "TIME=1405", "NMBR = 5551234", "NAME = SMITH J",
// "NMBR = P", "DDN_NMBR = …", "MESG = …" — into c. It reports whether the
// line was a caller ID line; a caller ID line with an invalid value returns
// an error and leaves c unchanged.
func ParseCallerIDLine(line string, c *CallerID) (bool, error) {
	key, val, ok := strings.Cut(line, "=")
	if !ok {
		return false, nil
	}
	key = strings.ToUpper(strings.TrimSpace(key))
	val = strings.TrimSpace(val)
	switch key {
	case "DATE", "TIME", "NMBR", "NAME", "DDN_NMBR", "DDN", "MESG", "CID":
	default:
		return false, nil
	}
	if len(val) > maxField {
		return true, fmt.Errorf("modem: caller ID %s: value of %d bytes", key, len(val))
	}
	for i := 0; i < len(val); i++ {
		if val[i] < 0x20 || val[i] > 0x7E {
			return true, fmt.Errorf("modem: caller ID %s: control or non-ASCII byte %#02x", key, val[i])
		}
	}
	switch key {
	case "DATE":
		m, d, err := twoPairs(val)
		if err != nil || m < 1 || m > 12 || d < 1 || d > 31 {
			return true, fmt.Errorf("modem: caller ID date %q: want MMDD", val)
		}
		c.Month, c.Day, c.HasTime = m, d, true
	case "TIME":
		h, mi, err := twoPairs(val)
		if err != nil || h > 23 || mi > 59 {
			return true, fmt.Errorf("modem: caller ID time %q: want hhmm", val)
		}
		c.Hour, c.Minute, c.HasTime = h, mi, true
	case "NMBR", "DDN_NMBR", "DDN", "CID":
		if a, ok := absent(val); ok {
			c.Number, c.NumberAbsent = "", a
			break
		}
		for i := 0; i < len(val); i++ {
			if !strings.ContainsRune("0123456789*#+-() ABCD", rune(val[i])) {
				return true, fmt.Errorf("modem: caller ID number %q: invalid character %q", val, val[i])
			}
		}
		c.Number, c.NumberAbsent = val, 0
	case "NAME":
		if a, ok := absent(val); ok {
			c.Name, c.NameAbsent = "", a
			break
		}
		c.Name, c.NameAbsent = val, 0
	case "MESG":
		c.Message = val
	}
	return true, nil
}

// absent recognises the one-letter reasons (and the words some modems
// print) for a withheld or unavailable value.
func absent(v string) (byte, bool) {
	switch strings.ToUpper(v) {
	case "P", "PRIVATE", "WITHHELD", "ANONYMOUS":
		return 'P', true
	case "O", "OUT OF AREA", "UNAVAILABLE", "UNKNOWN":
		return 'O', true
	}
	return 0, false
}

func twoPairs(v string) (int, int, error) {
	if len(v) != 4 {
		return 0, 0, fmt.Errorf("length %d", len(v))
	}
	a, err := strconv.Atoi(v[:2])
	if err != nil || v[0] == '+' || v[0] == '-' {
		return 0, 0, fmt.Errorf("not digits")
	}
	b, err := strconv.Atoi(v[2:])
	if err != nil || v[2] == '+' || v[2] == '-' {
		return 0, 0, fmt.Errorf("not digits")
	}
	return a, b, nil
}
