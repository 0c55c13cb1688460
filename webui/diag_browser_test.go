package webui

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/telephony/store"
)

// TestBrowserDiagnosticsPage: the page draws its sparklines in a real
// Chromium (CSP allows nothing external), and reloads itself when a run
// ends (the live "diagnostics" event).
func TestBrowserDiagnosticsPage(t *testing.T) {
	svc := newFakeService()
	svc.mustChange = false
	base := time.Date(2026, 11, 18, 3, 30, 0, 0, time.UTC)
	svc.addRun(diagRun(base, store.VerdictPass, 56, -70))
	svc.addRun(diagRun(base.Add(24*time.Hour), store.VerdictWarn, 55.5, -45))
	svc.addRun(diagRun(base.Add(48*time.Hour), store.VerdictPass, 55.8, -68))
	url := serveForBrowser(t, svc)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(url+"/diagnostics"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", "initial-pass"), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("diag-trends")))
	waitJS(t, ctx, "sparklines drawn", `document.querySelectorAll("svg.spark polyline").length === 2 &&
		document.querySelector("svg.spark").getBoundingClientRect().width === 120`)
	screenshot(t, ctx, "diagnostics")
	if got := text(t, ctx, "diag-health"); !strings.Contains(got, "fxo:1") || !strings.Contains(got, "pass") {
		t.Errorf("health table: %q", got)
	}
	// A run ends: the open page shows it without a click.
	waitJS(t, ctx, "the live event stream", `document.body.dataset.diagLive === "on"`)
	svc.addRun(diagRun(base.Add(72*time.Hour), store.VerdictFail, 55, -30))
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("diag-alarm")), chromedp.WaitVisible(chromedp.ID("run-4")))
}
