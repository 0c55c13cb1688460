package box

import (
	"net"
	"strconv"
	"strings"

	"minipbx/telephony/provision"
	"minipbx/telephony/sip"
	"minipbx/upgrade/datadir"
)

// Phone auto-provisioning: the provisioning service (telephony/provision)
// answers the SIP server's plug-and-play SUBSCRIBEs and serves the phones'
// files through the web server; the two meet here so that neither
// imports the other, as the busy lamps do (lamps.go).

// openProvisioning makes the provisioning service over the database, with
// the installer's template overrides in the data directory.
func (b *Box) openProvisioning() (*provision.Service, error) {
	return provision.New(provision.Config{
		Store:       b.db,
		TemplateDir: datadir.Of(b.cfg.DataDir).ProvisioningTemplates(),
		Addresses:   b.provisionAddresses,
		Discovery:   b.discovery,
		Logger:      b.log.With("part", "provision"),
	})
}

// profileSource hands a plug-and-play SUBSCRIBE's facts to provisioning.
func (b *Box) profileSource(r sip.ProfileRequest) (string, bool) {
	return b.prov.Discovered(provision.Subscribe{
		Source:    r.Source.Addr(),
		Users:     []string{r.RequestUser, r.FromUser, r.ToUser},
		UserAgent: r.UserAgent,
		Vendor:    r.Params["vendor"], Model: r.Params["model"], Version: r.Params["version"],
	})
}

// provisionAddresses is how phones reach the box now: the SIP server's
// address and ports, and the web server's.
func (b *Box) provisionAddresses() provision.Addresses {
	a := provision.Addresses{Host: b.sip.Host(), SIPPort: int(b.sip.Addr().Port())}
	if t := b.sip.TLSAddr(); t.IsValid() {
		a.SIPTLSPort = int(t.Port())
	}
	b.webMu.Lock()
	a.HTTPSPort, a.HTTPPort = port(b.webAddr), port(b.webPlain)
	b.webMu.Unlock()
	return a
}

func port(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// discovery says how plug-and-play stands, for the Phones page.
func (b *Box) discovery() string {
	ifs, problem := b.sip.ProfileDiscovery()
	var s string
	if len(ifs) > 0 {
		s = "answering phones' SUBSCRIBEs to " + sip.ProfileGroup.String() + " on " + strings.Join(ifs, ", ")
	} else {
		s = "not listening for phones' multicast SUBSCRIBEs"
	}
	if problem != "" {
		s += " (" + problem + ")"
	}
	return s
}
