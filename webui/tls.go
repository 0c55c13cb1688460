package webui

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"minipbx/internal/atomicfile"
	"minipbx/upgrade/datadir"
)

// Certificate lifetime and renewal margin. A box may boot with its clock
// far in the past (no RTC battery), so a certificate that is "not yet
// valid" is kept; only an expired or soon-expiring one is replaced.
const (
	certLifetime    = 5 * 365 * 24 * time.Hour
	certRenewBefore = 30 * 24 * time.Hour
)

// certFiles returns the paths of the certificate and key in DataDir/tls.
func (s *Server) certFiles() (certPath, keyPath string) {
	dir := datadir.Of(s.dataDir).TLS()
	return filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
}

// certificate loads the box's certificate, or makes and saves a new one
// when it is missing, unreadable, mismatched or expiring. It never fails:
// if the new one cannot be saved it is used from memory and the error
// logged, so the web UI stays reachable.
func (s *Server) certificate() tls.Certificate {
	certPath, keyPath := s.certFiles()
	now := s.now()
	cert, err := loadCertificate(certPath, keyPath, now)
	if err == nil {
		// Logged at every start so the installer can compare it with
		// what the browser shows before accepting the certificate.
		s.log.Info("webui: TLS certificate", "path", certPath, "sha256", fingerprint(cert), "expires", cert.Leaf.NotAfter.Format(time.DateOnly))
		return cert
	}
	if !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("webui: replacing the TLS certificate", "reason", err)
	}
	dns, ips := certNames()
	cert, certPEM, keyPEM, err := newCertificate(now, dns, ips)
	if err != nil {
		// Only a broken crypto/rand gets here; nothing sensible remains.
		panic(fmt.Sprintf("webui: generate TLS certificate: %v", err))
	}
	if err := saveCertificate(certPath, keyPath, certPEM, keyPEM); err != nil {
		s.log.Error("webui: could not save the new TLS certificate; using it from memory (browsers will see a new one after each restart)", "err", err)
	} else {
		s.log.Info("webui: made a self-signed TLS certificate", "path", certPath, "sha256", fingerprint(cert))
	}
	return cert
}

func fingerprint(c tls.Certificate) string {
	if len(c.Certificate) == 0 {
		return ""
	}
	return fmt.Sprintf("%X", sha256.Sum256(c.Certificate[0]))
}

func loadCertificate(certPath, keyPath string, now time.Time) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load %s: %w", certPath, err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("parse %s: %w", certPath, err)
		}
		cert.Leaf = leaf
	}
	if now.Add(certRenewBefore).After(leaf.NotAfter) {
		return tls.Certificate{}, fmt.Errorf("certificate %s expires %s", certPath, leaf.NotAfter.Format(time.DateOnly))
	}
	return cert, nil
}

// certNames lists what the certificate is valid for: localhost, the
// loopback addresses, the host name (and its .local mDNS name) and every
// non-loopback, non-link-local address of the machine now.
func certNames() (dns []string, ips []net.IP) {
	dns = []string{"localhost"}
	ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		dns = append(dns, h)
		if net.ParseIP(h) == nil && !hasDot(h) {
			dns = append(dns, h+".local")
		}
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || n.IP.IsMulticast() {
			continue
		}
		ips = append(ips, n.IP)
	}
	return dns, ips
}

func hasDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

// newCertificate makes a self-signed ECDSA P-256 server certificate for
// these names and addresses (dns must not be empty).
func newCertificate(now time.Time, dns []string, ips []net.IP) (tls.Certificate, []byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: dns[len(dns)-1], Organization: []string{"minipbx (self-signed)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("marshal key: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("load new pair: %w", err)
	}
	return cert, certPEM, keyPEM, nil
}

// saveCertificate writes key and certificate atomically (temporary file,
// sync, rename) so a power cut never leaves half a file.
func saveCertificate(certPath, keyPath string, certPEM, keyPEM []byte) error {
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(certPath), err)
	}
	if err := atomicfile.Write(keyPath, keyPEM, 0o600); err != nil {
		return err
	}
	return atomicfile.Write(certPath, certPEM, 0o644)
}

// tlsConfig is a modern server configuration: TLS 1.2 at least, and for
// 1.2 only forward-secret AEAD suites for our ECDSA key (TLS 1.3 suites are
// not configurable and all good).
func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"h2", "http/1.1"},
	}
}
