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

	"minipbx/telephony/diag"
	"minipbx/telephony/store"
)

// TestBrowserDiagnosticsScheduleRunsAtItsTime: in a real headless
// Chromium against the whole box, an invalid interval is refused beside
// its field; a valid one is saved with the next run shown; when the box's
// (manual) clock reaches it, the diagnostics run by themselves, the live
// event stream says so, and the page shows the results per port.
func TestBrowserDiagnosticsScheduleRunsAtItsTime(t *testing.T) {
	dir := t.TempDir()
	var console bytes.Buffer
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: testLogLevel()}))
	clock := diag.NewManualClock(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	b, err := Open(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0",
		Board: "sim", SimFXS: 1, SimFXO: 1, Logger: log, Version: "test", Console: &console, DiagClock: clock})
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
	base := "https://" + b.WebAddr()

	bctx := browsertest.Launch(t, 90*time.Second)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, steps...)
	}
	fill := browsertest.Fill
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.TextContent(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("text of #%s: %v", id, err)
		}
		return s
	}

	do(chromedp.Navigate(base+"/diagnostics"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", m[1]), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("forced-change")),
		fill("new_password", "installer's own password"), fill("confirm_password", "installer's own password"),
		chromedp.Click(chromedp.ID("password-form-submit")), chromedp.WaitVisible(chromedp.ID("ports")))

	// An impossible interval: the error beside the field, nothing saved.
	do(chromedp.Click(chromedp.ID("nav-diagnostics")), chromedp.WaitVisible(chromedp.ID("diag-form")),
		chromedp.SetValue(chromedp.ID("diag-mode"), store.DiagInterval), fill("diag-interval", "00:00"),
		chromedp.Click(chromedp.ID("diag-form-submit")), chromedp.WaitVisible(chromedp.ID("diag-interval-error")))
	if e := text("diag-interval-error"); !strings.Contains(e, "00:00") {
		t.Errorf("error beside the interval: %q", e)
	}
	if st, _ := b.Service().Diagnostics(context.Background()); st.Settings.Mode == store.DiagInterval {
		t.Fatal("an invalid schedule was saved")
	}

	// Every hour, a quick mask: the FXS line test, trunks, storage, clock.
	do(fill("diag-interval", "00:01"),
		chromedp.Click(chromedp.ID("diag-test-fxo")), chromedp.Click(chromedp.ID("diag-test-loopback")),
		chromedp.Click(chromedp.ID("diag-test-signals")), chromedp.Click(chromedp.ID("diag-test-resources")),
		chromedp.Click(chromedp.ID("diag-form-submit")), chromedp.WaitVisible(chromedp.ID("flash")))
	if n := text("diag-next"); !strings.Contains(n, "2026-06-01 11:00") {
		t.Fatalf("next run shown: %q", n)
	}
	st, _ := b.Service().Diagnostics(context.Background())
	if st.Settings != (store.Diagnostics{Mode: store.DiagInterval, Interval: "00:01", Tests: "fxs,trunks,storage,clock", Retention: store.DefaultDiagRetention}) {
		t.Fatalf("saved %+v", st.Settings)
	}

	// The page listens to the live event stream.
	do(chromedp.WaitVisible(chromedp.CSS(`body[data-diag-live="on"]`)))

	// The hour passes on the box's clock: the run happens by itself and
	// the live event stream tells.
	events := b.Exchange().Subscribe(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for clock.Waiters() == 0 || !b.Diagnostics().State().Next.Equal(time.Date(2026, 6, 1, 11, 0, 0, 0, time.UTC)) {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler never slept until 11:00")
		}
		time.Sleep(10 * time.Millisecond)
	}
	clock.Set(time.Date(2026, 6, 1, 11, 0, 0, 0, time.UTC))
	var runs []store.DiagRun
	for len(runs) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no run at its time")
		}
		time.Sleep(20 * time.Millisecond)
		runs, _ = b.Service().DiagnosticRuns(context.Background(), 0, 10)
	}
	run := runs[0]
	if run.Trigger != diag.TriggerSchedule || len(run.Results) != 4 {
		t.Fatalf("run %+v", run)
	}
	sawEvent := false
	for !sawEvent {
		select {
		case ev := <-events:
			sawEvent = ev.Kind == "diagnostics"
		case <-time.After(10 * time.Second):
			t.Fatal("no diagnostics event on the live stream")
		}
	}

	// The open page reloads itself on the live event and shows the run.
	do(chromedp.WaitVisible(chromedp.ID("health-fxs-1")))
	if h := text("health-fxs-1"); !strings.Contains(h, "pass") {
		t.Errorf("FXS 1's health: %q", h)
	}
	if d := text("diag-detail"); !strings.Contains(d, "not applicable: no trunks configured") || !strings.Contains(d, "battery") {
		t.Errorf("last run on the page: %q", d)
	}
	if n := text("diag-next"); !strings.Contains(n, "2026-06-01 12:00") {
		t.Errorf("next run after the run: %q", n)
	}
}
