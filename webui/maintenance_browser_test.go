package webui

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// backupMaintenance answers the backup and restore routes as the box
// does (a download; a restore result with what was done to voicemail)
// and records each request's query.
type backupMaintenance struct {
	*fakeMaintenance
}

func (m backupMaintenance) record(r *http.Request, name string) {
	m.mu.Lock()
	m.calls = append(m.calls, r.Method+" "+name+" "+r.URL.RawQuery)
	m.mu.Unlock()
}

func (m backupMaintenance) BackupHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.record(r, "backup")
		w.Header().Set("Content-Type", "application/gzip")
		w.Header().Set("Content-Disposition", `attachment; filename="minipbx-backup.tar.gz"`)
		w.Write([]byte("\x1f\x8b"))
	})
}

func (m backupMaintenance) RestoreHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.record(r, "restore")
		writeJSON(w, http.StatusOK, map[string]any{"firmware": "1.2.0", "prompts": []string{},
			"voicemail": map[string]any{"included": true, "mode": "replace", "messages": 3, "greetings": 2,
				"kept_messages": 0, "kept_greetings": 0, "removed_messages": 1, "removed_greetings": 0}})
	})
}

func (m backupMaintenance) callsSoFar() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// TestBrowserBackupVoicemail: on the Maintenance page in Chromium, the
// backup form's voicemail checkbox asks the box for ?voicemail=1, and
// the restore form sends the voicemail choice (?voicemail=replace) and
// reports what the box did with the voicemail.
func TestBrowserBackupVoicemail(t *testing.T) {
	svc := newFakeService()
	svc.mustChange = false
	m := backupMaintenance{&fakeMaintenance{info: FirmwareInfo{Version: "1.2.3", Disabled: "no boot configuration"}}}
	base := serveOptions(t, Options{Service: svc, Maintenance: m})

	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(base+"/maintenance"), chromedp.WaitVisible(chromedp.ID("login-form")),
		fill("password", "initial-pass"), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("bk-form")))
	do(t, ctx, chromedp.Click(chromedp.ID("bk-voicemail")), chromedp.Click(chromedp.ID("bk-download")))
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(m.callsSoFar(), "GET backup voicemail=1") {
		if time.Now().After(deadline) {
			t.Fatalf("the backup form asked %v, want GET backup voicemail=1", m.callsSoFar())
		}
		time.Sleep(50 * time.Millisecond)
	}

	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := os.WriteFile(file, []byte("\x1f\x8b backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The download may have replaced the page (a browser navigates when
	// the answer is not an attachment): start the restore from a fresh
	// page whose deferred script has run, or the click submits the form
	// natively before maintenance.js has taken it over.
	do(t, ctx, chromedp.Navigate(base+"/maintenance"), chromedp.WaitVisible(chromedp.ID("rs-form")))
	waitJS(t, ctx, "the page's scripts", `document.readyState === "complete"`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.SetUploadFiles(chromedp.ID("rs-file"), []string{file}),
		chromedp.SetValue(chromedp.ID("rs-voicemail"), "replace"),
		chromedp.Click(chromedp.ID("rs-submit")))
	waitJS(t, ctx, "the restore's answer", `document.getElementById("rs-status").textContent.includes("Restored")`)
	status := text(t, ctx, "rs-status")
	if !strings.Contains(status, "Voicemail: 3 messages and 2 greetings restored; 1 messages and 0 greetings not in the backup deleted.") {
		t.Errorf("status: %q", status)
	}
	if calls := m.callsSoFar(); !slices.Contains(calls, "POST restore voicemail=replace") {
		t.Errorf("the restore form asked %v, want POST restore voicemail=replace", calls)
	}
}
