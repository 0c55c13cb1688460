//go:build !dspfull

package dsp

// talkoffSize is the subset `go test` runs: about a quarter of the speech
// renderings (every voice's language family and every variant still
// represented), and a quarter of the music.
var talkoffSize = corpusSize{
	renderings:      3,
	voiceStride:     4,
	singingSeconds:  120,
	musicSeconds:    300,
	musicLevelsDBm0: []float64{-5, -15, -25},
	heldOut:         heldOutSize{voiceStride: 8, musicSeconds: 180, singingSeconds: 60},
}

// g168Grid is the G.168 suite's grid in `go test` (see g168_test.go).
var g168Grid = g168Default
