package webui

import (
	"errors"
	"net/http"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// clickToCallRequest is POST /api/v1/calls: what a CRM's call button
// sends.
type clickToCallRequest struct {
	Extension string `json:"extension"`
	Number    string `json:"number"`
}

// apiPlaceCall is click-to-call: the box rings the extension (showing
// the number), then calls the number for it. 202 with the call's ID (as
// the event stream and webhooks name it); 403 when the extension's class
// does not allow the number, 404 for an unknown extension, 422 for a bad
// request — nothing rings then.
func (s *Server) apiPlaceCall(w http.ResponseWriter, r *http.Request) {
	var req clickToCallRequest
	if herr := readJSON(w, r, maxBody, &req); herr != nil {
		writeError(w, herr)
		return
	}
	pc, err := s.svc.PlaceCall(r.Context(), req.Extension, req.Number)
	if err != nil {
		writeError(w, s.placeCallError(req, err))
		return
	}
	writeJSON(w, http.StatusAccepted, pc)
}

// placeCallError maps PlaceCall's refusals to responses.
func (s *Server) placeCallError(req clickToCallRequest, err error) *httpError {
	switch {
	case errors.Is(err, telephony.ErrForbidden):
		return errorf(http.StatusForbidden, "Extension %s may not call %s: its permission class does not allow it (Dial plan → Extension rules).", req.Extension, req.Number)
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "There is no extension %s.", req.Extension)
	}
	return s.serviceError("place the call", err)
}
