package dsp

import "math"

// DTMF receiver.
//
// Design (why it looks the way it does):
//
//   - Eight Goertzel filters (the four row and four column frequencies) run
//     over sub-blocks of 51 samples (6.375 ms). Each sub-block yields the
//     complex DFT value at the nominal frequencies. Two consecutive
//     sub-blocks are combined exactly into a 102-sample analysis window
//     (78 Hz resolution, enough to separate 697 from 770 Hz) that hops by
//     51 samples, so decisions come every 6.4 ms at the cost of one Goertzel
//     bank per sample.
//   - The phase advance of each tone from one sub-block to the next gives
//     its frequency offset directly (unambiguous up to ±78 Hz). This is how
//     the receiver rejects tones more than 3.5% off nominal while accepting
//     ±(1.5% + 2 Hz), which the magnitude of a 102-point DFT alone cannot
//     resolve; it also lets the level estimate be corrected for the window's
//     loss at that offset, so the twist and level limits hold at the edges
//     of the frequency tolerance.
//   - Talk-off guards, applied to every window: the strongest row and column
//     tones must each stand 8 dB above the other tones of their group; both
//     frequencies must lie within 2.6% of nominal; the twist must be within
//     limits; and the two tones must carry at least 70% of the window's
//     energy measured after a first-difference (high-pass) weighting. The
//     weighting keeps low-frequency energy (dial tone, speech's voicing) from
//     masking a digit, yet weighs the harmonics of music and voiced speech
//     more than their fundamentals, so a pair of notes with harmonics fails
//     the energy ratio even when the fundamentals sit on DTMF frequencies.
//   - Timing: a digit is reported when at least two valid windows agree and
//     the tone's accumulated duration reaches 25 ms. Duration is measured by
//     the share of each sub-block's energy the two tones hold, which can
//     only under-estimate a burst, so bursts of 20 ms or less are never
//     reported while 40 ms tones are. A held digit ends after four invalid
//     windows (about 25 ms), which rides over a 10 ms interruption but
//     separates digits by 40 ms pauses. The reported Sample is the estimated
//     start of the tone.
//
// The hot loop is the Goertzel bank in float32 with the state in locals;
// everything else runs once per 51 samples.

const (
	dtmfSub     = 51          // samples per sub-block
	dtmfWin     = 2 * dtmfSub // samples per analysis window
	dtmfRate    = 8000.0
	dtmfDigits  = "123A456B789C*0#D"
	dtmfFreqTol = 0.026 // accepted |offset|/nominal; Q.24: accept ≤1.5%+2 Hz, reject ≥3.5%
	// dtmfMinLevel is the weakest tone accepted, per tone, in dBm0.
	dtmfMinLevel = -37.0
	// Twist limits in dB: low group stronger (normal) and high group stronger (reverse).
	dtmfNormalTwist  = 10.0
	dtmfReverseTwist = 6.0
	dtmfRelPeak      = 8.0  // dB the peak stands above the others of its group
	dtmfEnergyRatio  = 0.70 // share of the weighted window energy in the two tones
	dtmfMinDuration  = 200  // samples (25 ms) of estimated tone before reporting
	dtmfMinWindows   = 2
	dtmfReleaseMiss  = 4 // invalid windows that end a held digit
	dtmfDropMiss     = 3 // invalid windows that abandon an unconfirmed candidate
)

// dtmfFreqs returns the nominal frequencies: rows 0-3, columns 4-7.
func dtmfFreqs() [8]float64 {
	return [8]float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}
}

// DTMFEvent is one detected digit.
type DTMFEvent struct {
	Digit  byte  // '0'-'9', '*', '#', 'A'-'D'
	Sample int64 // index of the digit's first sample, counted from creation or Reset
}

// dtmfSubResult is the analysis of one 51-sample sub-block.
type dtmfSubResult struct {
	re, im [8]float32 // Goertzel output y = s1 - e^{-jw}·s2
	energy float32    // Σ (x[n]-x[n-1])²
	start  int64      // index of its first sample
}

// DTMFDetector is a streaming DTMF receiver (see the design notes above).
// It is not safe for concurrent use; use one per channel.
type DTMFDetector struct {
	coef       [8]float32 // 2cos(w)
	cosw, sinw [8]float32
	rotRe      [8]float32 // e^{-jwN} for N = dtmfSub
	rotIm      [8]float32
	weight     [8]float64 // first-difference power gain 4sin²(w/2)
	minA2      float64    // squared amplitude of the weakest accepted tone

	// Streaming state.
	s1, s2 [8]float32
	n      int     // samples in the current sub-block
	prevX  float32 // last sample, for the difference energy
	energy float32
	hist   [3]dtmfSubResult // hist[2] is the newest completed sub-block
	nsub   int              // completed sub-blocks (saturating at 3)
	sample int64            // samples consumed

	// Decision state.
	cand      byte    // digit being confirmed (0: none)
	candWins  int     // valid windows seen for cand
	candDur   float64 // estimated tone samples for cand
	candStart int64
	trailDone bool // the sub-block after the last valid window was counted
	held      byte // digit reported and still present (0: none)
	misses    int  // consecutive invalid windows

	events []DTMFEvent
}

// NewDTMFDetector returns a receiver with the limits documented above
// (ITU-T Q.24 and ETSI ES 201 235-3).
func NewDTMFDetector() *DTMFDetector {
	d := &DTMFDetector{events: make([]DTMFEvent, 0, 8)}
	for k, f := range dtmfFreqs() {
		w := 2 * math.Pi * f / dtmfRate
		d.coef[k] = float32(2 * math.Cos(w))
		d.cosw[k] = float32(math.Cos(w))
		d.sinw[k] = float32(math.Sin(w))
		d.rotRe[k] = float32(math.Cos(w * dtmfSub))
		d.rotIm[k] = float32(-math.Sin(w * dtmfSub))
		s := math.Sin(w / 2)
		d.weight[k] = 4 * s * s
	}
	a := DBm0ToPeak(dtmfMinLevel)
	d.minA2 = a * a
	return d
}

// Reset forgets all state, as if the detector were new; sample indexes
// restart from zero.
func (d *DTMFDetector) Reset() {
	ev := d.events[:0]
	c := *d
	*d = DTMFDetector{
		coef: c.coef, cosw: c.cosw, sinw: c.sinw, rotRe: c.rotRe, rotIm: c.rotIm,
		weight: c.weight, minA2: c.minA2, events: ev,
	}
}

// Process consumes samples and returns the digits whose start was
// confirmed during this call. The returned slice is reused: it is valid
// until the next call. Process allocates nothing (unless one call yields
// more than eight digits).
func (d *DTMFDetector) Process(s []int16) []DTMFEvent {
	d.events = d.events[:0]
	for len(s) > 0 {
		m := dtmfSub - d.n
		if m > len(s) {
			m = len(s)
		}
		d.feed(s[:m])
		s = s[m:]
		d.n += m
		d.sample += int64(m)
		if d.n == dtmfSub {
			d.endSub()
		}
	}
	return d.events
}

// feed runs the Goertzel bank and the difference energy over x. This is the
// only per-sample code; the state lives in locals so it stays in registers.
func (d *DTMFDetector) feed(x []int16) {
	c0, c1, c2, c3 := d.coef[0], d.coef[1], d.coef[2], d.coef[3]
	c4, c5, c6, c7 := d.coef[4], d.coef[5], d.coef[6], d.coef[7]
	a0, a1, a2, a3 := d.s1[0], d.s1[1], d.s1[2], d.s1[3]
	a4, a5, a6, a7 := d.s1[4], d.s1[5], d.s1[6], d.s1[7]
	b0, b1, b2, b3 := d.s2[0], d.s2[1], d.s2[2], d.s2[3]
	b4, b5, b6, b7 := d.s2[4], d.s2[5], d.s2[6], d.s2[7]
	prev, e := d.prevX, d.energy
	for _, v := range x {
		f := float32(v)
		dx := f - prev
		prev = f
		e += dx * dx
		a0, b0 = c0*a0+(f-b0), a0
		a1, b1 = c1*a1+(f-b1), a1
		a2, b2 = c2*a2+(f-b2), a2
		a3, b3 = c3*a3+(f-b3), a3
		a4, b4 = c4*a4+(f-b4), a4
		a5, b5 = c5*a5+(f-b5), a5
		a6, b6 = c6*a6+(f-b6), a6
		a7, b7 = c7*a7+(f-b7), a7
	}
	d.s1 = [8]float32{a0, a1, a2, a3, a4, a5, a6, a7}
	d.s2 = [8]float32{b0, b1, b2, b3, b4, b5, b6, b7}
	d.prevX, d.energy = prev, e
}

// endSub closes a sub-block and runs the window decision.
func (d *DTMFDetector) endSub() {
	d.hist[0], d.hist[1] = d.hist[1], d.hist[2]
	r := &d.hist[2]
	for k := range 8 {
		r.re[k] = d.s1[k] - d.cosw[k]*d.s2[k]
		r.im[k] = d.sinw[k] * d.s2[k]
	}
	r.energy = d.energy
	r.start = d.sample - dtmfSub
	d.s1, d.s2 = [8]float32{}, [8]float32{}
	d.energy = 0
	d.n = 0
	if d.nsub < 3 {
		d.nsub++
	}
	if d.nsub < 2 {
		return
	}
	d.decide()
}

// dtmfWindow is what analyse learns about one candidate window.
type dtmfWindow struct {
	digit      byte
	row, col   int
	offR, offC float64 // frequency offsets, Hz
}

// analyse checks the window made of hist[1] and hist[2].
func (d *DTMFDetector) analyse() (dtmfWindow, bool) {
	a, b := &d.hist[1], &d.hist[2]
	var p [8]float32
	for k := range 8 {
		// Y = y_a + e^{-jwN}·y_b is the 102-point DFT (up to a phase).
		re := a.re[k] + d.rotRe[k]*b.re[k] - d.rotIm[k]*b.im[k]
		im := a.im[k] + d.rotRe[k]*b.im[k] + d.rotIm[k]*b.re[k]
		p[k] = re*re + im*im
	}
	row, col := 0, 4
	for k := 1; k < 4; k++ {
		if p[k] > p[row] {
			row = k
		}
		if p[k+4] > p[col] {
			col = k + 4
		}
	}
	// Cheap rejections first: a quiet window, or a group without a clear peak.
	const n2 = dtmfWin * dtmfWin
	const minLoss = 0.6 // worst window loss inside the frequency tolerance
	if 4*float64(p[row])/n2 < d.minA2*minLoss || 4*float64(p[col])/n2 < d.minA2*minLoss {
		return dtmfWindow{}, false
	}
	rel := float32(math.Pow(10, dtmfRelPeak/10))
	for k := range 4 {
		if k != row && p[k]*rel > p[row] {
			return dtmfWindow{}, false
		}
		if k+4 != col && p[k+4]*rel > p[col] {
			return dtmfWindow{}, false
		}
	}
	freqs := dtmfFreqs()
	offR, okR := d.offset(row, freqs[row])
	offC, okC := d.offset(col, freqs[col])
	if !okR || !okC {
		return dtmfWindow{}, false
	}
	ar := 4 * float64(p[row]) / n2 / dirichlet2(offR, dtmfWin)
	ac := 4 * float64(p[col]) / n2 / dirichlet2(offC, dtmfWin)
	if ar < d.minA2 || ac < d.minA2 {
		return dtmfWindow{}, false
	}
	if ar > ac*math.Pow(10, dtmfNormalTwist/10) || ac > ar*math.Pow(10, dtmfReverseTwist/10) {
		return dtmfWindow{}, false
	}
	// Share of the weighted energy: a tone of amplitude A contributes
	// w·A²/2 per sample to Σ(Δx)².
	tone := (d.weight[row]*ar + d.weight[col]*ac) * dtmfWin / 2
	if tone < dtmfEnergyRatio*float64(a.energy+b.energy) {
		return dtmfWindow{}, false
	}
	return dtmfWindow{
		digit: dtmfDigits[row*4+col-4], row: row, col: col, offR: offR, offC: offC,
	}, true
}

// offset estimates the frequency offset of the tone in bin k from its
// phase advance between the two sub-blocks of the window, and says whether
// it is inside the tolerance.
func (d *DTMFDetector) offset(k int, nominal float64) (float64, bool) {
	a, b := &d.hist[1], &d.hist[2]
	// z = e^{-jwN}·y_b·conj(y_a); arg z = Δw·N.
	br := float64(d.rotRe[k]*b.re[k] - d.rotIm[k]*b.im[k])
	bi := float64(d.rotRe[k]*b.im[k] + d.rotIm[k]*b.re[k])
	ar, ai := float64(a.re[k]), float64(a.im[k])
	zr := br*ar + bi*ai
	zi := bi*ar - br*ai
	off := math.Atan2(zi, zr) * dtmfRate / (2 * math.Pi * dtmfSub)
	return off, math.Abs(off) <= dtmfFreqTol*nominal
}

// dirichlet2 is the power response of an n-point DFT bin to a tone off
// its centre by off Hz, relative to a tone on the centre.
func dirichlet2(off float64, n int) float64 {
	x := math.Pi * off / dtmfRate
	if math.Abs(x) < 1e-9 {
		return 1
	}
	v := math.Sin(x*float64(n)) / (float64(n) * math.Sin(x))
	return v * v
}

// share returns the fraction of sub-block r's weighted energy held by the
// tones of window w: for a tone alone it is the fraction of the sub-block
// the tone fills, and noise or other sound only lowers it.
func (d *DTMFDetector) share(r *dtmfSubResult, w dtmfWindow) float64 {
	if r.energy <= 0 {
		return 0
	}
	var tone float64
	for _, k := range [2]int{w.row, w.col} {
		off := w.offR
		if k == w.col {
			off = w.offC
		}
		re, im := float64(r.re[k]), float64(r.im[k])
		a2 := 4 * (re*re + im*im) / (dtmfSub * dtmfSub) / dirichlet2(off, dtmfSub)
		tone += d.weight[k] * a2 * dtmfSub / 2
	}
	q := tone / float64(r.energy)
	return min(q, 1)
}

// decide runs the per-window state machine.
func (d *DTMFDetector) decide() {
	w, ok := d.analyse()
	if ok {
		d.misses = 0
		if w.digit == d.held {
			d.cand = 0
			return
		}
		if w.digit == d.cand {
			d.candWins++
			if !d.trailDone {
				d.candDur += d.share(&d.hist[2], w) * dtmfSub
			}
			d.trailDone = false
		} else {
			d.cand = w.digit
			d.candWins = 1
			d.trailDone = false
			qa := d.share(&d.hist[1], w)
			qb := d.share(&d.hist[2], w)
			d.candDur = (qa + qb) * dtmfSub
			d.candStart = d.hist[1].start + int64((1-qa)*dtmfSub+0.5)
			if d.nsub == 3 {
				if qz := d.share(&d.hist[0], w); qz > 0.1 {
					d.candDur += qz * dtmfSub
					d.candStart = d.hist[0].start + int64((1-qz)*dtmfSub+0.5)
				}
			}
		}
		d.confirm()
		return
	}
	d.misses++
	if d.cand != 0 {
		if d.misses == 1 && !d.trailDone {
			// The sub-block after the last valid window may still hold the
			// tail of the tone.
			d.candDur += d.shareOf(&d.hist[2], d.cand) * dtmfSub
			d.trailDone = true
			d.confirm()
		}
		if d.misses >= dtmfDropMiss {
			d.cand = 0
		}
	}
	if d.held != 0 && d.misses >= dtmfReleaseMiss {
		d.held = 0
	}
}

// shareOf is share for a digit with nominal frequencies.
func (d *DTMFDetector) shareOf(r *dtmfSubResult, digit byte) float64 {
	for i := range 16 {
		if dtmfDigits[i] == digit {
			return d.share(r, dtmfWindow{row: i / 4, col: 4 + i%4})
		}
	}
	return 0
}

func (d *DTMFDetector) confirm() {
	if d.cand == 0 || d.cand == d.held || d.candWins < dtmfMinWindows || d.candDur < dtmfMinDuration {
		return
	}
	d.events = append(d.events, DTMFEvent{Digit: d.cand, Sample: d.candStart})
	d.held = d.cand
	d.cand = 0
}
