package voicedaa

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden register transcripts in testdata")

func transcript(ops []op) string {
	var b strings.Builder
	for _, o := range ops {
		if o.write {
			fmt.Fprintf(&b, "W %-3d %02x\n", o.reg, o.val)
		} else {
			fmt.Fprintf(&b, "R %-3d %02x\n", o.reg, o.val)
		}
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
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

// TestRecordedTraffic pins the register traffic of initialisation (German
// settings, μ-law, timeslot 6) and of a seize, flash and release.
func TestRecordedTraffic(t *testing.T) {
	r, err := newRig(t, func(_ *fakeDAA, o *Opts) { o.Country = "de"; o.Law = ULaw; o.TxGainDB = -3.5 })
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "new_de.txt", transcript(r.chip.take()))
	if err := r.dev.Seize(); err != nil {
		t.Fatal(err)
	}
	if err := r.dev.Flash(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := r.dev.Release(); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "seize_flash_release.txt", transcript(r.chip.take()))
}
