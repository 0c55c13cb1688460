package box

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"minipbx/dsp"
	"minipbx/telephony/diag"
	"minipbx/telephony/sip"
	"minipbx/telephony/store"
)

// openProvider is a provider on 127.0.0.2 that accepts every REGISTER
// (the digest exchange is tested in telephony/sip) and answers OPTIONS.
func openProvider(t *testing.T) string {
	host, _ := openBusyProvider(t)
	return host
}

// openBusyProvider is openProvider that also answers INVITEs with 486
// Busy Here, handing each INVITE to the test.
func openBusyProvider(t *testing.T) (string, chan *gosip.Request) {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	srv, _ := sipgo.NewServer(ua)
	ok := func(req *gosip.Request, tx gosip.ServerTransaction) {
		res := gosip.NewResponseFromRequest(req, 200, "OK", nil)
		if req.Method == gosip.REGISTER {
			res.AppendHeader(gosip.NewHeader("Expires", "60"))
		}
		_ = tx.Respond(res)
	}
	srv.OnRegister(ok)
	srv.OnOptions(ok)
	invites := make(chan *gosip.Request, 8)
	srv.OnInvite(func(req *gosip.Request, tx gosip.ServerTransaction) {
		select {
		case invites <- req:
		default:
		}
		_ = tx.Respond(gosip.NewResponseFromRequest(req, 486, "Busy Here", nil))
	})
	srv.OnAck(func(*gosip.Request, gosip.ServerTransaction) {})
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Skipf("no 127.0.0.2: %v", err)
	}
	go srv.ServeUDP(conn)
	for len(ua.TransportLayer().ListenPorts("udp")) == 0 {
		time.Sleep(time.Millisecond)
	}
	return conn.LocalAddr().String(), invites
}

func TestDiagnosticsTrunkCheck(t *testing.T) {
	host := openProvider(t)
	cfg := &store.Config{Trunks: []store.Trunk{
		{Name: "good", Mode: store.TrunkRegister, Host: host, Username: "100", Password: "pw"},
		{Name: "dead", Mode: store.TrunkRegister, Host: "127.0.0.2:9", Username: "100", Password: "pw"},
		{Name: "peer", Mode: store.TrunkPeer, Host: host, CallerID: "100"},
	}}
	s, err := sip.New(sip.Config{Addr: "127.0.0.1:0", Credentials: sip.CredentialsFunc(func(string) (string, string, bool) { return "", "", false }),
		Trunks: sipTrunks(cfg), TrunkTimeout: 500 * time.Millisecond, TrunkRetryMin: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-s.Ready()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, _ := s.TrunkStatus("good")
		d, _ := s.TrunkStatus("dead")
		if g.State == sip.TrunkRegistered && d.State == sip.TrunkFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trunk states: good %+v, dead %+v", g, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b := &Box{sip: s}
	var checks []diag.Trunk = b.trunkChecks()
	if len(checks) != 3 {
		t.Fatalf("%d trunk checks", len(checks))
	}
	want := map[string]string{"trunk:good": store.VerdictPass, "trunk:dead": store.VerdictFail, "trunk:peer": store.VerdictPass}
	for _, c := range checks {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		r := c.Check(cctx)
		ccancel()
		if r.Verdict != want[c.Name()] {
			t.Errorf("%s: %s (%s), want %s", c.Name(), r.Verdict, r.Detail, want[c.Name()])
		}
		if c.Name() == "trunk:dead" && (!strings.Contains(r.Detail, "not registered: no response") || !strings.Contains(r.Detail, "OPTIONS")) {
			t.Errorf("dead trunk detail %q", r.Detail)
		}
		if c.Name() == "trunk:good" && len(r.Values) != 1 {
			t.Errorf("good trunk values %+v", r.Values)
		}
	}
}

// TestTrunkOnTheSimulatedBox: a trunk configured in the store registers
// and shows on the status; an analog phone's national number goes out
// through it first (the provider sees the digits and the trunk's caller
// ID, and its busy reaches the phone); with the trunk dead the same number
// falls back to the telco line.
func TestTrunkOnTheSimulatedBox(t *testing.T) {
	host, invites := openBusyProvider(t)
	b := startBox(t, "")
	b.importDialPlan(t, func(c *store.Config) {
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}}
		c.Trunks = []store.Trunk{{Name: "prov", Mode: store.TrunkRegister, Host: host, Username: "74951112233", Password: "pw", CallerID: "74951112233"}}
		c.OutboundRoutes = []store.OutboundRoute{{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"prov", "city"}}}
	})
	ctx := tctx(t, 60*time.Second)
	for {
		st, err := b.Exchange().Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Trunks) == 1 && st.Trunks[0].State == "registered" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("trunk not registered: %+v", st.Trunks)
		}
		time.Sleep(20 * time.Millisecond)
	}
	sim := b.Sim()
	ph, line1 := sim.Phone(1), sim.Line(1)
	ph.OffHook()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph.DialDTMF("84951234567"); err != nil {
		t.Fatal(err)
	}
	select {
	case inv := <-invites:
		if inv.Recipient.User != "84951234567" || inv.From().Address.User != "74951112233" {
			t.Errorf("provider got %s from %s", inv.Recipient.String(), inv.From().Address.String())
		}
	case <-ctx.Done():
		t.Fatal("nothing reached the provider")
	}
	if err := ph.Hears(ctx, dsp.ToneBusy); err != nil {
		t.Fatalf("busy from the provider: %v", err)
	}
	ph.OnHook()
	if line1.Seized() {
		t.Error("the line was seized although the trunk answered busy")
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == "84951234567" && r.Disposition == "busy" })
	b.waitPortIdle(t, 0)

	// The provider is gone: the trunk fails to register, and the number
	// falls back to the line.
	b.importDialPlan(t, func(c *store.Config) { c.Trunks[0].Host = "127.0.0.2:9" })
	for {
		st, _ := b.Exchange().Status(ctx)
		if len(st.Trunks) == 1 && st.Trunks[0].State == "failed" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("dead trunk not failed: %+v", st.Trunks)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ph.OffHook()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph.DialDTMF("84951234567"); err != nil {
		t.Fatal(err)
	}
	if err := line1.WaitSeized(ctx); err != nil {
		t.Fatalf("no fallback to the line: %v", err)
	}
	if got, err := line1.WaitDigits(ctx, 11); err != nil || got != "84951234567" {
		t.Fatalf("the telco received %q (%v)", got, err)
	}
	ph.OnHook()
	if err := line1.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
}
