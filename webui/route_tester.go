package webui

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// The route tester (/dialplan/route-tester and GET
// /api/v1/dialplan/trace): a number and a caller in, how the exchange
// would route the call out — the exchange's own answer
// (PlanService.TraceRoute), each step linked to the object that decided.

// routeTesterBody is the route tester page's content.
type routeTesterBody struct {
	Form  *form
	Trace *telephony.RouteTrace
	Steps []traceStep
	// Summary says the outcome in one sentence.
	Summary string
}

// traceStep is a step of a trace with the link to what decided it.
type traceStep struct {
	telephony.RouteStep
	URL string
}

// routeQuery reads a route tester's query from a request's parameters;
// "at" is a time in the box's time zone (empty: now).
func routeQuery(q url.Values, loc *time.Location) (telephony.RouteQuery, *httpError) {
	rq := telephony.RouteQuery{From: strings.TrimSpace(q.Get("from")), Number: strings.TrimSpace(q.Get("number")),
		Caller: strings.TrimSpace(q.Get("caller")), Analog: q.Get("analog") != "" && q.Get("analog") != "false"}
	if at := strings.TrimSpace(q.Get("at")); at != "" {
		t, err := time.ParseInLocation(atLayout, at, loc)
		if err != nil {
			return rq, &httpError{status: http.StatusBadRequest, msg: "The time is not valid.",
				fields: []FieldError{{Field: "at", Message: "Give a date and time such as 2026-03-09T22:00, or leave it empty for now."}}}
		}
		rq.At = t
	}
	return rq, nil
}

// routeTesterForm is the route tester's form: who calls (extensions,
// lines, trunks) and what.
func routeTesterForm(c *store.Config, q telephony.RouteQuery, loc *time.Location) *form {
	from := []option{{Value: "", Label: "An outside caller"}}
	for _, e := range c.Extensions {
		from = append(from, option{Value: e.Number, Label: strings.TrimSpace("Extension " + e.Number + " " + e.Name)})
	}
	for _, l := range c.FXOLines {
		from = append(from, option{Value: fmt.Sprintf("fxo:%d", l.Port), Label: strings.TrimSpace(fmt.Sprintf("A call arriving on FXO line %d %s", l.Port, l.Name))})
	}
	for _, t := range c.Trunks {
		from = append(from, option{Value: "trunk:" + t.Name, Label: "A call arriving on SIP trunk " + t.Name + " (number: the DID)"})
	}
	return &form{ID: "route-form", Action: "/dialplan/route-tester", Submit: "Show the route", Fields: []*field{
		{ID: "from", Name: "from", Label: "Who calls", Type: "select", Options: selectOptions(from, q.From, "unknown"),
			Help: "An extension dialling, or a call arriving on a line or trunk (its inbound route decides)."},
		{ID: "number", Name: "number", Label: "Number dialled", Type: "text", Value: q.Number, MaxLength: telephony.MaxTraceNumber, InputMode: "tel", Autocomplete: "off",
			Help: "As the caller dials it, outside prefix included; for a trunk, the number called (DID). Empty for a line."},
		{ID: "analog", Name: "analog", Label: "Dialled on its analog phone", Type: "checkbox", Checked: q.Analog,
			Help: "The analog phone (FXS port) sends digits one by one and the box decides when the number is whole; a SIP phone sends it at once."},
		{ID: "at", Name: "at", Label: "When", Type: "datetime-local", Value: atValue(q.At, loc),
			Help: "Optional: the moment schedules and time conditions decide at, in the box's time zone. Empty: now."},
		{ID: "caller", Name: "caller", Label: "Caller's number (outside calls)", Type: "text", Value: q.Caller, MaxLength: telephony.MaxTraceNumber, InputMode: "tel", Autocomplete: "off",
			Help: "Optional: the outside caller's number, for the caller lists."},
	}}
}

// routeTesterPage shows the form and, when asked, the route.
func (s *Server) routeTesterPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "route tester", err)
		return
	}
	loc := s.location(r.Context())
	q, herr := routeQuery(r.URL.Query(), loc)
	b := routeTesterBody{Form: routeTesterForm(&c, q, loc)}
	status := http.StatusOK
	if herr != nil {
		status = herr.status
		b.Form.applyErrors(herr.fields)
		b.Form.field("at").Value = r.URL.Query().Get("at")
	} else if r.URL.Query().Has("number") {
		tr, err := s.svc.TraceRoute(r.Context(), q)
		if err != nil {
			herr := s.serviceError("route tester", err)
			status = herr.status
			b.Form.applyErrors(herr.fields)
			if herr.fields == nil {
				b.Form.Errors = append(b.Form.Errors, herr.msg)
			}
		} else {
			b.Trace = &tr
			b.Summary = traceSummary(tr)
			for _, st := range tr.Steps {
				b.Steps = append(b.Steps, traceStep{RouteStep: st, URL: objectLink(&c, st.Path)})
			}
		}
	}
	s.render(w, r, status, "route_tester", pageData{Title: "Route tester", Active: "dialplan", Body: b})
}

// apiTraceRoute is GET /api/v1/dialplan/trace.
func (s *Server) apiTraceRoute(w http.ResponseWriter, r *http.Request) {
	q, herr := routeQuery(r.URL.Query(), s.location(r.Context()))
	if herr != nil {
		writeError(w, herr)
		return
	}
	tr, err := s.svc.TraceRoute(r.Context(), q)
	if err != nil {
		writeError(w, s.serviceError("route tester", err))
		return
	}
	writeJSON(w, http.StatusOK, tr)
}

// traceSummary says a trace's outcome in one sentence.
func traceSummary(tr telephony.RouteTrace) string {
	switch tr.Outcome {
	case telephony.OutcomeOutside:
		via := strings.ReplaceAll(strings.Join(tr.Via, ", then "), "*lines", "every line")
		s := fmt.Sprintf("Goes out by route %s through %s, dialling %s", tr.Route, via, cmp.Or(tr.LineDigits, tr.Digits))
		if len(tr.Lines) > 0 {
			s += fmt.Sprintf(" (first on line %d)", tr.Lines[0])
		}
		return s + "."
	case telephony.OutcomeRings:
		return "Rings " + destText(tr.Destination, nil) + "."
	case telephony.OutcomeAnswered:
		return "Answered by " + destText(tr.Destination, nil) + "."
	case telephony.OutcomeFeature:
		return "A feature code: it acts for the phone that dials it."
	}
	return "Refused (" + strings.ReplaceAll(tr.Cause, "_", " ") + ")."
}

// objectLink is the page of the object a trace step names
// ("ring_groups:sales", "extensions:101", "system.outside_prefix"), or "".
func objectLink(c *store.Config, path string) string {
	key, name, ok := strings.Cut(path, ":")
	switch {
	case path == "system.outside_prefix" || key == "fxo_lines":
		return "/settings"
	case key == store.SectionExtensions || key == "extension_rules":
		return extensionPageURL(name)
	case !ok:
		if _, found := findDialPlanSection(key); found {
			return "/dialplan/" + key
		}
		return ""
	}
	i := slices.Index(c.Names(key), name)
	if i < 0 {
		return ""
	}
	return objectURL(key, i, name, "edit")
}

// atLayout is the form of a route query's time (an input of type
// datetime-local), in the box's time zone.
const atLayout = "2006-01-02T15:04"

// atValue shows a query's time in the box's time zone ("" for now).
func atValue(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(atLayout)
}
