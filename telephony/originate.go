package telephony

import (
	"context"
	"errors"
	"sync"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/media"
	"minipbx/telephony/store"
)

// Calls the box places on its own behalf. A call usually starts with a
// leg that arrives — a phone off hook, an INVITE, a ringing line — and
// routes for it. An originated call starts with a leg the box dials
// itself: an extension's phones (click-to-call), a caller's number
// (callback), a contact of a campaign. While that first leg rings, the
// call's party is the box (boxLeg: a leg with no channel of the outside
// world, not recorded); once it answers, that leg becomes the call's
// party and the call goes on like any other: Then routes for it through
// the router (reach a destination, dial a number, play a menu), its
// conversation, transfers and record are those of every call.
//
// A campaign, say, places its calls like this:
//
//	h, err := x.originate(origination{
//		To:      dest{Kind: dialplan.DestNumber, Value: contact},
//		Class:   dialplan.ClassNational,
//		Caller:  channel.CallerID{Number: campaign.CallerID},
//		RingFor: 30 * time.Second,
//		Origin:  store.OriginCampaign, // an origin the campaigns add to store.Origins
//		By:      "campaign:" + name,
//		Then: func(r router) (*leg, channel.Cause) {
//			return r.next().reach(dest{Kind: dialplan.DestQueue, Value: "sales"})
//		},
//	})
//	if err != nil { ... } // the exchange is stopping
//	<-h.Done()
//	answered, cause := h.Result() // retry on busy or no answer

// origination describes a call the box places (Exchange.originate).
type origination struct {
	// To is who is dialled first: ext:N (the extension's phones ring; its
	// do-not-disturb and forward-always apply), fxs:N, group:NAME (its
	// members ring, round after round within RingFor), or number:DIGITS
	// (an extension's number is that extension; an outside number goes
	// out through the outbound routes under Class).
	To dest
	// Class is what an outside To may be, and stays the call's class
	// for what Then reaches unless Then changes it.
	Class dialplan.Class
	// Caller is what the first leg is shown: on a phone, as the caller
	// ID; on an outside call, the number the far end sees (empty: the
	// outbound route's, else the carrier's own number).
	Caller channel.CallerID
	// For is who the call is placed for: the record's caller (the
	// extension of a click-to-call); zero: Caller.
	For channel.CallerID
	// RingFor bounds the first leg's ringing (0: the box's no-answer
	// time; an analog line without answer supervision answers when
	// dialled).
	RingFor time.Duration
	// Origin is the record's origin (store.OriginAPI, ...); By says who
	// placed it in the path's "originated" step ("api",
	// "callback:boss"); Callee is what the record and the status page
	// show as dialled ("": To's value).
	Origin, By, Callee string
	// Then runs once the first leg answered, as the call's script, with
	// r.in that leg (answered) and r.class Class; it returns the leg to
	// connect it to, or nil and the cause it hears (as reach returns).
	// Nil: the call ends once the first leg answered.
	Then func(r router) (*leg, channel.Cause)
}

// originated is a call the box placed.
type originated struct {
	id   string
	done <-chan struct{}

	mu       sync.Mutex
	answered bool
	cause    channel.Cause
}

// ID is the call's ID (status, operator actions, webhooks).
func (h *originated) ID() string { return h.id }

// Done is closed once the call ended and its record is written.
func (h *originated) Done() <-chan struct{} { return h.done }

// Result says whether the first leg answered and, when it did not, why
// (busy, no answer, not found, forbidden...). Meaningful once Done.
func (h *originated) Result() (answered bool, cause channel.Cause) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.answered, h.cause
}

func (h *originated) set(answered bool, cause channel.Cause) {
	h.mu.Lock()
	h.answered, h.cause = answered, cause
	h.mu.Unlock()
}

// errStopping: the exchange is shutting down and places no call.
var errStopping = errors.New("telephony: the exchange is stopping")

// originate places the call o describes, in a goroutine of its own
// (counted among the calls, hung up by Shutdown), and returns at once.
func (x *Exchange) originate(o origination) (*originated, error) {
	x.mu.Lock()
	if x.callCtx.Err() != nil {
		x.mu.Unlock()
		return nil, errStopping
	}
	x.callWG.Add(1)
	x.mu.Unlock()
	callee := o.Callee
	if callee == "" {
		callee = o.To.Value
	}
	party := o.For
	if party == (channel.CallerID{}) {
		party = o.Caller
	}
	c := x.registerCall(party, callee, "box")
	box := x.boxLeg(c)
	c.set(func(c *call) { c.first, c.in, c.origin = box, box, o.Origin })
	h := &originated{id: c.id, done: c.done}
	c.log.Info("placing a call", "to", o.To.String(), "by", o.By)
	c.step("originated", nil, o.To.String(), o.By)
	go func() {
		defer x.callWG.Done()
		defer x.endCall(c)
		r := x.newRouter(x.callCtx, c, box)
		r.caller, r.class, r.own = o.Caller, o.Class, true
		out, cause := r.reachFirst(o.To, o.RingFor)
		if out == nil {
			if r.ctx.Err() != nil || cause == channel.CauseNormal {
				cause = channel.CauseFailure
			}
			c.dispose(disposition(cause))
			h.set(false, cause)
			c.log.Info("the call placed was not answered", "to", o.To.String(), "cause", cause)
			return
		}
		h.set(true, 0)
		now := x.now()
		c.set(func(c *call) {
			c.first, c.in = out, out
			if store.IsOutside(out.name) && c.answered.IsZero() {
				// An outside party answered: the call is billed from now.
				c.answered = now
			}
		})
		c.setParties(out, nil)
		c.step("answered", out, "", "")
		if o.Then == nil {
			c.dispose("answered")
			out.hangup(channel.CauseNormal)
			return
		}
		r.in, r.own = out, false
		r.finish(o.Then(r))
	}()
	return h, nil
}

// boxLeg is the party of a call the box places while its first leg
// rings: the box itself. It is not registered among the exchange's legs
// nor recorded; it hears nothing (no ringback is played to it) and never
// hangs up.
func (x *Exchange) boxLeg(c *call) *leg {
	ch := boxChannel{id: "box-" + c.id}
	return &leg{x: x, ch: ch, info: ch.Info(), name: "box", done: make(chan struct{}), owner: c, started: x.now(),
		media: &legMedia{Endpoint: ch}}
}

// boxChannel is boxLeg's channel: no signalling, no sound.
type boxChannel struct{ id string }

func (b boxChannel) Info() channel.Info {
	return channel.Info{ID: b.id, Kind: channel.Internal, Endpoint: "box", Direction: "out"}
}
func (boxChannel) Events() <-chan channel.Event     { return nil }
func (b boxChannel) Media() media.Endpoint          { return b }
func (boxChannel) Progress() error                  { return nil }
func (boxChannel) Answer(ctx context.Context) error { return nil }
func (boxChannel) SendDigit(byte) error             { return nil }
func (boxChannel) Hangup(channel.Cause) error       { return nil }
func (boxChannel) WriteFrame(*media.Frame)          {}
func (boxChannel) SetSink(media.Sink)               {}
func (boxChannel) Codec() media.Codec               { return media.PCMU }
