package webui

import (
	"net/http"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// TestCallerIDForms: what outside calls show is set on the trunk (where
// its provider reads the number), the route, the line group and the
// extension; each form shows what is stored, saves what is chosen, and
// keeps what it does not show.
func TestCallerIDForms(t *testing.T) {
	c, db := dialPlanClient(t)
	if _, err := db.UpdateDialPlan(func(cfg *store.Config) error {
		cfg.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}}
		cfg.Trunks = []store.Trunk{{Name: "prov", Mode: store.TrunkRegister, Host: "sip.example.net", Username: "74951112233", Password: "secret-pw"}}
		cfg.OutboundRoutes = []store.OutboundRoute{{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"prov"}}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	post := func(path string, ids []string, set map[string]string) {
		t.Helper()
		v := formValues(t, c.get(path).Body.String(), ids...)
		for k, x := range set {
			if x == "" {
				v.Del(k)
			} else {
				v.Set(k, x)
			}
		}
		if w := c.post(path, v); w.Code != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
	}
	trunkIDs := []string{"name", "mode", "host", "transport", "username", "auth_user", "expires_s", "caller_id", "caller_name", "caller_id_header", "diversion_header", "max_calls"}
	if row := fieldOf(t, c.get("/dialplan/trunks/0/edit").Body.String(), "caller_id_header"); !strings.Contains(row, `value="from" selected`) {
		t.Errorf("a new trunk does not show From as where the number goes: %s", row)
	}
	post("/dialplan/trunks/0/edit", trunkIDs, map[string]string{"caller_id_header": "pai", "diversion_header": "history-info"})
	cfg, _ := db.Config()
	if tr := cfg.Trunks[0]; tr.CallerIDHeader != store.CallerIDInPAI || tr.DiversionHeader != store.DiversionHistoryInfo || tr.Password != "secret-pw" {
		t.Errorf("trunk saved %+v", tr)
	}
	post("/dialplan/trunks/0/edit", trunkIDs, map[string]string{"caller_id_header": "from", "diversion_header": "diversion"})
	cfg, _ = db.Config()
	if tr := cfg.Trunks[0]; tr.CallerIDHeader != "" || tr.DiversionHeader != "" {
		t.Errorf("the defaults are stored as %q %q, want them left out", tr.CallerIDHeader, tr.DiversionHeader)
	}

	routeIDs := []string{"name", "pattern", "strip", "prepend", "class", "via[0]", "caller_id", "caller_name", "override_caller_id"}
	post("/dialplan/outbound_routes/0/edit", routeIDs, map[string]string{"caller_id": "+74951112200", "caller_name": "Office", "override_caller_id": "on"})
	cfg, _ = db.Config()
	if r := cfg.OutboundRoutes[0]; r.CallerID != "+74951112200" || r.CallerName != "Office" || !r.OverrideCallerID || len(r.Via) != 1 {
		t.Errorf("route saved %+v", r)
	}
	// Override without a number: refused beside the field, nothing saved.
	v := formValues(t, c.get("/dialplan/outbound_routes/0/edit").Body.String(), routeIDs...)
	v.Set("caller_id", "")
	w := c.post("/dialplan/outbound_routes/0/edit", v)
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("override without a number: %d", w.Code)
	} else if row := fieldOf(t, w.Body.String(), "override_caller_id"); !strings.Contains(row, "Needs a number to show") {
		t.Errorf("no error beside the checkbox: %s", row)
	}

	post("/dialplan/line_groups/0/edit", []string{"name", "lines", "hunt", "max_calls", "withhold_prefix"}, map[string]string{"withhold_prefix": "*67"})
	cfg, _ = db.Config()
	if g := cfg.LineGroups[0]; g.WithholdPrefix != "*67" || g.Hunt != store.HuntAscending {
		t.Errorf("line group saved %+v", g)
	}

	// The extension form: its outbound number and language, and what it
	// does not show (none today, but a field added to the store later)
	// survive a save.
	extIDs := []string{"number", "name", "secret", "fxs_port", "outside_calls", "require_encryption", "outbound_caller_id", "outbound_caller_name", "language"}
	post("/extensions/105/edit", extIDs, map[string]string{"outbound_caller_id": "74951112205", "language": "ru"})
	e, _ := db.Extension("105")
	if e.OutboundCallerID != "74951112205" || e.Language != "ru" || e.Name != "Sales desk" {
		t.Errorf("extension saved %+v", e)
	}
	post("/extensions/105/edit", extIDs, nil)
	if again, _ := db.Extension("105"); again != e {
		t.Errorf("saved unchanged, the extension became %+v (was %+v)", again, e)
	}
}
