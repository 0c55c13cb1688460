package webui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/store"
)

// The page of one extension (/extensions/{number}): everything the box
// knows about it — the phone and SIP account, the analog port, outside
// calls and permission class, the mailbox, forwarding, follow-me and call
// handling — in one form saved in one transaction
// (ConfigService.UpdateExtensionProfile): either all of it applies or,
// with each problem beside its field, none. What was spread over the
// extension's form, its extension rule and the voicemail page is here
// together; those pages stay for lists and bulk changes.

// profileBody is the content of an extension's page.
type profileBody struct {
	Number string
	Form   *form
	// Users are what else sends calls to the extension.
	Users []userLink
}

// profileSection is a heading of the page's form.
func profileSection(id, title string) *field {
	return &field{ID: "section-" + id, Type: "heading", Label: title}
}

// profileForm is the page's form for p.
func profileForm(p store.ExtensionProfile, sys store.System, pc *planContext, ports []option) *form {
	e := p.Extension
	rule := store.ExtensionRule{Extension: e.Number}
	if p.Rule != nil {
		rule = *p.Rule
	}
	byName := map[string]*field{}
	for _, x := range extensionRuleKind.fields(rule, pc) {
		byName[x.Name] = x
	}
	pick := func(names ...string) []*field {
		var out []*field
		for _, n := range names {
			if x := byName[n]; x != nil {
				out = append(out, x)
			}
		}
		return out
	}
	pinHelp := fmt.Sprintf("%d to %d digits the owner types at *97 (or *98). Not the extension's number, one digit repeated or a run like 1234.", store.MinPINLen, store.MaxPINLen)
	pinHolder := "4 to 8 digits"
	if p.Mailbox != nil {
		pinHelp, pinHolder = "Leave empty to keep the current PIN. "+pinHelp, "unchanged"
	}
	mailbox := p.Mailbox != nil
	var box store.Mailbox
	if mailbox {
		box = *p.Mailbox
	}
	skip := box.SkipPIN
	fs := []*field{
		profileSection("phone", "Phone and SIP account"),
		{ID: "name", Name: "name", Label: "Name", Type: "text", Value: e.Name, MaxLength: 64,
			Help: "Who or where this phone is, e.g. “Reception”: shown to the people it calls."},
		{ID: "secret", Name: "secret", Label: "SIP password", Type: "text", Value: e.Secret, MaxLength: 128, Autocomplete: "off",
			Help: "SIP phones register with the extension number as user name and this password. If you change it, update every phone that uses it."},
		{ID: "require_encryption", Name: "require_encryption", Label: "Require encryption", Type: "checkbox", Checked: e.RequireEncryption,
			Help: "Its SIP phones must use SIP over TLS (port 5061) with SRTP; anything else is refused."},
		{ID: "fxs_port", Name: "fxs_port", Label: "Analog port", Type: "select", Options: ports,
			Help: "The FXS port whose analog phone rings for this extension and dials as it."},
		{ID: "language", Name: "language", Label: "Language", Type: "select", Options: languageOptions(e.Language, "The box's language"),
			Help: "What the box says to this extension's user (feature codes, voicemail), unless its mailbox says otherwise."},
		profileSection("outside", "Outside calls"),
		{ID: "outside_calls", Name: "outside_calls", Label: "May call outside lines", Type: "checkbox", Checked: e.OutsideCalls, Help: outsideHelp(sys)},
	}
	fs = append(fs, pick("class")...)
	fs = append(fs,
		&field{ID: "outbound_caller_id", Name: "outbound_caller_id", Label: "Number shown on outside calls", Type: "text", Value: e.OutboundCallerID, MaxLength: 32, Autocomplete: "off",
			Help: "Typically this phone's direct-dial number, digits with an optional leading +. Empty: the outbound route's, else the line's or trunk's own."},
		&field{ID: "outbound_caller_name", Name: "outbound_caller_name", Label: "Name shown on outside calls", Type: "text", Value: e.OutboundCallerName, MaxLength: 64},
		profileSection("voicemail", "Voicemail"),
		&field{ID: "mailbox", Name: "mailbox", Label: "Has a mailbox", Type: "checkbox", Checked: mailbox,
			Help: "Callers sent to this extension's voicemail (forwarding below, a menu key, a route) leave messages here. Unticked, the mailbox's settings are removed; its messages stay on the Voicemail page."},
		&field{ID: "pin", Name: "pin", Label: "Mailbox PIN", Type: "password", InputMode: "numeric", Autocomplete: "new-password", MaxLength: store.MaxPINLen,
			Placeholder: pinHolder, Help: pinHelp},
		&field{ID: "skip_pin", Name: "skip_pin", Label: "No PIN from the extension's own phone", Type: "checkbox", Checked: skip,
			Help: "*97 from this phone opens the mailbox without the PIN; only for phones nobody else can reach."},
		&field{ID: "email", Name: "email", Label: "Send new messages to", Type: "email", Value: box.Email, MaxLength: 254, Autocomplete: "off",
			Help: "Optional: an e-mail address that gets each new message as a WAV attachment (Settings: e-mail)."},
		&field{ID: "delete_after_email", Name: "delete_after_email", Label: "Delete a message once e-mailed", Type: "checkbox", Checked: box.DeleteAfterEmail,
			Help: "The message lamp goes off when the mail server has taken it."},
		&field{ID: "mailbox_language", Name: "mailbox_language", Label: "Mailbox language", Type: "select", Options: languageOptions(box.Language, "The extension's language"),
			Help: "The built-in greeting callers hear and what the owner hears."},
		profileSection("forwarding", "Forwarding"),
	)
	fs = append(fs, pick("forward_always", "forward_busy", "forward_no_answer", "no_answer_s", "forward_unavailable", "forward_caller_id")...)
	fs = append(fs, profileSection("follow-me", "Follow-me"))
	fs = append(fs, pick("follow_me", "follow_me_schedule")...)
	fs = append(fs, profileSection("handling", "Call handling"))
	fs = append(fs, pick("dnd", "call_waiting", "moh_class", "record")...)
	return &form{ID: "profile-form", Action: extensionPageURL(e.Number), Submit: "Save extension " + e.Number, Fields: fs}
}

// fxsPortOptions are the FXS ports an extension may take, from the status.
func fxsPortOptions(e store.Extension, ports []portInfo) []option {
	opts := []option{{Value: "0", Label: "None (SIP phones only)"}}
	for _, p := range ports {
		label := fmt.Sprintf("FXS port %d", p.Number)
		if p.Extension != "" && p.Extension != e.Number {
			label += fmt.Sprintf(" (now extension %s)", p.Extension)
		}
		opts = append(opts, option{Value: strconv.Itoa(p.Number), Label: label})
	}
	return selectOptions(opts, strconv.Itoa(e.FXSPort), "not on this board")
}

// portInfo is an FXS port and the extension on it.
type portInfo struct {
	Number    int
	Extension string
}

// parseProfileForm reads the page's form over base; p records what does
// not parse.
func parseProfileForm(v url.Values, base store.ExtensionProfile, p *formParser) store.ExtensionProfile {
	out := base
	e := &out.Extension
	e.Name, e.Secret = p.str("name"), v.Get("secret")
	e.OutsideCalls, e.RequireEncryption = v.Get("outside_calls") != "", v.Get("require_encryption") != ""
	e.OutboundCallerID, e.OutboundCallerName = p.str("outbound_caller_id"), p.str("outbound_caller_name")
	e.Language = p.str("language")
	if n, err := strconv.Atoi(p.str("fxs_port")); err == nil && n >= 0 {
		e.FXSPort = n
	} else {
		p.bad["fxs_port"], p.raw["fxs_port"] = "Choose a port from the list, or None.", p.str("fxs_port")
	}
	rule := store.ExtensionRule{}
	if base.Rule != nil {
		rule = *base.Rule
	}
	rule = extensionRuleKind.parse(v, p, rule)
	rule.Extension = base.Extension.Number
	out.Rule = &rule
	out.Mailbox = nil
	if v.Get("mailbox") != "" {
		var m store.Mailbox // what the form does not show is kept
		if base.Mailbox != nil {
			m = *base.Mailbox
		}
		m.Extension, m.PIN, m.SkipPIN = base.Extension.Number, p.str("pin"), v.Get("skip_pin") != ""
		if m.PIN != "" {
			p.keepValue("pin", m.PIN)
		}
		m.Email, m.DeleteAfterEmail, m.Language = p.str("email"), v.Get("delete_after_email") != "", p.str("mailbox_language")
		out.Mailbox = &m
	}
	return out
}

// profileContext loads what the page needs: the extension's profile,
// the plan's choices and the ports.
func (s *Server) profileContext(r *http.Request, number string) (store.ExtensionProfile, *store.Config, *planContext, store.System, []option, error) {
	cfg, _, pc, err := s.loadPlanConfig(r)
	c := &cfg
	if err != nil {
		return store.ExtensionProfile{}, nil, nil, store.System{}, nil, err
	}
	p, ok := c.Profile(number)
	if !ok {
		return p, c, pc, c.System, nil, fmt.Errorf("extension %s: %w", number, store.ErrNotFound)
	}
	var ports []portInfo
	if st, err := s.svc.Status(r.Context()); err == nil {
		for _, sp := range st.Ports {
			if sp.Kind == "fxs" {
				ports = append(ports, portInfo{Number: sp.Number, Extension: sp.Extension})
			}
		}
	}
	return p, c, pc, c.System, fxsPortOptions(p.Extension, ports), nil
}

// extensionPage shows extension {number}'s page.
func (s *Server) extensionPage(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	p, c, pc, sys, ports, err := s.profileContext(r, number)
	if err != nil {
		s.extensionMissing(w, r, number, ignoreNotFound(err))
		return
	}
	f := profileForm(p, sys, pc, ports)
	if vals := s.draftValues(r); vals != nil {
		fp := &formParser{v: vals, bad: map[string]string{}, raw: map[string]string{}}
		f = refillProfile(parseProfileForm(vals, p, fp), sys, pc, ports, fp)
	}
	s.render(w, r, http.StatusOK, "extension_page", pageData{Title: extensionTitle(p.Extension), Active: "extensions",
		Body: profileBody{Number: number, Form: f, Users: usersOf(c, s.extensionUsers(r.Context(), c, number))}})
}

// refillProfile is the form showing a parsed profile, with what did not
// parse beside its fields.
func refillProfile(p store.ExtensionProfile, sys store.System, pc *planContext, ports []option, fp *formParser) *form {
	f := profileForm(p, sys, pc, ports)
	fp.showIn(f)
	return f
}

func extensionTitle(e store.Extension) string {
	if e.Name != "" {
		return "Extension " + e.Number + " — " + e.Name
	}
	return "Extension " + e.Number
}

// extensionPageSubmit saves extension {number}'s page in one transaction;
// problems come back beside their fields with everything typed kept.
func (s *Server) extensionPageSubmit(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	p, c, pc, sys, ports, err := s.profileContext(r, number)
	if err != nil {
		s.extensionMissing(w, r, number, ignoreNotFound(err))
		return
	}
	if create := resolvePickers(r.PostForm); create != nil {
		s.startDraft(w, r, create)
		return
	}
	fp := &formParser{v: r.PostForm, bad: map[string]string{}, raw: map[string]string{}}
	np := parseProfileForm(r.PostForm, p, fp)
	f := refillProfile(np, sys, pc, ports, fp)
	status := http.StatusUnprocessableEntity
	if !f.hasErrors() {
		_, err := s.svc.UpdateExtensionProfile(r.Context(), number, np)
		if err == nil {
			s.setFlash(r, fmt.Sprintf("Extension %s saved.", number))
			http.Redirect(w, r, extensionPageURL(number), http.StatusSeeOther)
			return
		}
		herr := s.serviceError("save extension "+number, err)
		status = herr.status
		if herr.fields == nil {
			f.Errors = append(f.Errors, herr.msg)
		}
		ruleAt := slices.IndexFunc(c.ExtensionRules, func(x store.ExtensionRule) bool { return x.Extension == number })
		if ruleAt < 0 {
			ruleAt = len(c.ExtensionRules)
		}
		boxAt := slices.IndexFunc(c.Voicemail.Boxes, func(b store.Mailbox) bool { return b.Extension == number })
		if boxAt < 0 {
			boxAt = len(c.Voicemail.Boxes)
		}
		d := c.DialPlan()
		for _, fe := range herr.fields {
			name := fe.Field
			if rest, ok := strings.CutPrefix(name, fmt.Sprintf("extension_rules[%d].", ruleAt)); ok {
				name = rest
			} else if rest, ok := strings.CutPrefix(name, fmt.Sprintf("voicemail.boxes[%d].", boxAt)); ok {
				name = map[string]string{"extension": "mailbox", "language": "mailbox_language"}[rest]
				if name == "" {
					name = rest
				}
			}
			if x := f.field(name); x != nil && x.Type != "heading" {
				if x.Error != "" {
					x.Error += " "
				}
				x.Error += sentence(fe.Message)
				continue
			}
			f.Errors = append(f.Errors, describePath(&d, fe.Field)+": "+sentence(fe.Message))
		}
	}
	s.render(w, r, status, "extension_page", pageData{Title: extensionTitle(p.Extension), Active: "extensions",
		Error: fmt.Sprintf("Extension %s was not saved; see the problems beside the fields. Nothing was changed.", number),
		Body:  profileBody{Number: number, Form: f, Users: usersOf(c, s.extensionUsers(r.Context(), c, number))}})
}

// ignoreNotFound is err unless it is store.ErrNotFound (which
// extensionMissing says in words).
func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
