package diag

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"minipbx/board"
	"minipbx/telephony/store"
)

func TestLimits(t *testing.T) {
	for _, c := range []struct {
		l    Limits
		v    float64
		want string
	}{
		{atLeast(40, 30), 48, "pass"}, {atLeast(40, 30), 35, "warn"}, {atLeast(40, 30), 10, "fail"},
		{atMost(1, 5), 0, "pass"}, {atMost(1, 5), 3, "warn"}, {atMost(1, 5), 42, "fail"},
		{within(40, 60, 30, 75), 56, "pass"}, {within(40, 60, 30, 75), 70, "warn"}, {within(40, 60, 30, 75), 80, "fail"},
		{atMost(-55, -40), math.Inf(-1), "pass"}, // silence is below any noise limit
	} {
		if got := c.l.Judge(c.v); got != c.want {
			t.Errorf("%v.Judge(%v) = %s, want %s", c.l, c.v, got, c.want)
		}
	}
	if s := within(40, 60, 30, 75).String(); s != "pass 40 to 60; warn 30 to 75" {
		t.Errorf("String %q", s)
	}
	if s := atMost(-55, -40).String(); s != "pass ≤ -55; warn ≤ -40" {
		t.Errorf("String %q", s)
	}
}

func TestReadProc(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "meminfo"), []byte("MemTotal:       2048000 kB\nMemFree:  100 kB\nMemAvailable:   512000 kB\nHugePages_Total:       0\n"), 0o600)
	m, err := readMeminfo(filepath.Join(dir, "meminfo"))
	if err != nil || m["MemTotal"] != 2048000 || m["MemAvailable"] != 512000 {
		t.Fatalf("%v %v", m, err)
	}
	os.WriteFile(filepath.Join(dir, "bad"), []byte("nothing here\n"), 0o600)
	if _, err := readMeminfo(filepath.Join(dir, "bad")); err == nil {
		t.Fatal("meminfo without MemTotal accepted")
	}
	for in, want := range map[string]float64{"0.52 0.58 0.59 2/467 12345\n": 0.52, "3.00": 3} {
		if got, err := parseLoad(in); err != nil || got != want {
			t.Errorf("%q = %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "x 1 2", "-1 0 0", "NaN"} {
		if _, err := parseLoad(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParseLoad(f *testing.F) {
	f.Add("0.52 0.58 0.59 2/467 12345\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := parseLoad(s); err == nil && !(v >= 0 && v <= 1e6) {
			t.Fatalf("%q -> %v", s, v)
		}
	})
}

// The real system readers work on this machine (values not judged).
func TestRealSystem(t *testing.T) {
	if _, err := kernelClock(); err != nil {
		t.Logf("adjtimex not readable here: %v (the clock test reports skip)", err)
	}
	fs, err := statfs(t.TempDir())
	if err != nil || fs.TotalBytes == 0 || fs.AvailBytes > fs.TotalBytes {
		t.Fatalf("statfs: %+v %v", fs, err)
	}
	if _, err := readMeminfo("/proc/meminfo"); err != nil {
		t.Skipf("no /proc/meminfo: %v", err)
	}
}

func TestSineFit(t *testing.T) {
	s := make([]int16, 8000)
	sineGen(testToneHz, -10)(s)
	level, snr := sineFit(s, testToneHz)
	if level < -10.1 || level > -9.9 || snr < 60 {
		t.Fatalf("level %.2f snr %.1f", level, snr)
	}
	if f := strongest(s); f < 1003 || f > 1005 {
		t.Fatalf("strongest %v", f)
	}
	if l := rmsDBm0(make([]int16, 160)); l > -900 && l == l {
		t.Fatalf("silence %v", l)
	}
}

// The tape allocates nothing on the board's clock.
func BenchmarkTapeFrame(b *testing.B) {
	tp := &tape{tx: make([]int16, 1<<20), rx: make([]int16, 1<<20), done: make(chan struct{})}
	var rx, tx board.Frame
	b.ReportAllocs()
	for b.Loop() {
		if tp.pos+board.FrameSamples > len(tp.rx) {
			tp.pos = 0
		}
		tp.frame(&rx, &tx)
	}
}

func TestTrunksNotApplicable(t *testing.T) {
	r := &Runner{}
	res := r.testTrunks(context.Background())
	if len(res) != 1 || res[0].Verdict != store.VerdictSkip || res[0].Detail != "not applicable: no trunks configured" {
		t.Fatalf("%+v", res)
	}
	r.o.Trunks = func() []Trunk { return []Trunk{deadTrunk{}} }
	res = r.testTrunks(context.Background())
	if len(res) != 1 || res[0].Verdict != store.VerdictFail || res[0].Target != "trunk:provider" || res[0].Test != store.DiagTestTrunks {
		t.Fatalf("%+v", res)
	}
}

// deadTrunk is a trunk whose proxy never answers: how a trunk plugs in.
type deadTrunk struct{}

func (deadTrunk) Name() string { return "trunk:provider" }
func (deadTrunk) Check(ctx context.Context) store.DiagResult {
	return store.DiagResult{Verdict: store.VerdictFail, Detail: "no answer to OPTIONS"}
}
