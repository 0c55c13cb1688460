package modem

import (
	"fmt"
	"math"
)

// V.29 (ITU-T V.29): 2400 baud on a 1700 Hz carrier, 9600 bit/s (16
// points: a phase change of 8 and an amplitude of 2), 7200 (8 points) or
// 4800 bit/s (4 points), scrambled by 1 + x⁻¹⁸ + x⁻²³. The training
// sequence: segment 1, 48 symbols of silence; segment 2, 128 alternations
// of two points A and B; segment 3, 384 symbols of C or D chosen by the
// generator 1 + x⁻⁶ + x⁻⁷ (initial state 0101010); segment 4, 48 symbols of
// scrambled ones. The receiver finds the carrier's phase and its gain from
// segment 2, trains its equalizer on the known segment 3, and decides the
// data by the nearest point.

const (
	v29Baud    = 2400
	v29Carrier = 1700.0
	v29Seg1    = 48
	v29Seg2    = 128
	v29Seg3    = 384
	v29Seg4    = 48
	v29Tail    = 32 // scrambled ones after the data, then silence
)

// v29Points are the sixteen points of V.29 Table 1 by constellation
// state: index = 8·(high amplitude) + phase/45°.
var v29Points = [16]complex128{
	3, 1 + 1i, 3i, -1 + 1i, -3, -1 - 1i, -3i, 1 - 1i,
	5, 3 + 3i, 5i, -3 + 3i, -5, -3 - 3i, -5i, 3 - 3i,
}

// v29PhaseStep maps Q2Q3Q4 to the phase change in 45° steps (V.29
// Table 2); 4800 bit/s uses Q2Q3 with 0°, 90°, 270°, 180°.
var (
	v29PhaseStep  = [8]int{1, 0, 2, 3, 6, 7, 5, 4}
	v29PhaseStep4 = [4]int{0, 2, 6, 4}
)

// v29Training returns the points A, B, C, D of the training sequence at
// a rate (V.29 Table 3).
func v29Training(rate int) (a, b, c, d complex128) {
	switch rate {
	case 9600:
		return 3 - 3i, -3, 3, -3 + 3i
	case 7200:
		return 1 - 1i, -3, 3, -1 + 1i
	default: // 4800
		return -3i, -3, 3, 3i
	}
}

// v29TrainingBits are the 384 bits of the segment 3 generator.
func v29TrainingBits() (out [v29Seg3]byte) {
	reg := byte(0x2A)
	for i := range out {
		b := reg & 1
		reg >>= 1
		reg |= ((b ^ reg) & 1) << 6
		out[i] = b
	}
	return out
}

func checkV29Rate(rate int) error {
	switch rate {
	case 9600, 7200, 4800:
		return nil
	}
	return fmt.Errorf("modem: V.29 has no rate %d bit/s", rate)
}

// v29Scrambler is the self-synchronising 1 + x⁻¹⁸ + x⁻²³ scrambler.
type v29Scrambler uint32

func (s *v29Scrambler) scramble(in int) int {
	out := (in ^ int(*s>>17) ^ int(*s>>22)) & 1
	*s = *s<<1 | v29Scrambler(out)
	return out
}

func (s *v29Scrambler) descramble(in int) int {
	out := (in ^ int(*s>>17) ^ int(*s>>22)) & 1
	*s = *s<<1 | v29Scrambler(in&1)
	return out
}

// V29Tx is the V.29 modulator.
type V29Tx struct {
	pskTx
	rate  int
	scr   v29Scrambler
	train [v29Seg3]byte
}

// NewV29Tx returns a modulator at rate (9600, 7200 or 4800 bit/s) and
// levelDBm0.
func NewV29Tx(rate int, levelDBm0 float64) (*V29Tx, error) {
	if err := checkV29Rate(rate); err != nil {
		return nil, err
	}
	t := &V29Tx{rate: rate, train: v29TrainingBits()}
	t.tail = v29Tail
	t.q.init(v29Baud, v29Carrier, math.Sqrt(2*levelToPower(levelDBm0)/v29MeanPower(rate)))
	return t, nil
}

// Start begins a transmission (training, then the bits of src).
func (t *V29Tx) Start(src BitSource) {
	t.start(src)
	t.scr = 0
}

func (t *V29Tx) bit() int {
	b := 1
	if t.end < 0 {
		if b = t.src.NextBit(); b < 0 {
			t.end, b = 0, 1
		}
	}
	return t.scr.scramble(b)
}

func (t *V29Tx) symbol() complex128 {
	k := t.step
	t.step++
	a, b, c, d := v29Training(t.rate)
	switch {
	case k < v29Seg1:
		return 0
	case k < v29Seg1+v29Seg2:
		if k&1 == 0 {
			return a
		}
		return b
	case k < v29Seg1+v29Seg2+v29Seg3:
		if t.train[k-v29Seg1-v29Seg2] == 0 {
			return c
		}
		return d
	}
	data := k >= v29Seg1+v29Seg2+v29Seg3+v29Seg4
	if t.tailSymbol() {
		return 0
	}
	amp := 0
	if t.rate == 9600 && t.dataBit(data) == 1 {
		amp = 8
	}
	q := t.dataBit(data)<<1 | t.dataBit(data)
	if t.rate == 4800 {
		t.state = (t.state + v29PhaseStep4[q]) & 7
	} else {
		q = q<<1 | t.dataBit(data)
		t.state = (t.state + v29PhaseStep[q]) & 7
	}
	return v29Points[amp|t.state]
}

// dataBit is the next scrambled bit: ones in segment 4, the source's
// bits after it.
func (t *V29Tx) dataBit(data bool) int {
	if !data {
		return t.scr.scramble(1)
	}
	return t.bit()
}

// Modulate fills out and returns how many samples carry signal; after the
// transmission ends the rest is zeroed and the modulator is idle.
func (t *V29Tx) Modulate(out []int16) int { return t.modulate(out, t) }

// V29Rx is the V.29 demodulator.
type V29Rx struct {
	pskRx
	stage  int // within training: 0 acquire, 1 alternations, 2 segment 3
	k      int // symbols in this stage
	acc    float64
	me, mo complex128
	parity int // k&1 of the A symbols
	train  [v29Seg3]byte
	errs   int
	prev   int // phase state of the previous data symbol
	scr    v29Scrambler
	pts    []complex128
}

// NewV29Rx returns a demodulator for rate.
func NewV29Rx(rate int) (*V29Rx, error) {
	if err := checkV29Rate(rate); err != nil {
		return nil, err
	}
	r := &V29Rx{train: v29TrainingBits()}
	r.rate = rate
	r.q.init(v29Baud, v29Carrier)
	switch rate {
	case 9600:
		r.pts = v29Points[:]
	case 7200:
		r.pts = v29Points[:8]
	default:
		r.pts = []complex128{3, 3i, -3, -3i}
	}
	return r, nil
}

// Demodulate consumes in and writes the data bits recovered to bits (at
// most 4 per 3⅓ samples: len(in)·4/3+4 is enough), returning how many.
func (r *V29Rx) Demodulate(in []int16, bits []byte) int {
	nb := 0
	for _, s := range in {
		x := float64(s)
		switch r.q.detect(x) {
		case 1:
			r.q.restart()
			r.state, r.stage, r.k, r.acc, r.me, r.mo = RxTraining, 0, 0, 0, 0, 0
			r.p0 = math.Inf(1)
		case -1:
			r.state = RxIdle
		}
		if r.state == RxIdle {
			continue
		}
		if (r.state == RxFailed || r.stage < 2 && r.k > 8) && r.q.power > 4*r.p0 {
			// A signal much stronger than the one training began on
			// (noise, echo): start again on it.
			r.q.restart()
			r.state, r.stage, r.k, r.acc, r.me, r.mo = RxTraining, 0, 0, 0, 0, 0
		}
		if r.state == RxFailed {
			continue
		}
		if !r.q.push(x) {
			continue
		}
		zr := r.q.symbol()
		if r.state == RxData {
			nb = r.data(zr, bits, nb)
		} else {
			r.training(zr)
		}
	}
	return nb
}

func (r *V29Rx) training(zr complex128) {
	a, b, c, d := v29Training(r.rate)
	r.k++
	switch r.stage {
	case 0: // Acquire timing and gain on the alternations.
		z := r.q.z
		switch {
		case r.k < 8:
		case r.k < 24:
			if r.k == 8 {
				r.p0 = r.q.power
			}
			r.acc += real(z)*real(z) + imag(z)*imag(z)
		case r.k == 24:
			pab := (real(a)*real(a) + imag(a)*imag(a) + real(b)*real(b) + imag(b)*imag(b)) / 2
			if r.acc > 0 {
				r.q.scaleTaps(complex(math.Sqrt(pab*16/r.acc), 0))
			}
			r.q.tGain = 0.05
		case r.k < 56:
			if r.k&1 == 0 {
				r.me += z
			} else {
				r.mo += z
			}
		default:
			r.me /= 16
			r.mo /= 16
			// Even symbols are A or B; the hypothesis whose mean fits wins.
			if r.me == r.mo {
				r.fail()
				return
			}
			w := (a - b) / (r.me - r.mo)
			m := w * (r.me + r.mo) / 2
			r.parity = 0
			if cabs2(m-(a+b)/2) > cabs2(-m-(a+b)/2) {
				w, r.parity = -w, 1
			}
			r.q.scaleTaps(w)
			r.q.mu, r.q.pllA, r.q.pllB = 0.05, 0.1, 0.002
			r.q.tGain = 0.02
			r.stage, r.k, r.me, r.mo = 1, 0, 0, 0
		}
	case 1: // Alternations until the first C.
		exp := b
		if (r.k+r.parity)&1 == 0 {
			exp = a
		}
		if cabs2(zr-c) < cabs2(zr-exp) {
			r.stage, r.k, r.errs = 2, 1, 0
			r.q.train(zr, c)
			return
		}
		r.q.train(zr, exp)
		if r.k > 2*v29Seg2 {
			r.fail()
		}
	case 2: // Segment 3: train on the known sequence.
		j := r.k - 1
		exp := c
		if r.train[j] == 1 {
			exp = d
		}
		got := c
		if cabs2(zr-d) < cabs2(zr-c) {
			got = d
		}
		if got != exp {
			r.errs++
		}
		r.q.train(zr, exp)
		if j == 32 && r.errs > 4 {
			r.fail()
			return
		}
		if j == v29Seg3-1 {
			if r.errs > v29Seg3/16 {
				r.fail()
				return
			}
			r.state, r.k, r.prev, r.scr = RxData, 0, 0, 0
			r.q.tracking()
			r.mse = 0
		}
	}
}

func (r *V29Rx) data(zr complex128, out []byte, nb int) int {
	r.k++
	i := nearest(zr, r.pts)
	p := r.pts[i]
	r.q.train(zr, p)
	r.mse += (cabs2(zr-p)/v29MeanPower(r.rate) - r.mse) * 0.01
	// Back to the state index of the full table.
	amp, st := 0, 0
	switch r.rate {
	case 9600:
		amp, st = i>>3, i&7
	case 7200:
		st = i
	default:
		st = 2 * i
	}
	step := (st - r.prev) & 7
	r.prev = st
	var q, n int
	switch r.rate {
	case 9600:
		q, n = amp<<3|v29StepBits[step], 4
	case 7200:
		q, n = v29StepBits[step], 3
	default:
		q, n = v29StepBits4[step/2], 2
	}
	for k := n - 1; k >= 0; k-- {
		bit := r.scr.descramble(q >> k & 1)
		if r.k > v29Seg4 && nb < len(out) {
			out[nb] = byte(bit)
			nb++
		}
	}
	return nb
}

// v29StepBits inverts v29PhaseStep; v29StepBits4 inverts v29PhaseStep4
// (indexed by the step in 90° units).
var (
	v29StepBits  = [8]int{1, 0, 2, 3, 7, 6, 4, 5}
	v29StepBits4 = [4]int{0, 1, 3, 2}
)

func v29MeanPower(rate int) float64 {
	switch rate {
	case 9600:
		return 13.5
	case 7200:
		return 5.5
	}
	return 9
}

func cabs2(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }
