package store

import (
	"encoding/json"
	"maps"
	"slices"

	"minipbx/telephony/dialplan"
)

// The dial plan's sections in one table. Every piece of the store that
// handles the dial plan section by section — reading and writing the
// database, decoding a document, copying between Config and DialPlan,
// cloning, validating, and finding what refers to what — iterates
// planTable; adding a section is one entry here (and one in the web UI's
// and the plan compiler's tables, whose tests compare them with this one).

// planSection is one part of the dial plan: a list of objects (ring_groups)
// or one object (features).
type planSection struct {
	// key is the section's name in the document and the database.
	key string
	// what names one object in messages ("ring group"); empty for a
	// section that is one object.
	what string
	// dest is the destination kind that names the section's objects
	// (group:NAME); empty when no destination does.
	dest dialplan.DestKind
	// data are the generic operations on the section's value.
	data sectionData
	// names lists the objects' names in document order (nil: the
	// section has no named objects).
	names func(c *Config) []string
	// uniqueNames: the names are dial-plan names (dialplan.CheckName),
	// each used once, checked for the section before its own check.
	uniqueNames bool
	// nameClash, when set, is a section whose names this section's must
	// also differ from, with the message saying why.
	nameClash struct{ key, msg string }
	// check validates the section.
	check func(pc *planCheck)
	// refs reports the references the section's objects make to other
	// objects (destinations, schedules, carriers, classes...).
	refs func(c *Config, r *refWalker)
}

// sectionData are the operations on one section's value that depend on
// its Go type only; listOf and objectOf make them.
type sectionData struct {
	list bool
	// ptr points at the section in c, for encoding and decoding.
	ptr func(c *Config) any
	// toPlan and fromPlan copy the section between a Config and a
	// DialPlan (toPlan makes an empty list [], as the API shows it).
	toPlan   func(c *Config, d *DialPlan)
	fromPlan func(d *DialPlan, c *Config)
	// normalize makes empty lists nil, the one form they have in memory.
	normalize func(c *Config)
	// clone deep-copies the section in c (the slices a change might
	// edit in place).
	clone func(c *Config)
	// count is the number of objects of a list section (-1 for one
	// object).
	count func(c *Config) int
	// decode strictly decodes the section's JSON into c, problems by
	// path under key.
	decode func(raw json.RawMessage, key string, c *Config, v *ValidationError)
}

// listOf makes the operations of a list section; norm and deep, when
// set, normalize and deep-copy the slices inside one element.
func listOf[T any](cfg func(*Config) *[]T, plan func(*DialPlan) *[]T, norm, deep func(*T)) sectionData {
	return sectionData{
		list: true,
		ptr:  func(c *Config) any { return cfg(c) },
		toPlan: func(c *Config, d *DialPlan) {
			*plan(d) = *cfg(c)
			emptyIfNil(plan(d))
		},
		fromPlan: func(d *DialPlan, c *Config) { *cfg(c) = *plan(d) },
		normalize: func(c *Config) {
			s := cfg(c)
			nilIfEmpty(s)
			for i := range *s {
				if norm != nil {
					norm(&(*s)[i])
				}
			}
		},
		clone: func(c *Config) {
			s := cfg(c)
			*s = slices.Clone(*s)
			for i := range *s {
				if deep != nil {
					deep(&(*s)[i])
				}
			}
		},
		count:  func(c *Config) int { return len(*cfg(c)) },
		decode: func(raw json.RawMessage, key string, c *Config, v *ValidationError) { decodeList(raw, key, cfg(c), v) },
	}
}

// objectOf makes the operations of a one-object section.
func objectOf[T any](cfg func(*Config) *T, plan func(*DialPlan) *T, norm, deep func(*T)) sectionData {
	do := func(f func(*T), c *Config) {
		if f != nil {
			f(cfg(c))
		}
	}
	return sectionData{
		ptr:       func(c *Config) any { return cfg(c) },
		toPlan:    func(c *Config, d *DialPlan) { *plan(d) = *cfg(c) },
		fromPlan:  func(d *DialPlan, c *Config) { *cfg(c) = *plan(d) },
		normalize: func(c *Config) { do(norm, c) },
		clone:     func(c *Config) { do(deep, c) },
		count:     func(*Config) int { return -1 },
		decode: func(raw json.RawMessage, key string, c *Config, v *ValidationError) {
			if len(raw) > 0 && string(raw) != "null" {
				decodeField(raw, key, cfg(c), v)
			}
		},
	}
}

// namesOf lists the names of a list section's objects.
func namesOf[T any](list func(*Config) []T, name func(T) string) func(c *Config) []string {
	return func(c *Config) []string {
		l := list(c)
		out := make([]string, len(l))
		for i, x := range l {
			out[i] = name(x)
		}
		return out
	}
}

// planTable is the dial plan, in document order. The check and refs
// functions must not refer to planTable itself (Go's initialization order
// forbids it); they get what they need through planCheck and refWalker.
var planTable = []planSection{
	{key: "numbering",
		data: objectOf(func(c *Config) *Numbering { return &c.Numbering }, func(d *DialPlan) *Numbering { return &d.Numbering },
			func(n *Numbering) { nilIfEmpty(&n.ShortNumbers); nilIfEmpty(&n.EmergencyNumbers) },
			func(n *Numbering) {
				n.ShortNumbers, n.EmergencyNumbers = slices.Clone(n.ShortNumbers), slices.Clone(n.EmergencyNumbers)
			}),
		check: (*planCheck).numbering, refs: numberingRefs},
	{key: "line_groups", what: "line group",
		data: listOf(func(c *Config) *[]LineGroup { return &c.LineGroups }, func(d *DialPlan) *[]LineGroup { return &d.LineGroups },
			nil, func(g *LineGroup) { g.Lines = slices.Clone(g.Lines) }),
		names:       namesOf(func(c *Config) []LineGroup { return c.LineGroups }, func(g LineGroup) string { return g.Name }),
		uniqueNames: true, check: (*planCheck).lineGroups},
	{key: "outbound_routes", what: "outbound route",
		data: listOf(func(c *Config) *[]OutboundRoute { return &c.OutboundRoutes }, func(d *DialPlan) *[]OutboundRoute { return &d.OutboundRoutes },
			nil, func(r *OutboundRoute) { r.Via = slices.Clone(r.Via) }),
		names:       namesOf(func(c *Config) []OutboundRoute { return c.OutboundRoutes }, func(r OutboundRoute) string { return r.Name }),
		uniqueNames: true, check: (*planCheck).outboundRoutes, refs: outboundRefs},
	{key: "caller_id_rules",
		data:  listOf(func(c *Config) *[]CallerIDRule { return &c.CallerIDRules }, func(d *DialPlan) *[]CallerIDRule { return &d.CallerIDRules }, nil, nil),
		check: (*planCheck).callerIDRules},
	{key: "inbound_routes", what: "inbound route",
		data: listOf(func(c *Config) *[]InboundRoute { return &c.InboundRoutes }, func(d *DialPlan) *[]InboundRoute { return &d.InboundRoutes },
			func(r *InboundRoute) { nilIfEmpty(&r.Classifiers) },
			func(r *InboundRoute) {
				r.Lines, r.Trunks, r.DIDs = slices.Clone(r.Lines), slices.Clone(r.Trunks), slices.Clone(r.DIDs)
				r.Classifiers = slices.Clone(r.Classifiers)
			}),
		names:       namesOf(func(c *Config) []InboundRoute { return c.InboundRoutes }, func(r InboundRoute) string { return r.Name }),
		uniqueNames: true, check: (*planCheck).inboundRoutes, refs: inboundRefs},
	{key: "ring_groups", what: "ring group", dest: dialplan.DestGroup,
		data: listOf(func(c *Config) *[]RingGroup { return &c.RingGroups }, func(d *DialPlan) *[]RingGroup { return &d.RingGroups },
			nil, func(g *RingGroup) { g.Members = slices.Clone(g.Members) }),
		names:       namesOf(func(c *Config) []RingGroup { return c.RingGroups }, func(g RingGroup) string { return g.Name }),
		uniqueNames: true, check: (*planCheck).ringGroups, refs: ringGroupRefs},
	{key: "queues", what: "queue", dest: dialplan.DestQueue,
		data: listOf(func(c *Config) *[]Queue { return &c.Queues }, func(d *DialPlan) *[]Queue { return &d.Queues },
			func(q *Queue) { nilIfEmpty(&q.MusicOnHold) },
			func(q *Queue) { q.Members, q.MusicOnHold = slices.Clone(q.Members), slices.Clone(q.MusicOnHold) }),
		names:       namesOf(func(c *Config) []Queue { return c.Queues }, func(q Queue) string { return q.Name }),
		uniqueNames: true, check: (*planCheck).queues, refs: queueRefs},
	{key: "ivr_menus", what: "voice menu", dest: dialplan.DestMenu,
		data: listOf(func(c *Config) *[]Menu { return &c.Menus }, func(d *DialPlan) *[]Menu { return &d.Menus },
			func(m *Menu) {
				if len(m.Keys) == 0 {
					m.Keys = nil
				}
				nilIfEmpty(&m.Prompts)
			},
			func(m *Menu) { m.Prompts, m.Keys = slices.Clone(m.Prompts), maps.Clone(m.Keys) }),
		names:       namesOf(func(c *Config) []Menu { return c.Menus }, func(m Menu) string { return m.Name }),
		uniqueNames: true, check: (*planCheck).menus, refs: menuRefs},
	{key: "announcements", what: "announcement", dest: dialplan.DestAnnounce,
		data: listOf(func(c *Config) *[]Announcement { return &c.Announcements }, func(d *DialPlan) *[]Announcement { return &d.Announcements },
			func(a *Announcement) { nilIfEmpty(&a.Prompts) }, func(a *Announcement) { a.Prompts = slices.Clone(a.Prompts) }),
		names:       namesOf(func(c *Config) []Announcement { return c.Announcements }, func(a Announcement) string { return a.Name }),
		uniqueNames: true, check: (*planCheck).announcements, refs: announcementRefs},
	{key: "time_conditions", what: "time condition", dest: dialplan.DestTime,
		data:        listOf(func(c *Config) *[]TimeCondition { return &c.TimeConditions }, func(d *DialPlan) *[]TimeCondition { return &d.TimeConditions }, nil, nil),
		names:       namesOf(func(c *Config) []TimeCondition { return c.TimeConditions }, func(t TimeCondition) string { return t.Name }),
		uniqueNames: true, check: (*planCheck).timeConditions, refs: timeConditionRefs},
	{key: "conditions", what: "condition", dest: dialplan.DestCond,
		data:        listOf(func(c *Config) *[]Condition { return &c.Conditions }, func(d *DialPlan) *[]Condition { return &d.Conditions }, nil, nil),
		names:       namesOf(func(c *Config) []Condition { return c.Conditions }, func(cd Condition) string { return cd.Name }),
		uniqueNames: true, check: (*planCheck).conditions, refs: conditionRefs},
	{key: "schedules", what: "schedule",
		data: listOf(func(c *Config) *[]Schedule { return &c.Schedules }, func(d *DialPlan) *[]Schedule { return &d.Schedules },
			nil, func(s *Schedule) { s.Hours, s.Holidays = slices.Clone(s.Hours), slices.Clone(s.Holidays) }),
		names:       namesOf(func(c *Config) []Schedule { return c.Schedules }, func(s Schedule) string { return s.Name }),
		uniqueNames: true, check: (*planCheck).schedules},
	{key: "classifiers", what: "caller list",
		data: listOf(func(c *Config) *[]Classifier { return &c.Classifiers }, func(d *DialPlan) *[]Classifier { return &d.Classifiers },
			nil, func(cl *Classifier) { cl.Numbers = slices.Clone(cl.Numbers) }),
		names:       namesOf(func(c *Config) []Classifier { return c.Classifiers }, func(cl Classifier) string { return cl.Name }),
		uniqueNames: true, check: (*planCheck).classifiers, refs: classifierRefs},
	{key: "extension_rules", what: "extension rule",
		data: listOf(func(c *Config) *[]ExtensionRule { return &c.ExtensionRules }, func(d *DialPlan) *[]ExtensionRule { return &d.ExtensionRules },
			nil, func(r *ExtensionRule) { r.FollowMe = slices.Clone(r.FollowMe) }),
		names: namesOf(func(c *Config) []ExtensionRule { return c.ExtensionRules }, func(r ExtensionRule) string { return r.Extension }),
		check: (*planCheck).extensionRules, refs: extensionRuleRefs},
	{key: "limits",
		data:  objectOf(func(c *Config) *CallLimits { return &c.CallLimits }, func(d *DialPlan) *CallLimits { return &d.Limits }, nil, nil),
		check: (*planCheck).limits},
	{key: "trunks", what: "SIP trunk",
		data: listOf(func(c *Config) *[]Trunk { return &c.Trunks }, func(d *DialPlan) *[]Trunk { return &d.Trunks },
			func(t *Trunk) { nilIfEmpty(&t.AllowedIPs); nilIfEmpty(&t.DIDs) },
			func(t *Trunk) { t.AllowedIPs, t.DIDs = slices.Clone(t.AllowedIPs), slices.Clone(t.DIDs) }),
		names:       namesOf(func(c *Config) []Trunk { return c.Trunks }, func(t Trunk) string { return t.Name }),
		uniqueNames: true, nameClash: struct{ key, msg string }{"line_groups", "%q is also a line group's name (outbound routes name both)"},
		check: (*planCheck).trunks, refs: trunkRefs},
	{key: "voicemail", what: "mailbox", dest: dialplan.DestVoicemail,
		data: objectOf(func(c *Config) *Voicemail { return &c.Voicemail }, func(d *DialPlan) *Voicemail { return &d.Voicemail },
			func(v *Voicemail) { nilIfEmpty(&v.Boxes) }, func(v *Voicemail) { v.Boxes = slices.Clone(v.Boxes) }),
		names: func(c *Config) []string {
			return namesOf(func(c *Config) []Mailbox { return c.Voicemail.Boxes }, func(b Mailbox) string { return b.Extension })(c)
		},
		check: (*planCheck).voicemail, refs: voicemailRefs},
	{key: "features",
		data: objectOf(func(c *Config) *CallFeatures { return &c.Features }, func(d *DialPlan) *CallFeatures { return &d.Features },
			func(f *CallFeatures) { nilIfEmpty(&f.GroupPickupCodes) }, func(f *CallFeatures) { f.GroupPickupCodes = slices.Clone(f.GroupPickupCodes) }),
		check: (*planCheck).features, refs: featureRefs},
	{key: "pickup_groups", what: "pickup group",
		data: listOf(func(c *Config) *[]PickupGroup { return &c.PickupGroups }, func(d *DialPlan) *[]PickupGroup { return &d.PickupGroups },
			nil, func(g *PickupGroup) { g.Members = slices.Clone(g.Members) }),
		names:       namesOf(func(c *Config) []PickupGroup { return c.PickupGroups }, func(g PickupGroup) string { return g.Name }),
		uniqueNames: true, check: (*planCheck).pickupGroups, refs: pickupGroupRefs},
	{key: "conference_rooms", what: "conference room", dest: dialplan.DestConf,
		data:        listOf(func(c *Config) *[]ConferenceRoom { return &c.ConferenceRooms }, func(d *DialPlan) *[]ConferenceRoom { return &d.ConferenceRooms }, nil, nil),
		names:       namesOf(func(c *Config) []ConferenceRoom { return c.ConferenceRooms }, func(r ConferenceRoom) string { return r.Name }),
		uniqueNames: true, check: (*planCheck).conferenceRooms},
	{key: "paging_groups", what: "paging group", dest: dialplan.DestPage,
		data: listOf(func(c *Config) *[]PagingGroup { return &c.PagingGroups }, func(d *DialPlan) *[]PagingGroup { return &d.PagingGroups },
			nil, func(g *PagingGroup) { g.Members = slices.Clone(g.Members) }),
		names:       namesOf(func(c *Config) []PagingGroup { return c.PagingGroups }, func(g PagingGroup) string { return g.Name }),
		uniqueNames: true, check: (*planCheck).pagingGroups, refs: pagingGroupRefs},
	{key: "moh_classes", what: "music-on-hold class",
		data: listOf(func(c *Config) *[]MOHClass { return &c.MOHClasses }, func(d *DialPlan) *[]MOHClass { return &d.MOHClasses },
			func(m *MOHClass) { nilIfEmpty(&m.Prompts) }, func(m *MOHClass) { m.Prompts = slices.Clone(m.Prompts) }),
		names:       namesOf(func(c *Config) []MOHClass { return c.MOHClasses }, func(m MOHClass) string { return m.Name }),
		uniqueNames: true, check: (*planCheck).mohClasses, refs: mohClassRefs},
	{key: "fax_receivers", what: "fax receiver", dest: dialplan.DestFax,
		data:        listOf(func(c *Config) *[]FaxReceiver { return &c.FaxReceivers }, func(d *DialPlan) *[]FaxReceiver { return &d.FaxReceivers }, nil, nil),
		names:       namesOf(func(c *Config) []FaxReceiver { return c.FaxReceivers }, func(f FaxReceiver) string { return f.Name }),
		uniqueNames: true, check: (*planCheck).faxReceivers},
	{key: "call_recording",
		data:  objectOf(func(c *Config) *CallRecording { return &c.Recording }, func(d *DialPlan) *CallRecording { return &d.Recording }, nil, nil),
		check: (*planCheck).recording},
	{key: "disa", what: "DISA", dest: dialplan.DestDISA,
		data: listOf(func(c *Config) *[]DISA { return &c.DISA }, func(d *DialPlan) *[]DISA { return &d.DISA },
			func(x *DISA) { nilIfEmpty(&x.Numbers) }, func(x *DISA) { x.Numbers = slices.Clone(x.Numbers) }),
		names:       namesOf(func(c *Config) []DISA { return c.DISA }, func(x DISA) string { return x.Name }),
		uniqueNames: true, check: (*planCheck).disa},
	{key: "callbacks", what: "callback", dest: dialplan.DestCallback,
		data: listOf(func(c *Config) *[]Callback { return &c.Callbacks }, func(d *DialPlan) *[]Callback { return &d.Callbacks },
			func(x *Callback) { nilIfEmpty(&x.Numbers) }, func(x *Callback) { x.Numbers = slices.Clone(x.Numbers) }),
		names:       namesOf(func(c *Config) []Callback { return c.Callbacks }, func(x Callback) string { return x.Name }),
		uniqueNames: true, check: (*planCheck).callbacks, refs: callbackRefs},
}

// findSection returns the section with key, or nil.
func findPlanSection(key string) *planSection {
	for i := range planTable {
		if planTable[i].key == key {
			return &planTable[i]
		}
	}
	return nil
}

// Section is what the other layers may know of a dial-plan section.
type Section struct {
	// Key is the section's name in the document ("ring_groups").
	Key string
	// What names one object ("ring group"); empty for a one-object
	// section.
	What string
	// Dest is the destination kind that names the section's objects
	// ("group"), or empty.
	Dest dialplan.DestKind
	// List: the section is a list of objects.
	List bool
	// Named: the section's objects have names (or, for extension rules
	// and mailboxes, the extension they belong to).
	Named bool
}

// Sections describes the dial-plan sections, in document order.
func Sections() []Section {
	out := make([]Section, len(planTable))
	for i, s := range planTable {
		out[i] = Section{Key: s.key, What: s.what, Dest: s.dest, List: s.data.list, Named: s.names != nil}
	}
	return out
}

// DialPlanSections are the JSON names of the dial-plan sections, in
// document order.
func DialPlanSections() []string {
	out := make([]string, len(planTable))
	for i, s := range planTable {
		out[i] = s.key
	}
	return out
}

// SectionOf returns the section that destination kind k names, or "".
func SectionOf(k dialplan.DestKind) string {
	switch k {
	case "":
		return ""
	case dialplan.DestExtension:
		return SectionExtensions
	}
	for _, s := range planTable {
		if s.dest == k {
			return s.key
		}
	}
	return ""
}

// SectionExtensions is the key of the extensions (not a dial-plan
// section, but what many dial-plan objects refer to).
const SectionExtensions = "extensions"

// Names lists the names of section key's objects in c, in document
// order ("extensions": the extension numbers; "voicemail": the
// extensions with a mailbox); nil for an unknown or unnamed section.
func (c *Config) Names(key string) []string {
	if key == SectionExtensions {
		out := make([]string, len(c.Extensions))
		for i, e := range c.Extensions {
			out[i] = e.Number
		}
		return out
	}
	if s := findPlanSection(key); s != nil && s.names != nil {
		return s.names(c)
	}
	return nil
}

// Count is the number of objects in section key of c (-1 for a
// one-object section or an unknown key).
func (c *Config) Count(key string) int {
	if key == SectionExtensions {
		return len(c.Extensions)
	}
	if s := findPlanSection(key); s != nil {
		return s.data.count(c)
	}
	return -1
}

// CopySection sets section key of c to that of src; false for an
// unknown key.
func (c *Config) CopySection(src *Config, key string) bool {
	s := findPlanSection(key)
	if s == nil {
		return false
	}
	var d DialPlan
	s.data.toPlan(src, &d)
	s.data.fromPlan(&d, c)
	s.data.normalize(c)
	return true
}
