package webui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"minipbx/internal/audiotest"
	"minipbx/telephony/store"
)

// TestFeaturesForm: the features page shows a new box's codes and the
// guide to what users dial with them; a change is stored; problems the
// store finds (a park code that clashes with an extension, slots that do
// not parse) and numbers that are not come back beside their fields,
// and nothing changes.
func TestFeaturesForm(t *testing.T) {
	c, db := dialPlanClient(t)
	w := c.get("/dialplan/features")
	page := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("page: %d", w.Code)
	}
	ids := []string{"transfer_recall_s", "park_code", "park_slots", "park_timeout_s", "park_timeout_destination",
		"group_pickup_codes[0]", "group_pickup_codes[1]", "group_pickup_codes[2]", "directed_pickup_code", "intercom_code", "music_on_hold"}
	v := formValues(t, page, ids...)
	if v.Get("park_code") != "700" || v.Get("park_slots") != "701-709" || v.Get("group_pickup_codes[0]") != "*8" || v.Get("intercom_code") != "*4" {
		t.Fatalf("a new box's features are not shown: %v", v)
	}
	if !strings.Contains(fieldOf(t, page, "group_pickup_codes[0]"), "40") || !strings.Contains(fieldOf(t, page, "group_pickup_codes[0]"), "888") {
		t.Error("the pickup code's help does not suggest the manuals' 40 and 888")
	}
	for _, want := range []string{`id="feature-guide"`, "#102#", "*102#", "Hook flash, 700", "701 … 709", "**102", "*78 / *79", "*70 / *71"} {
		if !strings.Contains(page, want) {
			t.Errorf("the guide lacks %q", want)
		}
	}

	v.Set("park_slots", "750-759")
	v.Set("park_code", "799")
	v.Set("group_pickup_codes[1]", "40")
	v.Set("group_pickup_codes[2]", "888")
	v.Set("transfer_recall_s", "30")
	if w := c.post("/dialplan/features", v); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if f := cfg.Features; f.ParkSlots != "750-759" || f.ParkCode != "799" || !slices.Equal(f.GroupPickupCodes, []string{"*8", "40", "888"}) || f.TransferRecallS != 30 {
		t.Fatalf("stored %+v", f)
	}
	if page := c.get("/dialplan/features").Body.String(); !strings.Contains(page, "750 … 759") || !strings.Contains(page, "*8 or 40 or 888") {
		t.Error("the guide does not follow the stored codes")
	}

	for _, tc := range []struct{ field, value, want string }{
		{"park_code", "101", "101"},               // the store: clashes with extension 101
		{"park_slots", "701-70", "FIRST-LAST"},    // the store: does not parse
		{"transfer_recall_s", "soon", "number"},   // the form: not a number
		{"group_pickup_codes[0]", "4x", "0-9, *"}, // the store: not a code
	} {
		bad := url.Values{}
		for k, vs := range v {
			bad[k] = vs
		}
		bad.Set(tc.field, tc.value)
		w := c.post("/dialplan/features", bad)
		if w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s=%s: %d", tc.field, tc.value, w.Code)
			continue
		}
		row := fieldOf(t, w.Body.String(), tc.field)
		if !strings.Contains(row, "field-error") || !strings.Contains(row, tc.want) || !strings.Contains(row, `value="`+tc.value+`"`) {
			t.Errorf("%s=%s: the problem is not beside the field with the value kept: %s", tc.field, tc.value, row)
		}
	}
	if cfg2, _ := db.Config(); fmt.Sprint(cfg2.Features) != fmt.Sprint(cfg.Features) {
		t.Errorf("a refused change changed the features: %+v", cfg2.Features)
	}
}

// TestPickupGroupAndPagingForms: groups of extensions chosen from lists;
// a member that is not an extension is refused beside its row.
func TestPickupGroupAndPagingForms(t *testing.T) {
	c, db := dialPlanClient(t)
	page := c.get("/dialplan/pickup_groups/new").Body.String()
	if row := fieldOf(t, page, "members[0]"); !strings.Contains(row, `<option value="105">105 — Sales desk</option>`) {
		t.Fatalf("the members are not offered: %s", row)
	}
	form := url.Values{"name": {"office"}, "members[0]": {"101"}, "members[1]": {""}, "members[2]": {"105"}}
	if w := c.post("/dialplan/pickup_groups/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	form.Set("members[0]", "999")
	w := c.post("/dialplan/pickup_groups/0/edit?of=office", form)
	if row := fieldOf(t, w.Body.String(), "members[0]"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(row, "xtension 999 does not exist") {
		t.Fatalf("unknown member: %d %s", w.Code, row)
	}
	cfg, _ := db.Config()
	if len(cfg.PickupGroups) != 1 || !slices.Equal(cfg.PickupGroups[0].Members, []string{"101", "105"}) {
		t.Fatalf("stored %+v", cfg.PickupGroups)
	}
	if list := c.get("/dialplan/pickup_groups").Body.String(); !strings.Contains(list, "101, 105") {
		t.Error("the list does not name the members")
	}

	form = url.Values{"name": {"warehouse"}, "number": {""}, "members[0]": {"105"}, "duplex": {"on"}}
	w = c.post("/dialplan/paging_groups/new", form)
	if row := fieldOf(t, w.Body.String(), "number"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(row, "required") {
		t.Fatalf("no number: %d %s", w.Code, row)
	}
	form.Set("number", "850")
	if w := c.post("/dialplan/paging_groups/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	cfg, _ = db.Config()
	if want := (store.PagingGroup{Name: "warehouse", Number: "850", Members: []string{"105"}, Duplex: true}); len(cfg.PagingGroups) != 1 || fmt.Sprint(cfg.PagingGroups[0]) != fmt.Sprint(want) {
		t.Fatalf("stored %+v", cfg.PagingGroups)
	}
	// Menus and routes reach it as page:NAME.
	if !strings.Contains(c.get("/dialplan/inbound_routes/new").Body.String(), `<optgroup label="Paging groups"><option value="page:warehouse">warehouse`) {
		t.Error("the destinations do not offer the paging group")
	}
}

// TestConferenceRoomForm: a room goes through its form and back; a bad
// PIN is refused beside it; the room becomes a destination.
func TestConferenceRoomForm(t *testing.T) {
	c, db := dialPlanClient(t)
	c.get("/dialplan/conference_rooms/new")
	form := url.Values{"name": {"meeting"}, "number": {"800"}, "pin": {"12a4"}, "max_parties": {"10"}, "mute_key": {"#"}, "quiet": {"on"}}
	w := c.post("/dialplan/conference_rooms/new", form)
	if row := fieldOf(t, w.Body.String(), "pin"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(row, "digits") || !strings.Contains(row, `value="12a4"`) {
		t.Fatalf("bad PIN: %d %s", w.Code, row)
	}
	form.Set("pin", "1234")
	if w := c.post("/dialplan/conference_rooms/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	want := store.ConferenceRoom{Name: "meeting", Number: "800", PIN: "1234", MaxParties: 10, Quiet: true, MuteKey: "#"}
	cfg, _ := db.Config()
	if len(cfg.ConferenceRooms) != 1 || cfg.ConferenceRooms[0] != want {
		t.Fatalf("stored %+v", cfg.ConferenceRooms)
	}
	page := c.get("/dialplan/conference_rooms/0/edit?of=meeting").Body.String()
	back := formValues(t, page, "name", "number", "pin", "max_parties", "mute_key", "quiet")
	if w := c.post("/dialplan/conference_rooms/0/edit?of=meeting", back); w.Code != http.StatusSeeOther {
		t.Fatalf("saved unchanged: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); cfg.ConferenceRooms[0] != want {
		t.Errorf("the round trip changed the room: %+v", cfg.ConferenceRooms[0])
	}
	if !strings.Contains(c.get("/dialplan/ivr_menus/new").Body.String(), `<optgroup label="Conference rooms"><option value="conf:meeting">meeting`) {
		t.Error("the destinations do not offer the room")
	}
}

// TestMOHClassesAndPickers: a class of uploaded recordings (picked from
// the Recordings list) or of a live port; queues, inbound routes, extension
// rules and the features choose classes from a list; a class in use
// cannot be deleted.
func TestMOHClassesAndPickers(t *testing.T) {
	f, db, pw := newStoreFixture(t)
	f.svc.withRecordings(t)
	if _, err := f.svc.SaveRecording(t.Context(), "jazz", bytes.NewReader(audiotest.StudioWAV(440, 0.4))); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.login(pw)
	c.get("/password")
	c.post("/password", url.Values{"new_password": {"installer password"}, "confirm_password": {"installer password"}})

	page := c.get("/dialplan/moh_classes/new").Body.String()
	if row := fieldOf(t, page, "prompts[0].file"); !strings.Contains(row, `<option value="jazz.wav">jazz.wav (0:01)</option>`) {
		t.Fatalf("the recordings are not offered: %s", row)
	}
	if row := fieldOf(t, page, "port"); !strings.Contains(row, `value="fxo:1"`) || !strings.Contains(row, `value="fxs:2"`) {
		t.Fatalf("the ports are not offered: %s", row)
	}
	if w := c.post("/dialplan/moh_classes/new", url.Values{"name": {"jazz"}, "port": {""}, "prompts[0].file": {"jazz.wav"}, "prompts[1].file": {""}, "shuffle": {"on"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	w := c.post("/dialplan/moh_classes/new", url.Values{"name": {"radio"}, "port": {"fxo:1"}, "prompts[0].file": {"jazz.wav"}})
	if row := fieldOf(t, w.Body.String(), "port"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(row, "not both") {
		t.Fatalf("a port and recordings: %d %s", w.Code, row)
	}
	if w := c.post("/dialplan/moh_classes/new", url.Values{"name": {"radio"}, "port": {"fxo:1"}, "prompts[0].file": {""}}); w.Code != http.StatusSeeOther {
		t.Fatalf("create a live class: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if len(cfg.MOHClasses) != 2 || fmt.Sprint(cfg.MOHClasses[0]) != fmt.Sprint(store.MOHClass{Name: "jazz", Prompts: []store.Prompt{{File: "jazz.wav"}}, Shuffle: true}) ||
		cfg.MOHClasses[1].Port != "fxo:1" {
		t.Fatalf("stored %+v", cfg.MOHClasses)
	}
	if list := c.get("/dialplan/moh_classes").Body.String(); !strings.Contains(list, "jazz.wav (shuffled)") || !strings.Contains(list, "live from FXO line 1") {
		t.Errorf("the list does not say what each class plays")
	}

	// The pickers offer the classes and store the choice.
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/dialplan/queues/new", url.Values{"name": {"support"}, "strategy": {"ringall"}, "members[0].destination": {"ext:101"}, "moh_class": {"jazz"}}},
		{"/dialplan/inbound_routes/new", url.Values{"name": {"main"}, "lines": {"1"}, "destination": {"ext:101"}, "moh_class": {"radio"}}},
		{"/dialplan/extension_rules/new", url.Values{"extension": {"102"}, "moh_class": {"jazz"}, "forward_caller_id": {"caller"}}},
	} {
		if row := fieldOf(t, c.get(tc.path).Body.String(), "moh_class"); !strings.Contains(row, `<option value="jazz">jazz</option>`) || !strings.Contains(row, `<option value="radio">radio</option>`) {
			t.Errorf("%s does not offer the classes: %s", tc.path, row)
		}
		if w := c.post(tc.path, tc.form); w.Code != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", tc.path, w.Code, w.Body)
		}
	}
	v := formValues(t, c.get("/dialplan/features").Body.String(), "transfer_recall_s", "park_code", "park_slots", "park_timeout_s",
		"park_timeout_destination", "group_pickup_codes[0]", "directed_pickup_code", "intercom_code", "music_on_hold")
	v.Set("music_on_hold", "jazz")
	if w := c.post("/dialplan/features", v); w.Code != http.StatusSeeOther {
		t.Fatalf("features: %d %s", w.Code, w.Body)
	}
	cfg, _ = db.Config()
	if cfg.Queues[0].MOHClass != "jazz" || cfg.InboundRoutes[0].MOHClass != "radio" || cfg.ExtensionRules[0].MOHClass != "jazz" || cfg.Features.MusicOnHold != "jazz" {
		t.Fatalf("classes chosen: queue %q, route %q, rule %q, box %q", cfg.Queues[0].MOHClass, cfg.InboundRoutes[0].MOHClass, cfg.ExtensionRules[0].MOHClass, cfg.Features.MusicOnHold)
	}
	if w := c.post("/dialplan/moh_classes/1/delete?of=radio", nil); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "inbound route main, music on hold") {
		t.Errorf("a class a route uses was deleted, or the refusal does not say where: %d", w.Code)
	}
}

// TestExtensionRuleCallHandling: do not disturb, call waiting and music
// on hold on the extension rule form; the extension's pages show them.
func TestExtensionRuleCallHandling(t *testing.T) {
	c, db := dialPlanClient(t)
	page := c.get("/dialplan/extension_rules/new").Body.String()
	if row := fieldOf(t, page, "call_waiting"); !strings.Contains(row, " checked") {
		t.Errorf("a new rule does not have call waiting on: %s", row)
	}
	form := url.Values{"extension": {"105"}, "forward_caller_id": {"caller"}, "dnd": {"on"}}
	if w := c.post("/dialplan/extension_rules/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if r := cfg.ExtensionRules[0]; !r.DND || !r.NoCallWaiting {
		t.Fatalf("stored %+v", r)
	}
	if list := c.get("/dialplan/extension_rules").Body.String(); !strings.Contains(list, "do not disturb; no call waiting") {
		t.Error("the rules list does not say so")
	}
	page = c.get("/dialplan/extension_rules/0/edit?of=105").Body.String()
	if !strings.Contains(fieldOf(t, page, "dnd"), " checked") || strings.Contains(fieldOf(t, page, "call_waiting"), " checked") {
		t.Error("the edit page does not show the stored call handling")
	}
	if row := rowOf(t, c.get("/extensions").Body.String(), "ext-105"); !strings.Contains(row, "do not disturb") || !strings.Contains(row, "no call waiting") {
		t.Errorf("the extensions list does not show the call handling: %s", row)
	}
	page = c.get("/extensions/105/edit").Body.String()
	if !strings.Contains(page, `id="handling-dnd"><span class="badge bad">on</span>`) || !strings.Contains(page, `href="/dialplan/extension_rules/0/edit?of=105"`) {
		t.Errorf("the extension's page does not show do not disturb with the way to its rule")
	}
	if page := c.get("/extensions/101/edit").Body.String(); !strings.Contains(page, `id="handling-dnd">off`) || !strings.Contains(page, `href="/dialplan/extension_rules/new"`) {
		t.Errorf("an extension without a rule: %s", page)
	}
}
