package dsp

import "time"

// Default hook timing (HookConfig's zero values). Pulse dialling sends
// 10 pulses per second with 60 ms break and 40 ms make; real dials run
// from about 7 to 13 pps with break ratios of 55–72%, so:
//
//   - an on-hook interval of 20–120 ms (BreakMin–BreakMax) is one pulse
//     (13 pps at 50% gives 38 ms, 7 pps at 72% gives 103 ms);
//   - an off-hook interval of up to 100 ms (MakeMax) between pulses keeps
//     the digit open (7 pps at 45% make gives 64 ms); an off-hook interval
//     longer than MakeMax ends the digit, well before the ≥300 ms
//     inter-digit pause a dial guarantees;
//   - an on-hook interval of more than 120 ms and up to 800 ms (FlashMax)
//     is a hook flash (register recall; ETSI ES 201 970 timed-break
//     recall is 100 ms nominal and phones send 80–600 ms);
//   - on hook for longer than FlashMax is a hang-up.
//
// Intervals shorter than BreakMin are contact bounce the board's debounce
// let through and are ignored.
const (
	DefaultBreakMin = 20 * time.Millisecond
	DefaultBreakMax = 120 * time.Millisecond
	DefaultMakeMax  = 100 * time.Millisecond
	DefaultFlashMax = 800 * time.Millisecond
)

// HookConfig sets the hook-timing windows; zero fields take the defaults above.
type HookConfig struct {
	BreakMin, BreakMax time.Duration // on-hook interval that counts as one dial pulse
	MakeMax            time.Duration // longest off-hook interval inside a digit
	FlashMax           time.Duration // longest on-hook interval that is a flash, not a hang-up
}

// HookEventType says what a HookEvent is.
type HookEventType int

// Hook events.
const (
	HookOff   HookEventType = iota + 1 // the phone went off hook (from idle)
	HookOn                             // confirmed hang-up (on hook longer than FlashMax)
	HookFlash                          // hook flash
	HookDigit                          // a pulse-dialled digit
)

func (t HookEventType) String() string {
	switch t {
	case HookOff:
		return "off-hook"
	case HookOn:
		return "on-hook"
	case HookFlash:
		return "flash"
	case HookDigit:
		return "digit"
	}
	return "unknown"
}

// HookEvent is one decoded hook event. At is when it happened: the
// off-hook transition (HookOff), the start of the on-hook interval (HookOn,
// HookFlash), or the start of the digit's first break (HookDigit).
type HookEvent struct {
	Type  HookEventType
	Digit byte // '1'…'9', '0' (ten pulses) for HookDigit
	At    time.Duration
}

// HookDecoder turns debounced hook transitions into off-hook, hang-up,
// flash and pulse-digit events. Board drivers call Hook on each debounced
// transition and Poll at least every 20 ms (timeouts are only noticed
// then). Times are any monotonic clock; they must not go backwards.
type HookDecoder struct {
	c HookConfig

	idle       bool          // confirmed on hook (hung up)
	off        bool          // current hook state
	since      time.Duration // time of the last accepted transition
	pulses     int           // pulses in the digit being dialled
	digitAt    time.Duration // start of the digit's first break
	bounceFrom time.Duration // start of the off-hook interval a bounce interrupted
	events     []HookEvent
}

// NewHookDecoder returns a decoder in the idle (on-hook) state.
func NewHookDecoder(c HookConfig) *HookDecoder {
	if c.BreakMin <= 0 {
		c.BreakMin = DefaultBreakMin
	}
	if c.BreakMax <= 0 {
		c.BreakMax = DefaultBreakMax
	}
	if c.MakeMax <= 0 {
		c.MakeMax = DefaultMakeMax
	}
	if c.FlashMax <= 0 {
		c.FlashMax = DefaultFlashMax
	}
	return &HookDecoder{c: c, idle: true, events: make([]HookEvent, 0, 4)}
}

// Hook reports a debounced hook transition and returns the events it
// completes. The returned slice is reused by the next call to Hook or Poll.
func (h *HookDecoder) Hook(offHook bool, at time.Duration) []HookEvent {
	h.events = h.events[:0]
	h.poll(at)
	if offHook == h.off && !(h.idle && offHook) {
		return h.events
	}
	if h.idle {
		if offHook {
			h.idle, h.off, h.since, h.pulses = false, true, at, 0
			h.events = append(h.events, HookEvent{Type: HookOff, At: at})
		}
		return h.events
	}
	d := at - h.since
	if offHook {
		// End of an on-hook interval shorter than FlashMax (poll has
		// already turned longer ones into a hang-up).
		switch {
		case d < h.c.BreakMin:
			// Bounce: resume the off-hook interval as if nothing happened.
			h.off = true
			h.since = h.bounceFrom
			return h.events
		case d <= h.c.BreakMax:
			if h.pulses == 0 {
				h.digitAt = h.since
			}
			h.pulses++
		default:
			h.pulses = 0
			h.events = append(h.events, HookEvent{Type: HookFlash, At: h.since})
		}
		h.off, h.since = true, at
		return h.events
	}
	// Going on hook.
	h.bounceFrom = h.since
	h.off, h.since = false, at
	return h.events
}

// Poll reports the passage of time and returns the events whose timeouts
// expired (a digit ended by a long make, a hang-up). The returned slice is
// reused by the next call to Hook or Poll.
func (h *HookDecoder) Poll(at time.Duration) []HookEvent {
	h.events = h.events[:0]
	h.poll(at)
	return h.events
}

func (h *HookDecoder) poll(at time.Duration) {
	if h.idle {
		return
	}
	d := at - h.since
	if h.off {
		if h.pulses > 0 && d > h.c.MakeMax {
			if h.pulses <= 10 {
				h.events = append(h.events, HookEvent{Type: HookDigit, Digit: pulseDigit(h.pulses), At: h.digitAt})
			}
			h.pulses = 0
		}
		return
	}
	if d > h.c.FlashMax {
		h.pulses = 0
		h.idle = true
		h.events = append(h.events, HookEvent{Type: HookOn, At: h.since})
	}
}

func pulseDigit(n int) byte {
	if n == 10 {
		return '0'
	}
	return byte('0' + n)
}
