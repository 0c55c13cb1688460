// Package webhook tells other software of calls: it POSTs a signed JSON
// document to each configured endpoint (store.Webhooks) when a call rings
// someone, is answered and has ended (with its record). Calls never wait
// for it: the exchange hands an event over without blocking (Notify), a
// goroutine of the sender writes it into the database's webhook queue,
// and another delivers the queue, each endpoint's deliveries in order,
// retrying with growing pauses an endpoint that is down. The queue is
// bounded (store.MaxWebhookQueue), so nothing an endpoint does can fill
// the box.
//
// Every request is signed: X-Minipbx-Timestamp is the Unix time of the
// attempt and X-Minipbx-Signature is "v1=" and the hex HMAC-SHA256, keyed
// with the endpoint's secret, of the timestamp, ".", and the body. Verify
// checks one (config.md, "webhooks", says the same for receivers in
// other languages).
//
// It lives beside the box's wiring, as the mailer does: the exchange
// knows nothing of HTTP.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"minipbx/internal/outbox"
	"minipbx/telephony"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// Headers of a delivery.
const (
	HeaderEvent     = "X-Minipbx-Event"
	HeaderDelivery  = "X-Minipbx-Delivery"
	HeaderTimestamp = "X-Minipbx-Timestamp"
	HeaderSignature = "X-Minipbx-Signature"
)

// Retries and bounds.
const (
	// RetryMin is the first pause after a failed attempt; it doubles up
	// to RetryMax.
	RetryMin = 10 * time.Second
	RetryMax = time.Hour
	// A delivery is given up after MaxAttempts tries or once MaxAge old.
	MaxAttempts = 20
	MaxAge      = 24 * time.Hour
	// Timeout bounds one attempt (connection, request and answer).
	Timeout = 10 * time.Second
	// inbox is how many events may wait to be queued; beyond it (the
	// database stalls) an event is dropped and logged rather than a
	// call held up.
	inbox = 256
	// maxAnswer is how much of an endpoint's answer is read (for the
	// error shown on the settings page).
	maxAnswer = 512
)

// Queue is the webhook queue of the database (telephony/store.DB).
type Queue interface {
	EnqueueWebhooks(ds []store.WebhookDelivery) (queued, dropped []store.WebhookDelivery, err error)
	WebhookQueue() ([]store.WebhookDelivery, error)
	WebhookAttempted(id uint64, next time.Time, lastErr string) error
	WebhookDone(id uint64) error
}

// Options configure a Sender.
type Options struct {
	Queue  Queue
	Logger *slog.Logger
	Now    func() time.Time
	// RootCAs check the endpoints' certificates (nil: the system's;
	// tests give their own).
	RootCAs *x509.CertPool
	// Retry is the first pause after a failure (0: RetryMin); Timeout
	// bounds one attempt (0: Timeout).
	Retry, Timeout time.Duration
}

// EndpointStatus is one endpoint's delivery state, for the settings page.
type EndpointStatus struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Disabled bool   `json:"disabled,omitempty"`
	// Queued are the deliveries waiting for it; Delivered those it took
	// since the box started, Dropped those given up or pushed out of a
	// full queue.
	Queued    int    `json:"queued"`
	Delivered uint64 `json:"delivered"`
	Dropped   uint64 `json:"dropped"`
	// LastSuccess is when it last took a delivery; LastError what went
	// wrong last (its answer, or the connection's error) and when; Next
	// when the next try is due.
	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
	Next          time.Time `json:"next,omitzero"`
}

// Sender delivers call events to the webhook endpoints. Create it with
// New, give it the configuration with Configure and events with Notify;
// Run delivers until its context ends.
type Sender struct {
	o      Options
	log    *slog.Logger
	client *http.Client
	in     chan telephony.CallEvent
	wake   chan struct{}

	mu    sync.Mutex
	cfg   store.Webhooks
	stats map[string]*EndpointStatus
}

// New makes a sender.
func New(o Options) (*Sender, error) {
	if o.Queue == nil {
		return nil, errors.New("webhook: a queue is needed")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Retry <= 0 {
		o.Retry = RetryMin
	}
	if o.Timeout <= 0 {
		o.Timeout = Timeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12}
	tr.MaxIdleConnsPerHost = 2
	client := &http.Client{Transport: tr, Timeout: o.Timeout,
		// A redirect is an answer other than 2xx: the body is never
		// sent on to where a receiver points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Sender{o: o, log: o.Logger, client: client, in: make(chan telephony.CallEvent, inbox), wake: make(chan struct{}, 1),
		stats: map[string]*EndpointStatus{}}, nil
}

// Configure takes the webhooks of the configuration in use.
func (s *Sender) Configure(w store.Webhooks) {
	s.mu.Lock()
	s.cfg = w
	s.mu.Unlock()
	s.poke()
}

func (s *Sender) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Sender) endpoints() []store.WebhookEndpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Endpoints
}

// stat is the endpoint's status record (s.mu held).
func (s *Sender) stat(name string) *EndpointStatus {
	st := s.stats[name]
	if st == nil {
		st = &EndpointStatus{Name: name}
		s.stats[name] = st
	}
	return st
}

// Notify hands a call event over for delivery. It never blocks: the
// exchange calls it from inside calls (telephony.Options.CallEvents).
func (s *Sender) Notify(ev telephony.CallEvent) {
	for _, e := range s.endpoints() {
		if e.Wants(ev.Kind) {
			select {
			case s.in <- ev:
			default:
				s.log.Warn("webhook: too many events waiting; one is dropped", "event", ev.Kind, "call", ev.CallID)
			}
			return
		}
	}
}

// Body is the JSON document of a call event.
type Body struct {
	Event  string            `json:"event"`
	Time   time.Time         `json:"time"`
	Call   Call              `json:"call"`
	Record *store.CallRecord `json:"record,omitempty"`
}

// Call is what a body says of the call.
type Call struct {
	ID      string           `json:"id"`
	Caller  channel.CallerID `json:"caller"`
	Callee  string           `json:"callee,omitempty"`
	From    string           `json:"from,omitempty"`
	To      string           `json:"to,omitempty"`
	Ringing []string         `json:"ringing,omitempty"`
	Origin  string           `json:"origin,omitempty"`
	DISA    string           `json:"disa,omitempty"`
}

// body encodes ev.
func body(ev telephony.CallEvent) ([]byte, error) {
	return json.Marshal(Body{Event: ev.Kind, Time: ev.Time.UTC(), Record: ev.Record, Call: Call{ID: ev.CallID, Caller: ev.Caller,
		Callee: ev.Callee, From: ev.From, To: ev.To, Ringing: ev.Ringing, Origin: ev.Origin, DISA: ev.DISA}})
}

// Run queues the events Notify hands over and delivers the queue, at
// once when something is queued and otherwise when the next retry is
// due, until ctx ends.
func (s *Sender) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.queueEvents(ctx)
	}()
	defer wg.Wait()
	outbox.Run(ctx, s.wake, s.o.Now, s.sendDue)
	return nil
}

// queueEvents writes the events handed over into the queue, as many as
// are waiting in one transaction.
func (s *Sender) queueEvents(ctx context.Context) {
	for {
		var evs []telephony.CallEvent
		select {
		case <-ctx.Done():
			return
		case ev := <-s.in:
			evs = append(evs, ev)
		}
		for more := true; more && len(evs) < inbox; {
			select {
			case ev := <-s.in:
				evs = append(evs, ev)
			default:
				more = false
			}
		}
		var ds []store.WebhookDelivery
		for _, ev := range evs {
			b, err := body(ev)
			if err != nil {
				s.log.Error("webhook: an event cannot be encoded", "event", ev.Kind, "err", err)
				continue
			}
			for _, e := range s.endpoints() {
				if e.Wants(ev.Kind) {
					ds = append(ds, store.WebhookDelivery{Endpoint: e.Name, Event: ev.Kind, Body: b})
				}
			}
		}
		if len(ds) == 0 {
			continue
		}
		_, dropped, err := s.o.Queue.EnqueueWebhooks(ds)
		if err != nil {
			s.log.Error("webhook: events not queued", "events", len(ds), "err", err)
			continue
		}
		for _, d := range dropped {
			s.dropped(d, "the queue is full: the oldest delivery is dropped")
		}
		s.poke()
	}
}

// dropped notes a delivery given up.
func (s *Sender) dropped(d store.WebhookDelivery, why string) {
	s.log.Warn("webhook: "+why, "endpoint", d.Endpoint, "event", d.Event, "delivery", d.ID, "attempts", d.Attempts)
	s.mu.Lock()
	s.stat(d.Endpoint).Dropped++
	s.mu.Unlock()
}

// sendDue tries the deliveries that are due, each endpoint's in order
// (after one fails, the endpoint's later ones wait for its retry), and
// returns when the next retry is (zero: nothing waits).
func (s *Sender) sendDue(ctx context.Context) time.Time {
	q, err := s.o.Queue.WebhookQueue()
	if err != nil {
		s.log.Error("webhook: the queue cannot be read", "err", err)
		return s.o.Now().Add(s.o.Retry)
	}
	eps := map[string]store.WebhookEndpoint{}
	for _, e := range s.endpoints() {
		eps[e.Name] = e
	}
	held := map[string]time.Time{} // endpoints that failed this round: until when
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, d := range q {
		if ctx.Err() != nil {
			return time.Time{}
		}
		now := s.o.Now()
		e, ok := eps[d.Endpoint]
		switch {
		case !ok:
			s.done(d)
			s.dropped(d, "a delivery's endpoint was removed; it is dropped")
			continue
		case d.Attempts >= MaxAttempts || now.Sub(d.Created) > MaxAge:
			s.done(d)
			s.dropped(d, "a delivery is given up")
			continue
		case e.Disabled:
			continue
		}
		if until, failed := held[d.Endpoint]; failed {
			later(until)
			continue
		}
		if d.Next.After(now) {
			held[d.Endpoint] = d.Next
			later(d.Next)
			continue
		}
		err := s.post(ctx, e, d.Event, d.ID, d.Body)
		if err == nil {
			s.done(d)
			continue
		}
		pause := outbox.Backoff(s.o.Retry, RetryMax, d.Attempts)
		at := now.Add(pause)
		s.log.Warn("webhook: not delivered; will try again", "endpoint", e.Name, "event", d.Event, "delivery", d.ID,
			"attempt", d.Attempts+1, "retry_in", pause, "err", err)
		if err := s.o.Queue.WebhookAttempted(d.ID, at, err.Error()); err != nil {
			s.log.Error("webhook: queue", "err", err)
		}
		held[d.Endpoint] = at
		s.mu.Lock()
		s.stat(e.Name).Next = at
		s.mu.Unlock()
		later(at)
	}
	return next
}

func (s *Sender) done(d store.WebhookDelivery) {
	if err := s.o.Queue.WebhookDone(d.ID); err != nil {
		s.log.Error("webhook: queue", "err", err)
	}
}

// post sends one request and records how it went.
func (s *Sender) post(ctx context.Context, e store.WebhookEndpoint, event string, id uint64, b []byte) error {
	err := s.do(ctx, e, event, id, b)
	now := s.o.Now()
	s.mu.Lock()
	st := s.stat(e.Name)
	if err != nil {
		st.LastError, st.LastErrorTime = err.Error(), now
	} else {
		st.LastSuccess, st.Next = now, time.Time{}
		if event != store.WebhookTest {
			st.Delivered++
		}
	}
	s.mu.Unlock()
	return err
}

// do makes one signed request; any answer but 2xx is an error that
// says it.
func (s *Sender) do(ctx context.Context, e store.WebhookEndpoint, event string, id uint64, b []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	ts := s.o.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "minipbx-webhook/1")
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderDelivery, strconv.FormatUint(id, 10))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(e.Secret, ts, b))
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection can be reused
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the endpoint answered %s: %s", resp.Status, bytes.TrimSpace(answer))
	}
	return nil
}

// SendTest sends a test event to the configured endpoint name at once
// (not queued) and returns what went wrong: the settings page's button.
func (s *Sender) SendTest(ctx context.Context, name string) error {
	for _, e := range s.endpoints() {
		if e.Name != name {
			continue
		}
		b, err := json.Marshal(Body{Event: store.WebhookTest, Time: s.o.Now().UTC(), Call: Call{ID: "test"}})
		if err != nil {
			return err
		}
		err = s.post(ctx, e, store.WebhookTest, 0, b)
		if err != nil {
			s.log.Warn("webhook: the test event was not delivered", "endpoint", name, "err", err)
		}
		return err
	}
	return fmt.Errorf("webhook endpoint %q: %w", name, store.ErrNotFound)
}

// Status is every configured endpoint's delivery state, in the
// configuration's order.
func (s *Sender) Status() []EndpointStatus {
	q, _ := s.o.Queue.WebhookQueue()
	queued := map[string]int{}
	for _, d := range q {
		queued[d.Endpoint]++
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []EndpointStatus{}
	for _, e := range s.cfg.Endpoints {
		st := *s.stat(e.Name)
		st.URL, st.Disabled, st.Queued = e.URL, e.Disabled, queued[e.Name]
		out = append(out, st)
	}
	return out
}

// Sign is the signature header's value for body sent at Unix time ts
// with secret: "v1=" and the hex HMAC-SHA256 of "TS.BODY".
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// MaxSkew is how far a request's timestamp may be from the receiver's
// clock for Verify.
const MaxSkew = 5 * time.Minute

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("webhook: no signature or timestamp")
	ErrBadSignature = errors.New("webhook: the signature does not match")
	ErrStale        = errors.New("webhook: the timestamp is too far from now")
)

// Verify checks a delivery as a receiver should: the signature over the
// timestamp and body with secret (in constant time), and the timestamp
// within MaxSkew of now.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	tsText, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if tsText == "" || sig == "" {
		return ErrNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(sig)) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	return nil
}
