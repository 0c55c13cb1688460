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
}
