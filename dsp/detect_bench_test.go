package dsp

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks of the detectors and generators dsp-detect owns, in the
// figures that size a box: nanoseconds per sample per channel (a channel
// is 8000 samples a second, so 1 ns/sample ≈ 0.0008% of one core) and
// allocations per 20 ms frame (must be 0).

// benchFrames runs fn over pcm in 160-sample frames and reports ns/sample
// and allocs/frame.
func benchFrames(b *testing.B, pcm []int16, fn func([]int16)) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := 0; i+160 <= len(pcm); i += 160 {
			fn(pcm[i : i+160])
		}
	}
	frames := float64(b.N) * float64(len(pcm)/160)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/frames/160, "ns/sample")
	b.ReportMetric(0, "ns/op")
}

func dtmfBenchSignal() []int16 {
	g := NewDTMFGenerator(DTMFGenConfig{LevelDBm0: -10, On: 60 * time.Millisecond, Off: 60 * time.Millisecond})
	pcm := make([]int16, 8000*5)
	for i := 0; i < len(pcm); i += 160 {
		if !g.Busy() {
			_ = g.Queue("0123456789*#ABCD")
		}
		g.Read(pcm[i : i+160])
	}
	s := make(sig, len(pcm))
	for i, v := range pcm {
		s[i] = float64(v)
	}
	s.noise(rand.New(rand.NewPCG(1, 1)), -50)
	return s.pcm()
}

func noiseBenchSignal() []int16 {
	s := make(sig, 8000*5)
	s.noise(rand.New(rand.NewPCG(2, 2)), -20)
	return s.pcm()
}

func BenchmarkDTMFDetectorDigits(b *testing.B) {
	d := NewDTMFDetector()
	benchFrames(b, dtmfBenchSignal(), func(f []int16) { d.Process(f) })
}

func BenchmarkDTMFDetectorNoise(b *testing.B) {
	d := NewDTMFDetector()
	benchFrames(b, noiseBenchSignal(), func(f []int16) { d.Process(f) })
}

func BenchmarkDTMFDetectorSilence(b *testing.B) {
	d := NewDTMFDetector()
	benchFrames(b, make([]int16, 8000*5), func(f []int16) { d.Process(f) })
}

func BenchmarkProgressDetectorBusy(b *testing.B) {
	z, _ := LookupZone("ru")
	pcm := make([]int16, 8000*5)
	NewTonePlayer(z.Busy, -15).Read(pcm)
	d := NewProgressDetector(z)
	benchFrames(b, pcm, func(f []int16) { d.Process(f) })
}

func BenchmarkProgressDetectorNoise(b *testing.B) {
	z, _ := LookupZone("us")
	d := NewProgressDetector(z)
	benchFrames(b, noiseBenchSignal(), func(f []int16) { d.Process(f) })
}

func BenchmarkDTMFGenerator(b *testing.B) {
	g := NewDTMFGenerator(DTMFGenConfig{})
	buf := make([]int16, 8000*5)
	benchFrames(b, buf, func(f []int16) {
		if !g.Busy() {
			_ = g.Queue("0123456789")
		}
		g.Read(f)
	})
}

func BenchmarkTonePlayer(b *testing.B) {
	z, _ := LookupZone("us")
	p := NewTonePlayer(z.Dial, -13)
	benchFrames(b, make([]int16, 8000*5), func(f []int16) { p.Read(f) })
}

// BenchmarkHookDecoder: one Poll per 20 ms frame and a pulse digit's
// transitions, reported per frame (hook decoding runs per frame, not per
// sample).
func BenchmarkHookDecoder(b *testing.B) {
	h := NewHookDecoder(HookConfig{})
	h.Hook(true, 0)
	now := time.Duration(0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now += 20 * time.Millisecond
		switch i % 40 {
		case 10, 15, 20:
			h.Hook(false, now)
		case 13, 18, 23:
			h.Hook(true, now)
		}
		h.Poll(now)
	}
}

// TestZeroAllocsPerFrame: the generators and the hook decoder allocate
// nothing per 20 ms frame (the receivers have their own tests).
func TestZeroAllocsPerFrame(t *testing.T) {
	z, _ := LookupZone("it")
	p := NewTonePlayer(z.Dial, -10)
	g := NewDTMFGenerator(DTMFGenConfig{})
	h := NewHookDecoder(HookConfig{})
	h.Hook(true, 0)
	frame := make([]int16, 160)
	now := time.Duration(0)
	i := 0
	n := testing.AllocsPerRun(2000, func() {
		p.Read(frame)
		if !g.Busy() {
			_ = g.Queue("123")
		}
		g.Read(frame)
		now += 20 * time.Millisecond
		i++
		if i%7 == 0 {
			h.Hook(i%14 == 0, now)
		}
		h.Poll(now)
	})
	if n != 0 {
		t.Fatalf("%v allocations per frame", n)
	}
}
