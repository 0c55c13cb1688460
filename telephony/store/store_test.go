package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testOptions keep the password hashing cheap in tests.
func testOptions() Options {
	return Options{kdfIterations: 1000, noSync: true, Limits: &Limits{FXSPorts: 2, FXOPorts: 2}}
}

func openTemp(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pbx.db")
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestNewDatabaseDefaults(t *testing.T) {
	db, path := openTemp(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if leftovers, _ := filepath.Glob(path + ".new-*"); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
	c, err := db.Config()
	if err != nil {
		t.Fatal(err)
	}
	if c.System != DefaultSystem() {
		t.Errorf("system %+v, want %+v", c.System, DefaultSystem())
	}
	if len(c.Extensions) != 2 || c.Extensions[0].Number != "101" || c.Extensions[0].FXSPort != 1 ||
		c.Extensions[1].Number != "102" || c.Extensions[1].FXSPort != 2 || c.Extensions[1].Name != "FXS 2" ||
		!c.Extensions[0].OutsideCalls {
		t.Errorf("extensions %+v", c.Extensions)
	}
	for _, e := range c.Extensions {
		if len(e.Secret) != 20 || secretProblem(e.Secret) != "" {
			t.Errorf("generated secret %q is weak", e.Secret)
		}
	}
	if c.Extensions[0].Secret == c.Extensions[1].Secret {
		t.Error("two extensions got the same generated secret")
	}
	if len(c.FXOLines) != 2 {
		t.Fatalf("fxo lines %+v", c.FXOLines)
	}
	for i, l := range c.FXOLines {
		if l.Port != i+1 || !l.Enabled || l.AnswerAfterRings != 2 || l.Destination != "101" {
			t.Errorf("line %+v", l)
		}
	}
	// The defaults themselves pass validation.
	if err := db.ValidateConfig(c); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestDefaultsFollowPorts(t *testing.T) {
	for _, l := range []Limits{{0, 0}, {1, 0}, {4, 3}, {8, 8}} {
		c := DefaultConfig(l)
		v := &validator{limits: l}
		if is := v.check(&c); len(is) > 0 {
			t.Errorf("%+v: defaults invalid: %v", l, allIssues(is))
		}
		wantExt := max(l.FXSPorts, 1)
		if len(c.Extensions) != wantExt || len(c.FXOLines) != l.FXOPorts {
			t.Errorf("%+v: %d extensions, %d lines", l, len(c.Extensions), len(c.FXOLines))
		}
	}
}

func TestRestartKeepsData(t *testing.T) {
	db, path := openTemp(t)
	e, err := db.CreateExtension(Extension{Number: "205", Name: "Kitchen"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec, err := db.AppendCallRecord(CallRecord{Start: start, End: start.Add(time.Minute), Caller: "101", Callee: "205", Disposition: DispositionNoAnswer})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.EnsureAdminPassword(); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdminPassword("correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db2, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got, err := db2.Extension("205")
	if err != nil || got != e {
		t.Errorf("after restart: %+v, %v; want %+v", got, err, e)
	}
	recs, err := db2.CallRecords(0, 10)
	if err != nil || len(recs) != 1 || recs[0].ID != rec.ID || !recs[0].Start.Equal(start) || recs[0].Disposition != DispositionNoAnswer {
		t.Errorf("records after restart: %+v, %v", recs, err)
	}
	if ok, must, err := db2.CheckAdminPassword("correct horse battery"); !ok || must || err != nil {
		t.Errorf("password after restart: ok=%v must=%v err=%v", ok, must, err)
	}
	if pw, created, err := db2.EnsureAdminPassword(); created || pw != "" || err != nil {
		t.Errorf("EnsureAdminPassword on restart made a new password: %q %v %v", pw, created, err)
	}
}

func TestLocked(t *testing.T) {
	db, path := openTemp(t)
	_ = db
	o := testOptions()
	o.Timeout = 50 * time.Millisecond
	for _, ro := range []bool{false, true} {
		o.ReadOnly = ro
		_, err := Open(path, o)
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("readOnly=%v: got %v, want ErrLocked", ro, err)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "running pbxd") {
			t.Errorf("message %q should name the file and say the box is running", err)
		}
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.db")
	o := testOptions()
	o.ReadOnly = true
	if _, err := Open(path, o); err == nil {
		t.Fatal("read-only open created a database")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("read-only open left a file")
	}
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Config(); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.CreateExtension(Extension{Number: "300"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("write on read-only: %v", err)
	}
	if _, err := ro.ResetAdminPassword(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("password reset on read-only: %v", err)
	}
}

// pbxctl opens without knowing the board: it gets the limits pbxd stored.
func TestLimitsRemembered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.db")
	o := testOptions()
	o.Limits = &Limits{FXSPorts: 4, FXOPorts: 1}
	db, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	o.Limits = nil
	db, err = Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Limits() != (Limits{4, 1}) {
		t.Errorf("limits %+v", db.Limits())
	}
	if _, err := db.UpdateExtension("101", Extension{Number: "101", FXSPort: 4}); err == nil {
		// 104 is on port 4 already
		t.Error("duplicate FXS port accepted")
	}
}

// A board with fewer FXO ports drops the lines it lacks; more ports get
// default lines. Extensions on missing FXS ports are kept, reported, and do
// not block unrelated changes.
func TestBoardChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.db")
	o := testOptions()
	o.Limits = &Limits{FXSPorts: 4, FXOPorts: 4}
	db, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	o.Limits = &Limits{FXSPorts: 2, FXOPorts: 1}
	db, err = Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	lines, _ := db.FXOLines()
	if len(lines) != 1 || lines[0].Port != 1 {
		t.Errorf("lines %+v", lines)
	}
	// 103 and 104 sit on ports the board lacks; creating 200 still works.
	if _, err := db.CreateExtension(Extension{Number: "200"}); err != nil {
		t.Errorf("unrelated change blocked: %v", err)
	}
	// but touching 103 without fixing its port is refused.
	if _, err := db.UpdateExtension("103", Extension{Number: "103", Name: "x", FXSPort: 3}); err == nil {
		t.Error("extension on a missing port accepted")
	}
	if _, err := db.UpdateExtension("103", Extension{Number: "103", Name: "x"}); err != nil {
		t.Errorf("fixing the port refused: %v", err)
	}
	db.Close()
	o.Limits = &Limits{FXSPorts: 2, FXOPorts: 3}
	db, err = Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lines, _ = db.FXOLines()
	if len(lines) != 3 || lines[2].Port != 3 || lines[2].Destination != "101" {
		t.Errorf("lines %+v", lines)
	}
}
