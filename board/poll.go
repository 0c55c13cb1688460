package board

import (
	"context"
	"time"
)

// EdgeWaiter is an interrupt input (periph's gpio.PinIn has this method).
type EdgeWaiter interface {
	WaitForEdge(timeout time.Duration) bool
}

// PollLoop is a chip driver's monitor: it calls poll every period, or as
// soon as irq signals an edge when the board wires the chip's interrupt
// line, until ctx ends. Polling on every wake-up, edge or not, means a
// missed or spurious interrupt costs at most one period.
func PollLoop(ctx context.Context, irq EdgeWaiter, period time.Duration, poll func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if irq != nil {
			irq.WaitForEdge(period)
			if ctx.Err() != nil {
				return
			}
		} else {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		poll()
	}
}
