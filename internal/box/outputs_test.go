package box

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"minipbx/dsp/audiofile"
	"minipbx/internal/mail/mailtest"
	"minipbx/telephony/store"
)

// TestVoicemailByEmailAndSMDR: on the simulated box, a SIP phone calls
// extension 101, nobody answers, the caller leaves a 1 kHz tone in 101's
// mailbox. The message reaches the mailbox owner's address through a real
// SMTP server (STARTTLS, AUTH) with the recording attached and playing
// the tone, and is deleted from the mailbox; the call's SMDR line comes
// out of the serial port (a pseudo-terminal).
func TestVoicemailByEmailAndSMDR(t *testing.T) {
	srv := mailtest.Start(t, "127.0.0.1:0")
	ptmx, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	defer slave.Close()
	fd, _ := syscall.Dup(int(ptmx.Fd()))
	ptmx.Close()
	syscall.SetNonblock(fd, true)
	master := os.NewFile(uintptr(fd), "ptmx")
	defer master.Close()
	link := filepath.Join(t.TempDir(), "smdr")
	if err := os.Symlink(slave.Name(), link); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 10)
	go func() {
		r := bufio.NewReader(master)
		for {
			s, err := r.ReadString('\n')
			if err != nil {
				return
			}
			lines <- s
		}
	}()

	b := startBox(t, "", func(c *Config) { c.MailRoots = srv.Roots })
	s201 := b.addSIPExtension(t, "201", "Sales", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.Numbering.FeatureCodes = true
		c.Voicemail = store.Voicemail{Boxes: []store.Mailbox{{Extension: "101", PIN: "4826", Email: "ann@example.com", DeleteAfterEmail: true}}}
		c.ExtensionRules = []store.ExtensionRule{{Extension: "101", ForwardNoAnswer: "voicemail:101", NoAnswerS: 5}}
		c.Mail = store.Mail{Server: "127.0.0.1", Port: srv.Port(), Username: mailtest.User, Password: mailtest.Password, From: "PBX <" + mailtest.User + ">"}
		c.Billing = store.Billing{Currency: "EUR", SMDR: store.SMDR{SerialPort: link, Baud: 19200}}
	})
	ctx := tctx(t, 90*time.Second)
	caller := b.phone(t, "201", s201)
	rec := b.leaveToneMessage(t, ctx, caller, "201", "101")

	// The SMDR line of the call.
	select {
	case s := <-lines:
		f, err := csv.NewReader(strings.NewReader(s)).Read()
		if err != nil || len(f) != 30 || f[3] != "201" || f[5] != "101" || f[8] != "1" || f[9] != itoa(rec.ID) || f[13] != "V101" {
			t.Errorf("SMDR line %q (%v)", s, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no SMDR line")
	}

	// The e-mail, with the recording.
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.Messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no e-mail arrived")
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := srv.Messages()[0]
	if len(got.To) != 1 || got.To[0] != "ann@example.com" || srv.Logins()[0] != mailtest.User+" tls=true" {
		t.Errorf("to %v, logins %v", got.To, srv.Logins())
	}
	m, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	mr := multipart.NewReader(m.Body, params["boundary"])
	if _, err := mr.NextPart(); err != nil {
		t.Fatal(err)
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, att))
	samples, rate, err := audiofile.ReadWAV(bytes.NewReader(raw))
	if err != nil || rate != 8000 {
		t.Fatalf("attachment: %d Hz, %v", rate, err)
	}
	if n := toneBlocks(samples); n < 10 {
		t.Errorf("the attachment holds %d blocks of the 1 kHz tone, want the 2 s left", n)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		msgs, _ := b.Service().VoicemailMessages(ctx, "101")
		if len(msgs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the mailed message was not deleted")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
