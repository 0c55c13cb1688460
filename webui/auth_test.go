package webui

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoginRedirectsAnonymous(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	for _, p := range []string{"/status", "/extensions", "/calls", "/settings", "/password", "/extensions/101/edit"} {
		w := c.get(p)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
			t.Errorf("GET %s anonymous: %d %q, want 303 to /login", p, w.Code, w.Header().Get("Location"))
		}
	}
	if w := c.get("/"); w.Header().Get("Location") != "/status" {
		t.Errorf("GET /: Location %q", w.Header().Get("Location"))
	}
}

func TestFirstLoginForcesPasswordChange(t *testing.T) {
	f := newFixture(t)
	c := f.client()

	w := c.login("wrong")
	if w.Code != http.StatusUnauthorized || !strings.Contains(html.UnescapeString(w.Body.String()), authFailedMsg) {
		t.Fatalf("wrong password: %d, body lacks the failure message", w.Code)
	}
	if _, ok := c.cookies[sessionCookie]; ok {
		t.Fatal("a failed login set a session cookie")
	}

	w = c.login("initial-pass")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/password" {
		t.Fatalf("first login: %d → %q, want 303 → /password", w.Code, w.Header().Get("Location"))
	}
	ck := w.Result().Cookies()
	var sc *http.Cookie
	for _, x := range ck {
		if x.Name == sessionCookie {
			sc = x
		}
	}
	if sc == nil || !sc.Secure || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/" || len(sc.Value) < 43 {
		t.Fatalf("session cookie %+v: want Secure, HttpOnly, SameSite=Strict, Path=/, 256-bit value", sc)
	}

	// Every other page and the API are closed until the change.
	for _, p := range []string{"/status", "/extensions", "/settings", "/calls"} {
		if w := c.get(p); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/password" {
			t.Errorf("GET %s before change: %d → %q", p, w.Code, w.Header().Get("Location"))
		}
	}
	if w := c.do("GET", "/api/v1/status", nil, nil); w.Code != http.StatusForbidden {
		t.Errorf("API with session before change: %d, want 403", w.Code)
	}
	w = c.get("/password")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="forced-change"`) || strings.Contains(w.Body.String(), `id="current_password"`) {
		t.Fatalf("forced password page: %d; want the explanation and no current-password field", w.Code)
	}
	if strings.Contains(w.Body.String(), `id="nav"`) {
		t.Error("forced password page shows the navigation")
	}

	// Bad new passwords: errors beside the fields, nothing changed.
	cases := []struct {
		newPw, confirm, field, want string
	}{
		{"short", "short", "new_password", "at least 10"},
		{"initial-pass", "initial-pass", "new_password", "different from the current"},
		{"a good long password", "a good long passwerd", "confirm_password", "differ"},
		{" padded password ", " padded password ", "new_password", "spaces"},
	}
	for _, tc := range cases {
		w := c.post("/password", url.Values{"new_password": {tc.newPw}, "confirm_password": {tc.confirm}})
		got := html.UnescapeString(fieldErrorHTML(w.Body.String(), tc.field))
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(got, tc.want) {
			t.Errorf("new %q: %d, %s error %q, want 422 with %q", tc.newPw, w.Code, tc.field, got, tc.want)
		}
	}
	if f.svc.password != "initial-pass" {
		t.Fatal("a refused change changed the password")
	}

	oldCookie := c.cookies[sessionCookie]
	w = c.post("/password", url.Values{"new_password": {"correct horse battery"}, "confirm_password": {"correct horse battery"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/status" {
		t.Fatalf("change: %d → %q", w.Code, w.Header().Get("Location"))
	}
	if f.svc.password != "correct horse battery" {
		t.Fatal("password not set")
	}
	if c.cookies[sessionCookie] == oldCookie {
		t.Error("session ID not rotated after the password change")
	}
	w = c.get("/status")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "admin password is changed") {
		t.Fatalf("status after change: %d, want 200 with the flash message", w.Code)
	}
	// The old session ID is dead.
	old := f.client()
	old.cookies[sessionCookie] = oldCookie
	if w := old.get("/status"); w.Code != http.StatusSeeOther {
		t.Errorf("old session after change: %d, want redirect to login", w.Code)
	}
}

func TestVoluntaryPasswordChangeNeedsCurrent(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	c.get("/password")
	w := c.post("/password", url.Values{"current_password": {"nope"}, "new_password": {"another long one"}, "confirm_password": {"another long one"}})
	if w.Code != http.StatusUnprocessableEntity || fieldErrorHTML(w.Body.String(), "current_password") == "" {
		t.Fatalf("wrong current password: %d, error %q", w.Code, fieldErrorHTML(w.Body.String(), "current_password"))
	}
	w = c.post("/password", url.Values{"current_password": {"correct horse battery"}, "new_password": {"another long one"}, "confirm_password": {"another long one"}})
	if w.Code != http.StatusSeeOther || f.svc.password != "another long one" {
		t.Fatalf("change: %d, password %q", w.Code, f.svc.password)
	}
}

func TestLoginCSRFAndNext(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	c := f.client()
	c.get("/login")
	w := c.post("/login", url.Values{"password": {"api-password-1"}, "csrf": {"forged"}})
	if w.Code != http.StatusForbidden || c.cookies[sessionCookie] != "" {
		t.Fatalf("login with a forged token: %d, session %q", w.Code, c.cookies[sessionCookie])
	}
	c.get("/login?next=/calls")
	w = c.post("/login", url.Values{"password": {"api-password-1"}, "next": {"/calls"}})
	if w.Header().Get("Location") != "/calls" {
		t.Errorf("next=/calls: Location %q", w.Header().Get("Location"))
	}
	for _, bad := range []string{"//evil.example/", "https://evil.example/", "/\\evil", "/api/v1/config", "javascript:alert(1)"} {
		if got := safeNext(bad); got != "/status" {
			t.Errorf("safeNext(%q) = %q", bad, got)
		}
	}
}

func TestPageCSRFRejected(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	writes, _ := f.svc.snapshot()
	form := url.Values{"number": {"150"}, "name": {"x"}, "fxs_port": {"0"}}
	for _, tok := range []string{"", "wrong-token"} {
		v := url.Values{}
		for k, x := range form {
			v[k] = x
		}
		v.Set("csrf", tok)
		if w := c.post("/extensions/new", v); w.Code != http.StatusForbidden {
			t.Errorf("token %q: %d, want 403", tok, w.Code)
		}
	}
	// Logout is state-changing too.
	if w := c.post("/logout", url.Values{"csrf": {"nope"}}); w.Code != http.StatusForbidden {
		t.Errorf("logout without token: %d", w.Code)
	}
	if after, _ := f.svc.snapshot(); after != writes {
		t.Fatal("a rejected request changed the configuration")
	}
	// The right token from the page works, from the same origin.
	c.get("/extensions/new")
	if w := c.do("POST", "/extensions/new", strings.NewReader(url.Values{"csrf": {c.csrf}, "number": {"150"}, "fxs_port": {"0"}}.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://box.test", "Sec-Fetch-Site": "same-origin"}); w.Code != http.StatusSeeOther {
		t.Fatalf("same-origin post: %d %s", w.Code, w.Body)
	}
}

func TestCrossOriginRejected(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	c.get("/extensions/new")
	body := url.Values{"csrf": {c.csrf}, "number": {"150"}, "fxs_port": {"0"}}.Encode()
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		h["Content-Type"] = "application/x-www-form-urlencoded"
		if w := c.do("POST", "/extensions/new", strings.NewReader(body), h); w.Code != http.StatusForbidden {
			t.Errorf("%v: %d, want 403", h, w.Code)
		}
	}
	// The API too, even with a valid token.
	w := c.do("POST", "/api/v1/extensions", strings.NewReader(`{"number":"151"}`),
		map[string]string{"X-CSRF-Token": c.csrf, "Sec-Fetch-Site": "cross-site"})
	if w.Code != http.StatusForbidden {
		t.Errorf("cross-site API: %d", w.Code)
	}
	decodeError(t, w)
	if _, exts := f.svc.snapshot(); len(exts) != 1 {
		t.Fatal("a cross-origin request created an extension")
	}
}

func TestLockout(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	c := f.client()
	for i := 0; i < 5; i++ {
		if w := c.login("guess"); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, w.Code)
		}
	}
	checks := f.svc.checks
	w := c.login("api-password-1")
	if w.Code != http.StatusTooManyRequests || c.cookies[sessionCookie] != "" {
		t.Fatalf("right password while locked: %d, want 429 and no session", w.Code)
	}
	if !strings.Contains(html.UnescapeString(w.Body.String()), authFailedMsg) {
		t.Error("the lock-out message differs from the failure message")
	}
	if f.svc.checks != checks {
		t.Error("the password was checked while locked out")
	}
	// The API's Basic auth shares the lock (same address).
	basic := func(pass string) int {
		r := c.do("GET", "/api/v1/status", nil, map[string]string{"Authorization": "Basic " + basicToken("admin", pass)})
		return r.Code
	}
	if code := basic("api-password-1"); code != http.StatusTooManyRequests {
		t.Errorf("Basic while locked: %d", code)
	}
	// Another address is not locked.
	other := f.client()
	other.remote = "203.0.113.9:1234"
	if w := other.login("api-password-1"); w.Code != http.StatusSeeOther {
		t.Errorf("other address: %d", w.Code)
	}
	// After 5 minutes the lock ends; the next lock lasts twice as long.
	f.clock.Advance(5*time.Minute + time.Second)
	for i := 0; i < 5; i++ {
		c.login("guess")
	}
	f.clock.Advance(5*time.Minute + time.Second)
	if w := c.login("api-password-1"); w.Code != http.StatusTooManyRequests {
		t.Errorf("second lock after 5 min: %d, want still locked (10 min)", w.Code)
	}
	f.clock.Advance(5 * time.Minute)
	if w := c.login("api-password-1"); w.Code != http.StatusSeeOther {
		t.Errorf("after the second lock: %d", w.Code)
	}
}

func TestLockoutBasicUser(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	// A wrong user name with the right password fails like a wrong password.
	w := f.apiAs("root", "api-password-1", "GET", "/api/v1/status", "")
	if w.Code != http.StatusUnauthorized || decodeError(t, w).Error != authFailedMsg {
		t.Fatalf("wrong user: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate for a non-browser client")
	}
}

func TestSessionExpiryAndLogout(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.SessionIdle = 10 * time.Minute; o.SessionMax = 30 * time.Minute })
	c := f.client()
	c.ready()
	// Activity every 9 minutes keeps it alive until the absolute limit.
	for i := 0; i < 3; i++ {
		f.clock.Advance(9 * time.Minute)
		if w := c.get("/status"); w.Code != 200 {
			t.Fatalf("active session at step %d: %d", i, w.Code)
		}
	}
	f.clock.Advance(4 * time.Minute) // 31 min after login
	if w := c.get("/status"); w.Code != http.StatusSeeOther {
		t.Fatalf("past the absolute limit: %d", w.Code)
	}
	c.ready()
	f.clock.Advance(11 * time.Minute)
	if w := c.get("/status"); w.Code != http.StatusSeeOther {
		t.Fatalf("idle session: %d", w.Code)
	}
	c.ready()
	cookie := c.cookies[sessionCookie]
	w := c.post("/logout", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?bye=1" {
		t.Fatalf("logout: %d %q", w.Code, w.Header().Get("Location"))
	}
	c.cookies[sessionCookie] = cookie
	if w := c.get("/status"); w.Code != http.StatusSeeOther {
		t.Fatal("session alive after logout")
	}
}

func TestSessionsBounded(t *testing.T) {
	clock := &testClock{t: time.Unix(0, 0)}
	s := newSessions(time.Hour, time.Hour, clock.Now)
	first, _ := s.create("admin", false)
	for i := 0; i < maxSessions+10; i++ {
		clock.Advance(time.Second)
		s.create("admin", false)
	}
	if len(s.m) != maxSessions {
		t.Fatalf("%d sessions, want %d", len(s.m), maxSessions)
	}
	if _, ok := s.get(first, false); ok {
		t.Fatal("the oldest session survived")
	}
}

func TestLockoutTableBounded(t *testing.T) {
	clock := &testClock{t: time.Unix(0, 0)}
	l := newLockout(LockoutPolicy{}, clock.Now)
	for i := 0; i < maxTrackedClients+100; i++ {
		l.fail("10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255) + ":1")
	}
	if len(l.clients) > maxTrackedClients {
		t.Fatalf("%d tracked clients", len(l.clients))
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"192.0.2.1:1", "192.0.2.1:2", true},
		{"192.0.2.1:1", "192.0.2.2:1", false},
		{"[2001:db8::1]:1", "[2001:db8::ffff]:2", true},
		{"[2001:db8::1]:1", "[2001:db8:0:1::1]:1", false},
		{"[::ffff:192.0.2.1]:1", "192.0.2.1:1", true},
	}
	for _, tc := range tests {
		if got := clientKey(tc.a) == clientKey(tc.b); got != tc.same {
			t.Errorf("clientKey(%s) == clientKey(%s): %v", tc.a, tc.b, got)
		}
	}
}
