package sip

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// The ban matrix: after each scenario (with the default policy: 10
// failures a minute per user at an address, 5 users per address, 30
// failures an hour per account), who can still authenticate. An office's
// NAT address is nat; its phones 201 and 202 authenticated from there
// before; 203 is another extension; elsewhere is another address.
func TestBanMatrix(t *testing.T) {
	nat, elsewhere := netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("203.0.113.9")
	type who struct {
		ip   netip.Addr
		user string
	}
	var (
		phone201    = who{nat, "201"}
		phone202    = who{nat, "202"}
		new203AtNAT = who{nat, "203"}
		other201    = who{elsewhere, "201"}
		other203    = who{elsewhere, "203"}
		stranger    = who{nat, "unknown"}
	)
	everyone := []who{phone201, phone202, new203AtNAT, other201, other203, stranger}
	exists := func(user string) bool { return user == "201" || user == "202" || user == "203" }

	tests := []struct {
		name    string
		do      func(b *banList, c *fakeClock)
		refused []who // refused outright (or, for a locked account, its credentials)
		alarm   string
		drop    bool // nat's datagrams dropped before parsing
	}{
		{name: "nothing happened"},
		{
			name: "a mistyped phone behind the NAT bans only its own user there",
			do: func(b *banList, c *fakeClock) {
				for range 10 {
					b.fail(nat, "203", true)
					c.add(time.Second)
				}
			},
			refused: []who{new203AtNAT},
		},
		{
			name: "failures spread wider than the window never ban",
			do: func(b *banList, c *fakeClock) {
				for range 20 {
					b.fail(nat, "203", true)
					c.add(7 * time.Second) // 8-9 a minute
				}
			},
		},
		{
			name: "a scanner behind the NAT bans the address, but not the office's phones",
			do: func(b *banList, c *fakeClock) {
				for i := range 6 {
					b.fail(nat, fmt.Sprint(1000+i), false)
				}
			},
			refused: []who{new203AtNAT, stranger},
		},
		{
			name: "a scanner elsewhere is dropped before parsing",
			do: func(b *banList, c *fakeClock) {
				for i := range 6 {
					b.fail(elsewhere, fmt.Sprint(1000+i), false)
				}
			},
			refused: []who{other201, other203},
		},
		{
			name: "slow guessing at 9 a minute from one address locks the account, except where its phones are",
			do: func(b *banList, c *fakeClock) {
				for range 30 {
					b.fail(elsewhere, "201", true)
					c.add(60 * time.Second / 9)
				}
			},
			refused: []who{other201},
			alarm:   "201",
		},
		{
			name: "slow guessing from many addresses locks the account",
			do: func(b *banList, c *fakeClock) {
				for i := range 30 {
					b.fail(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), "203", true)
					c.add(2 * time.Minute) // one try each, an hour in all
				}
			},
			refused: []who{new203AtNAT, other203},
			alarm:   "203",
		},
		{
			name: "guessing unknown users locks nothing (an unknown user and a wrong password look alike)",
			do: func(b *banList, c *fakeClock) {
				for range 40 {
					b.fail(elsewhere, "999", false)
					c.add(time.Minute)
				}
			},
		},
		{
			name: "a lock ends after AccountLock",
			do: func(b *banList, c *fakeClock) {
				for range 30 {
					b.fail(elsewhere, "201", true)
				}
				c.add(61 * time.Minute)
				if !b.sweep() {
					t.Error("the end of the lock was not reported")
				}
			},
		},
		{
			name: "a success clears the failures of its user at its address",
			do: func(b *banList, c *fakeClock) {
				for range 9 {
					b.fail(nat, "203", true)
				}
				b.succeed(nat, "203")
				for range 9 {
					b.fail(nat, "203", true)
				}
			},
		},
	}
	for _, tc := range tests {
		for _, restart := range []bool{false, true} {
			name := tc.name
			if restart {
				name += ", after a restart"
			}
			t.Run(name, func(t *testing.T) {
				clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
				b := newBanList(BanPolicy{}, clock.now)
				b.succeed(nat, "201")
				b.succeed(nat, "202")
				if tc.do != nil {
					tc.do(b, clock)
				}
				if restart {
					data := b.marshal()
					b = newBanList(BanPolicy{}, clock.now)
					if err := b.restore(data, exists); err != nil {
						t.Fatal(err)
					}
				}
				for _, w := range everyone {
					got := b.refused(w.ip, w.user) || b.locked(w.ip, w.user)
					if want := slices.Contains(tc.refused, w); got != want {
						t.Errorf("%s at %s: refused %v, want %v", w.user, w.ip, got, want)
					}
				}
				var alarm string
				if a := b.alarms(); len(a) > 0 {
					alarm = a[0].User
					if len(a) != 1 || a[0].Kind != "account-locked" || a[0].Failures < 30 || len(a[0].Addresses) == 0 {
						t.Errorf("alarms %+v", a)
					}
				}
				if alarm != tc.alarm {
					t.Errorf("alarm for %q, want %q", alarm, tc.alarm)
				}
				if b.dropEarly(nat) {
					t.Error("the office's address is dropped before parsing")
				}
			})
		}
	}
}

// A scanner's address with no known phone is dropped before parsing (it
// costs nothing); Reply403 and Disabled never drop.
func TestBanDropEarly(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	ip := netip.MustParseAddr("203.0.113.9")
	for _, p := range []BanPolicy{{}, {Reply403: true}, {Disabled: true}} {
		b := newBanList(p, clock.now)
		for i := range 6 {
			b.fail(ip, fmt.Sprint(i), false)
		}
		if got, want := b.dropEarly(ip), !p.Reply403 && !p.Disabled; got != want {
			t.Errorf("%+v: dropped %v, want %v", p, got, want)
		}
		if got, want := b.refused(ip, "x"), !p.Disabled; got != want {
			t.Errorf("%+v: refused %v, want %v", p, got, want)
		}
	}
}

func TestBanRestoreChecks(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	b := newBanList(BanPolicy{}, clock.now)
	for _, bad := range []string{`[`, `{"pairs":"x"}`} {
		if err := b.restore([]byte(bad), func(string) bool { return true }); err == nil {
			t.Errorf("%s restored", bad)
		}
	}
	// Expired entries, odd users and removed extensions are skipped.
	old := clock.now().Add(-2 * time.Hour)
	doc := fmt.Sprintf(`{"pairs":[{"ip":"192.0.2.1","user":"201","until":%q},{"ip":"192.0.2.2","user":"%070d","failures":[%q]}],
		"accounts":[{"user":"gone","until":%q},{"user":"201","failures":[%q]}],
		"known":[{"ip":"192.0.2.3","user":"201","at":%q}]}`,
		old.Format(time.RFC3339), 1, clock.now().Format(time.RFC3339),
		clock.now().Add(time.Hour).Format(time.RFC3339), old.Format(time.RFC3339), clock.now().Add(-31*24*time.Hour).Format(time.RFC3339))
	if err := b.restore([]byte(doc), func(u string) bool { return u != "gone" }); err != nil {
		t.Fatal(err)
	}
	if len(b.pairs) != 0 || len(b.accounts) != 0 || len(b.known) != 0 {
		t.Fatalf("restored %d pairs, %d accounts, %d known", len(b.pairs), len(b.accounts), len(b.known))
	}
}

func FuzzBanRestore(f *testing.F) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	b := newBanList(BanPolicy{}, clock.now)
	for range 12 {
		b.fail(netip.MustParseAddr("192.0.2.1"), "201", true)
	}
	b.succeed(netip.MustParseAddr("192.0.2.2"), "202")
	f.Add(b.marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		n := newBanList(BanPolicy{}, clock.now)
		if n.restore(data, func(string) bool { return true }) != nil {
			return
		}
		for k := range n.pairs {
			if len(k.user) > maxUserKeyBytes {
				t.Fatalf("user of %d bytes", len(k.user))
			}
		}
		n.sweep()
		_ = n.alarms()
	})
}

// memBans is a BanStore in memory.
type memBans struct {
	mu   sync.Mutex
	data []byte
}

func (m *memBans) LoadBans() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data, nil
}

func (m *memBans) SaveBans(d []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = append([]byte(nil), d...)
	return nil
}

// TestBansThroughTheServer: over the wire, behind one NAT address
// (127.0.0.2), a phone registering as 201 with a wrong password is
// banned without silencing 202 there; slow guessing of 203's password
// from three addresses locks 203 and raises the alarm, after which even
// the right password from a new address is answered like a wrong one;
// and all of it holds after a restart.
func TestBansThroughTheServer(t *testing.T) {
	st := &memBans{}
	alarms := make(chan []SecurityAlarm, 8)
	cfg := Config{Bans: st, Ban: BanPolicy{MaxFailures: 3, AccountMaxFailures: 6},
		OnSecurityAlarms: func(a []SecurityAlarm) { alarms <- a }}
	s1, stop1 := runUntil(t, cfg)
	nat202 := newRawFrom(t, s1.Addr(), "127.0.0.2")
	if res := authRegister(t, nat202, "202", "secret202", "300"); res.StatusCode != 200 {
		t.Fatalf("202 behind the NAT: %d", res.StatusCode)
	}
	nat201 := newRawFrom(t, s1.Addr(), "127.0.0.2")
	for i := range 3 {
		if res := authRegister(t, nat201, "201", "mistyped", "300"); res.StatusCode != 401 {
			t.Fatalf("201 mistyped %d: %d", i, res.StatusCode)
		}
	}
	if res := nat201.send(nat201.register("201", "300"), 300*time.Millisecond); res != nil {
		t.Fatalf("201 banned behind the NAT: got %d, want silence", res.StatusCode)
	}
	if res := authRegister(t, nat202, "202", "secret202", "300"); res.StatusCode != 200 {
		t.Fatalf("202 behind the NAT after 201's mistakes: %d", res.StatusCode)
	}
	for i := range 6 {
		r := newRawFrom(t, s1.Addr(), fmt.Sprintf("127.0.0.%d", 3+i%3))
		if res := authRegister(t, r, "203", fmt.Sprint("guess", i), "300"); res.StatusCode != 401 {
			t.Fatalf("guess %d: %d", i, res.StatusCode)
		}
	}
	select {
	case a := <-alarms:
		if len(a) != 1 || a[0].User != "203" {
			t.Fatalf("alarms %+v", a)
		}
	case <-time.After(time.Second):
		t.Fatal("no alarm")
	}
	locked := func(s *Server, when string) {
		t.Helper()
		r := newRawFrom(t, s.Addr(), "127.0.0.9")
		if res := authRegister(t, r, "203", "secret203", "300"); res.StatusCode != 401 {
			t.Fatalf("203 with the right password %s: %d, want 401", when, res.StatusCode)
		}
		if a := s.SecurityAlarms(); len(a) != 1 || a[0].User != "203" {
			t.Fatalf("alarms %s: %+v", when, a)
		}
	}
	locked(s1, "while locked")
	stop1()

	s2, _ := runUntil(t, cfg)
	locked(s2, "after a restart")
	nat201 = newRawFrom(t, s2.Addr(), "127.0.0.2")
	if res := nat201.send(nat201.register("201", "300"), 300*time.Millisecond); res != nil {
		t.Fatalf("201 after a restart: got %d, want silence", res.StatusCode)
	}
	nat202 = newRawFrom(t, s2.Addr(), "127.0.0.2")
	if res := authRegister(t, nat202, "202", "secret202", "300"); res.StatusCode != 200 {
		t.Fatalf("202 behind the NAT after a restart: %d", res.StatusCode)
	}
}

// Credentials on a nonce given to another address, or unreadable ones,
// count as nothing: a forged source cannot get an address banned.
func TestForgedFailuresDoNotCount(t *testing.T) {
	s := startServer(t, Config{Ban: BanPolicy{MaxFailures: 2}})
	attacker := newRawFrom(t, s.Addr(), "127.0.0.3")
	res := attacker.send(attacker.register("201", "300"), time.Second)
	chal := header(res, "WWW-Authenticate")
	victim := newRawFrom(t, s.Addr(), "127.0.0.4") // stands in for forged datagrams
	for i := range 5 {
		auth := digestFor(chal, "REGISTER", "sip:"+victim.pbx.String(), "201", "guess", i+1)
		if res := victim.send(victim.register("201", "300", "Authorization: "+auth), time.Second); res == nil || res.StatusCode != 401 {
			t.Fatalf("foreign nonce %d: %v", i, res)
		}
		if res := victim.send(victim.register("201", "300", `Authorization: Digest username="201", realm="minipbx", nonce=`), time.Second); res == nil || res.StatusCode != 401 {
			t.Fatalf("unreadable credentials %d: %v", i, res)
		}
	}
	if res := authRegister(t, victim, "201", "secret201", "300"); res.StatusCode != 200 {
		t.Fatalf("the victim's own phone: %d", res.StatusCode)
	}
}
