package sip

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/telephony/channel"
)

// memBindings is a BindingStore in memory.
type memBindings struct {
	mu    sync.Mutex
	data  []byte
	saves int
	fail  error
}

func (m *memBindings) LoadBindings() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data, m.fail
}

func (m *memBindings) SaveBindings(d []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.data, m.saves = append([]byte(nil), d...), m.saves+1
	return nil
}

// A phone registered over UDP is still reachable after the server
// restarts, without registering again; one registered over TCP (whose
// connection died) is not kept; its next REGISTER refresh is taken as the
// same binding.
func TestRegistrationsSurviveARestart(t *testing.T) {
	st := &memBindings{}
	s1, stop1 := runUntil(t, Config{Bindings: st})
	a := newPhone(t, s1.Addr(), "201", "secret201")
	a.register("secret201", 3600)
	b := newPhoneOn(t, s1.Addr(), "202", "secret202", true)
	b.register("secret202", 3600)
	if n := len(s1.Registrations()); n != 2 {
		t.Fatalf("%d registrations before the restart", n)
	}
	stop1()

	s2, _ := runUntil(t, Config{Bindings: st, Addr: s1.Addr().String()}) // the box's own port again
	regs := s2.Registrations()
	if len(regs) != 1 || regs[0].Extension != "201" || regs[0].Transport != "UDP" {
		t.Fatalf("after the restart: %+v, want 201's UDP binding only", regs)
	}
	if left := time.Until(regs[0].Expires); left < 50*time.Minute {
		t.Errorf("restored binding expires in %v, want what was left of the hour", left)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := s2.Dialer().Dial(ctx, channel.Request{Target: "201", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("call to 201 after the restart: %v", err)
	}
	in := a.nextCall(t, 3*time.Second)
	if in.req.Recipient.User != "201" {
		t.Errorf("INVITE to %s", in.req.Recipient.String())
	}
	_ = out.Hangup(channel.CauseNormal)
	a.register("secret201", 3600)
	if regs := s2.Registrations(); len(regs) != 1 {
		t.Errorf("after 201's refresh: %+v, want one binding", regs)
	}
}

// What cannot come back is dropped, one entry at a time, and a damaged or
// unreadable store starts the server with no registrations.
func TestRestoredRegistrationsChecked(t *testing.T) {
	now := time.Now()
	entry := func(ext, contact, source, transport string, expires time.Time) savedBinding {
		return savedBinding{Extension: ext, Contact: contact, Source: source, Transport: transport, Expires: expires, CallID: "c", CSeq: 1}
	}
	saved := []savedBinding{
		entry("201", "sip:201@127.0.0.1:5070", "127.0.0.1:5070", "UDP", now.Add(30*time.Minute)), // kept
		entry("201", "sip:201@127.0.0.1:5070", "127.0.0.1:5070", "UDP", now.Add(20*time.Minute)), // twice
		entry("202", "sip:202@127.0.0.1:5071", "127.0.0.1:5071", "UDP", now.Add(-time.Minute)),   // expired
		entry("299", "sip:299@127.0.0.1:5072", "127.0.0.1:5072", "UDP", now.Add(30*time.Minute)), // no such extension
		entry("202", "sip:202@127.0.0.1:5073", "127.0.0.1:5073", "TCP", now.Add(30*time.Minute)), // TCP
		entry("202", "not a uri", "127.0.0.1:5074", "UDP", now.Add(30*time.Minute)),
		entry("202", "sip:202@127.0.0.1:5075", "somewhere", "UDP", now.Add(30*time.Minute)),
		entry("202", "sip:202@127.0.0.1:5076", "127.0.0.1:5076", "UDP", now.Add(3*time.Hour)), // beyond MaxExpires
	}
	data, _ := json.Marshal(saved)
	st := &memBindings{data: data}
	s, _ := runUntil(t, Config{Bindings: st})
	regs := s.Registrations()
	if len(regs) != 1 || regs[0].Contact != "sip:201@127.0.0.1:5070" {
		t.Fatalf("restored %+v, want 201 at 5070 only", regs)
	}
	// The dropped ones are dropped from the store too, at the next tick.
	waitFor(t, func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.saves > 0 && strings.Count(string(st.data), `"extension"`) == 1
	}, "the checked bindings saved back")

	for name, store := range map[string]*memBindings{
		"damaged":    {data: []byte(`[{"extension":`)},
		"unreadable": {fail: errors.New("disk on fire")},
		"not a list": {data: []byte(`{"201":"x"}`)},
	} {
		t.Run(name, func(t *testing.T) {
			s, _ := runUntil(t, Config{Bindings: store})
			if regs := s.Registrations(); len(regs) != 0 {
				t.Errorf("restored %+v", regs)
			}
		})
	}
}

func FuzzRestoreBindings(f *testing.F) {
	f.Add([]byte(`[{"extension":"201","contact":"sip:201@127.0.0.1:5070","source":"127.0.0.1:5070","transport":"UDP","expires":"2999-01-01T00:00:00Z","call_id":"c","cseq":1}]`))
	f.Add([]byte(`[{"extension":"201","contact":"sip:201@[::1]:5070","source":"[::1]:5070","transport":"udp","expires":"2000-01-01T00:00:00Z"}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := New(Config{Addr: "127.0.0.1:0", Credentials: staticCreds{"201": "x"}, Logger: testLogger(t),
			Bindings: &memBindings{data: data}})
		if err != nil {
			t.Fatal(err)
		}
		s.reg.restore()
		for _, b := range s.Registrations() {
			if b.Extension != "201" || b.Transport != "UDP" || !validAddrPort(b.Source) {
				t.Fatalf("restored %+v", b)
			}
		}
	})
}
