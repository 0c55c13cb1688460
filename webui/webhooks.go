package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipbx/internal/webhook"
	"minipbx/telephony/store"
)

// Webhooks are the endpoints told of calls (config.md, "webhooks"): their
// settings through ConfigService, their delivery state and the test
// button through the box's Webhooks (internal/box implements it; nil:
// the page shows the settings only).

// Webhooks is the state of the box's webhook deliveries.
type Webhooks interface {
	WebhookStatus() []WebhookStatus
	// SendTestWebhook sends a test event to the configured endpoint
	// name at once and returns what went wrong (store.ErrNotFound for
	// an unknown name).
	SendTestWebhook(ctx context.Context, name string) error
}

// WebhookStatus is one endpoint's delivery state.
type WebhookStatus = webhook.EndpointStatus

// webhookJSON is an endpoint as the API shows it: the secret never,
// only whether one is stored.
type webhookJSON struct {
	store.WebhookEndpoint
	SecretSet bool `json:"secret_set"`
}

// webhooksJSON is the webhooks section with the deliveries' state. A PUT
// takes the same shape (secret_set and status are ignored; an empty
// secret keeps the endpoint's stored one).
type webhooksJSON struct {
	Endpoints []webhookJSON   `json:"endpoints"`
	Status    []WebhookStatus `json:"status,omitempty"`
}

func (s *Server) webhooksOut(w store.Webhooks) webhooksJSON {
	out := webhooksJSON{Endpoints: []webhookJSON{}}
	for _, e := range w.Endpoints {
		j := webhookJSON{WebhookEndpoint: e, SecretSet: e.Secret != ""}
		j.Secret = ""
		out.Endpoints = append(out.Endpoints, j)
	}
	if s.hooks != nil {
		out.Status = s.hooks.WebhookStatus()
	}
	return out
}

// keepSecrets gives each endpoint of w without a secret the one stored
// for the same name in old: the page and the API never show secrets.
func keepSecrets(w *store.Webhooks, old store.Webhooks) {
	for i, e := range w.Endpoints {
		if e.Secret != "" {
			continue
		}
		if j := slices.IndexFunc(old.Endpoints, func(o store.WebhookEndpoint) bool { return o.Name == e.Name }); j >= 0 {
			w.Endpoints[i].Secret = old.Endpoints[j].Secret
		}
	}
}

func (s *Server) apiWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.svc.Webhooks(r.Context())
	if err != nil {
		writeError(w, s.serviceError("webhook settings", err))
		return
	}
	writeJSON(w, http.StatusOK, s.webhooksOut(hooks))
}

// apiUpdateWebhooks replaces the webhooks section.
func (s *Server) apiUpdateWebhooks(w http.ResponseWriter, r *http.Request) {
	var in webhooksJSON
	if herr := readJSON(w, r, maxBody, &in); herr != nil {
		writeError(w, herr)
		return
	}
	var hooks store.Webhooks
	for _, e := range in.Endpoints {
		hooks.Endpoints = append(hooks.Endpoints, e.WebhookEndpoint)
	}
	if cur, err := s.svc.Webhooks(r.Context()); err == nil {
		keepSecrets(&hooks, cur)
	}
	out, err := s.svc.UpdateWebhooks(r.Context(), hooks)
	if err != nil {
		writeError(w, s.serviceError("webhook settings", err))
		return
	}
	writeJSON(w, http.StatusOK, s.webhooksOut(out))
}

// apiWebhookTest is POST /api/v1/settings/webhooks/test {"name": NAME}:
// 204, or 502 with what went wrong.
func (s *Server) apiWebhookTest(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if herr := readJSON(w, r, maxBody, &body); herr != nil {
		writeError(w, herr)
		return
	}
	if s.hooks == nil {
		writeError(w, errorf(http.StatusServiceUnavailable, "This box sends no webhooks."))
		return
	}
	err := s.hooks.SendTestWebhook(r.Context(), body.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, errorf(http.StatusNotFound, "No webhook endpoint is named %q.", body.Name))
	case err != nil:
		writeError(w, errorf(http.StatusBadGateway, "The test event was not delivered: %v", err))
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// --- the settings page --------------------------------------------------------------

type webhooksBody struct {
	Form   *form
	Status []WebhookStatus
	Loc    *time.Location
	// Tested names the endpoint the test button was pressed for, with
	// its outcome.
	Tested, TestOK, TestError string
}

// webhookRows is how many empty rows the form offers for new endpoints.
const webhookRows = 1

// webhooksForm is the endpoints, one group of fields each, and an empty
// group to add one; field names are the document's paths.
func webhooksForm(w store.Webhooks) *form {
	f := &form{ID: "webhooks-form", Action: "/settings/webhooks", Submit: "Save webhooks"}
	for j := 0; j < len(w.Endpoints)+webhookRows && j < store.MaxWebhookEndpoints; j++ {
		var e store.WebhookEndpoint
		if j < len(w.Endpoints) {
			e = w.Endpoints[j]
		}
		p := fmt.Sprintf("endpoints[%d].", j)
		label := fmt.Sprintf("Endpoint %d", j+1)
		secret := ""
		if e.Secret != "" {
			secret = "unchanged"
		}
		f.Fields = append(f.Fields,
			&field{ID: "wh-" + strconv.Itoa(j) + "-name", Name: p + "name", Label: label + ": name", Type: "text", Value: e.Name, MaxLength: 32, Autocomplete: "off",
				Help: "A short name, e.g. crm (lower-case letters, digits, - and _). Leave name and URL empty to remove it."},
			&field{ID: "wh-" + strconv.Itoa(j) + "-url", Name: p + "url", Label: label + ": URL", Type: "url", Value: e.URL, MaxLength: 512, Autocomplete: "off",
				Placeholder: "https://crm.example.com/hooks/pbx", Help: "Where the box POSTs the events: https://, or http:// for a receiver on the office network."},
			&field{ID: "wh-" + strconv.Itoa(j) + "-secret", Name: p + "secret", Label: label + ": secret", Type: "password", MaxLength: store.MaxWebhookSecretLen,
				Autocomplete: "new-password", Placeholder: secret,
				Help: fmt.Sprintf("%d to %d characters the receiver also knows: it checks each request's signature with it (see the API document). Leave empty to keep the stored one.", store.MinWebhookSecretLen, store.MaxWebhookSecretLen)})
		for _, ev := range store.WebhookEvents() {
			f.Fields = append(f.Fields, &field{ID: "wh-" + strconv.Itoa(j) + "-" + ev, Name: p + "events." + ev, Label: label + ": " + ev, Type: "checkbox",
				Checked: e.Name == "" || len(e.Events) == 0 || slices.Contains(e.Events, ev), Help: webhookEventHelp[ev]})
		}
		f.Fields = append(f.Fields, &field{ID: "wh-" + strconv.Itoa(j) + "-disabled", Name: p + "disabled", Label: label + ": paused", Type: "checkbox",
			Checked: e.Disabled, Help: "Send nothing for now; what is queued waits."})
	}
	return f
}

var webhookEventHelp = map[string]string{
	store.WebhookRinging:  "When a call rings a phone, group or line (each time it rings someone new).",
	store.WebhookAnswered: "When someone first answers a call.",
	store.WebhookEnded:    "When a call has ended, with its call record.",
}

// parseWebhooksForm reads the rows over the stored section (an empty
// secret keeps the stored one).
func parseWebhooksForm(v url.Values, cur store.Webhooks) store.Webhooks {
	var w store.Webhooks
	for j := 0; j < store.MaxWebhookEndpoints+webhookRows; j++ {
		p := fmt.Sprintf("endpoints[%d].", j)
		if _, ok := v[p+"name"]; !ok {
			break
		}
		e := store.WebhookEndpoint{Name: strings.TrimSpace(v.Get(p + "name")), URL: strings.TrimSpace(v.Get(p + "url")),
			Secret: v.Get(p + "secret"), Disabled: v.Get(p+"disabled") != ""}
		if e.Name == "" && e.URL == "" {
			continue
		}
		for _, ev := range store.WebhookEvents() {
			if v.Get(p+"events."+ev) != "" {
				e.Events = append(e.Events, ev)
			}
		}
		if len(e.Events) == len(store.WebhookEvents()) {
			e.Events = nil // all, as the document writes it
		}
		w.Endpoints = append(w.Endpoints, e)
	}
	keepSecrets(&w, cur)
	return w
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.svc.Webhooks(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "webhook settings", err)
		return
	}
	s.renderWebhooks(w, r, http.StatusOK, webhooksBody{Form: webhooksForm(hooks)})
}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, b webhooksBody) {
	if s.hooks != nil {
		b.Status = s.hooks.WebhookStatus()
	}
	b.Loc = s.location(r.Context())
	s.render(w, r, status, "webhooks", pageData{Title: "Webhooks", Active: "settings", Body: b})
}

func (s *Server) webhooksSubmit(w http.ResponseWriter, r *http.Request) {
	cur, err := s.svc.Webhooks(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "webhook settings", err)
		return
	}
	hooks := parseWebhooksForm(r.PostForm, cur)
	if _, err := s.svc.UpdateWebhooks(r.Context(), hooks); err != nil {
		herr := s.serviceError("webhook settings", err)
		f := webhooksForm(hooks)
		// The rows as typed (an empty row dropped renumbers the rest,
		// as the paths of the errors do), the secrets not shown again.
		for _, fe := range herr.fields {
			if x := f.field(fe.Field); x != nil {
				x.Error = sentence(fe.Message)
			} else if fe.Field != "" {
				f.Errors = append(f.Errors, fe.Field+": "+sentence(fe.Message))
			}
		}
		if len(herr.fields) == 0 {
			f.Errors = append(f.Errors, herr.msg)
		}
		s.renderWebhooks(w, r, herr.status, webhooksBody{Form: f})
		return
	}
	s.setFlash(r, "Webhooks saved.")
	http.Redirect(w, r, "/settings/webhooks", http.StatusSeeOther)
}

func (s *Server) webhookTest(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.svc.Webhooks(r.Context())
	if err != nil {
		s.renderServiceError(w, r, "webhook settings", err)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	b := webhooksBody{Form: webhooksForm(hooks), Tested: name}
	status := http.StatusOK
	switch {
	case s.hooks == nil:
		b.TestError, status = "This box sends no webhooks.", http.StatusServiceUnavailable
	default:
		err := s.hooks.SendTestWebhook(r.Context(), name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			b.TestError, status = fmt.Sprintf("No endpoint is named %q; save it first.", name), http.StatusNotFound
		case err != nil:
			b.TestError, status = sentence(err.Error()), http.StatusBadGateway
		default:
			b.TestOK = "The endpoint " + name + " took the test event."
		}
	}
	s.renderWebhooks(w, r, status, b)
}
