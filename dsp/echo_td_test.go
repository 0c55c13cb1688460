package dsp

import "math"

// tdEchoCanceller is the time-domain line echo canceller the
// frequency-domain EchoCanceller replaced (issue 14), kept here so that
// the benchmarks and the G.168 suite can measure the two side by side in
// one run. It shares the control, the double-talk detectors, the NLP and
// the tone disabler with EchoCanceller (echo_control.go); its filter:
//
//   - Two-path adaptive filter: a background FIR adapts on every sample; a
//     foreground copy produces the output. At each 10 ms block end the
//     background is frozen into a candidate, judged on the next block
//     against the foreground on the same samples (echoControl).
//   - The background adapts by NLMS on pre-whitened signals: an order-8
//     LPC inverse filter, fitted every 40 ms to the long-term (≈ 0.8 s)
//     far-end spectrum and applied to the whole reference window at once,
//     whitens the reference and the rx signal. Taps are proportionate
//     (IPNLMS, α = 0.5). The step goes from 0.6 to 0.2 as the estimated
//     ERLE rises from 20 to 30 dB.
//
// Per sample: the foreground dot product, a fused pass for the
// background's whitened output and proportionate normaliser, the tap
// update, and on every other sample the candidate's dot product: about
// 4,500 floating-point operations for a 128 ms tail.
type tdEchoCanceller struct {
	n int // taps

	x, xw  []float32 // far-end and whitened far-end, double-written rings of 2n
	pos    int       // index of the newest sample in the rings
	wb, wf []float32 // background and foreground taps
	awb    []float32 // |wb|, kept by the update pass so the dot pass needs no abs
	exw    float64   // energy of the whitened window

	lpc       [tdLPCOrder + 1]float32 // whitening filter, lpc[0] = 1
	racc      [tdLPCOrder + 1]float64 // smoothed autocorrelation
	lpcBlocks int
	dhist     [tdLPCOrder]float32 // near-end history for whitening
	efhist    [tdLPCOrder]float32 // foreground error history for whitening
	l1        float32             // ‖wb‖₁ after the last update
	blockN    int

	blk    echoBlock
	wc     []float32 // candidate: the background frozen at the last block end
	cValid bool
	cmpOdd bool
	sinceN int

	echoCommon
	farE [13]float64 // the far end's energy in the blocks within the tail (128 ms)
}

const (
	tdBlock        = 80   // control block and LPC refresh interval, samples
	tdLPCOrder     = 8    //
	tdLPCWindow    = 256  // analysis window for the whitening filter
	tdMu           = 0.6  // background NLMS step while converging
	tdMuMin        = 0.2  // step once converged
	tdAlpha        = 0.5  // IPNLMS proportionality (−1 = NLMS, 1 = PNLMS)
	tdDelta        = 1e3  // regularisation of the normaliser
	tdLPCSmooth    = 0.95 // autocorrelation smoothing per refresh (≈ 0.8 s)
	tdLPCEvery     = 4    // refresh the whitening filter every 4 blocks (40 ms)
	tdRenormPeriod = 4096 // recompute the running energy to stop float drift
)

func newTDEchoCanceller(c EchoConfig) *tdEchoCanceller {
	tail := c.TailMS
	if tail <= 0 {
		tail = ecDefaultMS
	}
	tail = min(tail, ecMaxTailMS)
	n := tail * sampleRate / 1000
	n = (n + 63) &^ 63
	e := &tdEchoCanceller{
		n:   n,
		x:   make([]float32, 2*n),
		xw:  make([]float32, 2*n),
		wb:  make([]float32, n),
		awb: make([]float32, n),
		wc:  make([]float32, n),
		wf:  make([]float32, n),
	}
	e.ctl = newEchoControl(tdBlock, tdMu, tdMuMin, 20, 30)
	e.tones = newToneWatch()
	e.Reset()
	e.nlpOff = c.NLPOff
	return e
}

func (e *tdEchoCanceller) Reset() {
	for _, b := range [][]float32{e.x, e.xw, e.wb, e.awb, e.wc, e.wf} {
		clear(b)
	}
	e.pos, e.exw, e.lpcBlocks, e.l1, e.blockN = 0, 0, 0, 0, 0
	e.lpc, e.racc, e.dhist, e.efhist = [tdLPCOrder + 1]float32{1}, [tdLPCOrder + 1]float64{}, [tdLPCOrder]float32{}, [tdLPCOrder]float32{}
	e.blk = echoBlock{blockLen: tdBlock}
	e.cValid, e.cmpOdd, e.sinceN = false, false, 0
	e.farE = [13]float64{}
	e.resetCommon(e.n)
}

func (e *tdEchoCanceller) Process(rx, ref, out []int16) {
	cnt := min(len(rx), len(ref), len(out))
	n := e.n
	for i := 0; i < cnt; i++ {
		xs, d := float32(ref[i]), float32(rx[i])
		if e.bypass(xs, d) {
			out[i] = rx[i]
			continue
		}

		p := e.pos - 1
		if p < 0 {
			p = n - 1
		}
		e.pos = p
		old := e.xw[p]
		e.x[p], e.x[p+n] = xs, xs
		win := e.x[p : p+n]
		xwv := xs
		for k := 1; k <= tdLPCOrder; k++ {
			xwv += e.lpc[k] * win[k]
		}
		e.xw[p], e.xw[p+n] = xwv, xwv
		e.exw += float64(xwv)*float64(xwv) - float64(old)*float64(old)
		wwin := e.xw[p : p+n]

		peak := e.peak.add(xs)
		var yf float32
		if peak > 0 {
			yf = dot(e.wf, win)
		}
		ef := d - yf
		dt := e.ctl.sample(ef, peak)

		dw := d
		for k := 1; k <= tdLPCOrder; k++ {
			dw += e.lpc[k] * e.dhist[k-1]
		}
		copy(e.dhist[1:], e.dhist[:tdLPCOrder-1])
		e.dhist[0] = d
		efw := ef
		for k := 1; k <= tdLPCOrder; k++ {
			efw += e.lpc[k] * e.efhist[k-1]
		}
		copy(e.efhist[1:], e.efhist[:tdLPCOrder-1])
		e.efhist[0] = ef

		far := peak > e.activePeak
		b := &e.blk
		if far {
			ybw, s1 := dotBG(e.wb, e.awb, wwin)
			ew := dw - ybw
			b.eb += float64(ew) * float64(ew)
			b.ef += float64(efw) * float64(efw)
			l1 := max(e.l1, 1e-6)
			mu := e.ctl.step(dt)
			den := (1-tdAlpha)*float32(e.exw)/float32(2*n) + (1+tdAlpha)*s1/(2*l1) + tdDelta
			c := mu * ew / den
			e.l1 = update(e.wb, e.awb, wwin, c*(1-tdAlpha)/float32(2*n), c*(1+tdAlpha)/(2*l1))
		}
		e.cmpOdd = !e.cmpOdd
		if e.cmpOdd && e.cValid && far {
			ec := d - dot(e.wc, win)
			b.cand = true
			b.ec += float64(ec) * float64(ec)
			b.efc += float64(ef) * float64(ef)
			b.edc += float64(d) * float64(d)
		}
		e.account(b, xs, d, yf, ef, far)
		e.blockN++
		if e.blockN == tdBlock {
			e.endBlock()
		}
		e.sinceN++
		if e.sinceN == tdRenormPeriod {
			e.sinceN = 0
			var s float64
			for _, v := range wwin {
				s += float64(v) * float64(v)
			}
			e.exw = s
		}
		out[i] = e.output(ef, d, dt, far)
	}
}

func (e *tdEchoCanceller) endBlock() {
	e.blk.noise = e.nlp.floor
	copy(e.farE[1:], e.farE[:len(e.farE)-1])
	e.farE[0] = e.xblkE
	e.xblkE = 0
	for _, v := range e.farE {
		e.blk.exx = max(e.blk.exx, v)
	}
	v := e.ctl.endBlock(&e.blk, &e.stats)
	switch {
	case v.transfer:
		copy(e.wf, e.wc)
	case v.restart:
		copy(e.wb, e.wf)
		var l1 float32
		for k, w := range e.wb {
			e.awb[k] = abs32(w)
			l1 += e.awb[k]
		}
		e.l1 = l1
	}
	copy(e.wc, e.wb)
	e.cValid = true
	e.blk = echoBlock{blockLen: tdBlock}
	e.blockN = 0
	e.lpcBlocks++
	if e.lpcBlocks == tdLPCEvery {
		e.lpcBlocks = 0
		if e.updateLPC() {
			e.rewhiten()
		}
	}
}

// rewhiten recomputes the whitened reference window with the current
// whitening filter.
func (e *tdEchoCanceller) rewhiten() {
	n := e.n
	win := e.x[e.pos : e.pos+n]
	var s float64
	for j := 0; j < n; j++ {
		v := win[j]
		for k := 1; k <= tdLPCOrder; k++ {
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

// updateLPC fits the whitening filter to the latest far-end samples.
func (e *tdEchoCanceller) updateLPC() bool {
	win := e.x[e.pos : e.pos+min(tdLPCWindow, e.n)]
	var r [tdLPCOrder + 1]float64
	var buf [tdLPCWindow]float64
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
		return false
	}
	for k := range r {
		e.racc[k] = e.racc[k]*tdLPCSmooth + r[k]*(1-tdLPCSmooth)
		r[k] = e.racc[k]
	}
	r[0] *= 1.0001
	for k := 1; k <= tdLPCOrder; k++ {
		g := math.Exp(-0.5 * math.Pow(2*math.Pi*60*float64(k)/sampleRate, 2))
		r[k] *= g
	}
	var a, tmp [tdLPCOrder + 1]float64
	a[0] = 1
	errp := r[0]
	for i := 1; i <= tdLPCOrder; i++ {
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
	for k := 1; k <= tdLPCOrder; k++ {
		e.lpc[k] = float32(a[k])
	}
	return true
}

// dotBG returns b·y and Σ|b_k|·y_k² (ab = |b|) in one pass.
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
