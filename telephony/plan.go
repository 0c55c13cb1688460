package telephony

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// dest is a destination as the plan compiled it: its kind and value,
// parsed once when the configuration loaded. The zero dest is "none".
type dest = dialplan.Destination

// member is a ring group's, queue's or follow-me list's member: the
// destination, its ring time, and the key the strategies remember it by
// (its destination as configured).
type member struct {
	key  string
	d    dest
	ring time.Duration
}

// ringGroup, queueDef, menu, announcement, timeCond, condDef and rule are
// the dial plan's objects with their destinations compiled.
type ringGroup struct {
	store.RingGroup
	members []member
	timeout dest
}

type queueDef struct {
	store.Queue
	members []member
	timeout dest
}

type menu struct {
	store.Menu
	keys map[byte]dest
	def  dest
}

type announcement struct {
	store.Announcement
	then dest
}

type timeCond struct {
	store.TimeCondition
	open, closed dest
}

type condDef struct {
	store.Condition
	first                   dest
	noAnswer, busy, noRoute dest
}

type rule struct {
	store.ExtensionRule
	always, busy, noAnswer, unavailable dest
	followMe                            []member
}

type inboundRoute struct {
	store.InboundRoute
	dest, closed dest
	// faxDetect is where a call that a menu or an announcement answered
	// goes when it hears a calling fax machine ("" kind: nowhere).
	faxDetect dest
}

// special is what a literal number of the features stands for.
type special struct {
	kind specialKind
	// slot is a park slot's number.
	slot string
}

type specialKind int

const (
	specialPark specialKind = iota + 1
	specialSlot
	specialGroupPickup
	specialConference
)

// plan is one configuration snapshot compiled for routing. It is built
// once per snapshot and shared by the calls that started under it; no
// destination is parsed during a call.
type plan struct {
	// loc is the box's time zone (UTC when it names none the box knows).
	loc        *time.Location
	cfg        *store.Config
	numbers    *dialplan.Plan
	router     dialplan.Router
	emergency  map[string]bool
	exts       map[string]*store.Extension
	fxsExt     map[int]*store.Extension
	lineGroups map[string]store.LineGroup
	trunks     map[string]store.Trunk
	ringGroups map[string]*ringGroup
	menus      map[string]*menu
	// announcements by name (announce:NAME).
	announcements map[string]*announcement
	// timeConds and conds by name (time:NAME, cond:NAME).
	timeConds map[string]*timeCond
	conds     map[string]*condDef
	queues    map[string]*queueDef
	rules     map[string]*rule
	schedules map[string]*dialplan.Schedule
	rooms     map[string]*store.ConferenceRoom
	pages     map[string]*store.PagingGroup
	moh       map[string]*store.MOHClass
	// faxes are the fax receivers by name (fax:NAME).
	faxes map[string]*store.FaxReceiver
	// services are the destinations of literal internal numbers (short
	// numbers, ring groups', queues', menus', rooms' and paging groups'
	// numbers), by number.
	services map[string]dest
	// specials are the features' own literal numbers: the park code, the
	// park slots, the group pickup codes.
	specials map[string]special
	// slots are the park slots in order.
	slots []string
	// inbound are the inbound routes, fxoDest each line's own
	// destination, trunkDIDs each trunk's DID table.
	inbound   []inboundRoute
	fxoDest   map[int]dest
	trunkDIDs map[string][]struct {
		number string
		d      dest
	}
	// classifier are the box-wide caller lists (those no inbound route
	// names), in document order; routeLists are every list by name, for
	// the lists a route names.
	classifier []*dialplan.Classifier
	routeLists map[string]*dialplan.Classifier
	// classDest is the destination of each "route" classifier, by name.
	classDest map[string]dest
	// parkTimeout is where a parked call goes after its time (zero: the
	// parker).
	parkTimeout dest
	// disas and callbacks by name (disa:NAME, callback:NAME).
	disas     map[string]*disaDef
	callbacks map[string]*callbackDef
}

// disaDef and callbackDef are the DISA and callback objects with their
// callers' lists and classes compiled (disa.go, callback.go).
type disaDef struct {
	store.DISA
	list  *dialplan.Classifier
	class dialplan.Class
}

type callbackDef struct {
	store.Callback
	list  *dialplan.Classifier
	class dialplan.Class
	to    dest
}

// compilePlan turns a validated configuration into routing tables. A
// configuration the store validated always compiles; if one does not
// (a database edited by hand), the dial-plan sections that are not kept
// alone (compileSteps) are dropped and the box routes as it did before
// them, and the error says why.
func compilePlan(cfg *store.Config) (*plan, error) {
	p, err := compileFull(cfg)
	if err == nil {
		return p, nil
	}
	basic := *cfg
	var empty store.Config
	for _, st := range compileSteps {
		if !st.keep {
			basic.CopySection(&empty, st.section)
		}
	}
	p, err2 := compileFull(&basic)
	if err2 != nil {
		return nil, fmt.Errorf("dial plan: %w; even without its dial plan: %v", err, err2)
	}
	p.cfg = cfg
	return p, fmt.Errorf("dial plan ignored: %w", err)
}

// compiler collects the first error of the destinations it parses, and
// the numbering plan's entries.
type compiler struct {
	err     error
	entries []dialplan.Entry
}

func (cc *compiler) dest(what, s string) dest {
	if s == "" {
		return dest{}
	}
	d, err := dialplan.ParseDestination(s)
	if err != nil && cc.err == nil {
		cc.err = fmt.Errorf("%s: %w", what, err)
	}
	return d
}

func (cc *compiler) members(what string, ms []store.GroupMember) []member {
	out := make([]member, 0, len(ms))
	for i, m := range ms {
		if m.Off {
			continue
		}
		out = append(out, member{key: m.Destination, d: cc.dest(fmt.Sprintf("%s member %d", what, i+1), m.Destination), ring: ringTime(m.RingS)})
	}
	return out
}

// literal puts a literal number into the numbering plan.
func (cc *compiler) literal(kind dialplan.Kind, number, owner, label string) error {
	pat, err := dialplan.ParsePattern(number)
	if err != nil {
		return fmt.Errorf("%s %q: %w", label, number, err)
	}
	cc.entries = append(cc.entries, dialplan.Entry{Kind: kind, Pattern: pat, Owner: owner, Label: label})
	return nil
}

// service makes number (if any) an internal number leading to d.
func (p *plan) service(cc *compiler, number, label string, d dest) error {
	if number == "" {
		return nil
	}
	p.services[number] = d
	return cc.literal(dialplan.KindService, number, number, label+" "+number)
}

// compileStep compiles one dial-plan section into the plan.
type compileStep struct {
	section string
	// compile puts the section into p; nil for a section the calls read
	// from p.cfg as they go (limits, voicemail, pickup groups, call
	// recording).
	compile func(p *plan, cfg *store.Config, cc *compiler) error
	// keep: the section stays in the plan compiled without the dial plan
	// when the whole does not compile (compilePlan).
	keep bool
}

// compileSteps are the plan compiler's table of the dial-plan sections
// (one entry per section of store.Sections, in document order; a test
// holds the two together). Steps may rely on earlier steps only.
var compileSteps = []compileStep{
	{section: "numbering", compile: (*plan).compileNumbering},
	{section: "line_groups", compile: (*plan).compileLineGroups, keep: true},
	{section: "outbound_routes", compile: (*plan).compileOutboundRoutes},
	{section: "caller_id_rules", compile: (*plan).compileCallerIDRules, keep: true},
	{section: "inbound_routes", compile: (*plan).compileInboundRoutes},
	{section: "ring_groups", compile: (*plan).compileRingGroups},
	{section: "queues", compile: (*plan).compileQueues},
	{section: "ivr_menus", compile: (*plan).compileMenus},
	{section: "announcements", compile: (*plan).compileAnnouncements},
	{section: "time_conditions", compile: (*plan).compileTimeConditions},
	{section: "conditions", compile: (*plan).compileConditions},
	{section: "schedules", compile: (*plan).compileSchedules, keep: true},
	{section: "classifiers", compile: (*plan).compileClassifiers},
	{section: "extension_rules", compile: (*plan).compileExtensionRules},
	{section: "limits", keep: true},
	{section: "trunks", compile: (*plan).compileTrunks, keep: true},
	{section: "voicemail", keep: true},
	{section: "features", compile: (*plan).compileFeatures},
	{section: "pickup_groups"},
	{section: "conference_rooms", compile: (*plan).compileConferenceRooms},
	{section: "paging_groups", compile: (*plan).compilePagingGroups},
	{section: "moh_classes", compile: (*plan).compileMOHClasses},
	{section: "fax_receivers", compile: (*plan).compileFaxReceivers},
	{section: "call_recording", keep: true},
	{section: "disa", compile: (*plan).compileDISA},
	{section: "callbacks", compile: (*plan).compileCallbacks},
}

func compileFull(cfg *store.Config) (*plan, error) {
	p := &plan{cfg: cfg, emergency: map[string]bool{}, exts: map[string]*store.Extension{}, fxsExt: map[int]*store.Extension{},
		lineGroups: map[string]store.LineGroup{}, trunks: map[string]store.Trunk{},
		ringGroups: map[string]*ringGroup{}, menus: map[string]*menu{}, queues: map[string]*queueDef{}, rules: map[string]*rule{},
		schedules: map[string]*dialplan.Schedule{}, classDest: map[string]dest{},
		routeLists: map[string]*dialplan.Classifier{}, announcements: map[string]*announcement{},
		timeConds: map[string]*timeCond{}, conds: map[string]*condDef{}, rooms: map[string]*store.ConferenceRoom{},
		pages: map[string]*store.PagingGroup{}, moh: map[string]*store.MOHClass{}, services: map[string]dest{},
		faxes: map[string]*store.FaxReceiver{}, specials: map[string]special{}, fxoDest: map[int]dest{}, disas: map[string]*disaDef{}, callbacks: map[string]*callbackDef{}}
	p.trunkDIDs = map[string][]struct {
		number string
		d      dest
	}{}
	var cc compiler
	for i := range cfg.Extensions {
		e := &cfg.Extensions[i]
		p.exts[e.Number] = e
		if e.FXSPort > 0 {
			p.fxsExt[e.FXSPort] = e
		}
		if err := cc.literal(dialplan.KindExtension, e.Number, e.Number, "extension "+e.Number); err != nil {
			return nil, err
		}
	}
	for _, l := range cfg.FXOLines {
		if l.Destination != "" {
			p.fxoDest[l.Port] = dest{Kind: dialplan.DestExtension, Value: l.Destination}
		}
	}
	for _, st := range compileSteps {
		if st.compile == nil {
			continue
		}
		if err := st.compile(p, cfg, &cc); err != nil {
			return nil, err
		}
	}
	if pre := cfg.System.OutsidePrefix; pre != "" {
		pat, err := dialplan.ParsePattern(pre + ".")
		if err != nil {
			return nil, fmt.Errorf("outside prefix %q: %w", pre, err)
		}
		p.router.Routes = append(p.router.Routes, dialplan.Route{Name: "outside prefix", Pattern: pat, Strip: len(pre),
			Class: dialplan.ClassInternational, Via: []string{legacyVia}})
		cc.entries = append(cc.entries, dialplan.Entry{Kind: dialplan.KindRoute, Pattern: pat, Label: "outside prefix " + pre, Target: "outside prefix"})
	}
	// Emergency calls try every line group and trunk, then every line.
	p.router.EmergencyVia = append(p.router.EmergencyVia, legacyVia)
	numbers, conflicts := dialplan.NewPlan(cc.entries)
	if conflicts != nil {
		return nil, conflicts[0]
	}
	p.numbers = numbers
	if cc.err != nil {
		return nil, cc.err
	}
	return p, nil
}

func (p *plan) compileNumbering(cfg *store.Config, cc *compiler) error {
	for _, s := range cfg.Numbering.ShortNumbers {
		p.services[s.Number] = cc.dest("short number "+s.Number, s.Destination)
		if err := cc.literal(dialplan.KindShort, s.Number, s.Number, "short number "+s.Number); err != nil {
			return err
		}
	}
	for _, n := range cfg.Numbering.EmergencyNumbers {
		p.emergency[n] = true
		if err := cc.literal(dialplan.KindEmergency, n, n, "emergency number "+n); err != nil {
			return err
		}
	}
	if cfg.Numbering.FeatureCodes {
		for _, f := range dialplan.FeatureCodes() {
			cc.entries = append(cc.entries, dialplan.Entry{Kind: dialplan.KindFeature, Pattern: f.Pattern(), Owner: f.Code})
		}
	}
	return nil
}

func (p *plan) compileLineGroups(cfg *store.Config, cc *compiler) error {
	for _, g := range cfg.LineGroups {
		p.lineGroups[g.Name] = g
		p.router.EmergencyVia = append(p.router.EmergencyVia, g.Name)
	}
	return nil
}

func (p *plan) compileOutboundRoutes(cfg *store.Config, cc *compiler) error {
	for _, r := range cfg.OutboundRoutes {
		pat, err := dialplan.ParsePattern(r.Pattern)
		if err != nil {
			return fmt.Errorf("outbound route %s: %w", r.Name, err)
		}
		class, err := dialplan.ParseClass(r.Class)
		if err != nil {
			return fmt.Errorf("outbound route %s: %w", r.Name, err)
		}
		p.router.Routes = append(p.router.Routes, dialplan.Route{Name: r.Name, Pattern: pat, Strip: r.Strip, Prepend: r.Prepend, Class: class, Via: r.Via,
			CallerID: dialplan.CallerID{Number: r.CallerID, Name: r.CallerName}, OverrideCallerID: r.OverrideCallerID})
		cc.entries = append(cc.entries, dialplan.Entry{Kind: dialplan.KindRoute, Pattern: pat, Owner: r.Name, Target: r.Name})
	}
	return nil
}

func (p *plan) compileCallerIDRules(cfg *store.Config, cc *compiler) error {
	for _, r := range cfg.CallerIDRules {
		p.router.CallerID = append(p.router.CallerID, dialplan.CallerIDRule{Prefix: r.Prefix, Number: r.Number, Name: r.Name, Withhold: r.Withhold})
	}
	return nil
}

func (p *plan) compileInboundRoutes(cfg *store.Config, cc *compiler) error {
	for _, r := range cfg.InboundRoutes {
		p.inbound = append(p.inbound, inboundRoute{InboundRoute: r, dest: cc.dest("inbound route "+r.Name, r.Destination),
			closed: cc.dest("inbound route "+r.Name, r.ClosedDestination), faxDetect: cc.dest("inbound route "+r.Name, r.FaxDetect)})
	}
	return nil
}

func (p *plan) compileRingGroups(cfg *store.Config, cc *compiler) error {
	for _, g := range cfg.RingGroups {
		p.ringGroups[g.Name] = &ringGroup{RingGroup: g, members: cc.members("ring group "+g.Name, g.Members), timeout: cc.dest("ring group "+g.Name+" timeout", g.Timeout)}
		if err := p.service(cc, g.Number, "ring group "+g.Name, dest{Kind: dialplan.DestGroup, Value: g.Name}); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) compileQueues(cfg *store.Config, cc *compiler) error {
	for _, q := range cfg.Queues {
		p.queues[q.Name] = &queueDef{Queue: q, members: cc.members("queue "+q.Name, q.Members), timeout: cc.dest("queue "+q.Name+" timeout", q.Timeout)}
		if err := p.service(cc, q.Number, "queue "+q.Name, dest{Kind: dialplan.DestQueue, Value: q.Name}); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) compileMenus(cfg *store.Config, cc *compiler) error {
	for _, m := range cfg.Menus {
		mm := &menu{Menu: m, keys: map[byte]dest{}, def: cc.dest("voice menu "+m.Name+" default", m.DefaultDestination)}
		for k, d := range m.Keys {
			if len(k) == 1 {
				mm.keys[k[0]] = cc.dest("voice menu "+m.Name+" key "+k, d)
			}
		}
		p.menus[m.Name] = mm
		if err := p.service(cc, m.Number, "voice menu "+m.Name, dest{Kind: dialplan.DestMenu, Value: m.Name}); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) compileAnnouncements(cfg *store.Config, cc *compiler) error {
	for _, a := range cfg.Announcements {
		p.announcements[a.Name] = &announcement{Announcement: a, then: cc.dest("announcement "+a.Name, a.Then)}
	}
	return nil
}

func (p *plan) compileTimeConditions(cfg *store.Config, cc *compiler) error {
	for _, t := range cfg.TimeConditions {
		p.timeConds[t.Name] = &timeCond{TimeCondition: t, open: cc.dest("time condition "+t.Name, t.Open), closed: cc.dest("time condition "+t.Name, t.Closed)}
	}
	return nil
}

func (p *plan) compileConditions(cfg *store.Config, cc *compiler) error {
	for _, cd := range cfg.Conditions {
		w := "condition " + cd.Name
		p.conds[cd.Name] = &condDef{Condition: cd, first: cc.dest(w, cd.Destination), noAnswer: cc.dest(w, cd.NoAnswer),
			busy: cc.dest(w, cd.Busy), noRoute: cc.dest(w, cd.NoRoute)}
	}
	return nil
}

func (p *plan) compileSchedules(cfg *store.Config, cc *compiler) error {
	loc, err := time.LoadLocation(cfg.System.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	p.loc = loc
	for _, s := range cfg.Schedules {
		ds := &dialplan.Schedule{Name: s.Name, Location: loc}
		for _, h := range s.Hours {
			hh, err := dialplan.ParseHours(h)
			if err != nil {
				return fmt.Errorf("schedule %s: %w", s.Name, err)
			}
			ds.Hours = append(ds.Hours, hh)
		}
		for _, h := range s.Holidays {
			hd, err := dialplan.ParseHoliday(h)
			if err != nil {
				return fmt.Errorf("schedule %s: %w", s.Name, err)
			}
			ds.Holidays = append(ds.Holidays, hd)
		}
		p.schedules[s.Name] = ds
	}
	return nil
}

// compileClassifiers compiles the caller lists: those no inbound route
// names apply box-wide, the others on their routes only.
func (p *plan) compileClassifiers(cfg *store.Config, cc *compiler) error {
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
				return fmt.Errorf("classifier %s: %w", cl.Name, err)
			}
			dc.Numbers = append(dc.Numbers, pat)
		}
		if cl.Destination != "" {
			p.classDest[cl.Name] = cc.dest("classifier "+cl.Name, cl.Destination)
		}
		p.routeLists[cl.Name] = dc
		if !named[cl.Name] {
			p.classifier = append(p.classifier, dc)
		}
	}
	return nil
}

func (p *plan) compileExtensionRules(cfg *store.Config, cc *compiler) error {
	for _, r := range cfg.ExtensionRules {
		w := "extension rule " + r.Extension
		p.rules[r.Extension] = &rule{ExtensionRule: r, always: cc.dest(w, r.ForwardAlways), busy: cc.dest(w, r.ForwardBusy),
			noAnswer: cc.dest(w, r.ForwardNoAnswer), unavailable: cc.dest(w, r.ForwardUnavailable), followMe: cc.members(w+" follow-me", r.FollowMe)}
	}
	return nil
}

func (p *plan) compileTrunks(cfg *store.Config, cc *compiler) error {
	for _, t := range cfg.Trunks {
		p.trunks[t.Name] = t
		p.router.EmergencyVia = append(p.router.EmergencyVia, t.Name)
		for _, d := range t.DIDs {
			p.trunkDIDs[t.Name] = append(p.trunkDIDs[t.Name], struct {
				number string
				d      dest
			}{d.Number, cc.dest("trunk "+t.Name+" DID "+d.Number, d.Destination)})
		}
	}
	return nil
}

func (p *plan) compileConferenceRooms(cfg *store.Config, cc *compiler) error {
	for i := range cfg.ConferenceRooms {
		r := &cfg.ConferenceRooms[i]
		p.rooms[r.Name] = r
		if err := p.service(cc, r.Number, "conference room "+r.Name, dest{Kind: dialplan.DestConf, Value: r.Name}); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) compileFaxReceivers(cfg *store.Config, cc *compiler) error {
	for i := range cfg.FaxReceivers {
		f := &cfg.FaxReceivers[i]
		p.faxes[f.Name] = f
		if err := p.service(cc, f.Number, "fax receiver "+f.Name, dest{Kind: dialplan.DestFax, Value: f.Name}); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) compilePagingGroups(cfg *store.Config, cc *compiler) error {
	for i := range cfg.PagingGroups {
		g := &cfg.PagingGroups[i]
		p.pages[g.Name] = g
		if err := p.service(cc, g.Number, "paging group "+g.Name, dest{Kind: dialplan.DestPage, Value: g.Name}); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) compileMOHClasses(cfg *store.Config, cc *compiler) error {
	for i := range cfg.MOHClasses {
		p.moh[cfg.MOHClasses[i].Name] = &cfg.MOHClasses[i]
	}
	return nil
}

// accessList compiles the allowed numbers of a DISA or callback.
func accessList(what, name string, numbers []string) (*dialplan.Classifier, error) {
	cl := &dialplan.Classifier{Name: name}
	for _, n := range numbers {
		pat, err := dialplan.ParsePattern(n)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", what, name, err)
		}
		cl.Numbers = append(cl.Numbers, pat)
	}
	return cl, nil
}

// compileDISA compiles the DISA objects.
func (p *plan) compileDISA(cfg *store.Config, cc *compiler) error {
	for _, d := range cfg.DISA {
		cl, err := accessList("DISA", d.Name, d.Numbers)
		if err != nil {
			return err
		}
		class, err := dialplan.ParseClass(d.Class)
		if err != nil {
			return fmt.Errorf("DISA %s: %w", d.Name, err)
		}
		p.disas[d.Name] = &disaDef{DISA: d, list: cl, class: class}
	}
	return nil
}

// compileCallbacks compiles the callback objects.
func (p *plan) compileCallbacks(cfg *store.Config, cc *compiler) error {
	for _, cb := range cfg.Callbacks {
		cl, err := accessList("callback", cb.Name, cb.Numbers)
		if err != nil {
			return err
		}
		class, err := dialplan.ParseClass(cb.Class)
		if err != nil {
			return fmt.Errorf("callback %s: %w", cb.Name, err)
		}
		p.callbacks[cb.Name] = &callbackDef{Callback: cb, list: cl, class: class, to: cc.dest("callback "+cb.Name, cb.Destination)}
	}
	return nil
}

// compileFeatures puts the features' codes into the numbering plan.
func (p *plan) compileFeatures(cfg *store.Config, cc *compiler) error {
	f := cfg.Features
	p.parkTimeout = cc.dest("park timeout", f.ParkTimeoutDestination)
	literal := cc.literal
	if f.ParkCode != "" && f.ParkSlots != "" {
		p.slots = store.ParkSlotNumbers(f.ParkSlots)
		if p.slots == nil {
			return fmt.Errorf("park slots %q do not parse", f.ParkSlots)
		}
		p.specials[f.ParkCode] = special{kind: specialPark}
		if err := literal(dialplan.KindService, f.ParkCode, f.ParkCode, "park code "+f.ParkCode); err != nil {
			return err
		}
		for _, s := range p.slots {
			p.specials[s] = special{kind: specialSlot, slot: s}
			if err := literal(dialplan.KindService, s, s, "park slot "+s); err != nil {
				return err
			}
		}
	}
	if code := f.ConferenceCode; code != "" {
		p.specials[code] = special{kind: specialConference}
		if err := literal(dialplan.KindService, code, code, "conference code "+code); err != nil {
			return err
		}
	}
	for _, code := range f.GroupPickupCodes {
		p.specials[code] = special{kind: specialGroupPickup}
		if err := literal(dialplan.KindFeature, code, code, "pickup code "+code); err != nil {
			return err
		}
	}
	extLen := cfg.System.ExtensionLength
	for _, code := range []string{f.DirectedPickupCode, f.IntercomCode} {
		if code == "" || extLen <= 0 {
			continue
		}
		pat, err := dialplan.ParsePattern(code + strings.Repeat("X", extLen))
		if err != nil {
			return fmt.Errorf("feature code %q: %w", code, err)
		}
		cc.entries = append(cc.entries, dialplan.Entry{Kind: dialplan.KindFeature, Pattern: pat, Owner: code})
	}
	return nil
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
	if rest, ok := p.withholding(digits); ok {
		// *67 and a number: the number decides when dialling is done.
		if rest == "" {
			return dialIncomplete
		}
		return p.classify(rest)
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

// withholding splits digits that begin with the withhold code (*67 and
// the number) into the number; false when they do not.
func (p *plan) withholding(digits string) (string, bool) {
	if !p.cfg.Numbering.FeatureCodes {
		return "", false
	}
	fc, rest, ok := dialplan.SplitFeature(digits)
	if !ok || fc.Kind != dialplan.Withhold {
		return "", false
	}
	return rest, true
}

// classOf is the permission class of an extension: its rule's, else
// international with outside calls allowed and internal without.
func (p *plan) classOf(e *store.Extension) dialplan.Class {
	c, _ := p.classWhy(e)
	return c
}

// classWhy is classOf with the reason, in words, for the route tester.
func (p *plan) classWhy(e *store.Extension) (dialplan.Class, string) {
	if e == nil {
		// An outside caller (an FXO line, a SIP peer that is no
		// extension) never reaches an outside line: the first rule
		// against toll fraud. Emergency numbers still route.
		return dialplan.ClassInternal, "an outside caller is internal: it never reaches an outside line (emergency numbers still do)"
	}
	if r, ok := p.rules[e.Number]; ok && r.Class != "" {
		if c, err := dialplan.ParseClass(r.Class); err == nil {
			return c, "extension " + e.Number + "'s rule sets it"
		}
	}
	if e.OutsideCalls {
		return dialplan.ClassInternational, "extension " + e.Number + " may call outside lines"
	}
	return dialplan.ClassInternal, "extension " + e.Number + " may not call outside lines"
}

// numberTarget is what a whole number leads to under the numbering plan.
type numberTarget struct {
	entry dialplan.Entry
	// dest is an extension's or an internal number's destination;
	// special a feature's own number (park, a slot, a pickup code).
	dest    dest
	special *special
}

// lookupNumber resolves a number the way a call reaches it
// (router.reachNumber): false when the plan has no such number. A
// number of no internal kind (entry.Kind KindRoute or an emergency
// number) goes out on an outbound route.
func (p *plan) lookupNumber(number string) (numberTarget, bool) {
	if !dialplan.IsDialString(number) {
		return numberTarget{}, false
	}
	st, e := p.numbers.Lookup(number)
	if st != dialplan.Complete && st != dialplan.OpenEnded {
		return numberTarget{}, false
	}
	t := numberTarget{entry: e}
	switch e.Kind {
	case dialplan.KindExtension:
		t.dest = dest{Kind: dialplan.DestExtension, Value: number}
	case dialplan.KindShort, dialplan.KindService:
		if sp, ok := p.specials[number]; ok {
			t.special = &sp
			return t, true
		}
		d, ok := p.services[number]
		if !ok {
			return t, false
		}
		t.dest = d
	}
	return t, true
}

// selectOutbound picks the outbound route of number for a caller of
// class (dialplan.Router.Select with the plan's emergency numbers).
func (p *plan) selectOutbound(number string, class dialplan.Class) (dialplan.Outbound, error) {
	return p.router.Select(number, class, p.isEmergency)
}

// timeWay is where time condition t sends a call at now, and which way
// ("open" or "closed") that is.
func (p *plan) timeWay(t *timeCond, now time.Time) (dest, string) {
	if !p.open(t.Schedule, now) {
		return t.closed, "closed"
	}
	return t.open, "open"
}

// classOfExt is classOf by number ("": an outside caller).
func (p *plan) classOfExt(ext string) dialplan.Class {
	return p.classOf(p.exts[ext])
}

// open reports whether the named schedule is open at t (an unknown
// schedule counts as open, so a route never silently goes nowhere).
func (p *plan) open(name string, t time.Time) bool {
	s, ok := p.schedules[name]
	return !ok || s.Open(t)
}

// inboundDestination decides where a call arriving on FXO port goes, with
// the inbound route that decided it (nil for the line's own destination).
func (p *plan) inboundDestination(port int, now time.Time) (dest, *inboundRoute, bool) {
	for i := range p.inbound {
		r := &p.inbound[i]
		if len(r.Lines) > 0 && !slices.Contains(r.Lines, port) || isTrunkRoute(r.InboundRoute) {
			continue
		}
		d := r.dest
		if r.Schedule != "" && r.closed.Kind != "" && !p.open(r.Schedule, now) {
			d = r.closed
		}
		return d, r, true
	}
	d, ok := p.fxoDest[port]
	return d, nil, ok
}

// isTrunkRoute reports whether an inbound route is for trunk calls.
func isTrunkRoute(r store.InboundRoute) bool { return len(r.Trunks) > 0 || len(r.DIDs) > 0 }

// trunkDestination decides where a call from trunk to did goes: the
// first trunk route that matches, else the trunk's own DID table.
func (p *plan) trunkDestination(trunk, did string, now time.Time) (dest, *inboundRoute, bool) {
	for i := range p.inbound {
		r := &p.inbound[i]
		if !isTrunkRoute(r.InboundRoute) || len(r.Trunks) > 0 && !slices.Contains(r.Trunks, trunk) ||
			len(r.DIDs) > 0 && !slices.ContainsFunc(r.DIDs, func(d string) bool { return sameNumber(d, did) }) {
			continue
		}
		d := r.dest
		if r.Schedule != "" && r.closed.Kind != "" && !p.open(r.Schedule, now) {
			d = r.closed
		}
		return d, r, true
	}
	for _, d := range p.trunkDIDs[trunk] {
		if sameNumber(d.number, did) {
			return d.d, nil, true
		}
	}
	return dest{}, nil, false
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

// ringTime is a member's ring time (the default when 0).
func ringTime(s int) time.Duration {
	if s <= 0 {
		s = store.DefaultMemberRingS
	}
	return time.Duration(s) * time.Second
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

// findExtension returns the extension with the given number.
func findExtension(cfg *store.Config, number string) (store.Extension, bool) {
	for _, e := range cfg.Extensions {
		if e.Number == number {
			return e, true
		}
	}
	return store.Extension{}, false
}

// location is the box's time zone.
func (p *plan) location() *time.Location {
	if p.loc == nil {
		return time.UTC
	}
	return p.loc
}
