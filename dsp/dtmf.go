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
//   - Talk-off: what a window cannot tell. A key press is two sinusoids
//     that start together at full strength, hold a constant level and a
//     constant frequency, and carry nothing else; voices glide, swell and
//     carry partials, and instruments have attacks, vibrato, tremolo,
//     partials and notes that were sounding before. A candidate (three
//     valid windows, two of them filled by the tone, 25 ms of tone; see
//     Timing) is judged once, cheapest test first (judge), on what the
//     windows since its start measured:
//     a. Steady level. Each tone's power, from its leakage-free
//     amplitude over each filled window (corrected for the part of the
//     window the tone fills), may vary by 3 dB if both tones vary and by
//     8 dB for one of them, plus 4 dB per unit of √(1 − share) for what
//     in-band interference does to the measurement. An instrument's
//     attack or a swell moves both tones together: a linear attack of
//     50 ms or longer is rejected at every level; speech 20 dB under a
//     key press moves mostly the tone its formant sits on (the talk-down
//     corpus shows up to 4.6 dB on one tone, 1.3 dB on both).
//     b. Rectangular onset. The tones' power over the 102 samples that
//     end a sub-block before the candidate's estimated start (a sub-block
//     of margin: interference lowers the energy shares the start is
//     estimated from, so the start may come out late) must be 3 dB below
//     the candidate's for each tone and 16 dB below for at least one: a
//     note that was already sounding (a chord revealed when another note
//     stops, the second half of a swell, a voice's steady harmonics) fails.
//     Speech under a key press reaches −9 dB at one tone's frequency
//     before it (a sung vowel on the row), never −16 dB at both.
//     c. Steady frequency. Each tone's frequency, as the mean of two
//     consecutive windows' (interference near a tone makes a single
//     window's estimate swing, a glide does not average out), may wander
//     by 8 Hz plus 12 Hz per unit of √(1 − share) over the filled windows
//     (a robotic monotone voice glides 15 Hz in 20 ms; interference at a
//     tone's own frequency moves a key press's estimate up to 7 Hz).
//     d. No partials: a row's 2nd and 3rd harmonics and a column's 2nd
//     must stand 14 dB below their tone, and a column's half frequency
//     8 dB below it (a column tone with a partial at half its frequency
//     is the 2nd harmonic of a voice or a note; the rows' half
//     frequencies are not checked: dial tones live there). A component
//     only counts as a partial where a partial would be, within 15 Hz of
//     the multiple, measured by its phase advance between the window's
//     halves. Instruments with a fast attack (plucked and struck strings,
//     organ pipes) carry partials within 12 dB of their fundamental; speech
//     20 dB under a key press puts components up to 17 dB below a tone
//     near a partial's place, hence 14 dB rather than the 20 dB ETSI ES
//     201 235-2 asks of a sender. The tones are subtracted first (each
//     half of the window with its own amplitude and phase; a row's 2nd
//     harmonic is 58–93 Hz from a column, a column's half frequency
//     29–46 Hz from a row). Skipped when the window's in-band energy
//     besides the tones is too small for any partial to reach its limit.
//     A key press fails c or d only by the chance of what sounds under it,
//     so those make the candidate look again two windows later, for up
//     to 80 ms from its start; failing a or b, or c or d after that, ends
//     it: the signal is then followed like a held digit, silently, until
//     it stops, because what was not a key press at its start does not
//     become one later (a sustained note is judged once, not at every
//     moment a vibrato or a passing drum lets it look steady).
//     The full talk-off corpus (75 minutes of espeak-ng speech in every
//     voice and variant, at three levels, and 24 minutes of generated
//     music at six; make dsp-full) gives no false digit, and every digit
//     of the talk-down corpus is found with any of its clips 20 dB below;
//     so does a held-out corpus (24 minutes of speech in other texts and
//     voice settings, 30 of music from other seeds) added after these
//     limits were set, on which the receiver before them made 55 digits.
//     Without the tests above, notes revealed mid-chord (a and b) and a
//     croaking and a robotic voice (b and c) made digits.
//   - Timing: a digit is reported when those windows agree and the tone's
//     accumulated duration reaches 25 ms. Duration is the share of each
//     sub-block's energy the two tones hold, which can only under-estimate
//     a burst, so bursts of 20 ms or less are never reported while 40 ms
//     tones are. A held digit ends after four invalid windows (about
//     25 ms): that rides over a 10 ms interruption and still splits digits
//     40 ms apart. The reported Sample is the tone's estimated start.
//   - What remains: two pure tones at a digit's frequencies that start
//     within about 20 ms, hold their level and frequency for 40 ms and
//     were not there before are a DTMF signal whatever made them (a
//     synthesiser's two sine waves struck on F5 and F♯6 is digit 3).
//   - Cost: sub-blocks too quiet for a tone skip the DFT; the row bins are
//     skipped when no column bin could belong to a digit; a held digit (or
//     a signal judged not to be one) is followed with its two bins only.
//     The in-band energy is one integer pass per sub-block. The talk-off
//     tests run once per candidate, the partials' filters only when
//     something besides the tones is there; a candidate's start costs two
//     two-bin DFTs of the sub-blocks before it (kept in a ring of eight).

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
	// Hz the mean of a candidate's offsets may exceed the must-accept band
	// by on a clean line (see judge).
	dtmfMeanMargin = 2.0
	// dtmfMinLevel is the weakest tone accepted, per tone, in dBm0.
	dtmfMinLevel = -37.0
	// Twist limits in dB: low group stronger (normal) and high group stronger (reverse).
	dtmfNormalTwist  = 10.0
	dtmfReverseTwist = 6.0
	dtmfRelPeak      = 7.0  // dB the peak stands above the others of its group
	dtmfEnergyRatio  = 0.85 // share of the in-band window energy in the two tones
	dtmfHarmonic     = 14.0 // dB a harmonic must stay below its fundamental
	dtmfSubharmonic  = 8.0  // dB a column's half frequency must stay below it
	dtmfPartialTol   = 15.0 // Hz from where a partial would be that still makes it one
	// Hz the measured frequencies may wander over a digit's windows: a
	// floor for the estimator's error under interference at a tone's own
	// frequency, plus an allowance for the energy in the band that is not
	// the two tones (interference disturbs the phase the estimate is made
	// from; the phase error grows with the square root of the
	// interference-to-tone ratio).
	dtmfDrift       = 12.5
	dtmfFilled      = 0.5  // sub-block share above which a window counts as filled by the tone
	dtmfLeakBias    = 8.0  // Hz of bias the uncorrected offset estimate may carry
	dtmfHeldRatio   = 0.45 // energy share that keeps a held digit (before window-loss correction)
	dtmfMinDuration = 200  // samples (25 ms) of estimated tone before reporting
	dtmfMinWindows  = 3    // valid windows before a digit is reported
	dtmfMinJudged   = 3    // of which filled by the tone (frequency drift judged)
	dtmfReleaseMiss = 4    // invalid windows that end a held digit
	dtmfDropMiss    = 3    // invalid windows that abandon an unconfirmed candidate
	dtmfRing        = 8    // sub-blocks of samples kept (a power of two)
	// Samples from a candidate's start within which a drifting frequency
	// or a partial only makes it look again (talk under a key press
	// passes), after which the candidate is not a digit.
	dtmfRecheckFor = 640
	// Onset: dB by which at least one tone, and each of them, must have
	// risen from the 102 samples before the candidate's start to the
	// candidate (see judge).
	dtmfOnsetBoth = 16.0
	dtmfOnsetEach = 3.0
	// Steadiness: dB of power by which both tones may vary over the
	// candidate's windows, and each of them, plus dtmfSteadyNoise dB per
	// unit of √(1 − share) for what interference does to the measurement
	// (see judge).
	dtmfSteadyBoth  = 3.0
	dtmfSteadyEach  = 8.0
	dtmfSteadyNoise = 4.0
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
	tol    [8]float64 // accepted |frequency offset| in a window, Hz
	must   [8]float64 // Q.24's must-accept |offset|, Hz
	minA2  float64    // squared amplitude of the weakest accepted tone

	gate      float32 // sub-block energy below which the bank is skipped
	rel       float32 // dtmfRelPeak as a power ratio
	normTwist float64 // twist limits as power ratios
	revTwist  float64
	harmLimit float64 // harmonic power limit per unit of squared amplitude
	subLimit  float64 // the same for a column's half frequency
	// partFloor[row][col-4] is the least in-band energy (Σ(x[n]−x[n−2])²
	// over a window) that any of a digit's partials at its limit would
	// add, per unit of the squared amplitude of its own tone, halved for
	// the measurement's error (see partialsPossible): [0] the row's
	// partials, [1] the column's.
	partFloor [4][4][2]float64
	// Onset and steadiness limits as power ratios (see judge).
	onsetBoth, onsetEach, steadyBoth, steadyEach float64

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
	// The samples of the sub-block being filled (slot cur) and of the
	// last three completed ones: the rows are computed lazily from them,
	// the partials of a candidate's window, and its onset.
	xb     [dtmfRing][dtmfSub]int16
	cur    int   // slot being filled
	n      int   // samples in it so far
	prev1  int32 // the last two samples, for the in-band energy
	prev2  int32
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
	// Squared amplitudes of the tones over the windows they fill, and in
	// the sub-block before the candidate's start.
	candMinAR, candMaxAR, candMinAC, candMaxAC float64
	candPreR, candPreC                         float64
	candLast                                   dtmfWindow // the latest valid window
	candTotal                                  float64    // its in-band energy
	candSumR, candSumC                         float64    // sums of the windows' offsets
	candJudged                                 int        // how many there were
	prevR, prevC                               float64    // the previous filled window's offsets
	prevOK                                     bool
	trailDone                                  bool // the sub-block after the last valid window was counted
	held                                       byte // digit reported and still present (0: none)
	heldFast                                   bool // held digit steady: track it with two filters only
	misses                                     int  // consecutive invalid windows

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
		d.must[k] = dtmfTolRel*f + dtmfTolAbs
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
	d.onsetBoth = math.Pow(10, -dtmfOnsetBoth/10)
	d.onsetEach = math.Pow(10, -dtmfOnsetEach/10)
	d.steadyBoth = math.Pow(10, dtmfSteadyBoth/10)
	d.steadyEach = math.Pow(10, dtmfSteadyEach/10)
	freqs := dtmfFreqs()
	wt := func(f float64) float64 { // 4sin²ω, the in-band weighting
		s := math.Sin(2 * math.Pi * f / dtmfRate)
		return 4 * s * s
	}
	harm, sub := math.Pow(10, -dtmfHarmonic/10), math.Pow(10, -dtmfSubharmonic/10)
	for r := range 4 {
		for c := range 4 {
			fr, fc := freqs[r], freqs[4+c]
			row := min(wt(2*fr), wt(3*fr)) * harm
			col := min(wt(2*fc)*harm, wt(fc/2)*sub)
			d.partFloor[r][c] = [2]float64{row * dtmfWin / 4, col * dtmfWin / 4}
		}
	}
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
		copy(d.xb[d.cur][d.n:], s[:m])
		s = s[m:]
		d.n += m
		d.sample += int64(m)
		if d.n == dtmfSub {
			d.endSub()
		}
	}
	return d.events
}

// inband returns the in-band energy of sub-block x, Σ(x[n]−x[n−2])²
// (continuing from the last two samples of the one before): a band-pass
// of gain 4sin²ω, zero at DC and at 4 kHz and flat within 3 dB from 1.1
// to 2.9 kHz. Low-frequency energy (dial tone, voicing) counts little
// against a digit, energy in and above the DTMF band counts fully. The
// DFT runs after it, and not at all when the energy is too low to hold a
// tone at the minimum level: quiet stretches cost almost nothing.
//
// Integer arithmetic: exact, and its one-cycle adds do not serialise the
// loop the way a float accumulator's latency would; |x[n]−x[n−2]| < 2¹⁶,
// so each square fits an unsigned 32-bit product. One pass over the
// complete sub-block, four accumulators.
func (d *DTMFDetector) inband(x *[dtmfSub]int16) uint64 {
	a0, a1 := uint32(int32(x[0])-d.prev2), uint32(int32(x[1])-d.prev1)
	e0, e1 := uint64(a0*a0), uint64(a1*a1)
	var e2, e3 uint64
	n := 2
	for ; n+3 < dtmfSub; n += 4 {
		v := x[n-2 : n+4 : n+4]
		b0 := uint32(int32(v[2]) - int32(v[0]))
		b1 := uint32(int32(v[3]) - int32(v[1]))
		b2 := uint32(int32(v[4]) - int32(v[2]))
		b3 := uint32(int32(v[5]) - int32(v[3]))
		e0 += uint64(b0 * b0)
		e1 += uint64(b1 * b1)
		e2 += uint64(b2 * b2)
		e3 += uint64(b3 * b3)
	}
	for ; n < dtmfSub; n++ {
		b := uint32(int32(x[n]) - int32(x[n-2]))
		e0 += uint64(b * b)
	}
	d.prev2, d.prev1 = int32(x[dtmfSub-2]), int32(x[dtmfSub-1])
	return (e0 + e1) + (e2 + e3)
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
		xs := x[n : n+3 : n+3]
		c0, c1, c2, c3 := t0[n:n+3:n+3], t1[n:n+3:n+3], t2[n:n+3:n+3], t3[n:n+3:n+3]
		x0, x1, x2 := int64(xs[0]), int64(xs[1]), int64(xs[2])
		a0 += x0*c0[0] + x1*c0[1] + x2*c0[2]
		a1 += x0*c1[0] + x1*c1[1] + x2*c1[2]
		a2 += x0*c2[0] + x1*c2[1] + x2*c2[2]
		a3 += x0*c3[0] + x1*c3[1] + x2*c3[2]
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
		xs, ca, cb := x[n:n+3:n+3], ta[n:n+3:n+3], tb[n:n+3:n+3]
		x0, x1, x2 := int64(xs[0]), int64(xs[1]), int64(xs[2])
		sa += x0*ca[0] + x1*ca[1] + x2*ca[2]
		sb += x0*cb[0] + x1*cb[1] + x2*cb[2]
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
	x := &d.xb[d.cur]
	r.energy = float32(d.inband(x))
	r.start = d.sample - dtmfSub
	d.cur = (d.cur + 1) & (dtmfRing - 1)
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
	// The tones' squared amplitudes over the window, each free of the
	// other's leakage (not corrected for the offset).
	pwR, pwC float64
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
	// The columns pass: now the rows are needed.
	if a.rowsPending {
		d.dft4Int(d.past(1), 0, a)
		a.rowsPending = false
	}
	if b.rowsPending {
		d.dft4Int(d.past(0), 0, b)
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

// past returns the samples of the sub-block completed age sub-blocks
// before the newest (age 0: hist[2], 1: hist[1], 2: hist[0], 3: the one
// before), valid from endSub until the next sample arrives.
func (d *DTMFDetector) past(age int) *[dtmfSub]int16 {
	return &d.xb[(d.cur-1-age)&(dtmfRing-1)]
}

// winPower is the 102-point DFT power of bin k over the window:
// Y = y_a + e^{-jwN}·y_b (up to a phase).
func (d *DTMFDetector) winPower(k int) float32 {
	return d.pairPower(&d.hist[1], &d.hist[2], k)
}

// pairPower is the 102-point DFT power of bin k over sub-blocks a and b.
func (d *DTMFDetector) pairPower(a, b *dtmfSubResult, k int) float32 {
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
	w := dtmfWindow{digit: dtmfDigits[row*4+col-4], row: row, col: col}
	d.unmixedOffsets(&w)
	offR, offC := w.offR, w.offC
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
	w.ar, w.ac = ar, ac
	w.share, w.resid = min(tone/total, 1), max(total-tone, 0)
	w.lossR, w.lossC = dirichlet2(offR, dtmfSub), dirichlet2(offC, dtmfSub)
	return w, true
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
func (d *DTMFDetector) unmixedOffsets(w *dtmfWindow) {
	m := &d.unmix[w.row][w.col-4]
	var rAmp, cAmp [2]complex128
	for i, s := range [2]*dtmfSubResult{&d.hist[1], &d.hist[2]} {
		y := [4]float64{float64(s.re[w.row]), float64(s.im[w.row]), float64(s.re[w.col]), float64(s.im[w.col])}
		var u [4]float64
		for j := range 4 {
			u[j] = m[j][0]*y[0] + m[j][1]*y[1] + m[j][2]*y[2] + m[j][3]*y[3]
		}
		rAmp[i], cAmp[i] = complex(u[0], u[1]), complex(u[2], u[3])
	}
	// x = R·e^{jωn} + R̄·e^{−jωn}: the squared amplitude is 4|R|², and
	// over the window (R_a + R_b·e^{−jωN})/2 is R's mean.
	rr := complex(float64(d.rotRe[w.row]), float64(d.rotIm[w.row]))
	rc := complex(float64(d.rotRe[w.col]), float64(d.rotIm[w.col]))
	w.pwR, w.pwC = pow2(rAmp[0]+rAmp[1]*rr), pow2(cAmp[0]+cAmp[1]*rc)
	adv := func(p [2]complex128, k int) float64 {
		z := p[1] * complex(real(p[0]), -imag(p[0])) * complex(float64(d.rotRe[k]), float64(d.rotIm[k]))
		return fastAtan2(imag(z), real(z)) * dtmfRate / (2 * math.Pi * dtmfSub)
	}
	w.offR, w.offC = adv(rAmp, w.row), adv(cAmp, w.col)
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
	if !ok {
		d.miss()
		return
	}
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
		d.newCandidate(w, qa, qb)
	}
	d.candLast = w
	d.candSumR += w.offR
	d.candSumC += w.offC
	d.candTotal = float64(d.hist[1].energy + d.hist[2].energy)
	// Frequency drift is judged on windows the tone fills: a partly
	// filled window's phase carries the tone's start transient.
	// Each estimate is the mean of two consecutive windows' (the phase
	// advance over two sub-blocks): interference near a tone makes
	// the single-window estimate swing from one window to the next,
	// a glide does not average out.
	if min(qa, qb) >= dtmfFilled {
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
	// Levels are compared over windows the tone fills entirely (a
	// partly filled one reads low however steady the tone).
	if min(qa, qb) >= dtmfFilled {
		// A partly filled window's coherent power is short by the square
		// of the filled fraction.
		f := 4 / ((qa + qb) * (qa + qb))
		pr, pc := w.pwR*f, w.pwC*f
		d.candMinAR, d.candMaxAR = min(d.candMinAR, pr), max(d.candMaxAR, pr)
		d.candMinAC, d.candMaxAC = min(d.candMinAC, pc), max(d.candMaxAC, pc)
	}
	d.confirm(0)
	if d.held == w.digit {
		// Just reported on a valid window: follow it with two bins
		// from the next sub-block on.
		d.heldFast = true
	}
}

// newCandidate starts confirming the digit of window w (made of hist[1]
// and hist[2], of which the tones fill shares qa and qb): its start, and
// its tones' levels in the sub-block before that start, for the onset test.
func (d *DTMFDetector) newCandidate(w dtmfWindow, qa, qb float64) {
	d.cand = w.digit
	d.candWins = 1
	d.candMinR, d.candMaxR = math.Inf(1), math.Inf(-1)
	d.candMinC, d.candMaxC = math.Inf(1), math.Inf(-1)
	d.candMinAR, d.candMaxAR = math.Inf(1), math.Inf(-1)
	d.candMinAC, d.candMaxAC = math.Inf(1), math.Inf(-1)
	d.candShare, d.candJudged, d.prevOK = 1, 0, false
	d.candSumR, d.candSumC = 0, 0
	d.trailDone = false
	d.candDur = (qa + qb) * dtmfSub
	d.candStart = d.hist[1].start + int64((1-qa)*dtmfSub+0.5)
	before := 2 // age of the sub-block before the one the tone starts in
	if d.nsub == 3 {
		if qz := d.share(&d.hist[0], w); qz > 0.1 {
			d.candDur += qz * dtmfSub
			d.candStart = d.hist[0].start + int64((1-qz)*dtmfSub+0.5)
			before = 3
		}
	}
	// The tones' levels over the 102 samples that end a sub-block before
	// that one: the start is estimated from energy shares, which
	// interference (a dial tone) lowers, so it may come out a sub-block
	// late; a sub-block's margin keeps the tone's own start out of what
	// is measured.
	var a, b dtmfSubResult
	d.dft2Int(d.past(before+2), w.row, w.col, &a)
	d.dft2Int(d.past(before+1), w.row, w.col, &b)
	const n2 = dtmfWin * dtmfWin
	d.candPreR = 4 * float64(d.pairPower(&a, &b, w.row)) / n2
	d.candPreC = 4 * float64(d.pairPower(&a, &b, w.col)) / n2
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
			d.confirm(1)
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

// confirm reports the candidate once it has lasted long enough and
// passes the talk-off tests, or drops it when it fails them. age is how
// many sub-blocks ago the candidate's last valid window ended.
func (d *DTMFDetector) confirm(age int) {
	if d.cand == 0 || d.cand == d.held || d.candWins < dtmfMinWindows || d.candJudged < dtmfMinJudged || d.candDur < dtmfMinDuration {
		return
	}
	switch d.judge(age) {
	case dtmfRecheck:
		if d.sample-d.candStart <= dtmfRecheckFor {
			// Measure the frequencies and partials again over the next
			// windows.
			d.candMinR, d.candMaxR = math.Inf(1), math.Inf(-1)
			d.candMinC, d.candMaxC = math.Inf(1), math.Inf(-1)
			d.candJudged, d.prevOK = 0, false
			return
		}
		fallthrough
	case dtmfNotDigit:
		// Follow the signal as if it were a held digit, silently: what
		// was not a key press at its start does not become one later.
		d.held = d.cand
		d.cand = 0
		return
	}
	d.events = append(d.events, DTMFEvent{Digit: d.cand, Sample: d.candStart})
	d.held = d.cand
	d.cand = 0
}

// Verdicts of judge.
const (
	dtmfKeyPress = iota
	dtmfRecheck  // a frequency moved, or a partial showed: look again
	dtmfNotDigit // a voice or an instrument
)

// judge runs the tests that tell a key press from a voice or an
// instrument on a candidate that is otherwise ready to report, cheapest
// first: steady frequencies, steady levels, a rectangular onset, no
// partials.
func (d *DTMFDetector) judge(age int) int {
	noise := math.Sqrt(1 - d.candShare)
	w := d.candLast
	rawR, rawC := w.ar*dirichlet2(w.offR, dtmfWin), w.ac*dirichlet2(w.offC, dtmfWin)
	if d.candMaxAR > d.candMinAR { // measured on two filled windows or more
		sr, sc := d.candMaxAR/d.candMinAR, d.candMaxAC/d.candMinAC
		allow := math.Exp(dtmfSteadyNoise * noise * (math.Ln10 / 10))
		if min(sr, sc) > d.steadyBoth*allow || max(sr, sc) > d.steadyEach*allow {
			return dtmfNotDigit
		}
	}
	// Mean frequency: within Q.24's must-accept band, plus an allowance
	// for the estimator's error that narrows to nothing as interference
	// grows (the may-accept zone beyond is where voices' harmonics and
	// musical notes land; a key press in talk sits well inside).
	margin := dtmfMeanMargin * min(max((d.candShare-dtmfEnergyRatio)/(1-dtmfEnergyRatio), 0), 1)
	n := float64(d.candWins)
	if math.Abs(d.candSumR/n) > d.must[w.row]+margin || math.Abs(d.candSumC/n) > d.must[w.col]+margin {
		return dtmfNotDigit
	}
	if d.candPreR > d.onsetEach*rawR || d.candPreC > d.onsetEach*rawC {
		return dtmfNotDigit
	}
	if d.candPreR > d.onsetBoth*min(rawR, d.candMinAR) && d.candPreC > d.onsetBoth*min(rawC, d.candMinAC) {
		return dtmfNotDigit
	}
	if d.candMaxR-d.candMinR > dtmfDrift || d.candMaxC-d.candMinC > dtmfDrift { // (−Inf when unmeasured: passes)
		return dtmfRecheck
	}
	if d.partialsPossible(w, d.candTotal) && !d.harmonicsOK(w, d.past(age+1), d.past(age)) {
		return dtmfRecheck
	}
	return dtmfKeyPress
}

// partialsPossible tells whether window w holds enough energy besides its
// two tones for any partial to reach its limit: a partial of squared
// amplitude p at ν adds 4sin²ν·p/2 per sample to the in-band energy, so
// where the window's residual energy is below the least a partial at its
// limit would add (with a factor two to spare for the estimate of the
// tones' energy), harmonicsOK could only pass. A key press on a quiet
// line is judged without it.
func (d *DTMFDetector) partialsPossible(w dtmfWindow, total float64) bool {
	// The tones' energy from their unmixed amplitudes (free of each
	// other's leakage, which would otherwise leave a residual of a few
	// per cent on a clean key press), corrected for the window loss.
	ar, ac := w.pwR/dirichlet2(w.offR, dtmfWin), w.pwC/dirichlet2(w.offC, dtmfWin)
	resid := total - (d.weight[w.row]*ar+d.weight[w.col]*ac)*dtmfWin/2
	f := &d.partFloor[w.row][w.col-4]
	return resid >= min(f[0]*ar, f[1]*ac)
}

// harmonicsOK is the partials test of judge (d in the design notes),
// run once per candidate and only when partialsPossible. DTMF tones are
// pure and unrelated; a voice's or an instrument's partials are multiples
// of one fundamental. It measures, at the tones' measured frequencies:
//
//   - the second and third harmonics of the row tone and the second of the
//     column tone, which must stand dtmfHarmonic dB below their
//     fundamentals;
//   - the column tone's half frequency, which must stand dtmfSubharmonic
//     dB below the column tone: a column tone with a partial at half its
//     frequency is the second harmonic of a voice or a note. (The rows'
//     half frequencies, 348–470 Hz, are where dial tones are, which may
//     legitimately sound under a digit; they are not checked.)
//
// Some of these bins lie inside the main lobe of the other tone's 102-
// sample window (the row's second harmonic 58–93 Hz from a column, a
// column's half frequency 29–46 Hz from a row): the tones are measured
// and subtracted first.
func (d *DTMFDetector) harmonicsOK(w dtmfWindow, a, b *[dtmfSub]int16) bool {
	freqs := dtmfFreqs()
	wr := 2 * math.Pi * (freqs[w.row] + w.offR) / dtmfRate
	wc := 2 * math.Pi * (freqs[w.col] + w.offC) / dtmfRate
	nus := [4]float64{2 * wc, 3 * wr, 2 * wr, wc / 2}
	// Each half of the window on its own: the two tones are measured
	// (each half with its own amplitude and phase, so a tone that swells
	// or fades is followed) and subtracted sample by sample, by phasor
	// recurrences, while the partials' Goertzel filters run on what is
	// left; the two halves together give a partial's power over the
	// window and the phase advance between them its frequency.
	// Subtracting in the time domain costs two phasor recurrences, where
	// removing the tones' leakage bin by bin would cost two dozen sines.
	// float32 throughout: over 51 samples its errors stay far below the
	// limits.
	halves := [2]*[dtmfSub]int16{a, b}
	tones := goertzel32(halves, wr, wc)
	var sr, cr [2]float32 // the tones' rotation per sample
	for k, wt := range [2]float64{wr, wc} {
		s, c := math.Sincos(wt)
		sr[k], cr[k] = float32(s), float32(c)
	}
	var coef [4]float32
	for k, nu := range nus {
		coef[k] = float32(2 * math.Cos(nu))
	}
	var parts [2][4]complex128
	for h, x := range halves {
		// Subtract c·e^{jωn} + c̄·e^{−jωn} = 2·Re(c·e^{jωn}), c the
		// tone's complex half-amplitude (its image neglected).
		c0, c1 := tones[h][0]*(2.0/dtmfSub), tones[h][1]*(2.0/dtmfSub)
		pr0, pi0 := float32(real(c0)), float32(imag(c0))
		pr1, pi1 := float32(real(c1)), float32(imag(c1))
		var p, q [4]float32
		for n := range dtmfSub {
			v := float32(x[n]) - pr0 - pr1
			pr0, pi0 = pr0*cr[0]-pi0*sr[0], pr0*sr[0]+pi0*cr[0]
			pr1, pi1 = pr1*cr[1]-pi1*sr[1], pr1*sr[1]+pi1*cr[1]
			p0 := coef[0]*p[0] - q[0] + v
			p1 := coef[1]*p[1] - q[1] + v
			p2 := coef[2]*p[2] - q[2] + v
			p3 := coef[3]*p[3] - q[3] + v
			q = p
			p = [4]float32{p0, p1, p2, p3}
		}
		for k, nu := range nus {
			parts[h][k] = goertzelOut(float64(p[k]), float64(q[k]), nu)
		}
	}
	return d.noPartials(w, nus, &parts)
}

// noPartials judges the DFTs parts of both halves of the window at the
// partials' frequencies nus (column 2nd, row 3rd and 2nd, column half):
// false if one is strong enough and where a partial would be.
func (d *DTMFDetector) noPartials(w dtmfWindow, nus [4]float64, parts *[2][4]complex128) bool {
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

// goertzel32 computes the DFT X(ω) = Σ x[n]e^{−jωn} of both 51-sample
// halves at w0 and w1: four Goertzel recursions side by side, in float32.
func goertzel32(x [2]*[dtmfSub]int16, w0, w1 float64) (out [2][2]complex128) {
	c0, c1 := float32(2*math.Cos(w0)), float32(2*math.Cos(w1))
	a, b := x[0], x[1]
	var p0, q0, p1, q1, p2, q2, p3, q3 float32
	for n := range dtmfSub {
		va, vb := float32(a[n]), float32(b[n])
		p0, q0 = c0*p0-q0+va, p0
		p1, q1 = c1*p1-q1+va, p1
		p2, q2 = c0*p2-q2+vb, p2
		p3, q3 = c1*p3-q3+vb, p3
	}
	out[0][0] = goertzelOut(float64(p0), float64(q0), w0)
	out[0][1] = goertzelOut(float64(p1), float64(q1), w1)
	out[1][0] = goertzelOut(float64(p2), float64(q2), w0)
	out[1][1] = goertzelOut(float64(p3), float64(q3), w1)
	return out
}

// goertzelOut turns a Goertzel filter's last two states s[N−1], s[N−2]
// at ν into the DFT X(ν) of the N = 51 samples: y = s1 − e^{−jν}·s2 =
// e^{jν(N−1)}·X.
func goertzelOut(s1, s2, nu float64) complex128 {
	s, c := math.Sincos(nu)
	return complex(s1-c*s2, s*s2) * cmplxExp(-nu*(dtmfSub-1))
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
