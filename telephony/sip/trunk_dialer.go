package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/media"
)

// TrunkTarget is the Dialer target that calls digits out through a trunk.
func TrunkTarget(trunk, digits string) string { return "trunk:" + trunk + ":" + digits }

// parseTrunkTarget splits "trunk:NAME:DIGITS".
func parseTrunkTarget(s string) (name, digits string, ok bool) {
	rest, ok := strings.CutPrefix(s, "trunk:")
	if !ok {
		return "", "", false
	}
	name, digits, ok = strings.Cut(rest, ":")
	if !ok || name == "" || !dialplan.IsDialString(strings.TrimPrefix(digits, "+")) {
		return "", "", false
	}
	return name, digits, true
}

// dialTrunk sends an INVITE for digits to a trunk's provider, answering
// its digest challenge with the trunk's credentials. It fails at once
// with CauseUnavailable when a register trunk is not registered and
// CauseCongestion at the trunk's MaxCalls, so the exchange tries the next
// carrier; a provider that does not answer within TrunkTimeout counts as
// unavailable too.
func (s *Server) dialTrunk(ctx context.Context, req channel.Request) (channel.Channel, error) {
	name, digits, ok := parseTrunkTarget(req.Target)
	if !ok {
		return nil, &channel.DialError{Cause: channel.CauseNotFound, Err: fmt.Errorf("bad trunk target %q", req.Target)}
	}
	t := s.trunk(name)
	if t == nil {
		return nil, &channel.DialError{Cause: channel.CauseNotFound, Err: fmt.Errorf("no trunk %q", name)}
	}
	if st := t.status(); t.cfg.Register && st.State != TrunkRegistered {
		return nil, &channel.DialError{Cause: channel.CauseUnavailable, Err: fmt.Errorf("trunk %s is %s %s", name, st.State, st.Reason)}
	}
	if !t.acquire() {
		return nil, &channel.DialError{Cause: channel.CauseCongestion, Err: fmt.Errorf("trunk %s is at its %d calls", name, t.cfg.MaxCalls)}
	}
	l, offer, err := s.outboundLeg(req, t, media.NoSRTP)
	if err != nil {
		return nil, err
	}
	host, port, _ := splitTrunkHost(t.cfg.Host)
	l.info.Endpoint = "trunk:" + name
	l.info.Caller = req.Caller
	l.info.Dialled = digits
	// What the provider is shown (identity.go): From, and the identity
	// and diversion headers the trunk's provider reads.
	pr := trunkPresentation(t.cfg, host, req.Caller, req.Diversions)
	l.local, l.localName = pr.from, pr.fromName
	l.remote = sip.Uri{Scheme: "sip", User: digits, Host: host}
	oc := &outCall{leg: l, auth: &sipgo.DigestAuth{Username: t.cfg.AuthUser, Password: t.cfg.Password}}
	oc.identity = func(inv *sip.Request) { pr.addTo(inv, req.Diversions) }
	l.out = oc
	targets, err := t.resolve(ctx)
	if err != nil {
		l.mu.Lock()
		l.endLocked(channel.CauseUnavailable)
		l.mu.Unlock()
		return nil, &channel.DialError{Cause: channel.CauseUnavailable, Err: fmt.Errorf("trunk %s: %w", name, err)}
	}
	ruri := sip.Uri{Scheme: "sip", User: digits, Host: host, Port: port}
	for _, tg := range targets {
		oc.trunkNext = append(oc.trunkNext, Binding{
			Extension: "trunk:" + name,
			Contact:   ruri.String(),
			Source:    tg.String(),
			Transport: t.cfg.Transport,
		})
	}
	l.mu.Lock()
	if err := oc.nextTrunkForkLocked(offer); err != nil {
		l.endLocked(channel.CauseUnavailable)
		l.mu.Unlock()
		return nil, &channel.DialError{Cause: channel.CauseUnavailable, Err: fmt.Errorf("trunk %s: %w", name, err)}
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
	s.log.Info("sip: outgoing trunk call", "leg", l.info.ID, "trunk", name, "to", digits)
	return l, nil
}

// nextTrunkForkLocked sends the INVITE to the provider's next target
// (RFC 3263 §4.3: in the order DNS gave them). A target that does not
// even say Trying within TrunkTimeout, or answers 503, is given up for
// the next; with none left the call fails as unavailable (or with the
// provider's cause). l.mu held.
func (oc *outCall) nextTrunkForkLocked(offer []byte) error {
	l := oc.leg
	s := l.s
	var lastErr error
	for len(oc.trunkNext) > 0 {
		b := oc.trunkNext[0]
		oc.trunkNext = oc.trunkNext[1:]
		f, err := oc.startFork(b, offer)
		if err != nil {
			s.log.Info("sip: trunk target unreachable", "leg", l.info.ID, "target", b.Source, "err", err)
			lastErr = err
			continue
		}
		oc.forks = append(oc.forks, f)
		time.AfterFunc(s.cfg.TrunkTimeout, func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if f.provisional || f.done {
				return
			}
			f.done, f.status = true, 480
			go f.tx.Terminate()
			if !oc.trunkFailoverLocked(f) {
				oc.checkAllDoneLocked()
			}
		})
		return nil
	}
	if lastErr == nil {
		lastErr = errors.New("no target left")
	}
	return lastErr
}

// trunkFailoverLocked tries the provider's next target after fork f
// failed (no response, or 503); false when there is none or the call is
// decided. l.mu held.
func (oc *outCall) trunkFailoverLocked(f *fork) bool {
	l := oc.leg
	if l.state != stRinging || oc.winner != nil || len(oc.trunkNext) == 0 {
		return false
	}
	l.s.log.Info("sip: trunk target failed, trying the next", "leg", l.info.ID, "target", f.b.Source, "status", f.status)
	return oc.nextTrunkForkLocked(f.req.Body()) == nil
}
