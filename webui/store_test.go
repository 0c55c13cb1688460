package webui

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"minipbx/telephony/store"
)

// storeService is the fake service with its configuration and admin
// password in a real store database, so these tests see the store's own
// rules and messages (field names, password policy, document decoding)
// through the pages and the API.
type storeService struct {
	*fakeService
	db *store.DB
}

func (s *storeService) Extensions(context.Context) ([]store.Extension, error) {
	return s.db.Extensions()
}
func (s *storeService) Extension(_ context.Context, n string) (store.Extension, error) {
	return s.db.Extension(n)
}
func (s *storeService) CreateExtension(ctx context.Context, e store.Extension) (store.Extension, error) {
	return s.as(ctx).CreateExtension(e)
}
func (s *storeService) UpdateExtension(ctx context.Context, n string, e store.Extension) (store.Extension, error) {
	return s.as(ctx).UpdateExtension(n, e)
}
func (s *storeService) DeleteExtension(ctx context.Context, n string) error {
	return s.as(ctx).DeleteExtension(n)
}
func (s *storeService) Settings(context.Context) (store.System, error) { return s.db.System() }
func (s *storeService) UpdateSettings(ctx context.Context, sys store.System) (store.System, error) {
	return s.as(ctx).UpdateSystem(sys)
}
func (s *storeService) FXOLines(context.Context) ([]store.FXOLine, error) { return s.db.FXOLines() }
func (s *storeService) UpdateFXOLine(ctx context.Context, l store.FXOLine) (store.FXOLine, error) {
	return s.as(ctx).UpdateFXOLine(l)
}
func (s *storeService) ExportConfig(context.Context) (store.Config, error) {
	return s.db.ExportConfig()
}
func (s *storeService) ImportConfig(ctx context.Context, c store.Config) error {
	return s.as(ctx).ImportConfig(c)
}
func (s *storeService) UpdateDialPlan(ctx context.Context, d store.DialPlan) (store.DialPlan, error) {
	c, err := s.as(ctx).UpdateDialPlan(func(c *store.Config) error { c.SetDialPlan(d); return nil })
	if err != nil {
		return store.DialPlan{}, err
	}
	return c.DialPlan(), nil
}
func (s *storeService) UpdateExtensionProfile(_ context.Context, n string, p store.ExtensionProfile) (store.ExtensionProfile, error) {
	return s.db.UpdateExtensionProfile(n, p)
}
func (s *storeService) CheckAdminPassword(_ context.Context, pw string) (bool, bool, error) {
	return s.db.CheckAdminPassword(pw)
}
func (s *storeService) SetAdminPassword(_ context.Context, pw string) error {
	return s.db.SetAdminPassword(pw)
}

func newStoreFixture(t testing.TB) (*fixture, *store.DB, string) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pw, _, err := db.EnsureAdminPassword()
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	srv, err := New(Options{Service: &storeService{fakeService: f.svc, db: db}, DataDir: t.TempDir(), Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	return f, db, pw
}

func TestWithStoreForms(t *testing.T) {
	f, db, pw := newStoreFixture(t)
	c := f.client()
	if w := c.login(pw); w.Header().Get("Location") != "/password" {
		t.Fatalf("first login with the store's generated password: %d %q", w.Code, w.Header().Get("Location"))
	}
	c.get("/password")
	w := c.post("/password", url.Values{"new_password": {pw}, "confirm_password": {pw}})
	if w.Code != http.StatusUnprocessableEntity || fieldErrorHTML(w.Body.String(), "new_password") == "" {
		t.Fatalf("reusing the first-start password: %d", w.Code)
	}
	w = c.post("/password", url.Values{"new_password": {"installer password"}, "confirm_password": {"installer password"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("change: %d %s", w.Code, w.Body)
	}
	if ok, must, _ := db.CheckAdminPassword("installer password"); !ok || must {
		t.Fatal("the store did not get the new password")
	}

	// The store's default configuration has extensions 101 and 102.
	tests := []struct {
		form         url.Values
		code         int
		field, error string
	}{
		{url.Values{"number": {"101"}, "fxs_port": {"0"}}, http.StatusConflict, "number", "already exists"},
		{url.Values{"number": {"12"}, "fxs_port": {"0"}}, http.StatusUnprocessableEntity, "number", "3 digits"},
		{url.Values{"number": {"105"}, "fxs_port": {"7"}}, http.StatusUnprocessableEntity, "fxs_port", "No FXS port 7"},
		{url.Values{"number": {"105"}, "fxs_port": {"1"}}, http.StatusUnprocessableEntity, "fxs_port", "already belongs"},
	}
	for _, tc := range tests {
		c.get("/extensions/new")
		w := c.post("/extensions/new", tc.form)
		got := html.UnescapeString(fieldErrorHTML(w.Body.String(), tc.field))
		if w.Code != tc.code || !strings.Contains(got, tc.error) {
			t.Errorf("%v: %d, %s error %q, want %d with %q", tc.form, w.Code, tc.field, got, tc.code, tc.error)
		}
	}
	c.get("/extensions/new")
	if w := c.post("/extensions/new", url.Values{"number": {"105"}, "name": {"Store"}, "fxs_port": {"0"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if e, err := db.Extension("105"); err != nil || e.Name != "Store" || e.Secret == "" {
		t.Fatalf("stored %+v %v", e, err)
	}

	// Settings: every problem the store finds, each beside its field.
	c.get("/settings")
	w = c.post("/settings", url.Values{"name": {"box"}, "tone_zone": {"zz"}, "time_zone": {"Mars/Base"}, "extension_length": {"3"},
		"outside_prefix": {"12345"}, "inter_digit_timeout_ms": {"5"}, "no_answer_timeout_s": {"0"}, "call_record_retention": {"10000"}})
	body := html.UnescapeString(w.Body.String())
	for _, id := range []string{"tone_zone", "time_zone", "outside_prefix", "inter_digit_timeout_ms", "no_answer_timeout_s"} {
		if fieldErrorHTML(body, id) == "" {
			t.Errorf("no error beside %s", id)
		}
	}
	if strings.Contains(body, "form-errors") {
		t.Error("a store error did not find its field")
	}
	w = c.post("/settings/fxo/1", url.Values{"name": {"L1"}, "enabled": {"on"}, "answer_after_rings": {"11"}, "destination": {"555"}})
	body = html.UnescapeString(w.Body.String())
	if fieldErrorHTML(body, "fxo1-answer_after_rings") == "" || fieldErrorHTML(body, "fxo1-destination") == "" {
		t.Errorf("FXO line errors not beside their fields: %d", w.Code)
	}
}

func TestWithStoreAPI(t *testing.T) {
	f, db, pw := newStoreFixture(t)
	if err := db.SetAdminPassword("api password 1"); err != nil {
		t.Fatal(err)
	}
	_ = pw
	api := func(method, path, body string) (int, string) {
		w := f.apiAs("admin", "api password 1", method, path, body)
		return w.Code, w.Body.String()
	}
	code, doc := api("GET", "/api/v1/config", "")
	if code != 200 {
		t.Fatalf("export: %d %s", code, doc)
	}
	if code, body := api("PUT", "/api/v1/config", doc); code != 200 {
		t.Fatalf("re-import of the export: %d %s", code, body)
	}
	bad := strings.Replace(doc, `"number":"102"`, `"number":"101"`, 1)
	if code, body := api("PUT", "/api/v1/config", bad); code != 422 || !strings.Contains(body, `"extensions[1].number"`) {
		t.Fatalf("duplicate in a document: %d %s", code, body)
	}
	if code, body := api("POST", "/api/v1/extensions", `{"number":"1","fxs_port":9}`); code != 422 || !strings.Contains(body, `"field":"number"`) || !strings.Contains(body, `"field":"fxs_port"`) {
		t.Fatalf("invalid extension: %d %s", code, body)
	}
	if code, _ := api("DELETE", "/api/v1/extensions/999", ""); code != 404 {
		t.Fatalf("delete missing: %d", code)
	}
	if code, body := api("PUT", "/api/v1/fxo-lines/1", `{"enabled":true,"answer_after_rings":2,"destination":"999"}`); code != 422 || !strings.Contains(body, "destination") {
		t.Fatalf("line to nowhere: %d %s", code, body)
	}
}
