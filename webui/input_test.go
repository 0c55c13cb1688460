package webui

import (
	"slices"
	"strings"
	"testing"
)

// TestAPIInputCases is the table of hostile bodies every JSON endpoint
// must refuse with 400, naming the field where there is one, and without
// a write: a body of null (which the standard decoder takes as {} — an
// update would wipe the object), a key twice, invalid UTF-8 and an
// unpaired surrogate escape (both otherwise stored as U+FFFD).
func TestAPIInputCases(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	endpoints := []struct{ method, path, member string }{
		{"POST", "/api/v1/extensions", `"name"`},
		{"PUT", "/api/v1/extensions/101", `"name"`},
		{"PUT", "/api/v1/settings", `"name"`},
		{"PUT", "/api/v1/diagnostics", `"time"`},
		{"PUT", "/api/v1/fxo-lines/2", `"name"`},
		{"PUT", "/api/v1/config", `"version"`},
		{"PUT", "/api/v1/dialplan", `"ring_groups"`},
		{"POST", "/api/v1/admin/password", `"password"`},
		{"POST", "/api/v1/sim/lines/2/ring", `"name"`},
	}
	cases := []struct {
		name  string
		body  func(member string) string
		field func(member string) string // the field the error must name; "" none
		text  string
	}{
		{"null", func(string) string { return "null" }, nil, "not null"},
		{"null padded", func(string) string { return " \r\n null\n" }, nil, "not null"},
		{"array", func(string) string { return "[]" }, nil, "not an array"},
		{"duplicate key", func(m string) string { return "{" + m + `:"a",` + m + `:"b"}` }, unquote, "duplicate key"},
		{"invalid UTF-8", func(m string) string { return "{" + m + ":\"a\xffb\"}" }, unquote, "not valid UTF-8"},
		{"truncated UTF-8", func(m string) string { return "{" + m + ":\"\xe2\x82\"}" }, unquote, "not valid UTF-8"},
		{"lone surrogate", func(m string) string { return "{" + m + `:"\udead"}` }, unquote, "surrogate"},
	}
	for _, ep := range endpoints {
		for _, c := range cases {
			t.Run(ep.method+" "+ep.path+" "+c.name, func(t *testing.T) {
				before, exts := f.svc.snapshot()
				w := f.api(ep.method, ep.path, c.body(ep.member))
				if w.Code != 400 {
					t.Fatalf("%d, want 400: %s", w.Code, w.Body)
				}
				e := decodeError(t, w)
				if !strings.Contains(e.Error, c.text) {
					t.Errorf("error %q does not say %q", e.Error, c.text)
				}
				if c.field != nil {
					want := c.field(ep.member)
					if !slices.ContainsFunc(e.Fields, func(fe FieldError) bool { return fe.Field == want && fe.Message != "" }) &&
						!strings.Contains(e.Error, `"`+want+`"`) {
						t.Errorf("error %s does not name the field %q", w.Body, want)
					}
				}
				if after, exts2 := f.svc.snapshot(); after != before || !slices.Equal(exts, exts2) {
					t.Error("a refused body changed the configuration")
				}
			})
		}
	}
}

// TestAPINullKeepsObject is the issue's own case: PUT null on an extension
// and on the diagnostics settings, then read them back unchanged.
func TestAPINullKeepsObject(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	for _, path := range []string{"/api/v1/extensions/101", "/api/v1/diagnostics"} {
		before := f.api("GET", path, "").Body.String()
		if w := f.api("PUT", path, "null"); w.Code != 400 {
			t.Errorf("PUT %s null: %d %s", path, w.Code, w.Body)
		}
		if after := f.api("GET", path, "").Body.String(); after != before {
			t.Errorf("PUT %s null changed it:\n%s\n%s", path, before, after)
		}
	}
}

func unquote(m string) string { return strings.Trim(m, `"`) }
