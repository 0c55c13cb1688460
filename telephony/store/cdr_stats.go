package store

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.etcd.io/bbolt"
)

// StatsQuery asks for the statistics of the records a CallQuery selects
// (its Sort, Offset, Limit and Before are ignored).
type StatsQuery struct {
	CallQuery
	// Location is the time zone of the hours, days and weeks (nil: UTC).
	Location *time.Location
	// ServiceLevelS is a queue's target: the share of its callers
	// answered within this many seconds (0: DefaultServiceLevelS).
	ServiceLevelS int
}

// Statistics bounds.
const (
	DefaultServiceLevelS = 20
	MaxServiceLevelS     = 3600
	// MaxStatsDays bounds a statistics range (its day series).
	MaxStatsDays = 3700
	// MaxHourlyDays is the longest range with an hour-by-hour series.
	MaxHourlyDays = 31
)

// Tally counts calls: by result and direction, with their talk time and
// cost. Calls is always the sum of the five results and of the three
// directions.
type Tally struct {
	Calls     int   `json:"calls"`
	Answered  int   `json:"answered"`
	Missed    int   `json:"missed"`
	Busy      int   `json:"busy"`
	Abandoned int   `json:"abandoned"`
	Failed    int   `json:"failed"`
	In        int   `json:"in"`
	Out       int   `json:"out"`
	Internal  int   `json:"internal"`
	TalkS     int64 `json:"talk_s"`
	Cost      Money `json:"cost"`
}

func (t *Tally) add(s *summary) {
	t.Calls++
	switch s.result {
	case 1:
		t.Answered++
	case 2:
		t.Missed++
	case 3:
		t.Busy++
	case 4:
		t.Abandoned++
	default:
		t.Failed++
	}
	switch s.dir {
	case 1:
		t.In++
	case 2:
		t.Out++
	default:
		t.Internal++
	}
	t.TalkS += s.dur
	t.Cost += Money(s.cost)
}

// Interval is one step of a time series: the calls that started in
// [Start, next interval's Start).
type Interval struct {
	Start time.Time `json:"start"`
	Tally
}

// PartyTally is the calls of one extension, line or trunk, or route.
type PartyTally struct {
	Name string `json:"name"`
	Tally
}

// QueueTally is one queue's service: every wait of a caller in it.
type QueueTally struct {
	Queue string `json:"queue"`
	// Offered are the callers who waited; each ended answered,
	// abandoned or timed out (sent on by the queue).
	Offered   int `json:"offered"`
	Answered  int `json:"answered"`
	Abandoned int `json:"abandoned"`
	TimedOut  int `json:"timed_out"`
	// AnsweredWithin were answered within the service-level target.
	AnsweredWithin int `json:"answered_within"`
	// WaitMS is the waiting of every caller, AnsweredWaitMS that of
	// the answered ones; MaxWaitMS the longest wait.
	WaitMS         int64 `json:"wait_ms"`
	AnsweredWaitMS int64 `json:"answered_wait_ms"`
	MaxWaitMS      int64 `json:"max_wait_ms"`
}

// ServiceLevel is the share of the offered callers answered within the
// target (0 to 1; 0 with no callers).
func (q QueueTally) ServiceLevel() float64 {
	if q.Offered == 0 {
		return 0
	}
	return float64(q.AnsweredWithin) / float64(q.Offered)
}

// AverageWait is the mean wait of the answered callers (the "average
// speed of answer"), and of all callers.
func (q QueueTally) AverageWait() (answered, all time.Duration) {
	if q.Answered > 0 {
		answered = time.Duration(q.AnsweredWaitMS/int64(q.Answered)) * time.Millisecond
	}
	if q.Offered > 0 {
		all = time.Duration(q.WaitMS/int64(q.Offered)) * time.Millisecond
	}
	return answered, all
}

// CallStats are the statistics of a range of call records. Every call
// is in Totals once; an extension's, line's or route's tally counts
// every call it took part in (so their sum may exceed the total); the
// series and the hours of the day split the total by start time.
type CallStats struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// ServiceLevelS is the queues' service-level target.
	ServiceLevelS int   `json:"service_level_s"`
	Totals        Tally `json:"totals"`
	// Hourly is nil for ranges longer than MaxHourlyDays. Weeks start
	// on Monday.
	Hourly []Interval `json:"hourly,omitempty"`
	Daily  []Interval `json:"daily"`
	Weekly []Interval `json:"weekly"`
	// HourOfDay splits the calls by the hour of the day they started
	// in; Busiest by weekday (Monday first) and hour.
	HourOfDay  [24]Tally    `json:"hour_of_day"`
	Busiest    [7][24]int   `json:"busiest"`
	Extensions []PartyTally `json:"extensions"`
	Lines      []PartyTally `json:"lines"`
	Routes     []PartyTally `json:"routes"`
	Queues     []QueueTally `json:"queues"`
}

// CallStatistics counts the records q selects. A range left open ends
// at the newest and starts at the oldest matching record.
func (db *DB) CallStatistics(q StatsQuery) (CallStats, error) {
	cq := q.CallQuery
	cq.Sort, cq.Offset, cq.Limit, cq.Before = "", 0, 0, 0
	if err := cq.Validate(); err != nil {
		return CallStats{}, err
	}
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	sl := q.ServiceLevelS
	if sl == 0 {
		sl = DefaultServiceLevelS
	}
	if sl < 0 || sl > MaxServiceLevelS {
		return CallStats{}, fieldErr("service_level", "must be 1 to %d seconds", MaxServiceLevelS)
	}
	st := CallStats{From: cq.From, To: cq.To, ServiceLevelS: sl}
	m := compile(cq)
	m.needTail = true
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if st.From.IsZero() || st.To.IsZero() {
			first, last, ok, err := db.startRange(tx, m)
			if err != nil || !ok {
				return err
			}
			if st.From.IsZero() {
				st.From = first
			}
			if st.To.IsZero() {
				st.To = last.Add(time.Millisecond)
			}
		}
		if st.To.Sub(st.From) > MaxStatsDays*24*time.Hour {
			return fieldErr("from", "the range must be at most %d days", MaxStatsDays)
		}
		c := newCounter(&st, loc)
		err := db.scan(tx, m, func(s *summary) error {
			c.add(s)
			return nil
		})
		c.finish()
		return err
	})
	if err != nil {
		if _, ok := AsValidationError(err); ok {
			return CallStats{}, err
		}
		return CallStats{}, fmt.Errorf("store: call statistics: %w", err)
	}
	for _, l := range []*[]PartyTally{&st.Extensions, &st.Lines, &st.Routes} {
		emptyIfNil(l)
	}
	emptyIfNil(&st.Queues)
	emptyIfNil(&st.Daily)
	emptyIfNil(&st.Weekly)
	return st, nil
}

// startRange finds the first and last start time of the selection.
func (db *DB) startRange(tx *bbolt.Tx, m *matcher) (first, last time.Time, ok bool, err error) {
	lo, hi := int64(0), int64(0)
	err = db.scan(tx, m, func(s *summary) error {
		if !ok || s.start < lo {
			lo = s.start
		}
		if !ok || s.start > hi {
			hi = s.start
		}
		ok = true
		return nil
	})
	return time.UnixMilli(lo), time.UnixMilli(hi), ok, err
}

// counter adds summaries into a CallStats.
type counter struct {
	st                    *CallStats
	loc                   *time.Location
	hourly, daily, weekly []int64 // interval starts, Unix ms
	ext, line, route      map[string]*Tally
	queue                 map[string]*QueueTally
	slMS                  int64
}

func newCounter(st *CallStats, loc *time.Location) *counter {
	c := &counter{st: st, loc: loc, ext: map[string]*Tally{}, line: map[string]*Tally{}, route: map[string]*Tally{},
		queue: map[string]*QueueTally{}, slMS: int64(st.ServiceLevelS) * 1000}
	from, to := st.From.In(loc), st.To
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	if to.Sub(from) <= MaxHourlyDays*24*time.Hour {
		for t := time.Date(from.Year(), from.Month(), from.Day(), from.Hour(), 0, 0, 0, loc); t.Before(to); t = t.Add(time.Hour) {
			st.Hourly = append(st.Hourly, Interval{Start: t})
			c.hourly = append(c.hourly, t.UnixMilli())
		}
	}
	for t := day; t.Before(to); t = t.AddDate(0, 0, 1) {
		st.Daily = append(st.Daily, Interval{Start: t})
		c.daily = append(c.daily, t.UnixMilli())
	}
	for t := week; t.Before(to); t = t.AddDate(0, 0, 7) {
		st.Weekly = append(st.Weekly, Interval{Start: t})
		c.weekly = append(c.weekly, t.UnixMilli())
	}
	return c
}

// slot is the interval of starts that holds t (-1: none).
func slot(starts []int64, t int64) int {
	return sort.Search(len(starts), func(i int) bool { return starts[i] > t }) - 1
}

func (c *counter) add(s *summary) {
	st := c.st
	st.Totals.add(s)
	for _, series := range []struct {
		starts []int64
		out    []Interval
	}{{c.hourly, st.Hourly}, {c.daily, st.Daily}, {c.weekly, st.Weekly}} {
		if i := slot(series.starts, s.start); i >= 0 {
			series.out[i].add(s)
		}
	}
	t := time.UnixMilli(s.start).In(c.loc)
	st.HourOfDay[t.Hour()].add(s)
	st.Busiest[(int(t.Weekday())+6)%7][t.Hour()]++
	tallyOf := func(m map[string]*Tally, name []byte) *Tally {
		if x := m[string(name)]; x != nil {
			return x
		}
		x := &Tally{}
		m[string(name)] = x
		return x
	}
	for _, e := range s.exts {
		tallyOf(c.ext, e).add(s)
	}
	for _, l := range s.lines {
		tallyOf(c.line, l).add(s)
	}
	if len(s.route) > 0 {
		tallyOf(c.route, s.route).add(s)
	}
	for _, v := range s.queues {
		q := c.queue[string(v.name)]
		if q == nil {
			q = &QueueTally{Queue: string(v.name)}
			c.queue[q.Queue] = q
		}
		q.Offered++
		q.WaitMS += v.waitMS
		q.MaxWaitMS = max(q.MaxWaitMS, v.waitMS)
		switch v.outcome {
		case 1:
			q.Answered++
			q.AnsweredWaitMS += v.waitMS
			if v.waitMS <= c.slMS {
				q.AnsweredWithin++
			}
		case 2:
			q.Abandoned++
		default:
			q.TimedOut++
		}
	}
}

// finish turns the maps into the stats' sorted lists.
func (c *counter) finish() {
	st := c.st
	st.Extensions, st.Lines, st.Routes = parties(c.ext), parties(c.line), parties(c.route)
	st.Queues = make([]QueueTally, 0, len(c.queue))
	for _, q := range c.queue {
		st.Queues = append(st.Queues, *q)
	}
	slices.SortFunc(st.Queues, func(a, b QueueTally) int { return cmp.Compare(a.Queue, b.Queue) })
}

// parties lists tallies busiest first, then by name.
func parties(m map[string]*Tally) []PartyTally {
	out := make([]PartyTally, 0, len(m))
	for n, t := range m {
		out = append(out, PartyTally{Name: n, Tally: *t})
	}
	slices.SortFunc(out, func(a, b PartyTally) int {
		if c := cmp.Compare(b.Calls, a.Calls); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}
