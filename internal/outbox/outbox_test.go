package outbox

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{{0, 10 * time.Second}, {1, 20 * time.Second}, {3, 80 * time.Second}, {9, time.Hour}, {1000, time.Hour}} {
		if got := Backoff(10*time.Second, time.Hour, tc.attempts); got != tc.want {
			t.Errorf("Backoff after %d: %v, want %v", tc.attempts, got, tc.want)
		}
	}
}

// TestRun: due runs at once, again when its next time comes and when
// woken, and Run returns when ctx ends.
func TestRun(t *testing.T) {
	var calls atomic.Int32
	wake := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, wake, time.Now, func(context.Context) time.Time {
			if calls.Add(1) == 1 {
				return time.Now().Add(20 * time.Millisecond) // a retry due soon
			}
			return time.Time{} // nothing waits
		})
	}()
	deadline := time.Now().Add(2 * time.Second)
	for calls.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the retry never came")
		}
		time.Sleep(5 * time.Millisecond)
	}
	wake <- struct{}{}
	for calls.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the wake-up was not heard")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run did not return")
	}
}
