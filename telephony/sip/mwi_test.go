package sip

import (
	"context"
	"crypto/md5"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// mwiUA is a hand-written SIP phone for message-waiting tests: it sends
// SUBSCRIBE and REGISTER, and answers every request it receives (NOTIFYs)
// with notifyCode, handing them to the test.
type mwiUA struct {
	t          testing.TB
	conn       *net.UDPConn
	pbx        string
	seq        int
	callID     string
	fromTag    string
	toTag      string // the notifier's tag once subscribed
	notifyCode atomic.Int32
	// challenge, when set, is the password the UA demands of NOTIFYs
	// (digest, as some phones do); a NOTIFY without valid credentials
	// gets 401.
	challenge atomic.Pointer[string]
	notifies  chan *sip.Request
	responses chan *sip.Response
}

func newMWIUA(t testing.TB, s *Server) *mwiUA {
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, net.UDPAddrFromAddrPort(s.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	u := &mwiUA{t: t, conn: c, pbx: s.Addr().String(), callID: fmt.Sprintf("mwi-%d", time.Now().UnixNano()),
		fromTag: "sub1", notifies: make(chan *sip.Request, 16), responses: make(chan *sip.Response, 16)}
	u.notifyCode.Store(200)
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			m, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
			if err != nil {
				continue
			}
			switch m := m.(type) {
			case *sip.Response:
				if m.StatusCode != 100 {
					u.responses <- m
				}
			case *sip.Request:
				code := int(u.notifyCode.Load())
				var extra []sip.Header
				if pw := u.challenge.Load(); pw != nil {
					switch h := m.GetHeader("Authorization"); {
					case h == nil:
						code = 401
						extra = append(extra, sip.NewHeader("WWW-Authenticate", `Digest realm="phone", nonce="n0nce", algorithm=MD5`))
					case !validDigest(h.Value(), m.Method.String(), *pw):
						code = 403
					}
				}
				res := sip.NewResponseFromRequest(m, code, "Whatever", nil)
				for _, h := range extra {
					res.AppendHeader(h)
				}
				_, _ = c.Write([]byte(res.String()))
				u.notifies <- m
			}
		}
	}()
	return u
}

func (u *mwiUA) local() string { return u.conn.LocalAddr().String() }

// validDigest checks an Authorization header's MD5 digest (RFC 2617,
// without qop) for method and password.
func validDigest(auth, method, password string) bool {
	param := func(name string) string {
		m := regexp.MustCompile(name + `="?([^",]*)"?`).FindStringSubmatch(auth)
		if m == nil {
			return ""
		}
		return m[1]
	}
	h := func(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }
	ha1 := h(param("username") + ":" + param("realm") + ":" + password)
	ha2 := h(method + ":" + param("uri"))
	return param("response") == h(ha1+":"+param("nonce")+":"+ha2)
}

// subscribe builds a SUBSCRIBE from user to mailbox (in the dialog once
// toTag is known).
func (u *mwiUA) subscribe(user, mailbox, event, expires string, extra ...string) string {
	u.seq++
	to := fmt.Sprintf("<sip:%s@%s>", mailbox, u.pbx)
	if u.toTag != "" {
		to += ";tag=" + u.toTag
	}
	msg := fmt.Sprintf("SUBSCRIBE sip:%s@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-mwi-%d-%d;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%s@%s>;tag=%s\r\n"+
		"To: %s\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: %d SUBSCRIBE\r\n"+
		"Contact: <sip:%s@%s>\r\n"+
		"Event: %s\r\n",
		mailbox, u.pbx, u.local(), time.Now().UnixNano(), u.seq, user, u.pbx, u.fromTag, to, u.callID, u.seq, user, u.local(), event)
	if !strings.HasPrefix(strings.Join(extra, "|"), "Accept:") {
		msg += "Accept: application/simple-message-summary\r\n"
	}
	if expires != "" {
		msg += "Expires: " + expires + "\r\n"
	}
	for _, h := range extra {
		msg += h + "\r\n"
	}
	return msg + "Content-Length: 0\r\n\r\n"
}

func (u *mwiUA) send(msg string) *sip.Response {
	u.t.Helper()
	if _, err := u.conn.Write([]byte(msg)); err != nil {
		u.t.Fatal(err)
	}
	select {
	case r := <-u.responses:
		return r
	case <-time.After(2 * time.Second):
		return nil
	}
}

// authSubscribe subscribes to a mailbox with the challenge/response dance.
func (u *mwiUA) authSubscribe(user, pass, mailbox, expires string) *sip.Response {
	u.t.Helper()
	return u.authSubscribeTo("message-summary", mwiContentType, user, pass, mailbox, expires)
}

// authSubscribeTo subscribes to resource for event, accepting ctype.
func (u *mwiUA) authSubscribeTo(event, ctype, user, pass, resource, expires string) *sip.Response {
	u.t.Helper()
	res := u.send(u.subscribe(user, resource, event, expires, "Accept: "+ctype))
	if res == nil || res.StatusCode != 401 {
		u.t.Fatalf("first SUBSCRIBE: want 401, got %v", res)
	}
	auth := digestFor(header(res, "WWW-Authenticate"), "SUBSCRIBE", "sip:"+resource+"@"+u.pbx, user, pass, 1)
	res = u.send(u.subscribe(user, resource, event, expires, "Accept: "+ctype, "Authorization: "+auth))
	if res == nil {
		u.t.Fatal("no answer to the authenticated SUBSCRIBE")
	}
	return res
}

// register registers the UA's address as user's contact.
func (u *mwiUA) register(user, pass string) {
	u.t.Helper()
	reg := func(extra ...string) string {
		u.seq++
		msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-reg-%d-%d;rport\r\n"+
			"Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=reg\r\nTo: <sip:%s@%s>\r\nCall-ID: reg-%s\r\n"+
			"CSeq: %d REGISTER\r\nContact: <sip:%s@%s>\r\nExpires: 300\r\n",
			u.pbx, u.local(), time.Now().UnixNano(), u.seq, user, u.pbx, user, u.pbx, u.callID, u.seq, user, u.local())
		for _, h := range extra {
			msg += h + "\r\n"
		}
		return msg + "Content-Length: 0\r\n\r\n"
	}
	res := u.send(reg())
	if res == nil || res.StatusCode != 401 {
		u.t.Fatalf("first REGISTER: %v", res)
	}
	auth := digestFor(header(res, "WWW-Authenticate"), "REGISTER", "sip:"+u.pbx, user, pass, 1)
	if res := u.send(reg("Authorization: " + auth)); res == nil || res.StatusCode != 200 {
		u.t.Fatalf("REGISTER: %v", res)
	}
}

// notify waits for the next NOTIFY.
func (u *mwiUA) notify() *sip.Request {
	u.t.Helper()
	select {
	case r := <-u.notifies:
		return r
	case <-time.After(3 * time.Second):
		u.t.Fatal("no NOTIFY")
		return nil
	}
}

// quiet checks that no NOTIFY arrives for d.
func (u *mwiUA) quiet(d time.Duration) {
	u.t.Helper()
	select {
	case r := <-u.notifies:
		u.t.Fatalf("unexpected NOTIFY:\n%s", r)
	case <-time.After(d):
	}
}

func reqHeader(r *sip.Request, name string) string {
	if h := r.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// checkSummary checks a NOTIFY's event, body and Subscription-State prefix.
func checkSummary(t *testing.T, n *sip.Request, ext, waiting, counts, state string) {
	t.Helper()
	if reqHeader(n, "Event") != "message-summary" || reqHeader(n, "Content-Type") != "application/simple-message-summary" {
		t.Fatalf("NOTIFY headers:\n%s", n)
	}
	want := "Messages-Waiting: " + waiting + "\r\nMessage-Account: sip:" + ext + "@127.0.0.1\r\nVoice-Message: " + counts + " (0/0)\r\n"
	if string(n.Body()) != want {
		t.Fatalf("body %q, want %q", n.Body(), want)
	}
	if got := reqHeader(n, "Subscription-State"); !strings.HasPrefix(got, state) {
		t.Fatalf("Subscription-State %q, want %s...:\n%s", got, state, n)
	}
}

func TestMWISubscribeNotifyRefreshUnsubscribe(t *testing.T) {
	s := startServer(t, Config{})
	u := newMWIUA(t, s)
	res := u.authSubscribe("201", "secret201", "201", "7200")
	if res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %d %s", res.StatusCode, res.Reason)
	}
	if header(res, "Expires") != "3600" {
		t.Errorf("granted Expires %q, want 3600 (clamped)", header(res, "Expires"))
	}
	u.toTag, _ = res.To().Params.Get("tag")
	if u.toTag == "" || res.GetHeader("Contact") == nil {
		t.Fatalf("200 without To tag or Contact:\n%s", res)
	}
	// The current state at once: nothing known yet means no messages.
	n := u.notify()
	checkSummary(t, n, "201", "no", "0/0", "active;expires=")
	if tag, _ := n.From().Params.Get("tag"); tag != u.toTag || n.CallID().Value() != u.callID {
		t.Fatalf("NOTIFY outside the dialog:\n%s", n)
	}
	seq := n.CSeq().SeqNo

	s.SetMessageWaiting("201", 2, 0)
	n = u.notify()
	checkSummary(t, n, "201", "yes", "2/0", "active")
	if n.CSeq().SeqNo <= seq {
		t.Errorf("NOTIFY CSeq %d after %d", n.CSeq().SeqNo, seq)
	}
	seq = n.CSeq().SeqNo
	s.SetMessageWaiting("201", 2, 0) // unchanged: nothing
	s.SetMessageWaiting("202", 1, 0) // another mailbox: nothing here
	u.quiet(300 * time.Millisecond)

	// A refresh in the dialog: 200 and the state again.
	res = u.authSubscribe("201", "secret201", "201", "600")
	if res.StatusCode != 200 || header(res, "Expires") != "600" {
		t.Fatalf("refresh: %d Expires %q", res.StatusCode, header(res, "Expires"))
	}
	n = u.notify()
	checkSummary(t, n, "201", "yes", "2/0", "active;expires=600")
	if n.CSeq().SeqNo <= seq {
		t.Errorf("NOTIFY CSeq %d after %d", n.CSeq().SeqNo, seq)
	}
	if got := s.Subscriptions("201"); got != 1 {
		t.Fatalf("%d subscriptions after refresh, want 1", got)
	}

	// Unsubscribe: 200 Expires 0, a final NOTIFY, nothing afterwards.
	res = u.authSubscribe("201", "secret201", "201", "0")
	if res.StatusCode != 200 || header(res, "Expires") != "0" {
		t.Fatalf("unsubscribe: %d Expires %q", res.StatusCode, header(res, "Expires"))
	}
	checkSummary(t, u.notify(), "201", "yes", "2/0", "terminated")
	if got := s.Subscriptions("201"); got != 0 {
		t.Fatalf("%d subscriptions after unsubscribe", got)
	}
	s.SetMessageWaiting("201", 0, 2)
	u.quiet(300 * time.Millisecond)

	// The dialog is gone: a refresh in it gets 481.
	if res := u.authSubscribe("201", "secret201", "201", "600"); res.StatusCode != 481 {
		t.Fatalf("refresh of an ended subscription: %d, want 481", res.StatusCode)
	}
}

func TestMWIRefusals(t *testing.T) {
	s := startServer(t, Config{})
	u := newMWIUA(t, s)
	// Someone else's mailbox.
	if res := u.authSubscribe("201", "secret201", "202", "600"); res.StatusCode != 403 {
		t.Fatalf("other mailbox: %d, want 403", res.StatusCode)
	}
	// Another event package: 489 with Allow-Events.
	res := u.send(u.subscribe("201", "201", "presence", "600"))
	if res == nil || res.StatusCode != 489 || header(res, "Allow-Events") != "message-summary" {
		t.Fatalf("presence: %v", res)
	}
	if res := u.send(u.subscribe("201", "201", "", "600")); res == nil || res.StatusCode != 489 {
		t.Fatalf("no event: %v", res)
	}
	// Too brief.
	res = u.send(u.subscribe("201", "201", "message-summary", "10"))
	if res == nil || res.StatusCode != 423 || header(res, "Min-Expires") != "60" {
		t.Fatalf("brief: %v", res)
	}
	// A body type we do not make.
	res = u.send(u.subscribe("201", "201", "message-summary", "600", "Accept: application/pidf+xml"))
	if res == nil || res.StatusCode != 406 {
		t.Fatalf("Accept pidf: %v", res)
	}
	// Wrong password: challenged again, never subscribed.
	if res := u.authSubscribe("201", "wrong", "201", "600"); res.StatusCode != 401 {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	u.quiet(200 * time.Millisecond)
	if s.Subscriptions("201") != 0 {
		t.Fatal("refused SUBSCRIBEs left a subscription")
	}
}

// SUBSCRIBE counts against the ban policy like REGISTER and INVITE.
func TestMWIBans(t *testing.T) {
	s := startServer(t, Config{Ban: BanPolicy{MaxFailures: 3}})
	u := newMWIUA(t, s)
	for range 3 {
		if res := u.authSubscribe("201", "guess", "201", "600"); res.StatusCode != 401 {
			t.Fatalf("wrong password: %d", res.StatusCode)
		}
	}
	// Banned: silence, even with the right password.
	if res := u.send(u.subscribe("201", "201", "message-summary", "600")); res != nil {
		t.Fatalf("banned address answered: %d", res.StatusCode)
	}
}

func TestMWIBoundedAndFetch(t *testing.T) {
	s := startServer(t, Config{MaxBindingsPerExtension: 2})
	s.SetMessageWaiting("203", 1, 1)
	var uas []*mwiUA
	for i := range 3 {
		u := newMWIUA(t, s)
		res := u.authSubscribe("203", "secret203", "203", "600")
		if i < 2 {
			if res.StatusCode != 200 {
				t.Fatalf("subscription %d: %d", i+1, res.StatusCode)
			}
			checkSummary(t, u.notify(), "203", "yes", "1/1", "active")
		} else if res.StatusCode != 403 {
			t.Fatalf("third subscription: %d, want 403", res.StatusCode)
		}
		uas = append(uas, u)
	}
	// The same phone subscribing afresh (new dialog, same contact) replaces
	// its old subscription instead of taking another place.
	again := uas[0]
	again.callID, again.toTag, again.seq = again.callID+"-reboot", "", 0
	if res := again.authSubscribe("203", "secret203", "203", "600"); res.StatusCode != 200 {
		t.Fatalf("resubscription: %d", res.StatusCode)
	}
	again.notify()
	if n := s.Subscriptions("203"); n != 2 {
		t.Fatalf("%d subscriptions, want 2", n)
	}
	// A fetch (Expires: 0 outside a dialog): one terminated NOTIFY.
	f := newMWIUA(t, s)
	if res := f.authSubscribe("201", "secret201", "201", "0"); res.StatusCode != 200 {
		t.Fatalf("fetch: %d", res.StatusCode)
	}
	checkSummary(t, f.notify(), "201", "no", "0/0", "terminated")
	if s.Subscriptions("201") != 0 {
		t.Fatal("a fetch left a subscription")
	}
}

// A phone that rejects a NOTIFY (481) loses its subscription; one whose
// subscription runs out gets a terminated NOTIFY.
func TestMWINotifyFailureAndExpiry(t *testing.T) {
	s := startServer(t, Config{})
	u := newMWIUA(t, s)
	if res := u.authSubscribe("201", "secret201", "201", "600"); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %d", res.StatusCode)
	}
	u.notify()
	u.notifyCode.Store(481)
	s.SetMessageWaiting("201", 1, 0)
	u.notify()
	waitFor(t, func() bool { return s.Subscriptions("201") == 0 }, "subscription dropped after 481")

	v := newMWIUA(t, s)
	if res := v.authSubscribe("202", "secret202", "202", "600"); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %d", res.StatusCode)
	}
	v.notify()
	s.mwi.mu.Lock()
	for _, sub := range s.mwi.subs {
		sub.expires = time.Now().Add(-time.Second)
	}
	s.mwi.mu.Unlock()
	checkSummary(t, v.notify(), "202", "no", "0/0", "terminated;reason=timeout")
	if s.Subscriptions("202") != 0 {
		t.Fatal("expired subscription kept")
	}
}

// A phone that challenges the box's NOTIFYs with the credentials it
// registers with gets each NOTIFY again with them, and the dialog's next
// NOTIFY carries a higher CSeq than the answered one.
func TestMWIChallengedNotify(t *testing.T) {
	s := startServer(t, Config{})
	u := newMWIUA(t, s)
	pw := "secret201"
	u.challenge.Store(&pw)
	if res := u.authSubscribe("201", "secret201", "201", "600"); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %d", res.StatusCode)
	}
	first, again := u.notify(), u.notify()
	if first.GetHeader("Authorization") != nil || again.GetHeader("Authorization") == nil {
		t.Fatalf("want a NOTIFY, then the same with credentials:\n%s\n%s", first, again)
	}
	if again.CSeq().SeqNo != first.CSeq().SeqNo+1 {
		t.Errorf("the answered NOTIFY's CSeq %d after %d", again.CSeq().SeqNo, first.CSeq().SeqNo)
	}
	s.SetMessageWaiting("201", 1, 0)
	next := u.notify()
	if next.CSeq().SeqNo <= again.CSeq().SeqNo {
		t.Errorf("the next NOTIFY's CSeq %d is not above %d", next.CSeq().SeqNo, again.CSeq().SeqNo)
	}
	checkSummary(t, u.notify(), "201", "yes", "1/0", "active")
	if s.Subscriptions("201") != 1 {
		t.Error("the subscription was dropped")
	}
}

// Phones that never subscribe get NOTIFYs outside any dialog at their
// registered contact: on each change, and when they register afresh.
func TestMWIUnsolicited(t *testing.T) {
	s := startServer(t, Config{})
	u := newMWIUA(t, s)
	u.register("202", "secret202")
	u.quiet(200 * time.Millisecond) // no state known yet: nothing to say
	s.SetMessageWaiting("202", 3, 1)
	n := u.notify()
	checkSummary(t, n, "202", "yes", "3/1", "")
	if tag, _ := n.To().Params.Get("tag"); tag != "" || n.GetHeader("Subscription-State") != nil {
		t.Fatalf("unsolicited NOTIFY with a To tag or Subscription-State:\n%s", n)
	}
	if n.Recipient.User != "202" || n.Recipient.Port != u.conn.LocalAddr().(*net.UDPAddr).Port {
		t.Fatalf("NOTIFY Request-URI %s, want the registered contact", n.Recipient.String())
	}
	// A second phone of the extension learns the state when it registers.
	w := newMWIUA(t, s)
	w.register("202", "secret202")
	checkSummary(t, w.notify(), "202", "yes", "3/1", "")
	u.quiet(100 * time.Millisecond) // its refresh is no news to the first
	u.register("202", "secret202")
	u.quiet(200 * time.Millisecond)

	// A phone that subscribes gets in-dialog NOTIFYs only, no duplicates.
	if res := u.authSubscribe("202", "secret202", "202", "600"); res.StatusCode != 200 {
		t.Fatalf("SUBSCRIBE: %d", res.StatusCode)
	}
	checkSummary(t, u.notify(), "202", "yes", "3/1", "active")
	s.SetMessageWaiting("202", 0, 4)
	checkSummary(t, u.notify(), "202", "no", "0/4", "active")
	checkSummary(t, w.notify(), "202", "no", "0/4", "")
	u.quiet(300 * time.Millisecond)
}

// Over TCP every NOTIFY, in a dialog or not, travels on the phone's own
// connection (sipgo's phone here, whose digest client answers the
// challenge).
func TestMWIOverTCP(t *testing.T) {
	s := startServer(t, Config{})
	p := newPhoneOn(t, s.Addr(), "201", "secret201", true)
	notifies := make(chan *sip.Request, 8)
	p.srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		notifies <- req
	})
	next := func() *sip.Request {
		t.Helper()
		select {
		case n := <-notifies:
			return n
		case <-time.After(3 * time.Second):
			t.Fatal("no NOTIFY over TCP")
			return nil
		}
	}
	if res := p.register("secret201", 300); res.StatusCode != 200 {
		t.Fatalf("REGISTER over TCP: %d", res.StatusCode)
	}
	s.SetMessageWaiting("201", 1, 0)
	checkSummary(t, next(), "201", "yes", "1/0", "") // unsolicited

	req := sip.NewRequest(sip.SUBSCRIBE, p.pbxURI("201"))
	aor := sip.Uri{Scheme: "sip", User: "201", Host: s.Addr().Addr().String()}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", "tcpsub")
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	c := p.contact
	req.AppendHeader(&c)
	req.AppendHeader(sip.NewHeader("Event", "message-summary"))
	req.AppendHeader(sip.NewHeader("Expires", "120"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.cli.Do(ctx, req)
	if err == nil && res.StatusCode == 401 {
		res, err = p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "201", Password: "secret201"})
	}
	if err != nil || res.StatusCode != 200 || header(res, "Expires") != "120" {
		t.Fatalf("SUBSCRIBE over TCP: %v %v", res, err)
	}
	checkSummary(t, next(), "201", "yes", "1/0", "active;expires=120")
	s.SetMessageWaiting("201", 0, 1)
	checkSummary(t, next(), "201", "no", "0/1", "active") // in the dialog only
	select {
	case n := <-notifies:
		t.Fatalf("a subscribed phone got a second NOTIFY:\n%s", n)
	case <-time.After(300 * time.Millisecond):
	}
}
