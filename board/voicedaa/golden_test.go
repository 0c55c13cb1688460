package voicedaa

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"minipbx/internal/testutil"
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
	testutil.Golden(t, name, got, *update)
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
