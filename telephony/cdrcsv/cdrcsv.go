// Package cdrcsv is the CSV layout of call records: what the call
// history page, GET /api/v1/calls.csv and `pbxctl calls export` write,
// one record per line after a header line, in this column order:
//
//	id            the record's ID (increasing, never reused)
//	start         when the call began, "2006-01-02 15:04:05" in the box's time zone
//	answer        when it was answered (empty: never)
//	end           when it ended
//	caller        the caller's number
//	caller_name   the caller's name (caller ID)
//	callee        the number dialled
//	direction     in, out or internal
//	result        answered, missed, busy, abandoned or failed
//	disposition   the exact outcome (answered, no-answer, busy, voicemail, ...)
//	source        the channel the call came from (sip:101, fxs:1, fxo:2, trunk:NAME)
//	destination   the channel that answered (empty: none)
//	talk_s        talk time in seconds
//	ring_s        seconds from the start to the answer (empty: never answered)
//	route         the outbound route taken
//	cost          the price by the route's tariff, a decimal (0.17)
//	currency      billing.currency
//	queue         the first queue the caller waited in
//	queue_wait_s  how long the caller waited there, in seconds
//	voicemail     the message left, MAILBOX/ID
//	recording     the call's recording's ID (GET /api/v1/call-recordings/ID/audio)
//	parties       the legs' channels in the order they joined, space separated
//	path          the call's steps: "09:01:05 answered sip:102; 09:02:00 transferred sip:102 to sip:103 by 102"
//
// Fields are quoted as RFC 4180 says. A text field that a spreadsheet
// would run as a formula (it begins with =, +, -, @, a tab or a carriage
// return and is not a telephone number such as +74951234567) is written
// with a leading apostrophe, which Reader removes again.
package cdrcsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// Columns are the header's names, in order.
func Columns() []string {
	return []string{"id", "start", "answer", "end", "caller", "caller_name", "callee", "direction", "result", "disposition",
		"source", "destination", "talk_s", "ring_s", "route", "cost", "currency", "queue", "queue_wait_s", "voicemail",
		"recording", "parties", "path"}
}

// TimeLayout is how times are written, in the box's time zone.
const TimeLayout = "2006-01-02 15:04:05"

// Writer writes call records as CSV. Call Flush at the end (and
// whenever the lines so far should reach the client).
type Writer struct {
	w        *csv.Writer
	loc      *time.Location
	currency string
	header   bool
}

// NewWriter writes to w, times in loc, costs in currency.
func NewWriter(w io.Writer, loc *time.Location, currency string) *Writer {
	if loc == nil {
		loc = time.UTC
	}
	return &Writer{w: csv.NewWriter(w), loc: loc, currency: currency}
}

// WriteHeader writes the header line (Write does it before the first
// record; an export of nothing still has its header).
func (w *Writer) WriteHeader() error {
	if w.header {
		return nil
	}
	w.header = true
	return w.w.Write(Columns())
}

// Write writes one record.
func (w *Writer) Write(r store.CallRecord) error {
	if err := w.WriteHeader(); err != nil {
		return err
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(w.loc).Format(TimeLayout)
	}
	ring := ""
	if !r.Answer.IsZero() {
		ring = strconv.Itoa(int(r.Answer.Sub(r.Start).Round(time.Second) / time.Second))
	}
	queue, wait := "", ""
	if len(r.Queues) > 0 {
		queue = r.Queues[0].Queue
		wait = strconv.Itoa(int(r.Queues[0].Leave.Sub(r.Queues[0].Enter).Round(time.Second) / time.Second))
	}
	var parties []string
	for _, l := range r.Legs {
		parties = append(parties, l.Name)
	}
	var path []string
	for _, s := range r.Path {
		step := s.Time.In(w.loc).Format("15:04:05") + " " + s.Event
		if s.Party != "" {
			step += " " + s.Party
		}
		if s.To != "" {
			step += " to " + s.To
		}
		if s.By != "" {
			step += " by " + s.By
		}
		path = append(path, step)
	}
	return w.w.Write([]string{strconv.FormatUint(r.ID, 10), when(r.Start), when(r.Answer), when(r.End),
		defuse(r.Caller), defuse(r.CallerName), defuse(r.Callee), r.Direction, r.Result, r.Disposition,
		defuse(r.Source), defuse(r.Destination), strconv.Itoa(r.DurationS), ring, defuse(r.Route), r.Cost.String(), defuse(w.currency),
		defuse(queue), wait, defuse(r.Voicemail), defuse(r.Recording), defuse(strings.Join(parties, " ")), defuse(strings.Join(path, "; "))})
}

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// defuse defuses a field a spreadsheet would run as a formula.
func defuse(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isNumber(s) {
		return s
	}
	return "'" + s
}

// undefuse undoes defuse.
func undefuse(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// isNumber: a telephone number, which may begin with + and is no
// formula.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] == '*' || s[i] == '#') {
			return false
		}
	}
	return true
}

// Reader reads back what Writer wrote: the fields of each record that
// the columns carry (not the legs' times nor the path's structure).
type Reader struct {
	r   *csv.Reader
	loc *time.Location
	col map[string]int
}

// NewReader reads CSV from r, times in loc.
func NewReader(r io.Reader, loc *time.Location) *Reader {
	if loc == nil {
		loc = time.UTC
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	return &Reader{r: cr, loc: loc}
}

// Read returns the next record, or io.EOF after the last. The header
// must name every column (in any order).
func (rd *Reader) Read() (store.CallRecord, error) {
	if rd.col == nil {
		head, err := rd.r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return store.CallRecord{}, errors.New("cdrcsv: no header line")
			}
			return store.CallRecord{}, fmt.Errorf("cdrcsv: %w", err)
		}
		rd.col = map[string]int{}
		for i, h := range head {
			rd.col[h] = i
		}
		for _, c := range Columns() {
			if _, ok := rd.col[c]; !ok {
				return store.CallRecord{}, fmt.Errorf("cdrcsv: the header has no %q column", c)
			}
		}
	}
	row, err := rd.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return store.CallRecord{}, io.EOF
		}
		return store.CallRecord{}, fmt.Errorf("cdrcsv: %w", err)
	}
	line, _ := rd.r.FieldPos(0)
	var problems []string
	field := func(name string) string { return undefuse(row[rd.col[name]]) }
	num := func(name string) int {
		s := field(name)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			problems = append(problems, name)
		}
		return n
	}
	when := func(name string) time.Time {
		s := field(name)
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(TimeLayout, s, rd.loc)
		if err != nil {
			problems = append(problems, name)
		}
		return t
	}
	var r store.CallRecord
	var err2 error
	if r.ID, err2 = strconv.ParseUint(field("id"), 10, 64); err2 != nil {
		problems = append(problems, "id")
	}
	r.Start, r.Answer, r.End = when("start"), when("answer"), when("end")
	r.Caller, r.CallerName, r.Callee = field("caller"), field("caller_name"), field("callee")
	r.Direction, r.Result, r.Disposition = field("direction"), field("result"), field("disposition")
	r.Source, r.Destination, r.Route, r.Voicemail = field("source"), field("destination"), field("route"), field("voicemail")
	r.Recording = field("recording")
	r.DurationS = num("talk_s")
	if r.Cost, err2 = store.ParseMoney(field("cost")); err2 != nil {
		problems = append(problems, "cost")
	}
	if q := field("queue"); q != "" {
		r.Queues = []store.QueueVisit{{Queue: q}}
	}
	for _, p := range strings.Fields(field("parties")) {
		r.Legs = append(r.Legs, store.CallLeg{Name: p})
	}
	switch {
	case r.Direction != "" && !slices.Contains(store.Directions(), r.Direction):
		problems = append(problems, "direction")
	case r.Result != "" && !slices.Contains(store.Results(), r.Result):
		problems = append(problems, "result")
	}
	if len(problems) > 0 {
		return r, fmt.Errorf("cdrcsv: line %d: bad %s", line, strings.Join(problems, ", "))
	}
	return r, nil
}
