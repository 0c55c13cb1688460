package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/cdrcsv"
	"minipbx/telephony/store"
)

func TestCallsExportOffline(t *testing.T) {
	dir := newDataDir(t)
	db := openData(t, dir)
	st := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := range 30 {
		r := store.CallRecord{Start: st.Add(time.Duration(i) * time.Hour), End: st.Add(time.Duration(i)*time.Hour + time.Minute),
			Caller: "5550100", Callee: "101", Source: "fxo:1", Disposition: store.DispositionNoAnswer}
		if i%3 == 0 {
			r.Caller, r.Source = "102", "sip:102"
		}
		if _, err := db.AppendCallRecord(r); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out := filepath.Join(t.TempDir(), "calls.csv")
	res := pbxctl(t, "", "-data", dir, "calls", "export", "-o", out, "-number", "5550", "-from", "2026-11-20", "-to", "2026-11-20", "-order", "asc")
	if res.code != 0 {
		t.Fatalf("%d: %s", res.code, res.stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := cdrcsv.NewReader(f, time.UTC)
	n := 0
	var last time.Time
	for {
		r, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Caller != "5550100" || r.Direction != "in" || r.Result != "missed" || r.Start.Before(last) || r.Start.Day() != 20 {
			t.Errorf("record %+v", r)
		}
		last = r.Start
		n++
	}
	if n != 10 { // 15 hours of the 20th, two thirds of them from 5550100
		t.Errorf("%d records", n)
	}
	res = pbxctl(t, "", "-data", dir, "calls", "export", "-min-duration", "x", "-direction", "sideways")
	if res.code != 1 || !strings.Contains(res.stderr, "-min-duration") || !strings.Contains(res.stderr, "-direction") {
		t.Errorf("bad flags: %d %q", res.code, res.stderr)
	}
	if res := pbxctl(t, "", "-data", dir, "calls", "list"); res.code != 2 {
		t.Errorf("calls list: %d", res.code)
	}
}

func TestCallsExportOnline(t *testing.T) {
	var asked string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pw, _ := r.BasicAuth(); pw != "pw" || r.URL.Path != "/api/v1/calls.csv" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		asked = r.URL.RawQuery
		if r.URL.Query().Get("result") == "lost" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"Bad search parameters.","fields":[{"field":"result","message":"\"lost\" is not one of answered, missed, busy, abandoned, failed"}]}`)
			return
		}
		io.WriteString(w, strings.Join(cdrcsv.Columns(), ",")+"\n")
	}))
	defer srv.Close()
	res := pbxctl(t, "", "-url", srv.URL, "-insecure", "-password", "pw", "calls", "export", "-extension", "101", "-max-duration", "60")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "id,start,") || asked != "extension=101&max_duration=60" {
		t.Errorf("%d %q %q asked %q", res.code, res.stdout, res.stderr, asked)
	}
	res = pbxctl(t, "", "-url", srv.URL, "-insecure", "-password", "pw", "calls", "export", "-result", "lost")
	if res.code != 1 || !strings.Contains(res.stderr, "-result") {
		t.Errorf("refused: %d %q", res.code, res.stderr)
	}
}
