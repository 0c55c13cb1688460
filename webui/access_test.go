package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

// roleLogins are the accounts the access tests log in as, one per role,
// each with the password pw.
var roleLogins = map[string]string{
	store.RoleAdministrator: store.AdminLogin,
	store.RoleInstaller:     "inst",
	store.RoleOfficeManager: "olga",
	store.RoleUser:          "101",
}

const rolePW = "role password 1"

// withRoles readies a fixture with an account of every role (admin's
// password is rolePW too, no forced change).
func withRoles(f *fixture) {
	f.svc.mu.Lock()
	f.svc.password, f.svc.mustChange = rolePW, false
	f.svc.mu.Unlock()
	f.svc.addAccount(store.Account{Login: "inst", Role: store.RoleInstaller, Name: "Ivan"}, rolePW)
	f.svc.addAccount(store.Account{Login: "olga", Role: store.RoleOfficeManager}, rolePW)
	f.svc.addAccount(store.Account{Login: "101", Role: store.RoleUser}, rolePW)
}

// loginAs logs a new client in with the login form and returns it with a
// CSRF token from its own page.
func (f *fixture) loginAs(login string) *client {
	f.t.Helper()
	c := f.client()
	c.get("/login")
	w := c.post("/login", url.Values{"user": {login}, "password": {rolePW}})
	if w.Code != http.StatusSeeOther {
		f.t.Fatalf("login %s: %d %s", login, w.Code, w.Body)
	}
	if w := c.get("/me"); w.Code != 200 {
		f.t.Fatalf("%s's own page: %d", login, w.Code)
	}
	return c
}

// samplePath fills a route pattern's wildcards with values that reach
// the handler without changing anything that matters.
var wildcard = regexp.MustCompile(`\{(\w+)\}`)

func samplePath(pattern string) string {
	values := map[string]string{"number": "101", "port": "1", "id": "1", "box": "101", "name": "welcome", "section": "ring_groups",
		"index": "0", "room": "r", "member": "m", "login": "nobody", "role": "nosuch", "kind": "busy", "chart": "hourly"}
	return wildcard.ReplaceAllStringFunc(pattern, func(m string) string {
		if v, ok := values[m[1:len(m)-1]]; ok {
			return v
		}
		return "x"
	})
}

// refused reports whether a response is the role refusal (not another
// 403, such as a CSRF one).
func refused(w *httptest.ResponseRecorder) bool {
	return w.Code == http.StatusForbidden && strings.Contains(w.Body.String(), "may not do this")
}

// TestAccessMatrix: every page and API route against every role, from
// the route table: allowed where the role's permissions hold the route's
// permission, else 403 (a page for the browser, JSON on the API) and an
// entry in the audit log. A route without a permission decision fails
// here, as does a decision for a route that is not served.
func TestAccessMatrix(t *testing.T) {
	f := newFixture(t)
	withRoles(f)
	perms := routePermissions()
	routes := append(f.srv.pageRoutes(), f.srv.apiRoutes()...)
	served := map[string]bool{}
	for _, rt := range routes {
		key := rt.method + " " + rt.pattern
		served[key] = true
		if _, ok := perms[key]; !ok {
			t.Errorf("%s has no permission decision: add it to routePermissions (permissions.go)", key)
		}
	}
	for key, p := range perms {
		if !served[key] {
			t.Errorf("routePermissions decides %s, which is not a route", key)
		}
		if p != anyone && p != signedIn && !store.IsPermission(p) {
			t.Errorf("%s: unknown permission %q", key, p)
		}
	}
	// Logging out ends the client's session: last.
	slices.SortStableFunc(routes, func(a, b route) int {
		if a.pattern == "/logout" {
			return 1
		}
		if b.pattern == "/logout" {
			return -1
		}
		return 0
	})
	roles, _ := f.svc.Roles(context.Background())
	cells, refusals := 0, 0
	for _, role := range roles {
		login := roleLogins[role.Name]
		c := f.loginAs(login)
		for _, rt := range routes {
			if rt.access == public {
				continue
			}
			key := rt.method + " " + rt.pattern
			want := allowed(&authInfo{account: store.Account{Role: role.Name}, role: role}, perms[key])
			before := len(f.svc.refusals())
			w := f.request(c, rt, login)
			cells++
			isAPI := rt.access == api || rt.access == apiDuringChange
			switch {
			case want && refused(w):
				t.Errorf("%s as %s: refused, want allowed (%s)", key, role.Name, perms[key])
			case !want && !refused(w):
				t.Errorf("%s as %s: %d %.120s, want 403 (needs %s)", key, role.Name, w.Code, w.Body.String(), perms[key])
			case !want && isAPI && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json"):
				t.Errorf("%s as %s: refused as %q, want JSON", key, role.Name, w.Header().Get("Content-Type"))
			case !want && !isAPI && !strings.Contains(w.Header().Get("Content-Type"), "text/html"):
				t.Errorf("%s as %s: refused as %q, want a page", key, role.Name, w.Header().Get("Content-Type"))
			case !want:
				refusals++
				log := f.svc.refusals()
				if len(log) != before+1 || log[len(log)-1].Target != key || log[len(log)-1].Actor != login || log[len(log)-1].Section != perms[key] {
					t.Errorf("%s as %s: refused without its audit entry: %+v", key, role.Name, log[before:])
				}
			}
		}
	}
	t.Logf("access matrix: %d routes × %d roles = %d cells checked, %d refusals", len(routes), len(roles), cells, refusals)
	if cells < 4*100 {
		t.Fatalf("only %d cells: the matrix did not run", cells)
	}
}

// request makes rt's request as login: pages with c's session (forms
// with its CSRF token), the API with HTTP Basic. Event streams are cut
// short.
func (f *fixture) request(c *client, rt route, login string) *httptest.ResponseRecorder {
	path := samplePath(rt.pattern)
	var body io.Reader
	hdr := map[string]string{}
	isAPI := rt.access == api || rt.access == apiDuringChange
	if !isAPI && rt.method == http.MethodPost {
		body = strings.NewReader(url.Values{"csrf": {c.csrf}}.Encode())
		hdr["Content-Type"] = "application/x-www-form-urlencoded"
	}
	r := httptest.NewRequest(rt.method, "https://box.test"+path, body)
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	if strings.HasSuffix(path, "/events") || strings.HasSuffix(path, "/live") {
		ctx, cancel = context.WithTimeout(r.Context(), 50*time.Millisecond)
	}
	defer cancel()
	r = r.WithContext(ctx)
	r.RemoteAddr = c.remote
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	if isAPI {
		r.SetBasicAuth(login, rolePW)
	} else {
		for k, v := range c.cookies {
			r.AddCookie(&http.Cookie{Name: k, Value: v})
		}
	}
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	return w
}

// TestNavigationFollowsTheRole: each role's navigation links only to
// pages it may open; a user starts on their own page.
func TestNavigationFollowsTheRole(t *testing.T) {
	f := newFixture(t)
	withRoles(f)
	for role, login := range roleLogins {
		c := f.loginAs(login)
		body := c.get("/me").Body.String()
		for _, link := range regexp.MustCompile(`<a href="(/[^"]*)" id="nav-`).FindAllStringSubmatch(body, -1) {
			if w := c.get(link[1]); refused(w) {
				t.Errorf("%s's navigation links to %s, which it may not open", role, link[1])
			}
		}
		if role == store.RoleUser && strings.Contains(body, `id="nav-status"`) {
			t.Error("a user's navigation shows the status page")
		}
	}
	c := f.client()
	c.get("/login")
	if w := c.post("/login", url.Values{"user": {"101"}, "password": {rolePW}}); w.Header().Get("Location") != "/me" {
		t.Errorf("a user's login leads to %q, want /me", w.Header().Get("Location"))
	}
	if w := c.get("/"); w.Header().Get("Location") != "/me" {
		t.Errorf("a user's / leads to %q, want /me", w.Header().Get("Location"))
	}
	// A user without the status permission who asks for it gets a page
	// that says so, and the attempt is logged.
	w := c.get("/status")
	if !refused(w) || !strings.Contains(w.Body.String(), `&#34;status&#34;`) {
		t.Errorf("a user on /status: %d %s", w.Code, w.Body)
	}
}

// TestSessionsSurviveRestartForEveryRole: each role's session goes on
// after a restart with its role, and a deleted account's session ends.
func TestSessionsSurviveRestartForEveryRole(t *testing.T) {
	st := &memState{}
	f := newFixture(t, func(o *Options) { o.State = st })
	withRoles(f)
	clients := map[string]*client{}
	for role, login := range roleLogins {
		clients[role] = f.loginAs(login)
	}
	srv2, err := New(Options{Service: f.svc, DataDir: t.TempDir(), Now: f.clock.Now, State: st}) // the restart
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv2
	for role, c := range clients {
		w := c.get("/me")
		if w.Code != 200 || !strings.Contains(w.Body.String(), `<dd id="me-role">`+role+`</dd>`) {
			t.Errorf("%s after a restart: %d", role, w.Code)
		}
		// The role still decides, and a form still posts (its CSRF came back).
		wantStatus := role != store.RoleUser && role != store.RoleInstaller
		if w := c.get("/calls"); refused(w) == wantStatus {
			t.Errorf("%s on /calls after a restart: %d", role, w.Code)
		}
		if w := c.post("/me", url.Values{"name": {"N " + role}}); w.Code != http.StatusSeeOther {
			t.Errorf("%s posts after a restart: %d %s", role, w.Code, w.Body)
		}
	}
	if err := f.svc.DeleteAccount(context.Background(), "olga"); err != nil {
		t.Fatal(err)
	}
	if w := clients[store.RoleOfficeManager].get("/me"); w.Code != http.StatusSeeOther {
		t.Errorf("a deleted account's session: %d", w.Code)
	}
}

// TestAPITokens: a token made on the own page (shown once) lets a script
// in as its account, with its role; revoked, it is refused.
func TestAPITokens(t *testing.T) {
	f := newFixture(t)
	withRoles(f)
	c := f.loginAs("101")
	c.get("/me/tokens")
	if w := c.post("/me/tokens", url.Values{"label": {""}}); w.Code != http.StatusUnprocessableEntity || fieldErrorHTML(w.Body.String(), "label") == "" {
		t.Fatalf("a token without a label: %d", w.Code)
	}
	w := c.post("/me/tokens", url.Values{"label": {"backup"}})
	m := regexp.MustCompile(`<code id="new-token">([^<]+)</code>`).FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusCreated || m == nil {
		t.Fatalf("make a token: %d", w.Code)
	}
	tok := m[1]
	bearer := func(method, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "https://box.test"+path, nil)
		r.RemoteAddr = "198.51.100.9:1"
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(w, r)
		return w
	}
	if w := bearer("GET", "/api/v1/me"); w.Code != 200 || !strings.Contains(w.Body.String(), `"login":"101"`) {
		t.Fatalf("the token: %d %s", w.Code, w.Body)
	}
	if w := bearer("GET", "/api/v1/config"); !refused(w) {
		t.Fatalf("the token beyond its role: %d", w.Code)
	}
	if got := c.get("/me/tokens").Body.String(); strings.Contains(got, tok) {
		t.Fatal("the token is shown again")
	}
	list, _ := f.svc.Tokens(context.Background(), "101")
	c.get("/me/tokens")
	if w := c.post("/me/tokens/"+list[0].ID+"/revoke", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", w.Code)
	}
	if w := bearer("GET", "/api/v1/me"); w.Code != http.StatusUnauthorized {
		t.Fatalf("a revoked token: %d", w.Code)
	}
}

func TestParseBearer(t *testing.T) {
	for _, c := range []struct {
		in, tok string
		ok      bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer   abc", "abc", true},
		{"BEARER mpx_x", "mpx_x", true},
		{"Basic YWRtaW46eA==", "", false},
		{"Bearer", "", false},
		{"Bearerabc", "", false},
		{"", "", false},
	} {
		if tok, ok := parseBearer(c.in); tok != c.tok || ok != c.ok {
			t.Errorf("parseBearer(%q) = %q, %v", c.in, tok, ok)
		}
	}
}

// TestForwardingForm: a user's forwarding through their own page: bad
// numbers are refused beside their fields with what was typed kept; a
// good change reaches the rule, and only what the user manages changes.
func TestForwardingForm(t *testing.T) {
	f := newFixture(t)
	withRoles(f)
	f.svc.mu.Lock()
	f.svc.exts = append(f.svc.exts, store.Extension{Number: "102", Name: "Bob"})
	f.svc.acc().rules["101"] = store.ExtensionRule{Extension: "101", Class: "internal", Record: "always"}
	f.svc.mu.Unlock()
	c := f.loginAs("101")
	c.get("/me/forwarding")
	form := url.Values{"dnd": {"on"}, "forward_always": {"0123"}, "forward_busy": {"101"}, "no_answer_s": {"abc"},
		"follow_me[0].number": {"95551234"}, "follow_me[0].ring_s": {"3"}, "follow_me[0].on": {"on"}}
	w := c.post("/me/forwarding", form)
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(body, "no_answer_s"), "whole number") {
		t.Fatalf("bad seconds: %d %q", w.Code, fieldErrorHTML(body, "no_answer_s"))
	}
	form.Set("no_answer_s", "0")
	w = c.post("/me/forwarding", form)
	body = w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(body, "forward_always"), "may not call") ||
		!strings.Contains(fieldErrorHTML(body, "forward_busy"), "your own") {
		t.Fatalf("refused numbers: %d %q %q", w.Code, fieldErrorHTML(body, "forward_always"), fieldErrorHTML(body, "forward_busy"))
	}
	if v, _ := inputValue(body, "forward_always"); v != "0123" {
		t.Errorf("the typed number is not kept: %q", v)
	}
	form.Set("forward_always", "102")
	form.Set("forward_busy", "")
	w = c.post("/me/forwarding", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "follow_me[0].ring_s"), "5 to 600") {
		t.Fatalf("a follow-me ring time the store refuses: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "follow_me[0].ring_s"))
	}
	form.Set("follow_me[0].ring_s", "15")
	form["follow_me[1].number"] = []string{"102"}
	form["follow_me[1].ring_s"] = []string{"0"} // switched off: no "on"
	if w := c.post("/me/forwarding", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	got, _ := f.svc.ExtensionRule(context.Background(), "101")
	want := store.ExtensionRule{Extension: "101", Class: "internal", Record: "always", DND: true, ForwardAlways: "ext:102",
		FollowMe: []store.GroupMember{{Destination: "number:95551234", RingS: 15}, {Destination: "ext:102", Off: true}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rule %+v\nwant %+v", got, want)
	}
	// The page shows it back in the user's terms.
	body = c.get("/me/forwarding").Body.String()
	if v, _ := inputValue(body, "forward_always"); v != "102" {
		t.Errorf("forward_always shown as %q", v)
	}
	// The API says the same, and takes the same.
	w = f.apiAs("101", rolePW, "GET", "/api/v1/me/forwarding", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"forward_always":"102"`) || !strings.Contains(w.Body.String(), `{"number":"102","ring_s":0,"on":false}`) {
		t.Fatalf("GET forwarding: %d %s", w.Code, w.Body)
	}
	w = f.apiAs("101", rolePW, "PUT", "/api/v1/me/forwarding", `{"dnd": false, "forward_always": "", "follow_me": [{"number": "0999", "ring_s": 0, "on": true}]}`)
	if e := decodeError(t, w); w.Code != 422 || len(e.Fields) != 1 || e.Fields[0].Field != "follow_me[0].number" {
		t.Fatalf("PUT a forbidden follow-me number: %d %+v", w.Code, e)
	}
}

// TestGreetingsOfTheOwnMailbox: a user uploads, hears and deletes their
// own greeting; a bad file is refused beside the file field.
func TestGreetingsOfTheOwnMailbox(t *testing.T) {
	f := newFixture(t)
	withRoles(f)
	f.svc.plan.Voicemail.Boxes = []store.Mailbox{{Extension: "101", PIN: "4821"}}
	c := f.loginAs("101")
	if w := c.get("/me/voicemail"); w.Code != 200 || !strings.Contains(w.Body.String(), `id="greeting-form"`) || strings.Contains(w.Body.String(), `id="back-voicemail"`) {
		t.Fatalf("own mailbox: %d", w.Code)
	}
	if w := c.uploadTo("/me/voicemail/greetings", map[string]string{"kind": "busy"}, "file", "g.txt", []byte("not audio")); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(fieldErrorHTML(w.Body.String(), "greeting-file"), "WAV or MP3") {
		t.Fatalf("a bad greeting: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "greeting-file"))
	}
	if w := c.uploadTo("/me/voicemail/greetings", map[string]string{"kind": "busy"}, "file", "g.wav", []byte("RIFF-a-wav")); w.Code != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	if w := c.get("/me/voicemail/greetings/busy/audio"); w.Code != 200 || w.Body.String() != "RIFF-a-wav" {
		t.Fatalf("listen: %d", w.Code)
	}
	c.get("/me/voicemail")
	if w := c.post("/me/voicemail/greetings/busy/delete", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", w.Code)
	}
	if w := c.get("/me/voicemail/greetings/busy/audio"); w.Code != 404 {
		t.Fatalf("deleted greeting: %d", w.Code)
	}
}

// uploadTo posts a multipart form to path: the CSRF token first, the
// fields, then one file.
func (c *client) uploadTo(path string, fields map[string]string, fileField, filename string, data []byte) *httptest.ResponseRecorder {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", c.csrf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(fileField, filename)
	fw.Write(data)
	mw.Close()
	return c.do("POST", path, &b, map[string]string{"Content-Type": mw.FormDataContentType()})
}

// TestOpenAPIAccountSchemas: what the accounts' routes send is what the
// OpenAPI document describes, field for field.
func TestOpenAPIAccountSchemas(t *testing.T) {
	f := newFixture(t)
	withRoles(f)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(f.srv.openapi, &doc); err != nil {
		t.Fatal(err)
	}
	// The fields sent, of an object or the objects of a list.
	keys := func(raw []byte) map[string]bool {
		out := map[string]bool{}
		var list []map[string]json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			var one map[string]json.RawMessage
			json.Unmarshal(raw, &one)
			list = append(list, one)
		}
		for _, m := range list {
			for k := range m {
				out[k] = true
			}
		}
		return out
	}
	check := func(schema string, raw []byte) {
		t.Helper()
		s, ok := doc.Components.Schemas[schema]
		if !ok {
			t.Fatalf("no schema %s", schema)
		}
		sent := keys(raw)
		if len(sent) == 0 {
			t.Fatalf("%s: nothing sent: %s", schema, raw)
		}
		for k := range sent {
			if _, ok := s.Properties[k]; !ok {
				t.Errorf("%s: field %q sent but not documented", schema, k)
			}
		}
	}
	as := func(login, method, path, body string) []byte {
		t.Helper()
		w := f.apiAs(login, rolePW, method, path, body)
		if w.Code >= 300 {
			t.Fatalf("%s %s as %s: %d %s", method, path, login, w.Code, w.Body)
		}
		return w.Body.Bytes()
	}
	f.svc.mu.Lock()
	f.svc.acc().rules["101"] = store.ExtensionRule{Extension: "101", FollowMe: []store.GroupMember{{Destination: "ext:102"}}}
	f.svc.mu.Unlock()
	check("Me", as("101", "GET", "/api/v1/me", ""))
	check("Forwarding", as("101", "GET", "/api/v1/me/forwarding", ""))
	check("NewAPIToken", as("101", "POST", "/api/v1/me/tokens", `{"label":"x"}`))
	check("APIToken", as("101", "GET", "/api/v1/me/tokens", ""))
	check("Account", as("admin", "GET", "/api/v1/users", ""))
	check("NewAccount", as("admin", "POST", "/api/v1/users", `{"login":"anna","role":"installer"}`))
	check("Roles", as("admin", "GET", "/api/v1/roles", ""))
	check("Role", as("admin", "PUT", "/api/v1/roles/user", `{"permissions":["own.calls"]}`))
	check("PBXParameters", as("admin", "GET", "/api/v1/pbx-parameters", ""))
	f.apiAs("101", rolePW, "GET", "/api/v1/config", "") // a refusal, for the log
	var page struct{ Entries json.RawMessage }
	json.Unmarshal(as("admin", "GET", "/api/v1/audit", ""), &page)
	check("AuditPage", as("admin", "GET", "/api/v1/audit", ""))
	check("AuditEntry", page.Entries)
}

// TestExtensionPageLinksFollowTheRole: a role that may edit extensions
// but not see the dial plan gets the extension page without the link to
// the route tester and without the pickers' "create new", whose forms
// it may not open.
func TestExtensionPageLinksFollowTheRole(t *testing.T) {
	f := newFixture(t)
	withRoles(f)
	ctx := context.Background()
	roles, err := f.svc.Roles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(roles, func(r store.Role) bool { return r.Name == store.RoleInstaller })
	inst := roles[i]
	if page := f.loginAs("inst").get("/extensions/101").Body.String(); !strings.Contains(page, `id="try-routes"`) || !strings.Contains(page, `label="Create new"`) {
		t.Fatal("the installer's extension page does not link the route tester or offer to create a destination")
	}
	inst.Permissions = slices.DeleteFunc(slices.Clone(inst.Permissions), func(p string) bool {
		return p == store.PermDialPlanView || p == store.PermDialPlanEdit
	})
	if _, err := f.svc.UpdateRole(ctx, inst); err != nil {
		t.Fatal(err)
	}
	c := f.loginAs("inst")
	w := c.get("/extensions/101")
	if page := w.Body.String(); w.Code != http.StatusOK || strings.Contains(page, `id="try-routes"`) || strings.Contains(page, `label="Create new"`) {
		t.Errorf("without the dial plan: %d, links the route tester: %v, offers to create: %v", w.Code,
			strings.Contains(page, `id="try-routes"`), strings.Contains(page, `label="Create new"`))
	}
	if !refused(c.get("/dialplan/route-tester?from=101")) {
		t.Error("the route tester opens without the dial plan permission")
	}
}
