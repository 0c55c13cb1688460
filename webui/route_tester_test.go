package webui

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// fullTrace has every field of a trace set, so that the API's answer
// shows them all.
var fullTrace = telephony.RouteTrace{Class: "national", Outcome: telephony.OutcomeOutside, Destination: "number:89161234567",
	Route: "mobile", Via: []string{"city", "*lines"}, Lines: []int{2, 1}, Digits: "89161234567", LineDigits: "*31#89161234567", CallerID: "withheld", Emergency: false,
	Cause: "", Steps: []telephony.RouteStep{
		{What: "class", Says: "the caller's permission class is national", Path: "extensions:101"},
		{What: "outbound_route", Says: "outbound route mobile takes it", Path: "outbound_routes:mobile"},
		{What: "carrier", Says: "first line group city", Path: "line_groups:city"}}}

// TestRouteTesterPage: the page asks who calls and what, shows the
// exchange's answer — summary, carriers, lines, digits, and each step
// linked to the object that decided it — and a refused query beside its
// field; the API gives the same answer as JSON, every field documented.
func TestRouteTesterPage(t *testing.T) {
	f := newFixture(t)
	f.svc.mu.Lock()
	f.svc.traces = map[string]telephony.RouteTrace{"101 89161234567": fullTrace}
	f.svc.plan.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1, 2}, Hunt: store.HuntDescending}}
	f.svc.plan.OutboundRoutes = []store.OutboundRoute{{Name: "mobile", Pattern: "89XXXXXXXXX", Class: "national", Via: []string{"city"}}}
	f.svc.mu.Unlock()
	c := f.client()
	c.ready()
	page := html.UnescapeString(c.get("/dialplan/route-tester").Body.String())
	for _, want := range []string{`<option value="101">Extension 101 Reception</option>`, `<option value="fxo:1">A call arriving on FXO line 1 Main line</option>`,
		`name="number"`, `type="datetime-local"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	w := c.get("/dialplan/route-tester?from=101&number=89161234567")
	page = html.UnescapeString(w.Body.String())
	for _, want := range []string{"Goes out by route mobile through city, then every line, dialling *31#89161234567 (first on line 2).",
		`<dd id="trace-lines">2, 1</dd>`, `<dd id="trace-digits">89161234567</dd>`, `<dd id="trace-line-digits">*31#89161234567</dd>`,
		`first line group city <a href="/dialplan/line_groups/0/edit?of=city">(open)</a>`,
		`outbound route mobile takes it <a href="/dialplan/outbound_routes/0/edit?of=mobile">(open)</a>`,
		`national <a href="/extensions/101">(open)</a>`, `<option value="101" selected>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the answer lacks %s:\n%s", want, page)
		}
	}
	w = c.get("/dialplan/route-tester?from=999&number=1")
	if got := fieldOf(t, w.Body.String(), "from"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(got, "no extension") {
		t.Errorf("unknown caller: %d %s", w.Code, got)
	}
	w = c.get("/dialplan/route-tester?from=101&number=1&at=tonight")
	if got := fieldOf(t, w.Body.String(), "at"); w.Code != http.StatusBadRequest || !strings.Contains(got, "field-error") || !strings.Contains(got, `value="tonight"`) {
		t.Errorf("bad time: %d %s", w.Code, got)
	}

	w = f.api("GET", "/api/v1/dialplan/trace?from=101&number=89161234567", "")
	var got map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil {
		t.Fatalf("API: %d %s", w.Code, w.Body)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	json.Unmarshal(f.srv.openapi, &doc)
	for k := range got {
		if _, ok := doc.Components.Schemas["RouteTrace"].Properties[k]; !ok {
			t.Errorf("RouteTrace.%s is not documented", k)
		}
	}
	if w := f.api("GET", "/api/v1/dialplan/trace?from=999&number=1", ""); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("API, unknown caller: %d", w.Code)
	}
}

// FuzzRouteQuery: any query string reads as a route query or a
// refusal of its time; nothing panics.
func FuzzRouteQuery(f *testing.F) {
	f.Add("from=101&number=89161234567&at=2026-03-09T22:00&analog=on")
	f.Add("from=fxo:1&caller=%2B7495")
	f.Add("at=tonight&number=%00")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		rq, herr := routeQuery(q, time.UTC)
		if herr != nil && (herr.status != http.StatusBadRequest || len(herr.fields) != 1 || herr.fields[0].Field != "at") {
			t.Fatalf("%q: %+v", raw, herr)
		}
		if herr == nil && strings.TrimSpace(q.Get("at")) != "" && rq.At.IsZero() {
			t.Fatalf("%q: the time was dropped", raw)
		}
	})
}
