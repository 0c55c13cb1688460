package box

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
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// tlsTestCA makes a CA and a certificate it signs for 127.0.0.2; it
// returns the CA in PEM and the server's certificate.
func tlsTestCA(t *testing.T) (string, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Provider CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sip.provider.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 2)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsRegistrar is a provider's registrar over TLS on 127.0.0.2 that
// grants every REGISTER; it returns its address.
func tlsRegistrar(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := sipgo.NewServer(ua)
	srv.OnRegister(func(req *gosip.Request, tx gosip.ServerTransaction) {
		res := gosip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(gosip.NewHeader("Expires", "60"))
		_ = tx.Respond(res)
	})
	ln, err := tls.Listen("tcp4", "127.0.0.2:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Skipf("no 127.0.0.2: %v", err)
	}
	go srv.ServeTLS(ln)
	t.Cleanup(func() { ln.Close(); ua.Close() })
	return ln.Addr().String()
}

// TestTLSTrunkOnTheBox: a tls trunk with its provider's CA in tls_ca, as
// the installer stores it, registers; with another CA the status page
// says the certificate is not trusted.
func TestTLSTrunkOnTheBox(t *testing.T) {
	caPEM, cert := tlsTestCA(t)
	host := tlsRegistrar(t, cert)
	b := startBox(t, "")
	b.importDialPlan(t, func(c *store.Config) {
		c.Trunks = []store.Trunk{{Name: "secure", Mode: store.TrunkRegister, Host: host, Transport: "tls", TLSCA: caPEM,
			Username: "74951112233", Password: "pw"}}
	})
	ctx := tctx(t, 30*time.Second)
	waitTrunkState := func(state string) telephony.TrunkStatus {
		t.Helper()
		for {
			st, err := b.Exchange().Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Trunks) == 1 && st.Trunks[0].State == state {
				return st.Trunks[0]
			}
			if ctx.Err() != nil {
				t.Fatalf("trunk not %s: %+v", state, st.Trunks)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitTrunkState("registered")

	otherPEM, _ := tlsTestCA(t)
	b.importDialPlan(t, func(c *store.Config) { c.Trunks[0].TLSCA = otherPEM })
	st := waitTrunkState("failed")
	if !strings.Contains(st.Reason, "certificate signed by unknown authority") {
		t.Errorf("reason %q: want the certificate's fault", st.Reason)
	}
}
