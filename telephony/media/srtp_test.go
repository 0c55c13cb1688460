package media

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

var testKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, keyLen))

func TestParseCrypto(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey, true},
		{"2 AES_CM_128_HMAC_SHA1_32 inline:" + testKey + "|2^31", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.TrimRight(testKey, "="), true}, // unpadded base64
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^20|1:4", false},          // MKI
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^20", false},              // a short lifetime
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + ";inline:" + testKey, false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + " UNENCRYPTED_SRTP", false},
		{"1 AES_256_CM_HMAC_SHA1_80 inline:" + testKey, false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:QUJD", false}, // too short
		{"x AES_CM_128_HMAC_SHA1_80 inline:" + testKey, false},
		{"1 AES_CM_128_HMAC_SHA1_80", false},
		{"", false},
	} {
		c, ok := parseCrypto(tc.in)
		if ok != tc.ok {
			t.Errorf("%q: usable %v, want %v", tc.in, ok, tc.ok)
		}
		if ok && (c.Key[0] != 7 || c.Key[keyLen-1] != 7) {
			t.Errorf("%q: key %x", tc.in, c.Key)
		}
	}
}

func FuzzParseCrypto(f *testing.F) {
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^31")
	f.Fuzz(func(t *testing.T, s string) {
		if c, ok := parseCrypto(s); ok {
			if _, known := profileOf(c.Suite); !known {
				t.Fatalf("suite %q", c.Suite)
			}
			if back, ok := parseCrypto(c.String()); !ok || back != c {
				t.Fatalf("%q does not round-trip", c.String())
			}
		}
	})
}

// frames collects what a session's sink receives.
type frames struct {
	mu  sync.Mutex
	got [][FrameSamples]byte
}

func (f *frames) WriteFrame(fr *Frame) {
	f.mu.Lock()
	f.got = append(f.got, [FrameSamples]byte(fr.Encoded(PCMU)))
	f.mu.Unlock()
}

func (f *frames) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.got) }

// TestSRTPCall: two sessions negotiate SRTP (an offer with both suites,
// best effort), audio flows both ways and arrives intact, every packet on
// the wire is encrypted and authenticated, and a plain or forged packet
// from the peer's own address is thrown away.
func TestSRTPCall(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keep  string // the suite the answerer is left to choose
		tag   int    // SRTP authentication tag length
		mode  SRTPMode
		proto string
	}{
		{"80-bit tag, best effort", SuiteAES80, 10, SRTPOptional, "RTP/AVP"},
		{"32-bit tag, RTP/SAVP", SuiteAES32, 4, SRTPRequired, "RTP/SAVP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestSession(t, SessionConfig{SRTP: tc.mode})
			b := newTestSession(t, SessionConfig{})
			offer, err := a.Offer(nil, SendRecv)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(offer), "m=audio ") || !strings.Contains(string(offer), tc.proto+" ") ||
				strings.Count(string(offer), "a=crypto:") != 2 {
				t.Fatalf("offer:\n%s", offer)
			}
			offer = keepCrypto(offer, tc.keep)
			answer, d, err := b.AnswerOffer(offer)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Crypto) != 1 || !strings.Contains(string(answer), "a=crypto:") || !strings.Contains(string(answer), tc.proto+" ") {
				t.Fatalf("answer:\n%s", answer)
			}
			if _, err := a.AcceptAnswer(answer); err != nil {
				t.Fatal(err)
			}
			if !a.Encrypted() || !b.Encrypted() || a.Stats().SRTP != tc.keep || b.Stats().SRTP != tc.keep {
				t.Fatalf("not encrypted: %v %v %q %q", a.Encrypted(), b.Encrypted(), a.Stats().SRTP, b.Stats().SRTP)
			}
			// A re-offer keeps the call secure.
			if re, _ := a.Offer(nil, SendOnly); !strings.Contains(string(re), "a=crypto:") {
				t.Fatalf("re-offer without SRTP:\n%s", re)
			}
			var atB, atA frames
			b.SetSink(&atB)
			a.SetSink(&atA)
			var f Frame
			for i := range 10 {
				toneFrame(&f, i)
				a.WriteFrame(&f)
				b.WriteFrame(&f)
				time.Sleep(2 * time.Millisecond)
			}
			deadline := time.Now().Add(2 * time.Second)
			for (atA.count() < 10 || atB.count() < 10) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if atA.count() != 10 || atB.count() != 10 {
				t.Fatalf("frames through SRTP: %d and %d of 10", atA.count(), atB.count())
			}
			for i := range 10 {
				toneFrame(&f, i)
				if want := [FrameSamples]byte(f.Encoded(PCMU)); atB.got[i] != want || atA.got[i] != want {
					t.Fatalf("frame %d changed on its way", i)
				}
			}

			// What a sends, as a listener on the wire sees it.
			tap := newPeer(t)
			a.mu.Lock()
			a.remote = tap.addr
			a.mu.Unlock()
			toneFrame(&f, 3)
			a.WriteFrame(&f)
			pkt, ok := tap.read(t, time.Second)
			if !ok {
				t.Fatal("nothing on the wire")
			}
			plain := f.Encoded(PCMU)
			if len(pkt.Payload) != FrameSamples+tc.tag || bytes.Contains(pkt.Payload, plain[:16]) {
				t.Fatalf("on the wire: %d octets, payload in the clear %v", len(pkt.Payload), bytes.Contains(pkt.Payload, plain[:16]))
			}
			// The packet the tap caught reaches b twice (the second time a
			// replay), and a plain one from a's own address: only the first
			// is taken.
			ignored := b.Stats().Ignored
			raw, _ := pkt.Marshal()
			ac := a.rtpConn
			p2 := *pkt
			p2.Payload = plain[:]
			rawPlain, _ := p2.Marshal()
			for _, d := range [][]byte{raw, raw, rawPlain} {
				_, _ = ac.WriteToUDPAddrPort(d, b.LocalAddr())
			}
			for time.Now().Before(deadline) && b.Stats().Ignored < ignored+2 {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			if got := b.Stats().Ignored - ignored; got != 2 || atB.count() != 11 {
				t.Fatalf("replayed and plain packets: %d ignored, %d frames taken (want 2 and 11)", got, atB.count())
			}
		})
	}
}

// keepCrypto leaves only the a=crypto line of suite in an SDP.
func keepCrypto(sdp []byte, suite string) []byte {
	var out []string
	for _, l := range strings.Split(string(sdp), "\r\n") {
		if strings.HasPrefix(l, "a=crypto:") && !strings.Contains(l, suite) {
			continue
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\r\n"))
}

// TestSRTPRequired: RTP/SAVP without a key we can use, or a plain offer
// or answer to a session that requires SRTP, is refused and changes
// nothing; a plain session still answers an SRTP offer with SRTP.
func TestSRTPRequired(t *testing.T) {
	p := newPeer(t)
	plainOffer := p.offer("0 101")
	savpNoKey := []byte(strings.Replace(string(plainOffer), "RTP/AVP", "RTP/SAVP", 1))
	savpBadKey := sdpOf(strings.Split(strings.TrimSpace(string(savpNoKey)), "\r\n")...)
	savpBadKey = append(savpBadKey[:len(savpBadKey)-2], []byte("\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+testKey+"|2^20|1:4\r\n")...)

	s := newTestSession(t, SessionConfig{})
	for name, offer := range map[string][]byte{"no key": savpNoKey, "an MKI": savpBadKey} {
		if _, _, err := s.AnswerOffer(offer); !errors.Is(err, ErrSRTPRequired) {
			t.Errorf("RTP/SAVP with %s: %v, want ErrSRTPRequired", name, err)
		}
	}
	if s.remote.IsValid() || s.Encrypted() {
		t.Fatal("a refused offer changed the session")
	}
	req := newTestSession(t, SessionConfig{SRTP: SRTPRequired})
	if _, _, err := req.AnswerOffer(plainOffer); !errors.Is(err, ErrSRTPRequired) {
		t.Fatalf("plain offer to a session requiring SRTP: %v", err)
	}
	if _, err := req.Offer(nil, SendRecv); err != nil {
		t.Fatal(err)
	}
	if _, err := req.AcceptAnswer(plainOffer); !errors.Is(err, ErrSRTPRequired) {
		t.Fatalf("plain answer to a session requiring SRTP: %v", err)
	}
	// A plain session's own offers carry no keys.
	if o, _ := s.Offer(nil, SendRecv); strings.Contains(string(o), "crypto") || !strings.Contains(string(o), "RTP/AVP") {
		t.Fatalf("plain offer:\n%s", o)
	}
}

// BenchmarkSRTPSend is one frame encoded, encrypted and sent.
func BenchmarkSRTPSend(b *testing.B) {
	s := newTestSession(b, SessionConfig{SRTP: SRTPRequired})
	peer := newTestSession(b, SessionConfig{})
	offer, _ := s.Offer(nil, SendRecv)
	answer, _, err := peer.AnswerOffer(offer)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.AcceptAnswer(answer); err != nil {
		b.Fatal(err)
	}
	var f Frame
	toneFrame(&f, 1)
	b.ReportAllocs()
	for b.Loop() {
		s.WriteFrame(&f)
	}
}
