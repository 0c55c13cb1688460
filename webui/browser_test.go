package webui

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/internal/browsertest"
	"minipbx/telephony"
)

// The browser tests run the real server (HTTPS with its self-signed
// certificate, real cookies) against the fake service, and drive Debian's
// Chromium headless through chromedp. Each test starts its own browser
// with a fresh profile so no cookie or cache leaks between tests.
//
// Set WEBUI_SCREENSHOTS=DIR to save a screenshot of each page visited
// (for a human to check the layout; never committed).

// serveForBrowser starts ListenAndServe on a free loopback port and
// returns the base URL.
func serveForBrowser(t *testing.T, svc *fakeService) string {
	t.Helper()
	return serveOptions(t, Options{Service: svc})
}

// serveOptions runs a web UI server with o (a fresh data directory, a
// 2 s heartbeat) on a free port until the test ends and returns its
// base URL.
func serveOptions(t *testing.T, o Options) string {
	t.Helper()
	ready := make(chan net.Addr, 1)
	o.DataDir, o.Heartbeat = t.TempDir(), 2*time.Second
	o.Ready = func(h, _ net.Addr) { ready <- h }
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx, "127.0.0.1:0", "") }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ListenAndServe: %v", err)
		}
	})
	select {
	case a := <-ready:
		return "https://" + a.String()
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready")
	}
	return ""
}

// newBrowser starts headless Chromium and returns a tab context that ends
// with the test (or after the per-test time limit).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Launch(t, 40*time.Second)
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("browser at %s: %v", loc, err)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// waitJS polls a JavaScript condition through DevTools evaluation (which,
// unlike chromedp.Poll's new Function, our CSP allows).
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("waiting for %s at %s: %v", what, loc, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	return strings.TrimSpace(run(t, ctx, chromedp.TextContent(chromedp.ID(id))))
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("WEBUI_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Log(err)
	}
}

func fill(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Clear(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), value))
}

func TestBrowserFirstLoginAndExtensions(t *testing.T) {
	svc := newFakeService()
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)

	do(t, ctx, chromedp.Navigate(base+"/extensions"), chromedp.WaitVisible(chromedp.ID("login-form")))
	screenshot(t, ctx, "login")
	do(t, ctx, fill("password", "initial-pass"), chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("forced-change")))
	if loc := run(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, "/password") {
		t.Fatalf("after the first login: %s, want the password page", loc)
	}
	screenshot(t, ctx, "password-forced")
	// Any other page sends us back.
	do(t, ctx, chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(chromedp.ID("forced-change")))

	// A too-short password: error beside the field.
	do(t, ctx, fill("new_password", "short"), fill("confirm_password", "short"),
		chromedp.Click(chromedp.ID("password-form-submit")), chromedp.WaitVisible(chromedp.ID("new_password-error")))
	do(t, ctx, fill("new_password", "correct horse battery"), fill("confirm_password", "correct horse battery"),
		chromedp.Click(chromedp.ID("password-form-submit")), chromedp.WaitVisible(chromedp.ID("ports")))
	if got := text(t, ctx, "flash"); !strings.Contains(got, "password is changed") {
		t.Errorf("flash %q", got)
	}
	svc.mu.Lock()
	pw := svc.password
	svc.mu.Unlock()
	if pw != "correct horse battery" {
		t.Fatalf("password %q", pw)
	}
	screenshot(t, ctx, "status")

	// Create an extension.
	do(t, ctx, chromedp.Click(chromedp.ID("nav-extensions")), chromedp.WaitVisible(chromedp.ID("new-extension")))
	screenshot(t, ctx, "extensions")
	do(t, ctx, chromedp.Click(chromedp.ID("new-extension")), chromedp.WaitVisible(chromedp.ID("extension-form")))
	do(t, ctx, fill("number", "102"), fill("name", "Office"),
		chromedp.SetValue(chromedp.ID("fxs_port"), "2"),
		chromedp.Click(chromedp.ID("outside_calls")),
		chromedp.Click(chromedp.ID("extension-form-submit")),
		chromedp.WaitVisible(chromedp.ID("ext-102")))
	if got := text(t, ctx, "flash"); got != "Extension 102 created." {
		t.Errorf("flash %q", got)
	}
	_, exts := svc.snapshot()
	if e := exts[len(exts)-1]; e.Number != "102" || e.Name != "Office" || e.FXSPort != 2 || !e.OutsideCalls {
		t.Fatalf("created %+v", e)
	}

	// A duplicate number: the error beside the field, the values kept.
	do(t, ctx, chromedp.Click(chromedp.ID("new-extension")), chromedp.WaitVisible(chromedp.ID("extension-form")),
		fill("number", "101"), fill("name", "Second reception"),
		chromedp.Click(chromedp.ID("extension-form-submit")),
		chromedp.WaitVisible(chromedp.ID("number-error")))
	if got := text(t, ctx, "number-error"); !strings.Contains(got, "already exists") {
		t.Errorf("number error %q", got)
	}
	if v := run(t, ctx, chromedp.Value(chromedp.ID("name"))); v != "Second reception" {
		t.Errorf("name not kept: %q", v)
	}
	// The error sits beside its field: inside the number field's block.
	waitJS(t, ctx, "error inside the number field", `document.querySelector('#number-field #number-error') !== null && document.getElementById('number').getAttribute('aria-invalid') === 'true'`)
	screenshot(t, ctx, "extension-duplicate")
	if _, exts := svc.snapshot(); len(exts) != 2 {
		t.Fatalf("%d extensions after the duplicate", len(exts))
	}

	// Delete with confirmation.
	do(t, ctx, chromedp.Navigate(base+"/extensions"), chromedp.Click(chromedp.ID("delete-102")),
		chromedp.WaitVisible(chromedp.ID("confirm-delete")))
	screenshot(t, ctx, "extension-delete")
	do(t, ctx, chromedp.Click(chromedp.ID("confirm-delete")), chromedp.WaitVisible(chromedp.ID("flash")),
		chromedp.WaitNotPresent(chromedp.ID("ext-102")))

	// The other pages render.
	do(t, ctx, chromedp.Click(chromedp.ID("nav-calls")), chromedp.WaitVisible(chromedp.ID("cdr-120")))
	screenshot(t, ctx, "calls")
	do(t, ctx, chromedp.Click(chromedp.ID("nav-settings")), chromedp.WaitVisible(chromedp.ID("fxo1-form")))
	screenshot(t, ctx, "settings")
	// Line 1's provider signals the answer by polarity reversal.
	follow(t, ctx, "flash", chromedp.Click(chromedp.ID("fxo1-answer_on_reversal")), chromedp.Click(chromedp.ID("fxo1-form-submit")))
	svc.mu.Lock()
	line1 := svc.lines[0]
	svc.mu.Unlock()
	if !line1.AnswerOnReversal {
		t.Errorf("line 1 after ticking answer supervision: %+v", line1)
	}
	if !run(t, ctx, chromedp.Evaluate[bool](`document.getElementById("fxo1-answer_on_reversal").checked`)) {
		t.Error("the saved page shows answer supervision unticked")
	}
	do(t, ctx, fill("extension_length", "x"), chromedp.Click(chromedp.ID("settings-form-submit")),
		chromedp.WaitVisible(chromedp.ID("extension_length-error")))
	screenshot(t, ctx, "settings-error")
	do(t, ctx, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("bye")))
}

func TestBrowserLiveStatusAndSimulator(t *testing.T) {
	svc := newFakeService()
	svc.password, svc.mustChange = "an admin password", false
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)

	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", "an admin password"), chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("ports")))
	waitJS(t, ctx, "the live indicator", `document.getElementById('live').dataset.state === 'on'`)

	// A status event from the exchange updates the page without reload.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__marker = 1`)) // survives only if no reload
	svc.emit("port", func(s *telephony.Status) {
		s.Ports[0].Hook = "off-hook"
		s.Ports[0].InCall = true
		s.Calls = append(s.Calls, telephony.CallStatus{ID: "c1", Callee: "102", From: "fxs:1", State: "ringing", Started: time.Now()})
	})
	waitJS(t, ctx, "the hook state to update", `document.querySelector('#port-fxs-1 .hook').textContent.trim() === 'off-hook'`)
	waitJS(t, ctx, "the call row", `document.getElementById('call-c1') !== null`)
	if !run(t, ctx, chromedp.Evaluate[bool](`window.__marker === 1`)) {
		t.Fatal("the page reloaded instead of updating live")
	}
	screenshot(t, ctx, "status-live")

	// Simulator controls reach SimControl.
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-svc.sim.notify:
			if got != want {
				t.Fatalf("sim got %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("sim action %q never arrived", want)
		}
	}
	do(t, ctx, chromedp.Click(chromedp.ID("sim-fxs-1-offhook")))
	expect("offhook 1")
	waitJS(t, ctx, "the result message", `document.getElementById('sim-result').textContent.includes('done')`)
	do(t, ctx, fill("sim-fxs-1-digits", "102"), chromedp.Click(chromedp.ID("sim-fxs-1-dial")))
	expect("dial 1 102 pulse=false")
	do(t, ctx, fill("sim-fxo-1-number", "5550100"), fill("sim-fxo-1-name", "Alice"), chromedp.Click(chromedp.ID("sim-fxo-1-ring")))
	expect("ring 1 5550100/Alice")
	// A refused input shows the reason and reaches nothing.
	do(t, ctx, fill("sim-fxs-2-digits", "12#"), chromedp.Click(chromedp.ID("sim-fxs-2-pulse")), chromedp.Click(chromedp.ID("sim-fxs-2-dial")))
	waitJS(t, ctx, "the refusal", `document.getElementById('sim-result').textContent.includes('rotary')`)
	screenshot(t, ctx, "status-sim")
	if got := svc.sim.got(); len(got) != 3 {
		t.Fatalf("sim actions %q", got)
	}
}
