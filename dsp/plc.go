package dsp

import "math"

// Packet-loss concealment after ITU-T G.711 Appendix I: when a frame is
// lost, the pitch period of the last 20 ms is found by normalised
// cross-correlation (40–120 samples, i.e. 66–200 Hz; coarse search on
// every other lag and sample, then refined), and the last pitch period is
// repeated. The junction of each repetition is smoothed by a quarter-pitch
// overlap-add with the samples that preceded the period. After 10 ms the
// repetition widens to two periods and after 20 ms to three (each change
// cross-faded over a quarter pitch), so a long loss does not buzz on one
// period; from 10 ms the output is attenuated linearly by 20% per 10 ms,
// reaching silence at 60 ms. The first good frame after a loss is
// cross-faded with the continued synthetic signal over 4 ms plus 4 ms per
// further 10 ms lost, at most 10 ms.
//
// Deviation from the reference code: Appendix I delays all output by
// 3.75 ms so it can overlap-add into already-"played" samples at the
// start of a loss. The exchange's delay budget has no room for that, so
// this PLC adds no delay: the concealment starts exactly where the last
// frame ended and the quarter-pitch smoothing is applied inside the
// synthetic period instead.
const (
	plcPitchMin = 40
	plcPitchMax = 120
	plcCorrLen  = 160
	plcOverlap  = plcPitchMax / 4            // largest quarter pitch
	plcHistLen  = 3*plcPitchMax + plcOverlap // 390 samples
	plcSegment  = 80                         // 10 ms
	plcAttenPer = 0.2 / plcSegment           // attenuation per sample after 10 ms
	plcOLAStep  = 32                         // 4 ms of resume overlap per 10 ms lost
	plcOLAMax   = 80                         // at most 10 ms
	plcMinPower = 250.0 * plcCorrLen         // floor of the correlation energy
)

// PLC conceals lost 20 ms frames of one audio stream. Feed every frame
// that arrives to Good and call Conceal for each one that is missing.
type PLC struct {
	hist   [plcHistLen]float32 // the last output samples, newest last
	filled int                 // valid samples in hist (from the end)
	pbuf   [plcHistLen]float32 // history frozen at the start of a loss

	pitch, quarter int
	lost           int // samples concealed in this loss

	cycle, pos int // current repetition length and position in it
	oldCycle   int // previous repetition during a cross-fade
	oldPos     int
	xfade      int // cross-fade samples remaining

	olaLen, olaPos int // resume cross-fade
}

// NewPLC returns a concealer with empty history.
func NewPLC() *PLC { return &PLC{} }

// Reset forgets the history (a new stream).
func (p *PLC) Reset() { *p = PLC{} }

// Good records a correctly received frame. After a loss it cross-fades
// the start of frame, in place, from the concealed signal into the real
// one, so pass Good the very frame that will be played.
func (p *PLC) Good(frame []int16) {
	if p.lost > 0 && p.olaLen == 0 {
		p.olaLen = min(plcOLAMax, plcOLAStep*((p.lost+plcSegment-1)/plcSegment))
		p.olaPos = 0
	}
	for i := 0; i < len(frame) && p.olaPos < p.olaLen; i++ {
		w := float32(p.olaPos+1) / float32(p.olaLen+1)
		frame[i] = clamp16(w*float32(frame[i]) + (1-w)*p.synth())
		p.olaPos++
	}
	if p.olaLen > 0 && p.olaPos >= p.olaLen {
		p.lost, p.olaLen, p.olaPos = 0, 0, 0
	}
	p.push(frame)
}

// Conceal writes a replacement for a lost frame to out.
func (p *PLC) Conceal(out []int16) {
	if p.filled < plcHistLen && p.lost == 0 {
		// Not enough history to find a pitch: nothing to repeat yet.
		clear(out)
		p.push(out)
		return
	}
	if p.lost == 0 || p.olaLen > 0 {
		p.startLoss()
	}
	for i := range out {
		out[i] = clamp16(p.synth())
	}
	p.push(out)
}

func clamp16(v float32) int16 {
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(math.Round(float64(v)))
}

// push appends samples to the history.
func (p *PLC) push(s []int16) {
	if len(s) >= plcHistLen {
		s = s[len(s)-plcHistLen:]
	} else {
		copy(p.hist[:], p.hist[len(s):])
	}
	h := p.hist[plcHistLen-len(s):]
	for i, v := range s {
		h[i] = float32(v)
	}
	p.filled = min(plcHistLen, p.filled+len(s))
}

func (p *PLC) startLoss() {
	p.olaLen, p.olaPos = 0, 0
	p.pbuf = p.hist
	p.pitch = findPitch(&p.hist)
	p.quarter = p.pitch / 4
	p.lost = 0
	p.cycle, p.pos, p.xfade = p.pitch, 0, 0
}

// synth returns the next synthetic sample, attenuated for the loss so far.
func (p *PLC) synth() float32 {
	switch p.lost {
	case plcSegment, 2 * plcSegment:
		// Widen the repetition to two, then three periods; the new
		// stream starts one period earlier in the same phase.
		p.oldCycle, p.oldPos = p.cycle, p.pos
		p.cycle += p.pitch
		p.xfade = p.quarter
	}
	v := p.sample(p.cycle, &p.pos)
	if p.xfade > 0 {
		old := p.sample(p.oldCycle, &p.oldPos)
		w := float32(p.xfade) / float32(p.quarter+1)
		v = w*old + (1-w)*v
		p.xfade--
	}
	g := float32(1)
	if p.lost >= plcSegment {
		g = max(0, 1-float32(p.lost-plcSegment)*plcAttenPer)
	}
	p.lost++
	return v * g
}

// sample returns the sample at *pos of a repetition of the last cycle
// samples of the frozen history and advances *pos. Over the last quarter
// pitch the period's tail is cross-faded into the samples that preceded
// its start, so the wrap back to the start is continuous.
func (p *PLC) sample(cycle int, pos *int) float32 {
	start := plcHistLen - cycle
	i := *pos
	v := p.pbuf[start+i]
	if edge := cycle - p.quarter; i >= edge {
		w := float32(i-edge+1) / float32(p.quarter+1)
		v = (1-w)*v + w*p.pbuf[start-p.quarter+(i-edge)]
	}
	*pos = i + 1
	if *pos == cycle {
		*pos = 0
	}
	return v
}

// findPitch returns the lag in [plcPitchMin, plcPitchMax] that best
// matches the last plcCorrLen samples of h with the samples lag earlier.
func findPitch(h *[plcHistLen]float32) int {
	ref := h[plcHistLen-plcCorrLen:]
	score := func(lag, step int) float64 {
		seg := h[plcHistLen-plcCorrLen-lag : plcHistLen-lag]
		var c, e float64
		for i := 0; i < plcCorrLen; i += step {
			c += float64(ref[i]) * float64(seg[i])
			e += float64(seg[i]) * float64(seg[i])
		}
		return c / math.Sqrt(max(e, plcMinPower/float64(step)))
	}
	best, bestScore := plcPitchMin, math.Inf(-1)
	for lag := plcPitchMin; lag <= plcPitchMax; lag += 2 {
		if s := score(lag, 2); s > bestScore {
			best, bestScore = lag, s
		}
	}
	refine := func(coarse int) (int, float64) {
		best, bestScore := coarse, math.Inf(-1)
		for lag := max(plcPitchMin, coarse-1); lag <= min(plcPitchMax, coarse+1); lag++ {
			if s := score(lag, 1); s > bestScore {
				best, bestScore = lag, s
			}
		}
		return best, bestScore
	}
	best, bestScore = refine(best)
	// A periodic signal matches at every multiple of its period; prefer
	// the fundamental when it matches almost as well, so the repeated
	// segment and its quarter-pitch overlaps have the right size.
	for _, div := range []int{3, 2} {
		if sub := best / div; sub >= plcPitchMin {
			if l, s := refine(sub); s >= 0.95*bestScore {
				return l
			}
		}
	}
	return best
}
