package sip

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Message-waiting indication for SIP phones: the "message-summary" event
// package of RFC 3842 on the SIP-specific event notification framework of
// RFC 6665 (which obsoletes RFC 3265).
//
// A phone SUBSCRIBEs to its own mailbox (the Request-URI user, else the To
// user, is the mailbox, which is the extension number; another one gets
// 403) with the same digest credentials as its REGISTER; the subscription
// runs as subscription.go says, with at most MaxBindingsPerExtension
// subscriptions per extension.
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
)

// mwiCounts is one mailbox's message counts.
type mwiCounts struct{ newMsgs, oldMsgs int }

// mwi holds the mailbox states and serves their subscriptions.
type mwi struct {
	*notifier
	stateMu sync.Mutex
	state   map[string]mwiCounts // extension → counts, once SetMessageWaiting named it
	// told is what each registered contact was last told outside a
	// dialog (extension → contact → counts), so that a change and a fresh
	// registration racing each other tell the phone once, not twice.
	told map[string]map[string]mwiCounts
}

func newMWI(s *Server) *mwi {
	m := &mwi{notifier: newNotifier(s, mwiEvent, mwiContentType), state: map[string]mwiCounts{}, told: map[string]map[string]mwiCounts{}}
	m.min, m.max, m.def = mwiMinExpires, mwiMaxExpires, mwiDefaultExpires
	m.limit = func() int { return s.cfg.MaxBindingsPerExtension }
	m.authorize = func(user, mailbox string) (int, string) {
		// An extension reads only its own mailbox.
		if mailbox != user {
			return 403, "Forbidden (not your mailbox)"
		}
		return 0, ""
	}
	m.body = func(sub *subscription) []byte {
		c, _ := m.counts(sub.resource)
		return []byte(m.summary(sub.resource, c))
	}
	return m
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
	m.stateMu.Lock()
	if old, ok := m.state[ext]; ok && old == c {
		m.stateMu.Unlock()
		return
	}
	m.state[ext] = c
	m.stateMu.Unlock()
	m.notifyResource(ext)
	bs := m.s.reg.lookup(ext)
	m.stateMu.Lock()
	// Forget contacts no longer registered.
	for contact := range m.told[ext] {
		if !slices.ContainsFunc(bs, func(b Binding) bool { return b.Contact == contact }) {
			delete(m.told[ext], contact)
		}
	}
	m.stateMu.Unlock()
	for _, b := range bs {
		if !m.subscribed(b) {
			m.unsolicited(b, c)
		}
	}
}

// forget is called, under the registrar's lock, when contact registers
// afresh for ext: the phone may have restarted and lost its lamp state.
func (m *mwi) forget(ext, contact string) {
	m.stateMu.Lock()
	delete(m.told[ext], contact)
	m.stateMu.Unlock()
}

// counts returns the state of ext (zero when never set).
func (m *mwi) counts(ext string) (mwiCounts, bool) {
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	c, ok := m.state[ext]
	return c, ok
}

// subscribed reports whether binding b's phone holds a live subscription
// (the same contact subscribed for the same extension).
func (m *mwi) subscribed(b Binding) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, sub := range m.subs {
		if sub.resource == b.Extension && sameContact(sub.contact.String(), b.Contact) {
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

// unsolicited sends binding b an out-of-dialog NOTIFY with state c, in the
// background, unless it was told c already; its fate changes nothing (the
// phone may simply not want it).
func (m *mwi) unsolicited(b Binding, c mwiCounts) {
	s := m.s
	m.stateMu.Lock()
	if old, ok := m.told[b.Extension][b.Contact]; ok && old == c {
		m.stateMu.Unlock()
		return
	}
	if m.told[b.Extension] == nil {
		m.told[b.Extension] = map[string]mwiCounts{}
	}
	m.told[b.Extension][b.Contact] = c
	m.stateMu.Unlock()
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
		s.sendNotify(req, b.Extension, mwiEvent)
	}()
}

// Subscriptions is the number of live message-summary subscriptions of ext
// (for status pages and tests).
func (s *Server) Subscriptions(ext string) int { return s.mwi.count(ext) }
