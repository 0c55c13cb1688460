package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Diagnostics are the settings of the periodic line and system tests
// (telephony/diag runs them). They live in System so that they are part of
// the one configuration document, exported and imported with it; the zero
// value (what a database written before diagnostics existed holds) is
// valid and means "off, every test, default retention".
type Diagnostics struct {
	// Mode is when the tests run by themselves: "off" (or ""), "interval"
	// (every Interval) or "daily" (at At, in System.TimeZone).
	Mode string `json:"mode,omitempty"`
	// Interval is "DD:HH": days 00–31 and hours 00–23, not both zero.
	Interval string `json:"interval,omitempty"`
	// At is a time of day "HH:MM" (24-hour clock).
	At string `json:"at,omitempty"`
	// Tests is the diagnostic mask: the names of the tests that run (see
	// DiagTests), separated by commas; empty means every test. (A string,
	// not a slice, keeps System comparable.)
	Tests string `json:"tests,omitempty"`
	// Retention is how many runs are kept (0: DefaultDiagRetention).
	Retention int `json:"retention,omitempty"`
}

// Diagnostic schedule modes.
const (
	DiagOff      = "off"
	DiagInterval = "interval"
	DiagDaily    = "daily"
)

// Names of the diagnostic tests, the words of the mask.
const (
	DiagTestFXS       = "fxs"       // FXS line test per port
	DiagTestFXO       = "fxo"       // FXO line test per port
	DiagTestLoopback  = "loopback"  // voice-path loopback: level and SNR
	DiagTestSignals   = "signals"   // DTMF and caller ID through the voice path
	DiagTestTrunks    = "trunks"    // SIP trunks: registration and reachability
	DiagTestStorage   = "storage"   // database consistency and free space
	DiagTestClock     = "clock"     // clock synchronisation
	DiagTestResources = "resources" // memory and CPU headroom
)

// DiagTests returns every test name, in the order the tests run.
func DiagTests() []string {
	return []string{DiagTestFXS, DiagTestFXO, DiagTestLoopback, DiagTestSignals, DiagTestTrunks,
		DiagTestStorage, DiagTestClock, DiagTestResources}
}

// SplitDiagTests splits a mask into its test names; "" gives nil (every
// test). Names are not checked here (validation does).
func SplitDiagTests(mask string) []string {
	if strings.TrimSpace(mask) == "" {
		return nil
	}
	var out []string
	for _, t := range strings.Split(mask, ",") {
		out = append(out, strings.TrimSpace(t))
	}
	return out
}

// EnabledTests is the list of tests d's mask selects, in running order.
func (d Diagnostics) EnabledTests() []string {
	mask := SplitDiagTests(d.Tests)
	if mask == nil {
		return DiagTests()
	}
	var out []string
	for _, t := range DiagTests() {
		if slices.Contains(mask, t) {
			out = append(out, t)
		}
	}
	return out
}

// Bounds of the diagnostics settings.
const (
	DefaultDiagRetention = 200
	// MaxDiagRetention keeps the results bucket small (a run of a full
	// box is a few kB).
	MaxDiagRetention    = 5000
	MaxDiagIntervalDays = 31
)

// ParseDiagInterval reads "DD:HH" (days 00–31, hours 00–23, two digits
// each, not both zero).
func ParseDiagInterval(s string) (time.Duration, error) {
	d, h, err := twoFields(s, "DD:HH")
	if err != nil {
		return 0, err
	}
	if d > MaxDiagIntervalDays {
		return 0, fmt.Errorf("days must be 00 to %02d, not %02d", MaxDiagIntervalDays, d)
	}
	if h > 23 {
		return 0, fmt.Errorf("hours must be 00 to 23, not %02d", h)
	}
	if d == 0 && h == 0 {
		return 0, errors.New("must not be 00:00 (use mode off to stop the tests)")
	}
	return time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour, nil
}

// FormatDiagInterval writes an interval of whole hours as "DD:HH".
func FormatDiagInterval(d time.Duration) string {
	h := int(d / time.Hour)
	return fmt.Sprintf("%02d:%02d", h/24, h%24)
}

// ParseDiagTimeOfDay reads "HH:MM" and returns the hour and minute.
func ParseDiagTimeOfDay(s string) (hour, minute int, err error) {
	h, m, err := twoFields(s, "HH:MM")
	if err != nil {
		return 0, 0, err
	}
	if h > 23 {
		return 0, 0, fmt.Errorf("hours must be 00 to 23, not %02d", h)
	}
	if m > 59 {
		return 0, 0, fmt.Errorf("minutes must be 00 to 59, not %02d", m)
	}
	return h, m, nil
}

// twoFields reads "NN:NN", exactly two digits on each side.
func twoFields(s, form string) (int, int, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok || len(a) != 2 || len(b) != 2 || !isDigits(a) || !isDigits(b) {
		return 0, 0, fmt.Errorf("must be written %s (two digits each), not %q", form, s)
	}
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x, y, nil
}

// checkDiagnostics adds the problems of d to a validation, with fields
// relative to System ("diagnostics.interval").
func checkDiagnostics(d Diagnostics, add func(field, format string, args ...any)) {
	const p = "diagnostics."
	switch d.Mode {
	case "", DiagOff:
	case DiagInterval:
		if _, err := ParseDiagInterval(d.Interval); err != nil {
			add(p+"interval", "%s", err.Error())
		}
	case DiagDaily:
		if _, _, err := ParseDiagTimeOfDay(d.At); err != nil {
			add(p+"at", "%s", err.Error())
		}
	default:
		add(p+"mode", "must be off, interval or daily, not %q", d.Mode)
	}
	if d.Mode != DiagInterval && d.Interval != "" {
		if _, err := ParseDiagInterval(d.Interval); err != nil {
			add(p+"interval", "%s", err.Error())
		}
	}
	if d.Mode != DiagDaily && d.At != "" {
		if _, _, err := ParseDiagTimeOfDay(d.At); err != nil {
			add(p+"at", "%s", err.Error())
		}
	}
	seen := map[string]bool{}
	if strings.TrimSpace(d.Tests) == "" && d.Tests != "" {
		add(p+"tests", "must name tests separated by commas, or be empty for every test")
	}
	for _, t := range SplitDiagTests(d.Tests) {
		switch {
		case !slices.Contains(DiagTests(), t):
			add(p+"tests", "unknown test %q (known: %s)", t, strings.Join(DiagTests(), ", "))
		case seen[t]:
			add(p+"tests", "test %q is listed twice", t)
		}
		seen[t] = true
	}
	if d.Retention < 0 || d.Retention > MaxDiagRetention {
		add(p+"retention", "must be 1 to %d runs (0: the default, %d)", MaxDiagRetention, DefaultDiagRetention)
	}
}

// Verdicts of a diagnostic test.
const (
	VerdictPass = "pass"
	VerdictWarn = "warn"
	VerdictFail = "fail"
	// VerdictSkip: the test did not apply (no trunks configured, a port
	// busy all through the run, a measurement the hardware cannot make).
	VerdictSkip = "skip"
)

// WorstVerdict orders verdicts: fail over warn over pass over skip.
func WorstVerdict(a, b string) string {
	rank := func(v string) int {
		switch v {
		case VerdictFail:
			return 3
		case VerdictWarn:
			return 2
		case VerdictPass:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// DiagRun is one run of the diagnostics, as kept in the results bucket.
type DiagRun struct {
	ID       uint64    `json:"id"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Trigger says why it ran: "schedule", "missed" (a scheduled run due
	// while the box was off), "manual".
	Trigger string       `json:"trigger"`
	Verdict string       `json:"verdict"` // the worst of the results
	Results []DiagResult `json:"results"`
}

// DiagResult is one test on one target.
type DiagResult struct {
	Test    string      `json:"test"`   // a DiagTests name
	Target  string      `json:"target"` // "fxs:1", "fxo:2", "trunks", "system"
	Verdict string      `json:"verdict"`
	Detail  string      `json:"detail,omitempty"`
	Values  []DiagValue `json:"values,omitempty"`
}

// DiagValue is one measured value with the limits it was judged against.
type DiagValue struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit,omitempty"`
	Verdict string  `json:"verdict"`
	Limits  string  `json:"limits,omitempty"` // e.g. "pass 40 to 60; warn 36 to 64"
}

const (
	bucketDiag = "diag"
	// DefaultDiagRunsPage and MaxDiagRunsPage bound DiagRuns.
	DefaultDiagRunsPage = 20
	MaxDiagRunsPage     = 500
)

// AppendDiagRun stores r with the next ID and drops the oldest runs beyond
// System.Diagnostics.Retention, in one transaction. The bucket is created
// on first use, so databases made before diagnostics existed need no
// migration.
func (db *DB) AppendDiagRun(r DiagRun) (DiagRun, error) {
	if db.readOnly {
		return DiagRun{}, ErrReadOnly
	}
	if r.Started.IsZero() || r.Finished.Before(r.Started) {
		return DiagRun{}, fmt.Errorf("store: diagnostic run: impossible times %v to %v", r.Started, r.Finished)
	}
	for i := range r.Results {
		res := &r.Results[i]
		res.Detail = cleanText(res.Detail)
		res.Target = cleanText(res.Target)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		var sys System
		if err := decodeValue("system", tx.Bucket([]byte(bucketSystem)).Get([]byte(keySystem)), db.schema, &sys); err != nil {
			return err
		}
		keep := sys.Diagnostics.Retention
		if keep <= 0 {
			keep = DefaultDiagRetention
		}
		b, err := tx.CreateBucketIfNotExists([]byte(bucketDiag))
		if err != nil {
			return err
		}
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		r.ID = id
		if err := putValue(b, string(cdrKey(id)), r); err != nil {
			return err
		}
		return trimRecords(b, id, keep, nil)
	})
	if err != nil {
		return DiagRun{}, fmt.Errorf("store: append diagnostic run: %w", err)
	}
	return r, nil
}

// DiagRuns returns at most limit runs older than ID before (0: from the
// newest), newest first.
func (db *DB) DiagRuns(before uint64, limit int) ([]DiagRun, error) {
	if limit <= 0 {
		limit = DefaultDiagRunsPage
	}
	limit = min(limit, MaxDiagRunsPage)
	out, err := newestFirst[DiagRun](db, bucketDiag, "diag_run", before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: diagnostic runs: %w", err)
	}
	return out, nil
}

// CheckConsistency runs bbolt's structural check of the whole file (page
// references, freelist, ordering of keys) in a read transaction and
// returns every problem found, joined; nil when the file is sound.
func (db *DB) CheckConsistency() error {
	var errs []error
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		// Drain the channel to the end so the checker's goroutine ends.
		for e := range tx.Check() {
			errs = append(errs, e)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: consistency check: %w", err)
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Errorf("and %d more problems", len(errs)-10))
	}
	if len(errs) > 0 {
		return fmt.Errorf("store: consistency check: %w", errors.Join(errs...))
	}
	return nil
}

// Validate checks d on its own, as UpdateSystem does (fields named
// "diagnostics.interval" and so on); nil when valid.
func (d Diagnostics) Validate() error {
	v := &ValidationError{}
	checkDiagnostics(d, func(field, format string, args ...any) { v.add(field, format, args...) })
	return v.err()
}
