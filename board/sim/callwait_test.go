package sim

import (
	"testing"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

// feedTone runs d over a tone played from a frame's start, then a second
// of silence; it returns how many bursts d counted.
func feedTone(d *sasDetector, spec string, length time.Duration) int {
	t, err := dsp.ParseToneSpec(spec)
	if err != nil {
		panic(err)
	}
	p := dsp.NewTonePlayer(t, -13)
	var f board.Frame
	n := 0
	for i := 0; i < frames(length)+frames(time.Second); i++ {
		f = board.Frame{}
		if i < frames(length) {
			p.Read(f[:])
		}
		if d.feed(f[:]) {
			n++
		}
	}
	return n
}

// The phone counts bursts of its zone's call-waiting tone, not the other
// tones of the same frequency: in the CIS zones dial, busy and
// congestion tone are 425 Hz too.
func TestCallWaitingToneDetector(t *testing.T) {
	for _, c := range []struct {
		zone, spec string
		length     time.Duration
		want       int
	}{
		{"ru", "425/200,0/5000", 200 * time.Millisecond, 1},
		{"ru", "425", 2 * time.Second, 0},                      // dial tone
		{"ru", "425/350,0/350", 2800 * time.Millisecond, 0},    // busy
		{"ru", "425/175,0/175", 2800 * time.Millisecond, 0},    // congestion
		{"de", "425/200,0/200,425/200,0/5000", time.Second, 1}, // one burst of two
		{"it", "425/400,0/100,425/250,0/100,425/150,0/14000", 1200 * time.Millisecond, 1},
		{"us", "440/300,0/10000", 300 * time.Millisecond, 1},
		{"us", "350+440", 2 * time.Second, 0}, // dial tone holds 440 Hz too
		{"uk", "400/100,0/4000", 100 * time.Millisecond, 1},
	} {
		z, err := dsp.LookupZone(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		d := newSASDetector(z.CallWaiting)
		if got := feedTone(&d, c.spec, c.length); got != c.want {
			t.Errorf("%s: %q for %v: %d bursts, want %d", c.zone, c.spec, c.length, got, c.want)
		}
	}
}

// SetHookTiming changes what the port's hook decoder calls a flash: with
// a window of 200-600 ms, 160 ms on hook is a dial pulse, 300 ms a flash
// and 700 ms a hang-up; a change made off hook applies without a stray
// off-hook event.
func TestHookTiming(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{})
	ph := b.Phone(1)
	ph.OffHook()
	waitEvent(t, b, board.EventOffHook, 5*time.Second)
	if err := b.FXSPort(1).(*fxsPort).SetHookTiming(dsp.HookConfig{BreakMax: 200 * time.Millisecond, FlashMax: 600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	must(t, b.WaitFrames(ctxFor(t, 5*time.Second), 10))
	must(t, ph.FlashFor(160*time.Millisecond))
	ev, skipped := waitEvent(t, b, board.EventPulseDigit, 5*time.Second)
	if ev.Digit != '1' || len(skipped) != 0 {
		t.Fatalf("160 ms on hook: %v, after %v; want the digit 1 alone", ev, skipped)
	}
	must(t, ph.FlashFor(300*time.Millisecond))
	if _, skipped := waitEvent(t, b, board.EventFlash, 5*time.Second); len(skipped) != 0 {
		t.Fatalf("300 ms on hook: %v before the flash", skipped)
	}
	must(t, ph.FlashFor(700*time.Millisecond))
	if _, skipped := waitEvent(t, b, board.EventOnHook, 5*time.Second); len(skipped) != 0 {
		t.Fatalf("700 ms on hook: %v before the hang-up", skipped)
	}
	if err := b.FXSPort(1).(*fxsPort).SetHookTiming(dsp.HookConfig{BreakMin: -1}); err == nil {
		t.Fatal("negative window accepted")
	}
}
