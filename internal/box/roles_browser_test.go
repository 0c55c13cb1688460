package box

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/dsp"
	"minipbx/internal/browsertest"
	"minipbx/telephony/store"
)

// TestBrowserUserForwardsTheirCalls is an employee's own forwarding, in a
// real headless Chromium against the whole box on the simulated board:
//
//   - the administrator gives extension 102 (the analog phone on FXS 2)
//     an account with a first password;
//   - its user logs in with the extension number and that password, is
//     made to choose their own, and lands on their own page, whose
//     navigation offers none of the installer's pages (and /settings
//     answers 403);
//   - on Forwarding, a number that is no number is refused beside its
//     field with what was typed kept; then "forward every call to
//     95550123" is saved;
//   - the phone of 101 dials 102: 102's phone stays silent and the box
//     takes a telco line and dials exactly 5550123 on it (the outside
//     prefix 9 taken off), the call is answered and ends; the call
//     record's path says it was forwarded;
//   - the audit log has the change, as 102's, made on the web.
func TestBrowserUserForwardsTheirCalls(t *testing.T) {
	b := startBox(t, "")
	admin := store.WithActor(context.Background(), store.Actor{Login: store.AdminLogin, Role: store.RoleAdministrator, Via: "test"})
	if _, _, err := b.Service().CreateAccount(admin, store.Account{Login: "102", Role: store.RoleUser, Name: "Bob"}, "first password 102"); err != nil {
		t.Fatal(err)
	}
	base := "https://" + b.WebAddr()
	bctx := browsertest.Launch(t, 90*time.Second)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, steps...)
	}
	fill := browsertest.Fill
	read := func(what chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(bctx, what)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("user", "102"), fill("password", "first password 102"))
	followPage(t, bctx, "forced-change", chromedp.Click(chromedp.ID("login")))
	do(fill("new_password", "bob's own password"), fill("confirm_password", "bob's own password"))
	followPage(t, bctx, "me-forwarding", chromedp.Click(chromedp.ID("password-form-submit")))
	nav := read(chromedp.TextContent(chromedp.ID("nav")))
	for _, installer := range []string{"Status", "Extensions", "Dial plan", "Settings", "Users"} {
		if strings.Contains(nav, installer) {
			t.Errorf("a user's navigation offers %q: %q", installer, nav)
		}
	}
	do(chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(chromedp.ID("page-error")))
	refusal := read(chromedp.TextContent(chromedp.ID("page-error")))
	if !strings.Contains(refusal, "may not do this") {
		t.Fatalf("a user on /settings sees %q", refusal)
	}

	do(chromedp.Navigate(base+"/me"), chromedp.WaitVisible(chromedp.ID("me-forwarding")))
	followPage(t, bctx, "forwarding-form", chromedp.Click(chromedp.ID("me-forwarding")))
	do(fill("forward_always", "12ab"))
	followPage(t, bctx, "forward_always-error", chromedp.Click(chromedp.ID("forwarding-form-submit")))
	problem, kept := read(chromedp.TextContent(chromedp.ID("forward_always-error"))), read(chromedp.Value(chromedp.ID("forward_always")))
	if !strings.Contains(problem, "not a number") || kept != "12ab" {
		t.Fatalf("a bad number: error %q, field kept %q", problem, kept)
	}
	do(fill("forward_always", "95550123"))
	followPage(t, bctx, "flash", chromedp.Click(chromedp.ID("forwarding-form-submit")))

	ctx := tctx(t, 40*time.Second)
	caller, called := b.Sim().Phone(1), b.Sim().Phone(2)
	caller.OffHook()
	if err := caller.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := caller.DialDTMF("102"); err != nil {
		t.Fatal(err)
	}
	line := b.Sim().Line(1)
	if err := line.WaitSeized(ctx); err != nil {
		t.Fatalf("the forwarded call took no telco line: %v", err)
	}
	got, err := line.WaitDigits(ctx, 7)
	if err != nil || got != "5550123" {
		t.Fatalf("the telco received %q (%v), want 5550123", got, err)
	}
	if called.Ringing() || called.Rings() > 0 {
		t.Error("102's own phone rang although it forwards every call")
	}
	if err := line.Answer(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	caller.OnHook()
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatalf("the line was not released: %v", err)
	}
	rec := b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "101" && r.Callee == "102" && r.Destination == "fxo:1"
	})
	forwarded := false
	for _, s := range rec.Path {
		forwarded = forwarded || (s.Event == "forwarded" && strings.Contains(s.To, "95550123"))
	}
	if !forwarded {
		t.Errorf("the call's path does not say forwarded: %+v", rec.Path)
	}

	log, err := b.Service().AuditLog(context.Background(), store.AuditFilter{Actor: "102", Action: store.AuditChange})
	if err != nil || len(log) != 1 || log[0].Via != "web" ||
		!strings.Contains(strings.Join(log[0].Changes, "\n"), `extension_rules[102].forward_always: (none) → "number:95550123"`) {
		t.Fatalf("audit of the user's change: %+v %v", log, err)
	}
}
