package sip

import (
	"errors"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The server's side of authentication and bans: which requests are
// refused before anything else, digest authentication with the ban
// policy's counting (ban.go), and the counters kept across a restart
// (ban_saved.go).

// readFilter drops traffic from an address banned as a scanner before
// parsing, when the policy is silent and no phone ever authenticated from
// it (then requests are parsed, so that its phones are still served);
// then UDP datagrams go through the pre-parse checks (preparse.go).
func (s *Server) readFilter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if ip := addrIP(p.RemoteAddr); s.bans.dropEarly(ip) {
		if p.Transport != "UDP" {
			return nil, errors.New("banned source")
		}
		return nil, nil
	}
	return s.preparse(p, data), nil
}

// banned refuses a request whose user is banned at its source address, or
// from an address banned as a scanner unless its user authenticated from
// there before: silently, or with 403 under the Reply403 policy.
func (s *Server) banned(req *sip.Request, tx sip.ServerTransaction) bool {
	if !s.bans.refused(sourceIP(req), claimedUser(req)) {
		return false
	}
	if s.bans.p.Reply403 && !req.IsAck() {
		s.respond(tx, req, 403, "Forbidden")
	}
	return true
}

// claimedUser is the user a request authenticates as (the user name of
// its digest credentials for our realm), else the one its From header
// names: for phones their extension either way.
func claimedUser(req *sip.Request) string {
	for _, name := range []string{"Authorization", "Proxy-Authorization"} {
		for _, h := range req.GetHeaders(name) {
			if p, err := parseDigest(h.Value()); err == nil && p["username"] != "" {
				return p["username"]
			}
		}
	}
	if f := req.From(); f != nil {
		return f.Address.User
	}
	return ""
}

// authenticate checks the digest credentials of req (proxy: INVITE's
// Proxy-Authorization, else Authorization). On success it returns the
// extension; otherwise it has answered with a challenge.
//
// A failure counts against the ban policy per address and user, and
// against the account; credentials on a nonce we did not give this
// address (or unreadable ones) prove nothing and just get a challenge.
// While an account is locked its credentials are refused, exactly like
// a wrong password, except from addresses it authenticated from before.
func (s *Server) authenticate(req *sip.Request, tx sip.ServerTransaction, proxy bool) (user, name string, ok bool) {
	reqHdr, chalHdr, code, reason := "Authorization", "WWW-Authenticate", 401, "Unauthorized"
	if proxy {
		reqHdr, chalHdr, code, reason = "Proxy-Authorization", "Proxy-Authenticate", 407, "Proxy Authentication Required"
	}
	ip := sourceIP(req)
	challenge := func(stale bool) {
		if !s.bans.allowChallenge(ip) {
			s.log.Debug("sip: challenge rate exceeded, dropped", "ip", ip, "method", req.Method)
			return
		}
		s.respond(tx, req, code, reason, sip.NewHeader(chalHdr, s.auth.challenge(ip, stale)))
	}
	var creds digestParams
	for _, h := range req.GetHeaders(reqHdr) {
		if p, err := parseDigest(h.Value()); err == nil && p["realm"] == s.cfg.Realm {
			creds = p
			break
		}
	}
	if creds == nil {
		challenge(false)
		return "", "", false
	}
	user = creds["username"]
	var secret string
	var known bool
	if len(user) <= maxUserKeyBytes { // spare the store odd keys
		secret, name, known = s.cfg.Credentials.Lookup(user)
	}
	res := s.auth.verify(ip, string(req.Method), creds, secret, known)
	if (res == authOK || res == authStale) && s.bans.locked(ip, user) {
		s.log.Warn("sip: authentication refused: account locked", "user", user, "ip", ip, "method", req.Method)
		res = authFail
	}
	switch res {
	case authOK:
		s.bans.succeed(ip, user)
		s.proveConn(req)
		return user, name, true
	case authStale:
		challenge(true)
		return "", "", false
	case authBad:
		challenge(false)
		return "", "", false
	}
	out := s.bans.fail(ip, user, known)
	switch {
	case out.addr:
		s.log.Warn("sip: address banned: failures for many user names (scanning)", "ip", ip, "for", s.bans.p.Duration)
	case out.pair:
		s.log.Warn("sip: user banned at an address after repeated authentication failures", "user", user, "ip", ip, "for", s.bans.p.Duration)
	default:
		s.log.Info("sip: authentication failed", "user", user, "ip", ip, "method", req.Method)
	}
	if a := out.account; a != nil {
		s.log.Warn("sip: SECURITY ALARM: account locked after repeated authentication failures (password guessing?)",
			"user", a.User, "failures", a.Failures, "within", s.bans.p.AccountWindow, "until", a.Until, "from", a.Addresses)
		s.alarmsChanged()
	}
	// Unknown user and wrong password: the very same fresh challenge.
	challenge(false)
	return "", "", false
}

// SecurityAlarms lists the accounts locked now after repeated
// authentication failures.
func (s *Server) SecurityAlarms() []SecurityAlarm { return s.bans.alarms() }

func (s *Server) alarmsChanged() {
	if f := s.cfg.OnSecurityAlarms; f != nil {
		f(s.bans.alarms())
	}
}

// restoreBans reinstates the saved ban counters at start; anything
// unreadable is skipped with a warning (it never stops the box).
func (s *Server) restoreBans() {
	st := s.cfg.Bans
	if st == nil {
		return
	}
	data, err := st.LoadBans()
	if err == nil && len(data) > 0 {
		err = s.bans.restore(data, func(user string) bool {
			_, _, ok := s.cfg.Credentials.Lookup(user)
			return ok
		})
	}
	if err != nil {
		s.log.Warn("sip: saved authentication-failure counters cannot be read; starting afresh", "err", err)
		s.bans.markDirty()
		return
	}
	if a := s.bans.alarms(); len(a) > 0 {
		s.log.Warn("sip: accounts still locked after repeated authentication failures", "accounts", len(a))
		s.alarmsChanged()
	}
}

// bansSaveEvery spaces the saves of the ban counters: an attack changes
// them every second, and the flash should not be written that often. A
// power cut loses at most this much of them.
const bansSaveEvery = 10 * time.Second

// saveBans writes the ban counters when they changed, at most every
// bansSaveEvery (Run's tick; at shutdown, now); a failed save is retried
// at the next.
func (s *Server) saveBans(now bool) {
	st := s.cfg.Bans
	if st == nil || (!now && s.now().Sub(s.bansSaved) < bansSaveEvery) {
		return
	}
	s.bansSaved = s.now()
	data := s.bans.marshal()
	if data == nil {
		return
	}
	if err := st.SaveBans(data); err != nil {
		s.bans.markDirty()
		s.log.Debug("sip: authentication-failure counters not saved", "err", err)
	}
}

// sourceIP is the address a request came from.
func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
