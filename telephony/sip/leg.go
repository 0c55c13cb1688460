package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

type legState int

const (
	stRinging  legState = iota // inbound: INVITE received; outbound: INVITEs sent
	stAnswered                 // 200/ACK
	stEnded
)

// eventBuffer is the depth of a leg's Events channel. One slot is kept for
// EventHangup, so the last event is never lost to a slow reader.
const eventBuffer = 64

// leg is one SIP call leg, inbound (we are UAS) or outbound (UAC), and the
// channel.Channel the exchange sees.
type leg struct {
	s       *Server
	info    channel.Info
	sess    *media.Session
	inbound bool

	events chan channel.Event

	mu    sync.Mutex
	state legState
	held  bool
	// answered is when the leg was answered: the peer's silence counts
	// from then at the earliest (endIfSilent).
	answered time.Time
	ended    chan struct{} // closed when the leg ends

	// Dialog (RFC 3261 §12). local is our party (From in our requests).
	callID       string
	localTag     string
	remoteTag    string
	local        sip.Uri
	localName    string
	remote       sip.Uri
	remoteName   string
	remoteTarget sip.Uri
	routeSet     []sip.Uri
	localSeq     uint32
	remoteSeq    uint32
	dest         string // where in-dialog requests go (host:port)
	transport    string
	// offerCodecs are the codecs of an outbound leg's offer (nil: ours).
	offerCodecs []media.Codec
	// maxForwards: inbound, the INVITE's Max-Forwards (70 when it had
	// none); outbound, the one our INVITE carries. Set at creation.
	maxForwards uint32

	// Pending ACK of a 2xx we sent (INVITE or re-INVITE), by CSeq.
	ackSeq uint32
	ackCh  chan *sip.Request

	// Inbound only: the INVITE transaction until the final response.
	inviteReq  *sip.Request
	inviteTx   sip.ServerTransaction
	final      chan struct{} // closed once the final response is sent
	okResponse *sip.Response
	progressed bool
	early      bool // inbound: 183 with SDP sent; outbound: an 18x with SDP taken (early media either way)
	delayed    bool // the INVITE had no SDP: ours is an offer, for the 200 only

	// Outbound only.
	out *outCall

	// trunk is the trunk whose call slot this leg holds (guarded by s.mu).
	trunk *trunk

	// refer is the implicit subscription of the last REFER accepted
	// (refer.go); refers counts them.
	refer  *referSub
	refers int
}

func newLeg(s *Server, inbound bool) *leg {
	l := &leg{
		s:        s,
		inbound:  inbound,
		events:   make(chan channel.Event, eventBuffer),
		ended:    make(chan struct{}),
		localTag: randomHex(8),
		final:    make(chan struct{}),
		// RFC 3261 §8.1.1.6: 70 for our own requests, and taken as the
		// caller's when its INVITE had none (an RFC 2543 one).
		maxForwards: 70,
	}
	dir := "out"
	if inbound {
		dir = "in"
	}
	l.info = channel.Info{ID: "sip-" + randomHex(4), Kind: channel.SIP, Direction: dir}
	return l
}

// Info implements channel.Channel.
func (l *leg) Info() channel.Info { return l.info }

// Events implements channel.Channel.
func (l *leg) Events() <-chan channel.Event { return l.events }

// Media implements channel.Channel.
func (l *leg) Media() media.Endpoint { return l.sess }

// Stats returns the leg's RTP quality counters.
func (l *leg) Stats() media.Stats { return l.sess.Stats() }

// emit queues an event; l.mu must NOT be required by callers. Non-final
// events are dropped (and logged) only if the reader is 63 events behind.
func (l *leg) emit(t channel.EventType, digit byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emitLocked(t, digit)
}

func (l *leg) emitLocked(t channel.EventType, digit byte) {
	l.emitEventLocked(channel.Event{Type: t, Digit: digit, Time: time.Now()})
}

func (l *leg) emitEventLocked(ev channel.Event) {
	if l.state == stEnded {
		return
	}
	if len(l.events) >= cap(l.events)-1 {
		l.s.log.Warn("sip: event dropped, reader too slow", "leg", l.info.ID, "event", ev.Type)
		return
	}
	l.events <- ev
}

// endLocked ends the leg: EventHangup, close Events, release media and
// the call slot. l.mu must be held. It returns false if already ended.
func (l *leg) endLocked(c channel.Cause) bool {
	if l.state == stEnded {
		return false
	}
	l.state = stEnded
	l.events <- channel.Event{Type: channel.EventHangup, Cause: c, Time: time.Now()}
	close(l.events)
	close(l.ended)
	go l.sess.Close()
	l.s.removeLeg(l)
	l.s.log.Info("sip: leg ended", "leg", l.info.ID, "cause", c)
	return true
}

// Progress sends 180 Ringing to an inbound caller.
func (l *leg) Progress() error {
	return l.provisional("Progress", &l.progressed, 180, "Ringing", func() ([]byte, error) { return nil, nil })
}

// EarlyMedia implements channel.EarlyMedia: 183 Session Progress with the
// SDP answer the 200 OK will carry, so the caller's phone or provider
// plays the RTP the leg already sends (RFC 3960's gateway model). It is
// sent without 100rel: the provider's INVITE need not support it, and the
// 200 OK repeats the SDP anyway.
func (l *leg) EarlyMedia() error {
	return l.provisional("EarlyMedia", &l.early, 183, "Session Progress", func() ([]byte, error) {
		if l.delayed {
			// Our SDP would be an offer, which an unreliable provisional
			// response must not carry (RFC 3261 §13.2.1).
			return nil, fmt.Errorf("sip: EarlyMedia: leg %s: the INVITE had no SDP", l.info.ID)
		}
		return l.okResponse.Body(), nil
	})
}

// provisional sends a provisional response to an inbound caller still
// ringing, once: *sent records it (l.mu guards it). body gives the
// response's body, or why it cannot be sent; it runs with l.mu held.
func (l *leg) provisional(what string, sent *bool, code int, reason string, body func() ([]byte, error)) error {
	if !l.inbound {
		return fmt.Errorf("sip: %s on an outbound leg", what)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != stRinging {
		return fmt.Errorf("sip: %s: leg %s is not ringing", what, l.info.ID)
	}
	if *sent {
		return nil
	}
	b, err := body()
	if err != nil {
		return err
	}
	if err := l.inviteTx.Respond(l.response(code, reason, b)); err != nil {
		return fmt.Errorf("sip: %s %s: %w", what, l.info.ID, err)
	}
	*sent = true
	return nil
}

// response builds a response to the INVITE with our tag and Contact.
func (l *leg) response(code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(l.inviteReq, code, reason, body)
	l.decorate(res, code)
	return res
}

func (l *leg) decorate(res *sip.Response, code int) {
	res.AppendHeader(sip.NewHeader("Server", userAgent))
	if code > 100 && code < 300 {
		res.AppendHeader(&sip.ContactHeader{Address: l.contact()})
		res.AppendHeader(sip.NewHeader("Allow", allowHeader))
		res.AppendHeader(sip.NewHeader("Supported", supportedHeader))
	}
	if len(res.Body()) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
}

// Answer sends 200 OK with our SDP answer to an inbound caller. The ACK is
// awaited (and the 200 retransmitted over UDP) by the INVITE's handler.
func (l *leg) Answer(ctx context.Context) error {
	if !l.inbound {
		return errors.New("sip: Answer on an outbound leg")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != stRinging {
		return fmt.Errorf("sip: Answer: leg %s is not ringing", l.info.ID)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	res := l.response(200, "OK", l.okResponse.Body())
	if err := l.inviteTx.Respond(res); err != nil {
		return fmt.Errorf("sip: answer %s: %w", l.info.ID, err)
	}
	l.okResponse = res
	l.state, l.answered = stAnswered, time.Now()
	l.ackSeq = l.inviteReq.CSeq().SeqNo
	close(l.final)
	return nil
}

// MaxForwards is an inbound leg's Max-Forwards (channel.HopLimited): the
// exchange dials the legs it forwards the call to with one less.
func (l *leg) MaxForwards() int { return int(l.maxForwards) }

// SendDigit sends an RFC 4733 telephone-event.
func (l *leg) SendDigit(d byte) error { return l.sess.SendDigit(d) }

// Hangup ends the leg: a final response before answer (inbound), CANCEL
// (outbound ringing), or BYE after answer. Idempotent.
func (l *leg) Hangup(c channel.Cause) error {
	l.waitTransferNotifies() // refer.go
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.state {
	case stEnded:
		return nil
	case stRinging:
		if l.inbound {
			code := c.SIPStatus()
			if code < 300 {
				code = 480 // "normal" before answer: nobody took it
			}
			if err := l.inviteTx.Respond(l.response(code, reasonFor(code), nil)); err != nil {
				l.s.log.Debug("sip: reject", "err", err)
			}
			close(l.final)
		} else {
			l.out.cancelAllLocked()
		}
	case stAnswered:
		l.sendByeLocked()
	}
	l.endLocked(c)
	return nil
}

func reasonFor(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 408:
		return "Request Timeout"
	case 480:
		return "Temporarily Unavailable"
	case 483:
		return "Too Many Hops"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Error"
}

// newInDialogRequest builds a request within the dialog; l.mu held.
func (l *leg) newInDialogRequest(method sip.RequestMethod) *sip.Request {
	target := l.remoteTarget
	req := sip.NewRequest(method, target)
	req.SipVersion = "SIP/2.0"
	for _, r := range l.routeSet {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	maxf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxf)
	from := &sip.FromHeader{DisplayName: l.localName, Address: l.local, Params: sip.NewParams()}
	from.Params.Add("tag", l.localTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{DisplayName: l.remoteName, Address: l.remote, Params: sip.NewParams()}
	if l.remoteTag != "" {
		to.Params.Add("tag", l.remoteTag)
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(l.callID)
	req.AppendHeader(&cid)
	if method != sip.ACK {
		l.localSeq++
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: l.localSeq, MethodName: method})
	req.AppendHeader(sip.NewHeader("User-Agent", userAgent))
	req.SetTransport(l.transport)
	req.SetDestination(l.dest)
	l.s.fromListener(req)
	return req
}

// sendByeLocked sends BYE in the background; l.mu held.
func (l *leg) sendByeLocked() {
	req := l.newInDialogRequest(sip.BYE)
	req.SetBody(nil)
	l.s.bg.Add(1)
	go func() {
		defer l.s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := l.s.do(ctx, req, sipgo.ClientRequestAddVia)
		if err != nil {
			l.s.log.Info("sip: BYE", "leg", l.info.ID, "err", err)
			return
		}
		l.s.log.Debug("sip: BYE answered", "leg", l.info.ID, "code", res.StatusCode)
	}()
}

// endIfSilent ends an answered leg whose peer should be sending media but
// has been silent (no RTP, no RTCP) for timeout by now, with a BYE the
// peer may never answer: it is how a call ends whose phone lost power or
// its network. It reports whether it ended the leg.
func (l *leg) endIfSilent(now time.Time, timeout time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != stAnswered || l.held {
		// A phone holding the call may send nothing, whatever its SDP
		// says (some send sendonly and then no music).
		return false
	}
	heard, expected := l.sess.Heard()
	if !expected {
		return false
	}
	if l.answered.After(heard) {
		heard = l.answered
	}
	if now.Sub(heard) < timeout {
		return false
	}
	l.s.log.Warn("sip: RTP timeout: ending call", "leg", l.info.ID, "endpoint", l.info.Endpoint,
		"silent", now.Sub(heard).Round(time.Second))
	l.sendByeLocked()
	l.endLocked(channel.CauseFailure)
	return true
}

// onAck receives an ACK for a 2xx of this dialog.
func (l *leg) onAck(req *sip.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if req.CSeq().SeqNo != l.ackSeq || l.ackCh == nil {
		return
	}
	select {
	case l.ackCh <- req:
	default:
	}
}

// awaitAck retransmits a 2xx over UDP (RFC 3261 §13.3.1.4: T1 doubling to
// T2, for 64*T1; sipgo's transaction does not) until its ACK arrives. It
// returns the ACK, or nil when none came.
func (l *leg) awaitAck(tx sip.ServerTransaction, res *sip.Response, ackCh chan *sip.Request) *sip.Request {
	reliable := sip.IsReliable(res.Transport())
	interval := sip.T1
	deadline := time.NewTimer(64 * sip.T1)
	defer deadline.Stop()
	retx := time.NewTimer(interval)
	defer retx.Stop()
	for {
		select {
		case a := <-ackCh:
			return a
		case a := <-tx.Acks():
			return a
		case <-l.ended:
			return nil
		case <-deadline.C:
			return nil
		case <-retx.C:
			if !reliable {
				if err := tx.Respond(res); err != nil {
					l.s.log.Debug("sip: retransmit 2xx", "err", err)
				}
			}
			interval = min(2*interval, sip.T2)
			retx.Reset(interval)
		}
	}
}

// onRequest handles an in-dialog request from the peer: BYE, INFO,
// re-INVITE (hold/unhold, address change, session refresh) and REFER
// (transfer, refer.go).
func (l *leg) onRequest(req *sip.Request, tx sip.ServerTransaction) {
	l.mu.Lock()
	if !l.inbound && req.CallID().Value() != l.callID {
		// A fork's own dialog, not (yet) the leg's: see onForkRequest.
		f := l.out.forkByCallID(req.CallID().Value())
		l.mu.Unlock()
		if f == nil {
			l.s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
			return
		}
		l.onForkRequest(f, req, tx)
		return
	}
	// Only the peer of the dialog may act in it: both tags must match, and
	// the request must come from the peer's address (in-dialog requests are
	// not challenged, so this is what stops a third party hanging up or
	// redirecting someone's call with a guessed Call-ID).
	fromTag, _ := req.From().Params.Get("tag")
	if fromTag != l.remoteTag || !sameIP(req.Source(), l.dest) {
		l.mu.Unlock()
		l.s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	seq := req.CSeq().SeqNo
	if l.remoteSeq != 0 && seq <= l.remoteSeq {
		l.mu.Unlock()
		l.s.respond(tx, req, 500, "Server Internal Error (CSeq out of order)", sip.NewHeader("Retry-After", "1"))
		return
	}
	l.remoteSeq = seq
	state := l.state
	l.mu.Unlock()

	switch req.Method {
	case sip.BYE:
		l.s.respond(tx, req, 200, "OK")
		l.mu.Lock()
		if l.state == stRinging && l.inbound {
			// A BYE in the early dialog: the INVITE still needs its final
			// response (RFC 3261 §15.1.2).
			_ = l.inviteTx.Respond(l.response(487, "Request Terminated", nil))
			close(l.final)
		}
		l.endLocked(channel.CauseNormal)
		l.mu.Unlock()
	case sip.INFO:
		l.onInfo(req, tx)
	case sip.INVITE:
		if state != stAnswered {
			l.s.respond(tx, req, 491, "Request Pending")
			return
		}
		l.onReInvite(req, tx)
	case sip.REFER:
		l.onRefer(req, tx, state)
	default:
		l.s.respond(tx, req, 501, "Not Implemented", sip.NewHeader("Allow", allowHeader))
	}
}

// onInfo accepts SIP INFO DTMF (application/dtmf-relay, application/dtmf).
func (l *leg) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(h.Value())
	}
	var d byte
	switch {
	case strings.HasPrefix(ct, "application/dtmf-relay"):
		d = parseDTMFRelay(string(req.Body()))
	case strings.HasPrefix(ct, "application/dtmf"):
		d = normDigit(strings.TrimSpace(string(req.Body())))
	default:
		l.s.respond(tx, req, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	}
	if d == 0 {
		l.s.respond(tx, req, 400, "Bad Request (no DTMF signal)")
		return
	}
	l.s.respond(tx, req, 200, "OK")
	l.emit(channel.EventDigit, d)
}

// parseDTMFRelay reads "Signal=5\r\nDuration=160" bodies.
func parseDTMFRelay(body string) byte {
	for _, line := range strings.Split(body, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
			return normDigit(strings.TrimSpace(v))
		}
	}
	return 0
}

func normDigit(v string) byte {
	if len(v) == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '1' {
		return "*#"[v[1]-'0'] // some phones send event codes 10/11
	}
	if len(v) != 1 {
		return 0
	}
	d := v[0]
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	if _, ok := media.EventCode(d); !ok {
		return 0
	}
	return d
}

// onReInvite answers a re-INVITE. An offer we cannot accept gets 488 and
// changes nothing (RFC 3261 §14.2).
func (l *leg) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	body := req.Body()
	var sdp []byte
	var holdNow bool
	var err error
	offerless := len(body) == 0
	if offerless {
		// Session refresh without an offer: we offer; the ACK answers.
		sdp, err = l.sess.Offer(nil, media.SendRecv)
	} else {
		var d media.Description
		sdp, d, err = l.sess.AnswerOffer(body)
		holdNow = d.OnHold()
	}
	if err != nil {
		code, reason := 488, "Not Acceptable Here"
		if errors.Is(err, media.ErrBadSDP) {
			reason = "Not Acceptable Here (malformed SDP)"
		}
		l.s.respond(tx, req, code, reason, sip.NewHeader("Warning", `399 minipbx "`+sanitize(err.Error())+`"`))
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", sdp)
	l.decorate(res, 200)
	ackCh := make(chan *sip.Request, 1)
	l.mu.Lock()
	if l.state != stAnswered {
		l.mu.Unlock()
		l.s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if c := req.Contact(); c != nil {
		l.remoteTarget = c.Address // target refresh (RFC 3261 §12.2.2)
	}
	wasHeld := l.held
	if !offerless {
		l.held = holdNow
	}
	l.ackSeq, l.ackCh = req.CSeq().SeqNo, ackCh
	if err := tx.Respond(res); err != nil {
		l.s.log.Debug("sip: re-INVITE respond", "err", err)
	}
	switch {
	case !offerless && holdNow && !wasHeld:
		l.emitLocked(channel.EventHold, 0)
	case !offerless && !holdNow && wasHeld:
		l.emitLocked(channel.EventUnhold, 0)
	}
	l.mu.Unlock()
	ack := l.awaitAck(tx, res, ackCh)
	if offerless && ack != nil && len(ack.Body()) > 0 {
		if d, err := l.sess.AcceptAnswer(ack.Body()); err == nil {
			l.mu.Lock()
			was := l.held
			l.held = d.OnHold()
			if l.held != was {
				if l.held {
					l.emitLocked(channel.EventHold, 0)
				} else {
					l.emitLocked(channel.EventUnhold, 0)
				}
			}
			l.mu.Unlock()
		}
	}
}

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			return ' '
		}
		return r
	}, s)
	return truncate(s, 120)
}

// onInvite handles a new INVITE (or a re-INVITE, which has a To tag).
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if s.banned(req, tx) || !s.checkBasics(req, tx) {
		return
	}
	if tag, ok := req.To().Params.Get("tag"); ok && tag != "" {
		if l := s.findLeg(req.CallID().Value(), tag); l != nil {
			l.onRequest(req, tx)
		} else {
			s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		}
		return
	}
	// A trunk's call is trusted by its source address; everything else
	// must authenticate as an extension (toll fraud: an unauthenticated
	// INVITE must never reach an outside line).
	tr := s.trunkFor(req)
	var user, name string
	srtp := media.NoSRTP
	if tr == nil {
		var ok bool
		if user, name, ok = s.authenticate(req, tx, true); !ok {
			return
		}
		if s.refuseUnencrypted(req, tx, user) {
			return
		}
		srtp = s.srtpFor(user, req.Transport())
	} else if !tr.acquire() {
		s.log.Info("sip: trunk at its call limit", "trunk", tr.cfg.Name)
		s.respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	} else {
		s.proveConn(req) // a trunk's connection (conns.go)
	}
	if req.Contact() == nil {
		if tr != nil {
			tr.release()
		}
		s.respond(tx, req, 400, "Bad Request (missing Contact)")
		return
	}
	// An INVITE that takes an existing dialog's place (replaces.go).
	replaces, code, reason := s.inviteReplaces(req)
	if code != 0 {
		if tr != nil {
			tr.release()
		}
		s.respond(tx, req, code, reason)
		return
	}
	l := newLeg(s, true)
	l.info.Replaces = replaces
	l.trunk = tr
	if !s.addLeg(l) {
		if tr != nil {
			tr.release()
		}
		s.respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	sess, err := s.newSession(func(d byte) { l.emit(channel.EventDigit, d) }, srtp)
	if err != nil {
		s.removeLeg(l)
		s.log.Warn("sip: no RTP session", "err", err)
		s.respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	l.sess = sess
	sess.SetPeerIP(sourceIP(req))
	// A delayed offer (INVITE without SDP, RFC 3261 §13.2.1): we offer in
	// the 200 and the caller answers in the ACK.
	delayed := len(req.Body()) == 0
	var answer []byte
	var d media.Description
	if delayed {
		answer, err = sess.Offer(nil, media.SendRecv)
	} else {
		answer, d, err = sess.AnswerOffer(req.Body())
	}
	if err != nil {
		s.removeLeg(l)
		sess.Close()
		reason := "Not Acceptable Here"
		switch {
		case errors.Is(err, media.ErrBadSDP):
			reason = "Not Acceptable Here (malformed SDP)"
		case errors.Is(err, media.ErrSRTPRequired):
			reason = "Not Acceptable Here (SRTP required)"
		}
		s.respond(tx, req, 488, reason, sip.NewHeader("Warning", `305 minipbx "`+sanitize(err.Error())+`"`))
		return
	}
	// Our tag goes into the request's To so every response (sipgo's 487
	// on CANCEL included) carries the same one.
	req.To().Params.Add("tag", l.localTag)
	from := req.From()
	l.callID = req.CallID().Value()
	if mf := req.MaxForwards(); mf != nil {
		l.maxForwards = min(mf.Val(), 255)
	}
	l.remoteTag, _ = from.Params.Get("tag")
	l.remote, l.remoteName = from.Address, from.DisplayName
	l.local = req.To().Address
	l.localName = ""
	l.remoteTarget = req.Contact().Address
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			l.routeSet = append(l.routeSet, rr.Address)
		}
	}
	l.remoteSeq = req.CSeq().SeqNo
	l.localSeq = uint32(time.Now().UnixNano()>>20) & 0x7fff
	l.dest = req.Source()
	l.transport = req.Transport()
	l.inviteReq, l.inviteTx = req, tx
	l.held = d.OnHold()
	l.okResponse = sip.NewResponse(200, "OK")
	l.okResponse.SetBody(answer)
	l.delayed = delayed
	l.info.Endpoint = user
	l.info.Caller = channel.CallerID{Number: user, Name: name}
	l.info.Dialled = req.Recipient.User
	if tr != nil {
		l.info.Endpoint = "trunk:" + tr.cfg.Name
		l.info.Caller = trunkCaller(req) // identity.go
		l.info.Dialled = trunkDID(req, tr)
		user = "trunk:" + tr.cfg.Name
	}
	s.bindDialog(l, l.callID, l.localTag)

	if err := tx.Respond(sip.NewResponseFromRequest(req, 100, "Trying", nil)); err != nil {
		s.log.Debug("sip: 100", "err", err)
	}
	ackCh := make(chan *sip.Request, 1)
	l.mu.Lock()
	l.ackCh = ackCh
	l.mu.Unlock()
	// sipgo keeps the handler as long as the transaction, past the call's
	// end: it holds the leg weakly, or every leg and its RTP session would
	// stay in memory that long after its call. A leg still ringing is
	// held by the server (s.all), so it is there to cancel.
	wl := weak.Make(l)
	tx.OnCancel(func(*sip.Request) {
		// Called inside sipgo's transaction lock, which has already sent
		// 487: just end the leg, from another goroutine.
		l := wl.Value()
		if l == nil {
			return
		}
		go func() {
			l.mu.Lock()
			if l.state == stRinging {
				close(l.final)
				l.endLocked(channel.CauseCancelled)
			}
			l.mu.Unlock()
		}()
	})
	s.log.Info("sip: incoming call", "leg", l.info.ID, "from", user, "to", l.info.Dialled, "codec", sess.Codec())
	if s.cfg.OnCall != nil {
		go s.cfg.OnCall(l)
	} else {
		go l.Hangup(channel.CauseUnavailable)
	}

	// Hold the transaction until the final response, then the ACK.
	select {
	case <-l.final:
	case <-tx.Done():
		l.mu.Lock()
		l.endLocked(channel.CauseFailure)
		l.mu.Unlock()
		return
	}
	l.mu.Lock()
	answered := l.state == stAnswered
	res := l.okResponse
	l.mu.Unlock()
	if !answered {
		return
	}
	ack := l.awaitAck(tx, res, ackCh)
	problem := ""
	switch {
	case ack == nil:
		problem = "no ACK for 200"
	case delayed:
		if _, err := sess.AcceptAnswer(ack.Body()); err != nil {
			problem = "no usable SDP answer in the ACK: " + err.Error()
		}
	}
	if problem != "" {
		l.mu.Lock()
		if l.state == stAnswered {
			s.log.Warn("sip: ending call", "leg", l.info.ID, "reason", problem)
			l.sendByeLocked()
			l.endLocked(channel.CauseFailure)
		}
		l.mu.Unlock()
	}
}

// sameIP compares the addresses of two host:port strings.
func sameIP(a, b string) bool {
	pa, err1 := netip.ParseAddrPort(a)
	pb, err2 := netip.ParseAddrPort(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return pa.Addr().Unmap() == pb.Addr().Unmap()
}
