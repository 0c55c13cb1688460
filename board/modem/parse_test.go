package modem

import (
	"bytes"
	"slices"
	"testing"
)

func TestParseCallerIDLine(t *testing.T) {
	cases := []struct {
		line   string
		isCID  bool
		hasErr bool
		check  func(c CallerID) bool
	}{
		{"DATE = 0321", true, false, func(c CallerID) bool { return c.Month == 3 && c.Day == 21 && c.HasTime }},
		{"TIME=2359", true, false, func(c CallerID) bool { return c.Hour == 23 && c.Minute == 59 }},
		{"NMBR = 5551234", true, false, func(c CallerID) bool { return c.Number == "5551234" }},
		{"nmbr = +7 (495) 123-45-67", true, false, func(c CallerID) bool { return c.Number == "+7 (495) 123-45-67" }},
		{"DDN_NMBR= 0800123", true, false, func(c CallerID) bool { return c.Number == "0800123" }},
		{"NAME = O'BRIEN K", true, false, func(c CallerID) bool { return c.Name == "O'BRIEN K" }},
		{"NMBR = P", true, false, func(c CallerID) bool { return c.NumberAbsent == 'P' && c.Number == "" }},
		{"NAME = O", true, false, func(c CallerID) bool { return c.NameAbsent == 'O' }},
		{"NMBR=Private", true, false, func(c CallerID) bool { return c.NumberAbsent == 'P' }},
		{"MESG = 060342", true, false, func(c CallerID) bool { return c.Message == "060342" }},
		{"DATE = 1321", true, true, nil},
		{"DATE = 03", true, true, nil},
		{"DATE = +321", true, true, nil},
		{"TIME = 2460", true, true, nil},
		{"TIME = 12-3", true, true, nil},
		{"NMBR = 555;rm -rf", true, true, nil},
		{"NAME = \x01\x02", true, true, nil},
		{"NAME = " + string(bytes.Repeat([]byte{'A'}, 65)), true, true, nil},
		{"RING", false, false, nil},
		{"OK", false, false, nil},
		{"+VCID: 1", false, false, nil},
		{"FOO = BAR", false, false, nil},
	}
	for _, c := range cases {
		var cid CallerID
		cid.Number = "keep"
		isCID, err := ParseCallerIDLine(c.line, &cid)
		if isCID != c.isCID || (err != nil) != c.hasErr {
			t.Errorf("%q: isCID %v err %v", c.line, isCID, err)
			continue
		}
		if c.hasErr && cid.Number != "keep" {
			t.Errorf("%q: a rejected line changed the caller ID", c.line)
		}
		if c.check != nil && !c.check(cid) {
			t.Errorf("%q: got %+v", c.line, cid)
		}
	}
}

func FuzzParseCallerIDLine(f *testing.F) {
	for _, s := range []string{"DATE = 0321", "TIME=1405", "NMBR = 5551234", "NAME = SMITH", "NMBR = P", "MESG = 0A", "x=y", "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var c CallerID
		isCID, err := ParseCallerIDLine(line, &c)
		if !isCID && (err != nil || !c.Empty()) {
			t.Fatalf("non-caller-ID line changed state: %v %+v", err, c)
		}
		if err == nil && isCID {
			if len(c.Number) > maxField || len(c.Name) > maxField {
				t.Fatalf("oversized field accepted")
			}
			if c.Month > 12 || c.Day > 31 || c.Hour > 23 || c.Minute > 59 || c.Month < 0 {
				t.Fatalf("bad time accepted: %+v", c)
			}
		}
	})
}

func TestParseFormats(t *testing.T) {
	lines := []string{
		`0,"SIGNED PCM",8,0,(7200,8000,11025),(0),(0)`,
		`1,"UNSIGNED PCM",8,0,(7200-11025),(0),(0)`,
		`3,"IMA ADPCM",4,0,(8000),(0),(0)`,
		`4,"G711U",8,0,(8000),(0),(0)`,
		`5,"G.711 A-LAW",8,0,(8000),(0),(0)`,
		`128,"8-BIT LINEAR",8,0,(11025),(0),(0)`,
		`129,"16-BIT LINEAR",16,0,(8000),(0),(0)`,
		`garbage`,
		``,
		`x,"Y",8`,
	}
	fs := ParseFormats(lines)
	if len(fs) != 7 {
		t.Fatalf("%d formats: %+v", len(fs), fs)
	}
	wantEnc := []Encoding{EncSigned8, EncUnsigned8, 0, EncULaw, EncALaw, EncUnsigned8, EncSigned16}
	for i, f := range fs {
		if f.Encoding != wantEnc[i] {
			t.Errorf("%q: encoding %v, want %v", f.Name, f.Encoding, wantEnc[i])
		}
	}
	if !slices.Equal(fs[1].Rates, []int{8000}) || !slices.Equal(fs[0].Rates, []int{7200, 8000, 11025}) {
		t.Errorf("rates %v %v", fs[0].Rates, fs[1].Rates)
	}
	choose := []struct {
		prefer  Encoding
		allow16 bool
		cml     int
	}{
		{EncULaw, false, 4}, {EncALaw, false, 5}, {EncULaw, true, 4}, {EncSigned16, true, 129}, {EncSigned16, false, 4},
	}
	for _, c := range choose {
		f, err := ChooseFormat(fs, c.prefer, c.allow16)
		if err != nil || f.CML != c.cml {
			t.Errorf("ChooseFormat(%v, %v) = %d, %v; want %d", c.prefer, c.allow16, f.CML, err, c.cml)
		}
	}
	// Without G.711, 8-bit linear at 8 kHz (not the 11025-only 128).
	f, err := ChooseFormat(fs[:3], EncULaw, false)
	if err != nil || f.CML != 1 {
		t.Errorf("linear fallback: %d %v", f.CML, err)
	}
	if _, err := ChooseFormat(fs[2:3], EncULaw, true); err == nil {
		t.Error("ADPCM only: accepted")
	}
}

func FuzzParseFormats(f *testing.F) {
	f.Add(`4,"G711U",8,0,(8000),(0),(0)`)
	f.Add(`1,"UNSIGNED PCM",8,0,(7200-11025),(0),(0)`)
	f.Add(`,,,,,`)
	f.Fuzz(func(t *testing.T, line string) {
		for _, fm := range ParseFormats([]string{line}) {
			if fm.CML < 0 || fm.CML > 255 || fm.Bits < 1 || fm.Bits > 32 {
				t.Fatalf("out of range: %+v", fm)
			}
			if fm.Encoding == EncSigned16 && fm.Bits != 16 || fm.Encoding != 0 && fm.Encoding != EncSigned16 && fm.Bits != 8 {
				t.Fatalf("encoding %v with %d bits", fm.Encoding, fm.Bits)
			}
		}
	})
}

func TestShieldRoundTrip(t *testing.T) {
	data := []byte{0x00, DLE, DLE, ETX, 'R', DLE, 0xFF}
	s := shield(nil, data)
	if !bytes.Equal(s, []byte{0x00, DLE, DLE, DLE, DLE, ETX, 'R', DLE, DLE, 0xFF}) {
		t.Fatalf("shield: % X", s)
	}
	var u unshield
	var got []byte
	for _, b := range s { // a byte at a time: DLE split across reads
		var n int
		var ended bool
		got, n, ended = u.feed([]byte{b}, got, func(byte) { t.Fatal("event in data") })
		if n != 1 || ended {
			t.Fatal("stopped early")
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("unshield: % X", got)
	}
	var evs []byte
	got, n, ended := u.feed([]byte{1, DLE, 'b', 2, DLE, ETX, 'O', 'K'}, nil, func(c byte) { evs = append(evs, c) })
	if !bytes.Equal(got, []byte{1, 2}) || n != 6 || !ended || !bytes.Equal(evs, []byte{'b'}) {
		t.Fatalf("events: data % X n %d ended %v events %q", got, n, ended, evs)
	}
}

func FuzzUnshield(f *testing.F) {
	f.Add([]byte{DLE, DLE, 1, 2, DLE})
	f.Fuzz(func(t *testing.T, data []byte) {
		var u unshield
		got, n, ended := u.feed(shield(nil, data), nil, func(c byte) { t.Fatalf("event %q from shielded data", c) })
		if ended || !bytes.Equal(got, data) || n != len(shield(nil, data)) {
			t.Fatalf("round trip failed")
		}
		// Arbitrary input never panics and never consumes beyond itself.
		var v unshield
		_, n, _ = v.feed(data, nil, func(byte) {})
		if n > len(data) {
			t.Fatal("consumed too much")
		}
	})
}

func TestSampleCodecs(t *testing.T) {
	for _, e := range []Encoding{EncULaw, EncALaw, EncUnsigned8, EncSigned8, EncSigned16} {
		for _, s := range []int16{0, 1000, -1000, 32000, -32000} {
			b := encodeSample(e, nil, s)
			if len(b) != e.BytesPerSample() {
				t.Fatalf("%v: %d bytes", e, len(b))
			}
			var got int16
			if e == EncSigned16 {
				got = int16(uint16(b[0]) | uint16(b[1])<<8)
			} else {
				got = decodeSample(e, b[0])
			}
			diff := int(got) - int(s)
			if diff < 0 {
				diff = -diff
			}
			if diff > 1100 {
				t.Errorf("%v: %d → % X → %d", e, s, b, got)
			}
		}
	}
	if b := encodeSample(EncUnsigned8, nil, 0); b[0] != 0x80 {
		t.Errorf("unsigned zero = %#x", b[0])
	}
}
