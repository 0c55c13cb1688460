package sip

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a server certificate for the names and addresses given.
func (ca *testCA) issue(t *testing.T, dns []string, ips []net.IP) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "provider"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsProvider is a provider's registrar over TLS on ip: it grants every
// REGISTER (the digest exchange is tested over UDP) and records them.
type tlsProvider struct {
	addr netip.AddrPort
	ua   *sipgo.UserAgent
	mu   sync.Mutex
	regs []*sip.Request
}

func newTLSProvider(t *testing.T, ip string, cert tls.Certificate) *tlsProvider {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("tls-provider"), sipgo.WithUserAgentHostname(ip),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(testLogger(t))),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(testLogger(t))))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(testLogger(t)))
	ln, err := tls.Listen("tcp4", net.JoinHostPort(ip, "0"), &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Skipf("no %s on this machine: %v", ip, err)
	}
	p := &tlsProvider{addr: ln.Addr().(*net.TCPAddr).AddrPort(), ua: ua}
	srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.regs = append(p.regs, req)
		p.mu.Unlock()
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Expires", "60"))
		_ = tx.Respond(res)
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	go srv.ServeTLS(ln)
	t.Cleanup(func() { ln.Close(); ua.Close() })
	return p
}

func (p *tlsProvider) registrations() []*sip.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*sip.Request(nil), p.regs...)
}

// TestTrunkTLS: a register trunk over TLS registers when the provider's
// certificate chains to the trunk's CA and names its host, and fails
// with the certificate's fault as the reason otherwise: another CA, or a
// certificate for another name. Nothing is sent in clear.
func TestTrunkTLS(t *testing.T) {
	ca := newTestCA(t, "Provider CA")
	p := newTLSProvider(t, "127.0.0.2", ca.issue(t, []string{"sip.provider.test"}, []net.IP{net.IPv4(127, 0, 0, 2)}))
	tc := TrunkConfig{Name: "secure", Register: true, Host: p.addr.String(), Transport: "tls", TLSCA: ca.pem,
		Username: "74951112233", Password: "pw", Expires: 60 * time.Second}
	calls := make(chan channel.Channel, 1)
	s := trunkServer(t, tc, func(ch channel.Channel) { calls <- ch; _ = ch.Hangup(channel.CauseBusy) })
	waitTrunk(t, s, "secure", TrunkRegistered)
	regs := p.registrations()
	if len(regs) == 0 {
		t.Fatal("registered, but the provider saw no REGISTER")
	}
	r := regs[0]
	if r.Transport() != "TLS" || !strings.Contains(r.Via().Value(), "TLS") {
		t.Errorf("REGISTER came over %s, Via %s", r.Transport(), r.Via().Value())
	}
	if c := r.Contact(); c == nil || !strings.Contains(c.Value(), "transport=tls") {
		t.Errorf("Contact %v: want transport=tls", c)
	}
	if _, err := s.TrunkPing(ctxTimeout(t, 2*time.Second), "secure"); err != nil {
		t.Errorf("OPTIONS over TLS: %v", err)
	}

	// The provider calls the registered contact back over the box's own
	// TLS connection (the box does not listen for TLS): a trunk call.
	cli, err := sipgo.NewClient(p.ua, sipgo.WithClientHostname("127.0.0.2"), sipgo.WithClientLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	offer, _ := newMedia(t).Offer(nil, media.SendRecv)
	inv := sip.NewRequest(sip.INVITE, r.Contact().Address)
	inv.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "74951112266", Host: "127.0.0.1"}})
	contact := sip.Uri{Scheme: "sip", User: "89161234567", Host: "127.0.0.2", Port: int(p.addr.Port()), UriParams: sip.NewParams()}
	contact.UriParams.Add("transport", "tls")
	inv.AppendHeader(&sip.ContactHeader{Address: contact})
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	inv.SetBody(offer)
	inv.SetTransport("TLS")
	inv.SetDestination(r.Source())
	res, err := cli.Do(ctxTimeout(t, 3*time.Second), inv, sipgo.ClientRequestBuild)
	if err != nil || res.StatusCode != 486 {
		t.Fatalf("provider's INVITE over TLS: %v %v, want the 486 the exchange chose", res, err)
	}
	select {
	case ch := <-calls:
		if in := ch.Info(); in.Endpoint != "trunk:secure" || in.Dialled != "74951112266" {
			t.Errorf("inbound TLS trunk call %+v", in)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the provider's call over TLS did not reach the exchange")
	}

	// The provider's certificate from a CA the trunk does not trust.
	other := newTestCA(t, "Someone Else")
	tc.TLSCA = other.pem
	if err := s.SetTrunks([]TrunkConfig{tc}); err != nil {
		t.Fatal(err)
	}
	st := waitTrunk(t, s, "secure", TrunkFailed)
	if !strings.Contains(st.Reason, "certificate signed by unknown authority") {
		t.Errorf("wrong CA: reason %q", st.Reason)
	}

	// The right CA, but the certificate is for another host.
	p2 := newTLSProvider(t, "127.0.0.2", ca.issue(t, []string{"other.example"}, nil))
	tc.TLSCA, tc.Host = ca.pem, p2.addr.String()
	if err := s.SetTrunks([]TrunkConfig{tc}); err != nil {
		t.Fatal(err)
	}
	st = waitTrunk(t, s, "secure", TrunkFailed)
	if !strings.Contains(st.Reason, "cannot validate certificate for 127.0.0.2") {
		t.Errorf("wrong name: reason %q", st.Reason)
	}
	if n := len(p2.registrations()); n != 0 {
		t.Errorf("%d REGISTERs reached a provider whose certificate was refused", n)
	}
}

// TestTrunkTLSConfig: the TLS settings are checked when trunks are set.
func TestTrunkTLSConfig(t *testing.T) {
	ca := newTestCA(t, "CA")
	for _, tc := range []struct {
		c    TrunkConfig
		want string
	}{
		{TrunkConfig{Name: "a", Host: "127.0.0.2", Transport: "udp", TLSCA: ca.pem}, "TLS CA for transport UDP"},
		{TrunkConfig{Name: "a", Host: "127.0.0.2", Transport: "tls", TLSCA: []byte("not pem")}, "no PEM certificate"},
		{TrunkConfig{Name: "a", Host: "127.0.0.2", Transport: "sctp"}, "not udp, tcp or tls"},
		{TrunkConfig{Name: "a", Host: "127.0.0.2:0", Transport: "tls"}, "not 1 to 65535"},
	} {
		err := tc.c.normalize()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
	c := TrunkConfig{Name: "a", Host: "127.0.0.2", Transport: "tls", TLSCA: ca.pem}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{})
	tr := newTrunk(s, c)
	if len(tr.targets) != 1 || tr.targets[0].Port() != 5061 || tr.roots == nil {
		t.Errorf("TLS trunk to a bare address: targets %v, roots %v", tr.targets, tr.roots != nil)
	}
}

// TestTrunkTLSByName: a TLS trunk configured by its SIP domain finds the
// provider by _sips._tcp SRV and checks the certificate for the domain
// (RFC 5922 §4), not for the address it dialled.
func TestTrunkTLSByName(t *testing.T) {
	ca := newTestCA(t, "Provider CA")
	p := newTLSProvider(t, "127.0.0.2", ca.issue(t, []string{"provider.test"}, nil))
	d := newFakeDNS(t)
	d.set("edge1.provider.test", "127.0.0.2")
	d.setSRV("_sips._tcp.provider.test", net.SRV{Target: "edge1.provider.test.", Port: p.addr.Port(), Priority: 10})
	tc := TrunkConfig{Name: "secure", Register: true, Host: "provider.test", Transport: "TLS", TLSCA: ca.pem,
		Username: "74951112233", Password: "pw", Expires: 60 * time.Second}
	s := startServer(t, Config{Trunks: []TrunkConfig{tc}, Resolver: d.resolver(),
		TrunkRetryMin: 100 * time.Millisecond, TrunkTimeout: 500 * time.Millisecond})
	waitTrunk(t, s, "secure", TrunkRegistered)
	if regs := p.registrations(); len(regs) == 0 || regs[0].Recipient.Host != "provider.test" {
		t.Errorf("REGISTERs %v: want sip:provider.test", regs)
	}
}
