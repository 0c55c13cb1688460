package dsp

import (
	"math"
	"math/bits"
)

// DTMF receiver (ITU-T Q.24, ETSI ES 201 235-3).
//
// Design (why it looks the way it does):
//
//   - The DFT at the eight nominal frequencies is taken over sub-blocks of
//     51 samples (6.375 ms), by a packed-integer multiply-add (dft4Int).
//     Two consecutive sub-blocks combine exactly into a 102-sample analysis
//     window (78 Hz resolution, enough to separate 697 from 770 Hz) that
//     hops by 51 samples: decisions every 6.4 ms for one DFT per sample.
//   - The phase advance of each tone from one sub-block to the next gives
//     its frequency offset (unambiguous up to ±78 Hz), after the other
//     tone's leakage into its 51-point bin has been solved out. That is
//     how the receiver rejects tones 3.5% off nominal while accepting
//     ±(1.5% + 2 Hz) — beyond what a 102-point magnitude can resolve — and
//     it corrects the level estimates for the window loss at that offset,
//     so twist and level limits hold at the edges of the tolerance.
//   - Guards on every window: the strongest row and column bins must stand
//     7 dB above the others of their group; both offsets within Q.24's
//     must-accept band ±(1.5 % + 2 Hz) plus 4 Hz for the estimator (the
//     "may accept" zone up to 3.5 % is where musical notes sit: D6 with
//     vibrato is 2.5 % below 1209 Hz); twist within +10/−6 dB; each tone
//     above −37 dBm0; and the two tones must carry 85 % of the window's
//     in-band energy (spandsp's and the ITU receivers' tone-to-total
//     energy test). In-band means weighted by x[n]−x[n−2], a band-pass of
//     gain 4sin²ω: dial tone and voicing below 450 Hz count for little, so
//     they do not mask a digit, while anything in or above the DTMF band
//     (a third note, a formant, a fricative) counts in full, which is
//     what tells a chord or a vowel from a digit. (A first difference, as
//     here before, weighs 3 kHz thirteen times more than 697 Hz: a
//     fricative under a digit then vetoed it, while low notes of a chord
//     hardly counted.)
//   - Talk-off guards on a candidate, the checks no window can make alone:
//     a. Frequency stability. DTMF frequencies are crystal-made and
//     steady; voices glide and instruments have vibrato. The measured
//     frequencies, each the mean over two consecutive windows (so that
//     interference close to a tone, which makes a single window's
//     estimate swing, averages out), must stay within 3 Hz plus an
//     allowance growing with the square root of the energy that is not
//     the tones (the phase error interference causes), judged from the
//     candidate's second window on (the first straddles the onset).
//     b. Partials, on every window of the candidate: a row's 2nd and 3rd
//     harmonics and a column's 2nd must stand 20 dB below their tone
//     (ES 201 235-2 has a sender's unwanted components 20 dB down), and a
//     column's half frequency 8 dB below it (a column tone with a partial
//     at half its frequency is the 2nd harmonic of a voice or a note; the
//     rows' half frequencies are not checked: dial tones live there). A
//     component only counts as a partial where a partial would be, within
//     15 Hz of the multiple, measured by its phase advance between the
//     window's halves: speech or music sounding under a real digit puts
//     energy near those bins, but not exactly at the tones' multiples.
//     The other tone's leakage into a partial's bin (a row's 2nd harmonic
//     is 58–93 Hz from a column, a column's half frequency 29–46 Hz from
//     a row) is computed from its measured amplitude, phase and frequency
//     and subtracted first.
//     c. Persistence: three valid windows, two of them judged for
//     stability, and 25 ms of tone (see Timing). Speech makes DTMF-like
//     pairs for one or two windows at a time; Bellcore's talk-off practice
//     (and spandsp's two-block persistence) rely on the same fact.
//   - Timing: a digit is reported when those windows agree and the tone's
//     accumulated duration reaches 25 ms. Duration is the share of each
//     sub-block's energy the two tones hold, which can only under-estimate
//     a burst, so bursts of 20 ms or less are never reported while 40 ms
//     tones are. A held digit ends after four invalid windows (about
//     25 ms): that rides over a 10 ms interruption and still splits digits
//     40 ms apart. The reported Sample is the tone's estimated start.
//   - What remains: two nearly pure tones at a digit's frequencies, steady
//     for 40 ms, are a DTMF signal whatever made them (a sine-wave organ
//     stop or a flute duet on F5 and F♯6 is digit 3). The guards above
//     reject such notes when they carry partials, vibrato or other notes in
//     the band; the corpus tests (talkoff_test.go) measure how often the
//     rest happens.
//   - Cost: sub-blocks too quiet for a tone skip the DFT; the row bins are
//     skipped when no column bin could belong to a digit; a held digit is
//     followed with its two bins only. The candidate checks run a few times
//     per digit.

const (
	dtmfSub    = 51          // samples per sub-block
	dtmfWin    = 2 * dtmfSub // samples per analysis window
	dtmfRate   = 8000.0
	dtmfDigits = "123A456B789C*0#D"
	// Accepted |offset|: Q.24's must-accept band, ±(1.5 % + 2 Hz), widened
	// by dtmfTolMargin for the estimator's error; Q.24 rejects ≥ 3.5 %.
	dtmfTolRel    = 0.015
	dtmfTolAbs    = 2.0
	dtmfTolMargin = 4.0
	// dtmfMinLevel is the weakest tone accepted, per tone, in dBm0.
	dtmfMinLevel = -37.0
	// Twist limits in dB: low group stronger (normal) and high group stronger (reverse).
	dtmfNormalTwist  = 10.0
	dtmfReverseTwist = 6.0
	dtmfRelPeak      = 7.0  // dB the peak stands above the others of its group
	dtmfEnergyRatio  = 0.85 // share of the in-band window energy in the two tones
	dtmfHarmonic     = 20.0 // dB a harmonic must stay below its fundamental
	dtmfSubharmonic  = 8.0  // dB a column's half frequency must stay below it
	dtmfPartialTol   = 15.0 // Hz from where a partial would be that still makes it one
	// Hz the measured frequencies may wander over a digit's windows: a
	// floor for the estimator's own error, plus an allowance for the
	// energy in the band that is not the two tones (interference disturbs
	// the phase the estimate is made from; the phase error grows with the
	// square root of the interference-to-tone ratio).
	dtmfDriftFloor  = 3.0
	dtmfDriftNoise  = 50.0 // Hz per unit of √(1 − energy share)
	dtmfFilled      = 0.5  // sub-block share above which a window counts as filled by the tone
	dtmfLeakBias    = 8.0  // Hz of bias the uncorrected offset estimate may carry
	dtmfHeldRatio   = 0.45 // energy share that keeps a held digit (before window-loss correction)
	dtmfMinDuration = 200  // samples (25 ms) of estimated tone before reporting
	dtmfMinWindows  = 3    // valid windows before a digit is reported
	dtmfMinJudged   = 2    // of which filled by the tone (frequency drift judged)
	dtmfReleaseMiss = 4    // invalid windows that end a held digit
	dtmfDropMiss    = 3    // invalid windows that abandon an unconfirmed candidate
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
	// partial: only the held digit's two bins were computed;
	// rowsPending: the row bins are not computed yet (see bank).
	partial, rowsPending bool
	energy               float32 // Σ (x[n]-x[n-2])²
	start                int64   // index of its first sample
}

// dtmfTables are a receiver's constants, kept apart from its state so
// that Reset can keep them.
type dtmfTables struct {
	rotRe  [8]float32 // e^{-jwN} for N = dtmfSub
	rotIm  [8]float32
	weight [8]float64 // power gain 4sin²(w) of the in-band weighting x[n]−x[n−2]
	tol    [8]float64 // accepted |frequency offset|, Hz
	minA2  float64    // squared amplitude of the weakest accepted tone

	gate      float32 // sub-block energy below which the bank is skipped
	rel       float32 // dtmfRelPeak as a power ratio
	normTwist float64 // twist limits as power ratios
	revTwist  float64
	harmLimit float64 // harmonic power limit per unit of squared amplitude
	subLimit  float64 // the same for a column's half frequency

	// dftTab[k][n] packs the DFT coefficients of bin k at sample n in Q10:
	// round(1024·cos ωn) in the low 32 bits plus round(−1024·sin ωn)
	// shifted up 32 (see dft4Int).
	dftTab [8][dtmfSub]int64
	// On 32-bit machines (armv7, where a 64-bit multiply takes three
	// instructions) the cosines and sines are kept apart in int32 and
	// accumulated separately instead: packed says which form is used.
	cosTab, sinTab [8][dtmfSub]int32
	packed         bool
	// yRot[k] = e^{jω(N-1)}/1024: turns a sub-block DFT into the Goertzel
	// form y the analysis uses.
	yRotRe, yRotIm [8]float32
	// heldCos[k] is the cosine of the largest phase advance heldStill
	// accepts for bin k.
	heldCos [8]float64
	// unmix[row][col-4] solves the two tones' mutual leakage (see
	// unmixedOffsets), precomputed for the nominal frequencies.
	unmix [4][4][4][4]float64
}

// DTMFDetector is a streaming DTMF receiver (see the design notes above).
// It is not safe for concurrent use; use one per channel.
type DTMFDetector struct {
	dtmfTables // constants computed once by NewDTMFDetector

	// Streaming state.
	xb     [2][dtmfSub]int16 // the current and the previous sub-block
	cur    int               // index in xb of the current one
	n      int               // samples in it so far
	prev1  int32             // the last two samples, for the in-band energy
	prev2  int32
	energy int64
	hist   [3]dtmfSubResult // hist[2] is the newest completed sub-block
	nsub   int              // completed sub-blocks (saturating at 3)
	sample int64            // samples consumed

	// Decision state.
	cand      byte    // digit being confirmed (0: none)
	candWins  int     // valid windows seen for cand
	candDur   float64 // estimated tone samples for cand
	candStart int64
	// Frequency offsets seen over the candidate's windows: a DTMF tone's
	// frequency is steady, a voice's or an instrument's glides.
	candMinR, candMaxR, candMinC, candMaxC float64
	candShare                              float64 // lowest energy share of those windows
	candJudged                             int     // how many there were
	prevR, prevC                           float64 // the previous filled window's offsets
	prevOK                                 bool
	trailDone                              bool // the sub-block after the last valid window was counted
	held                                   byte // digit reported and still present (0: none)
	heldFast                               bool // held digit steady: track it with two filters only
	misses                                 int  // consecutive invalid windows

	events []DTMFEvent
}

// NewDTMFDetector returns a receiver with the limits documented above
// (ITU-T Q.24 and ETSI ES 201 235-3).
func NewDTMFDetector() *DTMFDetector {
	d := &DTMFDetector{events: make([]DTMFEvent, 0, 8)}
	d.packed = bits.UintSize == 64
	for k, f := range dtmfFreqs() {
		w := 2 * math.Pi * f / dtmfRate
		d.rotRe[k] = float32(math.Cos(w * dtmfSub))
		d.rotIm[k] = float32(-math.Sin(w * dtmfSub))
		s := math.Sin(w)
		d.weight[k] = 4 * s * s
		d.tol[k] = dtmfTolRel*f + dtmfTolAbs + dtmfTolMargin
		for n := range dtmfSub {
			c := int64(math.Round(1024 * math.Cos(w*float64(n))))
			s := int64(math.Round(-1024 * math.Sin(w*float64(n))))
			d.dftTab[k][n] = c + s<<32
			d.cosTab[k][n], d.sinTab[k][n] = int32(c), int32(s)
		}
		d.heldCos[k] = math.Cos(2 * math.Pi * (d.tol[k] + dtmfLeakBias) * dtmfSub / dtmfRate)
		d.yRotRe[k] = float32(math.Cos(w*(dtmfSub-1)) / 1024)
		d.yRotIm[k] = float32(math.Sin(w*(dtmfSub-1)) / 1024)
	}
	for r := range 4 {
		for c := range 4 {
			d.unmix[r][c] = unmixMatrix(r, 4+c)
		}
	}
	a := DBm0ToPeak(dtmfMinLevel)
	d.minA2 = a * a
	// A tone at the minimum level filling 30% of a sub-block, at the
	// lowest DTMF frequency (least weight), is the least worth analysing.
	d.gate = float32(0.3 * d.weight[0] * d.minA2 / 2 * dtmfSub)
	d.rel = float32(math.Pow(10, dtmfRelPeak/10))
	d.normTwist = math.Pow(10, dtmfNormalTwist/10)
	d.harmLimit = math.Pow(10, -dtmfHarmonic/10) * dtmfWin * dtmfWin / 4
	d.subLimit = math.Pow(10, -dtmfSubharmonic/10) * dtmfWin * dtmfWin / 4
	d.revTwist = math.Pow(10, dtmfReverseTwist/10)
	return d
}

// Reset forgets all state, as if the detector were new; sample indexes
// restart from zero.
func (d *DTMFDetector) Reset() {
	*d = DTMFDetector{dtmfTables: d.dtmfTables, events: d.events[:0]}
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

// feed copies x into the sub-block buffer and accumulates the in-band
// energy, Σ(x[n]−x[n−2])²: a band-pass of gain 4sin²ω, zero at DC and at
// 4 kHz and flat within 3 dB from 1.1 to 2.9 kHz. Low-frequency energy
// (dial tone, voicing) counts little against a digit, energy in and above
// the DTMF band counts fully. The DFT runs once the sub-block is complete
// (endSub), and not at all when its energy is too low to hold a tone at
// the minimum level: quiet stretches cost almost nothing.
func (d *DTMFDetector) feed(x []int16) {
	buf := &d.xb[d.cur]
	copy(buf[d.n:], x)
	// Integer arithmetic for the energy: exact, and its one-cycle adds do
	// not serialise the loop the way a float accumulator's latency would.
	// Two accumulators, two samples per iteration.
	xb := buf[d.n : d.n+len(x)]
	p1, p2 := d.prev1, d.prev2
	// |x[n]−x[n−2]| < 2¹⁶, so its square fits an unsigned 32-bit product.
	var e0, e1 uint64
	for len(xb) >= 2 {
		s0, s1 := int32(xb[0]), int32(xb[1])
		a, b := uint32(s0-p2), uint32(s1-p1)
		p2, p1 = s0, s1
		e0 += uint64(a * a)
		e1 += uint64(b * b)
		xb = xb[2:]
	}
	if len(xb) == 1 {
		s := int32(xb[0])
		a := uint32(s - p2)
		p2, p1 = p1, s
		e0 += uint64(a * a)
	}
	d.prev1, d.prev2 = p1, p2
	d.energy += int64(e0 + e1)
}

// dft4Int computes the DFT of sub-block x at bins k…k+3 into r.
//
// It is the receiver's hot loop, and it is integer: each coefficient
// table entry packs a bin's cosine and sine in Q10, one in each 32-bit
// half of an int64, so one 64-bit multiply-add per bin and sample
// accumulates both the real and the imaginary sums (each stays below 2³¹:
// 51 samples × 2¹⁵ × 2¹⁰). With no loop-carried dependency but the
// additions, this runs at the multiplier's throughput, about a third faster
// than a float32 Goertzel bank, which is bound by its multiply-add latency.
// Q10 coefficients put the quantisation spurs near −60 dB, far below
// anything the detector judges.
func (d *DTMFDetector) dft4Int(x *[dtmfSub]int16, k int, r *dtmfSubResult) {
	if !d.packed {
		d.dft4Int32(x, k, r)
		return
	}
	t := (*[4][dtmfSub]int64)(d.dftTab[k : k+4])
	t0, t1, t2, t3 := &t[0], &t[1], &t[2], &t[3]
	var a0, a1, a2, a3 int64
	// Three samples per iteration (51 = 3·17): fewer loop and reload
	// instructions per multiply.
	for n := 0; n+2 < dtmfSub; n += 3 {
		x0, x1, x2 := int64(x[n]), int64(x[n+1]), int64(x[n+2])
		a0 += x0*t0[n] + x1*t0[n+1] + x2*t0[n+2]
		a1 += x0*t1[n] + x1*t1[n+1] + x2*t1[n+2]
		a2 += x0*t2[n] + x1*t2[n+1] + x2*t2[n+2]
		a3 += x0*t3[n] + x1*t3[n+1] + x2*t3[n+2]
	}
	d.unpack(k, a0, r)
	d.unpack(k+1, a1, r)
	d.unpack(k+2, a2, r)
	d.unpack(k+3, a3, r)
}

// dft4Int32 is dft4Int for 32-bit machines: two int32 multiply-adds per
// bin and sample (|Σ| ≤ 51·2¹⁵·2¹⁰ < 2³¹).
func (d *DTMFDetector) dft4Int32(x *[dtmfSub]int16, k int, r *dtmfSubResult) {
	c := (*[4][dtmfSub]int32)(d.cosTab[k : k+4])
	s := (*[4][dtmfSub]int32)(d.sinTab[k : k+4])
	for j := range 4 {
		cj, sj := &c[j], &s[j]
		var re, im int32
		for n := range dtmfSub {
			xv := int32(x[n])
			re += xv * cj[n]
			im += xv * sj[n]
		}
		d.store(k+j, re, im, r)
	}
}

// dft2Int computes only bins a and b (a held digit's row and column).
func (d *DTMFDetector) dft2Int(x *[dtmfSub]int16, a, b int, r *dtmfSubResult) {
	if !d.packed {
		for _, k := range [2]int{a, b} {
			ck, sk := &d.cosTab[k], &d.sinTab[k]
			var re, im int32
			for n := range dtmfSub {
				xv := int32(x[n])
				re += xv * ck[n]
				im += xv * sk[n]
			}
			d.store(k, re, im, r)
		}
		return
	}
	ta, tb := &d.dftTab[a], &d.dftTab[b]
	var sa, sb int64
	for n := 0; n+2 < dtmfSub; n += 3 {
		x0, x1, x2 := int64(x[n]), int64(x[n+1]), int64(x[n+2])
		sa += x0*ta[n] + x1*ta[n+1] + x2*ta[n+2]
		sb += x0*tb[n] + x1*tb[n+1] + x2*tb[n+2]
	}
	d.unpack(a, sa, r)
	d.unpack(b, sb, r)
}

// unpack splits a packed accumulator into X = Σx·cos − jΣx·sin.
func (d *DTMFDetector) unpack(k int, acc int64, r *dtmfSubResult) {
	lo := int64(int32(acc))
	hi := (acc - lo) >> 32
	d.store(k, int32(lo), int32(hi), r)
}

// store keeps bin k's DFT X = re + j·im (in Q10) as y = e^{jω(N-1)}·X,
// the Goertzel form the analysis is written in.
func (d *DTMFDetector) store(k int, re, im int32, r *dtmfSubResult) {
	xr, xi := float32(re), float32(im)
	r.re[k] = xr*d.yRotRe[k] - xi*d.yRotIm[k]
	r.im[k] = xr*d.yRotIm[k] + xi*d.yRotRe[k]
}

// bank computes the sub-block's bins. With lazyRows (while no digit is
// being confirmed or held) only the column pass runs; the row pass is left
// pending and runs only if a window holding this sub-block passes the
// column checks (analyse), from the samples still in the double buffer.
// Windows whose columns fail are invalid whatever the rows hold, so
// nothing is lost, and on speech and noise most windows stop there: the
// receiver then costs about one four-bin pass per sample instead of two.
func (d *DTMFDetector) bank(x *[dtmfSub]int16, r *dtmfSubResult, lazyRows bool) {
	r.partial, r.rowsPending = false, false
	d.dft4Int(x, 4, r)
	if lazyRows {
		r.rowsPending = true
		for k := range 4 {
			r.re[k], r.im[k] = 0, 0
		}
		return
	}
	d.dft4Int(x, 0, r)
}

// endSub closes a sub-block: it computes the filters the situation needs
// and runs the window decision.
func (d *DTMFDetector) endSub() {
	d.hist[0], d.hist[1] = d.hist[1], d.hist[2]
	r := &d.hist[2]
	r.energy = float32(d.energy)
	r.start = d.sample - dtmfSub
	x := &d.xb[d.cur]
	d.cur = 1 - d.cur
	d.energy = 0
	d.n = 0
	if d.nsub < 3 {
		d.nsub++
	}
	switch {
	case r.energy < d.gate:
		// Too quiet to hold a tone at the minimum level.
		r.re, r.im = [8]float32{}, [8]float32{}
		r.partial, r.rowsPending = false, false
	case d.heldFast && d.nsub >= 2:
		i := dtmfIndex(d.held)
		row, col := i/4, 4+i%4
		d.dft2Int(x, row, col, r)
		r.partial, r.rowsPending = true, false
		if d.heldStill(row, col) {
			d.misses = 0
			return
		}
		// Something changed (the digit is ending, most likely): back to the
		// full analysis from this sub-block on. The previous sub-block keeps
		// only the held digit's bins, so this window counts as invalid; a
		// new digit is judged from the next window.
		d.heldFast = false
		d.bank(x, r, false)
		d.miss()
		return
	default:
		d.bank(x, r, d.cand == 0 && d.held == 0)
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
	share      float64 // share of the window's in-band energy in the two tones
	resid      float64 // the rest of that energy
	ar, ac     float64 // squared amplitudes, corrected for the offset
	// lossR, lossC: a 51-point bin's power loss at the measured offsets.
	lossR, lossC float64
}

// analyse checks the window made of hist[1] and hist[2].
func (d *DTMFDetector) analyse() (dtmfWindow, bool) {
	a, b := &d.hist[1], &d.hist[2]
	// Cheap rejections first, columns before rows: a quiet window, or a
	// group without a clear peak.
	const n2 = dtmfWin * dtmfWin
	const minLoss = 0.6 // worst window loss inside the frequency tolerance
	var p [8]float32
	col := 4
	for k := 4; k < 8; k++ {
		p[k] = d.winPower(k)
		if p[k] > p[col] {
			col = k
		}
	}
	if 4*float64(p[col])/n2 < d.minA2*minLoss {
		return dtmfWindow{}, false
	}
	for k := 4; k < 8; k++ {
		if k != col && p[k]*d.rel > p[col] {
			return dtmfWindow{}, false
		}
	}
	// The columns pass: now the rows are needed (samples of hist[1] are in
	// xb[cur], of hist[2] in xb[1-cur] until the next sub-block arrives).
	if a.rowsPending {
		d.dft4Int(&d.xb[d.cur], 0, a)
		a.rowsPending = false
	}
	if b.rowsPending {
		d.dft4Int(&d.xb[1-d.cur], 0, b)
		b.rowsPending = false
	}
	row := 0
	for k := range 4 {
		p[k] = d.winPower(k)
		if p[k] > p[row] {
			row = k
		}
	}
	if 4*float64(p[row])/n2 < d.minA2*minLoss {
		return dtmfWindow{}, false
	}
	for k := range 4 {
		if k != row && p[k]*d.rel > p[row] {
			return dtmfWindow{}, false
		}
	}
	return d.analyseBins(row, col)
}

// winPower is the 102-point DFT power of bin k over the window:
// Y = y_a + e^{-jwN}·y_b (up to a phase).
func (d *DTMFDetector) winPower(k int) float32 {
	a, b := &d.hist[1], &d.hist[2]
	re := a.re[k] + d.rotRe[k]*b.re[k] - d.rotIm[k]*b.im[k]
	im := a.im[k] + d.rotRe[k]*b.im[k] + d.rotIm[k]*b.re[k]
	return re*re + im*im
}

// analyseBins checks frequency (with the tones' leakage into each other's
// bins removed), level, twist and energy share of the tones in bins row
// and col over the window.
func (d *DTMFDetector) analyseBins(row, col int) (dtmfWindow, bool) {
	a, b := &d.hist[1], &d.hist[2]
	const n2 = dtmfWin * dtmfWin
	offR, offC := d.unmixedOffsets(row, col)
	if math.Abs(offR) > d.tol[row] || math.Abs(offC) > d.tol[col] {
		return dtmfWindow{}, false
	}
	ar := 4 * float64(d.winPower(row)) / n2 / dirichlet2(offR, dtmfWin)
	ac := 4 * float64(d.winPower(col)) / n2 / dirichlet2(offC, dtmfWin)
	if ar < d.minA2 || ac < d.minA2 {
		return dtmfWindow{}, false
	}
	if ar > ac*d.normTwist || ac > ar*d.revTwist {
		return dtmfWindow{}, false
	}
	// Share of the weighted energy: a tone of amplitude A contributes
	// w·A²/2 per sample to Σ(Δx)².
	tone := (d.weight[row]*ar + d.weight[col]*ac) * dtmfWin / 2
	total := float64(a.energy + b.energy)
	if tone < dtmfEnergyRatio*total {
		return dtmfWindow{}, false
	}
	return dtmfWindow{
		digit: dtmfDigits[row*4+col-4], row: row, col: col, offR: offR, offC: offC, ar: ar, ac: ac,
		share: min(tone/total, 1), resid: max(total-tone, 0),
		lossR: dirichlet2(offR, dtmfSub), lossC: dirichlet2(offC, dtmfSub),
	}, true
}

// heldStill is the cheap check that a held digit continues, run on each
// window while it is steady, with only its two bins computed: both tones'
// phase advances within the tolerance widened by the uncorrected
// estimate's bias (tested as Re z ≥ |z|·cos θ, without an arctangent),
// both levels above the minimum allowing for the window loss at the
// tolerance edge, and the two tones still holding most of the energy.
// Failing it costs nothing but a return to the full analysis.
func (d *DTMFDetector) heldStill(row, col int) bool {
	a, b := &d.hist[1], &d.hist[2]
	const n2 = dtmfWin * dtmfWin
	const minLoss = 0.6
	var tone float64
	for _, k := range [2]int{row, col} {
		br := float64(d.rotRe[k]*b.re[k] - d.rotIm[k]*b.im[k])
		bi := float64(d.rotRe[k]*b.im[k] + d.rotIm[k]*b.re[k])
		ar, ai := float64(a.re[k]), float64(a.im[k])
		zr := br*ar + bi*ai
		zi := bi*ar - br*ai
		if c := d.heldCos[k]; zr <= 0 || zr*zr < c*c*(zr*zr+zi*zi) {
			return false
		}
		a2 := 4 * float64(d.winPower(k)) / n2
		if a2 < d.minA2*minLoss {
			return false
		}
		tone += d.weight[k] * a2 * dtmfWin / 2
	}
	return tone >= dtmfHeldRatio*float64(a.energy+b.energy)
}

// unmixedOffsets measures the row and column tones' frequency offsets with
// each tone's leakage into the other's bin removed. In each sub-block the
// two bins see y_r = R·g_rr + R̄·h_rr + C·g_cr + C̄·h_cr and
// y_c = R·g_rc + R̄·h_rc + C·g_cc + C̄·h_cc, where R and C are the tones'
// complex amplitudes, g the known responses of a 51-point DFT bin to a
// tone at the other's frequency and h those to its negative-frequency
// image. Solving that system (four real unknowns, four real equations;
// its inverse is precomputed per digit at the nominal frequencies) for R
// and C in both sub-blocks gives each tone's own phase advance. Without
// the images (30–35 dB down, but their phase turns with the tone's) the
// estimate would wobble by a few hertz from one window to the next, which
// the drift check could not tell from a gliding voice.
func (d *DTMFDetector) unmixedOffsets(row, col int) (float64, float64) {
	m := &d.unmix[row][col-4]
	var rAmp, cAmp [2]complex128
	for i, s := range [2]*dtmfSubResult{&d.hist[1], &d.hist[2]} {
		y := [4]float64{float64(s.re[row]), float64(s.im[row]), float64(s.re[col]), float64(s.im[col])}
		var u [4]float64
		for j := range 4 {
			u[j] = m[j][0]*y[0] + m[j][1]*y[1] + m[j][2]*y[2] + m[j][3]*y[3]
		}
		rAmp[i], cAmp[i] = complex(u[0], u[1]), complex(u[2], u[3])
	}
	adv := func(p [2]complex128, k int) float64 {
		z := p[1] * complex(real(p[0]), -imag(p[0])) * complex(float64(d.rotRe[k]), float64(d.rotIm[k]))
		return fastAtan2(imag(z), real(z)) * dtmfRate / (2 * math.Pi * dtmfSub)
	}
	return adv(rAmp, row), adv(cAmp, col)
}

// unmixMatrix is the inverse of the real 4×4 system of unmixedOffsets for
// bins row and col: it maps (Re y_r, Im y_r, Re y_c, Im y_c) to
// (Re R, Im R, Re C, Im C).
func unmixMatrix(row, col int) [4][4]float64 {
	freqs := dtmfFreqs()
	nr := 2 * math.Pi * freqs[row] / dtmfRate
	nc := 2 * math.Pi * freqs[col] / dtmfRate
	// Response of the bin at n to e^{jωm}: y = e^{jn(N-1)}·Σ e^{j(ω-n)m}.
	resp := func(w, n float64) complex128 {
		return cmplxExp(n*(dtmfSub-1)) * kernel(w-n, dtmfSub)
	}
	// Column j of the system is the response to a unit change of unknown
	// j: Re A contributes g + h, Im A contributes j(g − h).
	var m [4][4]float64
	for i, bin := range [2]float64{nr, nc} {
		for t, w := range [2]float64{nr, nc} {
			g, h := resp(w, bin), resp(-w, bin)
			re, im := g+h, complex(0, 1)*(g-h)
			m[2*i][2*t], m[2*i+1][2*t] = real(re), imag(re)
			m[2*i][2*t+1], m[2*i+1][2*t+1] = real(im), imag(im)
		}
	}
	return invert4(m)
}

// invert4 inverts a 4×4 matrix by Gauss–Jordan elimination with partial
// pivoting (run once per digit when a receiver is made).
func invert4(m [4][4]float64) [4][4]float64 {
	var inv [4][4]float64
	for i := range 4 {
		inv[i][i] = 1
	}
	for c := range 4 {
		p := c
		for r := c + 1; r < 4; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		inv[c], inv[p] = inv[p], inv[c]
		f := 1 / m[c][c]
		for k := range 4 {
			m[c][k] *= f
			inv[c][k] *= f
		}
		for r := range 4 {
			if r != c {
				g := m[r][c]
				for k := range 4 {
					m[r][k] -= g * m[c][k]
					inv[r][k] -= g * inv[c][k]
				}
			}
		}
	}
	return inv
}

func cmplxExp(ph float64) complex128 {
	s, c := math.Sincos(ph)
	return complex(c, s)
}

// kernel is Σ_{m<n} e^{jθm}.
func kernel(theta float64, n int) complex128 {
	s := math.Sin(theta / 2)
	if math.Abs(s) < 1e-12 {
		return complex(float64(n), 0)
	}
	return complex(math.Sin(float64(n)*theta/2)/s, 0) * cmplxExp(theta*float64(n-1)/2)
}

// dirichlet2 is the power response of an n-point DFT bin to a tone off
// its centre by off Hz, relative to a tone on the centre:
// (sin(n·x)/(n·sin x))² with x = π·off/fs. Within the frequency tolerance
// n·x stays below 1.8, where sin(y)/y's Taylor series to y⁸ is accurate to
// 1e-5 and sin x ≈ x to 1e-4; this runs for every candidate window, so it
// avoids math.Sin.
func dirichlet2(off float64, n int) float64 {
	y := math.Pi * off * float64(n) / dtmfRate
	y2 := y * y
	if y2 > 4 {
		s := math.Sin(y) / (float64(n) * math.Sin(math.Pi*off/dtmfRate))
		return s * s
	}
	v := 1 + y2*(-1.0/6+y2*(1.0/120+y2*(-1.0/5040+y2*(1.0/362880))))
	return v * v
}

// fastAtan2 is atan2 to within 3e-4 rad (0.01 Hz of frequency offset
// here), several times cheaper than math.Atan2.
func fastAtan2(y, x float64) float64 {
	ax, ay := math.Abs(x), math.Abs(y)
	if ax == 0 && ay == 0 {
		return 0
	}
	a := min(ax, ay) / max(ax, ay)
	s := a * a
	r := ((-0.0464964749*s+0.15931422)*s-0.327622764)*s*a + a
	if ay > ax {
		r = math.Pi/2 - r
	}
	if x < 0 {
		r = math.Pi - r
	}
	if y < 0 {
		r = -r
	}
	return r
}

// share returns the fraction of sub-block r's weighted energy held by the
// tones of window w: for a tone alone it is the fraction of the sub-block
// the tone fills, and noise or other sound only lowers it.
func (d *DTMFDetector) share(r *dtmfSubResult, w dtmfWindow) float64 {
	if r.energy <= 0 {
		return 0
	}
	if w.lossR == 0 { // offsets not measured: nominal frequencies
		w.lossR, w.lossC = 1, 1
	}
	var tone float64
	for i, k := range [2]int{w.row, w.col} {
		loss := w.lossR
		if i == 1 {
			loss = w.lossC
		}
		re, im := float64(r.re[k]), float64(r.im[k])
		a2 := 4 * (re*re + im*im) / (dtmfSub * dtmfSub) / loss
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
			d.heldFast = true
			return
		}
		qa, qb := d.share(&d.hist[1], w), d.share(&d.hist[2], w)
		if w.digit == d.cand {
			d.candWins++
			if !d.trailDone {
				d.candDur += qb * dtmfSub
			}
			d.trailDone = false
		} else {
			d.cand = w.digit
			d.candWins = 1
			d.candMinR, d.candMaxR = math.Inf(1), math.Inf(-1)
			d.candMinC, d.candMaxC = math.Inf(1), math.Inf(-1)
			d.candShare, d.candJudged, d.prevOK = 1, 0, false
			d.trailDone = false
			d.candDur = (qa + qb) * dtmfSub
			d.candStart = d.hist[1].start + int64((1-qa)*dtmfSub+0.5)
			if d.nsub == 3 {
				if qz := d.share(&d.hist[0], w); qz > 0.1 {
					d.candDur += qz * dtmfSub
					d.candStart = d.hist[0].start + int64((1-qz)*dtmfSub+0.5)
				}
			}
		}
		// Frequency drift is judged on windows the tone fills: a partly
		// filled window's phase carries the tone's start transient.
		// Each estimate is the mean of two consecutive windows' (the phase
		// advance over two sub-blocks): interference near a tone makes
		// the single-window estimate swing from one window to the next,
		// a glide does not average out.
		if d.candWins >= 2 && min(qa, qb) >= dtmfFilled {
			if d.prevOK {
				r, c := (w.offR+d.prevR)/2, (w.offC+d.prevC)/2
				d.candMinR, d.candMaxR = min(d.candMinR, r), max(d.candMaxR, r)
				d.candMinC, d.candMaxC = min(d.candMinC, c), max(d.candMaxC, c)
				d.candShare = min(d.candShare, w.share)
				d.candJudged++
			}
			d.prevR, d.prevC, d.prevOK = w.offR, w.offC, true
		} else {
			d.prevOK = false
		}
		if d.candWins >= dtmfMinWindows && d.candJudged >= dtmfMinJudged && !d.harmonicsOK(w) {
			// A voice or an instrument, not DTMF: drop the candidate.
			// Checked on each window from the first that could report
			// it: one or two per digit.
			d.cand = 0
			d.miss()
			return
		}
		d.confirm()
		if d.held == w.digit {
			// Just reported on a valid window: follow it with two bins
			// from the next sub-block on.
			d.heldFast = true
		}
		return
	}
	d.miss()
}

// miss handles an invalid window.
func (d *DTMFDetector) miss() {
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
		d.heldFast = false
	}
}

// harmonicsOK is the guard against voices and instruments, run only on
// windows that would extend a candidate (not while a digit is held, so it
// costs nothing in the steady state). DTMF tones are pure and unrelated;
// a voice's or an instrument's partials are multiples of one fundamental.
// It measures, at the tones' measured frequencies:
//
//   - the second and third harmonics of the row tone and the second of the
//     column tone, which must stand dtmfHarmonic dB below their
//     fundamentals (ETSI ES 201 235-2 has a DTMF sender's unwanted
//     components 20 dB or more below its tones);
//   - the column tone's half frequency, which must stand dtmfSubharmonic
//     dB below the column tone: a column tone with a partial at half its
//     frequency is the second harmonic of a voice or a note. (The rows'
//     half frequencies, 348–470 Hz, are where dial tones are, which may
//     legitimately sound under a digit; they are not checked.)
//
// Some of these bins lie inside the main lobe of the other tone's 102-
// sample window (the row's second harmonic 58–93 Hz from a column, a
// column's half frequency 29–46 Hz from a row): that tone's leakage is
// computed from its measured amplitude, phase and frequency and
// subtracted first.
func (d *DTMFDetector) harmonicsOK(w dtmfWindow) bool {
	freqs := dtmfFreqs()
	wr := 2 * math.Pi * (freqs[w.row] + w.offR) / dtmfRate
	wc := 2 * math.Pi * (freqs[w.col] + w.offC) / dtmfRate
	a, b := &d.xb[d.cur], &d.xb[1-d.cur] // hist[1] and hist[2]'s samples
	// Each half of the window on its own: the two tones are measured and
	// subtracted (each half with its own amplitude and phase, so a tone
	// that swells or fades is followed), then the partials' bins are
	// measured on what is left; the two halves together give a partial's
	// power over the window and the phase advance between them its
	// frequency. Subtracting in the time domain costs two phasor
	// recurrences, where removing the tones' leakage bin by bin would
	// cost two dozen sines.
	var res [2][dtmfSub]float64
	for n := range dtmfSub {
		res[0][n], res[1][n] = float64(a[n]), float64(b[n])
	}
	tones := goertzelPairs(&res, [4]float64{wr, wc, 0, 0})
	for h := range res {
		r := &res[h]
		for k, wt := range [2]float64{wr, wc} {
			// Subtract c·e^{jωn} + c̄·e^{−jωn} = 2·Re(c·e^{jωn}), c the
			// tone's complex half-amplitude (its image neglected).
			c := tones[h][k] / dtmfSub
			s, co := math.Sincos(wt)
			rot := complex(co, s)
			ph := 2 * c
			for n := range r {
				r[n] -= real(ph)
				ph *= rot
			}
		}
	}
	nus := [4]float64{2 * wc, 3 * wr, 2 * wr, wc / 2}
	parts := goertzelPairs(&res, nus)
	for i, lim := range [4]float64{d.harmLimit * w.ac, d.harmLimit * w.ar, d.harmLimit * w.ar, d.subLimit * w.ac} {
		nu := nus[i]
		ra, rb := parts[0][i], parts[1][i]
		full := ra + rb*cmplxExp(-nu*dtmfSub)
		if pow2(full) <= lim {
			continue
		}
		// Strong enough: a partial if it sits where a partial would,
		// within dtmfPartialTol Hz (the tones' own measurement error,
		// multiplied, and a voice's glide within the window).
		z := rb * complex(real(ra), -imag(ra))
		off := fastAtan2(imag(z), real(z)) * dtmfRate / (2 * math.Pi * dtmfSub)
		if math.Abs(off) <= dtmfPartialTol {
			return false
		}
	}
	return true
}

// goertzelPairs computes the DFT X(ν) = Σ x[n]e^{−jνn} of both
// 51-sample halves at four frequencies (zero frequencies are skipped in
// use but computed): eight Goertzel recursions run side by side, so the
// loop is bound by the multiplier's throughput rather than one
// recursion's latency.
func goertzelPairs(x *[2][dtmfSub]float64, nus [4]float64) (out [2][4]complex128) {
	var c [4]float64
	for k, nu := range nus {
		c[k] = 2 * math.Cos(nu)
	}
	var p, q [2][4]float64 // s[n−1], s[n−2] per half and bin
	for n := range dtmfSub {
		for h := range 2 {
			v := x[h][n]
			p0 := c[0]*p[h][0] - q[h][0] + v
			p1 := c[1]*p[h][1] - q[h][1] + v
			p2 := c[2]*p[h][2] - q[h][2] + v
			p3 := c[3]*p[h][3] - q[h][3] + v
			q[h] = p[h]
			p[h] = [4]float64{p0, p1, p2, p3}
		}
	}
	for k, nu := range nus {
		s, co := math.Sincos(nu)
		// y = s1 − e^{−jν}·s2 = e^{jν(N−1)}·X.
		back := cmplxExp(-nu * (dtmfSub - 1))
		for h := range 2 {
			out[h][k] = complex(p[h][k]-co*q[h][k], s*q[h][k]) * back
		}
	}
	return out
}

func pow2(c complex128) float64 { return real(c)*real(c) + imag(c)*imag(c) }

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
	if d.cand == 0 || d.cand == d.held || d.candWins < dtmfMinWindows || d.candJudged < dtmfMinJudged || d.candDur < dtmfMinDuration {
		return
	}
	drift := dtmfDriftFloor + dtmfDriftNoise*math.Sqrt(1-d.candShare)
	if d.candMaxR-d.candMinR > drift || d.candMaxC-d.candMinC > drift { // (−Inf when unmeasured: passes)
		d.cand = 0 // gliding: speech or music
		return
	}
	d.events = append(d.events, DTMFEvent{Digit: d.cand, Sample: d.candStart})
	d.held = d.cand
	d.cand = 0
}
