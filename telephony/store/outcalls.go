package store

import (
	"fmt"
	"slices"
	"strings"

	"minipbx/telephony/dialplan"
)

// Calls the box places or lets through on a caller's behalf (config.md,
// "DISA" and "Callback"): both open the outside lines to callers from
// outside, which is what toll fraud is made of, so both are off until the
// installer creates one, every one carries the permission class its
// callers dial under, and a caller is let in only by an allowed number or
// a PIN.

// DISA (direct inward system access) gives a caller from outside the
// box's dial tone: they dial a number and it goes out through the
// outbound routes as if an extension of class Class had dialled it. An
// inbound route, a DID, a menu key or a callback reaches it as
// disa:NAME.
type DISA struct {
	Name string `json:"name"`
	// Numbers are the callers let in by their caller ID (patterns as
	// caller lists take them: 8916XXXXXXX, 8495.).
	Numbers []string `json:"numbers,omitempty"`
	// PIN lets in a caller who keys it (then '#'); 6 to 16 digits.
	PIN string `json:"pin,omitempty"`
	// ListAndPIN asks callers on Numbers for the PIN too: both are
	// needed. Otherwise either one lets a caller in.
	ListAndPIN bool `json:"list_and_pin,omitempty"`
	// Class is what DISA callers may dial: local, national or
	// international (emergency numbers always, as the dial plan routes
	// them).
	Class string `json:"class"`
	// CallerID (and CallerName) is what the called party sees; empty:
	// the outbound route's, else the carrier's own number. A DISA
	// caller's own number is never passed on.
	CallerID   string `json:"caller_id,omitempty"`
	CallerName string `json:"caller_name,omitempty"`
	// MaxCalls bounds the calls through this DISA at once (0: no
	// limit); one more caller hears busy.
	MaxCalls int `json:"max_calls,omitempty"`
}

// Callback hangs up on a caller it knows without answering (so the
// caller pays nothing) and calls them back through the outbound routes;
// once they answer they go to Destination: disa:NAME gives them dial
// tone, anything else connects them there. A callback is reached as
// callback:NAME from an inbound route, a DID or a caller list.
type Callback struct {
	Name string `json:"name"`
	// Numbers are the callers called back by their caller ID (patterns).
	Numbers []string `json:"numbers,omitempty"`
	// PIN lets a caller not on the list in: the box answers (that call
	// is charged), asks for it, hangs up and calls back.
	PIN string `json:"pin,omitempty"`
	// Class is what the call back may dial to reach the caller: local,
	// national or international; a DISA reached afterwards dials under
	// the narrower of its class and this one.
	Class string `json:"class"`
	// Destination is where the called-back caller goes once they answer.
	Destination string `json:"destination"`
	// DelayS is the pause before calling back (0: DefaultCallbackDelayS):
	// an analog line must have stopped ringing and be free.
	DelayS int `json:"delay_s,omitempty"`
	// Attempts is how many times the box tries to reach the caller (0:
	// DefaultCallbackAttempts), RetryS the pause between tries (0:
	// DefaultCallbackRetryS); RingS how long each try rings (0: the
	// box's no-answer time).
	Attempts int `json:"attempts,omitempty"`
	RetryS   int `json:"retry_s,omitempty"`
	RingS    int `json:"ring_s,omitempty"`
	// CallerID (and CallerName) is what the called-back caller sees;
	// empty: the outbound route's, else the carrier's own number.
	CallerID   string `json:"caller_id,omitempty"`
	CallerName string `json:"caller_name,omitempty"`
}

// Defaults and bounds of DISA and callback objects.
const (
	MinAccessPINLen         = 6
	MaxAccessPINLen         = 16
	DefaultCallbackDelayS   = 10
	MinCallbackDelayS       = 2
	MaxCallbackDelayS       = 300
	DefaultCallbackAttempts = 3
	MaxCallbackAttempts     = 10
	DefaultCallbackRetryS   = 60
	MinCallbackRetryS       = 10
	MaxCallbackRetryS       = 3600
	maxAccessNumbers        = 100
)

// Delay is the pause before calling back, with the default applied.
func (c Callback) Delay() int { return defaultInt(c.DelayS, DefaultCallbackDelayS) }

// Tries is the number of attempts, with the default applied.
func (c Callback) Tries() int { return defaultInt(c.Attempts, DefaultCallbackAttempts) }

// Retry is the pause between attempts, with the default applied.
func (c Callback) Retry() int { return defaultInt(c.RetryS, DefaultCallbackRetryS) }

func defaultInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// CheckAccessPIN says what is wrong with pin as the PIN of a DISA or
// callback object ("" when it is acceptable): 6 to 16 digits, none of the
// patterns guessed first. It is longer than a mailbox PIN because it
// opens the outside lines to whoever guesses it.
func CheckAccessPIN(pin string) string {
	if len(pin) < MinAccessPINLen || len(pin) > MaxAccessPINLen || !isDigits(pin) {
		return fmt.Sprintf("must be %d to %d digits (0-9 only)", MinAccessPINLen, MaxAccessPINLen)
	}
	return weakPIN(pin)
}

// outsideClasses are the classes a DISA or callback object may have:
// internal would open nothing.
var outsideClasses = []string{"local", "national", "international"}

// checkAccess validates what DISA and callback objects share: who gets
// in (a list, a PIN or both), the class, the caller ID shown.
func checkAccess(p string, numbers []string, pin, class, callerID, callerName string, add func(path, format string, args ...any)) {
	if len(numbers) == 0 && pin == "" {
		add(p+"numbers", "needs allowed numbers, a PIN or both: nobody may get in unchecked")
	}
	if len(numbers) > maxAccessNumbers {
		add(p+"numbers", "at most %d numbers", maxAccessNumbers)
	}
	for j, n := range numbers {
		if _, err := dialplan.ParsePattern(n); err != nil {
			add(fmt.Sprintf("%snumbers[%d]", p, j), "%v", err)
		}
	}
	if pin != "" {
		if m := CheckAccessPIN(pin); m != "" {
			add(p+"pin", "%s", m)
		}
	}
	switch {
	case class == "":
		add(p+"class", "is required: the permission class its callers dial under (local, national or international)")
	case !slices.Contains(outsideClasses, class):
		add(p+"class", "must be local, national or international")
	}
	if callerID != "" && !dialplan.IsDialString(strings.TrimPrefix(callerID, "+")) {
		add(p+"caller_id", "must be digits (an optional leading +)")
	}
	if m := nameProblem(callerName, false); m != "" {
		add(p+"caller_name", "%s", m)
	}
}

// disa validates the DISA objects (their names are checked with the
// table's, planTable).
func (pc *planCheck) disa() {
	c, add := pc.c, pc.add
	for i, d := range c.DISA {
		p := fmt.Sprintf("disa[%d].", i)
		checkAccess(p, d.Numbers, d.PIN, d.Class, d.CallerID, d.CallerName, add)
		if d.ListAndPIN && (len(d.Numbers) == 0 || d.PIN == "") {
			add(p+"list_and_pin", "needs both allowed numbers and a PIN")
		}
		if d.MaxCalls < 0 || d.MaxCalls > MaxObjectCalls {
			add(p+"max_calls", "must be 0 (no limit) to %d", MaxObjectCalls)
		}
	}
}

// callbacks validates the callback objects.
func (pc *planCheck) callbacks() {
	c, add := pc.c, pc.add
	dest := func(path, s string) { pc.dest(path, s) }
	for i, cb := range c.Callbacks {
		p := fmt.Sprintf("callbacks[%d].", i)
		checkAccess(p, cb.Numbers, cb.PIN, cb.Class, cb.CallerID, cb.CallerName, add)
		if cb.Destination == "" {
			add(p+"destination", "required: where the caller goes once called back (disa:NAME for dial tone)")
		} else if d, err := dialplan.ParseDestination(cb.Destination); err == nil && (d.Kind == dialplan.DestCallback || d.Kind == dialplan.DestHangup) {
			add(p+"destination", "must lead somewhere the caller can talk: disa:NAME, an extension, a group, a queue, a menu...")
		} else {
			dest(p+"destination", cb.Destination)
		}
		if cb.DelayS != 0 && (cb.DelayS < MinCallbackDelayS || cb.DelayS > MaxCallbackDelayS) {
			add(p+"delay_s", "must be 0 (default %d) or %d to %d seconds", DefaultCallbackDelayS, MinCallbackDelayS, MaxCallbackDelayS)
		}
		if cb.Attempts < 0 || cb.Attempts > MaxCallbackAttempts {
			add(p+"attempts", "must be 0 (default %d) or 1 to %d", DefaultCallbackAttempts, MaxCallbackAttempts)
		}
		if cb.RetryS != 0 && (cb.RetryS < MinCallbackRetryS || cb.RetryS > MaxCallbackRetryS) {
			add(p+"retry_s", "must be 0 (default %d) or %d to %d seconds", DefaultCallbackRetryS, MinCallbackRetryS, MaxCallbackRetryS)
		}
		if cb.RingS != 0 && (cb.RingS < MinRingS || cb.RingS > MaxRingS) {
			add(p+"ring_s", "must be 0 (the box's no-answer time) or %d to %d seconds", MinRingS, MaxRingS)
		}
	}
}

func callbackRefs(c *Config, w *refWalker) {
	for i, cb := range c.Callbacks {
		w.dest(fmt.Sprintf("callbacks[%d].destination", i), cb.Destination)
	}
}
