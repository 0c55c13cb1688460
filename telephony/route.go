package telephony

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// dialState is what a number dialled so far means under the numbering plan.
type dialState int

const (
	// dialIncomplete: more digits may come and are needed.
	dialIncomplete dialState = iota
	// dialComplete: the number is whole; route it now.
	dialComplete
	// dialOpenEnded: the number may be whole, but more digits may follow
	// (an outside number); route it at the inter-digit timeout or on '#'.
	dialOpenEnded
	// dialInvalid: no number starts like this.
	dialInvalid
)

// maxOutsideDigits bounds an outside number (E.164 allows 15, plus room for
// national and international prefixes).
const maxOutsideDigits = 20

// legacyVia is the carrier of the outside-prefix route: every enabled FXO
// line, hunted ascending by the analog dialer itself ("fxo:DIGITS"), as
// the box always did.
const legacyVia = "*lines"

// plan is one configuration snapshot compiled for routing. It is built
// once per snapshot and shared by the calls that started under it.
type plan struct {
	cfg        *store.Config
	numbers    *dialplan.Plan
	router     dialplan.Router
	emergency  map[string]bool
	lineGroups map[string]store.LineGroup
	trunks     map[string]store.Trunk
	ringGroups map[string]store.RingGroup
	menus      map[string]store.Menu
	// announcements by name (announce:NAME).
	announcements map[string]store.Announcement
	// timeConds and conds by name (time:NAME, cond:NAME).
	timeConds map[string]store.TimeCondition
	conds     map[string]store.Condition
	queues    map[string]store.Queue
	rules     map[string]store.ExtensionRule
	schedules map[string]*dialplan.Schedule
	// classifier are the box-wide caller lists (those no inbound route
	// names), in document order; routeLists are every list by name, for
	// the lists a route names.
	classifier []*dialplan.Classifier
	routeLists map[string]*dialplan.Classifier
	// classDest is the destination of each "route" classifier, by name.
	classDest map[string]dialplan.Destination
}

// compilePlan turns a validated configuration into routing tables. A
// configuration the store validated always compiles; if one does not
// (a database edited by hand), the dial-plan sections are dropped and the
// box routes as it did before them, and the error says why.
func compilePlan(cfg *store.Config) (*plan, error) {
	p, err := compileFull(cfg)
	if err == nil {
		return p, nil
	}
	basic := *cfg
	basic.Numbering, basic.OutboundRoutes, basic.RingGroups, basic.Classifiers = store.Numbering{}, nil, nil, nil
	basic.InboundRoutes, basic.ExtensionRules = nil, nil
	p, err2 := compileFull(&basic)
	if err2 != nil {
		return nil, fmt.Errorf("dial plan: %w; even without its dial plan: %v", err, err2)
	}
	p.cfg = cfg
	return p, fmt.Errorf("dial plan ignored: %w", err)
}

func compileFull(cfg *store.Config) (*plan, error) {
	p := &plan{cfg: cfg, emergency: map[string]bool{}, lineGroups: map[string]store.LineGroup{}, trunks: map[string]store.Trunk{},
		ringGroups: map[string]store.RingGroup{}, menus: map[string]store.Menu{}, queues: map[string]store.Queue{}, rules: map[string]store.ExtensionRule{},
		schedules: map[string]*dialplan.Schedule{}, classDest: map[string]dialplan.Destination{},
		routeLists: map[string]*dialplan.Classifier{}, announcements: map[string]store.Announcement{},
		timeConds: map[string]store.TimeCondition{}, conds: map[string]store.Condition{}}
	var entries []dialplan.Entry
	for _, e := range cfg.Extensions {
		pat, err := dialplan.ParsePattern(e.Number)
		if err != nil {
			return nil, fmt.Errorf("extension %q: %w", e.Number, err)
		}
		entries = append(entries, dialplan.Entry{Kind: dialplan.KindExtension, Pattern: pat, Owner: e.Number, Target: "ext:" + e.Number})
	}
	for _, s := range cfg.Numbering.ShortNumbers {
		pat, err := dialplan.ParsePattern(s.Number)
		if err != nil {
			return nil, fmt.Errorf("short number %q: %w", s.Number, err)
		}
		entries = append(entries, dialplan.Entry{Kind: dialplan.KindShort, Pattern: pat, Owner: s.Number, Target: s.Destination})
	}
	for _, n := range cfg.Numbering.EmergencyNumbers {
		pat, err := dialplan.ParsePattern(n)
		if err != nil {
			return nil, fmt.Errorf("emergency number %q: %w", n, err)
		}
		p.emergency[n] = true
		entries = append(entries, dialplan.Entry{Kind: dialplan.KindEmergency, Pattern: pat, Owner: n, Target: n})
	}
	for _, g := range cfg.RingGroups {
		p.ringGroups[g.Name] = g
		if g.Number == "" {
			continue
		}
		pat, err := dialplan.ParsePattern(g.Number)
		if err != nil {
			return nil, fmt.Errorf("ring group %s: %w", g.Name, err)
		}
		entries = append(entries, dialplan.Entry{Kind: dialplan.KindService, Pattern: pat, Owner: g.Name, Target: "group:" + g.Name})
	}
	if cfg.Numbering.FeatureCodes {
		for _, f := range dialplan.FeatureCodes() {
			entries = append(entries, dialplan.Entry{Kind: dialplan.KindFeature, Pattern: f.Pattern(), Owner: f.Code, Target: f.Code})
		}
	}
	for _, q := range cfg.Queues {
		p.queues[q.Name] = q
		if q.Number == "" {
			continue
		}
		pat, err := dialplan.ParsePattern(q.Number)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", q.Name, err)
		}
		entries = append(entries, dialplan.Entry{Kind: dialplan.KindService, Pattern: pat, Owner: q.Name, Target: "queue:" + q.Name})
	}
	for _, m := range cfg.Menus {
		p.menus[m.Name] = m
		if m.Number == "" {
			continue
		}
		pat, err := dialplan.ParsePattern(m.Number)
		if err != nil {
			return nil, fmt.Errorf("voice menu %s: %w", m.Name, err)
		}
		entries = append(entries, dialplan.Entry{Kind: dialplan.KindService, Pattern: pat, Owner: m.Name, Target: "menu:" + m.Name})
	}
	for _, a := range cfg.Announcements {
		p.announcements[a.Name] = a
	}
	for _, t := range cfg.TimeConditions {
		p.timeConds[t.Name] = t
	}
	for _, cd := range cfg.Conditions {
		p.conds[cd.Name] = cd
	}
	for _, g := range cfg.LineGroups {
		p.lineGroups[g.Name] = g
		p.router.EmergencyVia = append(p.router.EmergencyVia, g.Name)
	}
	for _, t := range cfg.Trunks {
		p.trunks[t.Name] = t
		p.router.EmergencyVia = append(p.router.EmergencyVia, t.Name)
	}
	for _, r := range cfg.OutboundRoutes {
		pat, err := dialplan.ParsePattern(r.Pattern)
		if err != nil {
			return nil, fmt.Errorf("outbound route %s: %w", r.Name, err)
		}
		class, err := dialplan.ParseClass(r.Class)
		if err != nil {
			return nil, fmt.Errorf("outbound route %s: %w", r.Name, err)
		}
		p.router.Routes = append(p.router.Routes, dialplan.Route{Name: r.Name, Pattern: pat, Strip: r.Strip, Prepend: r.Prepend, Class: class, Via: r.Via})
		entries = append(entries, dialplan.Entry{Kind: dialplan.KindRoute, Pattern: pat, Owner: r.Name, Target: r.Name})
	}
	if pre := cfg.System.OutsidePrefix; pre != "" {
		pat, err := dialplan.ParsePattern(pre + ".")
		if err != nil {
			return nil, fmt.Errorf("outside prefix %q: %w", pre, err)
		}
		p.router.Routes = append(p.router.Routes, dialplan.Route{Name: "outside prefix", Pattern: pat, Strip: len(pre),
			Class: dialplan.ClassInternational, Via: []string{legacyVia}})
		entries = append(entries, dialplan.Entry{Kind: dialplan.KindRoute, Pattern: pat, Label: "outside prefix " + pre, Target: "outside prefix"})
	}
	// Emergency calls try every line group, then every line.
	p.router.EmergencyVia = append(p.router.EmergencyVia, legacyVia)
	for _, r := range cfg.CallerIDRules {
		p.router.CallerID = append(p.router.CallerID, dialplan.CallerIDRule{Prefix: r.Prefix, Number: r.Number, Name: r.Name, Withhold: r.Withhold})
	}
	numbers, conflicts := dialplan.NewPlan(entries)
	if conflicts != nil {
		return nil, conflicts[0]
	}
	p.numbers = numbers
	loc, err := time.LoadLocation(cfg.System.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	for _, s := range cfg.Schedules {
		ds := &dialplan.Schedule{Name: s.Name, Location: loc}
		for _, h := range s.Hours {
			hh, err := dialplan.ParseHours(h)
			if err != nil {
				return nil, fmt.Errorf("schedule %s: %w", s.Name, err)
			}
			ds.Hours = append(ds.Hours, hh)
		}
		for _, h := range s.Holidays {
			hd, err := dialplan.ParseHoliday(h)
			if err != nil {
				return nil, fmt.Errorf("schedule %s: %w", s.Name, err)
			}
			ds.Holidays = append(ds.Holidays, hd)
		}
		p.schedules[s.Name] = ds
	}
	named := map[string]bool{}
	for _, r := range cfg.InboundRoutes {
		for _, n := range r.Classifiers {
			named[n] = true
		}
	}
	for _, cl := range cfg.Classifiers {
		dc := &dialplan.Classifier{Name: cl.Name, Action: dialplan.Action(cl.Action), Anonymous: cl.Anonymous}
		for _, n := range cl.Numbers {
			pat, err := dialplan.ParsePattern(n)
			if err != nil {
				return nil, fmt.Errorf("classifier %s: %w", cl.Name, err)
			}
			dc.Numbers = append(dc.Numbers, pat)
		}
		if cl.Destination != "" {
			d, err := dialplan.ParseDestination(cl.Destination)
			if err != nil {
				return nil, fmt.Errorf("classifier %s: %w", cl.Name, err)
			}
			p.classDest[cl.Name] = d
		}
		p.routeLists[cl.Name] = dc
		if !named[cl.Name] {
			p.classifier = append(p.classifier, dc)
		}
	}
	for _, r := range cfg.ExtensionRules {
		p.rules[r.Extension] = r
	}
	return p, nil
}

// callerLists are the caller lists a call on route r meets, in order:
// the box-wide lists, then the route's own ("" route: the box-wide only).
func (p *plan) callerLists(r store.InboundRoute) []*dialplan.Classifier {
	if len(r.Classifiers) == 0 {
		return p.classifier
	}
	lists := slices.Clip(p.classifier)
	for _, n := range r.Classifiers {
		if cl, ok := p.routeLists[n]; ok {
			lists = append(lists, cl)
		}
	}
	return lists
}

// isEmergency reports whether number is an emergency number.
func (p *plan) isEmergency(number string) bool { return p.emergency[number] }

// classify tells whether digits dialled so far form a number.
func (p *plan) classify(digits string) dialState {
	if digits != "" && !dialplan.IsDialString(digits) {
		return dialInvalid
	}
	st, _ := p.numbers.Lookup(digits)
	switch st {
	case dialplan.Complete:
		return dialComplete
	case dialplan.OpenEnded:
		if len(digits) >= maxOutsideDigits {
			return dialComplete
		}
		return dialOpenEnded
	case dialplan.Invalid:
		return dialInvalid
	}
	return dialIncomplete
}

// classOf is the permission class of an extension: its rule's, else
// international with outside calls allowed and internal without.
func (p *plan) classOf(e *store.Extension) dialplan.Class {
	if e == nil {
		// An outside caller (an FXO line, a SIP peer that is no
		// extension) never reaches an outside line: the first rule
		// against toll fraud. Emergency numbers still route.
		return dialplan.ClassInternal
	}
	if r, ok := p.rules[e.Number]; ok && r.Class != "" {
		if c, err := dialplan.ParseClass(r.Class); err == nil {
			return c
		}
	}
	if e.OutsideCalls {
		return dialplan.ClassInternational
	}
	return dialplan.ClassInternal
}

// open reports whether the named schedule is open at t (an unknown
// schedule counts as open, so a route never silently goes nowhere).
func (p *plan) open(name string, t time.Time) bool {
	s, ok := p.schedules[name]
	return !ok || s.Open(t)
}

// inboundDestination decides where a call arriving on FXO port goes, with
// the inbound route that decided it ("" for the line's own destination).
func (p *plan) inboundDestination(port int, now time.Time) (dialplan.Destination, store.InboundRoute, bool) {
	for _, r := range p.cfg.InboundRoutes {
		if len(r.Lines) > 0 && !slices.Contains(r.Lines, port) || isTrunkRoute(r) {
			continue
		}
		d := r.Destination
		if r.Schedule != "" && r.ClosedDestination != "" && !p.open(r.Schedule, now) {
			d = r.ClosedDestination
		}
		dest, err := dialplan.ParseDestination(d)
		if err != nil {
			return dialplan.Destination{}, r, false
		}
		return dest, r, true
	}
	n := fxoDestination(p.cfg, port)
	if n == "" {
		return dialplan.Destination{}, store.InboundRoute{}, false
	}
	return dialplan.Destination{Kind: dialplan.DestExtension, Value: n}, store.InboundRoute{}, true
}

// isTrunkRoute reports whether an inbound route is for trunk calls.
func isTrunkRoute(r store.InboundRoute) bool { return len(r.Trunks) > 0 || len(r.DIDs) > 0 }

// trunkDestination decides where a call from trunk to did goes: the
// first trunk route that matches, else the trunk's own DID table.
func (p *plan) trunkDestination(trunk, did string, now time.Time) (dialplan.Destination, store.InboundRoute, bool) {
	for _, r := range p.cfg.InboundRoutes {
		if !isTrunkRoute(r) || len(r.Trunks) > 0 && !slices.Contains(r.Trunks, trunk) ||
			len(r.DIDs) > 0 && !slices.ContainsFunc(r.DIDs, func(d string) bool { return sameNumber(d, did) }) {
			continue
		}
		d := r.Destination
		if r.Schedule != "" && r.ClosedDestination != "" && !p.open(r.Schedule, now) {
			d = r.ClosedDestination
		}
		dest, err := dialplan.ParseDestination(d)
		return dest, r, err == nil
	}
	t, ok := p.trunks[trunk]
	if !ok {
		return dialplan.Destination{}, store.InboundRoute{}, false
	}
	for _, d := range t.DIDs {
		if sameNumber(d.Number, did) {
			dest, err := dialplan.ParseDestination(d.Destination)
			return dest, store.InboundRoute{}, err == nil
		}
	}
	return dialplan.Destination{}, store.InboundRoute{}, false
}

// sameNumber compares DIDs with or without a leading + (providers differ).
func sameNumber(a, b string) bool {
	return strings.TrimPrefix(a, "+") == strings.TrimPrefix(b, "+")
}

// trunkOf returns the trunk name of a trunk channel's endpoint
// ("trunk:NAME"), or "".
func trunkOf(i channel.Info) string {
	name, _ := strings.CutPrefix(i.Endpoint, "trunk:")
	if name == i.Endpoint {
		return ""
	}
	return name
}

// runtime is the dial plan's memory across calls and configuration
// changes: ring-group distributors, line-group round robins, and the
// counters behind concurrent-call limits.
type runtime struct {
	mu     sync.Mutex
	plan   *plan
	dists  map[string]*dialplan.Distributor
	rr     map[string]int
	active map[string]int
	queues map[string]*queueState
	// intn is the random source of the random strategy (tests replace it).
	intn func(n int) int
	// refuseTone is how long an answered caller hears the tone of a
	// refusal (defaultRefuseTone when 0; tests shorten it).
	refuseTone time.Duration
	// mem saves the strategies' memory across restarts (memory.go).
	mem memory
}

// plan returns the compiled plan of cfg, compiling it on first use.
func (x *Exchange) plan(cfg *store.Config) *plan {
	rt := &x.dp
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.plan != nil && rt.plan.cfg == cfg {
		return rt.plan
	}
	p, err := compilePlan(cfg)
	if err != nil {
		x.log.Error("dial plan", "err", err)
	}
	if p == nil {
		// Nothing compiles: an empty numbering plan refuses every number.
		p = &plan{cfg: cfg}
		p.numbers, _ = dialplan.NewPlan(nil)
	}
	rt.plan = p
	return p
}

// distributor returns the memory of ring group name for strategy (a new
// one when the strategy changed).
func (x *Exchange) distributor(name string, s dialplan.Strategy) *dialplan.Distributor {
	rt := &x.dp
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.dists == nil {
		rt.dists = map[string]*dialplan.Distributor{}
	}
	d := rt.dists[name]
	if d == nil || d.Strategy() != s {
		d = dialplan.NewDistributor(s, x.intnLocked())
		d.OnChange(x.memoryChanged)
		rt.dists[name] = d
	}
	return d
}

// intnLocked is the random source of new distributors (rt.mu held).
func (x *Exchange) intnLocked() func(n int) int {
	if x.dp.intn != nil {
		return x.dp.intn
	}
	return rand.IntN
}

// acquire takes one of max concurrent slots of key (max 0: unlimited),
// returning the release function, or false when all are taken.
func (x *Exchange) acquire(key string, max int) (func(), bool) {
	rt := &x.dp
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.active == nil {
		rt.active = map[string]int{}
	}
	if max > 0 && rt.active[key] >= max {
		return nil, false
	}
	rt.active[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			rt.mu.Lock()
			rt.active[key]--
			rt.mu.Unlock()
		})
	}, true
}

// huntOrder returns the lines of a line group in the order to try them.
func (x *Exchange) huntOrder(g store.LineGroup) []int {
	lines := slices.Clone(g.Lines)
	slices.Sort(lines)
	switch g.Hunt {
	case store.HuntDescending:
		slices.Reverse(lines)
	case store.HuntRoundRobin:
		rt := &x.dp
		rt.mu.Lock()
		if rt.rr == nil {
			rt.rr = map[string]int{}
		}
		last := rt.rr[g.Name]
		rt.mu.Unlock()
		i, _ := slices.BinarySearch(lines, last+1)
		lines = append(lines[i:], lines[:i]...)
	}
	return lines
}

// usedLine records the line a round-robin group used last.
func (x *Exchange) usedLine(group string, line int) {
	x.dp.mu.Lock()
	if x.dp.rr == nil {
		x.dp.rr = map[string]int{}
	}
	changed := x.dp.rr[group] != line
	x.dp.rr[group] = line
	x.dp.mu.Unlock()
	if changed {
		x.memoryChanged()
	}
}

// causeOf maps the dial plan's routing errors to call causes.
func causeOf(err error) channel.Cause {
	switch {
	case errors.Is(err, dialplan.ErrForbidden):
		return channel.CauseForbidden
	case errors.Is(err, dialplan.ErrNoRoute):
		return channel.CauseNotFound
	}
	return channel.CauseFailure
}

// condition maps a failed attempt's cause to the forwarding condition.
func condition(c channel.Cause) dialplan.Condition {
	switch c {
	case channel.CauseBusy, channel.CauseRejected:
		return dialplan.CondBusy
	case channel.CauseNoAnswer:
		return dialplan.CondNoAnswer
	case channel.CauseNotFound:
		return dialplan.CondNoRoute
	}
	return dialplan.CondUnavailable
}

// findExtension returns the extension with the given number.
func findExtension(cfg *store.Config, number string) (store.Extension, bool) {
	for _, e := range cfg.Extensions {
		if e.Number == number {
			return e, true
		}
	}
	return store.Extension{}, false
}

// extensionForFXS returns the extension an FXS port (1-based) belongs to.
func extensionForFXS(cfg *store.Config, port int) (store.Extension, bool) {
	for _, e := range cfg.Extensions {
		if e.FXSPort == port {
			return e, true
		}
	}
	return store.Extension{}, false
}

// fxoDestination is the extension an incoming call on FXO port (1-based)
// reaches when no inbound route covers the line.
func fxoDestination(cfg *store.Config, port int) string {
	for _, l := range cfg.FXOLines {
		if l.Port == port {
			return l.Destination
		}
	}
	return ""
}

// portNumber parses the N of an endpoint "fxs:N" / "fxo:N".
func portNumber(endpoint string) (int, bool) {
	i := len(endpoint) - 1
	for i >= 0 && endpoint[i] != ':' {
		i--
	}
	n, err := strconv.Atoi(endpoint[i+1:])
	return n, err == nil
}
