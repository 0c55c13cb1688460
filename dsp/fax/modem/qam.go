package modem

import (
	"math"
	"math/cmplx"
)

// The PSK/QAM modems (V.27 ter, V.29) share one transmitter and one
// receiver engine; the modems add their constellations, scramblers and
// training sequences.
//
// Transmitter: symbols are shaped by a root-raised-cosine pulse (roll-off
// 0.5) evaluated at the exact fractional symbol phase of each 8 kHz
// sample, then modulated onto the carrier.
//
// Receiver: the line signal is mixed to baseband by a fixed oscillator at
// the nominal carrier; a polyphase root-raised-cosine filter (the matched
// filter, 64 phases) produces samples at twice the symbol rate at
// instants set by a Gardner timing loop; a fractionally spaced (T/2)
// adaptive equalizer (least mean squares, normalised) removes the line's
// distortion and the carrier's static phase; a second-order decision
// directed loop tracks the carrier's residual phase and frequency.

const (
	txSpan     = 4  // pulse length either side of its centre, symbols
	txPhases   = 20 // every baud/8000 ratio used here lands on a 1/20 grid
	rxSpan     = 4  // matched filter half-length, symbols
	rxPhases   = 64
	eqHalf     = 14 // equalizer taps either side of the centre (T/2 spaced)
	eqLen      = 2*eqHalf + 1
	rollOff    = 0.5
	powerAlpha = 1.0 / 32 // input power smoothing per sample (4 ms)
)

// qamTx is the shaped-pulse modulator.
type qamTx struct {
	baud  int
	step  uint32 // carrier phase per sample
	phase uint32
	clock int // symbol clock: +baud a sample; a new symbol at SampleRate
	next  bool
	syms  [2*txSpan + 1]complex128
	pulse [txPhases][2*txSpan + 1]float64
	gain  float64
}

func (t *qamTx) init(baud int, carrier float64, gain float64) {
	t.baud, t.step, t.gain = baud, phaseStep(carrier), gain
	for p := range txPhases {
		for j := range 2*txSpan + 1 {
			x := float64(p)/txPhases + float64(j) - txSpan
			t.pulse[p][j] = rrc(x, rollOff) * window(x/(txSpan+0.5))
		}
	}
	t.reset()
}

func (t *qamTx) reset() {
	t.phase, t.clock, t.next = 0, 0, true
	clear(t.syms[:])
}

// due reports whether the next sample starts a new symbol: put it first.
func (t *qamTx) due() bool { return t.next }

// put enters the next symbol.
func (t *qamTx) put(s complex128) {
	copy(t.syms[1:], t.syms[:len(t.syms)-1])
	t.syms[0] = s
	t.next = false
}

// sample returns the next output sample.
func (t *qamTx) sample() float64 {
	p := t.clock * txPhases / SampleRate
	var re, im float64
	for j, s := range t.syms {
		re += real(s) * t.pulse[p][j]
		im += imag(s) * t.pulse[p][j]
	}
	v := t.gain * (re*cosPhase(t.phase) - im*sinPhase(t.phase))
	t.phase += t.step
	t.clock += t.baud
	if t.clock >= SampleRate {
		t.clock -= SampleRate
		t.next = true
	}
	return v
}

// qamRx is the receiver engine. Feed calls push per sample; when it
// returns true a symbol is ready: symbol gives the equalizer's output
// rotated by the carrier loop, and train adapts both towards the symbol
// that was sent (known, or the decision).
type qamRx struct {
	sps      float64 // samples per symbol
	carrier  uint32  // mixer step
	phase    uint32
	ntaps    int
	hist     []complex128 // baseband history, doubled ring
	hp       int
	poly     []float64 // rxPhases × ntaps
	t        float64   // samples until the next T/2 instant
	mid      bool      // the next T/2 sample is between symbols
	yPrev    complex128
	yMid     complex128
	tGain    float64 // timing loop gain
	tRate    float64 // timing loop integrator (clock offset)
	tInt     float64 // its gain
	ypow     float64 // smoothed |y|² for the timing error's scale
	eqBuf    [2 * eqLen]complex128
	eqPos    int
	eq       [eqLen]complex128
	eqPow    float64 // smoothed |y|² for the step's normalisation
	mu       float64 // equalizer step
	cph      float64 // carrier phase correction, radians
	cfreq    float64 // carrier frequency correction, radians/symbol
	pllA     float64 // loop gains
	pllB     float64
	rot      complex128 // e^{-j·cph}
	z        complex128 // last equalizer output (before rotation)
	power    float64    // smoothed input power
	on, off  float64    // carrier thresholds on power
	carrierN int        // samples below the off threshold
	lossHold int        // samples below the off threshold that end the carrier
	Carrier  bool
}

func (q *qamRx) init(baud int, carrier float64) {
	q.sps = float64(SampleRate) / float64(baud)
	q.carrier = phaseStep(carrier)
	q.ntaps = int(math.Ceil(2*rxSpan*q.sps)) | 1
	q.hist = make([]complex128, 2*q.ntaps)
	q.poly = make([]float64, rxPhases*q.ntaps)
	c := float64(q.ntaps-1) / 2
	for p := range rxPhases {
		mu := float64(p) / rxPhases
		var sum float64
		for i := range q.ntaps {
			x := (float64(i) - mu - c) / q.sps
			h := rrc(x, rollOff) * window(x/(rxSpan+0.5))
			q.poly[p*q.ntaps+i] = h
			sum += h
		}
		for i := range q.ntaps {
			q.poly[p*q.ntaps+i] /= sum
		}
	}
	q.on = levelToPower(-43)
	q.off = levelToPower(-48)
	q.lossHold = SampleRate * 40 / 1000
	q.restart()
}

// restart clears everything learnt; the carrier detector keeps its state.
func (q *qamRx) restart() {
	clear(q.hist)
	q.hp, q.t, q.mid = 0, q.sps/2, false
	q.yPrev, q.yMid, q.tRate, q.ypow = 0, 0, 0, 0
	clear(q.eqBuf[:])
	clear(q.eq[:])
	q.eq[eqHalf] = 1
	q.eqPos, q.eqPow = 0, 0
	q.cph, q.cfreq, q.rot = 0, 0, 1
	q.tGain, q.tInt, q.mu, q.pllA, q.pllB = 0.1, 0, 0, 0, 0
}

// detect updates the carrier detector with one sample's power and
// reports a change: +1 carrier on, -1 carrier lost, 0 none.
func (q *qamRx) detect(x float64) int {
	q.power += (x*x - q.power) * powerAlpha
	if !q.Carrier {
		if q.power > q.on {
			q.Carrier, q.carrierN = true, 0
			return 1
		}
		return 0
	}
	if q.power < q.off {
		if q.carrierN++; q.carrierN >= q.lossHold {
			q.Carrier = false
			return -1
		}
	} else {
		q.carrierN = 0
	}
	return 0
}

// push takes one input sample and reports whether a symbol is ready.
func (q *qamRx) push(x float64) bool {
	bb := complex(x*cosPhase(q.phase), -x*sinPhase(q.phase))
	q.phase += q.carrier
	q.hist[q.hp] = bb
	q.hist[q.hp+q.ntaps] = bb
	q.hp++
	if q.hp == q.ntaps {
		q.hp = 0
	}
	q.t--
	ready := false
	for q.t <= 0 {
		mu := -q.t
		p := int(mu * rxPhases)
		if p >= rxPhases {
			p = rxPhases - 1
		}
		h := q.poly[p*q.ntaps : (p+1)*q.ntaps]
		// hist[hp+ntaps-1] is the newest sample; h[i] weighs the i-th newest.
		src := q.hist[q.hp : q.hp+q.ntaps]
		var re, im float64
		for i, v := range h {
			s := src[q.ntaps-1-i]
			re += v * real(s)
			im += v * imag(s)
		}
		y := complex(re, im)
		q.eqBuf[q.eqPos] = y
		q.eqBuf[q.eqPos+eqLen] = y
		if q.eqPos++; q.eqPos == eqLen {
			q.eqPos = 0
		}
		p2 := real(y)*real(y) + imag(y)*imag(y)
		q.eqPow += (p2 - q.eqPow) * 0.01
		q.t += q.sps / 2
		if q.mid {
			q.yMid = y
			q.mid = false
			continue
		}
		q.mid = true
		// Gardner's timing error: the mid sample lies on the transition
		// between yPrev and y; its sign says whether we sample early or late.
		q.ypow += (p2 - q.ypow) * 0.05
		if q.ypow > 0 {
			e := (real(q.yPrev)-real(y))*real(q.yMid) + (imag(q.yPrev)-imag(y))*imag(q.yMid)
			e /= q.ypow
			e = max(-1, min(1, e))
			q.tRate += e * q.tInt
			q.tRate = max(-0.002, min(0.002, q.tRate))
			q.t += (e*q.tGain + q.tRate) * q.sps / 2
		}
		q.yPrev = y
		ready = true
	}
	return ready
}

// symbol runs the equalizer on the current window and returns its output
// rotated by the carrier loop's phase.
func (q *qamRx) symbol() complex128 {
	src := q.eqBuf[q.eqPos : q.eqPos+eqLen]
	var z complex128
	for i, w := range q.eq {
		z += w * src[eqLen-1-i]
	}
	q.z = z
	return z * q.rot
}

// train adapts the carrier loop and the equalizer given the rotated
// output zr and the point d that was sent.
func (q *qamRx) train(zr, d complex128) {
	if q.pllA != 0 {
		dp := real(d)*real(d) + imag(d)*imag(d)
		if dp > 0 {
			perr := imag(zr*cmplx.Conj(d)) / dp
			perr = max(-0.5, min(0.5, perr))
			q.cfreq += q.pllB * perr
			q.cph += q.pllA*perr + q.cfreq
			if q.cph > math.Pi {
				q.cph -= 2 * math.Pi
			} else if q.cph < -math.Pi {
				q.cph += 2 * math.Pi
			}
			q.rot = complex(math.Cos(q.cph), -math.Sin(q.cph))
		}
	}
	if q.mu == 0 || q.eqPow <= 0 {
		return
	}
	// Error back in the equalizer's frame (undo the rotation).
	e := (d - zr) * cmplx.Conj(q.rot)
	g := q.mu / (q.eqPow * eqLen)
	e *= complex(g, 0)
	src := q.eqBuf[q.eqPos : q.eqPos+eqLen]
	for i := range q.eq {
		q.eq[i] += e * cmplx.Conj(src[eqLen-1-i])
	}
}

// scaleTaps multiplies the equalizer by g (sets gain and static phase).
func (q *qamRx) scaleTaps(g complex128) {
	for i := range q.eq {
		q.eq[i] *= g
	}
}

// nearest returns the index of the point of pts closest to z.
func nearest(z complex128, pts []complex128) int {
	best, bd := 0, math.Inf(1)
	for i, p := range pts {
		d := real(z-p)*real(z-p) + imag(z-p)*imag(z-p)
		if d < bd {
			best, bd = i, d
		}
	}
	return best
}

// tracking sets the loops' gains for data: slow timing with an
// integrator for the clocks' offset, a lighter equalizer step.
func (q *qamRx) tracking() {
	q.mu, q.pllA, q.pllB = 0.01, 0.05, 0.0005
	q.tGain, q.tInt, q.tRate = 0.005, 0.005*0.005/8, 0
}

// pskTx is what the V.27 ter and V.29 transmitters share: the modulator,
// the bit source, and the count of the training and the tail.
type pskTx struct {
	q     qamTx
	src   BitSource
	step  int // symbols sent since Start
	state int // constellation phase state
	end   int // symbols sent after the source ran dry, -1 while it runs
	tail  int // symbols of scrambled ones after the data
}

// Busy reports whether a transmission is under way.
func (t *pskTx) Busy() bool { return t.src != nil }

func (t *pskTx) start(src BitSource) {
	t.q.reset()
	t.src, t.step, t.state, t.end = src, 0, 0, -1
}

// modulate fills out, asking s for each symbol, and returns how many
// samples carry signal; after the tail (and the pulse's flush) the rest
// is zeroed and the transmitter is idle.
func (t *pskTx) modulate(out []int16, s interface{ symbol() complex128 }) int {
	for i := range out {
		if t.src == nil {
			clear(out[i:])
			return i
		}
		if t.q.due() {
			if t.end > t.tail+2*txSpan {
				t.src = nil
				clear(out[i:])
				return i
			}
			t.q.put(s.symbol())
		}
		out[i] = clamp16(t.q.sample())
	}
	return len(out)
}

// tailSymbol counts the symbols after the data and reports whether the
// tail is over (then the symbol is silence).
func (t *pskTx) tailSymbol() bool {
	if t.end >= 0 {
		t.end++
		return t.end > t.tail
	}
	return false
}

// RxState is where a high-speed receiver is.
type RxState int

const (
	RxIdle     RxState = iota // no carrier
	RxTraining                // carrier, training in progress
	RxData                    // trained: data bits flow
	RxFailed                  // training failed; waits for the carrier to go
)

func (s RxState) String() string {
	switch s {
	case RxIdle:
		return "idle"
	case RxTraining:
		return "training"
	case RxData:
		return "data"
	case RxFailed:
		return "failed"
	}
	return "RxState(?)"
}

// pskRx is what the V.27 ter and V.29 receivers share.
type pskRx struct {
	q     qamRx
	rate  int
	state RxState
	p0    float64 // input power when training began (or failed)
	// mse is the decisions' smoothed squared error relative to the
	// constellation's mean power.
	mse float64
}

// Rate is the bit rate the receiver was made for.
func (r *pskRx) Rate() int { return r.rate }

// State reports where the receiver is.
func (r *pskRx) State() RxState { return r.state }

// Carrier reports whether a signal is present.
func (r *pskRx) Carrier() bool { return r.q.Carrier }

// MSE is the mean squared error of the decisions relative to the
// constellation's mean power: a signal quality (about 0.01 is 20 dB).
func (r *pskRx) MSE() float64 { return r.mse }

// Reset returns to idle, forgetting any training.
func (r *pskRx) Reset() {
	r.q.Carrier, r.q.power = false, 0
	r.q.restart()
	r.state = RxIdle
}

func (r *pskRx) fail() {
	r.state = RxFailed
	r.p0 = r.q.power
}
