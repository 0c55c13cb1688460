package provision

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// Store is the part of the database the service uses (*store.DB).
type Store interface {
	Config() (store.Config, error)
	SetPhone(p store.Phone) (store.Phone, error)
	ReissuePhoneToken(mac string) (store.Phone, error)
	MarkPhoneFetched(mac string, at time.Time) error
	DeletePhone(mac string) error
	SetProvisioningPlainHTTP(allow bool) error
}

// Config configures a Service.
type Config struct {
	// Store holds the provisioned phones and the configuration their
	// files are made from. Required.
	Store Store
	// Addresses says how phones reach the box now. Required.
	Addresses func() Addresses
	// TemplateDir is where an installer's template overrides are looked
	// for (datadir's provisioning/templates); "" for built-ins only.
	TemplateDir string
	// OnLink reports whether an address is on one of the box's own
	// networks (plug-and-play answers only those); nil: the networks of
	// the machine's interfaces.
	OnLink func(netip.Addr) bool
	// Discovery, when set, says how plug-and-play discovery stands, for
	// the page ("answering on eth0").
	Discovery func() string
	Logger    *slog.Logger
	Now       func() time.Time
}

// Service provisions phones: it answers plug-and-play SUBSCRIBEs
// (Discovered), serves the files (ServeHTTP), remembers the phones seen,
// and provisions, re-issues and removes phones for the web UI.
type Service struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	tmpl  *templates
	seen  *sightings
	limit *limiter
}

// pnpWindow is how long after its token is issued plug-and-play hands a
// phone its URL (until its first fetch ends it sooner).
const pnpWindow = 24 * time.Hour

// New builds a Service; it checks the built-in templates.
func New(c Config) (*Service, error) {
	if c.Store == nil || c.Addresses == nil {
		return nil, errors.New("provision: Config.Store and Config.Addresses are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OnLink == nil {
		c.OnLink = onLink
	}
	t, err := newTemplates(c.TemplateDir)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: c, log: c.Logger, now: c.Now, tmpl: t, seen: newSightings(), limit: newLimiter()}, nil
}

// Subscribe is what a plug-and-play SUBSCRIBE (Event: ua-profile, RFC
// 6080) says about the phone that sent it.
type Subscribe struct {
	Source netip.Addr
	// Users are the user parts of its Request-URI, From and To, where
	// phones write their MAC ("MAC%3A001565a1b2c3").
	Users     []string
	UserAgent string
	// Vendor, Model and Version are the Event header's parameters.
	Vendor, Model, Version string
}

// device reads the phone's facts from the SUBSCRIBE.
func (sub Subscribe) device() Device {
	d := ParseUserAgent(sub.UserAgent)
	for _, u := range sub.Users {
		if mac := FindMAC(u); mac != "" {
			d.MAC = mac
			break
		}
	}
	generic := func(s string) bool {
		l := strings.ToLower(strings.TrimSpace(s))
		return l == "" || l == "oem" || l == "voip phone" || l == "unknown"
	}
	ev := Device{}
	if !generic(sub.Vendor) {
		ev.Vendor, ev.Brand = sub.Vendor, brandOf(sub.Vendor)
	}
	if !generic(sub.Model) {
		ev.Model = sub.Model
	}
	if !generic(sub.Version) {
		ev.Firmware = sub.Version
	}
	d = d.merge(ev.clean())
	if d.Brand == "" {
		d.Brand = BrandOfMAC(d.MAC)
	}
	return d
}

// Discovered answers a plug-and-play SUBSCRIBE: the URL to NOTIFY the
// phone, or false to stay silent. It answers only a phone provisioned as
// an extension whose token has not been used yet (at most pnpWindow
// after it was issued), from the box's own networks: the SUBSCRIBE is
// unauthenticated, so anyone on the network could claim the MAC, and the
// URL is the phone's credential. Silence also leaves the multicast to any
// other provisioning server on the link. Every phone heard is listed on
// the page.
func (s *Service) Discovered(sub Subscribe) (string, bool) {
	d := sub.device()
	if d.MAC == "" {
		s.log.Debug("provision: plug-and-play SUBSCRIBE without a MAC address", "from", sub.Source, "user-agent", printable(sub.UserAgent, 100))
		return "", false
	}
	now := s.now()
	note := func(result string) { s.seen.note(d, sub.Source, sub.UserAgent, HowPlugAndPlay, result, now) }
	if !s.cfg.OnLink(sub.Source) {
		note("not answered: its address is not on the box's networks")
		return "", false
	}
	c, err := s.cfg.Store.Config()
	if err != nil {
		s.log.Warn("provision: plug-and-play: configuration unreadable", "err", err)
		return "", false
	}
	p, ok := phoneByMAC(&c, d.MAC)
	switch {
	case !ok:
		note("not answered: not provisioned")
		return "", false
	case !p.Fetched.IsZero():
		note("not answered: it has its file already (re-issue its link to hand it out again)")
		return "", false
	case now.Sub(p.Issued) > pnpWindow:
		note("not answered: its link was issued more than a day ago (re-issue it)")
		return "", false
	}
	b, _ := brandByKey(p.Template)
	scheme := "https"
	if c.Provisioning.AllowPlainHTTP {
		scheme = "http"
	}
	url := b.given(s.urls(p, scheme, ""))
	note("answered with its provisioning URL")
	s.log.Info("provision: plug-and-play: phone given its URL", "mac", d.MAC, "extension", p.Extension, "from", sub.Source)
	return url, true
}

// phoneByMAC finds the provisioned phone mac.
func phoneByMAC(c *store.Config, mac string) (store.Phone, bool) {
	i := slices.IndexFunc(c.Provisioning.Phones, func(p store.Phone) bool { return p.MAC == mac })
	if i < 0 {
		return store.Phone{}, false
	}
	return c.Provisioning.Phones[i], true
}

// urls are phone p's file URL and directory URL (no trailing slash)
// over scheme, at host (the box's address when "").
func (s *Service) urls(p store.Phone, scheme, host string) (file, dir string) {
	a := s.cfg.Addresses()
	if host == "" {
		port := a.HTTPSPort
		if scheme == "http" {
			port = a.HTTPPort
		}
		host = a.Host
		if port != 0 {
			host = net.JoinHostPort(a.Host, strconv.Itoa(port))
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	dir = scheme + "://" + host + "/provision/" + p.Token
	b, _ := brandByKey(p.Template)
	return dir + "/" + b.fileName(p.MAC), dir
}

// Assignment provisions a phone: "provision as extension N".
type Assignment struct {
	MAC       string
	Extension string
	// Template is the brand's; "" takes the brand the phone was seen as.
	Template string
	// Keys are the busy-lamp keys; nil: every other extension and the
	// park slots.
	Keys []string
}

// Assign provisions a phone as an extension (or changes a provisioned
// one's extension, brand or keys; its token stays). Field problems come
// back as a *store.ValidationError.
func (s *Service) Assign(a Assignment) (store.Phone, error) {
	mac, ok := store.CanonicalMAC(strings.TrimSpace(a.MAC))
	if !ok {
		return store.Phone{}, fieldError("mac", "must be a MAC address such as 00:15:65:a1:b2:c3")
	}
	seen, _ := s.seen.get(mac)
	p := store.Phone{MAC: mac, Extension: strings.TrimSpace(a.Extension), Template: a.Template, Model: seen.Model, Keys: a.Keys}
	if p.Template == "" {
		p.Template = seen.Brand
		if p.Template == "" {
			p.Template = BrandOfMAC(mac)
		}
	}
	if p.Template == "" {
		return store.Phone{}, fieldError("template", "the phone's brand is not known: choose its template")
	}
	if c, err := s.cfg.Store.Config(); err == nil {
		if old, ok := phoneByMAC(&c, mac); ok && p.Model == "" {
			p.Model = old.Model
		}
	}
	out, err := s.cfg.Store.SetPhone(p)
	if err == nil {
		s.log.Info("provision: phone provisioned", "mac", mac, "extension", out.Extension, "template", out.Template)
	}
	return out, err
}

// Reissue gives phone mac a new token: its old URL stops working, and
// plug-and-play hands the new one out until the phone fetches its file.
func (s *Service) Reissue(mac string) (store.Phone, error) {
	p, err := s.cfg.Store.ReissuePhoneToken(mac)
	if err == nil {
		s.log.Info("provision: phone's link re-issued", "mac", mac)
	}
	return p, err
}

// Remove stops provisioning phone mac.
func (s *Service) Remove(mac string) error {
	err := s.cfg.Store.DeletePhone(mac)
	if err == nil {
		s.log.Info("provision: phone removed", "mac", mac)
	}
	return err
}

// SetAllowPlainHTTP allows or forbids fetching files over plain HTTP.
func (s *Service) SetAllowPlainHTTP(allow bool) error {
	err := s.cfg.Store.SetProvisioningPlainHTTP(allow)
	if err == nil && allow {
		s.log.Warn("provision: phones may fetch their files over plain HTTP: their SIP secrets cross the network unencrypted")
	}
	return err
}

func fieldError(field, msg string) error {
	return &store.ValidationError{Fields: []store.FieldError{{Field: field, Message: msg}}}
}

// PhoneView is one phone of the page: seen, provisioned, or both.
type PhoneView struct {
	MAC string
	// Seen is what the phone said when last heard (nil: not heard from
	// since the box started).
	Seen *Seen
	// Phone is its provisioning (nil: not provisioned).
	Phone *store.Phone
	// Brand is the template it has or would take ("": unknown).
	Brand string
	// URL is what to give the phone: the directory its brand appends its
	// file name to, or the file's own URL; PlainURL the same over plain
	// HTTP when that is allowed. Empty when not provisioned.
	URL, PlainURL string
	// Discovery says whether plug-and-play hands the phone its URL.
	Discovery string
}

// Overview is what the Phones page shows.
type Overview struct {
	Phones         []PhoneView
	Templates      []Source
	AllowPlainHTTP bool
	// Discovery is how plug-and-play discovery stands.
	Discovery string
	// Extensions are the extensions a phone may be provisioned as.
	Extensions []store.Extension
}

// Overview lists the phones seen and provisioned and the templates in
// force.
func (s *Service) Overview() (Overview, error) {
	c, err := s.cfg.Store.Config()
	if err != nil {
		return Overview{}, fmt.Errorf("provision: %w", err)
	}
	o := Overview{AllowPlainHTTP: c.Provisioning.AllowPlainHTTP, Templates: s.Templates(), Extensions: c.Extensions}
	if s.cfg.Discovery != nil {
		o.Discovery = s.cfg.Discovery()
	}
	now := s.now()
	views := map[string]*PhoneView{}
	for _, seen := range s.seen.list() {
		v := &PhoneView{MAC: seen.MAC, Seen: &seen, Brand: seen.Brand}
		views[seen.MAC] = v
		o.Phones = append(o.Phones, *v)
	}
	for i := range c.Provisioning.Phones {
		p := c.Provisioning.Phones[i]
		v := views[p.MAC]
		if v == nil {
			v = &PhoneView{MAC: p.MAC}
		}
		v.Phone, v.Brand = &p, p.Template
		b, _ := brandByKey(p.Template)
		v.URL = b.given(s.urls(p, "https", ""))
		if c.Provisioning.AllowPlainHTTP && s.cfg.Addresses().HTTPPort != 0 {
			v.PlainURL = b.given(s.urls(p, "http", ""))
		}
		switch {
		case !p.Fetched.IsZero():
			v.Discovery = "closed: the phone fetched its file"
		case now.Sub(p.Issued) > pnpWindow:
			v.Discovery = "closed: the link is more than a day old (re-issue it)"
		default:
			v.Discovery = "open until the phone fetches its file (at most a day)"
		}
		if views[p.MAC] == nil {
			o.Phones = append(o.Phones, *v)
		}
	}
	for i := range o.Phones {
		if v := views[o.Phones[i].MAC]; v != nil {
			o.Phones[i] = *v
		}
	}
	return o, nil
}

// Templates says, for each brand, which template is in force.
func (s *Service) Templates() []Source {
	out := make([]Source, 0, len(brands))
	for _, b := range brands {
		_, src := s.tmpl.get(b)
		out = append(out, src)
	}
	return out
}

// onLink reports whether a is on a network of one of the machine's
// interfaces (loopback included).
func onLink(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, x := range addrs {
		n, ok := x.(*net.IPNet)
		if !ok {
			continue
		}
		p, err := netip.ParsePrefix(n.String())
		if err == nil && p.Masked().Contains(a) {
			return true
		}
	}
	return false
}
