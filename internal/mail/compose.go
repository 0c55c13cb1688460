package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string // file name shown to the recipient
	ContentType string // e.g. audio/wav
	Body        io.Reader
}

// Message is one e-mail before it is composed.
type Message struct {
	From, To    []string // From has one address
	Subject     string
	Text        string // the plain-text body, UTF-8
	Attachments []Attachment
	Date        time.Time
}

// Compose writes m as an RFC 5322 message with MIME (RFC 2045–2049): the
// text as quoted-printable UTF-8, each attachment as base64 in lines of
// 76 characters, headers with non-ASCII text encoded (RFC 2047).
func Compose(w io.Writer, m Message, host string) error {
	from, err := mail.ParseAddress(m.From[0])
	if err != nil {
		return fmt.Errorf("mail: sender: %w", err)
	}
	var to []string
	for _, a := range m.To {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return fmt.Errorf("mail: recipient %q: %w", a, err)
		}
		to = append(to, addr.String())
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	if host == "" {
		host = "minipbx"
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	header("Date", m.Date.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+host+">")
	header("MIME-Version", "1.0")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies, please
	mw := multipart.NewWriter(&b)
	if len(m.Attachments) == 0 {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeText(&b, m.Text); err != nil {
			return err
		}
	} else {
		header("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
		b.WriteString("\r\n")
		p, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return err
		}
		if err := writeText(p, m.Text); err != nil {
			return err
		}
		for _, a := range m.Attachments {
			p, err := mw.CreatePart(textproto.MIMEHeader{
				"Content-Type":              {mime.FormatMediaType(a.ContentType, map[string]string{"name": a.Name})},
				"Content-Transfer-Encoding": {"base64"},
				"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})},
			})
			if err != nil {
				return err
			}
			if err := writeBase64(p, a.Body); err != nil {
				return fmt.Errorf("mail: attachment %s: %w", a.Name, err)
			}
		}
		if err := mw.Close(); err != nil {
			return err
		}
	}
	_, err = w.Write(b.Bytes())
	return err
}

// oneLine keeps a header value on one line (no header injection).
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

func writeText(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")); err != nil {
		return err
	}
	return qp.Close()
}

// writeBase64 writes r as base64 in lines of 76 characters.
func writeBase64(w io.Writer, r io.Reader) error {
	buf := make([]byte, 57*64) // 57 bytes make one 76-character line
	line := make([]byte, 78)
	for {
		n, err := io.ReadFull(r, buf)
		for off := 0; off < n; off += 57 {
			chunk := buf[off:min(off+57, n)]
			base64.StdEncoding.Encode(line, chunk)
			l := base64.StdEncoding.EncodedLen(len(chunk))
			line[l], line[l+1] = '\r', '\n'
			if _, werr := w.Write(line[:l+2]); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
