// Package outbox is what the box's outgoing queues share (the e-mail,
// the webhooks): the loop that delivers what is due and then sleeps until
// the next retry or a wake-up, and the growing pause between retries.
package outbox

import (
	"context"
	"time"
)

// idle is how long Run sleeps when nothing waits (a wake-up comes sooner
// when something is queued).
const idle = time.Hour

// Run calls due until ctx ends: at once, whenever wake receives, and when
// the time due returned comes (zero: nothing waits). due delivers what is
// due and says when the next retry is.
func Run(ctx context.Context, wake <-chan struct{}, now func() time.Time, due func(context.Context) time.Time) {
	for {
		next := due(ctx)
		wait := idle
		if !next.IsZero() {
			wait = max(0, next.Sub(now()))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Backoff is the pause after a delivery's attempts-th failure (counting
// from 0): first, doubling with each attempt, at most limit.
func Backoff(first, limit time.Duration, attempts int) time.Duration {
	return min(first<<min(attempts, 16), limit)
}
