package sip

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Binding is one registered contact of an extension (RFC 3261 §10).
type Binding struct {
	Extension string    `json:"extension"`
	Contact   string    `json:"contact"`   // the contact URI the phone registered
	Source    string    `json:"source"`    // host:port the REGISTER came from; requests go there (NAT)
	Transport string    `json:"transport"` // UDP or TCP
	UserAgent string    `json:"userAgent,omitempty"`
	Expires   time.Time `json:"expires"`
	// Qualify results (OPTIONS every Config.QualifyInterval): whether the
	// phone answered the last one, and how fast.
	Reachable bool          `json:"reachable"`
	RTT       time.Duration `json:"rtt,omitempty"`
	CallID    string        `json:"-"`
	CSeq      uint32        `json:"-"`
	qualified time.Time     // when the last OPTIONS went out
}

// registrar is the location store: extension → bindings.
type registrar struct {
	s        *Server
	mu       sync.Mutex
	bindings map[string][]*Binding
	// dirty: the bindings changed since they were last saved
	// (registrar_saved.go); saveFailed: the last save failed.
	dirty, saveFailed bool
}

func newRegistrar(s *Server) *registrar {
	return &registrar{s: s, bindings: map[string][]*Binding{}}
}

// lookup returns the live bindings of ext.
func (r *registrar) lookup(ext string) []Binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.s.now()
	var out []Binding
	for _, b := range r.bindings[ext] {
		if now.Before(b.Expires) {
			out = append(out, *b)
		}
	}
	return out
}

func (r *registrar) list() []Binding {
	r.mu.Lock()
	now := r.s.now()
	var out []Binding
	for _, bs := range r.bindings {
		for _, b := range bs {
			if now.Before(b.Expires) {
				out = append(out, *b)
			}
		}
	}
	r.mu.Unlock()
	sortBindings(out)
	return out
}

// expire removes bindings whose time is up and reports them.
func (r *registrar) expire() {
	now := r.s.now()
	var gone []Binding
	r.mu.Lock()
	for ext, bs := range r.bindings {
		keep := bs[:0]
		for _, b := range bs {
			if now.Before(b.Expires) {
				keep = append(keep, b)
			} else {
				gone = append(gone, *b)
			}
		}
		if len(keep) == 0 {
			delete(r.bindings, ext)
		} else {
			r.bindings[ext] = keep
		}
	}
	if len(gone) > 0 {
		r.changed()
	}
	r.mu.Unlock()
	for _, b := range gone {
		r.s.log.Info("sip: registration expired", "extension", b.Extension, "contact", b.Contact)
		r.notify(b, false)
	}
}

func (r *registrar) notify(b Binding, on bool) {
	if f := r.s.cfg.OnRegistrationChange; f != nil {
		f(b, on)
	}
}

// onRegister implements RFC 3261 §10.3 for our own domain.
func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	if s.banned(req, tx) || !s.checkBasics(req, tx) {
		return
	}
	// RFC 3261 §10.3 step 3 (and RFC 4475 §3.3.4): the address of record
	// is a SIP or SIPS URI.
	if sc := strings.ToLower(req.To().Address.Scheme); sc != "sip" && sc != "sips" {
		s.respond(tx, req, 400, "Bad Request (To must be a SIP URI)")
		return
	}
	user, _, ok := s.authenticate(req, tx, false)
	if !ok || s.refuseUnencrypted(req, tx, user) {
		return
	}
	// One may only register one's own extension.
	if req.To().Address.User != user {
		s.respond(tx, req, 403, "Forbidden (To does not match the authenticated user)")
		return
	}
	r := s.reg
	callID := req.CallID().Value()
	cseq := req.CSeq().SeqNo

	defExp := s.cfg.DefaultExpires
	hdrExp, hasHdrExp := time.Duration(0), false
	if h := req.GetHeader("Expires"); h != nil {
		v, ok := parseSeconds(h.Value())
		if !ok {
			s.respond(tx, req, 400, "Bad Request (Expires)")
			return
		}
		hdrExp, hasHdrExp = v, true
	}
	var contacts []*sip.ContactHeader
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			s.respond(tx, req, 400, "Bad Request (Contact)")
			return
		}
		contacts = append(contacts, c)
	}

	type change struct {
		b     Binding
		on    bool
		fresh bool // a new contact, not a refresh
	}
	var changes []change
	now := s.now()
	r.mu.Lock()
	bs := r.bindings[user]
	// RFC 3261 §10.3 step 7: a request older than what we hold is stale.
	for _, b := range bs {
		if b.CallID == callID && cseq <= b.CSeq {
			r.mu.Unlock()
			s.respond(tx, req, 500, "Server Internal Error (out-of-order REGISTER)")
			return
		}
	}
	switch {
	case len(contacts) == 1 && contacts[0].Address.Wildcard:
		// "Contact: *" removes everything, and only with Expires: 0.
		if !hasHdrExp || hdrExp != 0 {
			r.mu.Unlock()
			s.respond(tx, req, 400, "Bad Request (Contact * needs Expires: 0)")
			return
		}
		for _, b := range bs {
			changes = append(changes, change{b: *b})
		}
		bs = nil
	default:
		for _, c := range contacts {
			if c.Address.Wildcard {
				r.mu.Unlock()
				s.respond(tx, req, 400, "Bad Request (Contact * with other contacts)")
				return
			}
		}
		// Validate all expiries first: one bad contact refuses the request.
		exps := make([]time.Duration, len(contacts))
		for i, c := range contacts {
			e := defExp
			if hasHdrExp {
				e = hdrExp
			}
			if v, ok := c.Params.Get("expires"); ok {
				d, ok := parseSeconds(v)
				if !ok {
					r.mu.Unlock()
					s.respond(tx, req, 400, "Bad Request (contact expires)")
					return
				}
				e = d
			}
			if e > 0 && e < s.cfg.MinExpires {
				r.mu.Unlock()
				s.respond(tx, req, 423, "Interval Too Brief",
					sip.NewHeader("Min-Expires", strconv.Itoa(int(s.cfg.MinExpires/time.Second))))
				return
			}
			exps[i] = min(e, s.cfg.MaxExpires)
		}
		for i, c := range contacts {
			uri := c.Address.String()
			idx := -1
			for j, b := range bs {
				if sameContact(b.Contact, uri) {
					idx = j
				}
			}
			if exps[i] == 0 {
				if idx >= 0 {
					changes = append(changes, change{b: *bs[idx]})
					bs = append(bs[:idx], bs[idx+1:]...)
				}
				continue
			}
			nb := &Binding{
				Reachable: true, // it just reached us
				qualified: now,
				Extension: user,
				Contact:   uri,
				Source:    req.Source(),
				Transport: strings.ToUpper(req.Transport()),
				Expires:   now.Add(exps[i]),
				CallID:    callID,
				CSeq:      cseq,
			}
			if h := req.GetHeader("User-Agent"); h != nil {
				nb.UserAgent = truncate(h.Value(), 128)
			}
			fresh := idx < 0
			if fresh {
				s.mwi.forget(user, uri) // mwi.go: tell it the state again
			}
			if idx >= 0 {
				nb.RTT = bs[idx].RTT
				bs[idx] = nb
			} else {
				if len(bs) >= s.cfg.MaxBindingsPerExtension {
					r.mu.Unlock()
					s.respond(tx, req, 403, "Forbidden (too many registrations)")
					return
				}
				bs = append(bs, nb)
			}
			changes = append(changes, change{*nb, true, fresh})
		}
	}
	if len(bs) == 0 {
		delete(r.bindings, user)
	} else {
		r.bindings[user] = bs
	}
	if len(changes) > 0 {
		r.changed()
	}
	// The 200 lists every current binding with its remaining time.
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	for _, b := range bs {
		left := int(b.Expires.Sub(now).Round(time.Second) / time.Second)
		res.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<%s>;expires=%d", b.Contact, left)))
	}
	r.mu.Unlock()
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(http.TimeFormat)))
	res.AppendHeader(sip.NewHeader("Server", userAgent))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: register respond", "err", err)
	}
	for _, c := range changes {
		s.log.Info("sip: registration", "extension", c.b.Extension, "contact", c.b.Contact, "registered", c.on, "source", c.b.Source)
		r.notify(c.b, c.on)
		if c.fresh {
			s.mwi.registered(c.b) // phones that never subscribe (mwi.go)
		}
	}
}

// sameContact compares contact URIs the way RFC 3261 §19.1.4 mostly
// cares about: scheme, user, host and port, ignoring parameter order.
func sameContact(a, b string) bool {
	var ua, ub sip.Uri
	if sip.ParseUri(a, &ua) != nil || sip.ParseUri(b, &ub) != nil {
		return a == b
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && ua.User == ub.User &&
		strings.EqualFold(ua.Host, ub.Host) && ua.Port == ub.Port
}

// target is where requests to this binding go: the registered contact when
// the phone registered from that same IP address (a LAN phone, or one whose
// REGISTER and listening sockets differ), else the REGISTER's source — a
// phone behind NAT can only be reached through the mapping its REGISTER
// opened. Over TCP it is always the source: the phone's own connection.
func (b Binding) target() string {
	if strings.EqualFold(b.Transport, "UDP") {
		var u sip.Uri
		if sip.ParseUri(b.Contact, &u) == nil && u.Port > 0 {
			src, err := netip.ParseAddrPort(b.Source)
			ip, err2 := netip.ParseAddr(u.Host)
			if err == nil && err2 == nil && src.Addr().Unmap() == ip.Unmap() {
				return netip.AddrPortFrom(ip.Unmap(), uint16(u.Port)).String()
			}
		}
	}
	return b.Source
}

// qualify sends OPTIONS to every binding not asked for interval: any answer
// marks it reachable (and measures the round trip), silence marks it
// unreachable. Over UDP it also keeps a NAT's mapping for the phone open
// between registrations, so calls can reach it.
func (r *registrar) qualify(interval time.Duration) {
	now := r.s.now()
	type job struct {
		ext, contact string
		b            Binding
	}
	var jobs []job
	r.mu.Lock()
	for ext, bs := range r.bindings {
		for _, b := range bs {
			if now.Sub(b.qualified) >= interval && now.Before(b.Expires) {
				b.qualified = now
				jobs = append(jobs, job{ext, b.Contact, *b})
			}
		}
	}
	r.mu.Unlock()
	for _, j := range jobs {
		r.s.bg.Add(1)
		go func() {
			defer r.s.bg.Done()
			rtt, ok := r.s.ping(j.b)
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, b := range r.bindings[j.ext] {
				if b.Contact == j.contact {
					if b.Reachable != ok {
						r.s.log.Info("sip: contact reachability", "extension", j.ext, "contact", j.contact, "reachable", ok)
					}
					b.Reachable = ok
					if ok {
						b.RTT = rtt
					}
				}
			}
		}()
	}
}
