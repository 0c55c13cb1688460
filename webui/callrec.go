package webui

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// The Call recordings page and its API: the recordings of calls
// (telephony/callrec), filtered by date, number and extension, played in
// the browser (16-bit PCM WAV, with Range for seeking), downloaded and
// deleted, with their room against the quota. Which calls are recorded is
// the dial plan's Call recording page.

// callRecFilter reads a filter from the query: from and to (dates,
// 2006-01-02, in the box's zone; to is inclusive), number (a part of the
// caller's or callee's), extension. Bad values are field errors.
func (s *Server) callRecFilter(r *http.Request) (telephony.CallRecordingFilter, url.Values, *httpError) {
	q := r.URL.Query()
	loc := s.location(r.Context())
	var f telephony.CallRecordingFilter
	var bad []FieldError
	day := func(name string) time.Time {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			bad = append(bad, FieldError{name, "Must be a date, e.g. 2026-03-01."})
		}
		return t
	}
	f.From = day("from")
	if to := day("to"); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	f.Number = strings.TrimSpace(q.Get("number"))
	f.Extension = strings.TrimSpace(q.Get("extension"))
	if f.Number != "" && (len(f.Number) > 32 || strings.Trim(f.Number, "0123456789+*#") != "") {
		bad = append(bad, FieldError{"number", "Digits only (a part of a number is enough), at most 32."})
	}
	if f.Extension != "" && (len(f.Extension) > 8 || strings.Trim(f.Extension, "0123456789") != "") {
		bad = append(bad, FieldError{"extension", "An extension number."})
	}
	if len(bad) > 0 {
		e := invalidFields(bad...)
		e.status = http.StatusBadRequest // a query, not a document
		return f, q, e
	}
	return f, q, nil
}

// callRecRow is one recording as the page lists it.
type callRecRow struct {
	Rec               telephony.CallRecording
	Start, Length     string
	Size              string
	Audio, Download   string
	Delete, Who, With string
}

type callRecBody struct {
	Rows       []callRecRow
	Usage      telephony.CallRecordingUsage
	UsedText   string
	From, To   string
	Number     string
	Extension  string
	FieldError map[string]string
	TimeZone   string
}

func recLength(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func (s *Server) callRecordingsPage(w http.ResponseWriter, r *http.Request) {
	f, q, herr := s.callRecFilter(r)
	b := callRecBody{From: q.Get("from"), To: q.Get("to"), Number: q.Get("number"), Extension: q.Get("extension"),
		FieldError: map[string]string{}}
	loc := s.location(r.Context())
	b.TimeZone = loc.String()
	status := http.StatusOK
	var recs []telephony.CallRecording
	if herr != nil {
		status = http.StatusBadRequest
		for _, fe := range herr.fields {
			b.FieldError[fe.Field] = fe.Message
		}
	} else {
		var err error
		recs, err = s.svc.CallRecordings(r.Context(), f)
		if err != nil {
			s.renderServiceError(w, r, "call recordings", err)
			return
		}
	}
	for _, rec := range recs {
		base := "/call-recordings/" + url.PathEscape(rec.ID)
		row := callRecRow{Rec: rec, Start: rec.Start.In(loc).Format("2006-01-02 15:04:05"), Length: recLength(rec.Duration),
			Size: megabytes(rec.Size), Audio: base + "/audio", Download: base + "/audio?download=1", Delete: base + "/delete",
			Who: rec.Caller, With: rec.Callee}
		b.Rows = append(b.Rows, row)
	}
	if u, err := s.svc.CallRecordingUsage(r.Context()); err == nil {
		b.Usage = u
		b.UsedText = megabytes(u.Total)
		if u.Quota > 0 {
			b.UsedText += fmt.Sprintf(" of %s (%d %%)", megabytes(u.Quota), u.Total*100/u.Quota)
		}
	}
	s.render(w, r, status, "call_recordings", pageData{Title: "Call recordings", Active: "call-recordings", Body: b})
}

// recordingFileName is the name a downloaded recording is saved under:
// call-2026-03-01-0930-0301234567-201.wav.
func recordingFileName(rec telephony.CallRecording, loc *time.Location) string {
	name := "call-" + rec.Start.In(loc).Format("2006-01-02-1504")
	for _, n := range []string{rec.Caller, rec.Callee} {
		n = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' {
				return r
			}
			return -1
		}, n)
		if n != "" {
			name += "-" + n
		}
	}
	return name + ".wav"
}

// findCallRecording is the recording id, or a 404 in words.
func (s *Server) findCallRecording(r *http.Request) (telephony.CallRecording, *httpError) {
	id := r.PathValue("id")
	if !validVMName(id) {
		return telephony.CallRecording{}, errorf(http.StatusNotFound, "There is no call recording %s.", id)
	}
	recs, err := s.svc.CallRecordings(r.Context(), telephony.CallRecordingFilter{})
	if err != nil {
		return telephony.CallRecording{}, s.serviceError("call recordings", err)
	}
	for _, rec := range recs {
		if rec.ID == id {
			return rec, nil
		}
	}
	return telephony.CallRecording{}, errorf(http.StatusNotFound, "There is no call recording %s (it may have been deleted, or removed by the quota).", id)
}

// serveCallRecording streams a recording as audio/wav with Range support;
// ?download=1 saves it under recordingFileName.
func (s *Server) serveCallRecording(w http.ResponseWriter, r *http.Request) *httpError {
	rec, herr := s.findCallRecording(r)
	if herr != nil {
		return herr
	}
	rc, size, err := s.svc.CallRecordingAudio(r.Context(), rec.ID)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "There is no call recording %s.", rec.ID)
	}
	if err != nil {
		return s.serviceError("open a call recording", err)
	}
	defer rc.Close()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.writeTimeout + time.Duration(size/8000)*time.Second))
	disp := "inline"
	if r.URL.Query().Get("download") == "1" {
		disp = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": recordingFileName(rec, s.location(r.Context()))}))
	http.ServeContent(w, r, "", rec.Start, rc)
	return nil
}

func (s *Server) callRecordingAudio(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveCallRecording(w, r); herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
	}
}

func (s *Server) callRecordingDeletePage(w http.ResponseWriter, r *http.Request) {
	rec, herr := s.findCallRecording(r)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	loc := s.location(r.Context())
	base := "/call-recordings/" + url.PathEscape(rec.ID)
	s.render(w, r, http.StatusOK, "call_recording_delete", pageData{Title: "Delete a call recording", Active: "call-recordings",
		Body: callRecRow{Rec: rec, Start: rec.Start.In(loc).Format("2006-01-02 15:04:05"), Length: recLength(rec.Duration),
			Audio: base + "/audio", Delete: base + "/delete", Who: rec.Caller, With: rec.Callee}})
}

func (s *Server) callRecordingDelete(w http.ResponseWriter, r *http.Request) {
	rec, herr := s.findCallRecording(r)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	if err := s.svc.DeleteCallRecording(r.Context(), rec.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.renderServiceError(w, r, "delete a call recording", err)
		return
	}
	s.setFlash(r, fmt.Sprintf("The recording of the call of %s is deleted.", rec.Start.In(s.location(r.Context())).Format("2006-01-02 15:04")))
	http.Redirect(w, r, "/call-recordings", http.StatusSeeOther)
}

// --- API ------------------------------------------------------------------------

func (s *Server) apiCallRecordings(w http.ResponseWriter, r *http.Request) {
	f, _, herr := s.callRecFilter(r)
	if herr != nil {
		writeError(w, herr)
		return
	}
	recs, err := s.svc.CallRecordings(r.Context(), f)
	if err != nil {
		writeError(w, s.serviceError("call recordings", err))
		return
	}
	writeJSON(w, http.StatusOK, recs)
}

func (s *Server) apiCallRecordingUsage(w http.ResponseWriter, r *http.Request) {
	u, err := s.svc.CallRecordingUsage(r.Context())
	if err != nil {
		writeError(w, s.serviceError("call recordings", err))
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiCallRecordingAudio(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveCallRecording(w, r); herr != nil {
		writeError(w, herr)
	}
}

func (s *Server) apiDeleteCallRecording(w http.ResponseWriter, r *http.Request) {
	rec, herr := s.findCallRecording(r)
	if herr != nil {
		writeError(w, herr)
		return
	}
	if err := s.svc.DeleteCallRecording(r.Context(), rec.ID); err != nil {
		writeError(w, s.serviceError("delete a call recording", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
