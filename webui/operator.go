package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// The operator's view (issue 11): on the status page every live call
// shows who talks to whom, its state and its path, with buttons to hold
// or resume each party, transfer a party to a destination picked from a
// list (or a typed number), park a party and hang up; parked calls are
// listed by slot, conference rooms with their callers (mute, unmute,
// remove), and the extensions with their state and do-not-disturb, which
// a button switches. Every button is a plain form that works without
// JavaScript (it posts to /status/..., CSRF token in the form, and comes
// back to the status page with the outcome); with JavaScript, app.js
// sends the same action to the REST API instead (/api/v1/calls/{id}/actions
// and friends, X-CSRF-Token), and operator.js re-reads this part of the
// page, /status/live, after each button and on every status event, so the
// view is live and has one source: the templates here.

// Actions the exchange takes (telephony.CallControl).
var (
	callActions   = []string{"hold", "resume", "transfer", "park", "hangup"}
	memberActions = []string{"mute", "unmute", "kick"}
)

// maxTransferDigits bounds a typed transfer number.
const maxTransferDigits = 32

// callActionRequest is the body of POST /api/v1/calls/{id}/actions.
type callActionRequest struct {
	Action string `json:"action"`
	// Leg is the party acted on (CallStatus.FromLeg or ToLeg); empty:
	// the caller.
	Leg         string `json:"leg,omitempty"`
	Destination string `json:"destination,omitempty"`
}

// memberActionRequest is the body of POST
// /api/v1/conferences/{room}/members/{member}/actions.
type memberActionRequest struct {
	Action string `json:"action"`
}

// dndRequest is the body of PUT /api/v1/extensions/{number}/dnd and its
// answer.
type dndRequest struct {
	Extension string `json:"extension,omitempty"`
	DND       *bool  `json:"dnd"`
}

func findCall(st telephony.Status, id string) (telephony.CallStatus, bool) {
	i := slices.IndexFunc(st.Calls, func(c telephony.CallStatus) bool { return c.ID == id })
	if i < 0 {
		return telephony.CallStatus{}, false
	}
	return st.Calls[i], true
}

func invalidFields(fs ...FieldError) *httpError {
	return &httpError{status: http.StatusUnprocessableEntity, msg: "The input is not valid; see the fields.", fields: fs}
}

// callAction checks an operator's action on call id against the call as
// it is now and asks the exchange to carry it out; it returns the call as
// it was checked.
func (s *Server) callAction(ctx context.Context, id string, req callActionRequest) (telephony.CallStatus, *httpError) {
	var fs []FieldError
	if !slices.Contains(callActions, req.Action) {
		fs = append(fs, FieldError{"action", "Must be hold, resume, transfer, park or hangup."})
	}
	switch d := req.Destination; {
	case req.Action == "transfer" && d == "":
		fs = append(fs, FieldError{"destination", "Choose where the call goes: an extension, ring group, queue, voice menu or conference number, or an outside number."})
	case req.Action == "transfer" && (len(d) > maxTransferDigits || !dialplan.IsDialString(d)):
		fs = append(fs, FieldError{"destination", fmt.Sprintf("Use only 0-9, * and # (at most %d): the number as a phone of the box would dial it, with the outside prefix for an outside number.", maxTransferDigits)})
	case req.Action != "transfer" && d != "":
		fs = append(fs, FieldError{"destination", "Only a transfer goes to a destination; leave it out."})
	}
	if fs != nil {
		return telephony.CallStatus{}, invalidFields(fs...)
	}
	st, err := s.svc.Status(ctx)
	if err != nil {
		return telephony.CallStatus{}, s.serviceError("status", err)
	}
	c, ok := findCall(st, id)
	if !ok {
		return c, errorf(http.StatusNotFound, "There is no call %.40s in progress; it has ended.", id)
	}
	if req.Leg != "" && req.Leg != c.FromLeg && req.Leg != c.ToLeg {
		return c, invalidFields(FieldError{"leg", "Is not a party of this call now; choose the caller or the party that answered."})
	}
	return c, s.controlError("call "+id, s.svc.CallAction(ctx, id, req.Action, req.Leg, req.Destination))
}

// memberAction checks an operator's action on a conference member and
// asks the exchange to carry it out.
func (s *Server) memberAction(ctx context.Context, room, member, action string) *httpError {
	if !slices.Contains(memberActions, action) {
		return invalidFields(FieldError{"action", "Must be mute, unmute or kick."})
	}
	st, err := s.svc.Status(ctx)
	if err != nil {
		return s.serviceError("status", err)
	}
	i := slices.IndexFunc(st.Conferences, func(c telephony.ConferenceStatus) bool { return c.Name == room })
	if i < 0 || !slices.ContainsFunc(st.Conferences[i].Members, func(m telephony.ConferenceMember) bool { return m.ID == member }) {
		return errorf(http.StatusNotFound, "Nobody is in conference room %.40s by that name now; the caller may have left.", room)
	}
	return s.controlError("conference "+room, s.svc.ConferenceAction(ctx, room, member, action))
}

// controlError turns the exchange's answer to an operator's action into
// a response: its own field problems (422), a call or member that ended
// meanwhile (404), and a refusal of the call in its present state (a
// transfer to a number that leads nowhere, every park slot taken, a call
// that is ringing or in a menu) as a conflict with the call's state.
func (s *Server) controlError(what string, err error) *httpError {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "The %s has ended meanwhile.", what)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, "%s: the exchange did not answer in time; try again.", what)
	}
	if fs, ok := fieldErrors(err); ok {
		for i := range fs {
			fs[i].Field = normalizeField(fs[i].Field)
		}
		return invalidFields(fs...)
	}
	s.log.Info("webui: operator action refused", "what", what, "err", err)
	return errorf(http.StatusConflict, "%s", sentence(fmt.Sprintf("The box refused: %v", err)))
}

// setDND switches do not disturb of extension number, in its extension
// rule (one is added when it has none).
func (s *Server) setDND(r *http.Request, number string, on bool) *httpError {
	if _, ok, err := s.findExtension(r.Context(), number); err != nil {
		return s.serviceError("do not disturb", err)
	} else if !ok {
		return errorf(http.StatusNotFound, "There is no extension %.20s.", number)
	}
	_, herr := s.saveDialPlan(r, func(d *store.DialPlan) {
		i := slices.IndexFunc(d.ExtensionRules, func(x store.ExtensionRule) bool { return x.Extension == number })
		switch {
		case i >= 0:
			d.ExtensionRules[i].DND = on
		case on:
			d.ExtensionRules = append(d.ExtensionRules, store.ExtensionRule{Extension: number, DND: true})
		}
	})
	return herr
}

// message is an error as one text for the top of a page.
func (e *httpError) message() string {
	if len(e.fields) == 0 {
		return e.msg
	}
	var ms []string
	for _, f := range e.fields {
		ms = append(ms, sentence(f.Message))
	}
	return strings.Join(ms, " ")
}

// --- API -----------------------------------------------------------------------

func (s *Server) apiCallAction(w http.ResponseWriter, r *http.Request) {
	var req callActionRequest
	if herr := readJSON(w, r, maxBody, &req); herr != nil {
		writeError(w, herr)
		return
	}
	req.Destination = strings.TrimSpace(req.Destination)
	if _, herr := s.callAction(r.Context(), r.PathValue("id"), req); herr != nil {
		writeError(w, herr)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiMemberAction(w http.ResponseWriter, r *http.Request) {
	var req memberActionRequest
	if herr := readJSON(w, r, maxBody, &req); herr != nil {
		writeError(w, herr)
		return
	}
	if herr := s.memberAction(r.Context(), r.PathValue("room"), r.PathValue("member"), req.Action); herr != nil {
		writeError(w, herr)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiSetDND(w http.ResponseWriter, r *http.Request) {
	var req dndRequest
	if herr := readJSON(w, r, maxBody, &req); herr != nil {
		writeError(w, herr)
		return
	}
	number := r.PathValue("number")
	switch {
	case req.DND == nil:
		writeError(w, invalidFields(FieldError{"dnd", "Is required: true (on) or false (off)."}))
		return
	case req.Extension != "" && req.Extension != number:
		writeError(w, invalidFields(FieldError{"extension", fmt.Sprintf("Must be %.20s (the extension in the address) or absent.", number)}))
		return
	}
	if herr := s.setDND(r, number, *req.DND); herr != nil {
		writeError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, dndRequest{Extension: number, DND: req.DND})
}

// --- pages ---------------------------------------------------------------------

// operatorDone answers an operator's form: back to the status page with
// the outcome, or the status page with the refusal at its top.
func (s *Server) operatorDone(w http.ResponseWriter, r *http.Request, herr *httpError, done string) {
	if herr != nil {
		s.showStatus(w, r, herr.status, herr.message())
		return
	}
	s.setFlash(r, done)
	http.Redirect(w, r, "/status", http.StatusSeeOther)
}

func (s *Server) callActionSubmit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	req := callActionRequest{Action: r.PostForm.Get("action"), Leg: r.PostForm.Get("leg")}
	c, herr := s.callAction(r.Context(), id, req)
	s.operatorDone(w, r, herr, actionDone(req.Action, liveCallView(c, "").party(req.Leg)))
}

func (s *Server) memberActionSubmit(w http.ResponseWriter, r *http.Request) {
	room, member, action := r.PathValue("room"), r.PathValue("member"), r.PostForm.Get("action")
	herr := s.memberAction(r.Context(), room, member, action)
	done := map[string]string{"mute": "is muted", "unmute": "is heard again", "kick": "was removed"}[action]
	s.operatorDone(w, r, herr, fmt.Sprintf("The caller %s (conference room %s).", done, room))
}

func (s *Server) dndSubmit(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	on := r.PostForm.Get("dnd") == "on"
	state := "off"
	if on {
		state = "on"
	}
	s.operatorDone(w, r, s.setDND(r, number, on), fmt.Sprintf("Do not disturb is %s for extension %s.", state, number))
}

// actionDone says in words that an action was carried out.
func actionDone(action, who string) string {
	who = firstOf(who, "the party")
	switch action {
	case "hold":
		return sentence(who + " is on hold")
	case "resume":
		return sentence(who + " is back from hold")
	case "park":
		return sentence(who + " is parked; the Parked calls list shows the slot")
	case "transfer":
		return sentence(who + " is being transferred")
	}
	return "The call is hung up."
}

// statusLive is the live part of the status page alone, which
// operator.js puts in place of the old one on every status event.
func (s *Server) statusLive(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Status(r.Context())
	if err != nil {
		s.renderError(w, r, http.StatusInternalServerError, s.serviceError("status", err).msg)
		return
	}
	loc := s.location(r.Context())
	pd := pageData{Body: statusBody{Operator: operatorView(st, authFrom(r.Context()).sess.csrf), Loc: loc}}
	var buf bytes.Buffer
	if err := s.pages["status"].ExecuteTemplate(&buf, "operator", pd); err != nil {
		s.log.Error("webui: render the operator view", "err", err)
		http.Error(w, "internal error: the view could not be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// --- the transfer page ---------------------------------------------------------

type transferBody struct {
	Call liveCall
	Form *form
}

// transferForm offers the call's parties and the box's numbers: the
// extensions, and the ring groups, queues, voice menus and conference
// rooms that have a number, and short numbers; or a typed number.
func transferForm(c liveCall, cfg store.Config, leg, dest, number string) *form {
	var parties []option
	for _, p := range c.Parties {
		if p.Leg != "" {
			role := "The caller"
			if p.Role == "to" {
				role = "The answering party"
			}
			parties = append(parties, option{Value: p.Leg, Label: role + ", " + p.Label})
		}
	}
	if leg == "" && len(parties) > 0 {
		leg = parties[0].Value
	}
	dests := []option{{Value: "", Label: "— choose, or type a number below —"}}
	add := func(number, label string) {
		if number != "" {
			dests = append(dests, option{Value: number, Label: label})
		}
	}
	for _, e := range cfg.Extensions {
		add(e.Number, strings.TrimSuffix("Extension "+e.Number+" — "+e.Name, " — "))
	}
	for _, g := range cfg.RingGroups {
		add(g.Number, fmt.Sprintf("Ring group %s (%s)", g.Name, g.Number))
	}
	for _, q := range cfg.Queues {
		add(q.Number, fmt.Sprintf("Queue %s (%s)", q.Name, q.Number))
	}
	for _, m := range cfg.Menus {
		add(m.Number, fmt.Sprintf("Voice menu %s (%s)", m.Name, m.Number))
	}
	for _, rm := range cfg.ConferenceRooms {
		add(rm.Number, fmt.Sprintf("Conference room %s (%s)", rm.Name, rm.Number))
	}
	for _, sn := range cfg.Numbering.ShortNumbers {
		add(sn.Number, fmt.Sprintf("Short number %s → %s", sn.Number, sn.Destination))
	}
	return &form{ID: "transfer-form", Action: "/status/calls/" + url.PathEscape(c.ID) + "/transfer", Submit: "Transfer", Fields: []*field{
		{ID: "leg", Name: "leg", Label: "Who is transferred", Type: "select", Options: selectOptions(parties, leg, "no longer in the call"),
			Help: "This party goes to the destination; the other one is released (their phone hangs up)."},
		{ID: "destination", Name: "destination", Label: "Transfer to", Type: "select", Options: selectOptions(dests, dest, "not a number of the box"),
			Help: "The box's numbers. Ring groups, queues, voice menus and conference rooms are listed when they have an internal number (Dial plan pages)."},
		{ID: "number", Name: "number", Label: "Or this number", Type: "text", Value: number, MaxLength: maxTransferDigits, InputMode: "tel", Autocomplete: "off",
			Help: "Any number a phone of the box may dial: an extension, a feature code, or an outside number with the outside prefix. When filled in, it is used instead of the list."},
	}}
}

// transferTarget is the call the transfer page acts on, or the page
// answers itself (404) and reports false.
func (s *Server) transferTarget(w http.ResponseWriter, r *http.Request) (liveCall, store.Config, bool) {
	id := r.PathValue("id")
	st, err := s.svc.Status(r.Context())
	if err != nil {
		s.renderError(w, r, http.StatusInternalServerError, s.serviceError("status", err).msg)
		return liveCall{}, store.Config{}, false
	}
	cfg, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		s.renderError(w, r, http.StatusInternalServerError, s.serviceError("configuration", err).msg)
		return liveCall{}, store.Config{}, false
	}
	c, ok := findCall(st, id)
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "This call has ended; there is nothing to transfer. Go back to the status page.")
		return liveCall{}, store.Config{}, false
	}
	return liveCallView(c, ""), cfg, true
}

func (s *Server) transferPage(w http.ResponseWriter, r *http.Request) {
	c, cfg, ok := s.transferTarget(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "call_transfer", pageData{Title: "Transfer a call", Active: "status",
		Body: transferBody{Call: c, Form: transferForm(c, cfg, r.URL.Query().Get("leg"), "", "")}})
}

func (s *Server) transferSubmit(w http.ResponseWriter, r *http.Request) {
	c, cfg, ok := s.transferTarget(w, r)
	if !ok {
		return
	}
	v := r.PostForm
	req := callActionRequest{Action: "transfer", Leg: v.Get("leg"), Destination: strings.TrimSpace(v.Get("number"))}
	destField := "number"
	if req.Destination == "" {
		req.Destination, destField = strings.TrimSpace(v.Get("destination")), "destination"
	}
	f := transferForm(c, cfg, req.Leg, strings.TrimSpace(v.Get("destination")), strings.TrimSpace(v.Get("number")))
	_, herr := s.callAction(r.Context(), c.ID, req)
	if herr == nil {
		s.setFlash(r, sentence(fmt.Sprintf("%s is being transferred to %s", firstOf(c.party(req.Leg), "the party"), req.Destination)))
		http.Redirect(w, r, "/status", http.StatusSeeOther)
		return
	}
	for _, fe := range herr.fields {
		if fe.Field == "destination" {
			fe.Field = destField
		}
		f.applyErrors([]FieldError{fe})
	}
	if herr.fields == nil {
		if herr.status == http.StatusConflict { // the exchange refused the number
			f.field(destField).Error = herr.msg
		} else {
			f.Errors = append(f.Errors, herr.msg)
		}
	}
	s.render(w, r, herr.status, "call_transfer", pageData{Title: "Transfer a call", Active: "status",
		Error: "The call was not transferred; see the problem below.", Body: transferBody{Call: c, Form: f}})
}

// --- the view ----------------------------------------------------------------------

// opAction is one operator button: a form that posts to Page without
// JavaScript (with the session's CSRF token), and whose Body app.js sends
// to API with Method.
type opAction struct {
	ID, Label, Aria string
	Page            string
	Hidden          []hidden
	CSRF            string
	API, Method     string
	Body            string
	Danger          bool
}

type hidden struct{ Name, Value string }

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// callOp is the button for action on party leg (role "from" or "to") of
// call id, in a page whose session's CSRF token is csrf.
func callOp(id, role, leg, action, label, aria, csrf string) opAction {
	return opAction{ID: "call-" + id + "-" + role + "-" + action, Label: label, Aria: aria, CSRF: csrf,
		Page: "/status/calls/" + url.PathEscape(id) + "/action", Hidden: []hidden{{"action", action}, {"leg", leg}},
		API: "/api/v1/calls/" + url.PathEscape(id) + "/actions", Method: http.MethodPost,
		Body: jsonText(callActionRequest{Action: action, Leg: leg})}
}

// operatorData is the live part of the status page.
type operatorData struct {
	Calls       []liveCall
	Parked      []parkedRow
	Conferences []roomView
	Extensions  []extensionRow
}

type liveCall struct {
	ID, Caller, Callee, State string
	Started                   time.Time
	Parties                   []liveParty
	Steps                     []pathStep
	// Actionable: the call is in conversation, where the exchange takes
	// the operator's actions.
	Actionable bool
	Hangup     opAction
}

// party names the party of leg ("" the caller); "" when there is none.
func (c liveCall) party(leg string) string {
	for _, p := range c.Parties {
		if p.Leg == leg || (leg == "" && p.Role == "from") {
			return p.Label
		}
	}
	return ""
}

type liveParty struct {
	Role, Label, Leg string
	Held             bool
	Actions          []opAction // hold or resume, park
	Transfer         string     // the transfer page for this party
}

type parkedRow struct {
	Slot, Caller, Party, By string
	Since                   time.Time
	// Transfer is the transfer page's address, Hangup the button that
	// clears the parked call.
	Transfer string
	Hangup   opAction
}

type roomView struct {
	Name, Number string
	Members      []memberRow
}

type memberRow struct {
	ID, Label string
	Muted     bool
	Joined    time.Time
	Actions   []opAction
}

type extensionRow struct {
	Number, Name, State, Forwarded string
	DND                            bool
	Toggle                         opAction
}

// heldParties are the parties of a path on hold now: those whose last
// held or resumed step is "held".
func heldParties(path []store.CallStep) map[string]bool {
	held := map[string]bool{}
	for _, s := range path {
		switch s.Event {
		case "held":
			held[s.Party] = true
		case "resumed":
			delete(held, s.Party)
		}
	}
	return held
}

// liveCallView is call c with its buttons for a page whose session's
// CSRF token is csrf.
func liveCallView(c telephony.CallStatus, csrf string) liveCall {
	names := pathNames{}
	names.add(c.From, c.Caller.Number)
	names.add(c.To, "")
	lc := liveCall{ID: c.ID, Caller: callerText(c.Caller), Callee: c.Callee, State: c.State, Started: c.Started,
		Steps: names.steps(c.Path), Actionable: c.State == "answered" || c.State == "held"}
	held := heldParties(c.Path)
	for _, p := range []struct{ role, leg, name string }{{"from", c.FromLeg, c.From}, {"to", c.ToLeg, c.To}} {
		if p.name == "" {
			continue
		}
		lp := liveParty{Role: p.role, Label: names.who(p.name), Leg: p.leg, Held: held[p.name] || slices.Contains(c.Held, p.leg)}
		if lc.Actionable && p.leg != "" {
			if lp.Held {
				lp.Actions = append(lp.Actions, callOp(c.ID, p.role, p.leg, "resume", "Resume", "Take "+lp.Label+" off hold", csrf))
			} else {
				lp.Actions = append(lp.Actions, callOp(c.ID, p.role, p.leg, "hold", "Hold", "Put "+lp.Label+" on hold", csrf))
			}
			lp.Actions = append(lp.Actions, callOp(c.ID, p.role, p.leg, "park", "Park", "Park "+lp.Label+" (the other party is released)", csrf))
			lp.Transfer = "/status/calls/" + url.PathEscape(c.ID) + "/transfer?leg=" + url.QueryEscape(p.leg)
		}
		lc.Parties = append(lc.Parties, lp)
	}
	lc.Hangup = callOp(c.ID, "call", "", "hangup", "Hang up", "Hang up the call of "+lc.Caller, csrf)
	lc.Hangup.ID, lc.Hangup.Danger = "call-"+c.ID+"-hangup", true
	return lc
}

// operatorView is the live part of the status page for a session whose
// CSRF token is csrf.
func operatorView(st telephony.Status, csrf string) operatorData {
	var o operatorData
	for _, c := range st.Calls {
		o.Calls = append(o.Calls, liveCallView(c, csrf))
	}
	names := pathNames{}
	for _, p := range st.Parked {
		row := parkedRow{Slot: p.Slot, Caller: callerText(p.Caller), Party: names.who(p.Party), By: names.who(p.By), Since: p.Since}
		if p.Party == p.Caller.Number { // the exchange names the party by its number: said already
			row.Party = ""
		}
		if p.Call != "" {
			row.Transfer = "/status/calls/" + url.PathEscape(p.Call) + "/transfer?leg=" + url.QueryEscape(p.Leg)
			row.Hangup = callOp(p.Call, "call", "", "hangup", "Hang up", "Hang up the call parked on "+p.Slot, csrf)
			row.Hangup.ID, row.Hangup.Danger = "parked-"+p.Slot+"-hangup", true
		}
		o.Parked = append(o.Parked, row)
	}
	for _, rm := range st.Conferences {
		v := roomView{Name: rm.Name, Number: rm.Number}
		for _, m := range rm.Members {
			row := memberRow{ID: m.ID, Label: names.who(m.Party), Muted: m.Muted, Joined: m.Joined}
			if m.Name != "" {
				row.Label += " — " + m.Name
			}
			mute, label := "mute", "Mute"
			if m.Muted {
				mute, label = "unmute", "Unmute"
			}
			row.Actions = []opAction{memberOp(rm.Name, m.ID, mute, label, row.Label, csrf), memberOp(rm.Name, m.ID, "kick", "Remove", row.Label, csrf)}
			row.Actions[1].Danger = true
			v.Members = append(v.Members, row)
		}
		o.Conferences = append(o.Conferences, v)
	}
	for _, e := range st.Extensions {
		on, label := "on", "Turn DND on"
		if e.DND {
			on, label = "off", "Turn DND off"
		}
		o.Extensions = append(o.Extensions, extensionRow{Number: e.Number, Name: e.Name, State: e.State, Forwarded: e.Forwarded, DND: e.DND,
			Toggle: opAction{ID: "extstate-" + e.Number + "-dnd", Label: label, Aria: label + " for extension " + e.Number, CSRF: csrf,
				Page: "/status/extensions/" + url.PathEscape(e.Number) + "/dnd", Hidden: []hidden{{"dnd", on}},
				API: "/api/v1/extensions/" + url.PathEscape(e.Number) + "/dnd", Method: http.MethodPut,
				Body: jsonText(map[string]bool{"dnd": !e.DND})}})
	}
	return o
}

// memberOp is the button for action on member of room.
func memberOp(room, member, action, label, who, csrf string) opAction {
	base := "/conferences/" + url.PathEscape(room) + "/members/" + url.PathEscape(member)
	return opAction{ID: "conf-" + room + "-" + member + "-" + action, Label: label, Aria: label + " " + who, CSRF: csrf,
		Page: "/status" + base + "/action", Hidden: []hidden{{"action", action}},
		API: "/api/v1" + base + "/actions", Method: http.MethodPost, Body: jsonText(memberActionRequest{Action: action})}
}
