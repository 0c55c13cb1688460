package webui

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"minipbx/telephony/store"
)

// Browser tests of the dial plan's pickers and compact forms, the page
// of one extension and the call-flow diagram, in a real Chromium against
// a real store database, scripts on (forms.js).

// setValue sets an input's value as typing would (time inputs take no
// keys reliably) and says it changed.
func setValue(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById(` + jsString(id) + `);
		e.value = ` + jsString(value) + `; e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); })()`)
}

// visibleOptions are the values of the options a select shows (not in
// a hidden group).
func visibleOptions(t *testing.T, ctx context.Context, id string) []string {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[[]string](`[...document.getElementById(`+jsString(id)+`).options]
		.filter((o) => !o.hidden && !(o.parentElement.tagName === "OPTGROUP" && o.parentElement.hidden)).map((o) => o.value)`))
}

// TestBrowserMenuKeyTable: a voice menu's keys are a table of twelve
// rows, each a picker and no help of its own; the picker is a choice of
// kind, then of object; an outside number gets its box; "create new…"
// asks which kind at once, opens the ring group's form and, once the group is
// saved, comes back to the menu as typed with the new group on that key.
func TestBrowserMenuKeyTable(t *testing.T) {
	base, db := serveStoreForBrowser(t, func(c *store.Config) error {
		c.RingGroups = []store.RingGroup{{Name: "sales", Strategy: "ringall", Members: []store.GroupMember{{Destination: "ext:101"}}}}
		c.Voicemail.Boxes = []store.Mailbox{{Extension: "102", PIN: "4826"}}
		return nil
	})
	ctx := newBrowser(t)
	loginTo(t, ctx, base, "/dialplan/ivr_menus/new", "object-form")
	screenshot(t, ctx, "menu-form")
	got := run(t, ctx, chromedp.Evaluate[[]int](`[document.querySelectorAll('[id="keys"] tbody tr').length,
		document.querySelectorAll('[id="keys-field"] .help').length, document.querySelectorAll('[id="keys-field"] select[data-picker]').length,
		document.querySelectorAll('[id="keys-field"] .picker-kind').length]`))
	if !slices.Equal(got, []int{12, 1, 12, 12}) {
		t.Errorf("key table: rows, helps, pickers, kind choices = %v, want 12 1 12 12", got)
	}
	// Kind first: ring groups; the object list then offers the groups.
	do(t, ctx, chromedp.SetValue(byID("keys.1-kind"), "group"), chromedp.Evaluate[chromedp.Void](
		`document.getElementById("keys.1-kind").dispatchEvent(new Event("change", {bubbles: true}))`))
	if v := visibleOptions(t, ctx, "keys.1"); !slices.Equal(v, []string{"group:sales"}) {
		t.Errorf("ring groups offer %q", v)
	}
	if v := run(t, ctx, chromedp.Value(byID("keys.1"))); v != "group:sales" {
		t.Errorf("choosing the kind chose %q", v)
	}
	// An outside number: its box appears only then.
	if hidden := run(t, ctx, chromedp.Evaluate[bool](`document.getElementById("keys.2-number").hidden`)); !hidden {
		t.Error("the outside-number box shows before it is wanted")
	}
	do(t, ctx, pick("keys.2", "number:"))
	if hidden := run(t, ctx, chromedp.Evaluate[bool](`document.getElementById("keys.2-number").hidden`)); hidden {
		t.Error("the outside-number box stays hidden")
	}
	do(t, ctx, fillID("keys.2-number", "89161234567"), pick("keys.0", "voicemail:102"), fill("name", "main"),
		fillID("prompts[0].tone", "440"), fillID("prompts[0].ms", "500"))
	// Create new: the box asks which kind, then the group's form opens.
	follow(t, ctx, "create-choices", pick("keys.3", "new:*"))
	follow(t, ctx, "draft-note", chromedp.Click(chromedp.ID("create-ring_groups")))
	do(t, ctx, fill("name", "support"), pick("members[0].destination", "ext:102"))
	follow(t, ctx, "keys", chromedp.Click(chromedp.ID("object-form-submit")))
	vals := run(t, ctx, chromedp.Evaluate[[]string](`["name", "keys.1", "keys.2", "keys.2-number", "keys.3", "keys.0", "prompts[0].tone"]
		.map((id) => document.getElementById(id).value)`))
	if want := []string{"main", "group:sales", "number:", "89161234567", "group:support", "voicemail:102", "440"}; !slices.Equal(vals, want) {
		t.Fatalf("back on the menu: %q, want %q", vals, want)
	}
	submit(t, ctx, "flash")
	c := storedPlan(t, db)
	want := map[string]string{"1": "group:sales", "2": "number:89161234567", "3": "group:support", "0": "voicemail:102"}
	if len(c.Menus) != 1 || !maps.Equal(c.Menus[0].Keys, want) || len(c.RingGroups) != 2 {
		t.Fatalf("stored %+v, groups %+v", c.Menus, c.RingGroups)
	}
}

// TestBrowserScheduleWeekGrid: a schedule's week is a grid of time
// inputs; "copy Monday to Tuesday–Friday" copies in place (no page
// load), and the schedule saved is Monday to Friday with a lunch break.
func TestBrowserScheduleWeekGrid(t *testing.T) {
	base, db := serveStoreForBrowser(t, nil)
	ctx := newBrowser(t)
	loginTo(t, ctx, base, "/dialplan/schedules/new", "object-form")
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[id="week"] input[type="time"]').length`)); n != 28 {
		t.Errorf("%d time inputs, want 7 days × 4", n)
	}
	do(t, ctx, fill("name", "office"), setValue("day_mon.0", "09:00"), setValue("day_mon.1", "13:00"),
		setValue("day_mon.2", "14:00"), setValue("day_mon.3", "18:00"), chromedp.Evaluate[chromedp.Void](`window.__samePage = true`),
		chromedp.Click(chromedp.ID("copy-weekdays")))
	screenshot(t, ctx, "schedule-week")
	got := run(t, ctx, chromedp.Evaluate[[]string](`[window.__samePage ? "same page" : "reloaded", document.getElementById("week-copied").hidden ? "" : "copied",
		...["tue", "wed", "thu", "fri", "sat"].map((d) => [0, 1, 2, 3].map((i) => document.getElementById("day_" + d + "." + i).value).join(" "))]`))
	want := []string{"same page", "copied", "09:00 13:00 14:00 18:00", "09:00 13:00 14:00 18:00", "09:00 13:00 14:00 18:00", "09:00 13:00 14:00 18:00", "   "}
	if !slices.Equal(got, want) {
		t.Errorf("after the copy: %q, want %q", got, want)
	}
	submit(t, ctx, "flash")
	if s := storedPlan(t, db).Schedules; len(s) != 1 || strings.Join(s[0].Hours, ";") != "mon-fri 09:00-13:00;mon-fri 14:00-18:00" {
		t.Fatalf("stored %+v", s)
	}
}

// TestBrowserExtensionPage: everything about extension 102 on one page:
// the installer gives it a mailbox, forwards it to that mailbox when
// busy and to a mobile when unanswered (pickers), turns on do not
// disturb, and saves once; a port already taken comes back beside its
// field with the rest kept.
func TestBrowserExtensionPage(t *testing.T) {
	base, db := serveStoreForBrowser(t, nil)
	ctx := newBrowser(t)
	loginTo(t, ctx, base, "/extensions", "edit-102")
	follow(t, ctx, "profile-form", chromedp.Click(chromedp.ID("edit-102")))
	do(t, ctx, fill("name", "Sales"), chromedp.Click(chromedp.ID("mailbox")), fillID("pin", "4826"),
		chromedp.Click(chromedp.ID("dnd")), pickNumber("forward_no_answer", "89161234567"))
	// The mailbox exists once saved: busy goes to it, after a refusal.
	choose(t, ctx, "fxs_port", "1") // 101's port
	follow(t, ctx, "fxs_port-error", chromedp.Click(chromedp.ID("profile-form-submit")))
	screenshot(t, ctx, "extension-page-error")
	if v := run(t, ctx, chromedp.Value(chromedp.ID("name"))); v != "Sales" {
		t.Errorf("the name typed was not kept: %q", v)
	}
	if v := run(t, ctx, chromedp.Value(byID("forward_no_answer-number"))); v != "89161234567" {
		t.Errorf("the mobile typed was not kept: %q", v)
	}
	choose(t, ctx, "fxs_port", "2")
	do(t, ctx, fillID("pin", "4826"))
	follow(t, ctx, "flash", chromedp.Click(chromedp.ID("profile-form-submit")))
	choose(t, ctx, "forward_busy", "voicemail:102")
	follow(t, ctx, "flash", chromedp.Click(chromedp.ID("profile-form-submit")))
	cfg := storedPlan(t, db)
	p, _ := cfg.Profile("102")
	if p.Extension.Name != "Sales" || p.Extension.FXSPort != 2 || p.Mailbox == nil || p.Mailbox.PIN != "4826" || p.Rule == nil || !p.Rule.DND ||
		p.Rule.ForwardBusy != "voicemail:102" || p.Rule.ForwardNoAnswer != "number:89161234567" {
		t.Fatalf("stored %+v %+v %+v", p.Extension, p.Rule, p.Mailbox)
	}
}

// TestBrowserCallFlow: the call flow of a line with a schedule, a menu
// and a ring group is drawn (an SVG of real size, every arrow and box in
// it), and a click on the menu's box opens the menu's form.
func TestBrowserCallFlow(t *testing.T) {
	base, _ := serveStoreForBrowser(t, flowPlan)
	ctx := newBrowser(t)
	loginTo(t, ctx, base, "/dialplan/flow?entry=fxo:1", "flow")
	screenshot(t, ctx, "call-flow")
	got := run(t, ctx, chromedp.Evaluate[[]float64](`(() => {
		const svg = document.getElementById("flow"), box = svg.getBBox(), r = svg.getBoundingClientRect();
		const out = [...svg.querySelectorAll("a.flow-node")].filter((a) => {
			const b = a.getBBox(); return b.x < box.x || b.y < box.y || b.x + b.width > box.x + box.width + 1 || b.y + b.height > box.y + box.height + 1; }).length;
		return [box.width, box.height, r.width, svg.querySelectorAll("a.flow-node[href]").length, svg.querySelectorAll("path.flow-edge").length, out];
	})()`))
	if got[0] < 300 || got[1] < 200 || got[2] < 300 || got[3] < 10 || got[4] < got[3]-1 || got[5] != 0 {
		t.Errorf("drawing: bbox %v×%v, shown %v wide, %v linked boxes, %v arrows, %v boxes outside", got[0], got[1], got[2], got[3], got[4], got[5])
	}
	follow(t, ctx, "object-form", chromedp.Click(chromedp.CSS(`a.flow-node[href^="/dialplan/ivr_menus/"]`)))
	if v := run(t, ctx, chromedp.Value(chromedp.ID("name"))); v != "main" {
		t.Errorf("the menu's box opened %q", v)
	}
}
