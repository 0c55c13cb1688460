package store

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func rec(i int) CallRecord {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return CallRecord{Start: start, Answer: start.Add(time.Second), End: start.Add(30 * time.Second), Caller: "101",
		Callee: "102", Source: "sip:101", Destination: "fxs:2", Disposition: DispositionAnswered, DurationS: 29}
}

func TestCallRecordsRetentionAndPaging(t *testing.T) {
	db, path := openTemp(t)
	s := DefaultSystem()
	s.CallRecordRetention = 25
	if _, err := db.UpdateSystem(s); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 60; i++ {
		r, err := db.AppendCallRecord(rec(i))
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != uint64(i) {
			t.Fatalf("ID %d, want %d", r.ID, i)
		}
	}
	all, err := db.CallRecords(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 25 || all[0].ID != 60 || all[24].ID != 36 {
		t.Fatalf("kept %d records, %d..%d", len(all), all[0].ID, all[len(all)-1].ID)
	}
	// Pages, newest first.
	p1, _ := db.CallRecords(0, 10)
	p2, _ := db.CallRecords(p1[9].ID, 10)
	p3, _ := db.CallRecords(p2[9].ID, 10)
	if p1[0].ID != 60 || p2[0].ID != 50 || len(p3) != 5 || p3[4].ID != 36 {
		t.Fatalf("paging: %d %d %d", p1[0].ID, p2[0].ID, len(p3))
	}
	if none, _ := db.CallRecords(36, 10); len(none) != 0 {
		t.Errorf("before the oldest: %d records", len(none))
	}
	if r, _ := db.CallRecords(1000, 1); len(r) != 1 || r[0].ID != 60 {
		t.Errorf("before beyond the newest: %+v", r)
	}
	if r, _ := db.CallRecords(0, 0); len(r) != 25 {
		t.Errorf("default limit: %d", len(r))
	}
	// Lowering the retention drops the excess at the next record; IDs go
	// on increasing after a restart.
	s.CallRecordRetention = 3
	db.UpdateSystem(s)
	db.AppendCallRecord(rec(61))
	db.Close()
	db, err = Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, _ := db.AppendCallRecord(rec(62))
	all, _ = db.CallRecords(0, 100)
	if r.ID != 62 || len(all) != 3 || all[0].ID != 62 || all[2].ID != 60 {
		t.Errorf("after restart: id %d, %d records", r.ID, len(all))
	}
}

func TestCallRecordCleaning(t *testing.T) {
	db, _ := openTemp(t)
	r := rec(1)
	r.CallerName = "Evil\x1b[31m\u202e name \xff" + strings.Repeat("é", 200)
	got, err := db.AppendCallRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.CallerName) > maxRecordField || strings.ContainsAny(got.CallerName, "\x1b\u202e") || !utf8.ValidString(got.CallerName) {
		t.Errorf("not cleaned: %q", got.CallerName)
	}
	stored, _ := db.CallRecords(0, 1)
	if stored[0].CallerName != got.CallerName || !stored[0].Answer.Equal(r.Answer) {
		t.Errorf("stored %+v", stored[0])
	}
	for name, bad := range map[string]func(*CallRecord){
		"no start":      func(r *CallRecord) { r.Start = time.Time{} },
		"end first":     func(r *CallRecord) { r.End = r.Start.Add(-time.Second) },
		"answer after":  func(r *CallRecord) { r.Answer = r.End.Add(time.Second) },
		"disposition":   func(r *CallRecord) { r.Disposition = "weird" },
		"negative secs": func(r *CallRecord) { r.DurationS = -1 },
	} {
		r := rec(2)
		bad(&r)
		if _, err := db.AppendCallRecord(r); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if all, _ := db.CallRecords(0, 10); len(all) != 1 {
		t.Errorf("refused records were stored: %d", len(all))
	}
}

// BenchmarkAppendCallRecord measures one record per transaction with
// fsync, as pbxd writes them (the cost is the disk's sync).
func BenchmarkAppendCallRecord(b *testing.B) {
	path := b.TempDir() + "/pbx.db"
	o := testOptions()
	o.noSync = false
	db, err := Open(path, o)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r := rec(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.AppendCallRecord(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendCallRecordNoSync isolates the CPU cost (encoding, B+tree,
// retention) from the disk.
func BenchmarkAppendCallRecordNoSync(b *testing.B) {
	db, _ := openTemp(b)
	r := rec(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.AppendCallRecord(r); err != nil {
			b.Fatal(err)
		}
	}
}
