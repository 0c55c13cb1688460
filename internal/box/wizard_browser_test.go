package box

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/internal/browsertest"
	"minipbx/telephony/store"
)

// wizardWidths are the widths every setup page is checked at: a phone and
// a laptop.
var wizardWidths = []int64{390, 1366}

// wizardBrowser is a browser going through the setup in one language.
type wizardBrowser struct {
	*boxBrowser
	lang string
	cat  map[string]string // the web UI's catalog of lang; nil for English
}

// tr is msg as the web UI shows it in the browser's language; a message
// the catalog lacks fails the test (the page would show it in English).
func (br *wizardBrowser) tr(msg string) string {
	br.t.Helper()
	if br.cat == nil {
		return msg
	}
	t, ok := br.cat[msg]
	if !ok {
		br.t.Errorf("the %s catalog has no %q", br.lang, msg)
		return msg
	}
	return t
}

// webCatalog reads the web UI's message catalog of lang (nil for
// English, which has none).
func webCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	if lang == "en" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "webui", "assets", "i18n", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

// acceptLanguage makes the browser ask for lang first (its
// Accept-Language header and navigator.language).
func acceptLanguage(lang string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) minipbx-test", AcceptLanguage: lang})
		return err
	})
}

// step checks that the page is in the browser's language — <html lang>,
// and its title holding the translation of heading — and that it fits
// (fits).
func (br *wizardBrowser) step(name, heading string) {
	br.t.Helper()
	lang, err := chromedp.Run(br.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil || lang != br.lang {
		br.t.Errorf("%s: the page's language is %q (%v), want %s", name, lang, err, br.lang)
	}
	if title := br.text("page-title"); !strings.Contains(title, br.tr(heading)) {
		br.t.Errorf("%s: the page's title %q does not hold %q", name, title, br.tr(heading))
	}
	br.fits(br.lang + "-" + name)
}

// fits checks the page at each width: no horizontal overflow (the
// document no wider than the viewport), and a screenshot, saved under
// $WEBUI_SCREENSHOTS when set.
func (br *boxBrowser) fits(name string) {
	br.t.Helper()
	for _, w := range wizardWidths {
		br.do(chromedp.EmulateViewport(w, 900))
		over, err := chromedp.Run(br.ctx, chromedp.Evaluate[string](
			`document.documentElement.scrollWidth > window.innerWidth ? document.documentElement.scrollWidth + " > " + window.innerWidth : ""`))
		if err != nil {
			br.t.Fatalf("%s at %d px: %v", name, w, err)
		}
		if over != "" {
			br.t.Errorf("%s overflows at %d px: scrollWidth %s", name, w, over)
		}
		png, err := chromedp.Run(br.ctx, chromedp.FullScreenshot(100))
		if err != nil || len(png) == 0 {
			br.t.Fatalf("screenshot of %s at %d px: %v", name, w, err)
		}
		if dir := os.Getenv("WEBUI_SCREENSHOTS"); dir != "" {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("setup-%s-%d.png", name, w)), png, 0o644); err != nil {
				br.t.Log(err)
			}
		}
	}
	br.do(chromedp.EmulateViewport(1366, 900))
}

// weekdayAt is the next Monday after now at hh:mm in loc.
func weekdayAt(now time.Time, loc *time.Location, hh, mm int) time.Time {
	d := now.In(loc)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, loc)
}

// waitOffHook waits until the exchange sees the phone on FXS port n off
// hook, ready for digits. (Not by its dial tone: the simulated board's
// phones keep the tone zone they were made with, "us", and the setup has
// just made the box Russian.)
func (b *testBox) waitOffHook(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		st, err := b.Service().Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range st.Ports {
			if p.Kind == "fxs" && p.Number == n && p.Hook == "off-hook" {
				time.Sleep(100 * time.Millisecond) // the dial tone starts
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("FXS %d never went off hook", n)
}

// waitCallState waits for a call in the exchange in state.
func (b *testBox) waitCallState(t *testing.T, state string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last []string
	for time.Now().Before(deadline) {
		st, err := b.Service().Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		last = last[:0]
		for _, c := range st.Calls {
			if c.State == state {
				return
			}
			last = append(last, c.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no call %s; calls are %q", state, last)
}

// TestBrowserSetupWizardToACall walks the setup wizard in headless
// Chromium from a new box to a working call in each language of the web
// UI, the browser asking for it by its Accept-Language; every page is
// checked to be in that language (its <html lang> and its translated
// title) and to fit at 390 and 1366 px. In English the walk ends with
// every call below; in the other languages (the same pages, translated)
// with the first call only, from the last page's phone panel, which keeps
// the test under a minute and a half.
func TestBrowserSetupWizardToACall(t *testing.T) {
	for _, lang := range store.WebLanguages() {
		t.Run(lang, func(t *testing.T) { setupWizardToACall(t, lang, lang == "en") })
	}
}

// setupWizardToACall walks the setup wizard from a new box to working
// calls on the simulated board:
// Russia, extensions 201-203 (201 and 202 analog phones on FXS 1 and 2,
// 203 a SIP phone), line 1 to a voice menu in business hours and to
// 201's mailbox after them, voicemail for all, outside calls on 9. Every
// page is checked at 390 and 1366 px for horizontal overflow. The review
// lists what will be made; Apply makes it; the last page's phone panel
// lifts FXS 1 and dials 202, which rings and answers; the analog phone
// dials the SIP extension registered with the password the last page
// shows; a call on line 1 meets the menu on a Monday at noon and the
// mailbox that evening (the exchange's clock moved by the test). Unless
// every is set, it ends after the first call.
func setupWizardToACall(t *testing.T, lang string, every bool) {
	var offset atomic.Int64
	b := startBox(t, "", func(c *Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	ctx := tctx(t, 240*time.Second)
	if err := b.Service().SetAdminPassword(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	before, err := b.Service().ExportConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + b.WebAddr()
	bb := &boxBrowser{t: t, ctx: browsertest.Launch(t, 220*time.Second)}
	bb.do(acceptLanguage(lang), chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("password"), testPassword))
	bb.follow("nav-dialplan", chromedp.Click(chromedp.ID("login")))
	br := &wizardBrowser{boxBrowser: bb, lang: lang, cat: webCatalog(t, lang)}

	// The status page offers the wizard on a new box.
	br.follow("setup-begin", chromedp.Click(chromedp.ID("setup-offer-start")))
	br.step("start", "Set up the box")
	br.follow("country", chromedp.Click(chromedp.ID("setup-begin")))

	next := func(nextID string) {
		t.Helper()
		br.follow(nextID, chromedp.Click(chromedp.ID("wizard-next")))
	}
	// 1. Country.
	br.do(chromedp.SetValue(chromedp.ID("country"), "ru"))
	br.step("country", "Country")
	next("extension_length")
	// 2. Numbering: 3 digits, the factory extensions 101 and 102 stay.
	br.step("numbering", "Numbering")
	next("numbers")
	// 3. Extensions; a range that goes down is refused beside the field,
	// with the names kept.
	br.do(fillByID("numbers", "203-201"), chromedp.SendKeys(byID("names"), "Reception\nSales\nBoss"))
	br.follow("numbers-error", chromedp.Click(chromedp.ID("wizard-next")))
	if got := br.text("numbers-error"); got == "" || (lang == "en") != strings.Contains(got, "goes down") {
		t.Errorf("numbers error %q (in %s)", got, lang)
	}
	if v, _ := chromedp.Run(br.ctx, chromedp.Value(byID("names"))); !strings.HasPrefix(v, "Reception") {
		t.Errorf("names not kept after the error: %q", v)
	}
	br.step("extensions-error", "Extensions")
	br.do(fillByID("numbers", "201-203"))
	next("port-201")
	// 4. Phones: 201 and 202 analog (taking FXS 1 and 2 from 101 and
	// 102), 203 SIP.
	br.do(chromedp.SetValue(byID("port-201"), "1"), chromedp.SetValue(byID("port-202"), "2"))
	br.step("phones", "Phones")
	next("line1-dest")
	// 5. Lines: line 1 to the voice menu, line 2 to everyone.
	br.do(chromedp.SetValue(byID("line1-dest"), "menu"))
	br.step("lines", "Telephone lines")
	next("host")
	// 6. No trunk.
	br.step("trunk", "SIP trunk")
	next("outside_prefix")
	// 7. Outside calls on 9 through the lines.
	br.step("outside", "Outside calls")
	next("mailboxes")
	// 8. Voicemail for every new extension.
	br.step("voicemail", "Voicemail")
	next("open-mon")
	// 9. Business hours: Monday to Friday 9 to 18, then 201's mailbox.
	br.do(chromedp.Click(chromedp.ID("hours")), chromedp.SetValue(byID("closed_dest"), "vm:201"))
	br.step("hours", "Business hours")
	next("key-1")
	// 10. The voice menu: key 1 rings 201 (the default).
	br.step("menu", "Voice menu")
	next("wizard-apply")
	// 11. The review lists what will be made; nothing is made yet.
	br.step("review", "Setup: Review")
	review := br.text("main")
	if !strings.Contains(review, br.tr("Nothing has changed yet. Below is every object the setup creates, changes or removes; Apply makes all of it at once, or nothing if anything fails. Everything else stays as it is.")) {
		t.Errorf("the review's lead is not in %s", lang)
	}
	for _, want := range []string{"Extension 201 — Reception", "Voice menu main", "Schedule office-hours", "Mailbox of 203",
		"Time condition hours-main", "Inbound route line-1", "Outbound route outside", "Extension 101 — FXS 1"} {
		if lang == "en" && !strings.Contains(review, want) {
			t.Errorf("the review does not list %q", want)
		}
	}
	if now, _ := b.Service().ExportConfig(ctx); len(now.Extensions) != len(before.Extensions) || len(now.Menus) != 0 {
		t.Fatalf("the review changed the configuration: %d extensions, %d menus", len(now.Extensions), len(now.Menus))
	}
	br.follow("setup-done", chromedp.Click(chromedp.ID("wizard-apply")))
	br.step("done", "The box is set up")

	cfg, err := b.Service().ExportConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.System.ToneZone != "ru" || cfg.System.TimeZone != "Europe/Moscow" || len(cfg.Extensions) != 5 ||
		len(cfg.Voicemail.Boxes) != 3 || len(cfg.Menus) != 1 || len(cfg.TimeConditions) != 2 {
		t.Fatalf("after the setup: %+v", cfg)
	}

	// The last page's phone panel: lift FXS 1 (201) and dial 202.
	phone1, phone2 := b.Sim().Phone(1), b.Sim().Phone(2)
	br.do(chromedp.Click(chromedp.ID("try-offhook")))
	br.waitJS("the handset lifted", `document.getElementById("sim-result").textContent.includes("done")`, 10*time.Second)
	b.waitOffHook(t, 1)
	br.do(chromedp.Click(chromedp.ID("try-dial")))
	if err := phone2.WaitRing(ctx); err != nil {
		t.Fatalf("202 (FXS 2) does not ring: %v", err)
	}
	phone2.OffHook()
	b.waitCallState(t, "answered")
	phone1.OnHook()
	phone2.OnHook()
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "201" && r.Callee == "202" && r.Disposition == "answered"
	})
	b.waitPortIdle(t, 0)
	b.waitPortIdle(t, 1)
	if !every {
		return
	}

	// 203 is a SIP phone with the password the last page shows.
	secret := br.text("done-203-secret")
	sip203 := b.phone(t, "203", secret)
	calls := make(chan error, 1)
	go func() {
		in, err := sip203.Incoming(ctx)
		if err == nil {
			err = in.Answer()
		}
		calls <- err
	}()
	phone1.OffHook()
	b.waitOffHook(t, 1)
	if err := phone1.DialDTMF("203"); err != nil {
		t.Fatal(err)
	}
	if err := <-calls; err != nil {
		t.Fatalf("the SIP phone of 203: %v", err)
	}
	b.waitCallState(t, "answered")
	phone1.OnHook()
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == "203" && r.Disposition == "answered" })
	b.waitPortIdle(t, 0)

	// Line 1 on a Monday at noon in Moscow: the voice menu.
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	line := b.Sim().Line(1)
	if err := line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	call := func(at time.Time, state string) {
		t.Helper()
		offset.Store(int64(time.Until(at)))
		// The line's voltage comes back a second after the last call's
		// loop drop.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			err := line.Ring(dsp.CallerIDMessage{Number: "84951234567", Time: time.Now(), HasTime: true, MDMF: true})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
		}
		b.waitCallState(t, state)
		if err := line.Hangup(sim.HangupLoopDrop); err != nil {
			t.Fatal(err)
		}
		if err := line.WaitReleased(ctx); err != nil {
			t.Fatal(err)
		}
		b.waitPortIdle(t, 2)
	}
	call(weekdayAt(time.Now(), msk, 12, 0), "menu")
	// The same line that evening: 201's mailbox.
	call(weekdayAt(time.Now(), msk, 20, 0), "voicemail")
}
