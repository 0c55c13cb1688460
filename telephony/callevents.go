package telephony

import (
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// CallEvent is a moment of a call that software outside the box is told
// of (webhooks, Options.CallEvents).
type CallEvent struct {
	// Kind is ringing (the call rings a phone, a group, a line: each time
	// it rings someone new), answered (someone answered it, once per
	// call) or ended (Record is its call record).
	Kind string
	Time time.Time
	// CallID is the live call's ID (status, operator actions), the same
	// in every event of the call.
	CallID string
	Caller channel.CallerID
	Callee string
	// From and To are the parties' channels now ("fxo:1", "sip:101").
	From, To string
	// Ringing are who rings, for ringing: extensions, else numbers.
	Ringing []string
	// Origin and DISA are as in the call record (api, callback; the
	// DISA the caller dialled out through).
	Origin, DISA string
	Record       *store.CallRecord
}

// Call event kinds (the webhook events of store.WebhookEvents).
const (
	EventRinging  = store.WebhookRinging
	EventAnswered = store.WebhookAnswered
	EventEnded    = store.WebhookEnded
)

// callEvent tells the listener (if any) of kind for call c.
func (x *Exchange) callEvent(c *call, kind string, ringing []string, rec *store.CallRecord) {
	if x.events == nil {
		return
	}
	st := c.status()
	c.mu.Lock()
	ev := CallEvent{Kind: kind, Time: x.now(), CallID: c.id, Caller: st.Caller, Callee: st.Callee, From: st.From, To: st.To,
		Ringing: ringing, Origin: c.origin, DISA: c.disa, Record: rec}
	c.mu.Unlock()
	x.events(ev)
}

// ringingParties are who a ringing attempt rings: the targets'
// extensions, else the numbers they dial.
func ringingParties(targets []target) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range targets {
		p := t.ext
		if p == "" {
			p = t.number
		}
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
