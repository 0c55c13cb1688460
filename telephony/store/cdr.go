package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.etcd.io/bbolt"
)

// Dispositions of a call record.
const (
	DispositionAnswered    = "answered"
	DispositionBusy        = "busy"
	DispositionNoAnswer    = "no-answer"
	DispositionNotFound    = "not-found"
	DispositionUnavailable = "unavailable"
	DispositionCancelled   = "cancelled"
	DispositionFailed      = "failed"
	DispositionCongestion  = "congestion"
	DispositionForbidden   = "forbidden"
	// DispositionRejected: the callee declined (SIP 603), or a classifier
	// (a blacklist) refused the caller.
	DispositionRejected = "rejected"
	// DispositionVoicemail: the box's voicemail answered the caller (to
	// take a message, or the owner listening at *97/*98).
	DispositionVoicemail = "voicemail"
	// DispositionAbandoned: the caller hung up while the box itself had
	// the call — still dialling, in a voice menu, an announcement or a
	// queue.
	DispositionAbandoned = "abandoned"
)

// Dispositions returns every valid CallRecord.Disposition.
func Dispositions() []string {
	return []string{DispositionAnswered, DispositionBusy, DispositionNoAnswer, DispositionNotFound,
		DispositionUnavailable, DispositionCancelled, DispositionFailed, DispositionCongestion, DispositionForbidden, DispositionRejected,
		DispositionVoicemail, DispositionAbandoned}
}

const (
	// maxRecordField bounds each text field of a call record: the caller's
	// number and name come from the outside (SIP headers, caller ID) and
	// are hostile until checked.
	maxRecordField = 128
	// DefaultCallRecordsPage and MaxCallRecordsPage bound CallRecords.
	DefaultCallRecordsPage = 100
	MaxCallRecordsPage     = 1000
)

func cdrKey(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id)
	return k[:]
}

// AppendCallRecord stores r with the next ID (IDs increase and are never
// reused) and drops the oldest records beyond System.CallRecordRetention,
// in one transaction. Text fields are cleaned (valid UTF-8, no control
// characters, at most 128 bytes) rather than refused, so that a hostile
// caller ID cannot lose a record; a record with impossible times or an
// unknown disposition is a programming error and is refused.
//
// When the disk is full the record is not lost: it waits in the spool
// (see MaxSpooledRecords) and is written, before any newer record, once
// there is room; AppendCallRecord then returns it with ID 0 and no error.
func (db *DB) AppendCallRecord(r CallRecord) (CallRecord, error) {
	if db.readOnly {
		return CallRecord{}, ErrReadOnly
	}
	r, err := checkRecord(r)
	if err != nil {
		return CallRecord{}, err
	}
	db.spool.mu.Lock()
	defer db.spool.mu.Unlock()
	written, err := db.appendRecords(append(slices.Clone(db.spool.recs), r))
	switch {
	case err == nil:
		if len(db.spool.recs) > 0 {
			db.log.Info("store: space is back: spooled call records written", "records", len(db.spool.recs), "lost", db.spool.lost)
			db.spool.recs, db.spool.lost = nil, 0
			db.clearSpoolFile()
		}
		return written[len(written)-1], nil
	case IsStorageFull(err) && !db.spool.closed:
		db.spoolLocked(r, err)
		return r, nil
	}
	return CallRecord{}, fmt.Errorf("store: append call record: %w", err)
}

// checkRecord refuses a record that cannot be true and cleans its text.
func checkRecord(r CallRecord) (CallRecord, error) {
	switch {
	case r.Start.IsZero():
		return CallRecord{}, fmt.Errorf("store: call record: no start time")
	case r.End.Before(r.Start):
		return CallRecord{}, fmt.Errorf("store: call record: ends (%v) before it starts (%v)", r.End, r.Start)
	case !r.Answer.IsZero() && (r.Answer.Before(r.Start) || r.Answer.After(r.End)):
		return CallRecord{}, fmt.Errorf("store: call record: answer time %v outside the call", r.Answer)
	case !slices.Contains(Dispositions(), r.Disposition):
		return CallRecord{}, fmt.Errorf("store: call record: unknown disposition %q", r.Disposition)
	case r.DurationS < 0:
		return CallRecord{}, fmt.Errorf("store: call record: negative duration")
	}
	for _, s := range []*string{&r.Caller, &r.CallerName, &r.Callee, &r.Source, &r.Destination, &r.Route, &r.Voicemail} {
		*s = cleanText(*s)
	}
	deriveRecord(&r)
	return r, nil
}

// appendRecords stores recs in order with the next IDs and trims to the
// retention, in one transaction; it returns them with their IDs.
func (db *DB) appendRecords(recs []CallRecord) ([]CallRecord, error) {
	out := slices.Clone(recs)
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		var sys System
		if err := decodeValue("system", tx.Bucket([]byte(bucketSystem)).Get([]byte(keySystem)), db.schema, &sys); err != nil {
			return err
		}
		b := tx.Bucket([]byte(bucketCDR))
		var id uint64
		for i := range out {
			var err error
			if id, err = b.NextSequence(); err != nil {
				return err
			}
			out[i].ID = id
			if err := db.recordAdded(tx, &out[i]); err != nil {
				return err
			}
			if err := putValue(b, string(cdrKey(id)), out[i]); err != nil {
				return err
			}
		}
		return trimRecords(b, id, sys.CallRecordRetention, func(id uint64) error { return unindexRecord(tx, id) })
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// recordAdded does, in the transaction that stores r (its ID given),
// what every new record needs: its cost by its route's tariff, its
// search indexes, and its place in the SMDR spool.
func (db *DB) recordAdded(tx *bbolt.Tx, r *CallRecord) error {
	r.Cost = 0
	if r.Route != "" {
		t, err := routeTariff(tx, db.schema, r.Route)
		if err != nil {
			return err
		}
		r.Cost = t.Cost(r.DurationS)
	}
	if err := indexRecord(tx, r); err != nil {
		return err
	}
	return db.spoolSMDR(tx, r)
}

// routeTariff is the tariff of the outbound route named name (zero when
// there is no such route any more).
func routeTariff(tx *bbolt.Tx, schema int, name string) (Tariff, error) {
	var c Config
	secs := []section{{"outbound_routes", &c.OutboundRoutes}}
	if err := readSections(tx, bucketDialPlan, schema, secs); err != nil {
		return Tariff{}, err
	}
	for _, r := range c.OutboundRoutes {
		if r.Name == name {
			return r.Tariff, nil
		}
	}
	return Tariff{}, nil
}

// trimRecords keeps the newest `keep` records (IDs ≤ last); drop, when
// not nil, is called first for each record deleted (its index entries).
func trimRecords(b *bbolt.Bucket, last uint64, keep int, drop func(id uint64) error) error {
	if keep < 1 {
		keep = 1
	}
	c := b.Cursor()
	var stale [][]byte
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if last-binary.BigEndian.Uint64(k) < uint64(keep) {
			break
		}
		stale = append(stale, append([]byte(nil), k...))
	}
	for _, k := range stale {
		if drop != nil {
			if err := drop(binary.BigEndian.Uint64(k)); err != nil {
				return err
			}
		}
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// CallRecords returns at most limit records older than ID before (0: from
// the newest), newest first. limit ≤ 0 means DefaultCallRecordsPage; it is
// capped at MaxCallRecordsPage.
func (db *DB) CallRecords(before uint64, limit int) ([]CallRecord, error) {
	if limit <= 0 {
		limit = DefaultCallRecordsPage
	}
	limit = min(limit, MaxCallRecordsPage)
	out, err := newestFirst[CallRecord](db, bucketCDR, "cdr", before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: call records: %w", err)
	}
	return out, nil
}

// newestFirst reads a page of an append-only bucket keyed by big-endian
// IDs (call records, diagnostic runs): at most limit values older than ID
// before (0: from the newest), newest first, each decoded as kind. A
// missing bucket is an empty page.
func newestFirst[T any](db *DB, bucket, kind string, before uint64, limit int) ([]T, error) {
	out := []T{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		if before == 0 {
			k, v = c.Last()
		} else if k, _ = c.Seek(cdrKey(before)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			var r T
			if err := decodeValue(kind, v, db.schema, &r); err != nil {
				return &valueError{bucket, fmt.Sprint(binary.BigEndian.Uint64(k)), err}
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// cleanText makes outside-supplied text safe to store and show.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
	for len(s) > maxRecordField {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// CallRecord returns the record with ID id, or ErrNotFound.
func (db *DB) CallRecord(id uint64) (CallRecord, error) {
	var r CallRecord
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket([]byte(bucketCDR)).Get(cdrKey(id))
		if raw == nil {
			return fmt.Errorf("store: call record %d: %w", id, ErrNotFound)
		}
		var err error
		r, err = db.decodeRecord(id, raw)
		return err
	})
	return r, err
}
