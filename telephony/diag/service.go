package diag

import (
	"context"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// ErrRunning: a run is in progress; one runs at a time. It is the
// telephony package's ErrDiagnosticsRunning, so that the web UI knows it.
var ErrRunning = telephony.ErrDiagnosticsRunning

// AdminStore is what the diagnostics' administration needs of the
// database (store.DB).
type AdminStore interface {
	System() (store.System, error)
	UpdateSystem(s store.System) (store.System, error)
	DiagRuns(before uint64, limit int) ([]store.DiagRun, error)
}

// Reloader takes a changed configuration into use (telephony.Exchange).
type Reloader interface{ Reload() error }

// Admin is the diagnostics' side of the web UI
// (telephony.DiagnosticsService): their state, their runs, running them
// now, and their settings.
type Admin struct {
	store  AdminStore
	runner *Runner // nil: the box runs no diagnostics
	reload Reloader
}

// NewAdmin makes the diagnostics' administration over the database, the
// runner (nil when the box has none) and what reloads the configuration.
func NewAdmin(st AdminStore, runner *Runner, reload Reloader) *Admin {
	return &Admin{store: st, runner: runner, reload: reload}
}

var _ telephony.DiagnosticsService = (*Admin)(nil)

// Diagnostics implements telephony.DiagnosticsService.
func (a *Admin) Diagnostics(ctx context.Context) (telephony.DiagnosticsStatus, error) {
	st := telephony.DiagnosticsStatus{Tests: store.DiagTests(), Available: a.runner != nil}
	sys, err := a.store.System()
	if err != nil {
		return st, err
	}
	st.Settings, st.TimeZone = sys.Diagnostics, sys.TimeZone
	if sched, err := ParseSchedule(sys.Diagnostics, sys.TimeZone); err == nil {
		st.Schedule = sched.String()
	}
	if a.runner != nil {
		ds := a.runner.State()
		st.Next, st.Running, st.Alarm, st.Last = ds.Next, ds.Running, ds.Alarm, ds.Last
	}
	return st, nil
}

// DiagnosticRuns implements telephony.DiagnosticsService.
func (a *Admin) DiagnosticRuns(ctx context.Context, before uint64, limit int) ([]store.DiagRun, error) {
	return a.store.DiagRuns(before, limit)
}

// RunDiagnostics implements telephony.DiagnosticsService.
func (a *Admin) RunDiagnostics(ctx context.Context, tests []string, wait bool) (store.DiagRun, error) {
	if a.runner == nil {
		return store.DiagRun{}, telephony.ErrNoDiagnostics
	}
	for _, t := range tests {
		if !validTest(t) {
			return store.DiagRun{}, &store.ValidationError{Fields: []store.FieldError{{Field: "tests", Message: "unknown test " + t}}}
		}
	}
	if !wait {
		return store.DiagRun{}, a.runner.Start(tests)
	}
	return a.runner.Run(ctx, TriggerManual, tests)
}

func validTest(t string) bool {
	for _, n := range store.DiagTests() {
		if n == t {
			return true
		}
	}
	return false
}

// UpdateDiagnostics implements telephony.DiagnosticsService: the settings
// are part of System, so the change goes through the same validation
// (errors on "diagnostics.interval" and the like).
func (a *Admin) UpdateDiagnostics(ctx context.Context, d store.Diagnostics) (store.Diagnostics, error) {
	sys, err := a.store.System()
	if err != nil {
		return store.Diagnostics{}, err
	}
	sys.Diagnostics = d
	st := a.store
	if as, ok := st.(interface{ As(store.Actor) *store.DB }); ok {
		st = as.As(store.ActorFrom(ctx)) // the audit log names who
	}
	sys, err = st.UpdateSystem(sys)
	if err != nil {
		return d, err
	}
	if a.reload != nil {
		if err := a.reload.Reload(); err != nil {
			return sys.Diagnostics, err
		}
	}
	if a.runner != nil {
		a.runner.Reschedule()
	}
	return sys.Diagnostics, nil
}
