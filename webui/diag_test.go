package webui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

func diagRun(at time.Time, verdict string, battery, noise float64) store.DiagRun {
	return store.DiagRun{Started: at, Finished: at.Add(10 * time.Second), Trigger: "schedule", Verdict: verdict, Results: []store.DiagResult{
		{Test: "fxs", Target: "fxs:1", Verdict: store.VerdictPass, Values: []store.DiagValue{
			{Name: "battery", Value: battery, Unit: "V", Verdict: store.VerdictPass, Limits: "pass 40 to 60; warn 30 to 75"}}},
		{Test: "fxo", Target: "fxo:1", Verdict: verdict, Detail: "noisy line", Values: []store.DiagValue{
			{Name: "idle noise", Value: noise, Unit: "dBm0", Verdict: verdict, Limits: "pass ≤ -55; warn ≤ -40"},
			{Name: "polarity", Value: 1, Verdict: store.VerdictPass}}},
		{Test: "trunks", Target: "trunks", Verdict: store.VerdictSkip, Detail: "not applicable: no trunks configured"},
	}}
}

func TestDiagnosticsAPI(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	w := f.api("PUT", "/api/v1/diagnostics", `{"mode":"interval","interval":"32:00"}`)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad interval: %d %s", w.Code, w.Body)
	}
	e := decodeError(t, w)
	if len(e.Fields) != 1 || e.Fields[0].Field != "diagnostics.interval" || !strings.Contains(e.Fields[0].Message, "days must be 00 to 31") {
		t.Fatalf("fields %+v", e.Fields)
	}
	for _, body := range []string{`{"mode":"daily","at":"24:00"}`, `{"mode":"weekly"}`, `{"mode":"off","tests":"fxs,nonsense"}`, `{"mode":"interval","interval":"00:00"}`} {
		if w := f.api("PUT", "/api/v1/diagnostics", body); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", body, w.Code)
		}
	}
	if w := f.api("PUT", "/api/v1/diagnostics", `{"mode":"daily","bogus":1}`); w.Code != http.StatusBadRequest {
		t.Errorf("unknown field: %d", w.Code)
	}
	w = f.api("PUT", "/api/v1/diagnostics", `{"mode":"daily","at":"03:30","tests":"fxs,fxo"}`)
	if w.Code != 200 || f.svc.sys.Diagnostics.At != "03:30" {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	// A settings update that does not mention diagnostics keeps them.
	w = f.api("PUT", "/api/v1/settings", `{"name":"testbox","tone_zone":"us","time_zone":"UTC","extension_length":3,"outside_prefix":"9","inter_digit_timeout_ms":4000,"no_answer_timeout_s":30,"call_record_retention":10000}`)
	if w.Code != 200 || f.svc.sys.Diagnostics.Mode != "daily" {
		t.Fatalf("settings update dropped the diagnostics: %d %+v", w.Code, f.svc.sys.Diagnostics)
	}
	var st struct {
		Settings store.Diagnostics `json:"settings"`
		Tests    []string          `json:"tests"`
	}
	w = f.api("GET", "/api/v1/diagnostics", "")
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || st.Settings.At != "03:30" || len(st.Tests) != 8 {
		t.Fatalf("get: %s %v", w.Body, err)
	}
	w = f.api("POST", "/api/v1/diagnostics/run", `{"tests":["storage"]}`)
	var run store.DiagRun
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &run) != nil || run.ID == 0 || f.svc.diag.started[0][0] != "storage" {
		t.Fatalf("run: %d %s", w.Code, w.Body)
	}
	if w := f.api("POST", "/api/v1/diagnostics/run", `{"wait":false}`); w.Code != http.StatusAccepted || f.svc.diag.started[1] != nil {
		t.Fatalf("background run: %d %s", w.Code, w.Body)
	}
	f.svc.mu.Lock()
	f.svc.diag.running = true
	f.svc.mu.Unlock()
	if w := f.api("POST", "/api/v1/diagnostics/run", ""); w.Code != http.StatusConflict {
		t.Fatalf("run while running: %d", w.Code)
	}
	var runs []store.DiagRun
	w = f.api("GET", "/api/v1/diagnostics/runs?limit=1", "")
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &runs) != nil || len(runs) != 1 || runs[0].ID != 2 {
		t.Fatalf("runs: %d %s", w.Code, w.Body)
	}
	if w := f.api("GET", "/api/v1/diagnostics/runs?limit=x", ""); w.Code != http.StatusBadRequest {
		t.Fatalf("bad limit: %d", w.Code)
	}
}

func TestDiagnosticsPage(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	w := c.get("/diagnostics")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "No diagnostic has run yet") {
		t.Fatalf("empty page: %d", w.Code)
	}
	base := time.Date(2026, 11, 20, 3, 30, 0, 0, time.UTC)
	f.svc.addRun(diagRun(base, store.VerdictPass, 56, -70))
	f.svc.addRun(diagRun(base.Add(24*time.Hour), store.VerdictWarn, 55.5, -45))
	f.svc.addRun(diagRun(base.Add(48*time.Hour), store.VerdictFail, 55, -30))
	body := c.get("/diagnostics").Body.String()
	for _, want := range []string{
		`id="diag-alarm"`,    // the last run failed
		`id="health-fxs-1"`,  // health per port
		`id="health-trunks"`, // and trunks
		`<svg class="spark"`, // trends, server-side
		`class="dot-fail"`,   // the last noise reading failed
		`aria-label="idle noise over 3 runs, from -70 to -30 dBm0"`,
		`id="run-3"`, `id="run-1"`, // side by side
		`not applicable: no trunks configured`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if !strings.Contains(c.get("/status").Body.String(), `id="status-diag-alarm"`) {
		t.Error("the status page does not show the diagnostics alarm")
	}
	if strings.Contains(body, "polarity over") {
		t.Error("an unjudged value got a trend")
	}

	// Invalid schedule values are refused beside their fields.
	form := url.Values{"mode": {"interval"}, "interval": {"00:00"}, "at": {""}, "test_fxs": {"on"}, "retention": {"200"}}
	w = c.post("/diagnostics", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "diag-interval"), "Must not be 00:00") {
		t.Fatalf("00:00: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "diag-interval"))
	}
	form.Set("mode", "daily")
	form.Set("at", "7:5")
	w = c.post("/diagnostics", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "diag-at"), "HH:MM") {
		t.Fatalf("7:5: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "diag-at"))
	}
	if v, _ := inputValue(w.Body.String(), "diag-at"); v != "7:5" {
		t.Errorf("posted value not kept: %q", v)
	}
	form.Del("test_fxs")
	if w := c.post("/diagnostics", form); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Choose at least one test") {
		t.Fatalf("no test: %d", w.Code)
	}
	form.Set("test_fxs", "on")
	form.Set("test_storage", "on")
	form.Set("at", "07:05")
	w = c.post("/diagnostics", form)
	if w.Code != http.StatusSeeOther || f.svc.sys.Diagnostics != (store.Diagnostics{Mode: "daily", At: "07:05", Tests: "fxs,storage", Retention: 200}) {
		t.Fatalf("save: %d %+v", w.Code, f.svc.sys.Diagnostics)
	}
	// Saving the general settings keeps the diagnostics settings.
	c.post("/settings", url.Values{"name": {"office"}, "tone_zone": {"us"}, "time_zone": {"UTC"}, "extension_length": {"3"},
		"outside_prefix": {"9"}, "inter_digit_timeout_ms": {"3000"}, "no_answer_timeout_s": {"25"}, "call_record_retention": {"5000"}})
	if f.svc.sys.Diagnostics.At != "07:05" || f.svc.sys.Name != "office" {
		t.Fatalf("settings form dropped the diagnostics: %+v", f.svc.sys)
	}

	// Run now.
	w = c.post("/diagnostics/run", nil)
	if w.Code != http.StatusSeeOther || len(f.svc.diag.started) != 1 {
		t.Fatalf("run now: %d", w.Code)
	}
	if body := c.get("/diagnostics").Body.String(); !strings.Contains(body, "Diagnostics started") {
		t.Error("no flash after Run now")
	}
}

func TestSparkline(t *testing.T) {
	tr := sparkline("fxs", "fxs:1", []store.DiagValue{{Name: "battery", Value: 50, Verdict: "pass"}, {Name: "battery", Value: 50, Verdict: "pass"}})
	if tr.Points != "3,14 117,14" || tr.Min != 50 || tr.Max != 50 {
		t.Fatalf("flat line: %q", tr.Points)
	}
	tr = sparkline("fxs", "fxs:1", []store.DiagValue{{Value: 0}, {Value: 10}, {Value: 5}})
	if tr.Points != "3,25 60,3 117,14" || tr.Min != 0 || tr.Max != 10 {
		t.Fatalf("points %q min %v max %v", tr.Points, tr.Min, tr.Max)
	}
}
