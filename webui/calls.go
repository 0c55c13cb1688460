package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/cdrcsv"
	"minipbx/telephony/store"
)

// The call history: a search form over the call records (store.CallQuery,
// whose URL parameters the page, the API and pbxctl share), the sorted
// page of results with their totals, each record's detail view with its
// path, and the CSV export of the whole selection, streamed.

// csvFlushEvery records an export sends the client what it has.
const csvFlushEvery = 256

type callRow struct {
	Rec                  store.CallRecord
	Start, Duration, Who string
	Cost                 string
	// Path is the call's parties and steps (callpath.go); nil for a
	// record without them.
	Path *callPath
}

// pageLink is one link of the pager.
type pageLink struct {
	Label, Href, ID string
	Current         bool
}

type callsBody struct {
	Search   *form
	Rows     []callRow
	Total    int
	TalkTime string
	Cost     string
	// Shown is "51–100" of Total.
	Shown    string
	Pages    []pageLink
	CSV      string // the export's address for this selection
	Stats    string // the statistics page for this selection
	TimeZone string
	Loc      *time.Location
	Currency string
	Invalid  bool // the search has errors: no results shown
}

// searchForm is the history page's search: a GET form whose field names
// are the query's URL parameters.
func (s *Server) searchForm(ctx context.Context, v url.Values) *form {
	exts := []option{{Value: "", Label: "any"}}
	if list, err := s.svc.Extensions(ctx); err == nil {
		for _, e := range list {
			label := e.Number
			if e.Name != "" {
				label += " — " + e.Name
			}
			exts = append(exts, option{Value: e.Number, Label: label})
		}
	}
	lines := []option{{Value: "", Label: "any"}}
	if list, err := s.svc.FXOLines(ctx); err == nil {
		for _, l := range list {
			label := fmt.Sprintf("line %d", l.Port)
			if l.Name != "" {
				label += " — " + l.Name
			}
			lines = append(lines, option{Value: fmt.Sprintf("fxo:%d", l.Port), Label: label})
		}
	}
	if c, err := s.svc.ExportConfig(ctx); err == nil {
		for _, t := range c.Trunks {
			lines = append(lines, option{Value: "trunk:" + t.Name, Label: "trunk " + t.Name})
		}
	}
	choice := func(vals ...string) []option {
		out := []option{{Value: "", Label: "any"}}
		for _, x := range vals {
			out = append(out, option{Value: x, Label: x})
		}
		return out
	}
	sorts := []option{{Value: "", Label: "end of call"}, {Value: "start", Label: "start"}, {Value: "duration", Label: "talk time"},
		{Value: "caller", Label: "caller"}, {Value: "callee", Label: "dialled number"}, {Value: "cost", Label: "cost"}}
	get := func(k string) string { return v.Get(k) }
	f := &form{ID: "call-search", Action: "/calls", Submit: "Search", Fields: []*field{
		{ID: "q-from", Name: "from", Label: "From", Type: "date", Value: get("from"), Help: "First day (or a time: 2026-11-20T09:00)."},
		{ID: "q-to", Name: "to", Label: "To", Type: "date", Value: get("to"), Help: "Last day, included."},
		{ID: "q-number", Name: "number", Label: "Number", Type: "search", Value: get("number"), MaxLength: 64,
			Help: "Part of the caller's or the dialled number."},
		{ID: "q-extension", Name: "extension", Label: "Extension", Type: "select", Options: selectOptions(exts, get("extension"), "not configured"),
			Help: "An extension that called, was called or took part."},
		{ID: "q-line", Name: "line", Label: "Line or trunk", Type: "select", Options: selectOptions(lines, get("line"), "not configured")},
		{ID: "q-direction", Name: "direction", Label: "Direction", Type: "select", Options: selectOptions(choice(store.Directions()...), get("direction"), "unknown")},
		{ID: "q-result", Name: "result", Label: "Result", Type: "select", Options: selectOptions(choice(store.Results()...), get("result"), "unknown"),
			Help: "Missed: not answered, or taken by voicemail. Abandoned: the caller hung up in a menu or queue."},
		{ID: "q-origin", Name: "origin", Label: "Placed by", Type: "select", Options: selectOptions(append(choice(store.Origins()...), option{Value: store.OriginDISA, Label: "DISA (dialled out from outside)"}), get("origin"), "unknown"),
			Help: "Calls the box placed: api (click-to-call), callback; or the calls that dialled out through a DISA."},
		{ID: "q-min", Name: "min_duration", Label: "Talk time at least (s)", Type: "number", Value: get("min_duration"), Min: "0", InputMode: "numeric"},
		{ID: "q-max", Name: "max_duration", Label: "Talk time at most (s)", Type: "number", Value: get("max_duration"), Min: "0", InputMode: "numeric"},
		{ID: "q-sort", Name: "sort", Label: "Sort by", Type: "select", Options: selectOptions(sorts, get("sort"), "unknown")},
		{ID: "q-order", Name: "order", Label: "Order", Type: "select",
			Options: selectOptions([]option{{Value: "", Label: "newest or largest first"}, {Value: "asc", Label: "oldest or smallest first"}}, get("order"), "unknown")},
	}}
	return f
}

// queryValues is v without the paging parameters (for the pager, the
// export and the statistics).
func queryValues(v url.Values, drop ...string) url.Values {
	out := url.Values{}
	for k, vals := range v {
		if slices.Contains(drop, k) {
			continue
		}
		for _, x := range vals {
			if x != "" {
				out.Add(k, x)
			}
		}
	}
	return out
}

// parseSearch reads a search from a request's URL: empty parameters (a
// form's untouched fields) count as absent.
func (s *Server) parseSearch(r *http.Request, extra ...string) (store.CallQuery, error) {
	return store.ParseCallQuery(queryValues(r.URL.Query()), s.location(r.Context()), extra...)
}

func (s *Server) callsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	loc := s.location(ctx)
	v := r.URL.Query()
	b := callsBody{Search: s.searchForm(ctx, v), TimeZone: loc.String(), Loc: loc, Currency: s.currency(ctx)}
	q, err := s.parseSearch(r)
	if err != nil {
		if fs, ok := fieldErrors(err); ok {
			b.Search.applyErrors(fs)
			b.Invalid = true
			s.render(w, r, http.StatusBadRequest, "calls", pageData{Title: "Call history", Active: "calls", Body: b})
			return
		}
		s.renderError(w, r, http.StatusInternalServerError, s.serviceError("call records", err).msg)
		return
	}
	if q.Limit == 0 {
		q.Limit = defaultCallPage
	}
	p, err := s.svc.SearchCallRecords(ctx, q)
	if err != nil {
		herr := s.serviceError("call records", err)
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	b.Total, b.TalkTime, b.Cost = p.Total, talkTime(p.TalkS), moneyText(p.Cost)
	for _, rec := range p.Records {
		row := callRow{Rec: rec, Start: rec.Start.In(loc).Format("2006-01-02 15:04:05"), Who: rec.Caller, Path: recordPath(rec)}
		if rec.CallerName != "" {
			row.Who = fmt.Sprintf("%s (%s)", rec.Caller, rec.CallerName)
		}
		if !rec.Answer.IsZero() {
			row.Duration = talkTime(int64(rec.DurationS))
		}
		if rec.Cost != 0 {
			row.Cost = moneyText(rec.Cost)
		}
		b.Rows = append(b.Rows, row)
	}
	if len(p.Records) > 0 {
		b.Shown = fmt.Sprintf("%d–%d", q.Offset+1, q.Offset+len(p.Records))
	}
	sel := queryValues(v, "offset", "limit")
	b.Pages = pager(sel, q.Offset, q.Limit, p.Total)
	b.CSV = "/calls.csv"
	b.Stats = "/statistics"
	if enc := queryValues(v, "offset", "limit", "sort", "order", "before").Encode(); enc != "" {
		b.CSV += "?" + enc
		b.Stats += "?" + queryValues(v, "offset", "limit", "sort", "order", "before", "number", "caller", "callee", "min_duration", "max_duration").Encode()
	}
	s.render(w, r, http.StatusOK, "calls", pageData{Title: "Call history", Active: "calls", Body: b})
}

// pager links the pages of a selection: first, previous, a few around
// the current one, next, last.
func pager(sel url.Values, offset, limit, total int) []pageLink {
	if total <= limit && offset == 0 {
		return nil
	}
	href := func(off int) string {
		v := url.Values{}
		for k, x := range sel {
			v[k] = x
		}
		if off > 0 {
			v.Set("offset", strconv.Itoa(off))
		}
		if limit != defaultCallPage {
			v.Set("limit", strconv.Itoa(limit))
		}
		if enc := v.Encode(); enc != "" {
			return "/calls?" + enc
		}
		return "/calls"
	}
	cur, last := offset/limit, max(0, (total-1)/limit)
	var out []pageLink
	if offset > 0 {
		out = append(out, pageLink{Label: "« Newest", Href: href(0), ID: "page-first"},
			pageLink{Label: "‹ Previous", Href: href(max(0, offset-limit)), ID: "page-prev"})
	}
	for p := max(0, cur-2); p <= min(last, cur+2); p++ {
		out = append(out, pageLink{Label: strconv.Itoa(p + 1), Href: href(p * limit), ID: fmt.Sprintf("page-%d", p+1), Current: p == cur})
	}
	if offset+limit < total {
		out = append(out, pageLink{Label: "Next ›", Href: href(offset + limit), ID: "page-next"},
			pageLink{Label: "Oldest »", Href: href(last * limit), ID: "page-last"})
	}
	return out
}

// talkTime writes seconds as h:mm:ss or m:ss.
func talkTime(s int64) string {
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s%3600/60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// moneyText writes an amount with at least two decimals and up to four
// ("0.035", "12.30").
func moneyText(m store.Money) string {
	s := m.String()
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	return whole + "." + frac
}

// currency is the box's billing currency ("" when unset or unknown).
func (s *Server) currency(ctx context.Context) string {
	b, err := s.svc.Billing(ctx)
	if err != nil {
		return ""
	}
	return b.Currency
}

// --- one record ---------------------------------------------------------------------

type callDetail struct {
	Rec                       store.CallRecord
	Loc                       *time.Location
	Start, Answer, End        string
	Ring, Talk, Cost          string
	Currency                  string
	Path                      *callPath
	Queues                    []queueWait
	VoicemailBox, VoicemailID string
	// Related are searches for this call's numbers.
	Related []pageLink
}

type queueWait struct {
	Queue, Wait, Outcome, Agent string
}

func (s *Server) callDetailPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		s.renderError(w, r, http.StatusNotFound, "There is no such call record. Go back to the call history.")
		return
	}
	rec, err := s.svc.CallRecord(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(w, r, http.StatusNotFound, fmt.Sprintf("Call record %d is not kept (the oldest records are deleted beyond the retention set under Settings).", id))
		return
	}
	if err != nil {
		herr := s.serviceError("call record", err)
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	loc := s.location(ctx)
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	d := callDetail{Rec: rec, Loc: loc, Start: when(rec.Start), Answer: when(rec.Answer), End: when(rec.End),
		Currency: s.currency(ctx), Path: recordPath(rec), Cost: moneyText(rec.Cost)}
	if !rec.Answer.IsZero() {
		d.Ring = talkTime(int64(rec.Answer.Sub(rec.Start) / time.Second))
		d.Talk = talkTime(int64(rec.DurationS))
	}
	for _, q := range rec.Queues {
		d.Queues = append(d.Queues, queueWait{Queue: q.Queue, Wait: talkTime(int64(q.Leave.Sub(q.Enter) / time.Second)), Outcome: q.Outcome, Agent: q.Agent})
	}
	if box, msg, ok := strings.Cut(rec.Voicemail, "/"); ok {
		d.VoicemailBox, d.VoicemailID = box, msg
	}
	for _, n := range []string{rec.Caller, rec.Callee} {
		if n != "" && !slices.ContainsFunc(d.Related, func(l pageLink) bool { return l.Label == n }) {
			d.Related = append(d.Related, pageLink{Label: n, Href: "/calls?" + url.Values{"number": {n}}.Encode(), ID: "related-" + strconv.Itoa(len(d.Related))})
		}
	}
	s.render(w, r, http.StatusOK, "call", pageData{Title: fmt.Sprintf("Call %d", rec.ID), Active: "calls", Body: d})
}

// --- CSV ------------------------------------------------------------------------------

// callsCSVPage is the history page's export (a session; errors as a page).
func (s *Server) callsCSVPage(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseSearch(r)
	if err != nil {
		herr := s.searchError(err)
		msg := herr.msg
		for _, f := range herr.fields {
			msg += " " + f.Field + ": " + f.Message
		}
		s.renderError(w, r, herr.status, msg)
		return
	}
	s.writeCallsCSV(w, r, q)
}

// apiCallsCSV is GET /api/v1/calls.csv.
func (s *Server) apiCallsCSV(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseSearch(r)
	if err != nil {
		writeError(w, s.searchError(err))
		return
	}
	s.writeCallsCSV(w, r, q)
}

// searchError is a bad search (400, the parameters named) or a failure.
func (s *Server) searchError(err error) *httpError {
	if fs, ok := fieldErrors(err); ok {
		return &httpError{status: http.StatusBadRequest, msg: "Bad search parameters.", fields: fs}
	}
	return s.serviceError("call records", err)
}

// writeCallsCSV streams the selection, flushing every csvFlushEvery
// records: a year of records never sits in memory, here or in the store.
// Once the first bytes are out an error can only cut the file short; it
// is logged.
func (s *Server) writeCallsCSV(w http.ResponseWriter, r *http.Request, q store.CallQuery) {
	ctx := r.Context()
	name := "calls-" + s.now().In(s.location(ctx)).Format("20060102-1504") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	cw := cdrcsv.NewWriter(w, s.location(ctx), s.currency(ctx))
	flusher, _ := w.(http.Flusher)
	n := 0
	err := s.svc.ExportCallRecords(ctx, q, func(rec store.CallRecord) error {
		if err := cw.Write(rec); err != nil {
			return err
		}
		if n++; n%csvFlushEvery == 0 {
			if err := cw.Flush(); err != nil {
				return err
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		return nil
	})
	if err == nil {
		if err = cw.WriteHeader(); err == nil {
			err = cw.Flush()
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Warn("webui: call records export cut short", "records", n, "err", err)
	}
}

// --- the API --------------------------------------------------------------------------

// callsPage is GET /api/v1/calls: a page of the search with the
// totals of the whole selection.
type callsPage struct {
	store.CallPage
	// NextBefore is the value of "before" for the next (older) page of
	// the default order; absent on the last page and for other orders
	// (use offset).
	NextBefore uint64 `json:"next_before,omitempty"`
}

func (s *Server) apiCalls(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseSearch(r)
	if err != nil {
		writeError(w, s.searchError(err))
		return
	}
	if q.Limit == 0 {
		q.Limit = defaultCallPage
	}
	p, err := s.svc.SearchCallRecords(r.Context(), q)
	if err != nil {
		writeError(w, s.searchError(err))
		return
	}
	out := callsPage{CallPage: p}
	if (q.Sort == "" || q.Sort == "id") && !q.Ascending && len(p.Records) == q.Limit && q.Offset+q.Limit < p.Total {
		out.NextBefore = p.Records[len(p.Records)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCallRecord(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		writeError(w, &httpError{status: http.StatusBadRequest, msg: "Bad call record ID.",
			fields: []FieldError{{Field: "id", Message: "Must be a call record ID (a whole number of 1 or more)."}}})
		return
	}
	rec, err := s.svc.CallRecord(r.Context(), id)
	if err != nil {
		writeError(w, s.serviceError("call record", err))
		return
	}
	writeJSON(w, http.StatusOK, rec)
}
