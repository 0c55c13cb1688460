package sip

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// floodFrom opens n idle TCP connections to addr, spread over loopback
// source addresses 127.0.0.first .. first+addrs-1; each that the box
// refuses or closes is simply gone. The test's end closes the rest.
func floodFrom(t testing.TB, addr netip.AddrPort, n, first, addrs int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	for i := range n {
		d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(first+i%addrs))}}
		c, err := d.Dial("tcp", addr.String())
		if err != nil {
			continue // the backlog is full: that is the flood working
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// closedByPeer reports whether the box closed c (a read ends at once).
func closedByPeer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// TestConnectionFloodPhonesKeepWorking: 300 idle connections from 30
// addresses against limits of 40 in all and 10 per address. A phone
// registered over TCP keeps its connection and re-registers on it, a
// UDP phone registers, a new TCP phone connects and registers during the
// flood, and once IdleTimeout has passed every connection that never
// authenticated is gone.
func TestConnectionFloodPhonesKeepWorking(t *testing.T) {
	s := startServer(t, Config{Conns: ConnLimits{Max: 40, PerAddress: 10, IdleTimeout: 1500 * time.Millisecond}})
	registered := newPhoneOn(t, s.Addr(), "201", "secret201", true)
	if res := registered.register("secret201", 300); res.StatusCode != 200 {
		t.Fatalf("TCP phone before the flood: %d", res.StatusCode)
	}
	udp := newPhone(t, s.Addr(), "202", "secret202")

	flood := floodFrom(t, s.Addr(), 300, 10, 30)
	if len(flood) < 100 {
		t.Fatalf("only %d flood connections opened", len(flood))
	}
	waitFor(t, func() bool { return s.conns.count() >= 40 }, "the connection limit reached")
	for i := range 5 {
		if res := registered.register("secret201", 300); res.StatusCode != 200 {
			t.Fatalf("TCP phone re-registering during the flood (%d): %d", i, res.StatusCode)
		}
		if res := udp.register("secret202", 300); res.StatusCode != 200 {
			t.Fatalf("UDP phone during the flood (%d): %d", i, res.StatusCode)
		}
	}
	// More flood, from the addresses of the first and from new ones, then
	// a new phone: it evicts an unauthenticated connection to get in.
	flood = append(flood, floodFrom(t, s.Addr(), 100, 10, 60)...)
	newcomer := newPhoneOn(t, s.Addr(), "203", "secret203", true)
	if res := newcomer.register("secret203", 300); res.StatusCode != 200 {
		t.Fatalf("new TCP phone during the flood: %d", res.StatusCode)
	}
	if n := s.conns.count(); n > 40 {
		t.Fatalf("%d connections held, limit 40", n)
	}
	s.conns.mu.Lock()
	for ip, n := range s.conns.perIP {
		if n > 10 {
			t.Errorf("%d connections from %s, limit 10", n, ip)
		}
	}
	s.conns.mu.Unlock()

	// IdleTimeout later only the two phones' connections are left.
	waitFor(t, func() bool { return s.conns.count() == 2 }, "unauthenticated connections closed")
	for i, c := range flood {
		if !closedByPeer(c) {
			t.Fatalf("flood connection %d still open", i)
		}
	}
	if res := registered.register("secret201", 300); res.StatusCode != 200 {
		t.Fatalf("TCP phone after the flood: %d", res.StatusCode)
	}
	if got := len(s.Registrations()); got != 3 {
		t.Fatalf("%d registrations, want 3", got)
	}
}

// TestConnectionTracker checks the accounting with a fake clock: limits,
// eviction of the oldest unauthenticated connection, proving, the idle
// sweeps and shedding.
func TestConnectionTracker(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	tr := newConnTracker(ConnLimits{Max: 4, PerAddress: 2, IdleTimeout: 10 * time.Second}, time.Minute, testLogger(t), clock.now)
	open := func(ip string, port int) (*trackedConn, *fakeConn) {
		fc := &fakeConn{remote: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port)))}
		return tr.admit(fc, "TCP"), fc
	}
	a1, fa1 := open("192.0.2.1", 1)
	clock.add(time.Second)
	a2, _ := open("192.0.2.1", 2)
	if a1 == nil || a2 == nil {
		t.Fatal("refused below the limits")
	}
	tr.prove(a2.remote)
	// A third from the same address evicts its oldest unproven (a1).
	a3, _ := open("192.0.2.1", 3)
	if a3 == nil || !fa1.closed() || tr.count() != 2 {
		t.Fatalf("per-address eviction: a3 %v, a1 closed %v, count %d", a3 != nil, fa1.closed(), tr.count())
	}
	tr.prove(a3.remote)
	// Both of 192.0.2.1's are proven now: a fourth is refused.
	if c, fc := open("192.0.2.1", 4); c != nil || !fc.closed() {
		t.Fatal("over the per-address limit with nothing to evict: not refused")
	}
	b1, fb1 := open("192.0.2.2", 1)
	clock.add(time.Second)
	b2, _ := open("192.0.2.3", 1)
	if b1 == nil || b2 == nil || tr.count() != 4 {
		t.Fatalf("count %d", tr.count())
	}
	// Full: a new address evicts the oldest unproven overall (b1).
	c1, _ := open("192.0.2.4", 1)
	if c1 == nil || !fb1.closed() || tr.count() != 4 {
		t.Fatal("total eviction")
	}
	// The idle sweep closes unproven connections after IdleTimeout, and
	// proven ones silent beyond the longest registration.
	clock.add(9 * time.Second)
	tr.sweep()
	if tr.count() != 4 {
		t.Fatalf("swept early: %d left", tr.count())
	}
	clock.add(2 * time.Second)
	tr.sweep()
	if tr.count() != 2 || !tr.proven(a2.remote) || !tr.proven(a3.remote) {
		t.Fatalf("after IdleTimeout: %d left", tr.count())
	}
	a2.lastRead.Store(clock.now().UnixNano())
	clock.add(61*time.Second - 11*time.Second)
	a3.lastRead.Store(clock.now().Add(-61 * time.Second).UnixNano())
	tr.sweep()
	if tr.count() != 1 || !tr.proven(a2.remote) {
		t.Fatalf("silent proven connection not closed: %d left", tr.count())
	}
	// Out of descriptors: shed an unproven one, never a proven one.
	d1, fd1 := open("192.0.2.5", 1)
	if !tr.shed() || !fd1.closed() || tr.shed() || d1 == nil {
		t.Fatal("shed")
	}
	// sipgo's own Close releases; closing twice is harmless.
	a2.Close()
	a2.Close()
	if tr.count() != 0 || tr.live.Load() != 6 { // shut by us but not released: sipgo is not here to
		t.Fatalf("count %d, live %d", tr.count(), tr.live.Load())
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type fakeConn struct {
	net.Conn
	remote net.Addr
	shut   bool
}

func (c *fakeConn) RemoteAddr() net.Addr { return c.remote }
func (c *fakeConn) Close() error         { c.shut = true; return nil }
func (c *fakeConn) closed() bool         { return c.shut }

// The descriptor-limit test runs the box's SIP server in a child process
// (this test binary again) whose RLIMIT_NOFILE is 160, with connection
// limits far above it, so that accept runs out of descriptors.
const floodChildEnv = "MINIPBX_SIP_FLOOD_CHILD"

// TestConnectionFloodChild is the child: it serves SIP until its stdin
// closes; a Run that ends early (the old accept error) exits non-zero.
func TestConnectionFloodChild(t *testing.T) {
	if os.Getenv(floodChildEnv) == "" {
		t.Skip("run by TestConnectionFloodAtDescriptorLimit")
	}
	lim := syscall.Rlimit{Cur: 160, Max: 160}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Addr: "127.0.0.1:0", Credentials: staticCreds{"201": "secret201", "202": "secret202", "203": "secret203"},
		Conns:  ConnLimits{Max: 5000, PerAddress: 5000, IdleTimeout: 3 * time.Second},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	fmt.Printf("ADDR %s\n", s.Addr())
	if err := <-done; err != nil || ctx.Err() == nil {
		fmt.Printf("EXIT %v\n", err)
		os.Exit(3)
	}
}

// TestConnectionFloodAtDescriptorLimit floods a server that has 160 file
// descriptors with 1,100 idle TCP connections from one address (what used
// to make pbxd exit within a second), while phones register throughout:
// accept fails with EMFILE, the server sheds unauthenticated connections
// and backs off, and it never stops; a TCP phone registered before keeps
// its connection, a UDP phone registers all along, and a new TCP phone
// registers once the flood has gone.
func TestConnectionFloodAtDescriptorLimit(t *testing.T) {
	if os.Getenv(floodChildEnv) != "" {
		t.Skip("in the child")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestConnectionFloodChild$", "-test.v")
	cmd.Env = append(os.Environ(), floodChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	var addr netip.AddrPort
	var out []string
	for addr == (netip.AddrPort{}) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("child ended:\n%s\n%s", strings.Join(out, "\n"), stderr.String())
			}
			out = append(out, l)
			if a, ok := strings.CutPrefix(l, "ADDR "); ok {
				addr = netip.MustParseAddrPort(a)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("child did not start")
		}
	}
	alive := func(when string) {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok || strings.HasPrefix(l, "EXIT") {
				t.Fatalf("the server stopped %s: %s\n%s", when, l, stderr.String())
			}
		default:
		}
	}

	registered := newPhoneOn(t, addr, "201", "secret201", true)
	if res := registered.register("secret201", 300); res.StatusCode != 200 {
		t.Fatalf("TCP phone before the flood: %d", res.StatusCode)
	}
	udp := newPhone(t, addr, "202", "secret202")
	stop := make(chan struct{})
	udpDone := make(chan error, 1)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				if n == 0 {
					udpDone <- errors.New("no registration during the flood")
				} else {
					udpDone <- nil
				}
				return
			case <-time.After(50 * time.Millisecond):
			}
			res, err := udp.registerErr("secret202", 300, nil)
			if err != nil || res.StatusCode != 200 {
				udpDone <- fmt.Errorf("UDP phone during the flood, registration %d: %v %v", n, err, res)
				return
			}
			n++
		}
	}()

	flood := floodFrom(t, addr, 1100, 1, 1)
	t.Logf("%d flood connections opened", len(flood))
	for i := range 10 {
		alive("during the flood")
		if res, err := registered.registerErr("secret201", 300, nil); err != nil || res.StatusCode != 200 {
			t.Fatalf("TCP phone re-registering during the flood (%d): %v %v", i, err, res)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	if err := <-udpDone; err != nil {
		t.Fatal(err)
	}
	for _, c := range flood {
		c.Close()
	}
	newcomer := newPhoneOn(t, addr, "203", "secret203", true)
	var res error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		r, err := newcomer.registerErr("secret203", 300, nil)
		if err == nil && r.StatusCode == 200 {
			res = nil
			break
		}
		res = fmt.Errorf("%v %v", err, r)
	}
	if res != nil {
		t.Fatalf("new TCP phone after the flood: %v", res)
	}
	alive("after the flood")
	t.Logf("the child's log:\n%s", stderr.String())
	if !strings.Contains(stderr.String(), "accept failed") {
		t.Errorf("the flood never ran the child out of descriptors:\n%s", stderr.String())
	}
}

// BenchmarkConnectionFlood is one idle connection of a flood: accepted,
// counted and, the limit being full, an unauthenticated one evicted to
// make room. It reports the server's heap per connection held.
func BenchmarkConnectionFlood(b *testing.B) {
	s := startServer(b, Config{Conns: ConnLimits{Max: 256, PerAddress: 256}, Ban: BanPolicy{Disabled: true}})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	held := floodFrom(b, s.Addr(), 256, 1, 1)
	waitFor(b, func() bool { return s.conns.count() == 256 }, "256 connections held")
	runtime.GC()
	runtime.ReadMemStats(&after)
	perConn := float64(after.HeapInuse-before.HeapInuse) / float64(len(held))
	for b.Loop() {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.ReportMetric(perConn, "heap-B/conn")
}
