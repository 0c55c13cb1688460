package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"minipbx/telephony/store"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/channel"
)

func TestAPIAuth(t *testing.T) {
	f := newFixture(t)
	// No credentials.
	r := httptest.NewRequest("GET", "https://box.test/api/v1/status", nil)
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	if w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("anonymous: %d %v", w.Code, w.Header())
	}
	decodeError(t, w)
	// A browser's fetch gets no Basic challenge (no pop-up dialog).
	r.Header.Set("Sec-Fetch-Mode", "cors")
	w = httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("browser fetch: %d, WWW-Authenticate %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	// Malformed Authorization.
	r = httptest.NewRequest("GET", "https://box.test/api/v1/status", nil)
	r.Header.Set("Authorization", "Bearer x")
	w = httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	if w.Code != 401 {
		t.Errorf("bearer: %d", w.Code)
	}

	// Basic before the forced change: only the password route works.
	if w := f.api("GET", "/api/v1/status", ""); w.Code != http.StatusForbidden || !strings.Contains(decodeError(t, w).Error, "/api/v1/admin/password") {
		t.Fatalf("Basic before change: %d %s", w.Code, w.Body)
	}
	if w := f.api("POST", "/api/v1/admin/password", `{"password":"short"}`); w.Code != 422 || decodeError(t, w).Fields[0].Field != "password" {
		t.Fatalf("short password: %d %s", w.Code, w.Body)
	}
	if w := f.api("POST", "/api/v1/admin/password", `{"password":"initial-pass"}`); w.Code != 422 {
		t.Fatalf("same password: %d %s", w.Code, w.Body)
	}
	if w := f.api("POST", "/api/v1/admin/password", `{"password":"brand new password"}`); w.Code != 204 {
		t.Fatalf("set password: %d %s", w.Code, w.Body)
	}
	if w := f.api("GET", "/api/v1/status", ""); w.Code != 200 {
		t.Fatalf("after change: %d", w.Code)
	}
	if w := f.apiAs("admin", "initial-pass", "GET", "/api/v1/status", ""); w.Code != 401 {
		t.Fatalf("old password: %d", w.Code)
	}
}

func TestAPISessionNeedsCSRFHeader(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	if w := c.do("GET", "/api/v1/extensions", nil, nil); w.Code != 200 {
		t.Fatalf("GET with session: %d", w.Code)
	}
	for _, tok := range []string{"", "bogus"} {
		w := c.do("POST", "/api/v1/extensions", strings.NewReader(`{"number":"150"}`), map[string]string{"X-CSRF-Token": tok})
		if w.Code != http.StatusForbidden {
			t.Errorf("token %q: %d", tok, w.Code)
		}
	}
	if _, exts := f.svc.snapshot(); len(exts) != 1 {
		t.Fatal("created without a token")
	}
	w := c.do("POST", "/api/v1/extensions", strings.NewReader(`{"number":"150"}`), map[string]string{"X-CSRF-Token": c.csrf})
	if w.Code != http.StatusCreated {
		t.Fatalf("with token: %d %s", w.Code, w.Body)
	}
}

func TestAPIEndpoints(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	big := `{"name":"` + strings.Repeat("x", maxBody) + `"}`
	tests := []struct {
		name, method, path, body string
		code                     int
		check                    func(t *testing.T, w *httptest.ResponseRecorder)
	}{
		{"version", "GET", "/api/v1/version", "", 200, wantJSON(`"version":"v-test"`)},
		{"status", "GET", "/api/v1/status", "", 200, wantJSON(`"kind":"fxo"`)},
		{"list", "GET", "/api/v1/extensions", "", 200, wantJSON(`"number":"101"`)},
		{"get", "GET", "/api/v1/extensions/101", "", 200, wantJSON(`"name":"Reception"`)},
		{"get missing", "GET", "/api/v1/extensions/999", "", 404, nil},
		{"create", "POST", "/api/v1/extensions", `{"number":"102","name":"Two","outside_calls":true}`, 201, func(t *testing.T, w *httptest.ResponseRecorder) {
			if w.Header().Get("Location") != "/api/v1/extensions/102" || !strings.Contains(w.Body.String(), `"secret":"generated-102"`) {
				t.Errorf("Location %q body %s", w.Header().Get("Location"), w.Body)
			}
		}},
		{"create duplicate", "POST", "/api/v1/extensions", `{"number":"102"}`, 409, wantField("number")},
		{"create invalid", "POST", "/api/v1/extensions", `{"number":"1x","fxs_port":5}`, 422, wantField("number", "fxs_port")},
		{"create bad json", "POST", "/api/v1/extensions", `{"number": "103",}`, 400, wantJSON("line 1, column 18")},
		{"create bad json line 2", "POST", "/api/v1/extensions", "{\n \"number\" 5}", 400, wantJSON("line 2")},
		{"create wrong type", "POST", "/api/v1/extensions", `{"number":103}`, 400, wantJSON(`field \"number\"`)},
		{"create unknown field", "POST", "/api/v1/extensions", `{"number":"103","colour":"red"}`, 400, wantJSON(`unknown field \"colour\"`)},
		{"create two values", "POST", "/api/v1/extensions", `{"number":"103"}{}`, 400, wantJSON("after the JSON object")},
		{"create empty", "POST", "/api/v1/extensions", ``, 400, wantJSON("empty")},
		{"create truncated", "POST", "/api/v1/extensions", `{"number":"10`, 400, wantJSON("ends early")},
		{"create oversize", "POST", "/api/v1/extensions", big, 413, nil},
		{"update", "PUT", "/api/v1/extensions/102", `{"name":"Deux","secret":"abcdefgh12"}`, 200, wantJSON(`"number":"102"`)},
		{"update missing", "PUT", "/api/v1/extensions/999", `{"name":"x"}`, 404, nil},
		{"update onto taken", "PUT", "/api/v1/extensions/102", `{"number":"101"}`, 409, wantField("number")},
		{"update invalid", "PUT", "/api/v1/extensions/102", `{"number":"99"}`, 422, wantField("number")},
		{"delete refused", "DELETE", "/api/v1/extensions/101", "", 422, wantField("number")},
		{"delete", "DELETE", "/api/v1/extensions/102", "", 204, nil},
		{"delete missing", "DELETE", "/api/v1/extensions/102", "", 404, nil},
		{"calls", "GET", "/api/v1/calls?limit=10", "", 200, func(t *testing.T, w *httptest.ResponseRecorder) {
			var p callsPage
			json.Unmarshal(w.Body.Bytes(), &p)
			if len(p.Records) != 10 || p.Records[0].ID != 120 || p.NextBefore != 111 {
				t.Errorf("page: %d records, first %d, next %d", len(p.Records), p.Records[0].ID, p.NextBefore)
			}
		}},
		{"calls last page", "GET", "/api/v1/calls?before=3&limit=10", "", 200, func(t *testing.T, w *httptest.ResponseRecorder) {
			if strings.Contains(w.Body.String(), "next_before") {
				t.Errorf("next_before on the last page: %s", w.Body)
			}
		}},
		{"calls bad", "GET", "/api/v1/calls?limit=0&before=-1", "", 400, wantField("before", "limit")},
		{"settings", "GET", "/api/v1/settings", "", 200, wantJSON(`"tone_zone":"us"`)},
		{"settings invalid", "PUT", "/api/v1/settings", `{"name":"x","time_zone":"UTC","extension_length":1}`, 422, wantField("extension_length")},
		{"settings unknown", "PUT", "/api/v1/settings", `{"name":"x","colour":1}`, 400, nil},
		{"settings", "PUT", "/api/v1/settings", `{"name":"x","tone_zone":"de","time_zone":"UTC","extension_length":3,"outside_prefix":"0","inter_digit_timeout_ms":3000,"no_answer_timeout_s":20,"call_record_retention":100}`, 200, wantJSON(`"tone_zone":"de"`)},
		{"lines", "GET", "/api/v1/fxo-lines", "", 200, wantJSON(`"port":2`)},
		{"line", "PUT", "/api/v1/fxo-lines/2", `{"name":"L2","enabled":true,"answer_after_rings":3,"destination":"101"}`, 200, wantJSON(`"port":2`)},
		{"line port mismatch", "PUT", "/api/v1/fxo-lines/2", `{"port":1}`, 422, wantField("port")},
		{"line missing", "PUT", "/api/v1/fxo-lines/7", `{}`, 404, nil},
		{"line bad port", "PUT", "/api/v1/fxo-lines/x", `{}`, 404, nil},
		{"line invalid", "PUT", "/api/v1/fxo-lines/2", `{"enabled":true,"destination":"555"}`, 422, wantField("destination")},
		{"config", "GET", "/api/v1/config", "", 200, wantJSON(`"fxo_lines"`)},
		{"config no version", "PUT", "/api/v1/config", `{"system":{}}`, 422, wantField("version")},
		{"config bad json", "PUT", "/api/v1/config", "{\n\"version\": 1,,}", 400, wantJSON("line 2")},
		{"config wrong type", "PUT", "/api/v1/config", `{"version":1,"extensions":[{"number":"201","fxs_port":"one"}]}`, 422, wantField("extensions[0].fxs_port")},
		{"config unknown field", "PUT", "/api/v1/config", `{"version":1,"colour":"red"}`, 422, nil},
		{"config too new", "PUT", "/api/v1/config", `{"version":99}`, 422, wantJSON("newer")},
		{"config dup", "PUT", "/api/v1/config", `{"version":1,"system":{"name":"x"},"extensions":[{"number":"201"},{"number":"201"}],"fxo_lines":[]}`, 422, wantField("extensions[1].number")},
		{"config", "PUT", "/api/v1/config", `{"version":1,"system":{"name":"imported","time_zone":"UTC","extension_length":3},"extensions":[{"number":"201"}],"fxo_lines":[]}`, 200, wantJSON(`"name":"imported"`)},
		{"sim offhook", "POST", "/api/v1/sim/phones/1/offhook", "", 204, nil},
		{"sim onhook body", "POST", "/api/v1/sim/phones/2/onhook", "{}", 204, nil},
		{"sim dial", "POST", "/api/v1/sim/phones/1/dial", `{"digits":"201","pulse":true}`, 204, nil},
		{"sim dial bad", "POST", "/api/v1/sim/phones/1/dial", `{"digits":"2#","pulse":true}`, 422, wantField("digits")},
		{"sim dial empty", "POST", "/api/v1/sim/phones/1/dial", `{"digits":""}`, 422, wantField("digits")},
		{"sim dial no port", "POST", "/api/v1/sim/phones/3/dial", `{"digits":"1"}`, 404, nil},
		{"sim ring", "POST", "/api/v1/sim/lines/2/ring", `{"number":"5550100","name":"Bob"}`, 204, nil},
		{"sim ring bad", "POST", "/api/v1/sim/lines/2/ring", `{"number":"abc"}`, 422, wantField("number")},
		{"sim hangup", "POST", "/api/v1/sim/lines/2/hangup", "", 204, nil},
		{"sim fxs as fxo", "POST", "/api/v1/sim/lines/3/hangup", "", 404, nil},
		{"unknown path", "GET", "/api/v1/nothing", "", 404, nil},
		{"wrong method", "PATCH", "/api/v1/settings", "", 405, func(t *testing.T, w *httptest.ResponseRecorder) {
			if !strings.Contains(w.Header().Get("Allow"), "PUT") {
				t.Errorf("Allow %q", w.Header().Get("Allow"))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			writes, _ := f.svc.snapshot()
			w := f.api(tc.method, tc.path, tc.body)
			if w.Code != tc.code {
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, w.Code, tc.code, w.Body)
			}
			if w.Code >= 400 {
				decodeError(t, w)
				if after, _ := f.svc.snapshot(); after != writes {
					t.Error("a refused request changed the configuration")
				}
			}
			if tc.check != nil {
				tc.check(t, w)
			}
		})
	}
	want := []string{"offhook 1", "onhook 2", "dial 1 201 pulse=true", "ring 2 5550100/Bob", "hangup 2"}
	if got := f.svc.sim.got(); !slices.Equal(got, want) {
		t.Errorf("sim actions %q, want %q", got, want)
	}
}

func TestAPISimConflictsAndHardware(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	f.svc.sim.refuse = errString("phone 1 is already off hook")
	w := f.api("POST", "/api/v1/sim/phones/1/offhook", "")
	if w.Code != 409 || !strings.Contains(decodeError(t, w).Error, "already off hook") {
		t.Fatalf("refused: %d %s", w.Code, w.Body)
	}
	f.svc.sim = nil
	if w := f.api("POST", "/api/v1/sim/phones/1/offhook", ""); w.Code != 404 || !strings.Contains(decodeError(t, w).Error, "real hardware") {
		t.Fatalf("hardware: %d %s", w.Code, w.Body)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func wantJSON(sub string) func(*testing.T, *httptest.ResponseRecorder) {
	return func(t *testing.T, w *httptest.ResponseRecorder) {
		t.Helper()
		if !strings.Contains(w.Body.String(), sub) {
			t.Errorf("body %s lacks %s", w.Body, sub)
		}
	}
}

func wantField(names ...string) func(*testing.T, *httptest.ResponseRecorder) {
	return func(t *testing.T, w *httptest.ResponseRecorder) {
		t.Helper()
		e := decodeError(t, w)
		for _, n := range names {
			if !slices.ContainsFunc(e.Fields, func(fe FieldError) bool { return fe.Field == n && fe.Message != "" }) {
				t.Errorf("no error for field %q in %s", n, w.Body)
			}
		}
	}
}

// TestOpenAPIMatchesRoutes: every API route the mux serves is documented,
// every documented operation is served, and the document is valid JSON
// with the operations' path parameters declared.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	w := f.client().get("/api/v1/openapi.json")
	if w.Code != 200 {
		t.Fatalf("openapi.json: %d", w.Code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
			var op struct {
				Parameters []struct{ Name, In string } `json:"parameters"`
				Responses  map[string]json.RawMessage  `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			for _, name := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(p, -1) {
				if !slices.ContainsFunc(op.Parameters, func(x struct{ Name, In string }) bool { return x.Name == name[1] && x.In == "path" }) {
					t.Errorf("%s %s: path parameter %s not declared", m, p, name[1])
				}
			}
			if len(op.Responses) == 0 {
				t.Errorf("%s %s: no responses", m, p)
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range f.srv.apiRoutes() {
		served[rt.method+" "+rt.pattern] = true
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("served but not documented: %s", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("documented but not served: %s", k)
		}
	}
	// And the mux really routes each documented operation (not its own
	// 404/405): a request reaches our handler, which answers in JSON.
	for k := range documented {
		method, p, _ := strings.Cut(k, " ")
		p = strings.NewReplacer("{number}", "101", "{port}", "1").Replace(p)
		if method == "GET" && p == "/api/v1/events" {
			continue // streams; tested separately
		}
		w := f.api(method, p, "")
		if w.Code == 405 || (w.Code == 404 && strings.Contains(w.Body.String(), "No such API path")) {
			t.Errorf("%s %s not routed: %d %s", method, p, w.Code, w.Body)
		}
	}
	// Every /api/ route of the mux comes from apiRoutes.
	for _, rt := range f.srv.pageRoutes() {
		if strings.HasPrefix(rt.pattern, "/api/") {
			t.Errorf("API route %s outside the documented table", rt.pattern)
		}
	}
}

func TestEventStream(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Heartbeat = 50 * time.Millisecond })
	f.readyAPI()
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/v1/events", nil)
	req.SetBasicAuth("admin", "api-password-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	next := func() (event string, st telephony.StatusEvent) {
		t.Helper()
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &st); err != nil {
					t.Fatalf("data %q: %v", line, err)
				}
				return event, st
			}
		}
	}
	ev, st := next()
	if ev != "status" || st.Kind != "snapshot" || len(st.Status.Ports) != 4 {
		t.Fatalf("first event %q %+v", ev, st)
	}
	for f.svc.subscribers() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	f.svc.emit("port", func(s *telephony.Status) { s.Ports[0].Hook = "off-hook" })
	ev, st = next()
	if ev != "status" || st.Kind != "port" || st.Status.Ports[0].Hook != "off-hook" {
		t.Fatalf("second event %q %+v", ev, st)
	}
	cancel()
	// The subscription ends with the client.
	deadline := time.Now().Add(5 * time.Second)
	for f.svc.subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("subscription outlived the client")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventStreamEndsWithSession(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Heartbeat = 20 * time.Millisecond })
	c := f.client()
	c.ready()
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/events", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookies[sessionCookie]})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%d", resp.StatusCode)
	}
	c.post("/logout", nil)
	done := make(chan string)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
		}
		done <- all.String()
	}()
	select {
	case all := <-done:
		if !strings.Contains(all, "event: logout") {
			t.Fatalf("stream ended without a logout event:\n%s", all)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream still open after logout")
	}
}

func TestFieldErrorDetection(t *testing.T) {
	tests := []struct {
		err  error
		want []FieldError
	}{
		{invalid("Number", "bad"), []FieldError{{"Number", "bad"}}},
		{&store.ValidationError{}, []FieldError{}},
		{fmt.Errorf("x: %w", store.ErrNotFound), nil},
		{errString("plain"), nil},
		{joinErr(errString("x"), invalid("a", "b")), []FieldError{{"a", "b"}}},
	}
	for _, tc := range tests {
		got, ok := fieldErrors(tc.err)
		if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("fieldErrors(%v) = %v %v, want %v", tc.err, got, ok, tc.want)
		}
	}
	for in, want := range map[string]string{"Number": "number", "FXSPort": "fxs_port", "ExtensionLength": "extension_length",
		"Extensions[2].Number": "extensions[2].number", "fxo_lines[0].destination": "fxo_lines[0].destination", "InterDigitTimeoutMS": "inter_digit_timeout_ms"} {
		if got := normalizeField(in); got != want {
			t.Errorf("normalizeField(%q) = %q, want %q", in, got, want)
		}
	}
}

func joinErr(a, b error) error { return errors.Join(a, b) }

func TestEventStreamLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Heartbeat = time.Hour })
	f.readyAPI()
	f.srv.maxStreams = 1
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	open := func() *http.Response {
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/events", nil)
		req.SetBasicAuth("admin", "api-password-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := open()
	if first.StatusCode != 200 {
		t.Fatalf("first stream: %d", first.StatusCode)
	}
	second := open()
	second.Body.Close()
	if second.StatusCode != http.StatusServiceUnavailable || second.Header.Get("Retry-After") == "" {
		t.Fatalf("second stream: %d", second.StatusCode)
	}
	first.Body.Close()
	// The slot frees when the first stream ends.
	deadline := time.Now().Add(5 * time.Second)
	for f.srv.streams.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("stream slot not released")
		}
		time.Sleep(5 * time.Millisecond)
	}
	third := open()
	third.Body.Close()
	if third.StatusCode != 200 {
		t.Fatalf("after release: %d", third.StatusCode)
	}
}

// TestOpenAPISchemasMatchResponses: every field the API sends in its main
// objects is documented in the schema, and every documented field of the
// request objects exists, so the document cannot drift from the types.
func TestOpenAPISchemasMatchResponses(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
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
	props := func(schema string) map[string]json.RawMessage {
		s, ok := doc.Components.Schemas[schema]
		if !ok {
			t.Fatalf("no schema %s", schema)
		}
		return s.Properties
	}
	// keysOf returns the union of keys of a JSON object or array of objects.
	keysOf := func(raw json.RawMessage) map[string]json.RawMessage {
		out := map[string]json.RawMessage{}
		var list []map[string]json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			for _, m := range list {
				for k, v := range m {
					out[k] = v
				}
			}
			return out
		}
		json.Unmarshal(raw, &out)
		return out
	}
	check := func(schema string, raw json.RawMessage) {
		t.Helper()
		p := props(schema)
		for k := range keysOf(raw) {
			if _, ok := p[k]; !ok {
				t.Errorf("%s: field %q sent but not documented", schema, k)
			}
		}
	}
	// Full objects so that omitempty fields appear.
	f.svc.emit("call", func(s *telephony.Status) {
		s.Registrations = []telephony.Registration{{Extension: "101", Contact: "c", Source: "s", UserAgent: "ua", Expires: time.Now()}}
		s.Calls = []telephony.CallStatus{{ID: "1", Caller: channel.CallerID{Number: "1", Name: "n", Withheld: "P"}, Callee: "2", From: "a", To: "b", State: "answered", Started: time.Now(), Answered: time.Now(),
			FromLeg: "la", ToLeg: "lb", Path: []store.CallStep{{Time: time.Now(), Event: "held", Party: "a", To: "t", By: "b", Detail: "d"}}}}
		s.Ports[0].Fault = "x"
		s.Parked = []telephony.ParkedCall{{Slot: "701", Caller: channel.CallerID{Number: "1"}, Party: "a", By: "b", Since: time.Now()}}
		s.Conferences = []telephony.ConferenceStatus{{Name: "r", Number: "800", Members: []telephony.ConferenceMember{{ID: "m", Party: "p", Name: "n", Muted: true, Joined: time.Now()}}}}
		s.Extensions = []telephony.ExtensionState{{Number: "101", Name: "n", State: "busy", DND: true, Forwarded: "102"}}
	})
	f.svc.mu.Lock()
	last := &f.svc.records[len(f.svc.records)-1]
	last.Legs = []store.CallLeg{{Name: "sip:101", Number: "101", Start: time.Now(), Answer: time.Now(), End: time.Now()}}
	last.Path = []store.CallStep{{Time: time.Now(), Event: "parked", Party: "sip:101", To: "701", By: "102", Detail: "d"}}
	f.svc.mu.Unlock()
	var st map[string]json.RawMessage
	json.Unmarshal(f.api("GET", "/api/v1/status", "").Body.Bytes(), &st)
	check("Status", mustMarshal(st))
	check("PortStatus", st["ports"])
	check("Registration", st["registrations"])
	check("CallStatus", st["calls"])
	check("CallerID", keysOf(st["calls"])["caller"])
	check("CallStep", keysOf(st["calls"])["path"])
	check("ParkedCall", st["parked"])
	check("ConferenceStatus", st["conferences"])
	check("ConferenceMember", keysOf(st["conferences"])["members"])
	check("ExtensionState", st["extensions"])
	check("Extension", f.api("GET", "/api/v1/extensions", "").Body.Bytes())
	check("System", f.api("GET", "/api/v1/settings", "").Body.Bytes())
	check("FXOLine", f.api("GET", "/api/v1/fxo-lines", "").Body.Bytes())
	var page map[string]json.RawMessage
	json.Unmarshal(f.api("GET", "/api/v1/calls?limit=1", "").Body.Bytes(), &page)
	check("CallPage", mustMarshal(page))
	check("CallRecord", page["records"])
	check("CallLeg", keysOf(page["records"])["legs"])
	check("CallStep", keysOf(page["records"])["path"])
	check("Config", f.api("GET", "/api/v1/config", "").Body.Bytes())

	// Request objects: every documented property is a field the decoder
	// accepts (an undocumented one would be refused as unknown anyway).
	for schema, op := range map[string]string{"Extension": "PUT /api/v1/extensions/101", "System": "PUT /api/v1/settings", "FXOLine": "PUT /api/v1/fxo-lines/1",
		"CallActionRequest": "POST /api/v1/calls/1/actions", "MemberActionRequest": "POST /api/v1/conferences/r/members/m/actions", "DND": "PUT /api/v1/extensions/101/dnd"} {
		method, path, _ := strings.Cut(op, " ")
		for k := range props(schema) {
			w := f.api(method, path, `{"`+k+`": null}`)
			if w.Code == 400 && strings.Contains(w.Body.String(), "unknown field") {
				t.Errorf("%s documents %q, which the API refuses", schema, k)
			}
		}
	}
}

func mustMarshal(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
