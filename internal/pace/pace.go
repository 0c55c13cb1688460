// Package pace runs a loop on an even grid of wall-clock ticks, the way a
// crystal-driven codec or PCM highway produces its frames: tick n is due at
// start + n×period, and each wait sleeps until the next tick's absolute
// time. A late wake-up therefore delays that tick only, never the ones
// after it, and there is no rounding that makes one wake-up carry no tick
// and the next two (which a time.Ticker read against a start time taken
// after it does, and which a stream of 20 ms frames turns into 40 ms gaps).
package pace

import "time"

// Clock is one loop's tick grid. It is not safe for concurrent use: the
// loop that waits on it owns it.
type Clock struct {
	period     time.Duration
	maxCatchUp int64
	start      time.Time
	done       int64 // ticks handed out
	timer      *time.Timer
}

// New starts a grid of ticks every period from now. After the host stalled
// the loop, the ticks it missed are handed out at once, up to maxCatchUp of
// them; older ones are skipped, and the grid moves later by what was
// skipped (so a long stall is forgotten, as audio would glitch).
func New(period time.Duration, maxCatchUp int) *Clock {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Clock{period: period, maxCatchUp: int64(max(1, maxCatchUp)), start: time.Now(), timer: t}
}

// Wait sleeps until the next tick is due and returns how many ticks are
// due now (one, or more after a stall); it returns 0 as soon as stop is
// closed.
func (c *Clock) Wait(stop <-chan struct{}) int {
	next := c.start.Add(time.Duration(c.done+1) * c.period)
	if d := time.Until(next); d > 0 {
		c.timer.Reset(d)
		select {
		case <-stop:
			c.timer.Stop()
			return 0
		case <-c.timer.C:
		}
	} else {
		select {
		case <-stop:
			return 0
		default:
		}
	}
	due := int64(time.Since(c.start) / c.period)
	if skip := due - c.done - c.maxCatchUp; skip > 0 {
		c.start = c.start.Add(time.Duration(skip) * c.period)
		due -= skip
	}
	n := due - c.done
	c.done = due
	return int(n)
}

// Start is when tick 0 was due; tick n is due at Start() + n×period (until
// a long stall moves the grid).
func (c *Clock) Start() time.Time { return c.start }
