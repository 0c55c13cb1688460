package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// The schedule form shows hours per weekday and stores them as ranges;
// going there and back must give the same week.
func TestScheduleRowsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		hours []string
		want  map[string]string
	}{
		{[]string{"mon-fri 09:00-18:00"}, map[string]string{"mon": "09:00-18:00", "fri": "09:00-18:00", "sat": ""}},
		{[]string{"fri-mon 10:00-12:00"}, map[string]string{"fri": "10:00-12:00", "sun": "10:00-12:00", "mon": "10:00-12:00", "wed": ""}},
		{[]string{"sat,sun 10:00-14:00", "mon 08:00-09:00"}, map[string]string{"sat": "10:00-14:00", "mon": "08:00-09:00", "tue": ""}},
		{[]string{"* 00:00-24:00"}, map[string]string{"mon": "00:00-24:00", "sun": "00:00-24:00"}},
		{[]string{"wed 9-18"}, map[string]string{"wed": "9-18", "mon": ""}},     // a bad time stays on its day, as typed
		{[]string{"xyz 9-18"}, map[string]string{"mon": "xyz 9-18", "wed": ""}}, // bad days: kept whole on Monday
	} {
		got := dayPeriods(tc.hours)
		for day, want := range tc.want {
			if g := strings.Join(got[day], ", "); g != want {
				t.Errorf("%v: %s = %q, want %q", tc.hours, day, g, want)
			}
		}
	}
	if got := hoursOf(map[string][]string{"mon": {"09:00-18:00"}, "tue": {"09:00-18:00"}, "wed": {"09:00-18:00"}, "fri": {"09:00-13:00", "14:00-16:00"}}); !slices.Equal(got,
		[]string{"mon-wed 09:00-18:00", "fri 09:00-13:00", "fri 14:00-16:00"}) {
		t.Errorf("hoursOf: %q", got)
	}
}

// FuzzScheduleRows: any week of valid periods survives hoursOf then
// dayPeriods unchanged.
func FuzzScheduleRows(f *testing.F) {
	f.Add([]byte{1, 1, 1, 1, 1, 0, 0})
	f.Add([]byte{3, 0, 3, 2, 2, 1, 1})
	spans := [][]string{nil, {"09:00-18:00"}, {"09:00-13:00", "14:00-18:00"}, {"00:00-24:00"}}
	f.Fuzz(func(t *testing.T, week []byte) {
		rows := map[string][]string{}
		for i, w := range weekdays {
			if i < len(week) {
				if s := spans[int(week[i])%len(spans)]; s != nil {
					rows[w.key] = s
				}
			}
		}
		got := dayPeriods(hoursOf(rows))
		for _, w := range weekdays {
			if !slices.Equal(got[w.key], rows[w.key]) {
				t.Fatalf("%v: %s came back as %v (hours %q)", rows, w.key, got[w.key], hoursOf(rows))
			}
		}
	})
}

// TestInboundRouteCallerLists: an inbound route's form offers the caller
// lists and stores the chosen ones in order; an unknown one is refused
// beside its row; the routes list names them; the edit page shows them
// chosen.
func TestInboundRouteCallerLists(t *testing.T) {
	c, db := dialPlanClient(t)
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.Classifiers = []store.Classifier{{Name: "blocked", Action: "reject", Numbers: []string{"8800."}},
			{Name: "vip", Action: "route", Numbers: []string{"89161234567"}, Destination: "ext:105"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	page := c.get("/dialplan/inbound_routes/new").Body.String()
	if row := fieldOf(t, page, "classifiers[0]"); !strings.Contains(row, `<option value="vip">vip</option>`) || !strings.Contains(row, `<option value="blocked">blocked</option>`) {
		t.Fatalf("no caller lists offered: %s", row)
	}
	form := url.Values{"name": {"main"}, "lines": {"1"}, "destination": {"ext:101"},
		"classifiers[0]": {"vip"}, "classifiers[1]": {""}, "classifiers[2]": {"nope"}}
	w := c.post("/dialplan/inbound_routes/new", form)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("unknown list: %d %s", w.Code, w.Body)
	}
	// The blank row is dropped, so the bad list is the second stored one.
	if row := fieldOf(t, w.Body.String(), "classifiers[1]"); !strings.Contains(row, `Caller list "nope" does not exist`) {
		t.Errorf("error not beside the unknown list: %s", row)
	}
	form.Set("classifiers[2]", "blocked")
	if w := c.post("/dialplan/inbound_routes/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if got := cfg.InboundRoutes[0].Classifiers; !slices.Equal(got, []string{"vip", "blocked"}) {
		t.Fatalf("stored lists %q", got)
	}
	// The list of routes says which caller lists each one uses.
	if list := c.get("/dialplan/inbound_routes").Body.String(); !strings.Contains(list, "line 1 → ext:101; caller lists: vip, blocked") {
		t.Errorf("the routes list does not name the route's caller lists:\n%s", list)
	}
	page = c.get("/dialplan/inbound_routes/0/edit").Body.String()
	if !strings.Contains(fieldOf(t, page, "classifiers[0]"), `<option value="vip" selected>`) ||
		!strings.Contains(fieldOf(t, page, "classifiers[1]"), `<option value="blocked" selected>`) {
		t.Errorf("edit page does not show the lists chosen")
	}
	// Saved again unchanged, the route keeps its lists.
	if w := c.post("/dialplan/inbound_routes/0/edit", url.Values{"name": {"main"}, "lines": {"1"}, "destination": {"ext:101"},
		"classifiers[0]": {"vip"}, "classifiers[1]": {"blocked"}, "classifiers[2]": {""}}); w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); !slices.Equal(cfg.InboundRoutes[0].Classifiers, []string{"vip", "blocked"}) {
		t.Errorf("after edit: %q", cfg.InboundRoutes[0].Classifiers)
	}
}

// TestAnnouncementForm: an announcement goes through its form and back
// (prompts, next destination); a bad prompt is shown beside its row;
// routes can then name it, and the destinations list offers it.
func TestAnnouncementForm(t *testing.T) {
	c, db := dialPlanClient(t)
	if w := c.get("/dialplan/announcements"); w.Code != 200 || !strings.Contains(w.Body.String(), `id="new-object"`) {
		t.Fatalf("list: %d", w.Code)
	}
	page := c.get("/dialplan/announcements/new").Body.String()
	for _, id := range []string{"name", "prompts[0].file", "prompts[0].tone", "prompts[0].ms", "then"} {
		fieldOf(t, page, id)
	}
	form := url.Values{"name": {"closed"},
		"prompts[0].file": {"closed.wav"}, "prompts[0].tone": {""}, "prompts[0].ms": {""},
		"prompts[1].file": {""}, "prompts[1].tone": {""}, "prompts[1].ms": {""}, // a blank row is dropped
		"prompts[2].file": {""}, "prompts[2].tone": {"425"}, "prompts[2].ms": {"20"},
		"then": {"ext:105"}}
	w := c.post("/dialplan/announcements/new", form)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad prompt: %d %s", w.Code, w.Body)
	}
	if row := fieldOf(t, w.Body.String(), "prompts[1].ms"); !strings.Contains(row, "field-error") || !strings.Contains(row, `value="20"`) {
		t.Errorf("error not beside the bad prompt: %s", row)
	}
	form.Set("prompts[2].ms", "500")
	if w := c.post("/dialplan/announcements/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	want := store.Announcement{Name: "closed", Prompts: []store.Prompt{{File: "closed.wav"}, {Tone: "425", MS: 500}}, Then: "ext:105"}
	if len(cfg.Announcements) != 1 || fmt.Sprint(cfg.Announcements[0]) != fmt.Sprint(want) {
		t.Fatalf("stored %+v, want %+v", cfg.Announcements, want)
	}
	// The edit page shows what is stored; saved as shown it is unchanged.
	page = c.get("/dialplan/announcements/0/edit").Body.String()
	back := url.Values{}
	for _, id := range []string{"name", "prompts[0].file", "prompts[0].tone", "prompts[0].ms", "prompts[1].file", "prompts[1].tone", "prompts[1].ms", "then"} {
		row := fieldOf(t, page, id)
		v := ""
		if i := strings.Index(row, `value="`); i >= 0 {
			v = row[i+len(`value="`):]
			v = v[:strings.IndexByte(v, '"')]
		}
		back.Set(id, v)
	}
	back.Set("then", "")
	if w := c.post("/dialplan/announcements/0/edit", back); w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	cfg, _ = db.Config()
	want.Then = ""
	if fmt.Sprint(cfg.Announcements[0]) != fmt.Sprint(want) {
		t.Fatalf("after the round trip %+v, want %+v", cfg.Announcements[0], want)
	}
	// A route reaches it; the destinations offer it.
	page = c.get("/dialplan/inbound_routes/new").Body.String()
	if !strings.Contains(page, `<optgroup label="Announcements"><option value="announce:closed">closed`) {
		t.Error("the destinations list does not offer the announcement")
	}
	if w := c.post("/dialplan/inbound_routes/new", url.Values{"name": {"night"}, "lines": {"1"}, "destination": {"announce:closed"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("route to the announcement: %d %s", w.Code, w.Body)
	}
	// In use, it cannot be deleted.
	if w := c.post("/dialplan/announcements/0/delete", nil); w.Code == http.StatusSeeOther {
		t.Error("an announcement a route names was deleted")
	}
}
