package store

import (
	"bytes"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// The runtime memory survives reopening, is replaced whole by each save,
// and is no part of the configuration document.
func TestRuntimeMemory(t *testing.T) {
	db, path := openTemp(t)
	if got, err := db.LoadRuntime(); err != nil || len(got) != 0 {
		t.Fatalf("new database: %v, %v", got, err)
	}
	if err := db.SaveRuntime(map[string][]byte{"group:sales": []byte(`{"last_answered":"ext:202"}`), "lines:city": []byte(`2`)}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRuntime(map[string][]byte{"group:sales": []byte(`{"last_answered":"ext:203"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRuntime(map[string][]byte{"x": []byte(`{"cut`)}); err == nil {
		t.Error("a value that is not JSON was saved")
	}
	db = reopenChecked(t, db, path)
	got, err := db.LoadRuntime()
	if err != nil || len(got) != 1 || string(got["group:sales"]) != `{"last_answered":"ext:203"}` {
		t.Fatalf("after reopening: %q, %v", got, err)
	}
	doc := exportRestore(t, db)
	if strings.Contains(doc, "last_answered") || strings.Contains(doc, "runtime") {
		t.Errorf("the runtime memory is in the configuration document:\n%s", doc)
	}
	// The import (a restore) left it alone.
	if got, _ := db.LoadRuntime(); len(got) != 1 {
		t.Errorf("after an import: %q", got)
	}
	if err := db.SaveRuntime(nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.LoadRuntime(); len(got) != 0 {
		t.Errorf("after saving nothing: %q", got)
	}
}

// reopenChecked closes db, runs preflight over its file (which walks every
// page, every bucket's included) and opens it again, closed at the test's
// end.
func reopenChecked(t *testing.T, db *DB, path string) *DB {
	t.Helper()
	db.Close()
	if err := preflight(path); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// exportRestore returns db's configuration document and imports it back,
// as a backup and a restore do.
func exportRestore(t *testing.T, db *DB) string {
	t.Helper()
	cfg, err := db.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if err := EncodeConfig(&doc, cfg); err != nil {
		t.Fatal(err)
	}
	if err := db.ImportConfig(cfg); err != nil {
		t.Fatal(err)
	}
	return doc.String()
}

// A damaged value comes back as it is: the exchange, which knows its
// shape, decides (and ignores it); the database still opens.
func TestRuntimeMemoryDamagedValue(t *testing.T) {
	db, path := openTemp(t)
	if err := db.SaveRuntime(map[string][]byte{"group:sales": []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketRuntime)).Put([]byte("group:sales"), []byte("\x00garbage"))
	}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err = Open(path, testOptions())
	if err != nil {
		t.Fatalf("a damaged runtime value stops the database from opening: %v", err)
	}
	defer db.Close()
	if got, err := db.LoadRuntime(); err != nil || string(got["group:sales"]) != "\x00garbage" {
		t.Errorf("load: %q, %v", got, err)
	}
}

func TestRuntimeMemoryReadOnly(t *testing.T) {
	db, path := openTemp(t)
	db.Close()
	o := testOptions()
	o.ReadOnly = true
	ro, err := Open(path, o)
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	defer ro.Close()
	if err := ro.SaveRuntime(map[string][]byte{"a": []byte("1")}); err != ErrReadOnly {
		t.Errorf("save on a read-only database: %v", err)
	}
}
