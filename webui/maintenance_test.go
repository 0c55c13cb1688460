package webui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeMaintenance records what the web UI asked of the box.
type fakeMaintenance struct {
	mu       sync.Mutex
	calls    []string
	resets   int
	log      []byte
	info     FirmwareInfo
	resetErr bool
}

func (m *fakeMaintenance) called(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.calls = append(m.calls, r.Method+" "+name+" "+r.URL.RawQuery)
		m.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"handler": name})
	})
}

func (m *fakeMaintenance) Firmware(context.Context) FirmwareInfo { return m.info }
func (m *fakeMaintenance) UpgradeHandler() http.Handler          { return m.called("upgrade") }
func (m *fakeMaintenance) ProgressHandler() http.Handler         { return m.called("progress") }
func (m *fakeMaintenance) BackupHandler() http.Handler           { return m.called("backup") }
func (m *fakeMaintenance) RestoreHandler() http.Handler          { return m.called("restore") }
func (m *fakeMaintenance) FactoryResetHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("confirm") != "erase" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "confirm=erase is required"})
			return
		}
		if m.resetErr {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "disk on fire"})
			return
		}
		m.mu.Lock()
		m.resets++
		m.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]bool{"reboot": true})
	})
}
func (m *fakeMaintenance) SupervisorLog() ([]byte, []byte, error) {
	if m.log == nil {
		return nil, nil, errors.New("no log")
	}
	return m.log, []byte(`{"running":true,"pid":42,"restarts":3,"last_exit":"exit status 75"}`), nil
}

func maintFixture(t *testing.T) (*fixture, *fakeMaintenance) {
	m := &fakeMaintenance{info: FirmwareInfo{Version: "1.2.3", Board: "minipbx-ref-armv7", Enabled: true, Booted: "a", Next: "b",
		Fallback: "a", Trial: true, Tries: 1, MaxTries: 3}, log: []byte("pbxd started\n<script>alert(1)</script>\n")}
	return newFixture(t, func(o *Options) { o.Maintenance = m }), m
}

func TestMaintenancePage(t *testing.T) {
	f, m := maintFixture(t)
	c := f.client()
	if w := c.get("/maintenance"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Fatalf("not logged in: %d %s", w.Code, w.Header().Get("Location"))
	}
	c.ready()
	w := c.get("/maintenance")
	body := w.Body.String()
	for _, want := range []string{`id="fw-version">1.2.3`, "on trial, try 1 of 3; falls back to a", `id="up-form"`, `id="up-force"`,
		`<form id="bk-form" class="stack" method="get" action="/api/v1/backup">`, `name="prompts" value="1"`, `id="bk-voicemail" name="voicemail" value="1"`,
		`<option value="replace">`, `id="fr-confirm"`, "pid 42", "exit status 75", "&lt;script&gt;alert(1)&lt;/script&gt;",
		`src="/static/maintenance.js"`, `id="nav-maintenance" aria-current="page"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("the supervisor log is not escaped")
	}
	if w := c.get("/static/maintenance.js"); w.Code != 200 || !strings.Contains(w.Body.String(), "X-CSRF-Token") {
		t.Errorf("script: %d", w.Code)
	}

	// Factory reset: the typed word is required; a wrong token is refused.
	if w := c.post("/maintenance/factory-reset", url.Values{"confirm": {"Erase!"}}); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="fr-error"`) {
		t.Fatalf("unconfirmed: %d", w.Code)
	}
	if w := c.post("/maintenance/factory-reset", url.Values{"confirm": {"erase"}, "csrf": {"forged"}}); w.Code != http.StatusForbidden {
		t.Fatalf("forged token: %d", w.Code)
	}
	if m.resets != 0 {
		t.Fatal("a reset was requested without confirmation")
	}
	if w := c.post("/maintenance/factory-reset", url.Values{"confirm": {"erase"}}); w.Code != 200 || !strings.Contains(w.Body.String(), `id="rebooting"`) {
		t.Fatalf("reset: %d %s", w.Code, w.Body)
	}
	if m.resets != 1 {
		t.Fatalf("resets %d", m.resets)
	}
	m.resetErr = true
	if w := c.post("/maintenance/factory-reset", url.Values{"confirm": {"erase"}}); w.Code != 500 || !strings.Contains(w.Body.String(), "disk on fire") {
		t.Fatalf("failed reset: %d", w.Code)
	}

	// Upgrades disabled: the page says why and has no upload form.
	m.info = FirmwareInfo{Version: "1.2.3", Disabled: "no boot configuration"}
	m.log = nil
	body = c.get("/maintenance").Body.String()
	if !strings.Contains(body, "Upgrades are disabled: no boot configuration.") || strings.Contains(body, `id="up-form"`) || !strings.Contains(body, `id="log-none"`) {
		t.Error("disabled upgrades not shown")
	}
}

func TestMaintenanceAPI(t *testing.T) {
	f, m := maintFixture(t)
	f.readyAPI()
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/api/v1/upgrade?force=1", "POST upgrade force=1"},
		{"GET", "/api/v1/upgrade/progress", "GET progress "},
		{"GET", "/api/v1/backup?prompts=1", "GET backup prompts=1"},
		{"GET", "/api/v1/backup?prompts=1&voicemail=1", "GET backup prompts=1&voicemail=1"},
		{"POST", "/api/v1/restore?voicemail=replace", "POST restore voicemail=replace"},
		{"POST", "/api/v1/restore", "POST restore "},
	} {
		m.calls = nil
		w := f.api(tc.method, tc.path, "")
		if w.Code != 200 || len(m.calls) != 1 || m.calls[0] != tc.want {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, w.Code, m.calls)
		}
	}
	if w := f.api("POST", "/api/v1/factory-reset", ""); w.Code != 400 || m.resets != 0 {
		t.Errorf("reset without confirm: %d", w.Code)
	}
	if w := f.api("POST", "/api/v1/factory-reset?confirm=erase", ""); w.Code != 200 || m.resets != 1 {
		t.Errorf("reset: %d", w.Code)
	}
	if w := f.api("GET", "/api/v1/firmware", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"version":"1.2.3"`) {
		t.Errorf("firmware: %d %s", w.Code, w.Body)
	}
	// Not logged in, or a session without the CSRF header: refused before
	// the box sees anything.
	m.calls = nil
	if w := f.apiAs("admin", "wrong", "POST", "/api/v1/upgrade", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", w.Code)
	}
	c := f.client()
	c.ready()
	if w := c.do("POST", "/api/v1/restore", strings.NewReader("x"), nil); w.Code != http.StatusForbidden {
		t.Errorf("no CSRF header: %d", w.Code)
	}
	if w := c.do("POST", "/api/v1/restore", strings.NewReader("x"), map[string]string{"X-CSRF-Token": c.csrf}); w.Code != 200 {
		t.Errorf("with CSRF header: %d", w.Code)
	}
	if len(m.calls) != 1 {
		t.Errorf("calls %v", m.calls)
	}
}

func TestMaintenanceUnavailable(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	for _, p := range []string{"/api/v1/firmware", "/api/v1/backup", "/api/v1/upgrade/progress"} {
		if w := f.api("GET", p, ""); w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	c := f.client()
	c.ready()
	if body := c.get("/maintenance").Body.String(); !strings.Contains(body, `id="maint-unavailable"`) {
		t.Error("page does not say maintenance is unavailable")
	}
}
