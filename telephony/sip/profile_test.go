package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"minipbx/internal/testutil"
)

// pnpPhone is a phone booting: it sends the plug-and-play SUBSCRIBE (by
// multicast to the group on loopback, or unicast) from its own socket
// and reads what comes back.
type pnpPhone struct {
	t    *testing.T
	conn *net.UDPConn
}

func newPNPPhone(t *testing.T) *pnpPhone {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &pnpPhone{t: t, conn: c}
}

// multicastOnLoopback sends the socket's multicast out of lo.
func (p *pnpPhone) multicastOnLoopback() error {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return err
	}
	rc, err := p.conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptIPMreqn(int(fd), syscall.IPPROTO_IP, syscall.IP_MULTICAST_IF, &syscall.IPMreqn{Ifindex: int32(lo.Index)})
	}); err != nil {
		return err
	}
	return serr
}

// subscribe is what a Yealink T46S sends at boot.
func (p *pnpPhone) subscribe(mac string, port int) string {
	local := p.conn.LocalAddr().String()
	return fmt.Sprintf("SUBSCRIBE sip:MAC%%3A%s@224.0.1.75:%d SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK%d;rport\r\n"+
		"From: <sip:MAC%%3A%s@224.0.1.75:%d>;tag=%d\r\n"+
		"To: <sip:MAC%%3A%s@224.0.1.75:%d>\r\n"+
		"Call-ID: pnp-%d@%s\r\n"+
		"CSeq: 1 SUBSCRIBE\r\n"+
		"Contact: <sip:MAC%%3A%s@%s>\r\n"+
		"Accept: application/url\r\n"+
		"Max-Forwards: 70\r\n"+
		"User-Agent: Yealink SIP-T46S 66.86.0.15 %s\r\n"+
		"Expires: 0\r\n"+
		"Event: ua-profile;profile-type=\"device\";vendor=\"Yealink\";model=\"T46S\";version=\"66.86.0.15\"\r\n"+
		"Content-Length: 0\r\n\r\n",
		mac, port, local, time.Now().UnixNano(), mac, port, time.Now().UnixNano(), mac, port, time.Now().UnixNano(), local, mac, local, mac)
}

// read returns the next message within wait, nil after it.
func (p *pnpPhone) read(wait time.Duration) sip.Message {
	buf := make([]byte, 65535)
	_ = p.conn.SetReadDeadline(time.Now().Add(wait))
	n, err := p.conn.Read(buf)
	if err != nil {
		return nil
	}
	m, err := sip.ParseMessage(buf[:n])
	if err != nil {
		p.t.Fatalf("unparseable: %v\n%s", err, buf[:n])
	}
	return m
}

// TestProfileSubscribe: a phone's plug-and-play SUBSCRIBE, sent by
// multicast to 224.0.1.75 on loopback (where the test machine allows
// it; else unicast to the box's SIP port, as phones also do), gets 200
// OK and a NOTIFY whose application/url body is the URL the provisioning
// side chose; its facts reach that side untouched.
func TestProfileSubscribe(t *testing.T) {
	var mu sync.Mutex
	var got []ProfileRequest
	s := startServer(t, Config{Addr: "0.0.0.0:0", Host: "127.0.0.1", Profiles: func(r ProfileRequest) (string, bool) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		if strings.Contains(r.RequestUser, "001565a1b2c3") {
			return "https://127.0.0.1:8443/provision/0123/", true
		}
		return "", false
	}})
	ifs, problem := s.ProfileDiscovery()
	t.Logf("plug-and-play listens on %v (%s)", ifs, problem)
	phone := newPNPPhone(t)
	dst := &net.UDPAddr{IP: net.IP(ProfileGroup.AsSlice()), Port: int(s.Addr().Port())}
	if !slices.Contains(ifs, "lo") || phone.multicastOnLoopback() != nil {
		t.Log("multicast on loopback unavailable here: the SUBSCRIBE goes unicast to the SIP port")
		dst = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(s.Addr().Port())}
	} else {
		t.Log("the SUBSCRIBE goes by multicast to 224.0.1.75 on loopback")
	}

	// A phone nobody provisioned: no answer at all.
	if _, err := phone.conn.WriteToUDP([]byte(phone.subscribe("0004130a0b0c", dst.Port)), dst); err != nil {
		t.Fatal(err)
	}
	if m := phone.read(time.Second); m != nil {
		t.Fatalf("an unprovisioned phone was answered:\n%s", m)
	}

	if _, err := phone.conn.WriteToUDP([]byte(phone.subscribe("001565a1b2c3", dst.Port)), dst); err != nil {
		t.Fatal(err)
	}
	var ok *sip.Response
	var notify *sip.Request
	for deadline := time.Now().Add(5 * time.Second); (ok == nil || notify == nil) && time.Now().Before(deadline); {
		switch m := phone.read(time.Until(deadline)).(type) {
		case *sip.Response:
			if m.StatusCode != 100 {
				ok = m
			}
		case *sip.Request:
			notify = m
			res := sip.NewResponseFromRequest(m, 200, "OK", nil)
			if _, err := phone.conn.WriteToUDP([]byte(res.String()), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(s.Addr().Port())}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ok == nil || ok.StatusCode != 200 || header(ok, "Expires") != "0" {
		t.Fatalf("SUBSCRIBE answered with %v", ok)
	}
	if tag, _ := ok.To().Params.Get("tag"); tag == "" {
		t.Error("200 without a To tag")
	}
	if notify == nil || notify.Method != sip.NOTIFY {
		t.Fatal("no NOTIFY")
	}
	for name, want := range map[string]string{"Content-Type": "application/url", "Subscription-State": "terminated;reason=timeout",
		"Event": `ua-profile;profile-type="device";vendor="Yealink";model="T46S";version="66.86.0.15"`} {
		if h := notify.GetHeader(name); h == nil || h.Value() != want {
			t.Errorf("NOTIFY %s: %v, want %q", name, h, want)
		}
	}
	if string(notify.Body()) != "https://127.0.0.1:8443/provision/0123/" {
		t.Errorf("NOTIFY body %q", notify.Body())
	}
	okTag, _ := ok.To().Params.Get("tag")
	if tag, _ := notify.From().Params.Get("tag"); tag != okTag || notify.CallID().Value() != ok.CallID().Value() {
		t.Errorf("the NOTIFY is not in the SUBSCRIBE's dialog: From tag %q, Call-ID %s", tag, notify.CallID().Value())
	}

	mu.Lock()
	defer mu.Unlock()
	r := got[len(got)-1]
	if r.RequestUser != "MAC%3A001565a1b2c3" || r.FromUser != r.RequestUser || r.UserAgent != "Yealink SIP-T46S 66.86.0.15 001565a1b2c3" ||
		r.Params["vendor"] != "Yealink" || r.Params["model"] != "T46S" || r.Params["profile-type"] != "device" ||
		r.Source.Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("facts handed on: %+v", r)
	}
	if !strings.Contains(s.allowEvents(), "ua-profile") {
		t.Errorf("Allow-Events %q", s.allowEvents())
	}
}

// TestProfileSubscribeWithoutProfiles: a box that provisions nothing
// refuses the package like any other it does not serve.
func TestProfileSubscribeWithoutProfiles(t *testing.T) {
	s := startServer(t, Config{})
	r := newRaw(t, s.Addr())
	phone := &pnpPhone{t: t, conn: r.conn}
	res := r.send(strings.Replace(phone.subscribe("001565a1b2c3", int(s.Addr().Port())), "224.0.1.75", "127.0.0.1", -1), 2*time.Second)
	if res == nil || res.StatusCode != 489 {
		t.Fatalf("got %v, want 489", res)
	}
}

func TestEventParams(t *testing.T) {
	for in, want := range map[string]map[string]string{
		`ua-profile;profile-type="device";vendor="Yealink";model="T46S";version="66.86.0.15"`: {"profile-type": "device", "vendor": "Yealink", "model": "T46S", "version": "66.86.0.15"},
		`ua-profile; Vendor = snom ;model="OEM;x";effective-by`:                               {"vendor": "snom", "model": "OEM;x", "effective-by": ""},
		`ua-profile;vendor="unterminated`:                                                     {},
		`ua-profile`:                                                                          {},
	} {
		got := eventParams(in)
		if len(got) != len(want) {
			t.Errorf("%q: %v, want %v", in, got, want)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%q: %s=%q, want %q", in, k, got[k], v)
			}
		}
	}
}

func FuzzEventParams(f *testing.F) {
	f.Add(`ua-profile;profile-type="device";vendor="Yealink";model="T46S";version="66.86.0.15"`)
	f.Add(`ua-profile;a;b=;c="";d="x;y"`)
	f.Fuzz(func(t *testing.T, v string) {
		p := eventParams(v)
		if len(p) > maxProfileParams {
			t.Fatalf("%d parameters", len(p))
		}
		for k, x := range p {
			if k == "" || len(k) > 32 || len(x) > 128 {
				t.Fatalf("%q=%q", k, x)
			}
		}
	})
}

// TestSIPpProfileSubscribe: SIPp as a booting Yealink gets its
// provisioning URL by plug-and-play (unicast: SIPp cannot send to the
// multicast group on loopback).
func TestSIPpProfileSubscribe(t *testing.T) {
	bin := testutil.Tool(t, "sipp")
	const url = "https://127.0.0.1:8443/provision/00112233445566778899aabbccddeeff/"
	s := startServer(t, Config{Profiles: func(r ProfileRequest) (string, bool) {
		return url, r.RequestUser == "MAC%3A001565a1b2c3" && r.Params["vendor"] == "Yealink"
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := sipp(t, bin, ctx, s.Addr().String(), "-sf", scenario("ua_profile.xml"), "-m", "1",
		"-key", "mac", "001565a1b2c3"); err != nil {
		t.Fatalf("sipp: %v\n%s", err, tail(out))
	}
}
