package pace

import (
	"testing"
	"time"
)

// TestClockEvenTicks: every wait hands out exactly one tick on an idle
// host, at its absolute time, with no drift over the run.
func TestClockEvenTicks(t *testing.T) {
	const period = 10 * time.Millisecond
	c := New(period, 25)
	stop := make(chan struct{})
	multi := 0
	for i := 1; i <= 50; i++ {
		n := c.Wait(stop)
		if n != 1 {
			multi++
		}
		if now, due := time.Now(), c.Start().Add(time.Duration(c.done)*period); now.Before(due) {
			t.Fatalf("tick %d handed out %v before it was due", i, due.Sub(now))
		}
	}
	// A loaded test machine may stall the loop now and then; it must not
	// happen on every few ticks as the ticker's rounding made it.
	if multi > 10 {
		t.Errorf("%d of 50 waits handed out more than one tick", multi)
	}
	if late := time.Since(c.Start().Add(50 * period)); late > 50*time.Millisecond {
		t.Errorf("the grid drifted: tick 50 handed out %v after it was due", late)
	}
}

// TestClockCatchUp: after a stall the missed ticks come back to back, at
// most maxCatchUp of them, and the grid moves on by the rest.
func TestClockCatchUp(t *testing.T) {
	const period = 2 * time.Millisecond
	c := New(period, 3)
	stop := make(chan struct{})
	time.Sleep(10 * period)
	if n := c.Wait(stop); n != 3 {
		t.Fatalf("after a stall of 10 ticks: %d ticks, want 3", n)
	}
	if n := c.Wait(stop); n != 1 {
		t.Fatalf("then %d ticks, want 1", n)
	}
	close(stop)
	if n := c.Wait(stop); n != 0 {
		t.Fatalf("after stop: %d ticks", n)
	}
}
