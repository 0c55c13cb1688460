// Package mail is the box's e-mail: voicemail sent to its mailbox's
// owner with the message attached, notices of missed calls, diagnostics
// alarms and call-recording quota warnings. Every message is composed
// when its cause happens, kept in the data directory's mail spool with
// its state in the database's mail queue, and retried with growing
// pauses until the server takes it, so an unreachable server or a power
// cut loses none. The server's own answer to a failure (a wrong
// password: "535 5.7.8 ...") is logged and shown on the settings page.
//
// It lives beside the box's wiring rather than in telephony: it is told
// of the exchange's events by the wiring (a voicemail store's change, a
// stored call record, the diagnostics' alarm) and acts on nothing of
// the exchange's but the voicemail messages it sends.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"minipbx/internal/atomicfile"
	"minipbx/internal/outbox"
	"minipbx/telephony/store"
)

// Queue is the mail queue of the database (telephony/store.DB).
type Queue interface {
	EnqueueMail(e store.MailEntry, key string) (store.MailEntry, bool, []store.MailEntry, error)
	MailQueue() ([]store.MailEntry, error)
	MailAttempted(id uint64, next time.Time, lastErr string) error
	MailDone(id uint64) error
}

// Options configure a Mailer.
type Options struct {
	Queue Queue
	// Spool is the directory of the queued messages (the data
	// directory's layout: datadir.Layout.MailSpool).
	Spool string
	// Voicemail opens and deletes the messages it mails (nil: no
	// voicemail by e-mail).
	Voicemail Voicemail
	Logger    *slog.Logger
	Now       func() time.Time
	// RootCAs check the server's certificate (nil: the system's; tests
	// give their own).
	RootCAs *x509.CertPool
	// Retry is the first pause after a failure (0: RetryMin); it
	// doubles up to RetryMax.
	Retry time.Duration
}

// Retries.
const (
	RetryMin = 30 * time.Second
	RetryMax = time.Hour
	// givingUp: a message the server refuses for good is dropped after
	// this many tries.
	givingUp = 10
)

// Status is what the settings page shows.
type Status struct {
	Queued int `json:"queued"`
	// LastError is the last failure (the server's answer) and when;
	// LastSent when a message was last accepted.
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
	LastSent      time.Time `json:"last_sent,omitzero"`
}

// Mailer composes, queues and sends. Create it with New; Run sends
// until its context ends.
type Mailer struct {
	o    Options
	log  *slog.Logger
	wake chan struct{}

	mu     sync.Mutex
	cfg    store.Mail
	name   string // the box's name, for subjects
	lang   string // the box's language (System.Language), for the test message
	status Status
}

// New makes a mailer; call Configure before anything is sent.
func New(o Options) (*Mailer, error) {
	if o.Queue == nil || o.Spool == "" {
		return nil, errors.New("mail: a queue and a spool directory are needed")
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
	if err := os.MkdirAll(o.Spool, 0o700); err != nil {
		return nil, fmt.Errorf("mail: spool: %w", err)
	}
	return &Mailer{o: o, log: o.Logger, wake: make(chan struct{}, 1)}, nil
}

// Configure takes the configuration in use: the mail settings and the
// box's name.
func (m *Mailer) Configure(c *store.Config) {
	m.mu.Lock()
	m.cfg = c.Mail
	m.name = c.System.Name
	m.lang = c.System.Language
	m.mu.Unlock()
	m.poke()
}

func (m *Mailer) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Mailer) settings() (store.Mail, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg, m.name
}

// Status is the queue's state and the server's last answer.
func (m *Mailer) Status() Status {
	q, _ := m.o.Queue.MailQueue()
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.status
	st.Queued = len(q)
	return st
}

// queue composes msg into the spool and queues it; key (when not "")
// keeps the same thing from being mailed twice.
func (m *Mailer) queue(kind, key, after string, msg Message) error {
	cfg, _ := m.settings()
	if !cfg.Enabled() || len(msg.To) == 0 {
		return nil
	}
	msg.From = []string{cfg.From}
	if msg.Date.IsZero() {
		msg.Date = m.o.Now()
	}
	var buf bytes.Buffer
	if err := Compose(&buf, msg, hostOf(cfg.From)); err != nil {
		return err
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	name := msg.Date.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:]) + ".eml"
	path := filepath.Join(m.o.Spool, name)
	if err := atomicfile.Write(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("mail: spool: %w", err)
	}
	e, queued, dropped, err := m.o.Queue.EnqueueMail(store.MailEntry{Kind: kind, To: msg.To, Subject: msg.Subject, File: name, After: after}, key)
	if err != nil || !queued {
		os.Remove(path)
		return err
	}
	for _, d := range dropped {
		m.log.Warn("mail: the queue is full: the oldest message is dropped", "subject", d.Subject, "to", d.To)
		os.Remove(filepath.Join(m.o.Spool, d.File))
	}
	m.log.Info("mail: queued", "id", e.ID, "kind", kind, "to", msg.To, "subject", msg.Subject)
	m.poke()
	return nil
}

func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.Trim(addr[i+1:], "> ")
	}
	return ""
}

// Run sends the queue, at once when something is queued and otherwise
// when the next retry is due, until ctx ends. Spool files no queue entry
// names (a crash between writing one and queuing it) are removed first.
func (m *Mailer) Run(ctx context.Context) error {
	m.cleanSpool()
	outbox.Run(ctx, m.wake, m.o.Now, m.sendDue)
	return nil
}

func (m *Mailer) cleanSpool() {
	q, err := m.o.Queue.MailQueue()
	if err != nil {
		return
	}
	keep := map[string]bool{}
	for _, e := range q {
		keep[e.File] = true
	}
	entries, _ := os.ReadDir(m.o.Spool)
	for _, de := range entries {
		if !keep[de.Name()] && strings.HasSuffix(de.Name(), ".eml") {
			os.Remove(filepath.Join(m.o.Spool, de.Name()))
		}
	}
}

// sendDue tries every message that is due and returns when the next
// retry is (zero: nothing waits).
func (m *Mailer) sendDue(ctx context.Context) time.Time {
	cfg, _ := m.settings()
	q, err := m.o.Queue.MailQueue()
	if err != nil {
		m.log.Error("mail: the queue cannot be read", "err", err)
		return m.o.Now().Add(m.o.Retry)
	}
	var next time.Time
	for _, e := range q {
		if ctx.Err() != nil {
			return time.Time{}
		}
		now := m.o.Now()
		if !cfg.Enabled() {
			return time.Time{} // waits for a server to be set
		}
		if e.Next.After(now) {
			if next.IsZero() || e.Next.Before(next) {
				next = e.Next
			}
			continue
		}
		err := m.sendEntry(ctx, cfg, e)
		if err == nil {
			continue
		}
		m.mu.Lock()
		m.status.LastError, m.status.LastErrorTime = err.Error(), now
		m.mu.Unlock()
		var se *ServerError
		if errors.As(err, &se) && se.Permanent() && e.Attempts+1 >= givingUp {
			m.log.Error("mail: the server refuses this message for good; it is dropped", "id", e.ID, "subject", e.Subject, "to", e.To, "err", err)
			m.done(e)
			continue
		}
		pause := outbox.Backoff(m.o.Retry, RetryMax, e.Attempts)
		m.log.Warn("mail: not sent; will try again", "id", e.ID, "subject", e.Subject, "attempt", e.Attempts+1, "retry_in", pause, "err", err)
		at := now.Add(pause)
		if err := m.o.Queue.MailAttempted(e.ID, at, err.Error()); err != nil {
			m.log.Error("mail: queue", "err", err)
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// sendEntry sends one queued message and, once the server took it,
// forgets it and does what was to follow.
func (m *Mailer) sendEntry(ctx context.Context, cfg store.Mail, e store.MailEntry) error {
	f, err := os.Open(filepath.Join(m.o.Spool, e.File))
	if errors.Is(err, fs.ErrNotExist) {
		m.log.Error("mail: a queued message's file is gone; it is dropped", "id", e.ID, "file", e.File)
		m.done(e)
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := send(ctx, cfg, m.o.RootCAs, cfg.From, e.To, f); err != nil {
		return err
	}
	m.log.Info("mail: sent", "id", e.ID, "kind", e.Kind, "to", e.To)
	m.mu.Lock()
	m.status.LastSent = m.o.Now()
	m.mu.Unlock()
	m.done(e)
	if box, id, ok := strings.Cut(strings.TrimPrefix(e.After, "delete-voicemail:"), "/"); ok && strings.HasPrefix(e.After, "delete-voicemail:") && m.o.Voicemail != nil {
		if err := m.o.Voicemail.Delete(box, id); err != nil {
			m.log.Warn("mail: the mailed voicemail message could not be deleted", "box", box, "id", id, "err", err)
		}
	}
	return nil
}

func (m *Mailer) done(e store.MailEntry) {
	if err := m.o.Queue.MailDone(e.ID); err != nil {
		m.log.Error("mail: queue", "err", err)
		return
	}
	os.Remove(filepath.Join(m.o.Spool, e.File))
}

// SendTest sends a test message to to at once (not queued) and returns
// the server's answer when it fails: the settings page's button.
func (m *Mailer) SendTest(ctx context.Context, cfg store.Mail, to string) error {
	if !cfg.Enabled() {
		return errors.New("no mail server is set")
	}
	if msg := store.AddressProblem(to); msg != "" {
		return fmt.Errorf("the test recipient %s", msg)
	}
	_, name := m.settings()
	m.mu.Lock()
	tx := textsFor(m.lang)
	m.mu.Unlock()
	var buf bytes.Buffer
	err := Compose(&buf, Message{From: []string{cfg.From}, To: []string{to}, Date: m.o.Now(),
		Subject: fmt.Sprintf(tx.testSubject, boxName(name)), Text: fmt.Sprintf(tx.test, boxName(name))},
		hostOf(cfg.From))
	if err != nil {
		return err
	}
	err = send(ctx, cfg, m.o.RootCAs, cfg.From, []string{to}, &buf)
	m.mu.Lock()
	if err != nil {
		m.status.LastError, m.status.LastErrorTime = err.Error(), m.o.Now()
	} else {
		m.status.LastSent = m.o.Now()
	}
	m.mu.Unlock()
	if err != nil {
		m.log.Warn("mail: the test message was not sent", "to", to, "err", err)
	}
	return err
}

func boxName(n string) string {
	if n == "" {
		return "minipbx"
	}
	return n
}
