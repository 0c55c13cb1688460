package audiotest

import (
	"math"
	"math/rand"
	"testing"
)

func TestAnalyze(t *testing.T) {
	tone := Tone{Freq: 1000, Peak: 8000}
	s := make([]int16, 4000)
	tone.Fill(s)
	if m := Analyze(s, 1000); math.Abs(m.Peak-8000) > 2 || m.SNR < 60 {
		t.Errorf("clean tone: %+v", m)
	}
	r := rand.New(rand.NewSource(1))
	for i := range s {
		s[i] += int16(r.NormFloat64() * 8000 / math.Sqrt2 / 10) // 20 dB below the tone
	}
	if m := Analyze(s, 1000); math.Abs(m.SNR-20) > 1 {
		t.Errorf("20 dB SNR measured as %.1f", m.SNR)
	}
	if m := Analyze(s, 1500); m.SNR > -10 {
		t.Errorf("a 1500 Hz fit of a 1000 Hz tone has SNR %.1f", m.SNR)
	}
}

func TestBlocksSurviveOnePhaseSlip(t *testing.T) {
	a, b := Tone{Freq: 1000, Peak: 8000}, Tone{Freq: 1000, Peak: 8000}
	s := make([]int16, 8000)
	a.Fill(s[:4040])
	b.phase = math.Pi // a slip of half a cycle in the middle of block 5
	b.Fill(s[4040:])
	if m := Analyze(s, 1000); m.SNR > 10 {
		t.Errorf("whole-recording fit across a slip: %.1f dB, expected it ruined", m.SNR)
	}
	bad := 0
	for _, m := range Blocks(s, 1000, 800) {
		if m.SNR < 30 {
			bad++
		}
	}
	if bad != 1 {
		t.Errorf("%d blocks below 30 dB, want exactly the one with the slip", bad)
	}
}
