package telephony

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// firstDigitTimeout is how long an analog phone may hear dial tone before
// the exchange gives up on it (permanent signal) and plays congestion.
const firstDigitTimeout = 15 * time.Second

// call is one call in progress: an inbound leg and, once answered, the
// outbound leg it is bridged to.
type call struct {
	id      string
	in      channel.Channel
	inInfo  channel.Info
	started time.Time

	mu          sync.Mutex
	caller      channel.CallerID
	callee      string
	state       string // dialling, ringing, answered
	out         channel.Channel
	outInfo     channel.Info
	answered    time.Time
	disposition string
	// releases free the call's places under concurrent-call limits when
	// it ends.
	releases []func()

	// progressed is set once the caller has been told the call rings,
	// inAnswered once a voice menu answered the caller (only the call's
	// own goroutine uses them).
	progressed bool
	inAnswered bool
	// inEarly is set once an announcement opened early media to the
	// caller (not answered; the box's own ringback then, not 180).
	inEarly bool
	// inQueue is set while the caller hears a queue's music on hold (no
	// ringback then).
	inQueue bool
	// vip is set for a caller a "first" classifier matched: ahead of
	// the others in queues.
	vip bool
	// fwdBusy is set while an extension's busy forwarding leads the call
	// on, so that a mailbox it reaches plays the busy greeting.
	fwdBusy bool
}

// hold keeps a limit's place until the call ends.
func (c *call) hold(release func()) {
	c.mu.Lock()
	c.releases = append(c.releases, release)
	c.mu.Unlock()
}

func (c *call) set(f func(c *call)) {
	c.mu.Lock()
	f(c)
	c.mu.Unlock()
}

func (c *call) status() CallStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := CallStatus{ID: c.id, Caller: c.caller, Callee: c.callee, From: legName(c.inInfo),
		State: c.state, Started: c.started, Answered: c.answered}
	if c.out != nil {
		s.To = legName(c.outInfo)
	}
	return s
}

// legName is how a channel appears in status pages and call records:
// "sip:101", "fxs:1", "fxo:2".
func legName(i channel.Info) string {
	if i.Endpoint == "" {
		return string(i.Kind)
	}
	if strings.HasPrefix(i.Endpoint, string(i.Kind)+":") || strings.HasPrefix(i.Endpoint, "trunk:") {
		return i.Endpoint
	}
	return string(i.Kind) + ":" + i.Endpoint
}

// maxHops bounds forwarding chains (a forwards to b forwards to a...).
const maxHops = 8

// runCall is the script of one call, from the inbound leg's arrival to its
// call record.
func (x *Exchange) runCall(ctx context.Context, in channel.Channel) {
	c := x.newCall(in)
	defer x.endCall(c)
	cfg := x.config()
	p := x.plan(cfg)
	log := x.log.With("call", c.id, "from", legName(c.inInfo))

	var callerExt *store.Extension
	var number string
	if trunkOf(c.inInfo) != "" {
		// An outside caller: never an extension, whatever number its
		// From claims (toll fraud), routed by the DID it dialled.
		x.inbound(ctx, c, p, log)
		return
	}
	switch c.inInfo.Kind {
	case channel.SIP:
		if e, ok := findExtension(cfg, c.inInfo.Caller.Number); ok {
			callerExt = &e
			c.set(func(c *call) { c.caller = channel.CallerID{Number: e.Number, Name: e.Name} })
		}
		number = c.inInfo.Dialled
	case channel.FXS:
		port, _ := portNumber(c.inInfo.Endpoint)
		if e, ok := extensionForFXS(cfg, port); ok {
			callerExt = &e
			c.set(func(c *call) { c.caller = channel.CallerID{Number: e.Number, Name: e.Name} })
		}
		var ok bool
		number, ok = x.collectDigits(ctx, c, p)
		if !ok {
			return
		}
	case channel.FXO:
		x.inbound(ctx, c, p, log)
		return
	default:
		number = c.inInfo.Dialled
	}
	c.set(func(c *call) { c.callee = number })
	x.publish("call")

	if st, e := p.numbers.Lookup(number); (st == dialplan.Complete || st == dialplan.OpenEnded) && e.Kind == dialplan.KindFeature {
		x.feature(ctx, c, p, callerExt, number, log)
		return
	}
	out, cause := x.reachNumber(ctx, c, p, number, p.classOf(callerExt), x.presented(c), 0)
	if out == nil {
		log.Info("call not completed", "number", number, "cause", cause)
		x.refuse(ctx, c, cause)
		return
	}
	x.talk(ctx, c, out)
}

// inbound runs a call arriving on an FXO line or a trunk: it finds the
// inbound route (with its schedule), then the caller lists (box-wide,
// then the route's own), then takes the route's destination under its
// limit, else the line's or DID's own destination.
func (x *Exchange) inbound(ctx context.Context, c *call, p *plan, log *slog.Logger) {
	port, _ := portNumber(c.inInfo.Endpoint)
	presented := x.presented(c)
	number := presented.Number
	if presented.Withheld != "" {
		number = ""
	}
	// The route first: which caller lists apply depends on it.
	var d dialplan.Destination
	var r store.InboundRoute
	var routed bool
	trunk := trunkOf(c.inInfo)
	if trunk != "" {
		d, r, routed = p.trunkDestination(trunk, c.inInfo.Dialled, x.now())
	} else {
		d, r, routed = p.inboundDestination(port, x.now())
	}
	var dest dialplan.Destination
	if cl, ok := dialplan.Classify(p.callerLists(r), number); ok {
		switch cl.Action {
		case dialplan.ActionReject:
			log.Info("caller rejected by classifier", "classifier", cl.Name, "route", r.Name, "caller", presented.Number)
			c.set(func(c *call) { c.callee = "classifier:" + cl.Name })
			c.hangupIn(channel.CauseRejected)
			return
		case dialplan.ActionRoute:
			dest = p.classDest[cl.Name]
		case dialplan.ActionFirst:
			c.vip = true
		}
	}
	if dest.Kind == "" {
		switch {
		case !routed && trunk != "":
			log.Info("trunk call to a number with no destination", "trunk", trunk, "did", c.inInfo.Dialled)
			c.set(func(c *call) { c.callee = c.inInfo.Dialled })
			c.hangupIn(channel.CauseNotFound)
			return
		case !routed:
			log.Warn("call on an FXO line with no destination", "port", port)
			c.hangupIn(channel.CauseUnavailable)
			return
		}
		if r.Name != "" {
			release, ok := x.acquire("in:"+r.Name, r.MaxCalls)
			if !ok {
				log.Info("inbound route at its call limit", "route", r.Name, "max_calls", r.MaxCalls)
				c.set(func(c *call) { c.callee = d.String() })
				x.refuse(ctx, c, channel.CauseBusy)
				return
			}
			c.hold(release)
		}
		dest = d
	}
	c.set(func(c *call) { c.callee = dest.Value })
	if dest.Kind == dialplan.DestHangup || dest.Kind == dialplan.DestGroup || dest.Kind == dialplan.DestAnnounce ||
		dest.Kind == dialplan.DestTime || dest.Kind == dialplan.DestCond {
		c.set(func(c *call) { c.callee = dest.String() })
	}
	x.publish("call")
	// Destinations an installer configured are explicit rules: a
	// number: destination may use any outbound route.
	out, cause := x.reach(ctx, c, p, dest, dialplan.ClassInternational, presented, 0)
	if out == nil {
		x.refuse(ctx, c, cause)
		return
	}
	x.talk(ctx, c, out)
}

// hangupIn ends the inbound leg before answer with cause and records it.
func (c *call) hangupIn(cause channel.Cause) {
	c.set(func(c *call) {
		if c.disposition == "" {
			c.disposition = disposition(cause)
		}
	})
	_ = c.in.Hangup(cause)
}

// collectDigits gathers the number an analog phone dials, deciding by the
// numbering plan when it is complete. It reports false when the caller hung
// up or gave up.
func (x *Exchange) collectDigits(ctx context.Context, c *call, p *plan) (string, bool) {
	interDigit := time.Duration(p.cfg.System.InterDigitTimeoutMS) * time.Millisecond
	if interDigit <= 0 {
		interDigit = 4 * time.Second
	}
	timer := time.NewTimer(firstDigitTimeout)
	defer timer.Stop()
	var digits []byte
	for {
		select {
		case <-ctx.Done():
			c.hangupIn(channel.CauseNormal)
			return "", false
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				c.set(func(c *call) { c.disposition = "abandoned" })
				return "", false
			}
			if ev.Type != channel.EventDigit {
				continue
			}
			if ev.Digit == '#' && len(digits) > 0 {
				return string(digits), true
			}
			digits = append(digits, ev.Digit)
			c.set(func(c *call) { c.callee = string(digits) })
			switch p.classify(string(digits)) {
			case dialComplete:
				return string(digits), true
			case dialInvalid:
				c.set(func(c *call) { c.disposition = disposition(channel.CauseNotFound) })
				_ = c.in.Hangup(channel.CauseNotFound)
				return "", false
			}
			timer.Reset(interDigit)
		case <-timer.C:
			if len(digits) > 0 && p.classify(string(digits)) == dialOpenEnded {
				return string(digits), true
			}
			c.set(func(c *call) {
				c.disposition = "abandoned"
				if len(digits) > 0 {
					c.disposition = disposition(channel.CauseNotFound)
				}
			})
			_ = c.in.Hangup(channel.CauseCongestion)
			return "", false
		}
	}
}

// presented is the caller ID the call shows to the legs it dials.
func (x *Exchange) presented(c *call) channel.CallerID {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.caller.Number == "" {
		return c.inInfo.Caller
	}
	return c.caller
}

// final reports whether an attempt's cause ends the whole call (the caller
// hung up or the exchange is stopping), so nothing else is tried.
func final(ctx context.Context, cause channel.Cause) bool {
	return ctx.Err() != nil || cause == channel.CauseCancelled
}

// reachNumber routes a number dialled by a caller of class.
func (x *Exchange) reachNumber(ctx context.Context, c *call, p *plan, number string, class dialplan.Class, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	if !dialplan.IsDialString(number) {
		return nil, channel.CauseNotFound
	}
	st, e := p.numbers.Lookup(number)
	if st != dialplan.Complete && st != dialplan.OpenEnded {
		return nil, channel.CauseNotFound
	}
	switch e.Kind {
	case dialplan.KindExtension:
		return x.reach(ctx, c, p, dialplan.Destination{Kind: dialplan.DestExtension, Value: number}, class, caller, hops)
	case dialplan.KindShort, dialplan.KindService:
		d, err := dialplan.ParseDestination(e.Target)
		if err != nil {
			return nil, channel.CauseNotFound
		}
		return x.reach(ctx, c, p, d, class, caller, hops+1)
	}
	return x.outbound(ctx, c, p, number, class, caller, 0)
}

// reach sends the call to a destination, following forwarding and
// conditions, and returns the answered leg or the cause to give the caller.
func (x *Exchange) reach(ctx context.Context, c *call, p *plan, d dialplan.Destination, class dialplan.Class, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	if hops > maxHops {
		x.log.Warn("forwarding loop", "call", c.id, "destination", d.String())
		return nil, channel.CauseCongestion
	}
	busy := c.fwdBusy
	c.fwdBusy = false
	switch d.Kind {
	case dialplan.DestExtension:
		e, ok := findExtension(p.cfg, d.Value)
		if !ok {
			return nil, channel.CauseNotFound
		}
		return x.reachExtension(ctx, c, p, e, caller, hops)
	case dialplan.DestFXS:
		out, cause, _ := x.ring(ctx, c, []target{{d: x.analogDialer, target: "fxs:" + d.Value}}, x.noAnswer(p), caller)
		return out, cause
	case dialplan.DestGroup:
		g, ok := p.ringGroups[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		return x.reachGroup(ctx, c, p, g, caller, hops)
	case dialplan.DestNumber:
		return x.reachNumber(ctx, c, p, d.Value, class, caller, hops+1)
	case dialplan.DestQueue:
		q, ok := p.queues[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		return x.reachQueue(ctx, c, p, q, caller, hops)
	case dialplan.DestMenu:
		m, ok := p.menus[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		return x.reachMenu(ctx, c, p, m, caller, hops)
	case dialplan.DestAnnounce:
		a, ok := p.announcements[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		return x.reachAnnouncement(ctx, c, p, a, class, caller, hops)
	case dialplan.DestTime:
		t, ok := p.timeConds[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		return x.reachTimeCondition(ctx, c, p, t, class, caller, hops)
	case dialplan.DestCond:
		cd, ok := p.conds[d.Value]
		if !ok {
			return nil, channel.CauseNotFound
		}
		return x.reachCondition(ctx, c, p, cd, class, caller, hops)
	case dialplan.DestHangup:
		return nil, channel.CauseBusy
	case dialplan.DestVoicemail:
		return x.reachVoicemail(ctx, c, p, d.Value, busy)
	}
	return nil, channel.CauseNotFound
}

// noAnswer is the box-wide ring time.
func (x *Exchange) noAnswer(p *plan) time.Duration {
	return time.Duration(p.cfg.System.NoAnswerTimeoutS) * time.Second
}

// extensionTargets are the legs that ring an extension: its FXS port
// (unless that is the calling phone itself) and its SIP phones.
func (x *Exchange) extensionTargets(c *call, e store.Extension, member string) []target {
	var ts []target
	if e.FXSPort > 0 {
		port := "fxs:" + strconv.Itoa(e.FXSPort)
		if !(c.inInfo.Kind == channel.FXS && c.inInfo.Endpoint == port) {
			ts = append(ts, target{d: x.analogDialer, target: port, member: member})
		}
	}
	return append(ts, target{d: x.sipDialer, target: e.Number, member: member})
}

// reachExtension rings an extension under its rule: forward always; ring
// for the no-answer time; then follow-me, or forward on busy, no answer
// or unavailable.
func (x *Exchange) reachExtension(ctx context.Context, c *call, p *plan, e store.Extension, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	rule, hasRule := p.rules[e.Number]
	fwd := dialplan.Forwarding{Always: rule.ForwardAlways, Busy: rule.ForwardBusy, NoAnswer: rule.ForwardNoAnswer,
		Unavailable: rule.ForwardUnavailable, NoAnswerAfter: time.Duration(rule.NoAnswerS) * time.Second}
	// The caller ID a forwarded call shows: the original caller's, or the
	// forwarding extension's own.
	fwdCaller := caller
	if rule.ForwardCallerID == "box" {
		fwdCaller = channel.CallerID{Number: e.Number, Name: e.Name}
	}
	class := p.classOf(&e)
	forward := func(to string) (channel.Channel, channel.Cause) {
		d, err := dialplan.ParseDestination(to)
		if err != nil {
			return nil, channel.CauseNotFound
		}
		x.log.Debug("forwarding", "call", c.id, "extension", e.Number, "to", to)
		return x.reach(ctx, c, p, d, class, fwdCaller, hops+1)
	}
	if fwd.Always != "" {
		return forward(fwd.Always)
	}
	ringFor := fwd.Ring(x.noAnswer(p))
	if hasRule && len(rule.FollowMe) > 0 && rule.NoAnswerS > 0 {
		ringFor = time.Duration(rule.NoAnswerS) * time.Second
	} else if hasRule && len(rule.FollowMe) > 0 {
		ringFor = dialplan.DefaultNoAnswer
	}
	out, cause, _ := x.ring(ctx, c, x.extensionTargets(c, e, ""), ringFor, caller)
	if out != nil || final(ctx, cause) {
		return out, cause
	}
	cond := condition(cause)
	if cond == dialplan.CondNoAnswer && len(rule.FollowMe) > 0 &&
		(rule.FollowMeSchedule == "" || p.open(rule.FollowMeSchedule, x.now())) {
		for _, step := range rule.FollowMe {
			d, err := dialplan.ParseDestination(step.Destination)
			if err != nil {
				continue
			}
			out, cause = x.ringMember(ctx, c, p, d, ringTime(step.RingS), class, fwdCaller)
			if out != nil || final(ctx, cause) {
				return out, cause
			}
		}
		return nil, channel.CauseNoAnswer
	}
	if next, ok := fwd.Next(cond); ok {
		c.fwdBusy = cond == dialplan.CondBusy
		return forward(next)
	}
	return nil, cause
}

// ringTime is a member's ring time (the default when 0).
func ringTime(s int) time.Duration {
	if s <= 0 {
		s = store.DefaultMemberRingS
	}
	return time.Duration(s) * time.Second
}

// memberTargets are the legs of a group or follow-me member, labelled
// with the member so that the answering one is known. A number: member
// that is no extension is dialled out; it returns ok false then.
func (x *Exchange) memberTargets(c *call, p *plan, d dialplan.Destination) ([]target, bool) {
	switch d.Kind {
	case dialplan.DestExtension:
		if e, ok := findExtension(p.cfg, d.Value); ok {
			return x.extensionTargets(c, e, d.String()), true
		}
	case dialplan.DestFXS:
		return []target{{d: x.analogDialer, target: "fxs:" + d.Value, member: d.String()}}, true
	case dialplan.DestNumber:
		if e, ok := findExtension(p.cfg, d.Value); ok {
			return x.extensionTargets(c, e, d.String()), true
		}
		return nil, false
	}
	return nil, true
}

// ringMember rings one member (no forwarding of its own) for ringFor.
func (x *Exchange) ringMember(ctx context.Context, c *call, p *plan, d dialplan.Destination, ringFor time.Duration, class dialplan.Class, caller channel.CallerID) (channel.Channel, channel.Cause) {
	ts, internal := x.memberTargets(c, p, d)
	if !internal {
		return x.outbound(ctx, c, p, d.Value, class, caller, ringFor)
	}
	out, cause, _ := x.ring(ctx, c, ts, ringFor, caller)
	return out, cause
}

// reachGroup rings a ring group's members by its strategy, each for its
// ring time, within the group's maximum wait, then goes to its timeout
// destination.
func (x *Exchange) reachGroup(ctx context.Context, c *call, p *plan, g store.RingGroup, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	release, ok := x.acquire("group:"+g.Name, g.MaxCalls)
	if !ok {
		x.log.Info("ring group at its call limit", "call", c.id, "group", g.Name, "max_calls", g.MaxCalls)
		return nil, channel.CauseBusy
	}
	c.hold(release)
	strategy, err := dialplan.ParseStrategy(g.Strategy)
	if err != nil {
		strategy = dialplan.RingAll
	}
	dist := x.distributor(g.Name, strategy)
	keys := make([]string, len(g.Members))
	ringFor := map[string]time.Duration{}
	for i, m := range g.Members {
		keys[i] = m.Destination
		ringFor[m.Destination] = ringTime(m.RingS)
	}
	var deadline time.Time
	if g.MaxWaitS > 0 {
		deadline = x.now().Add(time.Duration(g.MaxWaitS) * time.Second)
	}
	best := channel.CauseNoAnswer
	for {
		for _, wave := range dist.Waves(keys) {
			limit := time.Duration(1<<62 - 1)
			if !deadline.IsZero() {
				limit = deadline.Sub(x.now())
				if limit <= 0 {
					break
				}
			}
			out, cause, member := x.ringWave(ctx, c, p, wave, ringFor, limit, caller)
			if out != nil {
				dist.Answered(member, x.now())
				return out, 0
			}
			if final(ctx, cause) {
				return nil, cause
			}
			best = betterCause(best, cause)
		}
		if deadline.IsZero() || !x.now().Before(deadline) {
			break
		}
		// Another round within the maximum wait, after a pause so that
		// members who all refuse at once (busy) are not dialled in a loop.
		if cause := x.pause(ctx, c, min(time.Second, deadline.Sub(x.now()))); final(ctx, cause) {
			return nil, cause
		}
	}
	if g.Timeout != "" {
		if d, err := dialplan.ParseDestination(g.Timeout); err == nil {
			return x.reach(ctx, c, p, d, dialplan.ClassInternational, caller, hops+1)
		}
	}
	return nil, best
}

// pause waits d while watching the caller; it returns CauseCancelled when
// the caller hangs up, CauseNormal when the call is stopped, else 0.
func (x *Exchange) pause(ctx context.Context, c *call, d time.Duration) channel.Cause {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return channel.CauseNormal
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				c.set(func(c *call) { c.disposition = disposition(channel.CauseCancelled) })
				return channel.CauseCancelled
			}
		case <-t.C:
			return 0
		}
	}
}

// outbound dials number out through the route the dial plan selects for
// class: its line groups in fallback order, each group's lines in hunting
// order, skipping lines that cannot be seized or fail before the far end
// answers or is busy. ringFor bounds the ringing (0: no bound: an analog
// line has no answer supervision).
func (x *Exchange) outbound(ctx context.Context, c *call, p *plan, number string, class dialplan.Class, caller channel.CallerID, ringFor time.Duration) (channel.Channel, channel.Cause) {
	sel, err := p.router.Select(number, class, p.isEmergency)
	if err != nil {
		x.log.Info("outside call refused", "call", c.id, "number", number, "err", err)
		return nil, causeOf(err)
	}
	cid := dialplan.ApplyCallerID(p.router.CallerID, sel.Digits, dialplan.CallerID{Number: caller.Number, Name: caller.Name})
	presented := caller
	presented.Number, presented.Name = cid.Number, cid.Name
	if cid.Withheld {
		presented.Withheld = "P"
	}
	if sel.Emergency {
		x.log.Warn("emergency call", "call", c.id, "number", sel.Digits, "caller", caller.Number)
	}
	best := channel.CauseCongestion // all lines busy
	for _, via := range sel.Via {
		if _, ok := p.trunks[via]; ok {
			// The SIP layer enforces the trunk's own limits and state:
			// unregistered, full or unreachable fail at once (dialFailed)
			// and the next carrier is tried.
			out, cause, _, dialFailed := x.ringOut(ctx, c, []target{{d: x.sipDialer, target: "trunk:" + via + ":" + sel.Digits}}, ringFor, presented)
			if out != nil || final(ctx, cause) || (!dialFailed && !lineFault(cause)) {
				return out, cause
			}
			x.log.Info("trunk failed; trying the next carrier", "call", c.id, "trunk", via, "cause", cause)
			continue
		}
		if via == legacyVia {
			out, cause, _, dialFailed := x.ringOut(ctx, c, []target{{d: x.analogDialer, target: "fxo:" + sel.Digits}}, ringFor, presented)
			if out != nil || final(ctx, cause) || (!dialFailed && !lineFault(cause)) {
				return out, cause
			}
			continue
		}
		g, ok := p.lineGroups[via]
		if !ok {
			continue
		}
		release, ok := x.acquire("lines:"+g.Name, g.MaxCalls)
		if !ok {
			x.log.Info("line group at its call limit", "call", c.id, "group", g.Name)
			continue
		}
		for _, line := range x.huntOrder(g) {
			out, cause, _, dialFailed := x.ringOut(ctx, c, []target{{d: x.analogDialer, target: "fxo@" + strconv.Itoa(line) + ":" + sel.Digits}}, ringFor, presented)
			if out != nil {
				x.usedLine(g.Name, line)
				c.hold(release)
				return out, 0
			}
			if final(ctx, cause) || (!dialFailed && !lineFault(cause)) {
				release()
				return nil, cause
			}
			x.log.Info("line failed; hunting on", "call", c.id, "group", g.Name, "line", line, "cause", cause)
		}
		release()
	}
	return nil, best
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

// target is one leg to dial: a dialer, its target string, and the group
// member it belongs to ("" outside groups).
type target struct {
	d      channel.Dialer
	target string
	member string
}

// legEvent is an event of one of a call's outbound legs.
type legEvent struct {
	leg int
	ev  channel.Event
}

// ring rings targets at once and returns the leg that answers (and its
// member), or nil and the cause to give the caller.
func (x *Exchange) ring(ctx context.Context, c *call, targets []target, timeout time.Duration, caller channel.CallerID) (channel.Channel, channel.Cause, string) {
	out, cause, member, _ := x.ringOut(ctx, c, targets, timeout, caller)
	return out, cause, member
}

// ringOut is ring that also tells whether no leg could even be dialled
// (every Dial failed), as line hunting needs to know.
func (x *Exchange) ringOut(ctx context.Context, c *call, targets []target, timeout time.Duration, caller channel.CallerID) (channel.Channel, channel.Cause, string, bool) {
	c.set(func(c *call) {
		if c.state != "ringing" {
			c.state = "dialling"
		}
	})
	events := make(chan legEvent, 16)
	var legs []channel.Channel
	var members []string
	var pumps sync.WaitGroup
	best := channel.CauseUnavailable
	for _, t := range targets {
		if t.d == nil {
			continue
		}
		leg, err := t.d.Dial(ctx, channel.Request{Target: t.target, Caller: caller, Timeout: timeout, Hops: channel.NextHop(c.in)})
		if err != nil {
			var de *channel.DialError
			if errors.As(err, &de) {
				best = betterCause(best, de.Cause)
			} else {
				best = betterCause(best, channel.CauseFailure)
			}
			x.log.Debug("dial failed", "call", c.id, "target", t.target, "err", err)
			continue
		}
		i := len(legs)
		legs = append(legs, leg)
		members = append(members, t.member)
		pumps.Add(1)
		go func() {
			defer pumps.Done()
			for ev := range leg.Events() {
				select {
				case events <- legEvent{i, ev}:
				case <-ctx.Done():
					// the call is over; drain so the leg can close.
				}
			}
		}()
	}
	if len(legs) == 0 {
		return nil, best, "", true
	}
	// A caller a voice menu answered, or one hearing early media, hears
	// ringback from the box itself — until a leg's own early media (a
	// provider's ringback or announcement) replaces it.
	var stopRingback func()
	if (c.inAnswered || c.inEarly) && !c.inQueue {
		if zone, err := dsp.LookupZone(x.config().System.ToneZone); err == nil {
			rbCtx, stopRB := context.WithCancel(ctx)
			played := make(chan struct{})
			go func() {
				defer close(played)
				tp := dsp.NewTonePlayer(zone.Ringback, promptLevelDBm0)
				play(rbCtx, c.in.Media(), func(out []int16) bool { tp.Read(out); return true })
			}()
			stopRingback = func() { stopRB(); <-played; stopRingback = nil }
		}
	}
	defer func() {
		if stopRingback != nil {
			stopRingback()
		}
	}()
	// earlyLeg is the leg whose early media the caller hears (-1: none).
	earlyLeg := -1
	dropEarly := func() {
		if earlyLeg >= 0 {
			legs[earlyLeg].Media().SetSink(nil)
			earlyLeg = -1
		}
	}
	defer dropEarly()

	var noAnswer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		noAnswer = t.C
	}
	live := len(legs)
	ended := make([]bool, len(legs))
	hangupAll := func(cause channel.Cause, except int) {
		for i, l := range legs {
			if i != except && !ended[i] {
				_ = l.Hangup(cause)
			}
		}
	}
	// drain waits for the losing legs to close so their pumps end.
	drain := func() {
		go func() {
			for range events {
			}
		}()
		go func() { pumps.Wait(); close(events) }()
	}
	for {
		select {
		case <-ctx.Done():
			hangupAll(channel.CauseCancelled, -1)
			drain()
			return nil, channel.CauseNormal, "", false
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				hangupAll(channel.CauseCancelled, -1)
				drain()
				c.set(func(c *call) { c.disposition = disposition(channel.CauseCancelled) })
				return nil, channel.CauseCancelled, "", false
			}
		case <-noAnswer:
			hangupAll(channel.CauseNoAnswer, -1)
			drain()
			return nil, channel.CauseNoAnswer, "", false
		case le := <-events:
			switch le.ev.Type {
			case channel.EventProgress:
				if !c.progressed && !c.inAnswered {
					c.progressed = true
					c.set(func(c *call) { c.state = "ringing" })
					if !c.inEarly { // else the ringback is in its media
						_ = c.in.Progress()
					}
					x.publish("call")
				}
			case channel.EventEarlyMedia:
				// Heard when one leg was dialled (a trunk, a phone): while a
				// ring group rings several, one member's early media (often
				// silence) must not replace the ringback of all.
				if len(legs) == 1 && earlyLeg < 0 && !c.inQueue && x.openEarlyMedia(c, "the called party's early media") {
					if stopRingback != nil {
						stopRingback()
					}
					legs[le.leg].Media().SetSink(c.in.Media())
					earlyLeg = le.leg
					x.log.Debug("early media from the called party", "call", c.id, "leg", legs[le.leg].Info().ID)
				}
			case channel.EventAnswer:
				if earlyLeg != le.leg {
					dropEarly()
				}
				hangupAll(channel.CauseCancelled, le.leg)
				// the winner's pump keeps running; talk reads its events
				// through the same channel.
				return &answeredLeg{Channel: legs[le.leg], events: events, leg: le.leg, pumps: &pumps}, 0, members[le.leg], false
			case channel.EventHangup:
				if le.leg == earlyLeg {
					dropEarly()
				}
				if !ended[le.leg] {
					ended[le.leg] = true
					live--
					best = betterCause(best, le.ev.Cause)
				}
				if live == 0 {
					drain()
					return nil, best, "", false
				}
			}
		}
	}
}

// answeredLeg is the leg that won a dial, whose events still flow through
// the dial's shared event channel (shared with losing legs that are ending).
type answeredLeg struct {
	channel.Channel
	events chan legEvent
	leg    int
	pumps  *sync.WaitGroup
}

// betterCause picks the cause a caller should hear when several legs fail:
// busy beats no answer beats unavailable beats not found beats the rest.
func betterCause(a, b channel.Cause) channel.Cause {
	rank := func(c channel.Cause) int {
		switch c {
		case channel.CauseLoop: // a misrouted call: say so, whatever else failed
			return 7
		case channel.CauseBusy:
			return 6
		case channel.CauseRejected:
			return 5
		case channel.CauseNoAnswer:
			return 4
		case channel.CauseCongestion:
			return 3
		case channel.CauseUnavailable:
			return 2
		case channel.CauseNotFound:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// talk answers the caller, bridges the two legs and waits for one side to
// hang up.
func (x *Exchange) talk(ctx context.Context, c *call, out channel.Channel) {
	al := out.(*answeredLeg)
	defer func() {
		go func() {
			for range al.events {
			}
		}()
		go func() { al.pumps.Wait(); close(al.events) }()
	}()
	c.set(func(c *call) {
		c.out, c.outInfo = al.Channel, al.Channel.Info()
		c.state, c.answered, c.disposition = "answered", x.now(), "answered"
	})
	// Connect the media before answering so no first word is lost.
	inM, outM := c.in.Media(), al.Channel.Media()
	inM.SetSink(outM)
	outM.SetSink(inM)
	defer func() {
		inM.SetSink(nil)
		outM.SetSink(nil)
	}()
	if c.inAnswered {
		// A voice menu answered the caller already.
	} else if err := c.in.Answer(ctx); err != nil {
		x.log.Warn("answer failed", "call", c.id, "err", err)
		_ = al.Channel.Hangup(channel.CauseFailure)
		_ = c.in.Hangup(channel.CauseFailure)
		c.set(func(c *call) { c.disposition = "failed" })
		return
	}
	x.publish("call")
	inDigitsInBand := c.inInfo.Kind != channel.SIP
	outDigitsInBand := c.outInfo.Kind != channel.SIP
	// The box-wide limit on an answered call's length.
	var limit <-chan time.Time
	if s := x.config().CallLimits.MaxCallDurationS; s > 0 {
		t := time.NewTimer(time.Duration(s) * time.Second)
		defer t.Stop()
		limit = t.C
	}
	for {
		select {
		case <-ctx.Done():
			_ = al.Channel.Hangup(channel.CauseNormal)
			_ = c.in.Hangup(channel.CauseNormal)
			return
		case <-limit:
			x.log.Info("call cleared at the maximum call duration", "call", c.id)
			_ = al.Channel.Hangup(channel.CauseNormal)
			_ = c.in.Hangup(channel.CauseNormal)
			return
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				_ = al.Channel.Hangup(channel.CauseNormal)
				return
			}
			// In-band DTMF already crosses in the audio; relay only digits
			// that came out of band (RFC 4733, SIP INFO).
			if ev.Type == channel.EventDigit && !inDigitsInBand {
				_ = al.Channel.SendDigit(ev.Digit)
			}
		case le := <-al.events:
			if le.leg != al.leg {
				continue // a losing leg finishing its hang-up
			}
			switch le.ev.Type {
			case channel.EventHangup:
				_ = c.in.Hangup(channel.CauseNormal)
				return
			case channel.EventDigit:
				if !outDigitsInBand {
					_ = c.in.SendDigit(le.ev.Digit)
				}
			}
		}
	}
}

// newCall registers a call for an inbound channel.
func (x *Exchange) newCall(in channel.Channel) *call {
	info := in.Info()
	x.mu.Lock()
	x.seq++
	c := &call{
		id:      fmt.Sprintf("c%d", x.seq),
		in:      in,
		inInfo:  info,
		started: x.now(),
		caller:  info.Caller,
		callee:  info.Dialled,
		state:   "dialling",
	}
	x.calls[c.id] = c
	x.mu.Unlock()
	x.publish("call")
	return c
}

// endCall makes sure both legs are down, writes the call record and
// forgets the call.
func (x *Exchange) endCall(c *call) {
	_ = c.in.Hangup(channel.CauseNormal)
	c.mu.Lock()
	if c.out != nil {
		_ = c.out.Hangup(channel.CauseNormal)
	}
	releases := c.releases
	c.releases = nil
	rec := store.CallRecord{
		Start:       c.started,
		Answer:      c.answered,
		End:         x.now(),
		Caller:      c.caller.Number,
		CallerName:  c.caller.Name,
		Callee:      c.callee,
		Source:      legName(c.inInfo),
		Disposition: c.disposition,
	}
	if c.out != nil {
		rec.Destination = legName(c.outInfo)
	}
	c.mu.Unlock()
	for _, r := range releases {
		r()
	}
	if rec.Caller == "" && c.inInfo.Caller.Withheld != "" {
		rec.Caller = c.inInfo.Caller.String()
	}
	if rec.Disposition == "" {
		rec.Disposition = "failed"
	}
	if !rec.Answer.IsZero() {
		rec.DurationS = int(rec.End.Sub(rec.Answer).Round(time.Second) / time.Second)
	}
	if _, err := x.store.AppendCallRecord(rec); err != nil {
		x.log.Error("call record not written", "call", c.id, "err", err)
	}
	x.mu.Lock()
	delete(x.calls, c.id)
	x.mu.Unlock()
	x.publish("call")
}

// disposition names a cause as call records do.
func disposition(c channel.Cause) string {
	switch c {
	case channel.CauseNormal:
		return "answered"
	case channel.CauseFailure:
		return "failed"
	}
	return c.String()
}
