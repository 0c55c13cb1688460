package webui

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// waitActions waits until the fake exchange has been asked exactly want
// (in order), and forgets them.
func waitActions(t *testing.T, svc *fakeService, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		svc.mu.Lock()
		got = slices.Clone(svc.callActions)
		svc.mu.Unlock()
		if len(got) >= len(want) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the exchange was asked %q, want %q", got, want)
	}
	svc.actions()
}

// liveRefreshed waits until the operator view has been re-read from the
// box more than n times, and returns the count.
func liveRefreshed(t *testing.T, ctx context.Context, n int) int {
	t.Helper()
	waitJS(t, ctx, "the operator view to refresh", `Number(document.getElementById("operator").dataset.version || 0) > `+strconv.Itoa(n))
	return run(t, ctx, chromedp.Evaluate[int](`Number(document.getElementById("operator").dataset.version)`))
}

// TestBrowserOperatorView: on the status page in Chromium an operator
// hangs up a call and parks a party with the buttons (the script sends
// them to the API, the page stays), sees a refusal in words, follows a
// status event live (the held party resumed elsewhere), transfers a party
// to an extension picked from the list on the transfer page, mutes a
// conference caller and switches do not disturb; each reaches the
// exchange with the right arguments.
func TestBrowserOperatorView(t *testing.T) {
	svc := newFakeService()
	svc.password, svc.mustChange = "an admin password", false
	svc.exts = append(svc.exts, store.Extension{Number: "202", Name: "Boss"})
	svc.emit("call", liveStatus)
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)

	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")), fill("password", "an admin password"))
	follow(t, ctx, "operator", chromedp.Click(chromedp.ID("login")))
	// The stream's first snapshot re-reads the view once: wait for it, so
	// no click races a replacement.
	seen := liveRefreshed(t, ctx, 0)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__marker = 1`))
	screenshot(t, ctx, "operator")
	if got := text(t, ctx, "call-c7-from"); !strings.Contains(got, "5550100 (line 1)") || !strings.Contains(got, "on hold") {
		t.Errorf("the held caller: %q", got)
	}
	if got := text(t, ctx, "call-c7-path"); !strings.Contains(got, "5550100 (line 1) put on hold by 101.") {
		t.Errorf("the path: %q", got)
	}

	// Hang up: the API is called, the outcome shown, the page not reloaded.
	do(t, ctx, chromedp.Click(chromedp.ID("call-c7-hangup")))
	waitActions(t, svc, "c7 hangup  ")
	waitJS(t, ctx, "the outcome", `document.getElementById("operator-result").textContent.includes("Hang up the call of \"Alice\" <5550100>: done")`)
	seen = liveRefreshed(t, ctx, seen)

	// Park refused by the exchange: its words appear, nothing else.
	svc.mu.Lock()
	svc.controlErr = errors.New("every park slot is taken")
	svc.mu.Unlock()
	do(t, ctx, chromedp.Click(chromedp.ID("call-c7-from-park")))
	waitActions(t, svc, "c7 park fxo-1-7 ")
	waitJS(t, ctx, "the refusal", `document.getElementById("operator-result").textContent.includes("every park slot is taken")`)
	svc.mu.Lock()
	svc.controlErr = nil
	svc.mu.Unlock()
	seen = liveRefreshed(t, ctx, seen)

	// A status event: the caller was taken off hold at the phone. The
	// view follows without a reload: Hold instead of Resume.
	svc.emit("call", func(s *telephony.Status) {
		s.Calls[0].State = "answered"
		s.Calls[0].Path = append(s.Calls[0].Path, store.CallStep{Time: time.Now(), Event: "resumed", Party: "fxo:1"})
	})
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("call-c7-from-hold")))
	if !run(t, ctx, chromedp.Evaluate[bool](`window.__marker === 1`)) {
		t.Fatal("the page reloaded instead of updating live")
	}
	seen = liveRefreshed(t, ctx, seen)

	// Mute a conference caller, switch do not disturb.
	do(t, ctx, chromedp.Click(chromedp.ID("conf-meeting-m1-mute")))
	waitActions(t, svc, "meeting m1 mute")
	seen = liveRefreshed(t, ctx, seen)
	do(t, ctx, chromedp.Click(chromedp.ID("extstate-101-dnd")))
	waitJS(t, ctx, "do not disturb switched", `document.getElementById("operator-result").textContent.includes("Turn DND on for extension 101: done")`)
	svc.mu.Lock()
	rules := slices.Clone(svc.plan.ExtensionRules)
	svc.mu.Unlock()
	if len(rules) != 1 || rules[0].Extension != "101" || !rules[0].DND {
		t.Fatalf("rules after the DND button: %+v", rules)
	}
	liveRefreshed(t, ctx, seen)

	// Transfer the caller to 202, picked from the list.
	follow(t, ctx, "transfer-form", chromedp.Click(chromedp.ID("call-c7-from-transfer")))
	if v := run(t, ctx, chromedp.Value(chromedp.ID("leg"))); v != "fxo-1-7" {
		t.Errorf("the party to transfer: %q", v)
	}
	if got := options(t, ctx, "destination"); !slices.Contains(got, "202") || !slices.Contains(got, "101") {
		t.Errorf("destinations offered: %q", got)
	}
	choose(t, ctx, "destination", "202")
	screenshot(t, ctx, "transfer")
	follow(t, ctx, "flash", chromedp.Click(chromedp.ID("transfer-form-submit")))
	waitActions(t, svc, "c7 transfer fxo-1-7 202")
	if got := text(t, ctx, "flash"); !strings.Contains(got, "5550100 (line 1) is being transferred to 202") {
		t.Errorf("flash %q", got)
	}
}

// TestBrowserCallHistoryPath: the call history shows a call's path when
// its row is opened.
func TestBrowserCallHistoryPath(t *testing.T) {
	svc := newFakeService()
	svc.password, svc.mustChange = "an admin password", false
	t0 := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	last := &svc.records[len(svc.records)-1]
	last.Legs = []store.CallLeg{{Name: "fxo:1", Number: "5550100", Start: t0, Answer: t0, End: t0.Add(time.Minute)},
		{Name: "sip:101", Number: "101", Start: t0, Answer: t0, End: t0.Add(20 * time.Second)},
		{Name: "sip:202", Number: "202", Start: t0.Add(25 * time.Second), Answer: t0.Add(30 * time.Second), End: t0.Add(time.Minute)}}
	last.Path = []store.CallStep{{Time: t0, Event: "answered", Party: "sip:101"},
		{Time: t0.Add(20 * time.Second), Event: "parked", Party: "fxo:1", To: "701", By: "101"},
		{Time: t0.Add(30 * time.Second), Event: "retrieved", Party: "sip:202", To: "701", By: "202"}}
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")), fill("password", "an admin password"))
	follow(t, ctx, "operator", chromedp.Click(chromedp.ID("login")))
	follow(t, ctx, "call-records", chromedp.Click(chromedp.ID("nav-calls")))
	if run(t, ctx, chromedp.Evaluate[bool](`document.querySelector("#cdr-120-path ol").checkVisibility()`)) {
		t.Error("the path is open before it is asked for")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#cdr-120-path summary`)), chromedp.WaitVisible(chromedp.CSS(`#cdr-120-path ol`)))
	screenshot(t, ctx, "call-path")
	got := text(t, ctx, "cdr-120-path")
	for _, want := range []string{"3 parties, 3 steps", "5550100 (line 1)", "202 (SIP phone)", "101 (SIP phone) answered.",
		"5550100 (line 1) parked on slot 701 by 101.", "Taken back from slot 701 by 202."} {
		if !strings.Contains(got, want) {
			t.Errorf("the path lacks %q: %q", want, got)
		}
	}
}
