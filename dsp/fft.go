package dsp

import (
	"math"
	"math/bits"
)

// realFFT transforms real blocks of a fixed power-of-two length m to
// their m/2+1 non-negative-frequency bins and back, in float32, without
// allocating: the echo canceller's frequency-domain filter runs a few of
// these per 8 ms block.
//
// A real sequence of length m is packed into a complex one of length m/2
// (even samples real, odd samples imaginary), transformed by an iterative
// radix-2 FFT and split into the real sequence's spectrum with one twiddle
// per bin; the inverse runs the same steps backwards. That halves the work
// of a complex transform of length m.
type realFFT struct {
	m    int
	half []complex64 // scratch, m/2
	rev  []int32     // bit reversal permutation of m/2
	// The radix-2 stages after the first two run two at a time (radix
	// 2²): passes, forward and inverse, each with its twiddles in the
	// order the inner loop reads them; last is a final single stage when
	// the number of stages is odd.
	fwd, inv []fftPass
	post     []complex64 // e^{−j2πk/m}, k ≤ m/2: the split's twiddles
}

// newRealFFT returns a transform of length m (a power of two, ≥ 8).
func newRealFFT(m int) *realFFT {
	if m < 8 || m&(m-1) != 0 {
		panic("dsp: FFT length must be a power of two ≥ 8")
	}
	h := m / 2
	f := &realFFT{
		m:    m,
		half: make([]complex64, h),
		rev:  make([]int32, h),
		post: make([]complex64, h+1),
	}
	shift := 32 - bits.TrailingZeros(uint(h))
	for i := range f.rev {
		f.rev[i] = int32(bits.Reverse32(uint32(i)) >> shift)
	}
	tw := func(j, size int, sign float64) complex64 {
		s, c := math.Sincos(sign * 2 * math.Pi * float64(j) / float64(size))
		return complex(float32(c), float32(s))
	}
	for m := 8; m <= h; m <<= 2 {
		// Stages of sizes m and 2m (2m ≤ h), or m alone (m = h).
		for _, sign := range [2]float64{-1, 1} {
			pass := fftPass{m: m, single: 2*m > h}
			for j := range m / 2 {
				pass.w1 = append(pass.w1, tw(j, m, sign))
				pass.w2 = append(pass.w2, tw(j, 2*m, sign))
			}
			if sign < 0 {
				f.fwd = append(f.fwd, pass)
			} else {
				f.inv = append(f.inv, pass)
			}
		}
	}
	for k := range f.post {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(m))
		f.post[k] = complex(float32(c), float32(s))
	}
	return f
}

// forward sets X (m/2+1 bins) to the DFT Σ x[n]e^{−j2πkn/m} of x (m
// samples).
func (f *realFFT) forward(X []complex64, x []float32) {
	h := f.m / 2
	z := f.half[:h]
	x = x[:2*h]
	for i, r := range f.rev {
		z[r] = complex(x[2*i], x[2*i+1])
	}
	f.butterflies(z, false)
	// X[k] = E − j·T and X[h−k] = Ē − j·T̄, with E = (Z[k] + Z̄[h−k])/2
	// and T = e^{−j2πk/m}·(Z[k] − Z̄[h−k])/2: one twiddle serves the pair.
	X = X[:h+1]
	z0 := z[0]
	X[0] = complex(real(z0)+imag(z0), 0)
	X[h] = complex(real(z0)-imag(z0), 0)
	post := f.post[:h/2+1]
	for k := 1; k <= h/2; k++ {
		a, b := z[k], z[h-k]
		er, ei := (real(a)+real(b))*0.5, (imag(a)-imag(b))*0.5
		or, oi := (real(a)-real(b))*0.5, (imag(a)+imag(b))*0.5
		w := post[k]
		tr := real(w)*or - imag(w)*oi
		ti := real(w)*oi + imag(w)*or
		X[k] = complex(er+ti, ei-tr)
		X[h-k] = complex(er-ti, -ei-tr)
	}
}

// inverse sets x (m samples) to the inverse DFT (1/m)·Σ X[k]e^{j2πkn/m}
// of the Hermitian spectrum whose non-negative bins are X (m/2+1 bins;
// the imaginary parts of X[0] and X[m/2] are ignored).
func (f *realFFT) inverse(x []float32, X []complex64) {
	h := f.m / 2
	z := f.half[:h]
	X = X[:h+1]
	post := f.post[:h/2+1]
	// Z[k] = E + j·O and Z[h−k] = Ē + j·Ō, with E = X[k] + X̄[h−k] and
	// O = e^{j2πk/m}·(X[k] − X̄[h−k]) (the halves folded into the final
	// scaling), gathered in bit-reversed order.
	rev := f.rev[:h]
	for k := 0; k <= h/2; k++ {
		a, b := X[k], X[h-k]
		er, ei := real(a)+real(b), imag(a)-imag(b)
		dr, di := real(a)-real(b), imag(a)+imag(b)
		w := post[k] // e^{−j…}: conjugated below
		or := real(w)*dr + imag(w)*di
		oi := real(w)*di - imag(w)*dr
		z[rev[k]] = complex(er-oi, ei+or)
		if k != 0 && 2*k != h {
			z[rev[h-k]] = complex(er+oi, or-ei)
		}
	}
	// k = 0 pairs with X[h], which is not Z's index h: Z[0] alone (done).
	f.butterflies(z, true)
	s := 0.5 / float32(h)
	x = x[:2*h]
	for i := range h {
		v := z[i]
		x[2*i], x[2*i+1] = real(v)*s, imag(v)*s
	}
}

// fftPass is one pass of the radix-2² butterflies: the stages that build
// transforms of m and then 2m points (or only m when single).
type fftPass struct {
	m      int
	single bool
	w1, w2 []complex64 // e^{∓j2πj/m}, e^{∓j2πj/(2m)}, j < m/2
}

// butterflies runs the stages on z, already in bit-reversed order; inv
// takes the inverse transform's twiddles. The first two stages (sizes 2
// and 4, twiddles ±1 and ∓j) run together without multiplications; the
// others two at a time, which halves the passes over z.
func (f *realFFT) butterflies(z []complex64, inv bool) {
	h := len(z)
	passes := f.fwd
	// ∓j, the size-4 stage's twiddle (and w2·∓j in the fused passes):
	// multiplying by −j maps (r, i) to (i, −r), by +j to (−i, r).
	sj := float32(-1)
	if inv {
		passes, sj = f.inv, 1
	}
	for i := 0; i+3 < h; i += 4 {
		q := z[i : i+4 : i+4]
		a, b := q[0]+q[1], q[0]-q[1]
		c, d := q[2]+q[3], q[2]-q[3]
		// d·(∓j)
		dj := complex(-sj*imag(d), sj*real(d))
		q[0], q[2] = a+c, a-c
		q[1], q[3] = b+dj, b-dj
	}
	if h == 2 {
		a, b := z[0], z[1]
		z[0], z[1] = a+b, a-b
		return
	}
	for _, ps := range passes {
		m, half := ps.m, ps.m/2
		if ps.single {
			for s := 0; s < h; s += m {
				blk := z[s : s+m : s+m]
				lo, hi := blk[:half:half], blk[half:m:m]
				hi, w := hi[:len(lo)], ps.w1[:len(lo)]
				for j := range lo {
					t := cmul(w[j], hi[j])
					a := lo[j]
					lo[j], hi[j] = a+t, a-t
				}
			}
			continue
		}
		for s := 0; s < h; s += 2 * m {
			blk := z[s : s+2*m : s+2*m]
			q0 := blk[:half:half]
			q1, q2, q3 := blk[half:m:m], blk[m:m+half:m+half], blk[m+half:2*m:2*m]
			q1, q2, q3 = q1[:len(q0)], q2[:len(q0)], q3[:len(q0)]
			w1, w2 := ps.w1[:len(q0)], ps.w2[:len(q0)]
			for j := range q0 {
				a, b, c, d := q0[j], q1[j], q2[j], q3[j]
				t1, t2 := cmul(w1[j], b), cmul(w1[j], d)
				a1, b1 := a+t1, a-t1
				c1, d1 := c+t2, c-t2
				u, v := cmul(w2[j], c1), cmul(w2[j], d1)
				v = complex(-sj*imag(v), sj*real(v)) // ·(∓j)
				q0[j], q2[j] = a1+u, a1-u
				q1[j], q3[j] = b1+v, b1-v
			}
		}
	}
}

// cmul is a·b, spelt out (the compiler then keeps it in registers).
func cmul(a, b complex64) complex64 {
	return complex(real(a)*real(b)-imag(a)*imag(b), real(a)*imag(b)+imag(a)*real(b))
}
