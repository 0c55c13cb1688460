package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"minipbx/telephony/store"
)

// smtpTimeout bounds one conversation with the server.
const smtpTimeout = 60 * time.Second

// ServerError is the mail server's own answer to a step of the
// conversation, kept as the server wrote it: the settings page and the
// log show it ("535 5.7.8 Authentication credentials invalid").
type ServerError struct {
	Step string // connect, starttls, login, sender, recipient, message
	Code int    // the SMTP code, 0 when the connection failed
	Text string
}

func (e *ServerError) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("%s: %s", e.Step, e.Text)
	}
	return fmt.Sprintf("%s: the server answered %d %s", e.Step, e.Code, e.Text)
}

// Permanent reports whether the server refused for good (5xx) a step
// that is about this message (not the login): retrying will not help.
func (e *ServerError) Permanent() bool {
	return e.Code >= 500 && (e.Step == "recipient" || e.Step == "message" || e.Step == "sender")
}

func serverError(step string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		text := se.Message
		if se.EnhancedCode != smtp.NoEnhancedCode && se.EnhancedCode != (smtp.EnhancedCode{}) {
			text = fmt.Sprintf("%d.%d.%d %s", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], text)
		}
		return &ServerError{Step: step, Code: se.Code, Text: text}
	}
	return &ServerError{Step: step, Text: err.Error()}
}

// send delivers one message through the server of m: connect (TLS from
// the start, or STARTTLS, which is required when the mode says so), log
// in if a user is set, and send. The server's certificate is checked
// against roots (nil: the system's).
func send(ctx context.Context, m store.Mail, roots *x509.CertPool, from string, to []string, msg io.Reader) error {
	ctx, cancel := context.WithTimeout(ctx, smtpTimeout)
	defer cancel()
	addr := m.Address()
	tc := &tls.Config{ServerName: m.Server, RootCAs: roots, MinVersion: tls.VersionTLS12}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return &ServerError{Step: "connect", Text: err.Error()}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var c *smtp.Client
	switch m.Mode() {
	case store.MailTLS:
		tconn := tls.Client(conn, tc)
		if err := tconn.HandshakeContext(ctx); err != nil {
			conn.Close()
			return &ServerError{Step: "connect", Text: "TLS: " + err.Error()}
		}
		c = smtp.NewClient(tconn)
	case store.MailStartTLS:
		// STARTTLS is required: a server that does not offer it gets no
		// password and no message in the clear.
		if c, err = smtp.NewClientStartTLS(conn, tc); err != nil {
			conn.Close()
			if strings.Contains(err.Error(), "doesn't support STARTTLS") {
				return &ServerError{Step: "starttls", Text: "the server does not offer STARTTLS; choose security tls, or none for a relay on the office network"}
			}
			return serverError("starttls", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if m.Username != "" {
		var auth sasl.Client
		switch {
		case c.SupportsAuth("PLAIN"):
			auth = sasl.NewPlainClient("", m.Username, m.Password)
		case c.SupportsAuth("LOGIN"):
			auth = sasl.NewLoginClient(m.Username, m.Password)
		default:
			return &ServerError{Step: "login", Text: "the server offers neither AUTH PLAIN nor LOGIN"}
		}
		if err := c.Auth(auth); err != nil {
			return serverError("login", err)
		}
	}
	sender, err := mail.ParseAddress(from)
	if err != nil {
		return &ServerError{Step: "sender", Text: err.Error()}
	}
	if err := c.Mail(sender.Address, nil); err != nil {
		return serverError("sender", err)
	}
	for _, a := range to {
		rcpt, err := mail.ParseAddress(a)
		if err != nil {
			return &ServerError{Step: "recipient", Text: err.Error()}
		}
		if err := c.Rcpt(rcpt.Address, nil); err != nil {
			return serverError("recipient", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return serverError("message", err)
	}
	if _, err := io.Copy(w, msg); err != nil {
		w.Close()
		return serverError("message", err)
	}
	if err := w.Close(); err != nil {
		return serverError("message", err)
	}
	_ = c.Quit() // the message was accepted: a failed QUIT changes nothing
	return nil
}
