//go:build spandsp && cgo

package spandsp

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"minipbx/bench/internal/sidebyside"
	"minipbx/dsp"
	"minipbx/dsp/audiofile"
	"minipbx/internal/testutil"
)

// signal builds the benchmark input: digits at −10 dBm0 per tone (60 ms on,
// 60 ms off), separated by stretches of speech-band noise at −30 dBm0, with
// a noise floor at −55 dBm0 throughout: roughly what a receiver sees on a
// live call where someone types into a voice menu.
func signal(seconds int) ([]int16, string) {
	r := rand.New(rand.NewPCG(1, 2))
	const digits = "0123456789*#ABCD"
	out := make([]float64, seconds*8000)
	var sent strings.Builder
	g := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{LevelDBm0: -10, On: 60 * time.Millisecond, Off: 60 * time.Millisecond})
	buf := make([]int16, 160)
	pos := 0
	for pos+8000 < len(out) {
		_ = g.Queue(digits)
		sent.WriteString(digits)
		for g.Busy() {
			g.Read(buf)
			for i, v := range buf {
				out[pos+i] += float64(v)
			}
			pos += len(buf)
		}
		// Half a second of noise "speech" between bursts.
		for i := 0; i < 4000 && pos < len(out); i++ {
			out[pos] += r.NormFloat64() * dsp.DBm0ToPeak(-30) / math.Sqrt2
			pos++
		}
	}
	pcm := make([]int16, len(out))
	for i := range out {
		v := out[i] + r.NormFloat64()*dsp.DBm0ToPeak(-55)/math.Sqrt2
		pcm[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return pcm, sent.String()
}

// TestSameDigits checks that both receivers decode the benchmark signal
// fully, so the timing compares equal work.
func TestSameDigits(t *testing.T) {
	pcm, sent := signal(10)
	r := NewReceiver()
	defer r.Close()
	if got := r.Run(pcm); got != sent {
		t.Errorf("spandsp: got %q want %q", got, sent)
	}
	d := dsp.NewDTMFDetector()
	var got strings.Builder
	for i := 0; i < len(pcm); i += 160 {
		for _, e := range d.Process(pcm[i:min(i+160, len(pcm))]) {
			got.WriteByte(e.Digit)
		}
	}
	if got.String() != sent {
		t.Errorf("minipbx: got %q want %q", got.String(), sent)
	}
}

// measure runs fn b.N times on a locked thread and reports wall-clock and
// on-CPU nanoseconds per sample (the machines these benchmarks run on are
// often shared: time spent descheduled does not inflate the latter).
func measure(b *testing.B, samples int, fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	c0 := sidebyside.ThreadCPU()
	for b.Loop() {
		fn()
	}
	cpu := sidebyside.ThreadCPU() - c0
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(samples), "ns/sample")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(samples), "cpu-ns/sample")
	b.ReportMetric(0, "ns/op") // per-sample figures are the ones that matter
}

// ours feeds the receiver in 20 ms frames, as the exchange does.
func ours(d *dsp.DTMFDetector, pcm []int16) {
	for i := 0; i < len(pcm); i += 160 {
		d.Process(pcm[i:min(i+160, len(pcm))])
	}
}

func BenchmarkSpandspDTMFRx(b *testing.B) {
	pcm, _ := signal(10)
	r := NewReceiver()
	defer r.Close()
	measure(b, len(pcm), func() { r.Run(pcm) })
}

func BenchmarkMinipbxDTMFDetector(b *testing.B) {
	pcm, _ := signal(10)
	d := dsp.NewDTMFDetector()
	b.ReportAllocs()
	measure(b, len(pcm), func() { ours(d, pcm) })
}

// The same two on a continuous tone-only signal (every window a candidate),
// the receiver's worst case.
func tonesOnly() []int16 {
	g := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{LevelDBm0: -10, On: 60 * time.Millisecond, Off: 40 * time.Millisecond})
	pcm := make([]int16, 80000)
	for i := 0; i < len(pcm); i += 160 {
		if !g.Busy() {
			_ = g.Queue("0123456789*#ABCD")
		}
		g.Read(pcm[i : i+160])
	}
	return pcm
}

func BenchmarkSpandspDTMFRxTonesOnly(b *testing.B) {
	pcm := tonesOnly()
	r := NewReceiver()
	defer r.Close()
	measure(b, len(pcm), func() { r.Run(pcm) })
}

func BenchmarkMinipbxDTMFDetectorTonesOnly(b *testing.B) {
	pcm := tonesOnly()
	d := dsp.NewDTMFDetector()
	b.ReportAllocs()
	measure(b, len(pcm), func() { ours(d, pcm) })
}

// noiseOnly is speech-band noise at −25 dBm0 with no digit at all: the
// receiver's full-analysis path on every sub-block, no gating possible.
func noiseOnly() []int16 {
	r := rand.New(rand.NewPCG(5, 6))
	pcm := make([]int16, 80000)
	var lp float64
	for i := range pcm {
		// A one-pole low-pass tilts the noise like speech's spectrum.
		lp = 0.6*lp + 0.4*r.NormFloat64()*dsp.DBm0ToPeak(-25)
		pcm[i] = int16(max(-32768, min(32767, math.Round(lp))))
	}
	return pcm
}

func BenchmarkSpandspDTMFRxNoiseOnly(b *testing.B) {
	pcm := noiseOnly()
	r := NewReceiver()
	defer r.Close()
	measure(b, len(pcm), func() { r.Run(pcm) })
}

func BenchmarkMinipbxDTMFDetectorNoiseOnly(b *testing.B) {
	pcm := noiseOnly()
	d := dsp.NewDTMFDetector()
	b.ReportAllocs()
	measure(b, len(pcm), func() { ours(d, pcm) })
}

// speechVoices are the espeak-ng voices of the "speech" signal: a man, a
// woman and a child-like pitch, in three languages, at a number-reading
// pace (number words hold the long vowels a receiver has to reject).
var speechVoices = []struct{ voice, pitch, text string }{
	{"en-us+m3", "40", "Seven, eight, nine, zero. One two three four five six. Please hold the line, your call is important to us."},
	{"de+f2", "70", "Sieben, acht, neun, null. Eins zwei drei vier fünf sechs. Bitte bleiben Sie am Apparat."},
	{"it+f4", "95", "Sette, otto, nove, zero. Uno due tre quattro cinque sei. Restate in linea, per favore."},
}

// speech renders speechVoices with espeak-ng at −20 dBm0 active level
// (audiofile.Import's resampler and normaliser): the signal a receiver
// sees most on a call, and where its talk-off tests run.
func speech(tb testing.TB) []int16 {
	tb.Helper()
	bin := testutil.Tool(tb, "espeak-ng")
	var pcm []int16
	for _, v := range speechVoices {
		out, err := exec.Command(bin, "-v", v.voice, "-p", v.pitch, "-s", "150", "--stdout", v.text).Output()
		if err != nil {
			tb.Fatalf("espeak-ng %s: %v", v.voice, err)
		}
		s, err := audiofile.Import(bytes.NewReader(out), 0)
		if err != nil {
			tb.Fatalf("import espeak-ng %s: %v", v.voice, err)
		}
		pcm = append(pcm, s...)
	}
	return pcm
}

// TestSpeechNoDigits checks that neither receiver reports a digit on the
// "speech" signal, so the timing compares equal work there too.
func TestSpeechNoDigits(t *testing.T) {
	pcm := speech(t)
	r := NewReceiver()
	defer r.Close()
	if got := r.Run(pcm); got != "" {
		t.Errorf("spandsp: talk-off %q", got)
	}
	d := dsp.NewDTMFDetector()
	for i := 0; i < len(pcm); i += 160 {
		for _, e := range d.Process(pcm[i:min(i+160, len(pcm))]) {
			t.Errorf("minipbx: talk-off %q at sample %d", e.Digit, e.Sample)
		}
	}
}

// BenchmarkSideBySide alternates the two receivers on the same signal,
// round after round, timing each by its thread's CPU clock, and reports
// the median of each and of their ratio: on a shared, busy machine this
// is the fairest comparison (both see the same conditions).
func BenchmarkSideBySide(b *testing.B) {
	signals := []struct {
		name string
		pcm  []int16
	}{
		{"mixed", func() []int16 { p, _ := signal(10); return p }()},
		{"tones", tonesOnly()},
		{"noise", noiseOnly()},
		{"speech", speech(b)},
	}
	for _, s := range signals {
		b.Run(s.name, func(b *testing.B) {
			r := NewReceiver()
			defer r.Close()
			d := dsp.NewDTMFDetector()
			sidebyside.Bench(b, "spandsp", len(s.pcm), func() { r.Run(s.pcm) }, func() { ours(d, s.pcm) })
		})
	}
}
