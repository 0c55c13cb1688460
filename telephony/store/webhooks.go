package store

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"minipbx/telephony/dialplan"
)

// Webhooks is the webhooks section (config.md, "webhooks"): HTTP
// endpoints of other software (a CRM, a help desk) told of calls as they
// ring, are answered and end. Each request is signed with the endpoint's
// secret; deliveries wait in a queue in the database and are retried
// until the endpoint takes them, so an endpoint that is down never holds
// up a call.
type Webhooks struct {
	Endpoints []WebhookEndpoint `json:"endpoints,omitempty"`
}

// WebhookEndpoint is one receiver of call events.
type WebhookEndpoint struct {
	// Name identifies the endpoint (in the delivery state and the log).
	Name string `json:"name"`
	// URL is where events are POSTed: http or https, no user name or
	// password in it.
	URL string `json:"url"`
	// Secret signs every request (HMAC-SHA256); 16 to 128 printable
	// characters. The API and the web UI never show it.
	Secret string `json:"secret"`
	// Events are the events sent: ringing, answered, ended (empty: all).
	Events []string `json:"events,omitempty"`
	// Disabled stops deliveries to it (those queued wait).
	Disabled bool `json:"disabled,omitempty"`
}

// Webhook events.
const (
	WebhookRinging  = "ringing"
	WebhookAnswered = "answered"
	WebhookEnded    = "ended"
	// WebhookTest is the event of a test delivery (the settings page's
	// button); it cannot be chosen in Events.
	WebhookTest = "test"
)

// WebhookEvents lists the events an endpoint may choose.
func WebhookEvents() []string { return []string{WebhookRinging, WebhookAnswered, WebhookEnded} }

// Wants reports whether the endpoint takes event.
func (e WebhookEndpoint) Wants(event string) bool {
	return !e.Disabled && (len(e.Events) == 0 || slices.Contains(e.Events, event))
}

// Bounds of the webhooks section.
const (
	MaxWebhookEndpoints = 10
	MinWebhookSecretLen = 16
	MaxWebhookSecretLen = 128
	maxWebhookURLLen    = 512
)

// entityWebhooks is the validation entity of the webhooks section.
const entityWebhooks = "webhooks"

// CheckWebhookURL says what is wrong with u as a webhook endpoint's URL
// ("" when it is acceptable).
func CheckWebhookURL(u string) string {
	if u == "" {
		return "is required"
	}
	if len(u) > maxWebhookURLLen || strings.ContainsFunc(u, isControl) {
		return fmt.Sprintf("must be a URL of at most %d characters", maxWebhookURLLen)
	}
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a URL", u)
	case p.Scheme != "http" && p.Scheme != "https":
		return "must start with https:// (or http:// for a receiver on the office network)"
	case p.User != nil:
		return "must not carry a user name or password (the secret signs the requests)"
	case p.Host == "" || !validHost(p.Hostname()):
		return "must name a host: https://crm.example.com/hooks/pbx"
	case p.Fragment != "":
		return "must not have a #fragment"
	}
	return ""
}

// checkWebhooks validates the webhooks section.
func checkWebhooks(w Webhooks, add func(entity, prefix, field, format string, args ...any)) {
	a := func(field, format string, args ...any) { add(entityWebhooks, "webhooks.", field, format, args...) }
	if len(w.Endpoints) > MaxWebhookEndpoints {
		a("endpoints", "at most %d endpoints", MaxWebhookEndpoints)
	}
	seen := map[string]bool{}
	for i, e := range w.Endpoints {
		p := fmt.Sprintf("endpoints[%d].", i)
		if err := dialplan.CheckName(e.Name); err != nil {
			a(p+"name", "%v", err)
		} else if seen[e.Name] {
			a(p+"name", "%q is used twice", e.Name)
		}
		seen[e.Name] = true
		if m := CheckWebhookURL(e.URL); m != "" {
			a(p+"url", "%s", m)
		}
		switch {
		case len(e.Secret) < MinWebhookSecretLen || len(e.Secret) > MaxWebhookSecretLen:
			a(p+"secret", "must be %d to %d characters (a long random string the receiver also knows)", MinWebhookSecretLen, MaxWebhookSecretLen)
		case strings.ContainsFunc(e.Secret, func(r rune) bool { return r <= ' ' || r > '~' }):
			a(p+"secret", "must be printable ASCII without spaces")
		}
		for j, ev := range e.Events {
			if !slices.Contains(WebhookEvents(), ev) {
				a(fmt.Sprintf("%sevents[%d]", p, j), "%q is not one of %s", ev, strings.Join(WebhookEvents(), ", "))
			} else if slices.Index(e.Events, ev) != j {
				a(fmt.Sprintf("%sevents[%d]", p, j), "%s is listed twice", ev)
			}
		}
	}
}

// Validate checks the section on its own (what UpdateWebhooks checks), a
// *ValidationError naming each problem relative to it.
func (w Webhooks) Validate() error {
	v := &ValidationError{}
	checkWebhooks(w, func(_, _, field, format string, args ...any) { v.add(field, format, args...) })
	return v.err()
}

// Webhooks returns the webhooks section.
func (db *DB) Webhooks() (Webhooks, error) {
	c, err := db.Config()
	return c.Webhooks, err
}

// UpdateWebhooks replaces the webhooks section (errors relative to it:
// "endpoints[0].url").
func (db *DB) UpdateWebhooks(w Webhooks) (Webhooks, error) {
	c, err := db.change(entityWebhooks, func(c *Config) error {
		c.Webhooks = w
		return nil
	})
	return c.Webhooks, err
}

// The webhook queue: every delivery waits here, its body as it will be
// signed and sent, until its endpoint takes it (a 2xx answer) or it is
// given up.
const (
	bucketWebhookQueue = "webhook_queue" // ID → WebhookDelivery
	// MaxWebhookQueue bounds the queue; beyond it the oldest delivery
	// is dropped (and logged), so an endpoint that is down for days
	// cannot fill the box's storage.
	MaxWebhookQueue = 1000
)

// webhookQueue is the webhook queue's bucket and kind.
func webhookQueue() queue { return queue{bucketWebhookQueue, "webhook"} }

// WebhookDelivery is one queued request.
type WebhookDelivery struct {
	ID uint64 `json:"id"`
	// Endpoint names the endpoint it goes to.
	Endpoint string `json:"endpoint"`
	Event    string `json:"event"`
	// Body is the JSON document sent, byte for byte (the signature
	// covers these bytes).
	Body     json.RawMessage `json:"body"`
	Created  time.Time       `json:"created"`
	Attempts int             `json:"attempts"`
	// Next is when to try again (zero: now).
	Next      time.Time `json:"next,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// EnqueueWebhooks queues ds in one transaction (each given its ID) and
// returns the oldest deliveries dropped beyond MaxWebhookQueue.
func (db *DB) EnqueueWebhooks(ds []WebhookDelivery) (queued, dropped []WebhookDelivery, err error) {
	if db.readOnly {
		return nil, nil, ErrReadOnly
	}
	now := db.now()
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		queued, dropped = queued[:0], dropped[:0]
		for _, d := range ds {
			if d.Created.IsZero() {
				d.Created = now
			}
			gone, err := queuePut(tx, db.schema, webhookQueue(), MaxWebhookQueue, &d, func(d *WebhookDelivery, id uint64) { d.ID = id })
			if err != nil {
				return err
			}
			queued, dropped = append(queued, d), append(dropped, gone...)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: queue webhooks: %w", err)
	}
	return queued, dropped, nil
}

// WebhookQueue returns the queued deliveries, oldest first.
func (db *DB) WebhookQueue() ([]WebhookDelivery, error) {
	return queueList[WebhookDelivery](db, webhookQueue())
}

// WebhookAttempted records a failed attempt: what went wrong and when to
// try again.
func (db *DB) WebhookAttempted(id uint64, next time.Time, lastErr string) error {
	return queueUpdate(db, webhookQueue(), id, func(d *WebhookDelivery) {
		d.Attempts++
		d.Next, d.LastError = next, cleanText(lastErr)
	})
}

// WebhookDone removes a delivery its endpoint took (or that is given up).
func (db *DB) WebhookDone(id uint64) error { return queueDelete(db, webhookQueue(), id) }
