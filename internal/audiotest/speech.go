package audiotest

import "math"

// ActiveLevel is the active speech level of s (8 kHz) in dB relative to
// full scale, measured as ITU-T P.56 method B does: the power averaged
// over the samples where speech is active, so the pauses between words
// do not lower it. Level measures the whole recording, pauses included,
// which makes it depend on how fast the words come; the active level is
// what a listener hears as loudness, and what prompts are normalised to.
// It returns -Inf for silence. The reference is the same as Level's (a
// full-scale square wave is 0 dB; a full-scale sine -3 dB).
func ActiveLevel(s []int16) float64 {
	const (
		rate     = 8000
		tau      = 0.03 // envelope time constant, s
		hangover = 0.2  // activity held after the envelope drops, s
		margin   = 15.9 // dB between the active level and the threshold
		nThresh  = 16   // thresholds 2^0 … 2^15 (16-bit samples)
	)
	g := math.Exp(-1 / (rate * tau))
	hold := int(hangover * rate)
	var (
		sumSq          float64
		p, q           float64 // the two smoothing stages of |x|
		count          [nThresh]int
		sinceAbove     [nThresh]int
		thresholds     [nThresh]float64
		thresholdsDB   [nThresh]float64
		anyNonZeroPeak bool
	)
	for j := range thresholds {
		thresholds[j] = float64(int(1) << j)
		thresholdsDB[j] = 20 * math.Log10(thresholds[j])
		sinceAbove[j] = hold // not active before the first sample
	}
	for _, v := range s {
		x := float64(v)
		if v != 0 {
			anyNonZeroPeak = true
		}
		sumSq += x * x
		p = g*p + (1-g)*math.Abs(x)
		q = g*q + (1-g)*p
		for j := range thresholds {
			if q >= thresholds[j] {
				count[j]++
				sinceAbove[j] = 0
			} else if sinceAbove[j] < hold {
				count[j]++
				sinceAbove[j]++
			}
		}
	}
	if !anyNonZeroPeak || sumSq == 0 {
		return math.Inf(-1)
	}
	// diff(j) = active power over the samples above threshold j, less the
	// threshold, in dB. It falls as j rises; the active level is where it
	// crosses the margin, interpolated between the two thresholds.
	diff := func(j int) (float64, float64, bool) {
		if count[j] == 0 {
			return 0, 0, false
		}
		a := 10 * math.Log10(sumSq/float64(count[j]))
		return a, a - thresholdsDB[j], true
	}
	prevA, prevD, ok := diff(0)
	if !ok {
		return math.Inf(-1)
	}
	level := prevA
	for j := 1; j < nThresh; j++ {
		a, d, ok := diff(j)
		if !ok {
			break
		}
		if d <= margin {
			// Interpolate between thresholds j-1 and j.
			f := (prevD - margin) / (prevD - d)
			level = prevA + f*(a-prevA)
			break
		}
		prevA, prevD, level = a, d, a
	}
	return level - 20*math.Log10(32768)
}
