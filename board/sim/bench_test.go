package sim

import (
	"testing"

	"minipbx/board"
)

// BenchmarkStep is one 20 ms frame of the whole default board (2 FXS +
// 2 FXO) with both phones off hook and talking and both lines in a call:
// the simulation's cost per frame of real time.
func BenchmarkStep(b *testing.B) {
	bd, err := build(Config{}) // no clock: the benchmark drives step itself
	if err != nil {
		b.Fatal(err)
	}
	for n := 1; n <= 2; n++ {
		bd.Phone(n).OffHook()
		bd.Phone(n).Talk(Sine(1020, -10))
		bd.FXOPort(n).Seize()
		bd.Line(n).Answer()
		bd.Line(n).Talk(Sine(700, -10))
	}
	for _, p := range bd.Ports() {
		p.SetAudio(func(rx, tx *board.Frame) { *tx = *rx })
	}
	for range 100 {
		bd.step()
	}
	drain(bd)
	b.ReportAllocs()
	for b.Loop() {
		bd.step()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(board.FrameDuration)*100, "%realtime")
}

func TestStepAllocs(t *testing.T) {
	bd, err := build(Config{}) // no clock: the test drives step itself
	if err != nil {
		t.Fatal(err)
	}
	bd.Phone(1).OffHook()
	bd.FXOPort(1).Seize()
	bd.Line(1).Answer()
	bd.Line(1).SetNoise(-50)
	for range 100 { // past the hook decoder's first events
		bd.step()
	}
	drain(bd)
	if n := testing.AllocsPerRun(200, bd.step); n != 0 {
		t.Fatalf("%v allocations per frame", n)
	}
}
