package box

import (
	"bytes"
	"context"
	"crypto/tls"
	"testing"

	"minipbx/internal/siptest"
	"minipbx/telephony/store"
)

// The box serves SIP over TLS with its own certificate, the web UI's, and
// an extension that requires encryption cannot register over UDP.
func TestSIPOverTLSWithTheBoxCertificate(t *testing.T) {
	b := startBox(t, "", func(c *Config) { c.SIPTLSAddr = "127.0.0.1:0" })
	if b.SIPTLSAddr() == "" {
		t.Fatal("no SIP-over-TLS listener")
	}
	peer := func(addr string) []byte {
		t.Helper()
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Raw
	}
	if !bytes.Equal(peer(b.SIPTLSAddr()), peer(b.WebAddr())) {
		t.Fatal("SIP over TLS does not use the box's (the web UI's) certificate")
	}

	e, err := b.Service().CreateExtension(context.Background(), store.Extension{Number: "201", Name: "Secure", RequireEncryption: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := siptest.New(b.SIPAddr(), "201", e.Secret)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if code, err := p.Register(context.Background(), e.Secret, 300); err != nil || code != 403 {
		t.Fatalf("REGISTER over UDP of an extension requiring encryption: %d %v, want 403", code, err)
	}
}
