package webui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/store"
)

// The account's own pages under /me: its name and language, the
// forwarding, follow-me and do not disturb of its extension, its mailbox
// (the voicemail pages, on its own mailbox only), its call history and
// its API tokens. Which of them an account may use is its role's "own."
// permissions; they act on the account's own extension and on nothing
// else, whatever a request names.

// ownExtension is the request's account's extension, or a 404 in words
// for an account without one.
func ownExtension(r *http.Request) (string, *httpError) {
	ext := authFrom(r.Context()).account.Extension
	if ext == "" {
		return "", errorf(http.StatusNotFound, "Your account has no extension of its own: ask an administrator to give it one (Users).")
	}
	return ext, nil
}

// ownMailbox runs a voicemail handler on the account's own mailbox: the
// path's {box} is the account's extension, whatever was asked.
func (s *Server) ownMailbox(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ext, herr := ownExtension(r)
		if herr != nil {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeError(w, herr)
			} else {
				s.renderError(w, r, herr.status, herr.msg)
			}
			return
		}
		r.SetPathValue("box", ext)
		h(w, r)
	}
}

// mailboxBase is where a mailbox's pages are: the account's own under
// /me/voicemail, any other under /voicemail/BOX.
func mailboxBase(r *http.Request, box string) string {
	if strings.HasPrefix(r.URL.Path, "/me/") {
		return "/me/voicemail"
	}
	return "/voicemail/" + url.PathEscape(box)
}

// --- the account page ---------------------------------------------------------

type meBody struct {
	Form    *form
	Account store.Account
	Links   []meLink
}

type meLink struct{ ID, Href, Label, Help string }

func meForm(a store.Account) *form {
	langs := []option{{Value: "", Label: "The browser's", Selected: a.Language == ""}}
	names := map[string]string{"en": "English", "ru": "Русский", "hy": "Հայերեն", "ky": "Кыргызча", "it": "Italiano"}
	for _, l := range store.WebLanguages() {
		langs = append(langs, option{Value: l, Label: names[l], Selected: a.Language == l})
	}
	return &form{ID: "me-form", Action: "/me", Submit: "Save", Fields: []*field{
		{ID: "name", Name: "name", Label: "Your name", Type: "text", Value: a.Name, MaxLength: 64, Autocomplete: "name",
			Help: "How the box's pages and its audit log name you."},
		{ID: "language", Name: "language", Label: "Language", Type: "select", Options: langs,
			Help: "The language of these pages for your account."},
	}}
}

func (s *Server) mePage(w http.ResponseWriter, r *http.Request) {
	s.showMe(w, r, http.StatusOK, meForm(authFrom(r.Context()).account))
}

func (s *Server) showMe(w http.ResponseWriter, r *http.Request, status int, f *form) {
	a := authFrom(r.Context())
	b := meBody{Form: f, Account: a.account}
	for _, l := range []meLink{
		{"me-forwarding", "/me/forwarding", "Forwarding", "Where your calls go when you are busy, away or do not want to be disturbed; follow-me."},
		{"me-voicemail", "/me/voicemail", "Voicemail", "Listen to your messages, delete them, record your greetings."},
		{"me-calls", "/me/calls", "Your calls", "The calls your extension made and received."},
		{"me-tokens", "/me/tokens", "API tokens", "Keys for your scripts to use the API as you."},
		{"me-password", "/password", "Password", "Change your password."},
	} {
		if s.mayGet(a, l.Href) && (a.account.Extension != "" || !strings.HasPrefix(l.Href, "/me/") || l.Href == "/me/tokens") {
			b.Links = append(b.Links, l)
		}
	}
	s.render(w, r, status, "me", pageData{Title: "Your account", Active: "me", Body: b})
}

func (s *Server) meSubmit(w http.ResponseWriter, r *http.Request) {
	a := authFrom(r.Context())
	acc := a.account
	acc.Name, acc.Language = strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("language")
	f := meForm(acc)
	if _, err := s.svc.UpdateAccount(r.Context(), acc.Login, acc); err != nil {
		herr := s.serviceError("save your account", err)
		f.serviceError(herr)
		s.showMe(w, r, herr.status, f)
		return
	}
	s.setFlash(r, "Saved.")
	http.Redirect(w, r, "/me", http.StatusSeeOther)
}

// meJSON is the account as GET /api/v1/me answers: the account and what
// its role may do.
type meJSON struct {
	store.Account
	Permissions []string `json:"permissions"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	a := authFrom(r.Context())
	writeJSON(w, http.StatusOK, meJSON{Account: a.account, Permissions: a.role.Permissions})
}

// mePatch is what an account may change of itself.
type mePatch struct {
	Name     *string `json:"name"`
	Language *string `json:"language"`
}

func (s *Server) apiUpdateMe(w http.ResponseWriter, r *http.Request) {
	var p mePatch
	if herr := readJSON(w, r, maxBody, &p); herr != nil {
		writeError(w, herr)
		return
	}
	a := authFrom(r.Context())
	acc := a.account
	if p.Name != nil {
		acc.Name = *p.Name
	}
	if p.Language != nil {
		acc.Language = *p.Language
	}
	out, err := s.svc.UpdateAccount(r.Context(), acc.Login, acc)
	s.answer(w, http.StatusOK, "update your account", meJSON{Account: out, Permissions: a.role.Permissions}, err)
}

// --- forwarding ------------------------------------------------------------------

// forwarding is an extension's forwarding in its user's terms: numbers
// as they dial them ("202", "95551234"), "voicemail" for their own
// mailbox; what the installer set in the dial plan's notation and the
// user leaves as it is ("group:sales") stays as it is.
type forwarding struct {
	DND                bool             `json:"dnd"`
	ForwardAlways      string           `json:"forward_always"`
	ForwardBusy        string           `json:"forward_busy"`
	ForwardNoAnswer    string           `json:"forward_no_answer"`
	ForwardUnavailable string           `json:"forward_unavailable"`
	NoAnswerS          int              `json:"no_answer_s"`
	FollowMe           []followMeNumber `json:"follow_me"`
	FollowMeSchedule   string           `json:"follow_me_schedule"`
}

type followMeNumber struct {
	Number string `json:"number"`
	RingS  int    `json:"ring_s"`
	On     bool   `json:"on"`
}

// userNumber is a destination as its user types it.
func userNumber(ext, dest string) string {
	kind, v, ok := strings.Cut(dest, ":")
	switch {
	case !ok:
		return dest
	case kind == "ext" || kind == "number":
		return v
	case kind == "voicemail" && v == ext:
		return "voicemail"
	}
	return dest
}

func forwardingOf(ru store.ExtensionRule) forwarding {
	ext := ru.Extension
	fw := forwarding{DND: ru.DND, ForwardAlways: userNumber(ext, ru.ForwardAlways), ForwardBusy: userNumber(ext, ru.ForwardBusy),
		ForwardNoAnswer: userNumber(ext, ru.ForwardNoAnswer), ForwardUnavailable: userNumber(ext, ru.ForwardUnavailable),
		NoAnswerS: ru.NoAnswerS, FollowMeSchedule: ru.FollowMeSchedule, FollowMe: []followMeNumber{}}
	for _, m := range ru.FollowMe {
		fw.FollowMe = append(fw.FollowMe, followMeNumber{Number: userNumber(ext, m.Destination), RingS: m.RingS, On: !m.Off})
	}
	return fw
}

// destinationOf turns what the user typed into a destination: unchanged
// from what the rule had, "" off, "voicemail" their mailbox, or a number
// checked as the feature codes check it (errors on field).
func (s *Server) destinationOf(ctx context.Context, ext, typed, current, field string) (string, []FieldError) {
	typed = strings.TrimSpace(typed)
	switch {
	case typed == "":
		return "", nil
	case current != "" && typed == userNumber(ext, current):
		return current, nil
	case strings.EqualFold(typed, "voicemail"):
		return "voicemail:" + ext, nil
	}
	d, err := s.svc.ForwardTarget(ctx, ext, typed)
	if err != nil {
		herr := s.serviceError("check "+field, err)
		if herr.fields == nil {
			return "", []FieldError{{field, herr.msg}}
		}
		for i := range herr.fields {
			herr.fields[i].Field = field
			herr.fields[i].Message = fmt.Sprintf("%s %s", typed, herr.fields[i].Message)
		}
		return "", herr.fields
	}
	return d, nil
}

// saveForwarding puts fw into ext's rule: its forwarding, follow-me and
// do not disturb, and nothing else of the rule. Problems come back on
// fw's JSON fields ("forward_busy", "follow_me[1].number").
func (s *Server) saveForwarding(ctx context.Context, ext string, fw forwarding) (forwarding, *httpError) {
	cur, err := s.svc.ExtensionRule(ctx, ext)
	if err != nil {
		return fw, s.serviceError("read your forwarding", err)
	}
	var fs []FieldError
	dest := func(typed, current, field string) string {
		d, e := s.destinationOf(ctx, ext, typed, current, field)
		fs = append(fs, e...)
		return d
	}
	next := cur
	next.DND = fw.DND
	next.ForwardAlways = dest(fw.ForwardAlways, cur.ForwardAlways, "forward_always")
	next.ForwardBusy = dest(fw.ForwardBusy, cur.ForwardBusy, "forward_busy")
	next.ForwardNoAnswer = dest(fw.ForwardNoAnswer, cur.ForwardNoAnswer, "forward_no_answer")
	next.ForwardUnavailable = dest(fw.ForwardUnavailable, cur.ForwardUnavailable, "forward_unavailable")
	next.NoAnswerS = fw.NoAnswerS
	next.FollowMeSchedule = fw.FollowMeSchedule
	next.FollowMe = nil
	for i, m := range fw.FollowMe {
		if strings.TrimSpace(m.Number) == "" {
			continue
		}
		known := ""
		for _, c := range cur.FollowMe {
			if userNumber(ext, c.Destination) == strings.TrimSpace(m.Number) {
				known = c.Destination
			}
		}
		field := fmt.Sprintf("follow_me[%d].number", i)
		d := dest(m.Number, known, field)
		if strings.HasPrefix(d, "voicemail:") {
			fs = append(fs, FieldError{field, "Follow-me rings phones: your mailbox cannot be one of its numbers."})
		}
		next.FollowMe = append(next.FollowMe, store.GroupMember{Destination: d, RingS: m.RingS, Off: !m.On})
	}
	if len(fs) > 0 {
		return fw, &httpError{status: http.StatusUnprocessableEntity, msg: "The forwarding is not valid; see the fields.", fields: fs}
	}
	// The rule's positions among the follow-me numbers the user sent,
	// for errors the store finds there.
	sent := []int{}
	for i, m := range fw.FollowMe {
		if strings.TrimSpace(m.Number) != "" {
			sent = append(sent, i)
		}
	}
	saved, err := s.svc.UpdateExtensionRule(ctx, ext, func(ru *store.ExtensionRule) error {
		keep := *ru
		*ru = next
		// What the user does not manage stays as the installer set it.
		ru.Class, ru.ForwardCallerID, ru.NoCallWaiting, ru.MOHClass, ru.Record = keep.Class, keep.ForwardCallerID, keep.NoCallWaiting, keep.MOHClass, keep.Record
		return nil
	})
	if err != nil {
		herr := s.serviceError("save your forwarding", err)
		for i, f := range herr.fields {
			herr.fields[i].Field = ruleField(f.Field, sent)
		}
		return fw, herr
	}
	return forwardingOf(saved), nil
}

// ruleField turns the store's path of a problem in an extension rule
// ("extension_rules[3].follow_me[0].ring_s") into the forwarding's own
// ("follow_me[2].ring_s", by the position the user sent it at).
func ruleField(path string, sent []int) string {
	if i := strings.Index(path, "]."); strings.HasPrefix(path, "extension_rules[") && i > 0 {
		path = path[i+2:]
	}
	if rest, ok := strings.CutPrefix(path, "follow_me["); ok {
		if j := strings.IndexByte(rest, ']'); j > 0 {
			if n, err := strconv.Atoi(rest[:j]); err == nil && n < len(sent) {
				field := strings.TrimPrefix(rest[j+1:], ".")
				if field == "destination" {
					field = "number"
				}
				return fmt.Sprintf("follow_me[%d].%s", sent[n], field)
			}
		}
	}
	return path
}

// followMeRows is how many follow-me numbers the form offers beyond
// those set.
const followMeRows = 2

type forwardingBody struct {
	Form      *form
	FollowMe  [][]*field // per row: number, ring time, on
	Schedules []option
	HasBox    bool
	Ext       string
}

func (s *Server) forwardingForm(ctx context.Context, ext string, fw forwarding) forwardingBody {
	numHelp := "A number as you dial it: an extension (202), or an outside number with the outside prefix. Empty: off."
	hasBox := false
	var scheds []option
	if c, err := s.svc.ExportConfig(ctx); err == nil {
		_, hasBox = c.Voicemail.Box(ext)
		scheds = append(scheds, option{Value: "", Label: "Always", Selected: fw.FollowMeSchedule == ""})
		for _, sc := range c.Schedules {
			scheds = append(scheds, option{Value: sc.Name, Label: fmt.Sprintf("While %s is open", sc.Name), Selected: sc.Name == fw.FollowMeSchedule})
		}
	}
	if hasBox {
		numHelp += " Type voicemail for your mailbox."
	}
	f := &form{ID: "forwarding-form", Action: "/me/forwarding", Submit: "Save forwarding", Fields: []*field{
		{ID: "dnd", Name: "dnd", Label: "Do not disturb", Type: "checkbox", Checked: fw.DND,
			Help: "Your phones do not ring; callers are treated as if you were busy (they go where “when busy” says, else hear busy tone)."},
		{ID: "forward_always", Name: "forward_always", Label: "Forward every call to", Type: "text", Value: fw.ForwardAlways, InputMode: "tel", MaxLength: 32, Autocomplete: "off", Help: numHelp},
		{ID: "forward_busy", Name: "forward_busy", Label: "When you are busy, to", Type: "text", Value: fw.ForwardBusy, InputMode: "tel", MaxLength: 32, Autocomplete: "off"},
		{ID: "forward_no_answer", Name: "forward_no_answer", Label: "When you do not answer, to", Type: "text", Value: fw.ForwardNoAnswer, InputMode: "tel", MaxLength: 32, Autocomplete: "off"},
		{ID: "no_answer_s", Name: "no_answer_s", Label: "Ring your phones for (seconds)", Type: "number", Value: strconv.Itoa(fw.NoAnswerS), Min: "0", Max: "600",
			Help: "Before forwarding or follow-me takes over: 5 to 600 seconds; 0 is the default (20)."},
		{ID: "forward_unavailable", Name: "forward_unavailable", Label: "When none of your phones can ring, to", Type: "text", Value: fw.ForwardUnavailable, InputMode: "tel", MaxLength: 32, Autocomplete: "off"},
		{ID: "follow_me_schedule", Name: "follow_me_schedule", Label: "Follow-me applies", Type: "select", Options: scheds,
			Help: "Follow-me rings the numbers below one after the other when you do not answer (instead of “when you do not answer”)."},
	}}
	b := forwardingBody{Form: f, Schedules: scheds, HasBox: hasBox, Ext: ext}
	rows := append(slices.Clone(fw.FollowMe), make([]followMeNumber, followMeRows)...)
	for i, m := range rows {
		if i >= 10 {
			break
		}
		if m.Number == "" {
			m.On = true // a new number starts switched on
		}
		p := fmt.Sprintf("follow_me[%d].", i)
		b.FollowMe = append(b.FollowMe, []*field{
			{ID: p + "number", Name: p + "number", Label: fmt.Sprintf("Number %d", i+1), Type: "text", Value: m.Number, InputMode: "tel", MaxLength: 32, Autocomplete: "off"},
			{ID: p + "ring_s", Name: p + "ring_s", Label: "Rings for (s)", Type: "number", Value: strconv.Itoa(m.RingS), Min: "0", Max: "600"},
			{ID: p + "on", Name: p + "on", Label: "On", Type: "checkbox", Checked: m.On},
		})
	}
	return b
}

// applyFields puts each error beside the field of exactly its name
// (follow-me rows), the rest as applyErrors does.
func applyFields(f *form, rows [][]*field, fs []FieldError) {
	var rest []FieldError
	for _, fe := range fs {
		placed := false
		for _, x := range append(slices.Concat(rows...), f.Fields...) {
			if x.Name == fe.Field {
				if x.Error != "" {
					x.Error += " "
				}
				x.Error += sentence(fe.Message)
				placed = true
				break
			}
		}
		if !placed {
			rest = append(rest, fe)
		}
	}
	f.applyErrors(rest)
}

func (s *Server) forwardingPage(w http.ResponseWriter, r *http.Request) {
	ext, herr := ownExtension(r)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	ru, err := s.svc.ExtensionRule(r.Context(), ext)
	if err != nil {
		s.renderServiceError(w, r, "read your forwarding", err)
		return
	}
	s.render(w, r, http.StatusOK, "forwarding", pageData{Title: fmt.Sprintf("Forwarding of %s", ext), Active: "me", Body: s.forwardingForm(r.Context(), ext, forwardingOf(ru))})
}

// parseForwardingForm reads the form as the user typed it; numbers that
// are not numbers are errors beside their fields.
func parseForwardingForm(v url.Values) (forwarding, []FieldError) {
	var fs []FieldError
	num := func(name string) int {
		t := strings.TrimSpace(v.Get(name))
		if t == "" {
			return 0
		}
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > 600 {
			fs = append(fs, FieldError{name, "Enter a whole number of seconds from 0 to 600."})
		}
		return n
	}
	fw := forwarding{DND: v.Get("dnd") == "on", ForwardAlways: v.Get("forward_always"), ForwardBusy: v.Get("forward_busy"),
		ForwardNoAnswer: v.Get("forward_no_answer"), ForwardUnavailable: v.Get("forward_unavailable"),
		NoAnswerS: num("no_answer_s"), FollowMeSchedule: v.Get("follow_me_schedule")}
	for i := range 10 {
		p := fmt.Sprintf("follow_me[%d].", i)
		if _, ok := v[p+"number"]; !ok {
			break
		}
		fw.FollowMe = append(fw.FollowMe, followMeNumber{Number: v.Get(p + "number"), RingS: num(p + "ring_s"), On: v.Get(p+"on") == "on"})
	}
	return fw, fs
}

func (s *Server) forwardingSubmit(w http.ResponseWriter, r *http.Request) {
	ext, herr := ownExtension(r)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	fw, fs := parseForwardingForm(r.PostForm)
	status := http.StatusUnprocessableEntity
	if len(fs) == 0 {
		var herr *httpError
		if _, herr = s.saveForwarding(r.Context(), ext, fw); herr == nil {
			s.setFlash(r, fmt.Sprintf("Your forwarding is saved: calls to %s follow it from now on.", ext))
			http.Redirect(w, r, "/me/forwarding", http.StatusSeeOther)
			return
		}
		fs, status = herr.fields, herr.status
		if fs == nil {
			fs = []FieldError{{"", herr.msg}}
		}
	}
	b := s.forwardingForm(r.Context(), ext, fw)
	applyFields(b.Form, b.FollowMe, fs)
	s.render(w, r, status, "forwarding", pageData{Title: fmt.Sprintf("Forwarding of %s", ext), Active: "me", Body: b})
}

func (s *Server) apiForwarding(w http.ResponseWriter, r *http.Request) {
	ext, herr := ownExtension(r)
	if herr != nil {
		writeError(w, herr)
		return
	}
	ru, err := s.svc.ExtensionRule(r.Context(), ext)
	s.answer(w, http.StatusOK, "read your forwarding", forwardingOf(ru), err)
}

func (s *Server) apiUpdateForwarding(w http.ResponseWriter, r *http.Request) {
	ext, herr := ownExtension(r)
	if herr != nil {
		writeError(w, herr)
		return
	}
	var fw forwarding
	if herr := readJSON(w, r, maxBody, &fw); herr != nil {
		writeError(w, herr)
		return
	}
	if len(fw.FollowMe) > 10 {
		writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The forwarding is not valid; see the fields.",
			fields: []FieldError{{"follow_me", "At most 10 numbers."}}})
		return
	}
	out, herr := s.saveForwarding(r.Context(), ext, fw)
	if herr != nil {
		writeError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
