package webui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// checkAsked fails unless every action the exchange was asked is one it
// takes, on a party of call c7, a transfer with a number a phone dials.
func checkAsked(t *testing.T, asked []string, input string) {
	t.Helper()
	for _, a := range asked {
		parts := strings.Split(a, " ")
		if len(parts) != 4 || parts[0] != "c7" || !slices.Contains(callActions, parts[1]) ||
			!slices.Contains([]string{"", "fxo-1-7", "sip-101-9"}, parts[2]) ||
			(parts[1] == "transfer") != (parts[3] != "") || (parts[3] != "" && !dialplan.IsDialString(parts[3])) {
			t.Fatalf("%q reached the exchange as %q", input, a)
		}
	}
}

// FuzzCallActionAPI: any body to POST /api/v1/calls/c7/actions gets a
// JSON answer with a 2xx/4xx code, and only a well-formed action on a
// party of the call reaches the exchange.
func FuzzCallActionAPI(f *testing.F) {
	for _, s := range []string{`{"action":"transfer","leg":"fxo-1-7","destination":"202"}`, `{"action":"hold"}`,
		`{"action":"transfer","destination":"20 2"}`, `{"action":"park","leg":"x"}`, `{"action":1}`, `nul`, `{}`} {
		f.Add(s)
	}
	fx := newFixture(f)
	fx.readyAPI()
	fx.svc.emit("call", liveStatus)
	f.Fuzz(func(t *testing.T, body string) {
		fx.t = t
		r := httptest.NewRequest("POST", "https://box.test/api/v1/calls/c7/actions", strings.NewReader(body))
		r.SetBasicAuth("admin", "api-password-1")
		r.RemoteAddr = "192.0.2.1:1"
		w := httptest.NewRecorder()
		fx.srv.Handler().ServeHTTP(w, r)
		asked := fx.svc.actions()
		if w.Code >= 500 || (w.Code != http.StatusNoContent && !json.Valid(w.Body.Bytes())) {
			t.Fatalf("%d %s for %q", w.Code, w.Body, body)
		}
		if w.Code != http.StatusNoContent && asked != nil {
			t.Fatalf("refused %q (%d), yet the exchange was asked %q", body, w.Code, asked)
		}
		checkAsked(t, asked, body)
	})
}

// FuzzTransferForm: whatever the transfer form posts, the page answers
// (no 5xx), says why it refuses, and passes on only a number a phone
// dials.
func FuzzTransferForm(f *testing.F) {
	f.Add("fxo-1-7", "202", "")
	f.Add("sip-101-9", "", "9 555")
	f.Add("nobody", "", "*8#")
	f.Add("", "<b>", "\x00")
	fx := newFixture(f)
	fx.svc.emit("call", liveStatus)
	c := fx.client()
	c.ready()
	f.Fuzz(func(t *testing.T, leg, dest, number string) {
		fx.t = t
		c.get("/status/calls/c7/transfer")
		w := c.post("/status/calls/c7/transfer", url.Values{"leg": {leg}, "destination": {dest}, "number": {number}})
		asked := fx.svc.actions()
		if w.Code >= 500 {
			t.Fatalf("%d for %q %q %q", w.Code, leg, dest, number)
		}
		if w.Code != http.StatusSeeOther {
			if asked != nil {
				t.Fatalf("refused (%d), yet the exchange was asked %q", w.Code, asked)
			}
			if !strings.Contains(w.Body.String(), `class="field-error"`) && !strings.Contains(w.Body.String(), "form-errors") {
				t.Fatalf("refused (%d) without saying why", w.Code)
			}
		}
		checkAsked(t, asked, leg+"|"+dest+"|"+number)
	})
}

// FuzzPathStep: any step of a path, as a record may hold it, reads as a
// sentence.
func FuzzPathStep(f *testing.F) {
	f.Add("transferred", "fxo:1", "park 701", "101", "")
	f.Add("picked-up", "", "", "", "x")
	f.Add("", ":", "sip:", "operator", "")
	n := newPathNames([]store.CallLeg{{Name: "fxo:1", Number: "5550100"}})
	f.Fuzz(func(t *testing.T, event, party, to, by, detail string) {
		s := n.step(store.CallStep{Event: event, Party: party, To: to, By: by, Detail: detail})
		if s == "" || !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
			t.Fatalf("%q %q %q %q %q: %q", event, party, to, by, detail, s)
		}
	})
}
