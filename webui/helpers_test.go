package webui

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for sessions and lock-outs.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     testing.TB
	srv   *Server
	svc   *fakeService
	clock *testClock
}

func newFixture(t testing.TB, mod ...func(*Options)) *fixture {
	t.Helper()
	svc := newFakeService()
	clock := &testClock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	o := Options{Service: svc, DataDir: t.TempDir(), Now: clock.Now}
	for _, m := range mod {
		m(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, svc: svc, clock: clock}
}

// client is a minimal browser over the handler: it keeps cookies and
// remembers the last CSRF token a page carried.
type client struct {
	f       *fixture
	remote  string
	cookies map[string]string
	csrf    string
	header  http.Header // added to every request
}

func (f *fixture) client() *client {
	return &client{f: f, remote: "192.0.2.10:40000", cookies: map[string]string{}, header: http.Header{}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(method, path string, body io.Reader, hdr map[string]string) *httptest.ResponseRecorder {
	c.f.t.Helper()
	r := httptest.NewRequest(method, "https://box.test"+path, body)
	r.RemoteAddr = c.remote
	for k, v := range c.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	for k, vs := range c.header {
		r.Header[k] = vs
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	c.f.srv.Handler().ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if m := csrfRE.FindStringSubmatch(w.Body.String()); m != nil {
		c.csrf = m[1]
	}
	return w
}

func (c *client) get(path string) *httptest.ResponseRecorder { return c.do("GET", path, nil, nil) }

// post sends a form with the remembered CSRF token (unless the form sets
// its own "csrf").
func (c *client) post(path string, v url.Values) *httptest.ResponseRecorder {
	if v == nil {
		v = url.Values{}
	}
	if _, ok := v["csrf"]; !ok {
		v.Set("csrf", c.csrf)
	}
	return c.do("POST", path, strings.NewReader(v.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// login logs in through the form and returns the response to the POST.
func (c *client) login(pw string) *httptest.ResponseRecorder {
	c.get("/login")
	return c.post("/login", url.Values{"password": {pw}})
}

// ready logs in and makes the forced change, leaving a normal session.
func (c *client) ready() {
	c.f.t.Helper()
	if w := c.login(c.f.svc.password); w.Code != http.StatusSeeOther {
		c.f.t.Fatalf("login: %d", w.Code)
	}
	if c.f.svc.mustChange {
		c.get("/password")
		w := c.post("/password", url.Values{"new_password": {"correct horse battery"}, "confirm_password": {"correct horse battery"}})
		if w.Code != http.StatusSeeOther {
			c.f.t.Fatalf("forced change: %d %s", w.Code, w.Body)
		}
	}
	c.get("/status")
}

// apiDo calls the API with HTTP Basic as admin.
func (f *fixture) api(method, path, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.apiAs("admin", f.svc.password, method, path, body)
}

func (f *fixture) apiAs(user, pass, method, path, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, "https://box.test"+path, rd)
	r.RemoteAddr = "198.51.100.7:5555"
	r.SetBasicAuth(user, pass)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	return w
}

// readyAPI finishes the forced change so the API is usable with Basic.
func (f *fixture) readyAPI() {
	f.t.Helper()
	f.svc.mu.Lock()
	f.svc.password, f.svc.mustChange = "api-password-1", false
	f.svc.mu.Unlock()
}

func decodeError(t testing.TB, w *httptest.ResponseRecorder) errorBody {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error response Content-Type %q, body %s", ct, w.Body)
	}
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	if e.Error == "" {
		t.Fatalf("error body without message: %s", w.Body)
	}
	return e
}

// fieldErrorHTML extracts the error shown beside a form field.
func fieldErrorHTML(body, id string) string {
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `-error">([^<]*)<`)
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

func inputValue(body, id string) (string, bool) {
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `" name="[^"]*" value="([^"]*)"`)
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1], true
	}
	return "", false
}

func basicToken(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
