package webui

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/store"
)

// The review lists every object the setup will create, change or remove.
// It is not drawn from the plan but from the difference between the
// configuration now and the one the store says the change would leave
// (CheckConfigChange), so what it shows is what Apply does; a part of the
// configuration it has no words for is still listed as changed.

type reviewView struct {
	// StepProblems are steps whose answers need another look.
	StepProblems []stepLink
	// Problems are what the store refuses in the change.
	Problems []reviewProblemItem
	Groups   []reviewGroup
	// Ready: the change can be applied.
	Ready bool
}

type reviewGroup struct {
	Title string
	Items []reviewItem
}

// reviewItem is one object: Change is new, changed, removed or note.
type reviewItem struct {
	Change, What string
	Details      []string
}

type reviewProblemItem struct {
	Where, Msg string
	// Step is the step to change to fix it ("" when none is the cause).
	Step, StepTitle string
}

// reviewProblem words a problem the store found, with the step whose
// answer it concerns when it is about the box's settings, extensions or
// lines (a problem in a dial-plan object is named by its path: it may be
// one the box had, in the way of the change).
func reviewProblem(f FieldError) reviewProblemItem {
	p := reviewProblemItem{Where: f.Field, Msg: sentence(f.Message)}
	for _, m := range []struct{ prefix, step, title string }{
		{"extensions", stepExtensions, "Extensions"},
		{"fxo_lines", stepLines, "Telephone lines"},
		{"system.outside_prefix", stepOutside, "Outside calls"},
		{"system.extension_length", stepNumbering, "Numbering"},
		{"system", stepCountry, "Country"},
	} {
		if strings.HasPrefix(f.Field, m.prefix) {
			p.Step, p.StepTitle = "/setup/"+m.step, m.title
			break
		}
	}
	return p
}

// destPhrase says a destination of the dial plan in words.
func destPhrase(d string) string {
	kind, value, _ := strings.Cut(d, ":")
	switch kind {
	case "ext":
		return fmt.Sprintf("extension %s", value)
	case "group":
		return fmt.Sprintf("ring group %s", value)
	case "menu":
		return fmt.Sprintf("voice menu %s", value)
	case "voicemail":
		return fmt.Sprintf("the mailbox of %s", value)
	case "time":
		return fmt.Sprintf("time condition %s", value)
	case "queue":
		return fmt.Sprintf("queue %s", value)
	case "number":
		return fmt.Sprintf("number %s", value)
	case "hangup", "":
		return "busy tone"
	}
	return d
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// was says a changed value: "Europe/Moscow (was UTC)".
func was(what, now, before string) string {
	return fmt.Sprintf("%s: %s (was %s)", what, now, before)
}

// reviewChanges lists what differs between before and after.
func reviewChanges(before, after *store.Config, p *wizardPlan) []reviewGroup {
	var groups []reviewGroup
	add := func(g reviewGroup) {
		if len(g.Items) > 0 {
			groups = append(groups, g)
		}
	}
	add(reviewSettings(before.System, after.System))
	add(reviewExtensions(before, after))
	add(reviewLines(before, after))
	add(diffNamed("Ring groups", "Ring group %s", before.RingGroups, after.RingGroups,
		func(g store.RingGroup) string { return g.Name }, describeGroup))
	add(diffNamed("Voice menus", "Voice menu %s", before.Menus, after.Menus,
		func(m store.Menu) string { return m.Name }, describeMenu))
	add(diffNamed("Schedules", "Schedule %s", before.Schedules, after.Schedules,
		func(s store.Schedule) string { return s.Name }, describeSchedule))
	add(diffNamed("Time conditions", "Time condition %s", before.TimeConditions, after.TimeConditions,
		func(t store.TimeCondition) string { return t.Name }, describeTimeCondition))
	routes := diffNamed("Inbound routes", "Inbound route %s", before.InboundRoutes, after.InboundRoutes,
		func(r store.InboundRoute) string { return r.Name }, describeInbound)
	routes.Items = append(routes.Items, shadowedRoutes(before, after)...)
	add(routes)
	add(diffNamed("SIP trunks", "Trunk %s", before.Trunks, after.Trunks,
		func(t store.Trunk) string { return t.Name }, describeTrunk))
	add(diffNamed("Line groups", "Line group %s", before.LineGroups, after.LineGroups,
		func(g store.LineGroup) string { return g.Name }, describeLineGroup))
	outbound := diffNamed("Outbound routes", "Outbound route %s", before.OutboundRoutes, after.OutboundRoutes,
		func(r store.OutboundRoute) string { return r.Name }, describeOutbound)
	outbound.Items = append(outbound.Items, shadowedOutbound(before, after)...)
	add(outbound)
	add(diffNamed("Voicemail", "Mailbox of %s", before.Voicemail.Boxes, after.Voicemail.Boxes,
		func(b store.Mailbox) string { return b.Extension }, describeMailbox))
	add(diffNamed("Call forwarding", "Forwarding of extension %s", before.ExtensionRules, after.ExtensionRules,
		func(r store.ExtensionRule) string { return r.Extension }, describeRule))
	add(reviewOtherSections(before, after))
	return groups
}

func reviewSettings(b, a store.System) reviewGroup {
	g := reviewGroup{Title: "Settings"}
	var d []string
	if a.ToneZone != b.ToneZone {
		d = append(d, was("Country tones and caller ID", a.ToneZone, b.ToneZone))
	}
	if a.TimeZone != b.TimeZone {
		d = append(d, was("Time zone", a.TimeZone, b.TimeZone))
	}
	if a.ExtensionLength != b.ExtensionLength {
		d = append(d, was("Extension length", strconv.Itoa(a.ExtensionLength), strconv.Itoa(b.ExtensionLength)))
	}
	if a.OutsidePrefix != b.OutsidePrefix {
		d = append(d, was("Outside prefix", orNone(a.OutsidePrefix), orNone(b.OutsidePrefix)))
	}
	if len(d) > 0 {
		g.Items = append(g.Items, reviewItem{Change: "changed", What: "The box's settings", Details: d})
	}
	rest, restBefore := a, b
	rest.ToneZone, rest.TimeZone, rest.ExtensionLength, rest.OutsidePrefix = "", "", 0, ""
	restBefore.ToneZone, restBefore.TimeZone, restBefore.ExtensionLength, restBefore.OutsidePrefix = "", "", 0, ""
	if !reflect.DeepEqual(rest, restBefore) {
		g.Items = append(g.Items, reviewItem{Change: "changed", What: "Other settings", Details: []string{"They change too."}})
	}
	return g
}

func phoneWords(port int) string {
	if port == 0 {
		return "SIP phone"
	}
	return fmt.Sprintf("analog phone on FXS %d", port)
}

func reviewExtensions(before, after *store.Config) reviewGroup {
	g := reviewGroup{Title: "Extensions"}
	old := map[string]store.Extension{}
	for _, e := range before.Extensions {
		old[e.Number] = e
	}
	for _, e := range after.Extensions {
		o, ok := old[e.Number]
		delete(old, e.Number)
		what := fmt.Sprintf("Extension %s", extensionLabel(e.Number, e.Name))
		if !ok {
			d := []string{fmt.Sprintf("Phone: %s", phoneWords(e.FXSPort)), fmt.Sprintf("May call outside: %s", yesNo(e.OutsideCalls))}
			if e.FXSPort == 0 {
				d = append(d, "Its SIP password is generated and shown at the end.")
			}
			g.Items = append(g.Items, reviewItem{Change: "new", What: what, Details: d})
			continue
		}
		var d []string
		if e.Name != o.Name {
			d = append(d, was("Name", orNone(e.Name), orNone(o.Name)))
		}
		if e.FXSPort != o.FXSPort {
			d = append(d, was("Phone", phoneWords(e.FXSPort), phoneWords(o.FXSPort)))
		}
		if e.OutsideCalls != o.OutsideCalls {
			d = append(d, was("May call outside", yesNo(e.OutsideCalls), yesNo(o.OutsideCalls)))
		}
		if e.Secret != o.Secret || e.RequireEncryption != o.RequireEncryption {
			d = append(d, "Its SIP settings change.")
		}
		if len(d) > 0 {
			g.Items = append(g.Items, reviewItem{Change: "changed", What: what, Details: d})
		}
	}
	for _, e := range before.Extensions {
		if _, gone := old[e.Number]; gone {
			g.Items = append(g.Items, reviewItem{Change: "removed", What: fmt.Sprintf("Extension %s", extensionLabel(e.Number, e.Name)),
				Details: []string{"Removed, with its mailbox and call forwarding. Voicemail messages stay on the Voicemail page until deleted."}})
		}
	}
	return g
}

func reviewLines(before, after *store.Config) reviewGroup {
	g := reviewGroup{Title: "Telephone lines"}
	old := map[int]store.FXOLine{}
	for _, l := range before.FXOLines {
		old[l.Port] = l
	}
	for _, l := range after.FXOLines {
		o := old[l.Port]
		var d []string
		if l.Enabled != o.Enabled {
			d = append(d, was("In use", yesNo(l.Enabled), yesNo(o.Enabled)))
		}
		if l.Destination != o.Destination {
			d = append(d, was("Rings, when no inbound route covers it", orNone(l.Destination), orNone(o.Destination)))
		}
		if l.Name != o.Name || l.AnswerAfterRings != o.AnswerAfterRings || l.AnswerOnReversal != o.AnswerOnReversal {
			d = append(d, "Its other settings change.")
		}
		if len(d) > 0 {
			g.Items = append(g.Items, reviewItem{Change: "changed", What: fmt.Sprintf("Line %d", l.Port), Details: d})
		}
	}
	return g
}

// diffNamed lists the objects of one section that are new, changed or
// removed, matched by name.
func diffNamed[T any](title, what string, before, after []T, name func(T) string, describe func(T) []string) reviewGroup {
	g := reviewGroup{Title: title}
	old := map[string]T{}
	for _, x := range before {
		old[name(x)] = x
	}
	seen := map[string]bool{}
	for _, x := range after {
		n := name(x)
		seen[n] = true
		o, ok := old[n]
		switch {
		case !ok:
			g.Items = append(g.Items, reviewItem{Change: "new", What: fmt.Sprintf(what, n), Details: describe(x)})
		case !sameJSON(o, x):
			g.Items = append(g.Items, reviewItem{Change: "changed", What: fmt.Sprintf(what, n),
				Details: append([]string{"Now:"}, describe(x)...)})
		}
	}
	for _, x := range before {
		if !seen[name(x)] {
			g.Items = append(g.Items, reviewItem{Change: "removed", What: fmt.Sprintf(what, name(x)), Details: []string{"Removed."}})
		}
	}
	return g
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func describeGroup(g store.RingGroup) []string {
	var m []string
	for _, x := range g.Members {
		m = append(m, strings.TrimPrefix(x.Destination, "ext:"))
	}
	return []string{fmt.Sprintf("Rings %s at once.", strings.Join(m, ", "))}
}

func describeMenu(m store.Menu) []string {
	var d []string
	if len(m.Prompts) > 0 && m.Prompts[0].File != "" {
		d = append(d, fmt.Sprintf("Plays the recording %s.", m.Prompts[0].File))
	} else {
		d = append(d, "Plays a short tone until a greeting is chosen on its page.")
	}
	for _, k := range menuKeys {
		if dest, ok := m.Keys[k]; ok {
			d = append(d, fmt.Sprintf("Key %s: %s", k, destPhrase(dest)))
		}
	}
	if m.DirectDial {
		d = append(d, "Callers may dial an extension's number.")
	}
	d = append(d, fmt.Sprintf("Pressing nothing leads to %s.", destPhrase(m.DefaultDestination)))
	return d
}

func describeSchedule(s store.Schedule) []string {
	return []string{fmt.Sprintf("Open: %s.", strings.Join(s.Hours, "; "))}
}

func describeTimeCondition(t store.TimeCondition) []string {
	return []string{fmt.Sprintf("While schedule %s is open: %s.", t.Schedule, destPhrase(t.Open)),
		fmt.Sprintf("Otherwise: %s.", destPhrase(t.Closed))}
}

func describeInbound(r store.InboundRoute) []string {
	var from string
	switch {
	case len(r.Trunks) > 0:
		from = fmt.Sprintf("Calls from trunk %s go to %s.", strings.Join(r.Trunks, ", "), destPhrase(r.Destination))
	case len(r.Lines) > 0:
		from = fmt.Sprintf("Calls on line %s go to %s.", joinInts(r.Lines), destPhrase(r.Destination))
	default:
		from = fmt.Sprintf("Calls on every line go to %s.", destPhrase(r.Destination))
	}
	return []string{from}
}

func describeTrunk(t store.Trunk) []string {
	return []string{fmt.Sprintf("Registers as %s at %s over %s.", t.Username, t.Host, strings.ToUpper(cmp.Or(t.Transport, "udp")))}
}

func describeLineGroup(g store.LineGroup) []string {
	return []string{fmt.Sprintf("Lines %s, the first free one from the lowest.", joinInts(g.Lines))}
}

func describeOutbound(r store.OutboundRoute) []string {
	prefix := r.Pattern[:r.Strip]
	return []string{fmt.Sprintf("%s and a number: the number goes out through %s.", prefix, strings.Join(r.Via, ", then "))}
}

func describeMailbox(store.Mailbox) []string {
	return []string{"Takes messages; its PIN is shown at the end."}
}

func describeRule(r store.ExtensionRule) []string {
	var d []string
	if r.ForwardBusy != "" {
		d = append(d, fmt.Sprintf("When busy: %s.", destPhrase(r.ForwardBusy)))
	}
	if r.ForwardNoAnswer != "" {
		d = append(d, fmt.Sprintf("After %d seconds without an answer: %s.", cmp.Or(r.NoAnswerS, 20), destPhrase(r.ForwardNoAnswer)))
	}
	if len(d) == 0 {
		d = append(d, "Its call handling changes.")
	}
	return d
}

// shadowedRoutes notes the box's inbound routes that the setup's new
// ones now come before, for the lines both cover.
func shadowedRoutes(before, after *store.Config) []reviewItem {
	var out []reviewItem
	old := map[string]bool{}
	for _, r := range before.InboundRoutes {
		old[r.Name] = true
	}
	for _, r := range after.InboundRoutes {
		if !old[r.Name] || len(r.Trunks) > 0 || len(r.DIDs) > 0 {
			continue
		}
		var lines []int
		for _, n := range after.InboundRoutes {
			if old[n.Name] || len(n.Lines) != 1 {
				continue
			}
			if len(r.Lines) == 0 || slices.Contains(r.Lines, n.Lines[0]) {
				lines = append(lines, n.Lines[0])
			}
		}
		if len(lines) > 0 {
			out = append(out, reviewItem{Change: "note", What: fmt.Sprintf("Inbound route %s", r.Name),
				Details: []string{fmt.Sprintf("It covers line %s too; the new routes come first, so it no longer takes those calls.", joinInts(lines))}})
		}
	}
	return out
}

// shadowedOutbound notes the new outbound routes that a route of the box
// with the same pattern comes before (the first matching route wins).
func shadowedOutbound(before, after *store.Config) []reviewItem {
	var out []reviewItem
	for _, r := range after.OutboundRoutes {
		if slices.ContainsFunc(before.OutboundRoutes, func(o store.OutboundRoute) bool { return o.Name == r.Name }) {
			continue
		}
		for _, o := range before.OutboundRoutes {
			if o.Pattern == r.Pattern {
				out = append(out, reviewItem{Change: "note", What: fmt.Sprintf("Outbound route %s", r.Name),
					Details: []string{fmt.Sprintf("Route %s has the same pattern %s and comes first, so it takes these calls.", o.Name, o.Pattern)}})
				break
			}
		}
	}
	return out
}

// reviewOtherSections lists any other section of the dial plan that
// differs (the wizard changes none; the safety net of the review).
func reviewOtherSections(before, after *store.Config) reviewGroup {
	g := reviewGroup{Title: "Other parts of the dial plan"}
	handled := []string{"ring_groups", "ivr_menus", "schedules", "time_conditions", "inbound_routes", "trunks",
		"line_groups", "outbound_routes", "voicemail", "extension_rules"}
	var a, b map[string]json.RawMessage
	ab, _ := json.Marshal(after.DialPlan())
	bb, _ := json.Marshal(before.DialPlan())
	if json.Unmarshal(ab, &a) != nil || json.Unmarshal(bb, &b) != nil {
		return g
	}
	for _, k := range store.DialPlanSections() {
		if slices.Contains(handled, k) {
			if k != "voicemail" {
				continue
			}
			// The mailboxes are listed; the limits are not.
			var va, vb store.Voicemail
			_ = json.Unmarshal(a[k], &va)
			_ = json.Unmarshal(b[k], &vb)
			va.Boxes, vb.Boxes = nil, nil
			if sameJSON(va, vb) {
				continue
			}
		} else if string(a[k]) == string(b[k]) {
			continue
		}
		g.Items = append(g.Items, reviewItem{Change: "changed", What: fmt.Sprintf("Section %s", k), Details: []string{"It changes."}})
	}
	return g
}
