package store

import (
	"slices"
	"testing"
	"time"
)

// tallyOf counts records the obvious way.
func tallyOf(recs []CallRecord) Tally {
	var t Tally
	for _, r := range recs {
		t.Calls++
		switch r.Result {
		case ResultAnswered:
			t.Answered++
		case ResultMissed:
			t.Missed++
		case ResultBusy:
			t.Busy++
		case ResultAbandoned:
			t.Abandoned++
		default:
			t.Failed++
		}
		switch r.Direction {
		case DirectionIn:
			t.In++
		case DirectionOut:
			t.Out++
		default:
			t.Internal++
		}
		t.TalkS += int64(r.DurationS)
		t.Cost += r.Cost
	}
	return t
}

func TestStatisticsTotalsEqualTheRecords(t *testing.T) {
	db, _ := openTemp(t)
	c, _ := db.Config()
	c.LineGroups = []LineGroup{{Name: "lines", Lines: []int{1}, Hunt: "ascending"}}
	c.OutboundRoutes = []OutboundRoute{
		{Name: "city", Pattern: "8916XXXXXXX", Class: "national", Via: []string{"lines"}, Tariff: Tariff{PerMinute: 125, UnitS: 1}},
		{Name: "mobile", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"lines"}, Tariff: Tariff{PerMinute: 350, Connection: 500}}}
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Moscow")
	recs := fillDB(t, db, genRecords(3000, 9, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)))
	from := time.Date(2026, 3, 4, 0, 0, 0, 0, loc) // a Wednesday
	to := from.AddDate(0, 0, 6)
	q := StatsQuery{CallQuery: CallQuery{From: from, To: to}, Location: loc, ServiceLevelS: 30}
	st, err := db.CallStatistics(q)
	if err != nil {
		t.Fatal(err)
	}
	in := model(recs, q.CallQuery)
	if len(in) < 300 {
		t.Fatalf("only %d records in the range", len(in))
	}
	want := tallyOf(in)
	if st.Totals != want {
		t.Errorf("totals %+v\nwant   %+v", st.Totals, want)
	}
	if want.Cost == 0 || want.Answered == 0 || want.Missed == 0 || want.Abandoned == 0 {
		t.Errorf("a weak sample: %+v", want)
	}
	sum := func(series []Interval) Tally {
		var t Tally
		for _, i := range series {
			t.Calls += i.Calls
			t.Answered += i.Answered
			t.Missed += i.Missed
			t.Busy += i.Busy
			t.Abandoned += i.Abandoned
			t.Failed += i.Failed
			t.In += i.In
			t.Out += i.Out
			t.Internal += i.Internal
			t.TalkS += i.TalkS
			t.Cost += i.Cost
		}
		return t
	}
	if len(st.Hourly) != 6*24 || len(st.Daily) != 6 || len(st.Weekly) != 2 {
		t.Errorf("series of %d hours, %d days, %d weeks", len(st.Hourly), len(st.Daily), len(st.Weekly))
	}
	var hours []Interval
	for _, h := range st.HourOfDay {
		hours = append(hours, Interval{Tally: h})
	}
	for name, series := range map[string][]Interval{"hourly": st.Hourly, "daily": st.Daily, "weekly": st.Weekly, "hour of day": hours} {
		if s := sum(series); s != want {
			t.Errorf("%s adds up to %+v", name, s)
		}
	}
	if !st.Daily[1].Start.Equal(from.AddDate(0, 0, 1)) || st.Weekly[0].Start.Weekday() != time.Monday {
		t.Errorf("days start %v, weeks %v", st.Daily[1].Start, st.Weekly[0].Start)
	}
	// Each day's tally is the tally of that day's records.
	for _, d := range st.Daily {
		day := model(recs, CallQuery{From: d.Start, To: d.Start.AddDate(0, 0, 1)})
		if d.Tally != tallyOf(day) {
			t.Errorf("day %v: %+v, want %+v", d.Start, d.Tally, tallyOf(day))
		}
	}
	busiest := 0
	for _, row := range st.Busiest {
		for _, n := range row {
			busiest += n
		}
	}
	if busiest != want.Calls {
		t.Errorf("busiest hours add up to %d", busiest)
	}
	// Per extension and per line: each one's tally is that of its records.
	for _, p := range append(slices.Clone(st.Extensions), st.Lines...) {
		q := CallQuery{From: from, To: to}
		if IsOutside(p.Name) {
			q.Line = p.Name
		} else {
			q.Extension = p.Name
		}
		if w := tallyOf(model(recs, q)); p.Tally != w {
			t.Errorf("%s: %+v, want %+v", p.Name, p.Tally, w)
		}
	}
	var routeCost Money
	for _, r := range st.Routes {
		routeCost += r.Cost
	}
	if routeCost != want.Cost || len(st.Routes) != 2 {
		t.Errorf("routes cost %v of %v (%d routes)", routeCost, want.Cost, len(st.Routes))
	}
	// Queues: every wait counted, the service level by the target.
	for _, qt := range st.Queues {
		var offered, answered, within, abandoned, timeout int
		var wait int64
		for _, r := range in {
			for _, v := range r.Queues {
				if v.Queue != qt.Queue {
					continue
				}
				offered++
				w := v.Leave.Sub(v.Enter)
				wait += w.Milliseconds()
				switch v.Outcome {
				case QueueAnswered:
					answered++
					if w <= 30*time.Second {
						within++
					}
				case QueueAbandoned:
					abandoned++
				default:
					timeout++
				}
			}
		}
		if qt.Offered != offered || qt.Answered != answered || qt.AnsweredWithin != within || qt.Abandoned != abandoned ||
			qt.TimedOut != timeout || qt.WaitMS != wait || offered == 0 {
			t.Errorf("queue %+v, want offered %d answered %d within %d abandoned %d timeout %d wait %d", qt, offered, answered, within, abandoned, timeout, wait)
		}
		if sl := qt.ServiceLevel(); sl != float64(within)/float64(offered) {
			t.Errorf("service level %v", sl)
		}
	}
	if len(st.Queues) != 2 {
		t.Errorf("%d queues", len(st.Queues))
	}
}

func TestStatisticsOpenRangeAndBounds(t *testing.T) {
	db, _ := openTemp(t)
	st, err := db.CallStatistics(StatsQuery{})
	if err != nil || st.Totals.Calls != 0 || st.Daily == nil || st.Extensions == nil {
		t.Fatalf("empty box: %+v %v", st, err)
	}
	recs := fillDB(t, db, genRecords(100, 10, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)))
	first := slices.MinFunc(recs, func(a, b CallRecord) int { return a.Start.Compare(b.Start) }).Start
	st, err = db.CallStatistics(StatsQuery{})
	if err != nil || st.Totals != tallyOf(recs) || !st.From.Equal(first) {
		t.Errorf("open range: %+v from %v (%v)", st.Totals, st.From, err)
	}
	_, err = db.CallStatistics(StatsQuery{CallQuery: CallQuery{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}})
	if v, ok := AsValidationError(err); !ok || v.Fields[0].Field != "from" {
		t.Errorf("a 26-year range: %v", err)
	}
	_, err = db.CallStatistics(StatsQuery{ServiceLevelS: -1})
	if v, ok := AsValidationError(err); !ok || v.Fields[0].Field != "service_level" {
		t.Errorf("a negative service level: %v", err)
	}
}
