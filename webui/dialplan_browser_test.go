package webui

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"minipbx/telephony/store"
)

// byID selects an element whose id has characters CSS would read as
// syntax (the dial-plan forms' "members[1].destination").
func byID(id string) chromedp.CSS { return chromedp.CSS(`[id="` + id + `"]`) }

func fillID(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Clear(byID(id)), chromedp.SendKeys(byID(id), value))
}

// pick chooses value in the select id (a destination picker), as a
// click on the option would, and fails when the select has no such
// option.
func pick(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById(` + jsString(id) + `);
		if (!s || ![...s.options].some((o) => o.value === ` + jsString(value) + `)) throw new Error("no choice " + ` + jsString(value) + ` + " in " + ` + jsString(id) + `);
		s.value = ` + jsString(value) + `;
		s.dispatchEvent(new Event("change", { bubbles: true }));
	})()`)
}

// pickNumber chooses "outside number" in the picker id and types digits
// in the box beside it.
func pickNumber(id, digits string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(pick(id, "number:"), fillID(id+"-number", digits))
}

// TestBrowserRingGroupForm: an installer creates a ring group with two
// members in a real Chromium, choosing them with the pickers; the second
// member's extension is deleted meanwhile, so the service refuses it, and
// the message appears inside that member's field (tied to its select by
// aria-describedby) with what was chosen kept; corrected, the group is
// saved and listed.
func TestBrowserRingGroupForm(t *testing.T) {
	svc := newFakeService()
	svc.mustChange = false
	svc.exts = append(svc.exts, store.Extension{Number: "102", Name: "Sales desk"}, store.Extension{Number: "103", Name: "Temp"})
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(base+"/dialplan/ring_groups"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", "initial-pass"), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("new-object")),
		chromedp.Click(chromedp.ID("new-object")), chromedp.WaitVisible(chromedp.ID("object-form")),
		fill("name", "sales"), fill("number", "300"),
		chromedp.SetValue(chromedp.ID("strategy"), "linear"),
		pick("members[0].destination", "ext:101"), fillID("members[0].ring_s", "15"),
		pick("members[1].destination", "ext:103"))
	svc.mu.Lock()
	svc.exts = svc.exts[:2] // 103 is deleted meanwhile
	svc.mu.Unlock()
	do(t, ctx, chromedp.Click(chromedp.ID("object-form-submit")),
		chromedp.WaitVisible(byID("members[1].destination-error")))
	screenshot(t, ctx, "ring-group-error")
	got := run(t, ctx, chromedp.Evaluate[string](`(() => {
		const input = document.getElementById("members[1].destination");
		const err = document.getElementById("members[1].destination-error");
		const box = document.getElementById("members[1].destination-field");
		return [box.contains(err), input.value, input.getAttribute("aria-describedby").split(" ").includes(err.id),
			input.getAttribute("aria-invalid"), err.textContent.trim(),
			document.getElementById("members[0].destination").value, document.getElementById("strategy").value,
			document.querySelectorAll(".field-error").length].join("|");
	})()`))
	if want := "true|ext:103|true|true|Extension 103 does not exist.|ext:101|linear|1"; got != want {
		t.Fatalf("error beside the member: %q, want %q", got, want)
	}
	do(t, ctx, pick("members[1].destination", "ext:102"), chromedp.Click(chromedp.ID("object-form-submit")),
		chromedp.WaitVisible(chromedp.ID("object-0")))
	screenshot(t, ctx, "ring-groups")
	if row := text(t, ctx, "object-0"); !strings.Contains(row, "sales") || !strings.Contains(row, "ext:101, ext:102") {
		t.Errorf("listed: %q", row)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if g := svc.plan.RingGroups; len(g) != 1 || len(g[0].Members) != 2 || g[0].Members[0].RingS != 15 || g[0].Strategy != "linear" {
		t.Errorf("saved %+v", g)
	}
}
