package telephony

import (
	"context"
	"errors"
	"time"

	"minipbx/telephony/diag"
	"minipbx/telephony/store"
)

// DiagnosticsStatus is what the diagnostics page shows.
type DiagnosticsStatus struct {
	// Available is false when the box runs no diagnostics.
	Available bool              `json:"available"`
	Settings  store.Diagnostics `json:"settings"`
	// Schedule says the schedule in words; TimeZone is the box's zone,
	// that of a daily run.
	Schedule string    `json:"schedule"`
	TimeZone string    `json:"time_zone"`
	Next     time.Time `json:"next,omitzero"`
	Running  bool      `json:"running"`
	// Alarm: the last run failed (the status LED is lit).
	Alarm bool           `json:"alarm"`
	Tests []string       `json:"tests"` // every test, in running order
	Last  *store.DiagRun `json:"last,omitempty"`
}

// ErrDiagnosticsRunning: a run is in progress (one runs at a time).
var ErrDiagnosticsRunning = diag.ErrRunning

// ErrNoDiagnostics: the exchange was built without a diagnostics runner.
var ErrNoDiagnostics = errors.New("telephony: diagnostics are not available on this box")

type diagStore interface {
	DiagRuns(before uint64, limit int) ([]store.DiagRun, error)
}

// Diagnostics implements Service.
func (x *Exchange) Diagnostics(ctx context.Context) (DiagnosticsStatus, error) {
	st := DiagnosticsStatus{Tests: store.DiagTests(), Available: x.diag != nil}
	s, err := x.sstore()
	if err != nil {
		return st, err
	}
	sys, err := s.System()
	if err != nil {
		return st, err
	}
	st.Settings, st.TimeZone = sys.Diagnostics, sys.TimeZone
	if sched, err := diag.ParseSchedule(sys.Diagnostics, sys.TimeZone); err == nil {
		st.Schedule = sched.String()
	}
	if x.diag != nil {
		ds := x.diag.State()
		st.Next, st.Running, st.Alarm, st.Last = ds.Next, ds.Running, ds.Alarm, ds.Last
	}
	return st, nil
}

// DiagnosticRuns implements Service.
func (x *Exchange) DiagnosticRuns(ctx context.Context, before uint64, limit int) ([]store.DiagRun, error) {
	ds, ok := x.store.(diagStore)
	if !ok {
		return nil, ErrNoDiagnostics
	}
	return ds.DiagRuns(before, limit)
}

// RunDiagnostics implements Service.
func (x *Exchange) RunDiagnostics(ctx context.Context, tests []string, wait bool) (store.DiagRun, error) {
	if x.diag == nil {
		return store.DiagRun{}, ErrNoDiagnostics
	}
	for _, t := range tests {
		if !validTest(t) {
			return store.DiagRun{}, &store.ValidationError{Fields: []store.FieldError{{Field: "tests", Message: "unknown test " + t}}}
		}
	}
	if !wait {
		return store.DiagRun{}, x.diag.Start(tests)
	}
	return x.diag.Run(ctx, diag.TriggerManual, tests)
}

func validTest(t string) bool {
	for _, n := range store.DiagTests() {
		if n == t {
			return true
		}
	}
	return false
}

// UpdateDiagnostics implements Service: the settings are part of System,
// so the change goes through the same validation (errors on
// "diagnostics.interval" and the like).
func (x *Exchange) UpdateDiagnostics(ctx context.Context, d store.Diagnostics) (store.Diagnostics, error) {
	s, err := x.sstore()
	if err != nil {
		return store.Diagnostics{}, err
	}
	sys, err := s.System()
	if err != nil {
		return store.Diagnostics{}, err
	}
	sys.Diagnostics = d
	sys, err = s.UpdateSystem(sys)
	if err != nil {
		return d, err
	}
	if err := x.changed(); err != nil {
		return sys.Diagnostics, err
	}
	if x.diag != nil {
		x.diag.Reschedule()
	}
	return sys.Diagnostics, nil
}
