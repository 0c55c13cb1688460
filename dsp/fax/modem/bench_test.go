package modem

import (
	"runtime"
	"testing"
	"time"
)

// Benchmarks of the receivers per 20 ms frame (160 samples) of a
// signal they are decoding, the figure that sizes a box: at 50 frames a
// second, 20 µs a frame is 0.1 % of a core. Each must allocate nothing.

// signalOf modulates random bits with tx for seconds of audio.
func signalOf(tx interface {
	Modulate([]int16) int
	Busy() bool
}, seconds int) []int16 {
	pcm := make([]int16, seconds*SampleRate)
	for i := 0; i+160 <= len(pcm); i += 160 {
		tx.Modulate(pcm[i : i+160])
	}
	return pcm
}

func benchRx(b *testing.B, pcm []int16, demod func(in []int16, bits []byte) int) {
	bits := make([]byte, 512)
	frames := len(pcm) / 160
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	c0 := threadCPU()
	n := 0
	for b.Loop() {
		demod(pcm[n*160:(n+1)*160], bits)
		if n++; n == frames {
			n = 0
		}
	}
	reportFrame(b, threadCPU()-c0)
}

func BenchmarkV21Rx(b *testing.B) {
	var f HDLCFramer
	f.Idle = true
	tx := NewV21Tx(-10)
	tx.Start(&f)
	pcm := signalOf(tx, 5)
	rx := NewV21Rx()
	benchRx(b, pcm, rx.Demodulate)
}

func BenchmarkV27terRx4800(b *testing.B) {
	tx, _ := NewV27terTx(4800, -10)
	tx.Start(newRandBits(4800*60, 1))
	pcm := signalOf(tx, 30)
	rx, _ := NewV27terRx(4800)
	benchRx(b, pcm, rx.Demodulate)
}

func BenchmarkV29Rx9600(b *testing.B) {
	tx, _ := NewV29Tx(9600, -10)
	tx.Start(newRandBits(9600*60, 1))
	pcm := signalOf(tx, 30)
	rx, _ := NewV29Rx(9600)
	benchRx(b, pcm, rx.Demodulate)
}

func BenchmarkV29Tx9600(b *testing.B) {
	tx, _ := NewV29Tx(9600, -10)
	src := newRandBits(9600*3600, 1)
	tx.Start(src)
	out := make([]int16, 160)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	c0 := threadCPU()
	for b.Loop() {
		if !tx.Busy() {
			src.i = 0
			tx.Start(src)
		}
		tx.Modulate(out)
	}
	reportFrame(b, threadCPU()-c0)
}

// TestReceiversDoNotAllocate checks what the benchmarks report, in the
// data phase of each receiver.
func TestReceiversDoNotAllocate(t *testing.T) {
	v29tx, _ := NewV29Tx(9600, -10)
	v29tx.Start(newRandBits(9600*10, 1))
	v27tx, _ := NewV27terTx(4800, -10)
	v27tx.Start(newRandBits(4800*10, 2))
	var f HDLCFramer
	f.Idle = true
	v21tx := NewV21Tx(-10)
	v21tx.Start(&f)
	v29rx, _ := NewV29Rx(9600)
	v27rx, _ := NewV27terRx(4800)
	for _, c := range []struct {
		name  string
		pcm   []int16
		demod func([]int16, []byte) int
	}{
		{"V.21", signalOf(v21tx, 4), NewV21Rx().Demodulate},
		{"V.27ter", signalOf(v27tx, 4), v27rx.Demodulate},
		{"V.29", signalOf(v29tx, 4), v29rx.Demodulate},
	} {
		bits := make([]byte, 512)
		n := 0
		allocs := testing.AllocsPerRun(190, func() {
			c.demod(c.pcm[n*160:(n+1)*160], bits)
			n++
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per frame", c.name, allocs)
		}
	}
}

// reportFrame reports wall and thread CPU microseconds per frame.
func reportFrame(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/frame")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1000, "cpu-µs/frame")
	b.ReportMetric(0, "ns/op")
}
