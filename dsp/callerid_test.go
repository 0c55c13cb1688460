package dsp

import (
	"errors"
	"testing"
	"time"
)

var cidTime = time.Date(0, 12, 31, 23, 59, 0, 0, time.UTC)

// callerIDCases covers every message format and parameter.
var callerIDCases = []struct {
	name string
	m    CallerIDMessage
}{
	{"sdmf number", CallerIDMessage{Time: cidTime, HasTime: true, Number: "5551234567"}},
	{"sdmf private", CallerIDMessage{Time: cidTime, HasTime: true, NumberAbsent: 'P'}},
	{"sdmf unavailable", CallerIDMessage{Time: cidTime, HasTime: true, NumberAbsent: 'O'}},
	{"sdmf vmwi on", CallerIDMessage{HasMessageWaiting: true, MessageWaiting: true}},
	{"sdmf vmwi off", CallerIDMessage{HasMessageWaiting: true}},
	{"mdmf full", CallerIDMessage{Time: cidTime, HasTime: true, Number: "+74951234567", Name: "Ivan Petrov", MDMF: true}},
	{"mdmf number only", CallerIDMessage{Number: "101", MDMF: true}},
	{"mdmf name only", CallerIDMessage{Name: "RECEPTION", MDMF: true}},
	{"mdmf time only", CallerIDMessage{Time: time.Date(0, 2, 29, 0, 0, 0, 0, time.UTC), HasTime: true, MDMF: true}},
	{"mdmf number private", CallerIDMessage{Time: cidTime, HasTime: true, NumberAbsent: 'P', NameAbsent: 'P', MDMF: true}},
	{"mdmf number unavailable", CallerIDMessage{NumberAbsent: 'O', NameAbsent: 'O', MDMF: true}},
	{"mdmf number with name absent", CallerIDMessage{Number: "88001234567", NameAbsent: 'P', MDMF: true}},
	{"mdmf mwi on", CallerIDMessage{HasMessageWaiting: true, MessageWaiting: true, MDMF: true}},
	{"mdmf mwi off with time", CallerIDMessage{Time: cidTime, HasTime: true, HasMessageWaiting: true, MDMF: true}},
	{"mdmf max fields", CallerIDMessage{Number: "12345678901234567890", Name: "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWX", MDMF: true}},
}

func TestCallerIDEncodeParse(t *testing.T) {
	for _, c := range callerIDCases {
		t.Run(c.name, func(t *testing.T) {
			b, err := EncodeCallerID(c.m)
			if err != nil {
				t.Fatal(err)
			}
			var sum byte
			for _, x := range b {
				sum += x
			}
			if sum != 0 {
				t.Fatalf("bytes % x do not sum to 0 mod 256", b)
			}
			got, err := ParseCallerID(b)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.m {
				t.Fatalf("got %+v want %+v", got, c.m)
			}
			// Every single-byte corruption must be rejected.
			for i := range b {
				bad := append([]byte(nil), b...)
				bad[i] ^= 0x10
				if m, err := ParseCallerID(bad); err == nil && i >= 2 {
					t.Fatalf("corrupted byte %d accepted: %+v", i, m)
				}
			}
		})
	}
}

// TestCallerIDKnownBytes checks encoding against hand-assembled
// messages from the standards' layouts.
func TestCallerIDKnownBytes(t *testing.T) {
	m := CallerIDMessage{Time: time.Date(0, 1, 2, 3, 4, 0, 0, time.UTC), HasTime: true, Number: "123"}
	b, _ := EncodeCallerID(m)
	want := []byte{0x04, 11, '0', '1', '0', '2', '0', '3', '0', '4', '1', '2', '3'}
	var s byte
	for _, x := range want {
		s += x
	}
	want = append(want, -s)
	if string(b) != string(want) {
		t.Fatalf("SDMF % x want % x", b, want)
	}
	m = CallerIDMessage{Number: "12", Name: "AB", MDMF: true}
	b, _ = EncodeCallerID(m)
	want = []byte{0x80, 8, 0x02, 2, '1', '2', 0x07, 2, 'A', 'B'}
	s = 0
	for _, x := range want {
		s += x
	}
	want = append(want, -s)
	if string(b) != string(want) {
		t.Fatalf("MDMF % x want % x", b, want)
	}
}

func TestCallerIDRejects(t *testing.T) {
	good, _ := EncodeCallerID(CallerIDMessage{Number: "123", MDMF: true})
	badSum := append([]byte(nil), good...)
	badSum[len(badSum)-1]++
	if _, err := ParseCallerID(badSum); !errors.Is(err, ErrCallerIDChecksum) {
		t.Fatalf("bad checksum: %v", err)
	}
	withSum := func(b ...byte) []byte {
		var s byte
		for _, x := range b {
			s += x
		}
		return append(b, -s)
	}
	for name, b := range map[string][]byte{
		"empty":             nil,
		"truncated":         good[:len(good)-2],
		"unknown type":      withSum(0x33, 1, 'x'),
		"param overrun":     withSum(0x80, 3, 0x02, 5, '1'),
		"param header half": withSum(0x80, 1, 0x02),
		"bad absence":       withSum(0x80, 3, 0x04, 1, 'X'),
		"control in name":   withSum(0x80, 3, 0x07, 1, 0x07),
		"sdmf short":        withSum(0x04, 3, '0', '1', '0'),
		"vmwi bad code":     withSum(0x06, 3, 0x42, 0x6F, 0x42),
		"mwi without ind":   withSum(0x82, 3, 0x02, 1, '1'),
	} {
		if m, err := ParseCallerID(b); err == nil {
			t.Errorf("%s: accepted as %+v", name, m)
		}
	}
	// Unknown MDMF parameters are skipped, an invalid date is dropped.
	m, err := ParseCallerID(withSum(0x80, 16, 0x01, 8, '1', '3', '0', '1', '0', '0', '0', '0', 0x55, 1, 'z', 0x02, 1, '7'))
	if err != nil || m.HasTime || m.Number != "7" {
		t.Fatalf("lenient parse: %+v %v", m, err)
	}
	for name, m := range map[string]CallerIDMessage{
		"sdmf name":         {Time: cidTime, HasTime: true, Number: "1", Name: "x"},
		"sdmf no time":      {Number: "1"},
		"sdmf long number":  {Time: cidTime, HasTime: true, Number: "12345678901"},
		"mdmf long number":  {Number: "123456789012345678901", MDMF: true},
		"bad absent":        {NumberAbsent: 'X', MDMF: true},
		"number and absent": {Number: "1", NumberAbsent: 'P', MDMF: true},
		"letters":           {Number: "12a", MDMF: true},
		"empty":             {MDMF: true},
		"sdmf vmwi number":  {HasMessageWaiting: true, Number: "1"},
		"name control":      {Name: "a\nb", MDMF: true},
	} {
		if b, err := EncodeCallerID(m); err == nil {
			t.Errorf("%s: encoded as % x", name, b)
		}
	}
}

func TestDTMFCallerID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want CallerIDMessage
		ok   bool
	}{
		{"A5551234C", CallerIDMessage{Number: "5551234"}, true},
		{"D5551234C", CallerIDMessage{Number: "5551234"}, true},
		{"a5551234#", CallerIDMessage{Number: "5551234"}, true},
		{"A5551234", CallerIDMessage{Number: "5551234"}, true},
		{"B00C", CallerIDMessage{NumberAbsent: 'O'}, true},
		{"B10C", CallerIDMessage{NumberAbsent: 'P'}, true},
		{"D1C", CallerIDMessage{NumberAbsent: 'P'}, true},
		{"D3C", CallerIDMessage{NumberAbsent: 'O'}, true},
		{"", CallerIDMessage{}, false},
		{"AC", CallerIDMessage{}, false},
		{"5551234", CallerIDMessage{}, false},
		{"A55B1C", CallerIDMessage{}, false},
		{"B1C", CallerIDMessage{}, false},
		{"A123456789012345678901C", CallerIDMessage{}, false},
	} {
		got, err := ParseDTMFCallerID(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%q: got %+v, %v", c.in, got, err)
		}
	}
	for _, m := range []CallerIDMessage{{Number: "0123456789"}, {NumberAbsent: 'P'}, {NumberAbsent: 'O'}} {
		s, err := EncodeDTMFCallerID(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseDTMFCallerID(s)
		if err != nil || got != m {
			t.Fatalf("%+v → %q → %+v %v", m, s, got, err)
		}
	}
	for _, m := range []CallerIDMessage{{}, {Number: "+7"}, {NumberAbsent: 'Z'}} {
		if s, err := EncodeDTMFCallerID(m); err == nil {
			t.Errorf("%+v encoded as %q", m, s)
		}
	}
}

// TestDTMFCallerIDOverTheAir sends DTMF caller ID as tones (the DTMF
// generator, at caller ID timing of 70 ms on / 70 ms off and a weaker
// line level) and decodes it with the DTMF receiver and
// ParseDTMFCallerID, as an FXO port does between the line reversal and
// the first ring.
func TestDTMFCallerIDOverTheAir(t *testing.T) {
	for _, m := range []CallerIDMessage{{Number: "84951234567"}, {Number: "0"}, {NumberAbsent: 'P'}, {NumberAbsent: 'O'}} {
		s, err := EncodeDTMFCallerID(m)
		if err != nil {
			t.Fatal(err)
		}
		g := NewDTMFGenerator(DTMFGenConfig{LevelDBm0: -12, On: 70 * time.Millisecond, Off: 70 * time.Millisecond})
		if err := g.Queue(s); err != nil {
			t.Fatal(err)
		}
		det := NewDTMFDetector()
		var digits []byte
		f := make([]int16, 160)
		for i := 0; i < 200 && (g.Busy() || i < 10); i++ {
			g.Read(f)
			for _, ev := range det.Process(f) {
				digits = append(digits, ev.Digit)
			}
		}
		got, err := ParseDTMFCallerID(string(digits))
		if err != nil || got != m {
			t.Errorf("%+v → %q → heard %q → %+v, %v", m, s, digits, got, err)
		}
	}
}
