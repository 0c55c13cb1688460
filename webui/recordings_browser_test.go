package webui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"minipbx/internal/audiotest"
	"minipbx/telephony/recordings"
	"minipbx/telephony/store"
)

// TestBrowserRecordings: an installer on site uploads the studio's
// 44.1 kHz stereo WAV through the Recordings page's real form in
// Chromium (a plain multipart post), hears it in the page's player (the
// box serves the converted 8 kHz file; Chromium decodes it), sees a
// text file refused beside the file field, replaces the built-in
// "goodbye" with an MP3 from the prompt's "Replace" link and restores
// the built-in after the confirmation page.
func TestBrowserRecordings(t *testing.T) {
	svc := newFakeService()
	svc.mustChange = false
	svc.withRecordings(t)
	svc.plan.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{File: "welcome.wav"}}}}
	dir := t.TempDir()
	wav := filepath.Join(dir, "Welcome (studio).wav")
	txt := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(wav, audiotest.StudioWAV(1000, 1.5), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(txt, []byte("this is not audio"), 0o644); err != nil {
		t.Fatal(err)
	}
	mp3, err := filepath.Abs("../telephony/recordings/testdata/tone-1khz-44k-stereo.mp3")
	if err != nil {
		t.Fatal(err)
	}

	base := serveForBrowser(t, svc)
	ctx := newBrowser(t)
	// Every step that leaves the page follows it to the next page itself
	// (follow): waiting for an element the old page also has races the
	// navigation.
	do(t, ctx, chromedp.Navigate(base+"/recordings"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", "initial-pass"))
	follow(t, ctx, "upload-form", chromedp.Click(chromedp.ID("login")))
	if row := run(t, ctx, chromedp.TextContent(byID("rec-welcome.wav"))); !strings.Contains(row, "missing") {
		t.Errorf("the menu's missing recording: %q", row)
	}

	// Over the limit: stopped in the page before a long upload, in the
	// box's words.
	huge := filepath.Join(dir, "huge.wav")
	if err := os.WriteFile(huge, make([]byte, recordings.MaxUploadBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, fillID("upload-name", "huge"), chromedp.SetUploadFiles(byID("upload-file"), []string{huge}),
		chromedp.Click(chromedp.ID("upload-submit")), chromedp.WaitVisible(byID("upload-file-error")))
	if e := run(t, ctx, chromedp.TextContent(byID("upload-file-error"))); !strings.Contains(e, "larger than 10 MB") {
		t.Errorf("error for a file over the limit: %q", e)
	}
	do(t, ctx, chromedp.Navigate(base+"/recordings"), chromedp.WaitVisible(chromedp.ID("upload-form")))

	// A text file: refused beside the file field, nothing stored.
	do(t, ctx, fillID("upload-name", "notes"), chromedp.SetUploadFiles(byID("upload-file"), []string{txt}))
	follow(t, ctx, "upload-file-error", chromedp.Click(chromedp.ID("upload-submit")))
	if e := run(t, ctx, chromedp.TextContent(byID("upload-file-error"))); !strings.Contains(e, "not a WAV or MP3 file") {
		t.Errorf("error beside the file field: %q", e)
	}
	screenshot(t, ctx, "recordings-error")

	do(t, ctx, fillID("upload-name", "welcome"), chromedp.SetUploadFiles(byID("upload-file"), []string{wav}))
	follow(t, ctx, "flash", chromedp.Click(chromedp.ID("upload-submit")))
	if f := text(t, ctx, "flash"); !strings.Contains(f, "welcome.wav is saved (0:02 long)") || !strings.Contains(f, "menu main") {
		t.Errorf("flash: %q", f)
	}
	if row := run(t, ctx, chromedp.TextContent(byID("rec-welcome.wav"))); !strings.Contains(row, "menu main") || !strings.Contains(row, "in use") {
		t.Errorf("row: %q", row)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const a = document.getElementById("play-welcome.wav"); a.muted = true; a.play(); })()`))
	waitJS(t, ctx, "the uploaded recording to play", `(() => { const a = document.getElementById("play-welcome.wav");
		return a.readyState >= 2 && Math.abs(a.duration - 1.5) < 0.05 && a.currentTime > 0.2 && !a.error; })()`)
	screenshot(t, ctx, "recordings")

	// Replace a built-in with an MP3: the link fills in the name.
	follow(t, ctx, "upload-form", chromedp.Click(chromedp.ID("replace-goodbye")))
	waitJS(t, ctx, "the Replace page", `location.search.includes("replace=goodbye") && document.readyState === "complete"`)
	if v := run(t, ctx, chromedp.Evaluate[string](`document.getElementById("upload-name").value`)); v != "goodbye" {
		t.Errorf("name after Replace: %q", v)
	}
	do(t, ctx, chromedp.SetUploadFiles(byID("upload-file"), []string{mp3}))
	follow(t, ctx, "flash", chromedp.Click(chromedp.ID("upload-submit")))
	if f := text(t, ctx, "flash"); !strings.Contains(f, `instead of the built-in prompt "goodbye"`) {
		t.Errorf("flash: %q", f)
	}
	if row := text(t, ctx, "builtin-goodbye"); !strings.Contains(row, "replaced by your recording") {
		t.Errorf("built-in row: %q", row)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const a = document.getElementById("play-goodbye.wav"); a.muted = true; a.play(); })()`))
	waitJS(t, ctx, "the replacement to play", `(() => { const a = document.getElementById("play-goodbye.wav");
		return a.readyState >= 2 && a.duration > 1.4 && a.currentTime > 0.2 && !a.error; })()`)
	follow(t, ctx, "confirm-delete", chromedp.Click(chromedp.ID("restore-goodbye")))
	follow(t, ctx, "flash", chromedp.Click(chromedp.ID("confirm-delete")))
	if f := text(t, ctx, "flash"); !strings.Contains(f, "built-in prompt \"goodbye\" again") {
		t.Errorf("flash: %q", f)
	}
	if row := text(t, ctx, "builtin-goodbye"); strings.Contains(row, "replaced") {
		t.Errorf("still replaced: %q", row)
	}
}
