package dsp

import (
	"math"
	"testing"
)

// voiced returns a speech-like voiced signal with the given pitch period
// (in samples, may be fractional): a pulse train through two resonances.
func voiced(n int, period float64, amp float64) []int16 {
	out := make([]int16, n)
	f1 := biquadResonator(700, 0.97)
	f2 := biquadResonator(1200, 0.95)
	next := 0.0
	var peak float64
	tmp := make([]float64, n)
	for i := range tmp {
		x := 0.0
		if float64(i) >= next {
			x = 1
			next += period
		}
		tmp[i] = f1.step(x) + 0.5*f2.step(x)
		peak = max(peak, math.Abs(tmp[i]))
	}
	for i, v := range tmp {
		out[i] = int16(v / peak * amp)
	}
	return out
}

func biquadResonator(f, r float64) *biquad {
	w := 2 * math.Pi * f / 8000
	return &biquad{b0: 1, a1: -2 * r * math.Cos(w), a2: r * r}
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(x), 1)))
}

func TestFindPitch(t *testing.T) {
	for _, period := range []float64{40, 57, 80, 100, 119} {
		sig := voiced(plcHistLen+400, period, 10000)
		var h [plcHistLen]float32
		for i := range h {
			h[i] = float32(sig[400+i])
		}
		if got := findPitch(&h); math.Abs(float64(got)-period) > 1 {
			t.Errorf("period %v: found %d", period, got)
		}
	}
}

func TestPLCConcealment(t *testing.T) {
	for _, c := range []struct {
		name string
		sig  []int16
	}{
		{"sine 200 Hz", sineN(8000, 200, 10000)},
		{"voiced 125 Hz", voiced(8000, 64, 10000)},
		{"voiced 91 Hz", voiced(8000, 88, 10000)},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := NewPLC()
			frame := make([]int16, 160)
			lossAt := 160 * 25
			for i := 0; i < lossAt; i += 160 {
				copy(frame, c.sig[i:i+160])
				p.Good(frame)
			}
			// Lose 5 frames (100 ms).
			out := make([]int16, 5*160)
			for k := 0; k < 5; k++ {
				p.Conceal(out[k*160 : (k+1)*160])
			}
			truth := c.sig[lossAt : lossAt+len(out)]
			// The first 10 ms follow the true waveform closely.
			var e, s float64
			for i := 0; i < 80; i++ {
				d := float64(out[i]) - float64(truth[i])
				e += d * d
				s += float64(truth[i]) * float64(truth[i])
			}
			if snr := 10 * math.Log10(s/e); snr < 15 {
				t.Errorf("first 10 ms: SNR %.1f dB against the true signal", snr)
			}
			// Continuity at the start: no step larger than the signal's
			// own largest sample-to-sample change.
			maxStep := 0.0
			for i := 1; i < lossAt; i++ {
				maxStep = max(maxStep, math.Abs(float64(c.sig[i])-float64(c.sig[i-1])))
			}
			if step := math.Abs(float64(out[0]) - float64(c.sig[lossAt-1])); step > 1.2*maxStep {
				t.Errorf("step into concealment %v > %v", step, maxStep)
			}
			for i := 1; i < 480; i++ {
				if step := math.Abs(float64(out[i]) - float64(out[i-1])); step > 1.3*maxStep {
					t.Errorf("step inside concealment at %d: %v > %v", i, step, maxStep)
					break
				}
			}
			// Level: full for 10 ms, then falling 20% per 10 ms, silent from 60 ms.
			ref := rms(c.sig[lossAt-160 : lossAt])
			lv := func(a, b int) float64 { return rms(out[a:b]) / ref }
			if l := lv(0, 80); l < 0.8 || l > 1.25 {
				t.Errorf("0–10 ms level %.2f", l)
			}
			for seg := 1; seg < 6; seg++ {
				want := 1 - 0.2*(float64(seg)-0.5) // mean gain over the segment, roughly
				if l := lv(seg*80, seg*80+80); math.Abs(l-want) > 0.15 {
					t.Errorf("%d–%d ms level %.2f, want about %.2f", seg*10, seg*10+10, l, want)
				}
			}
			for i := 480; i < len(out); i++ {
				if out[i] != 0 {
					t.Fatalf("sample %d (%.1f ms) = %d after 60 ms", i, float64(i)/8, out[i])
				}
			}
		})
	}
}

func TestPLCResume(t *testing.T) {
	sig := voiced(8000, 64, 10000)
	p := NewPLC()
	frame := make([]int16, 160)
	var played []int16
	for i := 0; i+160 <= len(sig); i += 160 {
		copy(frame, sig[i:i+160])
		if n := i / 160; n == 20 { // one lost frame
			p.Conceal(frame)
		} else {
			p.Good(frame)
		}
		played = append(played, frame...)
	}
	// The resumed frame is a cross-fade: its first sample is close to the
	// last concealed one and after the 8 ms overlap it is the real signal.
	maxStep := 0.0
	for i := 1; i < len(sig); i++ {
		maxStep = max(maxStep, math.Abs(float64(sig[i])-float64(sig[i-1])))
	}
	b := 21 * 160
	if step := math.Abs(float64(played[b]) - float64(played[b-1])); step > 1.2*maxStep {
		t.Errorf("step at resume %v > %v", step, maxStep)
	}
	for i := b + 64; i < b+160; i++ {
		if played[i] != sig[i] {
			t.Fatalf("sample %d after the overlap: %d, want %d", i-b, played[i], sig[i])
		}
	}
	if played[b+10] == sig[b+10] && played[b+20] == sig[b+20] {
		t.Error("no cross-fade at resume")
	}
}

func TestPLCNoHistory(t *testing.T) {
	p := NewPLC()
	out := []int16{1, 2, 3}
	p.Conceal(out)
	if out[0] != 0 || out[2] != 0 {
		t.Fatal("concealment without history is not silence")
	}
	p.Good(make([]int16, 160))
}

func TestPLCAllocs(t *testing.T) {
	p := NewPLC()
	sig := voiced(800, 64, 10000)
	f := make([]int16, 160)
	i := 0
	a := testing.AllocsPerRun(200, func() {
		copy(f, sig[(i%4)*160:])
		if i%3 == 0 {
			p.Conceal(f)
		} else {
			p.Good(f)
		}
		i++
	})
	if a != 0 {
		t.Fatalf("%v allocations per frame", a)
	}
}

func sineN(n int, f, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*f*float64(i)/8000))
	}
	return s
}

// BenchmarkPLC measures a stream losing every third frame (the cost of
// Good is a history update; of Conceal, the pitch search plus synthesis).
func BenchmarkPLC(b *testing.B) {
	sig := voiced(8000, 64, 10000)
	p := NewPLC()
	f := make([]int16, 160)
	i := 0
	cpuPerSample(b, 160, func() {
		copy(f, sig[(i%40)*160:])
		if i%3 == 2 {
			p.Conceal(f)
		} else {
			p.Good(f)
		}
		i++
	})
}

func BenchmarkPLCConceal(b *testing.B) {
	sig := voiced(8000, 64, 10000)
	f := make([]int16, 160)
	p := NewPLC()
	for i := 0; i < 10; i++ {
		copy(f, sig[i*160:])
		p.Good(f)
	}
	cpuPerSample(b, 160, func() {
		// A fresh loss each time: pitch search + one 20 ms frame.
		p.lost, p.olaLen = 0, 0
		p.Conceal(f)
	})
}
