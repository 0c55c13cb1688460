package t30_test

import (
	"runtime"
	"testing"
	"time"

	"minipbx/dsp/fax/faxtest"
	"minipbx/dsp/fax/t30"
	"minipbx/dsp/fax/t4"
)

// recordCall runs our sender against a receiver and returns, frame by
// frame, what the receiver heard. A fresh receiver fed the same frames
// does exactly the same (it is deterministic), so the recording replays
// the whole call without the sender.
func recordCall(tb testing.TB, sopt t30.Options) [][]int16 {
	tb.Helper()
	doc := faxtest.Document(2, t4.WidthA4, 1100, 5)
	s, err := t30.NewSender(sopt, t30.Document{Pages: doc, Fine: true})
	if err != nil {
		tb.Fatal(err)
	}
	r := t30.NewReceiver(t30.Options{})
	var rec [][]int16
	sOut, rOut, sIn := make([]int16, 160), make([]int16, 160), make([]int16, 160)
	for f := 0; f < 300*50 && !(s.Done() && r.Done()); f++ {
		copy(sIn, rOut)
		s.Process(sIn, sOut)
		rec = append(rec, append([]int16(nil), sOut...))
		r.Process(sOut, rOut)
	}
	if r.Result().Outcome != t30.Success {
		tb.Fatalf("recording: %+v", *r.Result())
	}
	return rec
}

func benchReceiver(b *testing.B, sopt t30.Options) {
	rec := recordCall(b, sopt)
	out := make([]int16, 160)
	r := t30.NewReceiver(t30.Options{})
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	c0 := threadCPU()
	n := 0
	for b.Loop() {
		r.Process(rec[n], out)
		if n++; n == len(rec) {
			cpu += threadCPU() - c0
			b.StopTimer()
			r, n = t30.NewReceiver(t30.Options{}), 0
			b.StartTimer()
			c0 = threadCPU()
		}
	}
	cpu += threadCPU() - c0
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/frame")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1000, "cpu-µs/frame")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkReceiver* replay a whole two-page call (answer tone, V.21
// control, training, pages, release) into the receiver, 20 ms a frame:
// the cost per frame averaged over a fax.
func BenchmarkReceiverV29ECM(b *testing.B)   { benchReceiver(b, t30.Options{}) }
func BenchmarkReceiverV29NoECM(b *testing.B) { benchReceiver(b, t30.Options{NoECM: true}) }
func BenchmarkReceiverV27ter4800(b *testing.B) {
	benchReceiver(b, t30.Options{NoECM: true, MaxBps: 4800})
}

// TestReceiverFramesDoNotAllocate: during page reception (ECM and not),
// Process allocates nothing per frame.
func TestReceiverFramesDoNotAllocate(t *testing.T) {
	for _, opt := range []t30.Options{{}, {NoECM: true}, {NoECM: true, MaxBps: 4800}} {
		rec := recordCall(t, opt)
		r := t30.NewReceiver(t30.Options{})
		out := make([]int16, 160)
		n := 0
		// Up to the middle of the first page (the page buffer and decoders
		// are made at DCS; a completed page is copied once).
		start := 0
		r2 := t30.NewReceiver(t30.Options{OnEvent: func(e t30.Event) {
			if e.Kind == t30.EvPageStart && start == 0 {
				start = int(e.At.Milliseconds() / 20)
			}
		}})
		for _, f := range rec {
			r2.Process(f, out)
		}
		for n < start+50 {
			r.Process(rec[n], out)
			n++
		}
		allocs := testing.AllocsPerRun(200, func() {
			r.Process(rec[n], out)
			n++
		})
		if allocs != 0 {
			t.Errorf("%+v: %v allocations per frame", opt, allocs)
		}
	}
}
