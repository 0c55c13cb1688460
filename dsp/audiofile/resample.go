package audiofile

import "math"

// sampleRate is the box's audio rate.
const sampleRate = 8000

// Resampler design: a Kaiser-windowed sinc low-pass evaluated in
// polyphase form. For a rate change in→out reduced to L/M (out = in·L/M),
// output sample k sits at input time k·M/L; its integer part selects the
// input samples and its fraction (one of L phases) selects a precomputed
// set of 2H taps. The −6 dB cut-off is at resCutoffHz with a transition
// of resTransitionHz, so the pass band is flat to about 3.4 kHz and
// everything from 4 kHz (the alias fold of an 8 kHz output) is attenuated
// by at least resStopDB. Each phase is normalised to unit DC gain.
const (
	resCutoffHz     = 3700.0
	resTransitionHz = 600.0
	resStopDB       = 80.0
)

// resMaxPhases caps the polyphase table. Common rates need few phases
// (44.1 kHz → 8 kHz needs 80); an odd rate such as 44 099 Hz would need
// 8000. Beyond the cap the table holds resMaxPhases+1 evenly spaced
// phases and the taps for a phase in between are interpolated linearly,
// which keeps the timing error below −90 dB for telephone-band audio.
const resMaxPhases = 512

type resampler struct {
	pass   bool
	l, m   int64
	h      int       // taps each side of the centre
	phases int64     // rows in table
	interp bool      // interpolate between rows (phases < l)
	table  []float32 // phases (+1 when interpolating) × 2h taps
	tmp    []float32 // interpolated taps
	buf    []float32 // input samples from absolute index base
	base   int64
	nIn    int64 // input samples pushed
	k      int64 // next output index
	out    []float32
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// bessel0 is the zeroth-order modified Bessel function of the first kind.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-12 {
			break
		}
	}
	return sum
}

func newResampler(in, out int) *resampler {
	r := &resampler{}
	if in == out {
		r.pass = true
		return r
	}
	g := gcd(in, out)
	r.l, r.m = int64(out/g), int64(in/g)
	fc := resCutoffHz / float64(in) // cycles per input sample
	dw := 2 * math.Pi * resTransitionHz / float64(in)
	n := (resStopDB-7.95)/(2.285*dw) + 1
	r.h = int(math.Ceil(n / 2))
	beta := 0.1102 * (resStopDB - 8.7)
	i0b := bessel0(beta)
	taps := 2 * r.h
	r.phases = r.l
	rows := r.l
	if r.l > resMaxPhases {
		r.phases, r.interp = resMaxPhases, true
		rows = resMaxPhases + 1
		r.tmp = make([]float32, taps)
	}
	r.table = make([]float32, int(rows)*taps)
	for p := 0; p < int(rows); p++ {
		frac := float64(p) / float64(r.phases)
		row := r.table[p*taps : (p+1)*taps]
		var sum float64
		vals := make([]float64, taps)
		for j := range vals {
			tau := frac + float64(r.h-1-j)
			u := tau / float64(r.h)
			if u <= -1 || u >= 1 {
				continue
			}
			x := 2 * fc * tau
			s := 1.0
			if x != 0 {
				s = math.Sin(math.Pi*x) / (math.Pi * x)
			}
			v := 2 * fc * s * bessel0(beta*math.Sqrt(1-u*u)) / i0b
			vals[j] = v
			sum += v
		}
		for j, v := range vals {
			row[j] = float32(v / sum)
		}
	}
	// Zeros before the first sample, so the first outputs have history.
	r.buf = make([]float32, r.h, 8192)
	r.base = -int64(r.h)
	return r
}

// push feeds input samples.
func (r *resampler) push(x []float32) {
	if r.pass {
		r.out = append(r.out, x...)
		return
	}
	r.buf = append(r.buf, x...)
	r.nIn += int64(len(x))
	r.run(r.nIn)
}

// run computes every output whose taps are available, limited to those
// that lie before input time limit.
func (r *resampler) run(limit int64) {
	taps := 2 * r.h
	end := r.base + int64(len(r.buf)) // absolute index after the last buffered sample
	for {
		pos := r.k * r.m
		n0 := pos / r.l
		if n0 >= limit || n0+int64(r.h) >= end {
			break
		}
		var row []float32
		if r.interp {
			x := float64(pos%r.l) / float64(r.l) * float64(r.phases)
			p := int64(x)
			a := float32(x - float64(p))
			r0 := r.table[p*int64(taps) : (p+1)*int64(taps)]
			r1 := r.table[(p+1)*int64(taps) : (p+2)*int64(taps)]
			for j := range r.tmp {
				r.tmp[j] = r0[j] + a*(r1[j]-r0[j])
			}
			row = r.tmp
		} else {
			ph := pos % r.l
			row = r.table[ph*int64(taps) : (ph+1)*int64(taps)]
		}
		start := n0 - int64(r.h) + 1 - r.base
		seg := r.buf[start : start+int64(taps)]
		var acc float32
		for j, c := range row {
			acc += c * seg[j]
		}
		r.out = append(r.out, acc)
		r.k++
	}
	// Drop input no later output will need.
	keep := (r.k*r.m)/r.l - int64(r.h) + 1 - r.base
	if keep > 4096 && keep <= int64(len(r.buf)) {
		n := copy(r.buf, r.buf[keep:])
		r.buf = r.buf[:n]
		r.base += keep
	}
}

// finish flushes the filter and returns all output.
func (r *resampler) finish() []float32 {
	if r.pass {
		return r.out
	}
	r.buf = append(r.buf, make([]float32, r.h+1)...)
	r.run(r.nIn)
	return r.out
}
