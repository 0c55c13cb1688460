package store

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"
)

// The SMDR spool: while an SMDR output is configured, every call record
// is also queued here, in the transaction that stores it, under a
// sequence number. Each output (the serial port, the TCP client) keeps
// the sequence number of the last line it delivered, stored after each
// line; a line leaves the spool once every configured output delivered
// it. So a port that is unplugged, a client that is away, or a restart
// loses no line and sends none twice, and lines go out in order.
const (
	bucketSMDRSpool = "smdr_spool" // sequence → record
	bucketSMDRSent  = "smdr_sent"  // output → last sequence delivered
	// MaxSMDRSpool bounds the spool (a record with its path is about a
	// kilobyte): weeks of a small office's calls. Beyond it the oldest
	// line is dropped, and logged.
	MaxSMDRSpool = 10000
)

// SMDR outputs, as SMDRPending and SMDRSent name them.
const (
	SMDRSerial = "serial"
	SMDRTCP    = "tcp"
)

// SMDREntry is one spooled call record and its sequence number.
type SMDREntry struct {
	Seq    uint64
	Record CallRecord
}

// smdrOutputs lists the outputs b configures.
func smdrOutputs(s SMDR) []string {
	var out []string
	if s.SerialPort != "" {
		out = append(out, SMDRSerial)
	}
	if s.TCPPort != 0 {
		out = append(out, SMDRTCP)
	}
	return out
}

// readBilling reads the billing section inside tx.
func readBilling(tx *bbolt.Tx, schema int) (Billing, error) {
	var c Config
	err := readSections(tx, bucketSettings, schema, []section{{"billing", &c.Billing}})
	return c.Billing, err
}

// spoolSMDR queues r for the SMDR outputs, if any is configured.
func (db *DB) spoolSMDR(tx *bbolt.Tx, r *CallRecord) error {
	b, err := readBilling(tx, db.schema)
	if err != nil || !b.SMDR.Enabled() {
		return err
	}
	sp, err := tx.CreateBucketIfNotExists([]byte(bucketSMDRSpool))
	if err != nil {
		return err
	}
	seq, err := sp.NextSequence()
	if err != nil {
		return err
	}
	if err := putValue(sp, string(cdrKey(seq)), r); err != nil {
		return err
	}
	c := sp.Cursor()
	for k, _ := c.First(); k != nil && seq-binary.BigEndian.Uint64(k) >= MaxSMDRSpool; k, _ = c.First() {
		db.log.Warn("store: SMDR spool full: the oldest undelivered line is dropped (is the SMDR port connected?)",
			"seq", binary.BigEndian.Uint64(k))
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// SMDRPending returns at most limit spooled records output has not
// delivered yet, oldest first.
func (db *DB) SMDRPending(output string, limit int) ([]SMDREntry, error) {
	var out []SMDREntry
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		sp := tx.Bucket([]byte(bucketSMDRSpool))
		if sp == nil {
			return nil
		}
		c := sp.Cursor()
		k, v := c.Seek(cdrKey(sentSeq(tx, output) + 1))
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			e := SMDREntry{Seq: binary.BigEndian.Uint64(k)}
			if err := decodeValue("cdr", v, db.schema, &e.Record); err != nil {
				return &valueError{bucketSMDRSpool, strconv.FormatUint(e.Seq, 10), err}
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: SMDR spool: %w", err)
	}
	return out, nil
}

// sentSeq is the last sequence output delivered (0: none yet).
func sentSeq(tx *bbolt.Tx, output string) uint64 {
	if b := tx.Bucket([]byte(bucketSMDRSent)); b != nil {
		if v := b.Get([]byte(output)); len(v) == 8 {
			return binary.BigEndian.Uint64(v)
		}
	}
	return 0
}

// SMDRSent records that output delivered every spooled line up to seq,
// and drops the lines every configured output has delivered. It is
// committed (synced) before it returns: a line acknowledged here is
// never sent again by that output, even after a power cut.
func (db *DB) SMDRSent(output string, seq uint64) error {
	if db.readOnly {
		return ErrReadOnly
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if seq <= sentSeq(tx, output) {
			return nil
		}
		sent, err := tx.CreateBucketIfNotExists([]byte(bucketSMDRSent))
		if err != nil {
			return err
		}
		if err := sent.Put([]byte(output), cdrKey(seq)); err != nil {
			return err
		}
		b, err := readBilling(tx, db.schema)
		if err != nil {
			return err
		}
		outs := smdrOutputs(b.SMDR)
		if len(outs) == 0 {
			return nil
		}
		low := sentSeq(tx, outs[0])
		for _, o := range outs[1:] {
			low = min(low, sentSeq(tx, o))
		}
		sp := tx.Bucket([]byte(bucketSMDRSpool))
		if sp == nil {
			return nil
		}
		c := sp.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= low; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: SMDR spool: %w", err)
	}
	return nil
}

// SMDRBacklog is how many spooled lines output has not delivered.
func (db *DB) SMDRBacklog(output string) (int, error) {
	n := 0
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		sp := tx.Bucket([]byte(bucketSMDRSpool))
		if sp == nil {
			return nil
		}
		c := sp.Cursor()
		for k, _ := c.Seek(cdrKey(sentSeq(tx, output) + 1)); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}
