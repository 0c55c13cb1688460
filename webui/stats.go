package webui

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// The statistics page: charts of the call records of a period (the
// store's CallStatistics), optionally against the period before it, each
// with its numbers as CSV.

// statsQuery is what the page and the API ask for.
type statsQuery struct {
	q       store.StatsQuery
	compare bool
	// prev is the period before, as long.
	prev store.StatsQuery
	// values are the request's parameters, for links.
	values url.Values
}

// statsParams are the page's own parameters beside the search's.
var statsParams = []string{"compare", "service_level"}

// parseStats reads a statistics request: the search's parameters
// (store.ParseCallQuery; the paging and order ones are ignored),
// compare=previous and service_level (seconds). Without a range it is the
// last 7 days.
func (s *Server) parseStats(r *http.Request) (statsQuery, error) {
	ctx := r.Context()
	loc := s.location(ctx)
	v := queryValues(r.URL.Query(), "sort", "order", "offset", "limit", "before")
	cq, err := store.ParseCallQuery(v, loc, statsParams...)
	e := &store.ValidationError{}
	if fe, ok := fieldErrors(err); ok {
		for _, f := range fe {
			e.Fields = append(e.Fields, store.FieldError{Field: f.Field, Message: f.Message})
		}
	} else if err != nil {
		return statsQuery{}, err
	}
	sq := statsQuery{values: v}
	switch v.Get("compare") {
	case "":
	case "previous":
		sq.compare = true
	default:
		e.Fields = append(e.Fields, store.FieldError{Field: "compare", Message: "must be previous (or absent)"})
	}
	sl := 0
	if x := v.Get("service_level"); x != "" {
		if sl, err = strconv.Atoi(x); err != nil || sl < 1 || sl > store.MaxServiceLevelS {
			e.Fields = append(e.Fields, store.FieldError{Field: "service_level", Message: fmt.Sprintf("must be 1 to %d seconds", store.MaxServiceLevelS)})
		}
	}
	if len(e.Fields) > 0 {
		return sq, e
	}
	now := s.now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	if cq.To.IsZero() {
		cq.To = today.AddDate(0, 0, 1)
	}
	if cq.From.IsZero() {
		cq.From = cq.To.AddDate(0, 0, -7)
	}
	sq.q = store.StatsQuery{CallQuery: cq, Location: loc, ServiceLevelS: sl}
	if sq.compare {
		sq.prev = sq.q
		sq.prev.From, sq.prev.To = cq.From.Add(-cq.To.Sub(cq.From)), cq.From
	}
	return sq, nil
}

// statChart is one chart: the table its CSV holds, and its picture.
type statChart struct {
	ID, Title, Note string
	Head            []string
	Rows            [][]string
	SVG             template.HTML
	Legend          []string
	CSV             string
}

type statsBody struct {
	Form            *form
	From, To        string // the period shown, in words
	PrevFrom        string
	Totals          []statTotal
	Charts          []statChart
	Currency        string
	Invalid         bool
	ServiceLevelS   int
	Compare         bool
	Calls, Previous *store.CallStats
}

// statTotal is one line of the totals table, with the other period.
type statTotal struct {
	Name, Value, Previous, Change string
}

func (s *Server) statsForm(ctx context.Context, v url.Values) *form {
	f := s.searchForm(ctx, v)
	keep := map[string]bool{"from": true, "to": true, "extension": true, "line": true, "direction": true}
	var fields []*field
	for _, x := range f.Fields {
		if keep[x.Name] {
			fields = append(fields, x)
		}
	}
	fields = append(fields,
		&field{ID: "q-service-level", Name: "service_level", Label: "Queue target (s)", Type: "number", Value: v.Get("service_level"), Min: "1", InputMode: "numeric",
			Placeholder: strconv.Itoa(store.DefaultServiceLevelS), Help: "A queue's service level is the share of its callers answered within this."},
		&field{ID: "q-compare", Name: "compare", Label: "Compare with", Type: "select",
			Options: selectOptions([]option{{Value: "", Label: "nothing"}, {Value: "previous", Label: "the period before"}}, v.Get("compare"), "unknown")})
	f.ID, f.Action, f.Fields = "stats-form", "/statistics", fields
	return f
}

func (s *Server) statisticsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	b := statsBody{Form: s.statsForm(ctx, r.URL.Query()), Currency: s.currency(ctx)}
	sq, err := s.parseStats(r)
	var cur store.CallStats
	var prev *store.CallStats
	if err == nil {
		cur, prev, err = s.loadStats(ctx, sq)
	}
	if err != nil {
		if fs, ok := fieldErrors(err); ok {
			b.Form.applyErrors(fs)
			b.Invalid = true
			s.render(w, r, http.StatusBadRequest, "statistics", pageData{Title: "Statistics", Active: "statistics", Body: b})
			return
		}
		herr := s.serviceError("statistics", err)
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	loc := sq.q.Location
	day := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	b.From, b.To, b.Calls, b.Previous, b.Compare, b.ServiceLevelS = day(cur.From), day(cur.To), &cur, prev, sq.compare, cur.ServiceLevelS
	if prev != nil {
		b.PrevFrom = day(prev.From)
	}
	b.Totals = statTotals(cur, prev, b.Currency)
	b.Charts = buildCharts(cur, prev, loc, func(m string) string { return s.T(r, m) })
	for i := range b.Charts {
		b.Charts[i].CSV = "/statistics/" + b.Charts[i].ID + ".csv"
		if enc := sq.values.Encode(); enc != "" {
			b.Charts[i].CSV += "?" + enc
		}
	}
	s.render(w, r, http.StatusOK, "statistics", pageData{Title: "Statistics", Active: "statistics", Body: b})
}

// loadStats counts the period and, when asked, the one before.
func (s *Server) loadStats(ctx context.Context, sq statsQuery) (store.CallStats, *store.CallStats, error) {
	cur, err := s.svc.CallStatistics(ctx, sq.q)
	if err != nil || !sq.compare {
		return cur, nil, err
	}
	prev, err := s.svc.CallStatistics(ctx, sq.prev)
	return cur, &prev, err
}

// statTotals is the totals table.
func statTotals(cur store.CallStats, prev *store.CallStats, currency string) []statTotal {
	row := func(name string, v func(t store.Tally) int64, format func(int64) string) statTotal {
		t := statTotal{Name: name, Value: format(v(cur.Totals))}
		if prev != nil {
			a, b := v(cur.Totals), v(prev.Totals)
			t.Previous = format(b)
			switch {
			case b == 0 && a == 0:
				t.Change = "="
			case b == 0:
				t.Change = "new"
			default:
				t.Change = fmt.Sprintf("%+.0f %%", float64(a-b)*100/float64(b))
			}
		}
		return t
	}
	n := func(x int64) string { return strconv.FormatInt(x, 10) }
	out := []statTotal{
		row("Calls", func(t store.Tally) int64 { return int64(t.Calls) }, n),
		row("Answered", func(t store.Tally) int64 { return int64(t.Answered) }, n),
		row("Missed", func(t store.Tally) int64 { return int64(t.Missed) }, n),
		row("Busy", func(t store.Tally) int64 { return int64(t.Busy) }, n),
		row("Abandoned", func(t store.Tally) int64 { return int64(t.Abandoned) }, n),
		row("Failed", func(t store.Tally) int64 { return int64(t.Failed) }, n),
		row("In", func(t store.Tally) int64 { return int64(t.In) }, n),
		row("Out", func(t store.Tally) int64 { return int64(t.Out) }, n),
		row("Internal", func(t store.Tally) int64 { return int64(t.Internal) }, n),
		row("Talk time", func(t store.Tally) int64 { return t.TalkS }, talkTime),
	}
	if cur.Totals.Cost != 0 || (prev != nil && prev.Totals.Cost != 0) {
		out = append(out, row("Cost "+currency, func(t store.Tally) int64 { return int64(t.Cost) }, func(x int64) string { return moneyText(store.Money(x)) }))
	}
	return out
}

// resultSeries splits intervals by result, in the order of store.Results.
func resultSeries(ivs []store.Interval, tr func(string) string) []series {
	out := make([]series, 5)
	for i, name := range store.Results() {
		out[i].Name = tr(name)
	}
	for _, iv := range ivs {
		for i, v := range []int{iv.Answered, iv.Missed, iv.Busy, iv.Abandoned, iv.Failed} {
			out[i].Values = append(out[i].Values, float64(v))
		}
	}
	return out
}

// chartWords are the words the charts draw besides their titles and the
// call results: series and weekdays.
var chartWords = []string{"this period", "the period before", "service level %", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// trAll is every text of ss translated by tr.
func trAll(ss []string, tr func(string) string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = tr(s)
	}
	return out
}

// trSeries is ss with their names translated by tr.
func trSeries(ss []series, tr func(string) string) []series {
	out := slices.Clone(ss)
	for i := range out {
		out[i].Name = tr(out[i].Name)
	}
	return out
}

// tallyHead and tallyRow are the CSV columns of a tally.
func tallyHead(first ...string) []string {
	return append(first, "calls", "answered", "missed", "busy", "abandoned", "failed", "in", "out", "internal", "talk_s", "cost")
}

func tallyRow(t store.Tally, first ...string) []string {
	return append(first, strconv.Itoa(t.Calls), strconv.Itoa(t.Answered), strconv.Itoa(t.Missed), strconv.Itoa(t.Busy),
		strconv.Itoa(t.Abandoned), strconv.Itoa(t.Failed), strconv.Itoa(t.In), strconv.Itoa(t.Out), strconv.Itoa(t.Internal),
		strconv.FormatInt(t.TalkS, 10), t.Cost.String())
}

// intervalChart is a series chart: calls per hour, day or week by result.
func intervalChart(id, title, layout string, ivs []store.Interval, loc *time.Location, tr func(string) string) statChart {
	c := statChart{ID: id, Title: title, Head: tallyHead("start"), Legend: store.Results()}
	var labels []string
	for _, iv := range ivs {
		t := iv.Start.In(loc)
		labels = append(labels, t.Format(layout))
		c.Rows = append(c.Rows, tallyRow(iv.Tally, t.Format("2006-01-02 15:04")))
	}
	c.SVG = barChart(id, tr(title), labels, resultSeries(ivs, tr), true, "")
	return c
}

// partyChart is calls per extension, line or route: the busiest 20 drawn,
// every one in the CSV.
func partyChart(id, title, what string, ps []store.PartyTally, tr func(string) string) statChart {
	c := statChart{ID: id, Title: title, Head: tallyHead(what), Legend: store.Results()}
	var labels []string
	var ivs []store.Interval
	for i, p := range ps {
		c.Rows = append(c.Rows, tallyRow(p.Tally, p.Name))
		if i < 20 {
			labels = append(labels, p.Name)
			ivs = append(ivs, store.Interval{Tally: p.Tally})
		}
	}
	if len(ps) > 20 {
		c.Note = fmt.Sprintf("The busiest 20 of %d; the CSV has them all.", len(ps))
	}
	c.SVG = barChart(id, tr(title), labels, resultSeries(ivs, tr), true, "")
	return c
}

// buildCharts makes every chart of a period (and the one before). tr
// translates what the charts draw (titles, series, weekdays) into the
// reader's language; the CSV columns stay as they are.
func buildCharts(cur store.CallStats, prev *store.CallStats, loc *time.Location, tr func(string) string) []statChart {
	var out []statChart
	if len(cur.Hourly) > 0 && len(cur.Hourly) <= 7*24 {
		out = append(out, intervalChart("per-hour", "Calls per hour", "15h", cur.Hourly, loc, tr))
	}
	out = append(out, intervalChart("per-day", "Calls per day", "01-02", cur.Daily, loc, tr))
	out = append(out, intervalChart("per-week", "Calls per week", "01-02", cur.Weekly, loc, tr))

	// The results, against the period before.
	res := statChart{ID: "results", Title: "Answered, missed and abandoned", Head: []string{"result", "calls"}}
	resSeries := []series{{Name: "this period"}}
	vals := []int{cur.Totals.Answered, cur.Totals.Missed, cur.Totals.Busy, cur.Totals.Abandoned, cur.Totals.Failed}
	if prev != nil {
		res.Head = append(res.Head, "previous_period")
		resSeries = append(resSeries, series{Name: "the period before"})
	}
	for i, name := range store.Results() {
		row := []string{name, strconv.Itoa(vals[i])}
		resSeries[0].Values = append(resSeries[0].Values, float64(vals[i]))
		if prev != nil {
			p := []int{prev.Totals.Answered, prev.Totals.Missed, prev.Totals.Busy, prev.Totals.Abandoned, prev.Totals.Failed}[i]
			row = append(row, strconv.Itoa(p))
			resSeries[1].Values = append(resSeries[1].Values, float64(p))
		}
		res.Rows = append(res.Rows, row)
	}
	for _, s := range resSeries {
		res.Legend = append(res.Legend, s.Name)
	}
	res.SVG = barChart(res.ID, tr(res.Title), trAll(store.Results(), tr), trSeries(resSeries, tr), false, "")
	out = append(out, res)

	if prev != nil {
		cmp := statChart{ID: "compare", Title: "Calls per day, against the period before", Head: []string{"day", "calls", "previous_period_day", "previous_period_calls"},
			Legend: []string{"this period", "the period before"}}
		ss := []series{{Name: "this period"}, {Name: "the period before"}}
		var labels []string
		for i, d := range cur.Daily {
			labels = append(labels, strconv.Itoa(i+1))
			row := []string{d.Start.In(loc).Format("2006-01-02"), strconv.Itoa(d.Calls), "", ""}
			ss[0].Values = append(ss[0].Values, float64(d.Calls))
			p := 0
			if i < len(prev.Daily) {
				p = prev.Daily[i].Calls
				row[2], row[3] = prev.Daily[i].Start.In(loc).Format("2006-01-02"), strconv.Itoa(p)
			}
			ss[1].Values = append(ss[1].Values, float64(p))
			cmp.Rows = append(cmp.Rows, row)
		}
		cmp.Note = "Day 1 is the first day of each period."
		cmp.SVG = lineChart(cmp.ID, tr(cmp.Title), labels, trSeries(ss, tr), "")
		out = append(out, cmp)
	}

	// The busiest hours: by hour of the day, and by weekday and hour.
	hours := statChart{ID: "busiest-hours", Title: "Busiest hours", Head: tallyHead("hour"), Legend: store.Results()}
	var hl []string
	var hivs []store.Interval
	for h, t := range cur.HourOfDay {
		hl = append(hl, fmt.Sprintf("%02d", h))
		hivs = append(hivs, store.Interval{Tally: t})
		hours.Rows = append(hours.Rows, tallyRow(t, fmt.Sprintf("%02d:00", h)))
	}
	hours.SVG = barChart(hours.ID, tr(hours.Title), hl, resultSeries(hivs, tr), true, "")
	out = append(out, hours)
	week := statChart{ID: "weekday-hours", Title: "Calls by weekday and hour", Head: []string{"weekday"}}
	days := chartWords[3:]
	grid := make([][]float64, 7)
	for h := range 24 {
		week.Head = append(week.Head, fmt.Sprintf("%02d", h))
	}
	for d := range 7 {
		row := []string{days[d]}
		for h := range 24 {
			grid[d] = append(grid[d], float64(cur.Busiest[d][h]))
			row = append(row, strconv.Itoa(cur.Busiest[d][h]))
		}
		week.Rows = append(week.Rows, row)
	}
	week.SVG = heatMap(week.ID, tr(week.Title), trAll(days, tr), hl, grid)
	out = append(out, week)

	out = append(out, partyChart("extensions", "Calls per extension", "extension", cur.Extensions, tr))
	out = append(out, partyChart("lines", "Calls per line and trunk", "line", cur.Lines, tr))
	if len(cur.Routes) > 0 {
		out = append(out, partyChart("routes", "Calls and cost per outbound route", "route", cur.Routes, tr))
	}

	q := statChart{ID: "queues", Title: fmt.Sprintf("Queue service level (answered within %d s)", cur.ServiceLevelS),
		Head:   []string{"queue", "offered", "answered", "answered_within", "abandoned", "timed_out", "service_level_pct", "avg_wait_answered_s", "avg_wait_all_s", "max_wait_s"},
		Legend: []string{"service level %"}}
	sl := series{Name: "service level %"}
	var ql []string
	for _, t := range cur.Queues {
		ans, all := t.AverageWait()
		q.Rows = append(q.Rows, []string{t.Queue, strconv.Itoa(t.Offered), strconv.Itoa(t.Answered), strconv.Itoa(t.AnsweredWithin),
			strconv.Itoa(t.Abandoned), strconv.Itoa(t.TimedOut), formatNum(t.ServiceLevel() * 100), formatNum(ans.Seconds()),
			formatNum(all.Seconds()), formatNum(float64(t.MaxWaitMS) / 1000)})
		ql = append(ql, t.Queue)
		sl.Values = append(sl.Values, t.ServiceLevel()*100)
	}
	if len(cur.Queues) == 0 {
		q.Note = "No caller waited in a queue in this period."
	}
	q.SVG = barChart(q.ID, tr(q.Title), ql, trSeries([]series{sl}, tr), false, "%")
	out = append(out, q)
	return out
}

// statsChartCSV is GET /statistics/{chart}.csv (page) and
// /api/v1/statistics/{chart}.csv.
func (s *Server) statsChartCSV(w http.ResponseWriter, r *http.Request, api bool) {
	fail := func(herr *httpError) {
		if api {
			writeError(w, herr)
			return
		}
		msg := herr.msg
		for _, f := range herr.fields {
			msg += " " + f.Field + ": " + f.Message
		}
		s.renderError(w, r, herr.status, msg)
	}
	sq, err := s.parseStats(r)
	if err == nil {
		var cur store.CallStats
		var prev *store.CallStats
		if cur, prev, err = s.loadStats(r.Context(), sq); err == nil {
			id := strings.TrimSuffix(r.PathValue("chart"), ".csv")
			for _, c := range buildCharts(cur, prev, sq.q.Location, func(m string) string { return m }) {
				if c.ID != id {
					continue
				}
				w.Header().Set("Content-Type", "text/csv; charset=utf-8")
				w.Header().Set("Content-Disposition", `attachment; filename="`+id+"-"+cur.From.In(sq.q.Location).Format("20060102")+`.csv"`)
				cw := csv.NewWriter(w)
				_ = cw.Write(c.Head)
				_ = cw.WriteAll(c.Rows)
				return
			}
			fail(errorf(http.StatusNotFound, "There is no chart %q for this period.", id))
			return
		}
	}
	if fs, ok := fieldErrors(err); ok {
		fail(&httpError{status: http.StatusBadRequest, msg: "Bad statistics parameters.", fields: fs})
		return
	}
	fail(s.serviceError("statistics", err))
}

func (s *Server) statsChartCSVPage(w http.ResponseWriter, r *http.Request) {
	s.statsChartCSV(w, r, false)
}
func (s *Server) apiStatsChartCSV(w http.ResponseWriter, r *http.Request) {
	s.statsChartCSV(w, r, true)
}

// apiStatistics is GET /api/v1/statistics: the period's CallStats, and
// with compare=previous the period before as "previous".
func (s *Server) apiStatistics(w http.ResponseWriter, r *http.Request) {
	sq, err := s.parseStats(r)
	var cur store.CallStats
	var prev *store.CallStats
	if err == nil {
		cur, prev, err = s.loadStats(r.Context(), sq)
	}
	if err != nil {
		if fs, ok := fieldErrors(err); ok {
			writeError(w, &httpError{status: http.StatusBadRequest, msg: "Bad statistics parameters.", fields: fs})
			return
		}
		writeError(w, s.serviceError("statistics", err))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		store.CallStats
		Previous *store.CallStats `json:"previous,omitempty"`
	}{cur, prev})
}
