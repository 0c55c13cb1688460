package box

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/internal/browsertest"

	"minipbx/internal/siptest"
)

// TestBrowserFirstLoginAndExtensionRegisters is the installer's first
// visit, in a real headless Chromium against the whole box: the password
// printed at the first start logs in and must be changed at once; an
// extension created on the page can register a SIP phone with the secret
// the page shows; a duplicate number shows its error beside the field.
func TestBrowserFirstLoginAndExtensionRegisters(t *testing.T) {
	dir := t.TempDir()
	var console bytes.Buffer
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: testLogLevel()}))
	b, err := Open(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0",
		Board: "sim", Logger: log, Version: "test", Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("box: %v", err)
		}
	})
	<-b.Ready()
	m := regexp.MustCompile(`(?m)^\s{7}(\S+)\s*$`).FindStringSubmatch(console.String())
	if m == nil {
		t.Fatalf("no admin password on the console:\n%s", console.String())
	}
	initial := m[1]
	base := "https://" + b.WebAddr()

	bctx := browsertest.Launch(t, 60*time.Second)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, steps...)
	}
	fill := browsertest.Fill

	// The first login forces a new password before anything else.
	do(chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", initial), chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("forced-change")))
	do(chromedp.Navigate(base+"/extensions"), chromedp.WaitVisible(chromedp.ID("forced-change")))
	do(fill("new_password", "installer's own password"), fill("confirm_password", "installer's own password"))
	followPage(t, bctx, "ports", chromedp.Click(chromedp.ID("password-form-submit")))
	if ok, _, _ := b.Service().CheckAdminPassword(context.Background(), "installer's own password"); !ok {
		t.Fatal("the new password was not stored")
	}

	// Create extension 205 and read the generated secret from its page.
	followPage(t, bctx, "new-extension", chromedp.Click(chromedp.ID("nav-extensions")))
	followPage(t, bctx, "extension-form", chromedp.Click(chromedp.ID("new-extension")))
	do(fill("number", "205"), fill("name", "Reception softphone"))
	followPage(t, bctx, "ext-205", chromedp.Click(chromedp.ID("extension-form-submit")))
	do(chromedp.Navigate(base+"/extensions/205/edit"), chromedp.WaitVisible(chromedp.ID("secret")))
	secret, err := chromedp.Run(bctx, chromedp.Value(chromedp.ID("secret")))
	if err != nil || len(secret) < 12 {
		t.Fatalf("secret on the page: %q, %v", secret, err)
	}
	p, err := siptest.New(b.SIPAddr(), "205", secret)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	if code, err := p.Register(rctx, secret, 300); err != nil || code != 200 {
		t.Fatalf("the extension made in the web UI cannot register: %d %v", code, err)
	}

	// The status page lists the registration.
	do(chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.ID("ports")))
	body, err := chromedp.Run(bctx, chromedp.TextContent(chromedp.CSS("body")))
	if err != nil || !strings.Contains(body, "205") {
		t.Errorf("status page does not show extension 205's registration: %v", err)
	}

	// A duplicate number: the error beside the field, nothing stored.
	do(chromedp.Navigate(base+"/extensions/new"), chromedp.WaitVisible(chromedp.ID("extension-form")),
		fill("number", "205"), fill("name", "Duplicate"),
		chromedp.Click(chromedp.ID("extension-form-submit")), chromedp.WaitVisible(chromedp.ID("number-error")))
	if e, _ := b.Service().Extension(context.Background(), "205"); e.Name != "Reception softphone" {
		t.Errorf("the duplicate changed extension 205: %+v", e)
	}
}
