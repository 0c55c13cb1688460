package webui

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// flowPlan is an office plan with a schedule, a menu and a ring group:
// line 1 goes by the schedule to the menu (open) or an announcement then
// voicemail (closed); key 1 rings the sales group, key 2 a time
// condition; the group falls back to 102's voicemail.
func flowPlan(c *store.Config) error {
	c.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}}}
	c.Voicemail.Boxes = []store.Mailbox{{Extension: "102", PIN: "4826"}}
	c.RingGroups = []store.RingGroup{{Name: "sales", Strategy: "ringall", Members: []store.GroupMember{{Destination: "ext:101"}, {Destination: "ext:102"}},
		Timeout: "voicemail:102"}}
	c.Announcements = []store.Announcement{{Name: "closed", Prompts: []store.Prompt{{MS: 500}}, Then: "voicemail:102"}}
	c.TimeConditions = []store.TimeCondition{{Name: "lunch", Schedule: "office", Open: "ext:102", Closed: "hangup"}}
	c.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{Tone: "440", MS: 500}}, Keys: map[string]string{"1": "group:sales", "2": "time:lunch"},
		DefaultDestination: "ext:101"}}
	c.InboundRoutes = []store.InboundRoute{{Name: "day", Lines: []int{1}, Schedule: "office", Destination: "menu:main", ClosedDestination: "announce:closed"}}
	return nil
}

// TestCallFlowDiagram: the diagram of line 1 has a box for the line, the
// route, its schedule's two branches, the menu with its keys, the group
// and its fallback, each a link to its form; every arrow joins two
// boxes; nothing of the plan is drawn twice.
func TestCallFlowDiagram(t *testing.T) {
	c, db := dialPlanClient(t)
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error { return flowPlan(cfg) }); err != nil {
		t.Fatal(err)
	}
	w := c.get("/dialplan/flow?entry=fxo:1")
	page := html.UnescapeString(w.Body.String())
	if w.Code != 200 || !strings.Contains(page, "<svg") {
		t.Fatalf("flow: %d %s", w.Code, page)
	}
	for _, want := range []string{
		`href="/dialplan/inbound_routes/0/edit?of=day"`, `href="/dialplan/schedules/0/edit?of=office"`,
		`href="/dialplan/ivr_menus/0/edit?of=main"`, `href="/dialplan/ring_groups/0/edit?of=sales"`,
		`href="/dialplan/announcements/0/edit?of=closed"`, `href="/dialplan/time_conditions/0/edit?of=lunch"`,
		`href="/extensions/102"`, `href="/dialplan/voicemail"`,
		`>key 1</text>`, `>key 2</text>`, `>open</text>`, `>closed</text>`, `>no answer</text>`, `>office closed</text>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the diagram lacks %s", want)
		}
	}
	if n := strings.Count(page, `href="/dialplan/ring_groups/0/edit?of=sales"`); n != 1 {
		t.Errorf("the ring group is drawn %d times", n)
	}
	boxes := regexp.MustCompile(`<rect x="(\d+)" y="(\d+)"`).FindAllStringSubmatch(page, -1)
	if len(boxes) < 10 {
		t.Errorf("%d boxes", len(boxes))
	}
	seen := map[string]bool{}
	for _, b := range boxes {
		if seen[b[1]+","+b[2]] {
			t.Errorf("two boxes at %s,%s", b[1], b[2])
		}
		seen[b[1]+","+b[2]] = true
	}
	if len(page) > 30<<10 {
		t.Errorf("the page is %d bytes", len(page))
	}
	// A member switched off is not rung, so not drawn.
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.RingGroups[0].Members = append(cfg.RingGroups[0].Members, store.GroupMember{Destination: "number:89160000000", Off: true})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if page := c.get("/dialplan/flow?entry=fxo:1").Body.String(); !strings.Contains(page, ">member 2</text>") || strings.Contains(page, ">member 3</text>") || strings.Contains(page, "89160000000") {
		t.Error("the diagram draws a member switched off (or lost the others)")
	}
	if w := c.get("/dialplan/flow?entry=fxo:9"); w.Code != http.StatusNotFound {
		t.Errorf("an unknown line: %d", w.Code)
	}
	// The index lists every line; the first is shown by default.
	if page := c.get("/dialplan/flow").Body.String(); !strings.Contains(page, `id="flow-fxo:2"`) || !strings.Contains(page, "<svg") {
		t.Errorf("index: %s", page)
	}
}

// TestPlanPagesStayLight: the pages this work added or rebuilt stay
// under 30 KB (uncompressed) with a plan of every kind of object; go
// test -v prints their sizes.
func TestPlanPagesStayLight(t *testing.T) {
	c, db := dialPlanClient(t)
	everyKindPlan(t, db)
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.InboundRoutes = []store.InboundRoute{{Name: "day", Lines: []int{1}, Schedule: "office", Destination: "menu:main", ClosedDestination: "announce:closed"}}
		cfg.Menus[0].Keys = map[string]string{"1": "group:sales", "2": "queue:support", "3": "time:hours", "0": "ext:101"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dialplan", "/dialplan/ivr_menus/0/edit?of=main", "/dialplan/ring_groups/new", "/dialplan/schedules/new",
		"/extensions/105", "/dialplan/route-tester?from=101&number=105", "/dialplan/flow?entry=fxo:1", "/settings"} {
		w := c.get(path)
		t.Logf("%-45s %5.1f KB", path, float64(w.Body.Len())/1024)
		if w.Body.Len() > 30<<10 {
			t.Errorf("%s is %d bytes", path, w.Body.Len())
		}
	}
}
