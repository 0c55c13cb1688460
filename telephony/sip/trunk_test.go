package sip

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// provider is a fake telephone service provider on 127.0.0.2: a sipgo
// server that challenges REGISTER and INVITE with digest (this package's
// own authenticator, realm "provider") and records what reached it.
type provider struct {
	t    *testing.T
	addr netip.AddrPort
	ua   *sipgo.UserAgent
	auth *authenticator

	mu       sync.Mutex
	user     string
	password string
	expires  int // granted registration lifetime (s)
	refuse   int // respond this status to REGISTER instead (0: normal)
	minExp   int // Min-Expires: shorter requests get 423
	inviteSt int // final status for INVITE (0: 200)
	regs     []time.Time
	expiries []string       // the Expires of each accepted REGISTER
	invites  []*sip.Request // authenticated INVITEs
	unauth   int            // challenges sent
	refused  int            // REGISTERs answered with refuse
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	p := &provider{t: t, user: "74951112233", password: "pr0v-secret", expires: 2,
		auth: newAuthenticator("provider", time.Minute, time.Now)}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("fake-provider"), sipgo.WithUserAgentHostname("127.0.0.2"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(testLogger(t))),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(testLogger(t))))
	if err != nil {
		t.Fatal(err)
	}
	p.ua = ua
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(testLogger(t)))
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Skipf("no 127.0.0.2 on this machine: %v", err)
	}
	p.addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	srv.OnRegister(p.onRegister)
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	go srv.ServeUDP(conn)
	for len(ua.TransportLayer().ListenPorts("udp")) == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond)
	t.Cleanup(func() { ua.Close() })
	return p
}

// check verifies the digest in hdr of req; false: it has challenged.
func (p *provider) check(req *sip.Request, tx sip.ServerTransaction, hdr, chal string, code int) bool {
	p.mu.Lock()
	user, pw := p.user, p.password
	p.mu.Unlock()
	if h := req.GetHeader(hdr); h != nil {
		if creds, err := parseDigest(h.Value()); err == nil && creds["username"] == user {
			if p.auth.verify(sourceIP(req), string(req.Method), creds, pw, true) == authOK {
				return true
			}
		}
	}
	p.mu.Lock()
	p.unauth++
	p.mu.Unlock()
	res := sip.NewResponseFromRequest(req, code, "Unauthorized", nil)
	res.AppendHeader(sip.NewHeader(chal, p.auth.challenge(sourceIP(req), false)))
	_ = tx.Respond(res)
	return false
}

func (p *provider) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	p.mu.Lock()
	refuse, exp := p.refuse, p.expires
	p.mu.Unlock()
	if refuse != 0 {
		p.mu.Lock()
		p.refused++
		p.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, refuse, "Refused", nil))
		return
	}
	if !p.check(req, tx, "Authorization", "WWW-Authenticate", 401) {
		return
	}
	p.mu.Lock()
	minExp := p.minExp
	p.mu.Unlock()
	if h := req.GetHeader("Expires"); minExp > 0 && h != nil {
		if n, _ := strconv.Atoi(h.Value()); n > 0 && n < minExp {
			res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(minExp)))
			_ = tx.Respond(res)
			return
		}
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if c := req.Contact(); c != nil {
		c := c.Clone()
		c.Params = sip.NewParams()
		c.Params.Add("expires", strconv.Itoa(exp))
		res.AppendHeader(c)
	}
	p.mu.Lock()
	p.regs = append(p.regs, time.Now())
	if h := req.GetHeader("Expires"); h != nil {
		p.expiries = append(p.expiries, h.Value())
	}
	p.mu.Unlock()
	_ = tx.Respond(res)
}

func (p *provider) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if !p.check(req, tx, "Proxy-Authorization", "Proxy-Authenticate", 407) {
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 100, "Trying", nil))
	p.mu.Lock()
	p.invites = append(p.invites, req)
	st := p.inviteSt
	p.mu.Unlock()
	if st != 0 {
		_ = tx.Respond(sip.NewResponseFromRequest(req, st, "Nope", nil))
		return
	}
	m := newMedia(p.t)
	answer, _, err := m.AnswerOffer(req.Body())
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable", nil))
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", answer)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: p.addr.Addr().String(), Port: int(p.addr.Port())}})
	_ = tx.Respond(res)
}

func (p *provider) registrations() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.regs)
}

func (p *provider) trunk() TrunkConfig {
	return TrunkConfig{Name: "prov", Register: true, Host: p.addr.String(), Username: p.user, Password: p.password,
		Expires: 60 * time.Second, CallerID: "74951112233", CallerName: "Example LLC", MaxCalls: 1}
}

func trunkServer(t *testing.T, tc TrunkConfig, onCall func(channel.Channel)) *Server {
	return startServer(t, Config{Trunks: []TrunkConfig{tc}, OnCall: onCall,
		TrunkRetryMin: 100 * time.Millisecond, TrunkRetryMax: 400 * time.Millisecond, TrunkTimeout: 500 * time.Millisecond})
}

func waitTrunk(t *testing.T, s *Server, name, state string) TrunkStatus {
	t.Helper()
	var st TrunkStatus
	waitFor(t, func() bool { st, _ = s.TrunkStatus(name); return st.State == state }, "trunk "+state)
	return st
}

func TestTrunkRegistersAndRefreshes(t *testing.T) {
	p := newProvider(t)
	s := trunkServer(t, p.trunk(), nil)
	st := waitTrunk(t, s, "prov", TrunkRegistered)
	if st.Reason != "" || st.Expires.Before(time.Now()) {
		t.Errorf("status %+v", st)
	}
	// Granted 2 s: refreshed about every second, each time through the
	// challenge.
	waitFor(t, func() bool { return p.registrations() >= 3 }, "three registrations")
	p.mu.Lock()
	unauth := p.unauth
	p.mu.Unlock()
	if unauth < 3 {
		t.Errorf("%d challenges for 3 registrations", unauth)
	}
	if d, err := s.TrunkPing(context.Background(), "prov"); err != nil || d <= 0 {
		t.Errorf("OPTIONS ping: %v %v", d, err)
	}
}

func TestTrunkFailureBacksOff(t *testing.T) {
	p := newProvider(t)
	p.mu.Lock()
	p.refuse = 403
	p.mu.Unlock()
	s := trunkServer(t, p.trunk(), nil)
	st := waitTrunk(t, s, "prov", TrunkFailed)
	if !strings.Contains(st.Reason, "403") {
		t.Errorf("reason %q, want the 403", st.Reason)
	}
	waitFor(t, func() bool { st, _ = s.TrunkStatus("prov"); return st.Failures >= 4 }, "four failures")
	// Back-off doubles: 100, 200, 400, 400 ms: the next attempt is at
	// least 400 ms away after the fourth failure.
	if left := time.Until(st.NextAttempt); left < 300*time.Millisecond {
		t.Errorf("next attempt in %v after %d failures: no back-off", left, st.Failures)
	}
	// Wrong password: failed with the reason; then fixed on the provider.
	p.mu.Lock()
	p.refuse, p.password = 0, "changed"
	p.mu.Unlock()
	waitFor(t, func() bool { st, _ = s.TrunkStatus("prov"); return strings.Contains(st.Reason, "credentials") }, "credentials refused")
	p.mu.Lock()
	p.password = "pr0v-secret"
	p.mu.Unlock()
	waitTrunk(t, s, "prov", TrunkRegistered)
	// A dead provider: no response.
	tc := p.trunk()
	tc.Host = "127.0.0.2:9"
	if err := s.SetTrunks([]TrunkConfig{tc}); err != nil {
		t.Fatal(err)
	}
	st = waitTrunk(t, s, "prov", TrunkFailed)
	if !strings.Contains(st.Reason, "no response") {
		t.Errorf("dead provider reason %q", st.Reason)
	}
	if _, err := s.TrunkPing(ctxTimeout(t, 500*time.Millisecond), "prov"); err == nil {
		t.Error("OPTIONS ping to a dead provider succeeded")
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestTrunkOutboundCall(t *testing.T) {
	p := newProvider(t)
	s := trunkServer(t, p.trunk(), nil)
	waitTrunk(t, s, "prov", TrunkRegistered)
	// No number of its own (the exchange found none for the caller): the
	// trunk's caller ID (identity_test.go covers the rest).
	ch, err := s.Dialer().Dial(context.Background(), channel.Request{Target: TrunkTarget("prov", "84951234567"),
		Codecs: []media.Codec{media.PCMU}})
	if err != nil {
		t.Fatal(err)
	}
	nextEvent(t, ch, channel.EventAnswer)
	p.mu.Lock()
	inv := p.invites[0]
	p.mu.Unlock()
	if inv.Recipient.User != "84951234567" || inv.To().Address.User != "84951234567" {
		t.Errorf("provider got %s, To %s", inv.Recipient.String(), inv.To().Address.String())
	}
	if inv.From().Address.User != "74951112233" || inv.From().DisplayName != "Example LLC" {
		t.Errorf("From %s %q, want the trunk's caller ID", inv.From().Address.String(), inv.From().DisplayName)
	}
	if ch.Info().Endpoint != "trunk:prov" {
		t.Errorf("endpoint %q", ch.Info().Endpoint)
	}
	// MaxCalls 1: a second call is congestion, at once.
	_, err = s.Dialer().Dial(context.Background(), channel.Request{Target: TrunkTarget("prov", "84951234568")})
	var de *channel.DialError
	if !asDialError(err, &de) || de.Cause != channel.CauseCongestion {
		t.Errorf("second call: %v, want congestion", err)
	}
	_ = ch.Hangup(channel.CauseNormal)
	waitFor(t, func() bool { st, _ := s.TrunkStatus("prov"); return st.ActiveCalls == 0 }, "slot released")

	// The provider refuses: the call fails with the mapped cause.
	p.mu.Lock()
	p.inviteSt = 503
	p.mu.Unlock()
	ch, err = s.Dialer().Dial(context.Background(), channel.Request{Target: TrunkTarget("prov", "84951234567")})
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, ch, channel.EventHangup); ev.Cause != channel.CauseCongestion {
		t.Errorf("503 from provider: cause %v", ev.Cause)
	}
}

func TestTrunkOutboundUnavailable(t *testing.T) {
	p := newProvider(t)
	p.mu.Lock()
	p.refuse = 403
	p.mu.Unlock()
	s := trunkServer(t, p.trunk(), nil)
	waitTrunk(t, s, "prov", TrunkFailed)
	_, err := s.Dialer().Dial(context.Background(), channel.Request{Target: TrunkTarget("prov", "84951234567")})
	var de *channel.DialError
	if !asDialError(err, &de) || de.Cause != channel.CauseUnavailable {
		t.Errorf("call through an unregistered trunk: %v, want unavailable", err)
	}
	// A peer trunk to a dead address: unavailable after TrunkTimeout.
	if err := s.SetTrunks([]TrunkConfig{{Name: "dead", Host: "127.0.0.2:9", CallerID: "100"}}); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Dialer().Dial(context.Background(), channel.Request{Target: TrunkTarget("dead", "84951234567")})
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, ch, channel.EventHangup); ev.Cause != channel.CauseUnavailable {
		t.Errorf("dead peer: cause %v, want unavailable", ev.Cause)
	}
}

func TestTrunkInboundCall(t *testing.T) {
	calls := make(chan channel.Channel, 2)
	s := startServer(t, Config{
		Trunks: []TrunkConfig{{Name: "peer", Host: "127.0.0.2:5060", Peers: []netip.Addr{netip.MustParseAddr("127.0.0.2")}, CallerID: "100"}},
		OnCall: func(ch channel.Channel) { calls <- ch; _ = ch.Hangup(channel.CauseBusy) }})
	ma := newMedia(t)
	offer, _ := ma.Offer(nil, media.SendRecv)
	// From the trunk's address: no challenge, the DID reaches OnCall.
	r := newRawFrom(t, s.Addr(), "127.0.0.2")
	res := r.send(rawInvite(r, "89161234567", "74951112244", offer, ""), 2*time.Second)
	ackRaw(r, res)
	if res == nil || res.StatusCode != 486 {
		t.Fatalf("trunk INVITE: %v, want the 486 the exchange chose", res)
	}
	ch := <-calls
	if in := ch.Info(); in.Dialled != "74951112244" || in.Endpoint != "trunk:peer" || in.Caller.Number != "89161234567" {
		t.Errorf("inbound trunk channel %+v", in)
	}
	// From anywhere else: challenged like any extension, OnCall untouched.
	r2 := newRawFrom(t, s.Addr(), "127.0.0.1")
	res = r2.send(rawInvite(r2, "89161234567", "74951112244", offer, ""), 2*time.Second)
	ackRaw(r2, res)
	if res == nil || res.StatusCode != 407 {
		t.Fatalf("INVITE from an unknown address: %v, want 407", res)
	}
	select {
	case ch := <-calls:
		t.Fatalf("an INVITE from an unknown address reached OnCall: %+v", ch.Info())
	case <-time.After(200 * time.Millisecond):
	}
}

func TestTrunkInboundCallLimit(t *testing.T) {
	calls := make(chan channel.Channel, 2)
	s := startServer(t, Config{
		Trunks: []TrunkConfig{{Name: "peer", Host: "127.0.0.2:5060", Peers: []netip.Addr{netip.MustParseAddr("127.0.0.2")}, CallerID: "100", MaxCalls: 1}},
		OnCall: func(ch channel.Channel) { calls <- ch }})
	ma := newMedia(t)
	offer, _ := ma.Offer(nil, media.SendRecv)
	r := newRawFrom(t, s.Addr(), "127.0.0.2")
	// The first call rings (nobody answers it yet).
	if _, err := r.conn.Write([]byte(rawInvite(r, "89161234567", "74951112244", offer, ""))); err != nil {
		t.Fatal(err)
	}
	first := <-calls
	if st, _ := s.TrunkStatus("peer"); st.ActiveCalls != 1 {
		t.Errorf("active calls %d, want 1", st.ActiveCalls)
	}
	// The second is over the trunk's limit: 503 at once, OnCall untouched.
	r2 := newRawFrom(t, s.Addr(), "127.0.0.2")
	res := r2.send(rawInvite(r2, "89161234567", "74951112244", offer, ""), 2*time.Second)
	ackRaw(r2, res)
	if res == nil || res.StatusCode != 503 {
		t.Fatalf("call over the trunk limit: %v, want 503", res)
	}
	select {
	case ch := <-calls:
		t.Fatalf("a call over the limit reached OnCall: %+v", ch.Info())
	case <-time.After(100 * time.Millisecond):
	}
	_ = first.Hangup(channel.CauseBusy)
	waitFor(t, func() bool { st, _ := s.TrunkStatus("peer"); return st.ActiveCalls == 0 }, "slot released")
}

func TestParseTrunkTarget(t *testing.T) {
	for _, tc := range []struct {
		in, name, digits string
		ok               bool
	}{
		{"trunk:prov:84951234567", "prov", "84951234567", true},
		{"trunk:prov:+74951234567", "prov", "+74951234567", true},
		{"trunk:prov:", "", "", false},
		{"trunk::123", "", "", false},
		{"trunk:prov:12a", "", "", false},
		{"201", "", "", false},
		{"trunk:prov:1:2", "", "", false},
	} {
		name, digits, ok := parseTrunkTarget(tc.in)
		if name != tc.name || digits != tc.digits || ok != tc.ok {
			t.Errorf("%q: %q %q %v", tc.in, name, digits, ok)
		}
	}
}

// FuzzParseTrunkTarget: never panics; what parses rebuilds the target.
func FuzzParseTrunkTarget(f *testing.F) {
	for _, s := range []string{"trunk:prov:84951234567", "trunk:a:+1", "trunk::", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, digits, ok := parseTrunkTarget(s)
		if ok && TrunkTarget(name, digits) != s {
			t.Fatalf("%q parsed as %q %q", s, name, digits)
		}
	})
}

// TestTrunkInboundToRegisteredContact: a provider sends the call to the
// contact the trunk registered (its Request-URI user is the account) with
// the DID in To; it comes from the provider's address, so no challenge.
func TestTrunkInboundToRegisteredContact(t *testing.T) {
	p := newProvider(t)
	calls := make(chan channel.Channel, 1)
	s := trunkServer(t, p.trunk(), func(ch channel.Channel) { calls <- ch; _ = ch.Hangup(channel.CauseBusy) })
	waitTrunk(t, s, "prov", TrunkRegistered)
	ma := newMedia(t)
	offer, _ := ma.Offer(nil, media.SendRecv)
	r := newRawFrom(t, s.Addr(), "127.0.0.2")
	msg := rawInvite(r, "89161234567", p.user, offer, "")
	msg = strings.Replace(msg, "To: <sip:"+p.user+"@", "To: <sip:74951112299@", 1)
	res := r.send(msg, 2*time.Second)
	ackRaw(r, res)
	if res == nil || res.StatusCode != 486 {
		t.Fatalf("provider's INVITE: %v", res)
	}
	if in := (<-calls).Info(); in.Dialled != "74951112299" || in.Endpoint != "trunk:prov" {
		t.Errorf("inbound channel %+v, want DID 74951112299 from trunk:prov", in)
	}
}

// TestTrunkIntervalTooBrief: a 423 makes the trunk ask again for the
// registrar's Min-Expires at once.
func TestTrunkIntervalTooBrief(t *testing.T) {
	p := newProvider(t)
	p.mu.Lock()
	p.minExp = 120
	p.mu.Unlock()
	s := trunkServer(t, p.trunk(), nil)
	st := waitTrunk(t, s, "prov", TrunkRegistered)
	if st.Failures != 0 {
		t.Errorf("%d failures before registering", st.Failures)
	}
}
