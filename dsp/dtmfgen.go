package dsp

import (
	"fmt"
	"time"
)

// Defaults of DTMFGenConfig's zero values.
const (
	DefaultDTMFLevel = -7.0                   // dBm0 of the low-group tone
	DefaultDTMFOn    = 100 * time.Millisecond // tone duration
	DefaultDTMFOff   = 100 * time.Millisecond // pause after each tone
)

// DTMFGenConfig sets a DTMF generator's levels and timing. Zero values
// mean the defaults: the low-group tone at DefaultDTMFLevel (−7 dBm0, a
// typical telephone's send level; a level of exactly 0 is read as "default"
// — pass −0.01 for 0 dBm0), no twist, 100 ms tones and 100 ms pauses.
type DTMFGenConfig struct {
	LevelDBm0 float64       // level of the low-group tone, dBm0
	TwistDB   float64       // high-group level minus low-group level, dB (positive: high louder)
	On, Off   time.Duration // tone and pause durations (rounded to whole samples)
}

// DTMFGenerator renders queued digits as DTMF tones. Each tone starts at a
// zero crossing; the oscillators rotate a unit phasor (renormalised every
// Read), so levels and frequencies stay exact at a complex multiply per
// sample.
type DTMFGenerator struct {
	lowAmp, highAmp float64
	on, off         int // samples

	queue  []byte
	pos    int // sample within the current digit's on+off period
	cur    byte
	lo, hi oscillator
}

// NewDTMFGenerator returns an idle generator.
func NewDTMFGenerator(c DTMFGenConfig) *DTMFGenerator {
	if c.LevelDBm0 == 0 {
		c.LevelDBm0 = DefaultDTMFLevel
	}
	if c.On <= 0 {
		c.On = DefaultDTMFOn
	}
	if c.Off <= 0 {
		c.Off = DefaultDTMFOff
	}
	return &DTMFGenerator{
		lowAmp:  DBm0ToPeak(c.LevelDBm0),
		highAmp: DBm0ToPeak(c.LevelDBm0 + c.TwistDB),
		on:      durSamples(c.On),
		off:     durSamples(c.Off),
		queue:   make([]byte, 0, 32),
	}
}

// durSamples converts a duration to a whole number of 8 kHz samples.
func durSamples(d time.Duration) int {
	return int((d*8000 + time.Second/2) / time.Second)
}

// Queue appends digits (0-9, *, #, A-D; a-d accepted) to be played after
// those already queued. Nothing is queued if any character is invalid.
func (g *DTMFGenerator) Queue(digits string) error {
	for i := 0; i < len(digits); i++ {
		if dtmfIndex(digits[i]) < 0 {
			return fmt.Errorf("dtmf: invalid digit %q at position %d", digits[i], i)
		}
	}
	for i := 0; i < len(digits); i++ {
		g.queue = append(g.queue, dtmfDigits[dtmfIndex(digits[i])])
	}
	return nil
}

// dtmfIndex returns the digit's position in dtmfDigits (row*4+col) or -1.
func dtmfIndex(c byte) int {
	if c >= 'a' && c <= 'd' {
		c -= 'a' - 'A'
	}
	for i := range len(dtmfDigits) {
		if dtmfDigits[i] == c {
			return i
		}
	}
	return -1
}

// Busy reports whether digits remain to be played (a digit's trailing
// pause included).
func (g *DTMFGenerator) Busy() bool { return g.cur != 0 || len(g.queue) > 0 }

// Read fills out with the next samples (zeros when idle) and reports
// whether any of them belonged to a digit or its pause.
func (g *DTMFGenerator) Read(out []int16) (active bool) {
	fr := dtmfFreqs()
	for i := range out {
		if g.cur == 0 {
			if len(g.queue) == 0 {
				clear(out[i:])
				g.lo.normalise()
				g.hi.normalise()
				return active
			}
			g.cur = g.queue[0]
			n := copy(g.queue, g.queue[1:])
			g.queue = g.queue[:n]
			k := dtmfIndex(g.cur)
			g.lo.start(fr[k/4])
			g.hi.start(fr[4+k%4])
			g.pos = 0
		}
		active = true
		if g.pos < g.on {
			out[i] = sat16(g.lowAmp*g.lo.next() + g.highAmp*g.hi.next())
		} else {
			out[i] = 0
		}
		g.pos++
		if g.pos >= g.on+g.off {
			g.cur = 0
		}
	}
	g.lo.normalise()
	g.hi.normalise()
	return active
}
