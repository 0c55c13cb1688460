package webui

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// TestDialPlanOverview: the dial plan page lists the sections grouped in
// the order they build on each other, with counts and what is missing:
// the outside prefix's catch-all route, extensions without a mailbox, a
// line no route covers, and a recording a menu plays that was never
// uploaded — which the menu's form warns of too, and its saving says.
func TestDialPlanOverview(t *testing.T) {
	f := newFixture(t)
	f.svc.withRecordings(t)
	f.svc.mu.Lock()
	f.svc.plan.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{File: "welcome.wav"}}, Keys: map[string]string{"1": "ext:101"}}}
	f.svc.plan.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}}
	f.svc.lines[1].Enabled = true
	f.svc.mu.Unlock()
	c := f.client()
	c.ready()
	w := c.get("/dialplan")
	page := html.UnescapeString(w.Body.String())
	order := []string{`id="plan-group-lines"`, `id="dialplan-link-trunks"`, `id="dialplan-link-line_groups"`, `id="dialplan-link-outbound_routes"`,
		`id="plan-group-people"`, `id="plan-group-hours"`, `id="dialplan-link-schedules"`, `id="plan-group-hear"`, `id="plan-group-answer"`,
		`id="plan-group-choices"`, `id="dialplan-link-ivr_menus"`, `id="plan-group-incoming"`, `id="dialplan-link-inbound_routes"`}
	last := -1
	for _, want := range order {
		i := strings.Index(page, want)
		if i < last {
			t.Errorf("%s is out of order (or missing)", want)
		}
		last = i
	}
	for _, want := range []string{
		`<a href="/dialplan/line_groups" id="dialplan-link-line_groups">Line groups</a> <span class="count">(1)</span>`,
		"Besides these, 9 followed by any number goes out on any free telco line",
		"No mailbox yet: 101.",
		"Line 1 has no route: it rings extension 101", "Line 2 has no route",
		"The recording welcome.wav has not been uploaded: voice menu main, prompt 1 plays nothing there.",
		`id="missing-recordings"`, `href="/dialplan/route-tester"`, `href="/dialplan/flow"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the dial plan page lacks %q", want)
		}
	}
	// The outbound routes' own page says so too.
	if list := html.UnescapeString(c.get("/dialplan/outbound_routes").Body.String()); !strings.Contains(list, `id="section-note-0">Besides these, 9 followed by any number`) {
		t.Errorf("the outbound routes page does not show the outside prefix's route")
	}
	edit := c.get("/dialplan/ivr_menus/0/edit?of=main").Body.String()
	if !strings.Contains(html.UnescapeString(edit), `id="object-warning">The recording welcome.wav has not been uploaded`) {
		t.Errorf("the menu's form does not warn of the missing recording")
	}
	back := formValues(t, edit, "name", "number", "prompts[0].file", "prompts[0].tone", "prompts[0].ms", "keys.1", "digit_timeout_s", "retries", "default_destination")
	if w := c.post("/dialplan/ivr_menus/0/edit?of=main", back); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	if flash := html.UnescapeString(c.get("/dialplan/ivr_menus").Body.String()); !strings.Contains(flash, "Voice menu main saved. Warning: The recording welcome.wav has not been uploaded") {
		t.Errorf("saving does not warn: %s", flash)
	}
	// A new menu's form that fails validation warns of the recording it
	// names before anything is saved; a built-in prompt's name
	// (goodbye.wav) is no missing recording.
	w = c.post("/dialplan/ivr_menus/new", url.Values{"name": {"hours"}, "prompts[0].file": {"closed.wav"}, "prompts[1].file": {"goodbye.wav"},
		"digit_timeout_s": {"soon"}})
	page = html.UnescapeString(w.Body.String())
	if !strings.Contains(page, `value="goodbye.wav"`) {
		t.Error("the form lost the second prompt")
	}
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(page, "The recording closed.wav has not been uploaded") || strings.Contains(page, "goodbye.wav has not") {
		t.Errorf("a new menu's failed form: %d, warnings %q", w.Code, regexp.MustCompile(`id="object-warning">[^<]*`).FindAllString(page, -1))
	}
}
