package proslic

import (
	"time"

	"minipbx/board"
)

// HookEvent is a classified switch-hook event.
type HookEvent struct {
	Type  board.EventType // EventOffHook, EventOnHook, EventFlash or EventPulseDigit
	Digit byte            // '0'..'9' for EventPulseDigit
	At    time.Duration   // since the monitor started
}

// HookDecoder classifies debounced switch-hook transitions into off-hook,
// hang-up, flash and pulse digits. Hook is called at every debounced
// transition with the time it began, Poll at every monitor period. The
// default wraps dsp.HookDecoder; tests may substitute their own.
type HookDecoder interface {
	Hook(offHook bool, at time.Duration) []HookEvent
	Poll(at time.Duration) []HookEvent
}

// Fallback classification windows, used until dsp.HookDecoder is wired in.
const (
	fallbackFlashMin = 80 * time.Millisecond
	fallbackFlashMax = 700 * time.Millisecond
)

// simpleHook reports off-hook at once, a flash for an on-hook interval
// within the flash window and a hang-up once the on-hook interval exceeds
// it. Shorter interruptions are ignored. It does not decode pulse digits.
type simpleHook struct {
	off     bool
	onSince time.Duration
	pending bool // on hook, not yet classified
	out     []HookEvent
}

func (h *simpleHook) Hook(off bool, at time.Duration) []HookEvent {
	h.out = h.out[:0]
	if off == h.off {
		return h.out
	}
	h.off = off
	if !off {
		h.onSince, h.pending = at, true
		return h.out
	}
	if h.pending {
		h.pending = false
		if d := at - h.onSince; d >= fallbackFlashMin && d <= fallbackFlashMax {
			h.out = append(h.out, HookEvent{Type: board.EventFlash, At: h.onSince})
		}
		return h.out
	}
	h.out = append(h.out, HookEvent{Type: board.EventOffHook, At: at})
	return h.out
}

func (h *simpleHook) Poll(at time.Duration) []HookEvent {
	h.out = h.out[:0]
	if h.pending && at-h.onSince > fallbackFlashMax {
		h.pending = false
		h.out = append(h.out, HookEvent{Type: board.EventOnHook, At: h.onSince})
	}
	return h.out
}

func defaultHookDecoder() HookDecoder { return &simpleHook{} }
