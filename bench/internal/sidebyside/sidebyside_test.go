package sidebyside

import (
	"runtime"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	v := []float64{5, 1, 4, 2, 3}
	if m := Median(v); m != 3 {
		t.Errorf("Median %v = %v, want 3", v, m)
	}
	if v[0] != 5 || v[4] != 3 {
		t.Errorf("Median changed its argument: %v", v)
	}
	if m := Median([]float64{2, 1}); m != 2 {
		t.Errorf("Median [2 1] = %v, want 2", m)
	}
	if m := Median(nil); m != 0 {
		t.Errorf("Median nil = %v, want 0", m)
	}
}

// TestThreadCPU: the clock advances while the thread works, and by less
// than the wall clock over a sleep.
func TestThreadCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, w0 := ThreadCPU(), time.Now()
	x := 0.0
	for i := range 20_000_000 {
		x += float64(i) * 1e-9
	}
	time.Sleep(50 * time.Millisecond)
	c1, w1 := ThreadCPU(), time.Now()
	if x == 0 || c1 <= c0 {
		t.Fatalf("thread CPU clock did not advance: %v → %v", c0, c1)
	}
	if c1-c0 >= w1.Sub(w0) {
		t.Errorf("thread CPU %v over %v of wall time including a 50 ms sleep", c1-c0, w1.Sub(w0))
	}
}
