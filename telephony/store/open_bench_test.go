package store

import (
	"path/filepath"
	"testing"
)

// BenchmarkOpen10000Records measures Open (with its full verification)
// of a database holding the default 10000 call records.
func BenchmarkOpen10000Records(b *testing.B) {
	path := filepath.Join(b.TempDir(), FileName)
	db, err := Open(path, testOptions())
	if err != nil {
		b.Fatal(err)
	}
	r := rec(1)
	for range 10000 {
		if _, err := db.AppendCallRecord(r); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	b.ResetTimer()
	for b.Loop() {
		db, err := Open(path, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
