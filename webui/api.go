package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"minipbx/telephony"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// Paging of call records.
const (
	defaultCallPage = 50
	maxCallPage     = 500
)

// serviceError turns an error of the exchange into an HTTP error:
// field-level validation → 422 with the fields; anything else → 500 with
// the message (the caller is the authenticated installer, who needs it).
func (s *Server) serviceError(op string, err error) *httpError {
	var iu *store.InUseError
	if errors.As(err, &iu) {
		fs, _ := fieldErrors(err)
		return &httpError{status: http.StatusConflict, msg: sentence(iu.Error()), fields: fs}
	}
	if fs, ok := fieldErrors(err); ok {
		for i := range fs {
			fs[i].Field = normalizeField(fs[i].Field)
		}
		return &httpError{status: http.StatusUnprocessableEntity, msg: "The input is not valid; see the fields.", fields: fs}
	}
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "%s: %v", op, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errorf(http.StatusServiceUnavailable, "%s: the exchange did not answer in time; try again.", op)
	}
	if store.IsStorageFull(err) {
		s.log.Error("webui: "+op+": the storage is full", "err", err)
		return errorf(http.StatusInsufficientStorage, "%s failed: %s", op, storageFullMsg)
	}
	s.log.Error("webui: "+op, "err", err)
	return errorf(http.StatusInternalServerError, "%s failed: an internal error (the box's log has the details).", op)
}

// storageFullMsg is what the installer is told when the data partition is
// full: what happened and what to do, not where.
const storageFullMsg = "the box's storage is full, so nothing was saved. Free some space " +
	"(delete recordings or voicemail messages you no longer need) and try again."

// renderServiceError shows a page for an error of the exchange, with the
// status serviceError gives it (507 for a full disk, 500 otherwise).
func (s *Server) renderServiceError(w http.ResponseWriter, r *http.Request, op string, err error) {
	herr := s.serviceError(op, err)
	s.renderError(w, r, herr.status, herr.msg)
}

// findExtension tells whether an extension exists, from the list (the
// Service has no distinct not-found error in its contract).
func (s *Server) findExtension(ctx context.Context, number string) (store.Extension, bool, error) {
	exts, err := s.svc.Extensions(ctx)
	if err != nil {
		return store.Extension{}, false, err
	}
	for _, e := range exts {
		if e.Number == number {
			return e, true, nil
		}
	}
	return store.Extension{}, false, nil
}

func (s *Server) findFXOLine(ctx context.Context, port int) (store.FXOLine, bool, error) {
	lines, err := s.svc.FXOLines(ctx)
	if err != nil {
		return store.FXOLine{}, false, err
	}
	for _, l := range lines {
		if l.Port == port {
			return l, true, nil
		}
	}
	return store.FXOLine{}, false, nil
}

func duplicateNumber(number string) []FieldError {
	return []FieldError{{"number", fmt.Sprintf("Extension %s already exists; choose another number, or edit the existing one.", number)}}
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(s.openapi)
}

func (s *Server) apiVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": s.svc.Version()})
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Status(r.Context())
	if err != nil {
		writeError(w, s.serviceError("status", err))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiExtensions(w http.ResponseWriter, r *http.Request) {
	exts, err := s.svc.Extensions(r.Context())
	if err != nil {
		writeError(w, s.serviceError("list extensions", err))
		return
	}
	if exts == nil {
		exts = []store.Extension{}
	}
	writeJSON(w, http.StatusOK, exts)
}

func (s *Server) apiExtension(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	e, ok, err := s.findExtension(r.Context(), number)
	switch {
	case err != nil:
		writeError(w, s.serviceError("read extension", err))
	case !ok:
		writeError(w, errorf(http.StatusNotFound, "There is no extension %s.", number))
	default:
		writeJSON(w, http.StatusOK, e)
	}
}

func (s *Server) apiCreateExtension(w http.ResponseWriter, r *http.Request) {
	var e store.Extension
	if herr := readJSON(w, r, maxBody, &e); herr != nil {
		writeError(w, herr)
		return
	}
	if e.Number != "" {
		if _, exists, err := s.findExtension(r.Context(), e.Number); err != nil {
			writeError(w, s.serviceError("create extension", err))
			return
		} else if exists {
			writeError(w, &httpError{status: http.StatusConflict, msg: "That extension number is taken.", fields: duplicateNumber(e.Number)})
			return
		}
	}
	created, err := s.svc.CreateExtension(r.Context(), e)
	if err != nil {
		writeError(w, s.serviceError("create extension", err))
		return
	}
	w.Header().Set("Location", "/api/v1/extensions/"+url.PathEscape(created.Number))
	writeJSON(w, http.StatusCreated, created)
}

func (s *Server) apiUpdateExtension(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	var e store.Extension
	if herr := readJSON(w, r, maxBody, &e); herr != nil {
		writeError(w, herr)
		return
	}
	if e.Number == "" {
		e.Number = number
	}
	if herr := s.checkExtensionUpdate(r.Context(), number, e.Number); herr != nil {
		writeError(w, herr)
		return
	}
	updated, err := s.svc.UpdateExtension(r.Context(), number, e)
	if err != nil {
		writeError(w, s.serviceError("update extension", err))
		return
	}
	writeJSON(w, http.StatusOK, updated)
}

// checkExtensionUpdate: the extension must exist (404), and a new number
// must not be taken (409).
func (s *Server) checkExtensionUpdate(ctx context.Context, number, newNumber string) *httpError {
	if _, ok, err := s.findExtension(ctx, number); err != nil {
		return s.serviceError("update extension", err)
	} else if !ok {
		return errorf(http.StatusNotFound, "There is no extension %s.", number)
	}
	if newNumber != number {
		if _, taken, err := s.findExtension(ctx, newNumber); err != nil {
			return s.serviceError("update extension", err)
		} else if taken {
			return &httpError{status: http.StatusConflict, msg: "That extension number is taken.", fields: duplicateNumber(newNumber)}
		}
	}
	return nil
}

func (s *Server) apiDeleteExtension(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	if _, ok, err := s.findExtension(r.Context(), number); err != nil {
		writeError(w, s.serviceError("delete extension", err))
		return
	} else if !ok {
		writeError(w, errorf(http.StatusNotFound, "There is no extension %s.", number))
		return
	}
	if err := s.svc.DeleteExtension(r.Context(), number); err != nil {
		writeError(w, s.serviceError("delete extension", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// parsePaging reads before= and limit= strictly.
func parsePaging(q url.Values) (before uint64, limit int, fields []FieldError) {
	limit = defaultCallPage
	if v := q.Get("before"); v != "" {
		b, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			fields = append(fields, FieldError{"before", "Must be a call record ID (a whole number of 1 or more), or absent for the newest records."})
		}
		before = b
	}
	if v := q.Get("limit"); v != "" {
		l, err := strconv.Atoi(v)
		if err != nil || l < 1 || l > maxCallPage {
			fields = append(fields, FieldError{"limit", fmt.Sprintf("Must be a whole number from 1 to %d.", maxCallPage)})
		}
		limit = l
	}
	return before, limit, fields
}

func (s *Server) apiSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Settings(r.Context())
	if err != nil {
		writeError(w, s.serviceError("settings", err))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiUpdateSettings(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if herr := readJSON(w, r, maxBody, &raw); herr != nil {
		writeError(w, herr)
		return
	}
	var st store.System
	if err := decodeStrict(raw, &st); err != nil {
		writeError(w, &httpError{status: http.StatusBadRequest, msg: err.Error()})
		return
	}
	if cur, err := s.svc.Settings(r.Context()); err == nil {
		keepOmitted(raw, &st, cur)
	}
	out, err := s.svc.UpdateSettings(r.Context(), st)
	if err != nil {
		writeError(w, s.serviceError("update settings", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiFXOLines(w http.ResponseWriter, r *http.Request) {
	lines, err := s.svc.FXOLines(r.Context())
	if err != nil {
		writeError(w, s.serviceError("FXO lines", err))
		return
	}
	if lines == nil {
		lines = []store.FXOLine{}
	}
	writeJSON(w, http.StatusOK, lines)
}

// portParam parses a 1-based port number from the path.
func portParam(r *http.Request) (int, *httpError) {
	p, err := strconv.Atoi(r.PathValue("port"))
	if err != nil || p < 1 || p > 64 {
		return 0, errorf(http.StatusNotFound, "There is no port %q; ports are numbered from 1.", r.PathValue("port"))
	}
	return p, nil
}

func (s *Server) apiUpdateFXOLine(w http.ResponseWriter, r *http.Request) {
	port, herr := portParam(r)
	if herr != nil {
		writeError(w, herr)
		return
	}
	var l store.FXOLine
	if herr := readJSON(w, r, maxBody, &l); herr != nil {
		writeError(w, herr)
		return
	}
	if l.Port != 0 && l.Port != port {
		writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The input is not valid; see the fields.",
			fields: []FieldError{{"port", fmt.Sprintf("Must be %d (the port in the address) or absent.", port)}}})
		return
	}
	l.Port = port
	if _, ok, err := s.findFXOLine(r.Context(), port); err != nil {
		writeError(w, s.serviceError("update FXO line", err))
		return
	} else if !ok {
		writeError(w, errorf(http.StatusNotFound, "There is no FXO port %d on this box.", port))
		return
	}
	out, err := s.svc.UpdateFXOLine(r.Context(), l)
	if err != nil {
		writeError(w, s.serviceError("update FXO line", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiExportConfig(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		writeError(w, s.serviceError("export configuration", err))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// apiImportConfig reads the document with the store's own strict decoder,
// which migrates older schema versions and names bad fields by path; the
// whole document is then validated by the exchange before anything
// changes.
func (s *Server) apiImportConfig(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxConfigBody))
	if err != nil {
		writeError(w, errorf(http.StatusRequestEntityTooLarge, "the configuration document is larger than %d bytes", maxConfigBody))
		return
	}
	c, err := store.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		var syn *store.SyntaxError
		switch {
		case errors.As(err, &syn):
			writeError(w, errorf(http.StatusBadRequest, "malformed JSON at line %d, column %d: %s", syn.Line, syn.Column, syn.Msg))
		case errors.Is(err, store.ErrTooNew):
			writeError(w, errorf(http.StatusUnprocessableEntity, "%v", err))
		default:
			if _, ok := fieldErrors(err); ok {
				writeError(w, s.serviceError("import configuration", err))
			} else {
				writeError(w, errorf(http.StatusBadRequest, "%v", err))
			}
		}
		return
	}
	if err := s.svc.ImportConfig(r.Context(), c); err != nil {
		writeError(w, s.serviceError("import configuration", err))
		return
	}
	out, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		writeError(w, s.serviceError("export configuration", err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type passwordRequest struct {
	Password string `json:"password"`
}

func (s *Server) apiSetPassword(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if herr := readJSON(w, r, maxBody, &req); herr != nil {
		writeError(w, herr)
		return
	}
	a := authFrom(r.Context())
	login := a.account.Login
	if fs := s.validateNewPassword(r.Context(), login, "password", req.Password); fs != nil {
		writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The new password is not acceptable; see the fields.", fields: fs})
		return
	}
	if err := s.svc.SetAccountPassword(r.Context(), login, req.Password, false); err != nil {
		writeError(w, s.serviceError("set password", err))
		return
	}
	s.basic.clear()
	s.sessions.deleteLogin(login, a.sess.key) // a Basic request keeps no session: all of the account's end
	s.sessions.update(a.sess.key, func(se *session) { se.mustChange = false })
	s.log.Info("webui: password changed", "login", login, "remote", r.RemoteAddr)
	w.WriteHeader(http.StatusNoContent)
}

// Simulator controls.

type dialRequest struct {
	Digits string `json:"digits"`
	Pulse  bool   `json:"pulse"`
}

type ringRequest struct {
	Number   string `json:"number"`
	Name     string `json:"name"`
	Withheld string `json:"withheld"`
}

const maxDialDigits = 32

// validDigits checks digits a virtual phone can dial: DTMF keys for tones,
// only 0–9 for a rotary (pulse) dial.
func validDigits(d string, pulse bool) string {
	if d == "" {
		return "Enter the digits to dial."
	}
	if len(d) > maxDialDigits {
		return fmt.Sprintf("At most %d digits at a time.", maxDialDigits)
	}
	allowed := "0123456789*#ABCD"
	if pulse {
		allowed = "0123456789"
	}
	for _, c := range d {
		if !strings.ContainsRune(allowed, c) {
			if pulse {
				return "A rotary (pulse) dial has only the digits 0–9."
			}
			return "Use only 0–9, * and # (and A–D)."
		}
	}
	return ""
}

func validRing(q ringRequest) []FieldError {
	var fs []FieldError
	if len(q.Number) > 20 || strings.Trim(q.Number, "0123456789+*#") != "" {
		fs = append(fs, FieldError{"number", "Use up to 20 digits (and + * #), or leave empty for no number."})
	}
	if len(q.Name) > 15*4 || strings.ContainsFunc(q.Name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		fs = append(fs, FieldError{"name", "Use up to 15 printable characters (caller ID shows at most 15)."})
	}
	if q.Withheld != "" && q.Withheld != "P" && q.Withheld != "O" {
		fs = append(fs, FieldError{"withheld", `Use "P" (private), "O" (unavailable) or leave empty.`})
	}
	return fs
}

// simPort checks that the board is simulated and has the port.
func (s *Server) simPort(ctx context.Context, kind string, port int) (telephony.SimControl, *httpError) {
	sim := s.svc.Sim()
	if sim == nil {
		return nil, errorf(http.StatusNotFound, "This box runs on real hardware; the simulator controls exist only with the simulated board (-board sim).")
	}
	st, err := s.svc.Status(ctx)
	if err != nil {
		return nil, s.serviceError("status", err)
	}
	for _, p := range st.Ports {
		if p.Kind == kind && p.Number == port {
			return sim, nil
		}
	}
	return nil, errorf(http.StatusNotFound, "There is no %s port %d on this box.", strings.ToUpper(kind), port)
}

// simError: the simulator refusing an action (e.g. hanging up a phone
// that is on hook) is a conflict with the current state.
func simError(err error) *httpError {
	return errorf(http.StatusConflict, "The simulator refused: %v", err)
}

func (s *Server) apiSimPhone(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		port, herr := portParam(r)
		if herr != nil {
			writeError(w, herr)
			return
		}
		var req dialRequest
		if action == "dial" {
			herr = readJSON(w, r, maxBody, &req)
		} else {
			herr = readOptionalJSON(w, r, &struct{}{})
		}
		if herr != nil {
			writeError(w, herr)
			return
		}
		if action == "dial" {
			if msg := validDigits(req.Digits, req.Pulse); msg != "" {
				writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The input is not valid; see the fields.", fields: []FieldError{{"digits", msg}}})
				return
			}
		}
		sim, herr := s.simPort(r.Context(), "fxs", port)
		if herr != nil {
			writeError(w, herr)
			return
		}
		if err := s.doSimPhone(sim, action, port, req); err != nil {
			writeError(w, simError(err))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) doSimPhone(sim telephony.SimControl, action string, port int, req dialRequest) error {
	switch action {
	case "offhook":
		return sim.PhoneOffHook(port)
	case "onhook":
		return sim.PhoneOnHook(port)
	default:
		return sim.PhoneDial(port, req.Digits, req.Pulse)
	}
}

func (s *Server) apiSimLine(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		port, herr := portParam(r)
		if herr != nil {
			writeError(w, herr)
			return
		}
		var req ringRequest
		if action == "ring" {
			herr = readOptionalJSON(w, r, &req)
		} else {
			herr = readOptionalJSON(w, r, &struct{}{})
		}
		if herr != nil {
			writeError(w, herr)
			return
		}
		if fs := validRing(req); fs != nil {
			writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The input is not valid; see the fields.", fields: fs})
			return
		}
		sim, herr := s.simPort(r.Context(), "fxo", port)
		if herr != nil {
			writeError(w, herr)
			return
		}
		if err := s.doSimLine(sim, action, port, req); err != nil {
			writeError(w, simError(err))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) doSimLine(sim telephony.SimControl, action string, port int, req ringRequest) error {
	if action == "ring" {
		return sim.LineRing(port, channel.CallerID{Number: req.Number, Name: req.Name, Withheld: req.Withheld})
	}
	return sim.LineHangup(port)
}

// statusJSON renders a status snapshot for the event stream.
func statusJSON(kind string, st telephony.Status) []byte {
	b, _ := json.Marshal(telephony.StatusEvent{Kind: kind, Status: st})
	return b
}
