package sip

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/media"
)

// Encrypted phones: SIP over TLS on Config.TLSAddr with the box's
// certificate, and SRTP (media/srtp.go) keyed in the SDP that TLS keeps
// secret. An extension that requires encryption (Config.
// RequireEncryption) registers only over TLS (else 403), calls only over
// TLS with SRTP (else 403, or 488 for an offer without usable SRTP), and
// is called only at its TLS registrations with RTP/SAVP; an answer
// without SRTP ends the call. Other phones get SRTP when they offer it,
// and a best-effort offer (RTP/AVP with a=crypto) when they registered
// over TLS.

// listenTLS binds the TLS listener (Listen; s.mu held).
func (s *Server) listenTLS(ip netip.Addr) error {
	if s.cfg.TLSAddr == "" {
		return nil
	}
	ap, err := netip.ParseAddrPort(s.cfg.TLSAddr)
	if err != nil {
		return fmt.Errorf("sip: TLS listen address %q: %w", s.cfg.TLSAddr, err)
	}
	network := "tcp"
	if ip.Is4() {
		network = "tcp4"
	}
	ln, err := net.ListenTCP(network, net.TCPAddrFromAddrPort(ap))
	if err != nil {
		return fmt.Errorf("sip: listen tls %s: %w", ap, err)
	}
	s.tlsLn = ln
	s.tlsAddr = ln.Addr().(*net.TCPAddr).AddrPort()
	return nil
}

// serveTLS hands the TLS listener to sipgo, through the connection limits
// (which see TCP connections, so a handshake that never finishes is an
// unproven connection like any other).
func (s *Server) serveTLS(errc chan<- error) {
	if s.tlsLn == nil {
		return
	}
	s.tlsServe = s.conns.listener(s.tlsLn, "TLS")
	ln := tls.NewListener(s.tlsServe, s.cfg.TLS)
	go func() { errc <- s.srv.ServeTLS(ln) }()
}

// TLSAddr is the bound SIP-over-TLS address (invalid when there is none).
func (s *Server) TLSAddr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tlsAddr
}

// requiresEncryption reports whether ext must use TLS and SRTP.
func (s *Server) requiresEncryption(ext string) bool {
	return s.cfg.RequireEncryption != nil && s.cfg.RequireEncryption(ext)
}

func isTLS(transport string) bool { return strings.EqualFold(transport, "TLS") }

// refuseUnencrypted answers a request from an extension that requires
// encryption but did not come over TLS; false when it may go on. It is
// asked after authentication, so the policy tells nobody anything about
// extensions they cannot log in as.
func (s *Server) refuseUnencrypted(req *sip.Request, tx sip.ServerTransaction, user string) bool {
	if isTLS(req.Transport()) || !s.requiresEncryption(user) {
		return false
	}
	s.log.Info("sip: refused: extension requires encryption", "extension", user, "transport", req.Transport(), "method", req.Method)
	s.respond(tx, req, 403, "Forbidden (encryption required: use SIP over TLS and SRTP)")
	return true
}

// srtpFor is how a phone's leg uses SRTP: required when its extension
// requires encryption, offered best effort when it speaks TLS, else only
// when it offers.
func (s *Server) srtpFor(ext, transport string) media.SRTPMode {
	switch {
	case s.requiresEncryption(ext):
		return media.SRTPRequired
	case isTLS(transport):
		return media.SRTPOptional
	}
	return media.NoSRTP
}

// encryptedBindings are the bindings a call to ext may ring: only its TLS
// ones when it requires encryption.
func (s *Server) encryptedBindings(ext string, bs []Binding) []Binding {
	if !s.requiresEncryption(ext) {
		return bs
	}
	var out []Binding
	for _, b := range bs {
		if isTLS(b.Transport) {
			out = append(out, b)
		}
	}
	return out
}
