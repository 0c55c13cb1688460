package sip

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
)

// TLS to trunk providers. The box is a TLS client only: it opens the
// connection to the provider (REGISTER, INVITE) and the provider's
// requests come back over it. sipgo dials TLS with one configuration for
// the whole user agent, and always to an address we resolved ourselves
// (so SRV order and failover stay ours): it sends no SNI and would check
// the certificate for that IP address, and the handshake's callback is
// not told which address it is. So the certificate is checked here,
// against each TLS trunk's own CA (or the system's roots) for the host
// the installer configured (RFC 5922 §4: the SIP domain, not the SRV
// target); it must pass for one of them. With several TLS trunks a
// certificate good for one trunk's host would pass on another's
// connection too: whoever holds it can already pose as that provider.

// tlsVerifyError is a provider's certificate that did not pass.
type tlsVerifyError struct{ err error }

func (e *tlsVerifyError) Error() string { return "the provider's certificate: " + e.err.Error() }
func (e *tlsVerifyError) Unwrap() error { return e.err }

// trunkTLSConfig is the TLS client configuration of the server's user
// agent.
func (s *Server) trunkTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Not skipped: verified by verifyTrunkTLS, per trunk, instead of
		// against the dialled IP address.
		InsecureSkipVerify: true, //nolint:gosec // see above
		VerifyConnection:   s.verifyTrunkTLS,
	}
}

// verifyTrunkTLS checks the certificate of a TLS connection to a trunk's
// provider (see above). The error is the first trunk's, by name.
func (s *Server) verifyTrunkTLS(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return &tlsVerifyError{errors.New("none presented")}
	}
	s.mu.Lock()
	var ts []*trunk
	for _, t := range s.trunks {
		if strings.EqualFold(t.cfg.Transport, "TLS") {
			ts = append(ts, t)
		}
	}
	for t := range s.probes {
		if strings.EqualFold(t.cfg.Transport, "TLS") {
			ts = append(ts, t)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(ts, func(a, b *trunk) int { return strings.Compare(a.cfg.Name, b.cfg.Name) })
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	var first error
	for _, t := range ts {
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots:         t.roots,
			DNSName:       t.tlsName,
			Intermediates: inter,
		})
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = errors.New("no TLS trunk is configured")
	}
	return &tlsVerifyError{first}
}
