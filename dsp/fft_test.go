package dsp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// TestRealFFT checks the transform against a direct DFT and the round
// trip, for every length the canceller may use.
func TestRealFFT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, m := range []int{8, 16, 64, 128, 256} {
		f := newRealFFT(m)
		x := make([]float32, m)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 1000)
		}
		X := make([]complex64, m/2+1)
		f.forward(X, x)
		var peak float64
		for k := range X {
			var want complex128
			for n, v := range x {
				want += complex(float64(v), 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*n)/float64(m)))
			}
			peak = max(peak, cmplx.Abs(want))
			if d := cmplx.Abs(complex128(X[k]) - want); d > 1e-4*math.Sqrt(float64(m))*1000*4 {
				t.Fatalf("m=%d bin %d: got %v want %v", m, k, X[k], want)
			}
		}
		y := make([]float32, m)
		f.inverse(y, X)
		for i := range x {
			if math.Abs(float64(y[i]-x[i])) > 0.05 {
				t.Fatalf("m=%d sample %d: round trip %v, want %v", m, i, y[i], x[i])
			}
		}
	}
}

func TestRealFFTAllocs(t *testing.T) {
	f := newRealFFT(128)
	x := make([]float32, 128)
	X := make([]complex64, 65)
	if a := testing.AllocsPerRun(100, func() { f.forward(X, x); f.inverse(x, X) }); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

func BenchmarkRealFFT128(b *testing.B) {
	f := newRealFFT(128)
	x := make([]float32, 128)
	for i := range x {
		x[i] = float32(i % 7)
	}
	X := make([]complex64, 65)
	for b.Loop() {
		f.forward(X, x)
		f.inverse(x, X)
	}
}
