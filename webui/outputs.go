package webui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// The settings of what the box tells the outside world about its calls:
// the e-mail (SMTP server, notices, a test message) and the billing
// output (currency, SMDR port and TCP client), each on its own page
// under Settings, with the live state of the output beside the form.

// Outputs is the state of the box's e-mail and SMDR output (internal/box
// implements it; nil: the pages show the settings only).
type Outputs interface {
	MailStatus() MailStatus
	// SendTestMail sends a test message through m at once and returns
	// the server's answer when it fails.
	SendTestMail(ctx context.Context, m store.Mail, to string) error
	SMDRStatus() []SMDRStatus
}

// MailStatus is the mail queue and the server's last answer.
type MailStatus struct {
	Queued        int       `json:"queued"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
	LastSent      time.Time `json:"last_sent,omitzero"`
}

// SMDRStatus is one SMDR output's state.
type SMDRStatus struct {
	Output    string    `json:"output"`
	Target    string    `json:"target"`
	Connected bool      `json:"connected"`
	Peer      string    `json:"peer,omitempty"`
	Sent      uint64    `json:"sent"`
	LastError string    `json:"last_error,omitempty"`
	Since     time.Time `json:"since"`
}

// --- e-mail ----------------------------------------------------------------------

type mailBody struct {
	Form   *form
	Test   *form
	Status *MailStatus
	Loc    *time.Location
	// TestResult is the outcome of the test button.
	TestOK, TestError string
}

func mailForm(m store.Mail) *form {
	missed := make([]string, 0, len(m.MissedCalls))
	for _, n := range m.MissedCalls {
		missed = append(missed, n.Extension+" "+n.To)
	}
	pw := ""
	if m.Password != "" {
		pw = "unchanged"
	}
	port := ""
	if m.Port != 0 {
		port = strconv.Itoa(m.Port)
	}
	return &form{ID: "mail-form", Action: "/settings/mail", Submit: "Save e-mail settings", Fields: []*field{
		{ID: "mail-server", Name: "server", Label: "SMTP server", Type: "text", Value: m.Server, MaxLength: 253, Autocomplete: "off",
			Help: "Your provider's outgoing mail server, e.g. smtp.example.com. Empty: the box sends no e-mail."},
		{ID: "mail-security", Name: "security", Label: "Security", Type: "select", Options: selectOptions([]option{
			{Value: "", Label: "STARTTLS (usual, port 587)"}, {Value: "tls", Label: "TLS from the start (port 465)"}, {Value: "none", Label: "None (office relay only, port 25)"}}, m.Security, "unknown")},
		{ID: "mail-port", Name: "port", Label: "Port", Type: "number", Value: port, Min: "1", Max: "65535", InputMode: "numeric", Placeholder: "by security",
			Help: "Empty: 587, 465 or 25 as the security says."},
		{ID: "mail-username", Name: "username", Label: "User name", Type: "text", Value: m.Username, MaxLength: 254, Autocomplete: "off",
			Help: "For the server's login (AUTH); empty: no login."},
		{ID: "mail-password", Name: "password", Label: "Password", Type: "password", MaxLength: 254, Autocomplete: "new-password", Placeholder: pw,
			Help: "Leave empty to keep the stored password."},
		{ID: "mail-from", Name: "from", Label: "Sender address", Type: "email", Value: m.From, MaxLength: 254,
			Help: "What the messages come from, e.g. pbx@example.com (your provider may require your own address)."},
		{ID: "mail-alarms", Name: "alarms_to", Label: "Alarms to", Type: "text", Value: strings.Join(m.AlarmsTo, ", "), MaxLength: 2000,
			Help: "Addresses (comma separated) told of failed diagnostics and full call-recording quotas."},
		{ID: "mail-missed", Name: "missed_calls", Label: "Missed-call notices", Type: "textarea", Value: strings.Join(missed, "\n"),
			Help: "One line per notice: an extension, a space, an address (101 ann@example.com)."},
	}}
}

// parseMailForm reads the form over the stored settings (an empty
// password keeps the stored one).
func parseMailForm(f *form, v url.Values, cur store.Mail) store.Mail {
	m := store.Mail{Server: strings.TrimSpace(v.Get("server")), Security: v.Get("security"),
		Username: strings.TrimSpace(v.Get("username")), Password: v.Get("password"), From: strings.TrimSpace(v.Get("from"))}
	if m.Password == "" {
		m.Password = cur.Password
	}
	if p := strings.TrimSpace(v.Get("port")); p != "" {
		m.Port = intField(f, "port", v, 1, 65535, "a port number")
	}
	for _, a := range strings.Split(v.Get("alarms_to"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			m.AlarmsTo = append(m.AlarmsTo, a)
		}
	}
	for i, line := range strings.Split(v.Get("missed_calls"), "\n") {
		ext, to, _ := strings.Cut(strings.TrimSpace(line), " ")
		if ext == "" {
			continue
		}
		if to = strings.TrimSpace(to); to == "" {
			f.field("missed_calls").Error = fmt.Sprintf("Line %d: an extension, a space, an address.", i+1)
			continue
		}
		m.MissedCalls = append(m.MissedCalls, store.MissedCallNotice{Extension: ext, To: to})
	}
	pw := ""
	if m.Password != "" {
		pw = "unchanged"
	}
	nf := mailForm(m)
	for i, x := range nf.Fields {
		x.Error = f.Fields[i].Error
	}
	nf.field("password").Placeholder = pw
	*f = *nf
	return m
}

// mailFieldAlias puts the store's list errors beside their fields.
func mailErrors(fs []FieldError) []FieldError {
	for i := range fs {
		name := fs[i].Field
		switch {
		case strings.HasPrefix(name, "alarms_to"):
			fs[i].Field = "alarms_to"
		case strings.HasPrefix(name, "missed_calls"):
			fs[i].Field = "missed_calls"
		}
	}
	return fs
}

func testForm() *form {
	return &form{ID: "mail-test", Action: "/settings/mail/test", Submit: "Send a test message", Fields: []*field{
		{ID: "mail-test-to", Name: "to", Label: "Send a test message to", Type: "email", MaxLength: 254,
			Help: "Uses the saved settings; the server's answer shows here."}}}
}

func (s *Server) mailPage(w http.ResponseWriter, r *http.Request) {
	m, err := s.svc.Mail(r.Context())
	if err != nil {
		herr := s.serviceError("mail settings", err)
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	s.renderMail(w, r, http.StatusOK, mailBody{Form: mailForm(m), Test: testForm()})
}

func (s *Server) renderMail(w http.ResponseWriter, r *http.Request, status int, b mailBody) {
	if s.outputs != nil {
		st := s.outputs.MailStatus()
		b.Status = &st
	}
	b.Loc = s.location(r.Context())
	s.render(w, r, status, "mail", pageData{Title: "E-mail", Active: "settings", Body: b})
}

func (s *Server) mailSubmit(w http.ResponseWriter, r *http.Request) {
	cur, err := s.svc.Mail(r.Context())
	if err != nil {
		herr := s.serviceError("mail settings", err)
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	f := mailForm(cur)
	m := parseMailForm(f, r.PostForm, cur)
	if f.hasErrors() {
		s.renderMail(w, r, http.StatusUnprocessableEntity, mailBody{Form: f, Test: testForm()})
		return
	}
	if _, err := s.svc.UpdateMail(r.Context(), m); err != nil {
		herr := s.serviceError("mail settings", err)
		f.applyErrors(mailErrors(herr.fields))
		if len(herr.fields) == 0 {
			f.Errors = append(f.Errors, herr.msg)
		}
		s.renderMail(w, r, herr.status, mailBody{Form: f, Test: testForm()})
		return
	}
	s.setFlash(r, "E-mail settings saved.")
	http.Redirect(w, r, "/settings/mail", http.StatusSeeOther)
}

func (s *Server) mailTest(w http.ResponseWriter, r *http.Request) {
	m, err := s.svc.Mail(r.Context())
	if err != nil {
		herr := s.serviceError("mail settings", err)
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	b := mailBody{Form: mailForm(m), Test: testForm()}
	to := strings.TrimSpace(r.PostForm.Get("to"))
	b.Test.field("to").Value = to
	status := http.StatusOK
	switch {
	case s.outputs == nil:
		b.TestError, status = "This box sends no e-mail.", http.StatusServiceUnavailable
	case to == "":
		b.Test.field("to").Error, status = "Give an address to send the test message to.", http.StatusUnprocessableEntity
	default:
		if err := s.outputs.SendTestMail(r.Context(), m, to); err != nil {
			b.TestError, status = sentence(err.Error()), http.StatusBadGateway
		} else {
			b.TestOK = "The server accepted the test message for " + to + "."
		}
	}
	s.renderMail(w, r, status, b)
}

// --- billing ------------------------------------------------------------------------

type billingBody struct {
	Form   *form
	Status []SMDRStatus
	Loc    *time.Location
}

func billingForm(b store.Billing) *form {
	bauds := []option{{Value: "", Label: "9600 (default)"}}
	for _, x := range store.SMDRBauds() {
		bauds = append(bauds, option{Value: strconv.Itoa(x), Label: strconv.Itoa(x)})
	}
	baud, port := "", ""
	if b.SMDR.Baud != 0 {
		baud = strconv.Itoa(b.SMDR.Baud)
	}
	if b.SMDR.TCPPort != 0 {
		port = strconv.Itoa(b.SMDR.TCPPort)
	}
	return &form{ID: "billing-form", Action: "/settings/billing", Submit: "Save billing settings", Fields: []*field{
		{ID: "billing-currency", Name: "currency", Label: "Currency", Type: "text", Value: b.Currency, MaxLength: 8,
			Help: "Shown beside call costs and written in the SMDR lines (EUR, руб.). Tariffs are set on each outbound route."},
		{ID: "smdr-serial", Name: "serial_port", Label: "SMDR serial port", Type: "text", Value: b.SMDR.SerialPort, MaxLength: 256, Autocomplete: "off",
			Placeholder: "/dev/ttyS1", Help: "The port the call-accounting PC or printer is cabled to; empty: none. One line per call, Avaya IP Office SMDR layout."},
		{ID: "smdr-baud", Name: "baud", Label: "Speed (baud)", Type: "select", Options: selectOptions(bauds, baud, "unsupported"),
			Help: "8 data bits, no parity, 1 stop bit."},
		{ID: "smdr-tcp", Name: "tcp_port", Label: "SMDR TCP port", Type: "number", Value: port, Min: "1", Max: "65535", InputMode: "numeric",
			Help: "The call-accounting software connects here to receive the same lines; empty: off."},
		{ID: "smdr-allow", Name: "tcp_allow", Label: "TCP clients allowed", Type: "text", Value: strings.Join(b.SMDR.TCPAllow, ", "), MaxLength: 2000,
			Help: "Addresses or networks (192.168.1.20, 192.168.1.0/24), comma separated; empty: any."},
	}}
}

func parseBillingForm(f *form, v url.Values) store.Billing {
	b := store.Billing{Currency: strings.TrimSpace(v.Get("currency")), SMDR: store.SMDR{SerialPort: strings.TrimSpace(v.Get("serial_port"))}}
	if x := v.Get("baud"); x != "" {
		b.SMDR.Baud = intField(f, "baud", v, 1, 1<<30, "a speed")
	}
	if x := strings.TrimSpace(v.Get("tcp_port")); x != "" {
		b.SMDR.TCPPort = intField(f, "tcp_port", v, 1, 65535, "a port number")
	}
	for _, a := range strings.Split(v.Get("tcp_allow"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			b.SMDR.TCPAllow = append(b.SMDR.TCPAllow, a)
		}
	}
	nf := billingForm(b)
	for i, x := range nf.Fields {
		x.Error = f.Fields[i].Error
		if x.Type != "select" {
			x.Value = strings.TrimSpace(v.Get(x.Name))
		}
	}
	*f = *nf
	return b
}

func (s *Server) billingPage(w http.ResponseWriter, r *http.Request) {
	b, err := s.svc.Billing(r.Context())
	if err != nil {
		herr := s.serviceError("billing settings", err)
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	s.renderBilling(w, r, http.StatusOK, billingForm(b))
}

func (s *Server) renderBilling(w http.ResponseWriter, r *http.Request, status int, f *form) {
	b := billingBody{Form: f, Loc: s.location(r.Context())}
	if s.outputs != nil {
		b.Status = s.outputs.SMDRStatus()
	}
	s.render(w, r, status, "billing", pageData{Title: "Billing output", Active: "settings", Body: b})
}

func (s *Server) billingSubmit(w http.ResponseWriter, r *http.Request) {
	f := billingForm(store.Billing{})
	b := parseBillingForm(f, r.PostForm)
	if f.hasErrors() {
		s.renderBilling(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if _, err := s.svc.UpdateBilling(r.Context(), b); err != nil {
		herr := s.serviceError("billing settings", err)
		for i := range herr.fields {
			herr.fields[i].Field = strings.TrimPrefix(herr.fields[i].Field, "smdr.")
			if strings.HasPrefix(herr.fields[i].Field, "tcp_allow") {
				herr.fields[i].Field = "tcp_allow"
			}
		}
		f.applyErrors(herr.fields)
		if len(herr.fields) == 0 {
			f.Errors = append(f.Errors, herr.msg)
		}
		s.renderBilling(w, r, herr.status, f)
		return
	}
	s.setFlash(r, "Billing settings saved.")
	http.Redirect(w, r, "/settings/billing", http.StatusSeeOther)
}

// --- the API -----------------------------------------------------------------------

// mailJSON is the mail settings as the API shows them: the password is
// never sent back, only whether one is set.
type mailJSON struct {
	store.Mail
	PasswordSet bool        `json:"password_set"`
	Status      *MailStatus `json:"status,omitempty"`
}

func (s *Server) apiMail(w http.ResponseWriter, r *http.Request) {
	m, err := s.svc.Mail(r.Context())
	if err != nil {
		writeError(w, s.serviceError("mail settings", err))
		return
	}
	out := mailJSON{Mail: m, PasswordSet: m.Password != ""}
	out.Password = ""
	if s.outputs != nil {
		st := s.outputs.MailStatus()
		out.Status = &st
	}
	writeJSON(w, http.StatusOK, out)
}

// apiUpdateMail replaces the mail settings; a body without "password"
// (or with "") keeps the stored one.
func (s *Server) apiUpdateMail(w http.ResponseWriter, r *http.Request) {
	var m store.Mail
	if herr := readJSON(w, r, maxBody, &m); herr != nil {
		writeError(w, herr)
		return
	}
	if m.Password == "" {
		if cur, err := s.svc.Mail(r.Context()); err == nil {
			m.Password = cur.Password
		}
	}
	out, err := s.svc.UpdateMail(r.Context(), m)
	if err != nil {
		writeError(w, s.serviceError("mail settings", err))
		return
	}
	res := mailJSON{Mail: out, PasswordSet: out.Password != ""}
	res.Password = ""
	writeJSON(w, http.StatusOK, res)
}

// apiMailTest is POST /api/v1/settings/mail/test {"to": ADDRESS}: 204,
// or 502 with the server's answer.
func (s *Server) apiMailTest(w http.ResponseWriter, r *http.Request) {
	var body struct {
		To string `json:"to"`
	}
	if herr := readJSON(w, r, maxBody, &body); herr != nil {
		writeError(w, herr)
		return
	}
	if msg := store.AddressProblem(body.To); msg != "" {
		writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The input is not valid; see the fields.", fields: []FieldError{{Field: "to", Message: msg}}})
		return
	}
	m, err := s.svc.Mail(r.Context())
	if err != nil {
		writeError(w, s.serviceError("mail settings", err))
		return
	}
	if s.outputs == nil {
		writeError(w, errorf(http.StatusServiceUnavailable, "This box sends no e-mail."))
		return
	}
	if err := s.outputs.SendTestMail(r.Context(), m, body.To); err != nil {
		writeError(w, errorf(http.StatusBadGateway, "The test message was not sent: %v", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// billingJSON is the billing settings with the outputs' state.
type billingJSON struct {
	store.Billing
	Status []SMDRStatus `json:"status,omitempty"`
}

func (s *Server) apiBilling(w http.ResponseWriter, r *http.Request) {
	b, err := s.svc.Billing(r.Context())
	if err != nil {
		writeError(w, s.serviceError("billing settings", err))
		return
	}
	out := billingJSON{Billing: b}
	if s.outputs != nil {
		out.Status = s.outputs.SMDRStatus()
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiUpdateBilling(w http.ResponseWriter, r *http.Request) {
	var b store.Billing
	if herr := readJSON(w, r, maxBody, &b); herr != nil {
		writeError(w, herr)
		return
	}
	out, err := s.svc.UpdateBilling(r.Context(), b)
	if err != nil {
		writeError(w, s.serviceError("billing settings", err))
		return
	}
	writeJSON(w, http.StatusOK, billingJSON{Billing: out})
}

// mailboxEmailFields are a mailbox's e-mail fields on the voicemail
// form (voicemail_form.go): prefix is the row's ("boxes[0]."), n its
// number.
func mailboxEmailFields(prefix string, n int, b store.Mailbox) []*field {
	return []*field{
		{ID: prefix + "email", Name: prefix + "email", Label: fmt.Sprintf("Mailbox %d: e-mail new messages to", n), Type: "email", Value: b.Email, MaxLength: 254,
			Autocomplete: "off", Help: "Each new message is sent here with the recording attached (Settings → E-mail sets the server). Empty: none."},
		{ID: prefix + "delete_after_email", Name: prefix + "delete_after_email", Label: fmt.Sprintf("Mailbox %d: delete messages once e-mailed", n), Type: "checkbox",
			Checked: b.DeleteAfterEmail, Help: "The message leaves the mailbox (and the lamp goes off) once the mail server took it."},
	}
}
