package sip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
)

// Call transfer by REFER (RFC 3515) in a call's dialog, as SIP phones do
// it (RFC 5589): blind, "transfer this party to 202", and attended, "put
// this party in the place of my other call" (Refer-To carries
// ?Replaces= naming that call's dialog, RFC 3891).
//
// The REFER's Refer-To must be a sip or sips URI of the box itself (the
// server's address or another of the machine's, the realm, or one of
// Config.Domains): anything else gets 403 and the call carries on — a
// transfer to a foreign domain is how toll fraud gets out of a PBX. For
// an attended transfer the named dialog must be one of the box's and
// belong to the same extension as the REFER's dialog; else the REFER is
// accepted but its NOTIFY says 403 (or 481 for a dialog that does not
// exist) and the exchange hears nothing. Otherwise the leg answers 202,
// sends the first NOTIFY (100 Trying) at once, as RFC 3515 §2.4.4 asks,
// and emits channel.EventTransfer; the exchange routes the transfer
// (permission class, ringback, recall) and reports how it goes through
// NotifyTransfer, which becomes NOTIFYs with a message/sipfrag body: 100,
// 180, then the final 200 or failure that ends the implicit subscription.
// A phone that asks for no subscription (Refer-Sub: false, RFC 4488) gets
// 202 with Refer-Sub: false and no NOTIFY. One transfer at a time: a REFER
// while the last one has no final answer yet gets 491.

// referExpires is how long the implicit subscription of a REFER lasts
// (Subscription-State: active;expires=): the longest a transfer may ring
// (store.MaxTransferRecallS is 300 s) and a margin. When it runs out
// without a final answer the phone is told the transfer timed out.
const referExpires = 360 * time.Second

// maxReferUser bounds the number a Refer-To names.
const maxReferUser = 64

// referTo is a parsed Refer-To.
type referTo struct {
	scheme string // "sip" or "sips", lower case
	user   string // unescaped; "" when the URI has none
	host   string // lower case, without port or IPv6 brackets
	// replaces is the dialog of an attended transfer (nil: blind).
	replaces *dialogID
}

var (
	errBadReferTo   = errors.New("malformed Refer-To")
	errReferScheme  = errors.New("Refer-To is not a sip or sips URI")
	errReferForeign = errors.New("Refer-To names another domain")
)

// parseReferTo reads a Refer-To value: name-addr (`"Name" <sip:...>`,
// followed by any header parameters) or addr-spec (a bare URI, as some
// phones send it), whose URI headers may carry Replaces (URL-escaped).
func parseReferTo(v string) (referTo, error) {
	var r referTo
	v = strings.TrimSpace(v)
	uri := v
	if i := openBracket(v); i >= 0 {
		end := strings.IndexByte(v[i:], '>')
		if end < 0 {
			return r, fmt.Errorf("%w: no closing '>'", errBadReferTo)
		}
		uri = v[i+1 : i+end]
	} else if i := strings.IndexByte(v, ';'); i >= 0 && !strings.Contains(v[:i], "?") {
		// An addr-spec's parameters belong to the header, not the URI.
		uri = v[:i]
	}
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok || scheme == "" {
		return r, fmt.Errorf("%w: no URI scheme", errBadReferTo)
	}
	r.scheme = strings.ToLower(strings.TrimSpace(scheme))
	if r.scheme != "sip" && r.scheme != "sips" {
		return r, fmt.Errorf("%w: %q", errReferScheme, truncate(r.scheme, 20))
	}
	// userinfo "@" hostport [;params] [?headers]; a '?' before any '@'
	// means no userinfo (headers may carry an escaped '@').
	var headers string
	at, q := strings.IndexByte(rest, '@'), strings.IndexByte(rest, '?')
	if at >= 0 && (q < 0 || at < q) {
		userinfo := rest[:at]
		rest = rest[at+1:]
		user, _, _ := strings.Cut(userinfo, ":") // never a password
		u, err := url.PathUnescape(user)
		if err != nil || len(u) > maxReferUser || strings.ContainsFunc(u, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			return r, fmt.Errorf("%w: user part %q", errBadReferTo, truncate(user, 40))
		}
		r.user = u
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest, headers = rest[:q], rest[q+1:]
	}
	hostport, _, _ := strings.Cut(rest, ";")
	host, err := uriHost(hostport)
	if err != nil {
		return r, err
	}
	r.host = host
	for _, h := range strings.Split(headers, "&") {
		if h == "" {
			continue
		}
		name, val, _ := strings.Cut(h, "=")
		if !strings.EqualFold(name, "Replaces") {
			continue // Require=replaces and the like change nothing
		}
		if r.replaces != nil {
			return r, fmt.Errorf("%w: two Replaces", errBadReferTo)
		}
		raw, err := url.PathUnescape(val)
		if err != nil {
			return r, fmt.Errorf("%w: Replaces is not URL-escaped", errBadReferTo)
		}
		d, err := parseReplaces(raw)
		if err != nil {
			return r, fmt.Errorf("%w: %w", errBadReferTo, err)
		}
		r.replaces = &d
	}
	return r, nil
}

// openBracket is the index of the '<' that opens a name-addr's URI,
// outside a quoted display name; -1 for an addr-spec.
func openBracket(v string) int {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			return i
		}
	}
	return -1
}

// uriHost is the host of a URI's hostport, lower case, without port or
// IPv6 brackets.
func uriHost(hostport string) (string, error) {
	h := hostport
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", fmt.Errorf("%w: host %q", errBadReferTo, truncate(hostport, 60))
		}
		h = h[1:end]
		if _, err := netip.ParseAddr(h); err != nil {
			return "", fmt.Errorf("%w: host %q", errBadReferTo, truncate(hostport, 60))
		}
	} else if i := strings.IndexByte(h, ':'); i >= 0 {
		if _, err := strconv.ParseUint(h[i+1:], 10, 16); err != nil {
			return "", fmt.Errorf("%w: port in %q", errBadReferTo, truncate(hostport, 60))
		}
		h = h[:i]
	}
	if h == "" || len(h) > 253 || strings.ContainsFunc(h, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '_')
	}) {
		return "", fmt.Errorf("%w: host %q", errBadReferTo, truncate(hostport, 60))
	}
	return strings.ToLower(h), nil
}

// isBoxHost reports whether host (lower case, as uriHost gives it) names
// the box: the server's own address, another address of the machine, the
// realm, or one of Config.Domains.
func (s *Server) isBoxHost(host string) bool {
	if strings.EqualFold(host, s.host) || strings.EqualFold(host, s.cfg.Realm) {
		return true
	}
	for _, d := range s.cfg.Domains {
		if strings.EqualFold(host, d) {
			return true
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if a := s.Addr().Addr(); a.IsValid() && !a.IsUnspecified() && a == ip {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if mine, ok := netip.AddrFromSlice(n.IP); ok && mine.Unmap() == ip {
				return true
			}
		}
	}
	return false
}

// referSub is the implicit subscription of an accepted REFER; guarded by
// its leg's mu.
type referSub struct {
	l     *leg
	cseq  uint32 // the REFER's: the Event header's id
	useID bool   // not the dialog's first REFER: say which one (RFC 3515 §2.4.6)
	last  int    // the last status told
	final bool   // the final NOTIFY went out (or the subscription ended)
	// queue holds NOTIFYs built in order, sent one at a time by sending.
	queue   []*sip.Request
	sending bool
	// drained is closed when the queue emptied after sending began.
	drained chan struct{}
	expiry  *time.Timer
}

// notifyDrainWait bounds how long a hang-up waits for the transfer
// NOTIFYs queued before it (waitTransferNotifies).
const notifyDrainWait = 2 * time.Second

// waitTransferNotifies lets the transfer NOTIFYs already queued go out
// before the BYE: they were built first, with lower CSeqs, and a phone
// that gets the BYE first may never learn that its transfer succeeded.
// Bounded, so a phone that does not answer NOTIFYs delays its hang-up
// by notifyDrainWait at most.
func (l *leg) waitTransferNotifies() {
	l.mu.Lock()
	var drained <-chan struct{}
	if r := l.refer; r != nil && r.sending {
		drained = r.drained
	}
	l.mu.Unlock()
	if drained == nil {
		return
	}
	t := time.NewTimer(notifyDrainWait)
	defer t.Stop()
	select {
	case <-drained:
	case <-t.C:
	}
}

// onRefer handles a REFER in l's dialog; state is the leg's when it came.
func (l *leg) onRefer(req *sip.Request, tx sip.ServerTransaction, state legState) {
	s := l.s
	if state != stAnswered {
		s.respond(tx, req, 403, "Forbidden (no call to transfer yet)")
		return
	}
	hs := append(req.GetHeaders("Refer-To"), req.GetHeaders("r")...)
	if len(hs) != 1 {
		s.respond(tx, req, 400, "Bad Request (a REFER carries exactly one Refer-To)")
		return
	}
	rt, err := parseReferTo(hs[0].Value())
	switch {
	case errors.Is(err, errReferScheme):
		s.respond(tx, req, 416, "Unsupported URI Scheme")
		return
	case err != nil:
		s.respond(tx, req, 400, "Bad Request ("+sanitize(err.Error())+")")
		return
	case !s.isBoxHost(rt.host):
		s.log.Warn("sip: REFER to another domain refused", "leg", l.info.ID, "user", dialogUser(l), "host", rt.host)
		s.respond(tx, req, 403, "Forbidden ("+errReferForeign.Error()+")")
		return
	case rt.user == "" && rt.replaces == nil:
		s.respond(tx, req, 400, "Bad Request (Refer-To names no number)")
		return
	}
	noSub := false
	for _, h := range req.GetHeaders("Refer-Sub") {
		noSub = noSub || strings.EqualFold(strings.TrimSpace(h.Value()), "false")
	}
	by := ""
	if h := req.GetHeader("Referred-By"); h != nil {
		by = h.Value()
	} else if h := req.GetHeader("b"); h != nil {
		by = h.Value()
	}

	// An attended transfer: the dialog must be ours and its user the
	// REFER's (a phone may hand over only its own calls).
	tr := &channel.Transfer{Target: rt.user}
	refusal, reason := 0, ""
	if rt.replaces != nil {
		m, ok := s.findDialog(*rt.replaces)
		switch {
		case !ok:
			refusal, reason = 481, "the dialog to replace does not exist"
		case m.leg == nil || dialogUser(l) == "" || dialogUser(m.leg) != dialogUser(l):
			refusal, reason = 403, "the dialog to replace is not the transferrer's"
		default:
			tr.Replaces = m.id
		}
	}

	l.mu.Lock()
	if l.state != stAnswered {
		l.mu.Unlock()
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if l.refer != nil && !l.refer.final {
		l.mu.Unlock()
		s.respond(tx, req, 491, "Request Pending (a transfer is in progress)")
		return
	}
	var sub *referSub
	if !noSub {
		sub = &referSub{l: l, cseq: req.CSeq().SeqNo, useID: l.refers > 0}
		l.refers++
		l.refer = sub
	}
	res := sip.NewResponseFromRequest(req, 202, "Accepted", nil)
	res.AppendHeader(sip.NewHeader("Server", userAgent))
	res.AppendHeader(&sip.ContactHeader{Address: l.contact()})
	if noSub {
		res.AppendHeader(sip.NewHeader("Refer-Sub", "false"))
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: REFER respond", "err", err)
	}
	s.log.Info("sip: REFER accepted", "leg", l.info.ID, "target", rt.user, "attended", rt.replaces != nil,
		"referred_by", sanitize(by), "refusal", refusal)
	if sub != nil {
		sub.expiry = time.AfterFunc(referExpires, func() { _ = sub.notify(408) })
		if refusal == 0 {
			sub.queueLocked(100)
		} else {
			sub.queueLocked(refusal)
		}
	}
	if refusal == 0 {
		l.emitEventLocked(channel.Event{Type: channel.EventTransfer, Time: time.Now(), Transfer: tr})
	} else {
		s.log.Info("sip: attended transfer refused", "leg", l.info.ID, "why", reason)
	}
	l.mu.Unlock()
}

// contact is the leg's Contact, as its INVITE or 2xx gave it: the same
// in every request and response of the dialog, so that none moves the
// phone's remote target.
func (l *leg) contact() sip.Uri {
	user := "minipbx"
	if l.inbound {
		user = l.local.User
	}
	return l.s.contactURI(user, l.transport)
}

// NotifyTransfer implements channel.TransferNotifier: it tells the phone
// how the transfer it asked for goes (a NOTIFY with "SIP/2.0 code" as a
// message/sipfrag body; 2xx and above end the subscription). A status
// already told, or anything after the final one, sends nothing; so does a
// phone that asked for no subscription. A phone that hung up is not told.
func (l *leg) NotifyTransfer(code int) error {
	l.mu.Lock()
	sub := l.refer
	l.mu.Unlock()
	if sub == nil {
		return nil
	}
	return sub.notify(code)
}

// notify queues a NOTIFY of code unless it says nothing new.
func (r *referSub) notify(code int) error {
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == stEnded {
		return fmt.Errorf("sip: transfer progress: leg %s has ended", l.info.ID)
	}
	r.queueLocked(code)
	return nil
}

// queueLocked builds the NOTIFY of code in the dialog (now, so that a
// BYE the exchange sends next comes after it) and has it sent; l.mu held.
func (r *referSub) queueLocked(code int) {
	l := r.l
	if r.final || code == r.last || code < 100 || code > 699 {
		return
	}
	r.last = code
	state := fmt.Sprintf("active;expires=%d", int(referExpires/time.Second))
	if code >= 200 {
		r.final = true
		state = "terminated;reason=noresource"
		if r.expiry != nil {
			r.expiry.Stop()
		}
	}
	event := "refer"
	if r.useID {
		event += ";id=" + strconv.FormatUint(uint64(r.cseq), 10)
	}
	req := l.newInDialogRequest(sip.NOTIFY)
	req.AppendHeader(&sip.ContactHeader{Address: l.contact()})
	req.AppendHeader(sip.NewHeader("Event", event))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(sipfrag(code)))
	r.queue = append(r.queue, req)
	if !r.sending {
		r.sending = true
		r.drained = make(chan struct{})
		l.s.bg.Add(1)
		go r.send()
	}
}

// sipfrag is the body of a transfer's NOTIFY: the status line of the
// request the transferee made (RFC 3515 §2.4.5).
func sipfrag(code int) string {
	reason := reasonFor(code)
	switch code {
	case 100:
		reason = "Trying"
	case 180:
		reason = "Ringing"
	case 183:
		reason = "Session Progress"
	case 200:
		reason = "OK"
	case 481:
		reason = "Call/Transaction Does Not Exist"
	}
	return fmt.Sprintf("SIP/2.0 %d %s\r\n", code, reason)
}

// send runs the queued NOTIFY transactions in order. A NOTIFY the phone
// refuses or never answers ends the subscription (RFC 6665): nothing more
// is sent.
func (r *referSub) send() {
	l := r.l
	defer l.s.bg.Done()
	for {
		l.mu.Lock()
		if len(r.queue) == 0 {
			r.sending = false
			close(r.drained)
			l.mu.Unlock()
			return
		}
		req := r.queue[0]
		r.queue = r.queue[1:]
		l.mu.Unlock()
		ok := l.s.sendNotify(req, dialogUser(l), "refer")
		l.mu.Lock()
		l.localSeq = max(l.localSeq, req.CSeq().SeqNo) // an answered challenge took one more
		if !ok && !r.final {
			l.s.log.Info("sip: transfer progress not taken; subscription ended", "leg", l.info.ID)
			r.final, r.queue = true, nil
			if r.expiry != nil {
				r.expiry.Stop()
			}
		}
		l.mu.Unlock()
	}
}
