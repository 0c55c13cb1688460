package proslic

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"minipbx/internal/testutil"
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
	testutil.Golden(t, name, got, *update)
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
