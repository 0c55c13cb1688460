package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/dialplan"
)

// What refers to what: each section says which objects its fields name
// (planSection.refs), so that deleting an object in use can name every
// user of it, and a page can say what an object is used by.

// Ref is one reference the configuration makes: the field at Path names
// the object Name of Target (a section key, "extensions", or
// "recordings" for a prompt's file).
type Ref struct {
	Path   string `json:"path"`   // "ring_groups[0].members[1].destination"
	Target string `json:"target"` // "extensions"
	Name   string `json:"name"`   // "201"
}

// TargetRecordings is the target of a prompt's file name.
const TargetRecordings = "recordings"

// refWalker collects the references of a configuration.
type refWalker struct {
	c      *Config
	byKind map[dialplan.DestKind]string
	refs   []Ref
}

func (w *refWalker) to(path, target, name string) {
	if name != "" {
		w.refs = append(w.refs, Ref{Path: path, Target: target, Name: name})
	}
}

// dest records the object a destination names (none for a number, a
// port or hangup).
func (w *refWalker) dest(path, s string) {
	d, err := dialplan.ParseDestination(s)
	if err != nil {
		return
	}
	if t := w.byKind[d.Kind]; t != "" {
		w.to(path, t, d.Value)
	}
}

// members records a member list's destinations.
func (w *refWalker) members(path string, ms []GroupMember) {
	for j, m := range ms {
		w.dest(fmt.Sprintf("%s[%d].destination", path, j), m.Destination)
	}
}

// carrier records an outbound route's carrier: a trunk or a line group.
func (w *refWalker) carrier(path, name string) {
	if slices.ContainsFunc(w.c.Trunks, func(t Trunk) bool { return t.Name == name }) {
		w.to(path, "trunks", name)
		return
	}
	w.to(path, "line_groups", name)
}

// prompts records the recordings a list of prompts plays.
func (w *refWalker) prompts(path string, ps []Prompt) {
	for j, p := range ps {
		w.to(fmt.Sprintf("%s[%d].file", path, j), TargetRecordings, p.File)
	}
}

func (w *refWalker) extensions(path string, exts []string) {
	for j, e := range exts {
		w.to(fmt.Sprintf("%s[%d]", path, j), SectionExtensions, e)
	}
}

func numberingRefs(c *Config, w *refWalker) {
	for i, s := range c.Numbering.ShortNumbers {
		w.dest(fmt.Sprintf("numbering.short_numbers[%d].destination", i), s.Destination)
	}
}

func outboundRefs(c *Config, w *refWalker) {
	for i, r := range c.OutboundRoutes {
		for j, v := range r.Via {
			w.carrier(fmt.Sprintf("outbound_routes[%d].via[%d]", i, j), v)
		}
	}
}

func inboundRefs(c *Config, w *refWalker) {
	for i, r := range c.InboundRoutes {
		p := fmt.Sprintf("inbound_routes[%d].", i)
		for j, t := range r.Trunks {
			w.to(fmt.Sprintf("%strunks[%d]", p, j), "trunks", t)
		}
		w.to(p+"schedule", "schedules", r.Schedule)
		w.dest(p+"destination", r.Destination)
		w.dest(p+"closed_destination", r.ClosedDestination)
		for j, cl := range r.Classifiers {
			w.to(fmt.Sprintf("%sclassifiers[%d]", p, j), "classifiers", cl)
		}
		w.to(p+"moh_class", "moh_classes", r.MOHClass)
	}
}

func ringGroupRefs(c *Config, w *refWalker) {
	for i, g := range c.RingGroups {
		p := fmt.Sprintf("ring_groups[%d].", i)
		w.members(p+"members", g.Members)
		w.dest(p+"timeout_destination", g.Timeout)
	}
}

func queueRefs(c *Config, w *refWalker) {
	for i, q := range c.Queues {
		p := fmt.Sprintf("queues[%d].", i)
		w.members(p+"members", q.Members)
		w.dest(p+"timeout_destination", q.Timeout)
		w.to(p+"moh_class", "moh_classes", q.MOHClass)
		w.prompts(p+"music_on_hold", q.MusicOnHold)
	}
}

func menuRefs(c *Config, w *refWalker) {
	for i, m := range c.Menus {
		p := fmt.Sprintf("ivr_menus[%d].", i)
		w.prompts(p+"prompts", m.Prompts)
		for _, k := range MenuKeys {
			if d, ok := m.Keys[k]; ok {
				w.dest(p+"keys."+k, d)
			}
		}
		w.dest(p+"default_destination", m.DefaultDestination)
	}
}

// MenuKeys are the keys a voice menu routes, in keypad order.
var MenuKeys = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"}

func announcementRefs(c *Config, w *refWalker) {
	for i, a := range c.Announcements {
		p := fmt.Sprintf("announcements[%d].", i)
		w.prompts(p+"prompts", a.Prompts)
		w.dest(p+"then", a.Then)
	}
}

func timeConditionRefs(c *Config, w *refWalker) {
	for i, t := range c.TimeConditions {
		p := fmt.Sprintf("time_conditions[%d].", i)
		w.to(p+"schedule", "schedules", t.Schedule)
		w.dest(p+"open", t.Open)
		w.dest(p+"closed", t.Closed)
	}
}

func conditionRefs(c *Config, w *refWalker) {
	for i, cd := range c.Conditions {
		p := fmt.Sprintf("conditions[%d].", i)
		w.dest(p+"destination", cd.Destination)
		w.dest(p+"no_answer", cd.NoAnswer)
		w.dest(p+"busy", cd.Busy)
		w.dest(p+"no_route", cd.NoRoute)
	}
}

func classifierRefs(c *Config, w *refWalker) {
	for i, cl := range c.Classifiers {
		w.dest(fmt.Sprintf("classifiers[%d].destination", i), cl.Destination)
	}
}

func extensionRuleRefs(c *Config, w *refWalker) {
	for i, r := range c.ExtensionRules {
		p := fmt.Sprintf("extension_rules[%d].", i)
		w.to(p+"extension", SectionExtensions, r.Extension)
		w.dest(p+"forward_always", r.ForwardAlways)
		w.dest(p+"forward_busy", r.ForwardBusy)
		w.dest(p+"forward_no_answer", r.ForwardNoAnswer)
		w.dest(p+"forward_unavailable", r.ForwardUnavailable)
		w.members(p+"follow_me", r.FollowMe)
		w.to(p+"follow_me_schedule", "schedules", r.FollowMeSchedule)
		w.to(p+"moh_class", "moh_classes", r.MOHClass)
	}
}

func trunkRefs(c *Config, w *refWalker) {
	for i, t := range c.Trunks {
		for j, d := range t.DIDs {
			w.dest(fmt.Sprintf("trunks[%d].dids[%d].destination", i, j), d.Destination)
		}
	}
}

func voicemailRefs(c *Config, w *refWalker) {
	for i, b := range c.Voicemail.Boxes {
		w.to(fmt.Sprintf("voicemail.boxes[%d].extension", i), SectionExtensions, b.Extension)
	}
}

func featureRefs(c *Config, w *refWalker) {
	w.dest("features.park_timeout_destination", c.Features.ParkTimeoutDestination)
	w.to("features.music_on_hold", "moh_classes", c.Features.MusicOnHold)
}

func pickupGroupRefs(c *Config, w *refWalker) {
	for i, g := range c.PickupGroups {
		w.extensions(fmt.Sprintf("pickup_groups[%d].members", i), g.Members)
	}
}

func pagingGroupRefs(c *Config, w *refWalker) {
	for i, g := range c.PagingGroups {
		w.extensions(fmt.Sprintf("paging_groups[%d].members", i), g.Members)
	}
}

func mohClassRefs(c *Config, w *refWalker) {
	for i, m := range c.MOHClasses {
		w.prompts(fmt.Sprintf("moh_classes[%d].prompts", i), m.Prompts)
	}
}

// References lists every reference c makes, in document order: the FXO
// lines' extensions, the dial-plan sections', then the extensions the
// provisioned phones register as (a phone's busy-lamp keys are not
// references: a number that no longer exists is left off its keys).
func (c *Config) References() []Ref {
	w := &refWalker{c: c, byKind: map[dialplan.DestKind]string{dialplan.DestExtension: SectionExtensions}}
	for _, s := range planTable {
		if s.dest != "" {
			w.byKind[s.dest] = s.key
		}
	}
	for i, l := range c.FXOLines {
		w.to(fmt.Sprintf("fxo_lines[%d].destination", i), SectionExtensions, l.Destination)
	}
	for _, s := range planTable {
		if s.refs != nil {
			s.refs(c, w)
		}
	}
	for i, ph := range c.Provisioning.Phones {
		w.to(fmt.Sprintf("provisioning.phones[%d].extension", i), SectionExtensions, ph.Extension)
	}
	return w.refs
}

// UsersOf lists the references to object name of target (a section key,
// "extensions" or "recordings"), in document order.
func (c *Config) UsersOf(target, name string) []Ref {
	var out []Ref
	for _, r := range c.References() {
		if r.Target == target && r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

// ObjectOf splits a document path into the object it is in and the
// field inside it: "ring_groups[2].members[1].destination" is object 2
// of ring_groups, field "members[1].destination"; a path in a
// one-object section ("features.music_on_hold") has index -1.
func ObjectOf(path string) (key string, index int, field string) {
	head, rest, _ := strings.Cut(path, ".")
	key, idx, ok := strings.Cut(head, "[")
	if !ok {
		return head, -1, rest
	}
	n, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
	if err != nil {
		return key, -1, rest
	}
	return key, n, rest
}

// InUseError refuses to delete an object that other parts of the
// configuration still refer to; Users are those references, Described
// says each in words ("ring group sales (members[1].destination)").
type InUseError struct {
	// What and Name say what was to be deleted: "extension" "201".
	What, Name string
	Users      []Ref
	Described  []string
}

// inUse makes the InUseError of deleting name, described against c.
func inUse(c *Config, what, name string, users []Ref) *InUseError {
	e := &InUseError{What: what, Name: name, Users: users}
	for _, u := range users {
		e.Described = append(e.Described, c.Describe(u.Path))
	}
	return e
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%s %s is in use by %s; change or remove them first", e.What, e.Name, strings.Join(e.Described, ", "))
}

// Unwrap makes the refusal a validation problem of the object's name
// (field "number" for an extension), for callers that know only those.
func (e *InUseError) Unwrap() error {
	field := "name"
	if e.What == "extension" {
		field = "number"
	}
	return &ValidationError{Fields: []FieldError{{Field: field, Message: e.Error()}}}
}

// Describe says which object a document path is about, in the
// installer's words: "fxo_lines[0].destination" is "FXO line 1
// (destination)", "ring_groups[0].members[1].destination" is "ring group
// sales (members[1].destination)".
func (c *Config) Describe(path string) string {
	key, i, field := ObjectOf(path)
	var obj string
	switch {
	case key == "fxo_lines" && i >= 0 && i < len(c.FXOLines):
		obj = fmt.Sprintf("FXO line %d", c.FXOLines[i].Port)
	case key == SectionExtensions && i >= 0 && i < len(c.Extensions):
		obj = "extension " + c.Extensions[i].Number
	case key == "accounts" && strings.HasSuffix(field, ".extension"):
		obj, field = "web account "+strings.TrimSuffix(field, ".extension"), "extension" // a login may hold dots
	case key == "provisioning" && strings.HasPrefix(field, "phones["):
		_, j, rest := ObjectOf(field)
		if j >= 0 && j < len(c.Provisioning.Phones) {
			obj, field = "phone "+c.Provisioning.Phones[j].MAC, rest
		}
	case key == "voicemail" && strings.HasPrefix(field, "boxes["):
		_, j, rest := ObjectOf(field)
		if j >= 0 && j < len(c.Voicemail.Boxes) {
			obj, field = "mailbox "+c.Voicemail.Boxes[j].Extension, rest
		}
	default:
		if s := findPlanSection(key); s != nil {
			obj = strings.ReplaceAll(key, "_", " ")
			if names := c.Names(key); s.what != "" && i >= 0 && i < len(names) {
				obj = s.what + " " + names[i]
			} else if s.what != "" && i >= 0 {
				obj = fmt.Sprintf("%s %d", s.what, i+1)
			}
		}
	}
	if obj == "" {
		return path
	}
	if field == "" {
		return obj
	}
	return obj + " (" + strings.ReplaceAll(field, "_", " ") + ")"
}
