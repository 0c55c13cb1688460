package webui

import (
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/telephony/channel"
	"minipbx/telephony/voicemail"
)

// TestBrowserVoicemail: an installer opens the Voicemail page in a real
// Chromium; a message arriving while the overview is open shows up by
// itself (the live "voicemail" event). In the mailbox, the message's
// player loads and plays the WAV the box serves (the CSP lets the box's
// own media in; Chromium decodes it: duration known, time running), and
// a message arriving meanwhile does not cut the listening short — a
// notice offers the reload instead. Then the message is marked heard and
// deleted after the confirmation page, all with plain form posts.
func TestBrowserVoicemail(t *testing.T) {
	svc := newFakeService()
	svc.mustChange = false
	svc.addMailbox("101", "2580", false)
	// Hand the audio out as a stream without seeking (no Range
	// answers), as a service not serving from a file would: the harder
	// case for a player. Ranges are covered by TestVoicemailAudio and,
	// with the exchange's own store, TestVoicemailStoreRange.
	svc.vm.plainReader = true
	t0 := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	id := svc.addVoicemail("101", channel.CallerID{Number: "0301234567", Name: "Müller GmbH"}, t0, 2300)
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(base+"/voicemail"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", "initial-pass"), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("box-101")))
	if row := text(t, ctx, "box-101"); !strings.Contains(row, "Reception") || !strings.Contains(row, "1") {
		t.Errorf("mailbox row: %q", row)
	}
	waitJS(t, ctx, "the live event stream", `document.body.dataset.vmLive === "on"`)
	second := svc.addVoicemail("101", channel.CallerID{Withheld: "P"}, t0.Add(time.Minute), 1500)
	waitJS(t, ctx, "the overview to show the new message", `(document.querySelector("#box-101 .badge.info") || {}).textContent === "2"`)
	screenshot(t, ctx, "voicemail")

	do(t, ctx, chromedp.Click(chromedp.ID("open-101")), chromedp.WaitVisible(chromedp.ID("msg-"+id)))
	if row := text(t, ctx, "msg-"+id); !strings.Contains(row, "Müller GmbH") || !strings.Contains(row, "0301234567") || !strings.Contains(row, "0:02") {
		t.Errorf("message row: %q", row)
	}
	// Muted, so that the autoplay policy lets a script start it.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const a = document.getElementById("play-`+id+`"); a.muted = true; a.play(); })()`))
	waitJS(t, ctx, "the message to play", `(() => { const a = document.getElementById("play-`+id+`");
		return a.readyState >= 2 && Math.abs(a.duration - 2.3) < 0.05 && a.currentTime > 0.2 && !a.error; })()`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("play-`+id+`").pause()`))
	screenshot(t, ctx, "voicemail-box")

	// Half-heard: a new message only raises the notice.
	third := svc.addVoicemail("101", channel.CallerID{Number: "555"}, t0.Add(2*time.Minute), 800)
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("vm-changed")))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#messages tbody tr").length`)); n != 2 {
		t.Errorf("the page reloaded under the listener: %d rows", n)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("vm-reload")), chromedp.WaitVisible(chromedp.ID("msg-"+third)))

	do(t, ctx, chromedp.Click(chromedp.ID("mark-"+id)), chromedp.WaitVisible(chromedp.ID("flash")))
	if f := text(t, ctx, "flash"); !strings.Contains(f, "marked as heard") {
		t.Errorf("flash: %q", f)
	}
	if st := run(t, ctx, chromedp.Evaluate[string](`document.getElementById("msg-`+id+`").dataset.heard`)); st != "true" {
		t.Errorf("row after marking: heard=%q", st)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("delete-"+id)), chromedp.WaitVisible(chromedp.ID("confirm-delete")))
	screenshot(t, ctx, "voicemail-delete")
	do(t, ctx, chromedp.Click(chromedp.ID("confirm-delete")), chromedp.WaitVisible(chromedp.ID("flash")))
	if f := text(t, ctx, "flash"); !strings.Contains(f, "is deleted") {
		t.Errorf("flash: %q", f)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#msg-`+id+`").length`)); n != 0 {
		t.Error("the deleted message is still listed")
	}
	if m := svc.voicemailOf("101"); len(m) != 2 || m[0].ID != second || m[1].ID != third {
		t.Errorf("left: %+v", m)
	}
}

// TestBrowserVoicemailStoreWAV: the WAV the exchange's message store
// makes of a recorded message (μ-law on disk, 16-bit PCM to the browser)
// is one Chromium decodes and plays, served through the page's route.
func TestBrowserVoicemailStoreWAV(t *testing.T) {
	vm, err := voicemail.Open(t.TempDir(), voicemail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := vm.Create("101", channel.CallerID{Number: "0301234567"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tone := make([]int16, 8000*3) // 3 s of 440 Hz
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	if err := rec.Write(tone); err != nil {
		t.Fatal(err)
	}
	msg, err := rec.Commit()
	if err != nil {
		t.Fatal(err)
	}
	svc := newFakeService()
	svc.mustChange = false
	svc.addMailbox("101", "2580", false)
	id := svc.addVoicemail("101", channel.CallerID{Number: "0301234567"}, msg.Received, 3000)
	svc.vm.audio = func(box, _ string) (io.ReadCloser, int64, error) { return vm.WAV(box, msg.ID) }
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(base+"/voicemail/101"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", "initial-pass"), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("msg-"+id)))
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const a = document.getElementById("play-`+id+`"); a.muted = true; a.play(); })()`))
	waitJS(t, ctx, "the stored message to play", `(() => { const a = document.getElementById("play-`+id+`");
		return a.readyState >= 2 && Math.abs(a.duration - 3) < 0.05 && a.currentTime > 0.2 && !a.error; })()`)
}

// TestBrowserVoicemailForm: the voicemail part of the dial plan in
// Chromium: a guessable PIN is refused beside its field, a good one is
// saved, and the page after saving shows the PIN field empty with
// "unchanged" in it.
func TestBrowserVoicemailForm(t *testing.T) {
	svc := newFakeService()
	svc.mustChange = false
	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(base+"/dialplan/voicemail"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", "initial-pass"), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("object-form")),
		chromedp.SetValue(byID("boxes[0].extension"), "101"), fillID("boxes[0].pin", "1234"),
		chromedp.Click(chromedp.ID("object-form-submit")), chromedp.WaitVisible(byID("boxes[0].pin-error")))
	screenshot(t, ctx, "voicemail-form-error")
	if e := run(t, ctx, chromedp.TextContent(byID("boxes[0].pin-error"))); !strings.Contains(e, "run of digits") {
		t.Errorf("PIN error: %q", e)
	}
	do(t, ctx, fillID("boxes[0].pin", "4711"), chromedp.Click(chromedp.ID("object-form-submit")), chromedp.WaitVisible(chromedp.ID("flash")))
	screenshot(t, ctx, "voicemail-form")
	got := run(t, ctx, chromedp.Evaluate[string](`(() => { const p = document.getElementById("boxes[0].pin");
		return [p.type, p.value, p.placeholder, document.getElementById("boxes[0].extension").value, document.documentElement.outerHTML.includes("4711")].join("|"); })()`))
	if got != "password||unchanged|101|false" {
		t.Errorf("after saving: %q", got)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if b, ok := svc.plan.Voicemail.Box("101"); !ok || b.PIN != "4711" {
		t.Errorf("saved %+v", svc.plan.Voicemail)
	}
}
