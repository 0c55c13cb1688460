package sim

import (
	"context"
	"fmt"
	"sync"

	"minipbx/dsp"
)

// toneListener waits for a call-progress tone with dsp.ProgressDetector.
type toneListener struct {
	want dsp.ProgressTone
	det  *dsp.ProgressDetector
	done chan struct{}
}

func (l *toneListener) feed(s []int16) bool {
	for _, ev := range l.det.Process(s) {
		if ev.Tone == l.want {
			close(l.done)
			return true
		}
	}
	return false
}

// hears waits until a progress detector for zone z, fed with what these ears
// hear from now on, recognises tone.
func hears(ctx context.Context, mu *sync.Mutex, e *ears, z dsp.Zone, tone dsp.ProgressTone) error {
	l := &toneListener{want: tone, det: dsp.NewProgressDetector(z), done: make(chan struct{})}
	mu.Lock()
	e.listeners = append(e.listeners, l)
	mu.Unlock()
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		mu.Lock()
		e.remove(l)
		mu.Unlock()
		select {
		case <-l.done:
			return nil
		default:
		}
		return fmt.Errorf("sim: waiting for call-progress tone %d: %w", int(tone), ctx.Err())
	}
}

// Hears waits until the earpiece hears tone (dial, busy, ringback,
// congestion... as dsp.ProgressDetector recognises it for the board's zone)
// from now on.
func (ph *Phone) Hears(ctx context.Context, tone dsp.ProgressTone) error {
	return hears(ctx, &ph.b.mu, &ph.ear, ph.b.Zone(), tone)
}

// Hears waits until what the port sends contains tone (for the zone).
func (l *Line) Hears(ctx context.Context, tone dsp.ProgressTone) error {
	return hears(ctx, &l.b.mu, &l.ear, l.b.Zone(), tone)
}
