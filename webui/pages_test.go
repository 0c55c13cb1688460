package webui

import (
	"crypto/tls"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestExtensionPages(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()

	w := c.get("/extensions")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="ext-101"`) {
		t.Fatalf("list: %d", w.Code)
	}
	w = c.get("/extensions/new")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "exactly 3 digits") {
		t.Fatalf("new form: %d; help text should give the numbering plan", w.Code)
	}

	tests := []struct {
		name       string
		form       url.Values
		wantCode   int
		field      string // where the error must appear
		wantInErr  string
		keepValues map[string]string
	}{
		{"duplicate", url.Values{"number": {"101"}, "name": {"Again"}, "fxs_port": {"0"}},
			http.StatusConflict, "number", "already exists", map[string]string{"number": "101", "name": "Again"}},
		{"too short", url.Values{"number": {"12"}, "name": {"Short"}, "secret": {"kept-secret"}, "fxs_port": {"2"}},
			http.StatusUnprocessableEntity, "number", "exactly 3 digits", map[string]string{"number": "12", "name": "Short", "secret": "kept-secret"}},
		{"outside prefix", url.Values{"number": {"901"}, "fxs_port": {"0"}},
			http.StatusUnprocessableEntity, "number", "outside prefix", nil},
		{"bad port value", url.Values{"number": {"105"}, "fxs_port": {"x"}},
			http.StatusUnprocessableEntity, "fxs_port", "Choose a port", map[string]string{"number": "105"}},
		{"port not on board", url.Values{"number": {"105"}, "fxs_port": {"7"}},
			http.StatusUnprocessableEntity, "fxs_port", "No such FXS port", nil},
		{"html in name is escaped", url.Values{"number": {"1"}, "name": {`<script>alert(1)</script>`}, "fxs_port": {"0"}},
			http.StatusUnprocessableEntity, "number", "digits", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			writes, _ := f.svc.snapshot()
			c.get("/extensions/new")
			w := c.post("/extensions/new", tc.form)
			body := w.Body.String()
			if w.Code != tc.wantCode {
				t.Fatalf("code %d, want %d", w.Code, tc.wantCode)
			}
			if got := html.UnescapeString(fieldErrorHTML(body, tc.field)); !strings.Contains(strings.ToLower(got), strings.ToLower(tc.wantInErr)) {
				t.Errorf("error beside %s: %q, want it to contain %q", tc.field, got, tc.wantInErr)
			}
			if !strings.Contains(body, `aria-invalid="true"`) {
				t.Error("the field with an error is not marked aria-invalid")
			}
			for id, want := range tc.keepValues {
				if got, _ := inputValue(body, id); got != want {
					t.Errorf("field %s lost its value: %q, want %q", id, got, want)
				}
			}
			if strings.Contains(body, "<script>alert") {
				t.Error("posted HTML is not escaped")
			}
			if after, _ := f.svc.snapshot(); after != writes {
				t.Error("a refused form changed the configuration")
			}
		})
	}

	// Create, edit, delete.
	c.get("/extensions/new")
	w = c.post("/extensions/new", url.Values{"number": {"102"}, "name": {"Office"}, "fxs_port": {"2"}, "outside_calls": {"on"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/extensions" {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	w = c.get("/extensions")
	if !strings.Contains(w.Body.String(), `id="ext-102"`) || !strings.Contains(w.Body.String(), "Extension 102 created.") {
		t.Fatal("list after create lacks the extension or the confirmation")
	}
	_, exts := f.svc.snapshot()
	if e := exts[len(exts)-1]; e.Number != "102" || e.FXSPort != 2 || !e.OutsideCalls || e.Secret == "" {
		t.Fatalf("created %+v", e)
	}

	w = c.get("/extensions/102/edit")
	if v, _ := inputValue(w.Body.String(), "secret"); v != "generated-102" {
		t.Fatalf("edit form secret %q", v)
	}
	w = c.post("/extensions/102/edit", url.Values{"number": {"101"}, "name": {"Office"}, "secret": {"generated-102"}, "fxs_port": {"2"}})
	if w.Code != http.StatusConflict || fieldErrorHTML(w.Body.String(), "number") == "" {
		t.Fatalf("renumber onto a taken number: %d", w.Code)
	}
	w = c.post("/extensions/102/edit", url.Values{"number": {"103"}, "name": {"Office 2"}, "secret": {"generated-102"}, "fxs_port": {"0"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	if w := c.get("/extensions/102/edit"); w.Code != http.StatusNotFound {
		t.Errorf("old number after renumbering: %d", w.Code)
	}

	w = c.get("/extensions/103/delete")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="confirm-delete"`) {
		t.Fatalf("delete confirmation: %d", w.Code)
	}
	if _, exts := f.svc.snapshot(); len(exts) != 2 {
		t.Fatal("the confirmation page deleted")
	}
	w = c.post("/extensions/103/delete", nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", w.Code)
	}
	if _, exts := f.svc.snapshot(); len(exts) != 1 {
		t.Fatal("not deleted")
	}
	// Refused delete: the message is shown, nothing changes.
	c.get("/extensions/101/delete")
	w = c.post("/extensions/101/delete", nil)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "FXO line 1 sends its calls here") {
		t.Fatalf("refused delete: %d %s", w.Code, w.Body)
	}
	if w := c.post("/extensions/999/delete", nil); w.Code != http.StatusNotFound {
		t.Errorf("delete of a missing extension: %d", w.Code)
	}
}

func TestSettingsPages(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	w := c.get("/settings")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="settings-form"`) || !strings.Contains(w.Body.String(), `id="fxo2-form"`) {
		t.Fatalf("settings page: %d", w.Code)
	}
	good := url.Values{"name": {"office"}, "tone_zone": {"DE"}, "time_zone": {"Europe/Berlin"}, "extension_length": {"3"},
		"outside_prefix": {"0"}, "inter_digit_timeout_ms": {"3000"}, "no_answer_timeout_s": {"25"}, "call_record_retention": {"5000"}}
	bad := url.Values{}
	for k, v := range good {
		bad[k] = v
	}
	bad.Set("extension_length", "three")
	bad.Set("time_zone", "Mars/Base")
	writes, _ := f.svc.snapshot()
	w = c.post("/settings", bad)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "extension_length"), "whole number") {
		t.Fatalf("non-numeric length: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "extension_length"))
	}
	if !strings.Contains(w.Body.String(), `<option value="Mars/Base" selected>`) {
		t.Errorf("posted time zone not kept")
	}
	if after, _ := f.svc.snapshot(); after != writes {
		t.Fatal("bad form changed settings")
	}
	bad.Set("extension_length", "3")
	bad.Set("name", "")
	w = c.post("/settings", bad)
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || fieldErrorHTML(body, "name") != "Give the box a name." || fieldErrorHTML(body, "time_zone") != "Unknown time zone." {
		t.Fatalf("service errors beside fields: %d name %q zone %q", w.Code, fieldErrorHTML(body, "name"), fieldErrorHTML(body, "time_zone"))
	}
	w = c.post("/settings", good)
	if w.Code != http.StatusSeeOther || f.svc.sys.TimeZone != "Europe/Berlin" || f.svc.sys.ToneZone != "de" {
		t.Fatalf("save: %d %+v", w.Code, f.svc.sys)
	}

	// FXO line forms.
	w = c.post("/settings/fxo/2", url.Values{"name": {"Second"}, "enabled": {"on"}, "answer_after_rings": {"0"}, "destination": {"101"}})
	if w.Code != http.StatusUnprocessableEntity || fieldErrorHTML(w.Body.String(), "fxo2-answer_after_rings") != "Must be 1 to 10." {
		t.Fatalf("rings 0: %d %q (the store's fragment should read as a sentence)", w.Code, fieldErrorHTML(w.Body.String(), "fxo2-answer_after_rings"))
	}
	w = c.post("/settings/fxo/2", url.Values{"name": {"Second"}, "enabled": {"on"}, "answer_after_rings": {"3"}, "destination": {"555"}})
	if w.Code != http.StatusUnprocessableEntity || fieldErrorHTML(w.Body.String(), "fxo2-destination") != "No such extension." {
		t.Fatalf("bad destination: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "fxo2-destination"))
	}
	w = c.post("/settings/fxo/2", url.Values{"name": {"Second"}, "enabled": {"on"}, "answer_after_rings": {"3"}, "destination": {"101"},
		"answer_on_reversal": {"on"}})
	if w.Code != http.StatusSeeOther || f.svc.lines[1].Destination != "101" || !f.svc.lines[1].Enabled || !f.svc.lines[1].AnswerOnReversal {
		t.Fatalf("save line: %d %+v", w.Code, f.svc.lines[1])
	}
	if body := c.get("/settings").Body.String(); !strings.Contains(body, `id="fxo2-answer_on_reversal"`) {
		t.Error("the settings page has no answer-supervision box for line 2")
	}
	w = c.post("/settings/fxo/2", url.Values{"name": {"Second"}, "enabled": {"on"}, "answer_after_rings": {"3"}, "destination": {"101"}})
	if w.Code != http.StatusSeeOther || f.svc.lines[1].AnswerOnReversal {
		t.Fatalf("unticking answer supervision: %d %+v", w.Code, f.svc.lines[1])
	}
	if w := c.post("/settings/fxo/9", url.Values{"answer_after_rings": {"3"}}); w.Code != http.StatusNotFound {
		t.Errorf("line 9: %d", w.Code)
	}
}

func TestStatusPage(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	w := c.get("/status")
	body := w.Body.String()
	for _, want := range []string{`id="port-fxs-1"`, `id="port-fxo-2"`, "no-battery", `id="sim-fxs-1-offhook"`, `id="sim-fxo-2-ring"`, `id="live"`, `href="/static/app.css"`} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, "onclick") {
		t.Error("inline script or style on the page (the CSP forbids it)")
	}

	// Without a simulated board, no simulator controls.
	f2 := newFixture(t)
	f2.svc.sim = nil
	c2 := f2.client()
	c2.ready()
	if strings.Contains(c2.get("/status").Body.String(), `id="sim"`) {
		t.Error("simulator controls shown on real hardware")
	}
}

func TestSimFormFallback(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	posts := []url.Values{
		{"action": {"offhook"}, "port": {"1"}},
		{"action": {"dial"}, "port": {"1"}, "digits": {"102"}},
		{"action": {"dial"}, "port": {"2"}, "digits": {"55"}, "pulse": {"on"}},
		{"action": {"ring"}, "port": {"1"}, "number": {"5551234"}, "name": {"Alice"}},
		{"action": {"hangup"}, "port": {"1"}},
		{"action": {"dial"}, "port": {"1"}, "digits": {"12#"}, "pulse": {"on"}}, // refused: not a pulse digit
		{"action": {"offhook"}, "port": {"9"}},                                  // refused: no such port
	}
	for _, p := range posts {
		if w := c.post("/sim", p); w.Code != http.StatusSeeOther {
			t.Fatalf("%v: %d", p, w.Code)
		}
	}
	want := []string{"offhook 1", "dial 1 102 pulse=false", "dial 2 55 pulse=true", "ring 1 5551234/Alice", "hangup 1"}
	if got := f.svc.sim.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("sim got %q, want %q", got, want)
	}
	if w := c.get("/status"); !strings.Contains(w.Body.String(), "There is no FXS port 9") {
		t.Error("refusal not shown")
	}
}

func TestErrorPages(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	if w := c.get("/nowhere"); w.Code != 404 || !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("unknown page: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if w := c.do("DELETE", "/status", nil, nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /status: %d", w.Code)
	}
	if w := c.get("/static/"); w.Code != 404 {
		t.Errorf("static listing: %d", w.Code)
	}
	if w := c.get("/static/app.js"); w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Errorf("app.js: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	big := strings.Repeat("x", maxBody+10)
	w := c.post("/extensions/new", url.Values{"name": {big}})
	if w.Code != http.StatusBadRequest {
		t.Errorf("oversize form: %d", w.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	for _, p := range []string{"/login", "/api/v1/openapi.json", "/static/app.css", "/nowhere"} {
		w := c.get(p)
		h := w.Header()
		if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Errorf("%s: CSP %q", p, h.Get("Content-Security-Policy"))
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", p, h)
		}
	}
	// HSTS only over TLS.
	r, _ := http.NewRequest("GET", "https://box.test/login", nil)
	r.RemoteAddr = "192.0.2.1:1"
	rec := httptest.NewRecorder()
	r.TLS = &tls.ConnectionState{}
	f.srv.Handler().ServeHTTP(rec, r)
	if !strings.HasPrefix(rec.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS over TLS: %v", rec.Header())
	}
}

// TestNoVersionBeforeLogin: the firmware version (useful to an attacker
// looking for a known hole) is shown only to the logged-in installer.
func TestNoVersionBeforeLogin(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	if strings.Contains(c.get("/login").Body.String(), "v-test") {
		t.Error("the login page shows the firmware version")
	}
	if w := c.get("/api/v1/version"); w.Code != http.StatusUnauthorized {
		t.Errorf("version without login: %d", w.Code)
	}
	c.ready()
	if !strings.Contains(c.get("/status").Body.String(), "v-test") {
		t.Error("the status page lacks the firmware version")
	}
}
