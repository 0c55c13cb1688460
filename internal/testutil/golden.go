package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Golden compares got with the recorded file testdata/name, naming the
// first line that differs; with update it records got instead (each
// package's `go test -update` flag).
func Golden(t testing.TB, name, got string, update bool) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to record it)", err)
	}
	if string(want) != got {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s: line %d is %q, recorded %q (%d vs %d lines)", name, i+1, gl[i], wl[i], len(gl), len(wl))
			}
		}
		t.Fatalf("%s: %d lines, recorded %d", name, len(gl), len(wl))
	}
}
