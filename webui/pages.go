package webui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// pageData is what every page template gets.
type pageData struct {
	Title    string
	Active   string // the navigation item to highlight
	BoxName  string
	Version  string
	CSRF     string
	LoggedIn bool
	Forced   bool // the password must still be changed: no navigation
	Flash    string
	Error    string
	Body     any
	Lang     string // the language of the page (i18n.go)
	// Words are the translations of what the page's scripts write
	// (scriptMessages), none in English.
	Words map[string]string
	// RefreshS, when set, reloads the page that often (a live view
	// without script: a campaign's progress).
	RefreshS int

	// NewVoicemail is the new messages across mailboxes, shown beside
	// the navigation's Voicemail item.
	NewVoicemail int

	// Account is who is logged in; may tells whether it may open a page
	// (May, for the navigation).
	Account store.Account
	may     func(path string) bool
}

// May reports whether the logged-in account may open the page at path:
// the navigation links only to those.
func (pd pageData) May(path string) bool { return pd.may != nil && pd.may(path) }

var templateFuncs = template.FuncMap{
	"since":  func(t time.Time, now time.Time) string { return humanDuration(now.Sub(t)) },
	"caller": callerText,
	"rem":    func(a, b int) int { return a % b },
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"clock": func(t time.Time, loc *time.Location) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("15:04:05")
	},
	"datetime": func(t time.Time, loc *time.Location) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	},
	"verdictClass": verdictClass,
	"idOf":         func(s string) string { return strings.NewReplacer(":", "-", " ", "-").Replace(s) },
	"num":          formatNum,
	"iso": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
}

// pageSet is every page, parsed and translated for a language when a page
// in that language is first asked for: English at start (it checks the
// templates), each other language on its first visitor, so that the box
// starts as fast as with one language (about 90 ms of parsing a language
// here, BenchmarkParseTemplates).
type pageSet struct {
	cat catalog

	mu    sync.Mutex
	langs map[string]map[string]*template.Template
}

func newPageSet(cat catalog) (*pageSet, error) {
	p := &pageSet{cat: cat, langs: make(map[string]map[string]*template.Template)}
	if _, err := p.parsed("en"); err != nil {
		return nil, err
	}
	return p, nil
}

// page is the template of a page in lang (in English if lang's pages do
// not parse, which the tests rule out).
func (p *pageSet) page(lang, name string) *template.Template {
	pages, err := p.parsed(lang)
	if err != nil {
		pages, _ = p.parsed("en")
	}
	return pages[name]
}

func (p *pageSet) parsed(lang string) (map[string]*template.Template, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.langs[lang]; ok {
		return m, nil
	}
	m, err := parseLanguage(p.cat, lang)
	if err != nil {
		return nil, err
	}
	p.langs[lang] = m
	return m, nil
}

// parseLanguage parses each page together with the shared layout, its
// text translated into lang by cat (i18n_html.go) and its template
// function T bound to lang.
func parseLanguage(cat catalog, lang string) (map[string]*template.Template, error) {
	if lc := cat.lang(lang); lc != nil && lc.err != nil {
		return nil, lc.err
	}
	names, err := fs.Glob(assets, "assets/templates/*.html")
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{"T": func(s string) string { return cat.T(lang, s) },
		"plural": func(n int, one, other string) string { return cat.plural(lang, n, one, other) }}
	tr := func(s string) string { return cat.T(lang, s) }
	out := make(map[string]*template.Template)
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(templateFuncs).Funcs(funcs).ParseFS(assets, "assets/templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		if lang != "en" {
			for _, x := range t.Templates() {
				if x.Tree != nil {
					translateTree(x.Tree.Root, &htmlState{}, tr)
				}
			}
		}
		out[strings.TrimSuffix(base, ".html")] = t
	}
	return out, nil
}

// lang is the language of the pages for r: the account's choice, else the
// browser's (Accept-Language), else English.
func (s *Server) lang(r *http.Request) string {
	if l := authFrom(r.Context()).account.Language; l != "" && slices.Contains(store.WebLanguages(), l) {
		return l
	}
	return negotiateLanguage(r.Header.Get("Accept-Language"), store.WebLanguages())
}

// T translates s into the language of the pages for r.
func (s *Server) T(r *http.Request, msg string) string { return s.cat.T(s.lang(r), msg) }

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, pd pageData) {
	a := authFrom(r.Context())
	if pd.CSRF == "" {
		pd.CSRF = a.sess.csrf
	}
	if a.sess.csrf != "" {
		pd.LoggedIn = true
		pd.Forced = a.mustChange
		if pd.Flash == "" {
			pd.Flash = s.sessions.takeFlash(a.sess.key)
		}
		pd.Account = a.account
		pd.may = func(path string) bool { return s.mayGet(a, path) }
	}
	pd.Version = s.svc.Version()
	pd.BoxName = "minipbx"
	if pd.LoggedIn {
		if sys, err := s.svc.Settings(r.Context()); err == nil && sys.Name != "" {
			pd.BoxName = sys.Name
		}
		if !pd.Forced && pd.May("/voicemail") {
			pd.NewVoicemail = s.newVoicemail(r.Context())
		}
	}
	pd.Lang = s.lang(r)
	if pd.Lang != "en" {
		pd.Words = make(map[string]string)
		for _, m := range slices.Concat(scriptMessages[""], scriptMessages[name]) {
			pd.Words[m] = s.cat.T(pd.Lang, m)
		}
	}
	t := s.pages.page(pd.Lang, name)
	var buf bytes.Buffer
	if t == nil {
		s.log.Error("webui: no template", "name", name)
		http.Error(w, "internal error: missing page template", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", pd); err != nil {
		s.log.Error("webui: render page", "page", name, "err", err)
		http.Error(w, "internal error: the page could not be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", pd.Lang)
	w.Header().Add("Vary", "Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// newVoicemail counts the new messages in every mailbox (removed ones
// still on disk included, as the Voicemail page lists them). Every page
// asks, so a failure only leaves the count out: the Voicemail page itself
// says what went wrong.
func (s *Server) newVoicemail(ctx context.Context) int {
	boxes, err := s.svc.Mailboxes(ctx)
	if err != nil {
		s.log.Debug("webui: no voicemail count for the navigation", "err", err)
		return 0
	}
	n := 0
	for _, b := range boxes {
		n += b.New
	}
	return n
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", pageData{Title: http.StatusText(status), Error: msg})
}

func (s *Server) setFlash(r *http.Request, msg string) {
	s.sessions.setFlash(authFrom(r.Context()).sess.key, msg)
}

// --- login, logout, password -------------------------------------------------

type loginBody struct {
	Next    string
	Message string
	Bye     bool
	User    string // kept when a login fails
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if sess, ok := s.sessions.get(cookieValue(r, sessionCookie), false); ok {
		dest := safeNext(r.URL.Query().Get("next"))
		if sess.mustChange {
			dest = "/password"
		}
		http.Redirect(w, r, dest, http.StatusSeeOther)
		return
	}
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomToken()
	setCookie(w, loginCookie, tok, time.Hour)
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostForm.Get("next")
	}
	user := ""
	if r.Method == http.MethodPost {
		user = r.PostForm.Get("user")
	}
	s.render(w, r, status, "login", pageData{Title: "Log in", CSRF: tok, Error: msg,
		Body: loginBody{Next: safeNext(next), Bye: r.URL.Query().Get("bye") == "1", User: user}})
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.showLogin(w, r, http.StatusBadRequest, "The login form could not be read; please try again.")
		return
	}
	if !tokensEqual(r.PostForm.Get("csrf"), cookieValue(r, loginCookie)) {
		s.showLogin(w, r, http.StatusForbidden, "The login form had expired (or came from another site). Please enter the password again.")
		return
	}
	acc, herr := s.checkLogin(r, strings.TrimSpace(strings.ToLower(r.PostForm.Get("user"))), r.PostForm.Get("password"))
	if herr != nil {
		if herr.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(herr.retryAfter/time.Second)+1))
		}
		s.showLogin(w, r, herr.status, herr.msg)
		return
	}
	// A new session ID at every login defeats session fixation.
	if old := cookieValue(r, sessionCookie); old != "" {
		s.sessions.delete(hashID(old))
	}
	id, _ := s.sessions.create(acc.Login, acc.MustChange)
	setCookie(w, sessionCookie, id, 0)
	setCookie(w, loginCookie, "", -1)
	s.log.Info("webui: login", "login", acc.Login, "role", acc.Role, "remote", r.RemoteAddr, "must_change", acc.MustChange)
	dest := safeNext(r.PostForm.Get("next"))
	info := &authInfo{account: acc}
	if found, _ := s.identify(r, info, acc.Login); !found || !s.mayGet(info, dest) {
		dest = "/me" // a user's start: their own page
	}
	if acc.MustChange {
		dest = "/password"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// home is the box's address without a page: the status page, or the
// account's own page for one that may not see the status.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	dest := "/status"
	if sess, ok := s.sessions.get(cookieValue(r, sessionCookie), false); ok {
		info := &authInfo{}
		if found, _ := s.identify(r, info, sess.login); found && !s.mayGet(info, dest) {
			dest = "/me"
		}
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.sessions.delete(authFrom(r.Context()).sess.key)
	setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login?bye=1", http.StatusSeeOther)
}

type passwordBody struct {
	Form   *form
	Forced bool
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) {
	a := authFrom(r.Context())
	s.render(w, r, http.StatusOK, "password", pageData{Title: passwordTitle(a), Active: "password",
		Body: passwordBody{Form: passwordForm(a.mustChange), Forced: a.mustChange}})
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request) {
	a := authFrom(r.Context())
	f := passwordForm(a.mustChange)
	v := r.PostForm
	status := http.StatusUnprocessableEntity
	login := a.account.Login
	if !a.mustChange {
		_, herr := s.checkLogin(r, login, v.Get("current_password"))
		switch {
		case herr != nil && herr.status == http.StatusUnauthorized:
			f.field("current_password").Error = "This is not the current password."
		case herr != nil:
			f.field("current_password").Error = herr.msg
			status = herr.status
		}
	}
	pw := v.Get("new_password")
	if !f.hasErrors() {
		if fs := s.validateNewPassword(r.Context(), login, "new_password", pw); fs != nil {
			f.applyErrors(fs)
		} else if v.Get("confirm_password") != pw {
			f.field("confirm_password").Error = "The two new passwords differ; type the same one twice."
		}
	}
	if !f.hasErrors() {
		if err := s.svc.SetAccountPassword(r.Context(), login, pw, false); err != nil {
			herr := s.serviceError("set password", err)
			for i := range herr.fields {
				if herr.fields[i].Field == "password" {
					herr.fields[i].Field = "new_password"
				}
			}
			f.applyErrors(herr.fields)
			if herr.fields == nil {
				f.Errors = append(f.Errors, herr.msg)
			}
			status = herr.status
		}
	}
	if f.hasErrors() {
		s.render(w, r, status, "password", pageData{Title: passwordTitle(a), Active: "password",
			Body: passwordBody{Form: f, Forced: a.mustChange}})
		return
	}
	// A fresh session; every other session of the account (opened with
	// the old password) ends.
	s.basic.clear()
	s.sessions.deleteLogin(login, [32]byte{})
	id, sess := s.sessions.create(login, false)
	sess.flash = "The admin password is changed. Use the new one from now on."
	if login != store.AdminLogin {
		sess.flash = fmt.Sprintf("The password of %s is changed. Use the new one from now on.", login)
	}
	setCookie(w, sessionCookie, id, 0)
	s.log.Info("webui: password changed", "login", login, "remote", r.RemoteAddr)
	dest := "/status"
	if !s.mayGet(a, dest) {
		dest = "/me"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

func passwordTitle(a *authInfo) string {
	if a.account.Login == store.AdminLogin {
		return "Admin password"
	}
	return "Your password"
}

// --- status and simulator ----------------------------------------------------

type statusBody struct {
	Status  telephony.Status
	Sim     bool
	FXS     []telephony.PortStatus
	FXO     []telephony.PortStatus
	Now     time.Time
	Loc     *time.Location
	Started string
	// DiagAlarm: the last diagnostic run failed.
	DiagAlarm bool
	// LoginAlarm: failed logins to the admin account add up to a
	// guessing attempt (see LockoutPolicy).
	LoginAlarm *loginAlarm
	// Operator is the live calls, parked calls, conference rooms and
	// extensions with the operator's buttons (operator.go).
	Operator operatorData
	// SetupOffer: the setup wizard has been neither applied nor
	// dismissed (wizard.go).
	SetupOffer bool
}

type loginAlarm struct {
	Since               string
	Failures, Addresses int
}

// location is the box's time zone for showing times; the last one loaded
// is cached, since loading reads the zone database from disk.
func (s *Server) location(ctx context.Context) *time.Location {
	sys, err := s.svc.Settings(ctx)
	if err != nil || sys.TimeZone == "" {
		return time.UTC
	}
	s.locMu.Lock()
	defer s.locMu.Unlock()
	if s.loc != nil && s.loc.String() == sys.TimeZone {
		return s.loc
	}
	loc, err := time.LoadLocation(sys.TimeZone)
	if err != nil {
		return time.UTC
	}
	s.loc = loc
	return loc
}

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	s.showStatus(w, r, http.StatusOK, "")
}

// showStatus renders the status page; msg, when set, is a refusal shown
// at its top (an operator's action the exchange did not carry out).
func (s *Server) showStatus(w http.ResponseWriter, r *http.Request, status int, msg string) {
	st, err := s.svc.Status(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "status", err)
		return
	}
	b := statusBody{Status: st, Sim: s.svc.Sim() != nil, Now: s.now(), Loc: s.location(r.Context()),
		Operator: operatorView(st, authFrom(r.Context()).sess.csrf), SetupOffer: s.wiz.offered()}
	for _, p := range st.Ports {
		switch p.Kind {
		case "fxs":
			b.FXS = append(b.FXS, p)
		case "fxo":
			b.FXO = append(b.FXO, p)
		}
	}
	if !st.Started.IsZero() {
		b.Started = st.Started.In(b.Loc).Format("2006-01-02 15:04")
	}
	if ds, err := s.svc.Diagnostics(r.Context()); err == nil {
		b.DiagAlarm = ds.Alarm
	}
	if since, n, addrs := s.lock.alarm(); !since.IsZero() {
		b.LoginAlarm = &loginAlarm{Since: since.In(b.Loc).Format("2006-01-02 15:04"), Failures: n, Addresses: addrs}
	}
	s.render(w, r, status, "status", pageData{Title: "Status", Active: "status", Error: msg, Body: b})
}

// simSubmit is the simulator controls without JavaScript: a plain form
// post that redirects back to the status page with the outcome.
func (s *Server) simSubmit(w http.ResponseWriter, r *http.Request) {
	v := r.PostForm
	port, err := strconv.Atoi(v.Get("port"))
	if err != nil || port < 1 {
		s.setFlash(r, "Simulator: choose a port.")
		http.Redirect(w, r, "/status", http.StatusSeeOther)
		return
	}
	action := v.Get("action")
	kind := "fxs"
	if action == "ring" || action == "hangup" {
		kind = "fxo"
	}
	msg := ""
	switch action {
	case "offhook", "onhook", "dial", "ring", "hangup":
	default:
		msg = "Simulator: unknown action."
	}
	req := dialRequest{Digits: strings.TrimSpace(v.Get("digits")), Pulse: v.Get("pulse") != ""}
	ring := ringRequest{Number: strings.TrimSpace(v.Get("number")), Name: strings.TrimSpace(v.Get("name"))}
	if msg == "" && action == "dial" {
		if m := validDigits(req.Digits, req.Pulse); m != "" {
			msg = "Simulator: " + m
		}
	}
	if msg == "" && action == "ring" {
		if fs := validRing(ring); fs != nil {
			msg = "Simulator: " + fs[0].Message
		}
	}
	if msg == "" {
		sim, herr := s.simPort(r.Context(), kind, port)
		switch {
		case herr != nil:
			msg = "Simulator: " + herr.msg
		case kind == "fxs":
			err = s.doSimPhone(sim, action, port, req)
		default:
			err = s.doSimLine(sim, action, port, ring)
		}
		if msg == "" && err != nil {
			msg = "Simulator: " + simError(err).msg
		}
		if msg == "" {
			msg = "Simulator: done."
		}
	}
	s.setFlash(r, msg)
	dest := "/status"
	if v.Get("return") == "/setup/done" { // the wizard's last page has the phone too
		dest = "/setup/done"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// --- extensions ---------------------------------------------------------------

type extensionsBody struct {
	Extensions []store.Extension
	// Rules are the extension rules by extension, for their call
	// handling (do not disturb, call waiting).
	Rules map[string]*store.ExtensionRule
}

func (s *Server) extensionsPage(w http.ResponseWriter, r *http.Request) {
	exts, err := s.svc.Extensions(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "list extensions", err)
		return
	}
	s.render(w, r, http.StatusOK, "extensions", pageData{Title: "Extensions", Active: "extensions",
		Body: extensionsBody{Extensions: exts, Rules: s.extensionRules(r.Context())}})
}

type extensionFormBody struct {
	Form    *form
	Editing bool
	Number  string
	// Handling is the extension's do not disturb and call waiting (its
	// extension rule), shown beside the form.
	Handling *callHandling
}

// formContext loads what the extension form needs for its help texts.
func (s *Server) formContext(ctx context.Context) (store.System, telephony.Status) {
	sys, err := s.svc.Settings(ctx)
	if err != nil || sys.ExtensionLength == 0 {
		sys.ExtensionLength = 3
	}
	st, _ := s.svc.Status(ctx)
	return sys, st
}

func (s *Server) extensionNewPage(w http.ResponseWriter, r *http.Request) {
	sys, st := s.formContext(r.Context())
	f := extensionForm(store.Extension{}, false, sys, st)
	s.carryDraft(r, f)
	s.render(w, r, http.StatusOK, "extension_form", pageData{Title: "New extension", Active: "extensions", Body: extensionFormBody{Form: f}})
}

func (s *Server) extensionCreate(w http.ResponseWriter, r *http.Request) {
	sys, st := s.formContext(r.Context())
	f := extensionForm(store.Extension{}, false, sys, st)
	e := parseExtensionForm(f, r.PostForm, store.Extension{})
	status := http.StatusUnprocessableEntity
	if !f.hasErrors() && e.Number != "" {
		if _, exists, err := s.findExtension(r.Context(), e.Number); err != nil {
			herr := s.serviceError("create extension", err)
			f.Errors = append(f.Errors, herr.msg)
			status = herr.status
		} else if exists {
			f.applyErrors(duplicateNumber(e.Number))
			status = http.StatusConflict
		}
	}
	if !f.hasErrors() {
		created, err := s.svc.CreateExtension(r.Context(), e)
		if err == nil {
			s.setFlash(r, fmt.Sprintf("Extension %s created.", created.Number))
			if s.finishDraft(w, r, newDest(store.SectionExtensions, created.Number)) {
				return // back to the form whose picker asked for it
			}
			http.Redirect(w, r, "/extensions", http.StatusSeeOther)
			return
		}
		herr := s.serviceError("create extension", err)
		status = herr.status
		if herr.fields != nil {
			f.applyErrors(herr.fields)
		} else {
			f.Errors = append(f.Errors, herr.msg)
		}
	}
	s.carryDraft(r, f)
	s.render(w, r, status, "extension_form", pageData{Title: "New extension", Active: "extensions", Body: extensionFormBody{Form: f}})
}

func (s *Server) extensionEditPage(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	e, ok, err := s.findExtension(r.Context(), number)
	if err != nil || !ok {
		s.extensionMissing(w, r, number, err)
		return
	}
	sys, st := s.formContext(r.Context())
	f := extensionForm(e, true, sys, st)
	s.render(w, r, http.StatusOK, "extension_form", pageData{Title: "Extension " + number, Active: "extensions",
		Body: extensionFormBody{Form: f, Editing: true, Number: number, Handling: s.callHandlingOf(r.Context(), number)}})
}

func (s *Server) extensionMissing(w http.ResponseWriter, r *http.Request, number string, err error) {
	if err != nil {
		s.renderServiceError(w, r, "read extension", err)
		return
	}
	s.renderError(w, r, http.StatusNotFound, fmt.Sprintf("There is no extension %s (it may have been deleted). Go back to the list of extensions.", number))
}

func (s *Server) extensionUpdate(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	old, ok, err := s.findExtension(r.Context(), number)
	if err != nil || !ok {
		s.extensionMissing(w, r, number, err)
		return
	}
	sys, st := s.formContext(r.Context())
	f := extensionForm(old, true, sys, st)
	e := parseExtensionForm(f, r.PostForm, old)
	status := http.StatusUnprocessableEntity
	if !f.hasErrors() {
		if herr := s.checkExtensionUpdate(r.Context(), number, e.Number); herr != nil {
			status = herr.status
			f.applyErrors(herr.fields)
			if herr.fields == nil {
				f.Errors = append(f.Errors, herr.msg)
			}
		}
	}
	if !f.hasErrors() {
		updated, err := s.svc.UpdateExtension(r.Context(), number, e)
		if err == nil {
			s.setFlash(r, fmt.Sprintf("Extension %s saved.", updated.Number))
			http.Redirect(w, r, "/extensions", http.StatusSeeOther)
			return
		}
		herr := s.serviceError("update extension", err)
		status = herr.status
		if herr.fields != nil {
			f.applyErrors(herr.fields)
		} else {
			f.Errors = append(f.Errors, herr.msg)
		}
	}
	s.render(w, r, status, "extension_form", pageData{Title: "Extension " + number, Active: "extensions",
		Body: extensionFormBody{Form: f, Editing: true, Number: number}})
}

type deleteBody struct {
	Extension store.Extension
	Action    string
	// InUse names what still uses the extension (it cannot be deleted).
	InUse *inUseView
}

func (s *Server) extensionDeletePage(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	e, ok, err := s.findExtension(r.Context(), number)
	if err != nil || !ok {
		s.extensionMissing(w, r, number, err)
		return
	}
	b := deleteBody{Extension: e, Action: "/extensions/" + url.PathEscape(number) + "/delete"}
	if c, users := s.objectUsers(r.Context(), store.SectionExtensions, number); len(users) > 0 {
		b.InUse = &inUseView{What: "Extension", Name: number, Users: usersOf(c, users)}
	}
	s.render(w, r, http.StatusOK, "extension_delete", pageData{Title: fmt.Sprintf("Delete extension %s", number), Active: "extensions", Body: b})
}

func (s *Server) extensionDelete(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	e, ok, err := s.findExtension(r.Context(), number)
	if err != nil || !ok {
		s.extensionMissing(w, r, number, err)
		return
	}
	if err := s.svc.DeleteExtension(r.Context(), number); err != nil {
		herr := s.serviceError("delete extension", err)
		b := deleteBody{Extension: e, Action: "/extensions/" + url.PathEscape(number) + "/delete"}
		msg := herr.msg
		var iu *store.InUseError
		if c, cerr := s.svc.ExportConfig(r.Context()); errors.As(err, &iu) && cerr == nil {
			msg = fmt.Sprintf("Extension %s is in use, so it was not deleted; change what uses it first.", number)
			b.InUse = &inUseView{What: "Extension", Name: number, Users: usersOf(&c, iu.Users)}
		} else {
			for _, fe := range herr.fields {
				msg += " " + fe.Message
			}
		}
		s.render(w, r, herr.status, "extension_delete", pageData{Title: fmt.Sprintf("Delete extension %s", number), Active: "extensions", Error: msg, Body: b})
		return
	}
	s.setFlash(r, fmt.Sprintf("Extension %s deleted.", number))
	http.Redirect(w, r, "/extensions", http.StatusSeeOther)
}

// --- settings ---------------------------------------------------------------------

type settingsBody struct {
	System *form
	Lines  []*form
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) {
	b, err := s.settingsBody(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "settings", err)
		return
	}
	s.render(w, r, http.StatusOK, "settings", pageData{Title: "Settings", Active: "settings", Body: b})
}

func (s *Server) settingsBody(ctx context.Context) (settingsBody, error) {
	sys, err := s.svc.Settings(ctx)
	if err != nil {
		return settingsBody{}, err
	}
	lines, err := s.svc.FXOLines(ctx)
	if err != nil {
		return settingsBody{}, err
	}
	exts, err := s.svc.Extensions(ctx)
	if err != nil {
		return settingsBody{}, err
	}
	dest := extensionOptions(exts)
	b := settingsBody{System: settingsForm(sys, s.zones, s.defaultCalls)}
	for _, l := range lines {
		b.Lines = append(b.Lines, fxoForm(l, dest))
	}
	return b, nil
}

func (s *Server) settingsSubmit(w http.ResponseWriter, r *http.Request) {
	b, err := s.settingsBody(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "settings", err)
		return
	}
	f := b.System
	// What the form does not show (the diagnostics' schedule, which has its
	// own page, and whatever else System holds) stays as stored.
	cur, err := s.svc.Settings(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "settings", err)
		return
	}
	sys := parseSettingsForm(f, r.PostForm, cur)
	status := http.StatusUnprocessableEntity
	if !f.hasErrors() {
		if _, err := s.svc.UpdateSettings(r.Context(), sys); err == nil {
			s.setFlash(r, "Settings saved.")
			http.Redirect(w, r, "/settings", http.StatusSeeOther)
			return
		} else {
			herr := s.serviceError("save settings", err)
			status = herr.status
			f.applyErrors(herr.fields)
			if herr.fields == nil {
				f.Errors = append(f.Errors, herr.msg)
			}
		}
	}
	s.render(w, r, status, "settings", pageData{Title: "Settings", Active: "settings", Error: "The settings were not saved; see the marked fields.", Body: b})
}

func (s *Server) fxoSubmit(w http.ResponseWriter, r *http.Request) {
	port, herr := portParam(r)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	b, err := s.settingsBody(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "settings", err)
		return
	}
	var f *form
	for _, lf := range b.Lines {
		if lf.ID == fmt.Sprintf("fxo%d-form", port) {
			f = lf
		}
	}
	if f == nil {
		s.renderError(w, r, http.StatusNotFound, fmt.Sprintf("There is no FXO port %d on this box.", port))
		return
	}
	l := parseFXOForm(f, port, r.PostForm)
	status := http.StatusUnprocessableEntity
	if !f.hasErrors() {
		if _, err := s.svc.UpdateFXOLine(r.Context(), l); err == nil {
			s.setFlash(r, fmt.Sprintf("Line %d saved.", port))
			http.Redirect(w, r, "/settings#"+f.ID, http.StatusSeeOther)
			return
		} else {
			herr := s.serviceError("save FXO line", err)
			status = herr.status
			f.applyErrors(herr.fields)
			if herr.fields == nil {
				f.Errors = append(f.Errors, herr.msg)
			}
		}
	}
	s.render(w, r, status, "settings", pageData{Title: "Settings", Active: "settings", Error: fmt.Sprintf("Line %d was not saved; see the marked fields.", port), Body: b})
}

// humanDuration is "3 d 4 h", "5 h 2 min", "12 min", "40 s".
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%d d %d h", d/(24*time.Hour), (d%(24*time.Hour))/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%d h %d min", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d s", d/time.Second)
}

// callerText renders a caller ID for the status page.
func callerText(c channel.CallerID) string { return c.String() }
