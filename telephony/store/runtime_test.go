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
	db.Close()
	// preflight walks every page, the runtime bucket's included.
	if err := preflight(path); err != nil {
		t.Fatalf("preflight with a runtime bucket: %v", err)
	}
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatalf("reopen with a runtime bucket: %v", err)
	}
	defer db.Close()
	got, err := db.LoadRuntime()
	if err != nil || len(got) != 1 || string(got["group:sales"]) != `{"last_answered":"ext:203"}` {
		t.Fatalf("after reopening: %q, %v", got, err)
	}
	cfg, err := db.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if err := EncodeConfig(&doc, cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(doc.String(), "last_answered") || strings.Contains(doc.String(), "runtime") {
		t.Errorf("the runtime memory is in the configuration document:\n%s", doc.String())
	}
	// Importing a configuration (a restore) leaves it alone.
	if err := db.ImportConfig(cfg); err != nil {
		t.Fatal(err)
	}
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
