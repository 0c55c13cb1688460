package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// The call records' secondary indexes. Searching 100,000 records by
// decoding each one's JSON takes about a second on a desktop and far
// longer on the box, so every record also has:
//
//   - a summary (bucketCDRSummary, by ID): what search, statistics and
//     sorting look at — times, talk time, result, direction, numbers,
//     extensions, lines and trunks, route, cost, queue waits — in a
//     compact binary form that is read without allocating;
//   - an entry in the start-time index (bucketCDRStart: start time and
//     ID), for date ranges and export in time order;
//   - an entry per party in the party index (bucketCDRParty: 'e' and the
//     extension, or 'l' and the line or trunk, then the ID), so a
//     search for one extension's or one line's calls visits only those.
//
// All are written in the same transaction as the record and dropped with
// it when the retention trims it. Open builds them for records stored
// before them (or by a firmware that did not keep them): see ensureIndex.
const (
	bucketCDRSummary = "cdr_summary"
	bucketCDRStart   = "cdr_by_start"
	bucketCDRParty   = "cdr_by_party"
	// metaCDRIndex is the version of the index format the buckets hold.
	metaCDRIndex = "cdr_index"
	// cdrIndexVersion changes whenever the summary's encoding or what it
	// holds changes: Open then rebuilds the indexes.
	cdrIndexVersion = "3"
)

// Results of a call as the statistics count them (CallRecord.Result).
const (
	ResultAnswered  = "answered"
	ResultMissed    = "missed"
	ResultBusy      = "busy"
	ResultAbandoned = "abandoned"
	ResultFailed    = "failed"
)

// Results lists every result, in the order pages and CSV show them.
func Results() []string {
	return []string{ResultAnswered, ResultMissed, ResultBusy, ResultAbandoned, ResultFailed}
}

// ResultOf maps a disposition to its result: a call the callee did not
// take (no answer, the caller gave up while it rang, voicemail took it)
// is missed; a caller who hung up while the box itself held the call (a
// menu, a queue, an announcement) abandoned it; a call that could not be
// made (unknown number, nobody reachable, refused, a fault) failed.
func ResultOf(disposition string) string {
	switch disposition {
	case DispositionAnswered:
		return ResultAnswered
	case DispositionNoAnswer, DispositionCancelled, DispositionVoicemail:
		return ResultMissed
	case DispositionBusy:
		return ResultBusy
	case DispositionAbandoned:
		return ResultAbandoned
	}
	return ResultFailed
}

// Directions of a call (CallRecord.Direction).
const (
	DirectionIn       = "in"
	DirectionOut      = "out"
	DirectionInternal = "internal"
)

// Directions lists every direction.
func Directions() []string { return []string{DirectionIn, DirectionOut, DirectionInternal} }

// IsOutside reports whether a channel name is a line or trunk to the
// outside world ("fxo:2", "trunk:provider").
func IsOutside(channel string) bool {
	return strings.HasPrefix(channel, "fxo:") || strings.HasPrefix(channel, "trunk:")
}

// deriveRecord fills the fields the store owns: the result, and the
// direction when the exchange left it empty.
func deriveRecord(r *CallRecord) {
	r.Result = ResultOf(r.Disposition)
	if r.Direction != "" {
		return
	}
	switch {
	case IsOutside(r.Source):
		r.Direction = DirectionIn
	case r.Route != "" || IsOutside(r.Destination):
		r.Direction = DirectionOut
	default:
		r.Direction = DirectionInternal
		for _, l := range r.Legs {
			if IsOutside(l.Name) {
				r.Direction = DirectionOut
			}
		}
	}
}

// recordParties lists the extensions and the lines or trunks that took
// part in r. isExt tells the numbers that are extensions, so that a call
// to an extension that never rang (unregistered, busy) is still found
// under it.
func recordParties(r *CallRecord, isExt func(string) bool) (exts, lines []string) {
	addTo := func(list *[]string, s string) {
		if s != "" && !contains(*list, s) {
			*list = append(*list, s)
		}
	}
	for _, l := range r.Legs {
		switch {
		case l.Extension != "":
			addTo(&exts, l.Extension)
		case IsOutside(l.Name):
			addTo(&lines, l.Name)
		case strings.HasPrefix(l.Name, "sip:") && isExt(l.Name[4:]):
			addTo(&exts, l.Name[4:])
		case strings.HasPrefix(l.Name, "fxs:") && isExt(l.Number):
			addTo(&exts, l.Number)
		}
	}
	for _, ch := range []string{r.Source, r.Destination} {
		switch {
		case IsOutside(ch):
			addTo(&lines, ch)
		case strings.HasPrefix(ch, "sip:") && isExt(ch[4:]):
			addTo(&exts, ch[4:])
		}
	}
	if isExt(r.Callee) {
		addTo(&exts, r.Callee)
	}
	if !IsOutside(r.Source) && isExt(r.Caller) {
		addTo(&exts, r.Caller)
	}
	return exts, lines
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// summary is a record as search and statistics see it. Decoded from the
// index, its byte slices point into the database's memory and are valid
// only inside the read transaction.
//
// Its encoding is a fixed header of the numbers (what most filters and
// every sort but two test) and a tail of the texts and lists, decoded
// only when a filter or the statistics look at them.
type summary struct {
	id                 uint64
	start, answer, end int64 // Unix milliseconds; answer 0: never answered
	dur                int64 // DurationS
	cost               int64 // Money
	result, dir        uint8 // indexes into Results() and Directions(), +1
	origin             uint8 // index into Origins(), +1 (0: a caller's call)
	disa               bool  // the call dialled out through a DISA

	tail     []byte // not yet decoded when tailDone is false
	tailDone bool
	disp     []byte
	caller   []byte
	callee   []byte
	route    []byte
	exts     [][]byte
	lines    [][]byte
	queues   []queueSum
}

// queueSum is one queue wait of a summary.
type queueSum struct {
	name    []byte
	waitMS  int64
	outcome uint8 // 1 answered, 2 abandoned, 3 timeout
}

const (
	summaryFormat = 3
	// summaryHeader: format, start, answer, end, dur, cost (8 bytes
	// each, big-endian), result, direction, origin, DISA (1 or 0).
	summaryHeader = 1 + 5*8 + 4
)

// enumIndex is v's 1-based position in list (0: not in it).
func enumIndex(list []string, v string) uint8 {
	for i, s := range list {
		if s == v {
			return uint8(i + 1)
		}
	}
	return 0
}

func queueOutcomes() []string { return []string{QueueAnswered, QueueAbandoned, QueueTimeout} }

func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// encodeSummary writes the summary of a derived record.
func encodeSummary(r *CallRecord, exts, lines []string) []byte {
	b := make([]byte, 0, 96)
	b = append(b, summaryFormat)
	for _, v := range []int64{unixMS(r.Start), unixMS(r.Answer), unixMS(r.End), int64(r.DurationS), int64(r.Cost)} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	b = append(b, enumIndex(Results(), r.Result), enumIndex(Directions(), r.Direction), enumIndex(Origins(), r.Origin), 0)
	if r.DISA != "" {
		b[len(b)-1] = 1
	}
	for _, s := range []string{r.Disposition, r.Caller, r.Callee, r.Route} {
		b = appendString(b, s)
	}
	for _, list := range [][]string{exts, lines} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, s := range list {
			b = appendString(b, s)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(r.Queues)))
	for _, q := range r.Queues {
		b = appendString(b, q.Queue)
		b = binary.AppendVarint(b, max(0, q.Leave.Sub(q.Enter).Milliseconds()))
		b = append(b, enumIndex(queueOutcomes(), q.Outcome))
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errSummary = errors.New("malformed call-record summary")

// summaryReader decodes a summary's tail, stopping at the first problem.
type summaryReader struct {
	b   []byte
	err error
}

func (d *summaryReader) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errSummary
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *summaryReader) count(max int) int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(max) {
		d.err = errSummary
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *summaryReader) byte1() uint8 {
	if d.err != nil || len(d.b) == 0 {
		d.err = errSummary
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *summaryReader) bytes() []byte {
	n := d.count(len(d.b))
	if d.err == nil && n > len(d.b) { // the length's own bytes are gone now
		d.err = errSummary
	}
	if d.err != nil {
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// decodeSummary reads a summary's header into s; its tail waits for
// decodeTail.
func decodeSummary(id uint64, raw []byte, s *summary) error {
	if len(raw) < summaryHeader || raw[0] != summaryFormat {
		return fmt.Errorf("%w: no header of format %d", errSummary, summaryFormat)
	}
	s.id = id
	num := func(i int) int64 { return int64(binary.BigEndian.Uint64(raw[1+8*i:])) }
	s.start, s.answer, s.end, s.dur, s.cost = num(0), num(1), num(2), num(3), num(4)
	s.result, s.dir, s.origin, s.disa = raw[41], raw[42], raw[43], raw[44] == 1
	s.tail, s.tailDone = raw[summaryHeader:], false
	return nil
}

// decodeTail decodes the texts and lists of s, once.
func (s *summary) decodeTail() error {
	if s.tailDone {
		return nil
	}
	s.tailDone = true
	d := summaryReader{b: s.tail}
	s.disp, s.caller, s.callee, s.route = d.bytes(), d.bytes(), d.bytes(), d.bytes()
	s.exts, s.lines = s.exts[:0], s.lines[:0]
	for range d.count(len(d.b)) {
		s.exts = append(s.exts, d.bytes())
	}
	for range d.count(len(d.b)) {
		s.lines = append(s.lines, d.bytes())
	}
	s.queues = s.queues[:0]
	for range d.count(len(d.b)) {
		s.queues = append(s.queues, queueSum{name: d.bytes(), waitMS: d.varint(), outcome: d.byte1()})
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d bytes after it", errSummary, len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("record %d: %w", s.id, d.err)
	}
	return nil
}

// startKey is a start-index key: the start in Unix milliseconds, then
// the ID, both big-endian so keys sort by time.
func startKey(startMS int64, id uint64) []byte {
	var k [16]byte
	binary.BigEndian.PutUint64(k[:8], uint64(max(startMS, 0)))
	binary.BigEndian.PutUint64(k[8:], id)
	return k[:]
}

// partyKey is a party-index key: kind ('e' extension, 'l' line or
// trunk), the name, a 0 byte, then the ID.
func partyKey(kind byte, name []byte, id uint64) []byte {
	k := make([]byte, 0, len(name)+10)
	k = append(k, kind)
	k = append(k, name...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, id)
}

func partyPrefix(kind byte, name string) []byte {
	return append(append([]byte{kind}, name...), 0)
}

// indexRecord writes the summary and index entries of the derived record
// r (r.ID set).
func indexRecord(tx *bbolt.Tx, r *CallRecord) error {
	exts, lines := recordParties(r, extensionIn(tx))
	sum, start, party := tx.Bucket([]byte(bucketCDRSummary)), tx.Bucket([]byte(bucketCDRStart)), tx.Bucket([]byte(bucketCDRParty))
	if sum == nil || start == nil || party == nil {
		return errors.New("call-record indexes missing")
	}
	if err := sum.Put(cdrKey(r.ID), encodeSummary(r, exts, lines)); err != nil {
		return err
	}
	if err := start.Put(startKey(unixMS(r.Start), r.ID), nil); err != nil {
		return err
	}
	for _, p := range []struct {
		kind  byte
		names []string
	}{{'e', exts}, {'l', lines}} {
		for _, n := range p.names {
			if err := party.Put(partyKey(p.kind, []byte(n), r.ID), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// unindexRecord removes record id's summary and index entries.
func unindexRecord(tx *bbolt.Tx, id uint64) error {
	sum := tx.Bucket([]byte(bucketCDRSummary))
	if sum == nil {
		return nil
	}
	raw := sum.Get(cdrKey(id))
	if raw == nil {
		return nil
	}
	var s summary
	err := decodeSummary(id, raw, &s)
	if err == nil {
		err = s.decodeTail()
	}
	if err != nil {
		return &valueError{bucketCDRSummary, strconv.FormatUint(id, 10), err}
	}
	// Copy what the deletes below would invalidate.
	startMS := s.start
	var keys [][]byte
	for _, e := range s.exts {
		keys = append(keys, partyKey('e', e, id))
	}
	for _, l := range s.lines {
		keys = append(keys, partyKey('l', l, id))
	}
	party := tx.Bucket([]byte(bucketCDRParty))
	for _, k := range keys {
		if err := party.Delete(k); err != nil {
			return err
		}
	}
	if err := tx.Bucket([]byte(bucketCDRStart)).Delete(startKey(startMS, id)); err != nil {
		return err
	}
	return sum.Delete(cdrKey(id))
}

// extensionIn tells the extension numbers configured in tx.
func extensionIn(tx *bbolt.Tx) func(string) bool {
	b := tx.Bucket([]byte(bucketExtensions))
	return func(n string) bool { return n != "" && isDigits(n) && b.Get([]byte(n)) != nil }
}

// ensureIndex builds the call-record indexes when they are missing, of
// another format, or do not cover exactly the stored records (a record
// written by a firmware that did not keep them): the migration that
// brings existing records into the search. It runs at every read-write
// Open; when the indexes are whole it reads six keys.
func (db *DB) ensureIndex() error {
	var whole bool
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		whole = indexWhole(tx)
		return nil
	})
	if err != nil || whole {
		return err
	}
	begin := time.Now()
	n := 0
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{bucketCDRSummary, bucketCDRStart, bucketCDRParty} {
			if tx.Bucket([]byte(name)) != nil {
				if err := tx.DeleteBucket([]byte(name)); err != nil {
					return err
				}
			}
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		err := tx.Bucket([]byte(bucketCDR)).ForEach(func(k, v []byte) error {
			var r CallRecord
			if err := decodeValue("cdr", v, db.schema, &r); err != nil {
				return &valueError{bucketCDR, strconv.FormatUint(binary.BigEndian.Uint64(k), 10), err}
			}
			r.ID = binary.BigEndian.Uint64(k)
			deriveRecord(&r)
			n++
			return indexRecord(tx, &r)
		})
		if err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaCDRIndex), []byte(cdrIndexVersion))
	})
	if err != nil {
		return fmt.Errorf("store: index call records: %w", err)
	}
	db.log.Info("indexed the call records for search", "records", n, "took", time.Since(begin).Round(time.Millisecond))
	return nil
}

// indexWhole reports whether the indexes exist in this format and cover
// the same records as the cdr bucket: the same first and last IDs, and
// as many summaries as records.
func indexWhole(tx *bbolt.Tx) bool {
	if string(tx.Bucket([]byte(bucketMeta)).Get([]byte(metaCDRIndex))) != cdrIndexVersion {
		return false
	}
	sum, cdr := tx.Bucket([]byte(bucketCDRSummary)), tx.Bucket([]byte(bucketCDR))
	if sum == nil || tx.Bucket([]byte(bucketCDRStart)) == nil || tx.Bucket([]byte(bucketCDRParty)) == nil {
		return false
	}
	sc, cc := sum.Cursor(), cdr.Cursor()
	sf, _ := sc.First()
	cf, _ := cc.First()
	sl, _ := sc.Last()
	cl, _ := cc.Last()
	if !bytes.Equal(sf, cf) || !bytes.Equal(sl, cl) {
		return false
	}
	return sum.Stats().KeyN == cdr.Stats().KeyN
}
