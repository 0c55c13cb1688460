package sip

import (
	"encoding/json"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// BindingStore keeps the registrar's bindings across a restart of the box
// (a firmware upgrade, a power cut). A phone registers for up to
// MaxExpires and, over UDP, cannot notice that the box restarted: without
// its binding it would be unreachable — calls to it "not registered" —
// until its next refresh, up to an hour later. store.DB implements it.
type BindingStore interface {
	// LoadBindings returns what SaveBindings last saved, nil if nothing.
	LoadBindings() ([]byte, error)
	// SaveBindings replaces the saved bindings.
	SaveBindings(data []byte) error
}

// savedBinding is a binding as saved: what routing to the phone and
// ordering its next REGISTER need (RFC 3261 §10.3: Call-ID and CSeq).
type savedBinding struct {
	Extension string    `json:"extension"`
	Contact   string    `json:"contact"`
	Source    string    `json:"source"`
	Transport string    `json:"transport"`
	UserAgent string    `json:"user_agent,omitempty"`
	Expires   time.Time `json:"expires"`
	CallID    string    `json:"call_id"`
	CSeq      uint32    `json:"cseq"`
}

// changed marks the bindings for saving at the next tick (r.mu held).
func (r *registrar) changed() { r.dirty = true }

// save writes the bindings if they changed since the last save (Run's
// tick, and once more at shutdown). A failed save is logged once and
// retried at the next tick.
func (r *registrar) save() {
	st := r.s.cfg.Bindings
	if st == nil {
		return
	}
	r.mu.Lock()
	if !r.dirty {
		r.mu.Unlock()
		return
	}
	r.dirty = false
	out := []savedBinding{}
	for _, bs := range r.bindings {
		for _, b := range bs {
			out = append(out, savedBinding{Extension: b.Extension, Contact: b.Contact, Source: b.Source,
				Transport: b.Transport, UserAgent: b.UserAgent, Expires: b.Expires, CallID: b.CallID, CSeq: b.CSeq})
		}
	}
	r.mu.Unlock()
	data, err := json.Marshal(out)
	if err == nil {
		err = st.SaveBindings(data)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.dirty = true
		if !r.saveFailed {
			r.saveFailed = true
			r.s.log.Warn("sip: registrations not saved; after a restart phones are unreachable until they register again", "err", err)
		}
		return
	}
	if r.saveFailed {
		r.saveFailed = false
		r.s.log.Info("sip: registrations saved again")
	}
}

// restore reinstates the saved bindings at start: those over UDP that have
// not expired, of extensions that still exist, with a contact and source
// that parse, at most MaxBindingsPerExtension each. Bindings over TCP are
// not: their connection died with the box, and such phones register again
// as soon as they see it drop. Each comes back unqualified, so the first
// tick sends it an OPTIONS, and its owner's MWI state is sent again (a
// subscription did not survive). Anything unreadable is skipped with a
// warning: it never stops the box.
func (r *registrar) restore() {
	st := r.s.cfg.Bindings
	if st == nil {
		return
	}
	data, err := st.LoadBindings()
	if err != nil {
		r.s.log.Warn("sip: saved registrations cannot be read; phones will register again", "err", err)
		return
	}
	if len(data) == 0 {
		return
	}
	var saved []savedBinding
	if err := json.Unmarshal(data, &saved); err != nil {
		r.s.log.Warn("sip: saved registrations are damaged; phones will register again", "err", err)
		r.mu.Lock()
		r.dirty = true // overwrite them with what we have
		r.mu.Unlock()
		return
	}
	now := r.s.now()
	var back []Binding
	r.mu.Lock()
	for _, sb := range saved {
		if reason := r.restorable(sb, now); reason != "" {
			r.s.log.Info("sip: saved registration dropped", "extension", sb.Extension, "contact", sb.Contact, "why", reason)
			r.dirty = true
			continue
		}
		b := &Binding{Extension: sb.Extension, Contact: sb.Contact, Source: sb.Source, Transport: "UDP",
			UserAgent: truncate(sb.UserAgent, 128), Expires: sb.Expires, CallID: sb.CallID, CSeq: sb.CSeq, Reachable: true}
		r.bindings[sb.Extension] = append(r.bindings[sb.Extension], b)
		back = append(back, *b)
	}
	r.mu.Unlock()
	if len(back) > 0 {
		r.s.log.Info("sip: registrations restored", "bindings", len(back))
	}
	for _, b := range back {
		r.notify(b, true)
		r.s.mwi.registered(b)
	}
}

func validAddrPort(s string) bool {
	_, err := netip.ParseAddrPort(s)
	return err == nil
}

// restorable says why a saved binding cannot come back ("" when it can;
// r.mu held).
func (r *registrar) restorable(sb savedBinding, now time.Time) string {
	var u sip.Uri
	switch {
	case !strings.EqualFold(sb.Transport, "UDP"):
		return "registered over " + sb.Transport
	case !now.Before(sb.Expires):
		return "expired"
	case sb.Expires.Sub(now) > r.s.cfg.MaxExpires:
		return "expires beyond the longest registration"
	case sip.ParseUri(sb.Contact, &u) != nil:
		return "contact does not parse"
	case !validAddrPort(sb.Source):
		return "source does not parse"
	case len(r.bindings[sb.Extension]) >= r.s.cfg.MaxBindingsPerExtension:
		return "too many registrations"
	}
	if _, _, ok := r.s.cfg.Credentials.Lookup(sb.Extension); !ok {
		return "no such extension"
	}
	for _, b := range r.bindings[sb.Extension] {
		if sameContact(b.Contact, sb.Contact) {
			return "saved twice"
		}
	}
	return ""
}
