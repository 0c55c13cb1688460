package media

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// countingPLC records what the buffer asks of its concealer.
type countingPLC struct{ good, conceal int }

func (p *countingPLC) Good([]int16) { p.good++ }
func (p *countingPLC) Conceal(out []int16) {
	p.conceal++
	for i := range out {
		out[i] = concealMark
	}
}

// concealMark fills concealed frames in these tests; numbered frames carry
// their number in sample 0 and never this value in sample 1.
const concealMark = -1234

func numbered(n int) *Frame {
	var f Frame
	f.Samples[0] = int16(n)
	f.Samples[1] = int16(n >> 15)
	f.HasSamples = true
	return &f
}

// timed is frame n of an RTP stream of 20 ms packets.
func timed(n int) *Frame {
	f := numbered(n)
	f.Stream, f.Seq, f.TS = 7, uint16(n), uint32(n*FrameSamples)
	return f
}

// number is the frame number a played frame carries.
func number(f *Frame) int { return int(f.Samples[0]) | int(f.Samples[1])<<15 }

// pop pops a frame and returns its number, -1 when it was concealed.
func pop(j *JitterBuffer, out *Frame) int {
	if !j.Pop(out) {
		return -1
	}
	return number(out)
}

// netConditions is what a simulated network does to a stream of 20 ms
// frames on its way to the buffer.
type netConditions struct {
	loss   float64       // probability that a frame never arrives
	jitter time.Duration // each frame is delayed by a uniform 0..jitter, so frames overtake each other
	// sendJitter is the sender's own scheduling noise (uniform 0..sendJitter).
	sendJitter time.Duration
	phase      time.Duration // when in its 20 ms the board's clock pops
	popJitter  time.Duration // the clock's own scheduling noise
	stall      func(n int) time.Duration
	frames     int
	untimed    bool // frames carry no RTP timing (generated audio)
	vbd        bool // the buffer is in voice-band data mode from the start
	seed       uint64
}

// simResult is what the board heard: per pop the frame number played (-1:
// concealed) and, per frame played, how long it waited in the buffer.
type simResult struct {
	played []int
	held   []time.Duration // per frame played: pop time - arrival time
	popAt  []time.Duration // per pop, its time
	stats  JitterStats
	plc    countingPLC // what the concealer was asked
}

// simulate runs frames through a network into a buffer popped every
// 20 ms, on a virtual clock.
func simulate(t testing.TB, c netConditions) simResult {
	t.Helper()
	rng := rand.New(rand.NewPCG(c.seed, 1))
	type arrival struct {
		at time.Duration
		n  int
	}
	var arrivals []arrival
	for n := range c.frames {
		send := time.Duration(n) * FrameDuration
		if c.sendJitter > 0 {
			send += time.Duration(rng.Int64N(int64(c.sendJitter)))
		}
		if c.stall != nil {
			send += c.stall(n)
		}
		if rng.Float64() < c.loss {
			continue
		}
		if c.jitter > 0 {
			send += time.Duration(rng.Int64N(int64(c.jitter)))
		}
		arrivals = append(arrivals, arrival{send, n})
	}
	sort.SliceStable(arrivals, func(i, k int) bool { return arrivals[i].at < arrivals[k].at })
	base := time.Unix(1_800_000_000, 0)
	var now time.Duration
	plc := &countingPLC{}
	jb := NewJitterBuffer(JitterConfig{PLC: plc, Now: func() time.Time { return base.Add(now) }})
	if c.vbd {
		jb.SetVoiceBandData()
	}
	arrivedAt := map[int]time.Duration{}
	var r simResult
	var out Frame
	next := 0
	end := time.Duration(c.frames)*FrameDuration + 200*time.Millisecond
	for k := 0; ; k++ {
		at := time.Duration(k)*FrameDuration + c.phase
		if c.popJitter > 0 {
			at += time.Duration(rng.Int64N(int64(c.popJitter)))
		}
		if at > end {
			break
		}
		for next < len(arrivals) && arrivals[next].at <= at {
			now = arrivals[next].at
			f := timed(arrivals[next].n)
			if c.untimed {
				f = numbered(arrivals[next].n)
			}
			jb.Push(f)
			arrivedAt[arrivals[next].n] = now
			next++
		}
		now = at
		n := pop(jb, &out)
		r.played = append(r.played, n)
		r.popAt = append(r.popAt, at)
		if n >= 0 {
			r.held = append(r.held, at-arrivedAt[n])
		}
	}
	r.stats = jb.Stats()
	r.plc = *plc
	return r
}

// inOrder reports whether the frames played are strictly increasing.
func (r simResult) inOrder() bool {
	last := -1
	for _, n := range r.played {
		if n < 0 {
			continue
		}
		if n <= last {
			return false
		}
		last = n
	}
	return true
}

// concealedAfter counts the concealed pops after the first frame played
// and from pop `from` on, up to the last frame played (the stream's end is
// not a loss).
func (r simResult) concealedAfter(from int) int {
	first, last := -1, -1
	for i, n := range r.played {
		if n >= 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	c := 0
	for i := max(first, from); i >= 0 && i <= last; i++ {
		if r.played[i] < 0 {
			c++
		}
	}
	return c
}

func quantile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func TestJitterBufferCleanNetworkOneFrame(t *testing.T) {
	j := NewJitterBuffer(JitterConfig{})
	var out Frame
	// Push and pop in lock step: no delay beyond the frame, nothing concealed.
	for i := 1; i <= 100; i++ {
		j.Push(timed(i))
		if got := pop(j, &out); got != i {
			t.Fatalf("frame %d: got %d", i, got)
		}
	}
	if st := j.Stats(); st.Depth != 0 || st.Concealed != 0 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestJitterBufferCleanNetworkDelay: on a clean network (the sender and
// the clock each with 1 ms of scheduling noise), whatever the phase of the
// clock against the stream, a frame waits at most 30 ms and typically
// about half a frame, and nothing is concealed once playing.
func TestJitterBufferCleanNetworkDelay(t *testing.T) {
	var all []time.Duration
	for ph := range 20 {
		r := simulate(t, netConditions{frames: 1500, phase: time.Duration(ph) * time.Millisecond,
			sendJitter: time.Millisecond, popJitter: time.Millisecond, seed: uint64(ph)})
		if !r.inOrder() {
			t.Fatalf("phase %d ms: out of order", ph)
		}
		// One underrun may happen where the phase is within the noise.
		if c := r.concealedAfter(0); c > 1 {
			t.Errorf("phase %d ms: %d frames concealed on a clean network", ph, c)
		}
		if w := slices.Max(r.held[50:]); w > 30*time.Millisecond {
			t.Errorf("phase %d ms: a frame waited %v", ph, w)
		}
		all = append(all, r.held[50:]...)
	}
	if m := quantile(all, 0.5); m > 15*time.Millisecond {
		t.Errorf("median wait %v, want ≤ 15 ms", m)
	}
	t.Logf("clean network, all phases: wait median %v, 99th %v, max %v",
		quantile(all, 0.5), quantile(all, 0.99), slices.Max(all))
}

// TestJitterBufferGivesDepthBack: one stall of the network (or the host)
// makes the buffer run deeper; once the network is calm again the extra
// depth is given back within a few seconds, not kept for the whole call.
func TestJitterBufferGivesDepthBack(t *testing.T) {
	// Frames arrive 8 ms before the pop; the network stalls frames 100
	// and 101 until frame 102 is due, then delivers them at once.
	r := simulate(t, netConditions{frames: 1000, phase: 8 * time.Millisecond,
		stall: func(n int) time.Duration {
			if n == 100 || n == 101 {
				return time.Duration(102-n) * FrameDuration
			}
			return 0
		}})
	if !r.inOrder() {
		t.Fatal("out of order")
	}
	before := r.held[90]
	deeper := r.held[110]
	if deeper < before+2*FrameDuration-time.Millisecond {
		t.Fatalf("after the stall frames wait %v, before %v: the buffer did not run deeper", deeper, before)
	}
	// 2 s after the stall the wait is back to what it was.
	if after := slices.Max(r.held[200:]); after > before+time.Millisecond {
		t.Errorf("2 s after one stall frames still wait %v (%v before it)", after, before)
	}
	if c := r.concealedAfter(0); c != 2 || r.stats.Dropped != 2 || r.stats.Late != 0 {
		t.Errorf("%d concealed, stats %+v: want the stall's 2 frames concealed, none late, 2 dropped to give the depth back", c, r.stats)
	}
}

// TestJitterBufferPutsReorderedFramesBack: frames that overtake each other
// play in their order, none concealed.
func TestJitterBufferPutsReorderedFramesBack(t *testing.T) {
	j := NewJitterBuffer(JitterConfig{PLC: &countingPLC{}})
	var out Frame
	var got []int
	// Two frames of depth (after a start with 1 and 2 together), then
	// every pair swapped.
	j.Push(timed(0))
	j.Push(timed(1))
	for n := 2; n < 40; n += 2 {
		got = append(got, pop(j, &out))
		j.Push(timed(n + 1))
		j.Push(timed(n))
		got = append(got, pop(j, &out))
	}
	for i, n := range got {
		if n != i {
			t.Fatalf("played %v", got)
		}
	}
	if st := j.Stats(); st.Reordered != 19 || st.Late != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestJitterBufferJitterWithReordering: 40 ms of jitter (each packet
// delayed 0–40 ms, so packets overtake each other) costs no more than 1 %
// random loss once the buffer has adapted (its first second).
func TestJitterBufferJitterWithReordering(t *testing.T) {
	for seed := range uint64(5) {
		r := simulate(t, netConditions{frames: 3000, jitter: 40 * time.Millisecond, phase: 7 * time.Millisecond, seed: seed})
		if !r.inOrder() {
			t.Fatal("out of order")
		}
		c := r.concealedAfter(50)
		if c > 3000/100 {
			t.Errorf("seed %d: %d of 3000 frames concealed after the first second (stats %+v)", seed, c, r.stats)
		}
		t.Logf("seed %d: %d concealed after 1 s, %d in the first second; wait median %v, max %v; %+v",
			seed, c, r.concealedAfter(0)-c, quantile(r.held, 0.5), slices.Max(r.held), r.stats)
	}
}

// TestJitterBufferRandomLoss: lost frames are concealed one for one and
// do not make the buffer run deeper.
func TestJitterBufferRandomLoss(t *testing.T) {
	r := simulate(t, netConditions{frames: 3000, loss: 0.05, phase: 3 * time.Millisecond,
		sendJitter: time.Millisecond, seed: 3})
	lost := 3000 - int(r.stats.Pushed)
	if c := r.concealedAfter(0); c > lost+2 {
		t.Errorf("%d frames lost, %d concealed", lost, c)
	}
	if w := slices.Max(r.held[50:]); w > 30*time.Millisecond {
		t.Errorf("a frame waited %v: loss made the buffer deeper", w)
	}
}

// stallEvery is a stall of the network every period frames: the last k
// frames of each period are held back until the next period starts, then
// delivered at once.
func stallEvery(period, k int) func(n int) time.Duration {
	return func(n int) time.Duration {
		if i := n % period; i >= period-k {
			return time.Duration(period-i) * FrameDuration
		}
		return 0
	}
}

// TestJitterBufferAdaptsToStalls: the network (or a busy CPU) delivers
// nothing for 60 ms every second, then the late frames at once. Only the
// first stall is concealed; the depth it leaves covers the others.
func TestJitterBufferAdaptsToStalls(t *testing.T) {
	r := simulate(t, netConditions{frames: 1000, phase: 10 * time.Millisecond, untimed: true, stall: stallEvery(50, 3)})
	if !r.inOrder() {
		t.Fatal("out of order")
	}
	if c := r.concealedAfter(0); c > 3 {
		t.Fatalf("%d concealed (stats %+v): want the first stall's 3 frames", c, r.stats)
	}
	if d := slices.Max(r.held); d > 5*FrameDuration {
		t.Fatalf("frames waited up to %v", d)
	}
}

// TestJitterBufferLearnsRecurringStalls: stalls 1.5 s apart, longer than
// the calm window: the depth given back after the first is needed again at
// the second, so the buffer widens its window and keeps the depth, instead
// of concealing every stall.
func TestJitterBufferLearnsRecurringStalls(t *testing.T) {
	r := simulate(t, netConditions{frames: 1500, phase: 10 * time.Millisecond, stall: stallEvery(75, 3)})
	if !r.inOrder() {
		t.Fatal("out of order")
	}
	// 20 stalls of 3 frames: the first two are concealed, not the rest.
	if c := r.concealedAfter(0); c > 6 {
		t.Fatalf("%d frames concealed over 20 stalls (stats %+v)", c, r.stats)
	}
}

// TestJitterBufferSilenceBetweenTalkspurts: a sender that stops during
// silence and resumes with a timestamp that kept time plays the new
// talkspurt with the same small delay.
func TestJitterBufferSilenceBetweenTalkspurts(t *testing.T) {
	now := time.Unix(0, 0)
	j := NewJitterBuffer(JitterConfig{PLC: &countingPLC{}, Now: func() time.Time { return now }})
	var out Frame
	step := func(push *Frame) int {
		if push != nil {
			j.Push(push)
		}
		now = now.Add(FrameDuration)
		return pop(j, &out)
	}
	for n := range 20 {
		if got := step(timed(n)); got != n {
			t.Fatalf("frame %d played %d", n, got)
		}
	}
	for range 30 { // 600 ms of silence: nothing sent
		step(nil)
	}
	for n := 50; n < 60; n++ {
		if got := step(timed(n)); got != n {
			t.Fatalf("after the silence frame %d played %d", n, got)
		}
	}
	// A sender whose timestamps stood still over the silence (frames 60..
	// numbered as if no time passed) is followed too.
	for range 30 {
		step(nil)
	}
	for n := 60; n < 70; n++ {
		f := timed(n)
		f.TS -= 30 * FrameSamples * 2 // well behind the frame playing
		if got := step(f); got != n && n > 60 {
			t.Fatalf("after a timestamp jump back frame %d played %d", n, got)
		}
	}
}

// TestJitterBufferNewStream: a new stream (another source, a restarted
// one) is not judged by the old one's timeline.
func TestJitterBufferNewStream(t *testing.T) {
	j := NewJitterBuffer(JitterConfig{PLC: &countingPLC{}})
	var out Frame
	for n := range 10 {
		j.Push(timed(n))
		j.Pop(&out)
	}
	for n := 100; n < 110; n++ {
		f := timed(n)
		f.Stream, f.TS = 8, f.TS+12345
		j.Push(f)
		if got := pop(j, &out); got != n {
			t.Fatalf("new stream frame %d played %d", n, got)
		}
	}
	if st := j.Stats(); st.Concealed != 0 || st.Late != 0 {
		t.Errorf("stats %+v", st)
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
	if got := pop(j, &out); got != 5 {
		t.Fatalf("oldest kept frame %d, want 5", got)
	}
	// A writer faster than the clock (1.6 %, far beyond real crystal drift:
	// a frame too many every 1.2 s): the surplus is given back as it
	// builds up, so the wait stays bounded (the 2 s window lets less than
	// two frames of surplus gather) instead of growing with the call.
	r := simulate(t, netConditions{frames: 6000, untimed: true, phase: 5 * time.Millisecond,
		stall: func(n int) time.Duration { return -time.Duration(n) * FrameDuration / 60 }})
	early, late := slices.Max(r.held[1000:3000]), slices.Max(r.held[3000:])
	if early > 4*FrameDuration || late > early {
		t.Fatalf("frames waited up to %v, then %v, under drift", early, late)
	}
	if !r.inOrder() {
		t.Fatal("out of order")
	}
}

func TestJitterBufferDuplicate(t *testing.T) {
	j := NewJitterBuffer(JitterConfig{PLC: &countingPLC{}})
	var out Frame
	j.Push(timed(0))
	j.Push(timed(1))
	j.Push(timed(1))
	j.Pop(&out)
	j.Pop(&out)
	if j.Pop(&out) {
		t.Fatal("a duplicate played twice")
	}
	if st := j.Stats(); st.Duplicates != 1 {
		t.Errorf("stats %+v", st)
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

// TestJitterBufferNoAllocs: Push and Pop allocate nothing, reordered or not.
func TestJitterBufferNoAllocs(t *testing.T) {
	j := NewJitterBuffer(JitterConfig{})
	var out Frame
	n := 0
	if a := testing.AllocsPerRun(200, func() {
		j.Push(timed(n + 1))
		j.Push(timed(n))
		j.Pop(&out)
		j.Pop(&out)
		n += 2
	}); a != 0 {
		t.Fatalf("%v allocations per frame pair", a)
	}
}

func BenchmarkJitterPushPop(b *testing.B) {
	j := NewJitterBuffer(JitterConfig{})
	f := timed(0)
	var out Frame
	b.ReportAllocs()
	for b.Loop() {
		j.Push(f)
		j.Pop(&out)
		f.Seq++
		f.TS += FrameSamples
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
	p.drain()
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
	p.drain()
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

// FuzzJitterBuffer drives a buffer with any mix of frames (timed or not,
// any stream, sequence number and timestamp, duplicates, jumps) and pops:
// it must never panic, never hold more than its capacity, and every frame
// played must be one that was pushed and not played before.
func FuzzJitterBuffer(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 3, 0, 0, 9, 200, 1, 1, 1})
	f.Add([]byte{4, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 7, 7, 2, 2})
	f.Fuzz(func(t *testing.T, ops []byte) {
		now := time.Unix(0, 0)
		j := NewJitterBuffer(JitterConfig{PLC: &countingPLC{}, Now: func() time.Time { return now }})
		var out Frame
		n, stream, ts := 0, uint32(1), uint32(0)
		pushed := map[int]bool{}
		played := map[int]bool{}
		for len(ops) > 0 {
			op := ops[0]
			ops = ops[1:]
			switch op % 5 {
			case 0: // the clock
				now = now.Add(FrameDuration)
				if k := pop(j, &out); k >= 0 {
					if !pushed[k] || played[k] {
						t.Fatalf("played frame %d: pushed %v, played before %v", k, pushed[k], played[k])
					}
					played[k] = true
				}
			case 1: // the next frame, on time
				n++
				ts += FrameSamples
				f := numbered(n)
				f.Stream, f.Seq, f.TS = stream, uint16(n), ts
				j.Push(f)
				pushed[n] = true
			case 2: // a frame with a timestamp off by the next byte's frames, either way
				d := 0
				if len(ops) > 0 {
					d = int(int8(ops[0]))
					ops = ops[1:]
				}
				n++
				f := numbered(n)
				f.Stream, f.Seq, f.TS = stream, uint16(n), ts+uint32(d*FrameSamples)
				j.Push(f)
				pushed[n] = true
			case 3: // generated audio
				n++
				j.Push(numbered(n))
				pushed[n] = true
			case 4: // another stream, its timestamps anywhere
				stream++
				ts = uint32(op) * 1000003
			}
			if l := j.Len(); l > len(j.ring) {
				t.Fatalf("%d frames held, capacity %d", l, len(j.ring))
			}
		}
	})
}

// TestJitterBufferVoiceBandData: in voice-band data mode a lost frame
// plays as silence, never concealed, and the concealer never runs.
func TestJitterBufferVoiceBandData(t *testing.T) {
	plc := &countingPLC{}
	j := NewJitterBuffer(JitterConfig{PLC: plc})
	j.SetVoiceBandData()
	var out Frame
	for _, n := range []int{1, 2, 4, 5} { // frame 3 is lost
		j.Push(timed(n))
	}
	var got []int
	for range 4 {
		got = append(got, pop(j, &out))
		if number(&out) == 0 && out.Samples != [FrameSamples]int16{} {
			t.Fatalf("a lost frame played %v..., want silence", out.Samples[:4])
		}
	}
	if want := []int{1, 2, -1, 4}; !slices.Equal(got, want) {
		t.Errorf("played %v, want %v", got, want)
	}
	if plc.good != 0 || plc.conceal != 0 {
		t.Errorf("the concealer ran: %+v", plc)
	}
}

// TestJitterBufferVoiceBandDataFixedDepth: in voice-band data mode the
// depth is fixed. Stalls that make frames late (an underrun) neither
// deepen the buffer (voice mode runs two frames deeper after the first
// stall, TestJitterBufferGivesDepthBack) nor get concealed: the late
// frames are dropped and their places play as silence; and early frames
// (surplus delay) are not dropped to give it back.
func TestJitterBufferVoiceBandDataFixedDepth(t *testing.T) {
	t.Run("underruns", func(t *testing.T) {
		r := simulate(t, netConditions{frames: 1000, phase: 8 * time.Millisecond, vbd: true, stall: stallEvery(100, 2)})
		if !r.inOrder() {
			t.Fatal("out of order")
		}
		before := r.held[90]
		for i, h := range r.held {
			if h > before+time.Millisecond {
				t.Fatalf("frame %d waited %v, %v before the first stall: the depth grew", i, h, before)
			}
		}
		// Each stall of 2 frames delays both past their places: 10 stalls.
		if r.stats.Late != 20 || r.stats.Dropped != 0 || r.plc.conceal != 0 || r.plc.good != 0 {
			t.Errorf("stats %+v, concealer %+v: want the 20 stalled frames late, none dropped, the concealer never asked", r.stats, r.plc)
		}
		// The last stall's places come after the last frame played.
		if c := r.concealedAfter(0); c != 18 {
			t.Errorf("%d places played as silence, want the 18 of the late frames before the end", c)
		}
	})
	t.Run("surplus kept", func(t *testing.T) {
		// One stall of 3 frames early on, delivered at once: voice mode
		// would conceal it, run deeper and give the depth back later.
		// Here the late frames are lost and the depth stays as it was.
		r := simulate(t, netConditions{frames: 1000, phase: 8 * time.Millisecond, vbd: true,
			stall: func(n int) time.Duration {
				if n >= 20 && n < 23 {
					return time.Duration(23-n) * FrameDuration
				}
				return 0
			}})
		if r.stats.Dropped != 0 {
			t.Errorf("%d frames dropped: the depth was given back", r.stats.Dropped)
		}
		if first, last := r.held[10], r.held[len(r.held)-1]; first != last {
			t.Errorf("frames waited %v at the start, %v at the end: the depth changed", first, last)
		}
	})
}
