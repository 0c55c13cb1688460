package box

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/dsp/audiofile"
	"minipbx/internal/audiotest"
	"minipbx/internal/browsertest"
	"minipbx/telephony/store"
)

// byID selects an element whose id CSS would read as syntax (the dial-plan
// forms' "boxes[0].pin").
func byID(id string) chromedp.CSS { return chromedp.CSS(`[id="` + id + `"]`) }

// fillByID clears the input with the given id and types value into it.
func fillByID(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Clear(byID(id)), chromedp.SendKeys(byID(id), value))
}

// boxBrowser is a headless Chromium logged in to the box's web UI as the
// installer (whose password is testPassword).
type boxBrowser struct {
	t   *testing.T
	ctx context.Context
}

// loggedIn starts Chromium for the test, ending after timeout, and logs in.
func loggedIn(t *testing.T, base string, timeout time.Duration) *boxBrowser {
	t.Helper()
	br := &boxBrowser{t: t, ctx: browsertest.Launch(t, timeout)}
	br.do(chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("password"), testPassword))
	br.follow("nav-dialplan", chromedp.Click(chromedp.ID("login")))
	return br
}

func (br *boxBrowser) do(steps ...chromedp.Action[chromedp.Void]) {
	br.t.Helper()
	browsertest.Do(br.t, br.ctx, steps...)
}

// follow runs steps that leave the page (a link, a submit button) and
// waits for the next page itself: loaded, with an element of the given id.
// Waiting for an element alone is not enough: one of the same id on the
// page being left satisfies the wait, and the next step then races the
// navigation ("Could not find node with given id").
func (br *boxBrowser) follow(id string, steps ...chromedp.Action[chromedp.Void]) {
	br.t.Helper()
	followPage(br.t, br.ctx, id, steps...)
}

// followPage is boxBrowser.follow for a bare browser context.
func followPage(t *testing.T, ctx context.Context, id string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browsertest.Do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__leaving = true`))
	browsertest.Do(t, ctx, steps...)
	expr := `window.__leaving === undefined && document.readyState === "complete" && document.getElementById(` + jsString(id) + `) !== null`
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("waiting for the next page with #%s at %s: %v", id, loc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// text is the trimmed text of the element with the given id.
func (br *boxBrowser) text(id string) string {
	br.t.Helper()
	s, err := chromedp.Run(br.ctx, chromedp.TextContent(byID(id)))
	if err != nil {
		br.t.Fatalf("text of #%s: %v", id, err)
	}
	return strings.TrimSpace(s)
}

// waitJS polls a condition through DevTools evaluation (the page's CSP
// forbids chromedp.Poll's new Function).
func (br *boxBrowser) waitJS(what, expr string, within time.Duration) {
	br.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := chromedp.Run(br.ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(br.ctx, chromedp.Location())
			br.t.Fatalf("waiting for %s at %s: %v", what, loc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrowserVoicemailInstallerAndCaller is voicemail as an installer and
// a caller meet it, in a real headless Chromium against the whole box on
// the simulated board:
//
//   - Dial plan → Voicemail: a mailbox for the analog extension 101 with
//     the guessable PIN 1234 is refused beside the PIN field; a good PIN
//     saves. Dial plan → Extension rules: 101 forwards to voicemail:101
//     when not answered within 5 s (the shortest ring time the store
//     takes). Both through the real forms only.
//   - A caller on a telco line (caller ID 0301234567) rings in to 101; the
//     analog phone rings and nobody lifts it; voicemail answers, the
//     caller presses '#' (DTMF in band) to skip the greeting, hears the
//     beep, leaves 3 s of 1 kHz and hangs up. The analog phone's
//     message-waiting lamp lights.
//   - The Voicemail overview, open all along, shows the new message by
//     itself (the live event); the mailbox lists it with the caller's
//     number, and its player plays the box's WAV (Chromium decodes it,
//     duration that of the message). "Mark as heard" puts the lamp out;
//     Delete, after its confirmation, leaves the mailbox empty. The call
//     history shows the call as voicemail's.
func TestBrowserVoicemailInstallerAndCaller(t *testing.T) {
	b := startBox(t, "")
	ctx := tctx(t, 90*time.Second)
	if err := b.Service().SetAdminPassword(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	// The telco line is the box's own configuration, not what this test
	// is about: every call on line 1 goes to extension 101.
	if _, err := b.Service().UpdateFXOLine(ctx, store.FXOLine{Port: 1, Name: "Line 1", Enabled: true,
		AnswerAfterRings: 2, Destination: "101"}); err != nil {
		t.Fatal(err)
	}
	br := loggedIn(t, "https://"+b.WebAddr(), 80*time.Second)
	bctx, do, follow, text, fillID, waitJS := br.ctx, br.do, br.follow, br.text, fillByID, br.waitJS
	click := func(id string) chromedp.Action[chromedp.Void] { return chromedp.Click(byID(id)) }

	// Dial plan → Voicemail: 1234 is refused beside the PIN field.
	follow("dialplan-link-voicemail", click("nav-dialplan"))
	follow("object-form", click("dialplan-link-voicemail"))
	do(chromedp.SetValue(byID("boxes[0].extension"), "101"), fillID("boxes[0].pin", "1234"))
	follow("boxes[0].pin-error", click("object-form-submit"))
	if e := text("boxes[0].pin-error"); !strings.Contains(e, "run of digits") {
		t.Errorf("the error beside the PIN: %q", e)
	}
	if c, _ := b.Service().ExportConfig(ctx); len(c.Voicemail.Boxes) != 0 {
		t.Fatalf("a refused form saved mailboxes %+v", c.Voicemail.Boxes)
	}
	do(fillID("boxes[0].pin", "4826"))
	follow("flash", click("object-form-submit"))
	if c, _ := b.Service().ExportConfig(ctx); len(c.Voicemail.Boxes) != 1 || c.Voicemail.Boxes[0] != (store.Mailbox{Extension: "101", PIN: "4826"}) {
		t.Fatalf("mailboxes saved: %+v", c.Voicemail.Boxes)
	}

	// Dial plan → Extension rules: 101 not answered in 5 s → its mailbox.
	follow("dialplan-link-extension_rules", click("nav-dialplan"))
	follow("new-object", click("dialplan-link-extension_rules"))
	follow("object-form", click("new-object"))
	// The form offers the new mailbox as a destination and says, before
	// sending, the shortest ring time the box takes.
	if got, err := chromedp.Run(bctx, chromedp.Evaluate[string](`[
		document.querySelector('[id="forward_no_answer"] option[value="voicemail:101"]') !== null,
		document.getElementById("no_answer_s").min].join("|")`)); err != nil || got != "true|5" {
		t.Errorf("the extension rule form: mailbox offered|ring-time minimum = %q, %v; want true|5", got, err)
	}
	do(chromedp.SetValue(chromedp.ID("extension"), "101"), chromedp.SetValue(byID("forward_no_answer"), "voicemail:101"), fillID("no_answer_s", "5"))
	follow("flash", click("object-form-submit"))
	if row := text("objects"); !strings.Contains(row, "forward no answer → voicemail:101") {
		t.Errorf("extension rules listed: %q", row)
	}
	c, err := b.Service().ExportConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ExtensionRules) != 1 || c.ExtensionRules[0].Extension != "101" || c.ExtensionRules[0].ForwardNoAnswer != "voicemail:101" ||
		c.ExtensionRules[0].NoAnswerS != 5 {
		t.Fatalf("extension rules saved: %+v", c.ExtensionRules)
	}

	// The Voicemail page is open while the call comes in.
	follow("box-101", click("nav-voicemail"))
	if row := text("box-101"); !strings.Contains(row, "101") {
		t.Errorf("mailbox row before the call: %q", row)
	}
	waitJS("the live event stream", `document.body.dataset.vmLive === "on"`, 10*time.Second)

	// A telco caller rings in; the analog phone of 101 rings unanswered.
	ph := b.Sim().Phone(1)
	line := b.Sim().Line(1)
	if err := line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := line.Ring(dsp.CallerIDMessage{Number: "0301234567", Name: "OUTSIDE CALLER", Time: time.Now(), HasTime: true, MDMF: true}); err != nil {
		t.Fatal(err)
	}
	if err := line.WaitSeized(ctx); err != nil {
		t.Fatalf("the box did not answer the line: %v", err)
	}
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatalf("101's phone did not ring: %v", err)
	}
	// Voicemail answers once the ring time has passed; then '#' skips the
	// greeting (the ~9 s built-in one) straight to the beep.
	waitVoicemailState(t, b, 10*time.Second)
	for deadline := time.Now().Add(time.Second); ph.Ringing(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("101's phone still rings with voicemail answering")
		}
	}
	line.Record()
	gen := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{})
	if err := gen.Queue("#"); err != nil {
		t.Fatal(err)
	}
	key := make([]int16, 8000/4)
	gen.Read(key)
	line.Play(key)
	waitTone(t, "the beep after '#'", line.Recording, 3, 4*time.Second)
	tone := audiotest.Tone{Freq: 1000, Peak: 8000}
	line.Talk(tone.Fill)
	time.Sleep(3 * time.Second)
	line.Talk(nil)
	time.Sleep(300 * time.Millisecond)
	if err := line.Hangup(sim.HangupLoopDrop); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "0301234567" && r.Disposition == "voicemail" })
	if err := ph.WaitMessageWaiting(tctx(t, 10*time.Second), true); err != nil {
		t.Fatalf("101's lamp: %v", err)
	}

	msgs, err := b.Service().VoicemailMessages(ctx, "101")
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages in 101: %+v, %v", msgs, err)
	}
	msg := msgs[0]
	if msg.Caller.Number != "0301234567" || msg.DurationMS < 2700 || msg.DurationMS > 3400 || msg.Heard {
		t.Errorf("message %+v, want 3 s from 0301234567, new", msg)
	}
	// What was recorded is the caller's tone, not the greeting or noise.
	rc, _, err := b.Service().VoicemailAudio(ctx, "101", msg.ID)
	if err != nil {
		t.Fatal(err)
	}
	samples, rate, err := audiofile.ReadWAV(rc)
	rc.Close()
	if err != nil || rate != 8000 {
		t.Fatalf("message audio: rate %d, %v", rate, err)
	}
	if n, want := toneBlocks(samples), len(samples)/800*8/10; n < want {
		t.Errorf("the message holds %d of %d 100 ms blocks of 1 kHz, want at least %d", n, len(samples)/800, want)
	}

	// The overview shows the message by itself.
	waitJS("the overview to show 1 new message", `(document.querySelector("#box-101 .badge.info") || {}).textContent === "1"`, 10*time.Second)

	// The mailbox: the caller's number, the length, the player.
	follow("msg-"+msg.ID, click("open-101"))
	if row := text("msg-" + msg.ID); !strings.Contains(row, "OUTSIDE CALLER") || !strings.Contains(row, "0301234567") ||
		!strings.Contains(row, "0:03") || !strings.Contains(row, "new") {
		t.Errorf("message row: %q", row)
	}
	play := `document.getElementById("play-` + msg.ID + `")`
	// Muted, so that the autoplay policy lets a script start it.
	do(chromedp.Evaluate[chromedp.Void](`(() => { const a = ` + play + `; a.muted = true; a.play(); })()`))
	waitJS("the message to play", `(() => { const a = `+play+`;
		return a.readyState >= 2 && Math.abs(a.duration - `+jsNumber(float64(msg.DurationMS)/1000)+`) < 0.05 && a.currentTime > 0.2 && !a.error; })()`, 10*time.Second)
	do(chromedp.Evaluate[chromedp.Void](play + `.pause()`))

	// Marked as heard: the lamp goes out.
	follow("flash", click("mark-"+msg.ID))
	if err := ph.WaitMessageWaiting(tctx(t, 10*time.Second), false); err != nil {
		t.Fatalf("101's lamp after the message was marked heard: %v", err)
	}
	if f := text("flash"); !strings.Contains(f, "marked as heard") {
		t.Errorf("flash after marking: %q", f)
	}
	if st := text("vm-new"); st != "0" {
		t.Errorf("new messages shown after marking: %q", st)
	}

	// Deleted after the confirmation: the mailbox is empty.
	follow("confirm-delete", click("delete-"+msg.ID))
	if q := text("main"); !strings.Contains(q, "0301234567") {
		t.Errorf("the confirmation does not name the message: %q", q)
	}
	follow("vm-empty", click("confirm-delete"))
	if f := text("flash"); !strings.Contains(f, "is deleted") {
		t.Errorf("flash after deleting: %q", f)
	}
	if msgs, err := b.Service().VoicemailMessages(ctx, "101"); err != nil || len(msgs) != 0 {
		t.Errorf("messages left in 101: %+v, %v", msgs, err)
	}
	if ph.MessageWaiting() {
		t.Error("101's lamp lit again after the delete")
	}

	// The call history tells the call went to voicemail.
	follow("call-records", click("nav-calls"))
	if h := text("call-records"); !strings.Contains(h, "0301234567") || !strings.Contains(h, "voicemail") {
		t.Errorf("call history: %q", h)
	}
}

// waitVoicemailState waits until a call in progress is with voicemail.
func waitVoicemailState(t *testing.T, b *testBox, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := b.Exchange().Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range st.Calls {
			if c.State == "voicemail" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no call went to voicemail; calls %+v", st.Calls)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jsNumber writes f for a JavaScript expression.
func jsNumber(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }
