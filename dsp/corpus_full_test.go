//go:build dspfull

package dsp

// talkoffSize is the whole corpus (make dsp-full): every espeak-ng voice
// rendered three times, ten minutes of singing, 24 minutes of music.
var talkoffSize = corpusSize{
	renderings:      3,
	voiceStride:     1,
	singingSeconds:  600,
	musicSeconds:    1440,
	musicLevelsDBm0: []float64{-5, -10, -15, -20, -25, -30},
}
