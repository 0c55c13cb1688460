package box

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/internal/audiotest"
	"minipbx/telephony/store"
)

// TestBrowserRecordingOnAVoiceMenu: the installer uploads the studio's
// welcome (a 44.1 kHz stereo WAV of 1 kHz) through the Recordings page's
// real form in Chromium, makes a voice menu of it on Dial plan → Voice
// menus (the recordings list offers it), Dial plan → Inbound routes sends
// the telco lines there, and a caller on a telco line
// hears it: the same tone, at the line's 8 kHz. The Recordings page then
// shows the recording in use by the menu, so it cannot be deleted from
// under it. A second menu naming a recording never uploaded is saved with
// a warning that says so, and the dial plan page lists it as missing.
func TestBrowserRecordingOnAVoiceMenu(t *testing.T) {
	b := startBox(t, "")
	ctx := tctx(t, 60*time.Second)
	if err := b.Service().SetAdminPassword(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	wav := filepath.Join(t.TempDir(), "Welcome (studio).wav")
	if err := os.WriteFile(wav, audiotest.StudioWAV(1000, 2), 0o600); err != nil {
		t.Fatal(err)
	}
	br := loggedIn(t, "https://"+b.WebAddr(), 50*time.Second)

	click := func(id string) chromedp.Action[chromedp.Void] { return chromedp.Click(byID(id)) }
	br.follow("upload-form", click("nav-recordings"))
	br.do(fillByID("upload-name", "welcome"), chromedp.SetUploadFiles(byID("upload-file"), []string{wav}))
	br.follow("flash", click("upload-submit"))
	if f := br.text("flash"); !strings.Contains(f, "welcome.wav is saved (0:02 long)") {
		t.Errorf("flash after the upload: %q", f)
	}

	br.follow("dialplan-link-ivr_menus", click("nav-dialplan"))
	br.follow("new-object", click("dialplan-link-ivr_menus"))
	br.follow("object-form", click("new-object"))
	if ok, err := chromedp.Run(br.ctx, chromedp.Evaluate[bool](`document.querySelector('#recordings option[value="welcome.wav"]') !== null`)); err != nil || !ok {
		t.Errorf("the menu form does not offer the upload: %v, %v", ok, err)
	}
	br.do(fillByID("name", "main"), fillByID("prompts[0].file", "welcome.wav"))
	br.follow("flash", click("object-form-submit"))
	if c, err := b.Service().ExportConfig(ctx); err != nil || len(c.Menus) != 1 || len(c.Menus[0].Prompts) != 1 || c.Menus[0].Prompts[0].File != "welcome.wav" {
		t.Fatalf("menus saved: %+v, %v", c.Menus, err)
	}

	// Dial plan → Inbound routes: the telco lines' calls go to the menu.
	br.follow("dialplan-link-inbound_routes", click("nav-dialplan"))
	br.follow("new-object", click("dialplan-link-inbound_routes"))
	br.follow("object-form", click("new-object"))
	br.do(fillByID("name", "main-line"), chromedp.SetValue(byID("destination"), "menu:main"))
	br.follow("flash", click("object-form-submit"))
	if c, err := b.Service().ExportConfig(ctx); err != nil || len(c.InboundRoutes) != 1 || c.InboundRoutes[0].Destination != "menu:main" {
		t.Fatalf("inbound routes saved: %+v, %v", c.InboundRoutes, err)
	}

	line := b.Sim().Line(1)
	if err := line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := line.Ring(dsp.CallerIDMessage{Number: "0301234567", Time: time.Now(), HasTime: true, MDMF: true}); err != nil {
		t.Fatal(err)
	}
	if err := line.WaitSeized(ctx); err != nil {
		t.Fatalf("the menu did not answer: %v", err)
	}
	line.Record()
	waitTone(t, "the uploaded welcome on the line", line.Recording, 15, 10*time.Second)
	if err := line.Hangup(sim.HangupLoopDrop); err != nil {
		t.Fatal(err)
	}
	// Hanging up in the menu is a call like any other in the history.
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Source == "fxo:1" && r.Caller == "0301234567" && r.Disposition == store.DispositionAbandoned
	})

	br.follow("rec-welcome.wav", click("nav-recordings"))
	if row := br.text("rec-welcome.wav"); !strings.Contains(row, "menu main") || !strings.Contains(row, "in use") {
		t.Errorf("the recording's row: %q", row)
	}

	br.follow("dialplan-link-ivr_menus", click("nav-dialplan"))
	br.follow("new-object", click("dialplan-link-ivr_menus"))
	br.follow("object-form", click("new-object"))
	br.do(fillByID("name", "closed"), fillByID("prompts[0].file", "closed.wav"))
	br.follow("flash", click("object-form-submit"))
	if f := br.text("flash"); !strings.Contains(f, "Voice menu closed created. Warning: The recording closed.wav has not been uploaded") {
		t.Errorf("flash after saving a menu of a recording never uploaded: %q", f)
	}
	br.follow("missing-recordings", click("nav-dialplan"))
	if m := br.text("missing-recordings"); !strings.Contains(m, "closed.wav") || strings.Contains(m, "welcome.wav") {
		t.Errorf("the dial plan page's missing recordings: %q", m)
	}
}
