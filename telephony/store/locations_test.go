package store

import (
	"strings"
	"testing"
)

// The saved SIP bindings survive reopening, are replaced whole by each
// save, refuse what is not JSON or too big, and are no part of the
// configuration document.
func TestSIPBindings(t *testing.T) {
	db, path := openTemp(t)
	if got, err := db.LoadBindings(); err != nil || got != nil {
		t.Fatalf("new database: %q, %v", got, err)
	}
	if err := db.SaveBindings([]byte(`[{"extension":"201"}]`)); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveBindings([]byte(`[{"extension":"202"}]`)); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveBindings([]byte(`[{"cut`)); err == nil {
		t.Error("a document that is not JSON was saved")
	}
	if err := db.SaveBindings([]byte(`"` + strings.Repeat("x", MaxLocationsBytes) + `"`)); err == nil {
		t.Error("a document over the limit was saved")
	}
	db = reopenChecked(t, db, path)
	if got, err := db.LoadBindings(); err != nil || string(got) != `[{"extension":"202"}]` {
		t.Fatalf("after reopening: %q, %v", got, err)
	}
	if doc := exportRestore(t, db); strings.Contains(doc, `"extension":"202"`) {
		t.Error("the configuration document holds the SIP bindings")
	}
	// The import (a restore) left them.
	if got, _ := db.LoadBindings(); string(got) != `[{"extension":"202"}]` {
		t.Errorf("after an import: %q", got)
	}
}
