package mail

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"minipbx/internal/mail/mailtest"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// TestTextsComplete: every language has every text, with the verbs of the
// English one (a missing verb would print %!(EXTRA ...) in a mail).
func TestTextsComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%%|%0?\d*[sd]`)
	en := mailTexts["en"]
	for _, lang := range []string{"ru", "hy", "ky", "it"} {
		tx, ok := mailTexts[lang]
		if !ok {
			t.Errorf("no %s texts", lang)
			continue
		}
		pairs := [][2]string{{en.voicemail, tx.voicemail}, {en.deleted, tx.deleted}, {en.stays, tx.stays},
			{en.voicemailSubject, tx.voicemailSubject}, {en.unknownCaller, tx.unknownCaller}, {en.missed, tx.missed},
			{en.leftVoicemail, tx.leftVoicemail}, {en.missedSubject, tx.missedSubject}, {en.quotaBox, tx.quotaBox},
			{en.quotaExtension, tx.quotaExtension}, {en.quota, tx.quota}, {en.quotaSubject, tx.quotaSubject}, {en.when, tx.when},
			{en.alarm, tx.alarm}, {en.alarmSubject, tx.alarmSubject}, {en.test, tx.test}, {en.testSubject, tx.testSubject}}
		for _, m := range []struct{ en, tx map[string]string }{{en.verdicts, tx.verdicts}, {en.triggers, tx.triggers}} {
			for k := range m.en {
				if m.tx[k] == "" {
					t.Errorf("%s: no word for %q", lang, k)
				}
			}
		}
		for _, p := range pairs {
			if strings.TrimSpace(p[1]) == "" || (p[1] == p[0] && lang != "it") {
				t.Errorf("%s: %q is not translated", lang, p[0])
			}
			if a, b := strings.Join(verbs.FindAllString(p[0], -1), " "), strings.Join(verbs.FindAllString(p[1], -1), " "); a != b {
				t.Errorf("%s: %q has verbs %q, want %q", lang, p[1], b, a)
			}
		}
	}
}

// TestVoicemailMailInTheMailboxLanguage: a mailbox whose owner hears the
// box in Russian gets its voicemail mail in Russian.
func TestVoicemailMailInTheMailboxLanguage(t *testing.T) {
	srv := mailtest.Start(t, "127.0.0.1:0")
	f := newFixture(t, srv.Addr, srv.Roots)
	f.cfg.Voicemail.Boxes[0].Language = "ru"
	rec, err := f.vm.Create("101", channel.CallerID{Number: "5550100"}, 60)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Write(tone()); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Commit(); err != nil {
		t.Fatal(err)
	}
	f.m.VoicemailChanged(f.cfg, "101")
	waitFor(t, "the message at the server", func() bool { return len(srv.Messages()) == 1 })
	m, err := mail.ReadMessage(bytes.NewReader(srv.Messages()[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subject != "Голосовое сообщение от 5550100 (0:01)" {
		t.Errorf("subject %q, want it in Russian", subject)
	}
}

// TestDiagnosticsAlarmInTheBoxLanguage: the diagnostics' alarm speaks the
// box's language — subject, text, verdicts and trigger — and lists the
// results that did not pass, not those that did.
func TestDiagnosticsAlarmInTheBoxLanguage(t *testing.T) {
	srv := mailtest.Start(t, "127.0.0.1:0")
	f := newFixture(t, srv.Addr, srv.Roots)
	f.cfg.System.Language = "ru"
	run := store.DiagRun{ID: 7, Trigger: "schedule", Verdict: store.VerdictFail, Finished: time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC),
		Results: []store.DiagResult{{Target: "FXO 2", Test: "line", Verdict: store.VerdictFail, Detail: "0 V"},
			{Target: "FXS 1", Test: "line", Verdict: store.VerdictPass, Detail: "48 V"}}}
	if err := f.m.DiagnosticsAlarm(f.cfg, run, time.UTC); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the alarm at the server", func() bool { return len(srv.Messages()) == 1 })
	m, err := mail.ReadMessage(bytes.NewReader(srv.Messages()[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if !strings.HasSuffix(subject, "] Диагностика: неисправность") {
		t.Errorf("subject %q, want it in Russian", subject)
	}
	body := decodedText(t, m)
	for _, want := range []string{"обнаружила неисправность (запуск 7, по расписанию, 20.11.2026, 03:00)", "FXO 2 line: неисправность — 0 V", "«Диагностика»"} {
		if !strings.Contains(body, want) {
			t.Errorf("the alarm lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "FXS 1") {
		t.Errorf("the alarm lists a result that passed:\n%s", body)
	}
}

// decodedText is the text of a single-part message (quoted-printable).
func decodedText(t *testing.T, m *mail.Message) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTestMessageInTheBoxLanguage: the settings page's test message
// speaks the box's language.
func TestTestMessageInTheBoxLanguage(t *testing.T) {
	srv := mailtest.Start(t, "127.0.0.1:0")
	f := newFixture(t, srv.Addr, srv.Roots)
	f.cfg.System.Language = "it"
	f.m.Configure(f.cfg)
	if err := f.m.SendTest(context.Background(), f.cfg.Mail, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(srv.Messages()[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if !strings.HasPrefix(subject, "Messaggio di prova da ") {
		t.Errorf("subject %q, want it in Italian", subject)
	}
	if body := decodedText(t, m); !strings.Contains(body, "Le sue impostazioni e-mail funzionano") {
		t.Errorf("the text is not in Italian:\n%s", body)
	}
}
