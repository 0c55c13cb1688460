package modem

import (
	"fmt"
	"math"
	"math/bits"
	"math/cmplx"
)

// V.27 ter (ITU-T V.27 ter): 4800 bit/s as 1600 baud 8-phase DPSK (three
// bits a symbol, Gray-coded phase changes) or 2400 bit/s as 1200 baud
// 4-phase DPSK, on an 1800 Hz carrier, scrambled by 1 + x⁻⁶ + x⁻⁷ with
// the standard's guard against repetitive patterns. The long training
// sequence fax uses: segment 2, 20 ms of silence; segment 3, 50 symbols of
// continuous 180° reversals; segment 4, 1074 symbols of 0° or 180° changes
// chosen by the scrambler fed with ones from a fixed state; segment 5, 8
// symbols of scrambled ones. The receiver finds the carrier's phase from
// the square of the two-phase segments, trains on them, and finds its
// place in segment 4 by matching 64 observed changes against the known
// sequence, so it knows where the data begins.

const (
	v27Carrier = 1800.0
	v27Seg2    = 32
	v27Seg3    = 50
	v27Seg4    = 1074
	v27Seg5    = 8
	v27Tail    = 32
	v27ScrInit = 0x3C
)

func checkV27Rate(rate int) error {
	if rate != 4800 && rate != 2400 {
		return fmt.Errorf("modem: V.27 ter has no rate %d bit/s", rate)
	}
	return nil
}

func v27Baud(rate int) int {
	if rate == 4800 {
		return 1600
	}
	return 1200
}

// v27PhaseStep maps the tribit (first bit most significant) to the phase
// change in 45° steps (V.27 ter Table 1); v27PhaseStep2 the dibit at
// 2400 bit/s (Table 2).
var (
	v27PhaseStep  = [8]int{1, 0, 2, 3, 6, 7, 5, 4}
	v27PhaseStep2 = [4]int{0, 2, 6, 4}
	v27StepBits   = [8]int{1, 0, 2, 3, 7, 6, 4, 5}
	v27StepBits2  = [4]int{0, 1, 3, 2} // by step/2
)

// v27Scrambler is V.27 ter's scrambler with its guard: when the output
// has matched itself 8, 9 or 12 bits earlier for 33 bits in a row, the
// next output bit is inverted.
type v27Scrambler struct {
	reg   uint32
	count int
}

func (s *v27Scrambler) scramble(in int) int {
	out := (in ^ int(s.reg>>5) ^ int(s.reg>>6)) & 1
	if s.count >= 33 {
		out ^= 1
		s.count = 0
	} else if (int(s.reg>>7)^out)&(int(s.reg>>8)^out)&(int(s.reg>>11)^out)&1 != 0 {
		s.count = 0
	} else {
		s.count++
	}
	s.reg = s.reg<<1 | uint32(out)
	return out
}

func (s *v27Scrambler) descramble(in int) int {
	in &= 1
	out := (in ^ int(s.reg>>5) ^ int(s.reg>>6)) & 1
	if s.count >= 33 {
		out ^= 1
		s.count = 0
	} else if (int(s.reg>>7)^in)&(int(s.reg>>8)^in)&(int(s.reg>>11)^in)&1 != 0 {
		s.count = 0
	} else {
		s.count++
	}
	s.reg = s.reg<<1 | uint32(in)
	return out
}

// v27Pattern is the sequence of 180° reversals (1) and no change (0) of
// segments 3 and 4, as bits: the receiver's reference for its place.
type v27Pattern [(v27Seg3 + v27Seg4 + 63) / 64]uint64

func newV27Pattern() (p v27Pattern, end v27Scrambler) {
	set := func(i int) { p[i/64] |= 1 << (i % 64) }
	for i := range v27Seg3 {
		set(i)
	}
	s := v27Scrambler{reg: v27ScrInit}
	for i := range v27Seg4 {
		if s.scramble(1) == 1 {
			set(v27Seg3 + i)
		}
		s.scramble(1)
		s.scramble(1)
	}
	return p, s
}

// window returns the 64 pattern bits ending at i (bit 0 the newest).
func (p *v27Pattern) window(i int) uint64 {
	var w uint64
	for k := range 64 {
		j := i - k
		if j >= 0 && p[j/64]>>(j%64)&1 != 0 {
			w |= 1 << k
		}
	}
	return w
}

// V27terTx is the V.27 ter modulator.
type V27terTx struct {
	pskTx
	rate int
	scr  v27Scrambler
}

// v27Points are the eight phases at radius √2 by state (45° steps).
var v27Points = func() (p [8]complex128) {
	for i := range p {
		p[i] = cmplx.Rect(math.Sqrt2, float64(i)*math.Pi/4)
	}
	return p
}()

// NewV27terTx returns a modulator at rate (4800 or 2400 bit/s).
func NewV27terTx(rate int, levelDBm0 float64) (*V27terTx, error) {
	if err := checkV27Rate(rate); err != nil {
		return nil, err
	}
	t := &V27terTx{rate: rate}
	t.tail = v27Tail
	t.q.init(v27Baud(rate), v27Carrier, math.Sqrt(2*levelToPower(levelDBm0)/2))
	return t, nil
}

// Start begins a transmission.
func (t *V27terTx) Start(src BitSource) {
	t.start(src)
	t.scr = v27Scrambler{reg: v27ScrInit}
}

func (t *V27terTx) bit(data bool) int {
	b := 1
	if data && t.end < 0 {
		if b = t.src.NextBit(); b < 0 {
			t.end, b = 0, 1
		}
	}
	return t.scr.scramble(b)
}

func (t *V27terTx) symbol() complex128 {
	k := t.step
	t.step++
	switch {
	case k < v27Seg2:
		return 0
	case k < v27Seg2+v27Seg3:
		t.state = (t.state + 4) & 7
		return v27Points[t.state]
	case k < v27Seg2+v27Seg3+v27Seg4:
		b := t.bit(false) << 2
		t.bit(false)
		t.bit(false)
		t.state = (t.state + b) & 7
		return v27Points[t.state]
	}
	data := k >= v27Seg2+v27Seg3+v27Seg4+v27Seg5
	if t.tailSymbol() {
		return 0
	}
	if t.rate == 4800 {
		q := t.bit(data)<<2 | t.bit(data)<<1 | t.bit(data)
		t.state = (t.state + v27PhaseStep[q]) & 7
	} else {
		q := t.bit(data)<<1 | t.bit(data)
		t.state = (t.state + v27PhaseStep2[q]) & 7
	}
	return v27Points[t.state]
}

// Modulate fills out and returns how many samples carry signal.
func (t *V27terTx) Modulate(out []int16) int { return t.modulate(out, t) }

// V27terRx is the V.27 ter demodulator.
type V27terRx struct {
	pskRx
	stage   int // 0 acquire, 1 find the place in segment 4, 2 segment 4
	k       int
	sq      complex128 // Σz² (the two-phase signal's doubled angle)
	acc     float64
	last    float64 // previous real part (reversal detection)
	seen    uint64  // observed changes, newest in bit 0
	idx     int     // place in segments 3+4
	pattern v27Pattern
	scrEnd  v27Scrambler // the transmitter's scrambler after segment 4
	prev    int
	scr     v27Scrambler
}

// NewV27terRx returns a demodulator for rate (4800 or 2400 bit/s).
func NewV27terRx(rate int) (*V27terRx, error) {
	if err := checkV27Rate(rate); err != nil {
		return nil, err
	}
	r := &V27terRx{}
	r.rate = rate
	r.pattern, r.scrEnd = newV27Pattern()
	r.q.init(v27Baud(rate), v27Carrier)
	return r, nil
}

func (r *V27terRx) begin() {
	r.q.restart()
	r.state, r.stage, r.k, r.acc, r.sq, r.seen = RxTraining, 0, 0, 0, 0, 0
	r.p0 = math.Inf(1)
}

// Demodulate consumes in and writes the data bits recovered to bits
// (len(in)·3/5+3 is enough), returning how many.
func (r *V27terRx) Demodulate(in []int16, bits []byte) int {
	nb := 0
	for _, s := range in {
		x := float64(s)
		switch r.q.detect(x) {
		case 1:
			r.begin()
		case -1:
			r.state = RxIdle
		}
		if r.state == RxIdle {
			continue
		}
		if (r.state == RxFailed || r.stage < 2) && r.q.power > 4*r.p0 {
			r.begin()
		}
		if r.state == RxFailed || !r.q.push(x) {
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

func (r *V27terRx) training(zr complex128) {
	r.k++
	const two = math.Sqrt2
	switch r.stage {
	case 0:
		z := r.q.z
		switch {
		case r.k < 8:
		case r.k == 8:
			r.p0 = r.q.power
		case r.k < 40:
			r.sq += z * z
			r.acc += cabs2(z)
		default:
			if r.acc == 0 {
				r.fail()
				return
			}
			// The two phases are 180° apart: z² has twice their angle.
			th := cmplx.Phase(r.sq) / 2
			g := math.Sqrt(2 * 31 / r.acc)
			r.q.scaleTaps(cmplx.Rect(g, -th))
			r.q.mu, r.q.pllA, r.q.pllB, r.q.tGain = 0.05, 0.1, 0.002, 0.02
			r.stage, r.k, r.last = 1, 0, 0
		}
	case 1, 2:
		d := complex(two, 0)
		if real(zr) < 0 {
			d = -d
		}
		r.q.train(zr, d)
		rev := uint64(0)
		if r.last*real(d) < 0 {
			rev = 1
		}
		r.last = real(d)
		r.seen = r.seen<<1 | rev
		if r.stage == 1 {
			if r.k < 64 {
				return
			}
			// Where in segments 3 and 4 do the last 64 changes fit?
			for i := 63; i < v27Seg3+v27Seg4; i++ {
				if bits.OnesCount64(r.pattern.window(i)^r.seen) <= 2 {
					r.stage, r.idx = 2, i
					return
				}
			}
			if r.k > v27Seg3+v27Seg4 {
				r.fail()
			}
			return
		}
		if r.idx++; r.idx == v27Seg3+v27Seg4-1 {
			// The data's phase changes count from the last training symbol.
			r.state, r.k, r.prev = RxData, 0, 0
			if real(d) < 0 {
				r.prev = 4
			}
			// The descrambler takes up where the transmitter's scrambler
			// stands: its guard counter then runs in step from the start.
			r.scr = r.scrEnd
			r.q.tracking()
			r.mse = 0
		}
	}
}

func (r *V27terRx) data(zr complex128, out []byte, nb int) int {
	r.k++
	var st int
	if r.rate == 4800 {
		st = int(math.Round(cmplx.Phase(zr)/(math.Pi/4))) & 7
	} else {
		st = 2 * (int(math.Round(cmplx.Phase(zr)/(math.Pi/2))) & 3)
	}
	p := v27Points[st]
	r.q.train(zr, p)
	r.mse += (cabs2(zr-p)/2 - r.mse) * 0.01
	step := (st - r.prev) & 7
	r.prev = st
	var q, n int
	if r.rate == 4800 {
		q, n = v27StepBits[step], 3
	} else {
		q, n = v27StepBits2[step/2], 2
	}
	for k := n - 1; k >= 0; k-- {
		bit := r.scr.descramble(q >> k & 1)
		if r.k > v27Seg5 && nb < len(out) {
			out[nb] = byte(bit)
			nb++
		}
	}
	return nb
}
