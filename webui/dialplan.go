package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"minipbx/telephony/store"
)

// The dial plan (telephony/store/config.md, "The dial plan") through the
// API and the pages. The whole plan is replaced in one validated change:
// the exchange checks it against the extensions and the numbering plan, so
// a change to one section can be refused for its effect on another, and
// every problem is reported by its document path
// ("ring_groups[0].members[1].destination").

// apiDialPlan returns the dial plan.
func (s *Server) apiDialPlan(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		writeError(w, s.serviceError("read dial plan", err))
		return
	}
	writeJSON(w, http.StatusOK, c.DialPlan())
}

// apiUpdateDialPlan replaces the whole dial plan (sections left out become
// empty) after validating it with the rest of the configuration.
func (s *Server) apiUpdateDialPlan(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxConfigBody))
	if err != nil {
		writeError(w, errorf(http.StatusRequestEntityTooLarge, "the dial plan is larger than %d bytes", maxConfigBody))
		return
	}
	d, herr := s.decodeDialPlan(data)
	if herr != nil {
		writeError(w, herr)
		return
	}
	out, herr := s.saveDialPlan(r, func(cur *store.DialPlan) { *cur = d })
	if herr != nil {
		writeError(w, herr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeDialPlan decodes with the store's strict decoder, mapping its
// errors to responses.
func (s *Server) decodeDialPlan(data []byte) (store.DialPlan, *httpError) {
	d, err := store.DecodeDialPlan(bytes.NewReader(data))
	if err == nil {
		return d, nil
	}
	var syn *store.SyntaxError
	switch {
	case errors.As(err, &syn):
		return d, errorf(http.StatusBadRequest, "malformed JSON at line %d, column %d: %s", syn.Line, syn.Column, syn.Msg)
	default:
		if _, ok := fieldErrors(err); ok {
			return d, s.serviceError("dial plan", err)
		}
		return d, errorf(http.StatusBadRequest, "%v", err)
	}
}

// saveDialPlan applies edit to the current dial plan and saves it with
// the service's scoped dial-plan change (the rest of the configuration,
// which someone may be editing meanwhile, is not rewritten); it returns the
// dial plan as stored.
func (s *Server) saveDialPlan(r *http.Request, edit func(d *store.DialPlan)) (store.DialPlan, *httpError) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		return store.DialPlan{}, s.serviceError("read configuration", err)
	}
	d := c.DialPlan()
	edit(&d)
	out, err := s.svc.UpdateDialPlan(r.Context(), d)
	if err != nil {
		return store.DialPlan{}, s.serviceError("save dial plan", err)
	}
	return out, nil
}

// dialPlanBody is the dial-plan page's content.
type dialPlanBody struct {
	Sections []dialPlanSectionView
	Current  *dialPlanSectionView // the section being edited (its page)
}

type dialPlanSectionView struct {
	dialPlanSection
	Count  int    // entries (lists) or -1 (objects)
	JSON   string // the section as indented JSON
	Errors []FieldError
}

// sectionJSON returns one section of d as indented JSON and its entry count.
func sectionJSON(d store.DialPlan, key string) (string, int) {
	raw, _ := json.Marshal(d)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	var buf bytes.Buffer
	_ = json.Indent(&buf, m[key], "", "  ")
	var list []json.RawMessage
	if json.Unmarshal(m[key], &list) == nil {
		return buf.String(), len(list)
	}
	return buf.String(), -1
}

func (s *Server) dialPlanView(r *http.Request, current string) (dialPlanBody, error) {
	c, err := s.svc.ExportConfig(r.Context())
	if err != nil {
		return dialPlanBody{}, err
	}
	d := c.DialPlan()
	d.Voicemail = hidePINs(d.Voicemail) // voicemail_form.go
	hideAccessPINs(&d)                  // outcalls_forms.go
	var b dialPlanBody
	for _, sec := range planSections {
		text, n := sectionJSON(d, sec.Key)
		v := dialPlanSectionView{dialPlanSection: sec, Count: n, JSON: text}
		b.Sections = append(b.Sections, v)
		if sec.Key == current {
			b.Current = &b.Sections[len(b.Sections)-1]
		}
	}
	return b, nil
}

func (s *Server) dialPlanSectionPage(w http.ResponseWriter, r *http.Request) {
	sec, ok := findDialPlanSection(r.PathValue("section"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "There is no such part of the dial plan.")
		return
	}
	if _, asText := r.URL.Query()["json"]; !asText {
		if sec.list != nil {
			s.dialPlanKindPage(w, r, sec, sec.list)
			return
		}
		if sec.single != nil {
			s.dialPlanSinglePage(w, r, sec, sec.single)
			return
		}
	}
	b, err := s.dialPlanView(r, sec.Key)
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	s.render(w, r, http.StatusOK, "dialplan", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan", Body: b})
}

// dialPlanSectionSubmit saves one section from its page's JSON editor;
// problems come back beside the editor, by path.
func (s *Server) dialPlanSectionSubmit(w http.ResponseWriter, r *http.Request) {
	sec, ok := findDialPlanSection(r.PathValue("section"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "There is no such part of the dial plan.")
		return
	}
	if sec.single != nil && !r.PostForm.Has("json") {
		s.dialPlanSingleSubmit(w, r, sec, sec.single)
		return
	}
	text := strings.TrimSpace(r.PostForm.Get("json"))
	if text == "" {
		text = "[]"
		if sec.single != nil { // one object, not a list
			text = "{}"
		}
	}
	// Wrap the section so that errors carry its document path.
	wrapped := []byte(fmt.Sprintf("{%q: %s\n}", sec.Key, text))
	var herr *httpError
	d, herr := s.decodeDialPlan(wrapped)
	if herr == nil {
		_, herr = s.saveDialPlan(r, func(cur *store.DialPlan) {
			var c store.Config
			c.SetDialPlan(*cur)
			var one store.Config
			one.SetDialPlan(d)
			keepPINs(&one.Voicemail, c.Voicemail) // the editor shows none
			keepAccessPINs(&one, &c)
			c.CopySection(&one, sec.Key)
			*cur = c.DialPlan()
		})
	}
	if herr == nil {
		s.setFlash(r, sec.Title+" saved.")
		http.Redirect(w, r, "/dialplan/"+sec.Key+"?json=1", http.StatusSeeOther)
		return
	}
	b, err := s.dialPlanView(r, sec.Key)
	if err != nil {
		s.renderServiceError(w, r, "dial plan", err)
		return
	}
	b.Current.JSON = text
	b.Current.Errors = herr.fields
	if herr.fields == nil {
		b.Current.Errors = []FieldError{{Field: sec.Key, Message: herr.msg}}
	}
	s.render(w, r, herr.status, "dialplan", pageData{Title: "Dial plan: " + sec.Title, Active: "dialplan",
		Error: sec.Title + " were not saved; see the problems beside the editor.", Body: b})
}
