package sip

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// Test scaffolding: a Server on loopback, phones built from sipgo's own
// client and dialog code (an independent SIP implementation to check ours
// against), and a small router that bridges inbound calls to the Dialer.

type staticCreds map[string]string // extension → secret

func (c staticCreds) Lookup(user string) (string, string, bool) {
	s, ok := c[user]
	return s, "Ext " + user, ok
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("SIP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startServer runs a Server on 127.0.0.1 with a free port until the test ends.
func startServer(t testing.TB, c Config) *Server {
	t.Helper()
	s, _ := runUntil(t, c)
	return s
}

// runUntil runs a server like startServer (on a free port unless c.Addr
// names one), and returns a stop function that ends Run, as a restart
// does; the test's end stops it otherwise.
func runUntil(t testing.TB, c Config) (*Server, func()) {
	t.Helper()
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.Credentials == nil {
		c.Credentials = staticCreds{"201": "secret201", "202": "secret202", "203": "secret203"}
	}
	if c.Logger == nil {
		c.Logger = testLogger(t)
	}
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return s, stop
}

// inCall is an INVITE that reached a phone.
type inCall struct {
	req       *sip.Request
	dlg       *sipgo.DialogServerSession
	responded chan struct{}
	once      sync.Once
}

func (c *inCall) done() { c.once.Do(func() { close(c.responded) }) }

// phone is a SIP user agent on its own UDP port.
type phone struct {
	t       testing.TB
	ext     string
	secret  string
	pbx     netip.AddrPort
	addr    netip.AddrPort
	stream  string // "tcp" or "tls" for a phone on a connection; "" on UDP
	contact sip.ContactHeader
	ua      *sipgo.UserAgent
	cli     *sipgo.Client
	srv     *sipgo.Server
	dsc     *sipgo.DialogServerCache
	dua     *sipgo.DialogUA
	calls   chan *inCall
	byes    chan string // Call-IDs of BYEs received
	cancels chan string // Call-IDs of INVITEs ended before we answered (CANCEL)
	mu      sync.Mutex
	client  map[string]*sipgo.DialogClientSession
	// reasons are the Reason headers of the CANCELs received.
	reasons []string
	// notifies are the NOTIFYs received (transfer progress), answered
	// with notifyCode (200 when 0).
	notifies   chan *sip.Request
	notifyCode int
}

func newPhone(t testing.TB, pbx netip.AddrPort, ext, secret string) *phone {
	t.Helper()
	return newPhoneOn(t, pbx, ext, secret, false)
}

// newPhoneOn makes a phone on UDP, or on TCP: then it has no listener and
// everything, calls to it included, uses the connection its REGISTER opened.
func newPhoneOn(t testing.TB, pbx netip.AddrPort, ext, secret string, tcp bool) *phone {
	t.Helper()
	if tcp {
		return newStreamPhone(t, pbx, ext, secret, "tcp", nil)
	}
	return newStreamPhone(t, pbx, ext, secret, "", nil)
}

// newStreamPhone makes a phone on UDP (stream ""), or on a TCP or TLS
// connection to pbx (roots: the CAs it trusts over TLS).
func newStreamPhone(t testing.TB, pbx netip.AddrPort, ext, secret, stream string, roots *x509.CertPool) *phone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("testphone-"+ext), sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(testLogger(t))),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(testLogger(t))))
	if err != nil {
		t.Fatal(err)
	}
	var conn *net.UDPConn
	var addr netip.AddrPort
	var cli *sipgo.Client
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext, Host: "127.0.0.1"}}
	if stream != "" {
		addr = netip.MustParseAddrPort("127.0.0.1:5060") // placeholder: the server uses the connection
		contact.Address.Port = 5060
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", stream)
		cli, err = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(testLogger(t)))
	} else {
		conn, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
		contact.Address.Port = int(addr.Port())
		cli, err = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(int(addr.Port())),
			sipgo.WithClientConnectionAddr(addr.String()), sipgo.WithClientLogger(testLogger(t)))
	}
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(testLogger(t)))
	p := &phone{t: t, stream: stream, contact: contact, ext: ext, secret: secret, pbx: pbx, addr: addr, ua: ua, cli: cli, srv: srv,
		calls: make(chan *inCall, 8), byes: make(chan string, 8), cancels: make(chan string, 8), client: map[string]*sipgo.DialogClientSession{},
		notifies: make(chan *sip.Request, 16)}
	p.dsc = sipgo.NewDialogServerCache(cli, contact)
	p.dua = &sipgo.DialogUA{Client: cli, ContactHDR: contact}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		dlg, err := p.dsc.ReadInvite(req, tx)
		if err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 400, err.Error(), nil))
			return
		}
		c := &inCall{req: req, dlg: dlg, responded: make(chan struct{})}
		cancelled := make(chan struct{})
		tx.OnCancel(func(r *sip.Request) {
			if h := r.GetHeader("Reason"); h != nil {
				p.mu.Lock()
				p.reasons = append(p.reasons, h.Value())
				p.mu.Unlock()
			}
			close(cancelled)
		})
		p.calls <- c
		select {
		case <-c.responded:
		case <-cancelled:
			p.cancels <- req.CallID().Value()
		case <-tx.Done():
		}
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.dsc.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p.byes <- req.CallID().Value()
		if err := p.dsc.ReadBye(req, tx); err == nil {
			return
		}
		p.mu.Lock()
		d := p.client[req.CallID().Value()]
		p.mu.Unlock()
		if d != nil {
			_ = d.ReadBye(req, tx)
			return
		}
		tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
	})
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "No tx", nil))
	})
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		code := p.notifyCode
		p.mu.Unlock()
		if code == 0 {
			code = 200
		}
		tx.Respond(sip.NewResponseFromRequest(req, code, "Whatever", nil))
		p.notifies <- req
	})
	if conn != nil {
		go srv.ServeUDP(conn)
		// ServeUDP publishes the listener asynchronously; requests sent
		// before would open a second socket on the same port.
		for len(ua.TransportLayer().ListenPorts("udp")) == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Cleanup(func() { ua.Close() })
	return p
}

// register sends REGISTER (with digest) and returns the final response.
func (p *phone) register(secret string, expires int) *sip.Response {
	p.t.Helper()
	res, err := p.registerErr(secret, expires, nil)
	if err != nil {
		p.t.Fatalf("register %s: %v", p.ext, err)
	}
	return res
}

func (p *phone) registerErr(secret string, expires int, contact *sip.ContactHeader) (*sip.Response, error) {
	req := sip.NewRequest(sip.REGISTER, p.pbxURI(""))
	aor := sip.Uri{Scheme: "sip", User: p.ext, Host: p.pbx.Addr().String()}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	if contact == nil {
		c := p.contact
		contact = &c
	}
	req.AppendHeader(contact)
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(expires)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.cli.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 401 || secret == "" {
		return res, nil
	}
	return p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.ext, Password: secret})
}

// pbxURI addresses the server, over TCP for a TCP phone.
func (p *phone) pbxURI(user string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: user, Host: p.pbx.Addr().String(), Port: int(p.pbx.Port())}
	if p.stream != "" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", p.stream)
	}
	return u
}

// newMedia opens an RTP session for the phone.
func newMedia(t testing.TB) *media.Session {
	t.Helper()
	s, err := media.NewSession(media.SessionConfig{BindIP: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// call places an INVITE to number and waits for the final answer.
func (p *phone) call(ctx context.Context, number string, m *media.Session, onResp func(*sip.Response)) (*sipgo.DialogClientSession, error) {
	return p.callWith(ctx, number, m, onResp)
}

// callWith is call with extra headers in the INVITE.
func (p *phone) callWith(ctx context.Context, number string, m *media.Session, onResp func(*sip.Response), extra ...sip.Header) (*sipgo.DialogClientSession, error) {
	offer, err := m.Offer(nil, media.SendRecv)
	if err != nil {
		return nil, err
	}
	req := sip.NewRequest(sip.INVITE, p.pbxURI(number))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.ext, Host: p.pbx.Addr().String()}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: p.pbx.Addr().String()}})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	for _, h := range extra {
		req.AppendHeader(h)
	}
	req.SetBody(offer)
	d, err := p.dua.WriteInvite(ctx, req)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.client[req.CallID().Value()] = d
	p.mu.Unlock()
	err = d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.ext, Password: p.secret, OnResponse: func(r *sip.Response) error {
		if onResp != nil {
			onResp(r)
		}
		return nil
	}})
	if err != nil {
		return d, err
	}
	if _, err := m.AcceptAnswer(d.InviteResponse.Body()); err != nil {
		return d, err
	}
	return d, d.Ack(ctx)
}

// answer answers an incoming call with media session m.
func (c *inCall) answer(t testing.TB, m *media.Session) {
	t.Helper()
	defer c.done()
	if err := c.dlg.Respond(180, "Ringing", nil); err != nil {
		t.Fatal(err)
	}
	// sipgo handles each response in its own goroutine, so a 200 sent right
	// behind the 180 may overtake it; a real phone rings for a while.
	time.Sleep(30 * time.Millisecond)
	sdp, _, err := m.AnswerOffer(c.req.Body())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.dlg.RespondSDP(sdp); err != nil {
		t.Fatal(err)
	}
}

func (p *phone) nextCall(t testing.TB, within time.Duration) *inCall {
	t.Helper()
	select {
	case c := <-p.calls:
		return c
	case <-time.After(within):
		t.Fatalf("phone %s: no INVITE within %v", p.ext, within)
	}
	return nil
}

// router bridges every inbound call to Dialer().Dial(Dialled) and joins
// the media both ways, like the exchange does for SIP-to-SIP calls.
type router struct {
	s       *Server
	timeout time.Duration
	t       testing.TB
	ended   chan channel.Cause
}

func newRouter(t testing.TB) *router {
	return &router{t: t, timeout: 10 * time.Second, ended: make(chan channel.Cause, 16)}
}

func (r *router) onCall(in channel.Channel) {
	ctx := context.Background()
	out, err := r.s.Dialer().Dial(ctx, channel.Request{Target: in.Info().Dialled, Caller: in.Info().Caller, Timeout: r.timeout})
	if err != nil {
		var de *channel.DialError
		c := channel.CauseFailure
		if ok := asDialError(err, &de); ok {
			c = de.Cause
		}
		in.Hangup(c)
		drain(in)
		r.ended <- c
		return
	}
	for {
		select {
		case ev, ok := <-out.Events():
			if !ok {
				return
			}
			switch ev.Type {
			case channel.EventProgress:
				_ = in.Progress()
			case channel.EventAnswer:
				in.Media().SetSink(out.Media())
				out.Media().SetSink(in.Media())
				if err := in.Answer(ctx); err != nil {
					out.Hangup(channel.CauseNormal)
				}
			case channel.EventHangup:
				in.Hangup(ev.Cause)
				drain(in)
				r.ended <- ev.Cause
				return
			}
		case ev, ok := <-in.Events():
			if !ok {
				continue
			}
			if ev.Type == channel.EventHangup {
				out.Hangup(ev.Cause)
				drain(out)
				r.ended <- ev.Cause
				return
			}
		}
	}
}

func drain(c channel.Channel) {
	for range c.Events() {
	}
}

func asDialError(err error, de **channel.DialError) bool {
	if e, ok := err.(*channel.DialError); ok {
		*de = e
		return true
	}
	return false
}

// toneSource sends a sine into a session every 20 ms until ctx ends.
func toneSource(ctx context.Context, s media.Sink, freq, amp float64) {
	var f media.Frame
	n := 0
	t := time.NewTicker(media.FrameDuration)
	defer t.Stop()
	for {
		for i := range f.Samples {
			f.Samples[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(n)/8000))
			n++
		}
		f.HasSamples, f.HasPayload, f.Codec = true, false, media.Linear
		s.WriteFrame(&f)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// recorder collects received audio.
type recorder struct {
	mu      sync.Mutex
	samples []int16
}

func (r *recorder) WriteFrame(f *media.Frame) {
	s := f.Linear()
	r.mu.Lock()
	r.samples = append(r.samples, s[:]...)
	r.mu.Unlock()
}

func (r *recorder) snapshot() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int16(nil), r.samples...)
}

// goertzelPower returns the power of freq in s, normalised to the signal
// energy (1.0 for a pure tone at that frequency).
func toneAnalysis(s []int16, freq float64) (ratio float64, rmsDBFS float64) {
	if len(s) == 0 {
		return 0, math.Inf(-1)
	}
	w := 2 * math.Pi * freq / 8000
	coeff := 2 * math.Cos(w)
	var q1, q2, energy float64
	for _, v := range s {
		x := float64(v)
		q0 := coeff*q1 - q2 + x
		q2, q1 = q1, q0
		energy += x * x
	}
	power := q1*q1 + q2*q2 - coeff*q1*q2
	n := float64(len(s))
	ratio = power / (energy * n / 2)
	rms := math.Sqrt(energy / n)
	return ratio, 20 * math.Log10(rms/32768)
}
