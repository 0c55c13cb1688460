package store

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// jsonNames are the JSON names of a struct type's fields, in order.
func jsonNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// TestSectionTableCoversTheDocument: every section of Config between the
// box's own parts and its settings, and every field of DialPlan, is in
// the sections table, in the same order; nothing else is.
func TestSectionTableCoversTheDocument(t *testing.T) {
	cfg := jsonNames(reflect.TypeFor[Config]())
	base := []string{"version", "system", "extensions", "fxo_lines", "fxs_ports"}
	if !slices.Equal(cfg[:len(base)], base) {
		t.Fatalf("Config starts with %v", cfg[:len(base)])
	}
	settings := SettingsSections() // the box's settings come after the dial plan
	plan := cfg[len(base) : len(cfg)-len(settings)]
	if !slices.Equal(cfg[len(cfg)-len(settings):], settings) {
		t.Errorf("Config ends with %v, the settings are %v", cfg[len(cfg)-len(settings):], settings)
	}
	if got := DialPlanSections(); !slices.Equal(plan, got) {
		t.Errorf("Config's dial-plan fields %v, the section table %v", plan, got)
	}
	if got := jsonNames(reflect.TypeFor[DialPlan]()); !slices.Equal(got, DialPlanSections()) {
		t.Errorf("DialPlan's fields %v, the section table %v", got, DialPlanSections())
	}
	for _, s := range planTable {
		if s.check == nil || s.data.ptr == nil {
			t.Errorf("section %s has no check or no data", s.key)
		}
		if s.data.list != (reflect.TypeOf(s.data.ptr(&Config{})).Elem().Kind() == reflect.Slice) && s.key != "voicemail" {
			t.Errorf("section %s: list %v but its value is a %s", s.key, s.data.list, reflect.TypeOf(s.data.ptr(&Config{})).Elem())
		}
		if s.dest != "" && SectionOf(s.dest) != s.key {
			t.Errorf("destination kind %s names %s, not %s", s.dest, SectionOf(s.dest), s.key)
		}
	}
}

// TestSectionDataRoundTrips: the example plan through DialPlan and
// SetDialPlan, CopySection section by section, and a clone whose nested
// lists are edited without touching the original.
func TestSectionDataRoundTrips(t *testing.T) {
	c := dialPlanExample(t)
	var back Config
	back.Version, back.System, back.Extensions, back.FXOLines, back.FXSPorts = c.Version, c.System, c.Extensions, c.FXOLines, c.FXSPorts
	back.Billing, back.Mail, back.Provisioning = c.Billing, c.Mail, c.Provisioning
	back.SetDialPlan(c.DialPlan())
	if !reflect.DeepEqual(back, c) {
		t.Errorf("DialPlan/SetDialPlan:\n got %+v\nwant %+v", back, c)
	}
	var one Config
	one.Version, one.System, one.Extensions, one.FXOLines, one.FXSPorts = c.Version, c.System, c.Extensions, c.FXOLines, c.FXSPorts
	one.Billing, one.Mail, one.Provisioning = c.Billing, c.Mail, c.Provisioning
	for _, k := range DialPlanSections() {
		if !one.CopySection(&c, k) {
			t.Fatalf("CopySection(%s) refused", k)
		}
	}
	if !reflect.DeepEqual(one, c) {
		t.Errorf("CopySection of every section:\n got %+v\nwant %+v", one, c)
	}
	if one.CopySection(&c, "nonsense") {
		t.Error("CopySection took an unknown section")
	}
	before, _ := json.Marshal(c)
	cl := cloneConfig(c)
	cl.RingGroups[0].Members[0].Destination = "ext:999"
	cl.Menus[0].Keys["1"] = "hangup"
	cl.Schedules[0].Hours[0] = "sat 01:00-02:00"
	cl.ExtensionRules[0].FollowMe = append(cl.ExtensionRules[0].FollowMe[:0], GroupMember{Destination: "ext:999"})
	if after, _ := json.Marshal(c); string(after) != string(before) {
		t.Error("editing a clone changed the original")
	}
}

// deleteObject removes object name of target from c (as an installer
// deleting it would), by its JSON form so that it works for any section.
func deleteObject(t *testing.T, c Config, target, name string) Config {
	t.Helper()
	if target == SectionExtensions {
		c.Extensions = slices.DeleteFunc(slices.Clone(c.Extensions), func(e Extension) bool { return e.Number == name })
		return c
	}
	raw, _ := json.Marshal(c)
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	list, key := doc[target], "name"
	if target == "voicemail" {
		list, key = doc["voicemail"].(map[string]any)["boxes"], "extension"
	}
	objs, _ := list.([]any)
	kept := slices.DeleteFunc(objs, func(o any) bool { return o.(map[string]any)[key] == name })
	if len(kept) == len(objs) {
		t.Fatalf("%s has no %s", target, name)
	}
	if target == "voicemail" {
		doc["voicemail"].(map[string]any)["boxes"] = kept
	} else {
		doc[target] = kept
	}
	raw, _ = json.Marshal(doc)
	var out Config
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	normalizeDialPlan(&out)
	return out
}

// TestReferencesAreWhatValidationNeeds: for every object the example
// plan refers to, deleting it makes the validation refuse exactly the
// fields UsersOf names — so the references the sections report are the
// ones the rules depend on, and "in use by" names all of them.
func TestReferencesAreWhatValidationNeeds(t *testing.T) {
	c := dialPlanExample(t)
	// What config.md's example lacks: a mailbox, a music class, a room
	// and a paging group, each in use.
	c.Voicemail.Boxes = []Mailbox{{Extension: "203", PIN: "4826"}}
	c.MOHClasses = []MOHClass{{Name: "jazz", Prompts: []Prompt{{File: "jazz.wav"}}}}
	c.Queues[0].MOHClass = "jazz"
	c.ConferenceRooms = []ConferenceRoom{{Name: "meet"}}
	c.PagingGroups = []PagingGroup{{Name: "all", Number: "650", Members: []string{"201"}}}
	c.Menus[0].Keys["9"], c.Menus[0].Keys["4"], c.Menus[0].Keys["5"] = "voicemail:203", "conf:meet", "page:all"
	v := &validator{limits: *testOptions().Limits}
	if is := v.check(&c); len(is) != 0 {
		t.Fatalf("the example is invalid: %v", is)
	}
	targets := map[[2]string]bool{}
	for _, r := range c.References() {
		if r.Target != TargetRecordings {
			targets[[2]string{r.Target, r.Name}] = true
		}
	}
	// Every kind of object that can be referred to is in the example.
	for _, want := range []string{"extensions", "voicemail", "ring_groups", "queues", "ivr_menus", "announcements", "time_conditions",
		"conditions", "schedules", "line_groups", "trunks", "classifiers", "moh_classes", "conference_rooms", "paging_groups"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(targets)), func(k [2]string) bool { return k[0] == want }) {
			t.Errorf("the example refers to no object of %s: extend config.md's example", want)
		}
	}
	for tg := range targets {
		after := deleteObject(t, cloneConfig(c), tg[0], tg[1])
		var got []string
		for _, is := range v.check(&after) {
			got = append(got, is.path)
		}
		var want []string
		for _, r := range c.UsersOf(tg[0], tg[1]) {
			want = append(want, r.Path)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
			t.Errorf("deleting %s %s: validation refuses %v, UsersOf says %v", tg[0], tg[1], got, want)
		}
	}
}

// TestDeleteExtensionNamesItsUsers: an extension a ring group, an FXO
// line, a menu (through its mailbox), a provisioned phone and a web
// account use is not deleted; the refusal
// names each user in words, and nothing changed.
func TestDeleteExtensionNamesItsUsers(t *testing.T) {
	db, _ := openTemp(t)
	if _, err := db.UpdateDialPlan(func(c *Config) error {
		c.RingGroups = []RingGroup{{Name: "sales", Strategy: "ringall", Members: []GroupMember{{Destination: "ext:101"}, {Destination: "ext:102"}}}}
		c.Voicemail.Boxes = []Mailbox{{Extension: "102", PIN: "4826"}}
		c.Menus = []Menu{{Name: "main", Keys: map[string]string{"9": "voicemail:102"}}}
		c.ExtensionRules = []ExtensionRule{{Extension: "102", DND: true}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetPhone(Phone{MAC: "001565a1b2c3", Extension: "102", Template: "yealink"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateAccount(Account{Login: "102", Role: RoleUser}, ""); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Config()
	err := db.DeleteExtension("102")
	var iu *InUseError
	if !errors.As(err, &iu) {
		t.Fatalf("not an InUseError: %v", err)
	}
	var paths []string
	for _, u := range iu.Users {
		paths = append(paths, u.Path)
	}
	want := []string{"ring_groups[0].members[1].destination", "ivr_menus[0].keys.9", "provisioning.phones[0].extension", "accounts.102.extension"}
	if !slices.Equal(paths, want) {
		t.Errorf("users %v, want %v", paths, want)
	}
	for _, s := range []string{"ring group sales (members[1].destination)", "voice menu main (keys.9)", "phone 001565a1b2c3 (extension)", "web account 102 (extension)"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not say %q", err, s)
		}
	}
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != "number" {
		t.Errorf("not a validation error of the number: %v", err)
	}
	if after, _ := db.Config(); !reflect.DeepEqual(after, before) {
		t.Error("a refused delete changed the configuration")
	}
	if c, _ := db.Config(); len(c.UsersOf("extensions", "101")) != 3 {
		t.Errorf("101 is used by %v, want both FXO lines and the ring group", c.UsersOf("extensions", "101"))
	}
}

// TestUpdateExtensionProfile: an extension's settings, rule and mailbox
// are saved together; an empty PIN keeps the stored one; a rule that
// sets nothing and a nil mailbox are removed; one bad part refuses the
// whole, with the rule's problem by its document path, and nothing
// changes.
func TestUpdateExtensionProfile(t *testing.T) {
	db, _ := openTemp(t)
	p, ok := func() (ExtensionProfile, bool) { c, _ := db.Config(); return c.Profile("101") }()
	if !ok || p.Rule != nil || p.Mailbox != nil {
		t.Fatalf("profile of a new box's 101: %+v %v", p, ok)
	}
	p.Extension.Name = "Reception"
	p.Rule = &ExtensionRule{ForwardBusy: "voicemail:101", DND: true}
	p.Mailbox = &Mailbox{PIN: "4826"}
	got, err := db.UpdateExtensionProfile("101", p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Extension.Name != "Reception" || got.Extension.Secret == "" || got.Rule == nil || got.Rule.Extension != "101" || !got.Rule.DND ||
		got.Mailbox == nil || got.Mailbox.PIN != "4826" {
		t.Fatalf("saved %+v %+v %+v", got.Extension, got.Rule, got.Mailbox)
	}
	before, _ := db.Config()
	bad := got
	bad.Extension.FXSPort = 9
	bad.Rule = &ExtensionRule{ForwardBusy: "group:nowhere"}
	bad.Mailbox = &Mailbox{}
	_, err = db.UpdateExtensionProfile("101", bad)
	if f := fieldsOf(t, err); !slices.Equal(f, []string{"fxs_port", "extension_rules[0].forward_busy"}) {
		t.Errorf("fields %v (%v)", f, err)
	}
	if after, _ := db.Config(); !reflect.DeepEqual(after, before) {
		t.Error("a refused profile changed the configuration")
	}
	got.Rule = &ExtensionRule{}
	got.Mailbox = &Mailbox{SkipPIN: true} // empty PIN: the stored one
	if got, err = db.UpdateExtensionProfile("101", got); err != nil || got.Rule != nil || got.Mailbox.PIN != "4826" || !got.Mailbox.SkipPIN {
		t.Fatalf("empty rule, PIN kept: %+v %+v %v", got.Rule, got.Mailbox, err)
	}
	got.Mailbox = nil
	if got, err = db.UpdateExtensionProfile("101", got); err != nil || got.Mailbox != nil {
		t.Fatalf("mailbox removed: %+v %v", got.Mailbox, err)
	}
	if _, err := db.UpdateExtensionProfile("555", got); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown extension: %v", err)
	}
}
