package sip

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TrunkConfig is one SIP trunk to a provider.
type TrunkConfig struct {
	Name string
	// Register: the trunk registers to Host with Username/Password; else
	// it is a peer trusted by address (Peers).
	Register bool
	// Host is the provider's proxy: host:port, an IP address (the
	// transport's default port), or a bare DNS name, located by SRV
	// records with A/AAAA and the default port as fallback (RFC 3263).
	Host string
	// Transport is "UDP" (default), "TCP" or "TLS".
	Transport string
	// TLSCA, PEM certificates, are the authorities a TLS provider's
	// certificate must chain to; empty: the system's roots.
	TLSCA []byte
	// Username is the account; AuthUser the digest user when it differs.
	Username, AuthUser, Password string
	// Expires is the registration lifetime asked for (default 300 s).
	Expires time.Duration
	// Peers are the addresses calls from the trunk may come from. For a
	// register trunk the Host's addresses always count too.
	Peers []netip.Addr
	// CallerID and CallerName are the From of outbound calls.
	CallerID, CallerName string
	// CallerIDHeader is where a call's own caller ID goes (IdentityFrom,
	// the default; IdentityPAI; IdentityRPID; IdentityTrunk: nowhere);
	// DiversionHeader how a forwarded call names who forwarded it
	// (DiversionHeader, the default; HistoryInfoHeader; NoDiversionHeader).
	CallerIDHeader, DiversionHeader string
	// MaxCalls bounds concurrent calls both ways (0: no limit).
	MaxCalls int
}

// Trunk states.
const (
	TrunkRegistered   = "registered"
	TrunkFailed       = "failed"
	TrunkUnregistered = "unregistered"
	// TrunkPeerState is the state of a peer trunk (nothing to register).
	TrunkPeerState = "peer"
)

// TrunkStatus is a trunk's state as the status page and diagnostics see it.
type TrunkStatus struct {
	Name  string `json:"name"`
	Mode  string `json:"mode"` // register or peer
	State string `json:"state"`
	// Reason says why a registration failed ("403 Forbidden", "no response").
	Reason string `json:"reason,omitempty"`
	// Expires is when the current registration ends (registered only).
	Expires time.Time `json:"expires,omitzero"`
	// NextAttempt is when a failed registration is tried again.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Failures counts consecutive failed registrations.
	Failures    int `json:"failures,omitempty"`
	ActiveCalls int `json:"active_calls"`
	// Registrations counts successful REGISTER transactions (refreshes too).
	Registrations int `json:"registrations"`
}

// trunk is the running state of one TrunkConfig.
type trunk struct {
	s   *Server
	cfg TrunkConfig

	// roots verify a TLS provider's certificate (nil: the system's);
	// tlsName is the identity it must show: the configured host.
	roots   *x509.CertPool
	tlsName string

	mu      sync.Mutex
	st      TrunkStatus
	addrs   []netip.Addr     // the Host's resolved addresses
	targets []netip.AddrPort // where requests go, in order (last resolution)
	active  netip.AddrPort   // the target that last answered a REGISTER
	callID  string
	cseq    uint32
	answer  string // the last successful REGISTER's status line
	cancel  context.CancelFunc
	stopped chan struct{}
}

func (c *TrunkConfig) normalize() error {
	if c.Name == "" {
		return errors.New("trunk without a name")
	}
	if _, _, err := splitTrunkHost(c.Host); err != nil {
		return fmt.Errorf("trunk %s: host %q: %w", c.Name, c.Host, err)
	}
	c.Transport = strings.ToUpper(c.Transport)
	if c.Transport == "" {
		c.Transport = "UDP"
	}
	if c.Transport != "UDP" && c.Transport != "TCP" && c.Transport != "TLS" {
		return fmt.Errorf("trunk %s: transport %q is not udp, tcp or tls", c.Name, c.Transport)
	}
	if len(c.TLSCA) > 0 {
		if c.Transport != "TLS" {
			return fmt.Errorf("trunk %s: a TLS CA for transport %s", c.Name, c.Transport)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(c.TLSCA) {
			return fmt.Errorf("trunk %s: the TLS CA holds no PEM certificate", c.Name)
		}
	}
	if c.Expires <= 0 {
		c.Expires = 300 * time.Second
	}
	if c.Register && (c.Username == "" || c.Password == "") {
		return fmt.Errorf("trunk %s: registration needs a username and password", c.Name)
	}
	if c.AuthUser == "" {
		c.AuthUser = c.Username
	}
	if c.CallerID == "" {
		c.CallerID = c.Username
	}
	return nil
}

func newTrunk(s *Server, c TrunkConfig) *trunk {
	t := &trunk{s: s, cfg: c, callID: randomHex(12) + "@" + s.host, cseq: 1}
	t.st = TrunkStatus{Name: c.Name, Mode: "peer", State: TrunkPeerState}
	if c.Register {
		t.st.Mode, t.st.State = "register", TrunkUnregistered
	}
	h, port, _ := splitTrunkHost(c.Host)
	t.tlsName = h
	if a, err := netip.ParseAddr(h); err == nil {
		t.addrs = []netip.Addr{a.Unmap()}
		if port == 0 {
			port = defaultPort(c.Transport)
		}
		t.targets = []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), uint16(port))}
	}
	if len(c.TLSCA) > 0 {
		t.roots = x509.NewCertPool()
		t.roots.AppendCertsFromPEM(c.TLSCA)
	}
	return t
}

// SetTrunks replaces the trunks: removed or changed ones unregister and
// stop, new ones start registering (once Run has started). Calls in
// progress are not touched.
func (s *Server) SetTrunks(cs []TrunkConfig) error {
	for i := range cs {
		if err := cs[i].normalize(); err != nil {
			return fmt.Errorf("sip: %w", err)
		}
	}
	s.mu.Lock()
	old := s.trunks
	next := map[string]*trunk{}
	var start, stop []*trunk
	for _, c := range cs {
		if t, ok := old[c.Name]; ok && equalTrunk(t.cfg, c) {
			next[c.Name] = t
			continue
		}
		t := newTrunk(s, c)
		next[c.Name] = t
		start = append(start, t)
	}
	for name, t := range old {
		if next[name] != t {
			stop = append(stop, t)
		}
	}
	s.trunks = next
	runCtx := s.runCtx
	s.mu.Unlock()
	for _, t := range stop {
		t.stop()
		s.dropTrunkConnections(t)
	}
	if runCtx != nil {
		for _, t := range start {
			t.start(runCtx)
		}
	}
	return nil
}

func equalTrunk(a, b TrunkConfig) bool {
	return a.Name == b.Name && a.Register == b.Register && a.Host == b.Host && a.Transport == b.Transport && bytes.Equal(a.TLSCA, b.TLSCA) &&
		a.Username == b.Username && a.AuthUser == b.AuthUser && a.Password == b.Password && a.Expires == b.Expires &&
		slices.Equal(a.Peers, b.Peers) && a.CallerID == b.CallerID && a.CallerName == b.CallerName && a.MaxCalls == b.MaxCalls &&
		a.CallerIDHeader == b.CallerIDHeader && a.DiversionHeader == b.DiversionHeader
}

// dropTrunkConnections closes the TCP or TLS connections to a removed or
// changed trunk's provider, unless another trunk uses them too: a
// changed CA, account or transport must not keep riding on a connection
// made (and verified) for the old settings.
func (s *Server) dropTrunkConnections(old *trunk) {
	if !sip.IsReliable(old.cfg.Transport) {
		return
	}
	old.mu.Lock()
	targets := slices.Clone(old.targets)
	old.mu.Unlock()
	s.mu.Lock()
	current := make([]*trunk, 0, len(s.trunks))
	for _, t := range s.trunks {
		current = append(current, t)
	}
	s.mu.Unlock()
	pool := s.ua.TransportLayer().Pool(old.cfg.Transport)
	if pool == nil {
		return
	}
	for _, a := range targets {
		shared := slices.ContainsFunc(current, func(t *trunk) bool {
			return t.cfg.Name != old.cfg.Name && strings.EqualFold(t.cfg.Transport, old.cfg.Transport) && t.usesTarget(a.Addr())
		})
		if shared {
			continue
		}
		if c := pool.Get(a.String()); c != nil {
			pool.Delete(a.String())
			_ = c.Close()
		}
	}
}

// startTrunks starts every trunk's registration with the server's life.
func (s *Server) startTrunks(ctx context.Context) {
	s.mu.Lock()
	s.runCtx = ctx
	ts := make([]*trunk, 0, len(s.trunks))
	for _, t := range s.trunks {
		ts = append(ts, t)
	}
	s.mu.Unlock()
	for _, t := range ts {
		t.start(ctx)
	}
}

// stopTrunks unregisters and stops every trunk (at shutdown).
func (s *Server) stopTrunks() {
	s.mu.Lock()
	s.runCtx = nil
	ts := make([]*trunk, 0, len(s.trunks))
	for _, t := range s.trunks {
		ts = append(ts, t)
	}
	s.mu.Unlock()
	for _, t := range ts {
		t.stop()
	}
}

// Trunks reports every trunk's state, sorted by name.
func (s *Server) Trunks() []TrunkStatus {
	s.mu.Lock()
	ts := make([]*trunk, 0, len(s.trunks))
	for _, t := range s.trunks {
		ts = append(ts, t)
	}
	s.mu.Unlock()
	out := make([]TrunkStatus, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.status())
	}
	slices.SortFunc(out, func(a, b TrunkStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// TrunkStatus reports one trunk's state.
func (s *Server) TrunkStatus(name string) (TrunkStatus, bool) {
	t := s.trunk(name)
	if t == nil {
		return TrunkStatus{}, false
	}
	return t.status(), true
}

func (s *Server) trunk(name string) *trunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trunks[name]
}

func (t *trunk) status() TrunkStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st
}

// start runs the registration loop of a register trunk until stop.
func (t *trunk) start(parent context.Context) {
	if !t.cfg.Register {
		return
	}
	t.mu.Lock()
	if t.cancel != nil {
		t.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(parent)
	t.cancel, t.stopped = cancel, make(chan struct{})
	stopped := t.stopped
	t.mu.Unlock()
	go func() {
		defer close(stopped)
		t.run(ctx)
	}()
}

// stop ends the registration loop and waits for its unregistration.
func (t *trunk) stop() {
	t.mu.Lock()
	cancel, stopped := t.cancel, t.stopped
	t.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-stopped
}

// run registers, refreshes before expiry and retries failures with
// exponential back-off; when ctx ends it unregisters (Expires: 0).
func (t *trunk) run(ctx context.Context) {
	s := t.s
	backoff := s.cfg.TrunkRetryMin
	s.waitListening(ctx)
	ask := t.cfg.Expires
	for {
		granted, err := t.register(ctx, ask)
		var brief *intervalTooBrief
		if errors.As(err, &brief) && brief.min > ask && brief.min <= 24*time.Hour {
			// RFC 3261 §10.2.8: ask again for at least Min-Expires.
			ask = brief.min
			granted, err = t.register(ctx, ask)
		}
		if ctx.Err() != nil {
			break
		}
		var wait time.Duration
		t.mu.Lock()
		before := t.st.State + t.st.Reason
		if err != nil {
			wait = backoff
			backoff = min(backoff*2, s.cfg.TrunkRetryMax)
			if t.st.State != TrunkFailed || t.st.Reason != err.Error() {
				s.log.Warn("sip: trunk registration failed", "trunk", t.cfg.Name, "err", err, "retry", wait)
			}
			t.st.State, t.st.Reason, t.st.Expires = TrunkFailed, err.Error(), time.Time{}
			t.st.Failures++
			t.st.NextAttempt = time.Now().Add(wait)
		} else {
			backoff = s.cfg.TrunkRetryMin
			if t.st.State != TrunkRegistered {
				s.log.Info("sip: trunk registered", "trunk", t.cfg.Name, "expires", granted)
			}
			t.st.State, t.st.Reason, t.st.Failures = TrunkRegistered, "", 0
			t.st.Expires, t.st.NextAttempt = time.Now().Add(granted), time.Time{}
			t.st.Registrations++
			wait = refreshAfter(granted)
		}
		changed := t.st.State+t.st.Reason != before
		st := t.st
		t.mu.Unlock()
		if changed && s.cfg.OnTrunkChange != nil {
			s.cfg.OnTrunkChange(st)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	t.mu.Lock()
	registered := t.st.State == TrunkRegistered
	t.st.State, t.st.Reason, t.st.Expires, t.st.NextAttempt = TrunkUnregistered, "", time.Time{}, time.Time{}
	t.cancel = nil
	t.mu.Unlock()
	if registered {
		// Best effort, bounded: shutdown must not hang on a dead provider.
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if _, err := t.register(uctx, 0); err != nil {
			s.log.Info("sip: trunk unregistration", "trunk", t.cfg.Name, "err", err)
		}
		cancel()
	}
}

// waitListening waits (briefly) until sipgo serves our UDP socket: Run
// starts serving asynchronously, and a request sent before would make
// sipgo open a second socket on the same port, which fails.
func (s *Server) waitListening(ctx context.Context) {
	for range 400 {
		if len(s.ua.TransportLayer().ListenPorts("udp")) > 0 || ctx.Err() != nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// refreshAfter is when to refresh a registration granted for d: halfway
// for short ones, else a minute early (room for retransmissions and a
// challenge round trip).
func refreshAfter(d time.Duration) time.Duration {
	if d <= 2*time.Minute {
		return max(d/2, 100*time.Millisecond)
	}
	return d - time.Minute
}

// register sends a REGISTER (answering a digest challenge) and returns
// the granted lifetime. The provider is located afresh each time (its DNS
// may have moved it); a target that does not answer, or answers 503,
// gives way to the next one (RFC 3263 §4.3). An unregistration (expires
// 0) goes only to the registrar that holds the registration.
func (t *trunk) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	var targets []netip.AddrPort
	t.mu.Lock()
	active := t.active
	t.mu.Unlock()
	if expires == 0 && active.IsValid() {
		targets = []netip.AddrPort{active}
	} else {
		var err error
		if targets, err = t.resolve(ctx); err != nil {
			return 0, err
		}
	}
	var lastErr error
	for _, target := range targets {
		granted, err := t.registerTo(ctx, target, expires)
		var fo *failover
		if !errors.As(err, &fo) {
			if err == nil {
				t.mu.Lock()
				t.active = target
				t.mu.Unlock()
			}
			return granted, err
		}
		lastErr = fo.err
		if ctx.Err() != nil {
			break
		}
		if len(targets) > 1 {
			t.s.log.Info("sip: trunk target failed, trying the next", "trunk", t.cfg.Name, "target", target, "err", fo.err)
		}
	}
	return 0, lastErr
}

// failover is a failure that sends the request on to the provider's next
// target: no response, no connection, or 503 Service Unavailable.
type failover struct{ err error }

func (f *failover) Error() string { return f.err.Error() }
func (f *failover) Unwrap() error { return f.err }

// registerTo sends one REGISTER to one of the provider's targets.
func (t *trunk) registerTo(ctx context.Context, target netip.AddrPort, expires time.Duration) (time.Duration, error) {
	s := t.s
	host, port, _ := splitTrunkHost(t.cfg.Host)
	recipient := sip.Uri{Scheme: "sip", Host: host, Port: port}
	req := sip.NewRequest(sip.REGISTER, recipient)
	req.SipVersion = "SIP/2.0"
	aor := sip.Uri{Scheme: "sip", User: t.cfg.Username, Host: host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", randomHex(6))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	t.mu.Lock()
	cid := sip.CallIDHeader(t.callID)
	t.cseq++
	seq := t.cseq
	t.mu.Unlock()
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.REGISTER})
	maxf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxf)
	req.AppendHeader(&sip.ContactHeader{Address: s.contactURI(t.cfg.Username, t.cfg.Transport)})
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(int(expires/time.Second))))
	req.AppendHeader(sip.NewHeader("User-Agent", userAgent))
	req.AppendHeader(sip.NewHeader("Allow", allowHeader))
	req.SetBody(nil)
	req.SetTransport(t.cfg.Transport)
	req.SetDestination(target.String())
	s.fromListener(req)

	rctx, cancel := context.WithTimeout(ctx, s.cfg.TrunkTimeout)
	defer cancel()
	res, err := s.do(rctx, req, sipgo.ClientRequestAddVia)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = s.doDigest(rctx, req, res, sipgo.DigestAuth{Username: t.cfg.AuthUser, Password: t.cfg.Password})
		if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
			return 0, fmt.Errorf("%d %s (credentials refused)", res.StatusCode, res.Reason)
		}
	}
	// The CSeq went up by one for the authenticated request.
	if c := req.CSeq(); c != nil {
		t.mu.Lock()
		t.cseq = max(t.cseq, c.SeqNo)
		t.mu.Unlock()
	}
	if err != nil {
		return 0, &failover{trunkSendError(err, target, rctx, ctx)}
	}
	if res.StatusCode == 423 {
		if h := res.GetHeader("Min-Expires"); h != nil {
			if d, ok := parseSeconds(h.Value()); ok {
				return 0, &intervalTooBrief{min: d}
			}
		}
	}
	if res.StatusCode == 503 {
		return 0, &failover{fmt.Errorf("%d %s from %s", res.StatusCode, res.Reason, target)}
	}
	if !res.IsSuccess() {
		return 0, fmt.Errorf("%d %s", res.StatusCode, res.Reason)
	}
	t.mu.Lock()
	t.answer = fmt.Sprintf("%d %s", res.StatusCode, res.Reason)
	t.mu.Unlock()
	return grantedExpiry(res, s.contactURI(t.cfg.Username, t.cfg.Transport), expires), nil
}

// trunkSendError says why a request to a provider's target got no
// response, in the words the status page shows: a certificate refused,
// or no response.
func trunkSendError(err error, target netip.AddrPort, rctx, ctx context.Context) error {
	var ve *tlsVerifyError
	switch {
	case errors.As(err, &ve):
		return fmt.Errorf("TLS with %s failed: %w", target, ve)
	case rctx.Err() != nil && ctx.Err() == nil || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no response from %s", target)
	}
	return fmt.Errorf("no response from %s: %w", target, err)
}

// intervalTooBrief is a 423 response: the registrar wants at least min.
type intervalTooBrief struct{ min time.Duration }

func (e *intervalTooBrief) Error() string {
	return fmt.Sprintf("423 Interval Too Brief (at least %v)", e.min)
}

// grantedExpiry reads the lifetime the registrar granted our contact:
// its expires parameter, else the Expires header, else what we asked.
func grantedExpiry(res *sip.Response, ours sip.Uri, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || !strings.EqualFold(c.Address.Host, ours.Host) || c.Address.Port != ours.Port || c.Address.User != ours.User {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if d, ok := parseSeconds(v); ok {
				return d
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if d, ok := parseSeconds(h.Value()); ok {
			return d
		}
	}
	return asked
}

// resolve locates the provider afresh (see resolveTargets) and returns
// its targets, the registrar that last answered first. Calls from any of
// them count as the trunk's. When DNS fails, the last known targets stay.
func (t *trunk) resolve(ctx context.Context) ([]netip.AddrPort, error) {
	targets, err := resolveTargets(ctx, t.s.cfg.Resolver, t.cfg.Host, t.cfg.Transport)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		if len(t.targets) == 0 {
			return nil, fmt.Errorf("no address for %s: %w", t.cfg.Host, err)
		}
		t.s.log.Info("sip: trunk DNS failed; using the last known targets", "trunk", t.cfg.Name, "err", err)
		targets = t.targets
	}
	t.targets = targets
	var addrs []netip.Addr
	for _, a := range targets {
		if !slices.Contains(addrs, a.Addr()) {
			addrs = append(addrs, a.Addr())
		}
	}
	t.addrs = addrs
	out := slices.Clone(targets)
	if i := slices.Index(out, t.active); i > 0 {
		out = slices.Insert(slices.Delete(out, i, i+1), 0, t.active)
	}
	return out, nil
}

// usesTarget reports whether ip is one of the trunk's current targets.
func (t *trunk) usesTarget(ip netip.Addr) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.ContainsFunc(t.targets, func(a netip.AddrPort) bool { return a.Addr() == ip })
}

// acquire takes a call slot; false at MaxCalls.
func (t *trunk) acquire() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cfg.MaxCalls > 0 && t.st.ActiveCalls >= t.cfg.MaxCalls {
		return false
	}
	t.st.ActiveCalls++
	return true
}

func (t *trunk) release() {
	t.mu.Lock()
	t.st.ActiveCalls--
	t.mu.Unlock()
}

// trustedFrom reports whether a request from ip comes from this trunk:
// a peer's listed address, or a register trunk's provider address.
func (t *trunk) trustedFrom(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if slices.Contains(t.cfg.Peers, ip) {
		return true
	}
	return t.cfg.Register && slices.Contains(t.addrs, ip)
}

// trunkFor finds the trunk a new INVITE comes from by its source address
// (nil: an extension's call, which must authenticate). Addresses are the
// only proof a trunk call has, so they come from configuration (peer IPs)
// or from the provider's own address (register trunks), never from
// anything the request says about itself.
func (s *Server) trunkFor(req *sip.Request) *trunk {
	ip := sourceIP(req)
	s.mu.Lock()
	ts := make([]*trunk, 0, len(s.trunks))
	for _, t := range s.trunks {
		ts = append(ts, t)
	}
	s.mu.Unlock()
	slices.SortFunc(ts, func(a, b *trunk) int { return strings.Compare(a.cfg.Name, b.cfg.Name) })
	for _, t := range ts {
		if t.trustedFrom(ip) {
			return t
		}
	}
	return nil
}

// trunkDID is the number an inbound trunk call dialled: the Request-URI's
// user, unless that is our registration's user (providers that send calls
// to the registered contact put the DID in To).
func trunkDID(req *sip.Request, t *trunk) string {
	user := req.Recipient.User
	if (user == "" || user == t.cfg.Username) && req.To() != nil && req.To().Address.User != "" {
		user = req.To().Address.User
	}
	return user
}

// TrunkPing sends an OPTIONS to a trunk's provider within ctx and returns
// the round trip; an error says why there was no answer.
func (s *Server) TrunkPing(ctx context.Context, name string) (time.Duration, error) {
	t := s.trunk(name)
	if t == nil {
		return 0, fmt.Errorf("sip: no trunk %q", name)
	}
	targets, err := t.resolve(ctx)
	if err != nil {
		return 0, fmt.Errorf("sip: trunk %s: %w", name, err)
	}
	host, port, _ := splitTrunkHost(t.cfg.Host)
	target := sip.Uri{Scheme: "sip", Host: host, Port: port}
	req := sip.NewRequest(sip.OPTIONS, target)
	req.SipVersion = "SIP/2.0"
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: t.cfg.Username, Host: s.host}, Params: sip.NewParams()}
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
	req.SetTransport(t.cfg.Transport)
	req.SetDestination(targets[0].String())
	s.fromListener(req)
	start := time.Now()
	res, err := s.do(ctx, req, sipgo.ClientRequestAddVia)
	if err != nil {
		return 0, fmt.Errorf("sip: trunk %s: no answer to OPTIONS from %s: %w", name, targets[0], err)
	}
	// Any final response proves the provider is there (many answer
	// OPTIONS with 401, 403 or 404).
	_ = res
	return time.Since(start), nil
}
