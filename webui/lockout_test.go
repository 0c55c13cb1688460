package webui

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// memState is a StateStore in memory, shared by the servers of a test as
// the database is shared by pbxd before and after a restart.
type memState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memState) LoadSecurityState(name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name], nil
}

func (s *memState) SaveSecurityState(name string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[name] = append([]byte(nil), b...)
	return nil
}

const rightPW = "api-password-1"

// addr is the n-th address of a test network.
func addr(n int) string { return fmt.Sprintf("198.18.%d.%d:4000", n/250, n%250+1) }

// loginFrom logs in from remote with pw and returns the status: 303 is in,
// 401 a wrong password, 429 refused before the password was checked.
func loginFrom(f *fixture, remote, pw string) (int, time.Duration) {
	c := f.client()
	c.remote = remote
	w := c.login(pw)
	ra, _ := strconv.Atoi(w.Header().Get("Retry-After"))
	return w.Code, time.Duration(ra) * time.Second
}

// TestLockoutMatrix: who is let in, who waits, and what is remembered,
// scenario by scenario. The rule under test: the right password from an
// address with no failures is never refused, however many addresses
// guess; addresses that fail are locked (per address) and, while the
// account is under attack, slowed (per account); an alarm is raised;
// the counters survive a restart.
func TestLockoutMatrix(t *testing.T) {
	type check struct {
		who    int // address
		pw     string
		want   int
		reason string
	}
	scenarios := []struct {
		name   string
		attack func(f *fixture) // failures before the checks
		checks []check
		alarm  bool
	}{
		{"five failures lock that address only", func(f *fixture) {
			for range 5 {
				loginFrom(f, addr(1), "guess")
			}
		}, []check{
			{1, rightPW, 429, "the locked address, even with the right password"},
			{2, rightPW, 303, "another address"},
		}, false},
		{"many addresses guessing do not lock out a clean one", func(f *fixture) {
			for i := range 60 {
				loginFrom(f, addr(100+i), "guess")
			}
		}, []check{
			{2, rightPW, 303, "an address with no failures"},
			{3, "wrong", 401, "a wrong password from a clean address is checked"},
			{3, rightPW, 429, "that address, having failed during the attack, waits"},
			{100, rightPW, 429, "an attacking address waits"},
		}, true},
		{"slow guessing from rotating addresses over hours", func(f *fixture) {
			for i := range 24 {
				loginFrom(f, addr(300+i), "guess")
				f.clock.Advance(20 * time.Minute)
			}
		}, []check{
			{2, rightPW, 303, "an address with no failures"},
		}, true},
		{"a few failures are no attack", func(f *fixture) {
			for i := range 4 {
				loginFrom(f, addr(500+i), "guess")
			}
		}, []check{
			{500, rightPW, 303, "an address with one failure, no attack"},
		}, false},
		{"a success clears the address", func(f *fixture) {
			for i := range 60 {
				loginFrom(f, addr(100+i), "guess")
			}
			loginFrom(f, addr(7), rightPW) // in, no failures
		}, []check{
			{7, "typo", 401, "a typo from the clean address"},
			{7, rightPW, 429, "now it waits like the others"},
		}, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t)
			f.readyAPI()
			sc.attack(f)
			for _, c := range sc.checks {
				checks := f.svc.checks
				code, _ := loginFrom(f, addr(c.who), c.pw)
				if code != c.want {
					t.Errorf("%s: %d, want %d", c.reason, code, c.want)
				}
				if code == 429 && f.svc.checks != checks {
					t.Errorf("%s: the password was checked although refused", c.reason)
				}
			}
			if since, _, _ := f.srv.lock.alarm(); !since.IsZero() != sc.alarm {
				t.Errorf("alarm raised: %v, want %v", !since.IsZero(), sc.alarm)
			}
		})
	}
}

// TestLockoutAccountDelay: during an attack an address that failed waits
// AccountDelay doubled per failure and per further AccountFailures of the
// account's score, up to LockFor; told by Retry-After, and let in after it.
func TestLockoutAccountDelay(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	for i := range 10 { // the account's score reaches 10: under attack
		loginFrom(f, addr(100+i), "guess")
	}
	if code, _ := loginFrom(f, addr(1), "typo"); code != 401 {
		t.Fatalf("typo: %d", code)
	}
	code, wait := loginFrom(f, addr(1), rightPW)
	if code != 429 || wait < time.Second || wait > 5*time.Minute {
		t.Fatalf("right password right after a typo during an attack: %d, Retry-After %v", code, wait)
	}
	f.clock.Advance(wait)
	if code, _ := loginFrom(f, addr(1), rightPW); code != 303 {
		t.Fatalf("after Retry-After: %d", code)
	}
	// A heavy attack: the wait grows, bounded by LockFor.
	for i := range 200 {
		loginFrom(f, addr(200+i), "guess")
	}
	loginFrom(f, addr(2), "typo")
	if _, wait2 := loginFrom(f, addr(2), rightPW); wait2 <= wait || wait2 > 5*time.Minute+time.Second {
		t.Errorf("wait after a heavier attack: %v (was %v), want longer and at most 5 min", wait2, wait)
	}
}

// TestLockoutAlarm: the alarm is logged at error level and shown on the
// status page, and clears once the guessing has stopped long enough.
func TestLockoutAlarm(t *testing.T) {
	var logs logBuffer
	f := newFixture(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	f.readyAPI()
	for i := range 12 {
		loginFrom(f, addr(100+i), "guess")
	}
	if !strings.Contains(logs.String(), "ALARM") {
		t.Errorf("no alarm at error level:\n%s", logs.String())
	}
	c := f.client()
	c.ready()
	if body := c.get("/status").Body.String(); !strings.Contains(body, `id="status-login-alarm"`) || !strings.Contains(body, "12 failed logins") {
		t.Errorf("status page without the alarm")
	}
	f.clock.Advance(48 * time.Hour) // the score quarters: below half the threshold
	if body := c.get("/status").Body.String(); strings.Contains(body, `id="status-login-alarm"`) {
		t.Errorf("the alarm outlived the attack")
	}
}

// TestLockoutSurvivesRestart: a locked address stays locked, and the
// account's score and alarm stay, when the server starts anew on the same
// saved state.
func TestLockoutSurvivesRestart(t *testing.T) {
	st := &memState{}
	withState := func(o *Options) { o.State = st }
	f := newFixture(t, withState)
	f.readyAPI()
	for range 5 {
		loginFrom(f, addr(1), "guess")
	}
	for i := range 12 {
		loginFrom(f, addr(100+i), "guess")
	}
	f2 := newFixture(t, withState) // the restart
	f2.readyAPI()
	if code, _ := loginFrom(f2, addr(1), rightPW); code != 429 {
		t.Errorf("the locked address after a restart: %d, want 429", code)
	}
	if since, n, _ := f2.srv.lock.alarm(); since.IsZero() || n < 12 {
		t.Errorf("alarm after a restart: since %v, %d failures", since, n)
	}
	if code, _ := loginFrom(f2, addr(2), rightPW); code != 303 {
		t.Errorf("a clean address after a restart: %d", code)
	}
}

// TestSessionsSurviveRestart: a session goes on after a restart, saved
// only as the hash of its cookie; one ended by a password change stays
// ended.
func TestSessionsSurviveRestart(t *testing.T) {
	st := &memState{}
	withState := func(o *Options) { o.State = st }
	f := newFixture(t, withState)
	f.readyAPI()
	c := f.client()
	c.ready()
	other := f.client()
	other.ready()
	cookie := c.cookies[sessionCookie]
	if saved := string(st.m[sessionsState]); saved == "" || strings.Contains(saved, cookie) {
		t.Fatalf("saved sessions %q: missing, or holding the cookie itself", saved)
	}
	f2 := newFixture(t, withState) // the restart
	f2.readyAPI()
	c.f, other.f = f2, f2
	if w := c.get("/status"); w.Code != 200 {
		t.Fatalf("session after a restart: %d", w.Code)
	}
	// The CSRF token came back too: a form posts.
	if w := c.post("/logout", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?bye=1" {
		t.Fatalf("logout after a restart: %d %s", w.Code, w.Header().Get("Location"))
	}
	f3 := newFixture(t, withState)
	c.f = f3
	c.cookies[sessionCookie] = cookie
	if w := c.get("/status"); w.Code != http.StatusSeeOther {
		t.Fatalf("a logged-out session came back after a restart: %d", w.Code)
	}
	// Idle sessions expire across the restart as they would have.
	f4 := newFixture(t, withState)
	f4.clock.Advance(31 * time.Minute)
	other.f = f4
	if w := other.get("/status"); w.Code != http.StatusSeeOther {
		t.Fatalf("an idle session after a restart: %d", w.Code)
	}
}

// TestBasicAuthCached: an API client sending the password with each
// request costs one password check per basicCacheTTL, not one per
// request; wrong passwords are always checked; a password change empties
// the cache.
func TestBasicAuthCached(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	checks := func() int {
		f.svc.mu.Lock()
		defer f.svc.mu.Unlock()
		return f.svc.checks
	}
	start := checks()
	for range 20 {
		if w := f.api("GET", "/api/v1/status", ""); w.Code != 200 {
			t.Fatalf("status: %d", w.Code)
		}
	}
	if n := checks() - start; n != 1 {
		t.Fatalf("20 requests cost %d password checks, want 1", n)
	}
	for range 3 {
		if w := f.apiAs("admin", "wrong-one", "GET", "/api/v1/status", ""); w.Code != 401 {
			t.Fatalf("wrong password: %d", w.Code)
		}
	}
	if n := checks() - start; n != 4 {
		t.Fatalf("wrong passwords cost %d checks in all, want each checked (4)", n)
	}
	if w := f.apiAs("root", rightPW, "GET", "/api/v1/status", ""); w.Code != 401 {
		t.Fatalf("a cached password under another user name: %d", w.Code)
	}
	f.clock.Advance(basicCacheTTL + time.Second)
	before := checks()
	f.api("GET", "/api/v1/status", "")
	if checks() != before+1 {
		t.Fatal("no check after the cache entry expired")
	}
	if w := f.api("POST", "/api/v1/admin/password", `{"password":"another password 2"}`); w.Code != 204 {
		t.Fatalf("change: %d %s", w.Code, w.Body)
	}
	if w := f.apiAs("admin", rightPW, "GET", "/api/v1/status", ""); w.Code != 401 {
		t.Fatalf("the old password, cached before the change: %d", w.Code)
	}
}
