package webui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/recordings"
	"minipbx/telephony/store"
)

// The Recordings page and its API: the installer's audio files (a menu's
// greeting, a queue's music on hold, an announcement), uploaded from the
// laptop in whatever format the studio delivered and converted by the
// box, with a player for each; and the box's built-in voice prompts,
// each of which an upload under its name replaces ("restore built-in"
// deletes the replacement). Menus, queues and announcements name a
// recording by its file name (Dial plan forms offer them in a list).

// maxUploadBody bounds an upload request: the largest file the service
// takes plus room for the multipart framing and the other fields.
const maxUploadBody = recordings.MaxUploadBytes + 64<<10

// uploadTooBigMsg is the answer to an upload over maxUploadBody.
var uploadTooBigMsg = fmt.Sprintf("The file is larger than %d MB, which is the most the box takes. Upload a shorter recording, or an MP3 instead of a WAV file.", recordings.MaxUploadBytes>>20)

// saveRecording converts and saves a spooled upload, one conversion at a
// time (see upload.go).
func (s *Server) saveRecording(ctx context.Context, name string, file io.Reader) (rec telephony.Recording, err error) {
	if gerr := s.importGate(ctx, func() { rec, err = s.svc.SaveRecording(ctx, name, file) }); gerr != nil {
		return telephony.Recording{}, gerr
	}
	return rec, err
}

// nameFromFile suggests a recording name from an uploaded file's name
// when the installer gave none: "Welcome Message (final).MP3" becomes
// "welcome-message-final".
func nameFromFile(filename string) string {
	base := path.Base(strings.ReplaceAll(filename, `\`, "/")) // a Windows browser may send a path
	base = strings.TrimSuffix(base, path.Ext(base))
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	n := strings.TrimRight(b.String(), "-")
	if len(n) > 60 {
		n = strings.TrimRight(n[:60], "-")
	}
	return n
}

// recordingLength is a recording's length as m:ss ("" when unplayable).
func recordingLength(ms int) string {
	if ms <= 0 {
		return ""
	}
	return messageLength(ms)
}

// recordingOptions are the recordings and built-in prompts a dial-plan
// prompt field offers (the "recordings" datalist). A box without a
// prompts directory offers none: the field stays free text.
func (s *Server) recordingOptions(ctx context.Context) []option {
	var out []option
	recs, err := s.svc.Recordings(ctx)
	if err != nil {
		return nil
	}
	for _, r := range recs {
		if r.Missing || r.Problem != "" || r.Replaces != "" {
			continue
		}
		out = append(out, option{Value: r.Name, Label: "Recording, " + recordingLength(r.DurationMS)})
	}
	if bs, err := s.svc.BuiltinPrompts(ctx); err == nil {
		for _, b := range bs {
			label := "Built-in: " + b.Text
			if b.Replaced {
				label = fmt.Sprintf("Your recording instead of: %s", b.Text)
			}
			out = append(out, option{Value: b.File, Label: label})
		}
	}
	return out
}

// --- pages -------------------------------------------------------------------

type recordingRow struct {
	telephony.Recording
	Length   string
	Audio    string
	Download string
	Delete   string
	// InUse: the dial plan plays it and it replaces no built-in, so it
	// cannot be deleted.
	InUse bool
}

type builtinRow struct {
	telephony.BuiltinPrompt
	Length  string
	Audio   string
	Replace string // the upload form with the name filled in
	Restore string // the confirmation page deleting the replacement
}

type recordingsBody struct {
	Upload     *form
	Recordings []recordingRow
	Builtins   []builtinRow
	// Unavailable says why the box has no recordings (no prompts
	// directory); the page then shows only that.
	Unavailable string
	MaxMB       int
	MaxMinutes  int
	// MaxBytes and TooBig let the page's script stop an upload the box
	// would refuse before it is sent.
	MaxBytes int
	TooBig   string
}

func recordingBase(name string) string { return "/recordings/" + url.PathEscape(name) }

// uploadForm is the upload form's fields (name, file), for errors.
func uploadForm(name string) *form {
	return &form{ID: "upload", Action: "/recordings", Submit: "Upload", Fields: []*field{
		{ID: "upload-name", Name: "name", Label: "Name", Type: "text", Value: name, MaxLength: 60, Autocomplete: "off",
			Help: "Lower-case letters, digits, '-' and '_', e.g. welcome or after-hours; it becomes welcome.wav, the name menus, queues and announcements use. Empty: taken from the file's name. The name of a built-in prompt (below) replaces it."},
		{ID: "upload-file", Name: "file", Label: "Audio file", Type: "file"},
	}}
}

func (s *Server) recordingsPage(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("replace")
	if !validVMName(name) {
		name = ""
	}
	s.renderRecordings(w, r, http.StatusOK, uploadForm(name))
}

// renderRecordings draws the page with the upload form f (holding the
// errors of a refused upload).
func (s *Server) renderRecordings(w http.ResponseWriter, r *http.Request, status int, f *form) {
	b := recordingsBody{Upload: f, MaxMB: recordings.MaxUploadBytes >> 20, MaxMinutes: recordings.MaxSeconds / 60,
		MaxBytes: recordings.MaxUploadBytes, TooBig: uploadTooBigMsg}
	recs, err := s.svc.Recordings(r.Context())
	if err != nil {
		b.Unavailable = s.serviceError("list recordings", err).msg
		s.render(w, r, status, "recordings", pageData{Title: "Recordings", Active: "recordings", Body: b})
		return
	}
	for _, rec := range recs {
		base := recordingBase(rec.Name)
		row := recordingRow{Recording: rec, Length: recordingLength(rec.DurationMS), Delete: base + "/delete",
			InUse: len(rec.UsedBy) > 0 && rec.Replaces == ""}
		if !rec.Missing && rec.Problem == "" {
			row.Audio, row.Download = base+"/audio", base+"/audio?download=1"
		}
		b.Recordings = append(b.Recordings, row)
	}
	bs, err := s.svc.BuiltinPrompts(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "list built-in prompts", err)
		return
	}
	for _, p := range bs {
		b.Builtins = append(b.Builtins, builtinRow{BuiltinPrompt: p, Length: recordingLength(p.DurationMS),
			Audio: "/prompts/" + url.PathEscape(p.Name) + "/audio", Replace: "/recordings?replace=" + url.QueryEscape(p.Name) + "#upload",
			Restore: recordingBase(p.File) + "/delete"})
	}
	s.render(w, r, status, "recordings", pageData{Title: "Recordings", Active: "recordings", Body: b})
}

// recordingUpload takes the upload form (multipart; the route's access
// pageUpload has read it and checked its CSRF token).
func (s *Server) recordingUpload(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	f := uploadForm(name)
	file := formFile(r, "file")
	if file == nil {
		f.field("file").Error = "Choose a WAV or MP3 file to upload."
		s.renderRecordings(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if name == "" {
		name = nameFromFile(file.Filename)
	}
	rec, err := s.saveRecording(r.Context(), name, file)
	if err != nil {
		herr := s.serviceError("save recording", err)
		if herr.fields == nil {
			f.Errors = append(f.Errors, herr.msg)
		}
		f.applyErrors(herr.fields)
		if nf := f.field("name"); nf.Error != "" && nf.Value == "" {
			nf.Value = name // show the name taken from the file, which was refused
		}
		s.renderRecordings(w, r, herr.status, f)
		return
	}
	msg := fmt.Sprintf("The recording %s is saved (%s long)", rec.Name, recordingLength(rec.DurationMS))
	switch {
	case rec.Replaces != "":
		msg += fmt.Sprintf(". Callers hear it instead of the built-in prompt %q", rec.Replaces)
	case len(rec.UsedBy) > 0:
		msg += ". " + strings.Join(rec.UsedBy, ", ") + " play it from the next call on"
	default:
		msg += ". Choose it in a voice menu, queue or announcement (Dial plan) to play it"
	}
	s.setFlash(r, sentence(msg))
	http.Redirect(w, r, "/recordings#rec-"+url.QueryEscape(rec.Name), http.StatusSeeOther)
}

// findRecording returns the recording name as the list shows it.
func (s *Server) findRecording(ctx context.Context, name string) (telephony.Recording, *httpError) {
	if validVMName(name) {
		recs, err := s.svc.Recordings(ctx)
		if err != nil {
			return telephony.Recording{}, s.serviceError("list recordings", err)
		}
		for _, r := range recs {
			if r.Name == name && !r.Missing {
				return r, nil
			}
		}
	}
	return telephony.Recording{}, errorf(http.StatusNotFound, "There is no recording %s (it may have been deleted meanwhile).", name)
}

type recordingDeleteBody struct {
	Row     recordingRow
	Action  string
	Builtin string // the words of the built-in prompt that plays again
}

func (s *Server) recordingDeletePage(w http.ResponseWriter, r *http.Request) {
	s.recordingDeleteForm(w, r, http.StatusOK, "")
}

func (s *Server) recordingDeleteForm(w http.ResponseWriter, r *http.Request, status int, msg string) {
	rec, herr := s.findRecording(r.Context(), r.PathValue("name"))
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	base := recordingBase(rec.Name)
	b := recordingDeleteBody{Action: base + "/delete", Row: recordingRow{Recording: rec, Length: recordingLength(rec.DurationMS),
		InUse: len(rec.UsedBy) > 0 && rec.Replaces == ""}}
	if rec.Problem == "" {
		b.Row.Audio = base + "/audio"
	}
	if rec.Replaces != "" {
		if bs, err := s.svc.BuiltinPrompts(r.Context()); err == nil {
			for _, p := range bs {
				if p.Name == rec.Replaces {
					b.Builtin = p.Text
				}
			}
		}
	}
	title := "Delete recording"
	if rec.Replaces != "" {
		title = "Restore built-in prompt"
	}
	s.render(w, r, status, "recording_delete", pageData{Title: title, Active: "recordings", Error: msg, Body: b})
}

func (s *Server) recordingDelete(w http.ResponseWriter, r *http.Request) {
	rec, herr := s.findRecording(r.Context(), r.PathValue("name"))
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	if err := s.svc.DeleteRecording(r.Context(), rec.Name); err != nil {
		herr := s.serviceError("delete recording", err)
		msg := herr.msg
		if len(herr.fields) > 0 {
			msg = sentence(herr.fields[0].Message)
		}
		s.recordingDeleteForm(w, r, herr.status, msg)
		return
	}
	msg := "The recording " + rec.Name + " is deleted"
	if rec.Replaces != "" {
		msg = fmt.Sprintf("The recording %s is deleted: callers hear the built-in prompt %q again", rec.Name, rec.Replaces)
	}
	s.setFlash(r, sentence(msg))
	http.Redirect(w, r, "/recordings", http.StatusSeeOther)
}

func (s *Server) recordingAudio(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveRecordingAudio(w, r, false); herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
	}
}

func (s *Server) builtinPromptAudio(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveRecordingAudio(w, r, true); herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
	}
}

// serveRecordingAudio streams a recording (or, builtin, a built-in
// prompt) as a 16-bit PCM WAV file, with range requests when the
// service's reader can seek. ?download=1 saves it under its name.
func (s *Server) serveRecordingAudio(w http.ResponseWriter, r *http.Request, builtin bool) *httpError {
	name := r.PathValue("name")
	if !validVMName(name) {
		return errorf(http.StatusNotFound, "There is no recording %s.", name)
	}
	var (
		rc   io.ReadCloser
		size int64
		err  error
		file = name
	)
	if builtin {
		rc, size, err = s.svc.BuiltinPromptAudio(r.Context(), name)
		file = "builtin-" + name + ".wav"
	} else {
		rc, size, err = s.svc.RecordingAudio(r.Context(), name)
	}
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "There is no recording %s (it may have been deleted meanwhile).", name)
	}
	if err != nil {
		return s.serviceError("open recording", err)
	}
	defer rc.Close()
	disp := "inline"
	if r.URL.Query().Get("download") == "1" {
		disp = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": file}))
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", time.Time{}, rs)
		return nil
	}
	h.Set("Content-Length", fmt.Sprint(size))
	h.Set("Accept-Ranges", "none")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		if n, err := io.CopyN(w, rc, size); err != nil {
			s.log.Warn("webui: recording audio cut short", "name", name, "sent", n, "size", size, "err", err)
		}
	}
	return nil
}

// --- API ------------------------------------------------------------------------

// recordingsList is the body of GET /api/v1/recordings.
type recordingsList struct {
	Recordings     []telephony.Recording     `json:"recordings"`
	BuiltinPrompts []telephony.BuiltinPrompt `json:"builtin_prompts"`
}

func (s *Server) apiRecordings(w http.ResponseWriter, r *http.Request) {
	recs, err := s.svc.Recordings(r.Context())
	if err != nil {
		writeError(w, s.serviceError("list recordings", err))
		return
	}
	bs, err := s.svc.BuiltinPrompts(r.Context())
	if err != nil {
		writeError(w, s.serviceError("list built-in prompts", err))
		return
	}
	if recs == nil {
		recs = []telephony.Recording{}
	}
	writeJSON(w, http.StatusOK, recordingsList{Recordings: recs, BuiltinPrompts: bs})
}

// apiSaveRecording takes the request body as the audio file.
func (s *Server) apiSaveRecording(w http.ResponseWriter, r *http.Request) {
	file, herr := s.spoolBody(w, r, "save recording")
	if herr != nil {
		writeError(w, herr)
		return
	}
	defer file.Close()
	rec, err := s.saveRecording(r.Context(), r.PathValue("name"), file)
	if err != nil {
		writeError(w, s.serviceError("save recording", err))
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) apiRecordingAudio(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveRecordingAudio(w, r, false); herr != nil {
		writeError(w, herr)
	}
}

func (s *Server) apiBuiltinPromptAudio(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveRecordingAudio(w, r, true); herr != nil {
		writeError(w, herr)
	}
}

func (s *Server) apiDeleteRecording(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !validVMName(name) {
		writeError(w, errorf(http.StatusNotFound, "There is no recording %s.", name))
		return
	}
	if err := s.svc.DeleteRecording(r.Context(), name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, errorf(http.StatusNotFound, "There is no recording %s.", name))
			return
		}
		writeError(w, s.serviceError("delete recording", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
