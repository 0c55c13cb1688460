package webui

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// busyStatus is a box with 8+8 ports, 40 registrations and 20 calls: the
// largest status page the status view draws.
func busyStatus(f *fixture) {
	f.svc.emit("port", func(s *telephony.Status) {
		s.Ports = s.Ports[:0]
		for i := 1; i <= 8; i++ {
			s.Ports = append(s.Ports, telephony.PortStatus{Number: i, Kind: "fxs", Hook: "off-hook", Line: "in-use", InCall: true},
				telephony.PortStatus{Number: i, Kind: "fxo", Hook: "on-hook", Line: "ok"})
		}
		for i := 0; i < 40; i++ {
			s.Registrations = append(s.Registrations, telephony.Registration{Extension: fmt.Sprint(100 + i), Contact: "sip:x@192.0.2.1", Expires: time.Now()})
		}
		for i := 0; i < 20; i++ {
			s.Calls = append(s.Calls, telephony.CallStatus{ID: fmt.Sprint(i), Callee: "101", State: "answered", Started: time.Now()})
		}
	})
}

// BenchmarkStatusPage measures drawing the status page (what every
// installer's browser asks for first).
func BenchmarkStatusPage(b *testing.B) {
	f := newFixture(b)
	c := f.client()
	c.ready()
	busyStatus(f)
	b.ReportAllocs()
	for b.Loop() {
		if w := c.get("/status"); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkAPIStatus measures GET /api/v1/status with a session.
func BenchmarkAPIStatus(b *testing.B) {
	f := newFixture(b)
	c := f.client()
	c.ready()
	busyStatus(f)
	b.ReportAllocs()
	for b.Loop() {
		if w := c.do("GET", "/api/v1/status", nil, nil); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkStatusEvent measures encoding one event for the SSE stream,
// done once per change per open status page.
func BenchmarkStatusEvent(b *testing.B) {
	f := newFixture(b)
	busyStatus(f)
	st, _ := f.svc.Status(b.Context())
	b.ReportAllocs()
	for b.Loop() {
		_ = statusJSON("port", st)
	}
}

// BenchmarkSessionLookup measures the per-request session check.
func BenchmarkSessionLookup(b *testing.B) {
	s := newSessions(time.Hour, time.Hour, time.Now)
	id, _ := s.create("admin", false)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.get(id, true); !ok {
			b.Fatal("lost")
		}
	}
}

// BenchmarkAPITokenAuth is a whole API request authenticated by a token
// against the real store (GET /api/v1/me: header, token check, account,
// role, permission, answer), to set beside the PBKDF2 that HTTP Basic
// costs without its cache (store's BenchmarkCheckAdminPassword).
func BenchmarkAPITokenAuth(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "pbx.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, _, err := db.CreateAccount(store.Account{Login: "101", Role: store.RoleUser}, ""); err != nil {
		b.Fatal(err)
	}
	tok, _, err := db.CreateToken("101", "bench")
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture(b)
	srv, err := New(Options{Service: &storeService{fakeService: f.svc, db: db}, DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("GET", "https://box.test/api/v1/me", nil)
		r.RemoteAddr = "198.51.100.1:1"
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
