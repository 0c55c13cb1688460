package webui

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"minipbx/telephony/provision"
	"minipbx/telephony/store"
)

// The Phones page and its API: the IP phones the box has heard from (by
// plug-and-play or a provisioning request) and those it provisions, with
// "provision as extension N", re-issuing a phone's link and removing it;
// which template is in force for each brand; and the switch that lets old
// phones fetch their files over plain HTTP. The phones' own requests
// (/provision/TOKEN/FILE) reach Provisioning's handler outside the
// session middleware: the token in the URL is their credential.

// Provisioning is phone auto-provisioning (*provision.Service; nil: the
// page says the box does not provision phones).
type Provisioning interface {
	// ServeHTTP serves the phones' files under provision.PathPrefix.
	http.Handler
	Overview() (provision.Overview, error)
	Assign(a provision.Assignment) (store.Phone, error)
	Reissue(mac string) (store.Phone, error)
	Remove(mac string) error
	SetAllowPlainHTTP(allow bool) error
}

var errNoProvisioning = errorf(http.StatusServiceUnavailable, "This box does not provision phones.")

// phonesBody is the Phones page.
type phonesBody struct {
	O      provision.Overview
	Brands []provision.Brand
	Loc    *time.Location
	Now    time.Time
	// Errors are the problems of the last submission; Add keeps what it
	// asked (mac, extension, template).
	Errors []string
	Add    map[string]string
}

func (s *Server) phonesPage(w http.ResponseWriter, r *http.Request) {
	s.renderPhones(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderPhones(w http.ResponseWriter, r *http.Request, status int, errs []string, add map[string]string) {
	if s.prov == nil {
		s.renderError(w, r, errNoProvisioning.status, errNoProvisioning.msg)
		return
	}
	o, err := s.prov.Overview()
	if err != nil {
		s.renderServiceError(w, r, "phones", err)
		return
	}
	if add == nil {
		add = map[string]string{}
	}
	b := phonesBody{O: o, Brands: provision.Brands(), Loc: s.location(r.Context()), Now: s.now(), Errors: errs, Add: add}
	s.render(w, r, status, "phones", pageData{Title: "Phones", Active: "phones", Body: b})
}

// phoneProvisionSubmit is "provision as extension N" (mac, extension,
// template: "" for the brand the phone was seen as).
func (s *Server) phoneProvisionSubmit(w http.ResponseWriter, r *http.Request) {
	if s.prov == nil {
		s.renderError(w, r, errNoProvisioning.status, errNoProvisioning.msg)
		return
	}
	v := r.PostForm
	a := provision.Assignment{MAC: v.Get("mac"), Extension: v.Get("extension"), Template: v.Get("template")}
	p, err := s.prov.Assign(a)
	if err != nil {
		herr := s.serviceError("provision the phone", err)
		msgs := []string{herr.msg}
		if len(herr.fields) > 0 {
			msgs = nil
			for _, f := range herr.fields {
				msgs = append(msgs, f.Field+": "+sentence(f.Message))
			}
		}
		s.renderPhones(w, r, herr.status, msgs, map[string]string{"mac": a.MAC, "extension": a.Extension, "template": a.Template})
		return
	}
	s.setFlash(r, fmt.Sprintf("Phone %s is provisioned as extension %s. Restart it (or give it its URL) to have it fetch its file.", p.MAC, p.Extension))
	http.Redirect(w, r, "/phones#phone-"+p.MAC, http.StatusSeeOther)
}

func (s *Server) phoneReissueSubmit(w http.ResponseWriter, r *http.Request) {
	s.phoneAction(w, r, func(mac string) (string, error) {
		p, err := s.prov.Reissue(mac)
		return fmt.Sprintf("Phone %s has a new link; the old one no longer works.", p.MAC), err
	})
}

func (s *Server) phoneRemoveSubmit(w http.ResponseWriter, r *http.Request) {
	s.phoneAction(w, r, func(mac string) (string, error) {
		return fmt.Sprintf("Phone %s is no longer provisioned; its link no longer works.", mac), s.prov.Remove(mac)
	})
}

// phoneAction runs a change to the phone the path names and goes back to
// the page.
func (s *Server) phoneAction(w http.ResponseWriter, r *http.Request, do func(mac string) (string, error)) {
	if s.prov == nil {
		s.renderError(w, r, errNoProvisioning.status, errNoProvisioning.msg)
		return
	}
	mac, ok := store.CanonicalMAC(r.PathValue("mac"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "There is no such phone.")
		return
	}
	msg, err := do(mac)
	if err != nil {
		s.renderServiceError(w, r, "phone "+mac, err)
		return
	}
	s.setFlash(r, msg)
	http.Redirect(w, r, "/phones", http.StatusSeeOther)
}

func (s *Server) phonesSettingsSubmit(w http.ResponseWriter, r *http.Request) {
	if s.prov == nil {
		s.renderError(w, r, errNoProvisioning.status, errNoProvisioning.msg)
		return
	}
	allow := r.PostForm.Get("allow_plain_http") == "on"
	if err := s.prov.SetAllowPlainHTTP(allow); err != nil {
		s.renderServiceError(w, r, "provisioning settings", err)
		return
	}
	msg := "Phones fetch their files over HTTPS only."
	if allow {
		msg = "Phones may now fetch their files over plain HTTP: their SIP passwords cross the network readable."
	}
	s.setFlash(r, msg)
	http.Redirect(w, r, "/phones", http.StatusSeeOther)
}

// --- API ----------------------------------------------------------------------

// phoneJSON is one phone of GET /api/v1/phones.
type phoneJSON struct {
	MAC         string       `json:"mac"`
	Brand       string       `json:"brand,omitempty"`
	Seen        *seenJSON    `json:"seen,omitempty"`
	Provisioned *store.Phone `json:"provisioned,omitempty"`
	URL         string       `json:"url,omitempty"`
	PlainURL    string       `json:"plain_url,omitempty"`
	Discovery   string       `json:"discovery,omitempty"`
}

// seenJSON is what a phone said when last heard.
type seenJSON struct {
	Vendor    string    `json:"vendor,omitempty"`
	Model     string    `json:"model,omitempty"`
	Firmware  string    `json:"firmware,omitempty"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent,omitempty"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	How       string    `json:"how"`
	Result    string    `json:"result"`
}

// templateJSON is one brand's template.
type templateJSON struct {
	Template string `json:"template"`
	Name     string `json:"name"`
	Models   string `json:"models"`
	Request  string `json:"request"`
	Override string `json:"override,omitempty"`
	InForce  string `json:"in_force"`
	Error    string `json:"error,omitempty"`
}

// phonesJSON is GET /api/v1/phones.
type phonesJSON struct {
	AllowPlainHTTP bool           `json:"allow_plain_http"`
	Discovery      string         `json:"discovery,omitempty"`
	Phones         []phoneJSON    `json:"phones"`
	Templates      []templateJSON `json:"templates"`
}

func phonesOut(o provision.Overview) phonesJSON {
	out := phonesJSON{AllowPlainHTTP: o.AllowPlainHTTP, Discovery: o.Discovery, Phones: []phoneJSON{}, Templates: []templateJSON{}}
	for _, v := range o.Phones {
		p := phoneJSON{MAC: v.MAC, Brand: v.Brand, Provisioned: v.Phone, URL: v.URL, PlainURL: v.PlainURL, Discovery: v.Discovery}
		if sn := v.Seen; sn != nil {
			p.Seen = &seenJSON{Vendor: sn.Vendor, Model: sn.Model, Firmware: sn.Firmware, IP: sn.IP.String(), UserAgent: sn.UserAgent,
				First: sn.First, Last: sn.Last, How: sn.How, Result: sn.Result}
		}
		out.Phones = append(out.Phones, p)
	}
	for _, t := range o.Templates {
		tj := templateJSON{Template: t.Brand.Key, Name: t.Brand.Name, Models: t.Brand.Models, Request: t.Brand.Request,
			Override: t.Override, InForce: "built-in", Error: t.Error}
		if t.InForce {
			tj.InForce = "override"
		}
		out.Templates = append(out.Templates, tj)
	}
	return out
}

func (s *Server) apiPhones(w http.ResponseWriter, r *http.Request) {
	if s.prov == nil {
		writeError(w, errNoProvisioning)
		return
	}
	o, err := s.prov.Overview()
	if err != nil {
		writeError(w, s.serviceError("phones", err))
		return
	}
	writeJSON(w, http.StatusOK, phonesOut(o))
}

// apiProvisionPhone is PUT /api/v1/phones/{mac}: provision (or change) a
// phone.
func (s *Server) apiProvisionPhone(w http.ResponseWriter, r *http.Request) {
	if s.prov == nil {
		writeError(w, errNoProvisioning)
		return
	}
	var body struct {
		Extension string   `json:"extension"`
		Template  string   `json:"template"`
		Keys      []string `json:"keys"`
	}
	if herr := readJSON(w, r, maxBody, &body); herr != nil {
		writeError(w, herr)
		return
	}
	p, err := s.prov.Assign(provision.Assignment{MAC: r.PathValue("mac"), Extension: body.Extension, Template: body.Template, Keys: body.Keys})
	if err != nil {
		writeError(w, s.serviceError("provision the phone", err))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// apiReissuePhone is POST /api/v1/phones/{mac}/token: a new link.
func (s *Server) apiReissuePhone(w http.ResponseWriter, r *http.Request) {
	s.apiPhoneChange(w, r, func(mac string) (any, error) { return s.prov.Reissue(mac) })
}

// apiRemovePhone is DELETE /api/v1/phones/{mac}.
func (s *Server) apiRemovePhone(w http.ResponseWriter, r *http.Request) {
	s.apiPhoneChange(w, r, func(mac string) (any, error) { return nil, s.prov.Remove(mac) })
}

func (s *Server) apiPhoneChange(w http.ResponseWriter, r *http.Request, do func(mac string) (any, error)) {
	if s.prov == nil {
		writeError(w, errNoProvisioning)
		return
	}
	mac, ok := store.CanonicalMAC(r.PathValue("mac"))
	if !ok {
		writeError(w, errorf(http.StatusNotFound, "No phone %q: a phone is named by its MAC address.", r.PathValue("mac")))
		return
	}
	out, err := do(mac)
	switch {
	case err != nil:
		writeError(w, s.serviceError("phone "+mac, err))
	case out == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

// apiProvisioningSettings is PUT /api/v1/provisioning/settings.
func (s *Server) apiProvisioningSettings(w http.ResponseWriter, r *http.Request) {
	if s.prov == nil {
		writeError(w, errNoProvisioning)
		return
	}
	var body struct {
		AllowPlainHTTP *bool `json:"allow_plain_http"`
	}
	if herr := readJSON(w, r, maxBody, &body); herr != nil {
		writeError(w, herr)
		return
	}
	if body.AllowPlainHTTP == nil {
		writeError(w, &httpError{status: http.StatusUnprocessableEntity, msg: "The input is not valid; see the fields.",
			fields: []FieldError{{Field: "allow_plain_http", Message: "is required (true or false)"}}})
		return
	}
	if err := s.prov.SetAllowPlainHTTP(*body.AllowPlainHTTP); err != nil {
		writeError(w, s.serviceError("provisioning settings", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"allow_plain_http": *body.AllowPlainHTTP})
}

// provisionHandler serves the phones' files, or the one 404 when the box
// does not provision phones.
func (s *Server) provisionHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.prov == nil {
			http.NotFound(w, r)
			return
		}
		s.prov.ServeHTTP(w, r)
	})
}

// plainHandler is the plain-HTTP port: the phones' files (refused there
// unless the installer allowed it, which the handler checks), and a
// redirect to HTTPS for everything else.
func (s *Server) plainHandler(redirect http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, provision.PathPrefix) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.provisionHandler().ServeHTTP(w, r)
			return
		}
		redirect.ServeHTTP(w, r)
	})
}
