package modem

import (
	"math"

	"minipbx/dsp"
)

// SampleRate is the audio rate every modem here works at.
const SampleRate = 8000

// BitSource supplies the bits a transmitter sends. NextBit returns 0 or
// 1, or -1 when there is nothing more to send.
type BitSource interface {
	NextBit() int
}

// levelToPeak converts a level in dBm0 to the peak amplitude of a sine.
func levelToPeak(dbm0 float64) float64 { return dsp.DBm0ToPeak(dbm0) }

// levelToPower converts a level in dBm0 to the mean square of the signal
// in 16-bit units (a sine's peak²/2).
func levelToPower(dbm0 float64) float64 {
	p := levelToPeak(dbm0)
	return p * p / 2
}

// sinTabBits sizes the sine table used by the oscillators: a phase is a
// uint32 turn, the table index its top sinTabBits bits.
const sinTabBits = 10

var sinTab = func() (t [1 << sinTabBits]float64) {
	for i := range t {
		t[i] = math.Sin(2 * math.Pi * float64(i) / float64(len(t)))
	}
	return t
}()

// sinPhase and cosPhase read the table at a uint32 phase.
func sinPhase(p uint32) float64 { return sinTab[p>>(32-sinTabBits)] }
func cosPhase(p uint32) float64 { return sinTab[(p+1<<30)>>(32-sinTabBits)] }

// phaseStep is the per-sample phase increment of frequency hz.
func phaseStep(hz float64) uint32 {
	return uint32(math.Round(hz / SampleRate * (1 << 32)))
}

// clamp16 rounds and saturates v to an int16 sample.
func clamp16(v float64) int16 {
	if v >= 32767 {
		return 32767
	}
	if v <= -32768 {
		return -32768
	}
	if v >= 0 {
		return int16(v + 0.5)
	}
	return int16(v - 0.5)
}
