package proslic

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden register transcripts in testdata")

// transcript renders recorded register traffic one transaction a line,
// naming the registers, so a change of sequence shows as a readable diff.
func transcript(ops []op) string {
	var b strings.Builder
	for _, o := range ops {
		if o.write {
			fmt.Fprintf(&b, "W DR%-3d %02x\n", o.reg, o.val)
		} else {
			fmt.Fprintf(&b, "R DR%-3d %02x\n", o.reg, o.val)
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

// TestRecordedTraffic pins the exact register traffic of the main
// sequences against transcripts recorded in testdata.
func TestRecordedTraffic(t *testing.T) {
	kept := Calibration{Variant: Si3215, Model: "Si3215", Revision: 5, Vector: [10]byte{0x11, 0x12, 0x10, 0x0f, 0x08, 0x88, 0x88, 0x80, 0x1f, 0x07}}
	r := mustRigKeep(t, func(_ *fakeSLIC, o *Opts) { o.Calibration = &kept })
	checkGolden(t, "new_restore_si3215.txt", transcript(r.chip.take()))

	if err := r.dev.Ring(true); err != nil {
		t.Fatal(err)
	}
	if err := r.dev.Ring(false); err != nil {
		t.Fatal(err)
	}
	if err := r.dev.SetRinger(20, 50); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "ring_si3215.txt", transcript(r.chip.take()))
}

// mustRigKeep is mustRig without discarding the initialisation traffic.
func mustRigKeep(t *testing.T, mutate func(*fakeSLIC, *Opts)) *rig {
	t.Helper()
	r, err := newRig(t, mutate)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}
