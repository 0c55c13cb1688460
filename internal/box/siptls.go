package box

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/telephony/store"
)

// SIP over TLS for phones uses the box's own certificate: the one the web
// UI makes at first start and renews before it expires (webui/tls.go
// keeps it in DataDir/tls). The SIP server loads it at each handshake
// from there, so that it sees the web UI's first certificate as soon as
// it exists and a renewed one without a restart.
type boxCertificate struct {
	certPath, keyPath string

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time // of the certificate file loaded
}

func newBoxCertificate(dataDir string) *boxCertificate {
	dir := filepath.Join(dataDir, "tls")
	return &boxCertificate{certPath: filepath.Join(dir, "cert.pem"), keyPath: filepath.Join(dir, "key.pem")}
}

// get is tls.Config.GetCertificate.
func (c *boxCertificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	st, err := os.Stat(c.certPath)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.cert != nil {
			return c.cert, nil
		}
		return nil, fmt.Errorf("SIP TLS: the box's certificate is not there yet: %w", err)
	}
	if c.cert == nil || !st.ModTime().Equal(c.modTime) {
		cert, err := tls.LoadX509KeyPair(c.certPath, c.keyPath)
		if err != nil {
			if c.cert != nil {
				return c.cert, nil // half-written renewal: keep the old one
			}
			return nil, fmt.Errorf("SIP TLS: %w", err)
		}
		c.cert, c.modTime = &cert, st.ModTime()
	}
	return c.cert, nil
}

// sipTLSConfig is the SIP-over-TLS server configuration: the box's
// certificate, TLS 1.2 at least (phones rarely speak 1.3 yet).
func sipTLSConfig(dataDir string) *tls.Config {
	return &tls.Config{GetCertificate: newBoxCertificate(dataDir).get, MinVersion: tls.VersionTLS12}
}

// encryptionPolicy is which extensions require encryption, from the
// configuration in force (updated by applyConfig).
type encryptionPolicy struct {
	required atomic.Pointer[map[string]bool]
}

func (p *encryptionPolicy) set(cfg *store.Config) []string {
	m := map[string]bool{}
	var list []string
	for _, e := range cfg.Extensions {
		if e.RequireEncryption {
			m[e.Number] = true
			list = append(list, e.Number)
		}
	}
	p.required.Store(&m)
	return list
}

func (p *encryptionPolicy) requires(ext string) bool {
	m := p.required.Load()
	return m != nil && (*m)[ext]
}

// applyEncryption takes the extensions that require encryption from cfg,
// and says so when the box cannot serve them (no SIP over TLS).
func (b *Box) applyEncryption(cfg *store.Config) {
	list := b.encryption.set(cfg)
	if len(list) > 0 && b.cfg.SIPTLSAddr == "" {
		b.log.Warn("extensions require encryption but SIP over TLS is off (pbxd -sip-tls): their phones cannot register", "extensions", list)
	}
}
