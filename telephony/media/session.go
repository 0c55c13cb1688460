package media

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// Frame timing of every RTP stream we send: 20 ms, 160 samples at 8 kHz.
const (
	FrameDuration = 20 * time.Millisecond
	// rtcpInterval is how often we report; RFC 3550's minimum is 5 s.
	rtcpInterval = 5 * time.Second
	// digitDuration and digitGap shape the RFC 4733 events we send.
	digitDuration = 100 * time.Millisecond
	digitGap      = 60 * time.Millisecond
	// talkspurtGap is the silence after which the next packet starts a new
	// talkspurt (marker bit set, timestamp jumps by the real elapsed time).
	talkspurtGap = 3 * FrameDuration
)

// SessionConfig sets up an RTP session.
type SessionConfig struct {
	// BindIP is the local address to bind (unspecified: all).
	BindIP netip.Addr
	// AdvertiseIP is the address written into our SDP; when invalid it is
	// BindIP, which must then be specified.
	AdvertiseIP netip.Addr
	// Ports allocates the RTP/RTCP port pair; nil picks ephemeral ports.
	Ports *PortRange
	// Codecs we accept, in our order of preference (PCMU, PCMA by default).
	Codecs []Codec
	// OnDigit is called from the receive goroutine for each RFC 4733 digit.
	OnDigit func(d byte)
	// CNAME for RTCP SDES; a default is derived from the SSRC.
	CNAME string
	// SRTP is how the session offers SRTP (srtp.go); SRTPRequired also
	// refuses plain offers and answers.
	SRTP   SRTPMode
	Logger *slog.Logger
}

// Stats are a session's call-quality counters (RFC 3550 §6.4).
type Stats struct {
	Codec           Codec
	PacketsSent     uint64
	OctetsSent      uint64
	PacketsReceived uint64
	// PacketsLost counts RTP packets expected from the peer but not received.
	PacketsLost int64
	// Jitter is the interarrival jitter of the peer's stream as we measure it.
	Jitter time.Duration
	// Ignored counts packets dropped: wrong source, malformed, duplicate,
	// or later than the reorder window.
	Ignored uint64
	// Reordered counts packets that arrived after a later one and were
	// still used (put back in place by the sink).
	Reordered uint64
	// LastReceived is when the peer's last accepted RTP packet came (zero
	// before the first): a call whose media stopped long ago has a dead
	// peer (RTP timeout), whatever its signalling says.
	LastReceived time.Time
	// What the peer reports about our stream (from its RTCP SR/RR).
	RemoteReports      uint64
	RemoteFractionLost float64
	RemotePacketsLost  int64
	RemoteJitter       time.Duration
	RTT                time.Duration
	// SRTP is the crypto suite protecting the stream both ways, "" for
	// plain RTP. Packets that fail SRTP authentication count as Ignored.
	SRTP string
}

type sinkBox struct{ s Sink }

// Session is the RTP session of one SIP leg; it implements Endpoint.
// Frames written to it are sent at once (the writer's clock paces the
// stream); frames received are pushed to the sink from the receive
// goroutine, with their G.711 payload intact so a same-codec peer can relay
// them without decoding.
type Session struct {
	cfg       SessionConfig
	log       *slog.Logger
	rtpConn   *net.UDPConn
	rtcpConn  *net.UDPConn
	local     netip.AddrPort // advertised
	start     time.Time
	ssrc      uint32
	cname     string
	sink      atomic.Pointer[sinkBox]
	digits    chan byte
	done      chan struct{}
	wg        sync.WaitGroup
	closed    sync.Once
	digitOnce sync.Once // starts digitLoop

	// Send state, guarded by mu.
	mu          sync.Mutex
	remote      netip.AddrPort // where RTP goes; invalid until SDP is known
	remoteRTCP  netip.AddrPort
	codec       Codec
	sendEventPT int // peer's telephone-event payload type, -1 none
	sending     bool
	seq         uint16
	ts          uint32
	lastSend    time.Time
	started     bool
	inEvent     bool
	newSpurt    bool
	pktSent     uint64
	octSent     uint64
	sendBuf     [1500]byte
	hdr         rtp.Header
	sdpVersion  uint64
	sdpID       uint64
	offered     []Codec
	relay       relayTiming      // the timing of the stream being relayed (relay.go)
	recvEventPT atomic.Int32     // telephone-event PT we accept (ours or peer's)
	peerIP      netip.Addr       // the peer's signalling IP (SetPeerIP)
	clock       func() time.Time // the send path's clock (tests replace it)

	// SRTP (srtp.go), guarded by mu but for srtpRx: our keys per suite,
	// the lines of our last offer, the context encrypting what we send,
	// and how the last negotiation went (for the next offer).
	localKeys     map[string]CryptoAttr
	offeredCrypto []CryptoAttr
	srtpTx        *srtp.Context
	srtpNeg       SRTPMode
	encBuf        [1500 + 16]byte
	encHdr        rtp.Header
	srtpRx        atomic.Pointer[srtpPair] // decrypts what the peer sends

	// Receive statistics, guarded by statsMu (written by the receiver).
	streamBase uint32 // random start of this session's Frame.Stream numbers
	statsMu    sync.Mutex
	stats      Stats
	rx         rxState
	lsr        uint32    // middle NTP bits of the last SR we received
	lsrAt      time.Time // when it arrived
	// Liveness (Heard): when the peer's last RTCP report came, and since
	// when it has been expected to send (zero while it is not).
	lastRTCP    time.Time
	expectSince time.Time
}

// rxState is owned by the receive goroutine, except the parts copied into
// stats under statsMu.
type rxState struct {
	latched    bool
	source     netip.AddrPort
	ssrc       uint32
	haveSeq    bool
	baseSeq    uint32
	maxSeq     uint32 // extended
	seen       uint64 // bit i: packet maxSeq-i arrived (the reorder window)
	badSeq     uint32 // RFC 3550 A.1: a big jump is believed when seq badSeq follows
	stream     uint32 // Frame.Stream of the frames of this sequence
	streams    uint32 // streams numbered so far
	received   uint64
	expPrior   uint64
	recvPrior  uint64
	transit    int64
	jitter     float64 // in timestamp units
	latchReset atomic.Bool
}

// NewSession binds the RTP and RTCP ports and starts the session's
// goroutines; Close stops them.
func NewSession(c SessionConfig) (*Session, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if len(c.Codecs) == 0 {
		c.Codecs = []Codec{PCMU, PCMA}
	}
	for _, x := range c.Codecs {
		if x.PayloadType() < 0 {
			return nil, fmt.Errorf("media: codec %s cannot be sent over RTP", x)
		}
	}
	bind := c.BindIP
	if !bind.IsValid() {
		bind = netip.IPv4Unspecified()
	}
	adv := c.AdvertiseIP
	if !adv.IsValid() {
		adv = bind
	}
	if adv.IsUnspecified() {
		return nil, errors.New("media: no address to advertise in SDP (set AdvertiseIP)")
	}
	rc, rcc, err := c.Ports.allocate(bind)
	if err != nil {
		return nil, err
	}
	var rnd [20]byte
	_, _ = rand.Read(rnd[:])
	s := &Session{
		cfg:         c,
		log:         c.Logger,
		rtpConn:     rc,
		rtcpConn:    rcc,
		local:       netip.AddrPortFrom(adv, uint16(rc.LocalAddr().(*net.UDPAddr).Port)),
		start:       time.Now(),
		ssrc:        binary.BigEndian.Uint32(rnd[0:]),
		seq:         binary.BigEndian.Uint16(rnd[4:]),
		ts:          binary.BigEndian.Uint32(rnd[6:]),
		sdpID:       binary.BigEndian.Uint64(rnd[8:]) >> 2,
		streamBase:  binary.BigEndian.Uint32(rnd[16:]),
		digits:      make(chan byte, 32),
		done:        make(chan struct{}),
		codec:       c.Codecs[0],
		sendEventPT: -1,
		sending:     true,
	}
	s.clock = time.Now
	s.cname = c.CNAME
	if s.cname == "" {
		s.cname = fmt.Sprintf("minipbx-%08x", s.ssrc)
	}
	s.recvEventPT.Store(DefaultEventPT)
	s.stats.Codec = s.codec
	s.wg.Add(2)
	go s.readRTP()
	go s.rtcpLoop()
	return s, nil
}

// LocalAddr is the RTP address the peer must send to.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Codec is the codec we send (and expect) after negotiation.
func (s *Session) Codec() Codec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codec
}

// SetSink sets where received frames go; nil discards them.
func (s *Session) SetSink(k Sink) {
	if k == nil {
		s.sink.Store(nil)
		return
	}
	s.sink.Store(&sinkBox{k})
}

// Offer builds an SDP offer with our codecs (or the given subset, in that
// order) and telephone-event, with SRTP as the session is configured (or
// as it was last negotiated, so a re-offer keeps a secure call secure).
func (s *Session) Offer(codecs []Codec, dir Direction) ([]byte, error) {
	s.mu.Lock()
	mode := max(s.cfg.SRTP, s.srtpNeg)
	s.mu.Unlock()
	return s.OfferWith(codecs, dir, mode)
}

// OfferWith is Offer with SRTP offered as mode says: a call forked to
// several phones offers each what its signalling can keep secret.
func (s *Session) OfferWith(codecs []Codec, dir Direction, mode SRTPMode) ([]byte, error) {
	if len(codecs) == 0 {
		codecs = s.cfg.Codecs
	}
	var list []Codec
	for _, c := range codecs {
		for _, o := range s.cfg.Codecs {
			if c == o {
				list = appendCodec(list, c)
			}
		}
	}
	if len(list) == 0 {
		return nil, ErrNoCommonCodec
	}
	s.mu.Lock()
	s.offered = list
	s.sdpVersion++
	v := s.sdpVersion
	s.mu.Unlock()
	s.recvEventPT.Store(DefaultEventPT)
	p := SDPParams{Addr: s.local, Codecs: list, EventPT: DefaultEventPT, Direction: dir, SessionID: s.sdpID, Version: v}
	if mode != NoSRTP {
		p.Crypto, p.SAVP = s.offerCrypto(), mode == SRTPRequired
	}
	return BuildSDP(p)
}

// AcceptAnswer applies the peer's answer to our offer. The codec we send is
// the first of the answer's codecs that we offered.
func (s *Session) AcceptAnswer(b []byte) (Description, error) {
	d, err := ParseSDP(b)
	if err != nil {
		return d, err
	}
	s.mu.Lock()
	offered := s.offered
	s.mu.Unlock()
	if len(offered) == 0 {
		offered = s.cfg.Codecs
	}
	c, err := Negotiate(d.Codecs, offered)
	if err != nil {
		return d, err
	}
	pair, err := s.answeredSRTP(d)
	if err != nil {
		return d, err
	}
	// We offered DefaultEventPT; the answer echoes it (RFC 3264 §6.1).
	s.apply(d, c, DefaultEventPT)
	s.setSRTP(pair, d.SAVP)
	return d, nil
}

// AnswerOffer negotiates an answer to the peer's offer (first common codec
// in the offerer's order), applies it and returns our SDP. An offer without
// a common codec fails with ErrNoCommonCodec and changes nothing.
func (s *Session) AnswerOffer(offer []byte) ([]byte, Description, error) {
	d, err := ParseSDP(offer)
	if err != nil {
		return nil, d, err
	}
	c, err := Negotiate(d.Codecs, s.cfg.Codecs)
	if err != nil {
		return nil, d, err
	}
	local, remote, secure := s.chooseCrypto(d.Crypto)
	var pair *srtpPair
	if secure {
		if pair, err = newSRTPPair(local, remote); err != nil {
			return nil, d, err
		}
	} else if d.SAVP || s.cfg.SRTP == SRTPRequired {
		return nil, d, ErrSRTPRequired
	}
	evpt := d.EventPT
	s.apply(d, c, evpt)
	s.setSRTP(pair, d.SAVP)
	s.mu.Lock()
	s.sdpVersion++
	v := s.sdpVersion
	s.mu.Unlock()
	dir := d.Direction.Reverse()
	if d.Addr.Addr().IsUnspecified() && dir == SendRecv {
		// RFC 2543 hold: the peer gave no address to send to.
		dir = RecvOnly
	}
	p := SDPParams{Addr: s.local, Codecs: []Codec{c}, EventPT: evpt, Direction: dir, SessionID: s.sdpID, Version: v, SAVP: d.SAVP}
	if secure {
		p.Crypto = []CryptoAttr{local}
	}
	out, err := BuildSDP(p)
	return out, d, err
}

// apply sets the remote side: address, codec, event payload type, and
// whether the peer wants our media.
func (s *Session) apply(d Description, c Codec, evpt int) {
	s.mu.Lock()
	if s.remote != d.Addr && !d.Addr.Addr().IsUnspecified() {
		// A new address: latch afresh on the next packet.
		s.rx.latchReset.Store(true)
	}
	if !d.Addr.Addr().IsUnspecified() {
		s.remote = d.Addr
		s.remoteRTCP = netip.AddrPortFrom(d.Addr.Addr(), d.Addr.Port()+1)
	}
	if c != s.codec {
		s.started = false
	}
	s.codec = c
	s.sendEventPT = d.EventPT
	s.sending = !d.OnHold()
	s.mu.Unlock()
	if evpt >= 0 {
		s.recvEventPT.Store(int32(evpt))
	}
	// The peer sends when its direction says so and it gave an address
	// (c=0.0.0.0 is RFC 2543 hold): from now on its silence counts.
	sends := d.Direction.Sends() && !d.Addr.Addr().IsUnspecified()
	s.statsMu.Lock()
	s.stats.Codec = c
	switch {
	case !sends:
		s.expectSince = time.Time{}
	case s.expectSince.IsZero():
		s.expectSince = time.Now()
	}
	s.statsMu.Unlock()
}

// Heard reports when the peer was last heard from — its last RTP packet or
// RTCP report, or the moment it was last expected to start sending,
// whichever is later — and whether it is expected to send at all: a peer
// whose SDP says it sends nothing (it holds the call, or we hold it and it
// only listens) may stay silent for ever. A peer that is expected to send
// and has been silent for long is gone — a phone that lost power or its
// network sends no BYE — and the SIP layer ends its call (RTP timeout).
func (s *Session) Heard() (last time.Time, expected bool) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.expectSince.IsZero() {
		return time.Time{}, false
	}
	last = s.expectSince
	for _, t := range [...]time.Time{s.stats.LastReceived, s.lastRTCP} {
		if t.After(last) {
			last = t
		}
	}
	return last, true
}

// WriteFrame sends one frame to the peer now, encoded in the session's
// codec (a frame already carrying that codec is relayed as it is). A frame
// from an RTP stream (Frame.Stream) keeps the spacing of its source's
// sequence numbers and timestamps, so loss, silence and reordering reach
// the peer as they happened (see relayLocked). It does not allocate.
func (s *Session) WriteFrame(f *Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.remote.IsValid() || !s.sending {
		s.relay.stream = 0
		return
	}
	now := s.clock()
	if s.relayLocked(f, now) {
		return
	}
	marker := false
	switch {
	case !s.started:
		marker, s.started = true, true
	case now.Sub(s.lastSend) > talkspurtGap:
		// Keep the timestamp on the wall clock across the silence.
		marker = true
		s.ts += uint32(now.Sub(s.lastSend)/FrameDuration) * FrameSamples
	default:
		s.ts += FrameSamples
	}
	if s.newSpurt || f.Stream != s.relay.stream {
		// After an event, and where another source's audio begins.
		marker, s.newSpurt = true, false
	}
	s.lastSend = now
	if s.inEvent {
		// RFC 4733 §2.5.1.3: the event replaces the audio while it lasts.
		s.relay.stream = 0
		return
	}
	payload := f.Encoded(s.codec)
	s.sendLocked(uint8(s.codec.PayloadType()), marker, s.ts, payload)
	s.relay.follow(f, s.seq, s.ts)
}

// sendLocked sends one RTP packet with the next sequence number; s.mu
// must be held.
func (s *Session) sendLocked(pt uint8, marker bool, ts uint32, payload []byte) {
	s.seq++
	s.sendPacketLocked(pt, marker, s.seq, ts, payload)
}

// sendPacketLocked sends one RTP packet numbered seq; s.mu must be held.
func (s *Session) sendPacketLocked(pt uint8, marker bool, seq uint16, ts uint32, payload []byte) {
	s.hdr = rtp.Header{Version: 2, Marker: marker, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: s.ssrc}
	n, err := s.hdr.MarshalTo(s.sendBuf[:])
	if err != nil {
		return
	}
	n += copy(s.sendBuf[n:], payload)
	pkt, ok := s.protectRTP(s.sendBuf[:n])
	if !ok {
		return
	}
	if _, err := s.rtpConn.WriteToUDPAddrPort(pkt, s.remote); err != nil {
		return
	}
	s.pktSent++
	s.octSent += uint64(len(payload))
}

// ErrNoTelephoneEvent means the peer did not offer telephone-event.
var ErrNoTelephoneEvent = errors.New("media: peer does not accept telephone-event")

// SendDigit queues an RFC 4733 event for digit d: 100 ms of event packets
// every 20 ms, the last sent three times with the end bit (RFC 4733
// §2.5.1.4), then a short gap before the next digit.
func (s *Session) SendDigit(d byte) error {
	if _, ok := EventCode(d); !ok {
		return fmt.Errorf("media: %q is not a DTMF digit", d)
	}
	s.mu.Lock()
	pt := s.sendEventPT
	s.mu.Unlock()
	if pt < 0 {
		return ErrNoTelephoneEvent
	}
	select {
	case <-s.done:
		return net.ErrClosed
	default:
	}
	// The sender starts with the first digit: most calls send none, and
	// a goroutine per leg waiting for them is memory for nothing.
	s.digitOnce.Do(func() {
		s.wg.Add(1)
		go s.digitLoop()
	})
	select {
	case s.digits <- d:
		return nil
	case <-s.done:
		return net.ErrClosed
	default:
		return errors.New("media: too many digits queued")
	}
}

func (s *Session) digitLoop() {
	defer s.wg.Done()
	var payload [eventPayloadLen]byte
	for {
		var d byte
		select {
		case d = <-s.digits:
		case <-s.done:
			return
		}
		code, _ := EventCode(d)
		s.mu.Lock()
		pt := s.sendEventPT
		if pt < 0 || !s.remote.IsValid() {
			s.mu.Unlock()
			continue
		}
		s.inEvent = true
		if s.started {
			s.ts += FrameSamples
		}
		s.started = true
		evTS := s.ts
		s.mu.Unlock()
		steps := int(digitDuration / FrameDuration)
		t := time.NewTicker(FrameDuration)
		aborted := false
		for i := 1; i <= steps+2 && !aborted; i++ {
			ev := TelephoneEvent{Code: code, Volume: 10}
			end := i >= steps
			if end {
				ev.Duration = uint16(steps * FrameSamples)
				ev.End = true
			} else {
				ev.Duration = uint16(i * FrameSamples)
			}
			ev.Put(payload[:])
			s.mu.Lock()
			s.sendLocked(uint8(pt), i == 1, evTS, payload[:])
			s.mu.Unlock()
			if i < steps+2 {
				select {
				case <-t.C:
				case <-s.done:
					aborted = true
				}
			}
		}
		t.Stop()
		s.mu.Lock()
		s.inEvent = false
		if end := evTS + uint32(steps*FrameSamples); int32(end-s.ts) > 0 {
			s.ts = end
		}
		s.lastSend = s.clock()
		s.newSpurt = true // the audio after an event starts a talkspurt
		s.mu.Unlock()
		select {
		case <-time.After(digitGap):
		case <-s.done:
			return
		}
	}
}

// rxLoop is the receive goroutine's reusable state: nothing in the
// per-packet path allocates.
type rxLoop struct {
	pkt      rtp.Packet
	fr       Frame
	acc      [FrameSamples]byte
	accN     int
	accCodec Codec
	accTS    uint32 // RTP timestamp of acc[0]
	accFrom  uint32 // Frame.Stream of what acc holds
	frameSeq uint16 // Frame.Seq of the last frame re-framed from other packet sizes
	events   eventReceiver
}

// readRTP is the receive goroutine.
func (s *Session) readRTP() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	dec := make([]byte, 1500)
	var st rxLoop
	for {
		n, from, err := s.rtpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		pkt, ok := s.unprotectRTP(dec, buf[:n])
		if !ok {
			s.countIgnored() // not the peer's: fails SRTP authentication
			continue
		}
		s.handleDatagram(&st, from, pkt)
	}
}

// handleDatagram processes one received datagram: source checks, audio
// re-framed into 20 ms frames for the sink (any ptime in, 20 ms out), and
// RFC 4733 events into digits. Each frame carries its stream's timing
// (Frame.Stream, Seq, TS); a packet that arrives after a later one (within
// the reorder window) is passed on at once, in its own place by that
// timing, for the sink to put back in order: a jitter buffer plays it in
// its turn, a relay sends it with the sequence number and timestamp it
// had, for the far phone's jitter buffer to do the same.
func (s *Session) handleDatagram(st *rxLoop, from netip.AddrPort, b []byte) {
	ok, late := s.acceptSource(from, b, &st.pkt)
	if !ok {
		return
	}
	pkt := &st.pkt
	pt := int(pkt.PayloadType)
	switch {
	case pt == 0 || pt == 8:
		c := PCMU
		if pt == 8 {
			c = PCMA
		}
		stream := s.rx.stream
		if late {
			// A late packet is a frame of its own; late packets of other
			// sizes cannot be put back into frames already passed on.
			if len(pkt.Payload) != FrameSamples {
				s.countIgnored()
				return
			}
			s.emit(st, c, stream, pkt.SequenceNumber, pkt.Timestamp, pkt.Payload)
			return
		}
		if len(pkt.Payload) == FrameSamples && st.accN == 0 {
			// The common case, one 20 ms packet: one frame, numbered by it.
			st.frameSeq = pkt.SequenceNumber
			s.emit(st, c, stream, pkt.SequenceNumber, pkt.Timestamp, pkt.Payload)
			return
		}
		if c != st.accCodec || stream != st.accFrom || pkt.Timestamp != st.accTS+uint32(st.accN) {
			// Another codec, stream, or a gap: what was collected cannot
			// continue.
			st.accN, st.accCodec, st.accFrom = 0, c, stream
		}
		p, ts := pkt.Payload, pkt.Timestamp
		for len(p) > 0 {
			if st.accN == 0 {
				st.accTS = ts
			}
			k := copy(st.acc[st.accN:], p)
			st.accN += k
			p = p[k:]
			ts += uint32(k)
			if st.accN == FrameSamples {
				st.accN = 0
				st.frameSeq++
				s.emit(st, c, stream, st.frameSeq, st.accTS, st.acc[:])
			}
		}
	case int32(pt) == s.recvEventPT.Load():
		if d := st.events.packet(pkt.Timestamp, pkt.Payload); d != 0 && s.cfg.OnDigit != nil {
			s.cfg.OnDigit(d)
		}
	}
}

// emit passes one 20 ms frame of payload to the sink.
func (s *Session) emit(st *rxLoop, c Codec, stream uint32, seq uint16, ts uint32, payload []byte) {
	box := s.sink.Load()
	if box == nil {
		return
	}
	f := &st.fr
	copy(f.Payload[:], payload)
	f.Codec, f.HasPayload, f.HasSamples = c, true, false
	f.Stream, f.Seq, f.TS = stream, seq, ts
	box.s.WriteFrame(f)
}

// latchable reports whether the first packet of a stream may come from
// from: the address the peer's SDP names, or the IP of its signalling
// (a phone behind NAT). Anyone else's packet could hijack the stream.
func (s *Session) latchable(from netip.AddrPort) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ip := from.Addr()
	if s.remote.IsValid() && s.remote.Addr().Unmap() == ip {
		return true
	}
	if s.peerIP.IsValid() {
		return s.peerIP == ip
	}
	// Nothing to check against yet (no SDP, no signalling address).
	return !s.remote.IsValid()
}

// symmetric makes us send where the peer sends from (RFC 4961 symmetric
// RTP): behind NAT the address in its SDP is a private one we cannot
// reach, while the mapping its packets opened is.
func (s *Session) symmetric(from netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.remote.IsValid() && s.remote != from {
		s.log.Debug("media: symmetric RTP", "sdp", s.remote, "source", from)
		s.remote = from
		s.remoteRTCP = netip.AddrPortFrom(from.Addr(), from.Port()+1)
	}
}

// SetPeerIP tells the session the peer's signalling address, from which
// its media may come when its SDP names an address we cannot reach.
func (s *Session) SetPeerIP(ip netip.Addr) {
	s.mu.Lock()
	s.peerIP = ip.Unmap()
	s.mu.Unlock()
}

// Sequence tracking (RFC 3550 A.1, with a reorder window).
const (
	// reorderWindow is how many packets behind the newest one a late
	// packet may be and still be used (1.28 s of 20 ms packets); older
	// ones and duplicates are ignored.
	reorderWindow = 64
	// maxDropout is the largest forward jump taken as loss; a larger jump,
	// or one further back than the reorder window, is believed only when
	// the next packet follows it (a sender that restarted its sequence).
	maxDropout = 3000
)

// acceptSource parses a datagram and checks it comes from the peer: the
// first valid packet latches its source address and SSRC; later packets
// from another address are ignored (RTP injection, stray streams). A new
// SSRC from the latched address restarts sequence tracking. It reports
// whether the packet is to be used, and whether it is late: older than the
// newest packet, but inside the reorder window and not seen before.
func (s *Session) acceptSource(from netip.AddrPort, b []byte, pkt *rtp.Packet) (ok, late bool) {
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if err := pkt.Unmarshal(b); err != nil || pkt.Version != 2 {
		s.countIgnored()
		return false, false
	}
	rx := &s.rx
	if rx.latchReset.Swap(false) {
		rx.latched = false
	}
	if !rx.latched {
		if !s.latchable(from) {
			s.countIgnored()
			return false, false
		}
		rx.latched, rx.source = true, from
		rx.ssrc, rx.haveSeq = pkt.SSRC, false
		s.symmetric(from)
	} else if from != rx.source {
		s.countIgnored()
		return false, false
	}
	if pkt.SSRC != rx.ssrc {
		rx.ssrc, rx.haveSeq = pkt.SSRC, false
	}
	seq := uint32(pkt.SequenceNumber)
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	delta := int32(int16(uint16(seq) - uint16(rx.maxSeq)))
	switch {
	case !rx.haveSeq:
		s.restartSeq(seq)
	case delta > 0 && delta < maxDropout:
		rx.maxSeq += uint32(delta)
		rx.seen = rx.seen<<uint(delta) | 1 // all clear past 63
	case delta <= 0 && -delta < reorderWindow:
		bit := uint64(1) << uint(-delta)
		if rx.seen&bit != 0 {
			s.stats.Ignored++ // duplicate
			return false, false
		}
		rx.seen |= bit
		late = true
		s.stats.Reordered++
	case seq == rx.badSeq:
		// Two packets in a row after a big jump: the sender restarted.
		s.restartSeq(seq)
	default:
		rx.badSeq = (seq + 1) & 0xffff
		s.stats.Ignored++
		return false, false
	}
	rx.received++
	// RFC 3550 A.8 interarrival jitter, in timestamp units (not for events,
	// whose timestamps stand still).
	if pkt.PayloadType == 0 || pkt.PayloadType == 8 {
		arrival := int64(time.Since(s.start) / (time.Second / 8000))
		transit := arrival - int64(pkt.Timestamp)
		if rx.transit != 0 {
			d := transit - rx.transit
			if d < 0 {
				d = -d
			}
			rx.jitter += (float64(d) - rx.jitter) / 16
		}
		rx.transit = transit
	}
	s.stats.PacketsReceived++
	s.stats.LastReceived = time.Now()
	expected := uint64(rx.maxSeq - rx.baseSeq + 1)
	s.stats.PacketsLost = int64(expected) - int64(rx.received)
	s.stats.Jitter = time.Duration(rx.jitter * float64(time.Second) / 8000)
	return true, late
}

// restartSeq starts sequence tracking afresh at seq, as a new stream of
// frames; s.statsMu is held.
func (s *Session) restartSeq(seq uint32) {
	rx := &s.rx
	rx.haveSeq = true
	rx.baseSeq, rx.maxSeq, rx.seen = seq, seq, 1
	rx.badSeq = 1 << 16 // no sequence number: nothing to believe yet
	rx.received, rx.expPrior, rx.recvPrior = 0, 0, 0
	rx.jitter, rx.transit = 0, 0
	rx.streams++
	if rx.stream = s.streamBase + rx.streams; rx.stream == 0 {
		rx.streams++
		rx.stream = s.streamBase + rx.streams
	}
}

func (s *Session) countIgnored() {
	s.statsMu.Lock()
	s.stats.Ignored++
	s.statsMu.Unlock()
}

// Stats returns the session's counters.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	sent, oct := s.pktSent, s.octSent
	s.mu.Unlock()
	s.statsMu.Lock()
	st := s.stats
	s.statsMu.Unlock()
	st.PacketsSent, st.OctetsSent = sent, oct
	return st
}

// rtcpLoop sends a report every rtcpInterval and reads the peer's reports.
func (s *Session) rtcpLoop() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	out := make([]byte, 512)
	next := time.Now().Add(rtcpInterval)
	for {
		_ = s.rtcpConn.SetReadDeadline(next)
		n, from, err := s.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				s.sendReport(out)
				next = time.Now().Add(rtcpInterval)
			}
			continue
		}
		pkt, ok := s.unprotectRTCP(buf[:n])
		if !ok {
			continue
		}
		if r, err := parseRTCP(pkt, s.ssrc); err == nil {
			// Reports go back where the peer's come from (symmetric, as
			// for RTP), if they come from the peer's RTP address.
			s.mu.Lock()
			fromPeer := from.Addr().Unmap() == s.remote.Addr()
			if fromPeer {
				s.remoteRTCP = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
			}
			s.mu.Unlock()
			s.statsMu.Lock()
			if fromPeer {
				s.lastRTCP = time.Now()
			}
			if r.HasSR {
				s.lsr, s.lsrAt = r.SRNTPMid, time.Now()
			}
			if r.HasBlock {
				b := r.Block
				s.stats.RemoteReports++
				s.stats.RemoteFractionLost = float64(b.FractionLost) / 256
				s.stats.RemotePacketsLost = int64(b.TotalLost)
				s.stats.RemoteJitter = time.Duration(float64(b.Jitter) * float64(time.Second) / 8000)
				if b.LSR != 0 {
					now := uint32(ntpTime(time.Now()) >> 16)
					rtt := now - b.LSR - b.DLSR
					if int32(rtt) >= 0 {
						s.stats.RTT = time.Duration(uint64(rtt) * uint64(time.Second) >> 16)
					}
				}
			}
			s.statsMu.Unlock()
		}
	}
}

// sendReport sends an SR when we have sent RTP since the last report, an
// RR otherwise, with a report block when we receive a stream.
func (s *Session) sendReport(out []byte) {
	s.mu.Lock()
	dst := s.remoteRTCP
	si := senderInfo{
		HasSender: s.pktSent > 0,
		NTP:       ntpTime(time.Now()),
		RTPTime:   s.ts,
		Packets:   uint32(s.pktSent),
		Octets:    uint32(s.octSent),
	}
	s.mu.Unlock()
	if !dst.IsValid() {
		return
	}
	var rb *reportBlock
	s.statsMu.Lock()
	rx := &s.rx
	if rx.haveSeq {
		expected := uint64(rx.maxSeq - rx.baseSeq + 1)
		expInt := expected - rx.expPrior
		recvInt := rx.received - rx.recvPrior
		rx.expPrior, rx.recvPrior = expected, rx.received
		var frac uint8
		if expInt > 0 && expInt > recvInt {
			frac = uint8(((expInt - recvInt) << 8) / expInt)
		}
		blk := reportBlock{
			SSRC:         rx.ssrc,
			FractionLost: frac,
			TotalLost:    int32(int64(expected) - int64(rx.received)),
			HighestSeq:   rx.maxSeq,
			Jitter:       uint32(rx.jitter),
		}
		if !s.lsrAt.IsZero() {
			blk.LSR = s.lsr
			blk.DLSR = uint32(time.Since(s.lsrAt) * 65536 / time.Second)
		}
		rb = &blk
	}
	s.statsMu.Unlock()
	n := buildRTCP(out, s.ssrc, &si, rb, s.cname)
	s.sendRTCP(out[:n], dst)
}

// sendRTCP sends a compound RTCP packet, as SRTCP when SRTP is on.
func (s *Session) sendRTCP(pkt []byte, dst netip.AddrPort) {
	s.mu.Lock()
	pkt, ok := s.protectRTCP(pkt)
	s.mu.Unlock()
	if ok {
		_, _ = s.rtcpConn.WriteToUDPAddrPort(pkt, dst)
	}
}

// sendBye tells the peer the stream ends (RFC 3550 §6.6): a last report
// followed by an RTCP BYE.
func (s *Session) sendBye() {
	s.mu.Lock()
	dst := s.remoteRTCP
	si := senderInfo{HasSender: s.pktSent > 0, NTP: ntpTime(time.Now()), RTPTime: s.ts, Packets: uint32(s.pktSent), Octets: uint32(s.octSent)}
	s.mu.Unlock()
	if !dst.IsValid() {
		return
	}
	out := make([]byte, 512)
	n := buildRTCP(out, s.ssrc, &si, nil, s.cname)
	out[n] = 0x81 // V=2, one SSRC
	out[n+1] = rtcpBYE
	binary.BigEndian.PutUint16(out[n+2:], 1)
	binary.BigEndian.PutUint32(out[n+4:], s.ssrc)
	n += 8
	s.sendRTCP(out[:n], dst)
}

// Close stops the session's goroutines and releases its ports. It is
// idempotent.
func (s *Session) Close() error {
	s.closed.Do(func() {
		s.sendBye()
		close(s.done)
		s.rtpConn.Close()
		s.rtcpConn.Close()
	})
	s.wg.Wait()
	return nil
}
