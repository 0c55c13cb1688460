package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

// diagBox answers POST /api/v1/diagnostics/run as the web UI does.
func diagBox(t *testing.T, verdict string, status int) (*httptest.Server, *[]string) {
	var got []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "pw-123" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"Authentication required."}`)
			return
		}
		if r.Method != "POST" || r.URL.Path != "/api/v1/diagnostics/run" {
			w.WriteHeader(404)
			return
		}
		var req struct {
			Tests []string `json:"tests"`
			Wait  bool     `json:"wait"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.Wait {
			w.WriteHeader(400)
			return
		}
		got = req.Tests
		w.Header().Set("Content-Type", "application/json")
		switch status {
		case 409:
			w.WriteHeader(409)
			io.WriteString(w, `{"error":"A diagnostic run is already in progress."}`)
			return
		case 422:
			w.WriteHeader(422)
			io.WriteString(w, `{"error":"The input is not valid; see the fields.","fields":[{"field":"tests","message":"unknown test bogus"}]}`)
			return
		}
		at := time.Date(2026, 11, 21, 3, 30, 0, 0, time.UTC)
		json.NewEncoder(w).Encode(store.DiagRun{ID: 7, Started: at, Finished: at.Add(12 * time.Second), Trigger: "manual", Verdict: verdict,
			Results: []store.DiagResult{{Test: "fxo", Target: "fxo:1", Verdict: verdict, Detail: "no dial tone within 1.2s of seizing",
				Values: []store.DiagValue{{Name: "line voltage", Value: 48, Unit: "V", Verdict: "pass", Limits: "pass ≥ 30; warn ≥ 15"}}}}})
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestDiagRun(t *testing.T) {
	srv, got := diagBox(t, store.VerdictFail, 200)
	r := pbxctl(t, "", "-url", srv.URL, "-insecure", "-password", "pw-123", "diag", "run", "-tests", "fxo, storage")
	if r.code != exitError || !strings.Contains(r.stdout, "run 7 (manual)") || !strings.Contains(r.stdout, "no dial tone") ||
		!strings.Contains(r.stdout, "line voltage = 48 V  [pass: pass ≥ 30; warn ≥ 15]") || !strings.Contains(r.stderr, "found faults") {
		t.Fatalf("failing run: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Join(*got, ",") != "fxo,storage" {
		t.Fatalf("tests sent: %v", *got)
	}
	srv, _ = diagBox(t, store.VerdictPass, 200)
	r = pbxctl(t, "", "-url", srv.URL, "-insecure", "-password", "pw-123", "diag", "run", "-json")
	var run store.DiagRun
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &run) != nil || run.ID != 7 {
		t.Fatalf("passing run: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	srv, _ = diagBox(t, "", 409)
	if r := pbxctl(t, "", "-url", srv.URL, "-insecure", "-password", "pw-123", "diag", "run"); r.code != exitError || !strings.Contains(r.stderr, "already in progress") {
		t.Fatalf("busy: %d %s", r.code, r.stderr)
	}
	srv, _ = diagBox(t, "", 422)
	if r := pbxctl(t, "", "-url", srv.URL, "-insecure", "-password", "pw-123", "diag", "run", "-tests", "bogus"); r.code != exitError || !strings.Contains(r.stderr, "tests: unknown test bogus") {
		t.Fatalf("bad test: %d %s", r.code, r.stderr)
	}
}

func TestDiagUsage(t *testing.T) {
	for _, args := range [][]string{
		{"diag"},
		{"diag", "show"},
		{"-data", t.TempDir(), "diag", "run"},
		{"diag", "run"},
		{"-url", "https://127.0.0.1:1", "diag", "run", "-timeout", "0s"},
		{"-url", "https://127.0.0.1:1", "diag", "run", "extra"},
	} {
		if r := pbxctl(t, "", args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want usage (%s)", args, r.code, r.stderr)
		}
	}
	if r := pbxctl(t, "", "-data", t.TempDir(), "diag", "run"); !strings.Contains(r.stderr, "use -url, not -data") {
		t.Errorf("offline refusal: %s", r.stderr)
	}
	if r := pbxctl(t, "", "help", "diag"); r.code != exitOK || !strings.Contains(r.stdout, "no offline mode") {
		t.Errorf("help: %d %s", r.code, r.stdout)
	}
}
