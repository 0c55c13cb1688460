package testutil

import "math"

// Talk is synthetic speech at 8 kHz for tests of what listens to a
// talker (voice activity, answering-machine detection): syllables of a
// voiced sound (harmonics of a 120 Hz voice, each syllable at its own
// loudness and length) separated by short pauses, as words are.
// Utterances gives each utterance's length in milliseconds and the
// silence after it; the result starts with an utterance.
func Talk(utterances ...[2]int) []int16 {
	var out []int16
	syl := 0
	for _, u := range utterances {
		end := len(out) + u[0]*8
		for len(out) < end {
			// Syllables of 140 to 260 ms, pauses of 60 ms between them.
			n := min((140+(syl*37)%120)*8, end-len(out))
			amp := 3000 + float64((syl*1103)%5000)
			for i := range n {
				env := math.Sin(math.Pi * float64(i) / float64(n))
				t := float64(len(out)) / 8000
				v := 0.0
				for h := 1; h <= 6; h++ {
					v += math.Sin(2*math.Pi*120*float64(h)*t) / float64(h)
				}
				out = append(out, int16(amp*env*v/2))
			}
			syl++
			gap := min(60*8, end-len(out))
			out = append(out, make([]int16, gap)...)
		}
		out = append(out, make([]int16, u[1]*8)...)
	}
	return out
}
