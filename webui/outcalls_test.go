package webui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// fakeHooks is the box's webhook sender as the settings page sees it.
type fakeHooks struct {
	tested []string
	fail   error
}

func (h *fakeHooks) WebhookStatus() []WebhookStatus {
	return []WebhookStatus{{Name: "crm", URL: "https://crm.example.com/hook", Queued: 3, Delivered: 10,
		LastError: "the endpoint answered 503 Service Unavailable: down for maintenance"}}
}

func (h *fakeHooks) SendTestWebhook(_ context.Context, name string) error {
	if name != "crm" {
		return store.ErrNotFound
	}
	h.tested = append(h.tested, name)
	return h.fail
}

// TestClickToCallAPI: POST /api/v1/calls places the call (202, its ID);
// a number outside the extension's class is 403, an unknown extension
// 404, a bad number 422, an unknown field 400 — and none of these
// places anything.
func TestClickToCallAPI(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	w := f.api("POST", "/api/v1/calls", `{"extension": "101", "number": "1234"}`)
	if w.Code != http.StatusAccepted {
		t.Fatalf("placed: %d %s", w.Code, w.Body)
	}
	var pc telephony.PlacedCall
	if err := json.Unmarshal(w.Body.Bytes(), &pc); err != nil || pc.ID == "" || pc.Extension != "101" || pc.Number != "1234" {
		t.Errorf("answer %s: %v", w.Body, err)
	}
	for _, tc := range []struct {
		body  string
		code  int
		field string
	}{
		{`{"extension": "101", "number": "+74951234567"}`, http.StatusForbidden, ""},
		{`{"extension": "199", "number": "1234"}`, http.StatusNotFound, ""},
		{`{"extension": "101", "number": "12-34"}`, http.StatusUnprocessableEntity, "number"},
		{`{"extension": "", "number": "1234"}`, http.StatusUnprocessableEntity, "extension"},
		{`{"extension": "101", "number": "1234", "ring": 5}`, http.StatusBadRequest, ""},
		{`{"extension": 101}`, http.StatusBadRequest, ""},
	} {
		w := f.api("POST", "/api/v1/calls", tc.body)
		if w.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.body, w.Code, w.Body, tc.code)
			continue
		}
		if tc.field != "" {
			if e := decodeError(t, w); len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
				t.Errorf("%s: %+v", tc.body, e)
			}
		}
	}
	if tc := decodeError(t, f.api("POST", "/api/v1/calls", `{"extension": "101", "number": "+74951234567"}`)); !strings.Contains(tc.Error, "permission class") {
		t.Errorf("403 says %q", tc.Error)
	}
	f.svc.mu.Lock()
	placed := f.svc.placed
	f.svc.mu.Unlock()
	if len(placed) != 1 {
		t.Errorf("placed %v", placed)
	}
}

// FuzzClickToCallRequest: any body is answered without a panic, and only
// a well-formed request for a known extension places a call.
func FuzzClickToCallRequest(f *testing.F) {
	f.Add(`{"extension": "101", "number": "1234"}`)
	f.Add(`{"extension": "101", "number": "+7 495"}`)
	f.Add(`{"extension": "101"`)
	f.Add(`[]`)
	fx := newFixture(f)
	fx.readyAPI()
	f.Fuzz(func(t *testing.T, body string) {
		fx.t = t
		fx.svc.mu.Lock()
		before := len(fx.svc.placed)
		fx.svc.mu.Unlock()
		w := fx.api("POST", "/api/v1/calls", body)
		fx.svc.mu.Lock()
		after := len(fx.svc.placed)
		fx.svc.mu.Unlock()
		if (w.Code == http.StatusAccepted) != (after == before+1) {
			t.Fatalf("%q: %d, placed %d more", body, w.Code, after-before)
		}
		if w.Code == http.StatusAccepted {
			var req clickToCallRequest
			if err := json.Unmarshal([]byte(body), &req); err != nil || telephony.CheckClickToCall(req.Extension, req.Number) != nil {
				t.Fatalf("%q placed a call", body)
			}
		}
	})
}

// TestWebhooksAPI: the secret is never sent back, a PUT without one
// keeps it, a bad URL is refused by field, the status comes with the
// settings, and the test button reaches the sender.
func TestWebhooksAPI(t *testing.T) {
	hooks := &fakeHooks{}
	f := newFixture(t, func(o *Options) { o.Webhooks = hooks })
	f.readyAPI()
	put := `{"endpoints": [{"name": "crm", "url": "https://crm.example.com/hook", "secret": "k3J9vQ2mX8pL5tR7wZ4n", "events": ["ended"]}]}`
	if w := f.api("PUT", "/api/v1/settings/webhooks", put); w.Code != 200 || strings.Contains(w.Body.String(), "k3J9") {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	w := f.api("GET", "/api/v1/settings/webhooks", "")
	var got webhooksJSON
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Endpoints) != 1 || got.Endpoints[0].Secret != "" ||
		!got.Endpoints[0].SecretSet || len(got.Status) != 1 || got.Status[0].Queued != 3 {
		t.Fatalf("get: %s", w.Body)
	}
	// Round trip of what GET said, without the secret: it is kept.
	if w := f.api("PUT", "/api/v1/settings/webhooks", w.Body.String()); w.Code != 200 {
		t.Fatalf("round trip: %d %s", w.Code, w.Body)
	}
	if h, _ := f.svc.Webhooks(context.Background()); h.Endpoints[0].Secret != "k3J9vQ2mX8pL5tR7wZ4n" {
		t.Errorf("the secret was not kept: %+v", h)
	}
	w = f.api("PUT", "/api/v1/settings/webhooks", `{"endpoints": [{"name": "crm", "url": "ftp://x", "secret": ""}]}`)
	if e := decodeError(t, w); w.Code != http.StatusUnprocessableEntity || len(e.Fields) != 1 || e.Fields[0].Field != "endpoints[0].url" {
		t.Errorf("bad url: %d %+v", w.Code, e)
	}
	if w := f.api("POST", "/api/v1/settings/webhooks/test", `{"name": "crm"}`); w.Code != http.StatusNoContent || len(hooks.tested) != 1 {
		t.Errorf("test: %d %s", w.Code, w.Body)
	}
	if w := f.api("POST", "/api/v1/settings/webhooks/test", `{"name": "nobody"}`); w.Code != http.StatusNotFound {
		t.Errorf("unknown: %d", w.Code)
	}
	hooks.fail = errors.New("connection refused")
	if w := f.api("POST", "/api/v1/settings/webhooks/test", `{"name": "crm"}`); w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "connection refused") {
		t.Errorf("failing test: %d %s", w.Code, w.Body)
	}
}

// TestWebhooksPage: the settings page shows the deliveries and a form;
// an endpoint is added through it (its secret never shown back, an empty
// one keeping it), a bad URL comes back beside its field, and the test
// button says what the endpoint answered.
func TestWebhooksPage(t *testing.T) {
	hooks := &fakeHooks{}
	f := newFixture(t, func(o *Options) { o.Webhooks = hooks })
	c := f.client()
	c.ready()
	page := c.get("/settings/webhooks")
	if page.Code != 200 || !strings.Contains(page.Body.String(), `id="webhooks-form"`) || !strings.Contains(page.Body.String(), "down for maintenance") {
		t.Fatalf("page: %d", page.Code)
	}
	form := url.Values{"endpoints[0].name": {"crm"}, "endpoints[0].url": {"https://crm.example.com/hook"}, "endpoints[0].secret": {"k3J9vQ2mX8pL5tR7wZ4n"},
		"endpoints[0].events.ended": {"on"}}
	if w := c.post("/settings/webhooks", form); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	h, _ := f.svc.Webhooks(context.Background())
	if len(h.Endpoints) != 1 || h.Endpoints[0].Secret != "k3J9vQ2mX8pL5tR7wZ4n" || strings.Join(h.Endpoints[0].Events, ",") != "ended" {
		t.Fatalf("stored %+v", h)
	}
	page = c.get("/settings/webhooks")
	if strings.Contains(page.Body.String(), "k3J9vQ2mX8pL5tR7wZ4n") {
		t.Error("the secret is in the page")
	}
	form.Set("endpoints[0].secret", "")
	form.Set("endpoints[0].url", "https://user:pw@crm.example.com/")
	w := c.post("/settings/webhooks", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "wh-0-url"), "user name") {
		t.Errorf("bad url: %d %s", w.Code, fieldErrorHTML(w.Body.String(), "wh-0-url"))
	}
	if h, _ := f.svc.Webhooks(context.Background()); h.Endpoints[0].URL != "https://crm.example.com/hook" {
		t.Error("a refused change was stored")
	}
	hooks.fail = errors.New("the endpoint answered 401 Unauthorized: bad signature")
	w = c.post("/settings/webhooks/test", url.Values{"name": {"crm"}})
	if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "bad signature") {
		t.Errorf("test: %d", w.Code)
	}
}

// TestDISAPages: the DISA list warns of toll fraud; a DISA made through
// its form keeps its PIN out of every page (the text editor too), an
// empty PIN keeps the stored one, and the store's rules come back beside
// the fields; routes then offer it as a destination.
func TestDISAPages(t *testing.T) {
	c, db := dialPlanClient(t)
	list := c.get("/dialplan/disa")
	if list.Code != 200 || !strings.Contains(list.Body.String(), `id="section-warning"`) || !strings.Contains(list.Body.String(), "Toll fraud") {
		t.Fatalf("list: %d", list.Code)
	}
	form := url.Values{"name": {"road"}, "numbers": {"5550100\n8916XXXXXXX"}, "pin": {"123456"}, "class": {"international"}, "caller_id": {"4951112233"}}
	w := c.post("/dialplan/disa/new", form)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "pin"), "run of digits") {
		t.Fatalf("weak PIN: %d %s", w.Code, fieldErrorHTML(w.Body.String(), "pin"))
	}
	form.Set("pin", "480715")
	if w := c.post("/dialplan/disa/new", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	cfg, _ := db.Config()
	if len(cfg.DISA) != 1 || cfg.DISA[0].PIN != "480715" || len(cfg.DISA[0].Numbers) != 2 || cfg.DISA[0].Class != "international" {
		t.Fatalf("stored %+v", cfg.DISA)
	}
	edit := c.get("/dialplan/disa/0/edit?of=road").Body.String()
	text := c.get("/dialplan/disa?json=1").Body.String()
	if strings.Contains(edit, "480715") || strings.Contains(text, "480715") || !strings.Contains(fieldOf(t, edit, "pin"), "unchanged") {
		t.Error("the PIN shows in a page")
	}
	form.Set("pin", "")
	form.Set("class", "national")
	if w := c.post("/dialplan/disa/0/edit?of=road", form); w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	// The text editor saves without PINs: they are kept.
	if w := c.post("/dialplan/disa", url.Values{"json": {`[{"name": "road", "numbers": ["5550100"], "class": "local"}]`}}); w.Code != http.StatusSeeOther {
		t.Fatalf("text: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); cfg.DISA[0].PIN != "480715" || cfg.DISA[0].Class != "local" {
		t.Errorf("after edits %+v", cfg.DISA)
	}
	page := c.get("/dialplan/inbound_routes/new").Body.String()
	if !strings.Contains(page, `value="disa:road"`) {
		t.Error("routes do not offer disa:road")
	}
	// A callback leading to it.
	cb := url.Values{"name": {"boss"}, "numbers": {"89161234567"}, "class": {"national"}, "destination": {"disa:road"}, "delay_s": {"1"}}
	w = c.post("/dialplan/callbacks/new", cb)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "delay_s"), "2 to 300") {
		t.Fatalf("delay: %d %s", w.Code, fieldErrorHTML(w.Body.String(), "delay_s"))
	}
	cb.Set("delay_s", "")
	if w := c.post("/dialplan/callbacks/new", cb); w.Code != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", w.Code, w.Body)
	}
	if cfg, _ := db.Config(); len(cfg.Callbacks) != 1 || cfg.Callbacks[0].Destination != "disa:road" {
		t.Errorf("callbacks %+v", cfg.Callbacks)
	}
}

// TestOpenAPIOutcalls: the documented schemas of click-to-call and the
// webhooks name every field the API sends, and every documented request
// field is one the API accepts.
func TestOpenAPIOutcalls(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Webhooks = &fakeHooks{} })
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
	documents := func(schema string, raw []byte) {
		t.Helper()
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %s", schema, raw)
		}
		for k := range m {
			if _, ok := doc.Components.Schemas[schema].Properties[k]; !ok {
				t.Errorf("%s: field %q sent but not documented", schema, k)
			}
		}
	}
	documents("PlacedCall", f.api("POST", "/api/v1/calls", `{"extension": "101", "number": "1234"}`).Body.Bytes())
	f.api("PUT", "/api/v1/settings/webhooks", `{"endpoints": [{"name": "crm", "url": "https://crm.example.com/", "secret": "k3J9vQ2mX8pL5tR7wZ4n", "events": ["ended"], "disabled": true}]}`)
	raw := f.api("GET", "/api/v1/settings/webhooks", "").Body.Bytes()
	documents("WebhookSettings", raw)
	var got struct{ Endpoints, Status []json.RawMessage }
	json.Unmarshal(raw, &got)
	documents("WebhookEndpoint", got.Endpoints[0])
	documents("WebhookStatus", got.Status[0])
	for schema, op := range map[string]string{"ClickToCallRequest": "POST /api/v1/calls", "WebhookSettings": "PUT /api/v1/settings/webhooks"} {
		method, path, _ := strings.Cut(op, " ")
		for k := range doc.Components.Schemas[schema].Properties {
			if w := f.api(method, path, `{"`+k+`": null}`); w.Code == http.StatusBadRequest && strings.Contains(w.Body.String(), "unknown field") {
				t.Errorf("%s documents %q, which the API refuses", schema, k)
			}
		}
	}
}
