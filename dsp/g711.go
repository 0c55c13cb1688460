package dsp

import "github.com/zaf/g711"

// The G.711 frame helpers convert whole frames between linear 16-bit
// samples and μ-law or A-law bytes. They call zaf/g711's per-sample
// functions: its slice functions allocate a new buffer on every call and
// work on little-endian byte slices, which a 20 ms media path cannot
// afford. Like copy, each helper converts min(len(dst), len(src)) samples,
// so a short destination is never overrun.

// EncodeULaw encodes linear samples to μ-law bytes.
func EncodeULaw(dst []byte, src []int16) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, s := range src {
		dst[i] = g711.EncodeUlawFrame(s)
	}
}

// DecodeULaw decodes μ-law bytes to linear samples.
func DecodeULaw(dst []int16, src []byte) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, b := range src {
		dst[i] = g711.DecodeUlawFrame(b)
	}
}

// EncodeALaw encodes linear samples to A-law bytes.
func EncodeALaw(dst []byte, src []int16) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, s := range src {
		dst[i] = g711.EncodeAlawFrame(s)
	}
}

// DecodeALaw decodes A-law bytes to linear samples.
func DecodeALaw(dst []int16, src []byte) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, b := range src {
		dst[i] = g711.DecodeAlawFrame(b)
	}
}
