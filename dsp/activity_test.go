package dsp_test

import (
	"math"
	"testing"

	"minipbx/dsp"
	"minipbx/telephony/prompts"
)

// hum is mains hum as a long loop picks it up: 50 Hz and its odd
// harmonics (a transformer's), with the 150 Hz strongest, at about
// levelDBm0 in all.
func hum(n int, levelDBm0 float64) []int16 {
	amp := dsp.DBm0ToPeak(levelDBm0) / math.Sqrt(1+0.5*0.5+0.25*0.25)
	out := make([]int16, n)
	for i := range out {
		x := float64(i) / 8000
		v := 0.5*math.Sin(2*math.Pi*50*x) + math.Sin(2*math.Pi*150*x+1) + 0.25*math.Sin(2*math.Pi*250*x+2)
		out[i] = int16(amp * v)
	}
	return out
}

func mix(a, b []int16) []int16 {
	out := make([]int16, max(len(a), len(b)))
	for i := range out {
		var v int32
		if i < len(a) {
			v += int32(a[i])
		}
		if i < len(b) {
			v += int32(b[i])
		}
		out[i] = int16(max(-32768, min(32767, v)))
	}
	return out
}

// activeFrames runs d over s and returns, per frame, whether it was active.
func activeFrames(d *dsp.ActivityDetector, s []int16) []bool {
	var out []bool
	for i := 0; i+160 <= len(s); i += 160 {
		out = append(out, d.Active(s[i:i+160]))
	}
	return out
}

func count(b []bool) (n int) {
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// The point of the detector: a caller speaking over a humming line is
// heard as speech, and the hum alone becomes silence within a few seconds,
// so a voicemail recording ends after the caller stops instead of running
// to its limit.
func TestActivityHumBecomesSilence(t *testing.T) {
	speech, err := prompts.Builtin("vm-unavailable")
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []float64{-45, -40, -35} {
		d := dsp.NewActivityDetector(-45)
		// 3 s of hum alone, the sentence over the hum, then 10 s of hum.
		lead := hum(3*8000, level)
		talk := mix(speech, hum(len(speech), level))
		tail := hum(10*8000, level)
		a := activeFrames(d, lead)
		learnt := len(a)
		for learnt > 0 && !a[learnt-1] {
			learnt--
		}
		if first := count(a[len(a)-50:]); first > 0 {
			t.Errorf("hum at %.0f dBm0: %d of the lead's last 50 frames still active after 2 s", level, first)
		}
		b := activeFrames(d, talk)
		speechFrames := count(activeFrames(dsp.NewActivityDetector(-45), speech))
		t.Logf("hum at %.0f dBm0: silence after %d ms; %d of the sentence's %d active frames kept over it",
			level, learnt*20, count(b), speechFrames)
		if got := count(b); got < speechFrames*8/10 {
			t.Errorf("hum at %.0f dBm0: %d frames of the sentence active over the hum, %d without it: speech lost", level, got, speechFrames)
		}
		c := activeFrames(d, tail)
		if late := count(c[100:]); late > 0 {
			t.Errorf("hum at %.0f dBm0: %d frames active 2 s and more after the sentence ended (floor %.1f dBm0)", level, late, d.NoiseFloor())
		}
	}
}

// A quiet line changes nothing: the sentence is active, its pauses and
// the silence are not; a loud steady tone (a test tone, a caller's music)
// stays active however long it lasts; digital silence is never active.
func TestActivityQuietLineAndSteadyTones(t *testing.T) {
	speech, err := prompts.Builtin("vm-unavailable")
	if err != nil {
		t.Fatal(err)
	}
	d := dsp.NewActivityDetector(-45)
	a := activeFrames(d, speech)
	if n := count(a); n < len(a)/3 || n == len(a) {
		t.Errorf("%d of %d frames of a spoken sentence active: want its words, not its pauses", n, len(a))
	}
	tone := make([]int16, 20*8000)
	for i := range tone {
		tone[i] = int16(dsp.DBm0ToPeak(-15) * math.Sin(2*math.Pi*1000*float64(i)/8000))
	}
	if n, all := count(activeFrames(d, tone)), len(tone)/160; n != all {
		t.Errorf("a 20 s tone at -15 dBm0: %d of %d frames active", n, all)
	}
	if count(activeFrames(d, make([]int16, 8000))) != 0 {
		t.Error("digital silence active")
	}
	if l := dsp.FrameLevel(tone[:160]); math.Abs(l+15) > 0.1 {
		t.Errorf("FrameLevel of a -15 dBm0 sine: %.2f", l)
	}
}

func BenchmarkActivityDetector(b *testing.B) {
	d := dsp.NewActivityDetector(-45)
	f := hum(160, -40)
	b.ReportAllocs()
	for b.Loop() {
		d.Active(f)
	}
}
