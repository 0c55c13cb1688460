package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/store"
)

// Form pages for the kinds of dial-plan objects: a list per kind and a
// create/edit form per object, so that an installer needs neither the
// JSON document nor config.md. Every form field is named by its path
// inside the object ("members[1].destination"), so a problem the store
// reports for "ring_groups[0].members[1].destination" lands beside that
// very field. Kinds without a form keep their JSON editor
// (dialplan.go).

// planKind is one kind of dial-plan object with form pages.
type planKind interface {
	section() string
	singular() string
	// items lists the objects for the list page.
	items(d *store.DialPlan) []planItem
	// form builds the form for object i (i < 0: a new, empty one).
	form(d *store.DialPlan, i int, c *planContext) *form
	// submit parses the posted form into object i of d (i == len: a new
	// one, appended) and returns the form refilled with what was typed,
	// problems the form itself found already beside their fields.
	submit(d *store.DialPlan, i int, v url.Values, c *planContext) *form
	// remove deletes object i; false when there is none.
	remove(d *store.DialPlan, i int) bool
	// raise swaps object i with the one before it (order matters: the
	// first inbound route or caller list that matches wins).
	raise(d *store.DialPlan, i int) bool
}

// planItem is one row of a kind's list page.
type planItem struct {
	Index        int
	Name, Detail string
}

// objectKind implements planKind for objects of type T kept in a list of
// store.DialPlan.
type objectKind[T any] struct {
	key, one string
	list     func(d *store.DialPlan) *[]T
	name     func(T) string
	detail   func(T) string
	// fields builds the form's fields from o (names are paths in o).
	fields func(o T, c *planContext) []*field
	// parse reads the posted values over base (the stored object, or zero
	// for a new one), so parts the form does not show are kept; p records
	// numbers that are not.
	parse func(v url.Values, p *formParser, base T) T
	// alias, when set, names the field of paths that are not field names
	// ("hours[2]" → "day_wed").
	alias func(o T) map[string]string
}

func (k *objectKind[T]) section() string  { return k.key }
func (k *objectKind[T]) singular() string { return k.one }

func (k *objectKind[T]) items(d *store.DialPlan) []planItem {
	var out []planItem
	for i, o := range *k.list(d) {
		out = append(out, planItem{Index: i, Name: k.name(o), Detail: k.detail(o)})
	}
	return out
}

func (k *objectKind[T]) form(d *store.DialPlan, i int, c *planContext) *form {
	var o T
	l := *k.list(d)
	if i >= 0 && i < len(l) {
		o = l[i]
	}
	f := k.newForm(o, i, c)
	if i >= 0 && i < len(l) {
		f.Action = objectURL(k.key, i, k.name(o), "edit")
	}
	return f
}

func (k *objectKind[T]) newForm(o T, i int, c *planContext) *form {
	f := &form{ID: "object-form", Fields: k.fields(o, c), Action: "/dialplan/" + k.key + "/new", Submit: "Create " + k.one}
	if i >= 0 {
		f.Action = objectURL(k.key, i, k.name(o), "edit")
		f.Submit = "Save changes"
	}
	return f
}

// objectURL addresses object i of a section for an action; the object's
// name rides along so that a change made meanwhile (another admin deleted
// an earlier object, shifting the indexes) is noticed instead of editing
// the wrong object.
func objectURL(key string, i int, name, action string) string {
	return fmt.Sprintf("/dialplan/%s/%d/%s?of=%s", key, i, action, url.QueryEscape(name))
}

func (k *objectKind[T]) submit(d *store.DialPlan, i int, v url.Values, c *planContext) *form {
	p := &formParser{v: v, bad: map[string]string{}, raw: map[string]string{}}
	l := k.list(d)
	editing := i < len(*l)
	var base T
	if editing {
		base = (*l)[i]
	}
	o := k.parse(v, p, base)
	if editing {
		(*l)[i] = o
	} else {
		*l = append(*l, o)
	}
	fi := i
	if !editing {
		fi = -1
	}
	f := k.newForm(o, fi, c)
	if editing {
		f.Action = objectURL(k.key, i, k.name(base), "edit")
	}
	if k.alias != nil {
		f.alias = k.alias(o)
	}
	for name, msg := range p.bad {
		if x := f.field(name); x != nil {
			x.Value, x.Error = p.raw[name], msg
		} else {
			f.Errors = append(f.Errors, msg)
		}
	}
	return f
}

func (k *objectKind[T]) remove(d *store.DialPlan, i int) bool {
	l := k.list(d)
	if i < 0 || i >= len(*l) {
		return false
	}
	*l = slices.Delete(*l, i, i+1)
	return true
}

func (k *objectKind[T]) raise(d *store.DialPlan, i int) bool {
	l := *k.list(d)
	if i < 1 || i >= len(l) {
		return false
	}
	l[i-1], l[i] = l[i], l[i-1]
	return true
}

// formParser reads typed values from a posted form, keeping what was
// typed for fields that do not parse so the form shows it back.
type formParser struct {
	v   url.Values
	bad map[string]string
	raw map[string]string
	// keep are typed values a form built from the parsed object would
	// not show (a new PIN, never put in a page from the stored plan), by
	// the field that shows them when the form comes back refused.
	keep map[string]string
}

func (p *formParser) keepValue(name, value string) {
	if p.keep == nil {
		p.keep = map[string]string{}
	}
	p.keep[name] = value
}

func (p *formParser) str(name string) string { return strings.TrimSpace(p.v.Get(name)) }

// num reads a whole number; empty is 0 (the store's "default"); into
// names the field it is shown in (rows are renumbered when blanks drop).
func (p *formParser) num(name, into, what string) int {
	s := p.str(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.bad[into] = fmt.Sprintf("Enter %s as a whole number (digits only), or leave it empty.", what)
		p.raw[into] = s
	}
	return n
}

// lines splits a text area into its non-empty lines (commas also
// separate, for lists typed on one line).
func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// planContext is what forms offer to choose from: the existing
// extensions and dial-plan objects, as destinations and names.
type planContext struct {
	Destinations []option // for the destinations datalist
	Recordings   []option // for the recordings datalist of prompt fields (recordings.go)
	Schedules    []string
	LineGroups   []string // and SIP trunks: the carriers of outbound routes
	Classifiers  []string // caller lists, for inbound routes
	Extensions   []store.Extension
	FXOLines     []store.FXOLine
	// Mailboxes are the extensions with a stored mailbox (whose PIN an
	// empty PIN field keeps; voicemail_form.go).
	Mailboxes map[string]bool
	// MOHClasses, FXSPorts and Music (uploaded recordings) are what the
	// music-on-hold pickers and classes offer (features_forms.go).
	MOHClasses []string
	FXSPorts   []int
	Music      []option
}

func newPlanContext(d *store.DialPlan, exts []store.Extension, fxo []store.FXOLine) *planContext {
	c := &planContext{Extensions: exts, FXOLines: fxo, Mailboxes: map[string]bool{}}
	for _, b := range d.Voicemail.Boxes {
		c.Mailboxes[b.Extension] = true
	}
	for _, e := range exts {
		label := "Extension " + e.Number
		if e.Name != "" {
			label += " — " + e.Name
		}
		c.Destinations = append(c.Destinations, option{Value: "ext:" + e.Number, Label: label})
	}
	for _, b := range d.Voicemail.Boxes {
		c.Destinations = append(c.Destinations, option{Value: "voicemail:" + b.Extension, Label: "Mailbox " + b.Extension})
	}
	for _, g := range d.RingGroups {
		c.Destinations = append(c.Destinations, option{Value: "group:" + g.Name, Label: "Ring group " + g.Name})
	}
	for _, q := range d.Queues {
		c.Destinations = append(c.Destinations, option{Value: "queue:" + q.Name, Label: "Queue " + q.Name})
	}
	for _, m := range d.Menus {
		c.Destinations = append(c.Destinations, option{Value: "menu:" + m.Name, Label: "Voice menu " + m.Name})
	}
	for _, a := range d.Announcements {
		c.Destinations = append(c.Destinations, option{Value: "announce:" + a.Name, Label: "Announcement " + a.Name})
	}
	for _, t := range d.TimeConditions {
		c.Destinations = append(c.Destinations, option{Value: "time:" + t.Name, Label: "Time condition " + t.Name})
	}
	for _, cd := range d.Conditions {
		c.Destinations = append(c.Destinations, option{Value: "cond:" + cd.Name, Label: "Condition " + cd.Name})
	}
	addCallFeatureChoices(c, d)
	c.Destinations = append(c.Destinations, option{Value: "hangup", Label: "Hang up"})
	for _, s := range d.Schedules {
		c.Schedules = append(c.Schedules, s.Name)
	}
	for _, g := range d.LineGroups {
		c.LineGroups = append(c.LineGroups, g.Name)
	}
	for _, cl := range d.Classifiers {
		c.Classifiers = append(c.Classifiers, cl.Name)
	}
	for _, t := range d.Trunks { // routes name trunks and line groups alike
		c.LineGroups = append(c.LineGroups, t.Name)
	}
	return c
}

// destHelp is the syntax of a destination, said once per field.
const destHelp = "Type or pick: ext:101 (an extension), fxs:2 (an analog port), group:NAME (a ring group), queue:NAME, voicemail:101 (extension 101's mailbox), menu:NAME (a voice menu), announce:NAME (an announcement, then its next destination), time:NAME (by a schedule), cond:NAME (with its own busy and no-answer destinations), conf:NAME (a conference room), page:NAME (a paging group), number:DIGITS (an outside number) or hangup."

func destField(id, label, value, help string) *field {
	return &field{ID: id, Name: id, Label: label, Type: "text", Value: value, List: "destinations", Autocomplete: "off",
		MaxLength: 64, Help: strings.TrimSpace(help + " " + destHelp)}
}

// nameOptions offers names (schedules, line groups) with a first "none".
func nameOptions(names []string, value, none string) []option {
	opts := []option{{Value: "", Label: none}}
	for _, n := range names {
		opts = append(opts, option{Value: n, Label: n})
	}
	return selectOptions(opts, value, "not defined")
}

// memberRows is how many empty rows a list of members or numbers gets for
// adding more without scripting.
const memberRows = 2

// memberFields are the rows of a member list (ring group, follow-me).
func memberFields(prefix, what string, ms []store.GroupMember, ringHelp string) []*field {
	var out []*field
	for j := 0; j < len(ms)+memberRows; j++ {
		var m store.GroupMember
		if j < len(ms) {
			m = ms[j]
		}
		p := fmt.Sprintf("%s[%d].", prefix, j)
		ring := ""
		if m.RingS != 0 {
			ring = strconv.Itoa(m.RingS)
		}
		dest := destField(p+"destination", fmt.Sprintf("%s %d", what, j+1), m.Destination, "Leave empty to remove (or not add) this "+strings.ToLower(what)+".")
		rh := ringHelp
		if j > 0 { // the syntax once is enough; later rows say where it is
			dest.Help = fmt.Sprintf("As for %s 1; leave empty to remove (or not add) this one.", strings.ToLower(what))
			rh = fmt.Sprintf("As for %s 1.", strings.ToLower(what))
		}
		out = append(out, dest,
			&field{ID: p + "ring_s", Name: p + "ring_s", Label: fmt.Sprintf("%s %d ring time (seconds)", what, j+1), Type: "number", Value: ring,
				Min: fmt.Sprint(store.MinRingS), Max: fmt.Sprint(store.MaxRingS), InputMode: "numeric", Help: rh})
	}
	return out
}

// parseMembers reads member rows, dropping empty ones; rows are
// renumbered so that the store's paths match the refilled form.
func parseMembers(prefix string, v url.Values, p *formParser) []store.GroupMember {
	var out []store.GroupMember
	for j := 0; ; j++ {
		pf := fmt.Sprintf("%s[%d].", prefix, j)
		if _, ok := v[pf+"destination"]; !ok {
			if _, ok := v[pf+"ring_s"]; !ok {
				return out
			}
		}
		dest, ring := p.str(pf+"destination"), p.str(pf+"ring_s")
		if dest == "" && ring == "" {
			continue
		}
		into := fmt.Sprintf("%s[%d].ring_s", prefix, len(out))
		out = append(out, store.GroupMember{Destination: dest, RingS: p.num(pf+"ring_s", into, "the ring time in seconds")})
	}
}

func itoaBlank(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// membersDetail is a ring group's or queue's line in its list: "number
// 300, linear: ext:201, ext:202".
func membersDetail(number, strategy string, members []store.GroupMember) string {
	var ms []string
	for _, m := range members {
		ms = append(ms, m.Destination)
	}
	s := strategy + ": " + strings.Join(ms, ", ")
	if number != "" {
		s = "number " + number + ", " + s
	}
	return s
}

var ringGroupKind = &objectKind[store.RingGroup]{
	key: "ring_groups", one: "ring group",
	list:   func(d *store.DialPlan) *[]store.RingGroup { return &d.RingGroups },
	name:   func(g store.RingGroup) string { return g.Name },
	detail: func(g store.RingGroup) string { return membersDetail(g.Number, g.Strategy, g.Members) },
	fields: func(g store.RingGroup, c *planContext) []*field {
		if g.Strategy == "" {
			g.Strategy = "ringall"
		}
		fs := []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: g.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. sales: other parts of the dial plan reach this group as group:NAME. Letters, digits, - and _."},
			{ID: "number", Name: "number", Label: "Internal number", Type: "text", Value: g.Number, MaxLength: 8, InputMode: "numeric", Autocomplete: "off",
				Help: "Optional: a number extensions dial to ring the group, e.g. 300. It must not clash with an extension, short number or the outside prefix."},
			{ID: "strategy", Name: "strategy", Label: "Ring strategy", Type: "select", Options: strategyOptions(g.Strategy),
				Help: "In which order the members ring."},
		}
		fs = append(fs, memberFields("members", "Member", g.Members,
			fmt.Sprintf("How long this member rings before the group moves on, in seconds. Empty: %d.", store.DefaultMemberRingS))...)
		fs = append(fs,
			&field{ID: "max_wait_s", Name: "max_wait_s", Label: "Maximum wait (seconds)", Type: "number", Value: itoaBlank(g.MaxWaitS), Min: "0", InputMode: "numeric",
				Help: "How long the caller may wait in all before the timeout destination. Empty or 0: every member rings its time once."},
			destField("timeout_destination", "When nobody answers, go to", g.Timeout, "Empty: the call ends."),
			&field{ID: "max_calls", Name: "max_calls", Label: "Maximum callers at once", Type: "number", Value: itoaBlank(g.MaxCalls), Min: "0", InputMode: "numeric",
				Help: "One more caller hears busy. Empty or 0: no limit."},
		)
		return fs
	},
	parse: func(v url.Values, p *formParser, g store.RingGroup) store.RingGroup {
		g.Name, g.Number, g.Strategy = p.str("name"), p.str("number"), p.str("strategy")
		g.Members = parseMembers("members", v, p)
		g.MaxWaitS = p.num("max_wait_s", "max_wait_s", "the maximum wait in seconds")
		g.Timeout = p.str("timeout_destination")
		g.MaxCalls = p.num("max_calls", "max_calls", "the number of callers")
		return g
	},
}

// planKinds are the kinds with form pages, by section key.
var planKinds = map[string]planKind{
	"ring_groups":      ringGroupKind,
	"outbound_routes":  outboundRouteKind,
	"inbound_routes":   inboundRouteKind,
	"schedules":        scheduleKind,
	"classifiers":      classifierKind,
	"extension_rules":  extensionRuleKind,
	"queues":           queueKind,
	"ivr_menus":        menuKind,
	"announcements":    announcementKind,
	"time_conditions":  timeConditionKind,
	"conditions":       conditionKind,
	"line_groups":      lineGroupKind,
	"caller_id_rules":  callerIDRuleKind,
	"trunks":           trunkKind,
	"pickup_groups":    pickupGroupKind,
	"conference_rooms": conferenceRoomKind,
	"paging_groups":    pagingGroupKind,
	"fax_receivers":    faxReceiverKind,
	"moh_classes":      mohClassKind,
}

// applyPathErrors puts the store's problems beside the fields of object
// i of section key: "ring_groups[0].members[1].destination" belongs to the
// field named "members[1].destination". A problem with a part of the
// object that has no field of its own ("members") goes to the first field
// under it; the rest (other objects, the whole plan) go to the top of the
// form, naming the object they are about (describePath).
func applyPathErrors(f *form, key string, i int, fs []FieldError, d *store.DialPlan) {
	applyPrefixErrors(f, fmt.Sprintf("%s[%d]", key, i), fs, d)
}

// applyPrefixErrors is applyPathErrors for the object at path prefix
// ("ring_groups[0]", "numbering").
func applyPrefixErrors(f *form, prefix string, fs []FieldError, d *store.DialPlan) {
	for _, fe := range fs {
		msg := sentence(fe.Message)
		rest, ok := strings.CutPrefix(fe.Field, prefix)
		var x *field
		if ok && strings.HasPrefix(rest, ".") {
			rest = rest[1:]
			x = f.field(rest)
			if x == nil && f.alias[rest] != "" {
				x = f.field(f.alias[rest])
			}
			if j := strings.LastIndexByte(rest, '['); x == nil && j > 0 && strings.HasSuffix(rest, "]") {
				x = f.field(rest[:j]) // numbers[2] of a one-a-line list
			}
			if x == nil {
				for _, y := range f.Fields {
					if strings.HasPrefix(y.Name, rest+"[") || strings.HasPrefix(y.Name, rest+".") {
						x = y
						break
					}
				}
			}
		}
		if x == nil {
			if fe.Field == "" || fe.Field == prefix {
				f.Errors = append(f.Errors, msg)
			} else {
				f.Errors = append(f.Errors, describePath(d, fe.Field)+": "+msg)
			}
			continue
		}
		if x.Error != "" {
			x.Error += " "
		}
		x.Error += msg
	}
}

// describePath says which object a store path is about in the
// installer's words: "inbound_routes[0].schedule" → `Inbound routes
// “main”, schedule (inbound_routes[0].schedule)`, so a change refused for
// its effect elsewhere (a renamed schedule still in use) is understood;
// the path stays for the reference and the JSON editor.
func describePath(d *store.DialPlan, path string) string {
	key, rest, ok := strings.Cut(path, "[")
	if !ok {
		return path
	}
	idx, after, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(idx)
	sec, found := findDialPlanSection(key)
	k := planKinds[key]
	if !ok || err != nil || !found || k == nil {
		return path
	}
	items := k.items(d)
	if i < 0 || i >= len(items) {
		return path
	}
	out := fmt.Sprintf("%s “%s”", sec.Title, items[i].Name)
	if field := strings.TrimPrefix(after, "."); field != "" {
		out += ", " + strings.ReplaceAll(field, "_", " ")
	}
	return out + " (" + path + ")"
}

// dialPlanObjectBody is the content of a kind's list page and form page.
type dialPlanObjectBody struct {
	Section  dialPlanSection
	Singular string
	Items    []planItem
	Form     *form
	Context  *planContext
	Editing  bool
	// Guide says what users dial (the Features page).
	Guide []usage
}

// loadPlan reads the dial plan and what forms offer to choose from.
func (s *Server) loadPlan(r *http.Request) (store.DialPlan, *planContext, error) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		return store.DialPlan{}, nil, err
	}
	d := c.DialPlan()
	pc := newPlanContext(&d, c.Extensions, c.FXOLines)
	pc.Recordings = s.recordingOptions(r.Context())
	s.addPortsAndMusic(r.Context(), pc)
	return d, pc, nil
}

// dialPlanKindPage is a kind's list of objects.
func (s *Server) dialPlanKindPage(w http.ResponseWriter, r *http.Request, sec dialPlanSection, k planKind) {
	d, _, err := s.loadPlan(r)
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	s.render(w, r, http.StatusOK, "dialplan_list", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan",
		Body: dialPlanObjectBody{Section: sec, Singular: k.singular(), Items: k.items(&d)}})
}

// planKindFor resolves the section of a form route.
func (s *Server) planKindFor(w http.ResponseWriter, r *http.Request) (dialPlanSection, planKind, bool) {
	sec, ok := findDialPlanSection(r.PathValue("section"))
	k := planKinds[sec.Key]
	if !ok || k == nil {
		s.renderError(w, r, http.StatusNotFound, "There is no such part of the dial plan.")
		return sec, nil, false
	}
	return sec, k, true
}

// planIndex is the object index of a route, or -1 (new) when the route
// has none.
func planIndex(r *http.Request) (int, bool) {
	v := r.PathValue("index")
	if v == "" {
		return -1, true
	}
	i, err := strconv.Atoi(v)
	return i, err == nil && i >= 0
}

// staleObject reports whether the request names an object ("of") other
// than the one now at index i.
func staleObject(r *http.Request, items []planItem, i int) bool {
	of, ok := r.URL.Query()["of"]
	return ok && i >= 0 && i < len(items) && items[i].Name != of[0]
}

// renderStale answers a request for an object that moved or went away.
func (s *Server) renderStale(w http.ResponseWriter, r *http.Request, sec dialPlanSection, k planKind, d *store.DialPlan) {
	s.render(w, r, http.StatusConflict, "dialplan_list", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan",
		Error: sentence(fmt.Sprintf("The %s list changed meanwhile (someone else edited it), so nothing was changed; check the list and try again", sec.Title)),
		Body:  dialPlanObjectBody{Section: sec, Singular: k.singular(), Items: k.items(d)}})
}

// planTarget is the dial-plan object a form route names: its section and
// kind, the plan as stored now, and its index (-1 for a new object).
type planTarget struct {
	sec dialPlanSection
	k   planKind
	d   store.DialPlan
	c   *planContext
	i   int
}

// planObject resolves the object a request names, or answers the request
// itself and reports false: 404 for an unknown section or index, 500 when
// the plan cannot be read, 409 when the list changed under the request.
// allowNew accepts a route without an index (a new object).
func (s *Server) planObject(w http.ResponseWriter, r *http.Request, allowNew bool) (*planTarget, bool) {
	sec, k, ok := s.planKindFor(w, r)
	if !ok {
		return nil, false
	}
	d, c, err := s.loadPlan(r)
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return nil, false
	}
	i, ok := planIndex(r)
	if !ok || i >= len(k.items(&d)) || (i < 0 && !allowNew) {
		s.renderError(w, r, http.StatusNotFound, "There is no such "+k.singular()+"; it may have been deleted meanwhile.")
		return nil, false
	}
	if staleObject(r, k.items(&d), i) {
		s.renderStale(w, r, sec, k, &d)
		return nil, false
	}
	return &planTarget{sec: sec, k: k, d: d, c: c, i: i}, true
}

// dialPlanObjectPage shows the form of a new object or of object {index}.
func (s *Server) dialPlanObjectPage(w http.ResponseWriter, r *http.Request) {
	t, ok := s.planObject(w, r, true)
	if !ok {
		return
	}
	sec, k, d, i := t.sec, t.k, t.d, t.i
	c := t.c
	title := "New " + k.singular()
	if i >= 0 {
		title = sec.Title + ": " + k.items(&d)[i].Name
	}
	s.render(w, r, http.StatusOK, "dialplan_object", pageData{Title: title, Active: "dialplan",
		Body: dialPlanObjectBody{Section: sec, Singular: k.singular(), Form: k.form(&d, i, c), Context: c, Editing: i >= 0}})
}

// dialPlanObjectSubmit creates or saves an object; problems come back
// beside their fields, with everything typed kept.
func (s *Server) dialPlanObjectSubmit(w http.ResponseWriter, r *http.Request) {
	t, ok := s.planObject(w, r, true)
	if !ok {
		return
	}
	sec, k, d, i := t.sec, t.k, t.d, t.i
	c := t.c
	n := len(k.items(&d))
	editing := i >= 0
	if !editing {
		i = n
	}
	f := k.submit(&d, i, r.PostForm, c)
	status := http.StatusUnprocessableEntity
	if !f.hasErrors() {
		_, err := s.svc.UpdateDialPlan(r.Context(), d)
		if err == nil {
			verb := "created"
			if editing {
				verb = "saved"
			}
			s.setFlash(r, sentence(fmt.Sprintf("%s %s %s", k.singular(), k.items(&d)[i].Name, verb)))
			http.Redirect(w, r, "/dialplan/"+sec.Key, http.StatusSeeOther)
			return
		}
		herr := s.serviceError("save "+k.singular(), err)
		status = herr.status
		if herr.fields != nil {
			applyPathErrors(f, sec.Key, i, herr.fields, &d)
		} else {
			f.Errors = append(f.Errors, herr.msg)
		}
	}
	title := "New " + k.singular()
	if editing {
		title = sec.Title + ": " + k.items(&d)[i].Name
	}
	s.render(w, r, status, "dialplan_object", pageData{Title: title, Active: "dialplan",
		Error: sentence(k.singular() + " not saved; see the problems beside the fields"),
		Body:  dialPlanObjectBody{Section: sec, Singular: k.singular(), Form: f, Context: c, Editing: editing}})
}

// dialPlanObjectRaise moves object {index} one place up the list.
func (s *Server) dialPlanObjectRaise(w http.ResponseWriter, r *http.Request) {
	t, ok := s.planObject(w, r, false)
	if !ok {
		return
	}
	sec, k, d, i := t.sec, t.k, t.d, t.i
	if k.raise(&d, i) {
		if _, err := s.svc.UpdateDialPlan(r.Context(), d); err != nil {
			herr := s.serviceError("reorder "+sec.Title, err)
			s.render(w, r, herr.status, "dialplan_list", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan", Error: herr.msg,
				Body: dialPlanObjectBody{Section: sec, Singular: k.singular(), Items: k.items(&d)}})
			return
		}
	}
	http.Redirect(w, r, "/dialplan/"+sec.Key, http.StatusSeeOther)
}

// dialPlanObjectDeletePage asks before deleting object {index}: one
// misplaced click must not drop a ring group that calls depend on.
func (s *Server) dialPlanObjectDeletePage(w http.ResponseWriter, r *http.Request) {
	t, ok := s.planObject(w, r, false)
	if !ok {
		return
	}
	sec, k, d, i := t.sec, t.k, t.d, t.i
	items := k.items(&d)
	s.render(w, r, http.StatusOK, "dialplan_delete", pageData{Title: "Delete " + k.singular() + " " + items[i].Name, Active: "dialplan",
		Body: dialPlanDeleteBody{Section: sec, Singular: k.singular(), Item: items[i], Action: objectURL(sec.Key, i, items[i].Name, "delete")}})
}

// dialPlanDeleteBody is the content of the delete confirmation.
type dialPlanDeleteBody struct {
	Section  dialPlanSection
	Singular string
	Item     planItem
	Action   string
}

// dialPlanObjectDelete deletes object {index}; a plan that would no longer
// be valid without it (a route still naming it) is refused with the
// reason on the list page.
func (s *Server) dialPlanObjectDelete(w http.ResponseWriter, r *http.Request) {
	t, ok := s.planObject(w, r, false)
	if !ok {
		return
	}
	sec, k, d, i := t.sec, t.k, t.d, t.i
	name := k.items(&d)[i].Name
	k.remove(&d, i)
	if _, err := s.svc.UpdateDialPlan(r.Context(), d); err != nil {
		herr := s.serviceError("delete "+k.singular(), err)
		msg := herr.msg
		if herr.fields != nil { // the plan without it would be invalid: say where
			var ps []string
			for _, fe := range herr.fields {
				ps = append(ps, describePath(&d, fe.Field)+": "+sentence(fe.Message))
			}
			msg = strings.Join(ps, " ")
		}
		d2, _, _ := s.loadPlan(r)
		s.render(w, r, herr.status, "dialplan_list", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan",
			Error: sentence(fmt.Sprintf("%s %s was not deleted: %s", k.singular(), name, msg)),
			Body:  dialPlanObjectBody{Section: sec, Singular: k.singular(), Items: k.items(&d2)}})
		return
	}
	s.setFlash(r, sentence(fmt.Sprintf("%s %s deleted", k.singular(), name)))
	http.Redirect(w, r, "/dialplan/"+sec.Key, http.StatusSeeOther)
}
