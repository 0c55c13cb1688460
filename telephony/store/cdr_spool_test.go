package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipbx/internal/testutil"
)

// spoolRec is a call record with long text, so that a few fill pages.
func spoolRec(i int) CallRecord {
	r := rec(i)
	r.CallerName = fmt.Sprintf("caller %04d %s", i, strings.Repeat("x", 100))
	return r
}

// checkAll reads every record back and checks that records 1..n are
// there once each, in order, with increasing IDs.
func checkAll(t *testing.T, db *DB, n int) {
	t.Helper()
	got, err := db.CallRecords(0, MaxCallRecordsPage)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d records stored, want %d", len(got), n)
	}
	for i, r := range got { // newest first
		want := spoolRec(n - i)
		if r.CallerName != want.CallerName || !r.Start.Equal(want.Start) {
			t.Fatalf("record %d is %q at %v, want %q", i, r.CallerName, r.Start, want.CallerName)
		}
		if i > 0 && r.ID >= got[i-1].ID {
			t.Fatalf("IDs out of order: %d after %d", r.ID, got[i-1].ID)
		}
	}
}

// fullDB opens a database on a small file system and fills the rest.
func fullDB(t *testing.T, o Options) (db *DB, path, filler string) {
	t.Helper()
	dir := testutil.SmallDisk(t, 4<<20)
	path = filepath.Join(dir, FileName)
	db, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.AppendCallRecord(spoolRec(1)); err != nil {
		t.Fatal(err)
	}
	return db, path, testutil.FillDisk(t, dir)
}

// TestCallRecordsSpooledWhileDiskFull: on a full disk, call records are
// accepted and wait; once space is back the next record writes them all, in order, none lost.
func TestCallRecordsSpooledWhileDiskFull(t *testing.T) {
	db, _, filler := fullDB(t, testOptions())
	const n = 300
	for i := 2; i <= n; i++ {
		if _, err := db.AppendCallRecord(spoolRec(i)); err != nil {
			t.Fatalf("record %d on a full disk: %v", i, err)
		}
	}
	waiting := db.SpooledCallRecords()
	if waiting == 0 {
		t.Fatal("the disk never filled up: no record was spooled")
	}
	t.Logf("%d of %d records waited for space", waiting, n-1)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendCallRecord(spoolRec(n + 1)); err != nil {
		t.Fatal(err)
	}
	if w := db.SpooledCallRecords(); w != 0 {
		t.Fatalf("%d records still waiting after space returned", w)
	}
	checkAll(t, db, n+1)
}

// TestSpoolRetries: with no new call, the retry timer writes the spool
// once space is back.
func TestSpoolRetries(t *testing.T) {
	o := testOptions()
	o.spoolRetry = 20 * time.Millisecond
	db, _, filler := fullDB(t, o)
	n := 1
	for db.SpooledCallRecords() == 0 && n < 1000 {
		n++
		if _, err := db.AppendCallRecord(spoolRec(n)); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filler)
	deadline := time.Now().Add(10 * time.Second)
	for db.SpooledCallRecords() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the spool was not retried")
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkAll(t, db, n)
}

// TestSpoolOutlivesRestart: records spooled when the box stops with the
// disk still full are in the reserved file, taken in at the next Open and
// written once space is back.
func TestSpoolOutlivesRestart(t *testing.T) {
	db, path, filler := fullDB(t, testOptions())
	n := 1
	for db.SpooledCallRecords() < 20 && n < 1000 {
		n++
		if _, err := db.AppendCallRecord(spoolRec(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, testOptions())
	if err != nil {
		t.Fatalf("reopen on a full disk: %v", err)
	}
	defer db2.Close()
	if w := db2.SpooledCallRecords(); w < 20 {
		t.Fatalf("%d records taken in from the spool file, want at least 20", w)
	}
	os.Remove(filler)
	if _, err := db2.AppendCallRecord(spoolRec(n + 1)); err != nil {
		t.Fatal(err)
	}
	checkAll(t, db2, n+1)
	db2.Close()
	// The file is empty now: a third open takes nothing in twice.
	db3, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db3.Close()
	if w := db3.SpooledCallRecords(); w != 0 {
		t.Fatalf("%d records taken in again", w)
	}
	checkAll(t, db3, n+1)
}
