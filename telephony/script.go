package telephony

import (
	"context"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// firstDigitTimeout is how long an analog phone may hear dial tone before
// the exchange gives up on it (permanent signal) and plays congestion.
const firstDigitTimeout = 15 * time.Second

// runCall is the script of one call, from the inbound leg's arrival to its
// call record.
func (x *Exchange) runCall(ctx context.Context, ch channel.Channel) {
	c := x.newCall(ch)
	defer x.endCall(c)
	in := c.first
	r := x.newRouter(ctx, c, in)
	if trunkOf(in.info) != "" || in.info.Kind == channel.FXO {
		// An outside caller: never an extension, whatever number its
		// From claims (toll fraud), routed by the line or the DID.
		r.inbound()
		return
	}
	var callerExt *store.Extension
	var number string
	switch in.info.Kind {
	case channel.SIP:
		if e, ok := r.p.exts[in.info.Caller.Number]; ok {
			callerExt = e
		}
		number = in.info.Dialled
	case channel.FXS:
		port, _ := portNumber(in.info.Endpoint)
		callerExt = r.p.fxsExt[port]
	default:
		number = in.info.Dialled
	}
	if callerExt != nil {
		c.set(func(c *call) { c.caller = channel.CallerID{Number: callerExt.Number, Name: callerExt.Name} })
		in.setParty(callerExt.Number, callerExt.Number)
	}
	r.caller = r.callerOf(in)
	r.class = r.p.classOf(callerExt)
	if in.info.Kind == channel.FXS {
		var ok bool
		if number, ok = r.collectDigits(); !ok {
			return
		}
	}
	c.set(func(c *call) { c.callee = number })
	x.publish("call")
	if in.info.Replaces != "" {
		r.finish(r.replaceDialog(in.info.Replaces))
		return
	}
	if st, e := r.p.numbers.Lookup(number); (st == dialplan.Complete || st == dialplan.OpenEnded) && e.Kind == dialplan.KindFeature {
		r.feature(callerExt, number)
		return
	}
	r.finish(r.reachNumber(number))
}

// finish connects the leg a step reached, or tells the party why there
// is none.
func (r router) finish(out *leg, cause channel.Cause) {
	if out != nil {
		r.connect(out)
		return
	}
	if cause != causeGone {
		r.log.Info("call not completed", "cause", cause)
		r.refuse(cause)
	}
}

// collectDigits gathers the number an analog phone dials, deciding by the
// numbering plan when it is complete. It reports false when the caller hung
// up or gave up.
func (r router) collectDigits() (string, bool) {
	k := r.keypad(r.in)
	digits, st, ok := k.collectState(collectOpts{first: firstDigitTimeout, interDigit: k.interDigit, hashEnds: true,
		complete: r.p.classify, onDigit: func(d string) {
			r.c.set(func(c *call) { c.callee = d })
		}})
	switch {
	case !ok:
		r.c.dispose("abandoned")
		return "", false
	case st == dialInvalid:
		r.c.dispose(disposition(channel.CauseNotFound))
		r.in.hangup(channel.CauseNotFound)
		return "", false
	case digits == "":
		r.c.dispose("abandoned")
		r.in.hangup(channel.CauseCongestion)
		return "", false
	case st == dialComplete || st == dialOpenEnded:
		return digits, true
	}
	// The pause came before the number was whole.
	r.c.dispose(disposition(channel.CauseNotFound))
	r.in.hangup(channel.CauseCongestion)
	return "", false
}

// inbound runs a call arriving on an FXO line or a trunk: it finds the
// inbound route (with its schedule), then the caller lists (box-wide,
// then the route's own), then takes the route's destination under its
// limit, else the line's or DID's own destination.
func (r router) inbound() {
	c, p, in := r.c, r.p, r.in
	r.caller = in.info.Caller
	number := r.caller.Number
	if r.caller.Withheld != "" {
		number = ""
	}
	trunk := trunkOf(in.info)
	port := 0
	if trunk == "" {
		port, _ = portNumber(in.info.Endpoint)
	}
	a := p.arrive(trunk, in.info.Dialled, port, number, r.x.now())
	var rt store.InboundRoute
	if a.route != nil {
		rt = a.route.InboundRoute
		c.set(func(c *call) { c.moh, c.route = rt.MOHClass, rt.Name })
	}
	if cl := a.list; cl != nil {
		switch cl.Action {
		case dialplan.ActionReject:
			r.log.Info("caller rejected by classifier", "classifier", cl.Name, "route", rt.Name, "caller", r.caller.Number)
			c.set(func(c *call) { c.callee = "classifier:" + cl.Name })
			r.hangupIn(channel.CauseRejected)
			return
		case dialplan.ActionFirst:
			c.set(func(c *call) { c.vip = true })
		}
	}
	to := a.to
	if !a.byList {
		switch {
		case !a.routed && trunk != "":
			r.log.Info("trunk call to a number with no destination", "trunk", trunk, "did", in.info.Dialled)
			c.set(func(c *call) { c.callee = in.info.Dialled })
			r.hangupIn(channel.CauseNotFound)
			return
		case !a.routed:
			r.log.Warn("call on an FXO line with no destination", "line", in.info.Endpoint)
			r.hangupIn(channel.CauseUnavailable)
			return
		}
		if rt.Name != "" {
			release, ok := r.x.acquire("in:"+rt.Name, rt.MaxCalls)
			if !ok {
				r.log.Info("inbound route at its call limit", "route", rt.Name, "max_calls", rt.MaxCalls)
				c.set(func(c *call) { c.callee = a.to.String() })
				r.refuse(channel.CauseBusy)
				return
			}
			c.hold(release)
		}
	}
	callee := to.Value
	switch to.Kind {
	case dialplan.DestHangup, dialplan.DestGroup, dialplan.DestAnnounce, dialplan.DestTime, dialplan.DestCond, dialplan.DestDISA, dialplan.DestCallback:
		callee = to.String()
	}
	c.set(func(c *call) { c.callee = callee })
	r.x.publish("call")
	// Destinations an installer configured are explicit rules: a
	// number: destination may use any outbound route.
	r.class = dialplan.ClassInternational
	r.finish(r.reach(to))
}

// arrival is where a call from an outside line or trunk goes, decided
// before any limit is taken: its inbound route (nil: the line's or DID's
// own destination), whether the line or DID has a destination at all,
// the caller list that matched (nil: none), and where the call goes: the
// matching "route" list's destination (byList), else the route's.
type arrival struct {
	route  *inboundRoute
	routed bool
	list   *dialplan.Classifier
	byList bool
	to     dest
}

// arrive decides where a call from trunk to did (trunk "": a call on FXO
// port) from caller number ("": withheld) goes at now. inbound routes
// the call by it; AnswerLine asks it before a line is answered.
func (p *plan) arrive(trunk, did string, port int, number string, now time.Time) arrival {
	var a arrival
	var d dest
	if trunk != "" {
		d, a.route, a.routed = p.trunkDestination(trunk, did, now)
	} else {
		d, a.route, a.routed = p.inboundDestination(port, now)
	}
	var rt store.InboundRoute
	if a.route != nil {
		rt = a.route.InboundRoute
	}
	if cl, ok := dialplan.Classify(p.callerLists(rt), number); ok {
		a.list = cl
		if ld := p.classDest[cl.Name]; cl.Action == dialplan.ActionRoute && ld.Kind != "" {
			a.to, a.byList = ld, true
			return a
		}
	}
	if a.routed {
		a.to = d
	}
	return a
}
