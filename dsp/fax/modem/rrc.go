package modem

import "math"

// rrc is the root-raised-cosine pulse of roll-off beta at t symbol
// periods from its centre, with unit energy per symbol at t = 0 scaled
// to 1 (the matched pair's overall response is a Nyquist pulse).
func rrc(t, beta float64) float64 {
	const eps = 1e-9
	switch {
	case math.Abs(t) < eps:
		return 1 - beta + 4*beta/math.Pi
	case math.Abs(math.Abs(t)-1/(4*beta)) < eps:
		return beta / math.Sqrt2 * ((1+2/math.Pi)*math.Sin(math.Pi/(4*beta)) + (1-2/math.Pi)*math.Cos(math.Pi/(4*beta)))
	}
	num := math.Sin(math.Pi*t*(1-beta)) + 4*beta*t*math.Cos(math.Pi*t*(1+beta))
	den := math.Pi * t * (1 - 16*beta*beta*t*t)
	return num / den
}

// window is a Hann-like taper (raised cosine over |x| ≤ 1) that keeps the
// truncated pulse's spectrum clean.
func window(x float64) float64 {
	if math.Abs(x) >= 1 {
		return 0
	}
	return 0.5 + 0.5*math.Cos(math.Pi*x)
}
