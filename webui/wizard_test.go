package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/analog"
	"minipbx/telephony/store"
)

// newWizardFixture is a server whose configuration is a real store (a new
// box: extensions 101 and 102 on FXS 1 and 2, two FXO lines), logged in,
// with the setup started.
func newWizardFixture(t testing.TB) (*fixture, *store.DB, *client) {
	t.Helper()
	f, db, pw := newStoreFixture(t)
	c := f.client()
	c.login(pw)
	c.get("/password")
	if w := c.post("/password", url.Values{"new_password": {"installer password"}, "confirm_password": {"installer password"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("password change: %d", w.Code)
	}
	c.get("/setup")
	if w := c.post("/setup/start", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/setup/country" {
		t.Fatalf("start: %d %q", w.Code, w.Header().Get("Location"))
	}
	return f, db, c
}

// dbBytes is the whole database file, to prove that nothing was written.
func dbBytes(t testing.TB, db *store.DB) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := db.Snapshot(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// answers is a small office: Russia, 201-203 (201 analog on FXS 1), line
// 1 to the voice menu, line 2 to everyone, outside calls on 9, mailboxes,
// hours Monday to Friday with 201's mailbox after them.
func answers() map[string]url.Values {
	return map[string]url.Values{
		stepCountry:    {"country": {"ru"}, "time_zone": {""}},
		stepNumbering:  {"extension_length": {"3"}},
		stepExtensions: {"numbers": {"201-203"}, "names": {"Reception\nSales\nBoss"}},
		stepPhones:     {"port-201": {"1"}, "outside-201": {"on"}, "port-202": {"0"}, "port-203": {"0"}},
		stepLines:      {"line1-enabled": {"on"}, "line1-dest": {"menu"}, "line2-enabled": {"on"}, "line2-dest": {"group"}},
		stepTrunk:      {"transport": {"udp"}, "trunk_dest": {"group"}},
		stepOutside:    {"outside_prefix": {"9"}, "via": {"lines"}},
		stepVoicemail:  {"mailboxes": {"on"}, "forward": {"on"}, "ring_s": {"20"}},
		stepHours: {"hours": {"on"}, "open-mon": {"on"}, "from-mon": {"09:00"}, "to-mon": {"18:00"},
			"open-fri": {"on"}, "from-fri": {"09:00"}, "to-fri": {"17:00"}, "closed_dest": {"vm:201"}},
		stepMenu: {"key-1": {"ext:201"}, "key-2": {"group"}, "direct_dial": {"on"}, "menu_default": {"group"}},
	}
}

// stepOrder is the order the answers are given in.
var stepOrder = []string{stepCountry, stepNumbering, stepExtensions, stepPhones, stepLines, stepTrunk, stepOutside,
	stepVoicemail, stepHours, stepMenu}

// walk answers every step in order, each expected to be accepted, and
// returns the review page.
func walk(t *testing.T, c *client, a map[string]url.Values) *httptest.ResponseRecorder {
	t.Helper()
	for _, id := range stepOrder {
		v, ok := a[id]
		if !ok {
			continue
		}
		if w := c.get("/setup/" + id); w.Code != http.StatusOK {
			t.Fatalf("GET step %s: %d", id, w.Code)
		}
		w := c.post("/setup/"+id, v)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("step %s: %d %s", id, w.Code, pageErrors(w.Body.String()))
		}
	}
	w := c.get("/setup/review")
	if w.Code != http.StatusOK {
		t.Fatalf("review: %d", w.Code)
	}
	return w
}

// pageErrors are the errors beside a page's fields, for failure messages.
func pageErrors(body string) string {
	var out []string
	for _, m := range regexpFieldError.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+": "+html.UnescapeString(m[2]))
	}
	return strings.Join(out, "; ")
}

func TestWizardWalkAndApply(t *testing.T) {
	f, db, c := newWizardFixture(t)
	before := dbBytes(t, db)
	review := html.UnescapeString(walk(t, c, answers()).Body.String())
	if !bytes.Equal(before, dbBytes(t, db)) {
		t.Fatal("answering the steps and drawing the review wrote to the database")
	}
	for _, want := range []string{"Extension 201 — Reception", "Phone: SIP phone (was analog phone on FXS 1)", "Ring group everyone",
		"Rings 201, 202, 203 at once.", "Voice menu main", "Key 1: extension 201", "Schedule office-hours",
		"Open: mon 09:00-18:00; fri 09:00-17:00.", "Time condition hours-main", "Inbound route line-1",
		"Calls on line 1 go to time condition hours-main.", "Outbound route outside", "9 and a number", "Mailbox of 203",
		"Time zone: Europe/Moscow (was UTC)", `id="wizard-apply"`} {
		if !strings.Contains(review, want) {
			t.Errorf("the review does not say %q", want)
		}
	}
	w := c.post("/setup/apply", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/setup/done" {
		t.Fatalf("apply: %d %s", w.Code, pageErrors(w.Body.String()))
	}
	cfg, err := db.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.System.ToneZone != "ru" || cfg.System.TimeZone != "Europe/Moscow" || cfg.System.OutsidePrefix != "9" {
		t.Errorf("system %+v", cfg.System)
	}
	byNum := map[string]store.Extension{}
	for _, e := range cfg.Extensions {
		byNum[e.Number] = e
	}
	if e := byNum["201"]; e.Name != "Reception" || e.FXSPort != 1 || !e.OutsideCalls || len(e.Secret) != 20 {
		t.Errorf("201: %+v", e)
	}
	if e := byNum["101"]; e.FXSPort != 0 {
		t.Errorf("101 keeps FXS 1 that 201 took: %+v", e)
	}
	if e := byNum["202"]; e.FXSPort != 0 || e.OutsideCalls {
		t.Errorf("202: %+v", e)
	}
	if len(cfg.Menus) != 1 || cfg.Menus[0].Keys["1"] != "ext:201" || cfg.Menus[0].Keys["2"] != "group:everyone" ||
		cfg.Menus[0].DefaultDestination != "group:everyone" || !cfg.Menus[0].DirectDial {
		t.Errorf("menus %+v", cfg.Menus)
	}
	if len(cfg.Schedules) != 1 || !slices.Equal(cfg.Schedules[0].Hours, []string{"mon 09:00-18:00", "fri 09:00-17:00"}) {
		t.Errorf("schedules %+v", cfg.Schedules)
	}
	if len(cfg.InboundRoutes) != 2 || cfg.InboundRoutes[0].Destination != "time:hours-main" || cfg.InboundRoutes[1].Destination != "time:hours-everyone" {
		t.Errorf("inbound routes %+v", cfg.InboundRoutes)
	}
	for _, tc := range cfg.TimeConditions {
		if tc.Schedule != "office-hours" || tc.Closed != "voicemail:201" {
			t.Errorf("time condition %+v", tc)
		}
	}
	if len(cfg.OutboundRoutes) != 1 || cfg.OutboundRoutes[0].Pattern != "9." || cfg.OutboundRoutes[0].Strip != 1 ||
		!slices.Equal(cfg.OutboundRoutes[0].Via, []string{"lines"}) || len(cfg.LineGroups) != 1 || !slices.Equal(cfg.LineGroups[0].Lines, []int{1, 2}) {
		t.Errorf("outside calls %+v %+v", cfg.OutboundRoutes, cfg.LineGroups)
	}
	if len(cfg.Voicemail.Boxes) != 3 || len(cfg.ExtensionRules) != 3 || cfg.ExtensionRules[0].ForwardNoAnswer != "voicemail:201" {
		t.Errorf("voicemail %+v, rules %+v", cfg.Voicemail.Boxes, cfg.ExtensionRules)
	}

	// The last page shows each phone's password and PIN as stored.
	done := html.UnescapeString(c.get("/setup/done").Body.String())
	for _, n := range []string{"201", "202", "203"} {
		box, _ := cfg.Voicemail.Box(n)
		if !strings.Contains(done, byNum[n].Secret) || !strings.Contains(done, box.PIN) {
			t.Errorf("the last page does not show %s's password and PIN", n)
		}
	}
	for _, want := range []string{`id="try-offhook"`, "dial 202", "voice menu main in business hours, the mailbox of 201 after them"} {
		if !strings.Contains(done, want) {
			t.Errorf("the last page does not say %q", want)
		}
	}
	// Without scripts, the last page's phone buttons are forms that come
	// back to it.
	for _, v := range []url.Values{{"action": {"offhook"}, "port": {"1"}, "return": {"/setup/done"}},
		{"action": {"dial"}, "port": {"1"}, "digits": {"202"}, "return": {"/setup/done"}}} {
		if w := c.post("/sim", v); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/setup/done" {
			t.Errorf("the phone panel's %s: %d %q", v.Get("action"), w.Code, w.Header().Get("Location"))
		}
	}
	if got := f.svc.sim.got(); !slices.Equal(got, []string{"offhook 1", "dial 1 202 pulse=false"}) {
		t.Errorf("the simulator did %q", got)
	}
	if !strings.Contains(c.get("/setup/done").Body.String(), "Simulator: done.") {
		t.Error("the last page does not say what the simulator did")
	}
	// The status page no longer offers the wizard.
	if strings.Contains(c.get("/status").Body.String(), `id="setup-offer"`) {
		t.Error("the status page still offers the setup after it was applied")
	}
}

// TestWizardNewExtensionLength: the factory extensions removed, the
// office gets 4-digit numbers; the lines that rang 101 ring the first new
// extension.
func TestWizardNewExtensionLength(t *testing.T) {
	_, db, c := newWizardFixture(t)
	a := answers()
	a[stepNumbering] = url.Values{"extension_length": {"4"}, "remove-101": {"on"}, "remove-102": {"on"}}
	a[stepExtensions] = url.Values{"numbers": {"2001-2002"}}
	a[stepPhones] = url.Values{"port-2001": {"2"}, "port-2002": {"0"}}
	a[stepLines] = url.Values{"line1-enabled": {"on"}, "line1-dest": {"ext:2002"}}
	delete(a, stepHours)
	delete(a, stepMenu)
	walk(t, c, a)
	if w := c.post("/setup/apply", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if cfg.System.ExtensionLength != 4 || len(cfg.Extensions) != 2 || cfg.Extensions[0].Number != "2001" || cfg.Extensions[0].FXSPort != 2 {
		t.Fatalf("extensions %+v, length %d", cfg.Extensions, cfg.System.ExtensionLength)
	}
	if l1, l2 := cfg.FXOLines[0], cfg.FXOLines[1]; l1.Destination != "2002" || !l1.Enabled || l2.Enabled || l2.Destination != "" {
		t.Errorf("lines %+v", cfg.FXOLines)
	}
	if len(cfg.InboundRoutes) != 1 || cfg.InboundRoutes[0].Destination != "ext:2002" {
		t.Errorf("routes %+v", cfg.InboundRoutes)
	}
	done := html.UnescapeString(c.get("/setup/done").Body.String())
	if !strings.Contains(done, "Phone on FXS 2") || !strings.Contains(done, "dial 2002") {
		t.Error("the last page does not offer FXS 2 (2001) calling 2002")
	}
}

// regexpFieldError finds the errors beside fields.
var regexpFieldError = regexp.MustCompile(`id="([^"]+)-error">([^<]*)<`)

// stepError posts v to step id (after its page) and returns the status
// and the error beside field.
func stepError(t *testing.T, c *client, id string, v url.Values, field string) (int, string, string) {
	t.Helper()
	c.get("/setup/" + id)
	w := c.post("/setup/"+id, v)
	body := w.Body.String()
	return w.Code, html.UnescapeString(fieldErrorHTML(body, field)), body
}

// TestWizardStepValidation: each step refuses bad answers with the
// message beside the field, keeps what was typed, and goes nowhere.
func TestWizardStepValidation(t *testing.T) {
	_, db, c := newWizardFixture(t)
	before := dbBytes(t, db)
	a := answers()
	with := func(id string, kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range a[id] {
			v[k] = slices.Clone(vs)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	// accept gives a step its good answer before the next is tried.
	accept := func(id string) {
		t.Helper()
		c.get("/setup/" + id)
		if w := c.post("/setup/"+id, a[id]); w.Code != http.StatusSeeOther {
			t.Fatalf("step %s: %d %s", id, w.Code, pageErrors(w.Body.String()))
		}
	}
	for _, tc := range []struct {
		step, field, want string
		v                 url.Values
		kept              string // a value that must be on the page again
	}{
		{stepCountry, "country", "Choose the country", with(stepCountry, "country", "zz"), ""},
		{stepCountry, "time_zone", "not a time zone of Italy", with(stepCountry, "country", "it", "time_zone", "Europe/Moscow"), ""},
		{stepNumbering, "extension_length", "from 2 to 8", with(stepNumbering, "extension_length", "9"), "9"},
		{stepNumbering, "extension_length", "Extensions 101, 102 have another length", with(stepNumbering, "extension_length", "4"), "4"},
		{stepExtensions, "numbers", "goes down", with(stepExtensions, "numbers", "203-201"), "203-201"},
		{stepExtensions, "numbers", "has 4 digits", with(stepExtensions, "numbers", "2001-2003"), "2001-2003"},
		{stepExtensions, "numbers", "Extension 101 — FXS 1 exists already", with(stepExtensions, "numbers", "101-103"), "101-103"},
		{stepExtensions, "names", "4 names for 3 numbers", with(stepExtensions, "names", "a\nb\nc\nd"), "d"},
		{stepPhones, "port-202", "FXS 1 is chosen for extension 201 already", with(stepPhones, "port-202", "1"), ""},
		{stepPhones, "port-203", "Choose SIP, or an FXS port", with(stepPhones, "port-203", "7"), ""},
		{stepLines, "line1-dest", "Choose what the line rings", with(stepLines, "line1-dest", "ext:999"), ""},
		{stepTrunk, "host", "Enter the provider's server", with(stepTrunk, "trunk", "on", "username", "u", "password", "p"), ""},
		{stepTrunk, "host", "port after the colon", with(stepTrunk, "trunk", "on", "host", "sip.example.net:99999", "username", "u", "password", "p"), "sip.example.net:99999"},
		{stepTrunk, "caller_id", "digits only", with(stepTrunk, "trunk", "on", "host", "sip.example.net", "username", "u", "password", "p", "caller_id", "abc"), "abc"},
		{stepOutside, "outside_prefix", "Extension 201 starts with 2", with(stepOutside, "outside_prefix", "2"), ""},
		{stepOutside, "outside_prefix", "Use 1 to 4 digits", with(stepOutside, "outside_prefix", "9a"), "9a"},
		{stepVoicemail, "pin", "For extension 201 this PIN", with(stepVoicemail, "pin", "1234"), "1234"},
		{stepVoicemail, "ring_s", "5 to 600", with(stepVoicemail, "ring_s", "2"), ""},
		{stepHours, "to-mon", "after the opening time", with(stepHours, "to-mon", "08:00"), "08:00"},
		{stepHours, "from-fri", "HH:MM", with(stepHours, "from-fri", "9 am"), "9 am"},
		{stepHours, "hours", "Tick the days", with(stepHours, "open-mon", "", "open-fri", ""), ""},
		{stepMenu, "greeting", "Choose a recording", with(stepMenu, "greeting", "nosuch.wav"), ""},
		{stepMenu, "key-3", "Choose from the list", with(stepMenu, "key-3", "ext:999"), ""},
	} {
		// The steps before it answered well, so that it applies.
		for _, id := range stepOrder {
			if id == tc.step {
				break
			}
			accept(id)
		}
		code, got, body := stepError(t, c, tc.step, tc.v, tc.field)
		if code != http.StatusUnprocessableEntity || !strings.Contains(got, tc.want) {
			t.Errorf("%s %v: %d, %s error %q; want 422 with %q (%s)", tc.step, tc.v, code, tc.field, got, tc.want, pageErrors(body))
		}
		if tc.kept != "" && !strings.Contains(html.UnescapeString(body), tc.kept) {
			t.Errorf("%s: the page does not keep %q", tc.step, tc.kept)
		}
		// Visited with the bad answer, the step shows its error again.
		if got := html.UnescapeString(fieldErrorHTML(c.get("/setup/"+tc.step).Body.String(), tc.field)); !strings.Contains(got, tc.want) {
			t.Errorf("%s shown again: %s error %q", tc.step, tc.field, got)
		}
		accept(tc.step)
	}
	if !bytes.Equal(before, dbBytes(t, db)) {
		t.Fatal("refused answers wrote to the database")
	}
}

// TestWizardBackKeepsInput: Back saves what was typed, valid or not,
// without checking it, and goes to the step before; the page shows it
// again; the review refuses while a step is wrong.
func TestWizardBackKeepsInput(t *testing.T) {
	_, _, c := newWizardFixture(t)
	a := answers()
	for _, id := range []string{stepCountry, stepNumbering} {
		c.get("/setup/" + id)
		c.post("/setup/"+id, a[id])
	}
	c.get("/setup/extensions")
	v := url.Values{"numbers": {"203-201"}, "names": {"Reception"}, "nav": {"back"}}
	w := c.post("/setup/extensions", v)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/setup/numbering" {
		t.Fatalf("back: %d %q", w.Code, w.Header().Get("Location"))
	}
	body := c.get("/setup/extensions").Body.String()
	if got, _ := inputValue(body, "numbers"); got != "203-201" {
		t.Errorf("numbers after back: %q", got)
	}
	if !strings.Contains(fieldErrorHTML(body, "numbers"), "goes down") {
		t.Error("the step visited with a bad answer does not say what is wrong")
	}
	review := c.get("/setup/review").Body.String()
	if !strings.Contains(review, `id="review-steps"`) || !strings.Contains(review, `href="/setup/extensions"`) || strings.Contains(review, `id="wizard-apply"`) {
		t.Error("the review does not send the installer back to the wrong step, or offers Apply")
	}
	// Back from the first step leaves for the start page.
	c.get("/setup/country")
	if w := c.post("/setup/country", url.Values{"country": {"it"}, "nav": {"back"}}); w.Header().Get("Location") != "/setup" {
		t.Errorf("back from the first step: %q", w.Header().Get("Location"))
	}
	if w := c.post("/setup/apply", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/setup/review" {
		t.Errorf("apply with a wrong step: %d %q", w.Code, w.Header().Get("Location"))
	}
}

// TestWizardAbandoned: a wizard left half-way — by cancelling, logging
// out or simply leaving — changes nothing, and its draft is gone with
// the session.
func TestWizardAbandoned(t *testing.T) {
	f, db, c := newWizardFixture(t)
	before := dbBytes(t, db)
	a := answers()
	for _, id := range stepOrder[:6] {
		c.get("/setup/" + id)
		c.post("/setup/"+id, a[id])
	}
	w := c.post("/setup/cancel", nil)
	if w.Code != http.StatusSeeOther || !strings.Contains(c.get("/status").Body.String(), "Nothing was changed") {
		t.Fatalf("cancel: %d", w.Code)
	}
	if w := c.get("/setup/phones"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/setup" {
		t.Errorf("a step after cancelling: %d %q, want the start page", w.Code, w.Header().Get("Location"))
	}
	// Again, then log out half-way; and a third time, left to expire.
	c.get("/setup")
	c.post("/setup/start", nil)
	for _, id := range stepOrder[:4] {
		c.get("/setup/" + id)
		c.post("/setup/"+id, a[id])
	}
	c.post("/logout", nil)
	c2 := f.client()
	c2.login("installer password")
	if w := c2.get("/setup/phones"); w.Header().Get("Location") != "/setup" {
		t.Error("a new session found the old session's draft")
	}
	c2.get("/setup")
	c2.post("/setup/start", nil)
	c2.get("/setup/country")
	c2.post("/setup/country", a[stepCountry])
	f.clock.Advance(31 * time.Minute)
	if !bytes.Equal(before, dbBytes(t, db)) {
		t.Fatal("an abandoned setup wrote to the database")
	}
	// A new draft forgets those of ended sessions.
	c3 := f.client()
	c3.login("installer password")
	c3.get("/setup")
	c3.post("/setup/start", nil)
	f.srv.wiz.mu.Lock()
	n := len(f.srv.wiz.drafts)
	f.srv.wiz.mu.Unlock()
	if n != 1 {
		t.Errorf("%d drafts kept, want only the live session's", n)
	}
}

// TestWizardApplyAllOrNothing: a change that fails half-way — after the
// extensions, mailboxes and groups are made in the transaction's copy —
// leaves the database as it was, says so on the review, and the same
// answers apply once nothing fails.
func TestWizardApplyAllOrNothing(t *testing.T) {
	f, db, c := newWizardFixture(t)
	before := dbBytes(t, db)
	walk(t, c, answers())
	var steps []string
	for _, s := range (&wizardPlan{}).steps() {
		steps = append(steps, s.name)
	}
	for _, failAt := range steps[1:] {
		f.srv.wiz.fault = func(step string) error {
			if step == failAt {
				return errors.New("injected failure")
			}
			return nil
		}
		w := c.post("/setup/apply", nil)
		if w.Code == http.StatusSeeOther || !strings.Contains(w.Body.String(), "Nothing was applied") {
			t.Fatalf("failing at %s: %d", failAt, w.Code)
		}
		if !bytes.Equal(before, dbBytes(t, db)) {
			t.Fatalf("a setup failing at %s wrote to the database", failAt)
		}
	}
	f.srv.wiz.fault = nil
	if w := c.post("/setup/apply", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); len(cfg.Extensions) != 5 || len(cfg.Menus) != 1 {
		t.Fatalf("after apply: %d extensions, %d menus", len(cfg.Extensions), len(cfg.Menus))
	}
}

// TestWizardConfigChangedSinceReview: a change saved elsewhere between the
// review and Apply stops the setup (nothing applied, 409) and the review
// is drawn again from the new configuration.
func TestWizardConfigChangedSinceReview(t *testing.T) {
	_, db, c := newWizardFixture(t)
	walk(t, c, answers())
	if _, err := db.CreateExtension(store.Extension{Number: "150", Name: "Meanwhile"}); err != nil {
		t.Fatal(err)
	}
	before := dbBytes(t, db)
	w := c.post("/setup/apply", nil)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "changed elsewhere") {
		t.Fatalf("apply after a change elsewhere: %d", w.Code)
	}
	if !bytes.Equal(before, dbBytes(t, db)) {
		t.Fatal("the setup was applied over a change it had not shown")
	}
	if w := c.post("/setup/apply", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("apply after the new review: %d", w.Code)
	}
	if e, err := db.Extension("150"); err != nil || e.Name != "Meanwhile" {
		t.Errorf("the change made meanwhile: %+v %v", e, err)
	}
}

// TestWizardApplyNeedsReview: answers changed after the review are not
// applied before they are reviewed (a stale review's Apply goes back to
// the review).
func TestWizardApplyNeedsReview(t *testing.T) {
	_, db, c := newWizardFixture(t)
	walk(t, c, answers())
	before := dbBytes(t, db)
	c.get("/setup/extensions")
	c.post("/setup/extensions", url.Values{"numbers": {"201-209"}})
	if w := c.post("/setup/apply", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/setup/review" {
		t.Fatalf("apply of unreviewed answers: %d %q", w.Code, w.Header().Get("Location"))
	}
	if !bytes.Equal(before, dbBytes(t, db)) {
		t.Fatal("unreviewed answers were applied")
	}
	if !strings.Contains(c.get("/setup/review").Body.String(), "Extension 209") {
		t.Fatal("the review does not show the new answers")
	}
	if w := c.post("/setup/apply", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/setup/done" {
		t.Fatalf("apply after the review: %d %q", w.Code, w.Header().Get("Location"))
	}
	// The draft starts over: the steps show their defaults again.
	if got, _ := inputValue(c.get("/setup/extensions").Body.String(), "numbers"); got != "" {
		t.Errorf("the extensions step after apply shows %q", got)
	}
}

// TestWizardOnAConfiguredBox: run again on a box with a dial plan, the
// wizard names what it creates apart from what exists, lists every
// change (the lines' new routes before the old one), and leaves the rest
// as it was.
func TestWizardOnAConfiguredBox(t *testing.T) {
	_, db, c := newWizardFixture(t)
	old, err := db.ChangeConfig(func(cfg *store.Config) error {
		cfg.RingGroups = []store.RingGroup{{Name: "everyone", Strategy: "linear", Members: []store.GroupMember{{Destination: "ext:101"}}}}
		cfg.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{Tone: "440", MS: 500}}, Keys: map[string]string{"1": "ext:101"}}}
		cfg.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "group:everyone"}}
		cfg.Voicemail.Boxes = []store.Mailbox{{Extension: "102", PIN: "4826"}}
		cfg.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{2}, Hunt: store.HuntAscending}}
		cfg.OutboundRoutes = []store.OutboundRoute{{Name: "city", Pattern: "9.", Strip: 1, Class: "national", Via: []string{"city"}}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a := answers()
	// Removing 101, which the box's own group and menu ring, is refused
	// by the store: the review names what is in the way, and offers no
	// Apply.
	a[stepNumbering] = url.Values{"extension_length": {"3"}, "remove-101": {"on"}}
	review := html.UnescapeString(walk(t, c, a).Body.String())
	if !strings.Contains(review, `id="review-problems"`) || !strings.Contains(review, "Extension 101 does not exist") ||
		strings.Contains(review, `id="wizard-apply"`) {
		t.Errorf("removing an extension in use: %s", review[strings.Index(review, "<main"):])
	}
	a[stepNumbering] = url.Values{"extension_length": {"3"}, "remove-102": {"on"}}
	review = html.UnescapeString(walk(t, c, a).Body.String())
	for _, want := range []string{"Ring group everyone-2", "Voice menu main-2", "Inbound route all",
		"It covers line 1, 2 too; the new routes come first", "Removed", "Extension 102 — FXS 2", "Mailbox of 102",
		"Route city has the same pattern 9. and comes first"} {
		if !strings.Contains(review, want) {
			t.Errorf("the review does not say %q", want)
		}
	}
	if !strings.Contains(html.UnescapeString(c.get("/setup").Body.String()), "This box has a configuration already") {
		t.Error("the start page does not say that the box has a configuration")
	}
	if strings.Contains(review, "Ring group everyone</strong>") {
		t.Error("the review lists the existing ring group as changed")
	}
	if w := c.post("/setup/apply", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", w.Code, pageErrors(w.Body.String()))
	}
	cfg, _ := db.Config()
	if !sameJSON(cfg.RingGroups[0], old.RingGroups[0]) || !sameJSON(cfg.Menus[0], old.Menus[0]) {
		t.Errorf("existing objects changed: %+v %+v", cfg.RingGroups[0], cfg.Menus[0])
	}
	if last := cfg.InboundRoutes[len(cfg.InboundRoutes)-1]; !sameJSON(last, old.InboundRoutes[0]) {
		t.Errorf("the existing route %+v, want it unchanged after the new ones", last)
	}
	if _, err := db.Extension("102"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("102 was to be removed: %v", err)
	}
	if _, ok := cfg.Voicemail.Box("102"); ok {
		t.Error("102's mailbox stayed")
	}
}

// TestWizardTrunkTestRegistration: the trunk step's button registers with
// the fields as typed (the fake provider accepts one password) and says
// the provider's answer; the answer stays while the fields do.
func TestWizardTrunkTestRegistration(t *testing.T) {
	_, db, c := newWizardFixture(t)
	before := dbBytes(t, db)
	c.get("/setup/trunk")
	v := url.Values{"trunk": {"on"}, "host": {"sip.example.net"}, "transport": {"udp"}, "username": {"74951112233"},
		"password": {"wrong"}, "trunk_dest": {"menu"}, "nav": {"test"}}
	body := html.UnescapeString(c.post("/setup/trunk", v).Body.String())
	if !strings.Contains(body, `id="trunk-test-result"`) || !strings.Contains(body, "did not accept the registration: 403 Forbidden") {
		t.Errorf("a refused test: %s", pageErrors(body))
	}
	v.Set("password", fakeTrunkPassword)
	body = html.UnescapeString(c.post("/setup/trunk", v).Body.String())
	if !strings.Contains(body, "accepted the registration: 200 OK, for 300 seconds") {
		t.Error("an accepted test does not say so")
	}
	if got, _ := inputValue(body, "host"); got != "sip.example.net" {
		t.Errorf("host after the test: %q", got)
	}
	if !strings.Contains(c.get("/setup/trunk").Body.String(), "accepted the registration") {
		t.Error("the answer is gone while the fields are the same")
	}
	v.Set("username", "other")
	v.Set("nav", "next")
	c.post("/setup/trunk", v)
	if strings.Contains(c.get("/setup/trunk").Body.String(), `id="trunk-test-result"`) {
		t.Error("the answer stays for another account")
	}
	v.Set("host", "")
	v.Set("nav", "test")
	if w := c.post("/setup/trunk", v); w.Code != http.StatusUnprocessableEntity || fieldErrorHTML(w.Body.String(), "host") == "" {
		t.Errorf("a test without a host: %d", w.Code)
	}
	if !bytes.Equal(before, dbBytes(t, db)) {
		t.Fatal("a test registration wrote to the database")
	}
}

func TestAPITestTrunk(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	w := f.api("POST", "/api/v1/trunks/test", `{"host": "sip.example.net", "username": "u1", "password": "`+fakeTrunkPassword+`"}`)
	var got struct {
		Registered bool   `json:"registered"`
		Answer     string `json:"answer"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil || !got.Registered || got.Answer != "200 OK" {
		t.Fatalf("accepted: %d %s", w.Code, w.Body)
	}
	w = f.api("POST", "/api/v1/trunks/test", `{"host": "sip.example.net", "username": "u1", "password": "nope"}`)
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil || got.Registered || got.Answer != "403 Forbidden" {
		t.Fatalf("refused: %d %s", w.Code, w.Body)
	}
	w = f.api("POST", "/api/v1/trunks/test", `{"host": "", "username": "u1"}`)
	e := decodeError(t, w)
	if w.Code != http.StatusUnprocessableEntity || len(e.Fields) != 2 || e.Fields[0].Field != "host" || e.Fields[1].Field != "password" {
		t.Fatalf("incomplete: %d %+v", w.Code, e)
	}
	if w := f.api("POST", "/api/v1/trunks/test", `{"hots": "x"}`); w.Code != http.StatusBadRequest {
		t.Fatalf("unknown field: %d", w.Code)
	}
}

// TestSetupOffer: the status page offers the wizard until it is applied
// or dismissed, and remembers that across a restart.
func TestSetupOffer(t *testing.T) {
	st := &memState{m: map[string][]byte{}}
	f := newFixture(t, func(o *Options) { o.State = st })
	c := f.client()
	c.ready()
	if !strings.Contains(c.get("/status").Body.String(), `id="setup-offer"`) {
		t.Fatal("a new box does not offer the setup")
	}
	c.post("/setup/dismiss", nil)
	if strings.Contains(c.get("/status").Body.String(), `id="setup-offer"`) {
		t.Fatal("the offer stays after Not now")
	}
	srv, err := New(Options{Service: f.svc, DataDir: t.TempDir(), Now: f.clock.Now, State: st})
	if err != nil {
		t.Fatal(err)
	}
	if srv.wiz.offered() {
		t.Error("a restarted server offers the dismissed setup again")
	}
	if w := c.get("/setup"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="setup-begin"`) {
		t.Errorf("the wizard stays reachable from the menu: %d", w.Code)
	}
}

// TestCountryTable: every tone zone of the firmware has its country;
// every country's tone zone, time zones and language exist, and its
// caller ID is the one the analog ports derive from the zone.
func TestCountryTable(t *testing.T) {
	zones := map[string]bool{}
	for _, c := range countries() {
		if _, err := dsp.LookupZone(c.ToneZone); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		zones[c.ToneZone] = true
		want := callerIDV23
		if analog.CallerIDStandard(c.ToneZone) == dsp.Bell202 {
			want = callerIDBell202
		}
		if c.CallerID != want {
			t.Errorf("%s: caller ID %q, the ports send %q", c.Name, c.CallerID, want)
		}
		if !slices.Contains([]string{"en", "ru", "hy", "ky", "it"}, c.Language) {
			t.Errorf("%s: language %q is not one the box speaks", c.Name, c.Language)
		}
		for _, z := range c.TimeZones {
			if _, err := time.LoadLocation(z); err != nil {
				t.Errorf("%s: time zone %s: %v", c.Name, z, err)
			}
		}
	}
	for _, z := range dsp.ZoneCodes() {
		if !zones[z] {
			t.Errorf("tone zone %s has no country", z)
		}
	}
	for _, code := range []string{"ru", "am", "kg", "it", "us", "gb", "de"} {
		if _, ok := countryByCode(code); !ok {
			t.Errorf("market %s is missing", code)
		}
	}
}

// TestWizardPagesLight: every page of the wizard stays under 32 KB.
func TestWizardPagesLight(t *testing.T) {
	_, _, c := newWizardFixture(t)
	a := answers()
	pages := []string{"/setup"}
	for _, id := range stepOrder {
		pages = append(pages, "/setup/"+id)
		c.get("/setup/" + id)
		c.post("/setup/"+id, a[id])
	}
	pages = append(pages, "/setup/review")
	for _, p := range pages {
		w := c.get(p)
		t.Logf("%-20s %6d bytes", p, w.Body.Len())
		if w.Code != http.StatusOK || w.Body.Len() > 32<<10 {
			t.Errorf("%s: %d, %d bytes", p, w.Code, w.Body.Len())
		}
	}
	c.post("/setup/apply", nil)
	if w := c.get("/setup/done"); w.Code != http.StatusOK || w.Body.Len() > 32<<10 {
		t.Errorf("/setup/done: %d, %d bytes", w.Code, w.Body.Len())
	} else {
		t.Logf("%-20s %6d bytes", "/setup/done", w.Body.Len())
	}
}

// FuzzWizardStep: whatever a step's form carries, the wizard answers
// with the next page or the step again (never an error page), and
// writes nothing.
func FuzzWizardStep(f *testing.F) {
	f.Add(uint8(2), "numbers", "201-203", "names", "a\nb")
	f.Add(uint8(3), "port-201", "1", "outside-201", "on")
	f.Add(uint8(8), "from-mon", "24:00", "to-mon", "23:59")
	f.Add(uint8(5), "host", "[::1]:5060", "password", "x")
	f.Add(uint8(0), "country", "ru", "time_zone", "Europe/Moscow\x00")
	f.Add(uint8(1), "extension_length", "4", "remove-101", "on")
	// One box for the whole run (logging in costs a slow password
	// hash); each input starts a wizard of its own.
	_, db, c := newWizardFixture(f)
	before := dbBytes(f, db)
	a := answers()
	f.Fuzz(func(t *testing.T, step uint8, k1, v1, k2, v2 string) {
		c.f.t = t
		c.post("/setup/start", nil)
		id := stepOrder[int(step)%len(stepOrder)]
		for _, s := range stepOrder {
			if s == id {
				break
			}
			c.get("/setup/" + s)
			c.post("/setup/"+s, a[s])
		}
		v := url.Values{}
		for k, vs := range a[id] {
			v[k] = vs
		}
		v.Set(k1, v1)
		v.Set(k2, v2)
		c.get("/setup/" + id)
		w := c.post("/setup/"+id, v)
		if w.Code != http.StatusSeeOther && w.Code != http.StatusUnprocessableEntity && w.Code != http.StatusForbidden {
			t.Fatalf("step %s with %q=%q %q=%q: %d", id, k1, v1, k2, v2, w.Code)
		}
		if r := c.get("/setup/review"); r.Code != http.StatusOK {
			t.Fatalf("review after %s: %d", id, r.Code)
		}
		if !bytes.Equal(before, dbBytes(t, db)) {
			t.Fatal("a step wrote to the database")
		}
	})
}
