package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// liveStatus is a box with two calls (one whose caller the receptionist
// holds, one still ringing), a parked call, a conference room with two
// callers and two extensions, one of them on do not disturb.
func liveStatus(s *telephony.Status) {
	t0 := time.Date(2026, 11, 21, 9, 58, 0, 0, time.UTC)
	s.Calls = []telephony.CallStatus{
		{ID: "c7", Caller: channel.CallerID{Number: "5550100", Name: "Alice"}, Callee: "101", From: "fxo:1", FromLeg: "fxo-1-7",
			To: "sip:101", ToLeg: "sip-101-9", State: "held", Started: t0, Answered: t0.Add(5 * time.Second),
			Path: []store.CallStep{
				{Time: t0.Add(5 * time.Second), Event: "answered", Party: "sip:101"},
				{Time: t0.Add(30 * time.Second), Event: "held", Party: "fxo:1", By: "101"},
			}},
		{ID: "c8", Caller: channel.CallerID{Number: "102"}, Callee: "103", From: "sip:102", FromLeg: "sip-102-1", State: "ringing", Started: t0},
	}
	s.Parked = []telephony.ParkedCall{{Slot: "701", Caller: channel.CallerID{Number: "5550199"}, Party: "fxo:2", By: "102", Since: t0}}
	s.Conferences = []telephony.ConferenceStatus{{Name: "meeting", Number: "800", Members: []telephony.ConferenceMember{
		{ID: "m1", Party: "101", Name: "Reception", Joined: t0},
		{ID: "m2", Party: "fxo:2", Muted: true, Joined: t0},
	}}}
	s.Extensions = []telephony.ExtensionState{{Number: "101", Name: "Reception", State: "busy"}, {Number: "102", State: "ringing", DND: true}}
}

func liveFixture(t *testing.T) (*fixture, *client) {
	t.Helper()
	f := newFixture(t)
	f.svc.emit("call", liveStatus)
	c := f.client()
	c.ready()
	return f, c
}

// actions returns and forgets what the fake exchange was asked.
func (f *fakeService) actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.callActions
	f.callActions = nil
	return out
}

// TestOperatorView: the status page shows who talks to whom, the held
// party, the path in words and the buttons each call takes in its state;
// parked calls by slot; conference callers with mute and remove; the
// extensions' states and do not disturb with its switch. /status/live is
// that part alone.
func TestOperatorView(t *testing.T) {
	_, c := liveFixture(t)
	page := c.get("/status").Body.String()
	row := rowOf(t, page, "call-c7")
	for _, want := range []string{`"Alice" <5550100>`, "5550100 (line 1)", "101 (SIP phone)", "on hold",
		`id="call-c7-from-resume"`, `id="call-c7-to-hold"`, `id="call-c7-from-park"`, `id="call-c7-hangup"`,
		`href="/status/calls/c7/transfer?leg=fxo-1-7"`, "101 (SIP phone) answered.", "5550100 (line 1) put on hold by 101."} {
		if !strings.Contains(row, want) {
			t.Errorf("the held call's row lacks %q:\n%s", want, row)
		}
	}
	if strings.Contains(row, `id="call-c7-from-hold"`) || strings.Contains(row, `id="call-c7-to-resume"`) {
		t.Error("the held party is offered hold, or the talking one resume")
	}
	// What the script sends for a button: the same action, to the API.
	m := regexp.MustCompile(`action="/status/calls/c7/action" class="op-form" data-api="/api/v1/calls/c7/actions" data-result="operator-result" data-method="POST" data-body="([^"]*)"><input type="hidden" name="csrf" value="[^"]+"><input type="hidden" name="action" value="hold"><input type="hidden" name="leg" value="sip-101-9">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no hold form for the answering party:\n%s", row)
	}
	var body callActionRequest
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &body); err != nil || body != (callActionRequest{Action: "hold", Leg: "sip-101-9"}) {
		t.Errorf("the hold button's API body %q: %+v %v", m[1], body, err)
	}
	if row := rowOf(t, page, "call-c8"); strings.Contains(row, "Hold") || strings.Contains(row, "Transfer") || !strings.Contains(row, `id="call-c8-hangup"`) {
		t.Errorf("a ringing call offers what the exchange does not take then, or no hang-up:\n%s", row)
	}
	if row := rowOf(t, page, "parked-701"); !strings.Contains(row, "5550199") || !strings.Contains(row, "line 2") || !strings.Contains(row, "102") {
		t.Errorf("parked call: %s", row)
	}
	if row := rowOf(t, page, "conf-meeting-m1"); !strings.Contains(row, "101 — Reception") || !strings.Contains(row, `id="conf-meeting-m1-mute"`) || !strings.Contains(row, `id="conf-meeting-m1-kick"`) {
		t.Errorf("conference member: %s", row)
	}
	if row := rowOf(t, page, "conf-meeting-m2"); !strings.Contains(row, "muted") || !strings.Contains(row, `id="conf-meeting-m2-unmute"`) {
		t.Errorf("muted member: %s", row)
	}
	if row := rowOf(t, page, "extstate-102"); !strings.Contains(row, ">ringing<") || !strings.Contains(row, `<span class="badge bad">on</span>`) || !strings.Contains(row, "Turn DND off") {
		t.Errorf("extension on DND: %s", row)
	}
	if row := rowOf(t, page, "extstate-101"); !strings.Contains(row, ">busy<") || !strings.Contains(row, "Turn DND on") {
		t.Errorf("extension: %s", row)
	}

	w := c.get("/status/live")
	live := w.Body.String()
	if w.Code != 200 || !strings.HasPrefix(strings.TrimSpace(live), `<div id="operator">`) || strings.Contains(live, "<html") || !strings.Contains(live, `id="call-c7-hangup"`) {
		t.Errorf("the live part: %d\n%s", w.Code, live)
	}
}

// TestCallActionAPI: the REST endpoint takes every action with the right
// arguments; bad input is refused by field and reaches nothing; a call
// that ended is 404; the exchange's refusal is a conflict with its words;
// a session needs the CSRF header.
func TestCallActionAPI(t *testing.T) {
	f, c := liveFixture(t)
	f.readyAPI()
	for _, tc := range []struct {
		path, body string
		status     int
		want       string // a recorded action, or the field refused
	}{
		{"/api/v1/calls/c7/actions", `{"action": "transfer", "leg": "fxo-1-7", "destination": " 202 "}`, 204, "c7 transfer fxo-1-7 202"},
		{"/api/v1/calls/c7/actions", `{"action": "resume", "leg": "fxo-1-7"}`, 204, "c7 resume fxo-1-7 "},
		{"/api/v1/calls/c7/actions", `{"action": "hold", "leg": "sip-101-9"}`, 204, "c7 hold sip-101-9 "},
		{"/api/v1/calls/c7/actions", `{"action": "park"}`, 204, "c7 park  "},
		{"/api/v1/calls/c7/actions", `{"action": "hangup"}`, 204, "c7 hangup  "},
		{"/api/v1/calls/c7/actions", `{"action": "explode"}`, 422, "action"},
		{"/api/v1/calls/c7/actions", `{"action": "transfer"}`, 422, "destination"},
		{"/api/v1/calls/c7/actions", `{"action": "transfer", "destination": "20a"}`, 422, "destination"},
		{"/api/v1/calls/c7/actions", `{"action": "hold", "destination": "202"}`, 422, "destination"},
		{"/api/v1/calls/c7/actions", `{"action": "hold", "leg": "sip-999-1"}`, 422, "leg"},
		{"/api/v1/calls/c9/actions", `{"action": "hangup"}`, 404, ""},
		{"/api/v1/calls/c7/actions", `{"action": "hold", "colour": "red"}`, 400, ""},
	} {
		w := f.api("POST", tc.path, tc.body)
		got := f.svc.actions()
		if w.Code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.body, w.Code, w.Body, tc.status)
			continue
		}
		if tc.status == 204 {
			if !slices.Equal(got, []string{tc.want}) {
				t.Errorf("%s: the exchange was asked %q, want %q", tc.body, got, tc.want)
			}
			continue
		}
		if got != nil {
			t.Errorf("%s: refused, yet the exchange was asked %q", tc.body, got)
		}
		if e := decodeError(t, w); tc.want != "" && (len(e.Fields) != 1 || e.Fields[0].Field != tc.want) {
			t.Errorf("%s: fields %+v, want %s", tc.body, e.Fields, tc.want)
		}
	}

	f.svc.controlErr = errors.New("every park slot is taken")
	w := f.api("POST", "/api/v1/calls/c7/actions", `{"action": "park", "leg": "fxo-1-7"}`)
	if e := decodeError(t, w); w.Code != http.StatusConflict || !strings.Contains(e.Error, "every park slot is taken") {
		t.Errorf("refusal: %d %+v", w.Code, e)
	}
	f.svc.controlErr = store.ErrNotFound
	if w := f.api("POST", "/api/v1/calls/c7/actions", `{"action": "hangup"}`); w.Code != http.StatusNotFound {
		t.Errorf("a call that ended meanwhile: %d", w.Code)
	}
	f.svc.controlErr = nil
	f.svc.actions()

	// A session: the CSRF header is required, as for every API change.
	hdr := map[string]string{"Content-Type": "application/json"}
	if w := c.do("POST", "/api/v1/calls/c7/actions", strings.NewReader(`{"action": "hangup"}`), hdr); w.Code != http.StatusForbidden {
		t.Errorf("without X-CSRF-Token: %d", w.Code)
	}
	hdr["X-CSRF-Token"] = c.csrf
	if w := c.do("POST", "/api/v1/calls/c7/actions", strings.NewReader(`{"action": "hangup"}`), hdr); w.Code != http.StatusNoContent {
		t.Errorf("with the token: %d %s", w.Code, w.Body)
	}
	if got := f.svc.actions(); !slices.Equal(got, []string{"c7 hangup  "}) {
		t.Errorf("asked %q", got)
	}
}

// TestOperatorFormsWithoutScript: the buttons are plain forms: an action
// comes back to the status page with its outcome; a refusal is shown at
// the top of the page; a form without the session's token does nothing.
func TestOperatorFormsWithoutScript(t *testing.T) {
	f, c := liveFixture(t)
	w := c.post("/status/calls/c7/action", url.Values{"action": {"resume"}, "leg": {"fxo-1-7"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/status" {
		t.Fatalf("resume: %d %s", w.Code, w.Body)
	}
	if got := f.svc.actions(); !slices.Equal(got, []string{"c7 resume fxo-1-7 "}) {
		t.Errorf("asked %q", got)
	}
	if flash := c.get("/status").Body.String(); !strings.Contains(flash, "5550100 (line 1) is back from hold.") {
		t.Error("no outcome shown")
	}
	f.svc.controlErr = errors.New("every park slot is taken")
	w = c.post("/status/calls/c7/action", url.Values{"action": {"park"}, "leg": {"fxo-1-7"}})
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), `id="page-error">The box refused: every park slot is taken.`) {
		t.Errorf("refusal: %d %s", w.Code, w.Body)
	}
	f.svc.controlErr = nil
	f.svc.actions()
	if w := c.post("/status/calls/c7/action", url.Values{"action": {"hangup"}, "csrf": {"forged"}}); w.Code != http.StatusForbidden {
		t.Errorf("forged token: %d", w.Code)
	}
	if w := c.post("/status/calls/c5/action", url.Values{"action": {"hangup"}}); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "has ended") {
		t.Errorf("a call that ended: %d", w.Code)
	}
	if w := c.post("/status/conferences/meeting/members/m1/action", url.Values{"action": {"kick"}}); w.Code != http.StatusSeeOther {
		t.Errorf("kick: %d %s", w.Code, w.Body)
	}
	if got := f.svc.actions(); !slices.Equal(got, []string{"meeting m1 kick"}) {
		t.Errorf("asked %q", got)
	}
}

// TestTransferPage: the transfer page offers the call's parties and the
// box's numbers (those without a number are not listed); the chosen or
// typed number reaches the exchange; a missing or bad number, and one
// the exchange refuses, are shown beside the field with nothing done.
func TestTransferPage(t *testing.T) {
	f, c := liveFixture(t)
	f.svc.mu.Lock()
	f.svc.plan.RingGroups = []store.RingGroup{{Name: "sales", Number: "300"}, {Name: "nightly"}}
	f.svc.plan.ConferenceRooms = []store.ConferenceRoom{{Name: "meeting", Number: "800"}}
	f.svc.mu.Unlock()
	page := c.get("/status/calls/c7/transfer?leg=sip-101-9").Body.String()
	if row := fieldOf(t, page, "leg"); !strings.Contains(row, `<option value="sip-101-9" selected>The answering party, 101 (SIP phone)</option>`) ||
		!strings.Contains(row, `<option value="fxo-1-7">The caller, 5550100 (line 1)</option>`) {
		t.Errorf("parties: %s", row)
	}
	dest := fieldOf(t, page, "destination")
	for _, want := range []string{`<option value="101">Extension 101 — Reception</option>`, `<option value="300">Ring group sales (300)</option>`, `<option value="800">Conference room meeting (800)</option>`} {
		if !strings.Contains(dest, want) {
			t.Errorf("destinations lack %s:\n%s", want, dest)
		}
	}
	if strings.Contains(dest, "nightly") {
		t.Error("a ring group without a number is offered")
	}

	post := func(leg, dest, number string) *httptest.ResponseRecorder {
		return c.post("/status/calls/c7/transfer", url.Values{"leg": {leg}, "destination": {dest}, "number": {number}})
	}
	if w := post("fxo-1-7", "300", ""); w.Code != http.StatusSeeOther {
		t.Fatalf("transfer: %d %s", w.Code, w.Body)
	}
	if w := post("fxo-1-7", "300", "9555"); w.Code != http.StatusSeeOther {
		t.Fatalf("typed number: %d %s", w.Code, w.Body)
	}
	if got := f.svc.actions(); !slices.Equal(got, []string{"c7 transfer fxo-1-7 300", "c7 transfer fxo-1-7 9555"}) {
		t.Errorf("asked %q", got)
	}
	for _, tc := range []struct{ dest, number, field, want string }{
		{"", "", "destination", "Choose where the call goes"},
		{"", "12ab", "number", "Use only 0-9"},
	} {
		w := post("fxo-1-7", tc.dest, tc.number)
		if row := fieldOf(t, w.Body.String(), tc.field); w.Code != http.StatusUnprocessableEntity || !strings.Contains(row, tc.want) || !strings.Contains(row, `value="`+tc.number+`"`) {
			t.Errorf("%q/%q: %d %s", tc.dest, tc.number, w.Code, row)
		}
	}
	f.svc.controlErr = errors.New("no such number")
	w := post("fxo-1-7", "", "777")
	if row := fieldOf(t, w.Body.String(), "number"); w.Code != http.StatusConflict || !strings.Contains(row, "no such number") {
		t.Errorf("refused number: %d %s", w.Code, row)
	}
	f.svc.controlErr = nil
	if got := f.svc.actions(); !slices.Equal(got, []string{"c7 transfer fxo-1-7 777"}) {
		t.Errorf("asked %q", got)
	}
	if w := c.get("/status/calls/c1/transfer"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "This call has ended") {
		t.Errorf("a call that ended: %d", w.Code)
	}
}

// TestConferenceMemberAPI: mute, unmute and kick by the API; a member
// who left is 404; a bad action is refused by field.
func TestConferenceMemberAPI(t *testing.T) {
	f, _ := liveFixture(t)
	f.readyAPI()
	if w := f.api("POST", "/api/v1/conferences/meeting/members/m2/actions", `{"action": "unmute"}`); w.Code != http.StatusNoContent {
		t.Fatalf("unmute: %d %s", w.Code, w.Body)
	}
	if w := f.api("POST", "/api/v1/conferences/meeting/members/m9/actions", `{"action": "kick"}`); w.Code != http.StatusNotFound {
		t.Errorf("a member who left: %d", w.Code)
	}
	if w := f.api("POST", "/api/v1/conferences/lobby/members/m1/actions", `{"action": "kick"}`); w.Code != http.StatusNotFound {
		t.Errorf("the wrong room: %d", w.Code)
	}
	if w := f.api("POST", "/api/v1/conferences/meeting/members/m1/actions", `{"action": "shout"}`); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("a bad action: %d", w.Code)
	}
	if got := f.svc.actions(); !slices.Equal(got, []string{"meeting m2 unmute"}) {
		t.Errorf("asked %q", got)
	}
}

// TestDNDSwitch: do not disturb by the API and by the status page's
// button lands in the extension's rule (one is added when it has none,
// the rest of a rule kept); bad input changes nothing.
func TestDNDSwitch(t *testing.T) {
	f, db, _ := newStoreFixture(t)
	if err := db.SetAdminPassword("api password 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateDialPlan(func(c *store.Config) error {
		c.ExtensionRules = []store.ExtensionRule{{Extension: "101", ForwardBusy: "ext:102"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	api := func(method, path, body string) *httptest.ResponseRecorder {
		return f.apiAs("admin", "api password 1", method, path, body)
	}
	w := api("PUT", "/api/v1/extensions/101/dnd", `{"dnd": true}`)
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"extension":"101","dnd":true}` {
		t.Fatalf("on: %d %s", w.Code, w.Body)
	}
	if c, _ := db.Config(); len(c.ExtensionRules) != 1 || !c.ExtensionRules[0].DND || c.ExtensionRules[0].ForwardBusy != "ext:102" {
		t.Fatalf("rules %+v", c.ExtensionRules)
	}
	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{"/api/v1/extensions/101/dnd", `{}`, 422},
		{"/api/v1/extensions/101/dnd", `{"dnd": "yes"}`, 400},
		{"/api/v1/extensions/101/dnd", `{"dnd": false, "extension": "102"}`, 422},
		{"/api/v1/extensions/999/dnd", `{"dnd": false}`, 404},
	} {
		if w := api("PUT", tc.path, tc.body); w.Code != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.path, tc.body, w.Code, w.Body, tc.status)
		}
	}
	if c, _ := db.Config(); !c.ExtensionRules[0].DND {
		t.Fatal("refused input changed do not disturb")
	}
	if w := api("PUT", "/api/v1/extensions/101/dnd", `{"dnd": false}`); w.Code != 200 {
		t.Fatalf("off: %d %s", w.Code, w.Body)
	}

	cl := f.client()
	if w := cl.login("api password 1"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/status" {
		t.Fatalf("login: %d %s", w.Code, w.Header().Get("Location"))
	}
	cl.get("/status")
	if w := cl.post("/status/extensions/102/dnd", url.Values{"dnd": {"on"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("button: %d %s", w.Code, w.Body)
	}
	c, _ := db.Config()
	if len(c.ExtensionRules) != 2 || c.ExtensionRules[0].DND || fmt.Sprint(c.ExtensionRules[1]) != fmt.Sprint(store.ExtensionRule{Extension: "102", DND: true}) {
		t.Fatalf("rules %+v", c.ExtensionRules)
	}
	if page := cl.get("/status").Body.String(); !strings.Contains(page, "Do not disturb is on for extension 102.") {
		t.Error("no outcome shown")
	}
}
