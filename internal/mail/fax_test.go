package mail

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"minipbx/internal/mail/mailtest"
	"minipbx/telephony/faxstore"
	"minipbx/telephony/store"
)

// TestFaxArrivesAsPDF: a received fax reaches its receiver's address
// through a real SMTP server with the PDF attached byte for byte; told
// twice, it is mailed once; a receiver without an address mails nothing.
func TestFaxArrivesAsPDF(t *testing.T) {
	srv := mailtest.Start(t, "127.0.0.1:0")
	f := newFixture(t, srv.Addr, srv.Roots)
	pdf := []byte("%PDF-1.4\n% a fax\n%%EOF\n")
	fx := faxstore.Fax{ID: "20261207T100000Z-0001", Received: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), Receiver: "office",
		Caller: "5550100", RemoteID: "+1 555 0100", Pages: 3, Complete: true, Modem: "V.29 9600"}
	r := store.FaxReceiver{Name: "office", Number: "50", Email: "fax@example.com"}
	for range 2 {
		if err := f.m.Fax(f.cfg, r, fx, bytes.NewReader(pdf)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.m.Fax(f.cfg, store.FaxReceiver{Name: "quiet"}, fx, bytes.NewReader(pdf)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the fax at the server", func() bool { return len(srv.Messages()) >= 1 })
	time.Sleep(200 * time.Millisecond)
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
	got := srv.Messages()[0]
	if got.From != mailtest.User || len(got.To) != 1 || got.To[0] != "fax@example.com" {
		t.Errorf("envelope %s → %v", got.From, got.To)
	}
	m, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subject != "Fax from 5550100 (pages: 3)" {
		t.Errorf("subject %q", subject)
	}
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	mr := multipart.NewReader(m.Body, params["boundary"])
	text, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(text)
	if !strings.Contains(string(body), "Pages: 3 (complete)") || !strings.Contains(string(body), "Speed: V.29 9600") {
		t.Errorf("text %q", body)
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if ct, _, _ := mime.ParseMediaType(att.Header.Get("Content-Type")); att.FileName() != "fax-"+fx.ID+".pdf" || ct != "application/pdf" {
		t.Errorf("attachment %q %q", att.FileName(), att.Header.Get("Content-Type"))
	}
	raw, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, att))
	if err != nil || !bytes.Equal(raw, pdf) {
		t.Errorf("attachment %q %v, want the PDF", raw, err)
	}
}
