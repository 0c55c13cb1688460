package sip

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Plug-and-play discovery: at boot, IP phones (Yealink, snom, Fanvil,
// Grandstream, …) SUBSCRIBE for "Event: ua-profile" (RFC 6080, the SIP
// configuration framework) by multicast to 224.0.1.75:5060, and take the
// URL in the body of the NOTIFY that answers as where to fetch their
// configuration. The server joins that group on the UDP socket when it
// listens on all IPv4 addresses (a socket bound to one address never
// sees a multicast datagram); phones that send the same SUBSCRIBE
// unicast to the box are served the same way.
//
// The SIP side holds no provisioning logic: it hands the SUBSCRIBE's
// facts (source, URI users, User-Agent, the Event's parameters) to
// Config.Profiles, which says which URL to send, if any. A phone it has
// no URL for gets no answer at all — the SUBSCRIBE went to every server
// on the link, and another may have one — and the phone carries on
// booting when its retransmissions end. An answered one gets 200 OK
// (Expires: 0: nothing is kept) and one NOTIFY, sent to the address the
// SUBSCRIBE came from (never to another host its Contact might name),
// with Subscription-State: terminated;reason=timeout and Content-Type:
// application/url. No authentication: the phone has no account yet.

// ProfileGroup is the multicast group phones send plug-and-play
// SUBSCRIBEs to (the IANA "SIP" group, 224.0.1.75).
var ProfileGroup = netip.MustParseAddr("224.0.1.75")

const (
	profileEvent       = "ua-profile"
	profileContentType = "application/url"
	// maxProfileParams bounds the Event parameters handed on.
	maxProfileParams = 16
)

// ProfileRequest is what a plug-and-play SUBSCRIBE says about the phone
// that sent it. Everything but Source is the phone's to write.
type ProfileRequest struct {
	Source netip.AddrPort
	// RequestUser, FromUser and ToUser are the user parts of its
	// Request-URI, From and To as written ("MAC%3A001565a1b2c3").
	RequestUser, FromUser, ToUser string
	UserAgent                     string
	// Params are the Event header's parameters, unquoted, names in lower
	// case: profile-type, vendor, model, version.
	Params map[string]string
}

// ProfileSource answers a plug-and-play SUBSCRIBE with the URL the phone
// is to fetch its configuration from; ok false sends nothing.
type ProfileSource func(ProfileRequest) (url string, ok bool)

// profiles is the multicast membership of the UDP socket.
type profiles struct {
	mu     sync.Mutex
	joined []string // interfaces whose membership is made
	err    string   // why discovery does not run, when it does not
}

// joinProfileGroup joins ProfileGroup on every interface up that can
// take multicast (and on loopback), where not joined yet; Listen calls
// it, and Run again every minute for interfaces that came up later.
func (s *Server) joinProfileGroup() {
	if s.cfg.Profiles == nil || s.udpConn == nil {
		return
	}
	s.pnp.mu.Lock()
	defer s.pnp.mu.Unlock()
	if !s.udpAddr.Addr().IsUnspecified() || !s.udpAddr.Addr().Is4() {
		s.pnp.err = "the SIP listener is bound to " + s.udpAddr.Addr().String() + ": plug-and-play needs it on all IPv4 addresses (-sip :5060)"
		return
	}
	if s.udpAddr.Port() != 5060 {
		s.pnp.err = "phones send plug-and-play SUBSCRIBEs to port 5060; the SIP listener is on " + strconv.Itoa(int(s.udpAddr.Port()))
	}
	ifs, err := net.Interfaces()
	if err != nil {
		s.log.Warn("sip: plug-and-play: interfaces unreadable", "err", err)
		return
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&(net.FlagMulticast|net.FlagLoopback) == 0 || slices.Contains(s.pnp.joined, ifi.Name) {
			continue
		}
		if err := joinGroup(s.udpConn, ifi.Index, ProfileGroup); err != nil {
			s.log.Debug("sip: plug-and-play: group not joined", "interface", ifi.Name, "err", err)
			continue
		}
		s.pnp.joined = append(s.pnp.joined, ifi.Name)
		s.log.Info("sip: plug-and-play: listening for phones' SUBSCRIBEs", "group", ProfileGroup, "interface", ifi.Name)
	}
}

// ProfileDiscovery says how plug-and-play discovery stands: the
// interfaces it listens on, or why it does not run.
func (s *Server) ProfileDiscovery() (interfaces []string, problem string) {
	s.pnp.mu.Lock()
	defer s.pnp.mu.Unlock()
	if s.cfg.Profiles == nil {
		return nil, "off"
	}
	return slices.Clone(s.pnp.joined), s.pnp.err
}

// onProfileSubscribe answers a plug-and-play SUBSCRIBE.
func (s *Server) onProfileSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return
	}
	r := ProfileRequest{Source: netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), RequestUser: req.Recipient.User,
		FromUser: req.From().Address.User, ToUser: req.To().Address.User}
	if h := req.GetHeader("User-Agent"); h != nil {
		r.UserAgent = h.Value()
	}
	ev := req.GetHeader("Event").Value()
	r.Params = eventParams(ev)
	url, ok := s.cfg.Profiles(r)
	if !ok || !accepts(req, profileContentType) {
		return // silence: see above
	}
	fromTag, _ := req.From().Params.Get("tag")
	if fromTag == "" {
		s.respond(tx, req, 400, "Bad Request (SUBSCRIBE needs a From tag)")
		return
	}
	tag := randomHex(6)
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if to := res.To(); to != nil {
		to.Params = to.Params.Clone()
		to.Params.Add("tag", tag)
	}
	transport := strings.ToUpper(req.Transport())
	res.AppendHeader(&sip.ContactHeader{Address: s.contactURI("", transport)})
	res.AppendHeader(sip.NewHeader("Expires", "0"))
	res.AppendHeader(sip.NewHeader("Server", userAgent))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: plug-and-play respond", "err", err)
		return
	}

	target, ok := subscriberContact(req)
	if !ok {
		target = sip.Uri{Scheme: "sip", Host: r.Source.Addr().String(), Port: int(r.Source.Port())}
	}
	n := sip.NewRequest(sip.NOTIFY, target)
	n.SipVersion = "SIP/2.0"
	maxf := sip.MaxForwardsHeader(70)
	n.AppendHeader(&maxf)
	from := &sip.FromHeader{Address: *req.To().Address.Clone(), Params: sip.NewParams()}
	from.Params.Add("tag", tag)
	n.AppendHeader(from)
	to := &sip.ToHeader{Address: *req.From().Address.Clone(), Params: sip.NewParams()}
	to.Params.Add("tag", fromTag)
	n.AppendHeader(to)
	cid := sip.CallIDHeader(req.CallID().Value())
	n.AppendHeader(&cid)
	n.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.NOTIFY})
	n.AppendHeader(&sip.ContactHeader{Address: s.contactURI("", transport)})
	n.AppendHeader(sip.NewHeader("Event", ev))
	n.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=timeout"))
	n.AppendHeader(sip.NewHeader("User-Agent", userAgent))
	n.AppendHeader(sip.NewHeader("Content-Type", profileContentType))
	n.SetBody([]byte(url))
	n.SetTransport(transport)
	n.SetDestination(r.Source.String())
	s.fromListener(n)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(s.pingCtx, notifyTimeout)
		defer cancel()
		res, err := s.do(ctx, n, sipgo.ClientRequestAddVia)
		if err != nil {
			s.log.Info("sip: plug-and-play NOTIFY not answered", "to", r.Source, "err", err)
			return
		}
		s.log.Debug("sip: plug-and-play NOTIFY answered", "to", r.Source, "code", res.StatusCode)
	}()
}

// eventParams reads an Event header's parameters (after the package
// name): name, name=value or name="quoted value", separated by ';'.
// Names come in lower case; an unterminated quote ends the list; at most
// maxProfileParams are kept, with bounded names and values.
func eventParams(v string) map[string]string {
	out := map[string]string{}
	add := func(name, value string) {
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "" && len(name) <= 32 && len(value) <= 128 && len(out) < maxProfileParams {
			out[name] = value
		}
	}
	_, s, ok := strings.Cut(v, ";")
	for ok && s != "" {
		j := strings.IndexAny(s, "=;")
		if j < 0 || s[j] == ';' {
			name, rest, more := strings.Cut(s, ";")
			add(name, "")
			s, ok = rest, more
			continue
		}
		name := s[:j]
		s = strings.TrimLeft(s[j+1:], " \t")
		var value string
		if strings.HasPrefix(s, `"`) {
			q := strings.IndexByte(s[1:], '"')
			if q < 0 {
				break
			}
			value = s[1 : 1+q]
			_, s, ok = strings.Cut(s[2+q:], ";")
		} else {
			value, s, ok = strings.Cut(s, ";")
			value = strings.TrimSpace(value)
		}
		add(name, value)
	}
	return out
}
