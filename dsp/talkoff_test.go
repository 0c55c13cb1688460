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
	c := talkoffCorpus(t)
	var samples, falses int
	for _, name := range sortedClipNames(c.speech) {
		for _, db := range []float64{+12, 0, -10} { // −8, −20 and −30 dBm0 active level
			pcm := gain(c.speech[name], db)
			samples += len(pcm)
			if ev := detectAll(NewDTMFDetector(), pcm, 160); len(ev) > 0 {
				falses += len(ev)
				t.Errorf("talk-off: %s at %+g dB: false digits %q at %v", name, db, digitsOf(ev), eventTimes(ev))
			}
		}
	}
	t.Logf("speech talk-off corpus: %d clips (%.0f s) × 3 levels = %.0f s of speech, %d false digits",
		len(c.speech), clipSeconds(c.speech), float64(samples)/8000, falses)
}

// TestDTMFTalkOffMusic: no digit from the music corpus.
func TestDTMFTalkOffMusic(t *testing.T) {
	c := talkoffCorpus(t)
	falses := 0
	for _, name := range sortedClipNames(c.music) {
		if ev := detectAll(NewDTMFDetector(), c.music[name], 160); len(ev) > 0 {
			falses += len(ev)
			t.Errorf("talk-off: %s: false digits %q at %v", name, digitsOf(ev), eventTimes(ev))
		}
	}
	t.Logf("music talk-off corpus: %.0f s, %d false digits", clipSeconds(c.music), falses)
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
	c := talkoffCorpus(t)
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
