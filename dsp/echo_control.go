package dsp

import "math"

// The parts of the line echo canceller that do not depend on how its
// adaptive filter is computed: the double-talk detectors and the
// two-path control (echoControl), the far end's peak over the tail
// (tailPeak), the non-linear processor with its comfort noise (echoNLP)
// and the tone disabler's watch (toneWatch, tonedisable.go). The
// frequency-domain canceller (EchoCanceller) uses them, and so does the
// time-domain one it replaced, kept in the tests to measure one against
// the other.

const (
	ecConverged  = 10.0   // dB of estimated ERLE before double talk is judged
	ecRho        = 0.95   // correlation double-talk threshold
	ecGeigel     = 0.5    // Geigel double-talk threshold (6 dB)
	ecHangover   = 240    // Geigel hangover, samples (30 ms)
	ecDTHoldMS   = 40     // hangover of the correlation detector
	ecMisMS      = 50     // far-end time with foreground error > 2·rx that means the path changed
	ecDTLockMS   = 400    // far-end time all flagged as double talk: maybe a path change
	ecWinMS      = 100    // time the candidate must win in a row near the noise floor
	ecCopyMargin = 0.7    // candidate error must be 1.5 dB below the foreground's
	ecNLPRatio   = 0.125  // NLP engages when error < d − 9 dB
	ecNLPHold    = 80     // NLP hold, samples (10 ms)
	ecNoiseInit  = -65.0  // comfort noise level until the line's is measured, dBm0
	ecNoiseBias  = 1.2    // the least 48 ms noise power over a second reads 0.8 dB low
	ecFloorRise  = 1.0186 // 10 dB a second, per 64 samples
	ecActiveDBm0 = -45.0  // far end counts as talking above this peak level
	ecMaxTailMS  = 256
	ecDefaultMS  = 128
)

// echoCommon is what both cancellers hold besides their filters: the
// control, the far end's peak, the NLP, the tone disabler and the totals.
type echoCommon struct {
	ctl        echoControl
	peak       tailPeak
	nlp        echoNLP
	tones      toneWatch
	stats      EchoStats
	activePeak float32
	nlpOff     bool    // tests measure the linear canceller alone
	xblkE      float64 // the far end's energy in this control block
}

// resetCommon forgets the call, the tail being n taps.
func (c *echoCommon) resetCommon(n int) {
	c.ctl.reset()
	c.peak = tailPeak{nb: min(n/64, len(c.peak.blkMax))}
	c.nlp = newEchoNLP()
	c.tones.reset()
	c.stats = EchoStats{}
	c.activePeak = float32(DBm0ToPeak(ecActiveDBm0))
	c.xblkE = 0
}

// ToneDisabled reports what the tone disabler has done in this call (a
// 2100 Hz answer tone: see ToneDisable). Reset enables the canceller
// again.
func (c *echoCommon) ToneDisabled() ToneDisable { return c.tones.disabled }

// bypass feeds the tone disabler the far end's sample xs and rx's d and
// says whether the canceller is off (rx passes unchanged).
func (c *echoCommon) bypass(xs, d float32) bool {
	if c.tones.disabled == ToneAllOff {
		return true
	}
	c.tones.feed(xs, d)
	return false
}

// Stats returns the running totals (see EchoStats).
func (c *echoCommon) Stats() EchoStats { return c.stats }

// account adds a sample to the control block's sums and the totals: far
// end xs, rx d, the foreground's estimate yf and error ef.
func (c *echoCommon) account(b *echoBlock, xs, d, yf, ef float32, far bool) {
	b.far = b.far || far
	b.ef0 += float64(ef) * float64(ef)
	b.ed0 += float64(d) * float64(d)
	b.edy += float64(d) * float64(yf)
	b.eyy += float64(yf) * float64(yf)
	c.xblkE += float64(xs) * float64(xs)
	if far {
		c.stats.FarRx += float64(d) * float64(d)
		c.stats.FarResidual += float64(ef) * float64(ef)
	}
}

// output is the NLP's output for the foreground's error ef.
func (c *echoCommon) output(ef, d float32, dt, far bool) int16 {
	return c.nlp.process(ef, d, dt, far, c.nlpOff || c.tones.disabled != ToneEnabled)
}

// echoBlock is what a canceller measured over one control block.
type echoBlock struct {
	far      bool    // the far end talked (within the tail) during the block
	ed0, ef0 float64 // energies of rx and of the foreground's error
	exx      float64 // energy of the far end's loudest block within the tail
	edy, eyy float64 // Σ rx·ŷ and Σ ŷ², ŷ the foreground's echo estimate
	// The candidate (a filter frozen at the start of the block, see the
	// cancellers) against the foreground on the same samples: the error
	// energies of both and rx's energy. cand says whether it was judged.
	cand         bool
	ec, efc, edc float64
	eb, ef       float64 // background and foreground errors as the background adapts
	noise        float64 // the line's noise power per sample (echoNLP)
	blockLen     int     // samples
}

// echoVerdict is what the control decided at a block's end.
type echoVerdict struct {
	dt       bool // double talk suspected: adapt slowly, transfer nothing
	transfer bool // the candidate becomes the foreground
	restart  bool // the background diverged: restart it from the foreground
}

// echoControl is the two-path canceller's control (see EchoCanceller's
// design notes): Geigel and correlation double-talk detectors, the lock
// breaker, the transfer rule and the variable step.
type echoControl struct {
	// Limits in blocks of the canceller's control block length.
	dtHold, misRunN, dtLockN, winRunN int
	muMax, muMin                      float32
	vssLow, vssHigh                   float64 // dB of estimated ERLE where the step starts to shrink and where it reaches muMin

	erleEst  float64 // smoothed block ERLE estimate, dB
	mu       float32 // current step
	hangover int     // Geigel, samples left
	dtBlocks int     // correlation detector's blocks left
	dtRun    int     // consecutive far-end blocks flagged as double talk
	dtWins   int     // of which the candidate beat the foreground by 3 dB
	misRun   int     // consecutive far-end blocks with foreground error > 2·rx
	winRun   int     // consecutive blocks the candidate won
	prevDT   bool    // the previous block had double talk
	blockDT  bool    // this block has had double talk so far
}

// newEchoControl returns the control for blocks of block samples and a
// step going from muMax to muMin as the estimated ERLE rises from
// vssLow to vssHigh dB.
func newEchoControl(block int, muMax, muMin float32, vssLow, vssHigh float64) echoControl {
	n := func(ms int) int { return max(1, (ms*sampleRate/1000+block/2)/block) }
	return echoControl{
		dtHold: n(ecDTHoldMS), misRunN: n(ecMisMS), dtLockN: n(ecDTLockMS), winRunN: n(ecWinMS),
		muMax: muMax, muMin: muMin, vssLow: vssLow, vssHigh: vssHigh, mu: muMax,
	}
}

// reset forgets everything but the limits.
func (c *echoControl) reset() {
	*c = echoControl{dtHold: c.dtHold, misRunN: c.misRunN, dtLockN: c.dtLockN, winRunN: c.winRunN,
		muMax: c.muMax, muMin: c.muMin, vssLow: c.vssLow, vssHigh: c.vssHigh, mu: c.muMax}
}

// sample runs the Geigel detector on one sample of the foreground's error
// ef, the far end's peak over the tail being peak, and reports whether
// double talk is suspected. Geigel on the foreground's residual rather
// than on rx: once some echo is cancelled, a hybrid with a low return
// loss (6 dB) no longer looks like near-end speech, while near-end speech
// passes the fixed foreground filter untouched and is detected as before.
// (Not on the background's residual: an adapting filter partly tracks
// near-end speech and would hide it.) Only once the foreground cancels
// some echo (before that, every echo peak would look like a talker).
func (c *echoControl) sample(ef, peak float32) bool {
	if c.erleEst > ecConverged && abs32(ef) > ecGeigel*peak {
		c.hangover = ecHangover
	} else if c.hangover > 0 {
		c.hangover--
	}
	dt := c.hangover > 0 || c.dtBlocks > 0
	if dt {
		c.blockDT = true
	}
	return dt
}

// step returns the adaptation step for a sample or block during which
// dt was reported: halved while double talk is suspected, so that a
// false alarm (an echo path change) still converges, while a true one is
// kept from the output by the two-path structure.
func (c *echoControl) step(dt bool) float32 {
	if dt {
		return c.mu * 0.5
	}
	return c.mu
}

// endBlock judges a block and returns what to do; stats counts the block
// by state.
func (c *echoControl) endBlock(b *echoBlock, stats *EchoStats) echoVerdict {
	dt := c.hangover > 0 || c.dtBlocks > 0
	// Correlation double-talk detector: with a foreground that fits the
	// echo path, rx is the echo estimate plus noise, so their normalised
	// correlation is close to 1; a near-end talker adds energy the
	// estimate does not explain (ρ² ≈ echo/(echo+near)). ρ < 0.95 flags
	// a talker down to about 10 dB below the echo — well below where
	// the Geigel test (6 dB above the far end's peak) is blind. Only
	// judged where the estimate stands well clear of the line noise and
	// the foreground is known to fit.
	if c.dtBlocks > 0 {
		c.dtBlocks--
	}
	explained := false // rx was shown to be echo the foreground explains
	if c.erleEst > ecConverged && b.eyy > 30*b.noise*float64(b.blockLen) {
		if rho := b.edy / math.Sqrt(b.ed0*b.eyy+1e-9); rho < ecRho {
			c.dtBlocks = c.dtHold
			dt = true
			c.blockDT = true
		} else {
			explained = true
		}
	}
	// Lock breaker. Both detectors also fire when the echo path has
	// changed (the foreground no longer explains rx), which would stop
	// transfers for good. What tells the two apart is the background:
	// after a path change it re-converges (adaptation only slows during
	// suspected double talk) and the candidate beats the foreground by
	// 3 dB block after block; during double talk it does so now and then
	// at most. When the far end has talked for ecDTLockMS, all flagged,
	// and the candidate won 80% of the blocks, the foreground is declared
	// unconverged, which disarms the detectors until it fits again.
	// A foreground whose error exceeds twice rx for ecMisMS of far-end
	// speech in a row does not fit the path at all (double talk can add
	// energy to the error only as much as to rx, and only briefly makes
	// them anti-correlated; an echo path that opened leaves the filter's
	// estimate as all the error): declared unconverged at once. Only
	// errors within 40 dB of the far end count: where the echo has died
	// away (the end of a word still in the tail), a converged filter's
	// small misadjustment can outweigh the line noise alone.
	// The error counts if it is within 30 dB of the far end's loudest
	// block within the tail and 10 dB above the line noise: a converged
	// filter's misadjustment stays further below (about 40 dB), a wrong
	// filter's output not.
	audible := b.ef0 > 1e-3*b.exx && b.ef0 > 10*b.noise*float64(b.blockLen)
	if b.far && audible && b.ef0 > 2*b.ed0 {
		c.misRun++
		if c.misRun >= c.misRunN {
			c.erleEst, c.dtBlocks, c.hangover, c.misRun = 0, 0, 0, 0
			c.blockDT = false
		}
	} else if b.far && audible {
		c.misRun = 0
	}
	if b.far {
		if c.blockDT {
			c.dtRun++
			if b.cand && b.ec < 0.5*b.efc {
				c.dtWins++
			}
		} else {
			c.dtRun, c.dtWins = 0, 0
		}
		if c.dtRun >= c.dtLockN {
			if c.dtWins*5 >= c.dtRun*4 {
				c.erleEst, c.dtBlocks, c.hangover = 0, 0, 0
				c.blockDT = false
			}
			c.dtRun, c.dtWins = 0, 0
		}
	}
	switch {
	case b.far && c.blockDT:
		stats.Blocks[EchoDoubleTalk]++
	case b.far:
		stats.Blocks[EchoFarTalk]++
	case b.ed0 > 10*b.noise*float64(b.blockLen):
		stats.Blocks[EchoNearTalk]++
	default:
		stats.Blocks[EchoIdle]++
	}
	// Two-path transfer. The candidate is a filter frozen over the block,
	// judged against the foreground on the same samples. Judging a frozen
	// filter on fresh data is what makes this safe: an adapting filter
	// partly follows the recent error (near-end speech included) and
	// would look better than it is, a frozen one cannot — during double
	// talk the near-end speech adds equally to both errors and no margin
	// is reached. Adopt the candidate when it removes 1.5 dB more than
	// the foreground and at least 3 dB of rx; near the noise floor, where
	// margins vanish, also when it has won for ecWinMS in a row. No
	// transfer if the candidate adapted or was judged during double talk:
	// even frozen, a filter fitted to voiced near-end speech keeps
	// cancelling part of it for a while, the near end being
	// quasi-periodic.
	var v echoVerdict
	noDT := !c.blockDT && !c.prevDT
	if b.cand && (b.edc > 0 || b.efc > 0) {
		if b.ec < b.efc && noDT {
			c.winRun++
		} else {
			c.winRun = 0
		}
		switch {
		case noDT && b.ec < 0.5*b.edc && (b.ec < ecCopyMargin*b.efc || c.winRun >= c.winRunN),
			noDT && b.efc > b.edc && b.ec < 0.5*b.efc:
			// The second: the foreground adds more than it removes (the
			// echo path opened) and the candidate halves its error.
			v.transfer = true
			c.winRun = 0
		case b.eb > 4*b.ef && b.ec > 4*b.efc && b.efc < b.edc:
			v.restart = true
			c.winRun = 0
		}
	}
	c.prevDT = c.blockDT
	// Variable step: large while much echo is left, small once the
	// foreground cancels well, to cut the misadjustment noise that line
	// noise causes (echo-to-residual estimated per block, smoothed).
	// Once converged, the estimate only learns from blocks the
	// correlation test showed to be echo alone: near-end speech the
	// detectors missed would otherwise drag it down, disarm them and open
	// the door to transfers in mid double talk. (A changed path resets it
	// through the lock breaker instead.)
	if b.ed0 > 0 && b.ef0 > 0 && !dt && (c.erleEst <= ecConverged || explained) {
		r := 10 * math.Log10(b.ed0/b.ef0)
		c.erleEst += (r - c.erleEst) * 0.1 * float64(b.blockLen) / 80
	}
	switch {
	case c.erleEst < c.vssLow:
		c.mu = c.muMax
	case c.erleEst > c.vssHigh:
		c.mu = c.muMin
	default:
		c.mu = c.muMax + (c.muMin-c.muMax)*float32((c.erleEst-c.vssLow)/(c.vssHigh-c.vssLow))
	}
	v.dt = dt || c.blockDT
	c.blockDT = false
	return v
}

// tailPeak is the far end's peak over the echo tail, kept in 64-sample
// blocks (the Geigel detector's reference, and the test of whether the far
// end talks).
type tailPeak struct {
	blkMax   [ecMaxTailMS * sampleRate / 1000 / 64]float32
	nb       int // blocks over the tail
	count    int // samples in the current block
	idx      int
	cur, max float32
}

// add takes the next far-end sample and returns the peak over the tail.
func (t *tailPeak) add(x float32) float32 {
	t.cur = max(t.cur, abs32(x))
	t.count++
	if t.count == 64 {
		t.blkMax[t.idx] = t.cur
		t.idx++
		if t.idx == t.nb {
			t.idx = 0
		}
		t.cur, t.count = 0, 0
		var m float32
		for _, v := range t.blkMax[:t.nb] {
			m = max(m, v)
		}
		t.max = m
	}
	return max(t.max, t.cur)
}

// echoNLP is the non-linear processor: it removes the residual echo once
// the linear filter has taken out more than 9 dB and the near end is
// silent, and fills the gap with comfort noise at the background noise
// level (minimum statistics of the error signal), so the far end never
// hears the line go dead between words. The noise estimate runs whether
// the processor is on or not: the double-talk detector uses it.
type echoNLP struct {
	pd, pe, noise float64 // smoothed powers of rx and error (16 ms); noise power
	floor         float64 // the noise as the control sees it (see process)
	pdf, pef      float64 // the same smoothed over 2 ms
	gain          float32
	hold          int
	seed          uint32
	cnAmp         float32 // comfort noise amplitude, √(3·noise), refreshed every 32 samples
	cnAge         int
	// Minimum statistics (see process).
	age, sub, mi, ri int
	accD, accE       float64
	ringD, ringE     [6]float64
	curMin           float64
	mins             [4]float64
}

func newEchoNLP() echoNLP {
	n := math.Pow(DBm0ToPeak(ecNoiseInit), 2) / 2
	r := n * 64
	return echoNLP{gain: 1, seed: 0x9E3779B9, noise: n, floor: n, curMin: math.Inf(1), mins: [4]float64{n, n, n, n},
		ringD: [6]float64{r, r, r, r, r, r}, ringE: [6]float64{r, r, r, r, r, r}}
}

// process returns the output for the linear canceller's output ef and rx
// sample d; off passes ef through (the noise estimate still runs).
func (p *echoNLP) process(ef, d float32, dt, farActive, off bool) int16 {
	const a = 1.0 / 128 // 16 ms power smoothing
	p.pd += (float64(d)*float64(d) - p.pd) * a
	p.pe += (float64(ef)*float64(ef) - p.pe) * a
	// Minimum statistics: the noise is the least power of the error or of
	// rx over 48 ms (six 8 ms blocks), the least over the last second
	// (kept as the minima of four 250 ms stretches), which a speech or
	// CSS pause always reaches; a fall shows at once, a rise within a
	// second. Both hold the line's noise and no less: the error adds the
	// filter's misadjustment to it (which outlasts the far end's words by
	// the tail), rx the echo. A rectangular 48 ms window forgets the
	// echo before a pause ends, where an exponential smoothing long
	// enough to steady the estimate would still remember it; the minimum
	// of a fluctuating power reads low, which ×ecNoiseBias corrects.
	p.accD += float64(d) * float64(d)
	p.accE += float64(ef) * float64(ef)
	if p.age++; p.age == 64 {
		p.age = 0
		p.ringD[p.ri], p.ringE[p.ri] = p.accD, p.accE
		p.ri = (p.ri + 1) % len(p.ringD)
		p.accD, p.accE = 0, 0
		var sd, se float64
		for i := range p.ringD {
			sd += p.ringD[i]
			se += p.ringE[i]
		}
		pow := min(sd, se) / (64 * float64(len(p.ringD)))
		p.curMin = min(p.curMin, pow)
		// The floor the control judges against rises by 10 dB a second
		// at most: a near end talking for seconds without a pause does
		// not become "noise" that would disarm the double-talk detector.
		p.floor = max(min(p.floor*ecFloorRise, pow), 0.01)
		if p.sub++; p.sub == 31 {
			p.sub = 0
			p.mins[p.mi] = p.curMin
			p.mi = (p.mi + 1) % len(p.mins)
			p.curMin = math.Inf(1)
		}
		m := p.curMin
		for _, v := range p.mins {
			m = min(m, v)
		}
		p.noise = max(m*ecNoiseBias, 0.01)
	}
	v := ef
	if off {
		return clamp16(v)
	}
	// A 2 ms view of the same ratio releases the NLP at once when the
	// near end starts to talk (its first syllable would otherwise be cut
	// for the 16 ms smoothing plus the hold); the hold only bridges the
	// dips of the far end's echo.
	const af = 1.0 / 16
	p.pdf += (float64(d)*float64(d) - p.pdf) * af
	p.pef += (float64(ef)*float64(ef) - p.pef) * af
	on := farActive && !dt && p.pe < ecNLPRatio*p.pd
	switch {
	case on:
		p.hold = ecNLPHold
	case p.pef > ecNLPRatio*p.pdf && p.pef > 10*p.noise:
		p.hold = 0 // something besides echo: the near end talks
	case p.hold > 0:
		p.hold--
		on = true
	}
	if on {
		p.gain -= 1.0 / 16 // 2 ms fade to noise
		if p.gain < 0 {
			p.gain = 0
		}
	} else {
		p.gain += 1.0 / 8 // 1 ms back to the signal
		if p.gain > 1 {
			p.gain = 1
		}
	}
	if p.gain < 1 {
		// Uniform noise of the estimated power: amplitude √(3P).
		p.seed ^= p.seed << 13
		p.seed ^= p.seed >> 17
		p.seed ^= p.seed << 5
		u := float32(int32(p.seed)) / (1 << 31)
		if p.cnAge--; p.cnAge <= 0 {
			p.cnAmp, p.cnAge = float32(math.Sqrt(3*p.noise)), 32
		}
		cn := u * p.cnAmp
		v = p.gain*ef + (1-p.gain)*cn
	}
	return clamp16(v)
}

func abs32(v float32) float32 {
	return math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
}
