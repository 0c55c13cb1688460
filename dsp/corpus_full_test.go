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
	heldOut:         heldOutSize{voiceStride: 1, musicSeconds: 1800, singingSeconds: 600},
}

// g168Grid is the whole G.168 grid (make dsp-full), with the time-domain
// canceller beside on the default grid.
var g168Grid = g168GridSpec{
	erls:   []float64{6, 10, 15, 20},
	levels: []float64{0, -10, -25},
	delays: []int{10, 110},
	td:     true,
}
