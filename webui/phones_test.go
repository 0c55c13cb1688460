package webui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"minipbx/telephony/provision"
	"minipbx/telephony/store"
)

// provFixture is the web UI with real phone provisioning over a real
// database (extensions 101, 102 of a new box, and 201).
func provFixture(t *testing.T) (*fixture, *provision.Service) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), store.Options{Limits: &store.Limits{FXSPorts: 2, FXOPorts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.CreateExtension(store.Extension{Number: "201", Name: "Anna"}); err != nil {
		t.Fatal(err)
	}
	svc, err := provision.New(provision.Config{Store: db, Addresses: func() provision.Addresses {
		return provision.Addresses{Host: "192.0.2.10", SIPPort: 5060, HTTPSPort: 8443, HTTPPort: 8080}
	}, Discovery: func() string { return "listening on eth0" }})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(o *Options) { o.Provisioning = svc })
	return f, svc
}

// TestPhonesPage: a phone heard by plug-and-play is listed with its
// model and firmware; "provision as extension 201" makes its URL, which
// serves its file outside the session; a bad MAC is refused with the
// reason on the page.
func TestPhonesPage(t *testing.T) {
	f, svc := provFixture(t)
	if _, ok := svc.Discovered(provision.Subscribe{Source: netip.MustParseAddr("127.0.0.1"), Users: []string{"MAC%3A001565a1b2c3"},
		UserAgent: "Yealink SIP-T46S 66.86.0.15 00:15:65:a1:b2:c3", Vendor: "Yealink", Model: "T46S"}); ok {
		t.Fatal("answered before being provisioned")
	}
	c := f.client()
	c.ready()
	w := c.get("/phones")
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, `id="phone-001565a1b2c3"`) || !strings.Contains(body, "SIP-T46S") ||
		!strings.Contains(body, "66.86.0.15") || !strings.Contains(body, "listening on eth0") || !strings.Contains(body, `id="nav-phones"`) {
		t.Fatalf("page: %d\n%s", w.Code, body)
	}
	w = c.post("/phones/provision", url.Values{"mac": {"001565a1b2c3"}, "extension": {"201"}, "template": {"yealink"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("provision: %d %s", w.Code, w.Body)
	}
	o, _ := svc.Overview()
	p := o.Phones[0].Phone
	if p == nil || p.Extension != "201" {
		t.Fatalf("not provisioned: %+v", o.Phones)
	}
	body = c.get("/phones").Body.String()
	if !strings.Contains(body, `id="url-001565a1b2c3">https://192.0.2.10:8443/provision/`+p.Token+"/<") {
		t.Fatalf("the page does not show the URL:\n%s", body)
	}
	// The phone fetches without any session.
	r := httptest.NewRequest("GET", "https://box.test/provision/"+p.Token+"/001565a1b2c3.cfg", nil)
	r.RemoteAddr = "192.0.2.50:3000"
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, r)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "account.1.user_name = 201") {
		t.Fatalf("fetch: %d %s", rec.Code, rec.Body)
	}
	// And nothing else under /provision/ tells anything.
	r = httptest.NewRequest("GET", "https://box.test/provision/"+p.Token+"/001565000000.cfg", nil)
	rec = httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, r)
	if rec.Code != 404 {
		t.Fatalf("another phone's file: %d", rec.Code)
	}

	w = c.post("/phones/provision", url.Values{"mac": {"nonsense"}, "extension": {"201"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Must be a MAC address") {
		t.Fatalf("bad MAC: %d\n%s", w.Code, w.Body)
	}
	w = c.post("/phones/provision", url.Values{"mac": {"00:04:13:0a:0b:0c"}, "extension": {"999"}, "template": {"snom"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "does not exist") {
		t.Fatalf("unknown extension: %d\n%s", w.Code, w.Body)
	}
	// Plain HTTP: the switch, and its warning.
	if w := c.post("/phones/settings", url.Values{"allow_plain_http": {"on"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("settings: %d", w.Code)
	}
	body = c.get("/phones").Body.String()
	if !strings.Contains(body, `id="plain-http-warning"`) || !strings.Contains(body, `id="plain-url-001565a1b2c3">http://192.0.2.10:8080/provision/`) {
		t.Fatalf("no warning or plain URL:\n%s", body)
	}
	if w := c.post("/phones/001565a1b2c3/remove", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", w.Code)
	}
	if o, _ := svc.Overview(); o.Phones[0].Phone != nil {
		t.Fatal("still provisioned")
	}
}

// TestPhonesAPI: the API provisions, re-issues and removes, and what it
// sends is what the OpenAPI document says.
func TestPhonesAPI(t *testing.T) {
	f, svc := provFixture(t)
	f.readyAPI()
	svc.Discovered(provision.Subscribe{Source: netip.MustParseAddr("127.0.0.1"), Users: []string{"MAC%3A000413a1b2c3"}, UserAgent: "snomD785/10.1.54.13"})
	w := f.api("PUT", "/api/v1/phones/00:04:13:A1:B2:C3", `{"extension": "201", "keys": ["101"]}`)
	if w.Code != 200 {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	var p store.Phone
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Template != "snom" || p.Keys[0] != "101" || len(p.Token) != 32 {
		t.Fatalf("put: %+v %v", p, err)
	}
	w = f.api("POST", "/api/v1/phones/000413a1b2c3/token", "")
	var q store.Phone
	if err := json.Unmarshal(w.Body.Bytes(), &q); w.Code != 200 || err != nil || q.Token == p.Token {
		t.Fatalf("reissue: %d %s", w.Code, w.Body)
	}
	w = f.api("GET", "/api/v1/phones", "")
	if w.Code != 200 {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Properties map[string]json.RawMessage `json:"properties"`
					Items      struct {
						Properties map[string]json.RawMessage `json:"properties"`
					} `json:"items"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(f.srv.openapi, &doc); err != nil {
		t.Fatal(err)
	}
	list := doc.Components.Schemas["PhoneList"].Properties
	var got map[string]json.RawMessage
	_ = json.Unmarshal(w.Body.Bytes(), &got)
	for k := range got {
		if _, ok := list[k]; !ok {
			t.Errorf("PhoneList: %q not documented", k)
		}
	}
	var phones []map[string]json.RawMessage
	_ = json.Unmarshal(got["phones"], &phones)
	var templates []map[string]json.RawMessage
	_ = json.Unmarshal(got["templates"], &templates)
	if len(phones) != 1 || len(templates) != 5 {
		t.Fatalf("phones %d, templates %d: %s", len(phones), len(templates), w.Body)
	}
	for k := range phones[0] {
		if _, ok := list["phones"].Items.Properties[k]; !ok {
			t.Errorf("PhoneList.phones: %q not documented", k)
		}
	}
	var seen map[string]json.RawMessage
	_ = json.Unmarshal(phones[0]["seen"], &seen)
	if len(seen) == 0 {
		t.Error("the phone seen has no seen object")
	}
	for k := range templates[0] {
		if _, ok := list["templates"].Items.Properties[k]; !ok {
			t.Errorf("PhoneList.templates: %q not documented", k)
		}
	}
	var prov map[string]json.RawMessage
	_ = json.Unmarshal(phones[0]["provisioned"], &prov)
	for k := range prov {
		if _, ok := doc.Components.Schemas["Phone"].Properties[k]; !ok {
			t.Errorf("Phone: %q not documented", k)
		}
	}

	if w := f.api("PUT", "/api/v1/provisioning/settings", `{}`); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("settings without the field: %d", w.Code)
	}
	if w := f.api("PUT", "/api/v1/provisioning/settings", `{"allow_plain_http": true}`); w.Code != 200 {
		t.Fatalf("settings: %d %s", w.Code, w.Body)
	}
	if w := f.api("PUT", "/api/v1/phones/000413a1b2c3", `{"extension": "201", "template": "nokia"}`); w.Code != http.StatusUnprocessableEntity ||
		decodeError(t, w).Fields[0].Field != "template" {
		t.Fatalf("unknown template: %d %s", w.Code, w.Body)
	}
	if w := f.api("DELETE", "/api/v1/phones/000413a1b2c3", ""); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if w := f.api("DELETE", "/api/v1/phones/000413a1b2c3", ""); w.Code != http.StatusNotFound {
		t.Fatalf("delete again: %d %s", w.Code, w.Body)
	}
	if w := f.api("DELETE", "/api/v1/phones/zz", ""); w.Code != http.StatusNotFound {
		t.Fatalf("delete a non-MAC: %d %s", w.Code, w.Body)
	}
}

// TestPlainPort: the plain-HTTP port hands /provision/ to provisioning
// (which refuses while plain HTTP is off) and redirects everything else.
func TestPlainPort(t *testing.T) {
	f, svc := provFixture(t)
	p, err := svc.Assign(provision.Assignment{MAC: "001565a1b2c3", Extension: "201", Template: "yealink"})
	if err != nil {
		t.Fatal(err)
	}
	h := f.srv.plainHandler(redirectHandler("8443"))
	get := func(path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://box.test"+path, nil)
		r.RemoteAddr = "192.0.2.50:3000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	file := "/provision/" + p.Token + "/001565a1b2c3.cfg"
	if w := get(file); w.Code != http.StatusForbidden {
		t.Fatalf("plain while off: %d %s", w.Code, w.Body)
	}
	if w := get("/status"); w.Code != http.StatusMovedPermanently {
		t.Fatalf("a page on the plain port: %d", w.Code)
	}
	if err := svc.SetAllowPlainHTTP(true); err != nil {
		t.Fatal(err)
	}
	if w := get(file); w.Code != 200 || !strings.Contains(w.Body.String(), "http://box.test/provision/"+p.Token) {
		t.Fatalf("plain when allowed: %d %s", w.Code, w.Body)
	}
}

// TestPhonesWithoutProvisioning: a box without it says so.
func TestPhonesWithoutProvisioning(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	if w := f.api("GET", "/api/v1/phones", ""); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("%d", w.Code)
	}
	r := httptest.NewRequest("GET", "https://box.test/provision/x/001565a1b2c3.cfg", nil)
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	if w.Code != 404 {
		t.Fatalf("%d", w.Code)
	}
}
