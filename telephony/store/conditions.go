package store

import (
	"fmt"
	"slices"
	"strings"

	"minipbx/telephony/dialplan"
)

// TimeCondition sends a call one way while a schedule is open and another
// while it is closed: "menu key 1 goes to sales in office hours, to
// voicemail after". Inbound routes have a schedule of their own; a time
// condition gives one to any destination (a menu key, a short number, a
// ring group's timeout).
type TimeCondition struct {
	Name string `json:"name"`
	// Schedule names the schedule (in the box's time zone).
	Schedule string `json:"schedule"`
	// Open is where the call goes while the schedule is open.
	Open string `json:"open"`
	// Closed is where it goes otherwise ("": the caller hears busy, as
	// for hangup).
	Closed string `json:"closed,omitempty"`
}

// Condition reaches a destination and says what happens when it does not
// answer: "ring the boss's mobile for 20 s; on no answer or busy take a
// message". Extensions have this in their forwarding; a condition gives
// it to any number, port or group.
type Condition struct {
	Name string `json:"name"`
	// Destination is what the call reaches first: a phone, port, ring
	// group, number or queue.
	Destination string `json:"destination"`
	// NoAnswerS bounds the ringing of the destination (0: its own ring
	// time: the box's no-answer time, an extension's rule, a group's
	// rounds).
	NoAnswerS int `json:"no_answer_s,omitempty"`
	// NoAnswer, Busy and NoRoute are where the call goes on each outcome
	// ("": the call ends with the outcome, as without the condition).
	// NoRoute covers a destination that cannot ring at all: an
	// unregistered phone, an unreachable trunk, a number no route takes.
	NoAnswer string `json:"no_answer,omitempty"`
	Busy     string `json:"busy,omitempty"`
	NoRoute  string `json:"no_route,omitempty"`
}

// ConditionKinds are the destinations a condition can reach first: those
// that ring and end in busy, no answer or no route. A menu or an
// announcement answers the call itself; a time condition or another
// condition already chooses.
var ConditionKinds = []dialplan.DestKind{dialplan.DestExtension, dialplan.DestFXS, dialplan.DestGroup, dialplan.DestNumber, dialplan.DestQueue}

// MemberKinds are the destinations a ring group's, queue's or
// follow-me list's member can be: something that rings by itself.
var MemberKinds = []dialplan.DestKind{dialplan.DestExtension, dialplan.DestFXS, dialplan.DestNumber}

// MaxConditionChain bounds time conditions, conditions and announcements
// passed one after another by a call: each is a hop, and the exchange
// follows at most 8 per call (the rest are the destination's own, such as
// an extension's forwarding).
const MaxConditionChain = 6

// timeConditions validates the time conditions: their schedules and
// destinations (the chains they make are conditionChains' business).
func (pc *planCheck) timeConditions() {
	for i, t := range pc.c.TimeConditions {
		p := fmt.Sprintf("time_conditions[%d].", i)
		switch {
		case t.Schedule == "":
			pc.add(p+"schedule", "required: the schedule that says when it is open")
		case !pc.has("schedules", t.Schedule):
			pc.add(p+"schedule", "schedule %q does not exist", t.Schedule)
		}
		if t.Open == "" {
			pc.add(p+"open", "required: where calls go while the schedule is open")
		} else {
			pc.dest(p+"open", t.Open)
		}
		if t.Closed != "" {
			pc.dest(p+"closed", t.Closed)
		}
	}
}

// conditions validates the conditions: what each reaches first, its
// ring time and where each outcome goes.
func (pc *planCheck) conditions() {
	for i, cd := range pc.c.Conditions {
		p := fmt.Sprintf("conditions[%d].", i)
		var first dialplan.Destination
		if cd.Destination == "" {
			pc.add(p+"destination", "required: what the call reaches first")
		} else {
			pc.dest(p+"destination", cd.Destination, ConditionKinds...)
			first, _ = dialplan.ParseDestination(cd.Destination)
		}
		if cd.NoAnswerS != 0 {
			if cd.NoAnswerS < MinRingS || cd.NoAnswerS > MaxRingS {
				pc.add(p+"no_answer_s", "%d to %d seconds, or 0 for the destination's own ring time", MinRingS, MaxRingS)
			} else if first.Kind == dialplan.DestQueue {
				pc.add(p+"no_answer_s", "a queue answers its callers: its own wait limit says how long they stay")
			}
		}
		for _, f := range []struct{ field, to string }{{"no_answer", cd.NoAnswer}, {"busy", cd.Busy}, {"no_route", cd.NoRoute}} {
			if f.to != "" {
				pc.dest(p+f.field, f.to)
			}
		}
	}
}

// conditionChains checks the chains time conditions and conditions make
// with each other and with announcements. A chain that comes back to
// where it started would pass the caller round until the exchange's hop
// bound cut the call, so it is refused on each member's field that starts
// it; so is a chain longer than MaxConditionChain.
func (pc *planCheck) conditionChains() {
	c := pc.c
	// edges of the graph whose nodes are "time:a", "cond:b", "announce:c".
	type edge struct{ path, to string }
	graph := map[string][]edge{}
	link := func(from, path, to string) {
		if d, err := dialplan.ParseDestination(to); err == nil &&
			(d.Kind == dialplan.DestTime || d.Kind == dialplan.DestCond || d.Kind == dialplan.DestAnnounce) {
			graph[from] = append(graph[from], edge{path, d.String()})
		}
	}
	for i, t := range c.TimeConditions {
		p := fmt.Sprintf("time_conditions[%d].", i)
		if t.Open != "" {
			link("time:"+t.Name, p+"open", t.Open)
		}
		if t.Closed != "" {
			link("time:"+t.Name, p+"closed", t.Closed)
		}
	}
	for i, cd := range c.Conditions {
		p := fmt.Sprintf("conditions[%d].", i)
		for _, f := range []struct{ field, to string }{{"no_answer", cd.NoAnswer}, {"busy", cd.Busy}, {"no_route", cd.NoRoute}} {
			if f.to != "" {
				link("cond:"+cd.Name, p+f.field, f.to)
			}
		}
	}
	for _, a := range c.Announcements {
		link("announce:"+a.Name, "", a.Then)
	}

	// From each time condition and condition, walk every path; a path
	// back to the start is a loop, one longer than the bound a chain.
	// Loops among announcements alone are checkAnnouncements' business.
	var walk func(start string, chain []string) (string, bool)
	walk = func(start string, chain []string) (string, bool) {
		last := chain[len(chain)-1]
		for _, e := range graph[last] {
			switch {
			case e.to == start:
				return fmt.Sprintf("go round in a loop (%s → %s): the caller would never leave them", strings.Join(chain, " → "), e.to), true
			case len(chain) >= MaxConditionChain:
				return fmt.Sprintf("more than %d time conditions, conditions and announcements in a row (%s → %s…)",
					MaxConditionChain, strings.Join(chain, " → "), e.to), true
			}
			if slices.Contains(chain, e.to) {
				continue // a loop that does not pass the start: reported from its own members
			}
			if msg, bad := walk(start, append(chain, e.to)); bad {
				return msg, true
			}
		}
		return "", false
	}
	for _, node := range graphStarts(c) {
		for _, e := range graph[node] {
			var msg string
			var bad bool
			if e.to == node {
				msg, bad = fmt.Sprintf("goes back to itself (%s → %s): the caller would never leave it", node, node), true
			} else {
				msg, bad = walk(node, []string{node, e.to})
			}
			if bad {
				pc.add(e.path, "%s", msg)
			}
		}
	}
}

// graphStarts are the time conditions and conditions as graph nodes, in
// document order (so errors come out in a stable order).
func graphStarts(c *Config) []string {
	var out []string
	for _, t := range c.TimeConditions {
		out = append(out, "time:"+t.Name)
	}
	for _, cd := range c.Conditions {
		out = append(out, "cond:"+cd.Name)
	}
	return out
}
