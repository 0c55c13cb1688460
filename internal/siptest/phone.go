// Package siptest is a SIP phone for whole-box tests: it registers with
// digest authentication, places and answers calls, sends a test signal as
// G.711 RTP and records what it receives, the way a softphone would.
package siptest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/zaf/g711"

	"minipbx/internal/pace"
)

// Phone is one SIP user agent bound to a UDP port on 127.0.0.1.
type Phone struct {
	User, Secret string
	PBX          string // the box's SIP address, host:port

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	conn    net.PacketConn
	port    int
	contact sip.ContactHeader
	dcc     *sipgo.DialogClientCache
	dsc     *sipgo.DialogServerCache

	incoming chan *Call
	cancel   context.CancelFunc
	done     chan struct{}

	mu    sync.Mutex
	calls map[string]*Call // by Call-ID
	// notifies are the bodies of the NOTIFYs received (message-waiting
	// message-summaries), oldest first.
	notifies []string
}

// New starts a phone for user/secret against the box at pbx.
func New(pbx, user, secret string) (*Phone, error) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("siptest-" + user))
	if err != nil {
		conn.Close()
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		conn.Close()
		return nil, err
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port),
		sipgo.WithClientLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		conn.Close()
		return nil, err
	}
	p := &Phone{User: user, Secret: secret, PBX: pbx, ua: ua, srv: srv, cli: cli, conn: conn, port: port,
		incoming: make(chan *Call, 4), done: make(chan struct{}), calls: map[string]*Call{}}
	p.contact = sip.ContactHeader{Address: sip.Uri{User: user, Host: "127.0.0.1", Port: port}}
	p.dcc = sipgo.NewDialogClientCache(cli, p.contact)
	p.dsc = sipgo.NewDialogServerCache(cli, p.contact)
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.dsc.ReadAck(req, tx) })
	srv.OnBye(p.onBye)
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.notifies = append(p.notifies, string(req.Body()))
		p.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		defer close(p.done)
		_ = srv.ServeUDP(conn)
		<-ctx.Done()
	}()
	return p, nil
}

// Notifies returns the bodies of the NOTIFYs the phone received (a box
// tells registered phones of waiting voicemail with unsolicited
// message-summary NOTIFYs), oldest first.
func (p *Phone) Notifies() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.notifies...)
}

// Close hangs up the phone's calls and stops it.
func (p *Phone) Close() {
	p.mu.Lock()
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	for _, c := range calls {
		c.closeMedia()
	}
	p.cancel()
	_ = p.srv.Close()
	_ = p.conn.Close()
	_ = p.ua.Close()
}

func (p *Phone) uri(user string) sip.Uri {
	host, port, _ := net.SplitHostPort(p.PBX)
	n, _ := strconv.Atoi(port)
	return sip.Uri{User: user, Host: host, Port: n}
}

// Register sends a REGISTER (answering the digest challenge with secret)
// and returns the final status code. expires 0 un-registers.
func (p *Phone) Register(ctx context.Context, secret string, expires int) (int, error) {
	req := sip.NewRequest(sip.REGISTER, p.uri(""))
	req.Recipient.User = ""
	from := sip.FromHeader{Address: sip.Uri{User: p.User, Host: req.Recipient.Host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{User: p.User, Host: req.Recipient.Host}})
	c := p.contact
	req.AppendHeader(&c)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	res, err := p.cli.Do(ctx, req, sipgo.ClientRequestRegisterBuild)
	if err != nil {
		return 0, fmt.Errorf("siptest: register: %w", err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res2, err := p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.User, Password: secret})
		if err != nil {
			return res.StatusCode, fmt.Errorf("siptest: register with auth: %w", err)
		}
		res = res2
	}
	return res.StatusCode, nil
}

// RegisterChallenge sends one REGISTER with a wrong-password digest answer
// and returns the final response, to compare refusals.
func (p *Phone) RegisterChallenge(ctx context.Context, user, password string) (*sip.Response, error) {
	req := sip.NewRequest(sip.REGISTER, p.uri(""))
	from := sip.FromHeader{Address: sip.Uri{User: user, Host: req.Recipient.Host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{User: user, Host: req.Recipient.Host}})
	c := p.contact
	req.AppendHeader(&c)
	req.AppendHeader(sip.NewHeader("Expires", "60"))
	res, err := p.cli.Do(ctx, req, sipgo.ClientRequestRegisterBuild)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 401 {
		return res, nil
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		return nil, err
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(), Username: user, Password: password})
	if err != nil {
		return nil, err
	}
	req2 := req.Clone()
	req2.RemoveHeader("Via")
	req2.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	return p.cli.Do(ctx, req2, sipgo.ClientRequestIncreaseCSEQ, sipgo.ClientRequestAddVia)
}

// Call is one call of a phone with its RTP media.
type Call struct {
	phone  *Phone
	callID string
	cs     *sipgo.DialogClientSession
	ss     *sipgo.DialogServerSession
	offer  []byte
	rtp    net.PacketConn
	remote *net.UDPAddr
	codec  uint8 // payload type: 0 PCMU, 8 PCMA

	mu          sync.Mutex
	recorded    []int16
	early       []int16 // what Dial heard before the answer
	provisional []int   // the 1xx Dial received, in order
	send        func(out []int16)
	lose        func() bool
	digits      []byte
	ended       chan struct{}
	// RTP impairment (impair.go): the send goroutine's random source and
	// the delay line's input, started by the first Impair with jitter.
	impair    Impairment
	rng       *rand.Rand
	delay     chan delayed
	logging   bool
	logged    []Packet
	endOnce   sync.Once
	stopOnce  sync.Once
	mediaOnce sync.Once
	stop      chan struct{}
}

func (p *Phone) newCall() (*Call, error) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &Call{phone: p, rtp: conn, ended: make(chan struct{}), stop: make(chan struct{})}, nil
}

func (c *Call) localSDP(codecs []uint8) []byte {
	port := c.rtp.LocalAddr().(*net.UDPAddr).Port
	var fmts []string
	var maps []string
	for _, pt := range codecs {
		fmts = append(fmts, strconv.Itoa(int(pt)))
		name := "PCMU"
		if pt == 8 {
			name = "PCMA"
		}
		maps = append(maps, fmt.Sprintf("a=rtpmap:%d %s/8000\r\n", pt, name))
	}
	return []byte(fmt.Sprintf("v=0\r\no=siptest 1 1 IN IP4 127.0.0.1\r\ns=siptest\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %s 101\r\n%sa=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
		port, strings.Join(fmts, " "), strings.Join(maps, "")))
}

// parseRemote reads the far end's RTP address and first codec from an SDP body.
func (c *Call) parseRemote(body []byte) error {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return fmt.Errorf("siptest: bad SDP: %w", err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return errors.New("siptest: SDP without media")
	}
	md := sd.MediaDescriptions[0]
	host := ""
	if md.ConnectionInformation != nil && md.ConnectionInformation.Address != nil {
		host = md.ConnectionInformation.Address.Address
	} else if sd.ConnectionInformation != nil && sd.ConnectionInformation.Address != nil {
		host = sd.ConnectionInformation.Address.Address
	}
	addr, err := net.ResolveUDPAddr("udp4", net.JoinHostPort(host, strconv.Itoa(md.MediaName.Port.Value)))
	if err != nil {
		return err
	}
	c.remote = addr
	for _, f := range md.MediaName.Formats {
		if f == "0" || f == "8" {
			n, _ := strconv.Atoi(f)
			c.codec = uint8(n)
			return nil
		}
	}
	return errors.New("siptest: no G.711 in the answer")
}

// Dial calls number through the box with the phone's credentials and
// waits for the answer. A refusal comes back as *sipgo.ErrDialogResponse.
func (p *Phone) Dial(ctx context.Context, number string, codecs ...uint8) (*Call, error) {
	if len(codecs) == 0 {
		codecs = []uint8{0, 8}
	}
	c, err := p.newCall()
	if err != nil {
		return nil, err
	}
	// Listen from the start: early media (183) plays before the answer.
	go c.recvLoop()
	from := sip.FromHeader{Address: sip.Uri{User: p.User, Host: p.uri("").Host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	cs, err := p.dcc.Invite(ctx, p.uri(number), c.localSDP(codecs), &from, sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		c.rtp.Close()
		return nil, err
	}
	c.cs = cs
	c.callID = cs.InviteRequest.CallID().Value()
	onResponse := func(res *sip.Response) error {
		if res.IsProvisional() {
			c.mu.Lock()
			c.provisional = append(c.provisional, res.StatusCode)
			c.mu.Unlock()
		}
		return nil
	}
	if err := cs.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.User, Password: p.Secret, OnResponse: onResponse}); err != nil {
		c.rtp.Close()
		return nil, err
	}
	if err := c.parseRemote(cs.InviteResponse.Body()); err != nil {
		c.rtp.Close()
		return nil, err
	}
	if err := cs.Ack(ctx); err != nil {
		c.rtp.Close()
		return nil, err
	}
	p.track(c)
	c.mu.Lock()
	c.early, c.recorded = c.recorded, nil
	c.mu.Unlock()
	go c.sendLoop()
	return c, nil
}

// Early is what a dialled call heard before it was answered (early media).
func (c *Call) Early() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int16(nil), c.early...)
}

// Provisional lists the 1xx responses a dialled call received before the
// answer (100, 180, 183...).
func (c *Call) Provisional() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.provisional...)
}

func (p *Phone) track(c *Call) {
	p.mu.Lock()
	p.calls[c.callID] = c
	p.mu.Unlock()
}

func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	ss, err := p.dsc.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	c, err := p.newCall()
	if err != nil {
		_ = ss.Respond(500, "Server Error", nil)
		return
	}
	c.ss, c.offer, c.callID = ss, req.Body(), req.CallID().Value()
	_ = ss.Respond(180, "Ringing", nil)
	p.track(c)
	select {
	case p.incoming <- c:
	default:
		_ = ss.Respond(486, "Busy Here", nil)
		return
	}
	// Keep the transaction alive until answered or ended.
	<-tx.Done()
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	id := req.CallID().Value()
	p.mu.Lock()
	c := p.calls[id]
	p.mu.Unlock()
	if c == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	if c.cs != nil {
		_ = c.cs.ReadBye(req, tx)
	} else {
		_ = c.ss.ReadBye(req, tx)
	}
	c.finish()
}

// Incoming waits for a call to ring this phone.
func (p *Phone) Incoming(ctx context.Context) (*Call, error) {
	select {
	case c := <-p.incoming:
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("siptest: %s: no incoming call: %w", p.User, ctx.Err())
	}
}

// Answer answers an incoming call with the first G.711 codec offered.
func (c *Call) Answer() error {
	if err := c.parseRemote(c.offer); err != nil {
		_ = c.ss.Respond(488, "Not Acceptable Here", nil)
		return err
	}
	if err := c.ss.RespondSDP(c.localSDP([]uint8{c.codec})); err != nil {
		return err
	}
	c.startMedia()
	// Return once the caller's ACK confirmed the dialog, as a phone whose
	// user says hello first would: a BYE sent within microseconds of the
	// 200 can overtake the box's own handling of that 200 (see the lead's
	// closing note; the SIP layer should still handle it).
	deadline := time.Now().Add(5 * time.Second)
	for c.ss.LoadState() < sip.DialogStateConfirmed {
		if time.Now().After(deadline) {
			return errors.New("siptest: answered, but no ACK within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// EarlyMedia answers an incoming call's INVITE with 183 Session Progress
// carrying the phone's SDP and starts sending what Send says before any
// answer, as a provider's network plays its own ringback or "the number
// you have dialled is not in service". Answer or Reject follows.
func (c *Call) EarlyMedia() error {
	if err := c.parseRemote(c.offer); err != nil {
		_ = c.ss.Respond(488, "Not Acceptable Here", nil)
		return err
	}
	if err := c.ss.Respond(183, "Session Progress", c.localSDP([]uint8{c.codec}), sip.NewHeader("Content-Type", "application/sdp")); err != nil {
		return err
	}
	c.startMedia()
	return nil
}

// Reject ends an incoming call with a final status before answering.
func (c *Call) Reject(code int, reason string) error {
	defer c.finish()
	return c.ss.Respond(code, reason, nil)
}

// Caller is the From user of an incoming call and its display name.
func (c *Call) Caller() (number, name string) {
	if c.ss == nil {
		return "", ""
	}
	f := c.ss.InviteRequest.From()
	return f.Address.User, f.DisplayName
}

// Codec is the negotiated RTP payload type.
func (c *Call) Codec() uint8 { return c.codec }

// Hangup sends BYE.
func (c *Call) Hangup(ctx context.Context) error {
	defer c.finish()
	if c.cs != nil {
		return c.cs.Bye(ctx)
	}
	return c.ss.Bye(ctx)
}

// Ended is closed when the call is over (either side hung up).
func (c *Call) Ended() <-chan struct{} { return c.ended }

func (c *Call) finish() {
	c.endOnce.Do(func() { close(c.ended) })
	c.closeMedia()
}

func (c *Call) closeMedia() {
	c.stopOnce.Do(func() {
		close(c.stop)
		c.rtp.Close()
	})
}

// Send sets the signal the phone transmits, one 20 ms frame per call of
// fill; nil sends silence.
func (c *Call) Send(fill func(out []int16)) {
	c.mu.Lock()
	c.send = fill
	c.mu.Unlock()
}

// Lose makes the phone lose the packets it sends for which lose reports
// true (the network dropping them): their sequence numbers and
// timestamps are skipped. nil loses none.
func (c *Call) Lose(lose func() bool) {
	c.mu.Lock()
	c.lose = lose
	c.mu.Unlock()
}

// Recorded returns a copy of everything received so far and clears it.
func (c *Call) Recorded() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.recorded
	c.recorded = nil
	return r
}

// Digits returns the RFC 4733 digits received so far.
func (c *Call) Digits() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.digits)
}

func (c *Call) startMedia() {
	c.mediaOnce.Do(func() {
		go c.sendLoop()
		go c.recvLoop()
	})
}

// sendLoop sends one 20 ms packet per frame of wall time, like a real
// phone whose codec runs on its own crystal: each packet is due at its
// absolute time, so packets go out evenly paced (never none in one tick and
// two in the next), and when the host stalls the goroutine the missed
// packets go out back to back (at most half a second of them) instead of
// being lost, so a loaded test machine does not starve the box's jitter
// buffer for the rest of the call. A phone's codec clock does not start
// with the call's answer (which the box sends just after one of its own
// clock's ticks): the first packet goes out at a random point of the
// 20 ms grid, so calls land anywhere in the box's frame.
func (c *Call) sendLoop() {
	select {
	case <-time.After(time.Duration(rand.Int64N(int64(20 * time.Millisecond)))):
	case <-c.stop:
		return
	}
	clk := pace.New(20*time.Millisecond, 25)
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: c.codec, SSRC: 0x5157}}
	samples := make([]int16, 160)
	payload := make([]byte, 160)
	for {
		n := clk.Wait(c.stop)
		if n == 0 {
			return
		}
		for range n {
			if !c.sendFrame(&pkt, samples, payload) {
				return
			}
		}
	}
}

// sendFrame sends the next packet of what the call says; false when the
// socket is gone.
func (c *Call) sendFrame(pkt *rtp.Packet, samples []int16, payload []byte) bool {
	c.mu.Lock()
	fill, lose := c.send, c.lose
	c.mu.Unlock()
	clear(samples)
	if fill != nil {
		fill(samples)
	}
	if lose != nil && lose() {
		pkt.SequenceNumber++
		pkt.Timestamp += 160
		return true
	}
	for i, s := range samples {
		if c.codec == 8 {
			payload[i] = g711.EncodeAlawFrame(s)
		} else {
			payload[i] = g711.EncodeUlawFrame(s)
		}
	}
	pkt.Payload = payload
	buf, err := pkt.Marshal()
	if err != nil {
		return false
	}
	if !c.impaired(buf) {
		if _, err := c.rtp.WriteTo(buf, c.remote); err != nil {
			return false
		}
	}
	pkt.SequenceNumber++
	pkt.Timestamp += 160
	return true
}

func (c *Call) recvLoop() {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	var lastEvent uint32
	for {
		n, _, err := c.rtp.ReadFrom(buf)
		if err != nil {
			return
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		c.mu.Lock()
		c.logPacket(time.Now(), pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, pkt.PayloadType, pkt.Payload)
		switch pkt.PayloadType {
		case 0:
			for _, b := range pkt.Payload {
				c.recorded = append(c.recorded, g711.DecodeUlawFrame(b))
			}
		case 8:
			for _, b := range pkt.Payload {
				c.recorded = append(c.recorded, g711.DecodeAlawFrame(b))
			}
		default: // telephone-event: record each event once, by timestamp
			if len(pkt.Payload) >= 4 && pkt.Timestamp != lastEvent {
				lastEvent = pkt.Timestamp
				c.digits = append(c.digits, "0123456789*#ABCD"[pkt.Payload[0]&15])
			}
		}
		c.mu.Unlock()
	}
}
