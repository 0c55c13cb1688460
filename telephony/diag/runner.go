package diag

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/telephony/store"
)

// Store is what the runner needs of the database (telephony/store.DB).
type Store interface {
	System() (store.System, error)
	AppendDiagRun(r store.DiagRun) (store.DiagRun, error)
	DiagRuns(before uint64, limit int) ([]store.DiagRun, error)
	CheckConsistency() error
}

// Triggers of a run.
const (
	TriggerSchedule = "schedule"
	TriggerMissed   = "missed"
	TriggerManual   = "manual"
)

// DefaultPortWait is how long a test waits for a busy port before it
// reports it untested: a long call delays the test, it is never cut.
const DefaultPortWait = 30 * time.Minute

// recheck bounds the scheduler's sleep, so that a changed wall clock (NTP
// stepping it) or a changed setting is noticed within this.
const recheck = time.Minute

// Options configure a Runner.
type Options struct {
	Store Store // required
	// Ports are the analog ports (AnalogPorts); nil when the box has none.
	Ports Ports
	// Trunks lists the configured SIP trunks; nil until trunks exist.
	Trunks func() []Trunk
	Clock  Clock // SystemClock when nil
	Logger *slog.Logger
	// DataDir is the directory whose file system the storage test measures.
	DataDir string
	// ProcDir is /proc (tests point it at fixtures); CPUs the CPU count.
	ProcDir string
	CPUs    int
	// KernelClock and Statfs read the system (tests inject them).
	KernelClock func() (SyncState, error)
	Statfs      func(dir string) (FreeSpace, error)
	// PortWait bounds the wait for a busy port (DefaultPortWait).
	PortWait time.Duration
	// OnChange is called (in the runner's goroutine) when a run starts or
	// ends, or the next run changes: the exchange tells its subscribers.
	OnChange func()
}

// Runner runs the diagnostics. Create it with New; Loop runs the schedule.
type Runner struct {
	o     Options
	log   *slog.Logger
	wake  chan struct{}
	start chan []string // runs asked for with Start, run by Loop

	runMu sync.Mutex // held for a whole run

	mu       sync.Mutex
	running  bool
	next     time.Time
	alarm    bool
	lastAuto time.Time
	last     *store.DiagRun
}

// New checks o and loads the last run (for the alarm and the schedule).
func New(o Options) (*Runner, error) {
	if o.Store == nil {
		return nil, errors.New("diag: no store")
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ProcDir == "" {
		o.ProcDir = "/proc"
	}
	if o.CPUs <= 0 {
		o.CPUs = runtime.NumCPU()
	}
	if o.KernelClock == nil {
		o.KernelClock = kernelClock
	}
	if o.Statfs == nil {
		o.Statfs = statfs
	}
	if o.PortWait <= 0 {
		o.PortWait = DefaultPortWait
	}
	r := &Runner{o: o, log: o.Logger, wake: make(chan struct{}, 1), start: make(chan []string, 1)}
	// The newest run sets the alarm; the newest automatic one anchors the
	// schedule. Page back only as far as needed (a small box boots fast).
	var before uint64
	for {
		runs, err := o.Store.DiagRuns(before, store.DefaultDiagRunsPage)
		if err != nil {
			return nil, fmt.Errorf("diag: %w", err)
		}
		for i, run := range runs {
			if r.last == nil {
				r.last = &runs[i]
				r.alarm = run.Verdict == store.VerdictFail
			}
			if run.Trigger != TriggerManual {
				r.lastAuto = run.Started
				return r, nil
			}
		}
		if len(runs) < store.DefaultDiagRunsPage {
			return r, nil
		}
		before = runs[len(runs)-1].ID
	}
}

// State is a snapshot for status pages.
type State struct {
	Running bool
	Next    time.Time // zero when off
	Alarm   bool      // the last run failed
	Last    *store.DiagRun
}

// State returns the runner's state.
func (r *Runner) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return State{Running: r.running, Next: r.next, Alarm: r.alarm, Last: r.last}
}

// Alarm reports whether the last run failed (the status LED shows it).
func (r *Runner) Alarm() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.alarm
}

// Reschedule makes the scheduler read the settings again now (after a
// configuration change).
func (r *Runner) Reschedule() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Runner) changed() {
	if r.o.OnChange != nil {
		r.o.OnChange()
	}
}

func (r *Runner) schedule() (Schedule, error) {
	sys, err := r.o.Store.System()
	if err != nil {
		return Schedule{Mode: store.DiagOff}, err
	}
	return ParseSchedule(sys.Diagnostics, sys.TimeZone)
}

// Loop runs the schedule until ctx ends: a run missed while the box was
// off runs once at the start, then each run at its time.
func (r *Runner) Loop(ctx context.Context) error {
	start := r.o.Clock.Now()
	anchor := start
	first := true
	var prev Schedule
	for {
		sched, err := r.schedule()
		if err != nil {
			r.log.Error("diagnostics schedule unreadable: not running automatically", "err", err)
			sched = Schedule{Mode: store.DiagOff}
		}
		now := r.o.Clock.Now()
		r.mu.Lock()
		last := r.lastAuto
		r.mu.Unlock()
		if first {
			first = false
			if _, missed := sched.Due(last, now); missed {
				r.log.Info("diagnostics: a scheduled run was missed while the box was off; running it now", "last", last)
				r.runLogged(ctx, TriggerMissed, now)
				prev = sched
				continue
			}
		} else if !sameSchedule(sched, prev) {
			anchor = now // a new schedule counts from when it was set
		}
		prev = sched
		base := last
		if base.Before(anchor) {
			base = anchor
		}
		next := sched.Next(base)
		r.setNext(next)
		wait := recheck
		if !next.IsZero() {
			if d := next.Sub(now); d <= 0 {
				r.runLogged(ctx, TriggerSchedule, next)
				continue
			} else if d < wait {
				wait = d
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.o.Clock.After(wait):
		case <-r.wake:
		case tests := <-r.start:
			if _, err := r.Run(ctx, TriggerManual, tests); err != nil && ctx.Err() == nil {
				r.log.Error("diagnostics run failed", "trigger", TriggerManual, "err", err)
			}
		}
	}
}

func sameSchedule(a, b Schedule) bool {
	return a.Mode == b.Mode && a.Days == b.Days && a.Hours == b.Hours && a.Hour == b.Hour &&
		a.Minute == b.Minute && a.Loc.String() == b.Loc.String()
}

func (r *Runner) setNext(t time.Time) {
	r.mu.Lock()
	ch := !t.Equal(r.next)
	r.next = t
	r.mu.Unlock()
	if ch {
		r.changed()
	}
}

// runLogged runs the scheduled tests due at due. The next run counts from
// due, not from when this one could start (a port busy with a call may
// hold it up), and it does even when the run could not be stored, so that
// a full disk cannot make the scheduler run the tests back to back.
func (r *Runner) runLogged(ctx context.Context, trigger string, due time.Time) {
	if _, err := r.Run(ctx, trigger, nil); err != nil && ctx.Err() == nil {
		r.log.Error("diagnostics run failed", "trigger", trigger, "err", err)
	}
	if ctx.Err() == nil {
		r.mu.Lock()
		r.lastAuto = due
		r.mu.Unlock()
	}
}

// Start asks Loop to run the tests named (nil: the mask) now, in the
// background; ErrRunning when a run is in progress or already asked for.
func (r *Runner) Start(tests []string) error {
	for _, t := range tests {
		if !slices.Contains(store.DiagTests(), t) {
			return fmt.Errorf("diag: unknown test %q", t)
		}
	}
	if r.State().Running {
		return ErrRunning
	}
	select {
	case r.start <- tests:
		return nil
	default:
		return ErrRunning
	}
}

// Run runs the tests named (nil: the settings' mask) now and stores the
// run. It returns ErrRunning when a run is in progress.
func (r *Runner) Run(ctx context.Context, trigger string, tests []string) (store.DiagRun, error) {
	if !r.runMu.TryLock() {
		return store.DiagRun{}, ErrRunning
	}
	defer r.runMu.Unlock()
	sys, err := r.o.Store.System()
	if err != nil {
		return store.DiagRun{}, fmt.Errorf("diag: %w", err)
	}
	if tests == nil {
		tests = sys.Diagnostics.EnabledTests()
	}
	for _, t := range tests {
		if !slices.Contains(store.DiagTests(), t) {
			return store.DiagRun{}, fmt.Errorf("diag: unknown test %q", t)
		}
	}
	zone, err := dsp.LookupZone(sys.ToneZone)
	if err != nil {
		zone, _ = dsp.LookupZone("us")
	}
	r.mu.Lock()
	r.running = true
	r.mu.Unlock()
	r.changed()
	defer func() {
		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
		r.changed()
	}()

	run := store.DiagRun{Started: r.o.Clock.Now(), Trigger: trigger, Verdict: store.VerdictPass}
	r.log.Info("diagnostics started", "trigger", trigger, "tests", tests)
	for _, t := range store.DiagTests() {
		if !slices.Contains(tests, t) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		run.Results = append(run.Results, r.runTest(ctx, t, zone)...)
	}
	run.Finished = r.o.Clock.Now()
	if run.Finished.Before(run.Started) {
		run.Finished = run.Started
	}
	verdict := ""
	for _, res := range run.Results {
		verdict = store.WorstVerdict(verdict, res.Verdict)
		switch res.Verdict {
		case store.VerdictFail:
			r.log.Error("diagnostic test failed", "test", res.Test, "target", res.Target, "detail", res.Detail)
		case store.VerdictWarn:
			r.log.Warn("diagnostic test warns", "test", res.Test, "target", res.Target, "detail", res.Detail)
		}
	}
	if verdict == "" {
		verdict = store.VerdictSkip
	}
	run.Verdict = verdict
	if ctx.Err() != nil {
		return run, fmt.Errorf("diag: run stopped: %w", ctx.Err())
	}
	stored, err := r.o.Store.AppendDiagRun(run)
	if err != nil {
		return run, fmt.Errorf("diag: %w", err)
	}
	r.mu.Lock()
	r.last = &stored
	r.alarm = stored.Verdict == store.VerdictFail
	if trigger != TriggerManual {
		r.lastAuto = stored.Started
	}
	r.mu.Unlock()
	r.log.Info("diagnostics finished", "id", stored.ID, "verdict", stored.Verdict, "took", stored.Finished.Sub(stored.Started))
	return stored, nil
}

// runTest runs one test on every target it has.
func (r *Runner) runTest(ctx context.Context, test string, zone dsp.Zone) []store.DiagResult {
	switch test {
	case store.DiagTestStorage:
		return []store.DiagResult{r.testStorage(ctx)}
	case store.DiagTestClock:
		return []store.DiagResult{r.testClock(ctx)}
	case store.DiagTestResources:
		return []store.DiagResult{r.testResources(ctx)}
	case store.DiagTestTrunks:
		return r.testTrunks(ctx)
	}
	var kinds []board.Kind
	var fn func(context.Context, Reserved, *result) error
	switch test {
	case store.DiagTestFXS:
		kinds, fn = []board.Kind{board.FXS}, r.testFXS
	case store.DiagTestFXO:
		kinds, fn = []board.Kind{board.FXO}, func(ctx context.Context, res Reserved, out *result) error {
			return r.testFXO(ctx, res, out, zone)
		}
	case store.DiagTestLoopback:
		kinds, fn = []board.Kind{board.FXS, board.FXO}, r.testLoopback
	case store.DiagTestSignals:
		kinds, fn = []board.Kind{board.FXS, board.FXO}, func(ctx context.Context, res Reserved, out *result) error {
			return r.testSignals(ctx, res, out, zone.Code)
		}
	default:
		return nil
	}
	if r.o.Ports == nil {
		return []store.DiagResult{newResult(test, "ports").skip("not applicable: the box has no analog ports").r}
	}
	var out []store.DiagResult
	for _, p := range r.o.Ports.List() {
		if slices.Contains(kinds, p.Kind) {
			out = append(out, r.portTest(ctx, test, p, fn))
		}
	}
	if len(out) == 0 {
		out = append(out, newResult(test, "ports").skip("not applicable: no %v ports", kinds).r)
	}
	return out
}

// portTest reserves the port (waiting for a call on it to end), runs fn
// and gives the port back.
func (r *Runner) portTest(ctx context.Context, test string, p PortRef, fn func(context.Context, Reserved, *result) error) store.DiagResult {
	out := newResult(test, p.Target())
	wctx, cancel := context.WithTimeout(ctx, r.o.PortWait)
	res, err := r.o.Ports.Reserve(wctx, p.Kind, p.Number)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return out.skip("run stopped").r
		}
		return out.skip("not tested: the port stayed busy for %v (%v)", r.o.PortWait, err).r
	}
	defer res.Release()
	err = fn(ctx, res, out)
	switch {
	case errors.Is(err, errInterrupted):
		return out.skip("not tested: a call took the port during the test (calls come first)").r
	case errors.Is(err, errNoLoopback):
		return out.skip("not measurable: %v", err).r
	case err != nil && ctx.Err() != nil:
		return out.skip("run stopped").r
	case err != nil:
		out.fail("%v", err)
	}
	return out.r
}
