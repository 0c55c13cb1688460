package sip

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// Credentials looks up an extension's SIP secret. The exchange backs it
// with the store, so a changed secret applies to the next request.
type Credentials interface {
	// Lookup returns the secret and display name of user (the extension
	// number); ok is false when there is no such extension.
	Lookup(user string) (secret, displayName string, ok bool)
}

// CredentialsFunc adapts a function to Credentials.
type CredentialsFunc func(user string) (secret, displayName string, ok bool)

// Lookup calls f.
func (f CredentialsFunc) Lookup(user string) (string, string, bool) { return f(user) }

// Config configures a Server.
type Config struct {
	// Addr is the UDP and TCP listen address, e.g. "0.0.0.0:5060". Port 0
	// picks a free port (see Server.Addr).
	Addr string
	// TLSAddr, when set, is where phones reach the box over SIP-over-TLS,
	// e.g. "0.0.0.0:5061" (encryption.go); TLS is its server
	// configuration (the box's certificate). Required with TLSAddr.
	TLSAddr string
	TLS     *tls.Config
	// RequireEncryption, when set, tells which extensions must use TLS
	// and SRTP (store.Extension.RequireEncryption).
	RequireEncryption func(ext string) bool
	// Host is the address written into Contact, Via and SDP; default: the
	// IP of Addr, or the machine's primary address when Addr is unspecified.
	Host string
	// Realm of the digest challenges; default "minipbx".
	Realm string
	// Credentials checks extensions and their secrets. Required.
	Credentials Credentials
	// OnCall is called in its own goroutine for each authenticated inbound
	// INVITE. The channel is ringing; the callee must Answer or Hangup it.
	OnCall func(channel.Channel)
	// Lamps, when set, answers what a number's busy lamp shows: the
	// server then serves the dialog event package (dialog_event.go) and
	// the exchange tells it each change with SetLamp.
	Lamps LampSource
	// Profiles, when set, answers phones' plug-and-play SUBSCRIBEs
	// (Event: ua-profile, by multicast to 224.0.1.75:5060 or unicast)
	// with the URL of their configuration (profile.go).
	Profiles ProfileSource
	// Domains are names phones use for the box besides its address and
	// the realm ("pbx.example.com"): a REFER may transfer to them, to no
	// other domain (refer.go).
	Domains []string
	// OnRegistrationChange, when set, is called after a binding is added,
	// refreshed (registered true) or removed/expired (false).
	OnRegistrationChange func(b Binding, registered bool)
	// Bindings, when set, keeps the registrations across a restart: Run
	// restores them and saves them (within a second of a change, and when
	// it ends).
	Bindings BindingStore

	// RTPBindIP is the address RTP sockets bind; default: Host.
	RTPBindIP string
	// RTPPortMin..RTPPortMax is the RTP port range (0, 0: ephemeral).
	RTPPortMin, RTPPortMax int
	// Codecs we accept and offer, in preference order (default PCMU, PCMA).
	Codecs []media.Codec

	// MaxCalls limits concurrent SIP call legs; an INVITE beyond it gets 503
	// with Retry-After, a Dial fails with CauseCongestion. 0: 200.
	MaxCalls int
	// RTPTimeout ends an answered call whose peer has sent no RTP or RTCP
	// for this long while its SDP says it sends (a call on hold may be
	// silent): a phone that lost power or its network never sends BYE,
	// and without it the call, its legs and its ports would stay for
	// ever. Default 60 s; negative: never.
	RTPTimeout time.Duration
	// Registration expiry bounds (RFC 3261 §10.3): a request for less than
	// MinExpires gets 423; more than MaxExpires is clamped. Defaults 60 s,
	// 3600 s, and 600 s when the phone names none.
	MinExpires, MaxExpires, DefaultExpires time.Duration
	// MaxBindingsPerExtension bounds registrations per extension (default 10).
	MaxBindingsPerExtension int
	// NonceTTL is how long a digest nonce stays fresh (default 5 minutes).
	NonceTTL time.Duration
	// QualifyInterval is how often each registered contact gets an OPTIONS
	// (reachability, and a NAT keep-alive); default 30 s, negative: never.
	QualifyInterval time.Duration
	// Ban is the policy for repeated authentication failures.
	Ban BanPolicy
	// Bans, when set, keeps the ban policy's counters across a restart.
	Bans BanStore
	// OnSecurityAlarms, when set, is called with the current alarms
	// (accounts locked after password guessing) whenever they change.
	OnSecurityAlarms func([]SecurityAlarm)
	// Conns limits the TCP and TLS connections phones open (conns.go).
	Conns ConnLimits

	// Trunks are the SIP trunks to providers (SetTrunks changes them).
	Trunks []TrunkConfig
	// TrunkRetryMin and TrunkRetryMax bound the exponential back-off of
	// failed trunk registrations (defaults 5 s and 5 min); TrunkTimeout
	// bounds one REGISTER exchange and how long an outbound trunk INVITE
	// waits for the provider's first response (default 5 s).
	TrunkRetryMin, TrunkRetryMax, TrunkTimeout time.Duration
	// OnTrunkChange, when set, is called when a trunk's state changes.
	OnTrunkChange func(TrunkStatus)
	// Resolver locates trunk providers by name (SRV, A/AAAA); default
	// net.DefaultResolver.
	Resolver *net.Resolver

	Logger *slog.Logger
}

// Server is the SIP registrar and B2BUA.
type Server struct {
	cfg   Config
	log   *slog.Logger
	host  string
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	cli   *sipgo.Client
	auth  *authenticator
	bans  *banList
	conns *connTracker // accepted TCP/TLS connections (conns.go)
	reg   *registrar
	mwi   *mwi // message-waiting state and subscriptions (mwi.go)
	ports *media.PortRange
	rtpIP netip.Addr
	now   func() time.Time

	ready    chan struct{}
	udpAddr  netip.AddrPort
	tcpAddr  netip.AddrPort
	udpConn  *net.UDPConn
	tcpLn    *net.TCPListener
	tcpServe *limitListener // tcpLn as sipgo accepts from it
	tlsLn    *net.TCPListener
	tlsAddr  netip.AddrPort
	tlsServe *limitListener

	mu      sync.Mutex
	legs    map[string]*leg // dialog key → leg
	all     map[*leg]struct{}
	closing bool
	bg      sync.WaitGroup // background transactions (BYE, CANCEL, forks)
	// pingCtx ends the qualify pings at shutdown (they need no goodbye).
	pingCtx   context.Context
	stopPings context.CancelFunc

	trunks map[string]*trunk // guarded by mu
	runCtx context.Context   // while Run runs: the trunks' lifetime
	// probes are the test registrations in flight (trunk_probe.go),
	// whose TLS certificates are checked like the trunks'; guarded by mu.
	probes map[*trunk]struct{}
	// bansSaved is when the ban counters were last saved (Run's own).
	bansSaved time.Time

	// dialogs are the busy lamps and their subscriptions (dialog_event.go).
	dialogs *dialogEvents
	// pnp is the plug-and-play multicast membership (profile.go).
	pnp profiles
}

const (
	userAgent   = "minipbx"
	allowHeader = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REGISTER, SUBSCRIBE, REFER"
	// supportedHeader: INVITE and REFER with Replaces (RFC 3891), REFER
	// without a subscription (RFC 4488).
	supportedHeader = "replaces, norefersub"
)

// New checks the configuration and builds a Server; Run starts it.
func New(c Config) (*Server, error) {
	if c.Credentials == nil {
		return nil, errors.New("sip: Config.Credentials is required")
	}
	if c.Addr == "" {
		c.Addr = "0.0.0.0:5060"
	}
	if c.Realm == "" {
		c.Realm = "minipbx"
	}
	if strings.ContainsAny(c.Realm, "\"\\\r\n") {
		return nil, fmt.Errorf("sip: realm %q has characters a challenge cannot carry", c.Realm)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.TLSAddr != "" && (c.TLS == nil || (len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil)) {
		return nil, errors.New("sip: Config.TLSAddr needs Config.TLS with a certificate")
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 200
	}
	if c.MinExpires <= 0 {
		c.MinExpires = 60 * time.Second
	}
	if c.MaxExpires <= 0 {
		c.MaxExpires = time.Hour
	}
	if c.DefaultExpires <= 0 {
		c.DefaultExpires = 600 * time.Second
	}
	if c.MaxExpires < c.MinExpires {
		return nil, fmt.Errorf("sip: MaxExpires %v is below MinExpires %v", c.MaxExpires, c.MinExpires)
	}
	c.DefaultExpires = min(max(c.DefaultExpires, c.MinExpires), c.MaxExpires)
	if c.MaxBindingsPerExtension <= 0 {
		c.MaxBindingsPerExtension = 10
	}
	if c.RTPTimeout == 0 {
		c.RTPTimeout = 60 * time.Second
	}
	if c.NonceTTL <= 0 {
		c.NonceTTL = 5 * time.Minute
	}
	if c.QualifyInterval == 0 {
		c.QualifyInterval = 30 * time.Second
	}
	if c.TrunkRetryMin <= 0 {
		c.TrunkRetryMin = 5 * time.Second
	}
	if c.TrunkRetryMax < c.TrunkRetryMin {
		c.TrunkRetryMax = max(5*time.Minute, c.TrunkRetryMin)
	}
	if c.TrunkTimeout <= 0 {
		c.TrunkTimeout = 5 * time.Second
	}
	if len(c.Codecs) == 0 {
		c.Codecs = []media.Codec{media.PCMU, media.PCMA}
	}
	for _, x := range c.Codecs {
		if x != media.PCMU && x != media.PCMA {
			return nil, fmt.Errorf("sip: codec %s is not supported", x)
		}
	}
	ap, err := netip.ParseAddrPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("sip: listen address %q: %w", c.Addr, err)
	}
	host := c.Host
	if host == "" {
		if ap.Addr().IsUnspecified() {
			host = primaryIP().String()
		} else {
			host = ap.Addr().String()
		}
	}
	hostIP, err := netip.ParseAddr(host)
	if err != nil {
		return nil, fmt.Errorf("sip: Host %q must be an IP address: %w", host, err)
	}
	rtpIP := hostIP
	if c.RTPBindIP != "" {
		if rtpIP, err = netip.ParseAddr(c.RTPBindIP); err != nil {
			return nil, fmt.Errorf("sip: RTPBindIP %q: %w", c.RTPBindIP, err)
		}
	}
	ports, err := media.NewPortRange(c.RTPPortMin, c.RTPPortMax)
	if err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	s := &Server{
		cfg:   c,
		log:   c.Logger,
		host:  hostIP.String(),
		ports: ports,
		rtpIP: rtpIP,
		now:   time.Now,
		ready: make(chan struct{}),
		legs:  map[string]*leg{},
		all:   map[*leg]struct{}{},
	}
	s.pingCtx, s.stopPings = context.WithCancel(context.Background())
	s.auth = newAuthenticator(c.Realm, c.NonceTTL, s.now)
	s.bans = newBanList(c.Ban, s.now)
	s.conns = newConnTracker(c.Conns, c.MaxExpires+time.Minute, c.Logger, s.now)
	s.reg = newRegistrar(s)
	s.mwi = newMWI(s)
	s.dialogs = newDialogEvents(s)

	sipLog := slog.New(quietHandler{c.Logger.Handler()}).With("component", "sipgo")
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(userAgent),
		sipgo.WithUserAgentHostname(s.host),
		sipgo.WithUserAgenTLSConfig(s.trunkTLSConfig()),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(sipLog),
			sip.WithTransportLayerReadFilter(s.readFilter)),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
	)
	if err != nil {
		return nil, fmt.Errorf("sip: user agent: %w", err)
	}
	s.ua = ua
	if s.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog)); err != nil {
		return nil, fmt.Errorf("sip: server: %w", err)
	}
	if s.cli, err = sipgo.NewClient(ua, sipgo.WithClientHostname(s.host), sipgo.WithClientLogger(sipLog)); err != nil {
		return nil, fmt.Errorf("sip: client: %w", err)
	}
	s.srv.OnRegister(s.onRegister)
	s.srv.OnInvite(s.onInvite)
	s.srv.OnAck(s.onAck)
	s.srv.OnBye(s.onInDialog)
	s.srv.OnInfo(s.onInDialog)
	s.srv.OnRefer(s.onInDialog)
	s.srv.OnCancel(s.onCancel)
	s.srv.OnOptions(s.onOptions)
	s.srv.OnSubscribe(s.onSubscribe)
	s.srv.OnNoRoute(s.onUnknown)
	if err := s.SetTrunks(c.Trunks); err != nil {
		return nil, err
	}
	return s, nil
}

// primaryIP is the address the machine would use to reach the outside
// world (a UDP "connect" sends nothing), or loopback.
func primaryIP() netip.Addr {
	c, err := net.Dial("udp4", "192.0.2.1:9")
	if err == nil {
		defer c.Close()
		if a, ok := c.LocalAddr().(*net.UDPAddr); ok {
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				return ip.Unmap()
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1")
}

// Listen binds the UDP and TCP sockets (on the same port) without serving
// them yet; Run calls it when needed. Tests call it first to learn a
// port-0 address.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.udpConn != nil {
		return nil
	}
	ap, _ := netip.ParseAddrPort(s.cfg.Addr)
	udpNet, tcpNet := "udp", "tcp"
	if ap.Addr().Is4() {
		// Keep an IPv4 listener IPv4: sipgo finds its socket by local address.
		udpNet, tcpNet = "udp4", "tcp4"
	}
	var lastErr error
	for range 20 {
		uc, err := net.ListenUDP(udpNet, net.UDPAddrFromAddrPort(ap))
		if err != nil {
			return fmt.Errorf("sip: listen udp %s: %w", ap, err)
		}
		ua := uc.LocalAddr().(*net.UDPAddr).AddrPort()
		tl, err := net.ListenTCP(tcpNet, net.TCPAddrFromAddrPort(netip.AddrPortFrom(ap.Addr(), ua.Port())))
		if err != nil {
			uc.Close()
			lastErr = err
			if ap.Port() != 0 {
				break
			}
			continue // port 0: the TCP twin was taken, try another port
		}
		if err := s.listenTLS(ap.Addr()); err != nil {
			uc.Close()
			tl.Close()
			return err
		}
		s.udpConn, s.tcpLn = uc, tl
		s.udpAddr = netip.AddrPortFrom(ua.Addr().Unmap(), ua.Port())
		s.tcpAddr = tl.Addr().(*net.TCPAddr).AddrPort()
		s.joinProfileGroup()
		return nil
	}
	return fmt.Errorf("sip: listen tcp %s: %w", ap, lastErr)
}

// Addr is the bound UDP (and TCP) address after Listen.
func (s *Server) Addr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.udpAddr
}

// Host is the address the server writes into Contact, Via and SDP: the
// one phones reach it at.
func (s *Server) Host() string { return s.host }

// Ready is closed once Run serves both transports.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run serves SIP until ctx ends; then it ends every call (BYE, CANCEL or
// a final response), waits briefly for those transactions, and closes the
// sockets.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	errc := make(chan error, 3)
	s.tcpServe = s.conns.listener(s.tcpLn, "TCP")
	go func() { errc <- s.srv.ServeUDP(s.udpConn) }()
	go func() { errc <- s.srv.ServeTCP(s.tcpServe) }()
	s.serveTLS(errc)
	s.log.Info("sip: listening", "udp", s.udpAddr, "tcp", s.tcpAddr, "host", s.host)
	s.awaitListeners()
	s.reg.restore()
	s.restoreBans()
	close(s.ready)
	s.startTrunks(ctx)

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var err error
	var ticks int
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			if ticks++; ticks%60 == 0 {
				s.joinProfileGroup() // interfaces that came up since
			}
			s.reg.expire()
			s.mwi.expire()
			s.dialogs.expire()
			if s.cfg.QualifyInterval > 0 {
				s.reg.qualify(s.cfg.QualifyInterval)
			}
			s.auth.sweep()
			if s.bans.sweep() {
				s.alarmsChanged()
			}
			s.conns.sweep()
			s.endSilentLegs()
			s.reg.save()
			s.saveBans(false)
		case e := <-errc:
			if e != nil {
				err = fmt.Errorf("sip: serve: %w", e)
				break loop
			}
		}
	}
	s.shutdown()
	s.reg.save()
	s.saveBans(true)
	s.stopTrunks()
	s.udpConn.Close()
	s.tcpServe.Close()
	if s.tlsServe != nil {
		s.tlsServe.Close()
	}
	s.conns.closeAll(time.Second)
	s.ua.Close()
	return err
}

// awaitListeners waits (at most a second) until sipgo has taken up the
// UDP and TCP listeners, which ServeUDP and ServeTCP do asynchronously:
// a request sent from the listener's address before then finds no
// connection to send from. Restored registrations and trunks send at once.
func (s *Server) awaitListeners() {
	tl := s.ua.TransportLayer()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if len(tl.ListenPorts("udp")) > 0 && len(tl.ListenPorts("tcp")) > 0 && (s.tlsLn == nil || len(tl.ListenPorts("tls")) > 0) {
			return
		}
	}
	s.log.Warn("sip: listeners not up after a second; carrying on")
}

// shutdown ends all calls and waits (bounded) for their BYE/CANCEL
// transactions.
func (s *Server) shutdown() {
	s.stopPings()
	s.mu.Lock()
	s.closing = true // no new leg from now on
	s.mu.Unlock()
	for _, l := range s.legList() {
		_ = l.Hangup(channel.CauseCongestion)
	}
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		s.log.Warn("sip: shutdown: some transactions did not finish")
	}
}

// Registrations lists the current bindings, sorted by extension.
func (s *Server) Registrations() []Binding { return s.reg.list() }

// Dialer returns the SIP dialer; Target is an extension number.
func (s *Server) Dialer() channel.Dialer { return dialer{s} }

// proveConn marks the TCP or TLS connection req came on as one that sent
// a valid request (conns.go): it is no longer closed when idle or evicted
// when the connection limits are reached.
func (s *Server) proveConn(req *sip.Request) {
	if t := req.Transport(); strings.EqualFold(t, "TCP") || strings.EqualFold(t, "TLS") {
		s.conns.prove(req.Source())
	}
}

func addrIP(a net.Addr) netip.Addr {
	switch v := a.(type) {
	case *net.UDPAddr:
		return v.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return v.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// respond sends a response to req, logging failures.
func (s *Server) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(sip.NewHeader("Server", userAgent))
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: respond", "code", code, "err", err)
	}
}

// checkBasics rejects requests without the headers every handler needs.
func (s *Server) checkBasics(req *sip.Request, tx sip.ServerTransaction) bool {
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil || req.Via() == nil {
		if !req.IsAck() {
			s.respond(tx, req, 400, "Bad Request (missing From, To, Call-ID or CSeq)")
		}
		return false
	}
	if req.CSeq().MethodName != req.Method {
		if !req.IsAck() {
			s.respond(tx, req, 400, "Bad Request (CSeq method mismatch)")
		}
		return false
	}
	if r := checkRequest(req); r != nil { // validate.go
		if !req.IsAck() {
			s.refuse(tx, req, r)
		}
		return false
	}
	return true
}

func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	if s.banned(req, tx) || !s.checkBasics(req, tx) {
		return
	}
	s.respond(tx, req, 200, "OK",
		sip.NewHeader("Allow", allowHeader),
		sip.NewHeader("Allow-Events", s.allowEvents()), // RFC 6665: the event packages we serve
		sip.NewHeader("Accept", "application/sdp"),
		sip.NewHeader("Supported", supportedHeader))
}

func (s *Server) onUnknown(req *sip.Request, tx sip.ServerTransaction) {
	if req.IsAck() || s.banned(req, tx) {
		return
	}
	s.respond(tx, req, 501, "Not Implemented", sip.NewHeader("Allow", allowHeader))
}

func (s *Server) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	// sipgo answers CANCELs that match a pending INVITE; this one does not.
	if s.banned(req, tx) || !s.checkBasics(req, tx) {
		return
	}
	s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

// onAck routes an ACK for a 2xx to its dialog.
func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if req.CallID() == nil || req.To() == nil || req.CSeq() == nil {
		return
	}
	tag, _ := req.To().Params.Get("tag")
	if l := s.findLeg(req.CallID().Value(), tag); l != nil {
		l.onAck(req)
	}
}

// onInDialog handles BYE, INFO and REFER (and re-INVITE via onInvite).
func (s *Server) onInDialog(req *sip.Request, tx sip.ServerTransaction) {
	if s.banned(req, tx) || !s.checkBasics(req, tx) {
		return
	}
	tag, _ := req.To().Params.Get("tag")
	l := s.findLeg(req.CallID().Value(), tag)
	if l == nil || tag == "" {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	l.onRequest(req, tx)
}

func dialogKey(callID, localTag string) string { return callID + "\x00" + localTag }

func (s *Server) findLeg(callID, localTag string) *leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.legs[dialogKey(callID, localTag)]
}

// addLeg counts a new leg against MaxCalls; false when full or closing.
func (s *Server) addLeg(l *leg) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || len(s.all) >= s.cfg.MaxCalls {
		return false
	}
	s.all[l] = struct{}{}
	return true
}

func (s *Server) bindDialog(l *leg, callID, localTag string) {
	s.mu.Lock()
	s.legs[dialogKey(callID, localTag)] = l
	s.mu.Unlock()
}

func (s *Server) removeLeg(l *leg) {
	s.mu.Lock()
	if t := l.trunk; t != nil {
		l.trunk = nil
		t.release()
	}
	delete(s.all, l)
	for k, v := range s.legs {
		if v == l {
			delete(s.legs, k)
		}
	}
	s.mu.Unlock()
}

// endSilentLegs ends the answered legs whose peer has been silent for
// longer than RTPTimeout (Run's tick).
func (s *Server) endSilentLegs() {
	if s.cfg.RTPTimeout < 0 {
		return
	}
	now := time.Now() // the media session's clock
	for _, l := range s.legList() {
		l.endIfSilent(now, s.cfg.RTPTimeout)
	}
}

// ActiveCalls is the number of SIP call legs in progress.
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

// newSession opens an RTP session for a leg.
func (s *Server) newSession(onDigit func(byte), srtp media.SRTPMode) (*media.Session, error) {
	host, _ := netip.ParseAddr(s.host)
	return media.NewSession(media.SessionConfig{
		BindIP:      s.rtpIP,
		AdvertiseIP: host,
		Ports:       s.ports,
		Codecs:      s.cfg.Codecs,
		OnDigit:     onDigit,
		SRTP:        srtp,
		Logger:      s.log,
	})
}

// contactURI is our Contact for the transport of a dialog.
func (s *Server) contactURI(user, transport string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: user, Host: s.host, Port: int(s.udpAddr.Port())}
	if isTLS(transport) && s.tlsAddr.IsValid() {
		u.Port = int(s.tlsAddr.Port())
	}
	if strings.EqualFold(transport, "TCP") || isTLS(transport) {
		// Without a TLS listener, a TLS trunk's provider reaches us over
		// the connection we opened: the Contact says tls all the same,
		// so it keeps to it.
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", strings.ToLower(transport))
	}
	return u
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// expiresOf reads an Expires header or contact parameter (seconds).
func parseSeconds(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// sortBindings orders bindings for stable listings.
func sortBindings(b []Binding) {
	sort.Slice(b, func(i, j int) bool {
		if b[i].Extension != b[j].Extension {
			return b[i].Extension < b[j].Extension
		}
		return b[i].Contact < b[j].Contact
	})
}

// fromListener makes a UDP request leave through our listening socket, so
// phones (and NATs) see requests come from the port they registered with.
func (s *Server) fromListener(req *sip.Request) {
	if strings.EqualFold(req.Transport(), "UDP") {
		a := s.udpAddr
		req.Laddr = sip.Addr{IP: net.IP(a.Addr().AsSlice()), Port: int(a.Port())}
	}
}

// errNoResponse: sipgo ended a client transaction with neither a final
// response nor an error (the connection it used went away).
var errNoResponse = errors.New("sip: transaction ended without a response")

// do sends req and waits for its final response, like sipgo's Client.Do,
// whose (nil, nil) it reports as errNoResponse.
func (s *Server) do(ctx context.Context, req *sip.Request, opts ...sipgo.ClientRequestOption) (*sip.Response, error) {
	res, err := s.cli.Do(ctx, req, opts...)
	if err == nil && res == nil {
		err = errNoResponse
	}
	return res, err
}

// doDigest is Client.DoDigestAuth, with (nil, nil) reported likewise.
func (s *Server) doDigest(ctx context.Context, req *sip.Request, res *sip.Response, auth sipgo.DigestAuth) (*sip.Response, error) {
	again, err := s.cli.DoDigestAuth(ctx, req, res, auth)
	if err == nil && again == nil {
		err = errNoResponse
	}
	return again, err
}

// quietHandler hands sipgo's records on at Debug level. sipgo logs every
// unparseable datagram at Error level, with its content: anyone who can
// send a packet could otherwise fill the box's log. What matters to an
// installer (registrations, calls, bans) we log ourselves.
type quietHandler struct{ h slog.Handler }

func (q quietHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return q.h.Enabled(ctx, slog.LevelDebug)
}

func (q quietHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return q.h.Handle(ctx, r)
}

func (q quietHandler) WithAttrs(a []slog.Attr) slog.Handler { return quietHandler{q.h.WithAttrs(a)} }
func (q quietHandler) WithGroup(n string) slog.Handler      { return quietHandler{q.h.WithGroup(n)} }

// ping sends an out-of-dialog OPTIONS to a binding and waits for any
// final response.
func (s *Server) ping(b Binding) (time.Duration, bool) {
	var target sip.Uri
	if err := sip.ParseUri(b.Contact, &target); err != nil {
		return 0, false
	}
	req := sip.NewRequest(sip.OPTIONS, target)
	req.SipVersion = "SIP/2.0"
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "minipbx", Host: s.host}, Params: sip.NewParams()}
	from.Params.Add("tag", randomHex(6))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: target})
	cid := sip.CallIDHeader(randomHex(12) + "@" + s.host)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.OPTIONS})
	maxf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxf)
	req.AppendHeader(sip.NewHeader("User-Agent", userAgent))
	req.SetBody(nil)
	req.SetTransport(b.Transport)
	req.SetDestination(b.target())
	s.fromListener(req)
	// A phone answers OPTIONS at once; 2 s covers the UDP retransmissions
	// at 0.5 and 1.5 s.
	ctx, cancel := context.WithTimeout(s.pingCtx, 2*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := s.do(ctx, req, sipgo.ClientRequestAddVia); err != nil {
		return 0, false
	}
	return time.Since(start), true
}
