package webui

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// FuzzDecodeStrict: the strict JSON reader never panics, and whatever it
// accepts is valid JSON that the standard decoder accepts too.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{`{"number":"101"}`, `{"number":101}`, `{"x":1}`, `{}{}`, "{\n\"a\"", ``, `[1]`, `{"fxs_port":1e400}`, `{"number":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e store.Extension
		err := decodeStrict(data, &e)
		if err == nil && !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

// FuzzSafeNext: the page returned to after login is always local.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/calls", "//evil", "/\\evil", "https://x", "/ok?a=b", "/%2F%2Fevil", "\t/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || err != nil || u.Host != "" || u.Scheme != "" || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
	})
}

// FuzzClientKey: any remote address maps to a key without panicking, and
// the port of an address never changes its key.
func FuzzClientKey(f *testing.F) {
	for _, s := range []string{"192.0.2.1:1", "[2001:db8::1]:2", "garbage", "[fe80::1%eth0]:5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		k := clientKey(addr)
		host, _, err := net.SplitHostPort(addr)
		if err != nil || !k.IsValid() {
			return
		}
		if other := clientKey(net.JoinHostPort(host, "9")); other != k {
			t.Fatalf("port changes the key of %q: %v vs %v", addr, k, other)
		}
	})
}

// FuzzExtensionForm: whatever a form posts, the handler answers with a
// page (no panic, no 500) and refuses or accepts consistently.
func FuzzExtensionForm(f *testing.F) {
	f.Add("102", "Name", "secret", "0", "on")
	f.Add("1x", "<b>", "", "-1", "")
	f.Add("", "", "", "99999999999999999999", "x")
	fx := newFixture(f)
	c := fx.client()
	c.ready()
	f.Fuzz(func(t *testing.T, number, name, secret, port, outside string) {
		fx.t = t
		c.get("/extensions/new")
		w := c.post("/extensions/new", url.Values{"number": {number}, "name": {name}, "secret": {secret}, "fxs_port": {port}, "outside_calls": {outside}})
		if w.Code >= 500 {
			t.Fatalf("%d for %q %q %q %q", w.Code, number, name, secret, port)
		}
		if w.Code != http.StatusSeeOther && !strings.Contains(w.Body.String(), `class="field-error"`) && !strings.Contains(w.Body.String(), "form-errors") {
			t.Fatalf("refused (%d) without saying why", w.Code)
		}
	})
}

// FuzzAPIExtensionBody: any body to POST /api/v1/extensions gets a JSON
// answer with a 2xx/4xx code.
func FuzzAPIExtensionBody(f *testing.F) {
	f.Add(`{"number":"150"}`)
	f.Add(`{"number":"150","fxs_port":"x"}`)
	f.Add(`nul`)
	fx := newFixture(f)
	fx.readyAPI()
	f.Fuzz(func(t *testing.T, body string) {
		fx.t = t
		r := httptest.NewRequest("POST", "https://box.test/api/v1/extensions", strings.NewReader(body))
		r.SetBasicAuth("admin", "api-password-1")
		r.RemoteAddr = "192.0.2.1:1"
		w := httptest.NewRecorder()
		fx.srv.Handler().ServeHTTP(w, r)
		if w.Code >= 500 || !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%d %s for %q", w.Code, w.Body, body)
		}
	})
}
