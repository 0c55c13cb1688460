package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// CallQuery selects and orders call records. The zero value selects
// every record, newest first.
type CallQuery struct {
	// From and To bound the start time: From ≤ start < To (zero: open).
	From, To time.Time
	// Number matches the caller's or the called number, Caller and
	// Callee one of them: a part of the number, any case ("5550",
	// "anonymous").
	Number, Caller, Callee string
	// Extension is an extension that took part (called, answered,
	// transferred, called out); Line a line or trunk ("fxo:2",
	// "trunk:provider").
	Extension, Line string
	// Direction is in, out or internal ("" any).
	Direction string
	// Results are the results to keep (none: any).
	Results []string
	// Queue is a queue the caller waited in.
	Queue string
	// Origin keeps the calls the box placed on someone's behalf (api,
	// callback) or that dialled out through a DISA (disa); "" any.
	Origin string
	// MinDurationS and MaxDurationS bound the talk time (0: unbounded).
	MinDurationS, MaxDurationS int
	// Before keeps records older than this ID (0: any): the cursor of
	// the newest-first pages.
	Before uint64

	// Sort is id (the default: the order the calls ended in, as records
	// are stored), start, duration, caller, callee or cost; within equal
	// keys, by ID. Ascending reverses the default newest (or largest)
	// first.
	Sort      string
	Ascending bool
	// Offset and Limit choose the page (Limit 0: DefaultCallRecordsPage;
	// at most MaxCallRecordsPage).
	Offset, Limit int
}

// CallPage is one page of a search, with the totals of every matching
// record (not only this page's).
type CallPage struct {
	Records []CallRecord `json:"records"`
	// Total is the number of matching records; TalkS their talk time,
	// Cost their cost.
	Total  int   `json:"total"`
	TalkS  int64 `json:"talk_s"`
	Cost   Money `json:"cost"`
	Offset int   `json:"offset"`
	Limit  int   `json:"limit"`
}

// CallSorts are the valid CallQuery.Sort values.
func CallSorts() []string { return []string{"id", "start", "duration", "caller", "callee", "cost"} }

// Bounds of a query's text.
const maxQueryText = 64

// callQueryParams are the URL parameters ParseCallQuery reads.
var callQueryParams = []string{"from", "to", "number", "caller", "callee", "extension", "line", "direction", "result",
	"queue", "origin", "min_duration", "max_duration", "before", "sort", "order", "offset", "limit"}

// CallQueryParams are the URL parameters of a search (the API's, the
// page's and pbxctl's), in the order the documentation lists them.
func CallQueryParams() []string { return slices.Clone(callQueryParams) }

// ParseCallQuery reads a search from URL parameters, naming the
// parameter of each problem in a *ValidationError: from and to (a day
// 2026-11-20, which for to includes the whole day; a local time
// 2026-11-20T09:30 in loc; or RFC 3339 with a zone), number, caller,
// callee, extension, line, direction, result (repeated, or comma
// separated), queue, min_duration and max_duration (seconds), before (an
// ID), sort, order (asc or desc), offset and limit. Parameters it does
// not know are refused unless listed in extra.
func ParseCallQuery(v url.Values, loc *time.Location, extra ...string) (CallQuery, error) {
	var q CallQuery
	e := &ValidationError{}
	for k := range v {
		if !slices.Contains(callQueryParams, k) && !slices.Contains(extra, k) {
			e.add(k, "unknown parameter (known: %s)", strings.Join(callQueryParams, ", "))
		}
	}
	one := func(k string) string {
		vals := v[k]
		if len(vals) > 1 {
			e.add(k, "is given %d times", len(vals))
		}
		if len(vals) == 0 {
			return ""
		}
		return strings.TrimSpace(vals[0])
	}
	num := func(k string, max int) int {
		s := one(k)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > max {
			e.add(k, "must be a whole number from 0 to %d", max)
			return 0
		}
		return n
	}
	var err error
	if q.From, err = parseQueryTime(one("from"), loc, false); err != nil {
		e.add("from", "%v", err)
	}
	if q.To, err = parseQueryTime(one("to"), loc, true); err != nil {
		e.add("to", "%v", err)
	}
	q.Number, q.Caller, q.Callee = one("number"), one("caller"), one("callee")
	q.Extension, q.Line, q.Direction, q.Queue = one("extension"), one("line"), one("direction"), one("queue")
	q.Origin = one("origin")
	for _, r := range v["result"] {
		for _, part := range strings.Split(r, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(q.Results, part) {
				q.Results = append(q.Results, part)
			}
		}
	}
	q.MinDurationS = num("min_duration", 1<<31-1)
	q.MaxDurationS = num("max_duration", 1<<31-1)
	if s := one("before"); s != "" {
		if q.Before, err = strconv.ParseUint(s, 10, 64); err != nil || q.Before == 0 {
			e.add("before", "must be a call record ID (a whole number of 1 or more)")
		}
	}
	q.Sort = one("sort")
	switch one("order") {
	case "", "desc":
	case "asc":
		q.Ascending = true
	default:
		e.add("order", "must be asc or desc")
	}
	q.Offset = num("offset", MaxCallRecordRetention)
	if s := one("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 || q.Limit > MaxCallRecordsPage {
			e.add("limit", "must be a whole number from 1 to %d", MaxCallRecordsPage)
		}
	}
	// The rules on the values, for the parameters that parsed.
	if v, ok := AsValidationError(q.Validate()); ok {
		for _, f := range v.Fields {
			if !slices.ContainsFunc(e.Fields, func(x FieldError) bool { return x.Field == f.Field }) {
				e.Fields = append(e.Fields, f)
			}
		}
	}
	return q, e.err()
}

// parseQueryTime reads a bound of a date range.
func parseQueryTime(s string, loc *time.Location, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		if end {
			d = d.AddDate(0, 0, 1) // the whole day
		}
		return d, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-20), a time (2026-11-20T09:30) or an RFC 3339 time", s)
}

// Validate checks a query built in Go (ParseCallQuery calls it): every
// problem is named by its URL parameter.
func (q CallQuery) Validate() error {
	e := &ValidationError{}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		e.add("to", "must be after from")
	}
	for _, t := range []struct {
		name, v string
	}{{"number", q.Number}, {"caller", q.Caller}, {"callee", q.Callee}, {"extension", q.Extension}, {"line", q.Line}, {"queue", q.Queue}} {
		if len(t.v) > maxQueryText || strings.ContainsFunc(t.v, isControl) {
			e.add(t.name, "must be at most %d characters", maxQueryText)
		}
	}
	if q.Direction != "" && !slices.Contains(Directions(), q.Direction) {
		e.add("direction", "must be one of %s", strings.Join(Directions(), ", "))
	}
	if q.Origin != "" && q.Origin != OriginDISA && !slices.Contains(Origins(), q.Origin) {
		e.add("origin", "must be one of %s, %s", strings.Join(Origins(), ", "), OriginDISA)
	}
	for _, r := range q.Results {
		if !slices.Contains(Results(), r) {
			e.add("result", "%q is not one of %s", r, strings.Join(Results(), ", "))
			break
		}
	}
	if q.MinDurationS < 0 {
		e.add("min_duration", "must not be negative")
	}
	if q.MaxDurationS < 0 || (q.MaxDurationS > 0 && q.MaxDurationS < q.MinDurationS) {
		e.add("max_duration", "must be 0 (no bound) or at least min_duration")
	}
	if q.Sort != "" && !slices.Contains(CallSorts(), q.Sort) {
		e.add("sort", "must be one of %s", strings.Join(CallSorts(), ", "))
	}
	if q.Offset < 0 || q.Offset > MaxCallRecordRetention {
		e.add("offset", "must be 0 to %d", MaxCallRecordRetention)
	}
	if q.Limit < 0 || q.Limit > MaxCallRecordsPage {
		e.add("limit", "must be 1 to %d", MaxCallRecordsPage)
	}
	return e.err()
}

// matcher is a query compiled for summaries.
type matcher struct {
	from, to               int64 // Unix ms; to 0: open
	before                 uint64
	number, caller, callee []byte // lower case
	ext, line, queue       []byte
	dir                    uint8
	// origin: the Origins() index to keep (0: any); disa: keep only
	// DISA calls.
	origin                   uint8
	disa                     bool
	results                  [8]bool
	anyResult                bool
	minDur, maxDur           int64
	useParty                 byte // 'e' or 'l': scan that party index
	partyName                string
	fromSet, toSet, useStart bool
	// needTail: a filter looks at the summary's texts or lists (or the
	// caller wants them: statistics, text sorts).
	needTail bool
}

func compile(q CallQuery) *matcher {
	m := &matcher{before: q.Before, minDur: int64(q.MinDurationS), maxDur: int64(q.MaxDurationS), anyResult: len(q.Results) == 0}
	if !q.From.IsZero() {
		m.from, m.fromSet = q.From.UnixMilli(), true
	}
	if !q.To.IsZero() {
		m.to, m.toSet = q.To.UnixMilli(), true
	}
	lower := func(s string) []byte {
		if s == "" {
			return nil
		}
		return []byte(strings.ToLower(s))
	}
	m.number, m.caller, m.callee = lower(q.Number), lower(q.Caller), lower(q.Callee)
	if q.Extension != "" {
		m.ext = []byte(q.Extension)
	}
	if q.Line != "" {
		m.line = []byte(q.Line)
	}
	if q.Queue != "" {
		m.queue = []byte(q.Queue)
	}
	m.needTail = m.number != nil || m.caller != nil || m.callee != nil || m.ext != nil || m.line != nil || m.queue != nil ||
		q.Sort == "caller" || q.Sort == "callee"
	m.dir = enumIndex(Directions(), q.Direction)
	if q.Origin == OriginDISA {
		m.disa = true
	} else {
		m.origin = enumIndex(Origins(), q.Origin)
	}
	for _, r := range q.Results {
		m.results[enumIndex(Results(), r)] = true
	}
	switch {
	case q.Extension != "":
		m.useParty, m.partyName = 'e', q.Extension
	case q.Line != "":
		m.useParty, m.partyName = 'l', q.Line
	case m.fromSet || m.toSet:
		m.useStart = true
	}
	return m
}

// match tests s; the tail is decoded only when a filter needs it
// (needTail).
func (m *matcher) match(s *summary) (bool, error) {
	switch {
	case m.before != 0 && s.id >= m.before,
		m.fromSet && s.start < m.from,
		m.toSet && s.start >= m.to,
		m.dir != 0 && s.dir != m.dir,
		m.origin != 0 && s.origin != m.origin,
		m.disa && !s.disa,
		!m.anyResult && !m.results[s.result],
		s.dur < m.minDur,
		m.maxDur > 0 && s.dur > m.maxDur:
		return false, nil
	}
	if !m.needTail {
		return true, nil
	}
	if err := s.decodeTail(); err != nil {
		return false, err
	}
	switch {
	case m.caller != nil && !containsFold(s.caller, m.caller),
		m.callee != nil && !containsFold(s.callee, m.callee),
		m.number != nil && !containsFold(s.caller, m.number) && !containsFold(s.callee, m.number),
		m.ext != nil && !hasBytes(s.exts, m.ext),
		m.line != nil && !hasBytes(s.lines, m.line):
		return false, nil
	}
	if m.queue != nil {
		for _, q := range s.queues {
			if bytes.Equal(q.name, m.queue) {
				return true, nil
			}
		}
		return false, nil
	}
	return true, nil
}

func hasBytes(list [][]byte, v []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, v) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case sub, ignoring
// the case of ASCII letters in s.
func containsFold(s, sub []byte) bool {
	if len(sub) == 0 {
		return true
	}
outer:
	for i := 0; i+len(sub) <= len(s); i++ {
		for j, c := range sub {
			d := s[i+j]
			if 'A' <= d && d <= 'Z' {
				d += 'a' - 'A'
			}
			if d != c {
				continue outer
			}
		}
		return true
	}
	return false
}

// scan calls fn with the summary of every record m selects, newest (by
// ID) first. fn's summary is reused
// and valid only during the call. A database without indexes (an old
// file opened read-only) is scanned record by record.
func (db *DB) scan(tx *bbolt.Tx, m *matcher, fn func(s *summary) error) error {
	if !db.indexed {
		return db.scanRecords(tx, m, fn)
	}
	sum := tx.Bucket([]byte(bucketCDRSummary))
	var s summary
	visit := func(id uint64, raw []byte) error {
		if raw == nil {
			return nil
		}
		if err := decodeSummary(id, raw, &s); err != nil {
			return &valueError{bucketCDRSummary, strconv.FormatUint(id, 10), err}
		}
		ok, err := m.match(&s)
		if ok && err == nil {
			err = fn(&s)
		}
		return err
	}
	// An index is worth it when it selects few records: following it
	// costs a look-up per record, the full scan a sequential read.
	var ids []uint64
	switch {
	case m.useParty != 0:
		prefix := partyPrefix(m.useParty, m.partyName)
		c := tx.Bucket([]byte(bucketCDRParty)).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, binary.BigEndian.Uint64(k[len(prefix):]))
		}
	case m.useStart:
		c := tx.Bucket([]byte(bucketCDRStart)).Cursor()
		for k, _ := c.Seek(startKey(m.from, 0)); k != nil; k, _ = c.Next() {
			if m.toSet && int64(binary.BigEndian.Uint64(k[:8])) >= m.to {
				break
			}
			ids = append(ids, binary.BigEndian.Uint64(k[8:]))
		}
	}
	if ids != nil || m.useParty != 0 || m.useStart {
		if len(ids)*8 < recordCount(tx) {
			// Newest first, as the full scan.
			slices.Sort(ids)
			for i := len(ids) - 1; i >= 0; i-- {
				if err := visit(ids[i], sum.Get(cdrKey(ids[i]))); err != nil {
					return err
				}
			}
			return nil
		}
	}
	c := sum.Cursor()
	var k, v []byte
	if m.before != 0 {
		if k, _ = c.Seek(cdrKey(m.before)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		k, v = c.Last()
	}
	for ; k != nil; k, v = c.Prev() {
		if err := visit(binary.BigEndian.Uint64(k), v); err != nil {
			return err
		}
	}
	return nil
}

// recordCount is the number of records (their IDs are consecutive: the
// retention trims the oldest).
func recordCount(tx *bbolt.Tx) int {
	c := tx.Bucket([]byte(bucketCDR)).Cursor()
	first, _ := c.First()
	last, _ := c.Last()
	if first == nil {
		return 0
	}
	return int(binary.BigEndian.Uint64(last)-binary.BigEndian.Uint64(first)) + 1
}

// scanRecords is scan without indexes: every record decoded.
func (db *DB) scanRecords(tx *bbolt.Tx, m *matcher, fn func(s *summary) error) error {
	isExt := extensionIn(tx)
	var s summary
	c := tx.Bucket([]byte(bucketCDR)).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var r CallRecord
		id := binary.BigEndian.Uint64(k)
		if err := decodeValue("cdr", v, db.schema, &r); err != nil {
			return &valueError{bucketCDR, strconv.FormatUint(id, 10), err}
		}
		r.ID = id
		deriveRecord(&r)
		exts, lines := recordParties(&r, isExt)
		if err := decodeSummary(id, encodeSummary(&r, exts, lines), &s); err != nil {
			return err
		}
		ok, err := m.match(&s)
		if ok && err == nil {
			err = fn(&s)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// hit is a match kept for sorting. It holds no pointer, so that a
// search's 100,000 of them cost the garbage collector nothing: key is the
// sort key (negated for a descending order), tie the ID (inverted for a
// descending order), so that every numeric sort is one ascending
// comparison of two integers; the text of the caller and callee sorts is
// in an arena.
type hit struct {
	key             int64
	tie             uint64
	id              uint64
	textAt, textLen uint32
}

// SearchCallRecords returns one page of the records q selects, sorted,
// with the totals of all of them. q is validated first (a
// *ValidationError names the parameter).
func (db *DB) SearchCallRecords(q CallQuery) (CallPage, error) {
	if err := q.Validate(); err != nil {
		return CallPage{}, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultCallRecordsPage
	}
	page := CallPage{Records: []CallRecord{}, Offset: q.Offset, Limit: q.Limit}
	m := compile(q)
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		hits := make([]hit, 0, min(MaxCallRecordRetention, tx.Bucket([]byte(bucketCDR)).Sequence()))
		var arena []byte
		err := db.scan(tx, m, func(s *summary) error {
			h := hit{key: int64(s.id), tie: s.id, id: s.id}
			var text []byte // the tail is decoded for these sorts (needTail)
			switch q.Sort {
			case "start":
				h.key = s.start
			case "duration":
				h.key = s.dur
			case "cost":
				h.key = s.cost
			case "caller":
				text = s.caller
			case "callee":
				text = s.callee
			}
			if !q.Ascending {
				h.key, h.tie = -h.key, ^h.tie
			}
			if text != nil {
				h.textAt, h.textLen = uint32(len(arena)), uint32(len(text))
				arena = append(arena, text...)
			}
			page.TalkS += s.dur
			page.Cost += Money(s.cost)
			hits = append(hits, h)
			return nil
		})
		if err != nil {
			return err
		}
		page.Total = len(hits)
		if q.Offset >= len(hits) {
			return nil
		}
		hits = topHits(hits, hitOrder(arena, q.Sort, q.Ascending), q.Offset+q.Limit)
		hits = hits[q.Offset:min(len(hits), q.Offset+q.Limit)]
		b := tx.Bucket([]byte(bucketCDR))
		for _, h := range hits {
			r, err := db.decodeRecord(h.id, b.Get(cdrKey(h.id)))
			if err != nil {
				return err
			}
			page.Records = append(page.Records, r)
		}
		return nil
	})
	if err != nil {
		return CallPage{}, fmt.Errorf("store: search call records: %w", err)
	}
	return page, nil
}

// decodeRecord decodes a stored record, with the fields the store
// derives filled in for records stored before them.
func (db *DB) decodeRecord(id uint64, raw []byte) (CallRecord, error) {
	var r CallRecord
	if raw == nil {
		return r, &valueError{bucketCDR, strconv.FormatUint(id, 10), ErrNotFound}
	}
	if err := decodeValue("cdr", raw, db.schema, &r); err != nil {
		return r, &valueError{bucketCDR, strconv.FormatUint(id, 10), err}
	}
	r.ID = id
	deriveRecord(&r)
	return r, nil
}

// hitOrder is the order of the matches: by the key, then by ID, largest
// first unless ascending.
func hitOrder(arena []byte, key string, ascending bool) func(a, b hit) int {
	if key != "caller" && key != "callee" {
		return func(a, b hit) int {
			if a.key != b.key {
				return cmp.Compare(a.key, b.key)
			}
			return cmp.Compare(a.tie, b.tie)
		}
	}
	return func(a, b hit) int {
		c := bytes.Compare(arena[a.textAt:a.textAt+a.textLen], arena[b.textAt:b.textAt+b.textLen])
		if !ascending {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.tie, b.tie)
		}
		return c
	}
}

// topHits returns the first n matches in order, sorted. A first page
// (n small) is chosen in one pass with a bounded heap instead of
// sorting every match.
func topHits(hits []hit, less func(a, b hit) int, n int) []hit {
	if n >= len(hits)/8 {
		slices.SortFunc(hits, less)
		return hits
	}
	// A max-heap (by order) of the n first seen so far, in hits[:n].
	down := func(h []hit, i int) {
		for {
			l, big := 2*i+1, i
			if l < len(h) && less(h[l], h[big]) > 0 {
				big = l
			}
			if r := l + 1; r < len(h) && less(h[r], h[big]) > 0 {
				big = r
			}
			if big == i {
				return
			}
			h[i], h[big] = h[big], h[i]
			i = big
		}
	}
	heap := hits[:n]
	for i := n/2 - 1; i >= 0; i-- {
		down(heap, i)
	}
	for _, h := range hits[n:] {
		if less(h, heap[0]) < 0 {
			heap[0] = h
			down(heap, 0)
		}
	}
	slices.SortFunc(heap, less)
	return heap
}

// exportChunk is how many records EachCallRecord reads per read
// transaction: a slow reader of an export never holds the database (a
// long read transaction would stop its file from growing) nor more than
// this many records in memory.
const exportChunk = 256

// EachCallRecord calls fn with every record q selects, in start-time
// order (newest first unless q.Ascending; q's Sort, Offset and Limit are
// ignored), reading them a chunk at a time so that an export of any size
// holds only one chunk in memory. It stops at fn's first error.
func (db *DB) EachCallRecord(q CallQuery, fn func(CallRecord) error) error {
	q.Sort, q.Offset, q.Limit = "", 0, 0
	if err := q.Validate(); err != nil {
		return err
	}
	m := compile(q)
	if !db.indexed {
		return db.exportUnindexed(m, q.Ascending, fn)
	}
	var resume []byte // the start-index key to continue after
	for {
		var chunk []CallRecord
		done := true
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			sum := tx.Bucket([]byte(bucketCDRSummary))
			c := tx.Bucket([]byte(bucketCDRStart)).Cursor()
			k := db.exportFirst(c, m, q.Ascending, resume)
			var s summary
			b := tx.Bucket([]byte(bucketCDR))
			for ; k != nil; k = exportNext(c, q.Ascending) {
				t := int64(binary.BigEndian.Uint64(k[:8]))
				if (q.Ascending && m.toSet && t >= m.to) || (!q.Ascending && m.fromSet && t < m.from) {
					break
				}
				if len(chunk) == exportChunk {
					done = false
					break
				}
				resume = append(resume[:0], k...)
				id := binary.BigEndian.Uint64(k[8:])
				if err := decodeSummary(id, sum.Get(cdrKey(id)), &s); err != nil {
					return &valueError{bucketCDRSummary, strconv.FormatUint(id, 10), err}
				}
				if ok, err := m.match(&s); err != nil {
					return err
				} else if !ok {
					continue
				}
				r, err := db.decodeRecord(id, b.Get(cdrKey(id)))
				if err != nil {
					return err
				}
				chunk = append(chunk, r)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: export call records: %w", err)
		}
		for _, r := range chunk {
			if err := fn(r); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}

// exportFirst positions c on the first start-index key of a chunk: the
// one after resume, or the range's first.
func (db *DB) exportFirst(c *bbolt.Cursor, m *matcher, ascending bool, resume []byte) []byte {
	var k []byte
	switch {
	case resume != nil:
		if k, _ = c.Seek(resume); k != nil && bytes.Equal(k, resume) {
			return exportNext(c, ascending)
		}
		if ascending {
			return k
		}
		if k == nil {
			k, _ = c.Last()
			return k
		}
		k, _ = c.Prev()
		return k
	case ascending:
		k, _ = c.Seek(startKey(m.from, 0))
	case m.toSet:
		if k, _ = c.Seek(startKey(m.to, 0)); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
	default:
		k, _ = c.Last()
	}
	return k
}

func exportNext(c *bbolt.Cursor, ascending bool) []byte {
	var k []byte
	if ascending {
		k, _ = c.Next()
	} else {
		k, _ = c.Prev()
	}
	return k
}

// exportUnindexed exports from a database without indexes (an old file
// opened read-only, small by nature): the whole selection at once.
func (db *DB) exportUnindexed(m *matcher, ascending bool, fn func(CallRecord) error) error {
	var out []CallRecord
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketCDR))
		return db.scanRecords(tx, m, func(s *summary) error {
			r, err := db.decodeRecord(s.id, b.Get(cdrKey(s.id)))
			out = append(out, r)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("store: export call records: %w", err)
	}
	slices.SortStableFunc(out, func(a, b CallRecord) int {
		if ascending {
			return a.Start.Compare(b.Start)
		}
		return b.Start.Compare(a.Start)
	})
	for _, r := range out {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}
