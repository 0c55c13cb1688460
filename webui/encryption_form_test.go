package webui

import (
	"net/url"
	"regexp"
	"testing"
)

// The extension form's "Require encryption" checkbox reaches the
// extension and shows what is stored.
func TestExtensionRequireEncryptionCheckbox(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.ready()
	checked := regexp.MustCompile(`id="require_encryption"[^>]*checked`)
	if w := c.get("/extensions/new"); checked.MatchString(w.Body.String()) || !regexp.MustCompile(`id="require_encryption"`).MatchString(w.Body.String()) {
		t.Fatal("new form: the checkbox is missing or checked")
	}
	if w := c.post("/extensions/new", url.Values{"number": {"102"}, "name": {"Secure"}, "fxs_port": {"0"}, "require_encryption": {"on"}}); w.Code != 303 {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	_, exts := f.svc.snapshot()
	if e := exts[len(exts)-1]; e.Number != "102" || !e.RequireEncryption {
		t.Fatalf("created %+v", e)
	}
	if w := c.get("/extensions/102/edit"); !checked.MatchString(w.Body.String()) {
		t.Fatal("edit form: the checkbox does not show the stored setting")
	}
	if w := c.post("/extensions/102/edit", url.Values{"number": {"102"}, "name": {"Secure"}, "secret": {"generated-102"}, "fxs_port": {"0"}}); w.Code != 303 {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	_, exts = f.svc.snapshot()
	if e := exts[len(exts)-1]; e.RequireEncryption {
		t.Fatalf("unchecked, still %+v", e)
	}
}
