package webui

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// dialPlanClient is a logged-in client (password changed) on a fixture
// whose configuration is in a real store, with extension 105 besides the defaults.
func dialPlanClient(t *testing.T) (*client, *store.DB) {
	t.Helper()
	f, db, pw := newStoreFixture(t)
	if _, err := db.CreateExtension(store.Extension{Number: "105", Name: "Sales desk"}); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.login(pw)
	c.get("/password")
	if w := c.post("/password", url.Values{"new_password": {"installer password"}, "confirm_password": {"installer password"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("password change: %d", w.Code)
	}
	return c, db
}

// fieldOf returns the rendered block of the field with id, for checking
// its value and the error beside it.
func fieldOf(t *testing.T, page, id string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<div class="field[^"]*" id="` + regexp.QuoteMeta(id) + `-field">.*?</div>`)
	m := re.FindString(page)
	if m == "" {
		t.Fatalf("no field %s in page:\n%s", id, page)
	}
	return html.UnescapeString(m)
}

func TestRingGroupPages(t *testing.T) {
	c, db := dialPlanClient(t)
	w := c.get("/dialplan/ring_groups")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="new-object"`) || !strings.Contains(w.Body.String(), "No ring group yet.") {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	w = c.get("/dialplan/ring_groups/new")
	page := w.Body.String()
	for _, want := range []string{`name="strategy"`, `name="members[0].destination"`, `name="members[1].ring_s"`, `list="destinations"`,
		`<option value="ext:105">Extension 105 — Sales desk</option>`, `name="timeout_destination"`, "ext:101 (an extension)"} {
		if !strings.Contains(page, want) {
			t.Errorf("new form lacks %s", want)
		}
	}
	// A bad second member: the store's message sits beside that member's
	// field, and everything typed is kept.
	form := url.Values{"name": {"sales"}, "number": {"300"}, "strategy": {"linear"},
		"members[0].destination": {"ext:101"}, "members[0].ring_s": {"15"},
		"members[1].destination": {""}, "members[1].ring_s": {""}, // a blank row is dropped
		"members[2].destination": {"ext:999"}, "members[2].ring_s": {"25"},
		"max_wait_s": {"60"}, "timeout_destination": {"ext:105"}}
	w = c.post("/dialplan/ring_groups/new", form)
	page = w.Body.String()
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad member: %d %s", w.Code, page)
	}
	bad := fieldOf(t, page, "members[1].destination")
	if !strings.Contains(bad, `value="ext:999"`) || !strings.Contains(bad, "Extension 999 does not exist") || !strings.Contains(bad, `aria-invalid="true"`) {
		t.Errorf("error not beside the bad member: %s", bad)
	}
	if good := fieldOf(t, page, "members[0].destination"); strings.Contains(good, "field-error") || !strings.Contains(good, `value="ext:101"`) {
		t.Errorf("good member: %s", good)
	}
	for id, want := range map[string]string{"name": `value="sales"`, "number": `value="300"`, "members[1].ring_s": `value="25"`,
		"max_wait_s": `value="60"`, "timeout_destination": `value="ext:105"`, "strategy": `<option value="linear" selected>`} {
		if got := fieldOf(t, page, id); !strings.Contains(got, want) {
			t.Errorf("%s not kept: %s", id, got)
		}
	}
	// A ring time that is not a number is caught by the form, kept as typed.
	form.Set("members[0].ring_s", "ten")
	form.Set("members[2].destination", "ext:105")
	w = c.post("/dialplan/ring_groups/new", form)
	if got := fieldOf(t, w.Body.String(), "members[0].ring_s"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(got, `value="ten"`) || !strings.Contains(got, "whole number") {
		t.Errorf("non-number ring time: %d %s", w.Code, got)
	}
	if cfg, _ := db.Config(); len(cfg.RingGroups) != 0 {
		t.Fatalf("refused forms saved something: %+v", cfg.RingGroups)
	}
	// Create.
	form.Set("members[0].ring_s", "15")
	w = c.post("/dialplan/ring_groups/new", form)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/dialplan/ring_groups" {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	want := store.RingGroup{Name: "sales", Number: "300", Strategy: "linear", MaxWaitS: 60, Timeout: "ext:105",
		Members: []store.GroupMember{{Destination: "ext:101", RingS: 15}, {Destination: "ext:105", RingS: 25}}}
	if len(cfg.RingGroups) != 1 || !equalJSON(cfg.RingGroups[0], want) {
		t.Fatalf("stored %+v, want %+v", cfg.RingGroups, want)
	}
	w = c.get("/dialplan/ring_groups")
	if page := w.Body.String(); !strings.Contains(page, "Ring group sales created.") || !strings.Contains(page, "number 300, linear: ext:101, ext:105") {
		t.Errorf("list after create: %s", page)
	}
	// Edit: the form shows the stored values; drop the first member.
	w = c.get("/dialplan/ring_groups/0/edit")
	if got := fieldOf(t, w.Body.String(), "members[1].ring_s"); !strings.Contains(got, `value="25"`) {
		t.Errorf("edit form: %s", got)
	}
	form.Set("members[0].destination", "")
	form.Set("members[0].ring_s", "")
	form.Set("strategy", "ringall")
	w = c.post("/dialplan/ring_groups/0/edit", form)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); len(cfg.RingGroups) != 1 || cfg.RingGroups[0].Strategy != "ringall" || len(cfg.RingGroups[0].Members) != 1 ||
		cfg.RingGroups[0].Members[0].Destination != "ext:105" {
		t.Fatalf("after edit: %+v", cfg.RingGroups)
	}
	if w := c.get("/dialplan/ring_groups/5/edit"); w.Code != http.StatusNotFound {
		t.Errorf("missing object: %d", w.Code)
	}
	// Delete.
	w = c.post("/dialplan/ring_groups/0/delete", nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); len(cfg.RingGroups) != 0 || len(cfg.Extensions) < 2 {
		t.Fatalf("after delete: %+v", cfg.RingGroups)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
