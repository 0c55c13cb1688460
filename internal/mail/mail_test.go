package mail

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"minipbx/dsp/audiofile"
	"minipbx/internal/mail/mailtest"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// fixture is a mailer over a real database and voicemail store.
type fixture struct {
	db  *store.DB
	vm  *voicemail.Store
	m   *Mailer
	cfg *store.Config
}

func newFixture(t *testing.T, srvAddr string, roots *x509.CertPool) *fixture {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	vm, err := voicemail.Open(filepath.Join(dir, "voicemail"), voicemail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srvAddr)
	p, _ := strconv.Atoi(port)
	c, _ := db.Config()
	c.System.Name = "Office PBX"
	c.Mail = store.Mail{Server: host, Port: p, Security: store.MailStartTLS, Username: mailtest.User, Password: mailtest.Password, From: "Office PBX <" + mailtest.User + ">",
		AlarmsTo: []string{"admin@example.com"}, MissedCalls: []store.MissedCallNotice{{Extension: "101", To: "ann@example.com"}}}
	c.Voicemail.Boxes = []store.Mailbox{{Extension: "101", PIN: "4826", Email: "ann@example.com", DeleteAfterEmail: true}}
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	c, _ = db.Config()
	m, err := New(Options{Queue: db, Spool: filepath.Join(dir, "spool", "mail"), Voicemail: vm, RootCAs: roots, Retry: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m.Configure(&c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &fixture{db: db, vm: vm, m: m, cfg: &c}
}

// tone is a second of 440 Hz.
func tone() []int16 {
	s := make([]int16, 8000)
	for i := range s {
		s[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	return s
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestVoicemailArrivesWithItsRecording: a message left in mailbox 101
// reaches the owner's address through a real SMTP server, over STARTTLS
// and after AUTH PLAIN; the MIME parses back, the attachment is a WAV
// that plays the recorded tone, and the message is deleted from the
// mailbox once the server took it.
func TestVoicemailArrivesWithItsRecording(t *testing.T) {
	srv := mailtest.Start(t, "127.0.0.1:0")
	f := newFixture(t, srv.Addr, srv.Roots)
	rec, err := f.vm.Create("101", channel.CallerID{Number: "5550100", Name: "Ivan Petrov"}, 60)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := rec.Write(tone()); err != nil {
			t.Fatal(err)
		}
	}
	msg, err := rec.Commit()
	if err != nil {
		t.Fatal(err)
	}
	f.m.VoicemailChanged(f.cfg, "101") // the store's change callback
	f.m.VoicemailChanged(f.cfg, "101") // told twice: mailed once
	waitFor(t, "the message at the server", func() bool { return len(srv.Messages()) == 1 })
	got := srv.Messages()[0]
	if got.From != mailtest.User || len(got.To) != 1 || got.To[0] != "ann@example.com" {
		t.Errorf("envelope %s → %v", got.From, got.To)
	}
	if logins := srv.Logins(); len(logins) != 1 || logins[0] != mailtest.User+" tls=true" {
		t.Errorf("logins %v: want one, over TLS", logins)
	}
	m, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subject != "Voicemail from 5550100 (Ivan Petrov) (0:02)" || m.Header.Get("To") != "<ann@example.com>" {
		t.Errorf("subject %q, to %q", subject, m.Header.Get("To"))
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("%s %v", mt, err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	text, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(text) // quoted-printable decoded by the reader
	if !strings.Contains(string(body), "From: 5550100 (Ivan Petrov)") || !strings.Contains(string(body), "Length: 0:02") {
		t.Errorf("text %q", body)
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if ct, p, _ := mime.ParseMediaType(att.Header.Get("Content-Type")); att.FileName() != "voicemail-101-"+msg.ID+".wav" || ct != "audio/wav" || p["name"] != att.FileName() {
		t.Errorf("attachment %q %q", att.FileName(), att.Header.Get("Content-Type"))
	}
	raw, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, att))
	if err != nil {
		t.Fatal(err)
	}
	samples, rate, err := audiofile.ReadWAV(bytes.NewReader(raw))
	if err != nil || rate != 8000 {
		t.Fatalf("the attachment is not a playable WAV: %d Hz, %v", rate, err)
	}
	if len(samples) < 15000 || len(samples) > 16500 {
		t.Errorf("%d samples, want about 2 s", len(samples))
	}
	crossings := 0
	for i := 1; i < len(samples); i++ {
		if (samples[i-1] < 0) != (samples[i] < 0) {
			crossings++
		}
	}
	if hz := float64(crossings) / 2 / (float64(len(samples)) / 8000); hz < 430 || hz > 450 {
		t.Errorf("the attachment plays %.0f Hz, want 440", hz)
	}
	if _, err := mr.NextPart(); !errors.Is(err, io.EOF) {
		t.Errorf("a third part: %v", err)
	}
	waitFor(t, "the message deleted from the mailbox", func() bool { ms, _ := f.vm.Messages("101"); return len(ms) == 0 })
	if q, _ := f.db.MailQueue(); len(q) != 0 {
		t.Errorf("%d messages still queued", len(q))
	}
}

// TestUnreachableServerLosesNothing: notices queued while the server is
// down arrive once it is up; a wrong password shows the server's answer.
func TestUnreachableServerLosesNothing(t *testing.T) {
	// A port with nobody listening, then the server comes up on it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f := newFixture(t, addr, nil)
	st := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		r, err := f.db.AppendCallRecord(store.CallRecord{Start: st.Add(time.Duration(i) * time.Minute), End: st.Add(time.Duration(i)*time.Minute + 20*time.Second),
			Caller: "5550100", Callee: "101", Source: "fxo:1", Disposition: store.DispositionNoAnswer})
		if err != nil {
			t.Fatal(err)
		}
		f.m.MissedCall(f.cfg, r)
	}
	answered, _ := f.db.AppendCallRecord(store.CallRecord{Start: st, Answer: st.Add(time.Second), End: st.Add(9 * time.Second), DurationS: 8,
		Caller: "5550100", Callee: "101", Source: "fxo:1", Disposition: store.DispositionAnswered})
	f.m.MissedCall(f.cfg, answered) // not missed: no notice
	if err := f.m.Alarm(f.cfg, "Diagnostics failed", "FXO 2: no line voltage"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failures noted", func() bool {
		q, _ := f.db.MailQueue()
		return len(q) == 4 && q[0].Attempts >= 2 && strings.Contains(f.m.Status().LastError, "connect")
	})
	srv := mailtest.Start(t, addr)
	f.m.o.RootCAs = srv.Roots
	waitFor(t, "all four at the server", func() bool { return len(srv.Messages()) == 4 })
	subjects := map[string]int{}
	for _, r := range srv.Messages() {
		m, _ := mail.ReadMessage(bytes.NewReader(r.Data))
		s, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		subjects[s]++
	}
	if subjects["Missed call from 5550100"] != 3 || subjects["[Office PBX] Diagnostics failed"] != 1 {
		t.Errorf("subjects %v", subjects)
	}

	// A wrong password: the server's own answer, on the page and in the
	// status.
	bad := f.cfg.Mail
	bad.Password = "wrong"
	err = f.m.SendTest(context.Background(), bad, "admin@example.com")
	if err == nil || !strings.Contains(err.Error(), "535 5.7.8 Authentication credentials invalid") {
		t.Errorf("wrong password: %v", err)
	}
	if st := f.m.Status(); !strings.Contains(st.LastError, "535") {
		t.Errorf("status %+v", st)
	}
	if err := f.m.SendTest(context.Background(), f.cfg.Mail, "admin@example.com"); err != nil {
		t.Errorf("test message: %v", err)
	}
	// Without STARTTLS on offer, nothing is sent in the clear.
	plain := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return plainSession{}, nil }))
	plain.AllowInsecureAuth = true
	pln, _ := net.Listen("tcp", "127.0.0.1:0")
	go plain.Serve(pln)
	defer plain.Close()
	noTLS := f.cfg.Mail
	noTLS.Port = pln.Addr().(*net.TCPAddr).Port
	if err := f.m.SendTest(context.Background(), noTLS, "admin@example.com"); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("a server without STARTTLS: %v", err)
	}
}

func TestCompose(t *testing.T) {
	var b bytes.Buffer
	err := Compose(&b, Message{From: []string{"PBX <pbx@example.com>"}, To: []string{"ann@example.com"}, Subject: "Звонок\r\nBcc: evil@example.com",
		Text: "Line one\nline two with a very long tail " + strings.Repeat("x", 100), Date: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(&b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Bcc") != "" {
		t.Error("a header injected through the subject")
	}
	s, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if s != "Звонок Bcc: evil@example.com" {
		t.Errorf("subject %q", s)
	}
	if err := Compose(io.Discard, Message{From: []string{"not an address"}, To: []string{"a@b"}}, ""); err == nil {
		t.Error("a bad sender accepted")
	}
}

// plainSession is a server's session that takes anything, for a server
// without STARTTLS.
type plainSession struct{}

func (plainSession) Reset()                               {}
func (plainSession) Logout() error                        { return nil }
func (plainSession) Mail(string, *smtp.MailOptions) error { return nil }
func (plainSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (plainSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
