package media

import (
	"net/netip"
	"testing"

	"github.com/pion/rtp"
)

// relayPair is two sessions joined as a bridge joins two SIP legs: what
// session in receives goes to session out (codec outCodec), which sends it
// to a peer that drains its socket.
func relayPair(b testing.TB, outCodec string) (in *Session, st *rxLoop) {
	in = newTestSession(b, SessionConfig{})
	out := newTestSession(b, SessionConfig{})
	p := newPeer(b)
	if _, _, err := out.AnswerOffer(p.offer(outCodec)); err != nil {
		b.Fatal(err)
	}
	p.drain()
	in.SetSink(out)
	return in, &rxLoop{}
}

// packetFeeder makes the next RTP packet of payload type pt for a pair:
// each call returns a new datagram, the sequence number and timestamp
// moving on.
func packetFeeder(pt uint8) func() []byte {
	pk := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SSRC: 5}, Payload: make([]byte, FrameSamples)}
	for i := range pk.Payload {
		pk.Payload[i] = byte(i)
	}
	buf := make([]byte, 200)
	return func() []byte {
		pk.SequenceNumber++
		pk.Timestamp += FrameSamples
		n, _ := pk.MarshalTo(buf)
		return buf[:n]
	}
}

var relayFrom = netip.MustParseAddrPort("127.0.0.1:4000")

// benchmarkPackets runs RTP packets of payload type pt through the pair:
// parse, source and sequence checks, statistics, the frame to the other
// leg, encoding if the codecs differ, the RTP header and the send. All but
// the socket read of a relayed packet.
func benchmarkPackets(b *testing.B, pt uint8, outCodec string) {
	in, st := relayPair(b, outCodec)
	next := packetFeeder(pt)
	b.ReportAllocs()
	for b.Loop() {
		in.handleDatagram(st, relayFrom, next())
	}
}

// BenchmarkRelayPacket is one packet of a same-codec call (PCMU both
// legs), from datagram in to datagram out.
func BenchmarkRelayPacket(b *testing.B) { benchmarkPackets(b, 0, "0") }

// BenchmarkTranscodePacket is one packet of a PCMU→PCMA call: decoded to
// linear and encoded again on the way.
func BenchmarkTranscodePacket(b *testing.B) { benchmarkPackets(b, 0, "8") }

// TestRelayAllocs: relaying and transcoding allocate nothing per packet.
func TestRelayAllocs(t *testing.T) {
	for _, out := range []string{"0", "8"} {
		in, st := relayPair(t, out)
		next := packetFeeder(0)
		if a := testing.AllocsPerRun(500, func() { in.handleDatagram(st, relayFrom, next()) }); a != 0 {
			t.Errorf("PCMU to %s: %v allocations per packet", out, a)
		}
	}
}
