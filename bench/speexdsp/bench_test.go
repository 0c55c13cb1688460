//go:build spandsp && cgo

package speexdsp

import (
	"math"
	"math/rand/v2"
	"testing"

	"minipbx/bench/internal/sidebyside"
	"minipbx/dsp"
)

const taps = 1024 // 128 ms at 8 kHz

// farEnd returns seconds of a speech-like far-end signal at −15 dBm0
// while active: noise tilted towards the low frequencies, through a
// syllabic envelope (100–350 ms syllables, one in seven a pause).
func farEnd(seconds int, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]int16, seconds*8000)
	a := dsp.DBm0ToPeak(-15) / math.Sqrt2 // RMS of an active stretch
	var lp, env, target float64
	left := 0
	for i := range out {
		if left == 0 {
			left = 800 + r.IntN(2000)
			target = 0.4 + 0.6*r.Float64()
			if r.IntN(7) == 0 {
				target = 0
			}
		}
		left--
		env += (target - env) * 0.004
		lp = 0.8*lp + 0.6*r.NormFloat64() // about unit RMS
		out[i] = int16(max(-32768, min(32767, math.Round(a*env*lp))))
	}
	return out
}

// hybrid is an echo path: 5 ms of pure delay, then a decaying ringing
// response (a 2-wire hybrid's mismatch), scaled to an echo return loss of
// erl dB.
func hybrid(erl float64) []float64 {
	h := make([]float64, 40+120)
	var e float64
	for n := range 120 {
		v := math.Exp(-float64(n)/18) * math.Sin(2*math.Pi*0.11*float64(n)+0.4)
		h[40+n] = v
		e += v * v
	}
	g := math.Pow(10, -erl/20) / math.Sqrt(e)
	for n := range h {
		h[n] *= g
	}
	return h
}

// line returns what comes back from the line for far: the echo through
// h and noise at −65 dBm0, and the echo alone.
func line(far []int16, h []float64) (rx []int16, echo []float64) {
	r := rand.New(rand.NewPCG(9, 9))
	echo = make([]float64, len(far))
	rx = make([]int16, len(far))
	noise := dsp.DBm0ToPeak(-65) / math.Sqrt2
	for i := range far {
		var v float64
		for k, c := range h {
			if i-k >= 0 {
				v += c * float64(far[i-k])
			}
		}
		echo[i] = v
		rx[i] = int16(max(-32768, min(32767, math.Round(v+noise*r.NormFloat64()))))
	}
	return rx, echo
}

// erle is the echo return loss enhancement over [from, to): the echo's
// energy over what is left of it in out.
func erle(out []int16, rx []int16, echo []float64, from, to int) float64 {
	var e, r float64
	for i := from; i < to; i++ {
		e += echo[i] * echo[i]
		d := float64(out[i]) - (float64(rx[i]) - echo[i]) // residual echo: the output less the line noise
		r += d * d
	}
	return 10 * math.Log10(e/r)
}

// ours runs minipbx's linear canceller (NLP off) over rx and far in
// 20 ms frames.
func ours(ec *dsp.EchoCanceller, rx, far, out []int16) {
	for i := 0; i+Frame <= len(rx); i += Frame {
		ec.Process(rx[i:i+Frame], far[i:i+Frame], out[i:i+Frame])
	}
}

// TestERLEBesideSpeex runs both cancellers on the same 8 s of far-end
// signal and echo at ERL 6, 10 and 20 dB, and logs the ERLE of each over
// 0.5–1 s (convergence) and over 4–8 s (steady state). Ours must converge
// to at least 30 dB and reach in steady state at least what speexdsp
// reaches: it is the canceller the issue wants measured against a peer.
func TestERLEBesideSpeex(t *testing.T) {
	far := farEnd(8, 1)
	for _, erl := range []float64{6, 10, 20} {
		rx, echo := line(far, hybrid(erl))
		outS, outM := make([]int16, len(rx)), make([]int16, len(rx))
		s := NewCanceller(taps)
		s.Process(rx, far, outS)
		s.Close()
		ours(dsp.NewEchoCanceller(dsp.EchoConfig{NLPOff: true}), rx, far, outM)
		convS, convM := erle(outS, rx, echo, 4000, 8000), erle(outM, rx, echo, 4000, 8000)
		steadyS, steadyM := erle(outS, rx, echo, 32000, len(rx)), erle(outM, rx, echo, 32000, len(rx))
		t.Logf("ERL %g dB: ERLE 0.5–1 s minipbx %.1f dB, speexdsp %.1f dB; 4–8 s minipbx %.1f dB, speexdsp %.1f dB",
			erl, convM, convS, steadyM, steadyS)
		if convM < 30 {
			t.Errorf("ERL %g dB: minipbx ERLE %.1f dB over 0.5–1 s, want ≥ 30", erl, convM)
		}
		if steadyM < steadyS {
			t.Errorf("ERL %g dB: minipbx steady ERLE %.1f dB below speexdsp's %.1f dB", erl, steadyM, steadyS)
		}
	}
}

// BenchmarkSideBySide runs the two cancellers in turn over the same 2 s
// (the far end talking, echo at ERL 10 dB), round after round, each
// timed by its thread's CPU clock, and reports the medians of each and of
// their ratio.
func BenchmarkSideBySide(b *testing.B) {
	far := farEnd(2, 2)
	rx, _ := line(far, hybrid(10))
	out := make([]int16, len(rx))
	s := NewCanceller(taps)
	defer s.Close()
	m := dsp.NewEchoCanceller(dsp.EchoConfig{NLPOff: true})
	sidebyside.Bench(b, "speexdsp", len(rx), func() { s.Process(rx, far, out) }, func() { ours(m, rx, far, out) })
}
