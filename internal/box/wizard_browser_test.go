package box

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/telephony/store"
)

// wizardWidths are the widths every setup page is checked at: a phone and
// a laptop.
var wizardWidths = []int64{390, 1366}

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
// Chromium from a new box to working calls on the simulated board:
// Russia, extensions 201-203 (201 and 202 analog phones on FXS 1 and 2,
// 203 a SIP phone), line 1 to a voice menu in business hours and to
// 201's mailbox after them, voicemail for all, outside calls on 9. Every
// page is checked at 390 and 1366 px for horizontal overflow. The review
// lists what will be made; Apply makes it; the last page's phone panel
// lifts FXS 1 and dials 202, which rings and answers; the analog phone
// dials the SIP extension registered with the password the last page
// shows; a call on line 1 meets the menu on a Monday at noon and the
// mailbox that evening (the exchange's clock moved by the test).
func TestBrowserSetupWizardToACall(t *testing.T) {
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
	br := loggedIn(t, base, 220*time.Second)

	// The status page offers the wizard on a new box.
	br.follow("setup-begin", chromedp.Click(chromedp.ID("setup-offer-start")))
	br.fits("start")
	br.follow("country", chromedp.Click(chromedp.ID("setup-begin")))

	next := func(nextID string) {
		t.Helper()
		br.follow(nextID, chromedp.Click(chromedp.ID("wizard-next")))
	}
	// 1. Country.
	br.do(chromedp.SetValue(chromedp.ID("country"), "ru"))
	br.fits("country")
	next("extension_length")
	// 2. Numbering: 3 digits, the factory extensions 101 and 102 stay.
	br.fits("numbering")
	next("numbers")
	// 3. Extensions; a range that goes down is refused beside the field,
	// with the names kept.
	br.do(fillByID("numbers", "203-201"), chromedp.SendKeys(byID("names"), "Reception\nSales\nBoss"))
	br.follow("numbers-error", chromedp.Click(chromedp.ID("wizard-next")))
	if got := br.text("numbers-error"); !strings.Contains(got, "goes down") {
		t.Errorf("numbers error %q", got)
	}
	if v, _ := chromedp.Run(br.ctx, chromedp.Value(byID("names"))); !strings.HasPrefix(v, "Reception") {
		t.Errorf("names not kept after the error: %q", v)
	}
	br.fits("extensions-error")
	br.do(fillByID("numbers", "201-203"))
	next("port-201")
	// 4. Phones: 201 and 202 analog (taking FXS 1 and 2 from 101 and
	// 102), 203 SIP.
	br.do(chromedp.SetValue(byID("port-201"), "1"), chromedp.SetValue(byID("port-202"), "2"))
	br.fits("phones")
	next("line1-dest")
	// 5. Lines: line 1 to the voice menu, line 2 to everyone.
	br.do(chromedp.SetValue(byID("line1-dest"), "menu"))
	br.fits("lines")
	next("host")
	// 6. No trunk.
	br.fits("trunk")
	next("outside_prefix")
	// 7. Outside calls on 9 through the lines.
	br.fits("outside")
	next("mailboxes")
	// 8. Voicemail for every new extension.
	br.fits("voicemail")
	next("open-mon")
	// 9. Business hours: Monday to Friday 9 to 18, then 201's mailbox.
	br.do(chromedp.Click(chromedp.ID("hours")), chromedp.SetValue(byID("closed_dest"), "vm:201"))
	br.fits("hours")
	next("key-1")
	// 10. The voice menu: key 1 rings 201 (the default).
	br.fits("menu")
	next("wizard-apply")
	// 11. The review lists what will be made; nothing is made yet.
	br.fits("review")
	review := br.text("main")
	for _, want := range []string{"Extension 201 — Reception", "Voice menu main", "Schedule office-hours", "Mailbox of 203",
		"Time condition hours-main", "Inbound route line-1", "Outbound route outside", "Extension 101 — FXS 1"} {
		if !strings.Contains(review, want) {
			t.Errorf("the review does not list %q", want)
		}
	}
	if now, _ := b.Service().ExportConfig(ctx); len(now.Extensions) != len(before.Extensions) || len(now.Menus) != 0 {
		t.Fatalf("the review changed the configuration: %d extensions, %d menus", len(now.Extensions), len(now.Menus))
	}
	br.follow("setup-done", chromedp.Click(chromedp.ID("wizard-apply")))
	br.fits("done")

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
