package audiotest

import (
	"math"
	"testing"
)

func TestActiveLevelIgnoresPauses(t *testing.T) {
	// Two seconds of tone, two of silence, three times: the whole has
	// half the power of the tone, the active level the tone's (less the
	// 0.2 s hangover P.56 counts as active after each burst: 0.4 dB).
	tone := Tone{Freq: 1000, Peak: 3277} // -20 dBFS peak: -23 dB RMS
	var s []int16
	for range 3 {
		burst := make([]int16, 16000)
		tone.Fill(burst)
		s = append(s, burst...)
		s = append(s, make([]int16, 16000)...)
	}
	want := Level(s[:4000])
	if got := ActiveLevel(s); math.Abs(got-want) > 0.6 {
		t.Errorf("active level %.2f dB, want the tone's %.2f", got, want)
	}
	if got := Level(s); math.Abs(got-(want-3)) > 0.2 {
		t.Errorf("whole level %.2f dB, want %.2f", got, want-3)
	}
	// Continuous: the same as Level.
	if got, want := ActiveLevel(s[:4000]), Level(s[:4000]); math.Abs(got-want) > 0.5 {
		t.Errorf("a steady tone: active %.2f, level %.2f", got, want)
	}
	// Quieter by 20 dB, active level by 20 dB.
	for i := range s {
		s[i] /= 10
	}
	if got := ActiveLevel(s); math.Abs(got-(want-20)) > 0.6 {
		t.Errorf("at -20 dB: %.2f, want %.2f", got, want-20)
	}
	if got := ActiveLevel(make([]int16, 800)); !math.IsInf(got, -1) {
		t.Errorf("silence: %v", got)
	}
}
