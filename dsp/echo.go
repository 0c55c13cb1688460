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
//   - A partitioned-block frequency-domain adaptive filter (PBFDAF, the
//     "multidelay" filter): the tail (128 ms: 1024 taps) is cut into
//     partitions of 64 taps, the far end into blocks of 64 samples, and
//     each block's 128-point spectrum (overlap-save) is kept for as many
//     blocks as there are partitions. The echo estimate of a block is the
//     sum over partitions of each partition's spectrum times the spectrum
//     of the block it reaches back to, transformed back: per 64 samples a
//     few 128-point real FFTs and 65 complex multiply-adds per partition,
//     where a time-domain filter spends 1024 multiply-adds per sample. The
//     FFT is our own (fft.go).
//   - Zero added latency: the output filter's first partition (the first
//     8 ms of the tail) runs in the time domain, sample by sample, on the
//     taps the frequency-domain partition holds; the other partitions
//     only reach samples of blocks already complete, so their sum for the
//     next 64 samples is computed at each block's end. The output leaves
//     with the sample that came in, whatever the frame size.
//   - Adaptation, once per block: the background filter's error over the
//     block is taken to the frequency domain and normalised per bin by
//     the far end's power in that bin over the partitions, Σ_p G_p·|X_p|²
//     plus δ: that whitens speech for free, where a time-domain NLMS
//     needs an LPC pre-whitening filter. Each partition's gradient conj(X_p)·E
//     goes back to the time domain, where its first 64 samples move the
//     partition's taps (the rest is the circular-convolution part a block
//     filter must drop: every partition is constrained every block) each
//     by a proportionate gain (IPNLMS, α = 0.5: taps that carry energy
//     adapt faster, which suits a hybrid's sparse response, a bulk delay
//     then a few milliseconds), capped at 1/256 because a block update
//     sums 64 samples' gradients and a gain concentrated on fewer taps
//     than that would overshoot. Then the partition's spectrum is taken
//     again. The step goes from 1.2 to 0.2 as the estimated ERLE rises
//     from 30 to 40 dB, to cut misadjustment. Per 64 samples that is 36
//     real FFTs of 128 points and about 3,000 complex multiply-adds: a
//     sixth of the time-domain canceller's work.
//   - Narrow-band far end (tones, G.168 tests 6 and 7): a smoothed far-end
//     spectrum whose four strongest bins hold 85 % of the voice band's
//     energy is narrow-band. Then the gains are uniform and each bin's
//     normaliser takes the band's mean power too (a gain profile over the
//     taps, and per-bin normalisation of the bins between the tones, would
//     spread the tones' update to frequencies they say nothing about), and
//     once the foreground cancels the tones by 20 dB the background stops
//     adapting altogether until the far end is broadband again.
//   - Two-path structure (Ochiai): the background adapts; a foreground
//     copy produces the output. A block-adaptive filter is frozen over
//     each block, so its a-priori error over the block is a frozen
//     candidate judged on fresh data against the foreground on the same
//     samples: it is adopted when it removes 1.5 dB more echo (or wins
//     100 ms in a row near the noise floor) — never when either block had
//     double talk (echoControl in echo_control.go). A background that has
//     diverged is reset from the foreground.
//   - Double talk: Geigel on the foreground's residual (near-end peaks
//     above half the far-end peak over the tail; 30 ms hangover) and a
//     correlation detector (ρ between rx and the echo estimate below
//     0.95, which catches near-end speech down to ~10 dB under the echo).
//     Both halve the adaptation step and block transfers. A changed echo
//     path also trips them; a lock breaker tells it apart and declares
//     the foreground unconverged, which disarms the detectors until it
//     fits again.
//   - A non-linear processor removes the residual echo once the linear
//     filter has taken out more than 9 dB and the near end is silent, and
//     fills the gap with comfort noise at the line's noise level (the
//     least 32 ms power of rx or of the error over the last second); it
//     lets go within 2 ms of the near end starting to talk (echoNLP).
//   - A tone disabler (tonedisable.go) turns the canceller or its NLP off
//     for the rest of the call on a modem's or a fax's answer tone.
//
// The time-domain canceller this replaced (two-path IPNLMS on
// LPC-whitened signals, ≈ 4,500 flops per sample) is kept in the tests
// (echo_td_test.go): the benchmarks run both side by side, and the G.168
// suite (g168_test.go) measures both.
const (
	ecN     = 64      // block and partition length, samples
	ecM     = 2 * ecN // FFT length
	ecK     = ecN + 1 // bins kept of a real FFT of ecM
	ecMu    = 1.2     // background step while converging
	ecMuMin = 0.2     // step once converged
	// ecDelta regularises a bin's far-end power: about what a −45 dBm0
	// far end (the level below which it does not count as talking) puts
	// in a bin, so that bins the far end leaves empty do not take large
	// steps on noise.
	ecDelta = 1e6
	ecAlpha = 0.5 // proportionality of the taps' steps (−1: none, 1: fully proportionate)
	// ecGainCap caps a tap's proportionate gain at ecGainCap/64: a block
	// update sums 64 samples' gradients, and a gain concentrated on fewer
	// taps than that would overshoot (IPNLMS sample by sample has no such
	// limit).
	ecGainCap = 0.25
	ecVSSLow  = 30.0 // dB of estimated ERLE where the step starts to shrink
	ecVSSHigh = 40.0 // dB where it reaches ecMuMin
)

// EchoCanceller removes the echo of ref (what the exchange sends to the
// line) from rx (what comes back) on an FXO line.
type EchoCanceller struct {
	n, parts int // taps, partitions

	fft *realFFT

	// Far-end spectra: slot s holds the 128-point spectrum of a block and
	// the one before it; xi is the newest block's slot.
	xs []complex64
	xi int
	wb []complex64 // background partitions' spectra, partition p at [p·65, (p+1)·65)
	wf []complex64 // foreground partitions

	// The first partitions' taps in the time domain (the foreground's
	// runs the output sample by sample).
	w0b, w0f [ecN]float32
	xr       [2 * ecN]float32 // the last 64 far-end samples, written twice (newest at pos)
	pos      int

	xblk, dblk [ecN]float32 // this block's far end and rx
	xprev      [ecN]float32 // the previous block's far end
	ytail      [ecN]float32 // the foreground's partitions 1… for this block
	bi         int          // samples of this block so far

	// Scratch.
	tbuf       [ecM]float32
	yspec, err []complex64
	pw         []float32 // Σ G_p·|X_p|² per bin over the partitions
	gain       []float32 // per partition: Σ of its taps' proportionate gains
	wt, tg     []float32 // background taps in the time domain, and their gains ×64
	wtf        []float32 // the foreground's taps (to restart the background from)

	blk    echoBlock
	dt     bool         // double talk seen in this block
	narrow bool         // the far end is narrow-band (see narrowBand)
	spec   [ecK]float32 // the far end's smoothed power spectrum
	farE   []float64    // the far end's energy in each block within the tail, by slot

	echoCommon
}

// NewEchoCanceller returns a canceller for c.
func NewEchoCanceller(c EchoConfig) *EchoCanceller {
	tail := c.TailMS
	if tail <= 0 {
		tail = ecDefaultMS
	}
	tail = min(tail, ecMaxTailMS)
	n := tail * sampleRate / 1000
	n = (n + ecN - 1) / ecN * ecN // whole partitions
	parts := n / ecN
	e := &EchoCanceller{
		n: n, parts: parts,
		fft:   newRealFFT(ecM),
		xs:    make([]complex64, parts*ecK),
		wb:    make([]complex64, parts*ecK),
		wf:    make([]complex64, parts*ecK),
		yspec: make([]complex64, ecK),
		err:   make([]complex64, ecK),
		pw:    make([]float32, ecK),
		gain:  make([]float32, parts),
		wt:    make([]float32, n),
		wtf:   make([]float32, n),
		farE:  make([]float64, parts),
		tg:    make([]float32, n),
	}
	e.ctl = newEchoControl(ecN, ecMu, ecMuMin, ecVSSLow, ecVSSHigh)
	e.tones = newToneWatch()
	e.Reset()
	e.nlpOff = c.NLPOff
	return e
}

// Reset forgets the echo path and all state (a new call on the line),
// keeping the buffers.
func (e *EchoCanceller) Reset() {
	clear(e.xs)
	clear(e.wb)
	clear(e.wf)
	clear(e.wt)
	clear(e.wtf)
	e.xi, e.pos, e.bi = 0, 0, 0
	e.w0b, e.w0f = [ecN]float32{}, [ecN]float32{}
	e.xr = [2 * ecN]float32{}
	e.xblk, e.dblk, e.xprev, e.ytail = [ecN]float32{}, [ecN]float32{}, [ecN]float32{}, [ecN]float32{}
	e.blk = echoBlock{blockLen: ecN}
	e.dt, e.narrow, e.spec = false, false, [ecK]float32{}
	clear(e.farE)
	e.resetCommon(e.n)
}

// Process cancels the echo in rx given ref, the signal sent to the line
// over the same period, writing the result to out (which may alias rx).
// It handles min(len(rx), len(ref), len(out)) samples.
func (e *EchoCanceller) Process(rx, ref, out []int16) {
	cnt := min(len(rx), len(ref), len(out))
	for i := range cnt {
		xs, d := float32(ref[i]), float32(rx[i])
		if e.bypass(xs, d) {
			out[i] = rx[i]
			continue
		}
		p := e.pos - 1
		if p < 0 {
			p = ecN - 1
		}
		e.pos = p
		e.xr[p], e.xr[p+ecN] = xs, xs
		peak := e.peak.add(xs)
		// The foreground's estimate: the first partition here, the others
		// computed at the last block's end.
		yf := e.ytail[e.bi]
		if peak > 0 {
			yf += dot(e.w0f[:], e.xr[p:p+ecN])
		}
		ef := d - yf
		dt := e.ctl.sample(ef, peak)
		e.dt = e.dt || dt
		far := peak > e.activePeak
		e.account(&e.blk, xs, d, yf, ef, far)
		e.xblk[e.bi], e.dblk[e.bi] = xs, d
		e.bi++
		if e.bi == ecN {
			e.endBlock()
		}
		out[i] = e.output(ef, d, dt, far)
	}
}

// slot returns the spectrum of the block lag blocks before the newest.
func (e *EchoCanceller) slot(lag int) []complex64 {
	s := e.xi - lag
	if s < 0 {
		s += e.parts
	}
	return e.xs[s*ecK : (s+1)*ecK : (s+1)*ecK]
}

// part returns partition p of filter w.
func part(w []complex64, p int) []complex64 {
	return w[p*ecK : (p+1)*ecK : (p+1)*ecK]
}

// endBlock runs the block-rate work: the new block's spectrum, the
// background's error over the block (its candidate judgement), the
// control, the foreground's estimate for the next block and the
// background's adaptation.
func (e *EchoCanceller) endBlock() {
	e.bi = 0
	P := e.parts
	// The spectrum of the last two blocks, into the next slot.
	e.xi++
	if e.xi == P {
		e.xi = 0
	}
	copy(e.tbuf[:ecN], e.xprev[:])
	copy(e.tbuf[ecN:], e.xblk[:])
	e.xprev = e.xblk
	e.fft.forward(e.slot(0), e.tbuf[:])

	b := &e.blk
	var eb [ecN]float32
	if b.far {
		// The background's echo estimate over this block (its filter was
		// not changed during it) and its error; the power per bin of the
		// blocks its partitions reach back to.
		y := e.yspec
		clear(y)
		clear(e.pw)
		e.narrow = e.narrowBand(e.slot(0))
		e.gains(e.narrow)
		for p := range P {
			x := e.slot(p)
			cmulAdd(y, part(e.wb, p), x)
			addPower(e.pw, x, e.gain[p])
		}
		e.fft.inverse(e.tbuf[:], y)
		var ec float64
		for i, d := range e.dblk {
			v := d - e.tbuf[ecN+i]
			eb[i] = v
			ec += float64(v) * float64(v)
		}
		b.cand, b.ec, b.efc, b.edc = true, ec, b.ef0, b.ed0
		b.eb, b.ef = ec, b.ef0
	}
	b.noise = e.nlp.floor
	e.farE[e.xi] = e.xblkE
	e.xblkE = 0
	for _, v := range e.farE[:P] {
		b.exx = max(b.exx, v)
	}
	v := e.ctl.endBlock(b, &e.stats)
	switch {
	case v.transfer:
		copy(e.wf, e.wb)
		copy(e.wtf, e.wt)
		e.w0f = e.w0b
	case v.restart:
		copy(e.wb, e.wf)
		copy(e.wt, e.wtf)
		e.w0b = e.w0f
	}
	// The foreground's estimate for the next block from partitions 1…:
	// partition p reaches the block p−1 before the newest.
	y := e.yspec
	clear(y)
	for p := 1; p < P; p++ {
		cmulAdd(y, part(e.wf, p), e.slot(p-1))
	}
	if P > 1 {
		e.fft.inverse(e.tbuf[:], y)
		copy(e.ytail[:], e.tbuf[ecN:])
	}
	// A narrow-band far end (tones) says nothing about the rest of the
	// band: once the foreground cancels it by 20 dB there is nothing to
	// learn, and adapting on would only let the background drift where
	// the tones are not (G.168 test 6). Until then the canceller adapts
	// as usual (a canceller that starts on tones must converge on them,
	// test 7).
	frozen := e.narrow && b.efc < 0.01*b.edc
	if b.far && !v.restart && !frozen {
		e.adapt(&eb, e.ctl.step(e.dt || v.dt))
	}
	e.blk = echoBlock{blockLen: ecN}
	e.dt = false
}

// adapt moves the background by the block's error eb with step mu.
func (e *EchoCanceller) adapt(eb *[ecN]float32, mu float32) {
	P := e.parts
	clear(e.tbuf[:ecN])
	copy(e.tbuf[ecN:], eb[:])
	E := e.err
	e.fft.forward(E, e.tbuf[:])
	// E·μ/(Σ_p G_p·|X_p|² + δ) per bin (pw was summed with the gains by
	// endBlock).
	// While the far end is narrow-band, every bin is also regularised by
	// the band's mean power: the bins between the tones hold only their
	// window's leakage, which the per-bin normalisation would otherwise
	// turn into full steps on nothing (G.168 test 6).
	delta := float32(ecDelta)
	if e.narrow {
		var mean float32
		for _, v := range e.pw {
			mean += v
		}
		delta += mean / float32(len(e.pw))
	}
	for k := range E {
		E[k] *= complex(mu/(e.pw[k]+delta), 0)
	}
	// Per partition: the gradient conj(X_p)·E back in the time domain,
	// where its first 64 samples (the rest is the circular part the
	// constraint drops) move the taps, each by its proportionate gain;
	// then the partition's new spectrum.
	for p := range P {
		g := e.yspec
		cconjMul(g, e.slot(p), E)
		e.fft.inverse(e.tbuf[:], g)
		w := e.wt[p*ecN : (p+1)*ecN : (p+1)*ecN]
		gn := e.tg[p*ecN : (p+1)*ecN : (p+1)*ecN]
		grad := e.tbuf[:ecN:ecN]
		for j := range w {
			w[j] += gn[j] * grad[j]
		}
		copy(e.tbuf[:ecN], w)
		clear(e.tbuf[ecN:])
		e.fft.forward(part(e.wb, p), e.tbuf[:])
	}
	copy(e.w0b[:], e.wt[:ecN])
}

// gains sets the proportionate step of each tap (IPNLMS): g_j =
// (1−α)/(2L) + (1+α)·|w_j|/(2‖w‖₁), kept ×64 (tg), and their sum over
// each partition (gain), which weighs that partition's far-end power in
// the normaliser. A hybrid's response is sparse — a bulk delay, then a
// few milliseconds of dispersion — and taps that already carry energy
// adapt faster; with all gains equal (1/L) this is the plain normalised
// update, which uniform sets: while the far end is narrow-band (tones),
// whose gradient only carries the tones' frequencies, a gain profile
// over the taps (a product in time, a convolution in frequency) would
// spread the update to frequencies the tones say nothing about, and the
// filter would drift there (G.168 test 6).
func (e *EchoCanceller) gains(uniform bool) {
	L := len(e.wt)
	if uniform {
		g := float32(ecN) / float32(L)
		for j := range e.tg {
			e.tg[j] = g
		}
		for p := range e.parts {
			e.gain[p] = g
		}
		return
	}
	var l1 float32
	for _, w := range e.wt {
		l1 += abs32(w)
	}
	c0 := (1 - ecAlpha) / (2 * float32(L))
	c1 := (1 + ecAlpha) / (2*l1 + 1e-3)
	for p := range e.parts {
		w := e.wt[p*ecN : (p+1)*ecN : (p+1)*ecN]
		tg := e.tg[p*ecN : (p+1)*ecN : (p+1)*ecN]
		var sum float32
		for j := range w {
			g := min(c0+c1*abs32(w[j]), ecGainCap/ecN)
			sum += g
			tg[j] = g * ecN
		}
		e.gain[p] = sum
	}
}

// narrowBand adds the newest block's spectrum X to the far end's
// smoothed spectrum (80 ms) and tells whether that is narrow-band: its
// four strongest bins in the voice band (190–3600 Hz) hold 85 % of the
// band's energy. A tone or a pair of tones does (each stays within two or
// three 62.5 Hz bins); speech, whose formants are a few hundred hertz
// wide and move, does not once averaged over a few blocks.
func (e *EchoCanceller) narrowBand(X []complex64) bool {
	var top [4]float32
	var total float32
	S := e.spec[3:58]
	for k, v := range X[3:58] {
		p := S[k]*0.875 + (real(v)*real(v)+imag(v)*imag(v))*0.125
		S[k] = p
		total += p
		if p > top[3] {
			i := 3
			for i > 0 && p > top[i-1] {
				top[i] = top[i-1]
				i--
			}
			top[i] = p
		}
	}
	return total > 0 && top[0]+top[1]+top[2]+top[3] > 0.85*total
}

// cmulAdd does y += a·b bin by bin.
func cmulAdd(y, a, b []complex64) {
	a, b = a[:len(y)], b[:len(y)]
	for k := range y {
		ar, ai := real(a[k]), imag(a[k])
		br, bi := real(b[k]), imag(b[k])
		y[k] += complex(ar*br-ai*bi, ar*bi+ai*br)
	}
}

// cconjMul sets w = conj(x)·g bin by bin.
func cconjMul(w, x, g []complex64) {
	x, g = x[:len(w)], g[:len(w)]
	for k := range w {
		xr, xi := real(x[k]), imag(x[k])
		gr, gi := real(g[k]), imag(g[k])
		w[k] = complex(xr*gr+xi*gi, xr*gi-xi*gr)
	}
}

// addPower does pw += c·|x|² bin by bin.
func addPower(pw []float32, x []complex64, c float32) {
	x = x[:len(pw)]
	for k := range pw {
		r, i := real(x[k]), imag(x[k])
		pw[k] += c * (r*r + i*i)
	}
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
