package webui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

func TestPartyText(t *testing.T) {
	for _, tc := range []struct{ name, number, want string }{
		{"sip:101", "", "101 (SIP phone)"},
		{"sip:101", "101", "101 (SIP phone)"},
		{"sip:101", "5550100", "5550100 (SIP phone 101)"},
		{"fxs:1", "101", "101 (analog phone, FXS 1)"},
		{"fxo:2", "5550100", "5550100 (line 2)"},
		{"fxo:2", "", "line 2"},
		{"trunk:provider", "+4930123", "+4930123 (trunk provider)"},
		{"internal", "", "internal"},
		{"", "202", "202"},
		{"ext:202", "", "extension 202"},
		{"voicemail:101", "", "the mailbox of 101"},
		{"number:5550100", "", "5550100"},
	} {
		if got := partyText(tc.name, tc.number); got != tc.want {
			t.Errorf("partyText(%q, %q) = %q, want %q", tc.name, tc.number, got, tc.want)
		}
	}
}

// TestPathSteps: every event of a call's path reads as a sentence naming
// the parties by their numbers.
func TestPathSteps(t *testing.T) {
	n := newPathNames([]store.CallLeg{{Name: "fxo:1", Number: "5550100"}, {Name: "sip:101", Number: "101"}, {Name: "sip:202", Number: "202"}})
	for _, tc := range []struct {
		step store.CallStep
		want string
	}{
		{store.CallStep{Event: "answered", Party: "sip:101"}, "101 (SIP phone) answered."},
		{store.CallStep{Event: "answered", Party: "fxs:2", By: "call waiting"}, "Analog phone, FXS 2 answered (call waiting)."},
		{store.CallStep{Event: "held", Party: "fxo:1", By: "101"}, "5550100 (line 1) put on hold by 101."},
		{store.CallStep{Event: "resumed", Party: "fxo:1"}, "5550100 (line 1) back from hold."},
		{store.CallStep{Event: "transferred", Party: "fxo:1", To: "sip:202", By: "101"}, "5550100 (line 1) transferred by 101 to 202 (SIP phone)."},
		{store.CallStep{Event: "transferred", Party: "fxo:1", To: "202", By: "operator"}, "5550100 (line 1) transferred by the operator to 202."},
		{store.CallStep{Event: "transferred", Party: "fxo:1", To: "park 701", By: "101"}, "5550100 (line 1) transferred by 101 to park slot 701."},
		{store.CallStep{Event: "transfer-failed", Party: "fxo:1", To: "209", By: "101"}, "Transfer of 5550100 (line 1) by 101 to 209 failed."},
		{store.CallStep{Event: "recalled", Party: "fxo:1", To: "101"}, "5550100 (line 1) rang back at 101."},
		{store.CallStep{Event: "picked-up", Party: "sip:202", By: "202"}, "Picked up by 202."},
		{store.CallStep{Event: "parked", Party: "fxo:1", To: "701", By: "101"}, "5550100 (line 1) parked on slot 701 by 101."},
		{store.CallStep{Event: "retrieved", Party: "sip:202", To: "701", By: "202"}, "Taken back from slot 701 by 202."},
		{store.CallStep{Event: "forwarded", To: "ext:202", By: "101"}, "Forwarded by 101 to extension 202."},
		{store.CallStep{Event: "conference", Party: "fxo:1", To: "meeting"}, "5550100 (line 1) joined the conference meeting."},
		{store.CallStep{Event: "left", Party: "fxo:1", To: "meeting"}, "5550100 (line 1) left meeting."},
		{store.CallStep{Event: "waiting", To: "101"}, "Waited for 101 (call waiting)."},
		{store.CallStep{Event: "refused", Detail: "not allowed to dial 900"}, "Refused: not allowed to dial 900."},
		{store.CallStep{Event: "cleared", By: "operator"}, "Hung up by the operator."},
		{store.CallStep{Event: "intercom", To: "202"}, "Intercom call to 202."},
		{store.CallStep{Event: "paging", To: "warehouse"}, "Paged warehouse."},
		{store.CallStep{Event: "replaced", Party: "sip:202", By: "101"}, "202 (SIP phone) took the call over from 101."},
		{store.CallStep{Event: "teleported", Party: "sip:202", To: "moon"}, "Teleported 202 (SIP phone) → moon."},
	} {
		if got := n.step(tc.step); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.step, got, tc.want)
		}
	}
}

// TestCallHistoryPath: the call history shows a call's parties in order
// (answered when, left when) and its steps; the API gives the same
// record with its legs and path.
func TestCallHistoryPath(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	f.svc.mu.Lock()
	last := &f.svc.records[len(f.svc.records)-1]
	last.Legs = []store.CallLeg{
		{Name: "fxo:1", Number: "5550100", Start: t0, Answer: t0.Add(3 * time.Second), End: t0.Add(2 * time.Minute)},
		{Name: "sip:101", Number: "101", Start: t0.Add(time.Second), Answer: t0.Add(3 * time.Second), End: t0.Add(40 * time.Second)},
		{Name: "sip:202", Number: "202", Start: t0.Add(35 * time.Second), End: t0.Add(50 * time.Second)},
		{Name: "sip:203", Number: "203", Start: t0.Add(70 * time.Second), Answer: t0.Add(75 * time.Second), End: t0.Add(2 * time.Minute)},
	}
	last.Path = []store.CallStep{
		{Time: t0.Add(3 * time.Second), Event: "answered", Party: "sip:101"},
		{Time: t0.Add(30 * time.Second), Event: "held", Party: "fxo:1", By: "101"},
		{Time: t0.Add(40 * time.Second), Event: "transferred", Party: "fxo:1", To: "202", By: "101"},
		{Time: t0.Add(65 * time.Second), Event: "recalled", Party: "fxo:1", To: "101"},
		{Time: t0.Add(68 * time.Second), Event: "parked", Party: "fxo:1", To: "701", By: "101"},
		{Time: t0.Add(75 * time.Second), Event: "retrieved", Party: "sip:203", To: "701", By: "203"},
	}
	f.svc.mu.Unlock()
	c := f.client()
	c.ready()
	page := c.get("/calls").Body.String()
	i := strings.Index(page, `<details id="cdr-120-path">`)
	if i < 0 {
		t.Fatalf("no path for the call:\n%s", page)
	}
	details := page[i : i+strings.Index(page[i:], "</details>")]
	for _, want := range []string{"4 parties, 6 steps",
		"<tr><td>5550100 (line 1)</td><td>11:00:00</td><td>11:00:03</td><td>11:02:00</td></tr>",
		`<tr><td>202 (SIP phone)</td><td>11:00:35</td><td><span class="meta">never</span></td><td>11:00:50</td></tr>`,
		"11:00:30</time> 5550100 (line 1) put on hold by 101.",
		"11:00:40</time> 5550100 (line 1) transferred by 101 to 202.",
		"11:01:05</time> 5550100 (line 1) rang back at 101.",
		"11:01:08</time> 5550100 (line 1) parked on slot 701 by 101.",
		"11:01:15</time> Taken back from slot 701 by 203."} {
		if !strings.Contains(details, want) {
			t.Errorf("the path lacks %q:\n%s", want, details)
		}
	}
	if strings.Contains(page, `id="cdr-119-path"`) {
		t.Error("a record without a path shows one")
	}

	f.readyAPI()
	var p callsPage
	if err := json.Unmarshal(f.api("GET", "/api/v1/calls?limit=1", "").Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Records) != 1 || len(p.Records[0].Legs) != 4 || len(p.Records[0].Path) != 6 || p.Records[0].Path[4].To != "701" {
		t.Errorf("API: %+v", p.Records)
	}
}
