package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// Destination pickers. A destination — where a route, a menu key, a
// forwarding or a group's timeout sends a call — is chosen, not typed: a
// select of every existing object grouped by kind (extensions, ring
// groups, voice menus...), an "outside number" choice with a box for the
// digits, "hang up", and "create new…" choices that open the form of a
// new object and come back to this form with it chosen (drafts.go). It
// works as a plain form; app.js splits the select into a choice of kind
// and then of object.
//
// The API for forms (the dial plan's, the extension page's, the setup
// wizard's):
//
//	ch := newDestChoices(&plan, extensions, fxsPorts) // once per page
//	f := destPicker(ch, "destination", "Calls go to", value, help)
//	...
//	create := resolvePickers(r.PostForm) // before reading the form
//	dest := r.PostForm.Get("destination") // "group:sales", "number:8916…"
//
// A picker posts the destination in its own name, in the configuration's
// notation, so every form reads it as it read a typed one.

// destGroup is one kind of destination in a picker: its objects and how
// to create one.
type destGroup struct {
	Kind    dialplan.DestKind
	Label   string
	Options []option
	// Create is the "create new" choice's value ("new:ring_groups"),
	// CreateLabel its label; empty when objects of the kind are made
	// elsewhere (ports) or not at all.
	Create, CreateLabel string
}

// destChoices are what the pickers of one page offer.
type destChoices struct {
	groups []destGroup
}

// createPrefix marks a picker's "create new" choice; createAny is the
// choice that asks which kind of object to create (createPage).
const (
	createPrefix = "new:"
	createAny    = "*"
)

// numberChoice is the picker's "outside number" choice; the digits come
// from the box beside the select (name + numberSuffix).
const (
	numberChoice = "number:"
	numberSuffix = ".number"
)

// newDestChoices lists the destinations of plan d with extensions exts
// and the FXS ports fxs, in the order of store.Sections.
func newDestChoices(d *store.DialPlan, exts []store.Extension, fxs []int) *destChoices {
	var c store.Config
	c.Extensions = exts
	c.SetDialPlan(*d)
	extName := map[string]string{}
	for _, e := range exts {
		extName[e.Number] = e.Name
	}
	withName := func(n string) string {
		if nm := extName[n]; nm != "" {
			return n + " " + nm
		}
		return n
	}
	ch := &destChoices{}
	add := func(kind dialplan.DestKind, label, create, one string, names []string, show func(string) string) {
		g := destGroup{Kind: kind, Label: label}
		for _, n := range names {
			g.Options = append(g.Options, option{Value: dialplan.Destination{Kind: kind, Value: n}.String(), Label: show(n)})
		}
		if create != "" {
			g.Create, g.CreateLabel = createPrefix+create, "New "+one+"…"
		}
		ch.groups = append(ch.groups, g)
	}
	same := func(n string) string { return n }
	add(dialplan.DestExtension, "Extensions", store.SectionExtensions, "extension", c.Names(store.SectionExtensions), withName)
	for _, s := range store.Sections() {
		if s.Dest == "" {
			continue
		}
		sec, _ := findDialPlanSection(s.Key)
		create, show := "", same
		if sec.list != nil {
			create = s.Key
		}
		if s.Dest == dialplan.DestVoicemail {
			show = withName
		}
		add(s.Dest, sec.Title, create, s.What, c.Names(s.Key), show)
	}
	var ports []string
	for _, n := range fxs {
		ports = append(ports, strconv.Itoa(n))
	}
	add(dialplan.DestFXS, "Analog ports", "", "", ports, func(n string) string { return "FXS port " + n })
	ch.groups = append(ch.groups, destGroup{Kind: dialplan.DestNumber, Label: "Other",
		Options: []option{{Value: numberChoice, Label: "Outside number…"}, {Value: string(dialplan.DestHangup), Label: "Hang up"}}})
	return ch
}

// noCreate takes the "create new" choices out of ch, for an account
// that may not create dial-plan objects.
func (ch *destChoices) noCreate() {
	for i := range ch.groups {
		ch.groups[i].Create, ch.groups[i].CreateLabel = "", ""
	}
}

// pickerGroup is a destGroup as a picker renders it.
type pickerGroup struct {
	Label   string
	Options []option
}

// destPicker is a destination field offering ch's destinations of kinds
// (none: every kind); value is the current destination, kept (marked)
// when it names nothing that exists so that saving does not change it
// silently.
func destPicker(ch *destChoices, id, label, value, help string, kinds ...dialplan.DestKind) *field {
	f := &field{ID: id, Name: id, Label: label, Type: "dest", Help: help, Value: value}
	allowed := func(k dialplan.DestKind) bool { return kinds == nil || slices.Contains(kinds, k) }
	found := value == ""
	sel := value
	if d, err := dialplan.ParseDestination(value); err == nil && d.Kind == dialplan.DestNumber && allowed(dialplan.DestNumber) {
		sel, f.Number = numberChoice, d.Value
		f.NumberOK = true
	}
	f.Options = []option{{Value: "", Label: "— none —", Selected: value == ""}}
	var create []option
	for _, g := range ch.groups {
		pg := pickerGroup{Label: g.Label}
		for _, o := range g.Options {
			k := g.Kind
			if o.Value == string(dialplan.DestHangup) {
				k = dialplan.DestHangup
			}
			if !allowed(k) {
				continue
			}
			o.Selected = o.Value == sel
			found = found || o.Selected
			if o.Value == numberChoice {
				f.NumberOK = true
			}
			pg.Options = append(pg.Options, o)
		}
		if len(pg.Options) > 0 {
			f.Groups = append(f.Groups, pg)
		}
		if g.Create != "" && allowed(g.Kind) {
			create = append(create, option{Value: g.Create, Label: g.CreateLabel})
		}
	}
	switch {
	case len(create) == 1:
		f.Groups = append(f.Groups, pickerGroup{Label: "Create new", Options: create})
	case len(create) > 1:
		// One choice, not one per kind: the page asks which (pages
		// with many pickers stay light).
		f.Groups = append(f.Groups, pickerGroup{Label: "Create new", Options: []option{{Value: createPrefix + createAny, Label: "Create new…"}}})
	}
	if !found {
		f.Options = append(f.Options, option{Value: value, Label: value + " (does not exist)", Selected: true})
	}
	return f
}

// pickerCreate is a picker's "create new" choice found in a posted form.
type pickerCreate struct {
	// Field is the picker's name; Section the kind of object to create
	// ("ring_groups", "extensions").
	Field, Section string
}

// resolvePickers turns the pickers of a posted form into destinations
// in place: "outside number" becomes number:DIGITS from the box beside
// it. A "create new" choice is cleared and returned (the first one), so
// that the caller can keep the form as a draft and open the new
// object's form instead of saving.
func resolvePickers(v url.Values) *pickerCreate {
	var create *pickerCreate
	for name, vals := range v {
		if len(vals) != 1 || strings.HasSuffix(name, numberSuffix) {
			continue
		}
		switch val := vals[0]; {
		case val == numberChoice:
			v.Set(name, numberChoice+strings.TrimSpace(v.Get(name+numberSuffix)))
		case strings.HasPrefix(val, createPrefix):
			sec := strings.TrimPrefix(val, createPrefix)
			v.Set(name, "")
			if create == nil || name < create.Field { // the same choice whatever the map's order
				create = &pickerCreate{Field: name, Section: sec}
			}
		}
	}
	if create != nil && !creatable(create.Section) {
		return nil
	}
	return create
}

// creatable reports whether a picker can create an object of section.
func creatable(section string) bool {
	if section == store.SectionExtensions || section == createAny {
		return true
	}
	sec, ok := findDialPlanSection(section)
	return ok && sec.list != nil
}

// createURL is the form of a new object of section.
func createURL(section string) string {
	switch section {
	case store.SectionExtensions:
		return "/extensions/new"
	case createAny:
		return "/dialplan/new"
	}
	return "/dialplan/" + section + "/new"
}

// destText says a destination in words for lists and diagrams: "ring
// group sales", "extension 201 Reception", "outside number 8916…".
func destText(s string, exts []store.Extension) string {
	d, err := dialplan.ParseDestination(s)
	if err != nil {
		return s
	}
	switch d.Kind {
	case dialplan.DestHangup:
		return "hang up"
	case dialplan.DestNumber:
		return "number " + d.Value
	case dialplan.DestFXS:
		return "FXS port " + d.Value
	case dialplan.DestExtension, dialplan.DestVoicemail:
		what := "extension "
		if d.Kind == dialplan.DestVoicemail {
			what = "voicemail of "
		}
		for _, e := range exts {
			if e.Number == d.Value && e.Name != "" {
				return fmt.Sprintf("%s%s %s", what, d.Value, e.Name)
			}
		}
		return what + d.Value
	}
	for _, sec := range store.Sections() {
		if sec.Dest == d.Kind {
			return sec.What + " " + d.Value
		}
	}
	return s
}

// createChoice is one kind of object the "create new" page offers.
type createChoice struct {
	Key, Label, URL string
}

// createPage asks which kind of object a picker's "create new" is for,
// keeping the draft on its way to the new object's form.
func (s *Server) createPage(w http.ResponseWriter, r *http.Request) {
	token, d := s.draftOf(r)
	if d == nil {
		s.renderError(w, r, http.StatusNotFound, "This form was left too long ago (or in another session); open it again.")
		return
	}
	choices := []createChoice{{Key: store.SectionExtensions, Label: "Extension", URL: withParam(createURL(store.SectionExtensions), draftParam, token)}}
	for _, st := range store.Sections() {
		if sec, ok := findDialPlanSection(st.Key); ok && st.Dest != "" && sec.list != nil {
			choices = append(choices, createChoice{Key: st.Key, Label: strings.ToUpper(st.What[:1]) + st.What[1:], URL: withParam(createURL(st.Key), draftParam, token)})
		}
	}
	s.render(w, r, http.StatusOK, "create_new", pageData{Title: "Create new", Active: "dialplan",
		Body: struct {
			Choices []createChoice
			Back    string
		}{choices, withParam(d.origin, restoreParam, token)}})
}
