package dsp

import (
	"bytes"
	"os/exec"
	"testing"

	"minipbx/dsp/audiofile"
	"minipbx/internal/testutil"
)

// espeak synthesises text with espeak-ng and imports it as 8 kHz audio
// normalised to −20 dBm0 active level, repeated or cut to n samples.
func espeak(t *testing.T, voice, text string, n int) []int16 {
	t.Helper()
	bin := testutil.Tool(t, "espeak-ng")
	out, err := exec.Command(bin, "-v", voice, "-s", "160", "--stdout", text).Output()
	if err != nil {
		t.Fatalf("espeak-ng: %v", err)
	}
	s, err := audiofile.Import(bytes.NewReader(out), 0)
	if err != nil {
		t.Fatalf("import espeak-ng output: %v", err)
	}
	r := make([]int16, n)
	for i := 0; i < n; i += len(s) {
		copy(r[i:], s)
	}
	return r
}

// TestEchoRealSpeech runs the canceller on synthesised speech (real
// speech spectra and pauses rather than shaped noise): ERLE ≥ 30 dB over
// each second from 2 s on (real speech, with its pauses and strongly
// varying spectrum, converges more slowly than the shaped noise of
// TestEchoConvergence: 20–25 dB after the first second), and double talk
// by another voice in another language does not disturb it.
func TestEchoRealSpeech(t *testing.T) {
	const n = 8000 * 8
	far := espeak(t, "en-us", "The quick brown fox jumps over the lazy dog. Please hold the line, your call is important to us. Press one for sales, two for support.", n)
	near := make([]int16, n)
	copy(near[5*8000:7*8000], espeak(t, "de", "Guten Tag, hier spricht die Zentrale. Einen Moment bitte.", 2*8000))
	for _, p := range []echoPath{echoPaths[1], echoPaths[2], echoPaths[4]} {
		t.Run(p.name, func(t *testing.T) {
			r := runEcho(t, linearEC(), far, []echoPath{p}, 0, near, -75)
			var worst float64 = 1e9
			for w := 2 * 8000; w+8000 <= n; w += 8000 {
				e := r.erle(w, w+8000)
				worst = min(worst, e)
			}
			t.Logf("ERLE 0.5–1 s %.1f dB, 1–2 s %.1f dB; worst 1 s window from 2 s %.1f dB (double talk 5–7 s: %.1f dB)", r.erle(4000, 8000), r.erle(8000, 2*8000), worst, r.erle(5*8000, 7*8000))
			if worst < 30 {
				t.Errorf("ERLE %.1f dB in a 1 s window after convergence", worst)
			}
		})
	}
}
