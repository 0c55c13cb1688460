package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

type dialer struct{ s *Server }

// Dial rings every registered contact of the extension req.Target at once
// (parallel forking). The first to answer wins; the others get CANCEL (or
// BYE if they answered too). It fails at once with CauseNotFound for an
// unknown extension, CauseUnavailable when nothing is registered, and
// CauseCongestion when the server is full.
func (d dialer) Dial(ctx context.Context, req channel.Request) (channel.Channel, error) {
	s := d.s
	if err := ctx.Err(); err != nil {
		return nil, &channel.DialError{Cause: channel.CauseFailure, Err: err}
	}
	if req.Hops.Set && req.Hops.Left < 0 {
		// RFC 3261 §16.3 step 3: the caller's request has no hop left to
		// be forwarded (a loop through a trunk ends here, with 483).
		return nil, &channel.DialError{Cause: channel.CauseLoop, Err: errors.New("Max-Forwards exhausted")}
	}
	if strings.HasPrefix(req.Target, "trunk:") {
		return s.dialTrunk(ctx, req)
	}
	if _, _, ok := s.cfg.Credentials.Lookup(req.Target); !ok {
		return nil, &channel.DialError{Cause: channel.CauseNotFound, Err: fmt.Errorf("no SIP extension %q", req.Target)}
	}
	bindings := s.reg.lookup(req.Target)
	if len(bindings) == 0 {
		return nil, &channel.DialError{Cause: channel.CauseUnavailable, Err: fmt.Errorf("extension %s is not registered", req.Target)}
	}
	// An extension that requires encryption is rung only at its TLS
	// registrations, with RTP/SAVP (encryption.go).
	mode := media.NoSRTP
	if s.requiresEncryption(req.Target) {
		mode = media.SRTPRequired
		if bindings = s.encryptedBindings(req.Target, bindings); len(bindings) == 0 {
			return nil, &channel.DialError{Cause: channel.CauseUnavailable, Err: fmt.Errorf("extension %s requires encryption and is not registered over TLS", req.Target)}
		}
	}
	l, offer, err := s.outboundLeg(req, nil, mode)
	if err != nil {
		return nil, err
	}
	l.info.Endpoint = req.Target
	l.info.Caller = req.Caller
	l.info.Dialled = req.Target
	l.local = sip.Uri{Scheme: "sip", User: callerUser(req.Caller), Host: s.host}
	l.localName = req.Caller.Name
	if req.Caller.Withheld != "" || req.Caller.Number == "" {
		// RFC 3323 §4.1.1.3: an anonymous From.
		l.local.Host = "anonymous.invalid"
		l.localName = "Anonymous"
	}
	l.remote = sip.Uri{Scheme: "sip", User: req.Target, Host: s.host}
	oc := &outCall{leg: l, autoAnswer: req.AutoAnswer}
	l.out = oc

	l.mu.Lock()
	for _, b := range bindings {
		o := offer
		if mode == media.NoSRTP && isTLS(b.Transport) {
			// A phone over TLS is offered SRTP, best effort.
			if secure, err := l.sess.OfferWith(l.offerCodecs, media.SendRecv, media.SRTPOptional); err == nil {
				o = secure
			}
		}
		f, err := oc.startFork(b, o)
		if err != nil {
			s.log.Info("sip: fork failed", "extension", req.Target, "contact", b.Contact, "err", err)
			continue
		}
		oc.forks = append(oc.forks, f)
	}
	if len(oc.forks) == 0 {
		l.endLocked(channel.CauseUnavailable)
		l.mu.Unlock()
		return nil, &channel.DialError{Cause: channel.CauseUnavailable, Err: errors.New("no registered contact could be reached")}
	}
	if req.Timeout > 0 {
		oc.timer = time.AfterFunc(req.Timeout, func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.state == stRinging {
				oc.cancelAllLocked()
				l.endLocked(channel.CauseNoAnswer)
			}
		})
	}
	l.mu.Unlock()
	s.log.Info("sip: outgoing call", "leg", l.info.ID, "to", req.Target, "forks", len(oc.forks))
	return l, nil
}

func callerUser(c channel.CallerID) string {
	if c.Number != "" && c.Withheld == "" {
		return c.Number
	}
	return "anonymous"
}

// outCall is the forking state of an outbound leg; guarded by leg.mu.
type outCall struct {
	leg    *leg
	forks  []*fork
	winner *fork
	timer  *time.Timer
	// auth answers a 401/407 once (trunk calls: the provider challenges us).
	auth *sipgo.DigestAuth
	// identity adds a trunk call's identity headers to each INVITE
	// (identity.go); nil: none.
	identity func(*sip.Request)
	// trunkNext are a trunk call's provider targets not tried yet.
	trunkNext []Binding
	// autoAnswer asks the phones to answer by themselves (autoanswer.go).
	autoAnswer bool
}

// fork is one INVITE client transaction to one contact.
type fork struct {
	oc           *outCall
	b            Binding
	req          *sip.Request
	tx           sip.ClientTransaction
	provisional  bool // a 1xx came: CANCEL is allowed (RFC 3261 §9.1)
	cancelWanted bool
	elsewhere    bool // another fork answered: say so in the CANCEL
	cancelSent   bool
	done         bool
	status       int
	authTried    bool
	callID       string
	// byeReceived: the callee sent BYE on this fork's dialog before its
	// 2xx was handled; the answer then ends the leg at once.
	byeReceived bool
	// toTag is the callee's tag from a provisional response: the early
	// dialog busy lamps name for BLF pickup (replaces.go).
	toTag string
}

// startFork sends one INVITE; leg.mu held.
func (oc *outCall) startFork(b Binding, offer []byte) (*fork, error) {
	l := oc.leg
	s := l.s
	var target sip.Uri
	if err := sip.ParseUri(b.Contact, &target); err != nil {
		return nil, fmt.Errorf("contact %q: %w", b.Contact, err)
	}
	req := sip.NewRequest(sip.INVITE, target)
	req.SipVersion = "SIP/2.0"
	from := &sip.FromHeader{DisplayName: l.localName, Address: l.local, Params: sip.NewParams()}
	from.Params.Add("tag", l.localTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: l.remote, Params: sip.NewParams()})
	// Each fork is its own dialog with its own Call-ID: a phone registered
	// twice must not see one INVITE as a loop (482).
	cid := sip.CallIDHeader(randomHex(12) + "@" + s.host)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	maxf := sip.MaxForwardsHeader(l.maxForwards)
	req.AppendHeader(&maxf)
	req.AppendHeader(&sip.ContactHeader{Address: s.contactURI("minipbx", b.Transport)})
	req.AppendHeader(sip.NewHeader("Allow", allowHeader))
	req.AppendHeader(sip.NewHeader("User-Agent", userAgent))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	if oc.identity != nil {
		oc.identity(req)
	}
	if oc.autoAnswer {
		s.askAutoAnswer(req)
	}
	req.SetBody(offer)
	req.SetTransport(b.Transport)
	req.SetDestination(b.target())
	s.fromListener(req)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := s.cli.TransactionRequest(ctx, req, sipgo.ClientRequestAddVia)
	if err != nil {
		return nil, err
	}
	f := &fork{oc: oc, b: b, req: req, tx: tx, callID: string(cid)}
	// The fork's dialog is known from now on: a callee that answers and
	// hangs up at once may send its BYE before we have even read its 2xx
	// (RFC 3261 forbids it, phones do it), and that BYE must find the leg.
	s.bindDialog(l, f.callID, l.localTag)
	tx.OnRetransmission(f.ackRetransmissions())
	s.bg.Add(1)
	go f.run()
	return f, nil
}

// run follows one fork's responses until it is final.
func (f *fork) run() {
	l := f.oc.leg
	defer l.s.bg.Done()
	for {
		select {
		case res := <-f.tx.Responses():
			if f.challenged(res) {
				continue
			}
			if f.handle(res) {
				return
			}
		case <-f.tx.Done():
			l.mu.Lock()
			if !f.done {
				f.done, f.status = true, 408
				f.oc.checkAllDoneLocked()
			}
			l.mu.Unlock()
			return
		}
	}
}

// challenged answers a provider's digest challenge once with a new
// INVITE transaction (RFC 3261 §22.2); true when it did.
func (f *fork) challenged(res *sip.Response) bool {
	l := f.oc.leg
	if (res.StatusCode != 401 && res.StatusCode != 407) || f.oc.auth == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if f.authTried || f.done || l.state != stRinging || f.cancelWanted {
		return false
	}
	f.authTried = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := l.s.cli.TransactionDigestAuth(ctx, f.req, res, *f.oc.auth)
	if err != nil {
		l.s.log.Info("sip: digest answer failed", "leg", l.info.ID, "err", err)
		return false
	}
	f.tx = tx
	f.provisional = false
	tx.OnRetransmission(f.ackRetransmissions())
	return true
}

// handle processes one response; it returns true when the fork is over.
func (f *fork) handle(res *sip.Response) bool {
	l := f.oc.leg
	code := res.StatusCode
	l.s.log.Debug("sip: fork response", "leg", l.info.ID, "code", code)
	switch {
	case code < 200:
		l.mu.Lock()
		defer l.mu.Unlock()
		if code == 100 {
			f.provisional = true
		} else {
			f.provisional = true
			if tag, _ := res.To().Params.Get("tag"); tag != "" {
				f.toTag = tag
			}
			if l.state == stRinging && !l.progressed {
				l.progressed = true
				l.emitLocked(channel.EventProgress, 0)
			}
			if len(res.Body()) > 0 && l.state == stRinging && !l.early {
				f.earlyMediaLocked(res)
			}
		}
		if f.cancelWanted && !f.cancelSent {
			f.sendCancelLocked()
		}
		return false
	case code < 300:
		// Everything happens under l.mu, the dialog's state first and the
		// ACK last: a callee's BYE (which may follow the ACK at once) takes
		// l.mu too, so it always finds the leg answered and bound.
		l.mu.Lock()
		defer l.mu.Unlock()
		f.done, f.status = true, code
		if l.state != stRinging || f.oc.winner != nil {
			// Lost the race (or the caller gave up): hang this one up.
			f.sendAck(res)
			f.byeLocked(res)
			return true
		}
		if _, err := l.sess.AcceptAnswer(res.Body()); err != nil {
			l.s.log.Info("sip: unusable SDP answer", "leg", l.info.ID, "err", err)
			f.sendAck(res)
			f.byeLocked(res)
			f.status = 488
			f.oc.checkAllDoneLocked()
			return true
		}
		f.oc.winner = f
		f.setDialogLocked(res)
		if ap, err := netip.ParseAddrPort(f.b.Source); err == nil {
			l.sess.SetPeerIP(ap.Addr())
		}
		l.state, l.answered = stAnswered, time.Now()
		if f.oc.timer != nil {
			f.oc.timer.Stop()
		}
		l.s.bindDialog(l, l.callID, l.localTag)
		l.emitLocked(channel.EventAnswer, 0)
		for _, o := range f.oc.forks {
			if o != f && !o.done {
				o.elsewhere = true
				o.cancelLocked()
			}
		}
		f.sendAck(res)
		l.s.log.Info("sip: answered", "leg", l.info.ID, "contact", f.b.Contact, "codec", l.sess.Codec())
		if f.byeReceived {
			l.s.log.Info("sip: callee hung up as it answered", "leg", l.info.ID)
			l.endLocked(channel.CauseNormal)
		}
		return true
	default:
		l.mu.Lock()
		defer l.mu.Unlock()
		f.done, f.status = true, code
		if code >= 600 && l.state == stRinging && f.oc.winner == nil {
			// A global failure ends the whole search (RFC 3261 §16.7).
			for _, o := range f.oc.forks {
				if o != f && !o.done {
					o.cancelLocked()
				}
			}
			if f.oc.timer != nil {
				f.oc.timer.Stop()
			}
			l.endLocked(causeForStatus(code))
			return true
		}
		if code == 503 && f.oc.trunkFailoverLocked(f) {
			return true
		}
		f.oc.checkAllDoneLocked()
		return true
	}
}

// earlyMediaLocked takes the SDP of a reliable-enough 18x (RFC 3960's
// gateway model: the first fork to send one is heard; its 2xx, or another
// fork's, re-points the media at the answer) and tells the exchange the
// leg's media is live before the answer. An unusable SDP is ignored: the
// caller hears the box's ringback instead.
func (f *fork) earlyMediaLocked(res *sip.Response) {
	l := f.oc.leg
	if _, err := l.sess.AcceptAnswer(res.Body()); err != nil {
		l.s.log.Info("sip: unusable early-media SDP", "leg", l.info.ID, "err", err)
		return
	}
	if ap, err := netip.ParseAddrPort(f.b.Source); err == nil {
		l.sess.SetPeerIP(ap.Addr())
	}
	l.early = true
	l.s.log.Info("sip: early media", "leg", l.info.ID, "code", res.StatusCode)
	l.emitLocked(channel.EventEarlyMedia, 0)
}

// checkAllDoneLocked ends a ringing leg when every fork has failed.
func (oc *outCall) checkAllDoneLocked() {
	l := oc.leg
	if l.state != stRinging {
		return
	}
	best := channel.CauseFailure
	for _, f := range oc.forks {
		if !f.done {
			return
		}
		c := causeForStatus(f.status)
		if causeRank(c) > causeRank(best) {
			best = c
		}
	}
	if oc.timer != nil {
		oc.timer.Stop()
	}
	l.endLocked(best)
}

// causeForStatus maps a final response to a cause.
func causeForStatus(code int) channel.Cause {
	switch code {
	case 486, 600:
		return channel.CauseBusy
	case 404, 604, 484:
		return channel.CauseNotFound
	case 480:
		return channel.CauseUnavailable
	case 408:
		return channel.CauseNoAnswer
	case 603:
		return channel.CauseRejected
	case 403:
		return channel.CauseForbidden
	case 503:
		return channel.CauseCongestion
	case 487:
		return channel.CauseCancelled
	case 483:
		return channel.CauseLoop
	}
	return channel.CauseFailure
}

// causeRank orders causes when forks fail differently: busy tells the
// caller the most, a generic failure the least.
func causeRank(c channel.Cause) int {
	switch c {
	case channel.CauseLoop:
		return 9
	case channel.CauseBusy:
		return 8
	case channel.CauseRejected:
		return 7
	case channel.CauseNoAnswer:
		return 6
	case channel.CauseUnavailable:
		return 5
	case channel.CauseForbidden:
		return 4
	case channel.CauseNotFound:
		return 3
	case channel.CauseCongestion:
		return 2
	case channel.CauseCancelled:
		return 1
	}
	return 0
}

// cancelAllLocked stops every fork of a ringing call.
func (oc *outCall) cancelAllLocked() {
	if oc.timer != nil {
		oc.timer.Stop()
	}
	for _, f := range oc.forks {
		if !f.done {
			f.cancelLocked()
		}
	}
}

// cancelLocked CANCELs the fork now if a provisional response came, else
// as soon as one does (RFC 3261 §9.1).
func (f *fork) cancelLocked() {
	f.cancelWanted = true
	if f.provisional && !f.cancelSent {
		f.sendCancelLocked()
	}
}

func (f *fork) sendCancelLocked() {
	f.cancelSent = true
	// RFC 3261 §9.1: a callee that answers the CANCEL but never the INVITE
	// is given up on after 64*T1 (a proceeding INVITE has no Timer B).
	tx := f.tx
	time.AfterFunc(64*sip.T1, tx.Terminate)
	s := f.oc.leg.s
	inv := f.req
	c := sip.NewRequest(sip.CANCEL, inv.Recipient)
	c.SipVersion = inv.SipVersion
	if v := inv.Via(); v != nil {
		c.AppendHeader(v.Clone())
	}
	maxf := sip.MaxForwardsHeader(70)
	c.AppendHeader(&maxf)
	for _, name := range []string{"From", "To", "Call-ID"} {
		sip.CopyHeaders(name, inv, c)
	}
	c.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	if f.elsewhere {
		// RFC 3326: phones then do not list a missed call.
		c.AppendHeader(sip.NewHeader("Reason", `SIP;cause=200;text="Call completed elsewhere"`))
	}
	c.SetBody(nil)
	c.SetTransport(inv.Transport())
	c.SetDestination(inv.Destination())
	s.fromListener(c)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Headers are complete: no client options, so sipgo adds nothing.
		if _, err := s.do(ctx, c, func(*sipgo.Client, *sip.Request) error { return nil }); err != nil {
			s.log.Debug("sip: CANCEL", "err", err)
		}
	}()
}

// sendAck acknowledges a 2xx (RFC 3261 §13.2.2.4): a new transaction-less
// request to the remote target, same CSeq number.
func (f *fork) sendAck(res *sip.Response) {
	sendAck(f.oc.leg.s, f.req, f.b.target(), res)
}

// ackRetransmissions is the fork's transaction's handler of retransmitted
// responses: a retransmitted 2xx means our ACK was lost, so it ACKs again.
// sipgo keeps the handler as long as the transaction (32 s after the 2xx,
// RFC 6026), so it holds what an ACK needs and not the fork: the fork
// would keep its leg and the leg's RTP session, some 20 KB a call, for
// 32 s after every call.
func (f *fork) ackRetransmissions() func(*sip.Response) {
	s, req, dest := f.oc.leg.s, f.req, f.b.target()
	return func(res *sip.Response) {
		if res.IsSuccess() {
			sendAck(s, req, dest, res)
		}
	}
}

// sendAck ACKs res, a 2xx to the INVITE req sent to dest.
func sendAck(s *Server, req *sip.Request, dest string, res *sip.Response) {
	target := req.Recipient
	if c := res.Contact(); c != nil {
		target = c.Address
	}
	ack := sip.NewRequest(sip.ACK, target)
	ack.SipVersion = "SIP/2.0"
	routes := res.GetHeaders("Record-Route")
	for i := len(routes) - 1; i >= 0; i-- {
		if rr, ok := routes[i].(*sip.RecordRouteHeader); ok {
			ack.AppendHeader(&sip.RouteHeader{Address: rr.Address})
		}
	}
	maxf := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&maxf)
	sip.CopyHeaders("From", req, ack)
	sip.CopyHeaders("To", res, ack)
	sip.CopyHeaders("Call-ID", req, ack)
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: sip.ACK})
	ack.SetBody(nil)
	ack.SetTransport(req.Transport())
	ack.SetDestination(dest)
	s.fromListener(ack)
	if err := s.cli.WriteRequest(ack, sipgo.ClientRequestAddVia); err != nil {
		s.log.Debug("sip: ACK", "err", err)
	}
}

// setDialogLocked makes the winning fork the leg's dialog.
func (f *fork) setDialogLocked(res *sip.Response) {
	l := f.oc.leg
	l.callID = f.req.CallID().Value()
	l.remoteTag, _ = res.To().Params.Get("tag")
	l.remoteName = res.To().DisplayName
	l.remoteTarget = f.req.Recipient
	if c := res.Contact(); c != nil {
		l.remoteTarget = c.Address
	}
	l.routeSet = nil
	routes := res.GetHeaders("Record-Route")
	for i := len(routes) - 1; i >= 0; i-- {
		if rr, ok := routes[i].(*sip.RecordRouteHeader); ok {
			l.routeSet = append(l.routeSet, rr.Address)
		}
	}
	l.localSeq = f.req.CSeq().SeqNo
	l.dest = f.b.target()
	l.transport = f.req.Transport()
}

// byeLocked ends a fork that answered but lost: BYE on its own dialog.
func (f *fork) byeLocked(res *sip.Response) {
	l := f.oc.leg
	s := l.s
	target := f.req.Recipient
	if c := res.Contact(); c != nil {
		target = c.Address
	}
	bye := sip.NewRequest(sip.BYE, target)
	bye.SipVersion = "SIP/2.0"
	maxf := sip.MaxForwardsHeader(70)
	bye.AppendHeader(&maxf)
	sip.CopyHeaders("From", f.req, bye)
	sip.CopyHeaders("To", res, bye)
	sip.CopyHeaders("Call-ID", f.req, bye)
	bye.AppendHeader(&sip.CSeqHeader{SeqNo: f.req.CSeq().SeqNo + 1, MethodName: sip.BYE})
	bye.SetBody(nil)
	bye.SetTransport(f.req.Transport())
	bye.SetDestination(f.b.target())
	s.fromListener(bye)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.do(ctx, bye, sipgo.ClientRequestAddVia); err != nil {
			s.log.Debug("sip: BYE to losing fork", "err", err)
		}
	}()
}

// forkByCallID is the fork whose INVITE had callID; l.mu held.
func (oc *outCall) forkByCallID(callID string) *fork {
	for _, f := range oc.forks {
		if f.callID == callID {
			return f
		}
	}
	return nil
}

// onForkRequest handles a request on the dialog of a fork that is not
// the leg's dialog (yet): a BYE from a callee whose 2xx we have not
// handled, or from a fork that lost. The BYE is accepted (the callee's
// dialog ends either way); a fork not yet answered remembers it, so its
// 2xx, when handled, ends the leg instead of leaving it up.
func (l *leg) onForkRequest(f *fork, req *sip.Request, tx sip.ServerTransaction) {
	if !sameIP(req.Source(), f.b.target()) {
		l.s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if req.Method != sip.BYE {
		// Nothing else may come before the 2xx that confirms the dialog.
		l.s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	l.s.respond(tx, req, 200, "OK")
	l.mu.Lock()
	switch {
	case !f.done:
		f.byeReceived = true
	case f.oc.winner == f:
		// Its 2xx was handled meanwhile: the BYE ends the leg's dialog.
		l.endLocked(channel.CauseNormal)
	}
	l.mu.Unlock()
}

// outboundLeg makes the leg of an outbound call (to an extension, or
// through trunk t when t is not nil) with its media session and SDP offer:
// the codecs the request asks for, or our own when it asks for none we
// speak. On failure nothing is left behind (the trunk's place released).
func (s *Server) outboundLeg(req channel.Request, t *trunk, srtp media.SRTPMode) (*leg, []byte, error) {
	l := newLeg(s, false)
	l.trunk = t
	// RFC 3261 §16.6 step 3: the caller's Max-Forwards less one (Dial
	// refused a request with none left); our own calls start at 70.
	if req.Hops.Set {
		l.maxForwards = uint32(min(req.Hops.Left, 255))
	}
	if !s.addLeg(l) {
		if t != nil {
			t.release()
		}
		return nil, nil, &channel.DialError{Cause: channel.CauseCongestion, Err: errors.New("too many SIP calls")}
	}
	sess, err := s.newSession(func(dg byte) { l.emit(channel.EventDigit, dg) }, srtp)
	if err != nil {
		s.removeLeg(l)
		return nil, nil, &channel.DialError{Cause: channel.CauseCongestion, Err: err}
	}
	l.sess = sess
	var codecs []media.Codec
	for _, c := range req.Codecs {
		if c == media.PCMU || c == media.PCMA {
			codecs = append(codecs, c)
		}
	}
	offer, err := sess.Offer(codecs, media.SendRecv)
	if err != nil {
		// The requested codecs are not ours: offer our own instead.
		codecs = nil
		if offer, err = sess.Offer(nil, media.SendRecv); err != nil {
			s.removeLeg(l)
			sess.Close()
			return nil, nil, &channel.DialError{Cause: channel.CauseFailure, Err: err}
		}
	}
	l.offerCodecs = codecs
	return l, offer, nil
}
