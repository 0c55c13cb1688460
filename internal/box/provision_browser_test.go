package box

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/provision"
	"minipbx/telephony/store"
)

// bootingPhone is a Yealink T46S at boot: it SUBSCRIBEs for its profile
// (plug-and-play, RFC 6080) and takes whatever NOTIFY comes back.
type bootingPhone struct {
	t    *testing.T
	conn *net.UDPConn
	box  *net.UDPAddr
	n    int
}

func newBootingPhone(t *testing.T, sipAddr string) *bootingPhone {
	box, err := net.ResolveUDPAddr("udp4", sipAddr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &bootingPhone{t: t, conn: c, box: box}
}

// boot sends the SUBSCRIBE (unicast to the box's SIP port: a phone sends
// the same to 224.0.1.75:5060, and telephony/sip tests the multicast
// path) and returns the NOTIFY's body, or "" when nothing came back.
func (p *bootingPhone) boot(mac string) string {
	p.t.Helper()
	p.n++
	local := p.conn.LocalAddr().String()
	msg := fmt.Sprintf("SUBSCRIBE sip:MAC%%3A%[1]s@224.0.1.75:5060 SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %[2]s;branch=z9hG4bK-boot-%[3]d-%[4]d;rport\r\n"+
		"From: <sip:MAC%%3A%[1]s@224.0.1.75:5060>;tag=boot%[3]d\r\n"+
		"To: <sip:MAC%%3A%[1]s@224.0.1.75:5060>\r\n"+
		"Call-ID: boot-%[3]d-%[4]d@%[2]s\r\nCSeq: 1 SUBSCRIBE\r\n"+
		"Contact: <sip:MAC%%3A%[1]s@%[2]s>\r\nAccept: application/url\r\nMax-Forwards: 70\r\n"+
		"User-Agent: Yealink SIP-T46S 66.86.0.15 %[1]s\r\nExpires: 0\r\n"+
		"Event: ua-profile;profile-type=\"device\";vendor=\"Yealink\";model=\"T46S\";version=\"66.86.0.15\"\r\n"+
		"Content-Length: 0\r\n\r\n", mac, local, p.n, time.Now().UnixNano())
	if _, err := p.conn.WriteToUDP([]byte(msg), p.box); err != nil {
		p.t.Fatal(err)
	}
	buf := make([]byte, 65535)
	for deadline := time.Now().Add(3 * time.Second); ; {
		_ = p.conn.SetReadDeadline(deadline)
		n, err := p.conn.Read(buf)
		if err != nil {
			return ""
		}
		m, err := sip.ParseMessage(buf[:n])
		if err != nil {
			p.t.Fatalf("unparseable: %v", err)
		}
		if req, ok := m.(*sip.Request); ok && req.Method == sip.NOTIFY {
			res := sip.NewResponseFromRequest(req, 200, "OK", nil)
			_, _ = p.conn.WriteToUDP([]byte(res.String()), p.box)
			return string(req.Body())
		}
	}
}

// TestBrowserPhoneProvisioning: a Yealink starts on the office network
// and appears on the Phones page with its model and firmware; the
// installer provisions it as extension 201 in Chromium; restarted, the
// phone is handed its URL by plug-and-play — the one the page shows —
// and fetches its file with it: extension 201's account. A wrong token
// gets 404.
func TestBrowserPhoneProvisioning(t *testing.T) {
	b := startBox(t, "")
	ctx := tctx(t, 90*time.Second)
	if err := b.Service().SetAdminPassword(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	secret := b.addSIPExtension(t, "201", "Anna", false)
	phone := newBootingPhone(t, b.SIPAddr())
	const mac = "001565a1b2c3"
	if url := phone.boot(mac); url != "" {
		t.Fatalf("an unprovisioned phone was handed %q", url)
	}

	br := loggedIn(t, "https://"+b.WebAddr(), 60*time.Second)
	br.follow("phones", chromedp.Click(byID("nav-phones")))
	row := br.text("phone-" + mac)
	for _, want := range []string{"Yealink", "SIP-T46S", "66.86.0.15", "127.0.0.1", "not provisioned"} {
		if !strings.Contains(row, want) {
			t.Errorf("the phone's row lacks %q: %q", want, row)
		}
	}
	br.do(chromedp.SetValue(byID("ext-"+mac), "201"))
	br.follow("ext-of-"+mac, chromedp.Click(byID("provision-"+mac)))
	if f := br.text("flash"); !strings.Contains(f, "provisioned as extension 201") {
		t.Errorf("flash: %q", f)
	}
	pageURL := br.text("url-" + mac)

	url := phone.boot(mac)
	if url == "" || url != pageURL {
		t.Fatalf("plug-and-play handed %q; the page shows %q", url, pageURL)
	}
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // the box's own certificate
	get := func(u string) (int, string) {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("User-Agent", "Yealink SIP-T46S 66.86.0.15 00:15:65:a1:b2:c3")
		res, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	code, body := get(url + mac + ".cfg")
	if code != 200 {
		t.Fatalf("fetch: %d %s", code, body)
	}
	s, err := provision.Parse("yealink", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if s["account.1.user_name"] != "201" || s["account.1.password"] != secret || s["account.1.display_name"] != "Anna" ||
		s["account.1.sip_server.1.port"] != fmt.Sprint(port(b.SIPAddr())) {
		t.Errorf("the file's account: %v", s)
	}
	// The phone has its file: plug-and-play hands the URL out no more.
	if again := phone.boot(mac); again != "" {
		t.Errorf("handed out again after the fetch: %q", again)
	}
	c, _ := b.Service().ExportConfig(ctx)
	var p store.Phone
	for _, x := range c.Provisioning.Phones {
		if x.MAC == mac {
			p = x
		}
	}
	if p.Fetched.IsZero() {
		t.Error("the first fetch is not recorded")
	}
	wrong := strings.Replace(url, p.Token, strings.Repeat("0", len(p.Token)), 1)
	if code, _ := get(wrong + mac + ".cfg"); code != 404 {
		t.Errorf("a wrong token: %d", code)
	}
	// The page now says which phone has which extension, and it was heard.
	br.follow("phones", chromedp.Click(byID("nav-phones")))
	if row := br.text("phone-" + mac); !strings.Contains(row, "extension 201") || !strings.Contains(row, "closed: the phone fetched its file") {
		t.Errorf("the row after the fetch: %q", row)
	}
}
