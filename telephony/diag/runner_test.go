package diag

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"minipbx/board/sim"
	"minipbx/telephony/analog"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// box is a simulated board with running analog ports, a store and a
// runner whose system readings are fixtures.
type box struct {
	t     *testing.T
	b     *sim.Board
	m     *analog.Manager
	db    *store.DB
	r     *Runner
	calls chan channel.Channel
	path  string
	clock *ManualClock
	sync  atomic.Bool
	free  atomic.Uint64 // percent free on the data file system
}

func newBox(t *testing.T, fxs, fxo int) *box {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := sim.New(sim.Config{FXS: fxs, FXO: fxo, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	x := &box{t: t, b: b, calls: make(chan channel.Channel, 8), path: filepath.Join(t.TempDir(), store.FileName),
		clock: NewManualClock(time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC))}
	x.sync.Store(true)
	x.free.Store(60)
	x.m, err = analog.New(analog.Config{Board: b, Logger: log, EchoTail: -1, OnCall: func(c channel.Channel) { x.calls <- c }})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		b.Close()
	})
	x.open()
	return x
}

// open (re)opens the store and makes a new runner, as a restart does.
func (x *box) open() {
	t := x.t
	if x.db != nil {
		x.db.Close()
	}
	l := store.Limits{FXSPorts: len(x.m.PortStates()), FXOPorts: 0}
	for _, s := range x.m.PortStates() {
		if s.Kind.String() == "fxo" {
			l.FXOPorts++
			l.FXSPorts--
		}
	}
	db, err := store.Open(x.path, store.Options{Limits: &l})
	if err != nil {
		t.Fatal(err)
	}
	x.db = db
	t.Cleanup(func() { db.Close() })
	proc := t.TempDir()
	os.WriteFile(filepath.Join(proc, "meminfo"), []byte("MemTotal:  262144 kB\nMemFree: 100000 kB\nMemAvailable: 150000 kB\n"), 0o600)
	os.WriteFile(filepath.Join(proc, "loadavg"), []byte("0.20 0.10 0.05 1/80 1234\n"), 0o600)
	x.r, err = New(Options{Store: db, Ports: AnalogPorts(x.m), Clock: x.clock, DataDir: t.TempDir(), ProcDir: proc, CPUs: 1,
		KernelClock: func() (SyncState, error) { return SyncState{Synced: x.sync.Load(), MaxErrorUS: 20000}, nil },
		Statfs: func(string) (FreeSpace, error) {
			return FreeSpace{AvailBytes: x.free.Load() << 30 / 100, TotalBytes: 1 << 30}, nil
		},
		PortWait: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (x *box) run(tests ...string) store.DiagRun {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run, err := x.r.Run(ctx, TriggerManual, tests)
	if err != nil {
		x.t.Fatal(err)
	}
	return run
}

func verdicts(run store.DiagRun) map[string]string {
	out := map[string]string{}
	for _, r := range run.Results {
		out[r.Test+" "+r.Target] = r.Verdict
	}
	return out
}

func dump(run store.DiagRun) string {
	var b strings.Builder
	for _, r := range run.Results {
		b.WriteString("\n  " + r.Test + " " + r.Target + ": " + r.Verdict + " " + r.Detail)
		for _, v := range r.Values {
			b.WriteString("\n      " + v.Name + " = " + num(v.Value) + " " + v.Unit + " " + v.Verdict + " (" + v.Limits + ")")
		}
	}
	return b.String()
}

// A healthy simulated box passes every test; trunks are not applicable.
func TestHealthyBoxPasses(t *testing.T) {
	x := newBox(t, 1, 1)
	run := x.run()
	want := map[string]string{
		"fxs fxs:1": "pass", "fxo fxo:1": "pass",
		"loopback fxs:1": "pass", "loopback fxo:1": "pass",
		"signals fxs:1": "pass", "signals fxo:1": "pass",
		"trunks trunks": "skip", "storage system": "pass", "clock system": "pass", "resources system": "pass",
	}
	got := verdicts(run)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if len(got) != len(want) || run.Verdict != store.VerdictPass || x.r.Alarm() {
		t.Errorf("run verdict %s, alarm %v, %d results%s", run.Verdict, x.r.Alarm(), len(got), dump(run))
	}
	if t.Failed() {
		t.Log(dump(run))
	}
}

// Each injected fault is found on its own port with the right verdict,
// and nothing else fails: four faulty FXS ports and a healthy one, three
// faulty FXO lines and a healthy one, and the system faults.
func TestFaultsFound(t *testing.T) {
	x := newBox(t, 5, 4)
	faults := []sim.FXSFault{sim.FXSFaultNoBattery, sim.FXSFaultShort, sim.FXSFaultForeignVoltage, sim.FXSFaultLeakage}
	for i, f := range faults {
		if err := x.b.Phone(i + 1).SetLineFault(f); err != nil {
			t.Fatal(err)
		}
	}
	x.b.Phone(5).SetREN(2)
	x.b.Line(1).SetBattery(false)
	x.b.Line(2).SetNoise(-30)
	x.b.Line(3).SetDialTone(false)
	x.sync.Store(false)
	x.free.Store(2)

	run := x.run(store.DiagTestFXS, store.DiagTestFXO, store.DiagTestTrunks, store.DiagTestStorage,
		store.DiagTestClock, store.DiagTestResources)
	want := map[string]string{
		"fxs fxs:1":        "fail", // no battery
		"fxs fxs:2":        "fail", // short
		"fxs fxs:3":        "fail", // foreign voltage
		"fxs fxs:4":        "warn", // leakage
		"fxs fxs:5":        "pass",
		"fxo fxo:1":        "fail", // no battery
		"fxo fxo:2":        "fail", // high noise
		"fxo fxo:3":        "fail", // no dial tone
		"fxo fxo:4":        "pass",
		"trunks trunks":    "skip",
		"storage system":   "fail", // 2 % free
		"clock system":     "warn", // not synchronised
		"resources system": "pass",
	}
	got := verdicts(run)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d results, want %d", len(got), len(want))
	}
	// The reasons name the fault.
	for _, c := range []struct{ target, words string }{
		{"fxs:1", "no battery"}, {"fxs:2", "short"}, {"fxs:3", "foreign voltage"}, {"fxs:4", "leakage"},
		{"fxo:1", "no line voltage"}, {"fxo:2", "noisy"}, {"fxo:3", "no dial tone"},
	} {
		for _, r := range run.Results {
			if r.Target == c.target && !strings.Contains(r.Detail, c.words) {
				t.Errorf("%s %s: detail %q does not say %q", r.Test, r.Target, r.Detail, c.words)
			}
		}
	}
	if !x.r.Alarm() || run.Verdict != store.VerdictFail {
		t.Error("no alarm after failures")
	}
	if t.Failed() {
		t.Log(dump(run))
	}
}

// Loopback and signals stay healthy on a line with faults (they test the
// port's codec path, not the line).
func TestLoopbackIgnoresLineFaults(t *testing.T) {
	x := newBox(t, 0, 1)
	x.b.Line(1).SetNoise(-30)
	run := x.run(store.DiagTestLoopback)
	if v := verdicts(run)["loopback fxo:1"]; v != "pass" {
		t.Fatalf("loopback on a noisy line: %s%s", v, dump(run))
	}
	r := run.Results[0]
	if len(r.Values) != 2 || r.Values[0].Name != "level" || r.Values[1].Name != "SNR" || r.Values[1].Value < 30 {
		t.Fatalf("values %+v", r.Values)
	}
}

// A diagnostic that falls due during a call waits for the call to end,
// and the call is not disturbed.
func TestWaitsForCall(t *testing.T) {
	x := newBox(t, 1, 0)
	ph := x.b.Phone(1)
	ph.OffHook()
	var c channel.Channel
	select {
	case c = <-x.calls:
	case <-time.After(5 * time.Second):
		t.Fatal("no call")
	}
	// The schedule falls due during the call.
	x.setSchedule(store.Diagnostics{Mode: store.DiagInterval, Interval: "00:01", Tests: "fxs,loopback"}, "UTC")
	x.startLoop()
	due := x.clock.Now().Add(time.Hour)
	x.waitFor("the next run", func() bool { return x.r.State().Next.Equal(due) })
	x.clock.Set(due)
	x.waitFor("the run to start", func() bool { return x.r.State().Running })
	if err := x.b.WaitFrames(context.Background(), 50); err != nil { // one second of call
		t.Fatal(err)
	}
	if runs := x.runs(); len(runs) != 0 {
		t.Fatalf("ran during the call:%s", dump(runs[0]))
	}
	if !x.r.State().Running {
		t.Fatal("not waiting for the port")
	}
	if _, err := x.r.Run(context.Background(), TriggerManual, nil); err != ErrRunning {
		t.Fatalf("second run: %v, want ErrRunning", err)
	}
	// The call still hears its dial tone: nothing took its audio.
	ph.Record()
	x.b.WaitFrames(context.Background(), 25)
	if lv := sim.Level(ph.StopRecording()); lv < -30 {
		t.Fatalf("the phone in its call hears %.1f dBm0: its audio was disturbed", lv)
	}
	select {
	case ev := <-c.Events():
		if ev.Type == channel.EventHangup {
			t.Fatal("the call was hung up")
		}
	default:
	}
	ph.OnHook()
	x.waitFor("the run after the call", func() bool { return len(x.runs()) == 1 })
	run := x.runs()[0]
	if got := verdicts(run); got["fxs fxs:1"] != "pass" || got["loopback fxs:1"] != "pass" || run.Trigger != TriggerSchedule {
		t.Fatalf("after the call:%s", dump(run))
	}
}
