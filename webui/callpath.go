package webui

import (
	"fmt"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// A call's path (store.CallRecord.Legs and Path, telephony.CallStatus.Path)
// in an office worker's words: the parties as "101 (SIP phone)" or
// "5550100 (line 1)" rather than channel names, and each step as a
// sentence: "5550100 (line 1) put on hold by 101", "transferred by 101 to
// 202", "parked on slot 701".

// partyText names a party by its channel name ("sip:101", "fxs:1",
// "fxo:2", "trunk:provider") and its number where known.
func partyText(name, number string) string {
	kind, rest, ok := strings.Cut(name, ":")
	if !ok {
		if number != "" {
			return number
		}
		return name
	}
	var where string
	switch kind {
	case "sip":
		where = "SIP phone"
		if number == "" {
			number = rest
		} else if number != rest {
			where += " " + rest
		}
	case "fxs":
		where = "analog phone, FXS " + rest
	case "fxo":
		where = "line " + rest
	case "trunk":
		where = "trunk " + rest
	default:
		if w, ok := destWords[kind]; ok { // a destination: "ext:202"
			return strings.TrimSpace(w + " " + rest)
		}
		where = name
	}
	if number == "" {
		return where
	}
	return number + " (" + where + ")"
}

// destWords name the kinds of destination a path may record (where a
// call was forwarded or recalled to).
var destWords = map[string]string{"ext": "extension", "group": "ring group", "queue": "queue", "menu": "voice menu",
	"voicemail": "the mailbox of", "announce": "announcement", "time": "time condition", "cond": "condition",
	"conf": "conference room", "page": "paging group", "number": ""}

// pathStep is one step of a path as a page shows it.
type pathStep struct {
	Time time.Time
	Text string
}

// pathNames resolves the names a path uses (channel names, numbers) to
// party texts, from the legs that are known.
type pathNames map[string]string

// newPathNames knows each leg of legs by its channel name.
func newPathNames(legs []store.CallLeg) pathNames {
	n := pathNames{}
	for _, l := range legs {
		n.add(l.Name, l.Number)
	}
	return n
}

func (n pathNames) add(name, number string) {
	if name != "" {
		n[name] = partyText(name, number)
	}
}

// who is the text of a party, target or actor of a step: a known leg, a
// channel name, or as recorded (an extension number, a slot, a name).
func (n pathNames) who(s string) string {
	switch {
	case s == "":
		return ""
	case n[s] != "":
		return n[s]
	case s == "operator":
		return "the operator"
	case strings.Contains(s, ":"):
		return partyText(s, "")
	}
	return s
}

// steps says each step of path in words.
func (n pathNames) steps(path []store.CallStep) []pathStep {
	out := make([]pathStep, 0, len(path))
	for _, s := range path {
		out = append(out, pathStep{Time: s.Time, Text: n.step(s)})
	}
	return out
}

// step says what happened in one step, event by event (the events of
// store.CallStep and those the exchange adds: cleared, intercom, paging,
// replaced). An event this firmware does not know is shown as recorded.
func (n pathNames) step(s store.CallStep) string {
	party, to, by := n.who(s.Party), n.who(s.To), n.who(s.By)
	byText := ""
	if by != "" {
		byText = " by " + by
	}
	var t string
	switch s.Event {
	case "answered":
		t = orSomeone(party) + " answered"
		if by != "" {
			t += " (" + by + ")"
		}
	case "held":
		t = orSomeone(party) + " put on hold" + byText
	case "resumed":
		t = orSomeone(party) + " back from hold"
	case "transferred":
		t = orSomeone(party) + " transferred" + byText
		if slot, ok := strings.CutPrefix(s.To, "park "); ok {
			t += " to park slot " + slot
		} else if to != "" {
			t += " to " + to
		}
	case "transfer-failed":
		t = "Transfer of " + orSomeone(party) + byText + " failed"
		if to != "" {
			t = "Transfer of " + orSomeone(party) + byText + " to " + to + " failed"
		}
	case "recalled":
		t = orSomeone(party) + " rang back"
		if to != "" {
			t += " at " + to
		}
	case "picked-up":
		t = "Picked up by " + firstOf(by, party, "another phone")
	case "parked":
		t = orSomeone(party) + " parked on slot " + s.To + byText
	case "retrieved":
		t = "Taken back from slot " + s.To + " by " + firstOf(by, party, "someone")
	case "forwarded":
		t = "Forwarded" + byText
		if to != "" {
			t += " to " + to
		}
	case "conference":
		t = orSomeone(party) + " joined the conference"
		if to != "" {
			t += " " + to
		}
		t += byText
	case "left":
		t = orSomeone(party) + " left"
		if to != "" {
			t += " " + to
		}
	case "waiting":
		t = "Waited for " + firstOf(to, "a phone in a call") + " (call waiting)"
	case "refused":
		t = "Refused"
	case "cleared":
		t = "Hung up" + byText
	case "intercom":
		t = "Intercom call to " + firstOf(to, "an extension")
	case "paging":
		t = "Paged " + firstOf(to, "a group")
	case "replaced":
		t = orSomeone(party) + " took the call over from " + firstOf(by, "another phone")
	default:
		t = strings.TrimSpace(fmt.Sprintf("%s %s", s.Event, party))
		if to != "" {
			t += " → " + to
		}
		t += byText
	}
	if s.Detail != "" {
		t += ": " + s.Detail
	}
	return sentence(t)
}

func orSomeone(s string) string { return firstOf(s, "someone") }

// firstOf is the first non-empty of its arguments.
func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// legRow is one party of a call record as the call history shows it.
type legRow struct {
	Party              string
	Start, Answer, End time.Time
}

// callPath is a call record's legs and steps for the call history.
type callPath struct {
	Legs  []legRow
	Steps []pathStep
}

// recordPath describes the legs and path of rec; nil when it has none
// (records written before the call core kept paths).
func recordPath(rec store.CallRecord) *callPath {
	if len(rec.Legs) == 0 && len(rec.Path) == 0 {
		return nil
	}
	n := newPathNames(rec.Legs)
	p := &callPath{Steps: n.steps(rec.Path)}
	for _, l := range rec.Legs {
		p.Legs = append(p.Legs, legRow{Party: n.who(l.Name), Start: l.Start, Answer: l.Answer, End: l.End})
	}
	return p
}
