package webui

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"minipbx/telephony/recordings"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// A mailbox's greetings on its page: listen to the recorded ones, upload
// a new one (WAV or MP3, converted as recordings are), delete one (the
// built-in one plays again). The same handlers serve any mailbox under
// /voicemail/BOX and the account's own under /me/voicemail (ownMailbox).

// greetingMax is the longest greeting, in words.
var greetingMax = fmt.Sprintf("%d minutes", int(voicemail.MaxGreeting.Minutes()))

// greetingRow is one greeting as the mailbox page lists it.
type greetingRow struct {
	Kind, Label   string
	Recorded      bool
	Audio, Delete string
}

// greetingInput is the upload form as sent, with its error.
type greetingInput struct {
	Kind, Error string
}

func greetingLabel(kind string) string {
	if kind == voicemail.GreetingBusy {
		return "When the line is busy"
	}
	return "When nobody answers"
}

func greetingRows(base string, recorded []string) []greetingRow {
	var out []greetingRow
	for _, k := range []string{voicemail.GreetingUnavailable, voicemail.GreetingBusy} {
		out = append(out, greetingRow{Kind: k, Label: greetingLabel(k), Recorded: slices.Contains(recorded, k),
			Audio: base + "/greetings/" + k + "/audio", Delete: base + "/greetings/" + k + "/delete"})
	}
	return out
}

// mailboxNav is the navigation item a mailbox page belongs to.
func mailboxNav(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/me/") {
		return "me"
	}
	return "voicemail"
}

func validGreeting(kind string) bool {
	return kind == voicemail.GreetingUnavailable || kind == voicemail.GreetingBusy
}

func (s *Server) greetingUpload(w http.ResponseWriter, r *http.Request) {
	box := r.PathValue("box")
	in := greetingInput{Kind: r.PostForm.Get("kind")}
	if _, herr := s.loadMailbox(r.Context(), box); herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	file := formFile(r, "file")
	switch {
	case !validGreeting(in.Kind):
		in.Kind, in.Error = "", "Choose which greeting this is."
	case file == nil:
		in.Error = "Choose a WAV or MP3 file to upload."
	}
	if in.Error == "" {
		var err error
		if gerr := s.importGate(r.Context(), func() { err = s.svc.SaveGreeting(r.Context(), box, in.Kind, file) }); gerr != nil {
			err = gerr
		}
		if err == nil {
			s.setFlash(r, sentence(fmt.Sprintf("the greeting %q is saved: callers hear it from the next call on", strings.ToLower(greetingLabel(in.Kind)))))
			http.Redirect(w, r, mailboxBase(r, box)+"#greetings-title", http.StatusSeeOther)
			return
		}
		herr := s.serviceError("save greeting", err)
		in.Error = herr.msg
		for _, f := range herr.fields {
			in.Error = sentence(f.Message)
		}
	}
	s.showMailbox(w, r, http.StatusUnprocessableEntity, in)
}

// serveGreeting streams a recorded greeting as audio/wav.
func (s *Server) serveGreeting(w http.ResponseWriter, r *http.Request) *httpError {
	box, kind := r.PathValue("box"), r.PathValue("kind")
	if !validVMName(box) || !validGreeting(kind) {
		return errorf(http.StatusNotFound, "There is no such greeting.")
	}
	rc, _, err := s.svc.GreetingAudio(r.Context(), box, kind)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "Mailbox %s has no recorded greeting %q: the built-in one plays.", box, kind)
	}
	if err != nil {
		return s.serviceError("open greeting", err)
	}
	defer rc.Close()
	rs, ok := rc.(io.ReadSeeker)
	if !ok {
		return errorf(http.StatusInternalServerError, "The greeting cannot be played here.")
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": "greeting-" + box + "-" + kind + ".wav"}))
	http.ServeContent(w, r, "", time.Time{}, rs)
	return nil
}

func (s *Server) greetingAudio(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveGreeting(w, r); herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
	}
}

func (s *Server) greetingDelete(w http.ResponseWriter, r *http.Request) {
	box, kind := r.PathValue("box"), r.PathValue("kind")
	if !validVMName(box) || !validGreeting(kind) {
		s.renderError(w, r, http.StatusNotFound, "There is no such greeting.")
		return
	}
	if err := s.svc.DeleteGreeting(r.Context(), box, kind); err != nil {
		s.renderServiceError(w, r, "delete greeting", err)
		return
	}
	s.setFlash(r, sentence(fmt.Sprintf("the greeting %q is deleted: the built-in one plays again", strings.ToLower(greetingLabel(kind)))))
	http.Redirect(w, r, mailboxBase(r, box)+"#greetings-title", http.StatusSeeOther)
}

// apiSaveGreeting takes the greeting's audio file as the request body.
func (s *Server) apiSaveGreeting(w http.ResponseWriter, r *http.Request) {
	box, kind := r.PathValue("box"), r.PathValue("kind")
	if !validGreeting(kind) {
		writeError(w, errorf(http.StatusNotFound, "There is no greeting %q: use unavailable or busy.", kind))
		return
	}
	file, herr := s.spoolBody(w, r, "save greeting")
	if herr != nil {
		writeError(w, herr)
		return
	}
	defer file.Close()
	var err error
	if gerr := s.importGate(r.Context(), func() { err = s.svc.SaveGreeting(r.Context(), box, kind, file) }); gerr != nil {
		err = gerr
	}
	if err != nil {
		writeError(w, s.serviceError("save greeting", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiDeleteGreeting(w http.ResponseWriter, r *http.Request) {
	box, kind := r.PathValue("box"), r.PathValue("kind")
	if !validGreeting(kind) {
		writeError(w, errorf(http.StatusNotFound, "There is no greeting %q: use unavailable or busy.", kind))
		return
	}
	if err := s.svc.DeleteGreeting(r.Context(), box, kind); err != nil {
		writeError(w, s.serviceError("delete greeting", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// spoolBody spools an API request's body (an audio file, at most
// recordings.MaxUploadBytes) to the data partition, as uploads are; the
// caller closes the file.
func (s *Server) spoolBody(w http.ResponseWriter, r *http.Request, op string) (*os.File, *httpError) {
	file, err := spoolUpload(s.dataDir, http.MaxBytesReader(w, r.Body, recordings.MaxUploadBytes+1), recordings.MaxUploadBytes)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, errorf(http.StatusRequestEntityTooLarge, "%s", uploadTooBigMsg)
	case err != nil && store.IsStorageFull(err):
		return nil, s.serviceError(op, err)
	case err != nil:
		return nil, errorf(http.StatusBadRequest, "could not read the request body: %v", err)
	}
	return file, nil
}
