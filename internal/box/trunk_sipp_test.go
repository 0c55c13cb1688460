package box

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipbx/internal/siptest"
	"minipbx/internal/testutil"
	"minipbx/telephony/store"
)

// Whole-box tests of calls from SIP trunks, with SIPp as the provider.
// Each provider sends from its own loopback address (Linux routes all of
// 127/8 to lo), since a trunk is known by the address its calls come from:
//
//	127.0.0.3  a peer trunk's provider (its allowed IP)
//	127.0.0.4  a stranger posing as that provider, or as an extension
//	127.0.0.5  a register trunk's provider (its registrar and proxy)

const (
	peerIP      = "127.0.0.3"
	strangerIP  = "127.0.0.4"
	registrarIP = "127.0.0.5"
)

// freeUDPPortOn finds a free UDP port on ip for a SIPp instance; it skips
// the test when the address cannot be bound.
func freeUDPPortOn(t *testing.T, ip string) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Skipf("no %s on this machine: %v", ip, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// sippResult is the end of a SIPp run started by startSIPp.
type sippResult struct {
	out string
	err error
}

// startSIPp runs SIPp in the background (a provider that must be there
// before the box acts, or a call that stays up while the test goes on);
// wait returns its output and fails the test when SIPp failed; exited is
// closed when SIPp has ended.
func startSIPp(t *testing.T, ctx context.Context, args ...string) (wait func() string, exited <-chan struct{}) {
	t.Helper()
	wait, exited, _ = startSIPpIn(t, ctx, args...)
	return wait, exited
}

// startSIPpIn is startSIPp that also returns SIPp's working directory
// (files a scenario writes land there).
func startSIPpIn(t *testing.T, ctx context.Context, args ...string) (wait func() string, exited <-chan struct{}, dir string) {
	t.Helper()
	bin := testutil.Tool(t, "sipp")
	dir = t.TempDir()
	errFile := filepath.Join(dir, "errors.log")
	cmd := exec.CommandContext(ctx, bin, append([]string{"-trace_err", "-error_file", errFile}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan sippResult, 1)
	ended := make(chan struct{})
	go func() {
		err := cmd.Wait()
		close(ended)
		done <- sippResult{out.String(), err}
	}()
	var res *sippResult
	wait = func() string {
		t.Helper()
		if res == nil {
			r := <-done
			res = &r
			if r.err != nil {
				errs, _ := os.ReadFile(errFile)
				t.Fatalf("sipp %s: %v\n%s\nSIPp errors:\n%s", strings.Join(args, " "), r.err, tail(r.out, 3000), tail(string(errs), 3000))
			}
		}
		return res.out
	}
	t.Cleanup(func() {
		if res == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return wait, ended, dir
}

// waitUDPBound waits until something listens on ip:port (SIPp has
// started), so the box's first request finds it.
func waitUDPBound(t *testing.T, ip string, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s:%d", ip, port)
}

// refusedTrunkScenario writes the refused trunk-call scenario expecting status.
func refusedTrunkScenario(t *testing.T, status int) string {
	t.Helper()
	tmpl, err := os.ReadFile(scenario("trunk_uac_refused.xml"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "trunk_uac_refused.xml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(tmpl), "EXPECTED_STATUS", strconv.Itoa(status))), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// answerIncoming answers the next call ringing ph and hands it over.
func answerIncoming(t *testing.T, ctx context.Context, ph *siptest.Phone) <-chan *siptest.Call {
	calls := make(chan *siptest.Call, 1)
	go func() {
		in, err := ph.Incoming(ctx)
		if err != nil {
			close(calls)
			return
		}
		if err := in.Answer(); err != nil {
			t.Errorf("answer: %v", err)
		}
		calls <- in
	}()
	return calls
}

// ringing waits for the answered call from answerIncoming; when SIPp
// ends first it fails the test with SIPp's own account (a refused REGISTER,
// an unexpected response). nil: the context ended.
func ringing(t *testing.T, calls <-chan *siptest.Call, exited <-chan struct{}, wait func() string) *siptest.Call {
	t.Helper()
	select {
	case in := <-calls:
		return in
	case <-exited:
		wait()
		t.Fatal("SIPp ended before the extension rang")
		return nil
	}
}

// echoedThroughTrunk checks that RTP flows both ways through the trunk
// leg: the extension's 1 kHz tone goes out to SIPp, whose -rtp_echo sends
// it back, and the extension hears it clean.
func echoedThroughTrunk(t *testing.T, in *siptest.Call) {
	t.Helper()
	m := measure(t, in.Send, sipEar(in))
	t.Logf("1 kHz through the trunk leg and back: %.1f dB SNR", m.SNR)
	if m.SNR < 30 {
		t.Errorf("1 kHz tone echoed by the provider: %.1f dB SNR, want > 30", m.SNR)
	}
}

// peerTrunkBox is a box with a peer trunk "carrier" trusting peerIP
// (max_calls 1), an inbound route for DID 74951112244 to extension 201
// (a SIP phone), and the returned phone registered as 201.
func peerTrunkBox(t *testing.T) (*testBox, *siptest.Phone) {
	t.Helper()
	freeUDPPortOn(t, peerIP) // skips without the address
	b := startBox(t, "")
	secret := b.addSIPExtension(t, "201", "Reception", true)
	b.importDialPlan(t, func(c *store.Config) {
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}}
		c.Trunks = []store.Trunk{{Name: "carrier", Mode: store.TrunkPeer, Host: peerIP + ":5060",
			AllowedIPs: []string{peerIP}, CallerID: "74951112200", MaxCalls: 1}}
		c.InboundRoutes = []store.InboundRoute{{Name: "main", Trunks: []string{"carrier"},
			DIDs: []string{"74951112244"}, Destination: "ext:201"}}
		c.OutboundRoutes = []store.OutboundRoute{{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"city"}}}
	})
	return b, b.phone(t, "201", secret)
}

// TestSIPpPeerTrunkInbound: a provider on a peer trunk calls a DID from
// its allowed address without authenticating; the inbound route sends it
// to extension 201, whose phone answers; RTP flows both ways; the
// provider hangs up; the call record names the trunk. A number no route
// or DID maps gets 404.
func TestSIPpPeerTrunkInbound(t *testing.T) {
	b, ph := peerTrunkBox(t)
	ctx := tctx(t, 60*time.Second)
	calls := answerIncoming(t, ctx, ph)
	mport := freeUDPPortOn(t, peerIP)
	wait, exited := startSIPp(t, ctx, "-sf", scenario("trunk_uac.xml"), "-inf", injection(t, "89161234567"),
		"-s", "74951112244", "-i", peerIP, "-p", strconv.Itoa(freeUDPPortOn(t, peerIP)),
		"-mi", peerIP, "-mp", strconv.Itoa(mport), "-rtp_echo", "-d", "4000",
		"-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin", b.SIPAddr())
	in := ringing(t, calls, exited, wait)
	if in == nil {
		t.Fatal("the DID did not ring extension 201")
	}
	if n, _ := in.Caller(); n != "89161234567" {
		t.Errorf("extension sees caller %q, want the provider's 89161234567", n)
	}
	if st, _ := b.Exchange().Status(ctx); len(st.Trunks) != 1 || st.Trunks[0].ActiveCalls != 1 {
		t.Errorf("trunk status during the call: %+v", st.Trunks)
	}
	echoedThroughTrunk(t, in)
	wait()
	select {
	case <-in.Ended():
	case <-ctx.Done():
		t.Fatal("the provider's BYE did not end the extension's call")
	}
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "89161234567" && r.Callee == "201" })
	if r.Source != "trunk:carrier" || r.Destination != "sip:201" || r.Disposition != "answered" || r.DurationS < 2 {
		t.Errorf("call record %+v: want answered, from trunk:carrier to sip:201, about 4 s", r)
	}

	// A DID nobody maps: 404, and the phone does not ring.
	sipp(t, ctx, "-sf", refusedTrunkScenario(t, 404), "-inf", injection(t, "89161234567", peerIP),
		"-s", "74951119999", "-i", peerIP, "-p", strconv.Itoa(freeUDPPortOn(t, peerIP)), "-mi", peerIP,
		"-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin", b.SIPAddr())
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Callee == "74951119999" && r.Source == "trunk:carrier" && r.Disposition == "not-found"
	})
	noCall(t, ph)
}

// noCall checks that nothing rings ph for a moment.
func noCall(t *testing.T, ph *siptest.Phone) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if in, err := ph.Incoming(ctx); err == nil {
		n, _ := in.Caller()
		t.Errorf("extension %s rang for a call from %q", ph.User, n)
	}
}

// TestSIPpTrunkTollFraudGuard: the same INVITE from an address no trunk
// allows is challenged like any extension's and reaches nobody, whether
// its From is an outside number or claims to be extension 201; and from
// the trunk's own address a From of 201 does not make the call an
// extension's (an outside number it dials is not routed out: 404).
func TestSIPpTrunkTollFraudGuard(t *testing.T) {
	b, ph := peerTrunkBox(t)
	freeUDPPortOn(t, strangerIP)
	ctx := tctx(t, 60*time.Second)
	boxIP, _, _ := net.SplitHostPort(b.SIPAddr())
	for _, from := range [][]string{{"89161234567", strangerIP}, {"201", boxIP}} {
		sipp(t, ctx, "-sf", refusedTrunkScenario(t, 407), "-inf", injection(t, from...),
			"-s", "74951112244", "-i", strangerIP, "-p", strconv.Itoa(freeUDPPortOn(t, strangerIP)), "-mi", strangerIP,
			"-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin", b.SIPAddr())
		noCall(t, ph)
	}
	if st, _ := b.Exchange().Status(ctx); len(st.Trunks) != 1 || st.Trunks[0].ActiveCalls != 0 {
		t.Errorf("trunk status after the strangers: %+v", st.Trunks)
	}
	sipp(t, ctx, "-sf", refusedTrunkScenario(t, 404), "-inf", injection(t, "201", boxIP),
		"-s", "84951234567", "-i", peerIP, "-p", strconv.Itoa(freeUDPPortOn(t, peerIP)), "-mi", peerIP,
		"-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin", b.SIPAddr())
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == "84951234567" })
	if r.Source != "trunk:carrier" || r.Disposition != "not-found" {
		t.Errorf("call record %+v: want a trunk call, not found", r)
	}
	if b.Sim().Line(1).Seized() {
		t.Error("a trunk call claiming to be extension 201 seized an outside line")
	}
	noCall(t, ph)
}

// TestSIPpPeerTrunkMaxCalls: with the trunk's one call in progress, a
// second INVITE from the provider gets 503 at once.
func TestSIPpPeerTrunkMaxCalls(t *testing.T) {
	b, ph := peerTrunkBox(t)
	ctx := tctx(t, 60*time.Second)
	calls := answerIncoming(t, ctx, ph)
	wait, exited := startSIPp(t, ctx, "-sf", scenario("trunk_uac.xml"), "-inf", injection(t, "89161234567"),
		"-s", "74951112244", "-i", peerIP, "-p", strconv.Itoa(freeUDPPortOn(t, peerIP)),
		"-mi", peerIP, "-mp", strconv.Itoa(freeUDPPortOn(t, peerIP)), "-rtp_echo", "-d", "3000",
		"-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin", b.SIPAddr())
	if in := ringing(t, calls, exited, wait); in == nil {
		t.Fatal("the first call did not ring extension 201")
	}
	sipp(t, ctx, "-sf", refusedTrunkScenario(t, 503), "-inf", injection(t, "89161230000", peerIP),
		"-s", "74951112244", "-i", peerIP, "-p", strconv.Itoa(freeUDPPortOn(t, peerIP)), "-mi", peerIP,
		"-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin", b.SIPAddr())
	noCall(t, ph)
	wait()
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "89161234567" && r.Disposition == "answered" })
}

// TestSIPpRegisterTrunkInbound: SIPp is a provider's registrar and proxy.
// It challenges the box's REGISTER and checks the digest answer, then
// calls the registered contact with the DID in To; the trunk's DID table
// sends it to extension 202, whose phone answers; RTP flows; the provider
// hangs up.
func TestSIPpRegisterTrunkInbound(t *testing.T) {
	port := freeUDPPortOn(t, registrarIP)
	b := startBox(t, "")
	secret := b.addSIPExtension(t, "202", "Sales", false)
	ph := b.phone(t, "202", secret)
	ctx := tctx(t, 60*time.Second)
	calls := answerIncoming(t, ctx, ph)
	const user, pass = "74951112233", "pr0v-Secret"
	wait, exited := startSIPp(t, ctx, "-sf", scenario("trunk_registrar.xml"),
		"-key", "trunk_user", user, "-key", "trunk_pass", pass, "-key", "did", "74951112255", "-key", "caller", "89031234567",
		"-i", registrarIP, "-p", strconv.Itoa(port), "-mi", registrarIP, "-mp", strconv.Itoa(freeUDPPortOn(t, registrarIP)),
		"-rtp_echo", "-d", "4000", "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin")
	waitUDPBound(t, registrarIP, port)
	b.importDialPlan(t, func(c *store.Config) {
		c.Trunks = []store.Trunk{{Name: "prov", Mode: store.TrunkRegister, Host: fmt.Sprintf("%s:%d", registrarIP, port),
			Username: user, Password: pass, DIDs: []store.TrunkDID{{Number: "74951112255", Destination: "ext:202"}}}}
	})
	in := ringing(t, calls, exited, wait)
	if in == nil {
		st, _ := b.Exchange().Status(context.Background())
		t.Fatalf("the provider's call did not ring extension 202; trunks %+v", st.Trunks)
	}
	if st, _ := b.Exchange().Status(ctx); len(st.Trunks) != 1 || st.Trunks[0].State != "registered" {
		t.Errorf("trunk status during the call: %+v", st.Trunks)
	}
	echoedThroughTrunk(t, in)
	wait()
	select {
	case <-in.Ended():
	case <-ctx.Done():
		t.Fatal("the provider's BYE did not end the extension's call")
	}
	r := b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "89031234567" })
	if r.Source != "trunk:prov" || r.Callee != "202" || r.Disposition != "answered" {
		t.Errorf("call record %+v: want answered, from trunk:prov to 202", r)
	}
}
