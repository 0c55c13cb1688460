package webui

import (
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/cdrcsv"
	"minipbx/telephony/store"
)

func TestCallsPage(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	w := c.get("/calls")
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, `id="cdr-120"`) || strings.Contains(body, `id="cdr-70"`) || !strings.Contains(body, `href="/calls?offset=50"`) {
		t.Fatalf("first page: %d", w.Code)
	}
	if !strings.Contains(body, "1:00") || !strings.Contains(body, `<strong id="call-total">120</strong>`) {
		t.Error("talk time not shown as m:ss, or no total")
	}
	if !strings.Contains(body, `href="/calls/120"`) || !strings.Contains(body, `href="/calls.csv"`) {
		t.Error("no detail link or export link")
	}
	w = c.get("/calls?offset=100")
	body = w.Body.String()
	if !strings.Contains(body, `id="cdr-20"`) || !strings.Contains(body, `id="cdr-1"`) || strings.Contains(body, `id="page-next"`) || !strings.Contains(body, `id="page-first"`) {
		t.Fatal("last page: wrong rows or links")
	}
	if !strings.Contains(body, `aria-current="page" id="page-3"`) {
		t.Error("the current page is not marked")
	}
	// A search keeps its parameters in the pager and the export.
	w = c.get("/calls?number=10&direction=internal&from=2026-11-20&limit=20&extension=")
	body = w.Body.String()
	if w.Code != 200 || !strings.Contains(body, `href="/calls?direction=internal&amp;from=2026-11-20&amp;limit=20&amp;number=10&amp;offset=20"`) ||
		!strings.Contains(body, `href="/calls.csv?direction=internal&amp;from=2026-11-20&amp;number=10"`) {
		t.Errorf("search: %d, pager or export lost the search", w.Code)
	}
	if q := f.svc.callsQ.lastQuery; q.Number != "10" || q.Direction != "internal" || q.Limit != 20 || q.From.IsZero() || q.Extension != "" {
		t.Errorf("the service was asked %+v", q)
	}
	// Bad parameters: 400, each beside its field, no results.
	w = c.get("/calls?from=yesterday&min_duration=-3&before=abc")
	body = w.Body.String()
	if w.Code != 400 || !strings.Contains(body, `id="q-from-error"`) || !strings.Contains(body, `id="q-min-error"`) ||
		!strings.Contains(body, "before: Must be a call record ID") || strings.Contains(body, `id="call-records"`) {
		t.Errorf("bad search: %d\n%s", w.Code, body)
	}
}

func TestCallDetailPage(t *testing.T) {
	f := newFixture(t)
	st := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	f.svc.records = append(f.svc.records, store.CallRecord{ID: 121, Start: st, Answer: st.Add(7 * time.Second), End: st.Add(97 * time.Second),
		Caller: "5550100", CallerName: "ACME", Callee: "101", Source: "fxo:1", Destination: "sip:101", Disposition: "answered", DurationS: 90,
		Direction: "out", Route: "mobile", Cost: 1700, Voicemail: "101/20261121T100130Z",
		Queues: []store.QueueVisit{{Queue: "sales", Enter: st, Leave: st.Add(7 * time.Second), Outcome: "answered", Agent: "101"}},
		Legs: []store.CallLeg{{Name: "fxo:1", Number: "5550100", Start: st, End: st.Add(97 * time.Second)},
			{Name: "sip:101", Number: "101", Start: st.Add(time.Second), Answer: st.Add(7 * time.Second), End: st.Add(97 * time.Second)}},
		Path: []store.CallStep{{Time: st.Add(7 * time.Second), Event: "answered", Party: "sip:101"}}})
	f.svc.callsQ.billing.Currency = "EUR"
	c := f.client()
	c.ready()
	w := c.get("/calls/121")
	body := w.Body.String()
	for _, want := range []string{`id="call-caller">5550100 (ACME)`, "0:07", "1:30", `id="call-cost">0.17 EUR`, `href="/voicemail/101"`,
		`href="/voicemail/101/20261121T100130Z/audio"`, `id="call-queues"`, `id="call-steps"`, "5550100 (line 1)", `href="/calls?number=5550100"`} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %s", want)
		}
	}
	for _, path := range []string{"/calls/999", "/calls/0", "/calls/x"} {
		if w := c.get(path); w.Code != 404 {
			t.Errorf("%s: %d", path, w.Code)
		}
	}
}

func TestCallsAPI(t *testing.T) {
	f := newFixture(t)
	f.svc.mustChange = false
	w := f.api("GET", "/api/v1/calls?limit=10&direction=internal&result=answered", "")
	var p callsPage
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != 200 {
		t.Fatalf("%d %v", w.Code, err)
	}
	if len(p.Records) != 10 || p.Total != 120 || p.TalkS != 120*60 || p.NextBefore != 111 || p.Records[0].Result != "answered" {
		t.Errorf("page: %d records of %d, talk %d, next %d", len(p.Records), p.Total, p.TalkS, p.NextBefore)
	}
	if q := f.svc.callsQ.lastQuery; q.Direction != "internal" || !slices.Equal(q.Results, []string{"answered"}) {
		t.Errorf("asked %+v", q)
	}
	// Other orders page with offset: no next_before.
	w = f.api("GET", "/api/v1/calls?limit=10&sort=duration", "")
	if strings.Contains(w.Body.String(), "next_before") {
		t.Error("next_before with another order")
	}
	for path, fields := range map[string][]string{
		"/api/v1/calls?from=2026-13-01":                   {"from"},
		"/api/v1/calls?direction=up&limit=5000":           {"direction", "limit"},
		"/api/v1/calls?colour=red":                        {"colour"},
		"/api/v1/calls.csv?result=lost":                   {"result"},
		"/api/v1/calls.csv?from=2026-11-21&to=2026-11-20": {"to"},
		"/api/v1/calls/abc":                               {"id"},
	} {
		w := f.api("GET", path, "")
		if w.Code != 400 {
			t.Errorf("%s: %d", path, w.Code)
			continue
		}
		wantField(fields...)(t, w)
	}
	w = f.api("GET", "/api/v1/calls/7", "")
	var rec store.CallRecord
	if json.Unmarshal(w.Body.Bytes(), &rec); w.Code != 200 || rec.ID != 7 {
		t.Errorf("one record: %d %+v", w.Code, rec)
	}
	if w := f.api("GET", "/api/v1/calls/7000", ""); w.Code != 404 {
		t.Errorf("an unknown record: %d", w.Code)
	}
}

func TestCallsCSV(t *testing.T) {
	f := newFixture(t)
	f.svc.mustChange = false
	w := f.api("GET", "/api/v1/calls.csv?number=10&order=asc", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(w.Header().Get("Content-Disposition"), `attachment; filename="calls-20261121-1000.csv"`) {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	rd := cdrcsv.NewReader(w.Body, time.UTC)
	var got []store.CallRecord
	for {
		r, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 120 || got[0].ID != 1 || got[119].ID != 120 || got[0].DurationS != 60 || got[0].Caller != "101" {
		t.Errorf("%d records read back", len(got))
	}
	// The page's export: the session's, and a bad search is a page.
	c := f.client()
	c.ready()
	if w := c.get("/calls.csv?direction=in"); w.Code != 200 || strings.Count(w.Body.String(), "\n") != 1 {
		t.Errorf("an empty selection: %d %q", w.Code, w.Body.String())
	}
	if w := c.get("/calls.csv?min_duration=x"); w.Code != 400 || !strings.Contains(w.Body.String(), "min_duration") {
		t.Errorf("a bad export: %d", w.Code)
	}
}

// flushCounter counts how often a handler pushed what it had to the
// client.
type flushCounter struct {
	*httptest.ResponseRecorder
	flushes, bytesAtFirst int
}

func (f *flushCounter) Flush() {
	if f.flushes == 0 {
		f.bytesAtFirst = f.Body.Len()
	}
	f.flushes++
	f.ResponseRecorder.Flush()
}

func TestCallsCSVStreams(t *testing.T) {
	f := newFixture(t)
	f.svc.mustChange = false
	const n = 100000
	f.svc.callsQ.exportN = n
	r := httptest.NewRequest("GET", "https://box.test/api/v1/calls.csv?number=nothing-real", nil)
	r.RemoteAddr = "198.51.100.7:5555"
	r.SetBasicAuth("admin", f.svc.password)
	w := &flushCounter{ResponseRecorder: httptest.NewRecorder()}
	f.srv.handler.ServeHTTP(w, r)
	if w.Code != 200 || strings.Count(w.Body.String(), "\n") != n+1 {
		t.Fatalf("%d, %d lines", w.Code, strings.Count(w.Body.String(), "\n"))
	}
	// Sent as it was read: a flush every csvFlushEvery records, the first
	// long before the end.
	if w.flushes < n/csvFlushEvery || w.bytesAtFirst > w.Body.Len()/100 {
		t.Errorf("%d flushes, %d of %d bytes before the first", w.flushes, w.bytesAtFirst, w.Body.Len())
	}
}
