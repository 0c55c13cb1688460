package webui

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"

	"minipbx/telephony"
	"minipbx/telephony/faxstore"
	"minipbx/telephony/store"
)

// The Fax page and its API: the faxes the box received (its fax
// receivers, the dial plan's fax:NAME), listed newest first, shown in the
// browser (the PDF inline), downloaded as PDF or TIFF, and deleted.

// faxRow is one fax as the pages show it.
type faxRow struct {
	Fax                  telephony.Fax
	Received             string
	From                 string
	Show, PDF, TIFF, Del string
	Speed                string
}

func (s *Server) faxRow(r *http.Request, f telephony.Fax) faxRow {
	base := "/fax/" + url.PathEscape(f.ID)
	from := f.Caller
	if f.CallerName != "" {
		from += " (" + f.CallerName + ")"
	}
	if from == "" {
		from = "unknown"
	}
	speed := f.Modem
	if f.ECM {
		speed += ", ECM"
	}
	return faxRow{Fax: f, Received: f.Received.In(s.location(r.Context())).Format("2006-01-02 15:04:05"), From: from,
		Show: base, PDF: base + "/pdf", TIFF: base + "/tiff", Del: base + "/delete", Speed: speed}
}

type faxBody struct {
	Rows     []faxRow
	TimeZone string
}

func (s *Server) faxPage(w http.ResponseWriter, r *http.Request) {
	faxes, err := s.svc.Faxes(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "faxes", err)
		return
	}
	b := faxBody{TimeZone: s.location(r.Context()).String()}
	for _, f := range faxes {
		b.Rows = append(b.Rows, s.faxRow(r, f))
	}
	s.render(w, r, http.StatusOK, "fax", pageData{Title: "Fax", Active: "fax", Body: b})
}

// findFax is fax id, or a 404 in words.
func (s *Server) findFax(r *http.Request) (telephony.Fax, *httpError) {
	id := r.PathValue("id")
	if !faxstore.ValidID(id) {
		return telephony.Fax{}, errorf(http.StatusNotFound, "There is no fax %.40q.", id)
	}
	faxes, err := s.svc.Faxes(r.Context())
	if err != nil {
		return telephony.Fax{}, s.serviceError("faxes", err)
	}
	for _, f := range faxes {
		if f.ID == id {
			return f, nil
		}
	}
	return telephony.Fax{}, errorf(http.StatusNotFound, "There is no fax %s (it may have been deleted).", id)
}

func (s *Server) faxShowPage(w http.ResponseWriter, r *http.Request) {
	f, herr := s.findFax(r)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	s.render(w, r, http.StatusOK, "fax_show", pageData{Title: fmt.Sprintf("Fax of %s", s.faxRow(r, f).Received), Active: "fax", Body: s.faxRow(r, f)})
}

// serveFax sends a fax's file: format from the path's last element
// (pdf, tiff); the PDF shows inline unless ?download=1.
func (s *Server) serveFax(w http.ResponseWriter, r *http.Request, format telephony.FaxFormat) *httpError {
	f, herr := s.findFax(r)
	if herr != nil {
		return herr
	}
	rc, _, err := s.svc.FaxFile(r.Context(), f.ID, format)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "There is no fax %s.", f.ID)
	}
	if err != nil {
		return s.serviceError("open a fax", err)
	}
	defer rc.Close()
	ctype, ext, disp := "application/pdf", ".pdf", "inline"
	if format == faxstore.TIFF {
		ctype, ext, disp = "image/tiff", ".tif", "attachment"
	}
	if r.URL.Query().Get("download") == "1" {
		disp = "attachment"
	}
	name := "fax-" + f.Received.In(s.location(r.Context())).Format("2006-01-02-1504") + ext
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": name}))
	http.ServeContent(w, r, "", f.Received, rc)
	return nil
}

func (s *Server) faxPDF(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveFax(w, r, faxstore.PDF); herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
	}
}

func (s *Server) faxTIFF(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveFax(w, r, faxstore.TIFF); herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
	}
}

func (s *Server) faxDeletePage(w http.ResponseWriter, r *http.Request) {
	f, herr := s.findFax(r)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	s.render(w, r, http.StatusOK, "fax_delete", pageData{Title: "Delete a fax", Active: "fax", Body: s.faxRow(r, f)})
}

func (s *Server) faxDelete(w http.ResponseWriter, r *http.Request) {
	f, herr := s.findFax(r)
	if herr != nil {
		s.renderError(w, r, herr.status, herr.msg)
		return
	}
	if err := s.svc.DeleteFax(r.Context(), f.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.renderServiceError(w, r, "delete a fax", err)
		return
	}
	s.setFlash(r, fmt.Sprintf("The fax of %s is deleted.", f.Received.In(s.location(r.Context())).Format("2006-01-02 15:04")))
	http.Redirect(w, r, "/fax", http.StatusSeeOther)
}

// --- API ------------------------------------------------------------------------

func (s *Server) apiFaxes(w http.ResponseWriter, r *http.Request) {
	faxes, err := s.svc.Faxes(r.Context())
	if err != nil {
		writeError(w, s.serviceError("faxes", err))
		return
	}
	writeJSON(w, http.StatusOK, faxes)
}

func (s *Server) apiFax(w http.ResponseWriter, r *http.Request) {
	f, herr := s.findFax(r)
	if herr != nil {
		writeError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiFaxPDF(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveFax(w, r, faxstore.PDF); herr != nil {
		writeError(w, herr)
	}
}

func (s *Server) apiFaxTIFF(w http.ResponseWriter, r *http.Request) {
	if herr := s.serveFax(w, r, faxstore.TIFF); herr != nil {
		writeError(w, herr)
	}
}

func (s *Server) apiDeleteFax(w http.ResponseWriter, r *http.Request) {
	f, herr := s.findFax(r)
	if herr != nil {
		writeError(w, herr)
		return
	}
	if err := s.svc.DeleteFax(r.Context(), f.ID); err != nil {
		writeError(w, s.serviceError("delete a fax", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
