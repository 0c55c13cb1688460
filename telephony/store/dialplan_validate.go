package store

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"minipbx/dsp"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/prompts"
)

// Bounds of the dial-plan sections; see config.md.
const (
	MaxDialPlanEntries = 200 // per section
	MaxGroupMembers    = 32
	MinRingS           = 5
	MaxRingS           = 600
	MaxGroupWaitS      = 3600
	MaxObjectCalls     = 100
	MinCallDurationS   = 60
	MaxCallDurationS   = 86400
	MaxEmergencyLen    = 6
	MaxMenuPrompts     = 16
	MaxPromptMS        = 60000
	// MaxAnnouncementChain bounds announcements played one after another:
	// each is a hop of the call, and the exchange follows at most 8 per
	// call, so a chain leaves room for the rest of the call's path.
	MaxAnnouncementChain = 4
)

// checkPrompts validates a list of prompts at path.
func checkPrompts(path string, prompts []Prompt, add func(path, format string, args ...any)) {
	if len(prompts) > MaxMenuPrompts {
		add(path, "at most %d prompts", MaxMenuPrompts)
	}
	for j, pr := range prompts {
		pp := fmt.Sprintf("%s[%d].", path, j)
		switch {
		case pr.File != "" && pr.Tone != "":
			add(pp+"tone", "a prompt is a file or a tone, not both")
		case pr.File != "":
			if err := checkPromptFile(pr.File); err != "" {
				add(pp+"file", "%s", err)
			}
			if pr.MS != 0 {
				add(pp+"ms", "a file plays whole: leave ms out")
			}
		default:
			if pr.Tone != "" {
				if _, err := dsp.ParseToneSpec(pr.Tone); err != nil {
					add(pp+"tone", "%v", err)
				}
			}
			if pr.MS < 100 || pr.MS > MaxPromptMS {
				add(pp+"ms", "a tone or silence lasts 100 to %d ms", MaxPromptMS)
			}
		}
	}
}

// checkPromptFile checks a prompt's file name: a plain name in the
// prompts directory (no path), ending in .wav.
func checkPromptFile(name string) string {
	if len(name) > 64 || !strings.HasSuffix(name, ".wav") || len(name) <= len(".wav") {
		return "must be a file name ending in .wav (at most 64 characters)"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') || (c == '.' && i == 0) {
			return "use lower-case letters, digits, '-', '_' and '.' only (a name in the prompts directory)"
		}
	}
	return ""
}

// checkDialPlan validates the dial-plan sections of c; add reports a
// problem by its full path.
func (v *validator) checkDialPlan(c *Config, add func(path, format string, args ...any)) {
	exts := map[string]bool{}
	for _, e := range c.Extensions {
		exts[e.Number] = true
	}
	names := func(section string, n int, name func(i int) string) map[string]bool {
		seen := map[string]bool{}
		if n > MaxDialPlanEntries {
			add(section, "at most %d entries", MaxDialPlanEntries)
		}
		for i := range n {
			p := fmt.Sprintf("%s[%d].name", section, i)
			nm := name(i)
			if err := dialplan.CheckName(nm); err != nil {
				add(p, "%v", err)
			} else if seen[nm] {
				add(p, "%q is used twice", nm)
			}
			seen[nm] = true
		}
		return seen
	}
	groups := names("line_groups", len(c.LineGroups), func(i int) string { return c.LineGroups[i].Name })
	names("outbound_routes", len(c.OutboundRoutes), func(i int) string { return c.OutboundRoutes[i].Name })
	names("inbound_routes", len(c.InboundRoutes), func(i int) string { return c.InboundRoutes[i].Name })
	rings := names("ring_groups", len(c.RingGroups), func(i int) string { return c.RingGroups[i].Name })
	menus := names("ivr_menus", len(c.Menus), func(i int) string { return c.Menus[i].Name })
	announcements := names("announcements", len(c.Announcements), func(i int) string { return c.Announcements[i].Name })
	timeConds := names("time_conditions", len(c.TimeConditions), func(i int) string { return c.TimeConditions[i].Name })
	conds := names("conditions", len(c.Conditions), func(i int) string { return c.Conditions[i].Name })
	queues := names("queues", len(c.Queues), func(i int) string { return c.Queues[i].Name })
	scheds := names("schedules", len(c.Schedules), func(i int) string { return c.Schedules[i].Name })
	lists := names("classifiers", len(c.Classifiers), func(i int) string { return c.Classifiers[i].Name })
	names("pickup_groups", len(c.PickupGroups), func(i int) string { return c.PickupGroups[i].Name })
	rooms := names("conference_rooms", len(c.ConferenceRooms), func(i int) string { return c.ConferenceRooms[i].Name })
	pages := names("paging_groups", len(c.PagingGroups), func(i int) string { return c.PagingGroups[i].Name })
	moh := names("moh_classes", len(c.MOHClasses), func(i int) string { return c.MOHClasses[i].Name })
	faxes := names("fax_receivers", len(c.FaxReceivers), func(i int) string { return c.FaxReceivers[i].Name })
	boxes := checkVoicemail(c, exts, add)

	// byKind: the objects a destination of each named kind may name.
	byKind := map[dialplan.DestKind]struct {
		exists map[string]bool
		what   string
	}{
		dialplan.DestGroup:    {rings, "ring group"},
		dialplan.DestMenu:     {menus, "voice menu"},
		dialplan.DestAnnounce: {announcements, "announcement"},
		dialplan.DestTime:     {timeConds, "time condition"},
		dialplan.DestCond:     {conds, "condition"},
		dialplan.DestQueue:    {queues, "queue"},
		dialplan.DestConf:     {rooms, "conference room"},
		dialplan.DestPage:     {pages, "paging group"},
		dialplan.DestFax:      {faxes, "fax receiver"},
	}

	// dest checks a destination; kinds limits the kinds allowed (nil: all
	// the firmware has).
	dest := func(path, s string, kinds ...dialplan.DestKind) {
		d, err := dialplan.ParseDestination(s)
		if err != nil {
			add(path, "%v", err)
			return
		}
		if kinds != nil && !slices.Contains(kinds, d.Kind) {
			add(path, "must be one of: %s", kindList(kinds))
			return
		}
		switch d.Kind {
		case dialplan.DestExtension:
			if !exts[d.Value] {
				add(path, "extension %s does not exist", d.Value)
			}
		case dialplan.DestFXS:
			if n := atoi(d.Value); n > v.limits.FXSPorts {
				add(path, "no FXS port %d on this box (it has %s)", n, portRange(v.limits.FXSPorts))
			}
		case dialplan.DestGroup, dialplan.DestMenu, dialplan.DestAnnounce, dialplan.DestTime, dialplan.DestCond, dialplan.DestQueue,
			dialplan.DestConf, dialplan.DestPage, dialplan.DestFax:
			if o := byKind[d.Kind]; !o.exists[d.Value] {
				add(path, "%s %q does not exist", o.what, d.Value)
			}
		case dialplan.DestVoicemail:
			if !boxes[d.Value] {
				add(path, "extension %s has no mailbox (add one under voicemail)", d.Value)
			}
		}
	}
	ringTime := func(path string, s int) {
		if s != 0 && (s < MinRingS || s > MaxRingS) {
			add(path, "must be 0 (default) or %d to %d seconds", MinRingS, MaxRingS)
		}
	}
	maxCalls := func(path string, n int) {
		if n < 0 || n > MaxObjectCalls {
			add(path, "must be 0 (no limit) to %d", MaxObjectCalls)
		}
	}
	linesIn := func(path string, lines []int) {
		seen := map[int]bool{}
		for j, l := range lines {
			p := fmt.Sprintf("%s[%d]", path, j)
			switch {
			case l < 1 || l > v.limits.FXOPorts:
				add(p, "no FXO port %d on this box (it has %s)", l, portRange(v.limits.FXOPorts))
			case seen[l]:
				add(p, "FXO port %d is listed twice", l)
			}
			seen[l] = true
		}
	}

	trunks := checkTrunks(c, add, func(path, s string) { dest(path, s) }, maxCalls)

	// The numbering plan: every number the box answers to, checked as a
	// whole for duplicates and numbers that begin others.
	var entries []dialplan.Entry
	lit := func(kind dialplan.Kind, number, owner, path string) {
		if p, err := dialplan.ParsePattern(number); err == nil && p.IsLiteral() && dialplan.IsDialString(number) {
			entries = append(entries, dialplan.Entry{Kind: kind, Pattern: p, Owner: owner, Target: path})
		}
	}
	for i, e := range c.Extensions {
		// Extensions of the wrong form are reported by the extension rules.
		if isDigits(e.Number) && len(e.Number) == c.System.ExtensionLength {
			lit(dialplan.KindExtension, e.Number, e.Number, fmt.Sprintf("extensions[%d].number", i))
		}
	}
	// An outside prefix of the wrong form (letters, too long for a
	// pattern) is reported by the system rules; it takes no place here.
	if s := c.System.OutsidePrefix; s != "" && isDigits(s) {
		if p, err := dialplan.ParsePattern(s + "."); err == nil {
			entries = append(entries, dialplan.Entry{Kind: dialplan.KindRoute, Pattern: p,
				Label: "outside prefix " + s, Target: "system.outside_prefix"})
		}
	}
	n := c.Numbering
	if len(n.ShortNumbers) > MaxDialPlanEntries {
		add("numbering.short_numbers", "at most %d entries", MaxDialPlanEntries)
	}
	for i, s := range n.ShortNumbers {
		p := fmt.Sprintf("numbering.short_numbers[%d].", i)
		if !isDigits(s.Number) || len(s.Number) < MinExtensionLength || len(s.Number) > dialplan.MaxPatternLen {
			add(p+"number", "must be %d to %d digits", MinExtensionLength, dialplan.MaxPatternLen)
		} else {
			lit(dialplan.KindShort, s.Number, s.Number, p+"number")
		}
		dest(p+"destination", s.Destination)
	}
	if n.FeatureCodes {
		for _, f := range dialplan.FeatureCodes() {
			entries = append(entries, dialplan.Entry{Kind: dialplan.KindFeature, Pattern: f.Pattern(), Owner: f.Code, Target: "numbering.feature_codes"})
		}
	}
	seenEm := map[string]bool{}
	for i, e := range n.EmergencyNumbers {
		p := fmt.Sprintf("numbering.emergency_numbers[%d]", i)
		switch {
		case !isDigits(e) || len(e) < 2 || len(e) > MaxEmergencyLen:
			add(p, "must be 2 to %d digits", MaxEmergencyLen)
		case seenEm[e]:
			add(p, "%s is listed twice", e)
		default:
			lit(dialplan.KindEmergency, e, e, p)
		}
		seenEm[e] = true
	}

	for i, g := range c.LineGroups {
		p := fmt.Sprintf("line_groups[%d].", i)
		if len(g.Lines) == 0 {
			add(p+"lines", "needs at least one FXO line")
		}
		linesIn(p+"lines", g.Lines)
		if !slices.Contains([]string{HuntAscending, HuntDescending, HuntRoundRobin}, g.Hunt) {
			add(p+"hunt", "must be %s, %s or %s", HuntAscending, HuntDescending, HuntRoundRobin)
		}
		maxCalls(p+"max_calls", g.MaxCalls)
		if g.WithholdPrefix != "" && (!dialplan.IsDialString(g.WithholdPrefix) || len(g.WithholdPrefix) > 6) {
			add(p+"withhold_prefix", "must be 1 to 6 digits, * or # (the telco's code, such as *67 or 141)")
		}
	}

	for i, r := range c.OutboundRoutes {
		p := fmt.Sprintf("outbound_routes[%d].", i)
		pat, err := dialplan.ParsePattern(r.Pattern)
		if err != nil {
			add(p+"pattern", "%v", err)
		} else {
			entries = append(entries, dialplan.Entry{Kind: dialplan.KindRoute, Pattern: pat, Owner: r.Name, Target: p + "pattern"})
			if r.Strip < 0 || r.Strip >= pat.MinLen() {
				add(p+"strip", "must be 0 to %d (fewer digits than the shortest number the pattern matches)", pat.MinLen()-1)
			}
		}
		if r.Prepend != "" && !dialplan.IsDialString(r.Prepend) {
			add(p+"prepend", "must be digits, * or # (at most %d)", dialplan.MaxPatternLen)
		}
		if cl, err := dialplan.ParseClass(r.Class); err != nil {
			add(p+"class", "%v", err)
		} else if cl == dialplan.ClassInternal {
			add(p+"class", "an outside route needs local, national or international")
		}
		if len(r.Via) == 0 {
			add(p+"via", "needs at least one line group or trunk")
		}
		checkTariff(p+"tariff.", r.Tariff, add)
		for j, g := range r.Via {
			if !groups[g] && !trunks[g] {
				add(fmt.Sprintf("%svia[%d]", p, j), "no line group or trunk is named %q", g)
			}
		}
		if r.CallerID != "" && !dialplan.IsDialString(strings.TrimPrefix(r.CallerID, "+")) {
			add(p+"caller_id", "must be digits (an optional leading +)")
		}
		if m := nameProblem(r.CallerName, false); m != "" {
			add(p+"caller_name", "%s", m)
		}
		if r.OverrideCallerID && r.CallerID == "" {
			add(p+"override_caller_id", "needs a number to show (caller_id)")
		}
	}

	for i, r := range c.CallerIDRules {
		p := fmt.Sprintf("caller_id_rules[%d].", i)
		if r.Prefix != "" && !dialplan.IsDialString(r.Prefix) {
			add(p+"prefix", "must be empty (every number) or digits")
		}
		if r.Number != "" && !dialplan.IsDialString(strings.TrimPrefix(r.Number, "+")) {
			add(p+"number", "must be digits (an optional leading +)")
		}
		if m := nameProblem(r.Name, false); m != "" {
			add(p+"name", "%s", m)
		}
	}

	for i, r := range c.InboundRoutes {
		p := fmt.Sprintf("inbound_routes[%d].", i)
		linesIn(p+"lines", r.Lines)
		if len(r.Lines) > 0 && (len(r.Trunks) > 0 || len(r.DIDs) > 0) {
			add(p+"lines", "a route covers FXO lines or trunks, not both")
		}
		for j, t := range r.Trunks {
			if !trunks[t] {
				add(fmt.Sprintf("%strunks[%d]", p, j), "trunk %q does not exist", t)
			}
		}
		for j, d := range r.DIDs {
			if !dialplan.IsDialString(strings.TrimPrefix(d, "+")) {
				add(fmt.Sprintf("%sdids[%d]", p, j), "must be digits (an optional leading +)")
			}
		}
		if r.Schedule != "" && !scheds[r.Schedule] {
			add(p+"schedule", "schedule %q does not exist", r.Schedule)
		}
		dest(p+"destination", r.Destination)
		if r.FaxDetect != "" {
			dest(p+"fax_detect", r.FaxDetect, faxDetectKinds...)
		}
		switch {
		case r.ClosedDestination != "" && r.Schedule == "":
			add(p+"closed_destination", "needs a schedule")
		case r.ClosedDestination != "":
			dest(p+"closed_destination", r.ClosedDestination)
		}
		maxCalls(p+"max_calls", r.MaxCalls)
		seenList := map[string]bool{}
		for j, name := range r.Classifiers {
			lp := fmt.Sprintf("%sclassifiers[%d]", p, j)
			switch {
			case !lists[name]:
				add(lp, "caller list %q does not exist", name)
			case seenList[name]:
				add(lp, "caller list %q is listed twice", name)
			}
			seenList[name] = true
		}
	}

	// members checks what ring groups and queues share: the internal
	// number, the strategy and the members with their ring times.
	members := func(p, what, name, number, strategy string, ms []GroupMember) {
		if number != "" {
			if !isDigits(number) || len(number) < MinExtensionLength || len(number) > MaxExtensionLength {
				add(p+"number", "must be empty or %d to %d digits", MinExtensionLength, MaxExtensionLength)
			} else {
				lit(dialplan.KindService, number, what+" "+name, p+"number")
			}
		}
		if _, err := dialplan.ParseStrategy(strategy); err != nil {
			add(p+"strategy", "%v", err)
		}
		if len(ms) == 0 || len(ms) > MaxGroupMembers {
			add(p+"members", "needs 1 to %d members", MaxGroupMembers)
		}
		for j, m := range ms {
			mp := fmt.Sprintf("%smembers[%d].", p, j)
			dest(mp+"destination", m.Destination, dialplan.DestExtension, dialplan.DestFXS, dialplan.DestNumber)
			ringTime(mp+"ring_s", m.RingS)
		}
	}
	for i, g := range c.RingGroups {
		p := fmt.Sprintf("ring_groups[%d].", i)
		members(p, "ring group", g.Name, g.Number, g.Strategy, g.Members)
		if g.MaxWaitS != 0 && (g.MaxWaitS < MinRingS || g.MaxWaitS > MaxGroupWaitS) {
			add(p+"max_wait_s", "must be 0 (each member once) or %d to %d seconds", MinRingS, MaxGroupWaitS)
		}
		if g.Timeout != "" {
			dest(p+"timeout_destination", g.Timeout)
		}
		maxCalls(p+"max_calls", g.MaxCalls)
	}

	for i, q := range c.Queues {
		p := fmt.Sprintf("queues[%d].", i)
		members(p, "queue", q.Name, q.Number, q.Strategy, q.Members)
		if q.MaxWaitS != 0 && (q.MaxWaitS < MinRingS || q.MaxWaitS > MaxGroupWaitS) {
			add(p+"max_wait_s", "must be 0 (default %d) or %d to %d seconds", DefaultQueueWaitS, MinRingS, MaxGroupWaitS)
		}
		if q.WrapUpS < 0 || q.WrapUpS > MaxRingS {
			add(p+"wrap_up_s", "must be 0 to %d seconds", MaxRingS)
		}
		maxCalls(p+"max_callers", q.MaxCallers)
		checkPrompts(p+"music_on_hold", q.MusicOnHold, add)
		if q.AnnounceEveryS != 0 && (q.AnnounceEveryS < 10 || q.AnnounceEveryS > MaxRingS) {
			add(p+"announce_every_s", "must be 0 (never) or 10 to %d seconds", MaxRingS)
		}
		if q.Timeout != "" {
			dest(p+"timeout_destination", q.Timeout)
		}
		if err := prompts.CheckLanguage(q.Language); err != nil {
			add(p+"language", "%v", err)
		}
	}

	for i, m := range c.Menus {
		p := fmt.Sprintf("ivr_menus[%d].", i)
		if m.Number != "" {
			if !isDigits(m.Number) || len(m.Number) < MinExtensionLength || len(m.Number) > MaxExtensionLength {
				add(p+"number", "must be empty or %d to %d digits", MinExtensionLength, MaxExtensionLength)
			} else {
				lit(dialplan.KindService, m.Number, "voice menu "+m.Name, p+"number")
			}
		}
		checkPrompts(p+"prompts", m.Prompts, add)
		if m.DigitTimeoutS != 0 && (m.DigitTimeoutS < 1 || m.DigitTimeoutS > 60) {
			add(p+"digit_timeout_s", "must be 0 (default %d) or 1 to 60 seconds", DefaultMenuDigitTimeoutS)
		}
		if m.Retries < 0 || m.Retries > 5 {
			add(p+"retries", "must be 0 to 5")
		}
		for _, k := range slices.Sorted(maps.Keys(m.Keys)) {
			kp := fmt.Sprintf("%skeys.%s", p, k)
			if len(k) != 1 || !strings.Contains("0123456789*#", k) {
				add(kp, "keys are 0-9, * and #")
				continue
			}
			dest(kp, m.Keys[k])
		}
		if m.DefaultDestination != "" {
			dest(p+"default_destination", m.DefaultDestination)
		}
		if err := prompts.CheckLanguage(m.Language); err != nil {
			add(p+"language", "%v", err)
		}
	}

	checkAnnouncements(c.Announcements, add, func(path, s string) { dest(path, s) })
	v.checkFeatures(c, exts, moh, add, lit, func(kind dialplan.Kind, pat, owner, path string) {
		if p, err := dialplan.ParsePattern(pat); err == nil {
			entries = append(entries, dialplan.Entry{Kind: kind, Pattern: p, Owner: owner, Target: path})
		}
	}, dest)
	checkConditions(c, scheds, add, dest)

	for i, s := range c.Schedules {
		p := fmt.Sprintf("schedules[%d].", i)
		for j, h := range s.Hours {
			if _, err := dialplan.ParseHours(h); err != nil {
				add(fmt.Sprintf("%shours[%d]", p, j), "%v", err)
			}
		}
		for j, h := range s.Holidays {
			if _, err := dialplan.ParseHoliday(h); err != nil {
				add(fmt.Sprintf("%sholidays[%d]", p, j), "%v", err)
			}
		}
	}

	for i, cl := range c.Classifiers {
		p := fmt.Sprintf("classifiers[%d].", i)
		switch dialplan.Action(cl.Action) {
		case dialplan.ActionReject, dialplan.ActionFirst:
			if cl.Destination != "" {
				add(p+"destination", "must be empty for a %s list", cl.Action)
			}
		case dialplan.ActionRoute:
			if cl.Destination == "" {
				add(p+"destination", "is required for a route list")
			} else {
				dest(p+"destination", cl.Destination)
			}
		default:
			add(p+"action", "must be reject, route or first")
		}
		if len(cl.Numbers) == 0 && !cl.Anonymous {
			add(p+"numbers", "needs at least one number (or anonymous)")
		}
		if len(cl.Numbers) > MaxExtensions {
			add(p+"numbers", "at most %d numbers", MaxExtensions)
		}
		for j, num := range cl.Numbers {
			if _, err := dialplan.ParsePattern(num); err != nil {
				add(fmt.Sprintf("%snumbers[%d]", p, j), "%v", err)
			}
		}
	}

	ruled := map[string]bool{}
	for i, r := range c.ExtensionRules {
		p := fmt.Sprintf("extension_rules[%d].", i)
		switch {
		case !exts[r.Extension]:
			add(p+"extension", "extension %q does not exist", r.Extension)
		case ruled[r.Extension]:
			add(p+"extension", "extension %s has two rules", r.Extension)
		}
		ruled[r.Extension] = true
		if r.Class != "" {
			if _, err := dialplan.ParseClass(r.Class); err != nil {
				add(p+"class", "%v", err)
			}
		}
		for _, f := range []struct{ field, val string }{
			{"forward_always", r.ForwardAlways}, {"forward_busy", r.ForwardBusy},
			{"forward_no_answer", r.ForwardNoAnswer}, {"forward_unavailable", r.ForwardUnavailable},
		} {
			if f.val == "" {
				continue
			}
			dest(p+f.field, f.val)
			if f.val == "ext:"+r.Extension {
				add(p+f.field, "forwards the extension to itself")
			}
		}
		ringTime(p+"no_answer_s", r.NoAnswerS)
		if len(r.FollowMe) > dialplan.MaxFollowMe {
			add(p+"follow_me", "at most %d numbers", dialplan.MaxFollowMe)
		}
		for j, m := range r.FollowMe {
			mp := fmt.Sprintf("%sfollow_me[%d].", p, j)
			dest(mp+"destination", m.Destination, dialplan.DestExtension, dialplan.DestFXS, dialplan.DestNumber)
			ringTime(mp+"ring_s", m.RingS)
		}
		if r.FollowMeSchedule != "" {
			if len(r.FollowMe) == 0 {
				add(p+"follow_me_schedule", "needs a follow_me list")
			} else if !scheds[r.FollowMeSchedule] {
				add(p+"follow_me_schedule", "schedule %q does not exist", r.FollowMeSchedule)
			}
		}
		if !slices.Contains([]string{"", "caller", "box"}, r.ForwardCallerID) {
			add(p+"forward_caller_id", "must be caller or box")
		}
	}

	if d := c.CallLimits.MaxCallDurationS; d != 0 && (d < MinCallDurationS || d > MaxCallDurationS) {
		add("limits.max_call_duration_s", "must be 0 (no limit) or %d to %d seconds", MinCallDurationS, MaxCallDurationS)
	}

	// Conflicts. Extensions against extensions and against the outside
	// prefix are the extension rules' business (reported on the
	// extensions, above); everything else is reported on the dial-plan
	// entry involved.
	if _, conflicts := dialplan.NewPlan(entries); conflicts != nil {
		// One message per field: the first conflict, and how many more.
		var order []string
		byPath := map[string][]string{}
		defer func() {
			for _, p := range order {
				msgs := byPath[p]
				if len(msgs) == 1 {
					add(p, "%s", msgs[0])
				} else {
					add(p, "%s (and %d more such conflicts)", msgs[0], len(msgs)-1)
				}
			}
		}()
		for _, ce := range conflicts {
			a, b := ce.A, ce.B
			if a.Kind == dialplan.KindExtension && (b.Kind == dialplan.KindExtension || b.Target == "system.outside_prefix") ||
				b.Kind == dialplan.KindExtension && a.Target == "system.outside_prefix" {
				continue
			}
			blame := b
			if b.Kind == dialplan.KindExtension || b.Target == "system.outside_prefix" {
				blame = a
			}
			if byPath[blame.Target] == nil {
				order = append(order, blame.Target)
			}
			byPath[blame.Target] = append(byPath[blame.Target], ce.Error())
		}
	}
}

// checkAnnouncements validates the announcements: prompts (at least one:
// an announcement that plays nothing is a mistake), the next destination,
// and chains of announcements. A chain that comes back to an announcement
// it passed would play to the caller until the exchange's bound on
// forwarding hops cut the call; a chain longer than that bound is cut
// the same way. Both are refused, on the announcement that starts them.
func checkAnnouncements(as []Announcement, add func(path, format string, args ...any), dest func(path, s string)) {
	next := map[string]string{} // announcement → the announcement it goes on to
	for i, a := range as {
		p := fmt.Sprintf("announcements[%d].", i)
		if len(a.Prompts) == 0 {
			add(p+"prompts", "needs at least one prompt")
		}
		checkPrompts(p+"prompts", a.Prompts, add)
		if a.Then != "" {
			dest(p+"then", a.Then)
			if d, err := dialplan.ParseDestination(a.Then); err == nil && d.Kind == dialplan.DestAnnounce {
				next[a.Name] = d.Value
			}
		}
	}
	for i, a := range as {
		if _, ok := next[a.Name]; !ok {
			continue
		}
		seen := map[string]bool{a.Name: true}
		chain := []string{a.Name}
		for n, ok := next[a.Name]; ok; n, ok = next[n] {
			chain = append(chain, n)
			if seen[n] {
				add(fmt.Sprintf("announcements[%d].then", i), "announcements go round in a loop (%s): the caller would never leave them",
					strings.Join(chain, " → "))
				break
			}
			if len(chain) > MaxAnnouncementChain {
				add(fmt.Sprintf("announcements[%d].then", i), "more than %d announcements in a row (%s…)", MaxAnnouncementChain,
					strings.Join(chain[:MaxAnnouncementChain], " → "))
				break
			}
			seen[n] = true
		}
	}
}

func kindList(k []dialplan.DestKind) string {
	s := make([]string, len(k))
	for i, x := range k {
		s[i] = string(x) + ":"
	}
	return strings.Join(s, ", ")
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
