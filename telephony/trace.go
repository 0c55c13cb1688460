package telephony

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// The route tester: how the exchange would route a call, worked out by
// the functions its calls are routed with (plan.lookupNumber,
// plan.selectOutbound, plan.classWhy, plan.timeWay,
// plan.inboundDestination, plan.trunkDestination, router.presentation,
// Exchange.huntOrder) on the plan in use, without ringing anything. Where
// a call would wait for an answer (an extension ringing, a ring group),
// the trace stops and lists what would happen next (busy, no answer).

// RouteQuery asks how a call would be routed.
type RouteQuery struct {
	// From is the caller: an extension's number; "fxo:N" for a call
	// arriving on FXO line N; "trunk:NAME" for a call arriving on a SIP
	// trunk (Number is then the DID dialled); "" for an outside caller
	// on no line in particular.
	From string `json:"from"`
	// Number is what the caller dials (or, from a trunk, the DID).
	Number string `json:"number"`
	// Caller is an outside caller's number, for the caller lists of
	// calls arriving on lines and trunks ("" none).
	Caller string `json:"caller,omitempty"`
	// Analog: the extension dials on its analog phone, digit by digit,
	// and the numbering plan decides when the number is complete (a SIP
	// phone sends the whole number at once).
	Analog bool `json:"analog,omitempty"`
	// At is the moment to decide schedules at (zero: now).
	At time.Time `json:"at,omitzero"`
}

// RouteStep is one decision of a trace, with its reason.
type RouteStep struct {
	// What decided: "caller", "class", "number", "inbound_route",
	// "caller_list", "forward", "time_condition", "condition",
	// "announcement", "outbound_route", "carrier", "caller_id",
	// "next" (what would follow a busy or unanswered destination).
	What string `json:"what"`
	// Says it in words.
	Says string `json:"says"`
	// Path names the configuration object that decided, as
	// "section:name" ("outbound_routes:mobile", "extensions:101",
	// "system.outside_prefix"), when there is one.
	Path string `json:"path,omitempty"`
}

// Outcomes of a trace.
const (
	OutcomeRings    = "rings"    // an extension, port, ring group or queue rings
	OutcomeOutside  = "outside"  // dialled out on a line or trunk
	OutcomeAnswered = "answered" // the box answers: a menu, voicemail, a conference...
	OutcomeRefused  = "refused"  // not allowed, no route, busy
	OutcomeFeature  = "feature"  // a feature code acting for the caller
)

// RouteTrace is how the exchange routes one call.
type RouteTrace struct {
	Query RouteQuery `json:"query"`
	// Class is the caller's permission class.
	Class string      `json:"class"`
	Steps []RouteStep `json:"steps"`
	// Outcome is where the call ends up: rings, outside, answered,
	// refused or feature; Destination the last destination reached
	// ("group:sales", "number:84951234567").
	Outcome     string `json:"outcome"`
	Destination string `json:"destination,omitempty"`
	// Cause says why a refused call is refused: "forbidden" (the
	// class), "not_found" (no such number or route), "busy".
	Cause string `json:"cause,omitempty"`
	// Route, Via, Lines and Digits are an outside call's outbound route,
	// its carriers in fallback order (line groups and trunks; "*lines"
	// for every enabled FXO line), the first carrier's lines in hunting
	// order when it is a line group, and the digits sent. CallerID is
	// the number the far end is shown ("" the carrier's own; "withheld").
	Route  string   `json:"route,omitempty"`
	Via    []string `json:"via,omitempty"`
	Lines  []int    `json:"lines,omitempty"`
	Digits string   `json:"digits,omitempty"`
	// LineDigits is what the first carrier's lines dial when it is not
	// Digits: a line group's code that withholds the caller's number
	// (store.LineGroup.WithholdPrefix) before them.
	LineDigits string `json:"line_digits,omitempty"`
	CallerID   string `json:"caller_id,omitempty"`
	Emergency  bool   `json:"emergency,omitempty"`
}

// MaxTraceNumber bounds a route tester's number.
const MaxTraceNumber = 32

// TraceRoute implements PlanService.
func (x *Exchange) TraceRoute(ctx context.Context, q RouteQuery) (RouteTrace, error) {
	if err := ctx.Err(); err != nil {
		return RouteTrace{}, err
	}
	p := x.plan(x.config())
	now := q.At
	if now.IsZero() {
		now = x.now()
	}
	return p.trace(q, now, x.huntOrder)
}

// tracer is one trace in progress.
type tracer struct {
	p    *plan
	now  time.Time
	hunt func(store.LineGroup) []int
	t    RouteTrace
}

func (tr *tracer) step(what, path, format string, args ...any) {
	tr.t.Steps = append(tr.t.Steps, RouteStep{What: what, Path: path, Says: fmt.Sprintf(format, args...)})
}

func (tr *tracer) end(outcome string, d dest) {
	tr.t.Outcome = outcome
	if d.Kind != "" {
		tr.t.Destination = d.String()
	}
}

func (tr *tracer) refuse(cause, format string, args ...any) {
	tr.step("refused", "", format, args...)
	tr.t.Outcome, tr.t.Cause = OutcomeRefused, cause
}

// invalidQuery is a route tester's bad input.
func invalidQuery(field, format string, args ...any) error {
	return &store.ValidationError{Fields: []store.FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// trace works out q on plan p at now; hunt orders a line group's lines.
func (p *plan) trace(q RouteQuery, now time.Time, hunt func(store.LineGroup) []int) (RouteTrace, error) {
	tr := &tracer{p: p, now: now, hunt: hunt, t: RouteTrace{Query: q}}
	number := strings.TrimSpace(q.Number)
	if len(number) > MaxTraceNumber || number != "" && !dialplan.IsDialString(strings.TrimPrefix(number, "+")) {
		return RouteTrace{}, invalidQuery("number", "must be up to %d digits, * or # (a leading + for a DID)", MaxTraceNumber)
	}
	if q.Caller != "" && (len(q.Caller) > MaxTraceNumber || !dialplan.IsDialString(strings.TrimPrefix(q.Caller, "+"))) {
		return RouteTrace{}, invalidQuery("caller", "must be up to %d digits (an optional leading +)", MaxTraceNumber)
	}
	switch kind, name, _ := strings.Cut(q.From, ":"); {
	case kind == "fxo":
		port, err := strconv.Atoi(name)
		if err != nil || !p.hasLine(port) {
			return RouteTrace{}, invalidQuery("from", "there is no FXO line %q", name)
		}
		tr.t.Class = dialplan.ClassInternal.String()
		d, route, ok := p.inboundDestination(port, now)
		tr.inbound(d, route, ok, fmt.Sprintf("FXO line %d", port), q.Caller)
	case kind == "trunk":
		if _, ok := p.trunks[name]; !ok {
			return RouteTrace{}, invalidQuery("from", "there is no SIP trunk %q", name)
		}
		tr.t.Class = dialplan.ClassInternal.String()
		d, route, ok := p.trunkDestination(name, number, now)
		tr.inbound(d, route, ok, "SIP trunk "+name+" to "+number, q.Caller)
	default:
		var e *store.Extension
		if q.From != "" {
			var ok bool
			if e, ok = p.exts[q.From]; !ok {
				return RouteTrace{}, invalidQuery("from", "there is no extension %q", q.From)
			}
		}
		if number == "" || !dialplan.IsDialString(number) {
			return RouteTrace{}, invalidQuery("number", "dial a number: digits, * or #")
		}
		class, why := p.classWhy(e)
		tr.t.Class = class.String()
		tr.step("class", classPath(p, e), "the caller's permission class is %s: %s", class, why)
		caller := channel.CallerID{}
		if e != nil {
			caller = channel.CallerID{Number: e.Number, Name: e.Name}
		}
		if q.Analog {
			if e == nil || e.FXSPort == 0 {
				return RouteTrace{}, invalidQuery("analog", "the caller has no analog phone")
			}
			cut, st := p.collected(number)
			switch {
			case st == dialInvalid:
				tr.refuse("not_found", "dialled on an analog phone, %s begins no number of the plan: the box stops listening there", cut)
				return tr.t, nil
			case cut != number:
				tr.step("number", "", "dialled on the analog phone, the number ends at %s: the numbering plan says it is whole there (a SIP phone would send all of %s)", cut, number)
				number = cut
			}
		}
		if rest, ok := p.withholding(number); ok {
			tr.step("caller_id", "", "%s withholds the caller's number on this call", number[:len(number)-len(rest)])
			number, caller.Withheld = rest, "P"
		}
		tr.number(number, class, caller, 0)
	}
	return tr.t, nil
}

// collected is what an analog phone dialling number sends, as the
// exchange collects it (router.collectDigits with plan.classify): the
// digits up to the first where the number is complete, or where no
// number begins like them (with state dialInvalid).
func (p *plan) collected(number string) (string, dialState) {
	for i := 1; i <= len(number); i++ {
		switch st := p.classify(number[:i]); st {
		case dialComplete, dialInvalid:
			return number[:i], st
		}
	}
	return number, dialOpenEnded
}

// hasLine reports whether FXO port n is configured.
func (p *plan) hasLine(n int) bool {
	for _, l := range p.cfg.FXOLines {
		if l.Port == n {
			return true
		}
	}
	return false
}

// classPath is the configuration that set an extension's class.
func classPath(p *plan, e *store.Extension) string {
	if e == nil {
		return ""
	}
	if r, ok := p.rules[e.Number]; ok && r.Class != "" {
		return "extension_rules:" + e.Number
	}
	return "extensions:" + e.Number
}

// inbound traces a call arriving on a line or trunk (router.inbound).
func (tr *tracer) inbound(d dest, route *inboundRoute, routed bool, on, caller string) {
	p := tr.p
	var rt store.InboundRoute
	switch {
	case route != nil:
		rt = route.InboundRoute
		says := "inbound route " + rt.Name + " takes calls on " + on
		if rt.Schedule != "" && route.closed.Kind != "" {
			way := "open"
			if !p.open(rt.Schedule, tr.now) {
				way = "closed"
			}
			says += fmt.Sprintf("; schedule %s is %s now", rt.Schedule, way)
		}
		tr.step("inbound_route", "inbound_routes:"+rt.Name, "%s", says)
	case routed:
		tr.step("inbound_route", "", "no inbound route covers %s: its own destination", on)
	}
	if cl, ok := dialplan.Classify(p.callerLists(rt), caller); ok && caller != "" {
		switch cl.Action {
		case dialplan.ActionReject:
			tr.step("caller_list", "classifiers:"+cl.Name, "caller %s is on caller list %s", caller, cl.Name)
			tr.refuse("rejected", "the caller list refuses the call")
			return
		case dialplan.ActionRoute:
			tr.step("caller_list", "classifiers:"+cl.Name, "caller %s is on caller list %s, which sends it elsewhere", caller, cl.Name)
			tr.reach(p.classDest[cl.Name], dialplan.ClassInternational, channel.CallerID{Number: caller}, 1)
			return
		case dialplan.ActionFirst:
			tr.step("caller_list", "classifiers:"+cl.Name, "caller %s is on caller list %s: first in queues", caller, cl.Name)
		}
	}
	if !routed {
		tr.refuse("not_found", "nothing takes calls on %s", on)
		return
	}
	// Destinations an installer configured are explicit rules: any
	// outbound route may carry them (router.inbound does the same).
	tr.reach(d, dialplan.ClassInternational, channel.CallerID{Number: caller}, 0)
}

// number traces a dialled number (router.reachNumber).
func (tr *tracer) number(number string, class dialplan.Class, caller channel.CallerID, hops int) {
	p := tr.p
	t, ok := p.lookupNumber(number)
	switch {
	case !ok:
		tr.refuse("not_found", "no number of the plan is %s (or it is incomplete)", number)
	case t.special != nil:
		tr.step("number", "features", "%s is one of the features' own numbers", number)
		tr.end(OutcomeFeature, dest{})
	case t.entry.Kind == dialplan.KindExtension:
		tr.step("number", "extensions:"+number, "%s is an extension", number)
		tr.reach(t.dest, class, caller, hops)
	case t.entry.Kind == dialplan.KindShort || t.entry.Kind == dialplan.KindService:
		tr.step("number", "", "%s is %s, which leads to %s", number, t.entry.Kind, t.dest)
		tr.reach(t.dest, class, caller, hops+1)
	case t.entry.Kind == dialplan.KindFeature:
		tr.step("number", "numbering", "%s is a feature code: it acts for the phone that dials it", number)
		tr.end(OutcomeFeature, dest{})
	default:
		tr.outbound(number, class, caller)
	}
}

// outbound traces an outside call (router.outbound).
func (tr *tracer) outbound(number string, class dialplan.Class, caller channel.CallerID) {
	p := tr.p
	sel, err := p.selectOutbound(number, class)
	if err != nil {
		cause := "failure"
		switch {
		case errors.Is(err, dialplan.ErrForbidden):
			cause = "forbidden"
		case errors.Is(err, dialplan.ErrNoRoute):
			cause = "not_found"
		}
		tr.refuse(cause, "%v", err)
		return
	}
	tr.t.Route, tr.t.Via, tr.t.Digits, tr.t.Emergency = sel.Route.Name, sel.Via, sel.Digits, sel.Emergency
	tr.t.Destination = dest{Kind: dialplan.DestNumber, Value: number}.String()
	rp := "outbound_routes:" + sel.Route.Name
	switch {
	case sel.Emergency:
		tr.step("outbound_route", rp, "%s is an emergency number: it goes out whatever the class", sel.Digits)
	case sel.Route.Name == "outside prefix":
		rp = "system.outside_prefix"
		tr.step("outbound_route", rp, "%s begins with the outside prefix %s: any line, class %s needed and %s allows it",
			number, p.cfg.System.OutsidePrefix, sel.Route.Class, class)
	default:
		tr.step("outbound_route", rp, "outbound route %s (%s) takes %s: class %s needed, %s allows it",
			sel.Route.Name, sel.Route.Pattern, number, sel.Route.Class, class)
	}
	if sel.Digits != number {
		tr.step("outbound_route", rp, "digits sent: %s (%d removed, %q added)", sel.Digits, sel.Route.Strip, sel.Route.Prepend)
	}
	r := router{p: p, caller: caller}
	shown, _ := r.presentation(sel.Route, sel.Digits)
	for i, via := range sel.Via {
		then := "first"
		if i > 0 {
			then = "then"
		}
		switch g, isGroup := p.lineGroups[via]; {
		case via == legacyVia:
			tr.step("carrier", "fxo_lines", "%s every enabled FXO line, the first free one", then)
		case isGroup:
			lines := tr.hunt(g)
			if i == 0 {
				tr.t.Lines = lines
			}
			tr.step("carrier", "line_groups:"+via, "%s line group %s: lines %s in that order (%s)", then, via, joinInts(lines), g.Hunt)
			if d := lineDigits(g, sel, shown); d != sel.Digits {
				if i == 0 {
					tr.t.LineDigits = d
				}
				tr.step("carrier", "line_groups:"+via, "its lines dial %s: the telco's code %s withholds the caller's number", d, g.WithholdPrefix)
			}
		default:
			tr.step("carrier", "trunks:"+via, "%s SIP trunk %s", then, via)
		}
	}
	switch {
	case shown.Withheld != "":
		tr.t.CallerID = "withheld"
		tr.step("caller_id", "", "the far end sees no number (withheld)")
	case shown.Number != "":
		tr.t.CallerID = shown.Number
		tr.step("caller_id", "", "the far end sees %s", shown.Number)
	default:
		tr.step("caller_id", "", "the far end sees the line's or trunk's own number")
	}
	tr.end(OutcomeOutside, dest{Kind: dialplan.DestNumber, Value: number})
}

// reach traces a destination (router.reach).
func (tr *tracer) reach(d dest, class dialplan.Class, caller channel.CallerID, hops int) {
	p := tr.p
	if hops > maxHops {
		tr.refuse("congestion", "more than %d steps: a forwarding loop the exchange cuts", maxHops)
		return
	}
	switch d.Kind {
	case dialplan.DestExtension:
		tr.extension(d, class, caller, hops)
	case dialplan.DestNumber:
		tr.number(d.Value, class, caller, hops+1)
	case dialplan.DestTime:
		tc, ok := p.timeConds[d.Value]
		if !ok {
			break
		}
		next, way := p.timeWay(tc, tr.now)
		tr.step("time_condition", "time_conditions:"+tc.Name, "time condition %s: schedule %s is %s now", tc.Name, tc.Schedule, way)
		if next.Kind == "" {
			tr.refuse("busy", "the %s way goes nowhere: the caller hears busy", way)
			return
		}
		tr.reach(next, class, caller, hops+1)
	case dialplan.DestAnnounce:
		a, ok := p.announcements[d.Value]
		if !ok {
			break
		}
		tr.step("announcement", "announcements:"+a.Name, "announcement %s plays", a.Name)
		if a.then.Kind == "" {
			tr.end(OutcomeAnswered, d)
			return
		}
		tr.reach(a.then, class, caller, hops+1)
	case dialplan.DestCond:
		cd, ok := p.conds[d.Value]
		if !ok {
			break
		}
		tr.step("condition", "conditions:"+cd.Name, "condition %s reaches %s first", cd.Name, cd.first)
		tr.next("condition", "conditions:"+cd.Name, cd.noAnswer, cd.busy, cd.noRoute)
		tr.reach(cd.first, class, caller, hops+1)
	case dialplan.DestGroup:
		g, ok := p.ringGroups[d.Value]
		if !ok {
			break
		}
		var ms []string
		for _, m := range g.members {
			ms = append(ms, m.d.String())
		}
		tr.step("ring_group", "ring_groups:"+g.Name, "ring group %s rings %s (%s)", g.Name, strings.Join(ms, ", "), g.Strategy)
		tr.next("ring_group", "ring_groups:"+g.Name, g.timeout, dest{}, dest{})
		tr.end(OutcomeRings, d)
	case dialplan.DestQueue:
		q, ok := p.queues[d.Value]
		if !ok {
			break
		}
		tr.step("queue", "queues:"+q.Name, "queue %s answers and holds the caller for its agents", q.Name)
		tr.next("queue", "queues:"+q.Name, q.timeout, dest{}, dest{})
		tr.end(OutcomeAnswered, d)
	case dialplan.DestFXS:
		tr.step("port", "", "FXS port %s rings", d.Value)
		tr.end(OutcomeRings, d)
	case dialplan.DestHangup:
		tr.refuse("busy", "hang up: the caller hears busy")
		tr.t.Destination = d.String()
	case dialplan.DestMenu, dialplan.DestVoicemail, dialplan.DestConf, dialplan.DestPage:
		if !tr.exists(d) {
			break
		}
		what := map[dialplan.DestKind]string{dialplan.DestMenu: "voice menu %s answers and plays its greeting",
			dialplan.DestVoicemail: "the mailbox of %s takes a message", dialplan.DestConf: "conference room %s answers",
			dialplan.DestPage: "paging group %s is paged"}[d.Kind]
		tr.step(string(d.Kind), "", what, d.Value)
		tr.end(OutcomeAnswered, d)
	default:
		tr.refuse("not_found", "%s leads nowhere", d)
		return
	}
	if tr.t.Outcome == "" {
		tr.refuse("not_found", "%s does not exist", d)
	}
}

// exists reports whether the object d names is in the plan.
func (tr *tracer) exists(d dest) bool {
	p := tr.p
	switch d.Kind {
	case dialplan.DestMenu:
		_, ok := p.menus[d.Value]
		return ok
	case dialplan.DestConf:
		_, ok := p.rooms[d.Value]
		return ok
	case dialplan.DestPage:
		_, ok := p.pages[d.Value]
		return ok
	case dialplan.DestVoicemail:
		_, ok := p.cfg.Voicemail.Box(d.Value)
		return ok
	}
	return false
}

// next lists where a destination's call would go on no answer, busy and
// no route (what the trace does not follow: it cannot know the answer).
func (tr *tracer) next(what, path string, noAnswer, busy, noRoute dest) {
	for _, o := range []struct {
		when string
		d    dest
	}{{"no answer", noAnswer}, {"busy", busy}, {"unreachable", noRoute}} {
		if o.d.Kind != "" {
			tr.step("next", path, "if %s: %s", o.when, o.d)
		}
	}
}

// extension traces an extension under its rule (router.reachExtension):
// forward always and do not disturb are followed; what busy and no
// answer would do is listed.
func (tr *tracer) extension(d dest, class dialplan.Class, caller channel.CallerID, hops int) {
	p := tr.p
	e, ok := p.exts[d.Value]
	if !ok {
		tr.refuse("not_found", "extension %s does not exist", d.Value)
		return
	}
	ru, hasRule := p.rules[e.Number]
	if !hasRule {
		ru = &rule{}
	}
	sub := p.classOf(e) // forwarding dials with the forwarding extension's class
	path := "extension_rules:" + e.Number
	if ru.always.Kind != "" {
		tr.step("forward", path, "extension %s forwards every call to %s", e.Number, ru.always)
		tr.reach(ru.always, sub, caller, hops+1)
		return
	}
	if ru.DND {
		tr.step("forward", path, "extension %s is on do not disturb", e.Number)
		if ru.busy.Kind == "" {
			tr.refuse("busy", "the caller hears busy")
			return
		}
		tr.step("forward", path, "busy handling: forwards to %s", ru.busy)
		tr.reach(ru.busy, sub, caller, hops+1)
		return
	}
	var rings []string
	if e.FXSPort > 0 {
		rings = append(rings, "FXS port "+strconv.Itoa(e.FXSPort))
	}
	rings = append(rings, "its SIP phones")
	tr.step("extension", "extensions:"+e.Number, "extension %s rings (%s)", e.Number, strings.Join(rings, " and "))
	noAnswer := ru.noAnswer
	if len(ru.followMe) > 0 && (ru.FollowMeSchedule == "" || p.open(ru.FollowMeSchedule, tr.now)) {
		var fm []string
		for _, m := range ru.followMe {
			fm = append(fm, m.d.String())
		}
		tr.step("next", path, "if no answer: follow-me %s", strings.Join(fm, ", "))
		noAnswer = dest{} // follow-me instead
	}
	tr.next("extension", path, noAnswer, ru.busy, ru.unavailable)
	tr.end(OutcomeRings, d)
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
