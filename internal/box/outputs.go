package box

import (
	"context"
	"time"

	"minipbx/internal/mail"
	"minipbx/internal/webhook"
	"minipbx/telephony/faxstore"
	"minipbx/telephony/smdr"
	"minipbx/telephony/store"
	"minipbx/upgrade/datadir"
	"minipbx/webui"
)

// What the box tells the outside world about its calls: the SMDR billing
// output, the e-mail and the webhooks. Both follow the configuration in use (applyConfig)
// and are told of every stored call record through the store the
// exchange is given (recordingStore).

// openOutputs makes the SMDR manager and the mailer.
func (b *Box) openOutputs(cfg *store.Config, layout datadir.Layout) error {
	b.smdr = smdr.New(smdr.Options{Spool: b.db, Logger: b.log.With("part", "smdr"), Location: b.location})
	m, err := mail.New(mail.Options{Queue: b.db, Spool: layout.MailSpool(), Voicemail: b.vm, Logger: b.log.With("part", "mail"),
		RootCAs: b.cfg.MailRoots})
	if err != nil {
		return err
	}
	b.mail = m
	if b.hooks, err = webhook.New(webhook.Options{Queue: b.db, Logger: b.log.With("part", "webhook")}); err != nil {
		return err
	}
	b.outputsConfigured(cfg)
	return nil
}

// outputsConfigured hands a configuration to the outputs.
func (b *Box) outputsConfigured(cfg *store.Config) {
	b.smdr.Configure(cfg.Billing)
	b.mail.Configure(cfg)
	b.hooks.Configure(cfg.Webhooks)
}

// config is the configuration in use.
func (b *Box) config() *store.Config {
	if b.ex != nil {
		return b.ex.Config()
	}
	c, err := b.db.Config()
	if err != nil {
		return &store.Config{}
	}
	return &c
}

// location is the box's time zone.
func (b *Box) location() *time.Location {
	if loc, err := time.LoadLocation(b.config().System.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// recordingStore is the store as the exchange is given it: a stored call
// record also wakes the SMDR output (its line is already spooled, in
// the record's own transaction) and may send a missed-call notice.
type recordingStore struct {
	*store.DB
	b *Box
}

func (s recordingStore) AppendCallRecord(r store.CallRecord) (store.CallRecord, error) {
	r, err := s.DB.AppendCallRecord(r)
	if err == nil {
		s.b.smdr.Wake()
		s.b.mail.MissedCall(s.b.config(), r)
	}
	return r, err
}

// voicemailChanged is the voicemail store's change callback's e-mail
// part.
func (b *Box) voicemailChanged(box string) {
	if b.mail != nil {
		b.mail.VoicemailChanged(b.config(), box)
	}
}

// faxReceived mails each fax kept to its receiver's address, as a PDF.
func (b *Box) faxReceived(faxes *faxstore.Store) func(store.FaxReceiver, faxstore.Fax) {
	return func(r store.FaxReceiver, f faxstore.Fax) {
		if b.mail == nil || r.Email == "" {
			return
		}
		pdf, _, err := faxes.Open(f.ID, faxstore.PDF)
		if err != nil {
			b.log.Error("mail: the fax was not queued", "fax", f.ID, "err", err)
			return
		}
		defer pdf.Close()
		if err := b.mail.Fax(b.config(), r, f, pdf); err != nil {
			b.log.Error("mail: the fax was not queued", "fax", f.ID, "err", err)
		}
	}
}

// diagChanged mails the diagnostics' alarm when a run fails (once per
// failing run, not again while it stays failed).
func (b *Box) diagChanged() {
	if b.diag == nil {
		return
	}
	st := b.diag.State()
	if !st.Alarm || st.Last == nil || b.mail == nil {
		return
	}
	if prev := b.alarmedRun.Swap(st.Last.ID); prev == st.Last.ID {
		return
	}
	if err := b.mail.DiagnosticsAlarm(b.config(), *st.Last, b.location()); err != nil {
		b.log.Error("mail: the diagnostics alarm was not queued", "err", err)
	}
}

// RecordingQuota warns the alarm addresses that call recordings reached
// 90 % of a quota (scope "box" or an extension): the call recorder's
// notifier.
func (b *Box) RecordingQuota(scope string, used, quota int64) {
	if err := b.mail.RecordingQuota(b.config(), scope, used, quota); err != nil {
		b.log.Error("mail: the recording quota warning was not queued", "err", err)
	}
}

// outputs is the outputs' state for the web UI's settings pages.
type outputs struct{ b *Box }

var _ webui.Outputs = outputs{}

func (o outputs) MailStatus() webui.MailStatus {
	s := o.b.mail.Status()
	return webui.MailStatus{Queued: s.Queued, LastError: s.LastError, LastErrorTime: s.LastErrorTime, LastSent: s.LastSent}
}

func (o outputs) SendTestMail(ctx context.Context, m store.Mail, to string) error {
	return o.b.mail.SendTest(ctx, m, to)
}

func (o outputs) SMDRStatus() []webui.SMDRStatus {
	var out []webui.SMDRStatus
	for _, s := range o.b.smdr.Status() {
		out = append(out, webui.SMDRStatus{Output: s.Output, Target: s.Target, Connected: s.Connected, Peer: s.Peer,
			Sent: s.Sent, LastError: s.LastError, Since: s.Since})
	}
	return out
}

var _ webui.Webhooks = outputs{}

func (o outputs) WebhookStatus() []webui.WebhookStatus { return o.b.hooks.Status() }

func (o outputs) SendTestWebhook(ctx context.Context, name string) error {
	return o.b.hooks.SendTest(ctx, name)
}
