package webui

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

func TestAPIDialPlan(t *testing.T) {
	f, db, _ := newStoreFixture(t)
	if err := db.SetAdminPassword("api password 1"); err != nil {
		t.Fatal(err)
	}
	api := func(method, path, body string) (int, string) {
		w := f.apiAs("admin", "api password 1", method, path, body)
		return w.Code, w.Body.String()
	}
	code, body := api("GET", "/api/v1/dialplan", "")
	if code != 200 || !strings.Contains(body, `"emergency_numbers":["112","911"]`) || !strings.Contains(body, `"ring_groups":[]`) {
		t.Fatalf("GET: %d %s", code, body)
	}
	plan := `{"line_groups": [{"name": "city", "lines": [1, 2], "hunt": "roundrobin"}],
		"outbound_routes": [{"name": "national", "pattern": "8XXXXXXXXXX", "class": "national", "via": ["city"]}],
		"ring_groups": [{"name": "sales", "number": "300", "strategy": "rrmemory", "members": [{"destination": "ext:101"}, {"destination": "ext:102", "ring_s": 15}]}]}`
	code, body = api("PUT", "/api/v1/dialplan", plan)
	if code != 200 || !strings.Contains(body, `"strategy":"rrmemory"`) || strings.Contains(body, `"112"`) {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if c, _ := db.Config(); len(c.RingGroups) != 1 || c.Numbering.EmergencyNumbers != nil {
		t.Errorf("stored: %+v (sections left out become empty)", c.RingGroups)
	}
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"ring_groups": [{"name": "sales", "strategy": "roundrobin", "members": [{"destination": "ext:999"}]}]}`, 422, `"field":"ring_groups[0].members[0].destination"`},
		{`{"ring_groups": [{"name": "sales", "strategy": 5}]}`, 422, `"field":"ring_groups[0].strategy"`},
		{`{"outbound_routes": [{"name": "x", "pattern": "10X", "class": "local", "via": []}]}`, 422, `extension 101 and outbound route x both match 101`},
		{`{"ring_groups": [}`, 400, "malformed JSON at line 1"},
		{`{"gateways": []}`, 422, `"field":"gateways"`},
	} {
		code, body := api("PUT", "/api/v1/dialplan", tc.body)
		if code != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("PUT %s: %d %s; want %d with %s", tc.body, code, body, tc.status, tc.want)
		}
	}
	if c, _ := db.Config(); len(c.RingGroups) != 1 || c.RingGroups[0].Strategy != "rrmemory" {
		t.Errorf("a refused change changed the store: %+v", c.RingGroups)
	}
}

func TestDialPlanPages(t *testing.T) {
	f, _, pw := newStoreFixture(t)
	c := f.client()
	c.login(pw)
	c.get("/password")
	if w := c.post("/password", url.Values{"new_password": {"installer password"}, "confirm_password": {"installer password"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("password change: %d", w.Code)
	}
	w := c.get("/dialplan")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="dialplan-link-ring_groups"`) || !strings.Contains(w.Body.String(), `id="nav-dialplan"`) {
		t.Fatalf("overview: %d", w.Code)
	}
	if w := c.get("/dialplan/gateways"); w.Code != http.StatusNotFound {
		t.Errorf("unknown section: %d", w.Code)
	}
	w = c.get("/dialplan/numbering?json=1")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<textarea id="json" name="json"`) {
		t.Fatalf("section page: %d", w.Code)
	}
	// A bad short number is shown beside the editor, by path; the text is kept.
	bad := `{"short_numbers": [{"number": "300", "destination": "ext:999"}], "emergency_numbers": ["112", "911"]}`
	w = c.post("/dialplan/numbering", url.Values{"json": {bad}})
	page := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(page, "numbering.short_numbers[0].destination</code>: ") ||
		!strings.Contains(page, bad) || !strings.Contains(w.Body.String(), `aria-invalid="true"`) {
		t.Fatalf("bad section: %d %s", w.Code, page)
	}
	w = c.post("/dialplan/limits", url.Values{"json": {`{"max_call_duration_s": 3600}`}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/dialplan/limits?json=1" {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	w = c.get("/dialplan/limits?json=1")
	if !strings.Contains(w.Body.String(), "Limits saved.") || !strings.Contains(html.UnescapeString(w.Body.String()), `"max_call_duration_s": 3600`) {
		t.Errorf("after save: %s", w.Body)
	}
	// Saving one section keeps the others (the default emergency numbers).
	w = c.get("/dialplan/numbering?json=1")
	if !strings.Contains(html.UnescapeString(w.Body.String()), `"911"`) {
		t.Errorf("numbering lost: %s", w.Body)
	}
	// Malformed JSON is reported, not a crash.
	w = c.post("/dialplan/limits", url.Values{"json": {`{"max_call_duration_s": }`}})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "malformed JSON") {
		t.Errorf("malformed: %d", w.Code)
	}
}

// TestDialPlanPagesCoverEverySection: the web UI's table of sections
// has one entry per section of the store's table and nothing else, each
// with a title, a help text, a group of the dial plan page and exactly
// one kind of page.
func TestDialPlanPagesCoverEverySection(t *testing.T) {
	var keys []string
	for _, sec := range planSections {
		keys = append(keys, sec.Key)
		if sec.Title == "" || sec.Help == "" || !slices.ContainsFunc(planGroups, func(g struct{ ID, Title string }) bool { return g.ID == sec.Group }) {
			t.Errorf("section %s: title %q, group %q, help %d bytes", sec.Key, sec.Title, sec.Group, len(sec.Help))
		}
		if (sec.list == nil) == (sec.single == nil) {
			t.Errorf("section %s: needs a list or a single form, not both", sec.Key)
		}
		if sec.list != nil && sec.list.section() != sec.Key {
			t.Errorf("section %s serves the forms of %s", sec.Key, sec.list.section())
		}
	}
	want := store.DialPlanSections()
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("web UI sections %v, store sections %v", keys, want)
	}
	for _, st := range store.Sections() {
		if sec, ok := findDialPlanSection(st.Key); ok && st.List != (sec.list != nil) {
			t.Errorf("section %s: the store says list=%v", st.Key, st.List)
		}
	}
}
