package webui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"minipbx/telephony/store"
)

// The PBX parameters page (Settings → PBX parameters): what the
// small-office manual lists on one page. The name, ID, extension length,
// music port and voice modem settings are configuration
// (store.PBXParameters); the PCM timeslot map belongs to the board's
// description, which the box shows and takes as a custom description for
// its next start (BoardMap, implemented by internal/box).

// BoardMap is the board's description as the PBX parameters page shows
// and edits it.
type BoardMap interface {
	// BoardDescription is the description the box reads at start
	// (-board auto): the reference box's or a custom one.
	BoardDescription(ctx context.Context) (BoardInfo, error)
	// SetTimeslots saves a custom description with these timeslots, in
	// the order of BoardInfo.Ports; problems are a
	// *store.ValidationError on "ports[i].timeslot". It applies at the
	// next start.
	SetTimeslots(ctx context.Context, slots []int) (BoardInfo, error)
}

// BoardInfo is a board description in short.
type BoardInfo struct {
	Name string `json:"name"`
	// Custom: a custom description (DATA/board.json), not the reference
	// box's.
	Custom bool `json:"custom"`
	// Simulated: the box runs the simulated board now; the description
	// is what -board auto uses on hardware.
	Simulated bool `json:"simulated"`
	// Pending: the description changed since the box started; it
	// applies at the next start.
	Pending bool `json:"pending"`
	// Law is the PCM highway's companding law (alaw or ulaw).
	Law    string       `json:"law"`
	Ports  []BoardPort  `json:"ports"`
	Modems []BoardModem `json:"modems"`
	// MaxSlot is the highest timeslot the PCM link carries.
	MaxSlot int `json:"max_slot"`
}

// BoardPort is one line chip and its PCM timeslot.
type BoardPort struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"` // fxs or fxo
	Timeslot int    `json:"timeslot"`
}

// BoardModem is a voice modem the description names.
type BoardModem struct {
	Name   string `json:"name,omitempty"`
	Device string `json:"device"`
}

type parametersBody struct {
	Form  *form
	Board *BoardInfo
	Slots *form
	// BoardError says why the description could not be read.
	BoardError string
}

func (s *Server) parametersForm(ctx context.Context, p store.PBXParameters) *form {
	ports := []option{{Value: "", Label: "None (recordings or a beep)", Selected: p.MusicPort == ""}}
	st, _ := s.svc.Status(ctx)
	seen := false
	for _, ps := range st.Ports {
		if ps.Kind != "fxs" && ps.Kind != "fxo" {
			continue
		}
		v := fmt.Sprintf("%s:%d", ps.Kind, ps.Number)
		ports = append(ports, option{Value: v, Label: fmt.Sprintf("%s port %d", strings.ToUpper(ps.Kind), ps.Number), Selected: v == p.MusicPort})
		seen = seen || v == p.MusicPort
	}
	if p.MusicPort != "" && !seen {
		ports = append(ports, option{Value: p.MusicPort, Label: fmt.Sprintf("%s (not on this board)", p.MusicPort), Selected: true})
	}
	timeout := ""
	if p.VoiceModem.TimeoutMS != 0 {
		timeout = strconv.Itoa(p.VoiceModem.TimeoutMS)
	}
	return &form{ID: "pbx-form", Action: "/settings/pbx", Submit: "Save parameters", Fields: []*field{
		{ID: "name", Name: "name", Label: "PBX name", Type: "text", Value: p.Name, MaxLength: 64, Required: true,
			Help: "Shown in the web UI and used as the SIP realm (changing it makes SIP phones log in again)."},
		{ID: "pbx_id", Name: "pbx_id", Label: "PBX ID", Type: "text", Value: p.PBXID, MaxLength: store.MaxPBXIDLen, Autocomplete: "off",
			Help: "Tells this box from others: up to 16 letters, digits, - and _. Optional."},
		{ID: "extension_length", Name: "extension_length", Label: "Extension length", Type: "number", Value: strconv.Itoa(p.ExtensionLength),
			Min: strconv.Itoa(store.MinExtensionLength), Max: strconv.Itoa(store.MaxExtensionLength),
			Help: "Digits of every extension number; it cannot change while extensions of another length exist."},
		{ID: "music_port", Name: "music_port", Label: "Music port", Type: "select", Options: ports,
			Help: "An analog port with a music source (a radio, a player) wired to it: callers on hold hear it, box-wide."},
		{ID: "voice_modem.init_string", Name: "voice_modem.init_string", Label: "Voice modem initialisation string", Type: "text",
			Value: p.VoiceModem.InitString, MaxLength: store.MaxModemInitLen, Autocomplete: "off", Placeholder: "AT+GCI=59",
			Help: "One AT command line sent to each voice modem after its reset, e.g. its country. Applies at the next start."},
		{ID: "voice_modem.timeout_ms", Name: "voice_modem.timeout_ms", Label: "Voice modem timeout (ms)", Type: "number", Value: timeout,
			Min: strconv.Itoa(store.MinModemTimeoutMS), Max: strconv.Itoa(store.MaxModemTimeoutMS), Placeholder: strconv.Itoa(store.DefaultModemTimeoutMS),
			Help: "How long a modem may take to answer a command before it is taken out of service and restarted. Empty: 2000. Applies at the next start."},
	}}
}

func slotsForm(b BoardInfo) *form {
	f := &form{ID: "slots-form", Action: "/settings/pbx/board", Submit: "Save timeslot map"}
	for i, p := range b.Ports {
		name := fmt.Sprintf("ports[%d].timeslot", i)
		f.Fields = append(f.Fields, &field{ID: name, Name: name, Label: p.Name, Type: "number", Value: strconv.Itoa(p.Timeslot),
			Min: "0", Max: strconv.Itoa(b.MaxSlot)})
	}
	return f
}

func (s *Server) parametersBody(ctx context.Context, f *form) parametersBody {
	b := parametersBody{Form: f}
	if s.board == nil {
		b.BoardError = "This box does not describe its board."
		return b
	}
	info, err := s.board.BoardDescription(ctx)
	if err != nil {
		b.BoardError = fmt.Sprintf("The board's description could not be read: %s", err.Error())
		return b
	}
	b.Board, b.Slots = &info, slotsForm(info)
	return b
}

func (s *Server) parametersPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.PBXParameters(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "PBX parameters", err)
		return
	}
	s.render(w, r, http.StatusOK, "parameters", pageData{Title: "PBX parameters", Active: "settings", Body: s.parametersBody(r.Context(), s.parametersForm(r.Context(), p))})
}

func (s *Server) parametersSubmit(w http.ResponseWriter, r *http.Request) {
	v := r.PostForm
	p := store.PBXParameters{Name: strings.TrimSpace(v.Get("name")), PBXID: strings.TrimSpace(v.Get("pbx_id")), MusicPort: v.Get("music_port"),
		VoiceModem: store.VoiceModem{InitString: strings.TrimSpace(v.Get("voice_modem.init_string"))}}
	f := s.parametersForm(r.Context(), p)
	p.ExtensionLength = intField(f, "extension_length", v, store.MinExtensionLength, store.MaxExtensionLength, "the extension length")
	if t := strings.TrimSpace(v.Get("voice_modem.timeout_ms")); t != "" {
		p.VoiceModem.TimeoutMS = intField(f, "voice_modem.timeout_ms", v, 0, store.MaxModemTimeoutMS, "the timeout in milliseconds")
	}
	status := http.StatusUnprocessableEntity
	if !f.hasErrors() {
		if _, err := s.svc.UpdatePBXParameters(r.Context(), p); err == nil {
			s.setFlash(r, "The PBX parameters are saved.")
			http.Redirect(w, r, "/settings/pbx", http.StatusSeeOther)
			return
		} else {
			herr := s.serviceError("save PBX parameters", err)
			applyFields(f, nil, herr.fields)
			if herr.fields == nil {
				f.Errors = append(f.Errors, herr.msg)
			}
			status = herr.status
		}
	}
	s.render(w, r, status, "parameters", pageData{Title: "PBX parameters", Active: "settings", Body: s.parametersBody(r.Context(), f)})
}

func (s *Server) boardSubmit(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.PBXParameters(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "PBX parameters", err)
		return
	}
	b := s.parametersBody(r.Context(), s.parametersForm(r.Context(), p))
	if b.Board == nil {
		s.renderError(w, r, http.StatusNotFound, b.BoardError)
		return
	}
	slots := make([]int, len(b.Board.Ports))
	for i := range b.Board.Ports {
		slots[i] = intField(b.Slots, fmt.Sprintf("ports[%d].timeslot", i), r.PostForm, 0, b.Board.MaxSlot, "a timeslot")
	}
	if !b.Slots.hasErrors() {
		if _, err := s.board.SetTimeslots(r.Context(), slots); err == nil {
			s.setFlash(r, "The timeslot map is saved as a custom board description; it applies at the next start.")
			http.Redirect(w, r, "/settings/pbx#slots-title", http.StatusSeeOther)
			return
		} else {
			herr := s.serviceError("save timeslot map", err)
			applyFields(b.Slots, nil, herr.fields)
			if herr.fields == nil {
				b.Slots.Errors = append(b.Slots.Errors, herr.msg)
			}
		}
	}
	s.render(w, r, http.StatusUnprocessableEntity, "parameters", pageData{Title: "PBX parameters", Active: "settings", Body: b})
}

// --- API ------------------------------------------------------------------------

func (s *Server) apiParameters(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.PBXParameters(r.Context())
	s.answer(w, http.StatusOK, "PBX parameters", p, err)
}

func (s *Server) apiUpdateParameters(w http.ResponseWriter, r *http.Request) {
	var p store.PBXParameters
	if herr := readJSON(w, r, maxBody, &p); herr != nil {
		writeError(w, herr)
		return
	}
	out, err := s.svc.UpdatePBXParameters(r.Context(), p)
	s.answer(w, http.StatusOK, "save PBX parameters", out, err)
}

func (s *Server) apiBoard(w http.ResponseWriter, r *http.Request) {
	if s.board == nil {
		writeError(w, errorf(http.StatusNotFound, "This box does not describe its board."))
		return
	}
	b, err := s.board.BoardDescription(r.Context())
	s.answer(w, http.StatusOK, "board description", b, err)
}

// timeslotsRequest is PUT /api/v1/board/timeslots's body.
type timeslotsRequest struct {
	Timeslots []int `json:"timeslots"`
}

func (s *Server) apiUpdateTimeslots(w http.ResponseWriter, r *http.Request) {
	if s.board == nil {
		writeError(w, errorf(http.StatusNotFound, "This box does not describe its board."))
		return
	}
	var req timeslotsRequest
	if herr := readJSON(w, r, maxBody, &req); herr != nil {
		writeError(w, herr)
		return
	}
	b, err := s.board.SetTimeslots(r.Context(), req.Timeslots)
	s.answer(w, http.StatusOK, "save timeslot map", b, err)
}
