package sip

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// fakeDNS is a tiny authoritative DNS server on loopback for the tests:
// A, AAAA and SRV answers from a table the test changes at will, every
// query logged. The messages are built by hand (RFC 1035 §4), names
// uncompressed.
type fakeDNS struct {
	addr string

	mu      sync.Mutex
	a       map[string][]netip.Addr // name → addresses
	srv     map[string][]net.SRV    // _service._proto.name → records
	queries []string                // "SRV _sip._udp.provider.test"
}

const (
	dnsTypeA    = 1
	dnsTypeAAAA = 28
	dnsTypeSRV  = 33
)

func newFakeDNS(t *testing.T) *fakeDNS {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{addr: c.LocalAddr().String(), a: map[string][]netip.Addr{}, srv: map[string][]net.SRV{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if res := d.answer(buf[:n]); res != nil {
				_, _ = c.WriteTo(res, from)
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return d
}

// resolver is a Go resolver that asks only this server.
func (d *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "udp", d.addr)
	}}
}

func (d *fakeDNS) set(name string, addrs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.a[name] = nil
	for _, s := range addrs {
		d.a[name] = append(d.a[name], netip.MustParseAddr(s))
	}
}

func (d *fakeDNS) setSRV(name string, recs ...net.SRV) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.srv[name] = recs
}

func (d *fakeDNS) log() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.queries)
}

// readName reads an uncompressed name at off; it returns the name
// without the final dot and the offset after it.
func readName(m []byte, off int) (string, int, error) {
	var labels []string
	for {
		if off >= len(m) {
			return "", 0, errors.New("name past the end")
		}
		n := int(m[off])
		off++
		if n == 0 {
			return strings.Join(labels, "."), off, nil
		}
		if n > 63 || off+n > len(m) {
			return "", 0, errors.New("bad label")
		}
		labels = append(labels, string(m[off:off+n]))
		off += n
	}
}

func appendName(b []byte, name string) []byte {
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// answer builds the response to one query (nil: not a query we read).
func (d *fakeDNS) answer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil
	}
	name, off, err := readName(q, 12)
	if err != nil || off+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[off : off+2])
	question := q[12 : off+4]
	key := strings.ToLower(name)

	var rrs [][]byte
	d.mu.Lock()
	d.queries = append(d.queries, fmt.Sprintf("%s %s", map[uint16]string{dnsTypeA: "A", dnsTypeAAAA: "AAAA", dnsTypeSRV: "SRV"}[qtype], key))
	_, haveA := d.a[key]
	_, haveSRV := d.srv[key]
	rr := func(typ uint16, rdata []byte) {
		b := appendName(nil, name)
		b = binary.BigEndian.AppendUint16(b, typ)
		b = binary.BigEndian.AppendUint16(b, 1) // IN
		b = binary.BigEndian.AppendUint32(b, 5) // TTL
		b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
		rrs = append(rrs, append(b, rdata...))
	}
	switch qtype {
	case dnsTypeA, dnsTypeAAAA:
		for _, a := range d.a[key] {
			if a.Is4() && qtype == dnsTypeA || a.Is6() && qtype == dnsTypeAAAA {
				rr(qtype, a.AsSlice())
			}
		}
	case dnsTypeSRV:
		for _, s := range d.srv[key] {
			var b []byte
			b = binary.BigEndian.AppendUint16(b, s.Priority)
			b = binary.BigEndian.AppendUint16(b, s.Weight)
			b = binary.BigEndian.AppendUint16(b, s.Port)
			rr(qtype, appendName(b, s.Target))
		}
	}
	d.mu.Unlock()

	res := make([]byte, 12, 512)
	copy(res, q[:2])                               // ID
	flags := uint16(0x8400) | uint16(q[2]&0x01)<<8 // response, authoritative, RD copied
	if !haveA && !haveSRV {
		flags |= 3 // NXDOMAIN
	}
	binary.BigEndian.PutUint16(res[2:4], flags)
	binary.BigEndian.PutUint16(res[4:6], 1)
	binary.BigEndian.PutUint16(res[6:8], uint16(len(rrs)))
	res = append(res, question...)
	for _, r := range rrs {
		res = append(res, r...)
	}
	return res
}

// TestResolveTargets: RFC 3263 location of a provider, with the DNS
// answers of a fake server.
func TestResolveTargets(t *testing.T) {
	d := newFakeDNS(t)
	r := d.resolver()
	d.set("p1.provider.test", "127.0.0.2")
	d.set("p2.provider.test", "127.0.0.3")
	d.set("p6.provider.test", "::1")
	d.setSRV("_sip._udp.provider.test",
		net.SRV{Target: "p2.provider.test.", Port: 5080, Priority: 20, Weight: 1},
		net.SRV{Target: "p1.provider.test.", Port: 5070, Priority: 10, Weight: 1})
	d.setSRV("_sip._tcp.provider.test", net.SRV{Target: "p6.provider.test.", Port: 5090, Priority: 10})
	d.setSRV("_sips._tcp.provider.test", net.SRV{Target: "p1.provider.test.", Port: 5091, Priority: 10})
	d.set("plain.test", "127.0.0.4")
	ctx := context.Background()
	for _, tc := range []struct {
		host, transport string
		want            string
		srvQuery        string // the SRV name asked, "" none
	}{
		{"provider.test", "UDP", "127.0.0.2:5070 127.0.0.3:5080", "_sip._udp.provider.test"},
		{"provider.test", "TCP", "[::1]:5090", "_sip._tcp.provider.test"},
		{"provider.test", "TLS", "127.0.0.2:5091", "_sips._tcp.provider.test"},
		// No SRV records: A/AAAA with the transport's default port.
		{"plain.test", "UDP", "127.0.0.4:5060", "_sip._udp.plain.test"},
		{"plain.test", "TLS", "127.0.0.4:5061", "_sips._tcp.plain.test"},
		// A port given: no SRV lookup (RFC 3263 §4.2).
		{"provider.test:5099", "UDP", "", ""},
		{"plain.test:5099", "UDP", "127.0.0.4:5099", ""},
		// Addresses need no DNS.
		{"127.0.0.9", "TLS", "127.0.0.9:5061", ""},
		{"[::1]:5062", "UDP", "[::1]:5062", ""},
		{"::1", "UDP", "[::1]:5060", ""},
	} {
		before := len(d.log())
		got, err := resolveTargets(ctx, r, tc.host, tc.transport)
		var s []string
		for _, a := range got {
			s = append(s, a.String())
		}
		if strings.Join(s, " ") != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("%s over %s: %v (%v), want %s", tc.host, tc.transport, s, err, tc.want)
		}
		var srvAsked []string
		for _, q := range d.log()[before:] {
			if name, ok := strings.CutPrefix(q, "SRV "); ok {
				srvAsked = append(srvAsked, name)
			}
		}
		if (tc.srvQuery == "") != (len(srvAsked) == 0) || tc.srvQuery != "" && !slices.Contains(srvAsked, tc.srvQuery) {
			t.Errorf("%s over %s: SRV queries %v, want %q", tc.host, tc.transport, srvAsked, tc.srvQuery)
		}
	}
	// "." as the only target: the service is not offered there; the
	// name's own address is used.
	d.setSRV("_sip._udp.plain.test", net.SRV{Target: ".", Port: 0, Priority: 0})
	if got, err := resolveTargets(ctx, r, "plain.test", "UDP"); err != nil || len(got) != 1 || got[0].String() != "127.0.0.4:5060" {
		t.Errorf("SRV '.': %v %v", got, err)
	}
}

// TestResolveTargetsWeights: within a priority, the weights share the
// first place out (RFC 2782); a lower priority always comes later.
func TestResolveTargetsWeights(t *testing.T) {
	d := newFakeDNS(t)
	d.set("heavy.test", "127.0.0.2")
	d.set("light.test", "127.0.0.3")
	d.set("backup.test", "127.0.0.4")
	d.setSRV("_sip._udp.w.test",
		net.SRV{Target: "light.test.", Port: 5060, Priority: 1, Weight: 10},
		net.SRV{Target: "heavy.test.", Port: 5060, Priority: 1, Weight: 90},
		net.SRV{Target: "backup.test.", Port: 5060, Priority: 2, Weight: 100})
	heavyFirst := 0
	const n = 200
	for range n {
		got, err := resolveTargets(context.Background(), d.resolver(), "w.test", "UDP")
		if err != nil || len(got) != 3 {
			t.Fatalf("%v %v", got, err)
		}
		if got[2].Addr().String() != "127.0.0.4" {
			t.Fatalf("backup (priority 2) not last: %v", got)
		}
		if got[0].Addr().String() == "127.0.0.2" {
			heavyFirst++
		}
	}
	// Expected 180 of 200; 150 is beyond 6 standard deviations.
	if heavyFirst < 150 || heavyFirst == n {
		t.Errorf("weight 90 of 100 came first %d times of %d", heavyFirst, n)
	}
}

// TestTrunkSRVFailover: a register trunk configured by its domain alone
// finds the registrar by SRV; the first target never answers, the second
// answers 503, the third registers it. Re-registration resolves afresh
// and follows the provider's DNS to a new registrar. A peer trunk's call
// goes the same way past a silent and a 503 target.
func TestTrunkSRVFailover(t *testing.T) {
	d := newFakeDNS(t)
	good, busy, moved := newProvider(t), newProvider(t), newProvider(t)
	busy.mu.Lock()
	busy.refuse, busy.inviteSt = 503, 503
	busy.mu.Unlock()
	d.set("dead.provider.test", "127.0.0.2")
	d.set("busy.provider.test", "127.0.0.2")
	d.set("good.provider.test", "127.0.0.2")
	d.set("moved.provider.test", "127.0.0.2")
	d.setSRV("_sip._udp.provider.test",
		net.SRV{Target: "dead.provider.test.", Port: 9, Priority: 10},
		net.SRV{Target: "busy.provider.test.", Port: busy.addr.Port(), Priority: 20},
		net.SRV{Target: "good.provider.test.", Port: good.addr.Port(), Priority: 30})
	tc := good.trunk()
	tc.Host = "provider.test"
	s := startServer(t, Config{Trunks: []TrunkConfig{tc}, Resolver: d.resolver(),
		TrunkRetryMin: 100 * time.Millisecond, TrunkRetryMax: 400 * time.Millisecond, TrunkTimeout: 400 * time.Millisecond})
	st := waitTrunk(t, s, "prov", TrunkRegistered)
	if st.Failures != 0 {
		t.Errorf("%d failures: the failover should have happened within one attempt", st.Failures)
	}
	if busy.registrations() != 0 || good.registrations() == 0 {
		t.Errorf("registrations: busy %d, good %d", busy.registrations(), good.registrations())
	}
	busy.mu.Lock()
	refusedRegs := busy.refused
	busy.mu.Unlock()
	if refusedRegs == 0 {
		t.Error("the 503 registrar was never asked")
	}

	// The provider moves its registrar: the next refresh (granted 2 s,
	// refreshed after 1) follows DNS.
	d.setSRV("_sip._udp.provider.test", net.SRV{Target: "moved.provider.test.", Port: moved.addr.Port(), Priority: 10})
	waitFor(t, func() bool { return moved.registrations() > 0 }, "registration at the moved registrar")
	if st, _ := s.TrunkStatus("prov"); st.State != TrunkRegistered {
		t.Errorf("after the move: %+v", st)
	}
	// Calls from the new registrar's address are the trunk's (same
	// loopback address here; what is checked is that the trust list
	// follows the resolution).
	if tr := s.trunk("prov"); !tr.trustedFrom(netip.MustParseAddr("127.0.0.2")) {
		t.Error("the provider's address is not trusted after the move")
	}

	// A peer trunk known by name: its call skips the silent target (after
	// TrunkTimeout) and the 503, and is answered by the third.
	d.setSRV("_sip._udp.peer.test",
		net.SRV{Target: "dead.provider.test.", Port: 9, Priority: 10},
		net.SRV{Target: "busy.provider.test.", Port: busy.addr.Port(), Priority: 20},
		net.SRV{Target: "good.provider.test.", Port: good.addr.Port(), Priority: 30})
	peer := TrunkConfig{Name: "peer", Host: "peer.test", Peers: []netip.Addr{netip.MustParseAddr("127.0.0.2")},
		Username: good.user, Password: good.password, CallerID: "74951112233"}
	if err := s.SetTrunks([]TrunkConfig{tc, peer}); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Dialer().Dial(context.Background(), channel.Request{Target: TrunkTarget("peer", "84951234567"),
		Codecs: []media.Codec{media.PCMU}})
	if err != nil {
		t.Fatal(err)
	}
	nextEvent(t, ch, channel.EventAnswer)
	good.mu.Lock()
	answered := len(good.invites)
	good.mu.Unlock()
	busy.mu.Lock()
	refused := len(busy.invites)
	busy.mu.Unlock()
	if answered != 1 || refused != 1 {
		t.Errorf("INVITEs: %d at the 503 target, %d at the good one; want 1 and 1", refused, answered)
	}
	_ = ch.Hangup(channel.CauseNormal)
}

// FuzzSplitTrunkHost: never panics; what it accepts has a host and a
// valid port, and joins back into something it reads the same way.
func FuzzSplitTrunkHost(f *testing.F) {
	for _, s := range []string{"sip.example.net", "sip.example.net:5060", "192.0.2.1", "[2001:db8::1]:5061", "2001:db8::1", ":5060", "a:b:c", "x:0", "[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, port, err := splitTrunkHost(s)
		if err != nil {
			return
		}
		if h == "" || port < 0 || port > 65535 {
			t.Fatalf("%q: host %q port %d", s, h, port)
		}
		joined := h
		if port > 0 {
			joined = net.JoinHostPort(h, fmt.Sprint(port))
		}
		h2, port2, err := splitTrunkHost(joined)
		if err != nil || h2 != h || port2 != port {
			t.Fatalf("%q → %q %d → %q → %q %d %v", s, h, port, joined, h2, port2, err)
		}
	})
}
