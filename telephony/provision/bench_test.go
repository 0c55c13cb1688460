package provision

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"minipbx/telephony/store"
)

// BenchmarkServeFile: a phone's request for its file in an office of 40
// extensions and 9 park slots (database read, token lookup, rendering,
// the format check), per brand.
func BenchmarkServeFile(b *testing.B) {
	o := newOffice(b)
	c, err := o.db.Config()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 37; i++ {
		c.Extensions = append(c.Extensions, store.Extension{Number: fmt.Sprint(210 + i), Name: fmt.Sprintf("User %d", i)})
	}
	if err := o.db.ImportConfig(c); err != nil {
		b.Fatal(err)
	}
	for _, br := range brands {
		p, err := o.svc.Assign(Assignment{MAC: "0015650000" + fmt.Sprintf("%02x", len(br.Key)), Extension: "201", Template: br.Key})
		if err != nil {
			b.Fatal(err)
		}
		path := PathPrefix + p.Token + "/" + br.fileName(p.MAC)
		b.Run(br.Key, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.TLS = &tls.ConnectionState{}
				rec := httptest.NewRecorder()
				o.svc.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}

// BenchmarkDiscovered: answering one plug-and-play SUBSCRIBE (a phone
// not provisioned: the usual case, and a flood's).
func BenchmarkDiscovered(b *testing.B) {
	o := newOffice(b)
	sub := Subscribe{Source: netip.MustParseAddr("127.0.0.1"), Users: []string{"MAC%3A001565a1b2c3"},
		UserAgent: "Yealink SIP-T46S 66.86.0.15 00:15:65:a1:b2:c3", Vendor: "Yealink", Model: "T46S"}
	b.ReportAllocs()
	for b.Loop() {
		o.svc.Discovered(sub)
	}
}
