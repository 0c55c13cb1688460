package sip

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Message-waiting indication for SIP phones: the "message-summary" event
// package of RFC 3842 on the SIP-specific event notification framework of
// RFC 6665 (which obsoletes RFC 3265).
//
// A phone SUBSCRIBEs to its own mailbox (the Request-URI user, else the To
// user, is the mailbox, which is the extension number) with the same digest
// credentials as its REGISTER. It gets 200 OK with the granted Expires, at
// once a NOTIFY with the current state, and a NOTIFY whenever the state
// changes, until it refreshes, unsubscribes (Expires: 0 → a final NOTIFY
// with Subscription-State: terminated) or the subscription expires (a final
// NOTIFY with reason=timeout). A phone that challenges a NOTIFY (401/407)
// gets it again with the extension's own digest credentials. A NOTIFY that
// fails (timeout, or any final response but 2xx, 401 and 407) ends the
// subscription, as RFC 6665 says: the phone subscribes again when its
// refresh fails.
//
// Many desk phones never subscribe: they expect the exchange to send
// NOTIFYs outside any dialog to their registered contact, as Asterisk does
// ("unsolicited MWI"). Every registered contact of the extension that holds
// no subscription gets such a NOTIFY when the state changes and when it
// registers afresh (a new binding, not a refresh). Like Asterisk's, those
// carry no Subscription-State header: there is no subscription to describe.

const (
	mwiEvent       = "message-summary"
	mwiContentType = "application/simple-message-summary"
	// RFC 3842: the default subscription duration is 3600 s. We grant at
	// most that and refuse less than a minute (423), which keeps refresh
	// traffic and the cost of a forgotten subscription both small.
	mwiDefaultExpires = 3600 * time.Second
	mwiMinExpires     = 60 * time.Second
	mwiMaxExpires     = 3600 * time.Second
	// mwiNotifyTimeout bounds one NOTIFY transaction: 32 s is Timer F
	// (64*T1), after which a UDP phone is gone anyway.
	mwiNotifyTimeout = 32 * time.Second
)

// mwiCounts is one mailbox's message counts.
type mwiCounts struct{ newMsgs, oldMsgs int }

// mwiSub is one accepted subscription: a dialog in which we are the
// notifier (RFC 6665).
type mwiSub struct {
	ext       string
	callID    string
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

	// guarded by mwi.mu
	localSeq uint32
	sending  bool // a NOTIFY transaction is in flight
	pending  bool // the state changed while it was: send again
	final    string
	gone     bool // removed from the table; no more NOTIFYs
}

// mwi holds the mailbox states and the subscriptions.
type mwi struct {
	s     *Server
	mu    sync.Mutex
	state map[string]mwiCounts // extension → counts, once SetMessageWaiting named it
	subs  map[string]*mwiSub   // dialogKey(callID, localTag) → subscription
	// told is what each registered contact was last told outside a
	// dialog (extension → contact → counts), so that a change and a fresh
	// registration racing each other tell the phone once, not twice.
	told map[string]map[string]mwiCounts
}

func newMWI(s *Server) *mwi {
	return &mwi{s: s, state: map[string]mwiCounts{}, subs: map[string]*mwiSub{}, told: map[string]map[string]mwiCounts{}}
}

// SetMessageWaiting records the voicemail state of an extension's mailbox
// (newCount unheard and oldCount heard messages; negative counts are taken
// as 0) and tells its phones when it changed: a NOTIFY to each of its
// message-summary subscriptions and, outside any dialog, to each of its
// registered contacts that has none. Call it once at start for every
// mailbox, so that phones registering later learn the state too, and after
// every change; calling it with unchanged counts sends nothing.
func (s *Server) SetMessageWaiting(user string, newCount, oldCount int) {
	s.mwi.set(user, mwiCounts{max(newCount, 0), max(oldCount, 0)})
}

func (m *mwi) set(ext string, c mwiCounts) {
	m.mu.Lock()
	if old, ok := m.state[ext]; ok && old == c {
		m.mu.Unlock()
		return
	}
	m.state[ext] = c
	var subs []*mwiSub
	for _, sub := range m.subs {
		if sub.ext == ext {
			subs = append(subs, sub)
		}
	}
	m.mu.Unlock()
	for _, sub := range subs {
		m.notify(sub)
	}
	bs := m.s.reg.lookup(ext)
	m.mu.Lock()
	// Forget contacts no longer registered.
	for contact := range m.told[ext] {
		if !slices.ContainsFunc(bs, func(b Binding) bool { return b.Contact == contact }) {
			delete(m.told[ext], contact)
		}
	}
	m.mu.Unlock()
	for _, b := range bs {
		if !m.subscribed(b) {
			m.unsolicited(b, c)
		}
	}
}

// forget is called, under the registrar's lock, when contact registers
// afresh for ext: the phone may have restarted and lost its lamp state.
func (m *mwi) forget(ext, contact string) {
	m.mu.Lock()
	delete(m.told[ext], contact)
	m.mu.Unlock()
}

// counts returns the state of ext (zero when never set).
func (m *mwi) counts(ext string) (mwiCounts, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.state[ext]
	return c, ok
}

// subscribed reports whether binding b's phone holds a live subscription
// (the same contact subscribed for the same extension).
func (m *mwi) subscribed(b Binding) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, sub := range m.subs {
		if sub.ext == b.Extension && sameContact(sub.contact.String(), b.Contact) {
			return true
		}
	}
	return false
}

// registered is called after a contact registered afresh: it gets the
// current state unless it subscribes (or no state is known yet).
func (m *mwi) registered(b Binding) {
	c, ok := m.counts(b.Extension)
	if !ok || m.subscribed(b) {
		return
	}
	m.unsolicited(b, c)
}

// summary is the RFC 3842 body: the status line, the account, and the
// voice-message counts as new/old (urgent counts, which we do not keep,
// are optional).
func (m *mwi) summary(ext string, c mwiCounts) string {
	yn := "no"
	if c.newMsgs > 0 {
		yn = "yes"
	}
	return fmt.Sprintf("Messages-Waiting: %s\r\nMessage-Account: sip:%s@%s\r\nVoice-Message: %d/%d (0/0)\r\n",
		yn, ext, m.s.host, c.newMsgs, c.oldMsgs)
}

// onSubscribe implements the notifier side of RFC 6665 for message-summary.
func (s *Server) onSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	if s.banned(req, tx) || !s.checkBasics(req, tx) {
		return
	}
	// Only the event package we serve; unknown ones are refused before any
	// authentication work (RFC 6665: 489 with Allow-Events).
	ev := req.GetHeader("Event")
	if ev == nil || !strings.EqualFold(eventPackage(ev.Value()), mwiEvent) {
		s.respond(tx, req, 489, "Bad Event", sip.NewHeader("Allow-Events", mwiEvent))
		return
	}
	if !acceptsSummary(req) {
		s.respond(tx, req, 406, "Not Acceptable", sip.NewHeader("Accept", mwiContentType))
		return
	}
	var expires time.Duration = mwiDefaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		v, ok := parseSeconds(h.Value())
		if !ok {
			s.respond(tx, req, 400, "Bad Request (Expires)")
			return
		}
		expires = v
	}
	if expires > 0 && expires < mwiMinExpires {
		s.respond(tx, req, 423, "Interval Too Brief",
			sip.NewHeader("Min-Expires", strconv.Itoa(int(mwiMinExpires/time.Second))))
		return
	}
	expires = min(expires, mwiMaxExpires)

	user, _, ok := s.authenticate(req, tx, false)
	if !ok || s.refuseUnencrypted(req, tx, user) {
		return
	}
	// The mailbox is the Request-URI's user (RFC 3842), or To's when the
	// phone subscribes to the bare domain; an extension reads only its own.
	mailbox := req.Recipient.User
	if mailbox == "" {
		mailbox = req.To().Address.User
	}
	if mailbox != user {
		s.respond(tx, req, 403, "Forbidden (not your mailbox)")
		return
	}
	if toTag, _ := req.To().Params.Get("tag"); toTag != "" {
		s.mwi.refresh(req, tx, user, toTag, expires)
		return
	}
	s.mwi.subscribe(req, tx, user, expires)
}

// subscribe creates a subscription (or, with Expires: 0, answers a fetch).
func (m *mwi) subscribe(req *sip.Request, tx sip.ServerTransaction, user string, expires time.Duration) {
	s := m.s
	fromTag, _ := req.From().Params.Get("tag")
	contact, ok := subscriberContact(req)
	if !ok || fromTag == "" {
		s.respond(tx, req, 400, "Bad Request (SUBSCRIBE needs a Contact and a From tag)")
		return
	}
	transport := strings.ToUpper(req.Transport())
	sub := &mwiSub{
		ext:       user,
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
		m.accept(req, tx, sub, 0)
		m.mu.Lock()
		sub.gone = true
		m.mu.Unlock()
		m.notify(sub)
		return
	}
	m.mu.Lock()
	n := 0
	var replaced []*mwiSub
	for k, o := range m.subs {
		if o.ext != user {
			continue
		}
		if sameContact(o.contact.String(), contact.String()) {
			// The same phone subscribing afresh (it rebooted, or lost our
			// dialog): the new dialog replaces the old one.
			o.gone = true
			delete(m.subs, k)
			replaced = append(replaced, o)
			continue
		}
		n++
	}
	if n >= s.cfg.MaxBindingsPerExtension {
		m.mu.Unlock()
		s.respond(tx, req, 403, "Forbidden (too many subscriptions)")
		return
	}
	m.subs[dialogKey(sub.callID, sub.localTag)] = sub
	m.mu.Unlock()
	for _, o := range replaced {
		s.log.Debug("sip: message-summary subscription replaced", "extension", user, "call-id", o.callID)
	}
	s.log.Info("sip: message-summary subscription", "extension", user, "contact", contact.String(), "expires", expires)
	m.accept(req, tx, sub, expires)
	m.notify(sub)
}

// refresh handles a SUBSCRIBE inside an existing subscription's dialog.
func (m *mwi) refresh(req *sip.Request, tx sip.ServerTransaction, user, toTag string, expires time.Duration) {
	s := m.s
	key := dialogKey(req.CallID().Value(), toTag)
	fromTag, _ := req.From().Params.Get("tag")
	m.mu.Lock()
	sub := m.subs[key]
	if sub == nil || sub.ext != user || sub.remoteTag != fromTag {
		m.mu.Unlock()
		s.respond(tx, req, 481, "Subscription Does Not Exist")
		return
	}
	if req.CSeq().SeqNo <= sub.remoteSeq {
		m.mu.Unlock()
		s.respond(tx, req, 500, "Server Internal Error (out-of-order SUBSCRIBE)")
		return
	}
	sub.remoteSeq = req.CSeq().SeqNo
	if c, ok := subscriberContact(req); ok {
		sub.contact = c // a target refresh (RFC 6665)
	}
	sub.dest = Binding{Contact: sub.contact.String(), Source: req.Source(), Transport: sub.transport}.target()
	if expires == 0 {
		delete(m.subs, key)
		sub.gone = true
		sub.final = "terminated;reason=timeout"
	} else {
		sub.expires = s.now().Add(expires)
	}
	m.mu.Unlock()
	if expires == 0 {
		s.log.Info("sip: message-summary unsubscribed", "extension", user)
	}
	m.accept(req, tx, sub, expires)
	m.notify(sub)
}

// accept sends the SUBSCRIBE's 200 with our tag, Contact and the granted
// Expires.
func (m *mwi) accept(req *sip.Request, tx sip.ServerTransaction, sub *mwiSub, expires time.Duration) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	// sipgo tags every response's To; the dialog's tag must be ours.
	if to := res.To(); to != nil {
		to.Params = to.Params.Clone() // not the request's
		to.Params.Add("tag", sub.localTag)
	}
	res.AppendHeader(&sip.ContactHeader{Address: m.s.contactURI(sub.ext, sub.transport)})
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	res.AppendHeader(sip.NewHeader("Server", userAgent))
	if err := tx.Respond(res); err != nil {
		m.s.log.Debug("sip: subscribe respond", "err", err)
	}
}

// notify sends sub the current state in the background. NOTIFYs of one
// subscription never overlap: a change during a transaction is sent when
// it ends, with the state of that moment (each NOTIFY carries the whole
// state, so coalescing loses nothing).
func (m *mwi) notify(sub *mwiSub) {
	m.mu.Lock()
	if sub.sending {
		sub.pending = true
		m.mu.Unlock()
		return
	}
	sub.sending = true
	m.mu.Unlock()
	m.s.bg.Add(1)
	go func() {
		defer m.s.bg.Done()
		for {
			m.mu.Lock()
			sub.pending = false
			c := m.state[sub.ext]
			state := sub.final
			if state == "" {
				left := max(sub.expires.Sub(m.s.now()).Round(time.Second), time.Second)
				state = fmt.Sprintf("active;expires=%d", int(left/time.Second))
			}
			sub.localSeq++
			req := m.notifyRequest(sub, state, c)
			m.mu.Unlock()
			ok := m.send(req, sub.ext)
			m.mu.Lock()
			sub.localSeq = max(sub.localSeq, req.CSeq().SeqNo) // an answered challenge took one more
			if !ok && !sub.gone {
				// RFC 6665: a failed NOTIFY ends the subscription.
				delete(m.subs, dialogKey(sub.callID, sub.localTag))
				sub.gone = true
				m.s.log.Info("sip: message-summary subscription ended: NOTIFY failed", "extension", sub.ext)
			}
			if !sub.pending || (sub.gone && sub.final == "") {
				sub.sending = false
				m.mu.Unlock()
				return
			}
			m.mu.Unlock()
		}
	}()
}

// notifyRequest builds a NOTIFY within sub's dialog; m.mu held.
func (m *mwi) notifyRequest(sub *mwiSub, state string, c mwiCounts) *sip.Request {
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
	req.AppendHeader(&sip.ContactHeader{Address: m.s.contactURI(sub.ext, sub.transport)})
	req.AppendHeader(sip.NewHeader("Event", mwiEvent))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("User-Agent", userAgent))
	req.AppendHeader(sip.NewHeader("Content-Type", mwiContentType))
	req.SetBody([]byte(m.summary(sub.ext, c)))
	req.SetTransport(sub.transport)
	req.SetDestination(sub.dest)
	m.s.fromListener(req)
	return req
}

// unsolicited sends binding b an out-of-dialog NOTIFY with state c, in the
// background, unless it was told c already; its fate changes nothing (the
// phone may simply not want it).
func (m *mwi) unsolicited(b Binding, c mwiCounts) {
	s := m.s
	m.mu.Lock()
	if old, ok := m.told[b.Extension][b.Contact]; ok && old == c {
		m.mu.Unlock()
		return
	}
	if m.told[b.Extension] == nil {
		m.told[b.Extension] = map[string]mwiCounts{}
	}
	m.told[b.Extension][b.Contact] = c
	m.mu.Unlock()
	var target sip.Uri
	if err := sip.ParseUri(b.Contact, &target); err != nil {
		return
	}
	req := sip.NewRequest(sip.NOTIFY, target)
	req.SipVersion = "SIP/2.0"
	maxf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxf)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: b.Extension, Host: s.host}, Params: sip.NewParams()}
	from.Params.Add("tag", randomHex(6))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: b.Extension, Host: s.host}})
	cid := sip.CallIDHeader(randomHex(12) + "@" + s.host)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.NOTIFY})
	req.AppendHeader(&sip.ContactHeader{Address: s.contactURI(b.Extension, b.Transport)})
	req.AppendHeader(sip.NewHeader("Event", mwiEvent))
	req.AppendHeader(sip.NewHeader("User-Agent", userAgent))
	req.AppendHeader(sip.NewHeader("Content-Type", mwiContentType))
	req.SetBody([]byte(m.summary(b.Extension, c)))
	req.SetTransport(b.Transport)
	req.SetDestination(b.target())
	s.fromListener(req)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		m.send(req, b.Extension)
	}()
}

// send runs one NOTIFY transaction; true when the phone took it (2xx), or
// challenged it and refused our answer (401/407: the phone is there and the
// subscription stands). Some phones challenge what the exchange sends them
// with the credentials they register with: the challenge is answered once
// with the extension's own (the retry's CSeq is one higher: req's header
// says which was used, for the dialog's next NOTIFY).
func (m *mwi) send(req *sip.Request, ext string) bool {
	ctx, cancel := context.WithTimeout(m.s.pingCtx, mwiNotifyTimeout)
	defer cancel()
	res, err := m.s.do(ctx, req, sipgo.ClientRequestAddVia)
	if err != nil {
		m.s.log.Debug("sip: message-summary NOTIFY", "extension", ext, "err", err)
		return false
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		if secret, _, ok := m.s.cfg.Credentials.Lookup(ext); ok && secret != "" {
			again, err := m.s.doDigest(ctx, req, res, sipgo.DigestAuth{Username: ext, Password: secret})
			if err != nil {
				m.s.log.Debug("sip: message-summary NOTIFY with credentials", "extension", ext, "err", err)
				return false
			}
			res = again
		}
	}
	m.s.log.Debug("sip: message-summary NOTIFY answered", "extension", ext, "code", res.StatusCode)
	return res.IsSuccess() || res.StatusCode == 401 || res.StatusCode == 407
}

// expire ends the subscriptions whose time is up, each with a last NOTIFY
// (Subscription-State: terminated;reason=timeout, RFC 6665).
func (m *mwi) expire() {
	now := m.s.now()
	var ended []*mwiSub
	m.mu.Lock()
	for k, sub := range m.subs {
		if !now.Before(sub.expires) {
			delete(m.subs, k)
			sub.gone = true
			sub.final = "terminated;reason=timeout"
			ended = append(ended, sub)
		}
	}
	m.mu.Unlock()
	for _, sub := range ended {
		m.s.log.Info("sip: message-summary subscription expired", "extension", sub.ext)
		m.notify(sub)
	}
}

// Subscriptions is the number of live message-summary subscriptions of ext
// (for status pages and tests).
func (s *Server) Subscriptions(ext string) int {
	s.mwi.mu.Lock()
	defer s.mwi.mu.Unlock()
	n := 0
	for _, sub := range s.mwi.subs {
		if sub.ext == ext {
			n++
		}
	}
	return n
}

// eventPackage is the package name of an Event header value, without
// parameters (RFC 6665: "message-summary;id=1").
func eventPackage(v string) string {
	p, _, _ := strings.Cut(v, ";")
	return strings.TrimSpace(p)
}

// acceptsSummary reports whether the SUBSCRIBE's Accept headers, if any,
// admit application/simple-message-summary.
func acceptsSummary(req *sip.Request) bool {
	hs := req.GetHeaders("Accept")
	if len(hs) == 0 {
		return true
	}
	for _, h := range hs {
		for _, t := range strings.Split(h.Value(), ",") {
			t, _, _ = strings.Cut(t, ";")
			t = strings.ToLower(strings.TrimSpace(t))
			if t == mwiContentType || t == "application/*" || t == "*/*" {
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
