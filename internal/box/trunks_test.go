package box

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"minipbx/telephony/diag"
	"minipbx/telephony/sip"
	"minipbx/telephony/store"
)

// openProvider is a provider on 127.0.0.2 that accepts every REGISTER
// (the digest exchange is tested in telephony/sip) and answers OPTIONS.
func openProvider(t *testing.T) string {
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
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Skipf("no 127.0.0.2: %v", err)
	}
	go srv.ServeUDP(conn)
	for len(ua.TransportLayer().ListenPorts("udp")) == 0 {
		time.Sleep(time.Millisecond)
	}
	return conn.LocalAddr().String()
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
