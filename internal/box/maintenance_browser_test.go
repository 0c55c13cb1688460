package box

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/internal/browsertest"

	"minipbx/upgrade"
	"minipbx/upgrade/boot"
)

// TestBrowserUpgradeWithProgress is the installer's upgrade in a real
// headless Chromium against the whole box: a bundle for another board is
// refused on the Maintenance page with its reason; a good one uploads with
// the progress bar moving (the XHR's upload progress, then the engine's),
// the page says it is installed in slot b, and the box exits 75 with the
// trial of slot b set.
func TestBrowserUpgradeWithProgress(t *testing.T) {
	rig := newUpgradeRig(t)
	// A slot large enough for the upload to take several progress events.
	const big = 6 << 20
	for _, p := range []string{rig.slotA, rig.slotB} {
		if err := os.WriteFile(p, make([]byte, big+(1<<20)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rb := runBox(t, Config{DataDir: t.TempDir(), Version: "1.0.0", BootConfig: rig.conf})
	base := "https://" + rb.WebAddr()

	key := testSigningKey(t)
	image := bytes.Repeat([]byte("0123456789abcdef"), big/16)
	files := t.TempDir()
	good, wrong := filepath.Join(files, "good.mpxb"), filepath.Join(files, "wrong-board.mpxb")
	if err := os.WriteFile(good, makeBundle(t, "1.1.0", testBoard, image, key), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrong, makeBundle(t, "1.1.0", "minipbx-ref-arm64", image[:1000], key), 0o600); err != nil {
		t.Fatal(err)
	}

	bctx := browsertest.Launch(t, 60*time.Second)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, steps...)
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.TextContent(chromedp.ID(id)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	waitStatus := func(want string) {
		t.Helper()
		expr := `document.getElementById("up-status").textContent.includes(` + jsString(want) + `)`
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("the page never said %q; it says %q (%v)", want, text("up-status"), err)
		}
	}

	do(chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("nav-maintenance")))
	// Open the page by address and wait until its deferred script has
	// run: the upload form only works once maintenance.js has taken it
	// over, and a click racing the navigation finds stale nodes.
	do(chromedp.Navigate(base+"/maintenance"), chromedp.WaitVisible(chromedp.ID("up-form")))
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.readyState === "complete"`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the Maintenance page did not finish loading: %v", err)
	}
	if v := text("fw-version"); v != "1.0.0" {
		t.Fatalf("version on the page %q", v)
	}

	do(chromedp.SetUploadFiles(chromedp.ID("up-file"), []string{wrong}), chromedp.Click(chromedp.ID("up-submit")))
	waitStatus("Not installed")
	if s := text("up-status"); !strings.Contains(s, "(board)") {
		t.Errorf("the refusal does not say why: %q", s)
	}

	// Record every state the status line goes through.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(() => {
		window.seen = [];
		const s = document.getElementById("up-status");
		new MutationObserver(() => window.seen.push(s.textContent + " @" + document.getElementById("up-progress").value))
			.observe(s, {childList: true, characterData: true, subtree: true});
		return true; })()`)); err != nil {
		t.Fatal(err)
	}
	do(chromedp.SetUploadFiles(chromedp.ID("up-file"), []string{good}), chromedp.Click(chromedp.ID("up-submit")))
	waitStatus("is installed in slot b")
	seen, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`window.seen`))
	if err != nil {
		t.Fatal(err)
	}
	var moving bool
	for _, s := range seen {
		if strings.HasPrefix(s, "Uploading and writing") || strings.HasPrefix(s, "Writing") || strings.HasPrefix(s, "Verifying") {
			moving = true
		}
	}
	if !moving {
		t.Errorf("no progress shown during the upload: %q", seen)
	}
	t.Logf("status line: %q", seen)
	if v, _ := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.getElementById("up-progress").value`)); v != 100 {
		t.Errorf("progress bar at %v after the install", v)
	}
	if code := rb.exited(t); code != upgrade.ExitReboot {
		t.Fatalf("exit code %d", code)
	}
	if st := rig.bootState(t); !st.Trial || st.Next != boot.SlotB {
		t.Fatalf("boot state %+v", st)
	}
}

// jsString quotes s for a JavaScript expression (test strings only:
// no quotes or backslashes in them).
func jsString(s string) string { return `"` + s + `"` }
