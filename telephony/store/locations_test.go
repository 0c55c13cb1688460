package store

import (
	"strings"
	"testing"
)

// The saved SIP bindings survive reopening, are replaced whole by each
// save, refuse what is not JSON or too big, and are no part of the
// configuration document.
func TestSIPBindings(t *testing.T) {
	testSavedDocument(t, (*DB).LoadBindings, (*DB).SaveBindings)
}

// The SIP ban counters are kept the same way, apart from the bindings.
func TestSIPBans(t *testing.T) {
	testSavedDocument(t, (*DB).LoadBans, (*DB).SaveBans)
	db, _ := openTemp(t)
	if err := db.SaveBindings([]byte(`[1]`)); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveBans([]byte(`[2]`)); err != nil {
		t.Fatal(err)
	}
	if b, _ := db.LoadBindings(); string(b) != `[1]` {
		t.Fatalf("bindings %q", b)
	}
	if b, _ := db.LoadBans(); string(b) != `[2]` {
		t.Fatalf("bans %q", b)
	}
}

func testSavedDocument(t *testing.T, load func(*DB) ([]byte, error), save func(*DB, []byte) error) {
	t.Helper()
	db, path := openTemp(t)
	if got, err := load(db); err != nil || got != nil {
		t.Fatalf("new database: %q, %v", got, err)
	}
	if err := save(db, []byte(`[{"extension":"201"}]`)); err != nil {
		t.Fatal(err)
	}
	if err := save(db, []byte(`[{"extension":"202"}]`)); err != nil {
		t.Fatal(err)
	}
	if err := save(db, []byte(`[{"cut`)); err == nil {
		t.Error("a document that is not JSON was saved")
	}
	if err := save(db, []byte(`"`+strings.Repeat("x", MaxLocationsBytes)+`"`)); err == nil {
		t.Error("a document over the limit was saved")
	}
	db = reopenChecked(t, db, path)
	if got, err := load(db); err != nil || string(got) != `[{"extension":"202"}]` {
		t.Fatalf("after reopening: %q, %v", got, err)
	}
	if doc := exportRestore(t, db); strings.Contains(doc, `"extension":"202"`) {
		t.Error("the configuration document holds the saved document")
	}
	// The import (a restore) left it.
	if got, _ := load(db); string(got) != `[{"extension":"202"}]` {
		t.Errorf("after an import: %q", got)
	}
}
