package webui

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// The setup wizard (issue 13, item 3): a few pages that set up a new box
// — country, numbering, extensions in bulk, their phones, what the lines
// ring, a trunk, outside calls, voicemail, business hours, a voice menu —
// then a review of every object it will create or change, applied in one
// store transaction, and an invitation to try a call.
//
// Its state lives on the server, per login session, as the raw input of
// each step (wizardDraft): the pages carry only their own fields, the
// trunk's password never travels back to the browser in hidden fields,
// the back button and the step links simply show a step again with what
// was typed, and every step is read again, in order, whenever a page is
// drawn, so a change in an early step reaches the later ones. Nothing
// is written before "Apply": an abandoned wizard — the tab closed, the
// session ended, "Cancel setup" — changes nothing; its draft is
// forgotten with its session (and at a restart of the box). Apply runs
// the plan inside the store's transaction after checking that the
// configuration is still the one the review showed.

// setupState is the name under which the web UI keeps whether the
// wizard was applied or its offer dismissed (Options.State).
const setupState = "web-setup"

// wizards keeps the drafts of the sessions using the wizard.
type wizards struct {
	mu     sync.Mutex
	drafts map[[32]byte]*wizardDraft
	// done: the wizard was applied once, or its offer dismissed; the
	// status page then stops offering it.
	done bool
	save func([]byte) // nil: memory only
	// fault, when set, is asked before each part of the change and may
	// make it fail there (tests prove that nothing is then written).
	fault func(step string) error
}

// savedSetup is what is kept of the wizard across restarts.
type savedSetup struct {
	Applied   time.Time `json:"applied,omitzero"`
	Dismissed bool      `json:"dismissed,omitempty"`
}

func newWizards(st StateStore, log *slog.Logger) *wizards {
	w := &wizards{drafts: map[[32]byte]*wizardDraft{}}
	if st == nil {
		return w
	}
	if b, err := st.LoadSecurityState(setupState); err != nil {
		log.Warn("webui: setup state not read", "err", err)
	} else if b != nil {
		var s savedSetup
		if err := json.Unmarshal(b, &s); err != nil {
			log.Warn("webui: setup state unreadable", "err", err)
		}
		w.done = !s.Applied.IsZero() || s.Dismissed
	}
	w.save = func(b []byte) {
		if err := st.SaveSecurityState(setupState, b); err != nil {
			log.Warn("webui: setup state not saved", "err", err)
		}
	}
	return w
}

// offered says whether the status page offers the wizard.
func (w *wizards) offered() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.done
}

// finish records that the wizard was applied (at) or dismissed.
func (w *wizards) finish(s savedSetup) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.save != nil {
		if b, err := json.Marshal(s); err == nil {
			w.save(b)
		}
	}
}

// draft returns the session's draft, a new one with create (a fresh
// start replaces an old draft), or nil.
func (w *wizards) draft(s *sessions, key [32]byte, create bool) *wizardDraft {
	w.mu.Lock()
	defer w.mu.Unlock()
	if d := w.drafts[key]; d != nil && !create {
		return d
	}
	if !create {
		return nil
	}
	// Drafts of sessions that ended are forgotten.
	for k := range w.drafts {
		if !s.live(k) {
			delete(w.drafts, k)
		}
	}
	d := &wizardDraft{values: map[string]url.Values{}, visited: map[string]bool{}, secrets: map[string]string{}, pins: map[string]string{}}
	w.drafts[key] = d
	return d
}

func (w *wizards) drop(key [32]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.drafts, key)
}

// live reports whether the session with this key exists and has not
// expired.
func (s *sessions) live(key [32]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[key]
	return sess != nil && !s.expiredLocked(sess, s.now())
}

// wizardDraft is one session's wizard in progress. Its lock is held
// for a whole request.
type wizardDraft struct {
	mu sync.Mutex
	// values are each step's last input; a step without any shows its
	// defaults.
	values  map[string]url.Values
	visited map[string]bool
	// secrets and pins are the new extensions' generated SIP passwords
	// and mailbox PINs, made once so that the review and the end show
	// what is stored.
	secrets, pins map[string]string
	// trunkTest is the last test registration, of the trunk fields
	// fingerprinted in trunkTested.
	trunkTest   *telephony.TrunkTest
	trunkTested string
	// reviewed fingerprints the configuration the review was drawn from.
	reviewed string
	// result is what was applied, for the last page.
	result *wizardResult
}

func (d *wizardDraft) secret(number string) string {
	if s, ok := d.secrets[number]; ok {
		return s
	}
	s := store.GenerateSecret()
	d.secrets[number] = s
	return s
}

func (d *wizardDraft) pin(number string) string {
	if p, ok := d.pins[number]; ok {
		return p
	}
	p := randomPIN(number)
	d.pins[number] = p
	return p
}

// wizardRead is the wizard read for one request.
type wizardRead struct {
	env   *wizardEnv
	plan  *wizardPlan
	steps []wizardStep // the steps that apply, in order
	errs  map[string][]FieldError
}

// loadEnv reads what the wizard needs of the box.
func (s *Server) loadEnv(ctx context.Context) (*wizardEnv, error) {
	cfg, err := s.svc.ExportConfig(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.svc.Status(ctx)
	if err != nil {
		return nil, err
	}
	e := &wizardEnv{cfg: cfg, sim: s.svc.Sim() != nil}
	for _, p := range st.Ports {
		if p.Kind == "fxs" {
			e.fxs++
		}
	}
	if recs, err := s.svc.Recordings(ctx); err == nil {
		for _, r := range recs {
			if !r.Missing && r.Problem == "" && r.Replaces == "" {
				e.recordings = append(e.recordings, r.Name)
			}
		}
	}
	return e, nil
}

// read reads every step of d, in order, into a plan.
func (d *wizardDraft) read(e *wizardEnv) *wizardRead {
	w := &wizardRead{env: e, plan: &wizardPlan{remove: map[string]bool{}}, errs: map[string][]FieldError{}}
	for _, st := range wizardSteps() {
		if st.applies != nil && !st.applies(e, w.plan) {
			continue
		}
		v := d.values[st.id]
		if v == nil {
			v = st.defaults(e, w.plan)
		}
		if fs := st.read(v, e, w.plan, d); len(fs) > 0 {
			w.errs[st.id] = fs
		}
		w.steps = append(w.steps, st)
	}
	return w
}

// index is the position of step id among the steps that apply, -1 when
// it does not apply.
func (w *wizardRead) index(id string) int {
	return slices.IndexFunc(w.steps, func(s wizardStep) bool { return s.id == id })
}

// --- pages -------------------------------------------------------------------

type stepLink struct {
	Title, URL     string
	Current, Known bool
	Problem        bool
}

// wizardPageBody is what every wizard page shows around its content.
type wizardPageBody struct {
	Steps []stepLink
	// Step is the current step (its view), or nil on the review.
	Step      *stepView
	StepID    string
	Index     int
	Count     int
	Back      string
	TrunkStep bool
	Review    *reviewView
}

func (s *Server) wizardSession(r *http.Request) [32]byte { return authFrom(r.Context()).sess.key }

// wizardLinks are the progress links: steps visited or before the
// current one can be opened.
func wizardLinks(w *wizardRead, d *wizardDraft, current string) []stepLink {
	cur := w.index(current)
	if current == "review" {
		cur = len(w.steps)
	}
	var out []stepLink
	for i, st := range w.steps {
		out = append(out, stepLink{Title: st.title, URL: "/setup/" + st.id, Current: st.id == current,
			Known: d.visited[st.id] || i <= cur, Problem: d.visited[st.id] && len(w.errs[st.id]) > 0})
	}
	out = append(out, stepLink{Title: "Review", URL: "/setup/review", Current: current == "review",
		Known: current == "review" || len(w.steps) > 0 && d.visited[w.steps[len(w.steps)-1].id]})
	return out
}

// setupStartBody is the wizard's first page.
type setupStartBody struct {
	Draft   bool // a wizard is in progress in this session
	Changed bool // the box has a dial plan already (beyond its factory extensions)
}

func (s *Server) setupStartPage(w http.ResponseWriter, r *http.Request) {
	b := setupStartBody{Draft: s.wiz.draft(s.sessions, s.wizardSession(r), false) != nil}
	if cfg, err := s.svc.ExportConfig(r.Context()); err == nil {
		b.Changed = len(cfg.RingGroups)+len(cfg.Menus)+len(cfg.InboundRoutes)+len(cfg.Trunks)+len(cfg.Voicemail.Boxes) > 0
	}
	s.render(w, r, http.StatusOK, "wizard_start", pageData{Title: "Set up the box", Active: "setup", Body: b})
}

func (s *Server) setupStart(w http.ResponseWriter, r *http.Request) {
	s.wiz.draft(s.sessions, s.wizardSession(r), true)
	http.Redirect(w, r, "/setup/"+stepCountry, http.StatusSeeOther)
}

func (s *Server) setupCancel(w http.ResponseWriter, r *http.Request) {
	s.wiz.drop(s.wizardSession(r))
	s.setFlash(r, "The setup was cancelled. Nothing was changed.")
	http.Redirect(w, r, "/status", http.StatusSeeOther)
}

func (s *Server) setupDismiss(w http.ResponseWriter, r *http.Request) {
	s.wiz.finish(savedSetup{Dismissed: true})
	s.setFlash(r, "The setup wizard stays under Setup in the menu.")
	http.Redirect(w, r, "/status", http.StatusSeeOther)
}

// withDraft runs h with the session's draft locked and the wizard read;
// without a draft it sends the installer to the start page.
func (s *Server) withDraft(w http.ResponseWriter, r *http.Request, h func(d *wizardDraft, wr *wizardRead)) {
	d := s.wiz.draft(s.sessions, s.wizardSession(r), false)
	if d == nil {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	env, err := s.loadEnv(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "setup", err)
		return
	}
	h(d, d.read(env))
}

// withStep is withDraft for the step the address names, which must be
// part of the wizard as it stands.
func (s *Server) withStep(w http.ResponseWriter, r *http.Request, h func(d *wizardDraft, wr *wizardRead, id string)) {
	s.withDraft(w, r, func(d *wizardDraft, wr *wizardRead) {
		id := r.PathValue("step")
		if wr.index(id) < 0 {
			s.stepGone(w, r, id, wr)
			return
		}
		h(d, wr, id)
	})
}

func (s *Server) setupStepPage(w http.ResponseWriter, r *http.Request) {
	s.withStep(w, r, func(d *wizardDraft, wr *wizardRead, id string) {
		// A step visited before shows what is wrong with it at once.
		var errs []FieldError
		if d.visited[id] {
			errs = wr.errs[id]
		}
		s.renderStep(w, r, http.StatusOK, d, wr, id, errs)
	})
}

// stepGone answers a step that is not part of the wizard as it stands.
func (s *Server) stepGone(w http.ResponseWriter, r *http.Request, id string, wr *wizardRead) {
	for _, st := range wizardSteps() {
		if st.id == id {
			// A step that does not apply now (no extensions, no menu):
			// the first step is as good a place as any to go on from.
			http.Redirect(w, r, "/setup/"+wr.steps[0].id, http.StatusSeeOther)
			return
		}
	}
	s.renderError(w, r, http.StatusNotFound, "There is no such step of the setup.")
}

func (s *Server) renderStep(w http.ResponseWriter, r *http.Request, status int, d *wizardDraft, wr *wizardRead, id string, errs []FieldError) {
	i := wr.index(id)
	st := wr.steps[i]
	v := d.values[id]
	if v == nil {
		v = st.defaults(wr.env, wr.plan)
	}
	view := st.view(v, wr.env, wr.plan)
	view.Form.Action = "/setup/" + id
	view.Form.applyErrors(errs)
	if id == stepTrunk && d.trunkTest != nil && d.trunkTested == trunkFingerprint(v) {
		view.TrunkTest = trunkTestMessage(*d.trunkTest)
	}
	b := wizardPageBody{Steps: wizardLinks(wr, d, id), Step: view, StepID: id, Index: i + 1, Count: len(wr.steps) + 1,
		TrunkStep: id == stepTrunk}
	if i > 0 {
		b.Back = "/setup/" + wr.steps[i-1].id
	}
	pd := pageData{Title: fmt.Sprintf("Setup: %s", st.title), Active: "setup", Body: b}
	if len(errs) > 0 {
		pd.Error = "Some answers need another look; see the marked fields."
	}
	s.render(w, r, status, "wizard_step", pd)
}

// stepValues are the posted fields of a step (not the form's own).
func stepValues(form url.Values) url.Values {
	v := url.Values{}
	for k, vs := range form {
		if k == "csrf" || k == "nav" {
			continue
		}
		v[k] = slices.Clone(vs)
	}
	return v
}

func (s *Server) setupStepSubmit(w http.ResponseWriter, r *http.Request) {
	s.withStep(w, r, func(d *wizardDraft, wr *wizardRead, id string) {
		d.values[id] = stepValues(r.PostForm)
		d.visited[id] = true
		d.reviewed = ""     // Apply needs a review of the new answers
		wr = d.read(wr.env) // the later steps see the new input
		i := wr.index(id)
		nav := r.PostForm.Get("nav")
		switch {
		case nav == "back":
			// Back keeps the input, valid or not, and asks nothing.
			dest := "/setup"
			if i > 0 {
				dest = "/setup/" + wr.steps[i-1].id
			}
			http.Redirect(w, r, dest, http.StatusSeeOther)
			return
		case nav == "test" && id == stepTrunk:
			s.testTrunkStep(w, r, d, wr)
			return
		case i < 0:
			s.stepGone(w, r, id, wr)
			return
		}
		if errs := wr.errs[id]; len(errs) > 0 {
			s.renderStep(w, r, http.StatusUnprocessableEntity, d, wr, id, errs)
			return
		}
		dest := "/setup/review"
		if i+1 < len(wr.steps) {
			dest = "/setup/" + wr.steps[i+1].id
		}
		http.Redirect(w, r, dest, http.StatusSeeOther)
	})
}

// trunkFingerprint identifies the trunk fields a test registration used.
func trunkFingerprint(v url.Values) string {
	h := sha256.New()
	for _, k := range []string{"host", "transport", "username", "password"} {
		fmt.Fprintf(h, "%q\n", v.Get(k))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func trunkTestMessage(t telephony.TrunkTest) *trunkTestView {
	if t.Registered {
		return &trunkTestView{OK: true, Msg: fmt.Sprintf("The provider accepted the registration: %s, for %d seconds. The test registration was withdrawn; the trunk registers once the setup is applied.", t.Answer, t.ExpiresS)}
	}
	return &trunkTestView{Msg: fmt.Sprintf("The provider did not accept the registration: %s. Check the server, account and password.", t.Answer)}
}

// testTrunkStep registers once with the trunk fields as typed and shows
// the step again with the provider's answer.
func (s *Server) testTrunkStep(w http.ResponseWriter, r *http.Request, d *wizardDraft, wr *wizardRead) {
	v := d.values[stepTrunk]
	var t plannedTrunk
	if fs := readTrunkFields(v, &t); len(fs) > 0 {
		s.renderStep(w, r, http.StatusUnprocessableEntity, d, wr, stepTrunk, fs)
		return
	}
	res, err := s.svc.TestTrunk(r.Context(), store.Trunk{Name: "test", Mode: store.TrunkRegister, Host: t.Host,
		Transport: t.Transport, Username: t.Username, Password: t.Password})
	if err != nil {
		herr := s.serviceError("test registration", err)
		fs := herr.fields
		if fs == nil {
			fs = []FieldError{{"", herr.msg}}
		}
		s.renderStep(w, r, herr.status, d, wr, stepTrunk, fs)
		return
	}
	d.trunkTest, d.trunkTested = &res, trunkFingerprint(v)
	s.renderStep(w, r, http.StatusOK, d, wr, stepTrunk, nil)
}

// --- review and apply --------------------------------------------------------

// errConfigChanged: the configuration is no longer the one the review
// showed; the change was not made.
var errConfigChanged = errors.New("webui: setup: the configuration changed since the review")

// configFingerprint identifies a configuration, secrets included.
func configFingerprint(c *store.Config) (string, []byte) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", nil
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), b
}

func (s *Server) setupReviewPage(w http.ResponseWriter, r *http.Request) {
	s.withDraft(w, r, func(d *wizardDraft, wr *wizardRead) {
		s.renderReview(w, r, http.StatusOK, d, wr, "")
	})
}

// renderReview checks the plan against the configuration as it is now
// and lists what it will change (or why it cannot).
func (s *Server) renderReview(w http.ResponseWriter, r *http.Request, status int, d *wizardDraft, wr *wizardRead, msg string) {
	rv := &reviewView{}
	for _, st := range wr.steps {
		if len(wr.errs[st.id]) > 0 {
			rv.StepProblems = append(rv.StepProblems, stepLink{Title: st.title, URL: "/setup/" + st.id})
		}
	}
	if len(rv.StepProblems) == 0 {
		var before store.Config
		var fp string
		after, err := s.svc.CheckConfigChange(r.Context(), func(c *store.Config) error {
			var raw []byte
			fp, raw = configFingerprint(c)
			if err := json.Unmarshal(raw, &before); err != nil {
				return fmt.Errorf("webui: setup: copy the configuration: %w", err)
			}
			return wr.plan.apply(c, nil)
		})
		if err != nil {
			herr := s.serviceError("setup review", err)
			for _, f := range herr.fields {
				rv.Problems = append(rv.Problems, reviewProblem(f))
			}
			if herr.fields == nil {
				rv.Problems = append(rv.Problems, reviewProblemItem{Msg: herr.msg})
			}
		} else {
			d.reviewed = fp
			rv.Groups = reviewChanges(&before, &after, wr.plan)
			rv.Ready = true
		}
	}
	pd := pageData{Title: "Setup: Review", Active: "setup", Error: msg,
		Body: wizardPageBody{Steps: wizardLinks(wr, d, "review"), Review: rv, Index: len(wr.steps) + 1, Count: len(wr.steps) + 1,
			Back: "/setup/" + wr.steps[len(wr.steps)-1].id}}
	s.render(w, r, status, "wizard_step", pd)
}

func (s *Server) setupApply(w http.ResponseWriter, r *http.Request) {
	s.withDraft(w, r, func(d *wizardDraft, wr *wizardRead) {
		if len(wr.errs) > 0 || d.reviewed == "" {
			http.Redirect(w, r, "/setup/review", http.StatusSeeOther)
			return
		}
		after, err := s.svc.ChangeConfig(r.Context(), func(c *store.Config) error {
			if fp, _ := configFingerprint(c); fp != d.reviewed {
				return errConfigChanged
			}
			return wr.plan.apply(c, s.wiz.fault)
		})
		switch {
		case errors.Is(err, errConfigChanged):
			s.renderReview(w, r, http.StatusConflict, d, wr,
				"The configuration was changed elsewhere while you reviewed it, so nothing was applied. Check the changes below again.")
			return
		case err != nil:
			herr := s.serviceError("setup", err)
			s.log.Warn("webui: setup not applied", "err", err)
			s.renderReview(w, r, herr.status, d, wr, fmt.Sprintf("Nothing was applied: %s", herr.msg))
			return
		}
		// The draft starts over, keeping the outcome for the last page.
		d.result = wizardOutcome(&after, wr)
		d.values, d.visited, d.secrets, d.pins = map[string]url.Values{}, map[string]bool{}, map[string]string{}, map[string]string{}
		d.trunkTest, d.trunkTested, d.reviewed = nil, "", ""
		s.wiz.finish(savedSetup{Applied: s.now().UTC()})
		s.log.Info("webui: setup applied", "extensions", len(wr.plan.exts), "remote", r.RemoteAddr)
		http.Redirect(w, r, "/setup/done", http.StatusSeeOther)
	})
}

// --- the end -----------------------------------------------------------------

// wizardResult is what the last page tells: the new extensions with what
// their phones need, and a call to try.
type wizardResult struct {
	Exts []resultExt
	Sim  bool
	// Try is a call to try: lift the phone on TryPort (extension
	// TryFrom) and dial TryDial; TryLine rings FXO line 1 (its
	// destination in words in TryLineDest).
	TryPort     int
	TryFrom     string
	TryDial     string
	TryDialWhat string
	TryLine     int
	TryLineDest string
}

type resultExt struct {
	Number, Name string
	Port         int
	Secret       string
	PIN          string
}

func wizardOutcome(c *store.Config, wr *wizardRead) *wizardResult {
	res := &wizardResult{Sim: wr.env.sim}
	for _, x := range wr.plan.exts {
		re := resultExt{Number: x.Number, Name: x.Name, Port: x.Port, Secret: x.Secret}
		if _, ok := c.Voicemail.Box(x.Number); ok && wr.plan.vm.Boxes {
			re.PIN = x.PIN
		}
		res.Exts = append(res.Exts, re)
	}
	// The phone to lift: a new analog phone, else any analog phone.
	for _, x := range wr.plan.exts {
		if x.Port > 0 {
			res.TryPort, res.TryFrom = x.Port, x.Number
			break
		}
	}
	if res.TryPort == 0 {
		for _, e := range c.Extensions {
			if e.FXSPort > 0 {
				res.TryPort, res.TryFrom = e.FXSPort, e.Number
				break
			}
		}
	}
	// The number to dial: another new extension, else another one.
	for _, x := range wr.plan.exts {
		if x.Number != res.TryFrom {
			res.TryDial, res.TryDialWhat = x.Number, extensionLabel(x.Number, x.Name)
			break
		}
	}
	if res.TryDial == "" {
		for _, e := range c.Extensions {
			if e.Number != res.TryFrom {
				res.TryDial, res.TryDialWhat = e.Number, extensionLabel(e.Number, e.Name)
				break
			}
		}
	}
	for _, l := range c.FXOLines {
		if l.Enabled {
			res.TryLine = l.Port
			res.TryLineDest = lineDestWords(c, l)
			break
		}
	}
	return res
}

// lineDestWords says where calls on line l go now, in words.
func lineDestWords(c *store.Config, l store.FXOLine) string {
	for _, r := range c.InboundRoutes {
		if len(r.Trunks) > 0 || len(r.DIDs) > 0 || len(r.Lines) > 0 && !slices.Contains(r.Lines, l.Port) {
			continue
		}
		if name, ok := strings.CutPrefix(r.Destination, "time:"); ok {
			for _, tc := range c.TimeConditions {
				if tc.Name == name {
					return fmt.Sprintf("%s in business hours, %s after them", destPhrase(tc.Open), destPhrase(tc.Closed))
				}
			}
		}
		return destPhrase(r.Destination)
	}
	return destPhrase("ext:" + l.Destination)
}

func (s *Server) setupDonePage(w http.ResponseWriter, r *http.Request) {
	d := s.wiz.draft(s.sessions, s.wizardSession(r), false)
	if d == nil {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	d.mu.Lock()
	res := d.result
	d.mu.Unlock()
	if res == nil {
		http.Redirect(w, r, "/setup/review", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "wizard_done", pageData{Title: "The box is set up", Active: "setup", Body: res})
}

// --- API ---------------------------------------------------------------------

// apiTestTrunk is POST /api/v1/trunks/test: a test registration of the
// trunk in the body (wizard's "Test registration" for scripts).
func (s *Server) apiTestTrunk(w http.ResponseWriter, r *http.Request) {
	var t store.Trunk
	if herr := readJSON(w, r, maxBody, &t); herr != nil {
		writeError(w, herr)
		return
	}
	var pt plannedTrunk
	v := url.Values{"host": {t.Host}, "transport": {strings.ToLower(cmp.Or(t.Transport, "udp"))}, "username": {t.Username}, "password": {t.Password}}
	if fs := readTrunkFields(v, &pt); len(fs) > 0 {
		for i := range fs {
			fs[i].Message = strings.TrimSuffix(fs[i].Message, ".")
		}
		writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The input is not valid; see the fields.", fields: fs})
		return
	}
	res, err := s.svc.TestTrunk(r.Context(), store.Trunk{Name: cmp.Or(t.Name, "test"), Mode: store.TrunkRegister, Host: pt.Host,
		Transport: pt.Transport, Username: pt.Username, AuthUser: t.AuthUser, Password: pt.Password, TLSCA: t.TLSCA})
	if err != nil {
		writeError(w, s.serviceError("test registration", err))
		return
	}
	writeJSON(w, http.StatusOK, res)
}
