package provision

import (
	"crypto/tls"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

// passwordKey is where each brand's file holds the account's secret.
var passwordKey = map[string]string{
	"yealink": "account.1.password", "grandstream": "P34", "snom": "user_pass[1]",
	"fanvil": "SIP CONFIG MODULE/SIP1 Register Pswd", "spa": "Password_1_",
}

// renderFor renders brand b's built-in template for extension 201 named
// name, watching 202 named other.
func renderFor(t testing.TB, tm *templates, b Brand, name, other string) Settings {
	t.Helper()
	c := store.Config{System: store.System{Name: name, TimeZone: "Europe/Berlin"},
		Extensions: []store.Extension{{Number: "201", Name: name, Secret: "Fuzz-Secret-42x"}, {Number: "202", Name: other}}}
	p := store.Phone{MAC: "001565a1b2c3", Extension: "201", Template: b.Key, Token: "00112233445566778899aabbccddeeff"}
	d, err := buildData(b, p, &c, Addresses{Host: "192.0.2.1", SIPPort: 5060, HTTPSPort: 8443},
		"https://192.0.2.1:8443/provision/t/"+b.fileName(p.MAC), "https://192.0.2.1:8443/provision/t", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := tm.get(b)
	out, err := execute(b, tmpl, d)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(b.Format, out)
	if err != nil {
		t.Fatalf("%s: names %q, %q broke the file: %v\n%s", b.Key, name, other, err, out)
	}
	return s
}

// FuzzRenderHostileNames: whatever the extensions are called, every
// brand's file keeps its format, sets exactly the settings it sets for
// plain names, and the account's secret where it belongs.
func FuzzRenderHostileNames(f *testing.F) {
	for _, s := range []string{`Ann "Lee" <&>`, "Bob\nadmin = 1", "x\r\naccount.1.password = stolen", "</P3><P34>x</P34>",
		"<<END OF FILE>>", "<SIP CONFIG MODULE>", "--x--", "#!version:1.0.0.1", "\u2028", "\x00\x7f\x85", "]]><!--", "é\xff"} {
		f.Add(s, s)
	}
	tm, err := newTemplates("")
	if err != nil {
		f.Fatal(err)
	}
	plain := map[string][]string{}
	for _, b := range brands {
		plain[b.Key] = slices.Sorted(maps.Keys(renderFor(f, tm, b, "Anna", "Bob")))
	}
	f.Fuzz(func(t *testing.T, name, other string) {
		for _, b := range brands {
			s := renderFor(t, tm, b, name, other)
			if got := slices.Sorted(maps.Keys(s)); !slices.Equal(got, plain[b.Key]) {
				t.Fatalf("%s: names %q, %q changed the settings:\n%v\nwant\n%v", b.Key, name, other, got, plain[b.Key])
			}
			if s[passwordKey[b.Key]] != "Fuzz-Secret-42x" {
				t.Fatalf("%s: the secret is %q", b.Key, s[passwordKey[b.Key]])
			}
		}
	})
}

// FuzzParse: the format readers take any bytes without a panic.
func FuzzParse(f *testing.F) {
	tm, err := newTemplates("")
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range brands {
		text, _ := builtin.ReadFile("templates/" + b.File)
		f.Add(b.Format, text)
		tmpl, _ := tm.get(b)
		out, _ := execute(b, tmpl, Data{Account: Account{Secret: "x"}})
		f.Add(b.Format, out)
	}
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		s, err := Parse(format, data)
		if err == nil && s == nil {
			t.Fatal("no settings and no error")
		}
	})
}

// FuzzRequestPath: whatever path and User-Agent a client sends, only a
// provisioned phone's own file with its token is ever served.
func FuzzRequestPath(f *testing.F) {
	o := newOffice(f)
	p, err := o.svc.Assign(Assignment{MAC: "001565a1b2c3", Extension: "201", Template: "yealink"})
	if err != nil {
		f.Fatal(err)
	}
	own := PathPrefix + p.Token + "/001565a1b2c3.cfg"
	for _, s := range []string{own, PathPrefix + p.Token + "/", PathPrefix + "/x", PathPrefix + p.Token + "/001565A1B2C3.cfg",
		PathPrefix + p.Token + "/../x/001565a1b2c3.cfg", PathPrefix + "001565a1b2c3.cfg"} {
		f.Add(s, "Yealink SIP-T46S 66.86.0.15")
	}
	f.Fuzz(func(t *testing.T, path, ua string) {
		o.now = o.now.Add(time.Hour) // no lock-outs between runs
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = path
		req.Header.Set("User-Agent", ua)
		req.TLS = &tls.ConnectionState{}
		rec := httptest.NewRecorder()
		o.svc.ServeHTTP(rec, req)
		rest, mine := strings.CutPrefix(path, PathPrefix+p.Token+"/")
		want := mine && len(rest) == 16 && strings.EqualFold(rest[:12], p.MAC) && rest[12:] == ".cfg"
		if served := rec.Code == http.StatusOK; served != want {
			t.Fatalf("%q: %d", path, rec.Code)
		}
	})
}
