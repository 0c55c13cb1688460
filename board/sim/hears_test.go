package sim

import (
	"math"
	"testing"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

// The phone hears what the port's AudioFunc plays: US dial tone, 350 + 440 Hz.
func TestPhoneHearsDialTone(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{})
	z := b.Zone()
	tp := dsp.NewTonePlayer(z.Dial, -13)
	b.FXSPort(1).SetAudio(func(rx, tx *board.Frame) { tp.Read(tx[:]) })
	ph := b.Phone(1)
	ph.OffHook()
	if _, skipped := waitEvent(t, b, board.EventOffHook, 15*time.Second); len(skipped) != 0 {
		t.Fatalf("unexpected events %v", skipped)
	}
	ctx := ctxFor(t, 10*time.Second)
	ph.Record()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFrames(ctx, 25); err != nil {
		t.Fatal(err)
	}
	rec := ph.StopRecording()
	for _, f := range []float64{350, 440} {
		if m := MeasureToneAt(rec[800:], f); math.Abs(m.LevelDBm0+13) > 1 {
			t.Errorf("dial tone component %v Hz at %.1f dBm0, want -13", f, m.LevelDBm0)
		}
	}
	if m := MeasureToneAt(rec[800:], 1000); m.LevelDBm0 > -50 {
		t.Errorf("1 kHz present at %.1f dBm0", m.LevelDBm0)
	}
	// On hook, the earpiece hears nothing.
	ph.OnHook()
	ph.Record()
	must(t, b.WaitFrames(ctx, 5))
	if rec := ph.StopRecording(); len(rec) != 0 {
		t.Fatalf("on-hook phone heard %d samples", len(rec))
	}
}
