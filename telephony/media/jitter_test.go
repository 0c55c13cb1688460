package media

import (
	"math"
	"net/netip"
	"testing"

	"github.com/pion/rtp"
)

// countingPLC records what the buffer asks of its concealer.
type countingPLC struct{ good, conceal int }

func (p *countingPLC) Good([]int16) { p.good++ }
func (p *countingPLC) Conceal(out []int16) {
	p.conceal++
	for i := range out {
		out[i] = 1234
	}
}

func numbered(n int) *Frame {
	var f Frame
	f.Samples[0] = int16(n)
	f.HasSamples = true
	return &f
}

func TestJitterBufferCleanNetworkOneFrame(t *testing.T) {
	j := NewJitterBuffer(JitterConfig{})
	var out Frame
	// Push and pop in lock step: one frame of delay, nothing concealed.
	for i := 1; i <= 100; i++ {
		j.Push(numbered(i))
		if !j.Pop(&out) || out.Samples[0] != int16(i) {
			t.Fatalf("frame %d: got %d", i, out.Samples[0])
		}
	}
	if st := j.Stats(); st.Depth != 1 || st.Concealed != 0 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestJitterBufferUnderrunConcealsAndAdapts(t *testing.T) {
	plc := &countingPLC{}
	j := NewJitterBuffer(JitterConfig{PLC: plc})
	var out Frame
	j.Push(numbered(1))
	j.Pop(&out)
	// A late frame: the clock pulls before it arrives.
	if j.Pop(&out) {
		t.Fatal("underrun returned real audio")
	}
	if plc.conceal != 1 || out.Samples[0] != 1234 {
		t.Fatalf("PLC not used: %d, sample %d", plc.conceal, out.Samples[0])
	}
	if d := j.Stats().Depth; d != 2 {
		t.Fatalf("target depth %d after underrun, want 2", d)
	}
	// The late frame plays as soon as it comes, nothing lost: the queue
	// now runs a frame deeper (2 and 3 arrive together, 2 plays, 3 waits).
	j.Push(numbered(2))
	j.Push(numbered(3))
	if !j.Pop(&out) || out.Samples[0] != 2 {
		t.Fatalf("got %d, want 2", out.Samples[0])
	}
	if j.Len() != 1 {
		t.Fatalf("queue %d, want 1", j.Len())
	}
	// Ten calm seconds bring the depth back to one frame.
	for i := range calmPops + 1 {
		j.Push(numbered(4 + i))
		j.Pop(&out)
	}
	if d := j.Stats().Depth; d != 1 {
		t.Fatalf("depth %d after a calm period, want 1", d)
	}
}

// TestJitterBufferAdaptsToStalls: the network (or a busy CPU) delivers
// nothing for 60 ms every second, then the late frames at once. Only the
// first stall is concealed; the depth it leaves covers the others.
func TestJitterBufferAdaptsToStalls(t *testing.T) {
	j := NewJitterBuffer(JitterConfig{})
	var out Frame
	next, late := 1, 0
	for pop := range 1000 {
		if pop%50 >= 47 { // stalled: the frame is late
			late++
		} else {
			for ; late >= 0; late-- {
				j.Push(numbered(next))
				next++
			}
			late = 0
		}
		j.Pop(&out)
	}
	st := j.Stats()
	if st.Concealed > 3 || st.Dropped != 0 {
		t.Fatalf("stats %+v: want the first stall's 3 frames concealed, nothing dropped", st)
	}
	if st.Depth > 5 {
		t.Fatalf("depth %d, want ≤ 5", st.Depth)
	}
}

func TestJitterBufferBoundsDelay(t *testing.T) {
	j := NewJitterBuffer(JitterConfig{MaxDepth: 4, Capacity: 6})
	var out Frame
	// A burst larger than capacity drops the oldest frames.
	for i := 1; i <= 10; i++ {
		j.Push(numbered(i))
	}
	if j.Len() != 6 {
		t.Fatalf("len %d, want capacity 6", j.Len())
	}
	j.Pop(&out)
	if out.Samples[0] != 5 {
		t.Fatalf("oldest kept frame %d, want 5", out.Samples[0])
	}
	// A writer faster than the clock (1.6 %, far beyond real crystal drift):
	// the queue is trimmed back instead of growing the delay.
	for i := range 3000 {
		j.Push(numbered(100 + i))
		if i%60 == 0 {
			j.Push(numbered(1000 + i))
		}
		j.Pop(&out)
	}
	if n := j.Len(); n > 3 {
		t.Fatalf("queue grew to %d frames under drift", n)
	}
}

func TestJitterBufferDefaultPLC(t *testing.T) {
	j := NewJitterBuffer(JitterConfig{})
	var in, out Frame
	n := 0
	for range 10 {
		for i := range in.Samples {
			in.Samples[i] = int16(8000 * math.Sin(2*math.Pi*200*float64(n)/8000))
			n++
		}
		in.HasSamples = true
		j.Push(&in)
		j.Pop(&out)
	}
	if j.Pop(&out) {
		t.Fatal("underrun returned real audio")
	}
	var energy float64
	for _, v := range out.Samples {
		energy += float64(v) * float64(v)
	}
	if rms := math.Sqrt(energy / FrameSamples); rms < 1000 {
		t.Fatalf("concealed frame RMS %.0f: silence instead of concealment", rms)
	}
}

func BenchmarkJitterPushPop(b *testing.B) {
	j := NewJitterBuffer(JitterConfig{})
	f := numbered(1)
	var out Frame
	b.ReportAllocs()
	for b.Loop() {
		j.Push(f)
		j.Pop(&out)
	}
}

// BenchmarkSessionSendFrame is the send hot path: one linear frame encoded
// to PCMU and sent as an RTP packet to a loopback socket.
func BenchmarkSessionSendFrame(b *testing.B) {
	s := newTestSession(b, SessionConfig{})
	p := newPeer(b)
	if _, _, err := s.AnswerOffer(p.offer("0")); err != nil {
		b.Fatal(err)
	}
	go func() { // drain so the socket buffer never fills
		buf := make([]byte, 1500)
		for {
			if _, err := p.conn.Read(buf); err != nil {
				return
			}
		}
	}()
	var f Frame
	toneFrame(&f, 0)
	b.ReportAllocs()
	for b.Loop() {
		f.HasPayload = false
		s.WriteFrame(&f)
	}
}

// BenchmarkSessionRelayFrame: a frame already in the session's codec is
// sent without encoding (same-codec relay).
func BenchmarkSessionRelayFrame(b *testing.B) {
	s := newTestSession(b, SessionConfig{})
	p := newPeer(b)
	if _, _, err := s.AnswerOffer(p.offer("0")); err != nil {
		b.Fatal(err)
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, err := p.conn.Read(buf); err != nil {
				return
			}
		}
	}()
	var f Frame
	f.Codec, f.HasPayload = PCMU, true
	b.ReportAllocs()
	for b.Loop() {
		s.WriteFrame(&f)
	}
}

// BenchmarkSessionReceiveFrame is the receive hot path without the socket
// read: parse, source and sequence checks, statistics, re-framing, and the
// push to a sink that decodes to linear.
func BenchmarkSessionReceiveFrame(b *testing.B) {
	s := newTestSession(b, SessionConfig{})
	s.SetSink(SinkFunc(func(f *Frame) { f.Linear() }))
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	pk := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 5}, Payload: make([]byte, 160)}
	buf := make([]byte, 200)
	var st rxLoop
	b.ReportAllocs()
	for b.Loop() {
		pk.SequenceNumber++
		pk.Timestamp += 160
		n, _ := pk.MarshalTo(buf)
		s.handleDatagram(&st, from, buf[:n])
	}
}

// TestJitterBufferVoiceBandData: in voice-band data mode a lost frame is
// silence, never a concealed one, and underruns do not move the depth.
func TestJitterBufferVoiceBandData(t *testing.T) {
	plc := &countingPLC{}
	j := NewJitterBuffer(JitterConfig{PLC: plc})
	j.SetVoiceBandData()
	var out Frame
	for i := 1; i <= 3; i++ {
		j.Push(numbered(i))
	}
	for i := 1; i <= 3; i++ {
		if !j.Pop(&out) || out.Samples[0] != int16(i) {
			t.Fatalf("frame %d: got %d", i, out.Samples[0])
		}
	}
	for range 5 {
		if j.Pop(&out) {
			t.Fatal("underrun returned real audio")
		}
		if out.Samples[0] != 0 {
			t.Fatalf("a lost frame played %d, want silence", out.Samples[0])
		}
	}
	if plc.good != 0 || plc.conceal != 0 {
		t.Errorf("the concealer ran: %+v", plc)
	}
	if d := j.Stats().Depth; d != VoiceBandDataDepth {
		t.Errorf("depth %d after underruns, want the fixed %d", d, VoiceBandDataDepth)
	}
}
