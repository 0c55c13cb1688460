package diag

import (
	"context"
	"errors"
	"testing"
	"time"

	"minipbx/telephony/store"
)

func (x *box) setSchedule(d store.Diagnostics, tz string) {
	x.t.Helper()
	sys, err := x.db.System()
	if err != nil {
		x.t.Fatal(err)
	}
	sys.Diagnostics, sys.TimeZone = d, tz
	if _, err := x.db.UpdateSystem(sys); err != nil {
		x.t.Fatal(err)
	}
	x.r.Reschedule()
}

// startLoop runs the scheduler until the test ends.
func (x *box) startLoop() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.r.Loop(ctx) }()
	x.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// waitFor polls cond for up to 30 s.
func (x *box) waitFor(what string, cond func() bool) {
	x.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			x.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (x *box) runs() []store.DiagRun {
	runs, err := x.db.DiagRuns(0, 100)
	if err != nil {
		x.t.Fatal(err)
	}
	return runs
}

// A daily schedule runs at its local time, across the spring-forward
// night; results survive a restart; a run missed while the box was off
// runs once at the next start.
func TestScheduleLoopMissedRunAndRestart(t *testing.T) {
	x := newBox(t, 0, 0)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	x.clock.Set(time.Date(2026, 3, 28, 12, 0, 0, 0, berlin))
	x.setSchedule(store.Diagnostics{Mode: store.DiagDaily, At: "03:30", Tests: "storage,clock"}, "Europe/Berlin")
	x.startLoop()
	want := time.Date(2026, 3, 29, 3, 30, 0, 0, berlin) // CEST already: 01:30 UTC
	x.waitFor("the next run to be computed", func() bool { return x.r.State().Next.Equal(want) })
	if len(x.runs()) != 0 {
		t.Fatal("ran before its time")
	}
	// One minute early: nothing.
	x.waitFor("the scheduler to sleep", func() bool { return x.clock.Waiters() > 0 })
	x.clock.Set(want.Add(-time.Minute))
	time.Sleep(50 * time.Millisecond)
	if len(x.runs()) != 0 {
		t.Fatal("ran a minute early")
	}
	x.clock.Set(want)
	x.waitFor("the scheduled run", func() bool { return len(x.runs()) == 1 })
	run := x.runs()[0]
	if run.Trigger != TriggerSchedule || len(run.Results) != 2 || !run.Started.Equal(want) {
		t.Fatalf("run %+v", run)
	}
	x.waitFor("the next day's run", func() bool {
		return x.r.State().Next.Equal(time.Date(2026, 3, 30, 3, 30, 0, 0, berlin))
	})

	// The box is off for three days; at its start the missed run runs
	// once, then the schedule goes on from it.
	x.free.Store(1) // and it finds a fault
	x.clock.Set(time.Date(2026, 4, 2, 9, 0, 0, 0, berlin))
	x.open()
	if st := x.r.State(); st.Last == nil || st.Last.ID != run.ID || st.Alarm {
		t.Fatalf("after restart: %+v", st)
	}
	x.startLoop()
	x.waitFor("the missed run", func() bool { return len(x.runs()) == 2 })
	runs := x.runs()
	if runs[0].Trigger != TriggerMissed || runs[1].ID != run.ID {
		t.Fatalf("runs %+v", runs)
	}
	x.waitFor("the next run", func() bool {
		return x.r.State().Next.Equal(time.Date(2026, 4, 3, 3, 30, 0, 0, berlin))
	})
	time.Sleep(50 * time.Millisecond)
	if len(x.runs()) != 2 {
		t.Fatal("the missed run ran more than once")
	}
	if !x.r.Alarm() {
		t.Fatal("no alarm after the failed run")
	}
	// The alarm survives a restart too.
	x.open()
	if !x.r.Alarm() {
		t.Fatal("alarm lost across restart")
	}
}

// An interval schedule set while running counts from when it was set.
func TestScheduleIntervalFromChange(t *testing.T) {
	x := newBox(t, 0, 0)
	start := time.Date(2026, 11, 1, 0, 30, 0, 0, time.UTC)
	x.clock.Set(start)
	x.setSchedule(store.Diagnostics{Mode: store.DiagOff, Tests: "storage"}, "America/New_York")
	x.startLoop()
	x.waitFor("off", func() bool { return x.clock.Waiters() > 0 })
	if !x.r.State().Next.IsZero() {
		t.Fatal("off but a next run")
	}
	x.clock.Advance(time.Hour)
	x.setSchedule(store.Diagnostics{Mode: store.DiagInterval, Interval: "00:02", Tests: "storage"}, "America/New_York")
	want := start.Add(3 * time.Hour)
	x.waitFor("the next run", func() bool { return x.r.State().Next.Equal(want) })
	x.clock.Set(want)
	x.waitFor("the run", func() bool { return len(x.runs()) == 1 })
	x.waitFor("the run after", func() bool { return x.r.State().Next.Equal(want.Add(2 * time.Hour)) })
	// Manual runs do not move the schedule.
	x.run(store.DiagTestStorage)
	if !x.r.State().Next.Equal(want.Add(2 * time.Hour)) {
		t.Fatal("a manual run moved the schedule")
	}
}

// Start runs in the Loop's goroutine; a second Start while one is queued
// or running is refused.
func TestStart(t *testing.T) {
	x := newBox(t, 0, 0)
	if err := x.r.Start([]string{"bogus"}); err == nil {
		t.Fatal("unknown test accepted")
	}
	if err := x.r.Start([]string{store.DiagTestStorage}); err != nil {
		t.Fatal(err)
	}
	if err := x.r.Start(nil); err != ErrRunning {
		t.Fatalf("second start: %v", err)
	}
	x.startLoop()
	x.waitFor("the started run", func() bool { return len(x.runs()) == 1 })
	if r := x.runs()[0]; r.Trigger != TriggerManual || len(r.Results) != 1 {
		t.Fatalf("%+v", r)
	}
}

// failingStore refuses to store runs (a full disk).
type failingStore struct{ Store }

func (f failingStore) AppendDiagRun(store.DiagRun) (store.DiagRun, error) {
	return store.DiagRun{}, errors.New("disk full")
}

// A run that cannot be stored does not make the scheduler run again at
// once: the next run still counts from the due time.
func TestScheduleNoSpinWhenStoreFails(t *testing.T) {
	x := newBox(t, 0, 0)
	x.setSchedule(store.Diagnostics{Mode: store.DiagInterval, Interval: "00:01", Tests: "storage"}, "UTC")
	r, err := New(Options{Store: failingStore{x.db}, Clock: x.clock, Statfs: x.r.o.Statfs, KernelClock: x.r.o.KernelClock, ProcDir: x.r.o.ProcDir})
	if err != nil {
		t.Fatal(err)
	}
	x.r = r
	x.startLoop()
	due := x.clock.Now().Add(time.Hour)
	x.waitFor("the next run", func() bool { return r.State().Next.Equal(due) })
	x.clock.Set(due)
	x.waitFor("the run after the failed one", func() bool { return r.State().Next.Equal(due.Add(time.Hour)) })
}

// The schedule's anchor is found behind many manual runs.
func TestAnchorBehindManualRuns(t *testing.T) {
	x := newBox(t, 0, 0)
	at := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	if _, err := x.db.AppendDiagRun(store.DiagRun{Started: at, Finished: at, Trigger: TriggerSchedule, Verdict: store.VerdictPass}); err != nil {
		t.Fatal(err)
	}
	for i := range 45 {
		m := at.Add(time.Duration(i+1) * time.Minute)
		v := store.VerdictPass
		if i == 44 {
			v = store.VerdictFail
		}
		if _, err := x.db.AppendDiagRun(store.DiagRun{Started: m, Finished: m, Trigger: TriggerManual, Verdict: v}); err != nil {
			t.Fatal(err)
		}
	}
	x.open()
	if !x.r.lastAuto.Equal(at) || !x.r.Alarm() || x.r.State().Last.ID != 46 {
		t.Fatalf("anchor %v alarm %v last %+v", x.r.lastAuto, x.r.Alarm(), x.r.State().Last)
	}
}
