package sip

import (
	"net"
	"strings"
	"testing"
	"time"
)

// FuzzServerDatagram throws arbitrary datagrams at a running server. sipgo
// parses them; whatever reaches our handlers (any method, missing or odd
// headers, broken SDP, bogus credentials) must be answered or dropped
// without a panic, and the server must keep answering OPTIONS.
func FuzzServerDatagram(f *testing.F) {
	seed := func(s string) { f.Add([]byte(s)) }
	hdr := "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-f1\r\nFrom: <sip:201@x>;tag=a\r\nTo: <sip:202@x>\r\nCall-ID: fz\r\nMax-Forwards: 70\r\n"
	seed("REGISTER sip:x SIP/2.0\r\n" + hdr + "CSeq: 1 REGISTER\r\nContact: *\r\nExpires: 0\r\nAuthorization: Digest username=\"201\", nonce=\"AAAA\"\r\nContent-Length: 0\r\n\r\n")
	seed("INVITE sip:202@x SIP/2.0\r\n" + hdr + "CSeq: 1 INVITE\r\nContact: <sip:201@127.0.0.1:5999>\r\nProxy-Authorization: Digest realm=\"minipbx\"\r\nContent-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\nm=aud")
	seed("BYE sip:202@x SIP/2.0\r\n" + hdr + "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n")
	seed("INFO sip:202@x SIP/2.0\r\n" + hdr + "CSeq: 3 INFO\r\nContent-Type: application/dtmf-relay\r\nContent-Length: 9\r\n\r\nSignal=5\r\n")
	seed("SUBSCRIBE sip:201@x SIP/2.0\r\n" + hdr + "CSeq: 4 SUBSCRIBE\r\nContact: <sip:201@127.0.0.1:5999>\r\nEvent: message-summary;id=1\r\nAccept: application/simple-message-summary, */*\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n")
	seed("CANCEL sip:202@x SIP/2.0\r\n" + hdr + "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n")
	seed("SUBSCRIBE sip:202@x SIP/2.0\r\n" + hdr + "CSeq: 5 SUBSCRIBE\r\nContact: <sip:201@127.0.0.1:5999>\r\nEvent: dialog\r\nAccept: application/dialog-info+xml\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n")
	seed("REFER sip:202@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-f2\r\nFrom: <sip:201@x>;tag=a\r\nTo: <sip:202@x>;tag=b\r\nCall-ID: fz\r\nCSeq: 6 REFER\r\n" +
		"Refer-To: <sip:203@127.0.0.1?Replaces=c%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>\r\nReferred-By: <sip:201@x>\r\nRefer-Sub: false\r\nContent-Length: 0\r\n\r\n")
	seed("INVITE sip:202@x SIP/2.0\r\n" + hdr + "CSeq: 7 INVITE\r\nContact: <sip:201@127.0.0.1:5999>\r\nReplaces: c@h;to-tag=1;from-tag=2;early-only\r\nContent-Length: 0\r\n\r\n")
	seed("\x00\xff garbage")
	s := startServer(f, Config{Ban: BanPolicy{Disabled: true}, Lamps: newLampBoard("201", "202").source})
	pc, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(s.Addr()))
	if err != nil {
		f.Fatal(err)
	}
	defer pc.Close()
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(s.Addr()))
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	// ping sends OPTIONS and waits for its 200 (no test helpers: it runs
	// inside the fuzz target), retransmitting as a UAC does (RFC 3261
	// Timer E): under the fuzzer's flood the loopback socket drops
	// datagrams, the server's answer or our request.
	ping := func() bool {
		msg := "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP " + pc.LocalAddr().String() + ";branch=z9hG4bK-ping" + time.Now().Format("150405.000000000") +
			"\r\nFrom: <sip:p@x>;tag=p\r\nTo: <sip:x>\r\nCall-ID: ping\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
		buf := make([]byte, 4096)
		for wait := 500 * time.Millisecond; wait <= 4*time.Second; wait *= 2 {
			if _, err := pc.Write([]byte(msg)); err != nil {
				return false
			}
			_ = pc.SetReadDeadline(time.Now().Add(wait))
			for {
				n, err := pc.Read(buf)
				if err != nil {
					break
				}
				if strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
					return true
				}
			}
		}
		return false
	}
	n := 0
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := c.Write(b); err != nil {
			return
		}
		if n++; n%200 == 0 && !ping() {
			t.Fatal("server stopped answering")
		}
	})
	if !ping() {
		f.Fatal("server stopped answering")
	}
}
