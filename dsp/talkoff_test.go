package dsp

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// gain scales pcm by db decibels with saturation.
func gain(pcm []int16, db float64) []int16 {
	g := math.Pow(10, db/20)
	out := make([]int16, len(pcm))
	for i, v := range pcm {
		out[i] = sat16(float64(v) * g)
	}
	return out
}

// TestDTMFTalkOffSpeech: no digit from the speech corpus (every
// espeak-ng voice and variant, shouted, sung) at −8, −20 and −30 dBm0
// active level.
func TestDTMFTalkOffSpeech(t *testing.T) {
	talkOffSpeech(t, talkoffCorpus(t).speech)
}

// TestDTMFTalkOffMusic: no digit from the music corpus.
func TestDTMFTalkOffMusic(t *testing.T) {
	talkOffMusic(t, talkoffCorpus(t).music)
}

// TestDTMFTalkOffHeldOut: no digit from the held-out corpus (see
// heldOutCorpus), and every digit with any of its clips 20 dB under.
func TestDTMFTalkOffHeldOut(t *testing.T) {
	c := heldOutCorpus(t, talkoffSize.heldOut)
	talkOffSpeech(t, c.speech)
	talkOffMusic(t, c.music)
	talkDown(t, c)
}

// talkOffSpeech fails t for every digit found in speech clips at −8,
// −20 and −30 dBm0 active level.
func talkOffSpeech(t *testing.T, speech map[string][]int16) {
	t.Helper()
	var samples, falses int
	for _, name := range sortedClipNames(speech) {
		for _, db := range []float64{+12, 0, -10} { // −8, −20 and −30 dBm0 active level
			pcm := gain(speech[name], db)
			samples += len(pcm)
			if ev := detectAll(NewDTMFDetector(), pcm, 160); len(ev) > 0 {
				falses += len(ev)
				t.Errorf("talk-off: %s at %+g dB: false digits %q at %v", name, db, digitsOf(ev), eventTimes(ev))
			}
		}
	}
	t.Logf("speech talk-off corpus: %d clips (%.0f s) × 3 levels = %.0f s of speech, %d false digits",
		len(speech), clipSeconds(speech), float64(samples)/8000, falses)
}

// talkOffMusic fails t for every digit found in music clips (at the
// levels they were made at).
func talkOffMusic(t *testing.T, music map[string][]int16) {
	t.Helper()
	falses := 0
	for _, name := range sortedClipNames(music) {
		if ev := detectAll(NewDTMFDetector(), music[name], 160); len(ev) > 0 {
			falses += len(ev)
			t.Errorf("talk-off: %s: false digits %q at %v", name, digitsOf(ev), eventTimes(ev))
		}
	}
	t.Logf("music talk-off corpus: %d clips, %.0f s, %d false digits", len(music), clipSeconds(music), falses)
}

func eventTimes(ev []DTMFEvent) []string {
	var s []string
	for _, e := range ev {
		s = append(s, fmt.Sprintf("%.3fs", float64(e.Sample)/8000))
	}
	return s
}

// TestDTMFTalkDown: every digit is found, and no other, with speech or
// music 20 dB below the digits underneath: each clip of the corpora mixed
// under the sixteen digits (60 ms on, 60 ms off) at an active level 20 dB
// below the digits' power (tones of −10 dBm0 each: −7 dBm0; and of
// −20 dBm0: −17 dBm0), as when a caller keeps talking while keying, or a
// prompt or music on hold still plays.
func TestDTMFTalkDown(t *testing.T) {
	talkDown(t, talkoffCorpus(t))
}

// talkDown is TestDTMFTalkDown on corpus c.
func talkDown(t *testing.T, c *corpus) {
	t.Helper()
	const digits = "0123456789*#ABCD"
	for _, tone := range []float64{-10, -20} {
		g := NewDTMFGenerator(DTMFGenConfig{LevelDBm0: tone, On: 60 * time.Millisecond, Off: 60 * time.Millisecond})
		_ = g.Queue(digits)
		tones := make([]int16, len(digits)*960+800)
		g.Read(tones)
		under := tone + 3 - 20 // active level of what is underneath
		for _, set := range []map[string][]int16{c.speech, c.music} {
			lost, clips := 0, 0
			for _, name := range sortedClipNames(set) {
				clip := set[name]
				bg := normalisePCM(clip, under)
				if len(bg) < len(tones) {
					continue
				}
				// Lay the digits over the loudest stretch of the clip.
				off := loudest(bg, len(tones))
				mix := make(sig, len(tones))
				for i := range mix {
					mix[i] = float64(tones[i]) + float64(bg[off+i])
				}
				clips++
				got := digitsOf(detectAll(NewDTMFDetector(), mix.pcm(), 160))
				if got != digits {
					lost++
					t.Errorf("digits at %g dBm0 over %s at %g dBm0: got %q want %q", tone, name, under, got, digits)
				}
			}
			t.Logf("digits at %g dBm0 per tone over %d clips at %g dBm0: %d clips disturbed", tone, clips, under, lost)
		}
	}
}

// loudest returns the start of the n-sample stretch of pcm with the most
// energy (in 20 ms steps).
func loudest(pcm []int16, n int) int {
	best, bestE := 0, -1.0
	for off := 0; off+n <= len(pcm); off += 160 {
		var e float64
		for _, v := range pcm[off : off+n] {
			e += float64(v) * float64(v)
		}
		if e > bestE {
			best, bestE = off, e
		}
	}
	return best
}

// noteChord returns n samples of two sine notes at fr and fc Hz, silent
// for the first 1000 samples, then swelling linearly to levelDBm0 each
// over attack seconds, with tremolo (5 Hz, the given depth).
func noteChord(n int, fr, fc, levelDBm0, attack, tremolo float64) []int16 {
	s := make(sig, n)
	a := DBm0ToPeak(levelDBm0)
	for i := 1000; i < n; i++ {
		t := float64(i-1000) / 8000
		env := min(1, t/attack) * (1 + tremolo*math.Sin(2*math.Pi*5*t))
		s[i] = a * env * (math.Sin(2*math.Pi*fr*t+0.7) + math.Sin(2*math.Pi*fc*t))
	}
	return s.pcm()
}

// temperedDigits are the digits whose two frequencies each lie within
// the receiver's per-window frequency tolerance of a note of the
// equal-tempered scale (A = 440 Hz): F5, G5, A♯5 on the rows, E6, F♯6,
// G♯6 on the columns. must says whether both notes are also within
// Q.24's must-accept band (G5 is 14 Hz above 770 Hz, G♯6 28 Hz above
// 1633 Hz: just outside it).
var temperedDigits = []struct {
	digit  byte
	fr, fc float64
	must   bool
}{
	{'2', 698.46, 1318.51, true}, {'3', 698.46, 1479.98, true}, {'A', 698.46, 1661.22, false},
	{'5', 783.99, 1318.51, false}, {'6', 783.99, 1479.98, false}, {'B', 783.99, 1661.22, false},
	{'0', 932.33, 1318.51, true}, {'#', 932.33, 1479.98, true}, {'D', 932.33, 1661.22, false},
}

// TestDTMFTalkOffSwell: two pure notes that swell in (a pad, an organ
// stop, bowed strings) on every digit the equal-tempered scale can play
// are no digit, for attacks from 50 ms on, at every level, with and
// without tremolo; the same two notes struck (a 1 ms attack) are one
// where Q.24 says they must be, which shows it is the swell that is
// rejected.
func TestDTMFTalkOffSwell(t *testing.T) {
	for _, d := range temperedDigits {
		for _, lvl := range []float64{-5, -15, -25, -32} {
			for _, attack := range []float64{0.05, 0.08, 0.12, 0.2, 0.3, 0.5} {
				for _, trem := range []float64{0, 0.1} {
					pcm := noteChord(8000, d.fr, d.fc, lvl, attack, trem)
					if got := digitsOf(detectAll(NewDTMFDetector(), pcm, 160)); got != "" {
						t.Errorf("%c at %g dBm0, %g ms attack, tremolo %g: got %q", d.digit, lvl, attack*1000, trem, got)
					}
				}
			}
			if !d.must {
				continue
			}
			pcm := noteChord(8000, d.fr, d.fc, lvl, 0.001, 0)
			if got := digitsOf(detectAll(NewDTMFDetector(), pcm, 160)); got != string(d.digit) {
				t.Errorf("%c at %g dBm0 struck: got %q", d.digit, lvl, got)
			}
		}
	}
}

// TestDTMFTalkOffRevealed: a three-note chord of pure notes whose third
// note stops, leaving two that sit on a digit's frequencies, is no digit
// (the two notes sounded before: the onset test); nor is a key press's
// pair of notes that sounded for 100 ms, paused for 5 ms and goes on.
func TestDTMFTalkOffRevealed(t *testing.T) {
	for _, d := range temperedDigits {
		for _, lvl := range []float64{-8, -20, -30} {
			s := make(sig, 12000)
			s.tone(0, 12000, d.fr, lvl)
			s.tone(0, 12000, d.fc, lvl)
			s.tone(0, 4000, 1046.5, lvl) // C6 stops at 0.5 s
			if got := digitsOf(detectAll(NewDTMFDetector(), s.pcm(), 160)); got != "" {
				t.Errorf("%c at %g dBm0 revealed by a third note's end: got %q", d.digit, lvl, got)
			}
		}
	}
}
