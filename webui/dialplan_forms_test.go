package webui

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
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
	q := regexp.QuoteMeta(id)
	m := regexp.MustCompile(`(?s)<div class="field[^"]*" id="` + q + `-field">.*?</div>`).FindString(page)
	if m == "" { // a cell or a row of a compact table
		m = regexp.MustCompile(`(?s)<td id="` + q + `-field"[^>]*>.*?</td>`).FindString(page)
	}
	if m == "" {
		m = regexp.MustCompile(`(?s)<tr id="` + q + `-field"[^>]*>.*?</tr>`).FindString(page)
	}
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
	for _, want := range []string{`name="strategy"`, `name="members[0].destination"`, `name="members[1].ring_s"`, `data-picker`,
		`<option value="ext:105">105 Sales desk`, `name="timeout_destination"`, `<option value="new:*">Create new…`} {
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
	// An edit or delete of an object that moved meanwhile (the URL names
	// another object) changes nothing.
	before, _ := db.Config()
	for _, path := range []string{"/dialplan/ring_groups/0/edit?of=other", "/dialplan/ring_groups/0/delete?of=other"} {
		if w := c.post(path, form); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "changed meanwhile") {
			t.Errorf("%s: %d", path, w.Code)
		}
	}
	if after, _ := db.Config(); !equalJSON(after.RingGroups, before.RingGroups) {
		t.Errorf("a stale request changed %+v", after.RingGroups)
	}
	if w := c.get("/dialplan/ring_groups"); !strings.Contains(w.Body.String(), `/dialplan/ring_groups/0/delete?of=sales"`) {
		t.Errorf("list links do not name their object: %s", w.Body)
	}
	// Order: a second group moves above the first.
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.RingGroups = append(cfg.RingGroups, store.RingGroup{Name: "support", Strategy: "ringall", Members: []store.GroupMember{{Destination: "ext:101"}}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if w := c.post("/dialplan/ring_groups/1/up?of=support", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("move up: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); len(cfg.RingGroups) != 2 || cfg.RingGroups[0].Name != "support" {
		t.Fatalf("after move up: %+v", cfg.RingGroups)
	}
	if w := c.post("/dialplan/ring_groups/0/up?of=sales", nil); w.Code != http.StatusConflict {
		t.Errorf("stale move: %d", w.Code)
	}
	// Delete, after a confirmation page.
	w = c.get("/dialplan/ring_groups/1/delete?of=sales")
	if page := w.Body.String(); w.Code != 200 || !strings.Contains(page, `action="/dialplan/ring_groups/1/delete?of=sales"`) || !strings.Contains(page, `id="confirm-delete"`) {
		t.Fatalf("delete page: %d %s", w.Code, page)
	}
	w = c.post("/dialplan/ring_groups/1/delete?of=sales", nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); len(cfg.RingGroups) != 1 || cfg.RingGroups[0].Name != "support" || len(cfg.Extensions) < 2 {
		t.Fatalf("after delete: %+v", cfg.RingGroups)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestDialPlanObjectPages: every kind with a form page creates, edits
// and deletes its objects, and shows the store's problem beside the
// field its path names, keeping what was typed.
func TestDialPlanObjectPages(t *testing.T) {
	for _, tc := range []struct {
		key      string
		good     url.Values
		stored   func(d store.DialPlan) string // "" when d holds good as the first object
		bad      map[string]string             // fields changed from good
		badField string
		badMsg   string
		editKey  string // a field changed on the edit page
		editVal  string
		editMore map[string]string // more fields changed with it
		edited   func(d store.DialPlan) bool
		// notOnEdit must not appear on the edit page (a stored password)
		notOnEdit string
	}{
		{key: "outbound_routes",
			good: url.Values{"name": {"mobile"}, "pattern": {"89XXXXXXXXX"}, "strip": {"1"}, "prepend": {""}, "class": {"national"},
				"via[0]": {"city"}, "via[1]": {""}, "via[2]": {"town"}},
			stored: func(d store.DialPlan) string {
				if r := d.OutboundRoutes[0]; r.Pattern != "89XXXXXXXXX" || r.Strip != 1 || r.Class != "national" || strings.Join(r.Via, ",") != "city,town" {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			},
			bad: map[string]string{"pattern": "8Q"}, badField: "pattern", badMsg: `value="8Q"`,
			editKey: "class", editVal: "international",
			edited: func(d store.DialPlan) bool { return d.OutboundRoutes[0].Class == "international" }},
		{key: "inbound_routes",
			good: url.Values{"name": {"main"}, "lines": {"1"}, "schedule": {"office"}, "destination": {"ext:101"}, "closed_destination": {"ext:105"}, "max_calls": {"2"}},
			stored: func(d store.DialPlan) string {
				if r := d.InboundRoutes[0]; len(r.Lines) != 1 || r.Lines[0] != 1 || r.Schedule != "office" || r.ClosedDestination != "ext:105" || r.MaxCalls != 2 {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			},
			bad: map[string]string{"destination": "ext:999"}, badField: "destination", badMsg: `value="ext:999"`,
			editKey: "lines", editVal: "0",
			edited: func(d store.DialPlan) bool { return len(d.InboundRoutes[0].Lines) == 0 }},
		{key: "schedules",
			good: url.Values{"name": {"shop"}, "day_mon.0": {"09:00"}, "day_mon.1": {"18:00"}, "day_tue.0": {"09:00"}, "day_tue.1": {"18:00"},
				"day_wed.0": {"09:00"}, "day_wed.1": {"18:00"}, "day_thu.0": {"09:00"}, "day_thu.1": {"18:00"},
				"day_fri.0": {"09:00"}, "day_fri.1": {"13:00"}, "day_fri.2": {"14:00"}, "day_fri.3": {"18:00"},
				"day_sat.0": {""}, "day_sat.1": {""}, "day_sun.0": {""}, "day_sun.1": {""}, "holidays": {"12-25\r\n2026-12-31\r\n"}},
			stored: func(d store.DialPlan) string {
				s := d.Schedules[1]
				if strings.Join(s.Hours, ";") != "mon-thu 09:00-18:00;fri 09:00-13:00;fri 14:00-18:00" || strings.Join(s.Holidays, ";") != "12-25;2026-12-31" {
					return fmt.Sprintf("%+v", s)
				}
				return ""
			},
			bad: map[string]string{"day_wed.0": "09:30", "day_wed.1": ""}, badField: "day_wed", badMsg: `opening and the closing time`,
			editKey: "day_sat.0", editVal: "10:00", editMore: map[string]string{"day_sat.1": "14:00"},
			edited: func(d store.DialPlan) bool { return slices.Contains(d.Schedules[1].Hours, "sat 10:00-14:00") }},
		{key: "classifiers",
			good: url.Values{"name": {"blocked"}, "action": {"reject"}, "numbers": {"84951234567\n8800."}, "destination": {""}},
			stored: func(d store.DialPlan) string {
				if c := d.Classifiers[0]; c.Action != "reject" || strings.Join(c.Numbers, ",") != "84951234567,8800." || c.Anonymous {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
			bad: map[string]string{"action": "route"}, badField: "destination", badMsg: `<option value="route" selected>`,
			editKey: "anonymous", editVal: "on",
			edited: func(d store.DialPlan) bool { return d.Classifiers[0].Anonymous }},
		{key: "extension_rules",
			good: url.Values{"extension": {"101"}, "class": {"local"}, "forward_busy": {"ext:105"}, "no_answer_s": {"25"},
				"follow_me[0].destination": {"number:89161234567"}, "follow_me[0].ring_s": {"30"}, "follow_me[1].destination": {""}, "forward_caller_id": {"box"}},
			stored: func(d store.DialPlan) string {
				r := d.ExtensionRules[0]
				if r.Extension != "101" || r.Class != "local" || r.ForwardBusy != "ext:105" || r.NoAnswerS != 25 || len(r.FollowMe) != 1 ||
					r.FollowMe[0].RingS != 30 || r.ForwardCallerID != "box" {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			},
			bad: map[string]string{"forward_always": "ext:101"}, badField: "forward_always", badMsg: `value="ext:101"`,
			editKey: "forward_caller_id", editVal: "caller",
			edited: func(d store.DialPlan) bool { return d.ExtensionRules[0].ForwardCallerID == "" }},
		{key: "queues",
			good: url.Values{"name": {"support"}, "number": {"400"}, "strategy": {"linear"}, "members[0].destination": {"ext:101"}, "members[0].ring_s": {"15"},
				"members[1].destination": {""}, "announce_every_s": {"30"}, "music_on_hold[0].file": {""}, "music_on_hold[0].tone": {"425"}, "music_on_hold[0].ms": {"500"}},
			stored: func(d store.DialPlan) string {
				q := d.Queues[0]
				if q.Number != "400" || len(q.Members) != 1 || q.Members[0].RingS != 15 || q.AnnounceEveryS != 30 || len(q.MusicOnHold) != 1 || q.MusicOnHold[0].MS != 500 {
					return fmt.Sprintf("%+v", q)
				}
				return ""
			},
			bad: map[string]string{"announce_every_s": "5"}, badField: "announce_every_s", badMsg: `value="5"`,
			editKey: "wrap_up_s", editVal: "10",
			edited: func(d store.DialPlan) bool { return d.Queues[0].WrapUpS == 10 }},
		{key: "ivr_menus",
			good: url.Values{"name": {"main"}, "prompts[0].file": {"welcome.wav"}, "prompts[0].tone": {""}, "prompts[0].ms": {""},
				"keys.1": {"ext:101"}, "keys.2": {"ext:105"}, "retries": {"2"}, "default_destination": {"ext:101"}},
			stored: func(d store.DialPlan) string {
				m := d.Menus[0]
				if len(m.Prompts) != 1 || m.Prompts[0].File != "welcome.wav" || m.Keys["1"] != "ext:101" || m.Keys["2"] != "ext:105" || len(m.Keys) != 2 || m.Retries != 2 {
					return fmt.Sprintf("%+v", m)
				}
				return ""
			},
			bad: map[string]string{"keys.2": "ext:999"}, badField: "keys.2", badMsg: `value="ext:999"`,
			editKey: "direct_dial", editVal: "on",
			edited: func(d store.DialPlan) bool { return d.Menus[0].DirectDial }},
		{key: "line_groups",
			good: url.Values{"name": {"all"}, "lines": {"1, 2"}, "hunt": {"roundrobin"}, "max_calls": {"1"}},
			stored: func(d store.DialPlan) string {
				if g := d.LineGroups[2]; g.Name != "all" || len(g.Lines) != 2 || g.Lines[1] != 2 || g.Hunt != "roundrobin" || g.MaxCalls != 1 {
					return fmt.Sprintf("%+v", g)
				}
				return ""
			},
			bad: map[string]string{"lines": "1, two"}, badField: "lines", badMsg: `value="1, two"`,
			editKey: "hunt", editVal: "descending",
			edited: func(d store.DialPlan) bool { return d.LineGroups[2].Hunt == "descending" }},
		{key: "caller_id_rules",
			good: url.Values{"prefix": {"8"}, "number": {"+74951234567"}, "name": {"Office"}},
			stored: func(d store.DialPlan) string {
				if r := d.CallerIDRules[0]; r.Prefix != "8" || r.Number != "+74951234567" || r.Name != "Office" || r.Withhold {
					return fmt.Sprintf("%+v", r)
				}
				return ""
			},
			bad: map[string]string{"number": "12a"}, badField: "number", badMsg: `value="12a"`,
			editKey: "withhold", editVal: "on",
			edited: func(d store.DialPlan) bool { return d.CallerIDRules[0].Withhold }},
		{key: "trunks",
			good: url.Values{"name": {"provider"}, "mode": {"register"}, "host": {"sip.example.net:5060"}, "transport": {"udp"}, "username": {"74951234567"},
				"password": {"secret-pw-1"}, "dids[0].number": {"74951234567"}, "dids[0].destination": {"ext:101"}, "dids[1].number": {""}, "dids[1].destination": {""}},
			stored: func(d store.DialPlan) string {
				tr := d.Trunks[0]
				if tr.Host != "sip.example.net:5060" || tr.Transport != "" || tr.Password != "secret-pw-1" || len(tr.DIDs) != 1 || tr.DIDs[0].Destination != "ext:101" {
					return fmt.Sprintf("%+v", tr)
				}
				return ""
			},
			bad: map[string]string{"host": "sip.example.net:0"}, badField: "host", badMsg: `value="sip.example.net:0"`,
			editKey: "password", editVal: "", notOnEdit: "secret-pw-1",
			edited: func(d store.DialPlan) bool { return d.Trunks[0].Password == "secret-pw-1" }},
	} {
		t.Run(tc.key, func(t *testing.T) {
			c, db := dialPlanClient(t)
			if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
				cfg.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}, {Name: "town", Lines: []int{2}, Hunt: store.HuntAscending}}
				cfg.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}}}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			plan := func() store.DialPlan { cfg, _ := db.Config(); return cfg.DialPlan() }
			before := plan()
			if w := c.get("/dialplan/" + tc.key); w.Code != 200 || !strings.Contains(w.Body.String(), `id="new-object"`) {
				t.Fatalf("list: %d", w.Code)
			}
			if w := c.get("/dialplan/" + tc.key + "/new"); w.Code != 200 || !strings.Contains(w.Body.String(), `id="object-form"`) {
				t.Fatalf("new: %d", w.Code)
			}
			bad := url.Values{}
			for k, v := range tc.good {
				bad[k] = v
			}
			for k, v := range tc.bad {
				bad.Set(k, v)
			}
			w := c.post("/dialplan/"+tc.key+"/new", bad)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("bad: %d %s", w.Code, w.Body)
			}
			page := w.Body.String()
			if got := fieldOf(t, page, tc.badField); !strings.Contains(got, `class="field-error"`) {
				t.Errorf("no error beside %s: %s", tc.badField, got)
			}
			for k, v := range tc.bad {
				if got := fieldOf(t, page, k); !strings.Contains(got, html.UnescapeString(tc.badMsg)) && k == tc.badField || !strings.Contains(got, v) {
					t.Errorf("%s not kept: %s", k, got)
				}
			}
			if strings.Contains(page, "form-errors") {
				t.Errorf("problem not placed beside a field: %s", page)
			}
			if !equalJSON(plan(), before) {
				t.Fatal("a refused form changed the plan")
			}
			if w := c.post("/dialplan/"+tc.key+"/new", tc.good); w.Code != http.StatusSeeOther {
				t.Fatalf("create: %d %s", w.Code, w.Body)
			}
			if p := tc.stored(plan()); p != "" {
				t.Fatalf("stored: %s", p)
			}
			idx := len(k(tc.key).items(&before))
			edit := fmt.Sprintf("/dialplan/%s/%d/edit", tc.key, idx)
			if w := c.get(edit); w.Code != 200 || tc.notOnEdit != "" && strings.Contains(w.Body.String(), tc.notOnEdit) {
				t.Fatalf("edit page: %d", w.Code)
			}
			tc.good.Set(tc.editKey, tc.editVal)
			for k, v := range tc.editMore {
				tc.good.Set(k, v)
			}
			if w := c.post(edit, tc.good); w.Code != http.StatusSeeOther {
				t.Fatalf("edit: %d %s", w.Code, w.Body)
			}
			if d := plan(); !tc.edited(d) {
				t.Fatalf("edit not stored: %+v", d)
			}
			if w := c.post(fmt.Sprintf("/dialplan/%s/%d/delete", tc.key, idx), nil); w.Code != http.StatusSeeOther {
				t.Fatalf("delete: %d %s", w.Code, w.Body)
			}
			if after := plan(); len(k(tc.key).items(&after)) != idx {
				t.Fatalf("not deleted: %+v", after)
			}
		})
	}
}

func k(key string) planKind { sec, _ := findDialPlanSection(key); return sec.list }

// TestDialPlanObjectInUse: a change refused for its effect on another
// object (a schedule still named by an inbound route) says which object,
// in words, on the form and on the list.
func TestDialPlanObjectInUse(t *testing.T) {
	c, db := dialPlanClient(t)
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}}}
		cfg.InboundRoutes = []store.InboundRoute{{Name: "main", Schedule: "office", Destination: "ext:101", ClosedDestination: "ext:105"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := `Inbound routes “main”, schedule (inbound_routes[0].schedule): Schedule "office" does not exist.`
	c.get("/dialplan/schedules")
	// Deleting names each user with a link to its form; the confirmation
	// page says so before.
	if page := c.get("/dialplan/schedules/0/delete?of=office").Body.String(); !strings.Contains(page,
		`<li><a href="/dialplan/inbound_routes/0/edit?of=main">inbound route main, schedule</a></li>`) {
		t.Errorf("the delete page does not name the user: %s", page)
	}
	w := c.post("/dialplan/schedules/0/delete?of=office", nil)
	if page := html.UnescapeString(w.Body.String()); w.Code != http.StatusConflict || !strings.Contains(page, "Schedule office is in use, so it was not deleted") ||
		!strings.Contains(page, `<a href="/dialplan/inbound_routes/0/edit?of=main">inbound route main, schedule</a>`) {
		t.Errorf("delete in use: %d %s", w.Code, page)
	}
	w = c.post("/dialplan/schedules/0/edit?of=office", url.Values{"name": {"shop"}, "day_mon": {"09:00-18:00"}})
	if page := html.UnescapeString(w.Body.String()); w.Code != http.StatusUnprocessableEntity || !strings.Contains(page, "<li>"+want+"</li>") ||
		!strings.Contains(page, `value="shop"`) {
		t.Errorf("rename in use: %d %s", w.Code, page)
	}
	if cfg, _ := db.Config(); len(cfg.Schedules) != 1 || cfg.Schedules[0].Name != "office" {
		t.Errorf("schedules changed: %+v", cfg.Schedules)
	}
}

// TestDialPlanSingleForms: numbering and limits are one form each; a bad
// short number's destination is shown beside it, typed values kept.
func TestDialPlanSingleForms(t *testing.T) {
	c, db := dialPlanClient(t)
	w := c.get("/dialplan/numbering")
	if page := w.Body.String(); w.Code != 200 || !strings.Contains(page, `name="short_numbers[0].destination"`) || !strings.Contains(page, "112\n911") {
		t.Fatalf("numbering form: %d %s", w.Code, page)
	}
	form := url.Values{"emergency_numbers": {"112\r\n911\r\n"}, "feature_codes": {"on"},
		"short_numbers[0].number": {"301"}, "short_numbers[0].destination": {"ext:101"},
		"short_numbers[1].number": {"302"}, "short_numbers[1].destination": {"ext:999"}}
	w = c.post("/dialplan/numbering", form)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad short number: %d %s", w.Code, w.Body)
	}
	if got := fieldOf(t, w.Body.String(), "short_numbers[1].destination"); !strings.Contains(got, `value="ext:999"`) || !strings.Contains(got, "field-error") {
		t.Errorf("error not beside the short number: %s", got)
	}
	if got := fieldOf(t, w.Body.String(), "short_numbers[0].number"); !strings.Contains(got, `value="301"`) || strings.Contains(got, "field-error") {
		t.Errorf("good row: %s", got)
	}
	form.Set("short_numbers[1].destination", "ext:105")
	if w := c.post("/dialplan/numbering", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save numbering: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if n := cfg.Numbering; !n.FeatureCodes || len(n.ShortNumbers) != 2 || n.ShortNumbers[1].Destination != "ext:105" || strings.Join(n.EmergencyNumbers, ",") != "112,911" {
		t.Fatalf("stored numbering %+v", n)
	}
	w = c.post("/dialplan/limits", url.Values{"max_call_duration_s": {"an hour"}})
	if got := fieldOf(t, w.Body.String(), "max_call_duration_s"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(got, `value="an hour"`) {
		t.Errorf("bad limit: %d %s", w.Code, got)
	}
	if w := c.post("/dialplan/limits", url.Values{"max_call_duration_s": {"3600"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("save limits: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); cfg.CallLimits.MaxCallDurationS != 3600 || len(cfg.Numbering.ShortNumbers) != 2 {
		t.Errorf("stored limits %+v, numbering %+v", cfg.CallLimits, cfg.Numbering)
	}
}
