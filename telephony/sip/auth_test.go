package sip

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// testIP is the address the authenticator unit tests challenge.
var testIP = netip.MustParseAddr("192.0.2.1")

// fakeClock is a settable time source.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestParseDigest(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
		err  bool
	}{
		{in: `Digest username="201", realm="minipbx", nonce="abc", uri="sip:x", response="f00", qop=auth, nc=00000001, cnonce="c"`,
			want: map[string]string{"username": "201", "realm": "minipbx", "nonce": "abc", "uri": "sip:x", "response": "f00", "qop": "auth", "nc": "00000001", "cnonce": "c"}},
		{in: `digest Username = "a\"b" ,REALM=r`, want: map[string]string{"username": `a"b`, "realm": "r"}},
		{in: `Digest realm="has, comma"`, want: map[string]string{"realm": "has, comma"}},
		{in: `Basic dXNlcjpwYXNz`, err: true},
		{in: `Digest realm="unterminated`, err: true},
		{in: `Digest =novalue`, err: true},
		{in: `Digest realm=a, realm=b`, err: true},
		{in: ``, err: true},
	}
	for _, tc := range tests {
		got, err := parseDigest(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", tc.in, k, got[k], v)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: %d params, want %d", tc.in, len(got), len(tc.want))
		}
	}
}

func FuzzParseDigest(f *testing.F) {
	f.Add(`Digest username="201", realm="minipbx", nonce="abc", uri="sip:x", response="f00", qop=auth, nc=00000001, cnonce="c"`)
	f.Add(`Digest a="\\\"", b=c,,, d`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseDigest(s)
		if err == nil && len(p) > 33 {
			t.Fatalf("%d parameters accepted", len(p))
		}
	})
}

func FuzzVerifyDigest(f *testing.F) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newAuthenticator("minipbx", time.Minute, clock.now)
	chal := a.challenge(testIP, false)
	f.Add(digestFor(chal, "REGISTER", "sip:pbx", "201", "pw", 1))
	f.Add(`Digest username="201", nonce="x", uri="u", response="r", qop=auth, nc=zzzzzzzz, cnonce=c`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseDigest(s)
		if err != nil {
			return
		}
		if a.verify(testIP, "REGISTER", p, "pw", true) == authOK && p["username"] != "201" {
			t.Fatalf("accepted %q", s)
		}
	})
}

func TestVerifyDigest(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newAuthenticator("minipbx", time.Minute, clock.now)
	chal := a.challenge(testIP, false)
	cred := func(pass string, nc int) digestParams {
		p, err := parseDigest(digestFor(chal, "INVITE", "sip:900@pbx", "201", pass, nc))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if r := a.verify(testIP, "INVITE", cred("pw", 1), "pw", true); r != authOK {
		t.Fatalf("good: %v", r)
	}
	if r := a.verify(testIP, "INVITE", cred("pw", 1), "pw", true); r != authFail {
		t.Fatalf("replayed nc: %v", r)
	}
	if r := a.verify(testIP, "INVITE", cred("pw", 2), "pw", true); r != authOK {
		t.Fatalf("nc=2: %v", r)
	}
	if r := a.verify(testIP, "INVITE", cred("bad", 3), "pw", true); r != authFail {
		t.Fatalf("wrong password: %v", r)
	}
	if r := a.verify(testIP, "INVITE", cred("pw", 4), "", false); r != authFail {
		t.Fatalf("unknown user: %v", r)
	}
	// The method is part of the hash: a REGISTER's answer is no INVITE's.
	if r := a.verify(testIP, "REGISTER", cred("pw", 5), "pw", true); r != authFail {
		t.Fatalf("other method: %v", r)
	}
	p := cred("pw", 6)
	p["realm"] = "other"
	if r := a.verify(testIP, "INVITE", p, "pw", true); r != authBad {
		t.Fatalf("other realm: %v", r)
	}
	p = cred("pw", 7)
	delete(p, "qop")
	if r := a.verify(testIP, "INVITE", p, "pw", true); r != authBad {
		t.Fatalf("no qop: %v", r)
	}
	p = cred("pw", 8)
	p["algorithm"] = "SHA-512-256"
	if r := a.verify(testIP, "INVITE", p, "pw", true); r != authBad {
		t.Fatalf("unsupported algorithm: %v", r)
	}
	// Expiry: the right password on an old nonce is stale, the wrong one fails.
	clock.add(2 * time.Minute)
	if r := a.verify(testIP, "INVITE", cred("pw", 9), "pw", true); r != authStale {
		t.Fatalf("expired: %v", r)
	}
	if r := a.verify(testIP, "INVITE", cred("bad", 10), "pw", true); r != authFail {
		t.Fatalf("expired, wrong password: %v", r)
	}
	a.sweep()
	if len(a.users) != 0 {
		t.Fatalf("replay state of %d users kept after expiry", len(a.users))
	}
	// A nonce from another box (another key) is not ours.
	b := newAuthenticator("minipbx", time.Minute, clock.now)
	other := b.challenge(testIP, false)
	q, _ := parseDigest(digestFor(other, "INVITE", "sip:900@pbx", "201", "pw", 1))
	if r := a.verify(testIP, "INVITE", q, "pw", true); r != authBad {
		t.Fatalf("foreign nonce: %v", r)
	}
	// Our nonce, used from another address than it was issued to.
	q, _ = parseDigest(digestFor(a.challenge(netip.MustParseAddr("192.0.2.99"), false), "INVITE", "sip:900@pbx", "201", "pw", 1))
	if r := a.verify(testIP, "INVITE", q, "pw", true); r != authBad {
		t.Fatalf("nonce of another address: %v", r)
	}
	if !strings.Contains(a.challenge(testIP, true), "stale=true") || strings.Contains(a.challenge(testIP, false), "stale") {
		t.Fatal("stale flag")
	}
}

// TestAuthenticationStateCannotBeExhausted: 100,000 authentications —
// good ones of one extension, each on a fresh nonce (what 100,000
// REGISTERs do), and wrong passwords and unknown users from everywhere —
// leave another extension's phone able to authenticate at once, and keep
// the state small.
func TestAuthenticationStateCannotBeExhausted(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newAuthenticator("minipbx", 5*time.Minute, clock.now)
	verify := func(user, pass, secret string, known bool) authResult {
		p, err := parseDigest(digestFor(a.challenge(testIP, false), "REGISTER", "sip:pbx", user, pass, 1))
		if err != nil {
			t.Fatal(err)
		}
		return a.verify(testIP, "REGISTER", p, secret, known)
	}
	for i := range 100_000 {
		var r, want authResult
		switch i % 4 {
		case 0, 1:
			r, want = verify("201", "pw", "pw", true), authOK
		case 2:
			r, want = verify("201", "guess", "pw", true), authFail
		case 3:
			r, want = verify(fmt.Sprintf("u%d", i), "x", "", false), authFail
		}
		if r != want {
			t.Fatalf("authentication %d: %v, want %v", i, r, want)
		}
		if i%1000 == 0 {
			clock.add(time.Second) // 100 s in all: every nonce still fresh
		}
	}
	if r := verify("202", "secret", "secret", true); r != authOK {
		t.Fatalf("another phone after 100,000 authentications: %v", r)
	}
	if n := len(a.users); n != 2 {
		t.Fatalf("replay state for %d users, want 2", n)
	}
	for _, r := range a.users {
		if len(r.used) > replayWindow {
			t.Fatalf("%d nonces remembered for one user", len(r.used))
		}
	}
}

// TestReplayWindow: a nonce that fell out of a user's window cannot be
// replayed (it is answered stale, so a phone just takes a fresh one), and
// a user's phones each keeping their own nonce within the window are
// never disturbed.
func TestReplayWindow(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newAuthenticator("minipbx", time.Minute, clock.now)
	cred := func(chal string, nc int) digestParams {
		p, err := parseDigest(digestFor(chal, "REGISTER", "sip:pbx", "201", "pw", nc))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := a.challenge(testIP, false)
	if r := a.verify(testIP, "REGISTER", cred(first, 1), "pw", true); r != authOK {
		t.Fatalf("first: %v", r)
	}
	// Ten phones of 201, each on its own nonce, taking turns.
	phones := make([]string, 10)
	for i := range phones {
		clock.add(time.Millisecond)
		phones[i] = a.challenge(testIP, false)
	}
	for nc := 1; nc <= 5; nc++ {
		for i, chal := range phones {
			if r := a.verify(testIP, "REGISTER", cred(chal, nc), "pw", true); r != authOK {
				t.Fatalf("phone %d, nc %d: %v", i, nc, r)
			}
		}
	}
	// Push the first nonce out of the window with fresh ones.
	for range replayWindow {
		clock.add(time.Millisecond)
		if r := a.verify(testIP, "REGISTER", cred(a.challenge(testIP, false), 1), "pw", true); r != authOK {
			t.Fatalf("fresh nonce: %v", r)
		}
	}
	for _, nc := range []int{1, 2, 100} {
		if r := a.verify(testIP, "REGISTER", cred(first, nc), "pw", true); r != authStale {
			t.Fatalf("forgotten nonce, nc %d: %v, want stale", nc, r)
		}
	}
	// A replay within the window is refused outright.
	last := a.challenge(testIP, false)
	if r := a.verify(testIP, "REGISTER", cred(last, 3), "pw", true); r != authOK {
		t.Fatalf("last: %v", r)
	}
	if r := a.verify(testIP, "REGISTER", cred(last, 3), "pw", true); r != authFail {
		t.Fatalf("replay: %v", r)
	}
}

// BenchmarkVerifyDigest is one good authentication: 16 phones of one
// extension, each on its own nonce with a growing nonce-count.
func BenchmarkVerifyDigest(b *testing.B) {
	a := newAuthenticator("minipbx", time.Hour, time.Now)
	chals := make([]string, 16)
	for i := range chals {
		chals[i] = a.challenge(testIP, false)
	}
	creds := make([]digestParams, b.N)
	for i := range creds {
		creds[i], _ = parseDigest(digestFor(chals[i%len(chals)], "REGISTER", "sip:pbx", "201", "pw", i/len(chals)+1))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if r := a.verify(testIP, "REGISTER", creds[i], "pw", true); r != authOK {
			b.Fatalf("authentication %d: %v", i, r)
		}
	}
}

func TestParseDTMFRelay(t *testing.T) {
	for body, want := range map[string]byte{
		"Signal=5\r\nDuration=160\r\n": '5',
		"signal= *\nDuration=100":      '*',
		"Signal=11\r\n":                '#',
		"Signal=a\r\n":                 'A',
		"Signal=55\r\n":                0,
		"Duration=100\r\n":             0,
		"":                             0,
	} {
		if got := parseDTMFRelay(body); got != want {
			t.Errorf("%q: %q, want %q", body, got, want)
		}
	}
}

func FuzzParseDTMFRelay(f *testing.F) {
	f.Add("Signal=5\r\nDuration=160\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		if d := parseDTMFRelay(s); d != 0 && !strings.ContainsRune("0123456789*#ABCD", rune(d)) {
			t.Fatalf("digit %q from %q", d, s)
		}
	})
}

func TestChallengeRateLimit(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	b := newBanList(BanPolicy{ChallengeRate: 2}, clock.now)
	ip := netip.MustParseAddr("192.0.2.20")
	n := 0
	for b.allowChallenge(ip) {
		n++
		if n > 100 {
			t.Fatal("no limit")
		}
	}
	if n != 20 {
		t.Fatalf("burst %d, want 20", n)
	}
	if !b.allowChallenge(netip.MustParseAddr("192.0.2.21")) {
		t.Fatal("another address limited")
	}
	clock.add(time.Second)
	first, second, third := b.allowChallenge(ip), b.allowChallenge(ip), b.allowChallenge(ip)
	if !first || !second || third {
		t.Fatal("refill is not 2 per second")
	}
	if b.banned(ip) {
		t.Fatal("rate limiting banned the address")
	}
}
