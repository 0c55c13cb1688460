package store

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// testCAPEM is a CA certificate made for the test, in PEM.
func testCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Provider CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestTrunkHostTransportAndCA: the provider's host may carry a port or
// not (a bare name is located by SRV), the transport may be tls, and a
// tls trunk may name its CA in PEM.
func TestTrunkHostTransportAndCA(t *testing.T) {
	ca := testCAPEM(t)
	for _, tc := range []struct {
		name   string
		edit   func(*Trunk)
		fields []string
		msg    string
	}{
		{"bare name (SRV)", func(tr *Trunk) { tr.Host = "sip.example.net" }, nil, ""},
		{"bare address", func(tr *Trunk) { tr.Host = "192.0.2.10" }, nil, ""},
		{"IPv6 with port", func(tr *Trunk) { tr.Host = "[2001:db8::1]:5062" }, nil, ""},
		{"bare IPv6", func(tr *Trunk) { tr.Host = "2001:db8::1" }, nil, ""},
		{"tls with its CA", func(tr *Trunk) { tr.Transport = "tls"; tr.TLSCA = ca }, nil, ""},
		{"tls with two CAs", func(tr *Trunk) { tr.Transport = "tls"; tr.TLSCA = ca + "\n" + ca }, nil, ""},
		{"tls with the system's roots", func(tr *Trunk) { tr.Transport = "tls" }, nil, ""},
		{"port zero", func(tr *Trunk) { tr.Host = "sip.example.net:0" }, []string{"trunks[0].host"}, "port must be 1 to 65535"},
		{"address port zero", func(tr *Trunk) { tr.Host = "192.0.2.10:0" }, []string{"trunks[0].host"}, "port must be 1 to 65535"},
		{"empty host", func(tr *Trunk) { tr.Host = "" }, []string{"trunks[0].host"}, "host name or IP address"},
		{"underscore", func(tr *Trunk) { tr.Host = "_sip._udp.example.net" }, []string{"trunks[0].host"}, "DNS name"},
		{"CA without tls", func(tr *Trunk) { tr.TLSCA = ca }, []string{"trunks[0].tls_ca"}, "transport tls only"},
		{"CA not PEM", func(tr *Trunk) { tr.Transport = "tls"; tr.TLSCA = "MIIB..." }, []string{"trunks[0].tls_ca"}, "PEM certificates"},
		{"CA with a key", func(tr *Trunk) {
			tr.Transport = "tls"
			tr.TLSCA = ca + "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}, []string{"trunks[0].tls_ca"}, "only CERTIFICATE"},
		{"CA garbled", func(tr *Trunk) {
			tr.Transport = "tls"
			tr.TLSCA = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
		}, []string{"trunks[0].tls_ca"}, "does not parse"},
		{"CA trailing text", func(tr *Trunk) { tr.Transport = "tls"; tr.TLSCA = ca + "and more" }, []string{"trunks[0].tls_ca"}, "after the last"},
		{"CA too big", func(tr *Trunk) { tr.Transport = "tls"; tr.TLSCA = strings.Repeat(ca, MaxTrunkCASize/len(ca)+1) }, []string{"trunks[0].tls_ca"}, "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cloneConfig(dialPlanExample(t))
			tc.edit(&c.Trunks[0])
			db, _ := openTemp(t)
			err := db.ValidateConfig(c)
			if got := fieldsOf(t, err); !slices.Equal(got, tc.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, tc.fields, err)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

// TestTrunkPeersFromHost: a peer trunk without allowed_ips trusts its
// host's address, given with or without a port.
func TestTrunkPeersFromHost(t *testing.T) {
	for host, want := range map[string][]netip.Addr{
		"192.0.2.10:5060":    {netip.MustParseAddr("192.0.2.10")},
		"192.0.2.10":         {netip.MustParseAddr("192.0.2.10")},
		"[2001:db8::1]:5060": {netip.MustParseAddr("2001:db8::1")},
		"2001:db8::1":        {netip.MustParseAddr("2001:db8::1")},
		"sip.example.net":    nil,
	} {
		if got := (Trunk{Host: host}).Peers(); !slices.Equal(got, want) {
			t.Errorf("%s: peers %v, want %v", host, got, want)
		}
	}
}
