package modem

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/zaf/g711"
)

// Encoding is how the modem's voice samples are coded (AT+VSM).
type Encoding int

const (
	EncULaw      Encoding = iota + 1 // G.711 μ-law, 8 bits
	EncALaw                          // G.711 A-law, 8 bits
	EncUnsigned8                     // linear, 8 bits, offset binary (0x80 = 0)
	EncSigned8                       // linear, 8 bits, two's complement
	EncSigned16                      // linear, 16 bits, two's complement, little-endian
)

func (e Encoding) String() string {
	switch e {
	case EncULaw:
		return "ulaw"
	case EncALaw:
		return "alaw"
	case EncUnsigned8:
		return "unsigned8"
	case EncSigned8:
		return "signed8"
	case EncSigned16:
		return "signed16le"
	}
	return fmt.Sprintf("encoding(%d)", int(e))
}

// BytesPerSample is the size of one coded sample.
func (e Encoding) BytesPerSample() int {
	if e == EncSigned16 {
		return 2
	}
	return 1
}

// Format is one entry of the modem's AT+VSM=? list.
type Format struct {
	CML      int    // compression method number to send in AT+VSM=<cml>,8000
	Name     string // as the modem names it
	Bits     int    // bits per sample
	Encoding Encoding
	Rates    []int // sampling rates the modem lists (nil: none listed)
}

func (f Format) supports8k() bool {
	if f.Rates == nil {
		return true
	}
	for _, r := range f.Rates {
		if r == 8000 {
			return true
		}
	}
	return false
}

// classify recognises a format name; 0 when it is something we cannot
// decode (ADPCM and other compressed formats).
func classify(name string, bits int) Encoding {
	n := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "_", "", ".", "").Replace(name))
	switch {
	case strings.Contains(n, "ADPCM") || strings.Contains(n, "GSM") || strings.Contains(n, "CELP"):
		return 0
	case bits == 8 && (strings.Contains(n, "711U") || strings.Contains(n, "ULAW") || strings.Contains(n, "MULAW")):
		return EncULaw
	case bits == 8 && (strings.Contains(n, "711A") || strings.Contains(n, "ALAW")):
		return EncALaw
	case bits == 16 && (strings.Contains(n, "LINEAR") || strings.Contains(n, "SIGNEDPCM") && !strings.Contains(n, "UNSIGNED")):
		return EncSigned16
	case bits == 8 && (strings.Contains(n, "UNSIGNEDPCM") || strings.Contains(n, "8BITLINEAR")):
		return EncUnsigned8
	case bits == 8 && strings.Contains(n, "SIGNEDPCM"):
		return EncSigned8
	}
	return 0
}

// ErrNoFormat means the modem offers no 8 kHz format this driver can code.
var ErrNoFormat = errors.New("modem: no usable 8 kHz voice format")

// ParseFormats parses the information lines of AT+VSM=?, each like
//
//	4,"G711U",8,0,(8000),(0),(0)
//	128,"8-BIT LINEAR",8,0,(7200,8000,11025),(0),(0)
//	130,"UNSIGNED PCM",8,0,(7200-11025),(0),(0)
//
// Lines that do not parse are skipped (modems print headers and blank
// lines); formats it cannot decode keep Encoding 0.
func ParseFormats(lines []string) []Format {
	var out []Format
	for _, l := range lines {
		if f, ok := parseFormat(l); ok {
			out = append(out, f)
		}
	}
	return out
}

func parseFormat(l string) (Format, bool) {
	fields := splitTop(strings.TrimSpace(l))
	if len(fields) < 3 || len(fields) > 16 {
		return Format{}, false
	}
	cml, err := strconv.Atoi(strings.TrimSpace(fields[0]))
	if err != nil || cml < 0 || cml > 255 {
		return Format{}, false
	}
	name := strings.TrimSpace(fields[1])
	if len(name) < 2 || name[0] != '"' || name[len(name)-1] != '"' || len(name) > 42 {
		return Format{}, false
	}
	name = name[1 : len(name)-1]
	bits, err := strconv.Atoi(strings.TrimSpace(fields[2]))
	if err != nil || bits < 1 || bits > 32 {
		return Format{}, false
	}
	f := Format{CML: cml, Name: name, Bits: bits, Encoding: classify(name, bits)}
	if len(fields) >= 5 {
		f.Rates = parseRates(fields[4])
	}
	return f, true
}

// splitTop splits on commas that are not inside quotes or parentheses.
func splitTop(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parseRates parses "(7200,8000,11025)", "(8000)", "(7200-11025)" or a bare
// "8000". Ranges contribute 8000 when they include it. Unparsable → nil.
func parseRates(s string) []int {
	s = strings.Trim(strings.TrimSpace(s), "()")
	var rates []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if lo, hi, ok := strings.Cut(part, "-"); ok {
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil {
				return nil
			}
			if a <= 8000 && 8000 <= b {
				rates = append(rates, 8000)
			} else {
				rates = append(rates, a)
			}
			continue
		}
		r, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		rates = append(rates, r)
	}
	return rates
}

// ChooseFormat picks the format to use. G.711 comes first — it is 8 bits
// and loses nothing the telephone line had — with prefer (EncULaw or
// EncALaw) ahead of the other law; then, when allow16, 16-bit linear (it
// needs twice the serial bandwidth: 115200 baud cannot carry 16 kB/s each
// way, so it is allowed only on faster links); then 8-bit linear. prefer
// EncSigned16 (with allow16) puts 16-bit linear first.
func ChooseFormat(fs []Format, prefer Encoding, allow16 bool) (Format, error) {
	laws := []Encoding{EncULaw, EncALaw}
	if prefer == EncALaw {
		laws = []Encoding{EncALaw, EncULaw}
	}
	var order []Encoding
	switch {
	case allow16 && prefer == EncSigned16:
		order = append(append([]Encoding{EncSigned16}, laws...), EncUnsigned8, EncSigned8)
	case allow16:
		order = append(laws, EncSigned16, EncUnsigned8, EncSigned8)
	default:
		order = append(laws, EncUnsigned8, EncSigned8)
	}
	for _, e := range order {
		for _, f := range fs {
			if f.Encoding == e && f.supports8k() {
				return f, nil
			}
		}
	}
	return Format{}, ErrNoFormat
}

// decodeSample decodes one 8-bit sample.
func decodeSample(e Encoding, b byte) int16 {
	switch e {
	case EncULaw:
		return g711.DecodeUlawFrame(b)
	case EncALaw:
		return g711.DecodeAlawFrame(b)
	case EncUnsigned8:
		return int16(int(b)-128) << 8
	case EncSigned8:
		return int16(int8(b)) << 8
	}
	return 0
}

// encodeSample appends the coding of s to dst.
func encodeSample(e Encoding, dst []byte, s int16) []byte {
	switch e {
	case EncULaw:
		return append(dst, g711.EncodeUlawFrame(s))
	case EncALaw:
		return append(dst, g711.EncodeAlawFrame(s))
	case EncUnsigned8:
		return append(dst, byte(int(s>>8)+128))
	case EncSigned8:
		return append(dst, byte(int8(s>>8)))
	case EncSigned16:
		return append(dst, byte(s), byte(uint16(s)>>8))
	}
	return dst
}
