package webui

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// The form of each kind of dial-plan object (see dialplan_forms.go for
// how they are served). Field names are paths in the object.

// listRows are select rows for a list of names (an outbound route's line
// groups), the chosen ones then memberRows empty ones.
func listRows(prefix, label string, values, choices []string, none, help string) []*field {
	var out []*field
	for j := 0; j < len(values)+memberRows; j++ {
		v := ""
		if j < len(values) {
			v = values[j]
		}
		id := fmt.Sprintf("%s[%d]", prefix, j)
		out = append(out, &field{ID: id, Name: id, Label: fmt.Sprintf("%s %d", label, j+1), Type: "select",
			Options: nameOptions(choices, v, none), Help: help})
	}
	return out
}

// countOf says n things in the list pages' words: "1 number", "2 numbers".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// parseRows reads rows named prefix[0], prefix[1]…, dropping empty ones.
func parseRows(prefix string, v url.Values, p *formParser) []string {
	var out []string
	for j := 0; ; j++ {
		name := fmt.Sprintf("%s[%d]", prefix, j)
		if _, ok := v[name]; !ok {
			return out
		}
		if s := p.str(name); s != "" {
			out = append(out, s)
		}
	}
}

func classOptions(value string, allowDefault bool) []option {
	var opts []option
	if allowDefault {
		opts = append(opts, option{Value: "", Label: "From the extension's “May call outside lines” (international if ticked, internal if not)"})
	}
	for _, c := range dialplan.ClassNames() {
		label := c
		switch c {
		case "internal":
			label = "Internal — extensions and the box's own numbers only"
		case "local":
			label = "Local — plus local outside numbers"
		case "national":
			label = "National — plus long-distance numbers in the country"
		case "international":
			label = "International — any number"
		}
		if c == "internal" && !allowDefault {
			continue
		}
		opts = append(opts, option{Value: c, Label: label})
	}
	return selectOptions(opts, value, "unknown")
}

var outboundRouteKind = &objectKind[store.OutboundRoute]{
	key: "outbound_routes", one: "outbound route",
	list: func(d *store.DialPlan) *[]store.OutboundRoute { return &d.OutboundRoutes },
	name: func(r store.OutboundRoute) string { return r.Name },
	detail: func(r store.OutboundRoute) string {
		return fmt.Sprintf("%s via %s (%s)", r.Pattern, strings.Join(r.Via, ", then "), r.Class)
	},
	fields: func(r store.OutboundRoute, c *planContext) []*field {
		if r.Class == "" {
			r.Class = "national"
		}
		fs := []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: r.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name for this route, e.g. mobile or international. Letters, digits, - and _."},
			{ID: "pattern", Name: "pattern", Label: "Numbers it takes (pattern)", Type: "text", Value: r.Pattern, MaxLength: 32, Autocomplete: "off", Required: true,
				Help: "The numbers as dialled that use this route: digits stand for themselves, X is any digit, N is 2-9, Z is 1-9, [1-5] is one of those, and a final . is any number of further digits. E.g. 8XXXXXXXXXX, 810X., 0XX."},
			{ID: "strip", Name: "strip", Label: "Digits to remove at the start", Type: "number", Value: itoaBlank(r.Strip), Min: "0", InputMode: "numeric",
				Help: "How many leading digits to drop before dialling out (e.g. 1 to drop an access digit). Empty or 0: none."},
			{ID: "prepend", Name: "prepend", Label: "Digits to add at the start", Type: "text", Value: r.Prepend, MaxLength: 16, InputMode: "numeric", Autocomplete: "off",
				Help: "Digits dialled before the number on the outside line (after removing), e.g. a carrier code. Empty: none."},
			{ID: "class", Name: "class", Label: "Permission needed", Type: "select", Options: classOptions(r.Class, false),
				Help: "Only extensions with at least this permission class (Extension rules) may use the route. Emergency numbers always go through."},
		}
		fs = append(fs, listRows("via", "Carrier, choice", r.Via, c.LineGroups, "— none —",
			"Line groups or SIP trunks tried in this order: if the first cannot take the call (every line busy, trunk down or full), the next. Set them up on their own pages.")...)
		fs = append(fs,
			&field{ID: "caller_id", Name: "caller_id", Label: "Caller number shown", Type: "text", Value: r.CallerID, MaxLength: 32, Autocomplete: "off",
				Help: "The number a SIP trunk shows for callers without an outbound number of their own (set on the extension). Digits, optionally a leading +. Empty: the trunk's. An analog line always shows its own number."},
			&field{ID: "caller_name", Name: "caller_name", Label: "Caller name shown", Type: "text", Value: r.CallerName, MaxLength: 64,
				Help: "Optional: the name sent with that number."},
			&field{ID: "override_caller_id", Name: "override_caller_id", Label: "Show this number for every caller", Type: "checkbox", Checked: r.OverrideCallerID,
				Help: "Even an extension with its own number, or an outside caller forwarded out: everyone shows the number above."})
		return append(fs, tariffFields(r.Tariff)...)
	},
	parse: func(v url.Values, p *formParser, r store.OutboundRoute) store.OutboundRoute {
		r.Name, r.Pattern, r.Prepend, r.Class = p.str("name"), p.str("pattern"), p.str("prepend"), p.str("class")
		r.Strip = p.num("strip", "strip", "the number of digits")
		r.Via = parseRows("via", v, p)
		r.CallerID, r.CallerName = p.str("caller_id"), p.str("caller_name")
		r.OverrideCallerID = v.Get("override_caller_id") != ""
		r.Tariff = parseTariff(p)
		return r
	},
}

func lineOptions(value int, fxo []store.FXOLine) []option {
	opts := []option{{Value: "0", Label: "Every line"}}
	for _, l := range fxo {
		label := fmt.Sprintf("FXO line %d", l.Port)
		if l.Name != "" {
			label += " — " + l.Name
		}
		opts = append(opts, option{Value: strconv.Itoa(l.Port), Label: label})
	}
	return selectOptions(opts, strconv.Itoa(value), "not on this board")
}

var inboundRouteKind = &objectKind[store.InboundRoute]{
	key: "inbound_routes", one: "inbound route",
	list: func(d *store.DialPlan) *[]store.InboundRoute { return &d.InboundRoutes },
	name: func(r store.InboundRoute) string { return r.Name },
	detail: func(r store.InboundRoute) string {
		lines := "every line"
		if len(r.Lines) > 0 {
			var ls []string
			for _, l := range r.Lines {
				ls = append(ls, strconv.Itoa(l))
			}
			lines = "line " + strings.Join(ls, ", ")
		}
		s := lines + " → " + r.Destination
		if r.Schedule != "" {
			s += " while " + r.Schedule + " is open"
			if r.ClosedDestination != "" {
				s += ", else " + r.ClosedDestination
			}
		}
		// A route's own lists change who gets through it: the list says
		// so without opening each route.
		if len(r.Classifiers) > 0 {
			s += "; caller lists: " + strings.Join(r.Classifiers, ", ")
		}
		return s
	},
	fields: func(r store.InboundRoute, c *planContext) []*field {
		line := 0
		if len(r.Lines) > 0 {
			line = r.Lines[0]
		}
		fs := []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: r.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name for this route, e.g. main-line."},
			{ID: "lines", Name: "lines", Label: "Line", Type: "select", Options: lineOptions(line, c.FXOLines),
				Help: "The FXO line whose calls this route takes. The first route covering a line wins; a line no route covers rings its own destination (Settings)."},
		}
		if len(r.Lines) > 1 {
			var ls []string
			for _, l := range r.Lines {
				ls = append(ls, strconv.Itoa(l))
			}
			fs[1] = &field{ID: "lines", Name: "lines", Label: "Lines", Type: "text", Value: strings.Join(ls, ", "), Autocomplete: "off",
				Help: "The FXO line numbers whose calls this route takes, separated by commas; empty for every line."}
		}
		fs = append(fs,
			&field{ID: "schedule", Name: "schedule", Label: "Schedule", Type: "select", Options: nameOptions(c.Schedules, r.Schedule, "— always open —"),
				Help: "Optional: with a schedule, calls go to the destination during its working hours and to the closed destination otherwise."},
			destPicker(c.Choices, "destination", "Destination", r.Destination, "Where calls go (while the schedule is open)."),
			destPicker(c.Choices, "closed_destination", "Destination when closed", r.ClosedDestination, "Where calls go outside the schedule's hours and on its holidays; needs a schedule. Empty: the destination."),
			&field{ID: "max_calls", Name: "max_calls", Label: "Maximum calls at once", Type: "number", Value: itoaBlank(r.MaxCalls), Min: "0", InputMode: "numeric",
				Help: "One more caller hears busy. Empty or 0: no limit."},
			mohField(r.MOHClass, c, "— the box's (Features page) —", "What this route's callers hear when put on hold or parked, unless the extension holding them has a class of its own."),
			recordField(r.Record, "— as the box says —", "Whether this route's calls are recorded, unless an extension that takes part says otherwise."),
			destPicker(c.Choices, "fax_detect", "Fax detection", r.FaxDetect, "Optional: a fax receiver (fax:NAME). A call that a voice menu or an announcement answered goes there when the box hears a fax machine calling."),
		)
		return append(fs, listRows("classifiers", "Caller list for this route", r.Classifiers, c.Classifiers, "— none —",
			"Caller lists checked for this route's calls only, in this order, after the lists no route names (those apply to every outside call). Choosing a list here makes it this route's: it then applies only on the routes that choose it. Set lists up on the Caller lists page.")...)
	},
	parse: func(v url.Values, p *formParser, r store.InboundRoute) store.InboundRoute {
		r.Name, r.Schedule, r.Destination, r.ClosedDestination = p.str("name"), p.str("schedule"), p.str("destination"), p.str("closed_destination")
		r.Lines = slices.DeleteFunc(lineNumbers(p.str("lines"), p, "lines"), func(n int) bool { return n == 0 }) // 0: every line
		r.MaxCalls = p.num("max_calls", "max_calls", "the number of calls")
		r.Classifiers = parseRows("classifiers", v, p)
		r.MOHClass = p.str("moh_class")
		r.Record = p.str("record")
		r.FaxDetect = p.str("fax_detect")
		return r
	},
}

// weekdays in display order, with their names in the hours syntax.
var weekdays = []struct {
	day        time.Weekday
	key, label string
}{
	{time.Monday, "mon", "Monday"}, {time.Tuesday, "tue", "Tuesday"}, {time.Wednesday, "wed", "Wednesday"},
	{time.Thursday, "thu", "Thursday"}, {time.Friday, "fri", "Friday"}, {time.Saturday, "sat", "Saturday"}, {time.Sunday, "sun", "Sunday"},
}

// dayPeriods spreads a schedule's hours over the weekdays: key →
// ["09:00-13:00", "14:00-18:00"]. A bad time stays on its days' rows as
// typed (the form shows it back with the store's message); an entry whose
// days do not parse either is kept whole on Monday's row, so nothing is
// lost silently.
func dayPeriods(hours []string) map[string][]string {
	out := map[string][]string{}
	for _, h := range hours {
		days, span, _ := strings.Cut(strings.TrimSpace(h), " ")
		span = strings.TrimSpace(span)
		var w dialplan.Weekdays
		if ph, err := dialplan.ParseHours(h); err == nil {
			w = ph.Days
		} else if w, err = dialplan.ParseWeekdays(days); err != nil {
			out["mon"] = append(out["mon"], h)
			continue
		}
		for _, d := range weekdays {
			if w.Has(d.day) {
				out[d.key] = append(out[d.key], span)
			}
		}
	}
	return out
}

// hoursOf joins the weekday rows back into hours entries, consecutive
// days with the same periods as one range ("mon-fri 09:00-18:00").
func hoursOf(rows map[string][]string) []string {
	var out []string
	for i := 0; i < len(weekdays); {
		cur := rows[weekdays[i].key]
		j := i
		for j+1 < len(weekdays) && slices.Equal(rows[weekdays[j+1].key], cur) {
			j++
		}
		days := weekdays[i].key
		if j > i {
			days += "-" + weekdays[j].key
		}
		for _, span := range cur {
			out = append(out, days+" "+span)
		}
		i = j + 1
	}
	return out
}

var scheduleKind = &objectKind[store.Schedule]{
	key: "schedules", one: "schedule",
	list: func(d *store.DialPlan) *[]store.Schedule { return &d.Schedules },
	name: func(s store.Schedule) string { return s.Name },
	detail: func(s store.Schedule) string {
		d := strings.Join(s.Hours, "; ")
		if len(s.Holidays) > 0 {
			d += "; " + countOf(len(s.Holidays), "holiday", "holidays")
		}
		return d
	},
	fields: func(s store.Schedule, c *planContext) []*field {
		fs := []*field{{ID: "name", Name: "name", Label: "Name", Type: "text", Value: s.Name, MaxLength: 32, Required: true, Autocomplete: "off",
			Help: "A short name, e.g. office-hours; inbound routes and follow-me choose schedules by it."}}
		periods := dayPeriods(s.Hours)
		cols := 2 // periods per day shown: at least two (a lunch break), more when stored
		for _, ps := range periods {
			cols = max(cols, len(ps))
		}
		week := &field{ID: "week", Name: "week", Label: "Working hours", Type: "rows", RowHead: "Day", CopyWeekdays: true,
			Help: "Opening and closing times in the box's time zone (Settings); a second pair for a break, e.g. 09:00–13:00 and 14:00–18:00. Leave a day empty: closed all day."}
		for k := range cols {
			if k == 0 {
				week.ColHeads = append(week.ColHeads, "Opens", "Closes")
			} else {
				week.ColHeads = append(week.ColHeads, "Opens again", "Closes again")
			}
		}
		for _, w := range weekdays {
			row := &field{ID: "day_" + w.key, Name: "day_" + w.key, Label: w.label}
			for k := range cols {
				var from, to string
				if k < len(periods[w.key]) {
					from, to, _ = strings.Cut(periods[w.key][k], "-")
				}
				for n, v := range []string{from, to} {
					label := []string{"%s opens", "%s closes"}[n]
					if k > 0 {
						label = []string{"%s opens again", "%s closes again"}[n]
					}
					id := fmt.Sprintf("day_%s.%d", w.key, 2*k+n)
					row.Rows = append(row.Rows, &field{ID: id, Name: id, Label: fmt.Sprintf(label, w.label), Type: "time", Value: v})
				}
			}
			week.Rows = append(week.Rows, row)
		}
		return append(fs, week, &field{ID: "holidays", Name: "holidays", Label: "Holidays", Type: "textarea", Value: strings.Join(s.Holidays, "\n"),
			Help: "Closed days, one a line: 2026-12-31 (that date) or 01-01 (every year)."})
	},
	parse: func(v url.Values, p *formParser, s store.Schedule) store.Schedule {
		s.Name = p.str("name")
		rows := map[string][]string{}
		for _, w := range weekdays {
			var typed []string // the day's cells as typed, kept if one is wrong
			bad := false
			for k := 0; ; k += 2 {
				from, to := fmt.Sprintf("day_%s.%d", w.key, k), fmt.Sprintf("day_%s.%d", w.key, k+1)
				if !v.Has(from) && !v.Has(to) {
					break
				}
				f, t := p.str(from), p.str(to)
				typed = append(typed, f, t)
				switch {
				case f == "" && t == "":
				case f == "" || t == "":
					bad = true
				default:
					rows[w.key] = append(rows[w.key], f+"-"+t)
				}
			}
			if bad {
				p.bad["day_"+w.key] = "Give both the opening and the closing time of a period, or neither."
				for k, x := range typed {
					p.keepValue(fmt.Sprintf("day_%s.%d", w.key, k), x)
				}
			}
		}
		if v.Get("_copy") == "weekdays" {
			for _, d := range []string{"tue", "wed", "thu", "fri"} {
				rows[d] = slices.Clone(rows["mon"])
			}
		}
		s.Hours = hoursOf(rows)
		s.Holidays = lines(p.v.Get("holidays"))
		return s
	},
	alias: func(s store.Schedule) map[string]string {
		m := map[string]string{}
		for k, h := range s.Hours {
			days, _, _ := strings.Cut(h, " ")
			first, _, _ := strings.Cut(days, "-")
			m[fmt.Sprintf("hours[%d]", k)] = "day_" + strings.ToLower(first)
		}
		m["hours"] = "day_mon"
		return m
	},
}

var classifierKind = &objectKind[store.Classifier]{
	key: "classifiers", one: "caller list",
	list: func(d *store.DialPlan) *[]store.Classifier { return &d.Classifiers },
	name: func(c store.Classifier) string { return c.Name },
	detail: func(c store.Classifier) string {
		s := c.Action + ": " + countOf(len(c.Numbers), "number", "numbers")
		if c.Destination != "" {
			s += " → " + c.Destination
		}
		return s
	},
	fields: func(cl store.Classifier, c *planContext) []*field {
		if cl.Action == "" {
			cl.Action = "reject"
		}
		actions := []option{
			{Value: "reject", Label: "Blacklist — these callers hear busy and are never put through"},
			{Value: "route", Label: "VIP — these callers go straight to the destination below"},
			{Value: "first", Label: "Priority — normal routing, but ahead of other callers in queues"},
		}
		return []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: cl.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. blocked or vip."},
			{ID: "action", Name: "action", Label: "Kind of list", Type: "select", Options: selectOptions(actions, cl.Action, "unknown"),
				Help: "What happens to calls from these numbers. A list no inbound route chooses applies to every outside call; one that inbound routes choose applies only to their calls, after the others. Lists apply in the order of this page (a route's own in the route's order); the first that matches wins."},
			{ID: "numbers", Name: "numbers", Label: "Caller numbers", Type: "textarea", Value: strings.Join(cl.Numbers, "\n"),
				Help: "One a line, as the caller ID shows them; patterns allowed (X any digit, a final . any further digits: 8495XXXXXXX, 8800.)."},
			{ID: "anonymous", Name: "anonymous", Label: "Also callers without a number", Type: "checkbox", Checked: cl.Anonymous,
				Help: "Applies the list to callers who withhold their number or whose number did not arrive."},
			destPicker(c.Choices, "destination", "Destination (VIP lists only)", cl.Destination, "Where a VIP list sends its callers; leave empty for the other kinds."),
		}
	},
	parse: func(v url.Values, p *formParser, cl store.Classifier) store.Classifier {
		cl.Name, cl.Action, cl.Destination = p.str("name"), p.str("action"), p.str("destination")
		cl.Numbers = lines(p.v.Get("numbers"))
		cl.Anonymous = v.Get("anonymous") != ""
		return cl
	},
}

var extensionRuleKind = &objectKind[store.ExtensionRule]{
	key: "extension_rules", one: "extension rule",
	list: func(d *store.DialPlan) *[]store.ExtensionRule { return &d.ExtensionRules },
	name: func(r store.ExtensionRule) string { return r.Extension },
	detail: func(r store.ExtensionRule) string {
		var parts []string
		if r.Class != "" {
			parts = append(parts, r.Class)
		}
		for _, f := range []struct{ what, v string }{{"always", r.ForwardAlways}, {"busy", r.ForwardBusy}, {"no answer", r.ForwardNoAnswer}, {"unavailable", r.ForwardUnavailable}} {
			if f.v != "" {
				parts = append(parts, "forward "+f.what+" → "+f.v)
			}
		}
		if len(r.FollowMe) > 0 {
			parts = append(parts, fmt.Sprintf("follow-me %d", len(r.FollowMe)))
		}
		parts = append(parts, callHandlingDetail(r)...)
		return strings.Join(parts, "; ")
	},
	fields: func(r store.ExtensionRule, c *planContext) []*field {
		exts := []option{}
		for _, e := range c.Extensions {
			label := e.Number
			if e.Name != "" {
				label += " — " + e.Name
			}
			exts = append(exts, option{Value: e.Number, Label: label})
		}
		if r.ForwardCallerID == "" {
			r.ForwardCallerID = "caller"
		}
		fs := []*field{
			{ID: "extension", Name: "extension", Label: "Extension", Type: "select", Options: selectOptions(exts, r.Extension, destUnknown),
				Help: "The extension these rules apply to (one rule per extension)."},
			{ID: "class", Name: "class", Label: "Permission class", Type: "select", Options: classOptions(r.Class, true),
				Help: "Which numbers this extension may dial out to; outbound routes say which class each needs."},
			destPicker(c.Choices, "forward_always", "Forward every call to", r.ForwardAlways, "Empty: off."),
			destPicker(c.Choices, "forward_busy", "Forward when busy to", r.ForwardBusy, "Empty: the caller hears busy."),
			destPicker(c.Choices, "forward_no_answer", "Forward when not answered to", r.ForwardNoAnswer, "Empty: off."),
			{ID: "no_answer_s", Name: "no_answer_s", Label: "Not answered after (seconds)", Type: "number", Value: itoaBlank(r.NoAnswerS),
				Min: fmt.Sprint(store.MinRingS), Max: fmt.Sprint(store.MaxRingS), InputMode: "numeric",
				Help: fmt.Sprintf("How long the extension rings before forwarding or follow-me: %d to %d seconds. Empty: %d.",
					store.MinRingS, store.MaxRingS, int(dialplan.DefaultNoAnswer/time.Second))},
			destPicker(c.Choices, "forward_unavailable", "Forward when unreachable to", r.ForwardUnavailable, "When the phone is not registered or its port is faulty. Empty: off."),
		}
		fs = append(fs, memberFields(c, "follow_me", "Follow-me number", r.FollowMe,
			"How long this number rings, in seconds, before the next one. Follow-me accepts ext:, fxs: and number: only.")...)
		return append(append(fs,
			&field{ID: "follow_me_schedule", Name: "follow_me_schedule", Label: "Follow-me only during", Type: "select", Options: nameOptions(c.Schedules, r.FollowMeSchedule, "— always —"),
				Help: "Optional: follow-me only in this schedule's hours."},
			&field{ID: "forward_caller_id", Name: "forward_caller_id", Label: "Forwarded calls show", Type: "select",
				Options: selectOptions([]option{{Value: "caller", Label: "The original caller's number"}, {Value: "box", Label: "This extension's number"}}, r.ForwardCallerID, "unknown"),
				Help:    "The caller ID the forwarding target sees. Some telcos refuse an outside caller's number on a forwarded outside call: then choose this extension's number."},
		), callHandlingFields(r, c)...)
	},
	parse: func(v url.Values, p *formParser, r store.ExtensionRule) store.ExtensionRule {
		r.Extension, r.Class = p.str("extension"), p.str("class")
		r.ForwardAlways, r.ForwardBusy, r.ForwardNoAnswer, r.ForwardUnavailable = p.str("forward_always"), p.str("forward_busy"), p.str("forward_no_answer"), p.str("forward_unavailable")
		r.NoAnswerS = p.num("no_answer_s", "no_answer_s", "the time in seconds")
		r.FollowMe = parseMembers("follow_me", v, p)
		r.FollowMeSchedule = p.str("follow_me_schedule")
		r.ForwardCallerID = p.str("forward_caller_id")
		if r.ForwardCallerID == "caller" {
			r.ForwardCallerID = "" // the default, as the document writes it
		}
		return parseCallHandling(v, p, r)
	},
}

// promptFields are a list of prompts (a voice menu's announcement, a
// queue's music on hold) as a compact table: one row per part, with a
// recording, or a tone and its length, or a pause; empty rows to add
// more.
func promptFields(prefix, what string, ps []store.Prompt) []*field {
	t := &field{ID: prefix, Name: prefix, Label: what, Type: "rows", RowHead: "Part", ColHeads: []string{"Recording", "or tone", "Length (ms)"},
		Help: "Parts play in order. A recording is a name from the Recordings page (upload it there) or a built-in prompt, e.g. welcome.wav. " +
			"Instead, a tone — frequency in Hz (1000), two added (350+440) or a cadence (425/200,0/200) — or with no tone a pause, each for 100 to 60000 ms. Empty rows are left out."}
	for j := 0; j < len(ps)+memberRows; j++ {
		var pr store.Prompt
		if j < len(ps) {
			pr = ps[j]
		}
		p := fmt.Sprintf("%s[%d].", prefix, j)
		n := j + 1
		t.Rows = append(t.Rows, &field{ID: fmt.Sprintf("%s[%d]", prefix, j), Label: strconv.Itoa(n), Rows: []*field{
			{ID: p + "file", Name: p + "file", Label: fmt.Sprintf("%s %d: recording", what, n), Type: "text", Value: pr.File, MaxLength: 64, List: "recordings"},
			{ID: p + "tone", Name: p + "tone", Label: fmt.Sprintf("%s %d: tone", what, n), Type: "text", Value: pr.Tone, MaxLength: 64},
			{ID: p + "ms", Name: p + "ms", Label: fmt.Sprintf("%s %d: length of tone or pause in milliseconds", what, n), Type: "number", Value: itoaBlank(pr.MS),
				Min: "100", Max: strconv.Itoa(store.MaxPromptMS), InputMode: "numeric"},
		}})
	}
	return []*field{t}
}

// parsePrompts reads prompt rows, dropping empty ones (renumbered as
// parseMembers does).
func parsePrompts(prefix string, v url.Values, p *formParser) []store.Prompt {
	var out []store.Prompt
	for j := 0; ; j++ {
		pf := fmt.Sprintf("%s[%d].", prefix, j)
		_, a := v[pf+"file"]
		_, b := v[pf+"tone"]
		_, c := v[pf+"ms"]
		if !a && !b && !c {
			return out
		}
		file, tone, ms := p.str(pf+"file"), p.str(pf+"tone"), p.str(pf+"ms")
		if file == "" && tone == "" && ms == "" {
			continue
		}
		into := fmt.Sprintf("%s[%d].ms", prefix, len(out))
		out = append(out, store.Prompt{File: file, Tone: tone, MS: p.num(pf+"ms", into, "the length in milliseconds")})
	}
}

func strategyOptions(value string) []option {
	return selectOptions([]option{
		{Value: "ringall", Label: "Ring all — every member at once; the first to answer takes the call"},
		{Value: "linear", Label: "Linear — one after another, in the order below"},
		{Value: "leastrecent", Label: "Least recent — the member who last took a call longest ago first"},
		{Value: "fewestcalls", Label: "Fewest calls — the member with the fewest answered calls first"},
		{Value: "random", Label: "Random — one member at a time, in random order"},
		{Value: "rrmemory", Label: "Round robin — one at a time, starting after the last one that answered"},
	}, value, "unknown")
}

var queueKind = &objectKind[store.Queue]{
	key: "queues", one: "queue",
	list:   func(d *store.DialPlan) *[]store.Queue { return &d.Queues },
	name:   func(q store.Queue) string { return q.Name },
	detail: func(q store.Queue) string { return membersDetail(q.Number, q.Strategy, q.Members) },
	fields: func(q store.Queue, c *planContext) []*field {
		if q.Strategy == "" {
			q.Strategy = "ringall"
		}
		fs := []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: q.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. support: other parts of the dial plan reach this queue as queue:NAME."},
			{ID: "number", Name: "number", Label: "Internal number", Type: "text", Value: q.Number, MaxLength: 8, InputMode: "numeric", Autocomplete: "off",
				Help: "Optional: a number extensions dial to join the queue. It must not clash with an extension or another number."},
			{ID: "strategy", Name: "strategy", Label: "Ring strategy", Type: "select", Options: strategyOptions(q.Strategy),
				Help: "How free agents ring for the caller at the head of the queue."},
			{ID: "language", Name: "language", Label: "Language of announcements", Type: "select", Options: languageOptions(q.Language, "The box's language"),
				Help: "The language callers are told their position in."},
		}
		fs = append(fs, memberFields(c, "members", "Agent", q.Members,
			fmt.Sprintf("How long this agent rings before the next is tried, in seconds. Empty: %d. Agents are ext:, fxs: or number: only.", store.DefaultMemberRingS))...)
		fs = append(fs,
			&field{ID: "max_wait_s", Name: "max_wait_s", Label: "Maximum wait (seconds)", Type: "number", Value: itoaBlank(q.MaxWaitS), Min: "0", InputMode: "numeric",
				Help: fmt.Sprintf("How long a caller may wait before the timeout destination. Empty: %d.", store.DefaultQueueWaitS)},
			destPicker(c.Choices, "timeout_destination", "After the maximum wait, go to", q.Timeout, "Empty: the call ends."),
			&field{ID: "wrap_up_s", Name: "wrap_up_s", Label: "Agent rest after a call (seconds)", Type: "number", Value: itoaBlank(q.WrapUpS), Min: "0", InputMode: "numeric",
				Help: "Time an agent is left alone after a queue call before the next one rings. Empty: none."},
			&field{ID: "max_callers", Name: "max_callers", Label: "Maximum callers waiting", Type: "number", Value: itoaBlank(q.MaxCallers), Min: "0", InputMode: "numeric",
				Help: "One more caller hears busy. Empty or 0: no limit."},
			&field{ID: "announce_every_s", Name: "announce_every_s", Label: "Tell callers their position every (seconds)", Type: "number", Value: itoaBlank(q.AnnounceEveryS), Min: "0", InputMode: "numeric",
				Help: "10 or more; empty or 0: never. Uses queue-position-N.wav when present, else N beeps."},
		)
		fs = append(fs, mohField(q.MOHClass, c, "— the queue's own music below —", "When set, callers waiting in this queue hear this class instead of the music below."),
			recordField(q.Record, "— as the inbound route or box says —", "Whether calls answered from this queue are recorded (quality control), unless an agent's extension says otherwise."))
		return append(fs, promptFields("music_on_hold", "Music on hold", q.MusicOnHold)...)
	},
	parse: func(v url.Values, p *formParser, q store.Queue) store.Queue {
		q.Name, q.Number, q.Strategy, q.Language = p.str("name"), p.str("number"), p.str("strategy"), p.str("language")
		q.Members = parseMembers("members", v, p)
		q.MaxWaitS = p.num("max_wait_s", "max_wait_s", "the maximum wait in seconds")
		q.Timeout = p.str("timeout_destination")
		q.WrapUpS = p.num("wrap_up_s", "wrap_up_s", "the rest in seconds")
		q.MaxCallers = p.num("max_callers", "max_callers", "the number of callers")
		q.AnnounceEveryS = p.num("announce_every_s", "announce_every_s", "the time in seconds")
		q.MusicOnHold = parsePrompts("music_on_hold", v, p)
		q.MOHClass = p.str("moh_class")
		q.Record = p.str("record")
		return q
	},
}

// menuKeys are the keys a voice menu routes, in keypad order.
var menuKeys = store.MenuKeys

var menuKind = &objectKind[store.Menu]{
	key: "ivr_menus", one: "voice menu",
	list: func(d *store.DialPlan) *[]store.Menu { return &d.Menus },
	name: func(m store.Menu) string { return m.Name },
	detail: func(m store.Menu) string {
		var ks []string
		for _, k := range menuKeys {
			if d := m.Keys[k]; d != "" {
				ks = append(ks, k+" → "+d)
			}
		}
		s := strings.Join(ks, ", ")
		if m.Number != "" {
			s = "number " + m.Number + "; " + s
		}
		return s
	},
	fields: func(m store.Menu, c *planContext) []*field {
		fs := []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: m.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. main: inbound routes and other menus reach it as menu:NAME."},
			{ID: "number", Name: "number", Label: "Internal number", Type: "text", Value: m.Number, MaxLength: 8, InputMode: "numeric", Autocomplete: "off",
				Help: "Optional: a number extensions dial to hear the menu (handy for trying it)."},
			{ID: "language", Name: "language", Label: "Language", Type: "select", Options: languageOptions(m.Language, "The box's language"),
				Help: "The language of the built-in prompts the menu plays (the installer's own recordings play as they are)."},
		}
		fs = append(fs, promptFields("prompts", "Announcement", m.Prompts)...)
		keys := &field{ID: "keys", Name: "keys", Label: "Keys", Type: "rows", RowHead: "Key", ColHeads: []string{"Goes to"},
			Help: "Where the caller goes on each key; “none”: the key is not used (the menu starts over). “Create new” opens the new object's form and brings you back here."}
		for _, k := range menuKeys {
			keys.Rows = append(keys.Rows, destPicker(c.Choices, "keys."+k, k, m.Keys[k], ""))
		}
		fs = append(fs, keys)
		return append(fs,
			&field{ID: "direct_dial", Name: "direct_dial", Label: "Callers may dial an extension number", Type: "checkbox", Checked: m.DirectDial,
				Help: "A key that begins an extension number waits for the rest instead of taking the key's destination at once."},
			&field{ID: "digit_timeout_s", Name: "digit_timeout_s", Label: "Wait for a key (seconds)", Type: "number", Value: itoaBlank(m.DigitTimeoutS), Min: "0", Max: "60", InputMode: "numeric",
				Help: fmt.Sprintf("How long the menu waits after its announcement, 1 to 60. Empty: %d.", store.DefaultMenuDigitTimeoutS)},
			&field{ID: "retries", Name: "retries", Label: "Repeats", Type: "number", Value: itoaBlank(m.Retries), Min: "0", Max: "5", InputMode: "numeric",
				Help: "How many times the menu starts over after silence or a wrong key, 0 to 5."},
			destPicker(c.Choices, "default_destination", "Then go to", m.DefaultDestination, "Where the caller goes when the repeats are spent. Empty: the call ends."),
		)
	},
	parse: func(v url.Values, p *formParser, m store.Menu) store.Menu {
		m.Name, m.Number, m.Language = p.str("name"), p.str("number"), p.str("language")
		m.Prompts = parsePrompts("prompts", v, p)
		keys := map[string]string{}
		for k, d := range m.Keys { // keys the form does not show are kept
			if !slices.Contains(menuKeys, k) {
				keys[k] = d
			}
		}
		for _, k := range menuKeys {
			if d := p.str("keys." + k); d != "" {
				keys[k] = d
			}
		}
		m.Keys = keys
		if len(keys) == 0 {
			m.Keys = nil
		}
		m.DirectDial = v.Get("direct_dial") != ""
		m.DigitTimeoutS = p.num("digit_timeout_s", "digit_timeout_s", "the time in seconds")
		m.Retries = p.num("retries", "retries", "the number of repeats")
		m.DefaultDestination = p.str("default_destination")
		return m
	},
}

// lineNumbers is a list of FXO port numbers as typed ("1, 2").
func lineNumbers(typed string, p *formParser, field string) []int {
	var out []int
	for _, s := range lines(typed) {
		n, err := strconv.Atoi(s)
		if err != nil {
			p.bad[field], p.raw[field] = "Enter line numbers as digits, separated by commas.", typed
			return nil
		}
		out = append(out, n)
	}
	return out
}

func joinInts(ns []int) string {
	var ss []string
	for _, n := range ns {
		ss = append(ss, strconv.Itoa(n))
	}
	return strings.Join(ss, ", ")
}

var lineGroupKind = &objectKind[store.LineGroup]{
	key: "line_groups", one: "line group",
	list:   func(d *store.DialPlan) *[]store.LineGroup { return &d.LineGroups },
	name:   func(g store.LineGroup) string { return g.Name },
	detail: func(g store.LineGroup) string { return "lines " + joinInts(g.Lines) + ", " + g.Hunt },
	fields: func(g store.LineGroup, c *planContext) []*field {
		if g.Hunt == "" {
			g.Hunt = store.HuntAscending
		}
		var ports []string
		for _, l := range c.FXOLines {
			ports = append(ports, strconv.Itoa(l.Port))
		}
		return []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: g.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. city; outbound routes choose line groups by it."},
			{ID: "lines", Name: "lines", Label: "FXO lines", Type: "text", Value: joinInts(g.Lines), MaxLength: 64, Autocomplete: "off", InputMode: "numeric",
				Help: fmt.Sprintf("The outside lines (FXO port numbers) in the group, separated by commas. This box has ports %s.", strings.Join(ports, ", "))},
			{ID: "hunt", Name: "hunt", Label: "Which line first", Type: "select", Options: selectOptions([]option{
				{Value: store.HuntAscending, Label: "Lowest free line first"},
				{Value: store.HuntDescending, Label: "Highest free line first"},
				{Value: store.HuntRoundRobin, Label: "In turn (round robin), spreading calls over the lines"},
			}, g.Hunt, "unknown"), Help: "How a free line is chosen for an outside call."},
			{ID: "max_calls", Name: "max_calls", Label: "Maximum calls at once", Type: "number", Value: itoaBlank(g.MaxCalls), Min: "0", InputMode: "numeric",
				Help: "Keep some lines free for incoming calls. Empty or 0: as many as the group has lines."},
			{ID: "withhold_prefix", Name: "withhold_prefix", Label: "Telco's code to withhold the caller ID", Type: "text", Value: g.WithholdPrefix, MaxLength: 6, Autocomplete: "off",
				Help: "Dialled before the number when a caller withholds their number (*67 and the number): *67 in North America, 141 in the UK, #31# on many networks. Empty: these lines cannot withhold."},
		}
	},
	parse: func(v url.Values, p *formParser, g store.LineGroup) store.LineGroup {
		g.Name, g.Hunt = p.str("name"), p.str("hunt")
		g.Lines = lineNumbers(p.str("lines"), p, "lines")
		g.MaxCalls = p.num("max_calls", "max_calls", "the number of calls")
		g.WithholdPrefix = p.str("withhold_prefix")
		return g
	},
}

var callerIDRuleKind = &objectKind[store.CallerIDRule]{
	key: "caller_id_rules", one: "caller ID rule",
	list: func(d *store.DialPlan) *[]store.CallerIDRule { return &d.CallerIDRules },
	name: func(r store.CallerIDRule) string {
		if r.Prefix == "" {
			return "(every number)"
		}
		return r.Prefix
	},
	detail: func(r store.CallerIDRule) string {
		if r.Withhold {
			return "withheld"
		}
		return strings.TrimSpace(r.Number + " " + r.Name)
	},
	fields: func(r store.CallerIDRule, c *planContext) []*field {
		return []*field{
			{ID: "prefix", Name: "prefix", Label: "Dialled numbers starting with", Type: "text", Value: r.Prefix, MaxLength: 32, InputMode: "numeric", Autocomplete: "off",
				Help: "Digits the outside number starts with (as dialled, after the outside prefix); the longest matching rule wins. Empty: every number."},
			{ID: "number", Name: "number", Label: "Caller number shown", Type: "text", Value: r.Number, MaxLength: 32, Autocomplete: "off",
				Help: "The number the called party sees: digits, optionally a leading +. Empty: the line's own."},
			{ID: "name", Name: "name", Label: "Caller name shown", Type: "text", Value: r.Name, MaxLength: 64,
				Help: "Optional: the name sent with it, where the line supports names."},
			{ID: "withhold", Name: "withhold", Label: "Withhold the caller ID", Type: "checkbox", Checked: r.Withhold,
				Help: "Send no number at all for these calls."},
		}
	},
	parse: func(v url.Values, p *formParser, r store.CallerIDRule) store.CallerIDRule {
		r.Prefix, r.Number, r.Name = p.str("prefix"), p.str("number"), p.str("name")
		r.Withhold = v.Get("withhold") != ""
		return r
	},
}

var trunkKind = &objectKind[store.Trunk]{
	key: "trunks", one: "SIP trunk",
	list: func(d *store.DialPlan) *[]store.Trunk { return &d.Trunks },
	name: func(t store.Trunk) string { return t.Name },
	detail: func(t store.Trunk) string {
		s := t.Mode + " " + t.Host
		if len(t.DIDs) > 0 {
			s += ", " + countOf(len(t.DIDs), "number", "numbers")
		}
		return s
	},
	fields: func(t store.Trunk, c *planContext) []*field {
		if t.Mode == "" {
			t.Mode = store.TrunkRegister
		}
		if t.Transport == "" {
			t.Transport = "udp"
		}
		pwHelp := "The account's SIP password from the provider."
		if t.Password != "" {
			pwHelp = "Leave empty to keep the stored password; type a new one to change it."
		}
		fs := []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: t.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. provider; outbound routes choose trunks by it, like line groups (the names must differ)."},
			{ID: "mode", Name: "mode", Label: "Connection", Type: "select", Options: selectOptions([]option{
				{Value: store.TrunkRegister, Label: "Register — the box logs in to the provider with a username and password"},
				{Value: store.TrunkPeer, Label: "Peer — no login; the provider and the box trust each other's IP addresses"},
			}, t.Mode, "unknown"), Help: "What the provider's instructions call it: registration (most home and office accounts) or IP peering."},
			{ID: "host", Name: "host", Label: "Provider's server", Type: "text", Value: t.Host, MaxLength: 128, Autocomplete: "off", Required: true,
				Help: "As the provider gives it: a name alone, e.g. sip.example.net (the box finds the servers by its DNS SRV records), or an address or name with a port, e.g. 203.0.113.5:5060."},
			{ID: "transport", Name: "transport", Label: "Transport", Type: "select", Options: selectOptions([]option{
				{Value: "udp", Label: "UDP (usual)"}, {Value: "tcp", Label: "TCP"}, {Value: "tls", Label: "TLS (encrypted)"}}, t.Transport, "unknown"), Help: "As the provider says; UDP if unsure."},
			{ID: "tls_ca", Name: "tls_ca", Label: "Provider's certificate authority (TLS)", Type: "textarea", Value: t.TLSCA,
				Help: "TLS only, when the provider names its own certificate authority: its certificate as PEM (-----BEGIN CERTIFICATE-----…). Empty: the usual public authorities."},
			{ID: "username", Name: "username", Label: "Username", Type: "text", Value: t.Username, MaxLength: 128, Autocomplete: "off",
				Help: "The account (often the phone number). Required to register."},
			{ID: "auth_user", Name: "auth_user", Label: "Authentication user", Type: "text", Value: t.AuthUser, MaxLength: 128, Autocomplete: "off",
				Help: "Only if the provider gives a separate login name for authentication. Empty: the username."},
			{ID: "password", Name: "password", Label: "Password", Type: "password", MaxLength: 128, Autocomplete: "new-password", Help: pwHelp},
			{ID: "expires_s", Name: "expires_s", Label: "Registration lifetime (seconds)", Type: "number", Value: itoaBlank(t.ExpiresS), Min: "0", InputMode: "numeric",
				Help: fmt.Sprintf("%d to %d; empty: %d. The box renews well before it ends.", store.MinTrunkExpiresS, store.MaxTrunkExpiresS, store.DefaultTrunkExpiresS)},
			{ID: "allowed_ips", Name: "allowed_ips", Label: "Provider's IP addresses", Type: "textarea", Value: strings.Join(t.AllowedIPs, "\n"),
				Help: "Peer trunks: the addresses calls may come from, one a line. Empty: the server's address when it is one."},
			{ID: "caller_id", Name: "caller_id", Label: "Caller number sent", Type: "text", Value: t.CallerID, MaxLength: 32, Autocomplete: "off",
				Help: "The number outside calls show, digits with an optional leading +. Empty: the username."},
			{ID: "caller_name", Name: "caller_name", Label: "Caller name sent", Type: "text", Value: t.CallerName, MaxLength: 64,
				Help: "Optional display name for outside calls."},
			{ID: "caller_id_header", Name: "caller_id_header", Label: "Where the provider reads the caller's number", Type: "select", Options: selectOptions([]option{
				{Value: store.CallerIDInFrom, Label: "From header (most providers)"},
				{Value: store.CallerIDInPAI, Label: "P-Asserted-Identity, with From the number above"},
				{Value: store.CallerIDInRPID, Label: "Remote-Party-ID, with From the number above"},
				{Value: store.CallerIDTrunkOnly, Label: "Nowhere: every call shows the number above"},
			}, cmp.Or(t.CallerIDHeader, store.CallerIDInFrom), "unknown"),
				Help: "Calls show the extension's outbound number, the route's, or a forwarded caller's own; the provider's instructions say which header it trusts. If calls are refused or show the wrong number, try P-Asserted-Identity."},
			{ID: "diversion_header", Name: "diversion_header", Label: "How a forwarded call names your extension", Type: "select", Options: selectOptions([]option{
				{Value: store.DiversionRFC5806, Label: "Diversion header (most providers)"},
				{Value: store.DiversionHistoryInfo, Label: "History-Info header"},
				{Value: store.DiversionNone, Label: "Not at all"},
			}, cmp.Or(t.DiversionHeader, store.DiversionRFC5806), "unknown"),
				Help: "A call forwarded out shows the original caller; the provider accepts it when it is told which of your numbers forwarded it."},
			{ID: "max_calls", Name: "max_calls", Label: "Maximum calls at once", Type: "number", Value: itoaBlank(t.MaxCalls), Min: "0", InputMode: "numeric",
				Help: "Both directions together, as the account allows. Empty or 0: no limit but the box's."},
		}
		for j := 0; j < len(t.DIDs)+memberRows; j++ {
			var did store.TrunkDID
			if j < len(t.DIDs) {
				did = t.DIDs[j]
			}
			p := fmt.Sprintf("dids[%d].", j)
			help := "As for number 1; leave empty to remove (or not add) this one."
			if j == 0 {
				help = "Where calls to this number go. Leave both empty to remove it."
			}
			fs = append(fs,
				&field{ID: p + "number", Name: p + "number", Label: fmt.Sprintf("Incoming number %d", j+1), Type: "text", Value: did.Number, MaxLength: 32, Autocomplete: "off",
					Help: "A number of yours that arrives on this trunk (DID), digits with an optional leading +."},
				destPicker(c.Choices, p+"destination", fmt.Sprintf("Incoming number %d goes to", j+1), did.Destination, help))
		}
		return fs
	},
	parse: func(v url.Values, p *formParser, t store.Trunk) store.Trunk {
		t.Name, t.Mode, t.Host, t.Transport = p.str("name"), p.str("mode"), p.str("host"), p.str("transport")
		// A browser posts a text area's lines ended by CR LF: stored so,
		// a CA given through the API (LF) would change at every save of
		// the form and restart the trunk, its TLS connection dropped.
		if t.TLSCA = strings.ReplaceAll(p.str("tls_ca"), "\r\n", "\n"); t.TLSCA != "" {
			t.TLSCA += "\n"
		}
		if t.Transport == "udp" {
			t.Transport = "" // the default, as the document writes it
		}
		t.Username, t.AuthUser = p.str("username"), p.str("auth_user")
		if pw := v.Get("password"); pw != "" {
			t.Password = pw
		}
		t.ExpiresS = p.num("expires_s", "expires_s", "the lifetime in seconds")
		t.AllowedIPs = lines(v.Get("allowed_ips"))
		t.CallerID, t.CallerName = p.str("caller_id"), p.str("caller_name")
		t.CallerIDHeader, t.DiversionHeader = p.str("caller_id_header"), p.str("diversion_header")
		if t.CallerIDHeader == store.CallerIDInFrom {
			t.CallerIDHeader = "" // the default, as the document writes it
		}
		if t.DiversionHeader == store.DiversionRFC5806 {
			t.DiversionHeader = ""
		}
		t.MaxCalls = p.num("max_calls", "max_calls", "the number of calls")
		t.DIDs = nil
		for j := 0; ; j++ {
			pf := fmt.Sprintf("dids[%d].", j)
			_, a := v[pf+"number"]
			_, b := v[pf+"destination"]
			if !a && !b {
				break
			}
			if n, d := p.str(pf+"number"), p.str(pf+"destination"); n != "" || d != "" {
				t.DIDs = append(t.DIDs, store.TrunkDID{Number: n, Destination: d})
			}
		}
		return t
	},
}

var announcementKind = &objectKind[store.Announcement]{
	key: "announcements", one: "announcement",
	list: func(d *store.DialPlan) *[]store.Announcement { return &d.Announcements },
	name: func(a store.Announcement) string { return a.Name },
	detail: func(a store.Announcement) string {
		var parts []string
		for _, pr := range a.Prompts {
			switch {
			case pr.File != "":
				parts = append(parts, pr.File)
			case pr.Tone != "":
				parts = append(parts, fmt.Sprintf("tone %s %d ms", pr.Tone, pr.MS))
			default:
				parts = append(parts, fmt.Sprintf("pause %d ms", pr.MS))
			}
		}
		then := a.Then
		if then == "" {
			then = "hang up"
		}
		if a.EarlyMedia {
			then += " (played before answering)"
		}
		return strings.Join(parts, ", ") + " → " + then
	},
	fields: func(a store.Announcement, c *planContext) []*field {
		fs := []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: a.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. closed: inbound routes, menus and forwarding reach it as announce:NAME."},
		}
		fs = append(fs, promptFields("prompts", "Announcement part", a.Prompts)...)
		return append(fs,
			destPicker(c.Choices, "then", "Then go to", a.Then, "Where the caller goes once the announcement has played, e.g. voicemail:201 after a closed message, or queue:support after a notice. Empty: the call ends."),
			&field{ID: "early_media", Name: "early_media", Label: "Play before answering (early media)", Type: "checkbox", Checked: a.EarlyMedia,
				Help: "For callers over SIP (trunks, IP phones): the announcement plays before the call is answered, so a caller from outside is not charged for it; they then hear ringing, and the call is answered when someone takes it. Calls on telephone lines are always answered first."})
	},
	parse: func(v url.Values, p *formParser, a store.Announcement) store.Announcement {
		a.Name = p.str("name")
		a.Prompts = parsePrompts("prompts", v, p)
		a.Then = p.str("then")
		a.EarlyMedia = v.Get("early_media") != ""
		return a
	},
}

var timeConditionKind = &objectKind[store.TimeCondition]{
	key: "time_conditions", one: "time condition",
	list: func(d *store.DialPlan) *[]store.TimeCondition { return &d.TimeConditions },
	name: func(t store.TimeCondition) string { return t.Name },
	detail: func(t store.TimeCondition) string {
		closed := t.Closed
		if closed == "" {
			closed = "hang up"
		}
		return fmt.Sprintf("while %s is open → %s, else %s", t.Schedule, t.Open, closed)
	},
	fields: func(t store.TimeCondition, c *planContext) []*field {
		return []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: t.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. office-hours: menu keys, short numbers, routes and forwarding reach it as time:NAME."},
			{ID: "schedule", Name: "schedule", Label: "Schedule", Type: "select", Options: nameOptions(c.Schedules, t.Schedule, "— choose a schedule —"),
				Help: "The working hours and holidays (Schedules page) that decide, at the box's time, the moment a call gets here."},
			destPicker(c.Choices, "open", "While open, go to", t.Open, "Where calls go during the schedule's hours, e.g. group:sales."),
			destPicker(c.Choices, "closed", "While closed, go to", t.Closed, "Where calls go outside the hours and on holidays, e.g. voicemail:201 or announce:closed. Empty: the caller hears busy."),
		}
	},
	parse: func(v url.Values, p *formParser, t store.TimeCondition) store.TimeCondition {
		t.Name, t.Schedule, t.Open, t.Closed = p.str("name"), p.str("schedule"), p.str("open"), p.str("closed")
		return t
	},
}

var conditionKind = &objectKind[store.Condition]{
	key: "conditions", one: "condition",
	list: func(d *store.DialPlan) *[]store.Condition { return &d.Conditions },
	name: func(cd store.Condition) string { return cd.Name },
	detail: func(cd store.Condition) string {
		s := cd.Destination
		if cd.NoAnswerS > 0 {
			s += fmt.Sprintf(" for %d s", cd.NoAnswerS)
		}
		for _, b := range []struct{ when, to string }{{"no answer", cd.NoAnswer}, {"busy", cd.Busy}, {"no route", cd.NoRoute}} {
			if b.to != "" {
				s += "; " + b.when + " → " + b.to
			}
		}
		return s
	},
	fields: func(cd store.Condition, c *planContext) []*field {
		return []*field{
			{ID: "name", Name: "name", Label: "Name", Type: "text", Value: cd.Name, MaxLength: 32, Required: true, Autocomplete: "off",
				Help: "A short name, e.g. boss-mobile: routes, menu keys and short numbers reach it as cond:NAME."},
			destPicker(c.Choices, "destination", "First ring", cd.Destination, "What the call reaches first: an extension, an analog port, a ring group, an outside number (e.g. a mobile) or a queue. An extension's own busy and no-answer forwarding give way to this page's; its forward-always still applies.", store.ConditionKinds...),
			{ID: "no_answer_s", Name: "no_answer_s", Label: "Ring for (seconds)", Type: "number", Value: itoaBlank(cd.NoAnswerS), Min: "0", Max: fmt.Sprint(store.MaxRingS), InputMode: "numeric",
				Help: "5 to 600 seconds before “No answer” applies. Empty: the destination's own ring time (the box's no-answer time for a phone, one round for a ring group). Not for a queue."},
			destPicker(c.Choices, "no_answer", "No answer, go to", cd.NoAnswer, "Where the call goes when nobody answers, e.g. voicemail:101. Empty: the call ends."),
			destPicker(c.Choices, "busy", "Busy, go to", cd.Busy, "Where the call goes when the destination is busy. Empty: the caller hears busy."),
			destPicker(c.Choices, "no_route", "Unreachable, go to", cd.NoRoute, "Where the call goes when the destination cannot ring at all: a phone not registered, a trunk down, a number no route takes. Empty: the call ends."),
		}
	},
	parse: func(v url.Values, p *formParser, cd store.Condition) store.Condition {
		cd.Name, cd.Destination = p.str("name"), p.str("destination")
		cd.NoAnswerS = p.num("no_answer_s", "no_answer_s", "a number of seconds")
		cd.NoAnswer, cd.Busy, cd.NoRoute = p.str("no_answer"), p.str("busy"), p.str("no_route")
		return cd
	},
}
