package proslic

import (
	"time"

	"minipbx/board"
	"minipbx/dsp"
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

// dspHook adapts dsp.HookDecoder to HookDecoder, reusing its output slice.
type dspHook struct {
	d   *dsp.HookDecoder
	out []HookEvent
}

func newDSPHook(c dsp.HookConfig) HookDecoder {
	return &dspHook{d: dsp.NewHookDecoder(c), out: make([]HookEvent, 0, 4)}
}

func (h *dspHook) Hook(off bool, at time.Duration) []HookEvent { return h.conv(h.d.Hook(off, at)) }
func (h *dspHook) Poll(at time.Duration) []HookEvent           { return h.conv(h.d.Poll(at)) }

func (h *dspHook) conv(evs []dsp.HookEvent) []HookEvent {
	h.out = h.out[:0]
	for _, e := range evs {
		var t board.EventType
		switch e.Type {
		case dsp.HookOff:
			t = board.EventOffHook
		case dsp.HookOn:
			t = board.EventOnHook
		case dsp.HookFlash:
			t = board.EventFlash
		case dsp.HookDigit:
			t = board.EventPulseDigit
		default:
			continue
		}
		h.out = append(h.out, HookEvent{Type: t, Digit: e.Digit, At: e.At})
	}
	return h.out
}
