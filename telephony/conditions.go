package telephony

import (
	"context"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// reachTimeCondition sends the call to the time condition's open
// destination while its schedule is open at the exchange's clock (in the
// box's time zone, as inbound routes decide), else to its closed one; with
// no closed destination the caller hears busy, as for hangup. It is
// decided now, when the call gets here, not when the call arrived: a
// caller who waited in a menu across closing time goes the closed way.
func (x *Exchange) reachTimeCondition(ctx context.Context, c *call, p *plan, t store.TimeCondition, class dialplan.Class, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	next, way := t.Open, "open"
	if !p.open(t.Schedule, x.now()) {
		next, way = t.Closed, "closed"
	}
	x.log.Debug("time condition", "call", c.id, "time_condition", t.Name, "schedule", t.Schedule, "way", way, "to", next)
	if next == "" {
		return nil, channel.CauseBusy
	}
	d, err := dialplan.ParseDestination(next)
	if err != nil {
		x.log.Warn("time condition: bad destination", "call", c.id, "time_condition", t.Name, "to", next, "err", err)
		return nil, channel.CauseNotFound
	}
	return x.reach(ctx, c, p, d, class, caller, hops+1)
}

// reachCondition reaches the condition's destination (its ringing bounded
// by no_answer_s when set) and, when that ends in busy, no answer or no
// route, goes on to the destination the condition names for the outcome.
// An outcome the condition leaves empty ends the call with its own cause,
// as it would without the condition.
func (x *Exchange) reachCondition(ctx context.Context, c *call, p *plan, cd store.Condition, class dialplan.Class, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	d, err := dialplan.ParseDestination(cd.Destination)
	if err != nil {
		x.log.Warn("condition: bad destination", "call", c.id, "condition", cd.Name, "destination", cd.Destination, "err", err)
		return nil, channel.CauseNotFound
	}
	out, cause := x.reachFirst(ctx, c, p, d, time.Duration(cd.NoAnswerS)*time.Second, class, caller, hops+1)
	if out != nil || final(ctx, cause) {
		return out, cause
	}
	cond := condition(cause)
	var next string
	switch cond {
	case dialplan.CondBusy:
		next = cd.Busy
	case dialplan.CondNoAnswer:
		next = cd.NoAnswer
	case dialplan.CondUnavailable, dialplan.CondNoRoute:
		next = cd.NoRoute
	}
	x.log.Debug("condition", "call", c.id, "condition", cd.Name, "outcome", cond.String(), "cause", cause, "to", next)
	if next == "" {
		return nil, cause
	}
	nd, err := dialplan.ParseDestination(next)
	if err != nil {
		x.log.Warn("condition: bad next destination", "call", c.id, "condition", cd.Name, "to", next, "err", err)
		return nil, cause
	}
	// A mailbox reached after busy plays the busy greeting.
	c.fwdBusy = cond == dialplan.CondBusy
	return x.reach(ctx, c, p, nd, class, caller, hops+1)
}

// reachFirst reaches a condition's destination with the condition in
// charge of what follows: an extension rings (for ringFor, else its own
// ring time) with only its forward-always applied; a ring group rings
// round after round until ringFor (else as it would) without its timeout
// destination; a port or an outside number rings for ringFor (else the
// box's no-answer time; an analog line, unbounded). Anything else (a
// queue, a short number) is reached as usual.
func (x *Exchange) reachFirst(ctx context.Context, c *call, p *plan, d dialplan.Destination, ringFor time.Duration, class dialplan.Class, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	if d.Kind == dialplan.DestNumber && dialplan.IsDialString(d.Value) {
		// An extension's number is that extension; a number an outbound
		// route takes goes out with the ring bound (as reachNumber would
		// send it); short numbers and the rest are reached as usual.
		if st, e := p.numbers.Lookup(d.Value); st == dialplan.Complete || st == dialplan.OpenEnded {
			switch e.Kind {
			case dialplan.KindExtension:
				d = dialplan.Destination{Kind: dialplan.DestExtension, Value: d.Value}
			case dialplan.KindShort, dialplan.KindService:
			default:
				return x.outbound(ctx, c, p, d.Value, class, caller, ringFor)
			}
		}
	}
	switch d.Kind {
	case dialplan.DestExtension:
		e, ok := findExtension(p.cfg, d.Value)
		if !ok {
			return nil, channel.CauseNotFound
		}
		rule, hasRule := p.rules[e.Number]
		if hasRule && rule.ForwardAlways != "" {
			// The extension's user sent their calls elsewhere.
			return x.reachExtension(ctx, c, p, e, caller, hops)
		}
		if ringFor <= 0 {
			ringFor = dialplan.Forwarding{NoAnswer: rule.ForwardNoAnswer, NoAnswerAfter: time.Duration(rule.NoAnswerS) * time.Second}.Ring(x.noAnswer(p))
		}
		out, cause, _ := x.ring(ctx, c, x.extensionTargets(c, e, ""), ringFor, caller)
		return out, cause
	case dialplan.DestFXS:
		if ringFor <= 0 {
			ringFor = x.noAnswer(p)
		}
		out, cause, _ := x.ring(ctx, c, []target{{d: x.analogDialer, target: "fxs:" + d.Value}}, ringFor, caller)
		return out, cause
	case dialplan.DestGroup:
		g, ok := p.ringGroups[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		g.Timeout = ""
		if ringFor > 0 {
			g.MaxWaitS = int(ringFor / time.Second)
		}
		return x.reachGroup(ctx, c, p, g, caller, hops)
	}
	return x.reach(ctx, c, p, d, class, caller, hops)
}
