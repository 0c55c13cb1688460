package dsp

import (
	"math"
	"testing"
	"time"
)

func TestParseToneSpec(t *testing.T) {
	ok := []struct {
		in, canon string
		parts     int
	}{
		{"425", "425", 1},
		{"425/330,0/330", "425/330,0/330", 2},
		{"350+440", "350+440", 1},
		{" !425/200 , !0/200,425 ", "!425/200,!0/200,425", 3},
		{"400*25/400,0/200", "400*25/400,0/200", 2},
		{"425.5/100", "425.5/100", 1},
	}
	for _, c := range ok {
		ts, err := ParseToneSpec(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if len(ts.Parts) != c.parts || ts.String() != c.canon {
			t.Errorf("%q: %d parts %q, want %d %q", c.in, len(ts.Parts), ts.String(), c.parts, c.canon)
		}
		again, err := ParseToneSpec(ts.String())
		if err != nil || again.String() != ts.String() {
			t.Errorf("%q: round trip %q %v", c.in, again.String(), err)
		}
	}
	bad := []string{"", ",", "abc", "425/", "425/x", "425/0", "-5", "5000", "425+", "0+440", "350+440+480",
		"425/99999999", "NaN", "425/-3", "!"}
	for _, s := range bad {
		if _, err := ParseToneSpec(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestTonePlayerCadence(t *testing.T) {
	ts, _ := ParseToneSpec("!1000/50,!0/50,425/100,0/200")
	p := NewTonePlayer(ts, -10)
	out := make([]int16, 8000)
	for i := 0; i < len(out); i += 160 {
		p.Read(out[i : i+160])
	}
	on := func(a, b int) bool {
		for _, v := range out[a:b] {
			if v != 0 {
				return true
			}
		}
		return false
	}
	// 0-400 once 1000 Hz, 400-800 silence, then 800-1600 on, 1600-3200 off, repeating.
	checks := []struct {
		a, b int
		on   bool
	}{{10, 390, true}, {410, 790, false}, {810, 1590, true}, {1610, 3190, false}, {3210, 3990, true}, {4010, 5590, false}}
	for _, c := range checks {
		if on(c.a, c.b) != c.on {
			t.Errorf("samples %d-%d: on=%v want %v", c.a, c.b, !c.on, c.on)
		}
	}
	if l := goertzelLevel(out[800:1600], 425); math.Abs(l+10) > 0.3 {
		t.Errorf("level %.2f dBm0, want -10", l)
	}
	if l := goertzelLevel(out[0:400], 1000); math.Abs(l+10) > 0.3 {
		t.Errorf("once part level %.2f dBm0, want -10", l)
	}
	p.Reset()
	first := make([]int16, 400)
	p.Read(first)
	if goertzelLevel(first, 1000) < -11 {
		t.Error("Reset did not restart at the first element")
	}
}

func TestZones(t *testing.T) {
	want := []string{"am", "by", "de", "fr", "it", "kg", "kz", "ru", "ua", "uk", "us"}
	codes := ZoneCodes()
	for _, w := range want {
		z, err := LookupZone(w)
		if err != nil {
			t.Fatalf("zone %s: %v", w, err)
		}
		if z.Dial.IsZero() || z.Busy.IsZero() || z.Ringback.IsZero() || z.Congestion.IsZero() ||
			z.CallWaiting.IsZero() || z.StutterDial.IsZero() || len(z.Ring) < 2 || z.Source == "" || z.Name == "" {
			t.Errorf("zone %s incomplete: %+v", w, z)
		}
		var total time.Duration
		for _, d := range z.Ring {
			total += d
		}
		if total < 3*time.Second || total > 7*time.Second {
			t.Errorf("zone %s ring period %v", w, total)
		}
		found := false
		for _, c := range codes {
			found = found || c == w
		}
		if !found {
			t.Errorf("ZoneCodes lacks %s", w)
		}
	}
	if _, err := LookupZone("xx"); err == nil {
		t.Error("unknown zone accepted")
	}
	if z, err := LookupZone("GB"); err != nil || z.Code != "uk" {
		t.Errorf("GB: %v %v", z.Code, err)
	}
}

func FuzzParseToneSpec(f *testing.F) {
	for _, s := range []string{"425", "425/330,0/330", "!350+440/100,!0/100,350+440", "400*25", "1e3/5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseToneSpec(s)
		if err != nil {
			return
		}
		again, err := ParseToneSpec(ts.String())
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, ts.String(), err)
		}
		if again.String() != ts.String() {
			t.Fatalf("%q: %q != %q", s, again.String(), ts.String())
		}
		p := NewTonePlayer(ts, -10)
		buf := make([]int16, 160)
		for range 3 {
			p.Read(buf)
		}
	})
}
