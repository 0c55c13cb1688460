package dsp

import "math"

// Dbm0Peak is the peak, in 16-bit linear samples, of a sine wave at 0 dBm0.
// G.711's digital milliwatt (ITU-T G.711 Table 5/6) decodes to a sine of
// this peak, so levels written in dBm0 here match the levels a codec or a
// line interface specifies.
const Dbm0Peak = 22700.0

// DBm0ToPeak returns the peak sample value of a sine at the given level in
// dBm0 (for example -10 dBm0 → about 7178).
func DBm0ToPeak(dbm float64) float64 { return Dbm0Peak * math.Pow(10, dbm/20) }

// sat16 clamps x to the int16 range, rounding to nearest.
func sat16(x float64) int16 {
	if x >= 32767 {
		return 32767
	}
	if x <= -32768 {
		return -32768
	}
	return int16(math.Round(x))
}
