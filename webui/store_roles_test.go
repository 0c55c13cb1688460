package webui

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// storeAdmin logs in as admin on a store fixture and makes the forced
// password change (to rolePW).
func storeAdmin(t *testing.T, f *fixture, pw string) *client {
	t.Helper()
	c := f.client()
	c.get("/login")
	if w := c.post("/login", url.Values{"password": {pw}}); w.Header().Get("Location") != "/password" {
		t.Fatalf("first login: %d %q", w.Code, w.Header().Get("Location"))
	}
	c.get("/password")
	if w := c.post("/password", url.Values{"new_password": {rolePW}, "confirm_password": {rolePW}}); w.Code != http.StatusSeeOther {
		t.Fatalf("forced change: %d", w.Code)
	}
	c.get("/me")
	return c
}

// TestAuditOfChangesAndRefusals: with the real store behind the pages,
// an administrator makes a user account; the user, logged in with the
// extension number, is refused the settings (403 page) and the attempt
// is in the audit log; the administrator's change of the settings is in
// the audit log with its diff, on the Audit log page and in its CSV.
func TestAuditOfChangesAndRefusals(t *testing.T) {
	f, db, pw := newStoreFixture(t)
	admin := storeAdmin(t, f, pw)
	admin.get("/users/new")
	w := admin.post("/users/new", url.Values{"login": {"101"}, "role": {store.RoleUser}, "extension": {"101"}, "password": {"first password 1"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("new account: %d %s", w.Code, w.Body)
	}
	// The user's first login makes them choose a password.
	user := f.client()
	user.get("/login")
	if w := user.post("/login", url.Values{"user": {"101"}, "password": {"first password 1"}}); w.Header().Get("Location") != "/password" {
		t.Fatalf("user's first login: %d %q", w.Code, w.Header().Get("Location"))
	}
	user.get("/password")
	if w := user.post("/password", url.Values{"new_password": {"users own password"}, "confirm_password": {"users own password"}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/me" {
		t.Fatalf("user's change: %d %q", w.Code, w.Header().Get("Location"))
	}
	w = user.get("/settings")
	if !refused(w) || !strings.Contains(html.UnescapeString(w.Body.String()), `needs the permission "settings.view"`) {
		t.Fatalf("a user on the settings page: %d", w.Code)
	}
	if w := f.apiAs("101", "users own password", "PUT", "/api/v1/settings", `{}`); !refused(w) {
		t.Fatalf("a user on the settings API: %d %s", w.Code, w.Body)
	}

	admin.get("/settings")
	sys, _ := db.System()
	form := url.Values{"name": {"Office"}, "tone_zone": {sys.ToneZone}, "time_zone": {sys.TimeZone}, "extension_length": {"3"},
		"outside_prefix": {sys.OutsidePrefix}, "inter_digit_timeout_ms": {"4000"}, "no_answer_timeout_s": {"30"}, "call_record_retention": {"10000"}}
	if w := admin.post("/settings", form); w.Code != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", w.Code, w.Body)
	}

	log, err := db.AuditLog(store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var change, refusal, created *store.AuditEntry
	for i, e := range log {
		switch {
		case e.Action == store.AuditChange && e.Section == "system" && change == nil:
			change = &log[i]
		case e.Action == store.AuditRefused && e.Target == "GET /settings":
			refusal = &log[i]
		case e.Action == store.AuditAccount && e.Target == "101":
			created = &log[i]
		}
	}
	if change == nil || change.Actor != store.AdminLogin || change.Via != "web" || strings.Join(change.Changes, "\n") != `system.name: "minipbx" → "Office"` {
		t.Fatalf("the settings change: %+v", change)
	}
	if refusal == nil || refusal.Actor != "101" || refusal.Role != store.RoleUser || refusal.Section != store.PermSettingsView {
		t.Fatalf("the refusal: %+v", refusal)
	}
	if created == nil || created.Actor != store.AdminLogin {
		t.Fatalf("the new account: %+v", created)
	}
	// The page shows them, filtered.
	page := html.UnescapeString(admin.get("/audit?action=refused").Body.String())
	if !strings.Contains(page, "GET /settings") || strings.Contains(page, `system.name`) {
		t.Fatalf("audit page filtered on refusals:\n%s", page)
	}
	page = html.UnescapeString(admin.get("/audit?actor=admin&section=system").Body.String())
	if !strings.Contains(page, `system.name: "minipbx" → "Office"`) {
		t.Fatal("the change is not on the audit page")
	}
	if w := admin.get("/audit?from=yesterday"); w.Code != http.StatusBadRequest || fieldErrorHTML(w.Body.String(), "from") == "" {
		t.Fatalf("a bad date: %d", w.Code)
	} else if v, _ := inputValue(w.Body.String(), "from"); v != "yesterday" {
		t.Fatalf("the bad date is not kept: %q", v)
	}
	// The CSV export holds the same.
	w = admin.get("/audit.csv?section=system")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][2] != "actor" || rows[1][2] != store.AdminLogin || !strings.Contains(rows[1][10], `"Office"`) {
		t.Fatalf("CSV rows %q %v", rows, err)
	}
	// And the user may not read any of it.
	if w := user.get("/audit"); !refused(w) {
		t.Fatalf("a user on the audit log: %d", w.Code)
	}
}

// TestAccountRulesOnThePages: the store's refusals beside the fields:
// the last administrator, a role below the floor, a taken extension, a
// bad modem string; the input stays as typed.
func TestAccountRulesOnThePages(t *testing.T) {
	f, _, pw := newStoreFixture(t)
	admin := storeAdmin(t, f, pw)
	admin.get("/users/admin")
	w := admin.post("/users/admin", url.Values{"role": {store.RoleInstaller}, "name": {"Me"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "role"), "last administrator") {
		t.Fatalf("demoting the last administrator: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "role"))
	}
	if v, _ := inputValue(w.Body.String(), "name"); v != "Me" {
		t.Errorf("the name typed is lost: %q", v)
	}
	admin.get("/users/admin/delete")
	if w := admin.post("/users/admin/delete", nil); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "last administrator") {
		t.Fatalf("deleting the last administrator: %d", w.Code)
	}
	if w := f.apiAs("admin", rolePW, "DELETE", "/api/v1/users/admin", ""); w.Code != 422 {
		t.Fatalf("deleting the last administrator by API: %d", w.Code)
	}
	admin.get("/users/new")
	admin.post("/users/new", url.Values{"login": {"101"}, "role": {store.RoleUser}, "extension": {"101"}})
	admin.get("/users/new")
	w = admin.post("/users/new", url.Values{"login": {"anna"}, "role": {store.RoleOfficeManager}, "extension": {"101"}, "password": {"anna password"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "extension"), "already has the account") {
		t.Fatalf("a taken extension: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "extension"))
	}
	if v, _ := inputValue(w.Body.String(), "login"); v != "anna" {
		t.Errorf("the login typed is lost: %q", v)
	}
	// A generated password is shown once.
	w = admin.post("/users/new", url.Values{"login": {"anna"}, "role": {store.RoleOfficeManager}})
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `id="generated-password"`) {
		t.Fatalf("a generated password: %d", w.Code)
	}
	admin.get("/roles")
	w = admin.post("/roles/administrator", url.Values{"permission": {store.PermStatus, store.PermUsers}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="role-administrator-error"`) ||
		!strings.Contains(w.Body.String(), `value="status" id="p0-0" checked`) || strings.Contains(w.Body.String(), `value="audit" id="p0-23" checked`) {
		t.Fatalf("the administrator below the floor: %d", w.Code)
	}
	// The office manager may manage users, not more.
	om := f.client()
	om.get("/login")
	admin.get("/users/anna")
	admin.post("/users/anna/password", url.Values{"new_password": {"olgas first pw"}})
	om.post("/login", url.Values{"user": {"anna"}, "password": {"olgas first pw"}})
	om.get("/password")
	om.post("/password", url.Values{"new_password": {"olgas own pw 1"}, "confirm_password": {"olgas own pw 1"}})
	om.get("/users/new")
	w = om.post("/users/new", url.Values{"login": {"boss"}, "role": {store.RoleAdministrator}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "role"), "no more rights than yours") {
		t.Fatalf("an office manager makes an administrator: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "role"))
	}

	admin.get("/settings/pbx")
	w = admin.post("/settings/pbx", url.Values{"name": {"Office"}, "extension_length": {"3"}, "voice_modem.init_string": {"ATZ"}, "music_port": {"fxo:2"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(fieldErrorHTML(w.Body.String(), "voice_modem.init_string"), "ust not contain Z") {
		t.Fatalf("a bad modem string: %d %q", w.Code, fieldErrorHTML(w.Body.String(), "voice_modem.init_string"))
	}
	if v, _ := inputValue(w.Body.String(), "voice_modem.init_string"); v != "ATZ" {
		t.Errorf("the modem string typed is lost: %q", v)
	}
	if w := admin.post("/settings/pbx", url.Values{"name": {"Office"}, "extension_length": {"3"}, "voice_modem.init_string": {"AT+GCI=59"}, "music_port": {"fxo:2"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("PBX parameters: %d %s", w.Code, w.Body)
	}
	if w := f.apiAs("admin", rolePW, "GET", "/api/v1/pbx-parameters", ""); !strings.Contains(w.Body.String(), `"music_port":"fxo:2"`) {
		t.Fatalf("PBX parameters by API: %s", w.Body)
	}
}
