package webui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// The fake's search of call records: the filters the pages' tests use,
// written plainly (the store's own tests check the real search against
// a model); it remembers the last query so tests see what a page asked.

// fakeRecords is the part of the fake that records what was asked.
type fakeRecords struct {
	lastQuery store.CallQuery
	lastStats store.StatsQuery
	billing   store.Billing
	mail      store.Mail
	// exportN, when set, makes the export produce that many made-up
	// records, one at a time (a huge range).
	exportN int
}

func (f *fakeService) selectRecords(q store.CallQuery) []store.CallRecord {
	var out []store.CallRecord
	for i := len(f.records) - 1; i >= 0; i-- {
		r := f.records[i]
		r.Result = store.ResultOf(r.Disposition)
		if r.Direction == "" {
			r.Direction = store.DirectionInternal
		}
		parties := strings.Join([]string{r.Caller, r.Callee, r.Source, r.Destination}, " ")
		switch {
		case q.Before != 0 && r.ID >= q.Before,
			!q.From.IsZero() && r.Start.Before(q.From),
			!q.To.IsZero() && !r.Start.Before(q.To),
			q.Number != "" && !strings.Contains(r.Caller, q.Number) && !strings.Contains(r.Callee, q.Number),
			q.Extension != "" && !strings.Contains(parties, q.Extension),
			q.Line != "" && r.Source != q.Line && r.Destination != q.Line,
			q.Direction != "" && r.Direction != q.Direction,
			len(q.Results) > 0 && !slices.Contains(q.Results, r.Result),
			r.DurationS < q.MinDurationS,
			q.MaxDurationS > 0 && r.DurationS > q.MaxDurationS:
			continue
		}
		out = append(out, r)
	}
	if q.Ascending {
		slices.Reverse(out)
	}
	return out
}

func (f *fakeService) CallRecord(ctx context.Context, id uint64) (store.CallRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.records {
		if r.ID == id {
			r.Result = store.ResultOf(r.Disposition)
			return r, nil
		}
	}
	return store.CallRecord{}, fmt.Errorf("fake: call record %d: %w", id, store.ErrNotFound)
}

func (f *fakeService) SearchCallRecords(ctx context.Context, q store.CallQuery) (store.CallPage, error) {
	if err := q.Validate(); err != nil {
		return store.CallPage{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callsQ.lastQuery = q
	if q.Limit == 0 {
		q.Limit = store.DefaultCallRecordsPage
	}
	all := f.selectRecords(q)
	p := store.CallPage{Records: []store.CallRecord{}, Total: len(all), Offset: q.Offset, Limit: q.Limit}
	for _, r := range all {
		p.TalkS += int64(r.DurationS)
		p.Cost += r.Cost
	}
	if q.Offset < len(all) {
		p.Records = all[q.Offset:min(len(all), q.Offset+q.Limit)]
	}
	return p, nil
}

func (f *fakeService) ExportCallRecords(ctx context.Context, q store.CallQuery, fn func(store.CallRecord) error) error {
	if err := q.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	f.callsQ.lastQuery = q
	all, n := f.selectRecords(q), f.callsQ.exportN
	f.mu.Unlock()
	st := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		t := st.Add(time.Duration(i) * time.Second)
		if err := fn(store.CallRecord{ID: uint64(i + 1), Start: t, End: t, Caller: "101", Callee: "102", Disposition: "busy", Result: "busy"}); err != nil {
			return err
		}
	}
	for _, r := range all {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeService) CallStatistics(ctx context.Context, q store.StatsQuery) (store.CallStats, error) {
	if err := q.Validate(); err != nil {
		return store.CallStats{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callsQ.lastStats = q
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	st := store.CallStats{From: q.From, To: q.To, ServiceLevelS: max(q.ServiceLevelS, store.DefaultServiceLevelS),
		Extensions: []store.PartyTally{}, Lines: []store.PartyTally{}, Routes: []store.PartyTally{}, Queues: []store.QueueTally{}}
	for d := q.From.In(loc); d.Before(q.To); d = d.AddDate(0, 0, 1) {
		st.Daily = append(st.Daily, store.Interval{Start: d})
	}
	for d := q.From.In(loc); d.Before(q.To) && q.To.Sub(q.From) <= 31*24*time.Hour; d = d.Add(time.Hour) {
		st.Hourly = append(st.Hourly, store.Interval{Start: d})
	}
	st.Weekly = []store.Interval{{Start: q.From}}
	add := func(t *store.Tally, r store.CallRecord) {
		t.Calls++
		switch r.Result {
		case store.ResultAnswered:
			t.Answered++
		case store.ResultMissed:
			t.Missed++
		case store.ResultAbandoned:
			t.Abandoned++
		default:
			t.Failed++
		}
		t.Internal++
		t.TalkS += int64(r.DurationS)
		t.Cost += r.Cost
	}
	ext := map[string]*store.Tally{}
	for _, r := range f.selectRecords(q.CallQuery) {
		add(&st.Totals, r)
		for i := range st.Daily {
			if !r.Start.Before(st.Daily[i].Start) && r.Start.Before(st.Daily[i].Start.AddDate(0, 0, 1)) {
				add(&st.Daily[i].Tally, r)
			}
		}
		for i := range st.Hourly {
			if !r.Start.Before(st.Hourly[i].Start) && r.Start.Before(st.Hourly[i].Start.Add(time.Hour)) {
				add(&st.Hourly[i].Tally, r)
			}
		}
		add(&st.Weekly[0].Tally, r)
		h := r.Start.In(loc)
		add(&st.HourOfDay[h.Hour()], r)
		st.Busiest[(int(h.Weekday())+6)%7][h.Hour()]++
		if ext[r.Caller] == nil {
			ext[r.Caller] = &store.Tally{}
		}
		add(ext[r.Caller], r)
	}
	for n, t := range ext {
		st.Extensions = append(st.Extensions, store.PartyTally{Name: n, Tally: *t})
	}
	if st.Totals.Calls > 0 {
		st.Lines = append(st.Lines, store.PartyTally{Name: "fxo:1", Tally: st.Totals})
		st.Queues = append(st.Queues, store.QueueTally{Queue: "sales", Offered: 4, Answered: 3, AnsweredWithin: 2, Abandoned: 1, WaitMS: 40000, AnsweredWaitMS: 30000, MaxWaitMS: 20000})
	}
	return st, nil
}

func (f *fakeService) Billing(ctx context.Context) (store.Billing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.callsQ.billing, nil
}

func (f *fakeService) UpdateBilling(ctx context.Context, b store.Billing) (store.Billing, error) {
	if b.SMDR.Baud != 0 && !slices.Contains(store.SMDRBauds(), b.SMDR.Baud) {
		return b, invalid("smdr.baud", "must be one of the standard speeds")
	}
	if b.SMDR.SerialPort != "" && !strings.HasPrefix(b.SMDR.SerialPort, "/") {
		return b, invalid("smdr.serial_port", "must be an absolute device path such as /dev/ttyS1")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callsQ.billing = b
	f.writes++
	return b, nil
}

func (f *fakeService) Mail(ctx context.Context) (store.Mail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.callsQ.mail, nil
}

func (f *fakeService) UpdateMail(ctx context.Context, m store.Mail) (store.Mail, error) {
	if m.Server != "" && m.From == "" {
		return m, invalid("from", "is required to send e-mail")
	}
	if msg := store.AddressProblem(m.From); m.From != "" && msg != "" {
		return m, invalid("from", msg)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callsQ.mail = m
	f.writes++
	return m, nil
}

// fakeOutputs is the box's e-mail and SMDR output as the settings pages
// see it.
type fakeOutputs struct {
	sent    []string // test messages' recipients
	failing error
}

func (o *fakeOutputs) MailStatus() MailStatus {
	return MailStatus{Queued: 2, LastError: "login: the server answered 535 5.7.8 Authentication credentials invalid", LastErrorTime: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
}
func (o *fakeOutputs) SendTestMail(_ context.Context, m store.Mail, to string) error {
	if o.failing != nil {
		return o.failing
	}
	o.sent = append(o.sent, to)
	return nil
}
func (o *fakeOutputs) SMDRStatus() []SMDRStatus {
	return []SMDRStatus{{Output: "serial", Target: "/dev/ttyS1", Connected: false, LastError: "open /dev/ttyS1: no such file", Since: time.Now()}}
}
