package webui

import (
	"context"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// fakeDiag is the fake service's diagnostics: runs are made up by the
// tests (addRun), a run started adds one.
type fakeDiag struct {
	runs    []store.DiagRun // newest first
	running bool
	next    time.Time
	started [][]string // tests of each RunDiagnostics
}

func (f *fakeService) addRun(r store.DiagRun) store.DiagRun {
	f.mu.Lock()
	r.ID = uint64(len(f.diag.runs) + 1)
	f.diag.runs = append([]store.DiagRun{r}, f.diag.runs...)
	f.mu.Unlock()
	f.emit("diagnostics", func(*telephony.Status) {})
	return r
}

func (f *fakeService) Diagnostics(ctx context.Context) (telephony.DiagnosticsStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := telephony.DiagnosticsStatus{Available: true, Settings: f.sys.Diagnostics, TimeZone: f.sys.TimeZone,
		Schedule: "off", Next: f.diag.next, Running: f.diag.running, Tests: store.DiagTests()}
	if len(f.diag.runs) > 0 {
		last := f.diag.runs[0]
		st.Last = &last
		st.Alarm = last.Verdict == store.VerdictFail
	}
	return st, nil
}

func (f *fakeService) DiagnosticRuns(ctx context.Context, before uint64, limit int) ([]store.DiagRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.DiagRun
	for _, r := range f.diag.runs {
		if (before == 0 || r.ID < before) && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeService) RunDiagnostics(ctx context.Context, tests []string, wait bool) (store.DiagRun, error) {
	f.mu.Lock()
	if f.diag.running {
		f.mu.Unlock()
		return store.DiagRun{}, telephony.ErrDiagnosticsRunning
	}
	f.diag.started = append(f.diag.started, tests)
	f.mu.Unlock()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	r := f.addRun(store.DiagRun{Started: now, Finished: now.Add(time.Second), Trigger: "manual", Verdict: store.VerdictPass,
		Results: []store.DiagResult{{Test: store.DiagTestStorage, Target: "system", Verdict: store.VerdictPass}}})
	if !wait {
		return store.DiagRun{}, nil
	}
	return r, nil
}

func (f *fakeService) UpdateDiagnostics(ctx context.Context, d store.Diagnostics) (store.Diagnostics, error) {
	if err := d.Validate(); err != nil {
		return d, err
	}
	f.mu.Lock()
	f.sys.Diagnostics = d
	f.writes++
	f.mu.Unlock()
	return d, nil
}
