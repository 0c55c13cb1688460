package provision

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"minipbx/telephony/store"
)

// PathPrefix is where the files are served: PathPrefix + TOKEN + "/" +
// the file name the phone asks for.
const PathPrefix = "/provision/"

// ServeHTTP serves a phone its file at /provision/TOKEN/FILE, FILE being
// the name its brand asks for (Brand.Request). It answers 404, the same
// 404, to a token no phone has, a file of another phone, a file that
// names no phone (a brand's common file) and a path without a token: a
// stranger learns nothing of the phones provisioned. A wrong token counts
// against the client's address (limit.go); a locked address gets 429.
// Over plain HTTP (r.TLS nil) it serves nothing unless the installer
// allowed it: 403. Phones heard from are remembered for the page, with
// what they were answered.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	ip := remoteIP(r)
	ua := r.UserAgent()
	rest, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	if !ok {
		notFound(w)
		return
	}
	token, file, hasToken := strings.Cut(rest, "/")
	if !hasToken {
		token, file = "", rest
	}
	dev := ParseUserAgent(ua)
	if mac := requestedMAC(file); mac != "" {
		dev.MAC = mac
	}
	note := func(d Device, result string) { s.seen.note(d, ip, ua, HowRequest, result, now) }

	c, err := s.cfg.Store.Config()
	if err != nil {
		s.log.Error("provision: configuration unreadable", "err", err)
		http.Error(w, "the box cannot read its configuration", http.StatusServiceUnavailable)
		return
	}
	if r.TLS == nil && !c.Provisioning.AllowPlainHTTP {
		note(dev, "refused: asked over plain HTTP, which is off (use the https:// URL)")
		s.log.Warn("provision: a request over plain HTTP refused (allow it on the Phones page for phones without HTTPS)", "from", ip, "mac", dev.MAC)
		http.Error(w, "Provisioning over plain HTTP is off: use the https:// URL.", http.StatusForbidden)
		return
	}
	if ok, wait := s.limit.check(ip, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		http.Error(w, "Too many failed provisioning requests from this address; try again later.", http.StatusTooManyRequests)
		return
	}
	if token == "" || strings.Contains(file, "/") {
		note(dev, "not served: its URL has no token (give it its URL from the Phones page)")
		notFound(w)
		return
	}
	p, ok := phoneByToken(&c, token)
	if !ok {
		s.fail(ip, "unknown token")
		notFound(w)
		return
	}
	dev.MAC = p.MAC
	b, _ := brandByKey(p.Template)
	switch mac, mine := b.fileMAC(file); {
	case mine && mac == p.MAC:
	case mine || requestedMAC(file) != "":
		// Another phone's file with this phone's token.
		note(dev, "refused: it asked for another phone's file")
		s.fail(ip, "another phone's file")
		notFound(w)
		return
	default:
		// A file that names no phone: a brand's common file.
		notFound(w)
		return
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	host := ""
	if validHost(r.Host) {
		host = r.Host
	}
	body, err := s.render(b, p, &c, scheme, host)
	if err != nil {
		note(dev, "failed: "+err.Error())
		s.log.Error("provision: file not made", "mac", p.MAC, "err", err)
		http.Error(w, "the box could not make this phone's file; see its log", http.StatusInternalServerError)
		return
	}
	if p.Fetched.IsZero() {
		if err := s.cfg.Store.MarkPhoneFetched(p.MAC, now); err != nil {
			s.log.Warn("provision: first fetch not recorded", "mac", p.MAC, "err", err)
		}
	}
	note(dev, "served its file ("+scheme+")")
	s.log.Info("provision: file served", "mac", p.MAC, "extension", p.Extension, "from", ip, "scheme", scheme)
	w.Header().Set("Content-Type", b.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// Render makes phone p's file as a request over scheme would get it.
func (s *Service) Render(mac, scheme string) ([]byte, error) {
	c, err := s.cfg.Store.Config()
	if err != nil {
		return nil, err
	}
	p, ok := phoneByMAC(&c, mac)
	if !ok {
		return nil, fieldError("mac", "phone "+mac+" is not provisioned")
	}
	b, _ := brandByKey(p.Template)
	return s.render(b, p, &c, scheme, "")
}

// render makes phone p's file; host is the box as the phone reached it
// ("": its configured address).
func (s *Service) render(b Brand, p store.Phone, c *store.Config, scheme, host string) ([]byte, error) {
	file, dir := s.urls(p, scheme, host)
	d, err := buildData(b, p, c, s.cfg.Addresses(), file, dir, s.now())
	if err != nil {
		return nil, err
	}
	tm, src := s.tmpl.get(b)
	out, err := execute(b, tm, d)
	if err != nil {
		return nil, err
	}
	// Never serve a file the phone would misread, whatever the names.
	if _, err := Parse(b.Format, out); err != nil {
		which := "built-in"
		if src.InForce {
			which = "override " + src.Override
		}
		return nil, fmt.Errorf("provision: the %s template (%s) made a broken file: %w", b.Name, which, err)
	}
	return out, nil
}

// phoneByToken finds the phone whose token is token, comparing in
// constant time.
func phoneByToken(c *store.Config, token string) (store.Phone, bool) {
	var found store.Phone
	ok := 0
	for _, p := range c.Provisioning.Phones {
		if len(p.Token) == len(token) && subtle.ConstantTimeCompare([]byte(p.Token), []byte(token)) == 1 {
			found, ok = p, 1
		}
	}
	return found, ok == 1
}

// fail counts a failed request of ip.
func (s *Service) fail(ip netip.Addr, why string) {
	locked, until := s.limit.fail(ip, s.now())
	if locked {
		s.log.Warn("provision: requests from an address paused after repeated wrong tokens (someone guessing?)", "client", ip, "until", until)
		return
	}
	s.log.Info("provision: request refused", "client", ip, "why", why)
}

// notFound is the one answer to a request for nothing the box serves.
func notFound(w http.ResponseWriter) {
	http.Error(w, "404 page not found", http.StatusNotFound)
}

func remoteIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
			return a.Unmap()
		}
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// validHost accepts a Host header that is a host name or an IP literal,
// with a port.
func validHost(h string) bool {
	if h == "" || len(h) > 260 {
		return false
	}
	host := h
	if hh, _, err := net.SplitHostPort(h); err == nil {
		host = hh
	}
	if host == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".-:[]_", c) >= 0) {
			return false
		}
	}
	return true
}
