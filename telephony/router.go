package telephony

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// maxHops bounds how deep destinations lead into each other (forwarding
// to forwarding, conditions, announcements): the validator refuses loops,
// this cuts one a hand-edited database still has.
const maxHops = 12

// router is a call's routing object: it reaches destinations for one
// party of the call (in) under one plan, presenting one caller ID and
// dialling within one permission class. It is a small value: a forwarding
// step, a transfer or a queue copies it and changes what differs, so
// nothing has to be passed along or restored.
type router struct {
	x   *Exchange
	c   *call
	p   *plan
	ctx context.Context
	log *slog.Logger
	// in is the party destinations are reached for: the caller, or the
	// caller a transfer hands on.
	in *leg
	// caller is the caller ID the dialled legs are shown; class what may
	// be dialled.
	caller channel.CallerID
	class  dialplan.Class
	hops   int
	// fwdBusy: the extension's busy forwarding leads here, so a mailbox
	// reached next plays the busy greeting.
	fwdBusy bool
	// inQueue: the caller hears a queue's music, not ringback.
	inQueue bool
	// ringCap bounds every ringing (a blind transfer's recall time; 0:
	// none).
	ringCap time.Duration
	// by is the extension on whose behalf the router dials (a
	// transferrer); "" for the caller.
	by string
	// flashAborts: a hook flash of the party ends the ringing (a phone
	// that consults and changes its mind); the outcome is causeFlash.
	flashAborts bool
	// diverted are the redirections the call went through, the most
	// recent first (extensions by their numbers; presentation maps them
	// to what the far end knows).
	diverted []channel.Diversion
	// onRinging is told when a dialled phone first rings (a SIP
	// transferrer hears "180 Ringing" of its blind transfer); nil: nobody.
	onRinging func()
	// own: the box dials on its own behalf (a DISA caller's number, a
	// callback, a call the box placed): the far end of an outside call
	// sees caller when it has a number, else the outbound route's, never
	// the party's own.
	own bool
	// trusted: the party was let in already (a caller called back): a
	// DISA it reaches asks for nothing more, and dials within class.
	trusted bool
}

// newRouter makes the routing object of call c for its party in.
func (x *Exchange) newRouter(ctx context.Context, c *call, in *leg) router {
	p := x.plan(x.config())
	return router{x: x, c: c, p: p, ctx: ctx, log: c.log, in: in, class: dialplan.ClassInternal}
}

// next is a copy of r one hop further.
func (r router) next() router {
	r.hops++
	return r
}

// final reports whether an attempt's cause ends the whole call (the caller
// hung up or the exchange is stopping), so nothing else is tried.
func (r router) final(cause channel.Cause) bool {
	return r.ctx.Err() != nil || cause == channel.CauseCancelled || cause == causeGone || cause == causeFlash || r.in.isEnded()
}

// noAnswer is the box-wide ring time.
func (r router) noAnswer() time.Duration {
	return time.Duration(r.p.cfg.System.NoAnswerTimeoutS) * time.Second
}

// reachNumber routes a number the party dialled (or a transfer names).
func (r router) reachNumber(number string) (*leg, channel.Cause) {
	t, ok := r.p.lookupNumber(number)
	switch {
	case !ok:
		return nil, channel.CauseNotFound
	case t.special != nil:
		return r.special(*t.special)
	case t.entry.Kind == dialplan.KindExtension:
		return r.reach(t.dest)
	case t.entry.Kind == dialplan.KindShort || t.entry.Kind == dialplan.KindService:
		return r.next().reach(t.dest)
	case t.entry.Kind == dialplan.KindFeature:
		// Feature codes act for the phone that dials them, not for a
		// caller sent to them.
		return nil, channel.CauseNotFound
	}
	return r.outbound(number, 0)
}

// special reaches one of the features' own numbers: the park code (the
// caller is parked), a park slot (the parked call is taken), a pickup
// code.
func (r router) special(sp special) (*leg, channel.Cause) {
	switch sp.kind {
	case specialPark:
		return r.park(r.in, r.by)
	case specialSlot:
		return r.retrieve(sp.slot)
	case specialGroupPickup:
		return r.pickup("")
	case specialConference:
		return r.adhocConference()
	}
	return nil, channel.CauseNotFound
}

// reach sends the call to a destination, following forwarding and
// conditions, and returns the answered leg or the cause to give the
// caller. A destination that keeps the caller to the end (voicemail, a
// conference room) returns nil and CauseNormal.
func (r router) reach(d dest) (*leg, channel.Cause) {
	if r.hops > maxHops {
		r.log.Warn("forwarding loop", "destination", d.String())
		return nil, channel.CauseCongestion
	}
	busy := r.fwdBusy
	r.fwdBusy = false
	p := r.p
	switch d.Kind {
	case dialplan.DestExtension:
		e, ok := p.exts[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		return r.reachExtension(e)
	case dialplan.DestFXS:
		out, cause, _ := r.ring([]target{r.fxsTarget(d.Value, "")}, r.noAnswer())
		return out, cause
	case dialplan.DestGroup:
		if g, ok := p.ringGroups[d.Value]; ok {
			return r.reachGroup(g, g.MaxWaitS, g.timeout)
		}
	case dialplan.DestNumber:
		return r.next().reachNumber(d.Value)
	case dialplan.DestQueue:
		if q, ok := p.queues[d.Value]; ok {
			return r.reachQueue(q)
		}
	case dialplan.DestMenu:
		if m, ok := p.menus[d.Value]; ok {
			return r.reachMenu(m)
		}
	case dialplan.DestAnnounce:
		if a, ok := p.announcements[d.Value]; ok {
			return r.reachAnnouncement(a)
		}
	case dialplan.DestTime:
		if t, ok := p.timeConds[d.Value]; ok {
			return r.reachTimeCondition(t)
		}
	case dialplan.DestCond:
		if cd, ok := p.conds[d.Value]; ok {
			return r.reachCondition(cd)
		}
	case dialplan.DestConf:
		if room, ok := p.rooms[d.Value]; ok {
			return r.conference(room)
		}
	case dialplan.DestPage:
		if g, ok := p.pages[d.Value]; ok {
			return r.page(g)
		}
	case dialplan.DestHangup:
		return nil, channel.CauseBusy
	case dialplan.DestVoicemail:
		return r.reachVoicemail(d.Value, busy)
	case dialplan.DestFax:
		if f, ok := p.faxes[d.Value]; ok {
			return r.reachFax(f)
		}
	case dialplan.DestDISA:
		if dd, ok := p.disas[d.Value]; ok {
			return r.reachDISA(dd)
		}
	case dialplan.DestCallback:
		if cb, ok := p.callbacks[d.Value]; ok {
			return r.reachCallback(cb)
		}
	}
	return nil, channel.CauseNotFound
}

// fxsTarget is the FXS port n to ring.
func (r router) fxsTarget(port, memberKey string) target {
	t := target{d: r.x.analogDialer, target: "fxs:" + port, member: memberKey}
	if n, err := strconv.Atoi(port); err == nil {
		if e, ok := r.p.fxsExt[n]; ok {
			t.ext = e.Number
		}
	}
	return t
}

// extensionTargets are the legs that ring an extension: its FXS port
// (unless that is the calling phone itself; a phone busy in a call gets a
// call-waiting alert instead, where the extension has call waiting) and
// its SIP phones.
func (r router) extensionTargets(e *store.Extension, memberKey string) []target {
	var ts []target
	if e.FXSPort > 0 {
		port := "fxs:" + strconv.Itoa(e.FXSPort)
		switch busy := r.x.phoneLeg(port); {
		case r.in.info.Kind == channel.FXS && r.in.info.Endpoint == port:
		case busy != nil:
			if r.callWaiting(e) {
				ts = append(ts, target{waitOn: busy, member: memberKey, ext: e.Number})
			} else {
				// Dialled all the same: the port answers busy.
				ts = append(ts, target{d: r.x.analogDialer, target: port, member: memberKey, ext: e.Number})
			}
		default:
			ts = append(ts, target{d: r.x.analogDialer, target: port, member: memberKey, ext: e.Number})
		}
	}
	return append(ts, target{d: r.x.sipDialer, target: e.Number, member: memberKey, ext: e.Number})
}

// callWaiting reports whether a second call may wait for extension e
// while it talks.
func (r router) callWaiting(e *store.Extension) bool {
	ru, ok := r.p.rules[e.Number]
	return !ok || !ru.NoCallWaiting
}

// reachExtension rings an extension under its rule: do not disturb and
// forward always first; ring for the no-answer time; then follow-me, or
// forward on busy, no answer or unavailable.
func (r router) reachExtension(e *store.Extension) (*leg, channel.Cause) {
	ru, hasRule := r.p.rules[e.Number]
	if !hasRule {
		ru = &rule{}
	}
	fwd := dialplan.Forwarding{NoAnswer: ru.ForwardNoAnswer, NoAnswerAfter: time.Duration(ru.NoAnswerS) * time.Second}
	// The caller ID a forwarded call shows: the original caller's, or the
	// forwarding extension's own.
	sub := r.next()
	if ru.ForwardCallerID == "box" {
		sub.caller = channel.CallerID{Number: e.Number, Name: e.Name}
	}
	sub.class = r.p.classOf(e)
	if ru.always.Kind != "" {
		r.log.Debug("forwarding always", "extension", e.Number, "to", ru.always.String())
		r.c.step("forwarded", nil, ru.always.String(), e.Number)
		return sub.diverting(e.Number, channel.DivertUnconditional).reach(ru.always)
	}
	var out *leg
	cause := channel.CauseBusy
	if ru.DND {
		r.log.Debug("do not disturb", "extension", e.Number)
	} else {
		ringFor := fwd.Ring(r.noAnswer())
		if len(ru.followMe) > 0 {
			ringFor = dialplan.DefaultNoAnswer
			if ru.NoAnswerS > 0 {
				ringFor = time.Duration(ru.NoAnswerS) * time.Second
			}
		}
		out, cause, _ = r.ring(r.extensionTargets(e, ""), ringFor)
		if out != nil || r.final(cause) {
			return out, cause
		}
	}
	cond := condition(cause)
	if cond == dialplan.CondNoAnswer && len(ru.followMe) > 0 &&
		(ru.FollowMeSchedule == "" || r.p.open(ru.FollowMeSchedule, r.x.now())) {
		fm := sub.diverting(e.Number, channel.DivertFollowMe)
		for _, step := range ru.followMe {
			out, cause = fm.ringMember(step.d, step.ring)
			if out != nil || r.final(cause) {
				return out, cause
			}
		}
		return nil, channel.CauseNoAnswer
	}
	var next dest
	reason := channel.DivertUnavailable
	switch cond {
	case dialplan.CondBusy:
		next, reason = ru.busy, channel.DivertBusy
		if ru.DND {
			reason = channel.DivertDND
		}
	case dialplan.CondNoAnswer:
		next, reason = ru.noAnswer, channel.DivertNoAnswer
	case dialplan.CondUnavailable, dialplan.CondNoRoute:
		next = ru.unavailable
	}
	if next.Kind == "" {
		return nil, cause
	}
	r.c.step("forwarded", nil, next.String(), e.Number)
	sub.fwdBusy = cond == dialplan.CondBusy
	return sub.diverting(e.Number, reason).reach(next)
}

// memberTargets are the legs of a group or follow-me member, labelled
// with the member so that the answering one is known. A number: member
// that is no extension is dialled out; it returns ok false then.
func (r router) memberTargets(d dest, key string) ([]target, bool) {
	switch d.Kind {
	case dialplan.DestExtension, dialplan.DestNumber:
		if e, ok := r.p.exts[d.Value]; ok {
			return r.extensionTargets(e, key), true
		}
		if d.Kind == dialplan.DestNumber {
			return nil, false
		}
	case dialplan.DestFXS:
		return []target{r.fxsTarget(d.Value, key)}, true
	}
	return nil, true
}

// ringMember rings one member (no forwarding of its own) for ringFor.
func (r router) ringMember(d dest, ringFor time.Duration) (*leg, channel.Cause) {
	ts, internal := r.memberTargets(d, d.String())
	if !internal {
		return r.outbound(d.Value, ringFor)
	}
	out, cause, _ := r.ring(ts, ringFor)
	return out, cause
}

// reachGroup rings a ring group's members by its strategy, each for its
// ring time, within maxWaitS (0: each member once), then goes to timeout.
func (r router) reachGroup(g *ringGroup, maxWaitS int, timeout dest) (*leg, channel.Cause) {
	release, ok := r.x.acquire("group:"+g.Name, g.MaxCalls)
	if !ok {
		r.log.Info("ring group at its call limit", "group", g.Name, "max_calls", g.MaxCalls)
		return nil, channel.CauseBusy
	}
	r.c.hold(release)
	strategy, err := dialplan.ParseStrategy(g.Strategy)
	if err != nil {
		strategy = dialplan.RingAll
	}
	dist := r.x.distributor(g.Name, strategy)
	keys, byKey := memberKeys(g.members)
	var deadline time.Time
	if maxWaitS > 0 {
		deadline = r.x.now().Add(time.Duration(maxWaitS) * time.Second)
	}
	best := channel.CauseNoAnswer
	for {
		for _, wave := range dist.Waves(keys) {
			limit := time.Duration(1<<62 - 1)
			if !deadline.IsZero() {
				limit = deadline.Sub(r.x.now())
				if limit <= 0 {
					break
				}
			}
			out, cause, m := r.ringWave(wave, byKey, limit)
			if out != nil {
				dist.Answered(m, r.x.now())
				return out, 0
			}
			if r.final(cause) {
				return nil, cause
			}
			best = betterCause(best, cause)
		}
		if deadline.IsZero() || !r.x.now().Before(deadline) {
			break
		}
		// Another round within the maximum wait, after a pause so that
		// members who all refuse at once (busy) are not dialled in a loop.
		if cause := r.pause(min(time.Second, deadline.Sub(r.x.now()))); r.final(cause) {
			return nil, cause
		}
	}
	if timeout.Kind != "" {
		sub := r.next()
		sub.class = dialplan.ClassInternational
		return sub.reach(timeout)
	}
	return nil, best
}

// memberKeys are a member list's keys in order, and the members by key.
func memberKeys(ms []member) ([]string, map[string]member) {
	keys := make([]string, len(ms))
	by := make(map[string]member, len(ms))
	for i, m := range ms {
		keys[i] = m.key
		by[m.key] = m
	}
	return keys, by
}

// ringWave rings one wave of group or queue members for at most limit.
func (r router) ringWave(wave []string, byKey map[string]member, limit time.Duration) (*leg, channel.Cause, string) {
	var ts []target
	var wait time.Duration
	var outside []member
	for _, k := range wave {
		m, ok := byKey[k]
		if !ok {
			continue
		}
		mts, internal := r.memberTargets(m.d, m.key)
		if !internal {
			outside = append(outside, m)
			continue
		}
		ts = append(ts, mts...)
		wait = max(wait, m.ring)
	}
	wait = min(wait, limit)
	var out *leg
	cause := channel.CauseNoAnswer
	var winner string
	if len(ts) > 0 {
		out, cause, winner = r.ring(ts, wait)
	}
	for _, m := range outside {
		if out != nil || r.final(cause) {
			break
		}
		sub := r
		sub.class = dialplan.ClassInternational
		out, cause = sub.outbound(m.d.Value, min(m.ring, limit))
		winner = m.key
	}
	return out, cause, winner
}

// pause waits d while watching the party; it returns CauseCancelled when
// the party hangs up, CauseNormal when the call is stopped, else 0.
func (r router) pause(d time.Duration) channel.Cause {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		m, why := r.c.recv(r.ctx, t.C, r.in.done)
		switch why {
		case cancelled:
			return channel.CauseNormal
		case timedOut:
			return 0
		case doneFired:
			r.c.dispose(disposition(channel.CauseCancelled))
			return channel.CauseCancelled
		}
		r.other(m)
	}
}

// other handles a message a waiting step does not expect: a control
// message is answered no (the call is not where it could act on it); an
// event of a leg that is no longer the call's business is dropped.
func (r router) other(m msg) {
	if m.ctl != nil {
		refuseCtl(m.ctl)
	}
}

// outbound dials number out through the route the dial plan selects for
// the router's class: its line groups in fallback order, each group's
// lines in hunting order, skipping lines that cannot be seized or fail
// before the far end answers or is busy. ringFor bounds the ringing (0: no
// bound: an analog line has no answer supervision).
func (r router) outbound(number string, ringFor time.Duration) (*leg, channel.Cause) {
	p := r.p
	sel, err := p.selectOutbound(number, r.class)
	if err != nil {
		r.log.Info("outside call refused", "number", number, "class", r.class, "err", err)
		return nil, causeOf(err)
	}
	if sel.Emergency {
		r.log.Warn("emergency call", "number", sel.Digits, "caller", r.caller.Number)
	}
	r.c.set(func(c *call) { c.outRoute = sel.Route.Name })
	sub := r
	sub.caller, sub.diverted = r.presentation(sel.Route, sel.Digits)
	best := channel.CauseCongestion // all lines busy
	for _, via := range sel.Via {
		if _, ok := p.trunks[via]; ok {
			// The SIP layer enforces the trunk's own limits and state:
			// unregistered, full or unreachable fail at once (dialFailed)
			// and the next carrier is tried.
			out, cause, _, dialFailed := sub.ringOut([]target{{d: r.x.sipDialer, target: "trunk:" + via + ":" + sel.Digits, number: sel.Digits}}, ringFor)
			if out != nil || r.final(cause) || (!dialFailed && !lineFault(cause)) {
				return out, cause
			}
			r.log.Info("trunk failed; trying the next carrier", "trunk", via, "cause", cause)
			continue
		}
		if via == legacyVia {
			out, cause, _, dialFailed := sub.ringOut([]target{{d: r.x.analogDialer, target: "fxo:" + sel.Digits, number: sel.Digits}}, ringFor)
			if out != nil || r.final(cause) || (!dialFailed && !lineFault(cause)) {
				return out, cause
			}
			continue
		}
		g, ok := p.lineGroups[via]
		if !ok {
			continue
		}
		release, ok := r.x.acquire("lines:"+g.Name, g.MaxCalls)
		if !ok {
			r.log.Info("line group at its call limit", "group", g.Name)
			continue
		}
		digits := lineDigits(g, sel, sub.caller)
		for _, line := range r.x.huntOrder(g) {
			out, cause, _, dialFailed := sub.ringOut([]target{{d: r.x.analogDialer, target: "fxo@" + strconv.Itoa(line) + ":" + digits, number: sel.Digits}}, ringFor)
			if out != nil {
				r.x.usedLine(g.Name, line)
				r.c.hold(release)
				return out, 0
			}
			if r.final(cause) || (!dialFailed && !lineFault(cause)) {
				release()
				return nil, cause
			}
			r.log.Info("line failed; hunting on", "group", g.Name, "line", line, "cause", cause)
		}
		release()
	}
	return nil, best
}

// lineDigits is what a line of group g dials for the outside call sel
// of a caller shown as shown: an analog line withholds the caller's
// number by the telco's code before the number (an emergency call never
// hides who calls).
func lineDigits(g store.LineGroup, sel dialplan.Outbound, shown channel.CallerID) string {
	if shown.Withheld != "" && g.WithholdPrefix != "" && !sel.Emergency {
		return g.WithholdPrefix + sel.Digits
	}
	return sel.Digits
}

// presentation works out what the far end of an outside call to digits
// through route rt is shown: an office extension by its outbound caller
// ID, else the route's, else ("") the carrier's own number; any other
// caller (one whose call is forwarded out) as itself, so the forwarded
// party sees who really calls; a call the box makes on its own behalf
// (own: DISA, callback) as the number it was given, else the route's; the route may override either, and the
// caller-ID rules by prefix come last. The redirections the call went
// through name extensions by their outbound numbers too.
func (r router) presentation(rt dialplan.Route, digits string) (channel.CallerID, []channel.Diversion) {
	p := r.p
	shown := r.caller
	if r.own && shown.Number == "" {
		shown = channel.CallerID{Number: rt.CallerID.Number, Name: rt.CallerID.Name}
	}
	outward := func(number string) (string, string, bool) {
		e, ok := p.exts[number]
		if number == "" || !ok {
			return "", "", false
		}
		if e.OutboundCallerID != "" {
			return e.OutboundCallerID, e.OutboundCallerName, true
		}
		return rt.CallerID.Number, rt.CallerID.Name, true
	}
	if n, name, ok := outward(shown.Number); ok {
		shown.Number, shown.Name = n, name
	}
	if rt.OverrideCallerID && rt.CallerID.Number != "" {
		shown.Number, shown.Name = rt.CallerID.Number, rt.CallerID.Name
	}
	cid := dialplan.ApplyCallerID(p.router.CallerID, digits, dialplan.CallerID{Number: shown.Number, Name: shown.Name})
	shown.Number, shown.Name = cid.Number, cid.Name
	if cid.Withheld {
		shown.Withheld = "P"
	}
	var divs []channel.Diversion
	for _, d := range r.diverted {
		if n, _, ok := outward(d.Number); ok {
			d.Number = n
		}
		divs = append(divs, d)
	}
	return shown, divs
}

// diverting is r for a call that ext sends on for reason (forwarding,
// follow-me, a transfer), most recent redirection first.
func (r router) diverting(ext, reason string) router {
	r.diverted = append([]channel.Diversion{{Number: ext, Reason: reason}}, r.diverted...)
	return r
}

// lineFault reports whether a leg that was dialled and then ended with
// cause failed because of the line (no dial tone, a fault), not because of
// the number (busy, no answer, not found): only then is another line tried.
func lineFault(cause channel.Cause) bool {
	switch cause {
	case channel.CauseCongestion, channel.CauseUnavailable, channel.CauseFailure:
		return true
	}
	return false
}

// reachTimeCondition sends the call to the time condition's open
// destination while its schedule is open at the exchange's clock (in the
// box's time zone, as inbound routes decide), else to its closed one; with
// no closed destination the caller hears busy, as for hangup. It is
// decided now, when the call gets here, not when the call arrived: a
// caller who waited in a menu across closing time goes the closed way.
func (r router) reachTimeCondition(t *timeCond) (*leg, channel.Cause) {
	next, way := r.p.timeWay(t, r.x.now())
	r.log.Debug("time condition", "time_condition", t.Name, "schedule", t.Schedule, "way", way, "to", next.String())
	if next.Kind == "" {
		return nil, channel.CauseBusy
	}
	return r.next().reach(next)
}

// reachCondition reaches the condition's destination (its ringing bounded
// by no_answer_s when set) and, when that ends in busy, no answer or no
// route, goes on to the destination the condition names for the outcome.
// An outcome the condition leaves empty ends the call with its own cause,
// as it would without the condition.
func (r router) reachCondition(cd *condDef) (*leg, channel.Cause) {
	out, cause := r.next().reachFirst(cd.first, time.Duration(cd.NoAnswerS)*time.Second)
	if out != nil || r.final(cause) {
		return out, cause
	}
	cond := condition(cause)
	var next dest
	switch cond {
	case dialplan.CondBusy:
		next = cd.busy
	case dialplan.CondNoAnswer:
		next = cd.noAnswer
	case dialplan.CondUnavailable, dialplan.CondNoRoute:
		next = cd.noRoute
	}
	r.log.Debug("condition", "condition", cd.Name, "outcome", cond.String(), "cause", cause, "to", next.String())
	if next.Kind == "" {
		return nil, cause
	}
	// A mailbox reached after busy plays the busy greeting.
	sub := r.next()
	sub.fwdBusy = cond == dialplan.CondBusy
	return sub.reach(next)
}

// reachFirst reaches a condition's destination with the condition in
// charge of what follows: an extension rings (for ringFor, else its own
// ring time) with only its forward-always applied; a ring group rings
// round after round until ringFor (else as it would) without its timeout
// destination; a port or an outside number rings for ringFor (else the
// box's no-answer time; an analog line, unbounded). Anything else (a
// queue, a short number) is reached as usual.
func (r router) reachFirst(d dest, ringFor time.Duration) (*leg, channel.Cause) {
	p := r.p
	if d.Kind == dialplan.DestNumber && dialplan.IsDialString(d.Value) {
		// An extension's number is that extension; a number an outbound
		// route takes goes out with the ring bound (as reachNumber would
		// send it); short numbers and the rest are reached as usual.
		if st, e := p.numbers.Lookup(d.Value); st == dialplan.Complete || st == dialplan.OpenEnded {
			switch e.Kind {
			case dialplan.KindExtension:
				d = dest{Kind: dialplan.DestExtension, Value: d.Value}
			case dialplan.KindShort, dialplan.KindService, dialplan.KindFeature:
			default:
				return r.outbound(d.Value, ringFor)
			}
		}
	}
	switch d.Kind {
	case dialplan.DestExtension:
		e, ok := p.exts[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		ru, hasRule := p.rules[e.Number]
		if hasRule && (ru.always.Kind != "" || ru.DND) {
			// The extension's user sent their calls elsewhere.
			return r.reachExtension(e)
		}
		if ringFor <= 0 {
			f := dialplan.Forwarding{}
			if hasRule {
				f = dialplan.Forwarding{NoAnswer: ru.ForwardNoAnswer, NoAnswerAfter: time.Duration(ru.NoAnswerS) * time.Second}
			}
			ringFor = f.Ring(r.noAnswer())
		}
		out, cause, _ := r.ring(r.extensionTargets(e, ""), ringFor)
		return out, cause
	case dialplan.DestFXS:
		if ringFor <= 0 {
			ringFor = r.noAnswer()
		}
		out, cause, _ := r.ring([]target{r.fxsTarget(d.Value, "")}, ringFor)
		return out, cause
	case dialplan.DestGroup:
		g, ok := p.ringGroups[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		wait := g.MaxWaitS
		if ringFor > 0 {
			wait = int(ringFor / time.Second)
		}
		return r.reachGroup(g, wait, dest{})
	}
	return r.reach(d)
}

// defaultRefuseTone is how long a caller whose line is already answered
// hears busy or congestion tone before the box hangs up.
const defaultRefuseTone = 4 * time.Second

// refuse ends the party's leg before it reached anyone. A party whose line
// is already answered — a telco line (the box answers FXO calls before
// routing them) or a call a menu or queue answered, a transferred caller —
// cannot be told by signalling, so they hear busy tone (busy) or
// congestion tone (any other failure) for a few seconds first: a refusal
// is never silent.
func (r router) refuse(cause channel.Cause) {
	in := r.in
	if cause == causeGone {
		return // the party went on to another call
	}
	if cause == causeFlash {
		cause = channel.CauseNormal
	}
	answered := in.info.Kind == channel.FXO || in.isAnswered()
	if !answered || cause == channel.CauseCancelled || cause == channel.CauseNormal || r.ctx.Err() != nil || in.isEnded() {
		r.hangupIn(cause)
		return
	}
	d := r.x.dp.refuseTone
	if d <= 0 {
		d = defaultRefuseTone
	}
	if src, ok := r.causeTone(cause, d); ok {
		k := r.keypad(in)
		k.playThrough(src)
	}
	r.hangupIn(cause)
}

// causeTone is the zone's busy tone (busy) or congestion tone for d.
func (r router) causeTone(cause channel.Cause, d time.Duration) (source, bool) {
	zone, err := dsp.LookupZone(r.p.cfg.System.ToneZone)
	if err != nil {
		return nil, false
	}
	spec := zone.Congestion
	if cause == channel.CauseBusy {
		spec = zone.Busy
	}
	tp := dsp.NewTonePlayer(spec, promptLevelDBm0)
	frames := int(d / frameTime)
	return func(out []int16) bool {
		if frames <= 0 {
			return false
		}
		frames--
		tp.Read(out)
		return true
	}, true
}

// hangupIn ends the party's leg with cause and records it.
func (r router) hangupIn(cause channel.Cause) {
	r.c.dispose(disposition(cause))
	r.in.leaveBridge()
	r.in.hangup(cause)
}
