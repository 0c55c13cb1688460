package webui

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// Campaigns: the auto-dialer (config.md, "Campaigns") through the API
// and the Campaigns page, over telephony.CampaignService (nil: the box
// has none, and every route says so with 503).

// campaignJSON is a campaign as GET shows it: its settings and contacts
// with their live progress.
type campaignJSON struct {
	store.Campaign
	Progress store.CampaignProgress `json:"progress"`
	LinesUp  int                    `json:"lines_up"`
}

// noDialer is the answer of a box without an auto-dialer.
const noDialer = "This box has no auto-dialer."

// campaignAPI makes h an API route of the auto-dialer: 503 on a box
// without one.
func (s *Server) campaignAPI(h func(http.ResponseWriter, *http.Request, telephony.CampaignService)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.campaigns == nil {
			writeError(w, errorf(http.StatusServiceUnavailable, noDialer))
			return
		}
		h(w, r, s.campaigns)
	}
}

// campaignPageRoute makes h a page of the auto-dialer: 503 on a box
// without one.
func (s *Server) campaignPageRoute(h func(http.ResponseWriter, *http.Request, telephony.CampaignService)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.campaigns == nil {
			s.renderError(w, r, http.StatusServiceUnavailable, noDialer)
			return
		}
		h(w, r, s.campaigns)
	}
}

func (s *Server) apiCampaigns(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	list, err := cs.Campaigns(r.Context())
	if err != nil {
		writeError(w, s.serviceError("campaigns", err))
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) apiCampaign(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	sum, c, err := cs.Campaign(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, s.serviceError("campaign", err))
		return
	}
	writeJSON(w, http.StatusOK, campaignJSON{Campaign: c, Progress: sum.Progress, LinesUp: sum.LinesUp})
}

// apiCreateCampaign is POST /api/v1/campaigns: 201 with the draft.
func (s *Server) apiCreateCampaign(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	var c store.Campaign
	if herr := readJSON(w, r, maxConfigBody, &c); herr != nil {
		writeError(w, herr)
		return
	}
	out, err := cs.CreateCampaign(r.Context(), c)
	if err != nil {
		writeError(w, s.serviceError("create the campaign", err))
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// apiUpdateCampaign is PUT /api/v1/campaigns/{name}: the settings; the
// state, contacts and results stay (contacts and state in the body are
// ignored).
func (s *Server) apiUpdateCampaign(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	var c store.Campaign
	if herr := readJSON(w, r, maxConfigBody, &c); herr != nil {
		writeError(w, herr)
		return
	}
	out, err := cs.UpdateCampaign(r.Context(), r.PathValue("name"), c)
	if err != nil {
		writeError(w, s.serviceError("change the campaign", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiDeleteCampaign(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	if err := cs.DeleteCampaign(r.Context(), r.PathValue("name")); err != nil {
		writeError(w, s.serviceError("delete the campaign", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiCampaignState is PUT /api/v1/campaigns/{name}/state {"state": S}.
func (s *Server) apiCampaignState(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	var body struct {
		State string `json:"state"`
	}
	if herr := readJSON(w, r, maxBody, &body); herr != nil {
		writeError(w, herr)
		return
	}
	out, err := cs.SetCampaignState(r.Context(), r.PathValue("name"), body.State)
	if err != nil {
		writeError(w, s.serviceError("change the campaign's state", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// apiImportContacts is POST /api/v1/campaigns/{name}/contacts: a CSV
// list (text/csv) or {"caller_list": NAME}; 200 with what was imported
// and the bad rows by line.
func (s *Server) apiImportContacts(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	name := r.PathValue("name")
	var rep telephony.ContactImport
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/csv" {
		data, herr := readBody(w, r, maxConfigBody)
		if herr != nil {
			writeError(w, herr)
			return
		}
		rep, err = cs.ImportContacts(r.Context(), name, bytes.NewReader(data), "")
	} else {
		var body struct {
			CallerList string `json:"caller_list"`
		}
		if herr := readJSON(w, r, maxBody, &body); herr != nil {
			writeError(w, herr)
			return
		}
		rep, err = cs.ImportContacts(r.Context(), name, nil, body.CallerList)
	}
	if err != nil {
		writeError(w, s.serviceError("import the contacts", err))
		return
	}
	if rep.Bad == nil {
		rep.Bad = []store.CSVRowError{}
	}
	writeJSON(w, http.StatusOK, rep)
}

// campaignResultsCSV writes a campaign's contacts and their results.
func (s *Server) campaignResultsCSV(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	_, c, err := cs.Campaign(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, s.serviceError("campaign", err))
		return
	}
	loc := s.location(r.Context())
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="campaign-`+c.Name+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"number", "name", "result", "attempts", "done", "last_call", "next_call", "call_id"})
	for _, ct := range c.Contacts {
		_ = cw.Write([]string{ct.Number, csvSafe(ct.Name), ct.Result, strconv.Itoa(ct.Attempts), strconv.FormatBool(ct.Done),
			csvTime(ct.LastAt, loc), csvTime(ct.NextAt, loc), ct.CallID})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.log.Warn("webui: campaign results CSV cut short", "err", err)
	}
}

// csvSafe keeps a spreadsheet from taking a name for a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}

func (s *Server) apiDoNotCall(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	l, err := cs.DoNotCallList(r.Context())
	if err != nil {
		writeError(w, s.serviceError("do-not-call list", err))
		return
	}
	writeJSON(w, http.StatusOK, l)
}

// apiAddDoNotCall is PUT /api/v1/do-not-call/{number} with an optional
// {"why": ...}.
func (s *Server) apiAddDoNotCall(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	var body struct {
		Why string `json:"why"`
	}
	if r.ContentLength != 0 {
		if herr := readJSON(w, r, maxBody, &body); herr != nil {
			writeError(w, herr)
			return
		}
	}
	if body.Why == "" {
		body.Why = "added by " + authFrom(r.Context()).account.Login
	}
	d, err := cs.AddDoNotCall(r.Context(), r.PathValue("number"), body.Why)
	if err != nil {
		writeError(w, s.serviceError("do-not-call list", err))
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiRemoveDoNotCall(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	if err := cs.RemoveDoNotCall(r.Context(), r.PathValue("number")); err != nil {
		writeError(w, s.serviceError("do-not-call list", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- the pages ------------------------------------------------------------------------

type campaignsBody struct {
	Campaigns []telephony.CampaignSummary
	DoNotCall []store.DoNotCall
	Loc       *time.Location
	// Example is a campaign to start from, as JSON, for the create form.
	Example string
	Error   string
	Fields  []FieldError
}

type campaignBody struct {
	Summary  telephony.CampaignSummary
	Campaign store.Campaign
	Loc      *time.Location
	// Settings is the campaign's settings as JSON for the edit form.
	Settings string
	Import   *telephony.ContactImport
	Error    string
	Fields   []FieldError
	// Live: the page refreshes itself while the campaign runs.
	Live bool
}

// campaignRefreshS is how often an active campaign's page reloads.
const campaignRefreshS = 5

// campaignExample is what the create form starts from.
const campaignExample = `{
  "name": "spring-offer",
  "class": "national",
  "caller_id": "",
  "window": {"start": "09:00", "end": "18:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
  "max_lines": 2,
  "ring_s": 30,
  "retry": {"busy": {"after_s": 600, "times": 2}, "no_answer": {"after_s": 3600, "times": 2}, "failed": {"after_s": 600, "times": 1}},
  "prompts": [{"file": "offer.wav"}],
  "operator_queue": "",
  "opt_out_key": true,
  "on_machine": "hangup"
}`

func (s *Server) campaignsPage(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	s.renderCampaigns(w, r, cs, http.StatusOK, campaignsBody{Example: campaignExample})
}

func (s *Server) renderCampaigns(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService, status int, b campaignsBody) {
	var err error
	if b.Campaigns, err = cs.Campaigns(r.Context()); err == nil {
		b.DoNotCall, err = cs.DoNotCallList(r.Context())
	}
	if err != nil {
		s.renderServiceError(w, r, "campaigns", err)
		return
	}
	b.Loc = s.location(r.Context())
	s.render(w, r, status, "campaigns", pageData{Title: "Campaigns", Active: "campaigns", Body: b})
}

// campaignsCreate takes the create form (the campaign as JSON).
func (s *Server) campaignsCreate(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	text := r.PostForm.Get("json")
	var c store.Campaign
	err := decodeStrict([]byte(text), &c)
	if err == nil {
		c, err = cs.CreateCampaign(r.Context(), c)
	}
	if err != nil {
		b := campaignsBody{Example: text}
		s.pageError(err, "create the campaign", &b.Error, &b.Fields)
		s.renderCampaigns(w, r, cs, http.StatusUnprocessableEntity, b)
		return
	}
	s.setFlash(r, "Campaign "+c.Name+" created as a draft: import its contacts, then start it.")
	http.Redirect(w, r, "/campaigns/"+c.Name, http.StatusSeeOther)
}

// pageError puts an error's message and fields where a page shows them.
func (s *Server) pageError(err error, op string, msg *string, fields *[]FieldError) {
	var herr *httpError
	if jerr := jsonError(err); strings.HasPrefix(jerr.msg, "Bad JSON") {
		herr = jerr
	} else {
		herr = s.serviceError(op, err)
	}
	*msg, *fields = herr.msg, herr.fields
}

func (s *Server) campaignPage(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	s.renderCampaign(w, r, cs, http.StatusOK, campaignBody{})
}

func (s *Server) renderCampaign(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService, status int, b campaignBody) {
	sum, c, err := cs.Campaign(r.Context(), r.PathValue("name"))
	if err != nil {
		s.renderServiceError(w, r, "campaign", err)
		return
	}
	b.Summary, b.Campaign, b.Loc = sum, c, s.location(r.Context())
	b.Live = c.State == store.CampaignActive
	if b.Settings == "" {
		settings := c
		settings.Contacts, settings.State, settings.BlockedReason = nil, "", ""
		b.Settings = string(mustIndent(settings))
	}
	pd := pageData{Title: "Campaign " + c.Name, Active: "campaigns", Body: b}
	if b.Live && status == http.StatusOK {
		pd.RefreshS = campaignRefreshS
	}
	s.render(w, r, status, "campaign", pd)
}

// campaignSubmit takes the campaign page's forms: action=state (start,
// pause, back to draft), settings (the JSON), import (a pasted CSV list
// or a caller list), delete.
func (s *Server) campaignSubmit(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	ctx, name := r.Context(), r.PathValue("name")
	var b campaignBody
	var err error
	switch r.PostForm.Get("action") {
	case "state":
		_, err = cs.SetCampaignState(ctx, name, r.PostForm.Get("state"))
		if err == nil {
			s.setFlash(r, "Campaign "+name+" is now "+r.PostForm.Get("state")+".")
		}
	case "settings":
		text := r.PostForm.Get("json")
		var c store.Campaign
		if err = decodeStrict([]byte(text), &c); err == nil {
			_, err = cs.UpdateCampaign(ctx, name, c)
		}
		b.Settings = text
		if err == nil {
			s.setFlash(r, "Settings saved.")
		}
	case "import":
		var rep telephony.ContactImport
		if list := r.PostForm.Get("caller_list"); list != "" {
			rep, err = cs.ImportContacts(ctx, name, nil, list)
		} else {
			rep, err = cs.ImportContacts(ctx, name, strings.NewReader(r.PostForm.Get("csv")), "")
		}
		if err == nil {
			b.Import = &rep
			s.renderCampaign(w, r, cs, http.StatusOK, b)
			return
		}
	case "delete":
		if err = cs.DeleteCampaign(ctx, name); err == nil {
			s.setFlash(r, "Campaign "+name+" deleted.")
			http.Redirect(w, r, "/campaigns", http.StatusSeeOther)
			return
		}
	default:
		err = &store.ValidationError{Fields: []store.FieldError{{Field: "action", Message: "unknown action"}}}
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.renderServiceError(w, r, "campaign", err)
			return
		}
		s.pageError(err, "change the campaign", &b.Error, &b.Fields)
		s.renderCampaign(w, r, cs, http.StatusUnprocessableEntity, b)
		return
	}
	http.Redirect(w, r, "/campaigns/"+name, http.StatusSeeOther)
}

// doNotCallSubmit adds a number to the do-not-call list or (remove=1)
// takes it off.
func (s *Server) doNotCallSubmit(w http.ResponseWriter, r *http.Request, cs telephony.CampaignService) {
	number := strings.TrimSpace(r.PostForm.Get("number"))
	var err error
	if r.PostForm.Get("remove") != "" {
		err = cs.RemoveDoNotCall(r.Context(), number)
	} else {
		_, err = cs.AddDoNotCall(r.Context(), number, "added by "+authFrom(r.Context()).account.Login)
	}
	if err != nil {
		b := campaignsBody{Example: campaignExample}
		s.pageError(err, "do-not-call list", &b.Error, &b.Fields)
		s.renderCampaigns(w, r, cs, http.StatusUnprocessableEntity, b)
		return
	}
	http.Redirect(w, r, "/campaigns#do-not-call", http.StatusSeeOther)
}

// mustIndent is v as indented JSON (for a form; values of ours always
// encode).
func mustIndent(v any) []byte {
	b, _ := json.MarshalIndent(v, "", "  ")
	return b
}
