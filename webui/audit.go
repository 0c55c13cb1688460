package webui

import (
	"encoding/csv"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// The audit log page and its CSV export (permission "audit"): who
// changed what and when, and who was refused what, filtered by account,
// action, section, words and dates. The log itself is the store's
// (store.AuditEntry), written with each change.

// auditPage is how many entries a page shows.
const auditPage = 100

// auditQuery is the filter as the page's form and the API's query
// string send it, kept to show it again.
type auditQuery struct {
	Actor, Action, Section, Text, From, To string
}

// parseAuditQuery reads the filter; problems are errors beside its
// fields ("from", "to", "before", "limit", "action").
func parseAuditQuery(q url.Values, loc *time.Location) (store.AuditFilter, auditQuery, []FieldError) {
	in := auditQuery{Actor: strings.TrimSpace(q.Get("actor")), Action: q.Get("action"), Section: strings.TrimSpace(q.Get("section")),
		Text: strings.TrimSpace(q.Get("q")), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	f := store.AuditFilter{Actor: in.Actor, Action: in.Action, Section: in.Section, Text: in.Text, Limit: auditPage}
	var fs []FieldError
	if in.Action != "" && !slices.Contains(store.AuditActions(), in.Action) {
		fs = append(fs, FieldError{"action", fmt.Sprintf("Choose one of %s.", strings.Join(store.AuditActions(), ", "))})
	}
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			fs = append(fs, FieldError{field, "Enter a date as YYYY-MM-DD."})
		}
		return t
	}
	f.From = day("from", in.From)
	if t := day("to", in.To); !t.IsZero() {
		f.To = t.AddDate(0, 0, 1) // the whole day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		fs = append(fs, FieldError{"to", "The last day is before the first."})
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			fs = append(fs, FieldError{"before", "Must be an entry's ID (a whole number of 1 or more)."})
		}
		f.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxAuditEntries {
			fs = append(fs, FieldError{"limit", fmt.Sprintf("Must be a whole number from 1 to %d.", store.MaxAuditEntries)})
		}
		f.Limit = n
	}
	if len(in.Actor) > store.MaxLoginLen {
		fs = append(fs, FieldError{"actor", "Too long for a login."})
	}
	return f, in, fs
}

// encode is the filter as a query string (for the page's links).
func (q auditQuery) encode() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"actor": q.Actor, "action": q.Action, "section": q.Section, "q": q.Text, "from": q.From, "to": q.To} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

type auditRow struct {
	E          store.AuditEntry
	When, Last string
	Who        string
}

type auditBody struct {
	Form     *form
	Rows     []auditRow
	Older    string // link to the next page, "" none
	CSV      string // the export of this filter
	TimeZone string
	Filtered bool
}

func auditForm(in auditQuery) *form {
	actions := []option{{Value: "", Label: "Any", Selected: in.Action == ""}}
	for _, a := range store.AuditActions() {
		actions = append(actions, option{Value: a, Label: a, Selected: in.Action == a})
	}
	return &form{ID: "audit-filter", Action: "/audit", Submit: "Filter", Fields: []*field{
		{ID: "actor", Name: "actor", Label: "Who", Type: "text", Value: in.Actor, MaxLength: store.MaxLoginLen, Autocomplete: "off",
			Help: "An account's login; - for the box itself (phones, pbxctl)."},
		{ID: "action", Name: "action", Label: "What", Type: "select", Options: actions},
		{ID: "section", Name: "section", Label: "Section", Type: "text", Value: in.Section, MaxLength: 64, Autocomplete: "off",
			Help: "A part of the configuration (extensions, extension_rules, system), accounts, roles, or the permission refused."},
		{ID: "q", Name: "q", Label: "Words", Type: "text", Value: in.Text, MaxLength: 64, Autocomplete: "off", Help: "In what was acted on and what changed."},
		{ID: "from", Name: "from", Label: "From", Type: "date", Value: in.From},
		{ID: "to", Name: "to", Label: "To", Type: "date", Value: in.To},
	}}
}

// actorText names an entry's actor in words.
func actorText(e store.AuditEntry) string {
	who := e.Actor
	if who == "" {
		who = "the box"
	}
	var how []string
	for _, x := range []string{e.Role, e.Via, e.Remote} {
		if x != "" {
			how = append(how, x)
		}
	}
	if len(how) > 0 {
		who += " (" + strings.Join(how, ", ") + ")"
	}
	return who
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	loc := s.location(r.Context())
	f, in, fs := parseAuditQuery(r.URL.Query(), loc)
	form := auditForm(in)
	form.Action = "/audit"
	b := auditBody{Form: form, TimeZone: loc.String(), Filtered: len(in.encode()) > 0}
	status := http.StatusOK
	if fs != nil {
		form.applyErrors(fs)
		status = http.StatusBadRequest
	} else {
		entries, err := s.svc.AuditLog(r.Context(), f)
		if err != nil {
			s.renderServiceError(w, r, "audit log", err)
			return
		}
		for _, e := range entries {
			row := auditRow{E: e, When: e.Time.In(loc).Format("2006-01-02 15:04:05"), Who: actorText(e)}
			if !e.Last.IsZero() {
				row.Last = e.Last.In(loc).Format("2006-01-02 15:04:05")
			}
			b.Rows = append(b.Rows, row)
		}
		if len(entries) == f.Limit {
			v := in.encode()
			v.Set("before", strconv.FormatUint(entries[len(entries)-1].ID, 10))
			b.Older = "/audit?" + v.Encode()
		}
		b.CSV = "/audit.csv"
		if v := in.encode(); len(v) > 0 {
			b.CSV += "?" + v.Encode()
		}
	}
	s.render(w, r, status, "audit", pageData{Title: "Audit log", Active: "audit", Body: b})
}

// auditCSVColumns are the export's columns.
var auditCSVColumns = []string{"id", "time", "actor", "role", "via", "remote", "action", "section", "target", "count", "changes"}

// csvCell makes a value safe for a spreadsheet: a cell that would start
// with =, +, -, @ (or a tab or carriage return before them) is read as a
// formula by Excel and LibreOffice, so it gets a leading apostrophe,
// which they show as text (OWASP "CSV injection"). Quoting is
// encoding/csv's.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// writeAuditCSV writes entries as CSV (RFC 4180, with a header row),
// times in loc, the changes one per line within their cell.
func writeAuditCSV(w io.Writer, entries []store.AuditEntry, loc *time.Location) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditCSVColumns); err != nil {
		return err
	}
	for _, e := range entries {
		count := ""
		if e.Count > 1 {
			count = strconv.Itoa(e.Count)
		}
		row := []string{strconv.FormatUint(e.ID, 10), e.Time.In(loc).Format(time.RFC3339), e.Actor, e.Role, e.Via, e.Remote,
			e.Action, e.Section, e.Target, count, strings.Join(e.Changes, "\n")}
		for i := range row {
			row[i] = csvCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// serveAuditCSV exports every entry the filter selects (up to the whole
// log, newest first).
func (s *Server) serveAuditCSV(w http.ResponseWriter, r *http.Request) *httpError {
	loc := s.location(r.Context())
	f, _, fs := parseAuditQuery(r.URL.Query(), loc)
	if fs != nil {
		return &httpError{status: http.StatusBadRequest, msg: "The filter is not valid; see the fields.", fields: fs}
	}
	if r.URL.Query().Get("limit") == "" {
		f.Limit = store.MaxAuditEntries
	}
	entries, err := s.svc.AuditLog(r.Context(), f)
	if err != nil {
		return s.serviceError("audit log", err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "audit-" + s.now().In(loc).Format("2006-01-02") + ".csv"}))
	if err := writeAuditCSV(w, entries, loc); err != nil {
		s.log.Warn("webui: audit export cut short", "err", err)
	}
	return nil
}

func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveAuditCSV(w, r); herr != nil {
		msg := herr.msg
		for _, f := range herr.fields {
			msg += " " + f.Field + ": " + f.Message
		}
		s.renderError(w, r, herr.status, msg)
	}
}

func (s *Server) apiAuditCSV(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveAuditCSV(w, r); herr != nil {
		writeError(w, herr)
	}
}

// auditJSON is GET /api/v1/audit's answer.
type auditJSON struct {
	Entries    []store.AuditEntry `json:"entries"`
	NextBefore uint64             `json:"next_before,omitempty"`
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	f, _, fs := parseAuditQuery(r.URL.Query(), time.UTC)
	if fs != nil {
		writeError(w, &httpError{status: http.StatusBadRequest, msg: "The filter is not valid; see the fields.", fields: fs})
		return
	}
	entries, err := s.svc.AuditLog(r.Context(), f)
	if err != nil {
		writeError(w, s.serviceError("audit log", err))
		return
	}
	out := auditJSON{Entries: entries}
	if len(entries) == f.Limit && len(entries) > 0 {
		out.NextBefore = entries[len(entries)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}
