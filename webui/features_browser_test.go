package webui

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"minipbx/telephony/store"
)

// TestBrowserCallFeatures: an installer sets the park slots on the
// Features page, makes a pickup group and a conference room through their
// forms in Chromium against a real store, and the values are stored; a
// bad PIN is refused beside its field with what was typed kept, and the
// features' guide follows the slots.
func TestBrowserCallFeatures(t *testing.T) {
	base, db := serveStoreForBrowser(t, nil)
	ctx := newBrowser(t)

	loginTo(t, ctx, base, "/dialplan", "dialplan-link-features")
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("dialplan-link-features")))
	if v := run(t, ctx, chromedp.Value(chromedp.ID("park_slots"))); v != "701-709" {
		t.Errorf("a new box's slots: %q", v)
	}
	do(t, ctx, fill("park_slots", "701-705"), fillID("group_pickup_codes[1]", "40"))
	submit(t, ctx, "flash")
	screenshot(t, ctx, "features")
	if f := storedPlan(t, db).Features; f.ParkSlots != "701-705" || f.ParkCode != "700" || !slices.Equal(f.GroupPickupCodes, []string{"*8", "40"}) {
		t.Fatalf("stored features %+v", f)
	}
	if guide := text(t, ctx, "feature-guide"); !strings.Contains(guide, "701 … 705") || !strings.Contains(guide, "*8 or 40") {
		t.Errorf("the guide does not show the stored codes: %q", guide)
	}

	// A pickup group of 101 and 102, chosen from the extensions.
	do(t, ctx, chromedp.Navigate(base+"/dialplan/pickup_groups"), chromedp.WaitVisible(chromedp.ID("new-object")))
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("new-object")))
	do(t, ctx, fill("name", "front-desk"))
	choose(t, ctx, "members[0]", "101")
	choose(t, ctx, "members[1]", "102")
	submit(t, ctx, "flash")
	if row := text(t, ctx, "object-0"); !strings.Contains(row, "front-desk") || !strings.Contains(row, "101, 102") {
		t.Errorf("pickup group listed as %q", row)
	}
	if g := storedPlan(t, db).PickupGroups; len(g) != 1 || g[0].Name != "front-desk" || !slices.Equal(g[0].Members, []string{"101", "102"}) {
		t.Fatalf("stored pickup groups %+v", g)
	}

	// A conference room, its PIN refused once.
	do(t, ctx, chromedp.Navigate(base+"/dialplan/conference_rooms"), chromedp.WaitVisible(chromedp.ID("new-object")))
	follow(t, ctx, "object-form", chromedp.Click(chromedp.ID("new-object")))
	do(t, ctx, fill("name", "meeting"), fill("number", "800"), fill("pin", "12a"), fill("max_parties", "10"))
	submit(t, ctx, "pin-error")
	if v, msg := besideField(t, ctx, "pin"); v != "12a" || !strings.Contains(msg, "digits") {
		t.Errorf("a bad PIN: %q beside it, value %q", msg, v)
	}
	if v := run(t, ctx, chromedp.Value(chromedp.ID("number"))); v != "800" {
		t.Errorf("the number typed was not kept: %q", v)
	}
	do(t, ctx, fill("pin", "4321"))
	submit(t, ctx, "flash")
	screenshot(t, ctx, "conference-rooms")
	if r := storedPlan(t, db).ConferenceRooms; len(r) != 1 || r[0] != (store.ConferenceRoom{Name: "meeting", Number: "800", PIN: "4321", MaxParties: 10}) {
		t.Fatalf("stored rooms %+v", r)
	}
}
