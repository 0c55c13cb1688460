package mail

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"minipbx/telephony/faxstore"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// Voicemail is what voicemail by e-mail needs of the message store
// (telephony/voicemail.Store).
type Voicemail interface {
	Messages(box string) ([]voicemail.Message, error)
	// WAV opens a message as 16-bit PCM, what every mail program plays.
	WAV(box, id string) (io.ReadSeekCloser, int64, error)
	Delete(box, id string) error
}

// freshMessage: only a message at most this old when the mailer first
// sees it is mailed, so that giving a mailbox an address does not mail
// the messages it already held.
const freshMessage = time.Hour

// location is the box's time zone for the texts.
func (m *Mailer) location(c *store.Config) *time.Location {
	if loc, err := time.LoadLocation(c.System.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// VoicemailChanged is the voicemail store's change callback's part: each
// new message of a mailbox with an address is queued once, with the
// recording attached (and deleted once sent, if the mailbox says so).
func (m *Mailer) VoicemailChanged(c *store.Config, box string) {
	mb, ok := c.Voicemail.Box(box)
	if !ok || mb.Email == "" || m.o.Voicemail == nil || !c.Mail.Enabled() {
		return
	}
	msgs, err := m.o.Voicemail.Messages(box)
	if err != nil {
		m.log.Warn("mail: voicemail messages", "box", box, "err", err)
		return
	}
	loc, now := m.location(c), m.o.Now()
	for _, v := range msgs {
		if v.Heard || now.Sub(v.Received) > freshMessage {
			continue
		}
		if err := m.queueVoicemail(c, mb, v, loc); err != nil {
			m.log.Error("mail: voicemail not queued", "box", box, "id", v.ID, "err", err)
		}
	}
}

func (m *Mailer) queueVoicemail(c *store.Config, mb store.Mailbox, v voicemail.Message, loc *time.Location) error {
	wav, _, err := m.o.Voicemail.WAV(v.Box, v.ID)
	if err != nil {
		return err
	}
	defer wav.Close()
	tx := textsFor(mb.Language, extensionLanguage(c, mb.Extension), c.System.Language)
	from := tx.caller(v.Caller.Number, v.Caller.Name)
	secs := int(v.Duration.Round(time.Second) / time.Second)
	text := fmt.Sprintf(tx.voicemail, v.Box, from, tx.at(v.Received, loc), secs/60, secs%60)
	after := ""
	if mb.DeleteAfterEmail {
		after = "delete-voicemail:" + v.Box + "/" + v.ID
		text += tx.deleted
	} else {
		text += tx.stays
	}
	return m.queue("voicemail", "voicemail:"+v.Box+"/"+v.ID, after, Message{
		To:          []string{mb.Email},
		Subject:     fmt.Sprintf(tx.voicemailSubject, from, secs/60, secs%60),
		Text:        text,
		Attachments: []Attachment{{Name: "voicemail-" + v.Box + "-" + v.ID + ".wav", ContentType: "audio/wav", Body: wav}},
	})
}

func (t texts) caller(number, name string) string {
	switch {
	case number == "" && name == "":
		return t.unknownCaller
	case name == "":
		return number
	case number == "":
		return name
	}
	return number + " (" + name + ")"
}

// missedResults are the results a missed-call notice is sent for.
var missedResults = []string{store.ResultMissed, store.ResultBusy, store.ResultAbandoned}

// MissedCall is told every stored call record: each extension with a
// missed-call notice that the call was for (the number dialled, or a
// phone that rang) and that nobody answered gets one.
func (m *Mailer) MissedCall(c *store.Config, r store.CallRecord) {
	if !c.Mail.Enabled() || len(c.Mail.MissedCalls) == 0 || !slices.Contains(missedResults, r.Result) {
		return
	}
	exts := []string{r.Callee}
	for _, l := range r.Legs {
		if l.Extension != "" && l.Answer.IsZero() && !slices.Contains(exts, l.Extension) && l.Name != r.Source {
			exts = append(exts, l.Extension)
		}
	}
	loc := m.location(c)
	for _, ext := range exts {
		to := c.Mail.MissedCallsTo(ext)
		if len(to) == 0 || ext == r.Caller {
			continue
		}
		tx := textsFor(extensionLanguage(c, ext), c.System.Language)
		from := tx.caller(r.Caller, r.CallerName)
		text := fmt.Sprintf(tx.missed, ext, from, tx.at(r.Start, loc), r.Result, r.Disposition)
		if r.Voicemail != "" {
			text += tx.leftVoicemail
		}
		err := m.queue("missed-call", fmt.Sprintf("missed:%d:%s", r.ID, ext), "", Message{
			To: to, Subject: fmt.Sprintf(tx.missedSubject, from), Text: text})
		if err != nil {
			m.log.Error("mail: missed-call notice not queued", "record", r.ID, "err", err)
		}
	}
}

// Alarm sends a diagnostics alarm (or any alarm of the box) to the
// mail section's alarms_to.
func (m *Mailer) Alarm(c *store.Config, subject, text string) error {
	return m.queue("alarm", "", "", Message{To: c.Mail.AlarmsTo,
		Subject: "[" + boxName(c.System.Name) + "] " + subject, Text: text})
}

// DiagnosticsAlarm mails alarms_to the faults a diagnostics run found,
// in the box's language: faults are its results that did not pass, as
// "target test: verdict — detail" (the details are the diagnostics' own
// measurements and stay as they are).
func (m *Mailer) DiagnosticsAlarm(c *store.Config, run store.DiagRun, loc *time.Location) error {
	tx := textsFor(c.System.Language)
	var faults []string
	for _, r := range run.Results {
		if r.Verdict != store.VerdictPass {
			faults = append(faults, fmt.Sprintf("%s %s: %s — %s", r.Target, r.Test, word(tx.verdicts, r.Verdict), r.Detail))
		}
	}
	text := fmt.Sprintf(tx.alarm, c.System.Name, run.ID, word(tx.triggers, run.Trigger), tx.at(run.Finished, loc), strings.Join(faults, "\n"))
	return m.Alarm(c, fmt.Sprintf(tx.alarmSubject, word(tx.verdicts, run.Verdict)), text)
}

// RecordingQuota warns alarms_to that call recordings fill their quota
// (the recorder calls it once at 90 %): scope is "box" or an extension.
func (m *Mailer) RecordingQuota(c *store.Config, scope string, used, quota int64) error {
	tx := textsFor(c.System.Language)
	what := tx.quotaBox
	if scope != "" && scope != "box" {
		what = fmt.Sprintf(tx.quotaExtension, scope)
	}
	pct := 0
	if quota > 0 {
		pct = int(used * 100 / quota)
	}
	text := fmt.Sprintf(tx.quota, what, pct, megabytes(used), megabytes(quota))
	return m.queue("quota", "", "", Message{To: c.Mail.AlarmsTo,
		Subject: fmt.Sprintf(tx.quotaSubject, boxName(c.System.Name), pct), Text: text})
}

func megabytes(n int64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), "0"), ".") + " MB"
}

// Fax mails a received fax to its receiver's address as a PDF
// attachment; pdf is the PDF (the fax store's file), read while the
// message is composed.
func (m *Mailer) Fax(c *store.Config, r store.FaxReceiver, f faxstore.Fax, pdf io.Reader) error {
	if r.Email == "" || !c.Mail.Enabled() {
		return nil
	}
	loc := m.location(c)
	tx := textsFor(c.System.Language)
	from := tx.caller(f.Caller, f.CallerName)
	if (f.Caller == "" && f.CallerName == "") && f.RemoteID != "" {
		from = f.RemoteID
	}
	state := tx.faxComplete
	if !f.Complete {
		state = fmt.Sprintf(tx.faxIncomplete, f.Cause)
	}
	text := fmt.Sprintf(tx.fax, r.Name, from, tx.orNone(f.RemoteID), tx.at(f.Received, loc), f.Pages, state, tx.orNone(f.Modem))
	return m.queue("fax", "fax:"+f.ID, "", Message{
		To:          []string{r.Email},
		Subject:     fmt.Sprintf(tx.faxSubject, from, f.Pages),
		Text:        text,
		Attachments: []Attachment{{Name: "fax-" + f.ID + ".pdf", ContentType: "application/pdf", Body: pdf}},
	})
}
