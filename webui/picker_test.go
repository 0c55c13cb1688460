package webui

import (
	"html"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

// everyKindPlan gives the store one object of every kind a destination
// can name (extension 105 with a mailbox, and the rest).
func everyKindPlan(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.UpdateDialPlan(func(c *store.Config) error {
		c.Voicemail.Boxes = []store.Mailbox{{Extension: "105", PIN: "4826"}}
		c.RingGroups = []store.RingGroup{{Name: "sales", Strategy: "ringall", Members: []store.GroupMember{{Destination: "ext:101"}}}}
		c.Queues = []store.Queue{{Name: "support", Strategy: "ringall", Members: []store.GroupMember{{Destination: "ext:105"}}}}
		c.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{Tone: "1000", MS: 500}}}}
		c.Announcements = []store.Announcement{{Name: "closed", Prompts: []store.Prompt{{MS: 500}}}}
		c.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}}}
		c.TimeConditions = []store.TimeCondition{{Name: "hours", Schedule: "office", Open: "ext:101"}}
		c.Conditions = []store.Condition{{Name: "boss", Destination: "ext:105"}}
		c.ConferenceRooms = []store.ConferenceRoom{{Name: "meet"}}
		c.PagingGroups = []store.PagingGroup{{Name: "all", Number: "650", Members: []string{"101"}}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// everyKind is a destination of every kind the firmware has.
var everyKind = []string{"ext:105", "voicemail:105", "group:sales", "queue:support", "menu:main", "announce:closed", "time:hours",
	"cond:boss", "conf:meet", "page:all", "fxs:2", "number:89161234567", "hangup"}

// TestPickersRoundTripEveryKind: a destination of each kind, stored, is
// shown chosen by the picker of an inbound route's form and of a voice
// menu's key table; the form posted back as the browser would send it
// stores the same destinations.
func TestPickersRoundTripEveryKind(t *testing.T) {
	c, db := dialPlanClient(t)
	everyKindPlan(t, db)
	for _, want := range everyKind {
		if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
			cfg.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: want}}
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		page := c.get("/dialplan/inbound_routes/0/edit?of=main").Body.String()
		back := formValues(t, page, "name", "lines", "schedule", "destination", "closed_destination", "max_calls", "moh_class", "record")
		if w := c.post("/dialplan/inbound_routes/0/edit?of=main", back); w.Code != http.StatusSeeOther {
			t.Fatalf("%s: posted back %v: %d %s", want, back, w.Code, w.Body)
		}
		if cfg, _ := db.Config(); cfg.InboundRoutes[0].Destination != want {
			t.Errorf("%s came back as %q (posted %v)", want, cfg.InboundRoutes[0].Destination, back)
		}
	}

	keys := map[string]string{}
	for i, k := range menuKeys {
		keys[k] = everyKind[i%len(everyKind)]
	}
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error { cfg.Menus[0].Keys = keys; return nil }); err != nil {
		t.Fatal(err)
	}
	page := c.get("/dialplan/ivr_menus/0/edit?of=main").Body.String()
	ids := []string{"name", "number", "prompts[0].file", "prompts[0].tone", "prompts[0].ms", "digit_timeout_s", "retries", "default_destination"}
	for _, k := range menuKeys {
		ids = append(ids, "keys."+k)
	}
	back := formValues(t, page, ids...)
	if w := c.post("/dialplan/ivr_menus/0/edit?of=main", back); w.Code != http.StatusSeeOther {
		t.Fatalf("menu posted back: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); !reflect.DeepEqual(cfg.Menus[0].Keys, keys) {
		t.Errorf("menu keys came back as %v, want %v", cfg.Menus[0].Keys, keys)
	}
}

// TestPickerOffersOnlyWhatFits: a member picker offers extensions, ports
// and outside numbers only (and "new extension"); a route's offers
// everything, with one "create new…" that asks which kind; a stored
// destination that names nothing stays chosen, marked.
func TestPickerOffersOnlyWhatFits(t *testing.T) {
	d := store.DialPlan{RingGroups: []store.RingGroup{{Name: "sales"}}, Menus: []store.Menu{{Name: "main"}}}
	ch := newDestChoices(&d, []store.Extension{{Number: "101", Name: "Reception"}}, []int{1})
	values := func(f *field) []string {
		var out []string
		for _, o := range f.Options {
			out = append(out, o.Value)
		}
		for _, g := range f.Groups {
			for _, o := range g.Options {
				out = append(out, o.Value)
			}
		}
		return out
	}
	member := destPicker(ch, "m", "Member", "", "", store.MemberKinds...)
	if got := strings.Join(values(member), " "); got != "ext:101 fxs:1 number: new:extensions" && got != " ext:101 fxs:1 number: new:extensions" {
		t.Errorf("member picker offers %q", got)
	}
	route := destPicker(ch, "d", "Destination", "group:gone", "")
	got := strings.Join(values(route), " ")
	for _, want := range []string{"group:gone", "ext:101", "group:sales", "menu:main", "fxs:1", "number:", "hangup", "new:*"} {
		if !strings.Contains(" "+got+" ", " "+want+" ") {
			t.Errorf("route picker lacks %s: %q", want, got)
		}
	}
	if route.Options[len(route.Options)-1].Label != "group:gone (does not exist)" || !route.Options[len(route.Options)-1].Selected {
		t.Errorf("a stored destination naming nothing is not kept chosen: %+v", route.Options)
	}
	num := destPicker(ch, "d", "Destination", "number:8916", "")
	if !num.NumberOK || num.Number != "8916" {
		t.Errorf("outside number shown as %+v", num)
	}
}

func TestResolvePickers(t *testing.T) {
	v := url.Values{"a": {"number:"}, "a.number": {" 8916 "}, "b": {"new:ring_groups"}, "c": {"group:sales"}, "d": {"new:nonsense"}}
	pc := resolvePickers(v)
	if v.Get("a") != "number:8916" || v.Get("b") != "" || v.Get("c") != "group:sales" {
		t.Errorf("resolved %v", v)
	}
	if pc == nil || pc.Field != "b" || pc.Section != "ring_groups" {
		t.Errorf("create %+v", pc)
	}
	if pc := resolvePickers(url.Values{"d": {"new:nonsense"}}); pc != nil {
		t.Errorf("created an unknown kind: %+v", pc)
	}
}

// TestPickerCreateNewComesBack: on a new voice menu's form, key 1's
// picker chooses "new ring group"; saving keeps the menu as a draft and
// opens the ring group's form, whose saving creates the group and brings
// the menu's form back as typed with key 1 on the new group; the menu
// is then saved. Nothing is saved before the installer says so.
func TestPickerCreateNewComesBack(t *testing.T) {
	c, db := dialPlanClient(t)
	form := url.Values{"name": {"main"}, "prompts[0].tone": {"1000"}, "prompts[0].ms": {"500"}, "keys.1": {"new:ring_groups"}, "keys.2": {"ext:105"}, "retries": {"2"}}
	c.get("/dialplan/ivr_menus/new")
	w := c.post("/dialplan/ivr_menus/new", form)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/dialplan/ring_groups/new?draft=") {
		t.Fatalf("create new: %d %q", w.Code, loc)
	}
	if cfg, _ := db.Config(); len(cfg.Menus) != 0 {
		t.Fatal("the menu was saved before it was finished")
	}
	token := strings.TrimPrefix(loc, "/dialplan/ring_groups/new?draft=")
	// "Create new…" of a picker that takes any kind asks which first.
	c.get("/dialplan/ivr_menus/new")
	form2 := url.Values{"name": {"other"}, "keys.1": {"new:*"}}
	w2 := c.post("/dialplan/ivr_menus/new", form2)
	if l := w2.Header().Get("Location"); w2.Code != http.StatusSeeOther || !strings.HasPrefix(l, "/dialplan/new?draft=") {
		t.Fatalf("create new…: %d %q", w2.Code, l)
	} else if page := html.UnescapeString(c.get(l).Body.String()); !strings.Contains(page, `href="/dialplan/ring_groups/new?draft=`+strings.TrimPrefix(l, "/dialplan/new?draft=")+`"`) ||
		!strings.Contains(page, `id="create-extensions"`) || !strings.Contains(page, `href="/dialplan/ivr_menus/new?restore=`) {
		t.Errorf("the page asking which kind: %s", page)
	}
	page := c.get(loc).Body.String()
	if !strings.Contains(page, `name="draft" value="`+token+`"`) || !strings.Contains(page, `id="draft-note"`) ||
		!strings.Contains(html.UnescapeString(page), `href="/dialplan/ivr_menus/new?restore=`+token+`"`) {
		t.Fatalf("the ring group's form does not carry the draft: %s", page)
	}
	// A refused ring group keeps the draft.
	w = c.post("/dialplan/ring_groups/new", url.Values{"draft": {token}, "name": {"sales"}, "strategy": {"ringall"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `name="draft" value="`+token+`"`) {
		t.Fatalf("refused group: %d", w.Code)
	}
	w = c.post("/dialplan/ring_groups/new", url.Values{"draft": {token}, "name": {"sales"}, "strategy": {"ringall"}, "members[0].destination": {"ext:101"}})
	if back := w.Header().Get("Location"); w.Code != http.StatusSeeOther || back != "/dialplan/ivr_menus/new?restore="+token {
		t.Fatalf("after the group: %d %q %s", w.Code, back, w.Body)
	}
	page = c.get("/dialplan/ivr_menus/new?restore=" + token).Body.String()
	vals := formValues(t, page, "name", "retries", "prompts[0].tone", "keys.1", "keys.2")
	if vals.Get("name") != "main" || vals.Get("retries") != "2" || vals.Get("prompts[0].tone") != "1000" || vals.Get("keys.1") != "group:sales" || vals.Get("keys.2") != "ext:105" {
		t.Fatalf("the menu's form came back as %v", vals)
	}
	if w := c.post("/dialplan/ivr_menus/new", url.Values{"name": {"main"}, "prompts[0].tone": {"1000"}, "prompts[0].ms": {"500"},
		"keys.1": {"group:sales"}, "keys.2": {"ext:105"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("menu: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if len(cfg.RingGroups) != 1 || len(cfg.Menus) != 1 || cfg.Menus[0].Keys["1"] != "group:sales" {
		t.Fatalf("stored %+v %+v", cfg.RingGroups, cfg.Menus)
	}
	// The draft was used once; it is gone.
	if page := c.get("/dialplan/ivr_menus/new?restore=" + token).Body.String(); strings.Contains(page, `value="main"`) {
		t.Error("a used draft came back again")
	}
}

// TestDraftsBelongToTheirSession: a draft is found by its token only for
// the session that made it, and not after draftTTL; the table is bounded.
func TestDraftsBelongToTheirSession(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	ds := newDrafts(clock.Now)
	mine, other := [32]byte{1}, [32]byte{2}
	token := ds.put(&draft{owner: mine, origin: "/dialplan/ivr_menus/new"})
	if ds.get(other, token) != nil || ds.get(mine, "") != nil {
		t.Error("a draft was found for another session or no token")
	}
	if ds.get(mine, token) == nil {
		t.Fatal("the draft was not found for its own session")
	}
	clock.Advance(draftTTL + time.Second)
	if ds.get(mine, token) != nil {
		t.Error("an expired draft was found")
	}
	for range maxDrafts + 10 {
		ds.put(&draft{owner: mine})
	}
	if len(ds.m) > maxDrafts {
		t.Errorf("%d drafts kept, at most %d", len(ds.m), maxDrafts)
	}
}

// TestWeekCopyWithoutScripts: without scripts, "copy Monday to
// Tuesday–Friday" is a button that posts the form; the box shows it back
// with the copy made and saves nothing.
func TestWeekCopyWithoutScripts(t *testing.T) {
	c, db := dialPlanClient(t)
	c.get("/dialplan/schedules/new")
	w := c.post("/dialplan/schedules/new", url.Values{"name": {"office"}, "_copy": {"weekdays"},
		"day_mon.0": {"09:00"}, "day_mon.1": {"18:00"}, "day_sat.0": {"10:00"}, "day_sat.1": {"14:00"}})
	page := w.Body.String()
	if w.Code != http.StatusOK || strings.Contains(page, `id="page-error"`) {
		t.Fatalf("copy: %d", w.Code)
	}
	for _, d := range []string{"tue", "wed", "thu", "fri"} {
		if got := fieldOf(t, page, "day_"+d+".1"); !strings.Contains(got, `value="18:00"`) {
			t.Errorf("%s not copied: %s", d, got)
		}
	}
	if got := fieldOf(t, page, "day_sat.0"); !strings.Contains(got, `value="10:00"`) {
		t.Errorf("Saturday lost: %s", got)
	}
	if cfg, _ := db.Config(); len(cfg.Schedules) != 0 {
		t.Error("the copy saved the schedule")
	}
}

// FuzzResolvePickers: any posted form is resolved without a panic; a
// picker's value is then a destination, empty, or what was posted.
func FuzzResolvePickers(f *testing.F) {
	f.Add("keys.1", "number:", "8916", "new:ring_groups")
	f.Add("destination", "new:extensions", "", "group:sales")
	f.Add("a.number", "number:", "x", "new:")
	f.Fuzz(func(t *testing.T, name, v1, digits, v2 string) {
		v := url.Values{name: {v1}, name + numberSuffix: {digits}, "other": {v2}}
		pc := resolvePickers(v)
		if pc != nil && (!creatable(pc.Section) || v.Get(pc.Field) != "") {
			t.Fatalf("create %+v with %v", pc, v)
		}
		if v1 == numberChoice && !strings.HasSuffix(name, numberSuffix) && v.Get(name) != numberChoice+strings.TrimSpace(digits) {
			t.Fatalf("number resolved to %q", v.Get(name))
		}
	})
}
