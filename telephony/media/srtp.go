package media

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/srtp/v3"
)

// SRTP (RFC 3711) keyed by SDES (RFC 4568): each side writes its master
// key and salt into an a=crypto line of its SDP, and encrypts what it
// sends with its own key. The cipher is pion/srtp's (a well-kept library,
// checked against RFC 3711's test vectors); the offer/answer of the keys
// is ours. Keys travel in the SIP signalling, so they are secret only
// when it is: phones get them over TLS (RFC 4568 §8.3).

// SRTPMode is how a session uses SRTP.
type SRTPMode uint8

const (
	// NoSRTP offers plain RTP; offers with SRTP are still answered with it.
	NoSRTP SRTPMode = iota
	// SRTPOptional offers RTP/AVP with a=crypto lines ("best effort"): a
	// phone that can, answers with SRTP; one that cannot ignores them.
	SRTPOptional
	// SRTPRequired offers RTP/SAVP, and refuses an offer or answer without
	// usable SRTP (ErrSRTPRequired).
	SRTPRequired
)

func (m SRTPMode) String() string {
	switch m {
	case SRTPOptional:
		return "srtp-optional"
	case SRTPRequired:
		return "srtp-required"
	}
	return "no-srtp"
}

// ErrSRTPRequired is returned for an offer or answer without usable SRTP
// where it is required (RTP/SAVP offered, or the session requires it); SIP
// answers it with 488 Not Acceptable Here.
var ErrSRTPRequired = errors.New("sdp: SRTP required but not offered")

// Crypto suites we speak (RFC 4568 §6.2): AES in counter mode with a
// 128-bit key, and an 80- or 32-bit HMAC-SHA1 tag on SRTP (SRTCP always
// has 80 bits).
const (
	SuiteAES80 = "AES_CM_128_HMAC_SHA1_80"
	SuiteAES32 = "AES_CM_128_HMAC_SHA1_32"
)

// keyLen is the master key and salt of both suites: 16 + 14 octets.
const keyLen = 30

func profileOf(suite string) (srtp.ProtectionProfile, bool) {
	switch suite {
	case SuiteAES80:
		return srtp.ProtectionProfileAes128CmHmacSha1_80, true
	case SuiteAES32:
		return srtp.ProtectionProfileAes128CmHmacSha1_32, true
	}
	return 0, false
}

// CryptoAttr is one a=crypto line we can use: its tag, suite and inline
// master key and salt.
type CryptoAttr struct {
	Tag   int
	Suite string
	Key   [keyLen]byte
}

// String is the attribute's value: "1 AES_CM_128_HMAC_SHA1_80 inline:...".
func (c CryptoAttr) String() string {
	return fmt.Sprintf("%d %s inline:%s", c.Tag, c.Suite, base64.StdEncoding.EncodeToString(c.Key[:]))
}

// parseCrypto reads an a=crypto value (RFC 4568 §9.1). ok is false for a
// line we cannot use: an unknown suite, several keys or an MKI (we key one
// stream with one master key), a lifetime other than the default, or any
// session parameter (each changes how SRTP runs, RFC 4568 §6.3).
func parseCrypto(v string) (c CryptoAttr, ok bool) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return c, false
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return c, false
	}
	if _, ok := profileOf(f[1]); !ok {
		return c, false
	}
	key, found := strings.CutPrefix(f[2], "inline:")
	if !found || strings.Contains(key, ";") {
		return c, false
	}
	key, lifetime, _ := strings.Cut(key, "|")
	if strings.Contains(lifetime, "|") || strings.Contains(lifetime, ":") {
		return c, false // an MKI
	}
	if lifetime != "" && lifetime != "2^48" && lifetime != "2^31" {
		return c, false
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(key)
	}
	if err != nil || len(raw) != keyLen {
		return c, false
	}
	c.Tag, c.Suite = tag, f[1]
	copy(c.Key[:], raw)
	return c, true
}

// newCrypto makes a fresh master key and salt for suite under tag.
func newCrypto(tag int, suite string) CryptoAttr {
	c := CryptoAttr{Tag: tag, Suite: suite}
	_, _ = rand.Read(c.Key[:])
	return c
}

// srtpPair is the SRTP state of a session, once negotiated: tx encrypts
// what we send (with our key; s.mu guards it), rxRTP and rxRTCP decrypt
// what the peer sends (with its key), each used by one receive goroutine
// only.
type srtpPair struct {
	tx            *srtp.Context
	rxRTP, rxRTCP *srtp.Context
	suite         string
}

// newSRTPPair keys the contexts of a negotiated suite: ours encrypts, the
// peer's decrypts, with replay protection (RFC 3711 §3.3.2) wide enough
// for reordered packets.
func newSRTPPair(local, remote CryptoAttr) (*srtpPair, error) {
	prof, _ := profileOf(local.Suite)
	tx, err := srtp.CreateContext(local.Key[:16], local.Key[16:], prof)
	if err != nil {
		return nil, fmt.Errorf("media: SRTP key: %w", err)
	}
	rxRTP, err := srtp.CreateContext(remote.Key[:16], remote.Key[16:], prof, srtp.SRTPReplayProtection(256))
	if err != nil {
		return nil, fmt.Errorf("media: SRTP key: %w", err)
	}
	rxRTCP, err := srtp.CreateContext(remote.Key[:16], remote.Key[16:], prof, srtp.SRTCPReplayProtection(64))
	if err != nil {
		return nil, fmt.Errorf("media: SRTP key: %w", err)
	}
	return &srtpPair{tx: tx, rxRTP: rxRTP, rxRTCP: rxRTCP, suite: local.Suite}, nil
}

// chooseCrypto picks the first usable line of an offer (the offerer's
// preference, RFC 4568 §7.1.2) and our key for its suite.
func (s *Session) chooseCrypto(offered []CryptoAttr) (local, remote CryptoAttr, ok bool) {
	if len(offered) == 0 {
		return local, remote, false
	}
	remote = offered[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.localKeys == nil {
		s.localKeys = map[string]CryptoAttr{}
	}
	local, have := s.localKeys[remote.Suite]
	if !have {
		local = newCrypto(0, remote.Suite)
		s.localKeys[remote.Suite] = local
	}
	local.Tag = remote.Tag
	return local, remote, true
}

// offerCrypto is the a=crypto lines of an offer: both suites, 80-bit tag
// first, each with its own key (kept for the answer).
func (s *Session) offerCrypto() []CryptoAttr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.localKeys == nil {
		s.localKeys = map[string]CryptoAttr{}
	}
	var out []CryptoAttr
	for i, suite := range []string{SuiteAES80, SuiteAES32} {
		c, have := s.localKeys[suite]
		if !have {
			c = newCrypto(0, suite)
			s.localKeys[suite] = c
		}
		c.Tag = i + 1
		out = append(out, c)
	}
	s.offeredCrypto = out
	return out
}

// answeredSRTP checks the SRTP of an answer to our offer: the pair to key
// the session with when it took one of our a=crypto lines, nil for plain
// RTP, or ErrSRTPRequired when the session or the answer's transport
// needs SRTP and it has none we offered.
func (s *Session) answeredSRTP(d Description) (*srtpPair, error) {
	s.mu.Lock()
	offered := s.offeredCrypto
	s.mu.Unlock()
	for _, remote := range d.Crypto {
		for _, local := range offered {
			if local.Tag == remote.Tag && local.Suite == remote.Suite {
				return newSRTPPair(local, remote)
			}
		}
	}
	if d.SAVP || s.cfg.SRTP == SRTPRequired {
		return nil, ErrSRTPRequired
	}
	return nil, nil
}

// setSRTP keys the session (nil: plain RTP from now on); savp says the
// negotiated transport was RTP/SAVP (our re-offers keep it).
func (s *Session) setSRTP(p *srtpPair, savp bool) {
	s.mu.Lock()
	s.srtpTx, s.srtpNeg = nil, NoSRTP
	if p != nil {
		s.srtpTx, s.srtpNeg = p.tx, SRTPOptional
		if savp {
			s.srtpNeg = SRTPRequired
		}
	}
	s.mu.Unlock()
	s.srtpRx.Store(p)
	s.statsMu.Lock()
	s.stats.SRTP = ""
	if p != nil {
		s.stats.SRTP = p.suite
	}
	s.statsMu.Unlock()
}

// Encrypted reports whether the session's media is SRTP both ways.
func (s *Session) Encrypted() bool { return s.srtpRx.Load() != nil }

// protectRTP encrypts a marshalled RTP packet for sending when SRTP is on
// (s.mu held); it returns pkt itself otherwise.
func (s *Session) protectRTP(pkt []byte) ([]byte, bool) {
	if s.srtpTx == nil {
		return pkt, true
	}
	out, err := s.srtpTx.EncryptRTP(s.encBuf[:0], pkt, &s.encHdr)
	return out, err == nil
}

// unprotectRTP decrypts a received packet into dst when SRTP is on; ok is
// false for one that fails authentication (or replays one).
func (s *Session) unprotectRTP(dst, pkt []byte) ([]byte, bool) {
	p := s.srtpRx.Load()
	if p == nil {
		return pkt, true
	}
	out, err := p.rxRTP.DecryptRTP(dst[:0], pkt, nil)
	return out, err == nil
}

// protectRTCP encrypts an RTCP compound packet for sending (s.mu held).
func (s *Session) protectRTCP(pkt []byte) ([]byte, bool) {
	if s.srtpTx == nil {
		return pkt, true
	}
	out, err := s.srtpTx.EncryptRTCP(nil, pkt, nil)
	return out, err == nil
}

// unprotectRTCP decrypts a received SRTCP packet when SRTP is on.
func (s *Session) unprotectRTCP(pkt []byte) ([]byte, bool) {
	p := s.srtpRx.Load()
	if p == nil {
		return pkt, true
	}
	out, err := p.rxRTCP.DecryptRTCP(nil, pkt, nil)
	return out, err == nil
}
