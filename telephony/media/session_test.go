package media

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

var lo = netip.MustParseAddr("127.0.0.1")

// peer is a raw UDP socket playing the far end of a session.
type peer struct {
	conn *net.UDPConn
	addr netip.AddrPort
}

func newPeer(t testing.TB) *peer {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{conn: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort()}
}

func (p *peer) offer(codecs string, extra ...string) []byte {
	lines := []string{"v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
		fmt.Sprintf("m=audio %d RTP/AVP %s", p.addr.Port(), codecs), "a=rtpmap:101 telephone-event/8000"}
	return sdpOf(append(lines, extra...)...)
}

// drain reads and forgets everything the peer receives, so that a
// benchmark's stream never fills its socket (until the test ends).
func (p *peer) drain() {
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, err := p.conn.Read(buf); err != nil {
				return
			}
		}
	}()
}

// read returns the next RTP packet the peer receives.
func (p *peer) read(t testing.TB, wait time.Duration) (*rtp.Packet, bool) {
	t.Helper()
	buf := make([]byte, 1500)
	_ = p.conn.SetReadDeadline(time.Now().Add(wait))
	n, err := p.conn.Read(buf)
	if err != nil {
		return nil, false
	}
	var pkt rtp.Packet
	if err := pkt.Unmarshal(buf[:n]); err != nil {
		t.Fatalf("bad RTP: %v", err)
	}
	pkt.Payload = append([]byte(nil), pkt.Payload...)
	return &pkt, true
}

func newTestSession(t testing.TB, c SessionConfig) *Session {
	t.Helper()
	c.BindIP = lo
	s, err := NewSession(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func toneFrame(f *Frame, n int) {
	for i := range f.Samples {
		f.Samples[i] = int16((n*FrameSamples + i) % 200 * 50)
	}
	f.HasSamples, f.HasPayload, f.Codec = true, false, Linear
}

func TestSessionSequenceTimestampMarker(t *testing.T) {
	s := newTestSession(t, SessionConfig{})
	// The writer's clock, under the test's control: frames 20 ms apart.
	now := time.Unix(1_800_000_000, 0)
	s.mu.Lock()
	s.clock = func() time.Time { return now }
	s.mu.Unlock()
	p := newPeer(t)
	if _, _, err := s.AnswerOffer(p.offer("0 101")); err != nil {
		t.Fatal(err)
	}
	var f Frame
	var pkts []*rtp.Packet
	send := func(n int) {
		for i := range n {
			toneFrame(&f, i)
			s.WriteFrame(&f)
			pkt, ok := p.read(t, time.Second)
			if !ok {
				t.Fatal("no packet")
			}
			pkts = append(pkts, pkt)
			s.mu.Lock()
			now = now.Add(FrameDuration)
			s.mu.Unlock()
		}
	}
	send(5)
	s.mu.Lock()
	now = now.Add(140 * time.Millisecond) // silence: the next packet starts a talkspurt
	s.mu.Unlock()
	send(2)
	for i, pk := range pkts {
		if pk.PayloadType != 0 || len(pk.Payload) != FrameSamples || pk.SSRC != pkts[0].SSRC {
			t.Fatalf("packet %d: pt %d len %d ssrc %x", i, pk.PayloadType, len(pk.Payload), pk.SSRC)
		}
		if i == 0 {
			continue
		}
		if pk.SequenceNumber != pkts[i-1].SequenceNumber+1 {
			t.Errorf("packet %d: seq %d after %d", i, pk.SequenceNumber, pkts[i-1].SequenceNumber)
		}
		dts := pk.Timestamp - pkts[i-1].Timestamp
		switch i {
		case 5:
			if !pk.Marker || dts != 8*FrameSamples {
				t.Errorf("after silence: marker %v, ts step %d (want marker and %d)", pk.Marker, dts, 8*FrameSamples)
			}
		default:
			if pk.Marker || dts != FrameSamples {
				t.Errorf("packet %d: marker %v ts step %d", i, pk.Marker, dts)
			}
		}
	}
	if !pkts[0].Marker {
		t.Error("first packet has no marker")
	}
	if st := s.Stats(); st.PacketsSent != 7 || st.OctetsSent != 7*FrameSamples {
		t.Errorf("stats %+v", st)
	}
}

func TestSessionSameCodecRelayAndTranscode(t *testing.T) {
	s := newTestSession(t, SessionConfig{})
	p := newPeer(t)
	if _, _, err := s.AnswerOffer(p.offer("8")); err != nil { // PCMA
		t.Fatal(err)
	}
	// A PCMA payload passes untouched, byte for byte, with no decoding.
	var f Frame
	for i := range f.Payload {
		f.Payload[i] = byte(i)
	}
	f.Codec, f.HasPayload = PCMA, true
	s.WriteFrame(&f)
	pkt, _ := p.read(t, time.Second)
	if pkt == nil || pkt.PayloadType != 8 {
		t.Fatalf("packet %+v", pkt)
	}
	for i, b := range pkt.Payload {
		if b != byte(i) {
			t.Fatalf("relayed payload changed at %d", i)
		}
	}
	if f.HasSamples {
		t.Error("same-codec relay decoded the frame")
	}
	// A PCMU payload is transcoded to PCMA.
	var g Frame
	toneFrame(&g, 0)
	g.Encoded(PCMU)
	g.HasSamples = false
	s.WriteFrame(&g)
	pkt, _ = p.read(t, time.Second)
	var want Frame
	toneFrame(&want, 0)
	want.Encoded(PCMU)
	want.HasSamples = false
	want.Linear()
	want.HasPayload = false
	exp := want.Encoded(PCMA)
	if string(pkt.Payload) != string(exp) {
		t.Error("PCMU→PCMA transcoding mismatch")
	}
}

func TestSessionReceiveLatchingAndReframing(t *testing.T) {
	frames := make(chan Frame, 32)
	s := newTestSession(t, SessionConfig{})
	s.SetSink(SinkFunc(func(f *Frame) { frames <- *f }))
	p := newPeer(t)
	if _, _, err := s.AnswerOffer(p.offer("0", "a=ptime:10")); err != nil {
		t.Fatal(err)
	}
	dst := net.UDPAddrFromAddrPort(s.LocalAddr())
	send := func(c *net.UDPConn, seq uint16, ssrc uint32, payload []byte) {
		pk := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 80, SSRC: ssrc}, Payload: payload}
		b, _ := pk.Marshal()
		if _, err := c.WriteToUDP(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	ten := make([]byte, 80) // 10 ms packets: two make one frame
	for i := range ten {
		ten[i] = 0x55
	}
	send(p.conn, 100, 7, ten)
	send(p.conn, 101, 7, ten)
	select {
	case f := <-frames:
		if !f.HasPayload || f.Codec != PCMU || f.HasSamples || f.Payload[159] != 0x55 {
			t.Fatalf("frame %+v", f.Codec)
		}
	case <-time.After(time.Second):
		t.Fatal("no frame from two 10 ms packets")
	}
	// An intruder from another port is ignored after latching.
	intruder := newPeer(t)
	send(intruder.conn, 102, 9, make([]byte, 160))
	// A duplicate and a late packet are dropped too.
	send(p.conn, 101, 7, ten)
	time.Sleep(50 * time.Millisecond)
	select {
	case <-frames:
		t.Fatal("intruder or duplicate produced a frame")
	default:
	}
	st := s.Stats()
	if st.Ignored < 2 || st.PacketsReceived != 2 || st.PacketsLost != 0 {
		t.Errorf("stats %+v", st)
	}
	// A gap counts as loss.
	send(p.conn, 105, 7, make([]byte, 160))
	waitUntil(t, func() bool { return s.Stats().PacketsLost == 3 })
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSessionHoldStopsSending(t *testing.T) {
	s := newTestSession(t, SessionConfig{})
	p := newPeer(t)
	if _, _, err := s.AnswerOffer(p.offer("0", "a=sendonly")); err != nil {
		t.Fatal(err)
	}
	var f Frame
	toneFrame(&f, 0)
	s.WriteFrame(&f)
	if _, ok := p.read(t, 100*time.Millisecond); ok {
		t.Fatal("sent media to a peer that holds the call (sendonly)")
	}
	ans, _, err := s.AnswerOffer(p.offer("0", "a=sendrecv"))
	if err != nil {
		t.Fatal(err)
	}
	if !containsLine(ans, "a=sendrecv") {
		t.Errorf("answer to unhold:\n%s", ans)
	}
	s.WriteFrame(&f)
	if _, ok := p.read(t, time.Second); !ok {
		t.Fatal("no media after unhold")
	}
	ans, _, _ = s.AnswerOffer(p.offer("0", "a=inactive"))
	if !containsLine(ans, "a=inactive") {
		t.Errorf("answer to inactive:\n%s", ans)
	}
}

func containsLine(b []byte, line string) bool {
	for _, l := range splitLines(string(b)) {
		if l == line {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			l := s[start:i]
			if len(l) > 0 && l[len(l)-1] == '\r' {
				l = l[:len(l)-1]
			}
			out = append(out, l)
			start = i + 1
		}
	}
	return out
}

func TestSessionNoCommonCodec(t *testing.T) {
	s := newTestSession(t, SessionConfig{Codecs: []Codec{PCMU}})
	p := newPeer(t)
	if _, _, err := s.AnswerOffer(p.offer("8")); err == nil {
		t.Fatal("PCMA-only offer accepted by a PCMU-only session")
	}
}

func TestSendDigitRFC4733(t *testing.T) {
	s := newTestSession(t, SessionConfig{})
	p := newPeer(t)
	if _, _, err := s.AnswerOffer(p.offer("0 101")); err != nil {
		t.Fatal(err)
	}
	if err := s.SendDigit('x'); err == nil {
		t.Error("SendDigit accepted 'x'")
	}
	if err := s.SendDigit('5'); err != nil {
		t.Fatal(err)
	}
	var evs []*rtp.Packet
	for {
		pk, ok := p.read(t, time.Second)
		if !ok {
			break
		}
		evs = append(evs, pk)
	}
	// 100 ms: 5 packets with growing duration, the last one sent 3 times with E.
	if len(evs) != 7 {
		t.Fatalf("%d event packets, want 7", len(evs))
	}
	ends := 0
	for i, pk := range evs {
		ev, err := ParseTelephoneEvent(pk.Payload)
		if err != nil || pk.PayloadType != 101 || ev.Code != 5 || pk.Timestamp != evs[0].Timestamp {
			t.Fatalf("packet %d: pt %d ev %+v ts %d", i, pk.PayloadType, ev, pk.Timestamp)
		}
		if (i == 0) != pk.Marker {
			t.Errorf("packet %d marker %v", i, pk.Marker)
		}
		if ev.End {
			ends++
			if ev.Duration != 800 {
				t.Errorf("end duration %d, want 800", ev.Duration)
			}
		} else if int(ev.Duration) != (i+1)*FrameSamples {
			t.Errorf("packet %d duration %d", i, ev.Duration)
		}
	}
	if ends != 3 {
		t.Errorf("%d end packets, want 3", ends)
	}
}

func TestEventReceiverOncePerEvent(t *testing.T) {
	var r eventReceiver
	pl := func(code uint8, end bool, dur uint16) []byte {
		b := make([]byte, 4)
		TelephoneEvent{Code: code, End: end, Duration: dur}.Put(b)
		return b
	}
	var got []byte
	feed := func(ts uint32, p []byte) {
		if d := r.packet(ts, p); d != 0 {
			got = append(got, d)
		}
	}
	feed(1000, pl(1, false, 160))
	feed(1000, pl(1, false, 320))
	feed(1000, pl(1, true, 480))
	feed(1000, pl(1, true, 480)) // retransmitted end
	feed(1000, pl(1, true, 480))
	feed(2000, pl(11, true, 480)) // start lost: the end packet still counts
	feed(2000, pl(11, true, 480))
	feed(3000, pl(1, false, 160)) // the same digit again is a new event
	feed(4000, pl(200, false, 160))
	feed(5000, []byte{1})
	if string(got) != "1#1" {
		t.Fatalf("digits %q, want \"1#1\"", got)
	}
}

func TestRTCPRoundTrip(t *testing.T) {
	buf := make([]byte, 512)
	rb := reportBlock{SSRC: 0xabcdef01, FractionLost: 64, TotalLost: -3, HighestSeq: 70000, Jitter: 42, LSR: 7, DLSR: 9}
	si := senderInfo{HasSender: true, NTP: ntpTime(time.Unix(1700000000, 5e8)), RTPTime: 123, Packets: 10, Octets: 1600}
	n := buildRTCP(buf, 0x1234, &si, &rb, "minipbx-test")
	if n%4 != 0 {
		t.Fatalf("compound length %d not a multiple of 4", n)
	}
	r, err := parseRTCP(buf[:n], 0xabcdef01)
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasSR || !r.HasBlock || r.SenderSSRC != 0x1234 || r.Block != rb {
		t.Fatalf("parsed %+v", r)
	}
	n = buildRTCP(buf, 0x1234, &senderInfo{}, nil, "x")
	if r, err := parseRTCP(buf[:n], 1); err != nil || r.HasSR || r.HasBlock {
		t.Fatalf("RR without block: %+v %v", r, err)
	}
}

func TestRTCPStatsBetweenSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for an RTCP interval")
	}
	a := newTestSession(t, SessionConfig{})
	b := newTestSession(t, SessionConfig{})
	offer, _ := a.Offer(nil, SendRecv)
	ans, _, err := b.AnswerOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AcceptAnswer(ans); err != nil {
		t.Fatal(err)
	}
	var f Frame
	toneFrame(&f, 0)
	done := time.Now().Add(rtcpInterval + 700*time.Millisecond)
	for time.Now().Before(done) {
		a.WriteFrame(&f)
		b.WriteFrame(&f)
		time.Sleep(FrameDuration)
	}
	st := a.Stats()
	if st.RemoteReports == 0 || st.PacketsReceived == 0 {
		t.Fatalf("no RTCP report received: %+v", st)
	}
	if st.RemoteFractionLost != 0 || st.RemotePacketsLost != 0 {
		t.Errorf("loss reported on loopback: %+v", st)
	}
	t.Logf("stats %+v", st)
}

func TestRTCPByeOnClose(t *testing.T) {
	s, err := NewSession(SessionConfig{BindIP: lo})
	if err != nil {
		t.Fatal(err)
	}
	rtpPeer := newPeer(t)
	// The peer's RTCP port is its RTP port + 1.
	rc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(rtpPeer.addr.Port()) + 1})
	if err != nil {
		t.Skipf("RTCP port next to the peer is taken: %v", err)
	}
	defer rc.Close()
	if _, _, err := s.AnswerOffer(rtpPeer.offer("0")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	buf := make([]byte, 1500)
	_ = rc.SetReadDeadline(time.Now().Add(time.Second))
	n, err := rc.Read(buf)
	if err != nil {
		t.Fatal("no RTCP at close")
	}
	r, err := parseRTCP(buf[:n], 0)
	if err != nil || !r.Bye {
		t.Fatalf("RTCP at close: %+v %v", r, err)
	}
}

func FuzzParseRTCP(f *testing.F) {
	buf := make([]byte, 512)
	n := buildRTCP(buf, 1, &senderInfo{HasSender: true}, &reportBlock{SSRC: 2}, "c")
	f.Add(buf[:n])
	f.Add([]byte{0x81, 201, 0, 7, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseRTCP(b, 2)
	})
}

func FuzzHandleDatagram(f *testing.F) {
	pk := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1}, Payload: make([]byte, 160)}
	b, _ := pk.Marshal()
	f.Add(b)
	ev := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 2}, Payload: []byte{1, 0x80, 0, 160}}
	b, _ = ev.Marshal()
	f.Add(b)
	s, err := NewSession(SessionConfig{BindIP: lo, OnDigit: func(byte) {}})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	s.SetSink(SinkFunc(func(fr *Frame) { fr.Linear() }))
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	var st rxLoop
	f.Fuzz(func(t *testing.T, b []byte) {
		s.handleDatagram(&st, from, b)
	})
}

// TestSymmetricRTP: a peer behind NAT names an address in its SDP that is
// not where its packets come from; we answer to where they come from, but
// only from the peer's IP.
func TestSymmetricRTP(t *testing.T) {
	s := newTestSession(t, SessionConfig{})
	s.SetPeerIP(lo)
	sdpPeer, natPeer := newPeer(t), newPeer(t)
	if _, _, err := s.AnswerOffer(sdpPeer.offer("0")); err != nil {
		t.Fatal(err)
	}
	dst := net.UDPAddrFromAddrPort(s.LocalAddr())
	pk := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, SSRC: 3}, Payload: make([]byte, 160)}
	b, _ := pk.Marshal()
	// A stranger on another IP cannot take the stream.
	stranger, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	stranger.WriteToUDP(b, dst)
	waitUntil(t, func() bool { return s.Stats().Ignored == 1 })
	natPeer.conn.WriteToUDP(b, dst)
	waitUntil(t, func() bool { return s.Stats().PacketsReceived == 1 })
	var f Frame
	toneFrame(&f, 0)
	s.WriteFrame(&f)
	if _, ok := natPeer.read(t, time.Second); !ok {
		t.Fatal("no RTP sent back to the packets' source")
	}
	if _, ok := sdpPeer.read(t, 50*time.Millisecond); ok {
		t.Fatal("RTP still sent to the SDP address")
	}
}

// rtpPacket marshals a 20 ms PCMU packet whose payload bytes all equal
// fill.
func rtpPacket(seq uint16, ts uint32, ssrc uint32, fill byte) []byte {
	pl := make([]byte, FrameSamples)
	for i := range pl {
		pl[i] = fill
	}
	pk := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc}, Payload: pl}
	b, _ := pk.Marshal()
	return b
}

// TestSessionReorderWindow: a packet that arrives after a later one is
// passed on (with the timing that puts it back in place) instead of being
// dropped; a duplicate, and one older than the window, are not.
func TestSessionReorderWindow(t *testing.T) {
	s := newTestSession(t, SessionConfig{})
	var got []Frame
	s.SetSink(SinkFunc(func(f *Frame) { got = append(got, *f) }))
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	var st rxLoop
	for _, seq := range []uint16{10, 11, 13, 12, 14, 12, 16, 15, 200, 100 - reorderWindow} {
		s.handleDatagram(&st, from, rtpPacket(seq, 1000+uint32(seq)*FrameSamples, 9, byte(seq)))
	}
	var seqs []uint16
	for _, f := range got {
		seqs = append(seqs, f.Seq)
		if f.Stream == 0 || f.Stream != got[0].Stream || f.TS != 1000+uint32(f.Seq)*FrameSamples || f.Payload[0] != byte(f.Seq) {
			t.Errorf("frame %d: stream %d ts %d payload %d", f.Seq, f.Stream, f.TS, f.Payload[0])
		}
	}
	// 200 is a jump within maxDropout, taken as loss; 100-window is behind
	// the window and ignored, as is the second 12.
	want := []uint16{10, 11, 13, 12, 14, 16, 15, 200}
	if fmt.Sprint(seqs) != fmt.Sprint(want) {
		t.Fatalf("frames passed on %v, want %v", seqs, want)
	}
	st2 := s.Stats()
	if st2.Reordered != 2 || st2.Ignored != 2 || st2.PacketsReceived != 8 {
		t.Errorf("stats %+v", st2)
	}
	if st2.PacketsLost != int64(200-10+1-8) {
		t.Errorf("lost %d, want %d (late packets are not lost)", st2.PacketsLost, 200-10+1-8)
	}
}

// TestSessionSequenceRestart: a sender that restarts its sequence numbers
// (same SSRC) is followed once two packets in a row confirm it, as a new
// stream.
func TestSessionSequenceRestart(t *testing.T) {
	s := newTestSession(t, SessionConfig{})
	var got []Frame
	s.SetSink(SinkFunc(func(f *Frame) { got = append(got, *f) }))
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	var st rxLoop
	for _, seq := range []uint16{40000, 40001, 5, 6, 7} {
		s.handleDatagram(&st, from, rtpPacket(seq, uint32(seq)*FrameSamples, 9, 0))
	}
	if len(got) != 4 || got[2].Seq != 6 || got[3].Seq != 7 || got[2].Stream == got[0].Stream || got[3].Stream != got[2].Stream {
		t.Fatalf("got %d frames: %+v", len(got), got)
	}
}

// TestSessionRelayKeepsSourceTiming: frames relayed from one session to
// another keep their source's spacing: a late packet goes out late with
// the sequence number and timestamp it would have had, a loss leaves a
// gap, a silence a timestamp jump with a marker, and the sequence stays
// our own (offset) after generated audio.
func TestSessionRelayKeepsSourceTiming(t *testing.T) {
	in := newTestSession(t, SessionConfig{})
	out := newTestSession(t, SessionConfig{})
	far := newPeer(t)
	if _, _, err := out.AnswerOffer(far.offer("0")); err != nil {
		t.Fatal(err)
	}
	in.SetSink(out)
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	var st rxLoop
	// seq: 1 2 4 3 (late) 6 (5 lost) 7, then 8 after 1 s of silence.
	arrivals := []struct {
		seq uint16
		ts  uint32
	}{{1, 160}, {2, 320}, {4, 640}, {3, 480}, {6, 960}, {7, 1120}, {8, 1120 + 8000}}
	for _, a := range arrivals {
		in.handleDatagram(&st, from, rtpPacket(a.seq, a.ts, 9, byte(a.seq)))
	}
	var pk []*rtp.Packet
	for range arrivals {
		p, ok := far.read(t, time.Second)
		if !ok {
			t.Fatalf("only %d packets relayed", len(pk))
		}
		pk = append(pk, p)
	}
	seq0, ts0 := pk[0].SequenceNumber, pk[0].Timestamp
	for i, a := range arrivals {
		p := pk[i]
		if p.Payload[0] != byte(a.seq) {
			t.Fatalf("packet %d carries source packet %d, want %d (relayed in arrival order)", i, p.Payload[0], a.seq)
		}
		if p.SequenceNumber-seq0 != a.seq-1 || p.Timestamp-ts0 != a.ts-160 {
			t.Errorf("source packet %d went out as seq +%d ts +%d, want +%d +%d",
				a.seq, p.SequenceNumber-seq0, p.Timestamp-ts0, a.seq-1, a.ts-160)
		}
		if wantMark := i == 0 || a.seq == 8; p.Marker != wantMark {
			t.Errorf("source packet %d: marker %v", a.seq, p.Marker)
		}
	}
	// Generated audio after the relay continues our own sequence.
	var f Frame
	toneFrame(&f, 0)
	out.WriteFrame(&f)
	p, ok := far.read(t, time.Second)
	if !ok || p.SequenceNumber != pk[len(pk)-1].SequenceNumber+1 {
		t.Fatalf("generated frame after the relay: %+v", p)
	}
	// A new relayed stream starts a new mapping from there.
	in.handleDatagram(&st, from, rtpPacket(500, 77, 10, 1))
	if p2, ok := far.read(t, time.Second); !ok || p2.SequenceNumber != p.SequenceNumber+1 || !p2.Marker {
		t.Fatalf("new stream: %+v", p2)
	}
}

// TestSessionHeard: a peer whose SDP says it sends is expected to, from
// the moment that SDP is applied; each packet it sends moves the moment it
// was last heard; a peer that says it only listens (or that put the call
// on hold with c=0.0.0.0) is not expected to send at all, and saying it
// sends again starts its silence afresh.
func TestSessionHeard(t *testing.T) {
	s := newTestSession(t, SessionConfig{})
	if _, expected := s.Heard(); expected {
		t.Fatal("expected to send before any SDP")
	}
	p := newPeer(t)
	before := time.Now()
	if _, _, err := s.AnswerOffer(p.offer("0")); err != nil {
		t.Fatal(err)
	}
	since, expected := s.Heard()
	if !expected || since.Before(before) {
		t.Fatalf("after a sendrecv offer: heard %v (offer at %v), expected %v", since, before, expected)
	}
	time.Sleep(20 * time.Millisecond)
	sent := time.Now()
	if _, err := p.conn.WriteToUDP(rtpPacket(1, 160, 7, 0xff), net.UDPAddrFromAddrPort(s.LocalAddr())); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { last, _ := s.Heard(); return !last.Before(sent) })
	for _, hold := range [][]byte{
		p.offer("0", "a=recvonly"),
		[]byte(strings.Replace(string(p.offer("0")), "c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0", 1)),
	} {
		if _, _, err := s.AnswerOffer(hold); err != nil {
			t.Fatal(err)
		}
		if _, expected := s.Heard(); expected {
			t.Fatalf("expected to send after:\n%s", hold)
		}
	}
	resumed := time.Now()
	if _, _, err := s.AnswerOffer(p.offer("0")); err != nil {
		t.Fatal(err)
	}
	if last, expected := s.Heard(); !expected || last.Before(resumed) {
		t.Fatalf("after resuming: heard %v (resumed at %v), expected %v", last, resumed, expected)
	}
}
