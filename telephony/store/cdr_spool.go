package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Call records written while the data partition is full are not lost:
// they wait in a spool — in memory, bounded, and copied into a file
// reserved beside the database while there was room, so that they also
// outlive a restart — and are written, in order and before any newer
// record, once a write succeeds again: at the next call record, on a
// retry every SpoolRetry, at Close, or at the next Open.
const (
	// MaxSpooledRecords bounds the spool in memory (at most ~1 KB each:
	// text fields are capped at 128 bytes). A small office makes a few
	// hundred calls a day, so this is days of a full disk.
	MaxSpooledRecords = 2000
	// SpoolRetry is how often a non-empty spool tries to write itself.
	SpoolRetry = 15 * time.Second
	// spoolFileSize is the reserved file's size, allocated (written with
	// zeros) when the database opens: overwriting blocks that exist
	// needs no free space, so the spool can be kept there when the disk
	// is full. About 1,000 typical records fit.
	spoolFileSize = 256 << 10
	// SpoolSuffix names the reserved file: the database's path plus it.
	SpoolSuffix = ".cdr-spool"
	spoolMagic  = "minipbx call-record spool 1\n"
)

// cdrSpool is the waiting records and the reserved file; its mutex also
// serialises call-record appends, so that the spool is written first.
type cdrSpool struct {
	mu     sync.Mutex
	recs   []CallRecord // oldest first, IDs not yet given
	lost   int          // refused because the spool was full
	file   *os.File     // the reserved file; nil when it could not be made
	timer  *time.Timer  // the next retry while recs is not empty
	closed bool
}

// openSpool makes (or finds) the reserved file and takes in what a
// previous run left there, writing it to the database now if it can.
func (db *DB) openSpool() {
	path := db.path + SpoolSuffix
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		db.log.Warn("store: no call-record spool file; records written while the disk is full wait in memory only", "err", err)
		return
	}
	left, err := readSpool(f)
	if err != nil {
		db.log.Warn("store: call-record spool file unreadable; starting it anew", "err", err)
	}
	if err := reserve(f); err != nil {
		db.log.Warn("store: could not reserve the call-record spool file; records written while the disk is full wait in memory only", "err", err)
		f.Close()
		if len(left) == 0 {
			os.Remove(path)
			return
		}
		f = nil // keep the file with its records; they are taken in below
	}
	db.spool.file = f
	if len(left) == 0 {
		return
	}
	db.log.Warn("store: call records left in the spool by the last run", "records", len(left))
	db.spool.mu.Lock()
	defer db.spool.mu.Unlock()
	db.spool.recs = left
	db.flushLocked()
}

// reserve gives the file spoolFileSize bytes of real blocks (zeros after
// whatever it holds), so that later overwrites need no free space.
func reserve(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() >= spoolFileSize {
		return nil
	}
	if _, err := f.WriteAt(make([]byte, spoolFileSize-st.Size()), st.Size()); err != nil {
		return err
	}
	return f.Sync()
}

// readSpool returns the records a spool file holds.
func readSpool(f *os.File) ([]CallRecord, error) {
	data, err := io.ReadAll(io.LimitReader(f, spoolFileSize))
	if err != nil {
		return nil, err
	}
	if end := bytes.IndexByte(data, 0); end >= 0 {
		data = data[:end]
	}
	if len(data) == 0 {
		return nil, nil
	}
	body, ok := bytes.CutPrefix(data, []byte(spoolMagic))
	if !ok {
		return nil, errors.New("not a call-record spool")
	}
	var out []CallRecord
	for line := range bytes.Lines(body) {
		var r CallRecord
		if err := json.Unmarshal(line, &r); err != nil {
			return out, fmt.Errorf("spooled record %d: %w", len(out)+1, err)
		}
		r, err := checkRecord(r)
		if err != nil {
			return out, fmt.Errorf("spooled record %d: %w", len(out)+1, err)
		}
		r.ID = 0
		out = append(out, r)
	}
	return out, nil
}

// spoolLocked keeps r for later, within the bound, and copies the spool
// into the reserved file.
func (db *DB) spoolLocked(r CallRecord, cause error) {
	s := db.spool
	if len(s.recs) >= MaxSpooledRecords {
		s.lost++
		db.log.Error("store: the disk is full and the call-record spool too: a call record is lost",
			"spooled", len(s.recs), "lost", s.lost, "err", cause)
		return
	}
	if len(s.recs) == 0 {
		db.log.Warn("store: the disk is full: call records wait in the spool until space returns", "err", cause)
	}
	s.recs = append(s.recs, r)
	db.writeSpoolFile()
	if s.timer == nil && !s.closed {
		s.timer = time.AfterFunc(db.spoolRetry, db.retrySpool)
	}
}

// writeSpoolFile copies as many waiting records as fit into the reserved
// file (the rest are in memory only), ending them with a NUL byte.
func (db *DB) writeSpoolFile() {
	f := db.spool.file
	if f == nil {
		return
	}
	buf := []byte(spoolMagic)
	for _, r := range db.spool.recs {
		line, err := json.Marshal(r)
		if err != nil || len(buf)+len(line)+2 > spoolFileSize {
			break
		}
		buf = append(append(buf, line...), '\n')
	}
	buf = append(buf, 0)
	if _, err := f.WriteAt(buf, 0); err != nil {
		db.log.Warn("store: call-record spool file not written; the records wait in memory", "err", err)
		return
	}
	if err := f.Sync(); err != nil {
		db.log.Warn("store: call-record spool file not synced", "err", err)
	}
}

// clearSpoolFile marks the reserved file empty.
func (db *DB) clearSpoolFile() {
	if f := db.spool.file; f != nil {
		if _, err := f.WriteAt([]byte{0}, 0); err == nil {
			_ = f.Sync()
		}
	}
}

// flushLocked writes the waiting records to the database in one
// transaction; on failure they keep waiting and a retry is due.
func (db *DB) flushLocked() {
	s := db.spool
	if len(s.recs) == 0 {
		return
	}
	if _, err := db.appendRecords(s.recs); err != nil {
		if !IsStorageFull(err) {
			db.log.Error("store: spooled call records not written; retrying", "records", len(s.recs), "err", err)
		}
		if s.timer == nil && !s.closed {
			s.timer = time.AfterFunc(db.spoolRetry, db.retrySpool)
		}
		return
	}
	db.log.Info("store: space is back: spooled call records written", "records", len(s.recs), "lost", s.lost)
	s.recs, s.lost = nil, 0
	db.clearSpoolFile()
}

// retrySpool is the retry timer's function.
func (db *DB) retrySpool() {
	db.spool.mu.Lock()
	defer db.spool.mu.Unlock()
	db.spool.timer = nil
	if !db.spool.closed {
		db.flushLocked()
	}
}

// closeSpool stops the retries, makes a last try, and closes the file;
// records still waiting stay in it for the next Open.
func (db *DB) closeSpool() {
	s := db.spool
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	db.flushLocked()
	s.closed = true
	if s.recs != nil {
		db.log.Error("store: closing with call records still in the spool; they are written at the next start",
			"records", len(s.recs), "in file", s.file != nil)
	}
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
}

// SpooledCallRecords returns how many call records wait for space.
func (db *DB) SpooledCallRecords() int {
	db.spool.mu.Lock()
	defer db.spool.mu.Unlock()
	return len(db.spool.recs)
}
