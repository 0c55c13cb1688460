package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// How many runs the diagnostics page compares and draws trends over.
const (
	diagSideBySide = 5
	diagTrendRuns  = 30
)

// testLabels are the names installers read for the tests.
var testLabels = map[string]string{
	store.DiagTestFXS:       "FXS line test (battery, tip/ring, foreign voltage, leakage, REN)",
	store.DiagTestFXO:       "FXO line test (line voltage, loop current, dial tone, noise)",
	store.DiagTestLoopback:  "Voice path loopback (level, SNR)",
	store.DiagTestSignals:   "DTMF and caller ID through the voice path",
	store.DiagTestTrunks:    "SIP trunks (registration, reachability)",
	store.DiagTestStorage:   "Storage (database check, free space)",
	store.DiagTestClock:     "Clock synchronisation",
	store.DiagTestResources: "Memory and CPU headroom",
}

// diagForm is the schedule and mask form.
func diagForm(d store.Diagnostics) *form {
	mode := d.Mode
	if mode == "" {
		mode = store.DiagOff
	}
	f := &form{ID: "diag-form", Action: "/diagnostics", Submit: "Save schedule", Fields: []*field{
		{ID: "diag-mode", Name: "mode", Label: "Automatic start", Type: "select", Value: mode, Options: selectOptions([]option{
			{Value: store.DiagOff, Label: "Off"},
			{Value: store.DiagInterval, Label: "Every interval (DD:HH)"},
			{Value: store.DiagDaily, Label: "At a time of day (HH:MM)"},
		}, mode, "unknown"),
			Help: "Off, every interval, or every day at a time of day in the box's time zone."},
		{ID: "diag-interval", Name: "interval", Label: "Interval (DD:HH)", Type: "text", Value: d.Interval, MaxLength: 5, Autocomplete: "off",
			Help: "Days 00–31 and hours 00–23, e.g. 01:00 for daily, 00:06 for every six hours; not 00:00."},
		{ID: "diag-at", Name: "at", Label: "Time of day (HH:MM)", Type: "text", Value: d.At, MaxLength: 5, Autocomplete: "off",
			Help: "24-hour clock in the box's time zone, e.g. 03:30. A time skipped by a clock change runs at the change."},
	}}
	enabled := d.EnabledTests()
	for _, t := range store.DiagTests() {
		f.Fields = append(f.Fields, &field{ID: "diag-test-" + t, Name: "test_" + t, Label: testLabels[t], Type: "checkbox",
			Checked: slices.Contains(enabled, t)})
	}
	ret := d.Retention
	if ret == 0 {
		ret = store.DefaultDiagRetention
	}
	f.Fields = append(f.Fields, &field{ID: "diag-retention", Name: "retention", Label: "Runs kept", Type: "number",
		Value: strconv.Itoa(ret), Min: "1", Max: strconv.Itoa(store.MaxDiagRetention), InputMode: "numeric",
		Help: fmt.Sprintf("How many runs the box keeps (1 to %d); the oldest are deleted.", store.MaxDiagRetention)})
	return f
}

func parseDiagForm(f *form, v url.Values) store.Diagnostics {
	d := store.Diagnostics{
		Mode:     strings.TrimSpace(v.Get("mode")),
		Interval: strings.TrimSpace(v.Get("interval")),
		At:       strings.TrimSpace(v.Get("at")),
	}
	f.field("mode").Value = d.Mode
	f.field("mode").Options = selectOptions(f.field("mode").Options, d.Mode, "unknown")
	f.field("interval").Value = d.Interval
	f.field("at").Value = d.At
	var tests []string
	for _, t := range store.DiagTests() {
		on := v.Get("test_"+t) == "on"
		f.field("test_" + t).Checked = on
		if on {
			tests = append(tests, t)
		}
	}
	if len(tests) == 0 {
		f.Errors = append(f.Errors, "Choose at least one test.")
	} else if len(tests) < len(store.DiagTests()) {
		d.Tests = strings.Join(tests, ",")
	}
	d.Retention = intField(f, "retention", v, -anyInt, anyInt, "the number of runs")
	// Only the fields of the chosen mode are kept: a stale value of the
	// other mode must not block saving.
	switch d.Mode {
	case store.DiagInterval:
		d.At = ""
	case store.DiagDaily:
		d.Interval = ""
	default:
		d.Interval, d.At = "", ""
	}
	return d
}

// healthRow is one target's latest verdict per test.
type healthRow struct {
	Target string
	Cells  []healthCell // one per test, in store.DiagTests order
}

type healthCell struct {
	Verdict, Detail string
	When            time.Time
}

// sideRow is one (test, target) across the last runs.
type sideRow struct {
	Test, Target string
	Cells        []store.DiagResult // one per run; Verdict "" when absent
}

// trend is one measured value over the runs, with its sparkline.
type trend struct {
	Test, Target, Name, Unit string
	Last                     float64
	LastVerdict              string
	Limits                   string
	Points                   string // SVG polyline points
	Dots                     []trendDot
	Min, Max                 float64
	N                        int
}

type trendDot struct {
	X, Y    float64
	Verdict string
}

type diagBody struct {
	Status    telephony.DiagnosticsStatus
	Form      *form
	Loc       *time.Location
	Tests     []string
	Labels    map[string]string
	Health    []healthRow
	Runs      []store.DiagRun // the side-by-side runs, newest first
	Side      []sideRow
	Trends    []trend
	LastRun   *store.DiagRun
	HasFailed bool
}

func (s *Server) diagBody(ctx context.Context, f *form) (diagBody, error) {
	st, err := s.svc.Diagnostics(ctx)
	if err != nil {
		return diagBody{}, err
	}
	runs, err := s.svc.DiagnosticRuns(ctx, 0, diagTrendRuns)
	if err != nil {
		return diagBody{}, err
	}
	if f == nil {
		f = diagForm(st.Settings)
	}
	b := diagBody{Status: st, Form: f, Loc: s.location(ctx), Tests: store.DiagTests(), Labels: testLabels}
	if len(runs) > 0 {
		b.LastRun = &runs[0]
	}
	b.Health = healthOf(runs)
	b.Runs = runs[:min(len(runs), diagSideBySide)]
	b.Side = sideBySide(b.Runs)
	b.Trends = trendsOf(runs)
	return b, nil
}

// healthOf gives each target's most recent verdict per test.
func healthOf(runs []store.DiagRun) []healthRow {
	idx := map[string]int{}
	var rows []healthRow
	tests := store.DiagTests()
	for _, run := range runs { // newest first: the first seen wins
		for _, res := range run.Results {
			i, ok := idx[res.Target]
			if !ok {
				i = len(rows)
				idx[res.Target] = i
				rows = append(rows, healthRow{Target: res.Target, Cells: make([]healthCell, len(tests))})
			}
			c := &rows[i].Cells[slices.Index(tests, res.Test)]
			if c.Verdict == "" {
				*c = healthCell{Verdict: res.Verdict, Detail: res.Detail, When: run.Started}
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b healthRow) int { return targetOrder(a.Target) - targetOrder(b.Target) })
	return rows
}

// targetOrder puts ports first (FXS, FXO, by number), then trunks, then
// the system.
func targetOrder(t string) int {
	kind, n, _ := strings.Cut(t, ":")
	num, _ := strconv.Atoi(n)
	switch kind {
	case "fxs":
		return 100 + num
	case "fxo":
		return 200 + num
	case "trunks", "trunk":
		return 300 + num
	}
	return 400
}

func sideBySide(runs []store.DiagRun) []sideRow {
	type key struct{ test, target string }
	var order []key
	seen := map[key]bool{}
	for _, run := range runs {
		for _, r := range run.Results {
			k := key{r.Test, r.Target}
			if !seen[k] {
				seen[k] = true
				order = append(order, k)
			}
		}
	}
	tests := store.DiagTests()
	slices.SortStableFunc(order, func(a, b key) int {
		if d := slices.Index(tests, a.test) - slices.Index(tests, b.test); d != 0 {
			return d
		}
		return targetOrder(a.target) - targetOrder(b.target)
	})
	var rows []sideRow
	for _, k := range order {
		row := sideRow{Test: k.test, Target: k.target}
		for _, run := range runs {
			var cell store.DiagResult
			for _, r := range run.Results {
				if r.Test == k.test && r.Target == k.target {
					cell = r
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		rows = append(rows, row)
	}
	return rows
}

// Sparkline geometry (SVG user units).
const (
	sparkW, sparkH, sparkPad = 120.0, 28.0, 3.0
)

// trendsOf draws each judged value that was measured in at least two of
// the runs, oldest to newest.
func trendsOf(runs []store.DiagRun) []trend {
	type key struct{ test, target, name string }
	series := map[key][]store.DiagValue{}
	var order []key
	for i := len(runs) - 1; i >= 0; i-- {
		for _, r := range runs[i].Results {
			for _, v := range r.Values {
				if v.Limits == "" {
					continue // shown, not judged: no trend
				}
				k := key{r.Test, r.Target, v.Name}
				if _, ok := series[k]; !ok {
					order = append(order, k)
				}
				series[k] = append(series[k], v)
			}
		}
	}
	tests := store.DiagTests()
	slices.SortStableFunc(order, func(a, b key) int {
		if d := slices.Index(tests, a.test) - slices.Index(tests, b.test); d != 0 {
			return d
		}
		return targetOrder(a.target) - targetOrder(b.target)
	})
	var out []trend
	for _, k := range order {
		vs := series[k]
		if len(vs) < 2 {
			continue
		}
		out = append(out, sparkline(k.test, k.target, vs))
	}
	return out
}

func sparkline(test, target string, vs []store.DiagValue) trend {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = math.Min(lo, v.Value), math.Max(hi, v.Value)
	}
	last := vs[len(vs)-1]
	t := trend{Test: test, Target: target, Name: last.Name, Unit: last.Unit, Last: last.Value, LastVerdict: last.Verdict,
		Limits: last.Limits, Min: lo, Max: hi, N: len(vs)}
	span := hi - lo
	if span == 0 { // a flat line in the middle
		span = 1
		lo -= 0.5
	}
	var pts []string
	for i, v := range vs {
		x := sparkPad + float64(i)*(sparkW-2*sparkPad)/float64(len(vs)-1)
		y := sparkH - sparkPad - (v.Value-lo)/span*(sparkH-2*sparkPad)
		x, y = math.Round(x*10)/10, math.Round(y*10)/10
		pts = append(pts, strconv.FormatFloat(x, 'f', -1, 64)+","+strconv.FormatFloat(y, 'f', -1, 64))
		t.Dots = append(t.Dots, trendDot{X: x, Y: y, Verdict: v.Verdict})
	}
	t.Points = strings.Join(pts, " ")
	return t
}

func (s *Server) diagnosticsPage(w http.ResponseWriter, r *http.Request) {
	b, err := s.diagBody(r.Context(), nil)
	if err != nil {
		s.renderServiceError(w, r, "diagnostics", err)
		return
	}
	s.render(w, r, http.StatusOK, "diagnostics", pageData{Title: "Diagnostics", Active: "diagnostics", Body: b})
}

func (s *Server) diagnosticsSubmit(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Diagnostics(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "diagnostics", err)
		return
	}
	f := diagForm(st.Settings)
	d := parseDiagForm(f, r.PostForm)
	status := http.StatusUnprocessableEntity
	if !f.hasErrors() {
		if _, err := s.svc.UpdateDiagnostics(r.Context(), d); err == nil {
			s.setFlash(r, "Diagnostics schedule saved.")
			http.Redirect(w, r, "/diagnostics", http.StatusSeeOther)
			return
		} else {
			herr := s.serviceError("save diagnostics", err)
			status = herr.status
			f.applyErrors(herr.fields)
			if herr.fields == nil {
				f.Errors = append(f.Errors, herr.msg)
			}
		}
	}
	b, err := s.diagBody(r.Context(), f)
	if err != nil {
		s.renderServiceError(w, r, "diagnostics", err)
		return
	}
	s.render(w, r, status, "diagnostics", pageData{Title: "Diagnostics", Active: "diagnostics",
		Error: "The schedule was not saved; see the marked fields.", Body: b})
}

// diagnosticsRun starts a run in the background ("Run now").
func (s *Server) diagnosticsRun(w http.ResponseWriter, r *http.Request) {
	_, err := s.svc.RunDiagnostics(r.Context(), nil, false)
	switch {
	case err == nil:
		s.setFlash(r, "Diagnostics started: ports in a call are tested when their call ends. This page shows the results when the run is over.")
	case errors.Is(err, telephony.ErrDiagnosticsRunning):
		s.setFlash(r, "A diagnostic run is already in progress.")
	default:
		s.setFlash(r, fmt.Sprintf("Diagnostics could not start: %s", s.serviceError("run diagnostics", err).msg))
	}
	http.Redirect(w, r, "/diagnostics", http.StatusSeeOther)
}

// --- API ---------------------------------------------------------------------

func (s *Server) apiDiagnostics(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Diagnostics(r.Context())
	if err != nil {
		writeError(w, s.serviceError("diagnostics", err))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiUpdateDiagnostics(w http.ResponseWriter, r *http.Request) {
	var d store.Diagnostics
	if herr := readJSON(w, r, maxBody, &d); herr != nil {
		writeError(w, herr)
		return
	}
	out, err := s.svc.UpdateDiagnostics(r.Context(), d)
	if err != nil {
		writeError(w, s.serviceError("update diagnostics", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// runRequest is the body of POST /api/v1/diagnostics/run.
type runRequest struct {
	// Tests to run; empty: the settings' mask.
	Tests []string `json:"tests"`
	// Wait for the run and return it (default); false starts it in the
	// background and answers 202.
	Wait *bool `json:"wait"`
}

func (s *Server) apiRunDiagnostics(w http.ResponseWriter, r *http.Request) {
	var req runRequest
	if r.ContentLength != 0 {
		if herr := readJSON(w, r, maxBody, &req); herr != nil {
			writeError(w, herr)
			return
		}
	}
	wait := req.Wait == nil || *req.Wait
	var tests []string
	if len(req.Tests) > 0 {
		tests = req.Tests
	}
	run, err := s.svc.RunDiagnostics(r.Context(), tests, wait)
	switch {
	case errors.Is(err, telephony.ErrDiagnosticsRunning):
		writeError(w, errorf(http.StatusConflict, "A diagnostic run is already in progress; try again when it is over."))
		return
	case err != nil:
		writeError(w, s.serviceError("run diagnostics", err))
		return
	case !wait:
		writeJSON(w, http.StatusAccepted, map[string]bool{"started": true})
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func (s *Server) apiDiagnosticRuns(w http.ResponseWriter, r *http.Request) {
	before, limit, fields := parsePaging(r.URL.Query())
	if fields != nil {
		writeError(w, &httpError{status: http.StatusBadRequest, msg: "Bad query parameters.", fields: fields})
		return
	}
	runs, err := s.svc.DiagnosticRuns(r.Context(), before, limit)
	if err != nil {
		writeError(w, s.serviceError("diagnostic runs", err))
		return
	}
	if runs == nil {
		runs = []store.DiagRun{}
	}
	writeJSON(w, http.StatusOK, runs)
}

// keepOmitted gives a settings update without a "diagnostics" or a
// "max_calls" member the stored values, so that a client that predates
// them (or a settings form) does not switch the tests off or reset the
// limit of calls.
func keepOmitted(body []byte, st *store.System, cur store.System) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return
	}
	if _, ok := top["diagnostics"]; !ok {
		st.Diagnostics = cur.Diagnostics
	}
	if _, ok := top["max_calls"]; !ok {
		st.MaxCalls = cur.MaxCalls
	}
}

// verdictClass is the badge colour of a verdict.
func verdictClass(v string) string {
	switch v {
	case store.VerdictPass:
		return "good"
	case store.VerdictWarn:
		return "warn"
	case store.VerdictFail:
		return "bad"
	}
	return "quiet"
}

// formatNum writes a measured value without trailing zeros.
func formatNum(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
