package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDiagInterval(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"00:01", time.Hour, ""},
		{"01:00", 24 * time.Hour, ""},
		{"31:23", 31*24*time.Hour + 23*time.Hour, ""},
		{"00:00", 0, "must not be 00:00"},
		{"32:00", 0, "days must be 00 to 31"},
		{"01:24", 0, "hours must be 00 to 23"},
		{"1:00", 0, "DD:HH"},
		{"01:0a", 0, "DD:HH"},
		{"", 0, "DD:HH"},
		{"+1:01", 0, "DD:HH"},
	} {
		got, err := ParseDiagInterval(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q = %v, %v; want %v", c.in, got, err, c.want)
		}
		if f := FormatDiagInterval(got); f != c.in {
			t.Errorf("format %v = %q, want %q", got, f, c.in)
		}
	}
}

func TestParseDiagTimeOfDay(t *testing.T) {
	for in, want := range map[string][2]int{"00:00": {0, 0}, "23:59": {23, 59}, "03:30": {3, 30}} {
		h, m, err := ParseDiagTimeOfDay(in)
		if err != nil || h != want[0] || m != want[1] {
			t.Errorf("%q = %d:%d %v", in, h, m, err)
		}
	}
	for _, in := range []string{"24:00", "12:60", "3:30", "12-30", "", "ab:cd"} {
		if _, _, err := ParseDiagTimeOfDay(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParseDiagSchedule(f *testing.F) {
	for _, s := range []string{"00:01", "31:23", "12:30", "99:99", ":", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDiagInterval(s); err == nil {
			if d <= 0 || d > 32*24*time.Hour || FormatDiagInterval(d) != s {
				t.Fatalf("%q -> %v", s, d)
			}
		}
		if h, m, err := ParseDiagTimeOfDay(s); err == nil && (h > 23 || m > 59) {
			t.Fatalf("%q -> %d:%d", s, h, m)
		}
	})
}

func TestDiagnosticsValidation(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), FileName), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys, err := db.System()
	if err != nil {
		t.Fatal(err)
	}
	if sys.Diagnostics != (Diagnostics{}) {
		t.Fatalf("default %+v, want the zero value (off, every test)", sys.Diagnostics)
	}
	bad := []struct {
		d     Diagnostics
		field string
	}{
		{Diagnostics{Mode: "weekly"}, "diagnostics.mode"},
		{Diagnostics{Mode: DiagInterval, Interval: "00:00"}, "diagnostics.interval"},
		{Diagnostics{Mode: DiagInterval}, "diagnostics.interval"},
		{Diagnostics{Mode: DiagDaily, At: "25:00"}, "diagnostics.at"},
		{Diagnostics{Mode: DiagOff, Tests: "fxs,bogus"}, "diagnostics.tests"},
		{Diagnostics{Mode: DiagOff, Tests: "fxs, fxs"}, "diagnostics.tests"},
		{Diagnostics{Mode: DiagOff, Retention: MaxDiagRetention + 1}, "diagnostics.retention"},
	}
	for _, c := range bad {
		s := sys
		s.Diagnostics = c.d
		_, err := db.UpdateSystem(s)
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != c.field {
			t.Errorf("%+v: %v, want one error on %s", c.d, err, c.field)
		}
	}
	sys.Diagnostics = Diagnostics{Mode: DiagDaily, At: "03:15", Tests: "fxs,storage", Retention: 3}
	if _, err := db.UpdateSystem(sys); err != nil {
		t.Fatal(err)
	}
	got, _ := db.System()
	if got.Diagnostics.At != "03:15" || len(got.Diagnostics.EnabledTests()) != 2 {
		t.Fatalf("stored %+v", got.Diagnostics)
	}
}

func TestDiagRunsRetentionAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if runs, err := db.DiagRuns(0, 0); err != nil || len(runs) != 0 {
		t.Fatalf("empty: %v %v", runs, err)
	}
	sys, _ := db.System()
	sys.Diagnostics.Retention = 3
	if _, err := db.UpdateSystem(sys); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		r := DiagRun{Started: t0.Add(time.Duration(i) * time.Hour), Finished: t0.Add(time.Duration(i)*time.Hour + time.Second),
			Trigger: "manual", Verdict: VerdictPass, Results: []DiagResult{{Test: DiagTestStorage, Target: "system\x00", Verdict: VerdictPass,
				Values: []DiagValue{{Name: "free", Value: float64(i), Unit: "%", Verdict: VerdictPass}}}}}
		if _, err := db.AppendDiagRun(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.AppendDiagRun(DiagRun{}); err == nil {
		t.Fatal("run without times accepted")
	}
	if err := db.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.DiagRuns(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].ID != 5 || runs[2].ID != 3 || runs[0].Results[0].Values[0].Value != 4 {
		t.Fatalf("after restart: %+v", runs)
	}
	if runs[0].Results[0].Target != "system?" {
		t.Errorf("target not cleaned: %q", runs[0].Results[0].Target)
	}
	older, _ := db.DiagRuns(4, 10)
	if len(older) != 1 || older[0].ID != 3 {
		t.Fatalf("paging: %+v", older)
	}
}

func TestWorstVerdict(t *testing.T) {
	if WorstVerdict(VerdictPass, VerdictFail) != VerdictFail || WorstVerdict(VerdictWarn, VerdictPass) != VerdictWarn ||
		WorstVerdict(VerdictSkip, VerdictPass) != VerdictPass || WorstVerdict("", VerdictSkip) != "" && WorstVerdict("", VerdictSkip) != VerdictSkip {
		t.Fatal("order")
	}
}

// The settings travel with the configuration document, validated with it.
func TestDiagnosticsInConfigDocument(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), FileName), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	c.System.Diagnostics = Diagnostics{Mode: DiagInterval, Interval: "99:00"}
	err = db.ImportConfig(c)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "system.diagnostics.interval" {
		t.Fatalf("import of a bad interval: %v", err)
	}
	c.System.Diagnostics.Interval = "07:00"
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	got, _ := db.ExportConfig()
	if err := EncodeConfig(&buf, got); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeConfig(strings.NewReader(buf.String()))
	if err != nil || back.System.Diagnostics != c.System.Diagnostics {
		t.Fatalf("round trip: %+v %v\n%s", back.System.Diagnostics, err, buf.String())
	}
}
