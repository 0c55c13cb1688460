package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Concurrent writers and readers: every record gets a distinct ID, every
// valid extension lands, and readers always see a consistent document.
func TestConcurrentChanges(t *testing.T) {
	db, _ := openTemp(t)
	var wg sync.WaitGroup
	ids := make(chan uint64, 200)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				r, err := db.AppendCallRecord(rec(i))
				if err != nil {
					t.Error(err)
					return
				}
				ids <- r.ID
				if i%5 == 0 {
					n := fmt.Sprintf("%d%d%d", 2+g, i/10, i%10)
					if _, err := db.CreateExtension(Extension{Number: n}); err != nil {
						t.Error(err)
					}
				}
				if c, err := db.Config(); err != nil || len(c.FXOLines) != 2 {
					t.Errorf("inconsistent read: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[uint64]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("ID %d given twice", id)
		}
		seen[id] = true
	}
	if exts, _ := db.Extensions(); len(exts) != 2+4*5 {
		t.Errorf("%d extensions", len(exts))
	}
}

// Snapshot writes a complete database that opens on its own.
func TestSnapshot(t *testing.T) {
	db, _ := openTemp(t)
	db.CreateExtension(Extension{Number: "123"})
	var buf bytes.Buffer
	if _, err := db.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := writeFile(path, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	cp, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if _, err := cp.Extension("123"); err != nil {
		t.Error(err)
	}
}

// Open creates a missing data directory.
func TestOpenCreatesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", FileName)
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }
