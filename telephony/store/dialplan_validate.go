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

// planCheck is what the sections' checks share: the configuration, the
// names of every section's objects, and the numbering plan's entries
// they add (checked as a whole at the end for conflicts).
type planCheck struct {
	v   *validator
	c   *Config
	add func(path, format string, args ...any)
	// named: section key (and "extensions") → the names of its objects.
	named map[string]map[string]bool
	// byKind: destination kind → the section its values name.
	byKind  map[dialplan.DestKind]*planSection
	entries []dialplan.Entry
}

// has reports whether section key has an object named name.
func (pc *planCheck) has(key, name string) bool { return pc.named[key][name] }

// checkDialPlan validates the dial-plan sections of c; add reports a
// problem by its full path.
func (v *validator) checkDialPlan(c *Config, add func(path, format string, args ...any)) {
	pc := &planCheck{v: v, c: c, add: add, named: map[string]map[string]bool{}, byKind: map[dialplan.DestKind]*planSection{}}
	pc.named[SectionExtensions] = map[string]bool{}
	for _, e := range c.Extensions {
		pc.named[SectionExtensions][e.Number] = true
	}
	for i := range planTable {
		s := &planTable[i]
		if s.dest != "" {
			pc.byKind[s.dest] = s
		}
		if s.names == nil {
			continue
		}
		set := map[string]bool{}
		for _, n := range s.names(c) {
			set[n] = true
		}
		pc.named[s.key] = set
	}

	// The numbering plan: every number the box answers to, checked as a
	// whole for duplicates and numbers that begin others.
	for i, e := range c.Extensions {
		// Extensions of the wrong form are reported by the extension rules.
		if isDigits(e.Number) && len(e.Number) == c.System.ExtensionLength {
			pc.lit(dialplan.KindExtension, e.Number, e.Number, fmt.Sprintf("extensions[%d].number", i))
		}
	}
	// An outside prefix of the wrong form (letters, too long for a
	// pattern) is reported by the system rules; it takes no place here.
	if s := c.System.OutsidePrefix; s != "" && isDigits(s) {
		if p, err := dialplan.ParsePattern(s + "."); err == nil {
			pc.entries = append(pc.entries, dialplan.Entry{Kind: dialplan.KindRoute, Pattern: p,
				Label: "outside prefix " + s, Target: "system.outside_prefix"})
		}
	}

	for i := range planTable {
		if planTable[i].uniqueNames {
			pc.uniqueNames(&planTable[i])
		}
	}
	for i := range planTable {
		planTable[i].check(pc)
	}
	pc.conditionChains()
	pc.conflicts()
}

// uniqueNames checks the names of a section's objects: dial-plan names,
// each used once, and not too many objects.
func (pc *planCheck) uniqueNames(s *planSection) {
	names := s.names(pc.c)
	if len(names) > MaxDialPlanEntries {
		pc.add(s.key, "at most %d entries", MaxDialPlanEntries)
	}
	seen := map[string]bool{}
	for i, nm := range names {
		p := fmt.Sprintf("%s[%d].name", s.key, i)
		switch err := dialplan.CheckName(nm); {
		case err != nil:
			pc.add(p, "%v", err)
		case seen[nm]:
			pc.add(p, "%q is used twice", nm)
		case s.nameClash.key != "" && pc.has(s.nameClash.key, nm):
			pc.add(p, s.nameClash.msg, nm)
		}
		seen[nm] = true
	}
}

// dest checks a destination; kinds limits the kinds allowed (none: all
// the firmware has).
func (pc *planCheck) dest(path, s string, kinds ...dialplan.DestKind) {
	d, err := dialplan.ParseDestination(s)
	if err != nil {
		pc.add(path, "%v", err)
		return
	}
	if kinds != nil && !slices.Contains(kinds, d.Kind) {
		pc.add(path, "must be one of: %s", kindList(kinds))
		return
	}
	switch d.Kind {
	case dialplan.DestExtension:
		if !pc.has(SectionExtensions, d.Value) {
			pc.add(path, "extension %s does not exist", d.Value)
		}
	case dialplan.DestFXS:
		if n := atoi(d.Value); n > pc.v.limits.FXSPorts {
			pc.add(path, "no FXS port %d on this box (it has %s)", n, portRange(pc.v.limits.FXSPorts))
		}
	case dialplan.DestVoicemail:
		if !pc.has("voicemail", d.Value) {
			pc.add(path, "extension %s has no mailbox (add one under voicemail)", d.Value)
		}
	default:
		if s := pc.byKind[d.Kind]; s != nil && !pc.has(s.key, d.Value) {
			pc.add(path, "%s %q does not exist", s.what, d.Value)
		}
	}
}

// ringTime checks a member's ring time.
func (pc *planCheck) ringTime(path string, s int) {
	if s != 0 && (s < MinRingS || s > MaxRingS) {
		pc.add(path, "must be 0 (default) or %d to %d seconds", MinRingS, MaxRingS)
	}
}

// maxCalls checks a limit of concurrent calls.
func (pc *planCheck) maxCalls(path string, n int) {
	if n < 0 || n > MaxObjectCalls {
		pc.add(path, "must be 0 (no limit) to %d", MaxObjectCalls)
	}
}

// linesIn checks a list of FXO ports.
func (pc *planCheck) linesIn(path string, lines []int) {
	seen := map[int]bool{}
	for j, l := range lines {
		p := fmt.Sprintf("%s[%d]", path, j)
		switch {
		case l < 1 || l > pc.v.limits.FXOPorts:
			pc.add(p, "no FXO port %d on this box (it has %s)", l, portRange(pc.v.limits.FXOPorts))
		case seen[l]:
			pc.add(p, "FXO port %d is listed twice", l)
		}
		seen[l] = true
	}
}

// lit puts a literal number into the numbering plan (numbers of the
// wrong form are reported by their own checks and take no place).
func (pc *planCheck) lit(kind dialplan.Kind, number, owner, path string) {
	if p, err := dialplan.ParsePattern(number); err == nil && p.IsLiteral() && dialplan.IsDialString(number) {
		pc.entries = append(pc.entries, dialplan.Entry{Kind: kind, Pattern: p, Owner: owner, Target: path})
	}
}

// pattern puts a pattern (a code followed by an extension) into the
// numbering plan.
func (pc *planCheck) pattern(kind dialplan.Kind, pat, owner, path string) {
	if p, err := dialplan.ParsePattern(pat); err == nil {
		pc.entries = append(pc.entries, dialplan.Entry{Kind: kind, Pattern: p, Owner: owner, Target: path})
	}
}

// mohClass checks a music-on-hold class's name.
func (pc *planCheck) mohClass(path, name string) {
	if name != "" && !pc.has("moh_classes", name) {
		pc.add(path, "music-on-hold class %q does not exist", name)
	}
}

// internalNumber checks the optional internal number of a ring group,
// queue or menu and puts it into the numbering plan.
func (pc *planCheck) internalNumber(path, number, owner string) {
	if number == "" {
		return
	}
	if !isDigits(number) || len(number) < MinExtensionLength || len(number) > MaxExtensionLength {
		pc.add(path, "must be empty or %d to %d digits", MinExtensionLength, MaxExtensionLength)
		return
	}
	pc.lit(dialplan.KindService, number, owner, path)
}

// members checks what ring groups and queues share: the internal
// number, the strategy and the members with their ring times.
func (pc *planCheck) members(p, what, name, number, strategy string, ms []GroupMember) {
	pc.internalNumber(p+"number", number, what+" "+name)
	if _, err := dialplan.ParseStrategy(strategy); err != nil {
		pc.add(p+"strategy", "%v", err)
	}
	if len(ms) == 0 || len(ms) > MaxGroupMembers {
		pc.add(p+"members", "needs 1 to %d members", MaxGroupMembers)
	}
	for j, m := range ms {
		mp := fmt.Sprintf("%smembers[%d].", p, j)
		pc.dest(mp+"destination", m.Destination, MemberKinds...)
		pc.ringTime(mp+"ring_s", m.RingS)
	}
}

func (pc *planCheck) numbering() {
	n := pc.c.Numbering
	if len(n.ShortNumbers) > MaxDialPlanEntries {
		pc.add("numbering.short_numbers", "at most %d entries", MaxDialPlanEntries)
	}
	for i, s := range n.ShortNumbers {
		p := fmt.Sprintf("numbering.short_numbers[%d].", i)
		if !isDigits(s.Number) || len(s.Number) < MinExtensionLength || len(s.Number) > dialplan.MaxPatternLen {
			pc.add(p+"number", "must be %d to %d digits", MinExtensionLength, dialplan.MaxPatternLen)
		} else {
			pc.lit(dialplan.KindShort, s.Number, s.Number, p+"number")
		}
		pc.dest(p+"destination", s.Destination)
	}
	if n.FeatureCodes {
		for _, f := range dialplan.FeatureCodes() {
			pc.entries = append(pc.entries, dialplan.Entry{Kind: dialplan.KindFeature, Pattern: f.Pattern(), Owner: f.Code, Target: "numbering.feature_codes"})
		}
	}
	seenEm := map[string]bool{}
	for i, e := range n.EmergencyNumbers {
		p := fmt.Sprintf("numbering.emergency_numbers[%d]", i)
		switch {
		case !isDigits(e) || len(e) < 2 || len(e) > MaxEmergencyLen:
			pc.add(p, "must be 2 to %d digits", MaxEmergencyLen)
		case seenEm[e]:
			pc.add(p, "%s is listed twice", e)
		default:
			pc.lit(dialplan.KindEmergency, e, e, p)
		}
		seenEm[e] = true
	}
}

func (pc *planCheck) lineGroups() {
	for i, g := range pc.c.LineGroups {
		p := fmt.Sprintf("line_groups[%d].", i)
		if len(g.Lines) == 0 {
			pc.add(p+"lines", "needs at least one FXO line")
		}
		pc.linesIn(p+"lines", g.Lines)
		if !slices.Contains([]string{HuntAscending, HuntDescending, HuntRoundRobin}, g.Hunt) {
			pc.add(p+"hunt", "must be %s, %s or %s", HuntAscending, HuntDescending, HuntRoundRobin)
		}
		pc.maxCalls(p+"max_calls", g.MaxCalls)
		if g.WithholdPrefix != "" && (!dialplan.IsDialString(g.WithholdPrefix) || len(g.WithholdPrefix) > 6) {
			pc.add(p+"withhold_prefix", "must be 1 to 6 digits, * or # (the telco's code, such as *67 or 141)")
		}
	}
}

func (pc *planCheck) outboundRoutes() {
	for i, r := range pc.c.OutboundRoutes {
		p := fmt.Sprintf("outbound_routes[%d].", i)
		pat, err := dialplan.ParsePattern(r.Pattern)
		if err != nil {
			pc.add(p+"pattern", "%v", err)
		} else {
			pc.entries = append(pc.entries, dialplan.Entry{Kind: dialplan.KindRoute, Pattern: pat, Owner: r.Name, Target: p + "pattern"})
			if r.Strip < 0 || r.Strip >= pat.MinLen() {
				pc.add(p+"strip", "must be 0 to %d (fewer digits than the shortest number the pattern matches)", pat.MinLen()-1)
			}
		}
		if r.Prepend != "" && !dialplan.IsDialString(r.Prepend) {
			pc.add(p+"prepend", "must be digits, * or # (at most %d)", dialplan.MaxPatternLen)
		}
		if cl, err := dialplan.ParseClass(r.Class); err != nil {
			pc.add(p+"class", "%v", err)
		} else if cl == dialplan.ClassInternal {
			pc.add(p+"class", "an outside route needs local, national or international")
		}
		if len(r.Via) == 0 {
			pc.add(p+"via", "needs at least one line group or trunk")
		}
		checkTariff(p+"tariff.", r.Tariff, pc.add)
		for j, g := range r.Via {
			if !pc.has("line_groups", g) && !pc.has("trunks", g) {
				pc.add(fmt.Sprintf("%svia[%d]", p, j), "no line group or trunk is named %q", g)
			}
		}
		if r.CallerID != "" && !dialplan.IsDialString(strings.TrimPrefix(r.CallerID, "+")) {
			pc.add(p+"caller_id", "must be digits (an optional leading +)")
		}
		if m := nameProblem(r.CallerName, false); m != "" {
			pc.add(p+"caller_name", "%s", m)
		}
		if r.OverrideCallerID && r.CallerID == "" {
			pc.add(p+"override_caller_id", "needs a number to show (caller_id)")
		}
	}
}

func (pc *planCheck) callerIDRules() {
	for i, r := range pc.c.CallerIDRules {
		p := fmt.Sprintf("caller_id_rules[%d].", i)
		if r.Prefix != "" && !dialplan.IsDialString(r.Prefix) {
			pc.add(p+"prefix", "must be empty (every number) or digits")
		}
		if r.Number != "" && !dialplan.IsDialString(strings.TrimPrefix(r.Number, "+")) {
			pc.add(p+"number", "must be digits (an optional leading +)")
		}
		if m := nameProblem(r.Name, false); m != "" {
			pc.add(p+"name", "%s", m)
		}
	}
}

func (pc *planCheck) inboundRoutes() {
	for i, r := range pc.c.InboundRoutes {
		p := fmt.Sprintf("inbound_routes[%d].", i)
		pc.linesIn(p+"lines", r.Lines)
		if len(r.Lines) > 0 && (len(r.Trunks) > 0 || len(r.DIDs) > 0) {
			pc.add(p+"lines", "a route covers FXO lines or trunks, not both")
		}
		for j, t := range r.Trunks {
			if !pc.has("trunks", t) {
				pc.add(fmt.Sprintf("%strunks[%d]", p, j), "trunk %q does not exist", t)
			}
		}
		for j, d := range r.DIDs {
			if !dialplan.IsDialString(strings.TrimPrefix(d, "+")) {
				pc.add(fmt.Sprintf("%sdids[%d]", p, j), "must be digits (an optional leading +)")
			}
		}
		if r.Schedule != "" && !pc.has("schedules", r.Schedule) {
			pc.add(p+"schedule", "schedule %q does not exist", r.Schedule)
		}
		pc.dest(p+"destination", r.Destination)
		if r.FaxDetect != "" {
			pc.dest(p+"fax_detect", r.FaxDetect, faxDetectKinds...)
		}
		switch {
		case r.ClosedDestination != "" && r.Schedule == "":
			pc.add(p+"closed_destination", "needs a schedule")
		case r.ClosedDestination != "":
			pc.dest(p+"closed_destination", r.ClosedDestination)
		}
		pc.maxCalls(p+"max_calls", r.MaxCalls)
		seenList := map[string]bool{}
		for j, name := range r.Classifiers {
			lp := fmt.Sprintf("%sclassifiers[%d]", p, j)
			switch {
			case !pc.has("classifiers", name):
				pc.add(lp, "caller list %q does not exist", name)
			case seenList[name]:
				pc.add(lp, "caller list %q is listed twice", name)
			}
			seenList[name] = true
		}
		pc.mohClass(p+"moh_class", r.MOHClass)
		checkRecordMode(p+"record", r.Record, pc.add)
	}
}

func (pc *planCheck) ringGroups() {
	for i, g := range pc.c.RingGroups {
		p := fmt.Sprintf("ring_groups[%d].", i)
		pc.members(p, "ring group", g.Name, g.Number, g.Strategy, g.Members)
		if g.MaxWaitS != 0 && (g.MaxWaitS < MinRingS || g.MaxWaitS > MaxGroupWaitS) {
			pc.add(p+"max_wait_s", "must be 0 (each member once) or %d to %d seconds", MinRingS, MaxGroupWaitS)
		}
		if g.Timeout != "" {
			pc.dest(p+"timeout_destination", g.Timeout)
		}
		pc.maxCalls(p+"max_calls", g.MaxCalls)
	}
}

func (pc *planCheck) queues() {
	for i, q := range pc.c.Queues {
		p := fmt.Sprintf("queues[%d].", i)
		pc.members(p, "queue", q.Name, q.Number, q.Strategy, q.Members)
		if q.MaxWaitS != 0 && (q.MaxWaitS < MinRingS || q.MaxWaitS > MaxGroupWaitS) {
			pc.add(p+"max_wait_s", "must be 0 (default %d) or %d to %d seconds", DefaultQueueWaitS, MinRingS, MaxGroupWaitS)
		}
		if q.WrapUpS < 0 || q.WrapUpS > MaxRingS {
			pc.add(p+"wrap_up_s", "must be 0 to %d seconds", MaxRingS)
		}
		pc.maxCalls(p+"max_callers", q.MaxCallers)
		checkPrompts(p+"music_on_hold", q.MusicOnHold, pc.add)
		if q.AnnounceEveryS != 0 && (q.AnnounceEveryS < 10 || q.AnnounceEveryS > MaxRingS) {
			pc.add(p+"announce_every_s", "must be 0 (never) or 10 to %d seconds", MaxRingS)
		}
		if q.Timeout != "" {
			pc.dest(p+"timeout_destination", q.Timeout)
		}
		pc.mohClass(p+"moh_class", q.MOHClass)
		checkRecordMode(p+"record", q.Record, pc.add)
		if err := prompts.CheckLanguage(q.Language); err != nil {
			pc.add(p+"language", "%v", err)
		}
	}
}

func (pc *planCheck) menus() {
	for i, m := range pc.c.Menus {
		p := fmt.Sprintf("ivr_menus[%d].", i)
		pc.internalNumber(p+"number", m.Number, "voice menu "+m.Name)
		checkPrompts(p+"prompts", m.Prompts, pc.add)
		if m.DigitTimeoutS != 0 && (m.DigitTimeoutS < 1 || m.DigitTimeoutS > 60) {
			pc.add(p+"digit_timeout_s", "must be 0 (default %d) or 1 to 60 seconds", DefaultMenuDigitTimeoutS)
		}
		if m.Retries < 0 || m.Retries > 5 {
			pc.add(p+"retries", "must be 0 to 5")
		}
		for _, k := range slices.Sorted(maps.Keys(m.Keys)) {
			kp := fmt.Sprintf("%skeys.%s", p, k)
			if len(k) != 1 || !strings.Contains("0123456789*#", k) {
				pc.add(kp, "keys are 0-9, * and #")
				continue
			}
			pc.dest(kp, m.Keys[k])
		}
		if m.DefaultDestination != "" {
			pc.dest(p+"default_destination", m.DefaultDestination)
		}
		if err := prompts.CheckLanguage(m.Language); err != nil {
			pc.add(p+"language", "%v", err)
		}
	}
}

func (pc *planCheck) announcements() {
	checkAnnouncements(pc.c.Announcements, pc.add, func(path, s string) { pc.dest(path, s) })
}

func (pc *planCheck) schedules() {
	for i, s := range pc.c.Schedules {
		p := fmt.Sprintf("schedules[%d].", i)
		for j, h := range s.Hours {
			if _, err := dialplan.ParseHours(h); err != nil {
				pc.add(fmt.Sprintf("%shours[%d]", p, j), "%v", err)
			}
		}
		for j, h := range s.Holidays {
			if _, err := dialplan.ParseHoliday(h); err != nil {
				pc.add(fmt.Sprintf("%sholidays[%d]", p, j), "%v", err)
			}
		}
	}
}

func (pc *planCheck) classifiers() {
	for i, cl := range pc.c.Classifiers {
		p := fmt.Sprintf("classifiers[%d].", i)
		switch dialplan.Action(cl.Action) {
		case dialplan.ActionReject, dialplan.ActionFirst:
			if cl.Destination != "" {
				pc.add(p+"destination", "must be empty for a %s list", cl.Action)
			}
		case dialplan.ActionRoute:
			if cl.Destination == "" {
				pc.add(p+"destination", "is required for a route list")
			} else {
				pc.dest(p+"destination", cl.Destination)
			}
		default:
			pc.add(p+"action", "must be reject, route or first")
		}
		if len(cl.Numbers) == 0 && !cl.Anonymous {
			pc.add(p+"numbers", "needs at least one number (or anonymous)")
		}
		if len(cl.Numbers) > MaxExtensions {
			pc.add(p+"numbers", "at most %d numbers", MaxExtensions)
		}
		for j, num := range cl.Numbers {
			if _, err := dialplan.ParsePattern(num); err != nil {
				pc.add(fmt.Sprintf("%snumbers[%d]", p, j), "%v", err)
			}
		}
	}
}

func (pc *planCheck) extensionRules() {
	ruled := map[string]bool{}
	for i, r := range pc.c.ExtensionRules {
		p := fmt.Sprintf("extension_rules[%d].", i)
		switch {
		case !pc.has(SectionExtensions, r.Extension):
			pc.add(p+"extension", "extension %q does not exist", r.Extension)
		case ruled[r.Extension]:
			pc.add(p+"extension", "extension %s has two rules", r.Extension)
		}
		ruled[r.Extension] = true
		if r.Class != "" {
			if _, err := dialplan.ParseClass(r.Class); err != nil {
				pc.add(p+"class", "%v", err)
			}
		}
		for _, f := range []struct{ field, val string }{
			{"forward_always", r.ForwardAlways}, {"forward_busy", r.ForwardBusy},
			{"forward_no_answer", r.ForwardNoAnswer}, {"forward_unavailable", r.ForwardUnavailable},
		} {
			if f.val == "" {
				continue
			}
			pc.dest(p+f.field, f.val)
			if f.val == "ext:"+r.Extension {
				pc.add(p+f.field, "forwards the extension to itself")
			}
		}
		pc.ringTime(p+"no_answer_s", r.NoAnswerS)
		if len(r.FollowMe) > dialplan.MaxFollowMe {
			pc.add(p+"follow_me", "at most %d numbers", dialplan.MaxFollowMe)
		}
		for j, m := range r.FollowMe {
			mp := fmt.Sprintf("%sfollow_me[%d].", p, j)
			pc.dest(mp+"destination", m.Destination, MemberKinds...)
			pc.ringTime(mp+"ring_s", m.RingS)
		}
		if r.FollowMeSchedule != "" {
			if len(r.FollowMe) == 0 {
				pc.add(p+"follow_me_schedule", "needs a follow_me list")
			} else if !pc.has("schedules", r.FollowMeSchedule) {
				pc.add(p+"follow_me_schedule", "schedule %q does not exist", r.FollowMeSchedule)
			}
		}
		if !slices.Contains([]string{"", "caller", "box"}, r.ForwardCallerID) {
			pc.add(p+"forward_caller_id", "must be caller or box")
		}
		pc.mohClass(p+"moh_class", r.MOHClass)
		checkRecordMode(p+"record", r.Record, pc.add)
	}
}

func (pc *planCheck) limits() {
	if d := pc.c.CallLimits.MaxCallDurationS; d != 0 && (d < MinCallDurationS || d > MaxCallDurationS) {
		pc.add("limits.max_call_duration_s", "must be 0 (no limit) or %d to %d seconds", MinCallDurationS, MaxCallDurationS)
	}
}

// conflicts reports the numbering plan's conflicts. Extensions against
// extensions and against the outside prefix are the extension rules'
// business (reported on the extensions); everything else is reported on
// the dial-plan entry involved, one message per field: the first
// conflict, and how many more.
func (pc *planCheck) conflicts() {
	_, conflicts := dialplan.NewPlan(pc.entries)
	if conflicts == nil {
		return
	}
	var order []string
	byPath := map[string][]string{}
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
	for _, p := range order {
		msgs := byPath[p]
		if len(msgs) == 1 {
			pc.add(p, "%s", msgs[0])
		} else {
			pc.add(p, "%s (and %d more such conflicts)", msgs[0], len(msgs)-1)
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
