package webui

import (
	"context"
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
	p.showIn(f)
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

// showIn puts back into f what was typed that f would not show (p.keep)
// and what could not be read, beside its field with the problem (p.bad);
// a problem of no field of f goes to its top.
func (p *formParser) showIn(f *form) {
	for name, v := range p.keep {
		if x := f.field(name); x != nil {
			x.Value = v
		}
	}
	for name, msg := range p.bad {
		if x := f.field(name); x != nil {
			x.Value, x.Error = p.raw[name], msg
		} else {
			f.Errors = append(f.Errors, msg)
		}
	}
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
	// Choices are what destination pickers offer (picker.go).
	Choices     *destChoices
	Recordings  []option // for the recordings datalist of prompt fields (recordings.go)
	Schedules   []string
	LineGroups  []string // and SIP trunks: the carriers of outbound routes
	Classifiers []string // caller lists, for inbound routes
	Extensions  []store.Extension
	FXOLines    []store.FXOLine
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
	addCallFeatureChoices(c, d)
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

// memberFields are a member list (a ring group's, a queue's agents, a
// follow-me list) as a compact table: one row per member with its ring
// time and whether it is switched off (store.GroupMember.Off, which a
// user sets on their follow-me numbers: saving the installer's form
// keeps it), then memberRows empty rows for adding.
func memberFields(c *planContext, prefix, what string, ms []store.GroupMember, ringHelp string) []*field {
	t := &field{ID: prefix, Name: prefix, Label: what + "s", Type: "rows", RowHead: "", ColHeads: []string{what, "Ring time (s)", "Off"},
		Help: "“None” removes (or does not add) a row; “Off” keeps it in the list without ringing it. " + ringHelp}
	for j := 0; j < len(ms)+memberRows; j++ {
		var m store.GroupMember
		if j < len(ms) {
			m = ms[j]
		}
		p := fmt.Sprintf("%s[%d].", prefix, j)
		dest := destPicker(c.Choices, p+"destination", fmt.Sprintf("%s %d", what, j+1), m.Destination, "", store.MemberKinds...)
		ring := &field{ID: p + "ring_s", Name: p + "ring_s", Label: fmt.Sprintf("%s %d ring time (seconds)", what, j+1), Type: "number", Value: itoaBlank(m.RingS),
			Min: fmt.Sprint(store.MinRingS), Max: fmt.Sprint(store.MaxRingS), InputMode: "numeric"}
		off := &field{ID: p + "off", Name: p + "off", Label: fmt.Sprintf("%s %d switched off", what, j+1), Type: "checkbox", Checked: m.Off}
		t.Rows = append(t.Rows, &field{ID: fmt.Sprintf("%s[%d]", prefix, j), Label: strconv.Itoa(j + 1), Rows: []*field{dest, ring, off}})
	}
	return []*field{t}
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
		out = append(out, store.GroupMember{Destination: dest, RingS: p.num(pf+"ring_s", into, "the ring time in seconds"), Off: v.Get(pf+"off") != ""})
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
		fs = append(fs, memberFields(c, "members", "Member", g.Members,
			fmt.Sprintf("How long this member rings before the group moves on, in seconds. Empty: %d.", store.DefaultMemberRingS))...)
		fs = append(fs,
			&field{ID: "max_wait_s", Name: "max_wait_s", Label: "Maximum wait (seconds)", Type: "number", Value: itoaBlank(g.MaxWaitS), Min: "0", InputMode: "numeric",
				Help: "How long the caller may wait in all before the timeout destination. Empty or 0: every member rings its time once."},
			destPicker(c.Choices, "timeout_destination", "When nobody answers, go to", g.Timeout, "Empty: the call ends."),
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
				for _, y := range f.allFields() {
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
	k := sec.list
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
	// Cancel, when set, is where Cancel goes instead of the list; Draft
	// says the form was opened from another form's picker, where saving
	// returns.
	Cancel string
	Draft  bool
	// InUse names what still uses an object that was not deleted.
	InUse *inUseView
	// Warnings say what is amiss without being refused (a recording
	// never uploaded); on a list page, what the section lacks or hides
	// (sectionNotes: the outside prefix's catch-all route).
	Warnings []string
}

// loadPlan reads the dial plan and what forms offer to choose from.
func (s *Server) loadPlan(r *http.Request) (store.DialPlan, *planContext, error) {
	_, d, pc, err := s.loadPlanConfig(r)
	return d, pc, err
}

// loadPlanConfig is loadPlan with the whole configuration it read.
func (s *Server) loadPlanConfig(r *http.Request) (store.Config, store.DialPlan, *planContext, error) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		return c, store.DialPlan{}, nil, err
	}
	d := c.DialPlan()
	pc := newPlanContext(&d, c.Extensions, c.FXOLines)
	pc.Recordings = s.recordingOptions(r.Context())
	s.addPortsAndMusic(r.Context(), pc)
	pc.Choices = newDestChoices(&d, c.Extensions, pc.FXSPorts)
	if !s.mayGet(authFrom(r.Context()), "/dialplan/new") {
		pc.Choices.noCreate() // its form would be refused
	}
	return c, d, pc, nil
}

// dialPlanKindPage is a kind's list of objects.
func (s *Server) dialPlanKindPage(w http.ResponseWriter, r *http.Request, sec dialPlanSection, k planKind) {
	c, d, _, err := s.loadPlanConfig(r)
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	s.render(w, r, http.StatusOK, "dialplan_list", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan",
		Body: dialPlanObjectBody{Section: sec, Singular: k.singular(), Items: k.items(&d), Warnings: sectionNotes(&c, sec.Key)}})
}

// planKindFor resolves the section of a form route.
func (s *Server) planKindFor(w http.ResponseWriter, r *http.Request) (dialPlanSection, planKind, bool) {
	sec, ok := findDialPlanSection(r.PathValue("section"))
	k := sec.list
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
	f := k.form(&d, i, c)
	if vals := s.draftValues(r); vals != nil {
		// Back from creating an object one of its pickers chose: the
		// form as it was typed, with the new object chosen.
		j := i
		if j < 0 {
			j = len(k.items(&d))
		}
		f = k.submit(&d, j, vals, c)
		if i < 0 {
			f.Action = "/dialplan/" + sec.Key + "/new"
		}
	}
	b := dialPlanObjectBody{Section: sec, Singular: k.singular(), Form: f, Context: c, Editing: i >= 0}
	if i >= 0 {
		b.Warnings = s.objectWarnings(r.Context(), &d, sec.Key, i)
	}
	s.draftForm(r, &b)
	s.render(w, r, http.StatusOK, "dialplan_object", pageData{Title: title, Active: "dialplan", Body: b})
}

// objectWarnings are what is wrong with object i of section key of d
// without making it invalid: recordings it plays that were never
// uploaded (callers would hear nothing there).
func (s *Server) objectWarnings(ctx context.Context, d *store.DialPlan, key string, i int) []string {
	var c store.Config
	c.SetDialPlan(*d)
	prefix := fmt.Sprintf("%s[%d].", key, i)
	var out []string
	for _, ref := range s.missingPrompts(ctx, &c) {
		if strings.HasPrefix(ref.Path, prefix) {
			out = append(out, sentence(missingWords(&c, ref))+" Upload it on the Recordings page, or choose another.")
		}
	}
	return out
}

// draftForm makes the form of b, opened to create an object for another
// form's picker (a draft), carry the draft and cancel back to that form.
func (s *Server) draftForm(r *http.Request, b *dialPlanObjectBody) {
	token, d := s.draftOf(r)
	if d == nil {
		return
	}
	b.Form.Hidden = append(b.Form.Hidden, option{Value: token, Label: draftParam})
	b.Cancel = withParam(d.origin, restoreParam, token)
	b.Draft = true
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
	if pc := resolvePickers(r.PostForm); pc != nil {
		s.startDraft(w, r, pc)
		return
	}
	f := k.submit(&d, i, r.PostForm, c)
	status := http.StatusUnprocessableEntity
	if r.PostForm.Get("_copy") != "" {
		// A button that changes the form, not the plan (the week grid's
		// "copy Monday to the weekdays"): shown again, nothing saved.
		status = http.StatusOK
	} else if !f.hasErrors() {
		_, err := s.svc.UpdateDialPlan(r.Context(), d)
		if err == nil {
			verb := "created"
			if editing {
				verb = "saved"
			}
			name := k.items(&d)[i].Name
			flash := sentence(fmt.Sprintf("%s %s %s", k.singular(), name, verb))
			for _, warn := range s.objectWarnings(r.Context(), &d, sec.Key, i) {
				flash += " Warning: " + warn
			}
			s.setFlash(r, flash)
			if !editing && s.finishDraft(w, r, newDest(sec.Key, name)) {
				return
			}
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
	b := dialPlanObjectBody{Section: sec, Singular: k.singular(), Form: f, Context: c, Editing: editing,
		Warnings: s.objectWarnings(r.Context(), &d, sec.Key, i)}
	s.draftForm(r, &b)
	pd := pageData{Title: title, Active: "dialplan", Body: b}
	if status != http.StatusOK {
		pd.Error = sentence(k.singular() + " not saved; see the problems beside the fields")
	}
	s.render(w, r, status, "dialplan_object", pd)
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
	b := dialPlanDeleteBody{Section: sec, Singular: k.singular(), Item: items[i], Action: objectURL(sec.Key, i, items[i].Name, "delete")}
	if c, users := s.objectUsers(r.Context(), sec.Key, items[i].Name); len(users) > 0 {
		b.InUse = &inUseView{What: k.singular(), Name: items[i].Name, Users: usersOf(c, users)}
	}
	s.render(w, r, http.StatusOK, "dialplan_delete", pageData{Title: "Delete " + k.singular() + " " + items[i].Name, Active: "dialplan", Body: b})
}

// dialPlanDeleteBody is the content of the delete confirmation.
type dialPlanDeleteBody struct {
	Section  dialPlanSection
	Singular string
	Item     planItem
	Action   string
	// InUse names what still uses the object (it cannot be deleted).
	InUse *inUseView
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
	if c, users := s.objectUsers(r.Context(), sec.Key, name); len(users) > 0 {
		s.render(w, r, http.StatusConflict, "dialplan_list", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan",
			Error: sentence(fmt.Sprintf("%s %s is in use, so it was not deleted; change what uses it first", k.singular(), name)),
			Body: dialPlanObjectBody{Section: sec, Singular: k.singular(), Items: k.items(&d),
				InUse: &inUseView{What: k.singular(), Name: name, Users: usersOf(c, users)}}})
		return
	}
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
