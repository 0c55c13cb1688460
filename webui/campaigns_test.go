package webui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// campaignFixture is a web UI over a real exchange and database for
// the campaigns (no lines: nothing is started).
func campaignFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := telephony.New(telephony.Options{Store: db, Campaigns: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = x.Shutdown(ctx)
		db.Close()
	})
	f := newFixture(t, func(o *Options) { o.Campaigns = x })
	f.readyAPI()
	return f
}

const testCampaignJSON = `{"name": "spring", "class": "local", "max_lines": 2,
	"window": {"start": "09:00", "end": "18:00", "days": ["mon"]},
	"prompts": [{"tone": "1000", "ms": 500}], "opt_out_key": true}`

func csvRequest(f *fixture, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "https://box.test"+path, strings.NewReader(body))
	r.RemoteAddr = "198.51.100.7:5555"
	r.SetBasicAuth("admin", f.svc.password)
	r.Header.Set("Content-Type", "text/csv")
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	return w
}

// TestCampaignsAPI: a campaign is created as a draft, refused with
// field errors when invalid; a CSV list imports its good rows and names
// the bad ones by line; the state can be set to active but not to
// completed; the results come as CSV (a name a spreadsheet would run as
// a formula is quoted); the do-not-call list takes and gives back
// numbers; a deleted campaign is gone.
func TestCampaignsAPI(t *testing.T) {
	f := campaignFixture(t)
	if w := f.api("POST", "/api/v1/campaigns", testCampaignJSON); w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"state":"draft"`) {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	w := f.api("POST", "/api/v1/campaigns", strings.Replace(testCampaignJSON, `"max_lines": 2`, `"max_lines": 0`, 1))
	if e := decodeError(t, w); w.Code != http.StatusUnprocessableEntity || len(e.Fields) != 2 || e.Fields[0].Field != "max_lines" || e.Fields[1].Field != "name" {
		t.Errorf("invalid: %d %+v", w.Code, e)
	}
	w = csvRequest(f, "/api/v1/campaigns/spring/contacts", "number;name\n5550101;Ann\nbad;row\n5550102;=1+2\n5550101;again\n")
	var rep telephony.ContactImport
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code != 200 || rep.Imported != 2 || rep.Total != 2 ||
		len(rep.Bad) != 2 || rep.Bad[0].Line != 3 || rep.Bad[1].Line != 5 {
		t.Fatalf("import: %d %s", w.Code, w.Body)
	}
	// Again: both are in the campaign already, by their lines.
	w = csvRequest(f, "/api/v1/campaigns/spring/contacts", "5550102\n5550101\n")
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || rep.Imported != 0 || len(rep.Bad) != 2 || rep.Bad[0].Line != 1 {
		t.Errorf("second import: %s", w.Body)
	}
	if w := f.api("POST", "/api/v1/campaigns/spring/contacts", `{"caller_list": "nobody"}`); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("unknown caller list: %d %s", w.Code, w.Body)
	}
	if w := f.api("PUT", "/api/v1/campaigns/spring/state", `{"state": "completed"}`); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("completed by hand: %d", w.Code)
	}
	if w := f.api("PUT", "/api/v1/campaigns/spring/state", `{"state": "paused"}`); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"state":"paused"`) {
		t.Errorf("paused: %d %s", w.Code, w.Body)
	}
	// Settings change; state and contacts stay.
	if w := f.api("PUT", "/api/v1/campaigns/spring", strings.Replace(testCampaignJSON, `"max_lines": 2`, `"max_lines": 3`, 1)); w.Code != 200 ||
		!strings.Contains(w.Body.String(), `"max_lines":3`) || !strings.Contains(w.Body.String(), `"state":"paused"`) || !strings.Contains(w.Body.String(), "5550102") {
		t.Errorf("settings: %d %s", w.Code, w.Body)
	}
	w = f.api("GET", "/api/v1/campaigns/spring", "")
	var got struct {
		Contacts []store.CampaignContact
		Progress store.CampaignProgress
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Contacts) != 2 || got.Progress.Results["pending"] != 2 {
		t.Errorf("get: %s", w.Body)
	}
	w = f.api("GET", "/api/v1/campaigns/spring/results.csv", "")
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "number,name,result,attempts,done,last_call,next_call,call_id\n5550101,Ann,,0,false") ||
		!strings.Contains(w.Body.String(), `'=1+2`) {
		t.Errorf("results: %d %s", w.Code, w.Body)
	}
	if w := f.api("PUT", "/api/v1/do-not-call/+1%20555-0199", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"number":"15550199"`) {
		t.Errorf("do-not-call: %d %s", w.Code, w.Body)
	}
	if w := f.api("PUT", "/api/v1/do-not-call/call-me", ""); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("do-not-call of a word: %d", w.Code)
	}
	if w := f.api("GET", "/api/v1/do-not-call", ""); !strings.Contains(w.Body.String(), "15550199") {
		t.Errorf("do-not-call list: %s", w.Body)
	}
	if w := f.api("DELETE", "/api/v1/do-not-call/15550199", ""); w.Code != http.StatusNoContent {
		t.Errorf("do-not-call removal: %d", w.Code)
	}
	if w := f.api("DELETE", "/api/v1/campaigns/spring", ""); w.Code != http.StatusNoContent {
		t.Errorf("delete: %d", w.Code)
	}
	if w := f.api("GET", "/api/v1/campaigns/spring", ""); w.Code != http.StatusNotFound {
		t.Errorf("after delete: %d", w.Code)
	}
}

// TestCampaignsWithoutDialer: a box without an auto-dialer says so.
func TestCampaignsWithoutDialer(t *testing.T) {
	f := newFixture(t)
	f.readyAPI()
	if w := f.api("GET", "/api/v1/campaigns", ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("API: %d", w.Code)
	}
}

// TestCampaignPages: the Campaigns page creates a draft from its JSON
// form (an invalid one comes back with its fields), the campaign page
// imports a pasted list and lists the bad lines, starts it, and its
// contacts table shows them.
func TestCampaignPages(t *testing.T) {
	f := campaignFixture(t)
	c := f.client()
	c.ready()
	if w := c.get("/campaigns"); w.Code != 200 || !strings.Contains(w.Body.String(), `id="campaigns-none"`) || !strings.Contains(w.Body.String(), `id="nav-campaigns"`) {
		t.Fatalf("list page: %d", w.Code)
	}
	w := c.post("/campaigns", url.Values{"json": {strings.Replace(testCampaignJSON, `"09:00"`, `"9am"`, 1)}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "window.start") {
		t.Errorf("invalid create: %d", w.Code)
	}
	if w := c.post("/campaigns", url.Values{"json": {testCampaignJSON}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/campaigns/spring" {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	c.get("/campaigns/spring")
	w = c.post("/campaigns/spring", url.Values{"action": {"import"}, "csv": {"5550101,Ann\nnope\n"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="import-report"`) || !strings.Contains(w.Body.String(), "line 2:") {
		t.Errorf("import: %d", w.Code)
	}
	if w := c.post("/campaigns/spring", url.Values{"action": {"state"}, "state": {"active"}}); w.Code != http.StatusSeeOther {
		t.Errorf("start: %d %s", w.Code, w.Body)
	}
	w = c.get("/campaigns/spring")
	if !strings.Contains(w.Body.String(), `id="contact-5550101"`) || !strings.Contains(w.Body.String(), `id="campaign-state">active<`) ||
		!strings.Contains(w.Body.String(), `http-equiv="refresh"`) {
		t.Errorf("campaign page:\n%s", w.Body)
	}
	if w := c.post("/campaigns/spring", url.Values{"action": {"delete"}}); w.Code != http.StatusSeeOther {
		t.Errorf("delete: %d", w.Code)
	}
}

// TestOpenAPICampaigns: the documented schemas of campaigns name every
// field the API sends, and every documented campaign field is one the
// API accepts.
func TestOpenAPICampaigns(t *testing.T) {
	f := campaignFixture(t)
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
	documents := func(raw []byte, schemas ...string) {
		t.Helper()
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %s", schemas, raw)
		}
		for k := range m {
			found := false
			for _, s := range schemas {
				_, ok := doc.Components.Schemas[s].Properties[k]
				found = found || ok
			}
			if !found {
				t.Errorf("%s: field %q sent but not documented", schemas, k)
			}
		}
	}
	full := `{"name": "spring", "class": "local", "max_lines": 2, "caller_id": "5550100", "ring_s": 20, "answer_queue": "",
		"window": {"start": "09:00", "end": "18:00", "days": ["mon"]}, "retry": {"busy": {"after_s": 60, "times": 1}},
		"prompts": [{"tone": "1000", "ms": 500}], "opt_out_key": true, "on_machine": "message",
		"contacts": [{"number": "5550101", "name": "Ann"}]}`
	if w := f.api("POST", "/api/v1/campaigns", full); w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	f.api("PUT", "/api/v1/campaigns/spring/state", `{"state": "paused"}`)
	raw := f.api("GET", "/api/v1/campaigns/spring", "").Body.Bytes()
	documents(raw, "Campaign", "CampaignLive")
	var got struct{ Contacts []json.RawMessage }
	json.Unmarshal(raw, &got)
	documents(got.Contacts[0], "CampaignContact")
	var list []json.RawMessage
	json.Unmarshal(f.api("GET", "/api/v1/campaigns", "").Body.Bytes(), &list)
	documents(list[0], "CampaignSummary")
	documents(csvRequest(f, "/api/v1/campaigns/spring/contacts", "x\n").Body.Bytes(), "ContactImport")
	f.api("PUT", "/api/v1/do-not-call/5550199", "")
	json.Unmarshal(f.api("GET", "/api/v1/do-not-call", "").Body.Bytes(), &list)
	documents(list[0], "DoNotCall")
	for k := range doc.Components.Schemas["Campaign"].Properties {
		if w := f.api("PUT", "/api/v1/campaigns/spring", `{"`+k+`": null}`); w.Code == http.StatusBadRequest && strings.Contains(w.Body.String(), "unknown field") {
			t.Errorf("Campaign documents %q, which the API refuses", k)
		}
	}
}
