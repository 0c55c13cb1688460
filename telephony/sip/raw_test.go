package sip

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// rawUA sends hand-written SIP over UDP, to test exactly what goes on the
// wire (and what bad input does).
type rawUA struct {
	t    testing.TB
	conn *net.UDPConn
	pbx  netip.AddrPort
	seq  int
}

func newRaw(t testing.TB, pbx netip.AddrPort) *rawUA { return newRawFrom(t, pbx, "127.0.0.1") }

// newRawFrom sends from another loopback address (a different "source IP").
func newRawFrom(t testing.TB, pbx netip.AddrPort, ip string) *rawUA {
	la := &net.UDPAddr{IP: net.ParseIP(ip)}
	c, err := net.DialUDP("udp", la, net.UDPAddrFromAddrPort(pbx))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawUA{t: t, conn: c, pbx: pbx}
}

func (r *rawUA) local() string { return r.conn.LocalAddr().String() }

// send writes msg and returns the first non-100 response, or nil after wait.
func (r *rawUA) send(msg string, wait time.Duration) *sip.Response {
	r.t.Helper()
	if _, err := r.conn.Write([]byte(msg)); err != nil {
		r.t.Fatal(err)
	}
	return r.read(wait)
}

func (r *rawUA) read(wait time.Duration) *sip.Response {
	r.t.Helper()
	buf := make([]byte, 65535)
	deadline := time.Now().Add(wait)
	for {
		_ = r.conn.SetReadDeadline(deadline)
		n, err := r.conn.Read(buf)
		if err != nil {
			return nil
		}
		m, err := sip.ParseMessage(buf[:n])
		if err != nil {
			r.t.Fatalf("unparseable response: %v\n%s", err, buf[:n])
		}
		res, ok := m.(*sip.Response)
		if !ok || res.StatusCode == 100 {
			continue
		}
		return res
	}
}

// register builds a REGISTER for user with optional extra headers.
func (r *rawUA) register(user string, expires string, extra ...string) string {
	r.seq++
	host := r.pbx.String()
	msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-%d-%d;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%s@%s>;tag=raw%d\r\n"+
		"To: <sip:%s@%s>\r\n"+
		"Call-ID: raw-%s-%s\r\n"+
		"CSeq: %d REGISTER\r\n"+
		"Contact: <sip:%s@%s>\r\n",
		host, r.local(), time.Now().UnixNano(), r.seq, user, host, r.seq, user, host, user, r.local(), r.seq, user, r.local())
	if expires != "" {
		msg += "Expires: " + expires + "\r\n"
	}
	for _, h := range extra {
		msg += h + "\r\n"
	}
	return msg + "Content-Length: 0\r\n\r\n"
}

// digestFor answers a challenge the way a phone does.
func digestFor(chal, method, uri, user, pass string, nc int) string {
	p, err := parseDigest(chal)
	if err != nil {
		panic(err)
	}
	h := func(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }
	ha1 := h(user + ":" + p["realm"] + ":" + pass)
	ha2 := h(method + ":" + uri)
	ncs := fmt.Sprintf("%08x", nc)
	cnonce := "c0ffee"
	resp := h(ha1 + ":" + p["nonce"] + ":" + ncs + ":" + cnonce + ":auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s"`,
		user, p["realm"], p["nonce"], uri, resp, ncs, cnonce)
}

// shape is a response with everything random blanked out: status, reason,
// header names in order, and the challenge's parameter names.
func shape(res *sip.Response) string {
	var names []string
	for _, h := range res.Headers() {
		n := h.Name()
		if n == "WWW-Authenticate" || n == "Proxy-Authenticate" {
			p, _ := parseDigest(h.Value())
			var keys []string
			for k, v := range p {
				if k == "nonce" {
					v = "*"
				}
				keys = append(keys, k+"="+v)
			}
			sort.Strings(keys)
			n += "(" + strings.Join(keys, ",") + ")"
		}
		names = append(names, n)
	}
	return fmt.Sprintf("%d %s | %s", res.StatusCode, res.Reason, strings.Join(names, " "))
}

func header(res *sip.Response, name string) string {
	if h := res.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
