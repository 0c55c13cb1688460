package webui

import (
	"fmt"
	"slices"
	"strings"

	"minipbx/telephony/store"
)

// wizardPlan is what the setup wizard will do, read from its steps'
// input (wizard_steps.go). apply turns it into changes of a
// configuration; the review shows the difference, and the same apply,
// run inside the store's transaction, makes it.
type wizardPlan struct {
	country  country
	timeZone string
	extLen   int
	// remove are existing extensions the installer chose to remove.
	remove map[string]bool
	exts   []plannedExt
	lines  []plannedLine
	trunk  *plannedTrunk
	prefix string
	// via is how outside calls go: viaLines, viaTrunk, viaLinesTrunk or
	// viaTrunkLines.
	via   string
	vm    plannedVoicemail
	hours *plannedHours
	menu  *plannedMenu
}

// plannedExt is one new extension.
type plannedExt struct {
	Number, Name string
	// Port is the FXS port of its analog phone (0: SIP only).
	Port    int
	Outside bool
	// Secret and PIN are made once per wizard (the draft keeps them), so
	// that the review and the end show what is stored.
	Secret, PIN string
}

// plannedLine is one FXO line.
type plannedLine struct {
	Port    int
	Enabled bool
	Dest    string // a wizard choice (choiceExt...)
}

// plannedTrunk is the SIP trunk to a provider.
type plannedTrunk struct {
	Host, Transport, Username, Password, CallerID string
	Dest                                          string // where its calls go (a choice)
}

// plannedVoicemail: mailboxes for the new extensions, and whether busy
// and unanswered calls reach them.
type plannedVoicemail struct {
	Boxes, Forward bool
	RingS          int
}

// plannedHours: a week of opening hours and where calls go after them.
type plannedHours struct {
	Days   [7]dayHours // monday first
	Closed string      // a choice
}

type dayHours struct {
	Open     bool
	From, To string // "09:00", "18:00"
}

// plannedMenu: a voice menu's greeting, keys and fallbacks.
type plannedMenu struct {
	Greeting   string            // a recording's file name; "" a tone
	Keys       map[string]string // key → choice
	DirectDial bool
	Default    string // a choice; "" hangs up
}

// Ways outside calls go out.
const (
	viaLines      = "lines"
	viaTrunk      = "trunk"
	viaLinesTrunk = "lines,trunk"
	viaTrunkLines = "trunk,lines"
)

// Wizard choices of a destination, resolved to the dial plan's notation
// once the names of what the wizard creates are known. Extensions and
// mailboxes are "ext:201", "vm:201".
const (
	choiceGroup  = "group"
	choiceMenu   = "menu"
	choiceHangup = "hangup"
)

// weekDays are the schedule's day names, monday first.
func weekDays() [7]string { return [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} }

// Names the wizard gives what it creates (made unique against what the
// box has: "main-2").
const (
	nameGroup     = "everyone"
	nameMenu      = "main"
	nameSchedule  = "office-hours"
	nameLineGroup = "lines"
	nameOutbound  = "outside"
	nameTrunk     = "provider"
)

// wizardNames are the names of the objects this plan creates in one
// configuration.
type wizardNames struct {
	group, menu, schedule, lineGroup, outbound, trunk string
}

func (p *wizardPlan) names(c *store.Config) wizardNames {
	collect := func(n int, name func(i int) string) map[string]bool {
		m := map[string]bool{}
		for i := range n {
			m[name(i)] = true
		}
		return m
	}
	groups := collect(len(c.RingGroups), func(i int) string { return c.RingGroups[i].Name })
	menus := collect(len(c.Menus), func(i int) string { return c.Menus[i].Name })
	scheds := collect(len(c.Schedules), func(i int) string { return c.Schedules[i].Name })
	// Line groups and trunks share the carriers' namespace.
	carriers := collect(len(c.LineGroups), func(i int) string { return c.LineGroups[i].Name })
	for _, t := range c.Trunks {
		carriers[t.Name] = true
	}
	routes := collect(len(c.OutboundRoutes), func(i int) string { return c.OutboundRoutes[i].Name })
	n := wizardNames{
		group:    uniqueName(nameGroup, groups),
		menu:     uniqueName(nameMenu, menus),
		schedule: uniqueName(nameSchedule, scheds),
		outbound: uniqueName(nameOutbound, routes),
	}
	n.lineGroup = uniqueName(nameLineGroup, carriers)
	carriers[n.lineGroup] = true
	n.trunk = uniqueName(nameTrunk, carriers)
	return n
}

// uniqueName is base, or base-2, base-3... the first not taken.
func uniqueName(base string, taken map[string]bool) string {
	name := base
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}

// uses reports whether any choice of the plan is c.
func (p *wizardPlan) uses(c string) bool {
	for _, l := range p.lines {
		if l.Enabled && l.Dest == c {
			return true
		}
	}
	if p.trunk != nil && p.trunk.Dest == c {
		return true
	}
	if p.hours != nil && p.hours.Closed == c {
		return true
	}
	if p.menu != nil {
		if p.menu.Default == c {
			return true
		}
		for _, k := range p.menu.Keys {
			if k == c {
				return true
			}
		}
	}
	return false
}

// wantsMenu: a line, the trunk or business hours lead to the voice menu
// (the menu step is then part of the wizard).
func (p *wizardPlan) wantsMenu() bool {
	for _, l := range p.lines {
		if l.Enabled && l.Dest == choiceMenu {
			return true
		}
	}
	return p.trunk != nil && p.trunk.Dest == choiceMenu || p.hours != nil && p.hours.Closed == choiceMenu
}

// dest turns a wizard choice into a destination of the dial plan.
func (n wizardNames) dest(choice string) string {
	switch {
	case choice == choiceGroup:
		return "group:" + n.group
	case choice == choiceMenu:
		return "menu:" + n.menu
	case strings.HasPrefix(choice, "vm:"):
		return "voicemail:" + strings.TrimPrefix(choice, "vm:")
	}
	return choice // ext:N, hangup, ""
}

// applyStep is one part of the plan's change, named for a test that
// makes the change fail half-way.
type applyStep struct {
	name string
	fn   func(c *store.Config, n wizardNames) error
}

// apply changes c as the plan says. Objects the box has are left alone
// unless the plan names them (extensions removed or giving up their
// port, the FXO lines, the settings); what the wizard creates gets names
// no existing object has. fault, when set, is asked before each step
// and may make the change fail there (tests).
func (p *wizardPlan) apply(c *store.Config, fault func(step string) error) error {
	n := p.names(c)
	for _, s := range p.steps() {
		if fault != nil {
			if err := fault(s.name); err != nil {
				return err
			}
		}
		if err := s.fn(c, n); err != nil {
			return err
		}
	}
	return nil
}

func (p *wizardPlan) steps() []applyStep {
	return []applyStep{
		{"settings", p.applySettings},
		{"extensions", p.applyExtensions},
		{"voicemail", p.applyVoicemail},
		{"ring group", p.applyGroup},
		{"voice menu", p.applyMenu},
		{"hours", p.applyHours},
		{"lines", p.applyLines},
		{"trunk", p.applyTrunk},
		{"outside calls", p.applyOutside},
	}
}

func (p *wizardPlan) applySettings(c *store.Config, _ wizardNames) error {
	c.System.ToneZone = p.country.ToneZone
	c.System.TimeZone = p.timeZone
	c.System.Language = p.country.Language
	c.System.ExtensionLength = p.extLen
	c.System.OutsidePrefix = p.prefix
	return nil
}

func (p *wizardPlan) applyExtensions(c *store.Config, _ wizardNames) error {
	c.Extensions = slices.DeleteFunc(c.Extensions, func(e store.Extension) bool { return p.remove[e.Number] })
	c.Voicemail.Boxes = slices.DeleteFunc(c.Voicemail.Boxes, func(b store.Mailbox) bool { return p.remove[b.Extension] })
	c.ExtensionRules = slices.DeleteFunc(c.ExtensionRules, func(r store.ExtensionRule) bool { return p.remove[r.Extension] })
	taken := map[int]bool{}
	for _, e := range p.exts {
		if e.Port > 0 {
			taken[e.Port] = true
		}
	}
	for i := range c.Extensions {
		if taken[c.Extensions[i].FXSPort] {
			c.Extensions[i].FXSPort = 0 // the new extension takes the port; this one stays as SIP
		}
	}
	for _, e := range p.exts {
		c.Extensions = append(c.Extensions, store.Extension{Number: e.Number, Name: e.Name, Secret: e.Secret,
			FXSPort: e.Port, OutsideCalls: e.Outside})
	}
	return nil
}

func (p *wizardPlan) applyVoicemail(c *store.Config, _ wizardNames) error {
	if !p.vm.Boxes {
		return nil
	}
	for _, e := range p.exts {
		c.Voicemail.Boxes = append(c.Voicemail.Boxes, store.Mailbox{Extension: e.Number, PIN: e.PIN})
		if p.vm.Forward {
			mb := "voicemail:" + e.Number
			c.ExtensionRules = append(c.ExtensionRules, store.ExtensionRule{Extension: e.Number,
				ForwardBusy: mb, ForwardNoAnswer: mb, NoAnswerS: p.vm.RingS})
		}
	}
	return nil
}

func (p *wizardPlan) applyGroup(c *store.Config, n wizardNames) error {
	if !p.uses(choiceGroup) {
		return nil
	}
	g := store.RingGroup{Name: n.group, Strategy: "ringall"}
	for _, e := range p.exts {
		g.Members = append(g.Members, store.GroupMember{Destination: "ext:" + e.Number})
	}
	c.RingGroups = append(c.RingGroups, g)
	return nil
}

// menuTone is the menu's greeting until a recording is chosen: a short
// beep that says "press a key".
func menuTone() store.Prompt { return store.Prompt{Tone: "440", MS: 600} }

func (p *wizardPlan) applyMenu(c *store.Config, n wizardNames) error {
	if p.menu == nil || !p.wantsMenu() {
		return nil
	}
	m := store.Menu{Name: n.menu, Retries: 2, DirectDial: p.menu.DirectDial, DefaultDestination: n.dest(p.menu.Default)}
	if p.menu.Greeting != "" {
		m.Prompts = []store.Prompt{{File: p.menu.Greeting}}
	} else {
		m.Prompts = []store.Prompt{menuTone()}
	}
	for k, choice := range p.menu.Keys {
		if choice == "" {
			continue
		}
		if m.Keys == nil {
			m.Keys = map[string]string{}
		}
		m.Keys[k] = n.dest(choice)
	}
	c.Menus = append(c.Menus, m)
	return nil
}

// scheduleHours writes the week as the schedule's periods, consecutive
// days with the same hours together ("mon-fri 09:00-18:00").
func (h *plannedHours) scheduleHours() []string {
	var out []string
	for i := 0; i < len(h.Days); {
		d := h.Days[i]
		j := i
		for j+1 < len(h.Days) && h.Days[j+1] == d {
			j++
		}
		if d.Open {
			days := weekDays()[i]
			if j > i {
				days += "-" + weekDays()[j]
			}
			out = append(out, fmt.Sprintf("%s %s-%s", days, d.From, d.To))
		}
		i = j + 1
	}
	return out
}

func (p *wizardPlan) applyHours(c *store.Config, n wizardNames) error {
	if p.hours == nil {
		return nil
	}
	c.Schedules = append(c.Schedules, store.Schedule{Name: n.schedule, Hours: p.hours.scheduleHours()})
	// One time condition per destination the lines and the trunk ring
	// in working hours: time:NAME sends there while the schedule is
	// open, and after hours to the closed destination.
	conds := map[string]bool{}
	for _, tc := range c.TimeConditions {
		conds[tc.Name] = true
	}
	for _, d := range p.dayDestinations() {
		name := uniqueName(timeConditionName(d), conds)
		conds[name] = true
		c.TimeConditions = append(c.TimeConditions, store.TimeCondition{Name: name, Schedule: n.schedule,
			Open: n.dest(d), Closed: n.dest(p.hours.Closed)})
	}
	return nil
}

// dayDestinations are the distinct choices of the lines in use and the
// trunk, in order.
func (p *wizardPlan) dayDestinations() []string {
	var out []string
	for _, l := range p.lines {
		if l.Enabled && !slices.Contains(out, l.Dest) {
			out = append(out, l.Dest)
		}
	}
	if p.trunk != nil && !slices.Contains(out, p.trunk.Dest) {
		out = append(out, p.trunk.Dest)
	}
	return out
}

// timeConditionName names the time condition in front of a choice:
// "hours-menu", "hours-everyone", "hours-201".
func timeConditionName(choice string) string {
	switch {
	case choice == choiceGroup:
		return "hours-" + nameGroup
	case choice == choiceMenu:
		return "hours-" + nameMenu
	case strings.HasPrefix(choice, "ext:"):
		return "hours-" + strings.TrimPrefix(choice, "ext:")
	}
	return "hours"
}

// routeDest is where a line's or the trunk's calls go: through the
// business hours' time condition when there are hours.
func (p *wizardPlan) routeDest(c *store.Config, n wizardNames, choice string) string {
	if p.hours == nil {
		return n.dest(choice)
	}
	for _, tc := range c.TimeConditions {
		if tc.Schedule == n.schedule && tc.Open == n.dest(choice) {
			return "time:" + tc.Name
		}
	}
	return n.dest(choice)
}

// inboundRouteNames are the names of c's inbound routes.
func inboundRouteNames(c *store.Config) map[string]bool {
	m := map[string]bool{}
	for _, r := range c.InboundRoutes {
		m[r.Name] = true
	}
	return m
}

func (p *wizardPlan) applyLines(c *store.Config, n wizardNames) error {
	fallback := ""
	if len(p.exts) > 0 {
		fallback = p.exts[0].Number
	} else if len(c.Extensions) > 0 {
		fallback = c.Extensions[0].Number
	}
	exists := map[string]bool{}
	for _, e := range c.Extensions {
		exists[e.Number] = true
	}
	taken := inboundRouteNames(c)
	var routes []store.InboundRoute
	for _, pl := range p.lines {
		i := slices.IndexFunc(c.FXOLines, func(l store.FXOLine) bool { return l.Port == pl.Port })
		if i < 0 {
			return fmt.Errorf("webui: setup: the box has no FXO line %d any more", pl.Port)
		}
		l := &c.FXOLines[i]
		l.Enabled = pl.Enabled
		if !pl.Enabled {
			if !exists[l.Destination] {
				l.Destination = ""
			}
			continue
		}
		// The line's own destination is an extension, used when no
		// route covers the line; the route below covers it.
		switch {
		case strings.HasPrefix(pl.Dest, "ext:"):
			l.Destination = strings.TrimPrefix(pl.Dest, "ext:")
		case !exists[l.Destination]:
			l.Destination = fallback
		}
		name := uniqueName(fmt.Sprintf("line-%d", pl.Port), taken)
		taken[name] = true
		routes = append(routes, store.InboundRoute{Name: name, Lines: []int{pl.Port}, Destination: p.routeDest(c, n, pl.Dest)})
	}
	// First: the first route covering a line wins.
	c.InboundRoutes = append(routes, c.InboundRoutes...)
	return nil
}

func (p *wizardPlan) applyTrunk(c *store.Config, n wizardNames) error {
	if p.trunk == nil {
		return nil
	}
	t := p.trunk
	c.Trunks = append(c.Trunks, store.Trunk{Name: n.trunk, Mode: store.TrunkRegister, Host: t.Host,
		Transport: t.Transport, Username: t.Username, Password: t.Password, CallerID: t.CallerID})
	taken := inboundRouteNames(c)
	name := uniqueName(n.trunk+"-calls", taken)
	r := store.InboundRoute{Name: name, Trunks: []string{n.trunk}, Destination: p.routeDest(c, n, t.Dest)}
	c.InboundRoutes = append([]store.InboundRoute{r}, c.InboundRoutes...)
	return nil
}

func (p *wizardPlan) applyOutside(c *store.Config, n wizardNames) error {
	if p.prefix == "" {
		return nil
	}
	var lines []int
	for _, l := range p.lines {
		if l.Enabled {
			lines = append(lines, l.Port)
		}
	}
	var via []string
	for _, v := range strings.Split(p.via, ",") {
		switch {
		case v == viaLines && len(lines) > 0:
			c.LineGroups = append(c.LineGroups, store.LineGroup{Name: n.lineGroup, Lines: lines, Hunt: store.HuntAscending})
			via = append(via, n.lineGroup)
		case v == viaTrunk && p.trunk != nil:
			via = append(via, n.trunk)
		}
	}
	if len(via) == 0 {
		return nil
	}
	// After the routes the box has: they are more particular than the
	// prefix followed by anything.
	c.OutboundRoutes = append(c.OutboundRoutes, store.OutboundRoute{Name: n.outbound, Pattern: p.prefix + ".",
		Strip: len(p.prefix), Class: "international", Via: via})
	return nil
}
