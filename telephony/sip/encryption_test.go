package sip

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/telephony/channel"
)

// encryptedServer runs a box with SIP over TLS (a certificate for
// 127.0.0.1 from a test CA) where the extensions in required must use
// encryption; roots trust the CA.
func encryptedServer(t *testing.T, c Config, required *sync.Map) (*Server, *x509.CertPool) {
	t.Helper()
	ca := newTestCA(t, "box CA")
	cert := ca.issue(t, nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	c.TLSAddr = "127.0.0.1:0"
	c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	c.RequireEncryption = func(ext string) bool { _, ok := required.Load(ext); return ok }
	return startServer(t, c), roots
}

// TestEncryptedPhones: an extension that requires encryption registers
// and calls only over TLS with SRTP (403 over UDP, 488 for a plain
// offer), is rung only at its TLS registration with RTP/SAVP, and is
// unavailable without one; others may use TLS and get SRTP when they
// offer it.
func TestEncryptedPhones(t *testing.T) {
	var required sync.Map
	required.Store("202", true)
	var s *Server
	s, roots := encryptedServer(t, Config{OnCall: forwarder(t, &s, "202")}, &required)
	if !s.TLSAddr().IsValid() {
		t.Fatal("no TLS listener")
	}

	// 202 over UDP: refused, after authenticating.
	udp202 := newPhone(t, s.Addr(), "202", "secret202")
	if res := udp202.register("secret202", 300); res.StatusCode != 403 || !strings.Contains(res.Reason, "encryption required") {
		t.Fatalf("202 over UDP: %d %q, want 403 (encryption required)", res.StatusCode, res.Reason)
	}
	// 202 over TLS: registered.
	tls202 := newStreamPhone(t, s.TLSAddr(), "202", "secret202", "tls", roots)
	if res := tls202.register("secret202", 300); res.StatusCode != 200 {
		t.Fatalf("202 over TLS: %d", res.StatusCode)
	}
	if regs := s.Registrations(); len(regs) != 1 || regs[0].Transport != "TLS" {
		t.Fatalf("registrations %+v", regs)
	}

	// 201 (no requirement) calls over TLS with a plain offer: accepted, and
	// 202 is rung over TLS with RTP/SAVP and keys.
	tls201 := newStreamPhone(t, s.TLSAddr(), "201", "secret201", "tls", roots)
	tls201.register("secret201", 300)
	m201 := newMedia(t)
	done := make(chan error, 1)
	go func() {
		_, err := tls201.call(context.Background(), "202", m201, nil)
		done <- err
	}()
	c := tls202.nextCall(t, 2*time.Second)
	offer := string(c.req.Body())
	if !strings.Contains(offer, "RTP/SAVP") || !strings.Contains(offer, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") {
		t.Fatalf("202 was offered:\n%s", offer)
	}
	m202 := newMedia(t)
	c.answer(t, m202)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !m202.Encrypted() || m201.Encrypted() {
		t.Fatalf("202's media encrypted %v, 201's %v: want true, false", m202.Encrypted(), m201.Encrypted())
	}

	// 202 calls over TLS without SRTP: 488; over UDP: 403.
	plain202 := newStreamPhone(t, s.TLSAddr(), "202", "secret202", "tls", roots)
	if _, err := plain202.call(context.Background(), "201", newMedia(t), nil); statusOf(err) != 488 {
		t.Fatalf("202 calling without SRTP: %v, want 488", err)
	}
	if _, err := udp202.call(context.Background(), "201", newMedia(t), nil); statusOf(err) != 403 {
		t.Fatalf("202 calling over UDP: %v, want 403", err)
	}

	// A phone over TLS that does not require encryption is offered SRTP
	// best effort; one over UDP gets no keys.
	udp203 := newPhone(t, s.Addr(), "203", "secret203")
	udp203.register("secret203", 300)
	ch, err := s.Dialer().Dial(context.Background(), channel.Request{Target: "203"})
	if err != nil {
		t.Fatal(err)
	}
	if c := udp203.nextCall(t, 2*time.Second); strings.Contains(string(c.req.Body()), "crypto") {
		t.Fatalf("keys offered over UDP:\n%s", c.req.Body())
	}
	_ = ch.Hangup(channel.CauseNormal)
	ch, err = s.Dialer().Dial(context.Background(), channel.Request{Target: "201"})
	if err != nil {
		t.Fatal(err)
	}
	if c := tls201.nextCall(t, 2*time.Second); !strings.Contains(string(c.req.Body()), "RTP/AVP") || !strings.Contains(string(c.req.Body()), "a=crypto:") {
		t.Fatalf("best-effort offer over TLS:\n%s", c.req.Body())
	}
	_ = ch.Hangup(channel.CauseNormal)

	// 203 comes to require encryption while registered over UDP only: a
	// call to it cannot be placed.
	required.Store("203", true)
	_, err = s.Dialer().Dial(context.Background(), channel.Request{Target: "203"})
	var de *channel.DialError
	if !errors.As(err, &de) || de.Cause != channel.CauseUnavailable {
		t.Fatalf("calling 203 without a TLS registration: %v", err)
	}
}

// TestTLSListenerNeedsACertificate: a TLS address without a certificate
// is a configuration error, not a listener that fails every handshake.
func TestTLSListenerNeedsACertificate(t *testing.T) {
	_, err := New(Config{Addr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0", Credentials: staticCreds{}})
	if err == nil {
		t.Fatal("accepted")
	}
}
