// Package audiotest makes and measures test signals for whole-box tests:
// a pure tone in, and out the other side its frequency, level and
// signal-to-noise ratio.
package audiotest

import (
	"encoding/binary"
	"math"
)

// Tone generates a sine of freq Hz with the given peak amplitude, keeping
// its phase across calls so frames join without clicks.
type Tone struct {
	Freq, Peak float64
	phase      float64
}

// Fill writes the next len(out) samples of the tone.
func (t *Tone) Fill(out []int16) {
	step := 2 * math.Pi * t.Freq / 8000
	for i := range out {
		out[i] = int16(t.Peak * math.Sin(t.phase))
		t.phase += step
		if t.phase > 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
}

// Measurement is what Analyze finds of a tone in a recording.
type Measurement struct {
	// Peak is the fitted sine's amplitude at the tone frequency.
	Peak float64
	// SNR is the tone's power over everything else, in dB.
	SNR float64
}

// Analyze fits a sine of freq Hz (plus DC) to s by least squares and
// compares its power with the power of the residual.
func Analyze(s []int16, freq float64) Measurement {
	if len(s) == 0 {
		return Measurement{SNR: math.Inf(-1)}
	}
	w := 2 * math.Pi * freq / 8000
	// Normal equations for x = [a, b, c] in a·sin + b·cos + c.
	var ss, sc, s1, cc, c1, ys, yc, y1 float64
	n := float64(len(s))
	for i, v := range s {
		si, ci, y := math.Sin(w*float64(i)), math.Cos(w*float64(i)), float64(v)
		ss += si * si
		sc += si * ci
		s1 += si
		cc += ci * ci
		c1 += ci
		ys += y * si
		yc += y * ci
		y1 += y
	}
	a, b, c := solve3([3][3]float64{{ss, sc, s1}, {sc, cc, c1}, {s1, c1, n}}, [3]float64{ys, yc, y1})
	var resid float64
	for i, v := range s {
		e := float64(v) - (a*math.Sin(w*float64(i)) + b*math.Cos(w*float64(i)) + c)
		resid += e * e
	}
	sig := (a*a + b*b) / 2
	noise := resid / n
	m := Measurement{Peak: math.Hypot(a, b)}
	switch {
	case noise == 0 && sig > 0:
		m.SNR = math.Inf(1)
	case sig == 0:
		m.SNR = math.Inf(-1)
	default:
		m.SNR = 10 * math.Log10(sig/noise)
	}
	return m
}

// solve3 solves a 3×3 linear system by Cramer's rule.
func solve3(m [3][3]float64, y [3]float64) (float64, float64, float64) {
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
			m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
			m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(m)
	if d == 0 {
		return 0, 0, 0
	}
	var r [3]float64
	for k := 0; k < 3; k++ {
		mk := m
		for i := 0; i < 3; i++ {
			mk[i][k] = y[i]
		}
		r[k] = det(mk) / d
	}
	return r[0], r[1], r[2]
}

// Level is the RMS of s in dB relative to full scale.
func Level(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	if sum == 0 {
		return math.Inf(-1)
	}
	return 10 * math.Log10(sum/float64(len(s))/(32768*32768))
}

// Blocks fits the tone separately in consecutive blocks of n samples and
// returns each block's measurement. A whole-recording fit is ruined by a
// single phase slip (one late packet concealed by the jitter buffer on a
// loaded test machine); per-block fits judge the transmission's quality
// and show how many blocks a slip touched.
func Blocks(s []int16, freq float64, n int) []Measurement {
	var out []Measurement
	for i := 0; i+n <= len(s); i += n {
		out = append(out, Analyze(s[i:i+n], freq))
	}
	return out
}

// StudioWAV is a hz sine of seconds (peak 6000, about −15 dBFS) as a
// 44.1 kHz 16-bit stereo WAV file: what a studio or a laptop's recorder
// hands an installer, and so what the box's recording import must take.
func StudioWAV(hz, seconds float64) []byte {
	const r = 44100
	n := int(seconds * r)
	le := binary.LittleEndian
	h := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	h = le.AppendUint32(h, 16)  // fmt chunk size
	h = le.AppendUint16(h, 1)   // PCM
	h = le.AppendUint16(h, 2)   // channels
	h = le.AppendUint32(h, r)   // sample rate
	h = le.AppendUint32(h, r*4) // byte rate
	h = le.AppendUint16(h, 4)   // block align
	h = le.AppendUint16(h, 16)  // bits per sample
	h = append(h, "data"...)
	h = le.AppendUint32(h, uint32(4*n))
	for i := range n {
		v := uint16(int16(6000 * math.Sin(2*math.Pi*hz*float64(i)/r)))
		h = le.AppendUint16(le.AppendUint16(h, v), v)
	}
	le.PutUint32(h[4:], uint32(len(h)-8))
	return h
}
