package sip

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// authRegister performs the challenge/response dance for a REGISTER.
func authRegister(t *testing.T, r *rawUA, user, pass, expires string, extra ...string) *sip.Response {
	t.Helper()
	res := r.send(r.register(user, expires, extra...), time.Second)
	if res == nil || res.StatusCode != 401 {
		t.Fatalf("first REGISTER: want 401, got %v", res)
	}
	chal := header(res, "WWW-Authenticate")
	auth := digestFor(chal, "REGISTER", "sip:"+r.pbx.String(), user, pass, 1)
	res = r.send(r.register(user, expires, append(extra, "Authorization: "+auth)...), time.Second)
	if res == nil {
		t.Fatal("no response to authenticated REGISTER")
	}
	return res
}

func TestRegisterDigest(t *testing.T) {
	s := startServer(t, Config{})
	r := newRaw(t, s.Addr())

	res := r.send(r.register("201", "300"), time.Second)
	if res == nil || res.StatusCode != 401 {
		t.Fatalf("unauthenticated REGISTER: %v", res)
	}
	chal := header(res, "WWW-Authenticate")
	for _, want := range []string{`realm="minipbx"`, `qop="auth"`, "algorithm=MD5", "nonce="} {
		if !strings.Contains(chal, want) {
			t.Errorf("challenge %q lacks %s", chal, want)
		}
	}

	good := authRegister(t, r, "201", "secret201", "300")
	if good.StatusCode != 200 {
		t.Fatalf("right password: %d %s", good.StatusCode, good.Reason)
	}
	if c := header(good, "Contact"); !strings.Contains(c, "expires=300") {
		t.Errorf("200 Contact %q, want expires=300", c)
	}
	regs := s.Registrations()
	if len(regs) != 1 || regs[0].Extension != "201" || regs[0].Transport != "UDP" {
		t.Fatalf("registrations %+v", regs)
	}

	wrong := authRegister(t, r, "201", "not-the-secret", "300")
	unknown := authRegister(t, r, "299", "whatever", "300")
	if wrong.StatusCode != 401 || unknown.StatusCode != 401 {
		t.Fatalf("wrong password %d, unknown user %d: want 401 both", wrong.StatusCode, unknown.StatusCode)
	}
	if a, b := shape(wrong), shape(unknown); a != b {
		t.Errorf("wrong password and unknown user answered differently:\n%s\n%s", a, b)
	}
	if strings.Contains(header(wrong, "WWW-Authenticate"), "stale") {
		t.Error("wrong password got stale=true")
	}
}

func TestRegisterNonceReplayAndStale(t *testing.T) {
	s := startServer(t, Config{NonceTTL: time.Second})
	r := newRaw(t, s.Addr())
	res := r.send(r.register("202", "300"), time.Second)
	chal := header(res, "WWW-Authenticate")
	uri := "sip:" + r.pbx.String()
	auth1 := digestFor(chal, "REGISTER", uri, "202", "secret202", 1)
	if res := r.send(r.register("202", "300", "Authorization: "+auth1), time.Second); res.StatusCode != 200 {
		t.Fatalf("nc=1: %d", res.StatusCode)
	}
	// The same credentials again (a captured request replayed): refused.
	if res := r.send(r.register("202", "300", "Authorization: "+auth1), time.Second); res.StatusCode != 401 {
		t.Fatalf("replayed nc=1: %d, want 401", res.StatusCode)
	}
	// The next nonce-count is fine.
	auth2 := digestFor(chal, "REGISTER", uri, "202", "secret202", 2)
	if res := r.send(r.register("202", "300", "Authorization: "+auth2), time.Second); res.StatusCode != 200 {
		t.Fatalf("nc=2: %d", res.StatusCode)
	}
	// After the nonce expires, the right password gets stale=true.
	time.Sleep(1100 * time.Millisecond)
	auth3 := digestFor(chal, "REGISTER", uri, "202", "secret202", 3)
	res = r.send(r.register("202", "300", "Authorization: "+auth3), time.Second)
	if res.StatusCode != 401 || !strings.Contains(header(res, "WWW-Authenticate"), "stale=true") {
		t.Fatalf("expired nonce: %d %q, want 401 stale=true", res.StatusCode, header(res, "WWW-Authenticate"))
	}
	// A forged nonce is just a failure.
	forged := strings.Replace(auth3, `nonce="`, `nonce="AAAA`, 1)
	res = r.send(r.register("202", "300", "Authorization: "+forged), time.Second)
	if res.StatusCode != 401 || strings.Contains(header(res, "WWW-Authenticate"), "stale") {
		t.Fatalf("forged nonce: %d %q", res.StatusCode, header(res, "WWW-Authenticate"))
	}
}

func TestRegisterExpiry(t *testing.T) {
	var mu sync.Mutex
	var changes []string
	s := startServer(t, Config{
		MinExpires: time.Second, MaxExpires: 100 * time.Second,
		OnRegistrationChange: func(b Binding, on bool) {
			mu.Lock()
			changes = append(changes, b.Extension+map[bool]string{true: "+", false: "-"}[on])
			mu.Unlock()
		},
	})
	r := newRaw(t, s.Addr())
	// Too brief: 423 with Min-Expires.
	s30 := startServer(t, Config{MinExpires: 30 * time.Second})
	res := authRegister(t, newRaw(t, s30.Addr()), "201", "secret201", "5")
	if res.StatusCode != 423 || header(res, "Min-Expires") != "30" {
		t.Fatalf("brief: %d Min-Expires=%q", res.StatusCode, header(res, "Min-Expires"))
	}
	// Too long: clamped to MaxExpires.
	res = authRegister(t, r, "201", "secret201", "100000")
	if res.StatusCode != 200 || !strings.Contains(header(res, "Contact"), "expires=100") {
		t.Fatalf("long: %d %q", res.StatusCode, header(res, "Contact"))
	}
	// Refresh with a short time, then let it expire.
	res = authRegister(t, r, "201", "secret201", "1")
	if res.StatusCode != 200 || !strings.Contains(header(res, "Contact"), "expires=1") {
		t.Fatalf("refresh: %d %q", res.StatusCode, header(res, "Contact"))
	}
	if n := len(s.Registrations()); n != 1 {
		t.Fatalf("%d bindings after refresh, want 1", n)
	}
	waitFor(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(s.Registrations()) == 0 && len(changes) > 0 && changes[len(changes)-1] == "201-"
	}, "expiry reported")

	// Un-register: Expires: 0 for one contact, then "*".
	if res := authRegister(t, r, "202", "secret202", "60"); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	if res := authRegister(t, r, "202", "secret202", "0"); res.StatusCode != 200 || len(s.Registrations()) != 0 {
		t.Fatalf("unregister: %d, %d left", res.StatusCode, len(s.Registrations()))
	}
	authRegister(t, r, "202", "secret202", "60")
	other := "Contact: <sip:202@192.0.2.7:5062>"
	if res := authRegister(t, r, "202", "secret202", "60", other); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	if n := len(s.Registrations()); n != 2 {
		t.Fatalf("%d bindings, want 2 (several registrations per extension)", n)
	}
	star := strings.Replace(r.register("202", "0"), "Contact: <sip:202@"+r.local()+">", "Contact: *", 1)
	res = r.send(star, time.Second)
	auth := digestFor(header(res, "WWW-Authenticate"), "REGISTER", "sip:"+r.pbx.String(), "202", "secret202", 1)
	star = strings.Replace(r.register("202", "0", "Authorization: "+auth), "Contact: <sip:202@"+r.local()+">", "Contact: *", 1)
	if res := r.send(star, time.Second); res.StatusCode != 200 || len(s.Registrations()) != 0 {
		t.Fatalf("Contact *: %d, %d left", res.StatusCode, len(s.Registrations()))
	}
	// "*" without Expires: 0 is a client error.
	star = strings.Replace(r.register("202", "60"), "Contact: <sip:202@"+r.local()+">", "Contact: *", 1)
	res = r.send(star, time.Second)
	auth = digestFor(header(res, "WWW-Authenticate"), "REGISTER", "sip:"+r.pbx.String(), "202", "secret202", 1)
	star = strings.Replace(r.register("202", "60", "Authorization: "+auth), "Contact: <sip:202@"+r.local()+">", "Contact: *", 1)
	if res := r.send(star, time.Second); res.StatusCode != 400 {
		t.Fatalf("Contact * with Expires 60: %d, want 400", res.StatusCode)
	}
}

func TestRegisterOtherExtensionForbidden(t *testing.T) {
	s := startServer(t, Config{})
	r := newRaw(t, s.Addr())
	res := r.send(r.register("202", "60"), time.Second)
	// Authenticate as 201 while registering 202.
	auth := digestFor(header(res, "WWW-Authenticate"), "REGISTER", "sip:"+r.pbx.String(), "201", "secret201", 1)
	res = r.send(r.register("202", "60", "Authorization: "+auth), time.Second)
	if res.StatusCode != 403 || len(s.Registrations()) != 0 {
		t.Fatalf("got %d with %d bindings, want 403 and none", res.StatusCode, len(s.Registrations()))
	}
}

func TestBanAfterFailures(t *testing.T) {
	for _, reply := range []bool{false, true} {
		s := startServer(t, Config{Ban: BanPolicy{MaxFailures: 3, Window: time.Minute, Duration: time.Minute, Reply403: reply}})
		r := newRaw(t, s.Addr())
		for i := range 3 {
			if res := authRegister(t, r, "201", "guess", "60"); res.StatusCode != 401 {
				t.Fatalf("attempt %d: %d", i, res.StatusCode)
			}
		}
		// Banned now, even with the right password.
		res := r.send(r.register("201", "60"), 300*time.Millisecond)
		if reply {
			if res == nil || res.StatusCode != 403 {
				t.Fatalf("Reply403 ban: got %v, want 403", res)
			}
		} else if res != nil {
			t.Fatalf("silent ban: got %d, want no answer", res.StatusCode)
		}
		// Another address is not affected.
		other := newRawFrom(t, s.Addr(), "127.0.0.2")
		if res := authRegister(t, other, "201", "secret201", "60"); res.StatusCode != 200 {
			t.Fatalf("other source: %d", res.StatusCode)
		}
	}
}

func TestOptionsAndBadRequests(t *testing.T) {
	s := startServer(t, Config{})
	r := newRaw(t, s.Addr())
	host := r.pbx.String()
	base := func(method, extra string) string {
		return method + " sip:" + host + " SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP " + r.local() + ";branch=z9hG4bK-" + method + time.Now().Format("150405.000000") + "\r\n" +
			"From: <sip:x@" + host + ">;tag=1\r\nTo: <sip:" + host + ">\r\nCall-ID: opt-" + method + "\r\n" +
			"CSeq: 1 " + method + "\r\nMax-Forwards: 70\r\n" + extra + "Content-Length: 0\r\n\r\n"
	}
	if res := r.send(base("OPTIONS", ""), time.Second); res == nil || res.StatusCode != 200 || !strings.Contains(header(res, "Allow"), "INVITE") ||
		!strings.Contains(header(res, "Allow"), "SUBSCRIBE") || header(res, "Allow-Events") != "message-summary" {
		t.Fatalf("OPTIONS: %v", res)
	}
	// Only the message-summary event package is served (mwi.go).
	if res := r.send(base("SUBSCRIBE", "Event: presence\r\n"), time.Second); res == nil || res.StatusCode != 489 {
		t.Fatalf("SUBSCRIBE: %v, want 489", res)
	}
	if res := r.send(base("PUBLISH", "Event: presence\r\n"), time.Second); res == nil || res.StatusCode != 501 {
		t.Fatalf("PUBLISH: %v, want 501", res)
	}
	// Missing Call-ID: 400.
	noCallID := strings.Replace(base("OPTIONS", ""), "Call-ID: opt-OPTIONS\r\n", "", 1)
	if res := r.send(noCallID, time.Second); res == nil || res.StatusCode != 400 {
		t.Fatalf("no Call-ID: %v, want 400", res)
	}
	// Garbage and truncated messages: no answer, no crash, server still fine.
	for _, junk := range []string{"\x00\x01\x02garbage", "INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n", strings.Repeat("A", 1400), "SIP/2.0 200 OK\r\n\r\n"} {
		r.send(junk, 50*time.Millisecond)
	}
	// BYE for an unknown dialog: 481.
	bye := strings.Replace(base("BYE", ""), "To: <sip:"+host+">", "To: <sip:"+host+">;tag=nope", 1)
	if res := r.send(bye, time.Second); res == nil || res.StatusCode != 481 {
		t.Fatalf("stray BYE: %v, want 481", res)
	}
	if res := r.send(base("OPTIONS", ""), time.Second); res == nil || res.StatusCode != 200 {
		t.Fatalf("OPTIONS after junk: %v", res)
	}
}

func TestQualify(t *testing.T) {
	s := startServer(t, Config{QualifyInterval: time.Second})
	alive := newPhone(t, s.Addr(), "201", "secret201")
	alive.register("secret201", 300)
	gone := newRaw(t, s.Addr())
	if res := authRegister(t, gone, "202", "secret202", "300"); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	gone.conn.Close() // the phone disappears without un-registering
	state := func(ext string) (Binding, bool) {
		for _, b := range s.Registrations() {
			if b.Extension == ext {
				return b, true
			}
		}
		return Binding{}, false
	}
	waitForLong(t, 10*time.Second, func() bool {
		a, ok1 := state("201")
		g, ok2 := state("202")
		return ok1 && ok2 && a.Reachable && a.RTT > 0 && !g.Reachable
	}, "201 reachable with an RTT, 202 unreachable")
}

func waitForLong(t *testing.T, d time.Duration, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
