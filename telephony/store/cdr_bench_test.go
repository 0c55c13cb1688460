package store

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// The search budget: any search over 100,000 records (the most the box
// keeps, MaxCallRecordRetention) answers in under 100 ms. The README's
// figures come from:
//
//	go test -run '^$' -bench 'Search|Statistics|Export' -benchtime 20x ./telephony/store

// bench100k is a database of 100,000 varied records, made once per test
// binary (appending them one transaction each would take a minute).
var bench100k struct {
	once sync.Once
	dir  string
	recs []CallRecord
	err  error
}

func open100k(b *testing.B) (*DB, []CallRecord) {
	b.Helper()
	bench100k.once.Do(func() {
		// A directory of its own that outlives the first benchmark.
		bench100k.dir, bench100k.err = filepathTemp()
		if bench100k.err != nil {
			return
		}
		db, err := Open(filepath.Join(bench100k.dir, FileName), testOptions())
		if err != nil {
			bench100k.err = err
			return
		}
		defer db.Close()
		s := DefaultSystem()
		s.CallRecordRetention = MaxCallRecordRetention
		if _, err := db.UpdateSystem(s); err != nil {
			bench100k.err = err
			return
		}
		recs := genRecords(MaxCallRecordRetention, 42, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		for i := 0; i < len(recs); i += 5000 {
			err := db.bolt.Update(func(tx *bbolt.Tx) error {
				b := tx.Bucket([]byte(bucketCDR))
				for j := i; j < min(i+5000, len(recs)); j++ {
					r := &recs[j]
					deriveRecord(r)
					r.ID, _ = b.NextSequence()
					if err := db.recordAdded(tx, r); err != nil {
						return err
					}
					if err := putValue(b, string(cdrKey(r.ID)), r); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				bench100k.err = err
				return
			}
		}
		bench100k.recs = recs
	})
	if bench100k.err != nil {
		b.Fatal(bench100k.err)
	}
	db, err := Open(filepath.Join(bench100k.dir, FileName), testOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, bench100k.recs
}

func BenchmarkSearch100k(b *testing.B) {
	db, recs := open100k(b)
	day := recs[50000].Start
	for _, bc := range []struct {
		name string
		q    CallQuery
	}{
		{"newest-page", CallQuery{Limit: 50}},
		{"partial-number", CallQuery{Number: "600005", Limit: 50}},
		{"extension", CallQuery{Extension: "102", Limit: 50}},
		{"line-missed", CallQuery{Line: "fxo:2", Results: []string{ResultMissed}, Limit: 50}},
		{"one-day", CallQuery{From: day, To: day.Add(24 * time.Hour), Limit: 50}},
		{"sorted-by-duration-last-page", CallQuery{Sort: "duration", Ascending: true, Offset: 99950, Limit: 50}},
		{"sorted-by-caller", CallQuery{Sort: "caller", Direction: DirectionIn, Limit: 50}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				p, err := db.SearchCallRecords(bc.q)
				if err != nil || p.Total == 0 {
					b.Fatalf("%d records, %v", p.Total, err)
				}
			}
		})
	}
}

func BenchmarkStatistics100k(b *testing.B) {
	db, recs := open100k(b)
	from := recs[0].Start
	for _, bc := range []struct {
		name string
		q    StatsQuery
	}{
		{"month", StatsQuery{CallQuery: CallQuery{From: from, To: from.AddDate(0, 1, 0)}}},
		{"all-100k", StatsQuery{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := db.CallStatistics(bc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExport100k(b *testing.B) {
	db, _ := open100k(b)
	defer reportCPU(b)()
	for b.Loop() {
		n := 0
		if err := db.EachCallRecord(CallQuery{}, func(CallRecord) error { n++; return nil }); err != nil || n != MaxCallRecordRetention {
			b.Fatalf("%d records, %v", n, err)
		}
	}
}

// filepathTemp makes the shared benchmark database's directory;
// TestMain removes it when the test binary ends.
func filepathTemp() (string, error) { return os.MkdirTemp("", "minipbx-bench-") }

func TestMain(m *testing.M) {
	code := m.Run()
	if bench100k.dir != "" {
		os.RemoveAll(bench100k.dir)
	}
	os.Exit(code)
}

// reportCPU adds the process's CPU time per operation (user and system,
// garbage collection included) to a benchmark's figures: on a shared
// machine the wall time per operation grows with the other load, the
// CPU time does not. Call it before the loop and defer what it returns.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpu()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		}
	}
}
