package dsp

import (
	"math"
	"testing"
)

// answerTone returns seconds of a 2100 Hz (+off Hz) answer tone at level
// dBm0; with reversals, its phase turns by 180° every 450 ms and it is
// amplitude-modulated by 20 % at 15 Hz (V.25 ANSam, G.165's disabling
// tone); without, a plain tone (G.164, a fax's CED).
func answerTone(seconds, off, level float64, reversals bool) []int16 {
	n := int(seconds * 8000)
	a := DBm0ToPeak(level)
	s := make(sig, n)
	ph := 0.0
	for i := range s {
		if reversals && i > 0 && i%3600 == 0 {
			ph += math.Pi
		}
		env := 1.0
		if reversals {
			env = 1 + 0.2*math.Sin(2*math.Pi*15*float64(i)/8000)
		}
		s[i] = a * env * math.Sin(2*math.Pi*(2100+off)*float64(i)/8000+ph)
	}
	return s.pcm()
}

// runTone passes rx and ref through a fresh canceller and returns it
// with its output.
func runTone(rx, ref []int16) (*EchoCanceller, []int16) {
	ec := NewEchoCanceller(EchoConfig{})
	out := make([]int16, len(rx))
	for i := 0; i < len(rx); i += 160 {
		j := min(i+160, len(rx))
		ec.Process(rx[i:j], ref[i:j], out[i:j])
	}
	return ec, out
}

func TestToneDisabler(t *testing.T) {
	far := speechLike(8000*3, 3, -15)
	for _, c := range []struct {
		name      string
		off, lvl  float64
		reversals bool
		fromFar   bool // the tone comes from the far end (ref), not the line
		want      ToneDisable
	}{
		{"ANSam from the line", 0, -12, true, false, ToneAllOff},
		{"ANSam from the far end", 0, -12, true, true, ToneAllOff},
		{"ANSam +21 Hz at -31 dBm0", 21, -31, true, false, ToneAllOff},
		{"ANSam -21 Hz at -6 dBm0", -21, -6, true, false, ToneAllOff},
		{"2100 Hz without reversals", 0, -12, false, false, ToneNLPOff},
		{"2100 Hz without reversals from the far end", 15, -20, false, true, ToneNLPOff},
		{"ANSam at -40 dBm0 (below the guard level)", 0, -40, true, false, ToneEnabled},
		{"1800 Hz with reversals (not an answer tone)", -300, -12, true, false, ToneEnabled},
	} {
		t.Run(c.name, func(t *testing.T) {
			tone := answerTone(3, c.off, c.lvl, c.reversals)
			rx, ref := make([]int16, len(tone)), make([]int16, len(tone))
			if c.fromFar {
				copy(ref, tone)
				// The tone's echo comes back from the line, 12 dB down.
				for i := 40; i < len(rx); i++ {
					rx[i] = ref[i-40] / 4
				}
			} else {
				copy(rx, tone)
				copy(ref, far) // the far end talks meanwhile
			}
			ec, out := runTone(rx, ref)
			if got := ec.ToneDisabled(); got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			if c.want == ToneAllOff {
				// From the first reversal (450 ms) plus a block on, the line
				// passes untouched.
				for i := 8000 * 6 / 10; i < len(out); i++ {
					if out[i] != rx[i] {
						t.Fatalf("sample %d altered (%d → %d) with the canceller disabled", i, rx[i], out[i])
					}
				}
			}
			ec.Reset()
			if ec.ToneDisabled() != ToneEnabled {
				t.Error("Reset left the canceller disabled")
			}
		})
	}
}

// TestToneDisablerTalkOff: no speech or music of the talk-off corpora
// disables anything (G.164 clause 4.6: no false operation on speech).
func TestToneDisablerTalkOff(t *testing.T) {
	c := talkoffCorpus(t)
	tab := newToneTable()
	minE := math.Pow(DBm0ToPeak(toneMinDBm0), 2) / 2 * toneBlock
	for _, set := range []map[string][]int16{c.speech, c.music} {
		for _, name := range sortedClipNames(set) {
			for _, db := range []float64{+12, 0} {
				var d toneDetector
				for _, v := range gain(set[name], db) {
					d.feed(tab, float32(v), minE)
					if d.reversal || d.run >= toneMinBlocks {
						t.Errorf("%s at %+g dB: tone disabler operated (reversal %v, %d blocks)", name, db, d.reversal, d.run)
						break
					}
				}
			}
		}
	}
}
