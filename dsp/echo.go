package dsp

import "math"

// EchoConfig configures a line echo canceller.
type EchoConfig struct {
	// TailMS is the longest echo path delay covered, in milliseconds
	// (0 means 128, the G.168 figure for analog lines; at most 256).
	TailMS int
	// NLPOff turns the non-linear processor and its comfort noise off:
	// the output is the linear canceller's, as G.168 measures it.
	NLPOff bool
}

// EchoState is what the canceller judged a 10 ms block to hold.
type EchoState uint8

// The states, by who talks: nobody, the far end (what is sent to the
// line), the near end (the line) or both (double talk).
const (
	EchoIdle EchoState = iota
	EchoFarTalk
	EchoNearTalk
	EchoDoubleTalk
)

func (s EchoState) String() string {
	switch s {
	case EchoFarTalk:
		return "far"
	case EchoNearTalk:
		return "near"
	case EchoDoubleTalk:
		return "double"
	}
	return "idle"
}

// EchoStats are a canceller's running totals since it was made or Reset;
// differences between two readings describe the time between them.
type EchoStats struct {
	// Over the samples where the far end was talking: Σrx² and the
	// energy left by the linear canceller, Σ(rx − echo estimate)². Their
	// ratio is the ERLE (near-end speech, where present, counts in both).
	FarRx, FarResidual float64
	// Blocks (10 ms) judged in each state, indexed by EchoState.
	Blocks [4]int
}

// ERLE returns 10·log10(FarRx/FarResidual) in dB, and false when the far
// end did not talk.
func (s EchoStats) ERLE() (float64, bool) {
	if s.FarRx <= 0 || s.FarResidual <= 0 {
		return 0, false
	}
	return 10 * math.Log10(s.FarRx/s.FarResidual), true
}

// Sub returns s − o, the totals of the time between two readings.
func (s EchoStats) Sub(o EchoStats) EchoStats {
	r := EchoStats{FarRx: s.FarRx - o.FarRx, FarResidual: s.FarResidual - o.FarResidual}
	for i := range r.Blocks {
		r.Blocks[i] = s.Blocks[i] - o.Blocks[i]
	}
	return r
}

// State returns the state held for the most blocks.
func (s EchoStats) State() EchoState {
	best := EchoIdle
	for i, n := range s.Blocks {
		if n > s.Blocks[best] {
			best = EchoState(i)
		}
	}
	return best
}

// Line echo canceller design (ITU-T G.168 structure):
//
//   - Two-path adaptive filter (Ochiai): a background FIR adapts on every
//     sample; a foreground copy produces the output. At each 10 ms block
//     end the background is frozen into a candidate, judged on the next
//     block against the foreground on the same samples, and adopted when
//     it removes 1.5 dB more echo (or wins 10 blocks in a row near the
//     noise floor) — never when either block had double talk. A frozen
//     candidate on fresh data cannot flatter itself the way an adapting
//     filter does (it partly follows its recent error, near-end speech
//     included), so double talk never reaches the output filter. A
//     background that has diverged is reset from the foreground.
//   - The background adapts by NLMS on pre-whitened signals: an order-8
//     LPC inverse filter, fitted every 40 ms to the long-term (≈ 0.8 s)
//     far-end spectrum and applied to the whole reference window at once,
//     whitens the reference and the rx signal, which removes most of the
//     eigenvalue spread of speech. Taps are proportionate (IPNLMS,
//     α = 0.5): taps that already carry energy adapt faster, which suits
//     the sparse impulse responses of hybrids (a bulk delay, then a few
//     ms of dispersion) in a 128 ms window. The step goes from 0.6 to 0.2
//     as the estimated ERLE rises from 20 to 30 dB, to cut misadjustment.
//   - Double talk: Geigel on the foreground's residual (near-end peaks
//     above half the far-end peak over the tail; 30 ms hangover) and a
//     correlation detector (ρ between rx and the echo estimate below
//     0.95, which catches near-end speech down to ~10 dB under the echo).
//     Both halve the adaptation step and block transfers. A changed echo
//     path also trips them; a lock breaker tells it apart — the
//     foreground's error exceeding twice rx for 50 ms, or the candidate
//     beating the foreground by 3 dB in 80% of 0.4 s of flagged far-end
//     speech — and declares the foreground unconverged, which disarms
//     the detectors until it fits again.
//   - A non-linear processor removes the residual echo once the linear
//     filter has taken out more than 9 dB and the near end is silent, and
//     fills the gap with comfort noise at the background noise level
//     (minimum statistics of the error signal), so the far end never
//     hears the line go dead between words.
//
// Arithmetic is float32 with 4-way unrolled loops and bounds checks
// eliminated; per sample: the foreground dot product, a fused pass for
// the background's whitened output and proportionate normaliser, the
// tap update (which also keeps |w| and ‖w‖₁), and on every other sample
// the candidate's dot product.
const (
	ecBlock         = 80    // comparison and LPC refresh interval, samples
	ecLPCOrder      = 8     //
	ecLPCWindow     = 256   // analysis window for the whitening filter
	ecWinRun        = 10    // blocks won in a row that also adopt the background
	ecCopyMargin    = 0.7   // background error must be 1.5 dB below the foreground's
	ecDTSlow        = 0.5   // step factor while double talk is suspected
	ecConverged     = 10.0  // dB of estimated ERLE before double talk is judged
	ecMisRun        = 5     // far-end blocks with error > 2·rx in a row: the path changed
	ecDTLock        = 40    // far-end blocks (0.4 s) flagged in a row: maybe a path change
	ecRho           = 0.95  // correlation double-talk threshold
	ecDTBlocks      = 4     // hangover of the correlation detector, blocks
	ecMu            = 0.6   // background NLMS step while converging
	ecMuMin         = 0.2   // step once converged
	ecAlpha         = 0.5   // IPNLMS proportionality (−1 = NLMS, 1 = PNLMS)
	ecDelta         = 1e3   // regularisation of the normaliser
	ecVSSLow        = 20.0  // dB of estimated ERLE where the step starts to shrink
	ecVSSHigh       = 30.0  // dB where it reaches ecMuMin
	ecLPCSmooth     = 0.95  // autocorrelation smoothing per refresh (≈ 0.8 s)
	ecLPCEvery      = 4     // refresh the whitening filter every 4 blocks (40 ms)
	ecGeigel        = 0.5   // double-talk threshold (6 dB)
	ecHangover      = 240   // 30 ms
	ecNLPRatio      = 0.125 // NLP engages when error < d − 9 dB
	ecNLPHold       = 80    // 10 ms
	ecNoiseInitDBm0 = -65.0 // comfort noise level until the line's is measured
	ecActiveDBm0    = -45.0 // far end counts as talking above this peak level
	ecMaxTailMS     = 256
	ecDefaultTail   = 128
	ecRenormPeriod  = 4096 // recompute the running energy to stop float drift
)

// EchoCanceller removes the echo of ref (what the exchange sends to the
// line) from rx (what comes back) on an FXO line.
type EchoCanceller struct {
	n int // taps

	x, xw  []float32 // far-end and whitened far-end, double-written rings of 2n
	pos    int       // index of the newest sample in the rings
	wb, wf []float32 // background and foreground taps
	awb    []float32 // |wb|, kept by the update pass so the dot pass needs no abs
	exw    float64   // energy of the whitened window

	lpc       [ecLPCOrder + 1]float32 // whitening filter, lpc[0] = 1
	racc      [ecLPCOrder + 1]float64 // smoothed autocorrelation
	lpcBlocks int
	mu        float32             // current step
	erleEst   float64             // smoothed block ERLE estimate, dB
	dhist     [ecLPCOrder]float32 // near-end history for whitening
	efhist    [ecLPCOrder]float32 // foreground error history for whitening
	l1        float32             // ‖wb‖₁ after the last update
	blockN    int

	// block energies for the two-path comparison
	eb, ef, ed float64
	edy, eyy   float64 // Σ d·ŷ and Σ ŷ² for the correlation detector
	ef0, ed0   float64 // unwhitened foreground error and rx energies
	dtBlocks   int     // blocks of double talk still to assume
	dtRun      int     // consecutive far-end-active blocks flagged as double talk
	dtWins     int     // of which the candidate beat the foreground by 3 dB
	misRun     int     // consecutive far-end blocks with foreground error > 2·rx
	prevDT     bool    // the previous block had double talk
	blockDT    bool
	winRun     int       // consecutive blocks the candidate won
	wc         []float32 // candidate: the background frozen at the last block end
	cValid     bool
	farBlock   bool // the far end was active in this block
	cmpOdd     bool
	ec, efc    float64 // candidate and foreground error energies this block
	edc        float64 // rx energy on the same samples

	// Geigel detector
	blkMax   [ecMaxTailMS * 8 / 64]float32
	blkCount int
	blkIdx   int
	curMax   float32
	tailMax  float32
	hangover int

	// NLP and comfort noise
	pd, pe, noise float64
	nlpGain       float32
	nlpHold       int
	seed          uint32
	activePeak    float32

	nlpOff bool // tests measure the linear canceller alone
	sinceN int

	stats EchoStats

	// Tone disabler (tonedisable.go): one detector per direction.
	toneTab        *toneTable
	toneRx, toneTx toneDetector
	toneMinE       float64
	disabled       ToneDisable
}

// NewEchoCanceller returns a canceller for c.
func NewEchoCanceller(c EchoConfig) *EchoCanceller {
	tail := c.TailMS
	if tail <= 0 {
		tail = ecDefaultTail
	}
	tail = min(tail, ecMaxTailMS)
	n := tail * sampleRate / 1000
	n = (n + 63) &^ 63 // whole Geigel blocks, and a multiple of 4 for unrolling
	e := &EchoCanceller{
		n:   n,
		x:   make([]float32, 2*n),
		xw:  make([]float32, 2*n),
		wb:  make([]float32, n),
		awb: make([]float32, n),
		wc:  make([]float32, n),
		wf:  make([]float32, n),
	}
	e.toneTab = newToneTable()
	e.Reset()
	e.nlpOff = c.NLPOff
	return e
}

// Reset forgets the echo path and all state (a new call on the line),
// keeping the buffers.
func (e *EchoCanceller) Reset() {
	x, xw, wb, awb, wc, wf, tab := e.x, e.xw, e.wb, e.awb, e.wc, e.wf, e.toneTab
	for _, b := range [][]float32{x, xw, wb, awb, wc, wf} {
		clear(b)
	}
	*e = EchoCanceller{
		n: e.n, x: x, xw: xw, wb: wb, awb: awb, wc: wc, wf: wf, nlpOff: e.nlpOff, toneTab: tab,
		seed:       0x9E3779B9,
		nlpGain:    1,
		mu:         ecMu,
		activePeak: float32(DBm0ToPeak(ecActiveDBm0)),
		noise:      math.Pow(DBm0ToPeak(ecNoiseInitDBm0), 2) / 2,
		toneMinE:   math.Pow(DBm0ToPeak(toneMinDBm0), 2) / 2 * toneBlock,
	}
	e.lpc[0] = 1
}

// Process cancels the echo in rx given ref, the signal sent to the line
// over the same period, writing the result to out (which may alias rx).
// It handles min(len(rx), len(ref), len(out)) samples.
func (e *EchoCanceller) Process(rx, ref, out []int16) {
	cnt := min(len(rx), len(ref), len(out))
	n := e.n
	for i := 0; i < cnt; i++ {
		xs := float32(ref[i])
		d := float32(rx[i])
		if e.disabled == ToneAllOff {
			out[i] = rx[i]
			continue
		}
		e.watchTones(xs, d)

		// Far-end rings: newest at pos, window x[pos : pos+n].
		p := e.pos - 1
		if p < 0 {
			p = n - 1
		}
		e.pos = p
		old := e.xw[p]
		e.x[p], e.x[p+n] = xs, xs
		win := e.x[p : p+n]
		xwv := xs
		for k := 1; k <= ecLPCOrder; k++ {
			xwv += e.lpc[k] * win[k]
		}
		e.xw[p], e.xw[p+n] = xwv, xwv
		e.exw += float64(xwv)*float64(xwv) - float64(old)*float64(old)
		wwin := e.xw[p : p+n]

		// Geigel: peak of |x| over the tail, in 64-sample blocks.
		ax := xs
		if ax < 0 {
			ax = -ax
		}
		e.curMax = max(e.curMax, ax)
		e.blkCount++
		if e.blkCount == 64 {
			nb := n / 64
			e.blkMax[e.blkIdx] = e.curMax
			e.blkIdx++
			if e.blkIdx == nb {
				e.blkIdx = 0
			}
			e.curMax, e.blkCount = 0, 0
			var m float32
			for _, v := range e.blkMax[:nb] {
				m = max(m, v)
			}
			e.tailMax = m
		}
		peak := max(e.tailMax, e.curMax)

		// The foreground's echo estimate (the output path).
		var yf float32
		if peak > 0 {
			yf = dot(e.wf, win)
		}
		ef := d - yf

		// Geigel on the foreground's residual rather than on rx: once
		// some echo is cancelled, a hybrid with a low return loss (6 dB)
		// no longer looks like near-end speech, while near-end speech
		// passes the fixed foreground filter untouched and is detected
		// as before. (Not on the background's residual: an adapting
		// filter partly tracks near-end speech and would hide it.)
		// Only once the foreground cancels some echo (before that,
		// every echo peak would look like a talker).
		if e.erleEst > ecConverged && abs32(ef) > ecGeigel*peak {
			e.hangover = ecHangover
		} else if e.hangover > 0 {
			e.hangover--
		}
		dt := e.hangover > 0 || e.dtBlocks > 0
		if dt {
			e.blockDT = true
		}

		// Whitened a-priori error: A(z)·d minus the background filter on
		// the whitened reference, both with the current filters (an error
		// whitened from past errors would mix in stale filter states and
		// make the update unstable).
		dw := d
		for k := 1; k <= ecLPCOrder; k++ {
			dw += e.lpc[k] * e.dhist[k-1]
		}
		copy(e.dhist[1:], e.dhist[:ecLPCOrder-1])
		e.dhist[0] = d
		// The foreground's whitened error: A(z) applied to its error
		// (exact, since the foreground only changes at block ends).
		efw := ef
		for k := 1; k <= ecLPCOrder; k++ {
			efw += e.lpc[k] * e.efhist[k-1]
		}
		copy(e.efhist[1:], e.efhist[:ecLPCOrder-1])
		e.efhist[0] = ef

		// IPNLMS: w_k += μ·e·g_k·x_k / (xᵀGx + δ) with
		// g_k = (1−α)/(2n) + (1+α)|w_k|/(2‖w‖₁); xᵀGx is computed exactly
		// (an estimate from ‖x‖² alone blows up at speech onsets, when
		// the energy sits in the few taps the proportionate gain
		// favours), ‖w‖₁ comes from the previous update pass. Suspected double talk halves the step rather than
		// freezing adaptation: a false alarm (an echo path change) then
		// still converges, and a true one is kept from the output by the
		// two-path structure.
		// The background is only run while the far end talks (within the
		// tail): with nothing to cancel there is nothing to learn, and a
		// silent far end costs one dot product per sample instead of four.
		if peak > e.activePeak {
			e.farBlock = true
			ybw, s1 := dotBG(e.wb, e.awb, wwin)
			ew := dw - ybw
			e.eb += float64(ew) * float64(ew)
			e.ef += float64(efw) * float64(efw)
			l1 := max(e.l1, 1e-6)
			mu := e.mu
			if dt {
				mu *= ecDTSlow
			}
			den := (1-ecAlpha)*float32(e.exw)/float32(2*n) + (1+ecAlpha)*s1/(2*l1) + ecDelta
			c := mu * ew / den
			e.l1 = update(e.wb, e.awb, wwin, c*(1-ecAlpha)/float32(2*n), c*(1+ecAlpha)/(2*l1))
		}

		// Candidate check on every other sample: the error of the frozen
		// snapshot of the background against the foreground's, on the
		// same samples (see endBlock).
		e.cmpOdd = !e.cmpOdd
		if e.cmpOdd && e.cValid && peak > e.activePeak {
			ec := d - dot(e.wc, win)
			e.ec += float64(ec) * float64(ec)
			e.efc += float64(ef) * float64(ef)
			e.edc += float64(d) * float64(d)
		}
		e.ef0 += float64(ef) * float64(ef)
		e.ed0 += float64(d) * float64(d)
		if peak > e.activePeak {
			e.stats.FarRx += float64(d) * float64(d)
			e.stats.FarResidual += float64(ef) * float64(ef)
		}
		e.edy += float64(d) * float64(yf)
		e.eyy += float64(yf) * float64(yf)
		e.blockN++
		if e.blockN == ecBlock {
			e.endBlock(dt)
		}
		e.sinceN++
		if e.sinceN == ecRenormPeriod {
			e.sinceN = 0
			var s float64
			for _, v := range wwin {
				s += float64(v) * float64(v)
			}
			e.exw = s
		}

		out[i] = e.nlp(ef, d, dt, peak > e.activePeak)
	}
}

// watchTones runs the tone disabler on a sample of each direction.
func (e *EchoCanceller) watchTones(xs, d float32) {
	e.toneTx.feed(e.toneTab, xs, e.toneMinE)
	e.toneRx.feed(e.toneTab, d, e.toneMinE)
	if e.toneRx.n != 0 {
		return // decisions at block ends only
	}
	for _, t := range [2]*toneDetector{&e.toneTx, &e.toneRx} {
		switch {
		case t.reversal:
			e.disabled = ToneAllOff
		case t.run >= toneMinBlocks && e.disabled == ToneEnabled:
			e.disabled = ToneNLPOff
		}
	}
}

// ToneDisabled reports what the tone disabler has done in this call (a
// 2100 Hz answer tone: see ToneDisable). Reset enables the canceller
// again.
func (e *EchoCanceller) ToneDisabled() ToneDisable { return e.disabled }

// Stats returns the running totals (see EchoStats).
func (e *EchoCanceller) Stats() EchoStats { return e.stats }

// endBlock runs the two-path comparison and refreshes the whitening filter.
func (e *EchoCanceller) endBlock(dt bool) {
	// Correlation double-talk detector: with a foreground that fits the
	// echo path, rx is the echo estimate plus noise, so their normalised
	// correlation is close to 1; a near-end talker adds energy the
	// estimate does not explain (ρ² ≈ echo/(echo+near)). ρ < 0.95 flags
	// a talker down to about 10 dB below the echo — well below where
	// the Geigel test (6 dB above the far end's peak) is blind. Only
	// judged where the estimate stands well clear of the line noise and
	// the foreground is known to fit.
	if e.dtBlocks > 0 {
		e.dtBlocks--
	}
	explained := false // rx was shown to be echo the foreground explains
	if e.erleEst > ecConverged && e.eyy > 30*e.noise*ecBlock {
		if rho := e.edy / math.Sqrt(e.ed0*e.eyy+1e-9); rho < ecRho {
			e.dtBlocks = ecDTBlocks
			dt = true
			e.blockDT = true
		} else {
			explained = true
		}
	}
	// Lock breaker. Both detectors also fire when the echo path has
	// changed (the foreground no longer explains rx), which would stop
	// transfers for good. What tells the two apart is the background:
	// after a path change it re-converges (adaptation only slows during
	// suspected double talk) and its frozen candidate beats the
	// foreground by 3 dB block after block; during double talk it does
	// so now and then at most. When the far end has talked for ecDTLock
	// blocks in a row, all flagged, and the candidate won 80% of them,
	// the foreground is declared unconverged, which disarms the
	// detectors until it fits again.
	// A foreground whose error exceeds twice rx for ecMisRun far-end
	// blocks in a row does not fit the path at all (double talk can add
	// energy to the error only as much as to rx, and only briefly makes
	// them anti-correlated): declared unconverged at once.
	if e.farBlock && e.ef0 > 2*e.ed0 {
		e.misRun++
		if e.misRun >= ecMisRun {
			e.erleEst, e.dtBlocks, e.hangover, e.misRun = 0, 0, 0, 0
			e.blockDT = false
		}
	} else if e.farBlock {
		e.misRun = 0
	}
	if e.farBlock {
		if e.blockDT {
			e.dtRun++
			if e.cValid && e.ec < 0.5*e.efc {
				e.dtWins++
			}
		} else {
			e.dtRun, e.dtWins = 0, 0
		}
		if e.dtRun >= ecDTLock {
			if e.dtWins*5 >= e.dtRun*4 {
				e.erleEst, e.dtBlocks, e.hangover = 0, 0, 0
				e.blockDT = false
			}
			e.dtRun, e.dtWins = 0, 0
		}
	}
	switch {
	case e.farBlock && e.blockDT:
		e.stats.Blocks[EchoDoubleTalk]++
	case e.farBlock:
		e.stats.Blocks[EchoFarTalk]++
	case e.ed0 > 10*e.noise*ecBlock:
		e.stats.Blocks[EchoNearTalk]++
	default:
		e.stats.Blocks[EchoIdle]++
	}
	e.farBlock = false
	e.edy, e.eyy = 0, 0
	// Two-path transfer. At each block end the background is frozen
	// into a candidate, which is judged on the next block against the
	// foreground on the same samples. Judging a frozen copy on fresh
	// data is what makes this safe: an adapting filter partly follows
	// the recent error (near-end speech included) and would look better
	// than it is, a frozen one cannot — during double talk the near-end
	// speech adds equally to both errors and no margin is reached.
	// Adopt the candidate when it removes 1.5 dB more than the
	// foreground and at least 3 dB of rx; near the noise floor, where
	// margins vanish, also when it has won ecWinRun blocks in a row.
	// No transfer if the candidate adapted or was judged during double
	// talk: even frozen, a filter fitted to voiced near-end speech keeps
	// cancelling part of it for a while, the near end being quasi-periodic.
	noDT := !e.blockDT && !e.prevDT
	if e.cValid && e.edc > 0 {
		if e.ec < e.efc && noDT {
			e.winRun++
		} else {
			e.winRun = 0
		}
		switch {
		case noDT && e.ec < 0.5*e.edc && (e.ec < ecCopyMargin*e.efc || e.winRun >= ecWinRun):
			copy(e.wf, e.wc)
			e.winRun = 0
		case e.eb > 4*e.ef && e.ec > 4*e.efc && e.efc < e.edc:
			// Background diverged: restart it from the foreground.
			copy(e.wb, e.wf)
			var l1 float32
			for k, v := range e.wb {
				e.awb[k] = abs32(v)
				l1 += e.awb[k]
			}
			e.l1 = l1
			e.winRun = 0
		}
	}
	e.prevDT = e.blockDT
	copy(e.wc, e.wb)
	e.cValid = true
	e.ec, e.efc, e.edc = 0, 0, 0

	// Variable step: large while much echo is left, small once the
	// foreground cancels well, to cut the misadjustment noise that line
	// noise causes (echo-to-residual estimated per block, smoothed).
	// Once converged, the estimate only learns from blocks the
	// correlation test showed to be echo alone: near-end speech the
	// detectors missed would otherwise drag it down, disarm them and open
	// the door to transfers in mid double talk. (A changed path resets it
	// through the lock breaker instead.)
	if e.ed0 > 0 && e.ef0 > 0 && !dt && (e.erleEst <= ecConverged || explained) {
		r := 10 * math.Log10(e.ed0/e.ef0)
		e.erleEst += (r - e.erleEst) * 0.1
	}
	switch {
	case e.erleEst < ecVSSLow:
		e.mu = ecMu
	case e.erleEst > ecVSSHigh:
		e.mu = ecMuMin
	default:
		e.mu = ecMu + (ecMuMin-ecMu)*float32((e.erleEst-ecVSSLow)/(ecVSSHigh-ecVSSLow))
	}
	e.eb, e.ef, e.ed, e.blockN = 0, 0, 0, 0
	e.ef0, e.ed0 = 0, 0
	e.blockDT = false
	e.lpcBlocks++
	if e.lpcBlocks == ecLPCEvery {
		e.lpcBlocks = 0
		if e.updateLPC() {
			e.rewhiten()
		}
	}
}

// rewhiten recomputes the whitened reference window with the current
// whitening filter. The NLMS error is A(z)·d − w·xw; it is only the right
// gradient when every sample of xw went through the same A(z) as d, so a
// filter change must be applied to the whole window at once.
func (e *EchoCanceller) rewhiten() {
	n := e.n
	win := e.x[e.pos : e.pos+n]
	var s float64
	for j := 0; j < n; j++ {
		v := win[j]
		for k := 1; k <= ecLPCOrder; k++ {
			if j+k < n {
				v += e.lpc[k] * win[j+k]
			}
		}
		e.xw[e.pos+j] = v
		idx := e.pos + j
		if idx >= n {
			idx -= n
		} else {
			idx += n
		}
		e.xw[idx] = v
		s += float64(v) * float64(v)
	}
	e.exw = s
}

// updateLPC fits the whitening filter to the latest far-end samples
// (autocorrelation method, Hann window, 40 dB noise floor so silence or
// pure tones give a well-conditioned filter).
func (e *EchoCanceller) updateLPC() bool {
	win := e.x[e.pos : e.pos+min(ecLPCWindow, e.n)]
	var r [ecLPCOrder + 1]float64
	var buf [ecLPCWindow]float64
	L := len(win)
	for i, v := range win {
		h := 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(L))
		buf[i] = float64(v) * h
	}
	for k := range r {
		var s float64
		for i := k; i < L; i++ {
			s += buf[i] * buf[i-k]
		}
		r[k] = s
	}
	if r[0] < 1e3 {
		return false // silence: keep the previous filter
	}
	// Long-term average: the whitening filter must stay nearly constant
	// over the filter window, or the whitened reference and error stop
	// matching and the adaptation is biased.
	for k := range r {
		e.racc[k] = e.racc[k]*ecLPCSmooth + r[k]*(1-ecLPCSmooth)
		r[k] = e.racc[k]
	}
	r[0] *= 1.0001
	for k := 1; k <= ecLPCOrder; k++ {
		// Lag window (60 Hz Gaussian) widens the formant peaks slightly.
		g := math.Exp(-0.5 * math.Pow(2*math.Pi*60*float64(k)/sampleRate, 2))
		r[k] *= g
	}
	// Levinson–Durbin.
	var a, tmp [ecLPCOrder + 1]float64
	a[0] = 1
	errp := r[0]
	for i := 1; i <= ecLPCOrder; i++ {
		acc := r[i]
		for j := 1; j < i; j++ {
			acc += a[j] * r[i-j]
		}
		k := -acc / errp
		if k >= 1 || k <= -1 {
			return false
		}
		tmp = a
		for j := 1; j < i; j++ {
			a[j] = tmp[j] + k*tmp[i-j]
		}
		a[i] = k
		errp *= 1 - k*k
	}
	for k := 1; k <= ecLPCOrder; k++ {
		e.lpc[k] = float32(a[k])
	}
	return true
}

// nlp applies the non-linear processor and comfort noise to the linear
// canceller output ef.
func (e *EchoCanceller) nlp(ef, d float32, dt, farActive bool) int16 {
	const a = 1.0 / 128 // 16 ms power smoothing
	e.pd += (float64(d)*float64(d) - e.pd) * a
	e.pe += (float64(ef)*float64(ef) - e.pe) * a
	// Minimum statistics: fall fast, rise by about 10 dB per second.
	if e.pe < e.noise {
		e.noise += (e.pe - e.noise) * 0.05
	} else {
		e.noise *= 1.0003
	}
	e.noise = max(e.noise, 0.01)
	v := ef
	if e.nlpOff || e.disabled != ToneEnabled {
		return clamp16(v)
	}
	on := farActive && !dt && e.pe < ecNLPRatio*e.pd
	if on {
		e.nlpHold = ecNLPHold
	} else if e.nlpHold > 0 {
		e.nlpHold--
		on = true
	}
	if on {
		e.nlpGain -= 1.0 / 16 // 2 ms fade to noise
		if e.nlpGain < 0 {
			e.nlpGain = 0
		}
	} else {
		e.nlpGain += 1.0 / 40 // 5 ms back to the signal
		if e.nlpGain > 1 {
			e.nlpGain = 1
		}
	}
	if e.nlpGain < 1 {
		// Uniform noise of the estimated power: amplitude √(3P).
		e.seed ^= e.seed << 13
		e.seed ^= e.seed >> 17
		e.seed ^= e.seed << 5
		u := float32(int32(e.seed)) / (1 << 31)
		cn := u * float32(math.Sqrt(3*e.noise))
		v = e.nlpGain*ef + (1-e.nlpGain)*cn
	}
	return clamp16(v)
}

// dot returns a·x. Four partial sums break the dependency chain; the
// 4-element subslices let the compiler drop the bounds checks.
func dot(a, x []float32) float32 {
	n := len(a) &^ 3
	x = x[:n]
	var a0, a1, a2, a3 float32
	for k := 0; k < n; k += 4 {
		av, xv := a[k:k+4:k+4], x[k:k+4:k+4]
		a0 += av[0] * xv[0]
		a1 += av[1] * xv[1]
		a2 += av[2] * xv[2]
		a3 += av[3] * xv[3]
	}
	return (a0 + a1) + (a2 + a3)
}

// dotBG returns b·y and Σ|b_k|·y_k² (ab = |b|) in one pass: the
// background's whitened echo estimate and the proportionate normaliser.
func dotBG(b, ab, y []float32) (by, s float32) {
	n := len(b) &^ 3
	ab, y = ab[:n], y[:n]
	var b0, b1, b2, b3, s0, s1 float32
	for k := 0; k < n; k += 4 {
		bv, yv, mv := b[k:k+4:k+4], y[k:k+4:k+4], ab[k:k+4:k+4]
		y0, y1, y2, y3 := yv[0], yv[1], yv[2], yv[3]
		b0 += bv[0] * y0
		b1 += bv[1] * y1
		b2 += bv[2] * y2
		b3 += bv[3] * y3
		s0 += mv[0]*y0*y0 + mv[2]*y2*y2
		s1 += mv[1]*y1*y1 + mv[3]*y3*y3
	}
	return (b0 + b1) + (b2 + b3), s0 + s1
}

// update does w_k += (c0 + c1·|w_k|)·x_k, the IPNLMS tap update, keeps
// aw = |w| and returns the new ‖w‖₁.
func update(w, aw, x []float32, c0, c1 float32) float32 {
	n := len(w) &^ 3
	aw, x = aw[:n], x[:n]
	var s0, s1, s2, s3 float32
	for k := 0; k < n; k += 4 {
		wv, av, xv := w[k:k+4:k+4], aw[k:k+4:k+4], x[k:k+4:k+4]
		v0 := wv[0] + (c0+c1*av[0])*xv[0]
		v1 := wv[1] + (c0+c1*av[1])*xv[1]
		v2 := wv[2] + (c0+c1*av[2])*xv[2]
		v3 := wv[3] + (c0+c1*av[3])*xv[3]
		wv[0], wv[1], wv[2], wv[3] = v0, v1, v2, v3
		a0, a1, a2, a3 := abs32(v0), abs32(v1), abs32(v2), abs32(v3)
		av[0], av[1], av[2], av[3] = a0, a1, a2, a3
		s0 += a0
		s1 += a1
		s2 += a2
		s3 += a3
	}
	return (s0 + s1) + (s2 + s3)
}

func abs32(v float32) float32 {
	return math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
}
