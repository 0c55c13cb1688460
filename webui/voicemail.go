package webui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// The Voicemail page and its API: the mailboxes with their counts, each
// mailbox's messages with a player, and marking and deleting messages.
// Messages are files the exchange keeps (Service.VoicemailAudio opens one
// as a 16-bit PCM WAV, which every browser plays); the mailboxes
// themselves are configured in the dial plan (Dial plan → Voicemail,
// dialplan_single.go).

// validVMName accepts a mailbox or message name as it may travel in a
// path: letters, digits, '.', '_' and '-', not starting with a dot. The
// mux decodes %2F inside a segment, so this keeps "../x" from ever
// reaching the service, whatever it does with names.
func validVMName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// noMailbox and noMessage are the 404s in words.
func noMailbox(box string) *httpError {
	return errorf(http.StatusNotFound, "There is no mailbox %s. Mailboxes are set up under Dial plan → Voicemail.", box)
}

func noMessage(box, id string) *httpError {
	return errorf(http.StatusNotFound, "Mailbox %s has no message %s (it may have been deleted meanwhile).", box, id)
}

// loadMailbox returns the mailbox box as the overview lists it.
func (s *Server) loadMailbox(ctx context.Context, box string) (telephony.MailboxStatus, *httpError) {
	if !validVMName(box) {
		return telephony.MailboxStatus{}, noMailbox(box)
	}
	boxes, err := s.svc.Mailboxes(ctx)
	if err != nil {
		return telephony.MailboxStatus{}, s.serviceError("list mailboxes", err)
	}
	for _, b := range boxes {
		if b.Extension == box {
			return b, nil
		}
	}
	return telephony.MailboxStatus{}, noMailbox(box)
}

// loadMessages lists box's messages; an unknown box is a 404 in words.
func (s *Server) loadMessages(ctx context.Context, box string) ([]telephony.VoicemailMessage, *httpError) {
	if !validVMName(box) {
		return nil, noMailbox(box)
	}
	msgs, err := s.svc.VoicemailMessages(ctx, box)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noMailbox(box)
	}
	if err != nil {
		return nil, s.serviceError("list messages of mailbox "+box, err)
	}
	if msgs == nil {
		msgs = []telephony.VoicemailMessage{}
	}
	return msgs, nil
}

// findMessage returns message id of box (from the list, which also tells
// an unknown mailbox from an unknown message).
func (s *Server) findMessage(ctx context.Context, box, id string) (telephony.VoicemailMessage, *httpError) {
	msgs, herr := s.loadMessages(ctx, box)
	if herr != nil {
		return telephony.VoicemailMessage{}, herr
	}
	if validVMName(id) {
		for _, m := range msgs {
			if m.ID == id {
				return m, nil
			}
		}
	}
	return telephony.VoicemailMessage{}, noMessage(box, id)
}

// notFoundAs turns the service's ErrNotFound for a message into noMessage.
func (s *Server) notFoundAs(op, box, id string, err error) *httpError {
	if errors.Is(err, store.ErrNotFound) {
		return noMessage(box, id)
	}
	return s.serviceError(op, err)
}

// --- pages -------------------------------------------------------------------

type voicemailBody struct {
	Boxes []telephony.MailboxStatus
}

func (s *Server) voicemailPage(w http.ResponseWriter, r *http.Request) {
	boxes, err := s.svc.Mailboxes(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "list mailboxes", err)
		return
	}
	s.render(w, r, http.StatusOK, "voicemail", pageData{Title: "Voicemail", Active: "voicemail", Body: voicemailBody{Boxes: boxes}})
}

// vmRow is one message as the mailbox page shows it.
type vmRow struct {
	Msg            telephony.VoicemailMessage
	Received       string // in the box's time zone
	Length         string // m:ss
	Audio          string // the player's source
	Download       string
	Base           string // /voicemail/BOX/ID, for the forms
	CallerName     string
	CallerNumber   string
	CallerWithheld string // why there is no number, in words
}

type voicemailBoxBody struct {
	Box      telephony.MailboxStatus
	Messages []vmRow
	TimeZone string
	// Base is the mailbox's pages (mailboxBase); Own: the account's own
	// mailbox (no list of mailboxes to go back to).
	Base string
	Own  bool
	// Greetings are the mailbox's two greetings, with upload and delete;
	// GreetingIn is the upload form as sent when it failed.
	Greetings   []greetingRow
	GreetingIn  greetingInput
	GreetingMax string
}

// messageLength is a duration as m:ss, rounded to the second (a message
// of a few hundred milliseconds is 0:01, not 0:00).
func messageLength(ms int) string {
	s := (ms + 500) / 1000
	if s == 0 && ms > 0 {
		s = 1
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// receivedText is when a message arrived, in the box's time zone.
func receivedText(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2006-01-02 15:04")
}

func withheldText(w string) string {
	switch w {
	case "P":
		return "number withheld by the caller"
	case "O":
		return "number not available"
	}
	return "unknown caller"
}

func (s *Server) voicemailBoxPage(w http.ResponseWriter, r *http.Request) {
	s.showMailbox(w, r, http.StatusOK, greetingInput{})
}

// showMailbox renders a mailbox's page; in is the greeting form as sent,
// with its error, when an upload failed.
func (s *Server) showMailbox(w http.ResponseWriter, r *http.Request, status int, in greetingInput) {
	box := r.PathValue("box")
	mb, herr := s.loadMailbox(r.Context(), box)
	var msgs []telephony.VoicemailMessage
	if herr == nil {
		msgs, herr = s.loadMessages(r.Context(), box)
	}
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	loc := s.location(r.Context())
	b := voicemailBoxBody{Box: mb, TimeZone: loc.String(), Base: mailboxBase(r, box), Own: strings.HasPrefix(r.URL.Path, "/me/"),
		Greetings: greetingRows(mailboxBase(r, box), mb.Greetings)}
	for _, m := range msgs {
		base := mailboxBase(r, box) + "/" + url.PathEscape(m.ID)
		row := vmRow{Msg: m, Received: receivedText(m.Received, loc), Length: messageLength(m.DurationMS),
			Audio: base + "/audio", Download: base + "/audio?download=1", Base: base,
			CallerName: m.Caller.Name, CallerNumber: m.Caller.Number}
		if m.Caller.Number == "" {
			row.CallerWithheld = withheldText(m.Caller.Withheld)
		}
		b.Messages = append(b.Messages, row)
	}
	b.GreetingMax, b.GreetingIn = greetingMax, in
	s.render(w, r, status, "voicemail_box", pageData{Title: "Mailbox " + box + mailboxSuffix(mb), Active: mailboxNav(r), Body: b})
}

func mailboxSuffix(mb telephony.MailboxStatus) string {
	if mb.Name != "" {
		return " — " + mb.Name
	}
	return ""
}

// messageLabel names a message in a flash or a question: "the message
// from 0301234567 of Sat 2026-11-21 09:30".
func messageLabel(m telephony.VoicemailMessage, loc *time.Location) string {
	who := m.Caller.Number
	switch {
	case who == "" && m.Caller.Withheld == "":
		who = "an unknown caller"
	case who == "":
		who = "a caller (" + withheldText(m.Caller.Withheld) + ")"
	}
	if m.Caller.Name != "" {
		who = m.Caller.Name + " (" + who + ")"
	}
	return fmt.Sprintf("the message from %s of %s", who, receivedText(m.Received, loc))
}

// voicemailMark marks a message heard ("heard=1") or new again
// ("heard=0") from its button, then shows the mailbox again.
func (s *Server) voicemailMark(w http.ResponseWriter, r *http.Request) {
	box, id := r.PathValue("box"), r.PathValue("id")
	m, herr := s.findMessage(r.Context(), box, id)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	heard := r.PostForm.Get("heard") == "1"
	if err := s.svc.MarkVoicemail(r.Context(), box, id, heard); err != nil {
		herr := s.notFoundAs("mark message", box, id, err)
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	state := "new"
	if heard {
		state = "heard"
	}
	s.setFlash(r, sentence(fmt.Sprintf("%s marked as %s", messageLabel(m, s.location(r.Context())), state)))
	http.Redirect(w, r, mailboxBase(r, box)+"#msg-"+url.PathEscape(id), http.StatusSeeOther)
}

type voicemailDeleteBody struct {
	Box    string
	Row    vmRow
	Label  string
	Action string
	Cancel string
}

// voicemailDeletePage asks before deleting: a message cannot be brought
// back, and a misplaced click on a list must not lose one.
func (s *Server) voicemailDeletePage(w http.ResponseWriter, r *http.Request) {
	s.voicemailDeleteForm(w, r, http.StatusOK, "")
}

func (s *Server) voicemailDeleteForm(w http.ResponseWriter, r *http.Request, status int, msg string) {
	box, id := r.PathValue("box"), r.PathValue("id")
	m, herr := s.findMessage(r.Context(), box, id)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	loc := s.location(r.Context())
	base := mailboxBase(r, box) + "/" + url.PathEscape(id)
	s.render(w, r, status, "voicemail_delete", pageData{Title: "Delete message", Active: mailboxNav(r), Error: msg,
		Body: voicemailDeleteBody{Box: box, Label: messageLabel(m, loc), Action: base + "/delete", Cancel: mailboxBase(r, box),
			Row: vmRow{Msg: m, Received: receivedText(m.Received, loc), Length: messageLength(m.DurationMS), Audio: base + "/audio"}}})
}

func (s *Server) voicemailDelete(w http.ResponseWriter, r *http.Request) {
	box, id := r.PathValue("box"), r.PathValue("id")
	m, herr := s.findMessage(r.Context(), box, id)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	if err := s.svc.DeleteVoicemail(r.Context(), box, id); err != nil {
		herr := s.notFoundAs("delete message", box, id, err)
		s.voicemailDeleteForm(w, r, herr.status, herr.msg)
		return
	}
	s.setFlash(r, sentence(fmt.Sprintf("%s is deleted", messageLabel(m, s.location(r.Context())))))
	// The last message of a mailbox removed from the dial plan takes the
	// mailbox with it: then the overview is where to go.
	dest := mailboxBase(r, box)
	if _, herr := s.loadMailbox(r.Context(), box); herr != nil && !strings.HasPrefix(dest, "/me/") {
		dest = "/voicemail"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// voicemailAudio is the page's player and download link.
func (s *Server) voicemailAudio(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveVoicemailAudio(w, r); herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
	}
}

func (s *Server) apiVoicemailAudio(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveVoicemailAudio(w, r); herr != nil {
		writeError(w, herr)
	}
}

// audioFileName is the name a downloaded message is saved under:
// voicemail-101-2026-11-21-0930-from-0301234567.wav.
func audioFileName(box string, m telephony.VoicemailMessage, loc *time.Location) string {
	name := "voicemail-" + box + "-" + m.Received.In(loc).Format("2006-01-02-1504")
	num := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == '+' {
			return r
		}
		return -1
	}, m.Caller.Number)
	if num != "" {
		name += "-from-" + num
	}
	return name + ".wav"
}

// serveVoicemailAudio streams a message as audio/wav. When the service's
// reader can seek (a file), http.ServeContent answers Range requests,
// which browsers use to seek in the player and to resume; otherwise the
// file goes whole with its length and "Accept-Ranges: none". With
// ?download=1 the browser saves it under audioFileName.
func (s *Server) serveVoicemailAudio(w http.ResponseWriter, r *http.Request) *httpError {
	box, id := r.PathValue("box"), r.PathValue("id")
	m, herr := s.findMessage(r.Context(), box, id)
	if herr != nil {
		return herr
	}
	rc, size, err := s.svc.VoicemailAudio(r.Context(), box, id)
	if err != nil {
		return s.notFoundAs("open message audio", box, id, err)
	}
	defer rc.Close()
	// A long message over a slow link (a VPN from home) may take longer
	// than the server's write timeout: allow it down to 64 kbit/s.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.writeTimeout + time.Duration(size/8000)*time.Second))
	disp := "inline"
	if r.URL.Query().Get("download") == "1" {
		disp = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": audioFileName(box, m, s.location(r.Context()))}))
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", m.Received, rs)
		return nil
	}
	h.Set("Content-Length", fmt.Sprint(size))
	h.Set("Accept-Ranges", "none")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if n, err := io.CopyN(w, rc, size); err != nil {
		// Headers are gone: all that is left is to log it (the client sees
		// a short body).
		s.log.Warn("webui: voicemail audio cut short", "box", box, "id", id, "sent", n, "size", size, "err", err)
	}
	return nil
}

// --- API ------------------------------------------------------------------------

func (s *Server) apiVoicemail(w http.ResponseWriter, r *http.Request) {
	boxes, err := s.svc.Mailboxes(r.Context())
	if err != nil {
		writeError(w, s.serviceError("list mailboxes", err))
		return
	}
	if boxes == nil {
		boxes = []telephony.MailboxStatus{}
	}
	writeJSON(w, http.StatusOK, boxes)
}

func (s *Server) apiVoicemailMessages(w http.ResponseWriter, r *http.Request) {
	msgs, herr := s.loadMessages(r.Context(), r.PathValue("box"))
	if herr != nil {
		writeError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, msgs)
}

func (s *Server) apiVoicemailMessage(w http.ResponseWriter, r *http.Request) {
	m, herr := s.findMessage(r.Context(), r.PathValue("box"), r.PathValue("id"))
	if herr != nil {
		writeError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// voicemailPatch is the body of PATCH …/messages/{id}; heard is required.
type voicemailPatch struct {
	Heard *bool `json:"heard"`
}

func (s *Server) apiMarkVoicemail(w http.ResponseWriter, r *http.Request) {
	box, id := r.PathValue("box"), r.PathValue("id")
	var p voicemailPatch
	if herr := readJSON(w, r, maxBody, &p); herr != nil {
		writeError(w, herr)
		return
	}
	if p.Heard == nil {
		writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The input is not valid; see the fields.",
			fields: []FieldError{{Field: "heard", Message: "Give heard: true (listened to) or false (new again)."}}})
		return
	}
	if _, herr := s.findMessage(r.Context(), box, id); herr != nil {
		writeError(w, herr)
		return
	}
	if err := s.svc.MarkVoicemail(r.Context(), box, id, *p.Heard); err != nil {
		writeError(w, s.notFoundAs("mark message", box, id, err))
		return
	}
	m, herr := s.findMessage(r.Context(), box, id)
	if herr != nil {
		writeError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiDeleteVoicemail(w http.ResponseWriter, r *http.Request) {
	box, id := r.PathValue("box"), r.PathValue("id")
	if _, herr := s.findMessage(r.Context(), box, id); herr != nil {
		writeError(w, herr)
		return
	}
	if err := s.svc.DeleteVoicemail(r.Context(), box, id); err != nil {
		writeError(w, s.notFoundAs("delete message", box, id, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
