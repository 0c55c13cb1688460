package sip

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// The notifier side of RFC 6665 (SIP-specific event notification, which
// obsoletes RFC 3265), shared by the event packages the box serves:
// message-summary (mwi.go) and dialog (dialog_event.go).
//
// A phone SUBSCRIBEs with the digest credentials of its REGISTER; the
// Request-URI's user (else To's) names the resource it watches, which the
// package may refuse (403, 404). It gets 200 OK with the granted Expires,
// at once a NOTIFY with the current state, and a NOTIFY whenever the state
// changes, until it refreshes, unsubscribes (Expires: 0 → a final NOTIFY
// with Subscription-State: terminated) or the subscription expires (a
// final NOTIFY with reason=timeout). A SUBSCRIBE with Expires: 0 outside a
// dialog is a fetch: one NOTIFY, nothing kept. A phone subscribing afresh
// from the same contact to the same resource replaces its old
// subscription; each extension holds at most the package's limit. A phone
// that challenges a NOTIFY (401/407) gets it again with the extension's
// own digest credentials. A NOTIFY that fails (timeout, or any final
// response but 2xx, 401 and 407) ends the subscription, as RFC 6665 says:
// the phone subscribes again when its refresh fails.

// notifyTimeout bounds one NOTIFY transaction: 32 s is Timer F (64*T1),
// after which a UDP phone is gone anyway.
const notifyTimeout = 32 * time.Second

// notifier serves one event package.
type notifier struct {
	s     *Server
	event string // the Event package name
	ctype string // the NOTIFY bodies' Content-Type
	// min, max and def bound the subscriptions' duration: less than min
	// gets 423, more than max is granted max, none asked for gets def.
	min, max, def time.Duration
	// limit is how many subscriptions one extension may hold.
	limit func() int
	// authorize says whether user may watch resource (0: yes; else the
	// status and reason of the refusal).
	authorize func(user, resource string) (int, string)
	// body is the NOTIFY body of sub's current state; mu is held.
	body func(sub *subscription) []byte

	mu   sync.Mutex
	subs map[string]*subscription // dialogKey(callID, localTag) → subscription
}

// subscription is one accepted subscription: a dialog in which the box is
// the notifier.
type subscription struct {
	user      string    // the authenticated subscriber
	resource  string    // what it watches: a mailbox, an extension, a park slot
	callID    string    //
	localTag  string    // our To tag in the SUBSCRIBE's 200
	remoteTag string    // the subscriber's From tag
	local     sip.Uri   // the SUBSCRIBE's To address: NOTIFY's From
	remote    sip.Uri   // the subscriber's From address
	routeSet  []sip.Uri // Record-Route of the SUBSCRIBE, when a proxy is in the path
	contact   sip.Uri   // the subscriber's Contact: NOTIFY's Request-URI
	dest      string    // host:port NOTIFYs go to (NAT: see Binding.target)
	transport string
	expires   time.Time
	remoteSeq uint32 // highest SUBSCRIBE CSeq seen in the dialog

	// guarded by notifier.mu
	localSeq uint32
	sending  bool // a NOTIFY transaction is in flight
	pending  bool // the state changed while it was: send again
	final    string
	gone     bool // removed from the table; no more NOTIFYs
	// version counts the NOTIFYs of the subscription, for packages whose
	// bodies carry one (dialog-info, RFC 4235 §4.1).
	version uint32
}

func newNotifier(s *Server, event, ctype string) *notifier {
	return &notifier{s: s, event: event, ctype: ctype, subs: map[string]*subscription{}}
}

// notifiers are the packages the server serves, by Event name.
func (s *Server) notifiers() []*notifier {
	ns := []*notifier{s.mwi.notifier}
	if s.dialogs.enabled() {
		ns = append(ns, s.dialogs.notifier)
	}
	return ns
}

// allowEvents is the Allow-Events header value: the packages served.
func (s *Server) allowEvents() string {
	var names []string
	for _, n := range s.notifiers() {
		names = append(names, n.event)
	}
	if s.cfg.Profiles != nil {
		names = append(names, profileEvent) // plug-and-play (profile.go)
	}
	return strings.Join(names, ", ")
}

// onSubscribe accepts a SUBSCRIBE for one of the packages served.
func (s *Server) onSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	if s.banned(req, tx) || !s.checkBasics(req, tx) {
		return
	}
	// Only the packages we serve; unknown ones are refused before any
	// authentication work (RFC 6665: 489 with Allow-Events).
	var n *notifier
	if ev := req.GetHeader("Event"); ev != nil && s.cfg.Profiles != nil && strings.EqualFold(eventPackage(ev.Value()), profileEvent) {
		s.onProfileSubscribe(req, tx) // plug-and-play: no account yet (profile.go)
		return
	} else if ev != nil {
		for _, c := range s.notifiers() {
			if strings.EqualFold(eventPackage(ev.Value()), c.event) {
				n = c
			}
		}
	}
	if n == nil {
		s.respond(tx, req, 489, "Bad Event", sip.NewHeader("Allow-Events", s.allowEvents()))
		return
	}
	if !accepts(req, n.ctype) {
		s.respond(tx, req, 406, "Not Acceptable", sip.NewHeader("Accept", n.ctype))
		return
	}
	expires := n.def
	if h := req.GetHeader("Expires"); h != nil {
		v, ok := parseSeconds(h.Value())
		if !ok {
			s.respond(tx, req, 400, "Bad Request (Expires)")
			return
		}
		expires = v
	}
	if expires > 0 && expires < n.min {
		s.respond(tx, req, 423, "Interval Too Brief",
			sip.NewHeader("Min-Expires", strconv.Itoa(int(n.min/time.Second))))
		return
	}
	expires = min(expires, n.max)

	user, _, ok := s.authenticate(req, tx, false)
	if !ok || s.refuseUnencrypted(req, tx, user) {
		return
	}
	// The resource is the Request-URI's user, or To's when the phone
	// subscribes to the bare domain.
	resource := req.Recipient.User
	if resource == "" {
		resource = req.To().Address.User
	}
	if code, reason := n.authorize(user, resource); code != 0 {
		s.respond(tx, req, code, reason)
		return
	}
	if toTag, _ := req.To().Params.Get("tag"); toTag != "" {
		n.refresh(req, tx, user, toTag, expires)
		return
	}
	n.subscribe(req, tx, user, resource, expires)
}

// subscribe creates a subscription (or, with Expires: 0, answers a fetch).
func (n *notifier) subscribe(req *sip.Request, tx sip.ServerTransaction, user, resource string, expires time.Duration) {
	s := n.s
	fromTag, _ := req.From().Params.Get("tag")
	contact, ok := subscriberContact(req)
	if !ok || fromTag == "" {
		s.respond(tx, req, 400, "Bad Request (SUBSCRIBE needs a Contact and a From tag)")
		return
	}
	transport := strings.ToUpper(req.Transport())
	sub := &subscription{
		user:      user,
		resource:  resource,
		callID:    req.CallID().Value(),
		localTag:  randomHex(6),
		remoteTag: fromTag,
		local:     *req.To().Address.Clone(),
		remote:    *req.From().Address.Clone(),
		contact:   contact,
		dest:      Binding{Contact: contact.String(), Source: req.Source(), Transport: transport}.target(),
		transport: transport,
		expires:   s.now().Add(expires),
		remoteSeq: req.CSeq().SeqNo,
	}
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			sub.routeSet = append(sub.routeSet, *rr.Address.Clone())
		}
	}
	if expires == 0 {
		// A fetch (RFC 6665 polling): one NOTIFY with the state, no
		// subscription kept.
		sub.final = "terminated;reason=timeout"
		n.accept(req, tx, sub, 0)
		n.mu.Lock()
		sub.gone = true
		n.mu.Unlock()
		n.notify(sub)
		return
	}
	n.mu.Lock()
	held := 0
	var replaced []*subscription
	for k, o := range n.subs {
		if o.user != user {
			continue
		}
		if o.resource == resource && sameContact(o.contact.String(), contact.String()) {
			// The same phone subscribing afresh (it rebooted, or lost our
			// dialog): the new dialog replaces the old one.
			o.gone = true
			delete(n.subs, k)
			replaced = append(replaced, o)
			continue
		}
		held++
	}
	if held >= n.limit() {
		n.mu.Unlock()
		s.respond(tx, req, 403, "Forbidden (too many subscriptions)")
		return
	}
	n.subs[dialogKey(sub.callID, sub.localTag)] = sub
	n.mu.Unlock()
	for _, o := range replaced {
		s.log.Debug("sip: subscription replaced", "event", n.event, "extension", user, "call-id", o.callID)
	}
	s.log.Info("sip: subscription", "event", n.event, "extension", user, "resource", resource,
		"contact", contact.String(), "expires", expires)
	n.accept(req, tx, sub, expires)
	n.notify(sub)
}

// refresh handles a SUBSCRIBE inside an existing subscription's dialog.
func (n *notifier) refresh(req *sip.Request, tx sip.ServerTransaction, user, toTag string, expires time.Duration) {
	s := n.s
	key := dialogKey(req.CallID().Value(), toTag)
	fromTag, _ := req.From().Params.Get("tag")
	n.mu.Lock()
	sub := n.subs[key]
	if sub == nil || sub.user != user || sub.remoteTag != fromTag {
		n.mu.Unlock()
		s.respond(tx, req, 481, "Subscription Does Not Exist")
		return
	}
	if req.CSeq().SeqNo <= sub.remoteSeq {
		n.mu.Unlock()
		s.respond(tx, req, 500, "Server Internal Error (out-of-order SUBSCRIBE)")
		return
	}
	sub.remoteSeq = req.CSeq().SeqNo
	if c, ok := subscriberContact(req); ok {
		sub.contact = c // a target refresh (RFC 6665)
	}
	sub.dest = Binding{Contact: sub.contact.String(), Source: req.Source(), Transport: sub.transport}.target()
	if expires == 0 {
		delete(n.subs, key)
		sub.gone = true
		sub.final = "terminated;reason=timeout"
	} else {
		sub.expires = s.now().Add(expires)
	}
	n.mu.Unlock()
	if expires == 0 {
		s.log.Info("sip: unsubscribed", "event", n.event, "extension", user, "resource", sub.resource)
	}
	n.accept(req, tx, sub, expires)
	n.notify(sub)
}

// accept sends the SUBSCRIBE's 200 with our tag, Contact and the granted
// Expires.
func (n *notifier) accept(req *sip.Request, tx sip.ServerTransaction, sub *subscription, expires time.Duration) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	// sipgo tags every response's To; the dialog's tag must be ours.
	if to := res.To(); to != nil {
		to.Params = to.Params.Clone() // not the request's
		to.Params.Add("tag", sub.localTag)
	}
	res.AppendHeader(&sip.ContactHeader{Address: n.s.contactURI(sub.user, sub.transport)})
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	res.AppendHeader(sip.NewHeader("Server", userAgent))
	if err := tx.Respond(res); err != nil {
		n.s.log.Debug("sip: subscribe respond", "err", err)
	}
}

// notifyResource sends the current state to every subscription watching
// resource.
func (n *notifier) notifyResource(resource string) {
	n.mu.Lock()
	var subs []*subscription
	for _, sub := range n.subs {
		if sub.resource == resource {
			subs = append(subs, sub)
		}
	}
	n.mu.Unlock()
	for _, sub := range subs {
		n.notify(sub)
	}
}

// notify sends sub the current state in the background. NOTIFYs of one
// subscription never overlap: a change during a transaction is sent when
// it ends, with the state of that moment (each NOTIFY carries the whole
// state, so coalescing loses nothing).
func (n *notifier) notify(sub *subscription) {
	n.mu.Lock()
	if sub.sending {
		sub.pending = true
		n.mu.Unlock()
		return
	}
	sub.sending = true
	n.mu.Unlock()
	n.s.bg.Add(1)
	go func() {
		defer n.s.bg.Done()
		for {
			n.mu.Lock()
			sub.pending = false
			state := sub.final
			if state == "" {
				left := max(sub.expires.Sub(n.s.now()).Round(time.Second), time.Second)
				state = fmt.Sprintf("active;expires=%d", int(left/time.Second))
			}
			sub.localSeq++
			req := n.request(sub, state)
			n.mu.Unlock()
			ok := n.s.sendNotify(req, sub.user, n.event)
			n.mu.Lock()
			sub.localSeq = max(sub.localSeq, req.CSeq().SeqNo) // an answered challenge took one more
			if !ok && !sub.gone {
				// RFC 6665: a failed NOTIFY ends the subscription.
				delete(n.subs, dialogKey(sub.callID, sub.localTag))
				sub.gone = true
				n.s.log.Info("sip: subscription ended: NOTIFY failed", "event", n.event, "extension", sub.user, "resource", sub.resource)
			}
			if !sub.pending || (sub.gone && sub.final == "") {
				sub.sending = false
				n.mu.Unlock()
				return
			}
			n.mu.Unlock()
		}
	}()
}

// request builds a NOTIFY within sub's dialog; n.mu held.
func (n *notifier) request(sub *subscription, state string) *sip.Request {
	req := sip.NewRequest(sip.NOTIFY, sub.contact)
	req.SipVersion = "SIP/2.0"
	for _, r := range sub.routeSet {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	maxf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxf)
	from := &sip.FromHeader{Address: sub.local, Params: sip.NewParams()}
	from.Params.Add("tag", sub.localTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: sub.remote, Params: sip.NewParams()}
	to.Params.Add("tag", sub.remoteTag)
	req.AppendHeader(to)
	cid := sip.CallIDHeader(sub.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: sub.localSeq, MethodName: sip.NOTIFY})
	req.AppendHeader(&sip.ContactHeader{Address: n.s.contactURI(sub.user, sub.transport)})
	req.AppendHeader(sip.NewHeader("Event", n.event))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("User-Agent", userAgent))
	req.AppendHeader(sip.NewHeader("Content-Type", n.ctype))
	req.SetBody(n.body(sub))
	req.SetTransport(sub.transport)
	req.SetDestination(sub.dest)
	n.s.fromListener(req)
	return req
}

// expire ends the subscriptions whose time is up, each with a last NOTIFY
// (Subscription-State: terminated;reason=timeout, RFC 6665).
func (n *notifier) expire() {
	now := n.s.now()
	var ended []*subscription
	n.mu.Lock()
	for k, sub := range n.subs {
		if !now.Before(sub.expires) {
			delete(n.subs, k)
			sub.gone = true
			sub.final = "terminated;reason=timeout"
			ended = append(ended, sub)
		}
	}
	n.mu.Unlock()
	for _, sub := range ended {
		n.s.log.Info("sip: subscription expired", "event", n.event, "extension", sub.user, "resource", sub.resource)
		n.notify(sub)
	}
}

// count is the number of live subscriptions watching resource.
func (n *notifier) count(resource string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, sub := range n.subs {
		if sub.resource == resource {
			c++
		}
	}
	return c
}

// sendNotify runs one NOTIFY transaction (of the event package what, for
// the logs); true when the phone took it (2xx), or challenged it and
// refused our answer (401/407: the phone is there and the subscription
// stands). Some phones challenge what the exchange sends them with the
// credentials they register with: the challenge is answered once with
// extension ext's own (the retry's CSeq is one higher: req's header says
// which was used, for the dialog's next request).
func (s *Server) sendNotify(req *sip.Request, ext, what string) bool {
	ctx, cancel := context.WithTimeout(s.pingCtx, notifyTimeout)
	defer cancel()
	res, err := s.do(ctx, req, sipgo.ClientRequestAddVia)
	if err != nil {
		s.log.Debug("sip: NOTIFY", "event", what, "extension", ext, "err", err)
		return false
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		if secret, _, ok := s.cfg.Credentials.Lookup(ext); ok && secret != "" {
			again, err := s.doDigest(ctx, req, res, sipgo.DigestAuth{Username: ext, Password: secret})
			if err != nil {
				s.log.Debug("sip: NOTIFY with credentials", "event", what, "extension", ext, "err", err)
				return false
			}
			res = again
		}
	}
	s.log.Debug("sip: NOTIFY answered", "event", what, "extension", ext, "code", res.StatusCode)
	return res.IsSuccess() || res.StatusCode == 401 || res.StatusCode == 407
}

// eventPackage is the package name of an Event header value, without
// parameters (RFC 6665: "message-summary;id=1").
func eventPackage(v string) string {
	p, _, _ := strings.Cut(v, ";")
	return strings.TrimSpace(p)
}

// accepts reports whether the request's Accept headers, if any, admit
// content type ctype.
func accepts(req *sip.Request, ctype string) bool {
	hs := req.GetHeaders("Accept")
	if len(hs) == 0 {
		return true
	}
	for _, h := range hs {
		for _, t := range strings.Split(h.Value(), ",") {
			t, _, _ = strings.Cut(t, ";")
			t = strings.ToLower(strings.TrimSpace(t))
			if t == ctype || t == "application/*" || t == "*/*" {
				return true
			}
		}
	}
	return false
}

// subscriberContact is the SUBSCRIBE's Contact URI.
func subscriberContact(req *sip.Request) (sip.Uri, bool) {
	h := req.GetHeader("Contact")
	if h == nil {
		return sip.Uri{}, false
	}
	c, ok := h.(*sip.ContactHeader)
	if !ok || c.Address.Wildcard || c.Address.Host == "" {
		return sip.Uri{}, false
	}
	return *c.Address.Clone(), true
}
