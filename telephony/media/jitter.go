package media

import (
	"sync"
	"time"

	"minipbx/dsp"
)

// Concealer hides lost frames. *dsp.PLC satisfies it; the jitter buffer
// takes it as an interface so that media does not depend on dsp's
// internals.
type Concealer interface {
	// Good is told every frame actually played, so it can extrapolate.
	Good(frame []int16)
	// Conceal writes a replacement for a missing frame.
	Conceal(out []int16)
}

// JitterConfig tunes a JitterBuffer. Zero values pick the defaults.
type JitterConfig struct {
	// MinDepth is the depth in frames the buffer keeps on a clean network
	// (default 1: at most one 20 ms frame of buffering, the design budget).
	// A stream starts playing MinDepth-1 frames after its first frame
	// arrives, and delay is given back down to it.
	MinDepth int
	// MaxDepth caps the depth the buffer grows to (default 6 frames,
	// 120 ms).
	MaxDepth int
	// Capacity is the most frames held ahead of the one playing; a frame
	// further ahead makes room by dropping the oldest (default MaxDepth+4).
	Capacity int
	// PLC conceals lost frames; nil uses dsp's G.711 Appendix I concealer
	// (pitch repetition fading to silence over 60 ms).
	PLC Concealer
	// Now is the buffer's clock (nil: time.Now); tests replace it.
	Now func() time.Time
}

// Tuning of the adaptation, in the buffer's own terms (see JitterBuffer).
const (
	// calmQuarter is a quarter of the window over which the buffer judges
	// its delay (13 pops: the window is just over a second): after a
	// window in which every frame waited more than it needed, the surplus
	// is given back. The window slides by quarters, so a surplus is seen
	// a quarter after it appears. When the depth has to grow again soon
	// after it was given back (within relapsePops), the window doubles,
	// up to maxQuarter (8 s): a network or host that stalls every few
	// seconds is then ridden out at the depth it needs instead of being
	// concealed each time; after calmDecayPops without growing, it halves
	// again.
	calmQuarter   = 13
	maxQuarter    = 100
	relapsePops   = 500  // 10 s
	calmDecayPops = 1500 // 30 s
	// slackMargin is the least time a frame is left to wait once surplus
	// delay is given back: room for the scheduling jitter of a clean
	// network, so that giving back does not cause the next underrun.
	slackMargin = 5 * time.Millisecond
	// lateHorizon is how far behind the frame playing (in frames) a timed
	// frame may land and still be taken for a late one of the same
	// timeline; further back, its source jumped (a new talkspurt from a
	// sender whose timestamps stood still, a restart) and the buffer
	// re-anchors on it.
	lateHorizon = 16
)

// slot is one place in the ring: the frame for index idx, if present.
type slot struct {
	samples [FrameSamples]int16
	idx     int64
	present bool
	arrived time.Time
}

// JitterBuffer sits between a pushed stream (RTP arriving at the network's
// pace, or frames from another port) and a pulled clock (an analog port's
// board clock asking for one frame every 20 ms). It absorbs arrival
// jitter, puts reordered frames back in order, and follows the drift
// between the two clocks.
//
// Each frame has a place on the buffer's timeline: a frame that came from
// RTP (Frame.Stream non-zero) is placed by its RTP timestamp, so a frame
// that arrives after a later one still plays in its turn, a lost one
// leaves a gap that is concealed, and a new talkspurt after silence lands
// where the sender's clock says; generated audio (Stream 0) is placed
// after the frame before it. Pop plays one place per call:
//
//   - On a clean network the first frame plays at the next Pop, so the
//     buffer adds at most one frame (20 ms) of delay.
//   - A frame that arrives after its place was played is late. When
//     nothing was played since it (an underrun: the clock got ahead of
//     the stream), the buffer steps back to it and the late frames play
//     from there, so the concealed frames become the extra depth and no
//     audio is lost. When later frames were already played, the late one
//     is dropped and the buffer inserts one concealed frame to run a frame
//     deeper from then on. Either way the depth grows to what the
//     network's jitter needs, up to MaxDepth.
//   - The buffer times how long each frame waited before it played. When
//     every frame of the last second waited more than a frame (plus a 5 ms
//     margin) longer than it had to, the surplus is given back by dropping
//     frames, the quieter of two neighbours each time; so the delay comes
//     back down within about a second once the network calms, and a
//     sender whose clock runs fast cannot fill the buffer. When the depth
//     given back is needed again soon after, the buffer judges over a
//     longer window (up to 8 s), so a network or host that stalls
//     regularly is ridden out rather than concealed at every stall.
//
// Push and Pop may be called from different goroutines. Neither allocates.
type JitterBuffer struct {
	mu  sync.Mutex
	cfg JitterConfig
	now func() time.Time

	ring    []slot
	playIdx int64 // the place the next Pop plays
	newest  int64 // the furthest place holding a frame (or playIdx-1)
	played  int64 // the last place played from a real frame (-1: none)

	// The timeline of the current timed stream: the frame with RTP
	// timestamp anchorTS is at place anchorIdx.
	stream    uint32
	anchorTS  uint32
	anchorIdx int64

	grow  bool // insert one concealed frame at the next Pop
	drops int  // frames to drop to give surplus delay back
	// The calm window, in quarters of quarter Pops: for each, the least
	// wait of a frame played in it and how many were played; q is the
	// current quarter, pops the Pops in it.
	quarter int
	pops    int
	q       int
	slack   [4]time.Duration
	heard   [4]int
	// tick counts Pops; lastDrop and lastGrow are the ticks of the last
	// frame dropped and of the last growth.
	tick, lastDrop, lastGrow int64

	lastGood bool
	scratch  [FrameSamples]int16
	stats    JitterStats
	// vbd: voice-band data mode (SetVoiceBandData).
	vbd bool
}

// SetVoiceBandData switches the buffer to voice-band data mode for a fax
// or modem call, for the rest of its life (ITU-T V.152's fixed buffer): a
// lost or late frame plays as silence rather than concealed (a modem's
// receiver copes with a gap; a concealed frame is a wrong signal it
// cannot tell from a good one), and the depth it has now is held: it
// neither grows after an underrun nor gives delay back, since each
// change of depth slips the modem signal's timing by a whole frame, which
// a modem's receiver cannot follow.
func (j *JitterBuffer) SetVoiceBandData() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.vbd = true
	j.grow, j.drops = false, 0
}

// JitterStats counts what the buffer did.
type JitterStats struct {
	Pushed, Played, Concealed uint64
	// Dropped counts frames discarded to give surplus delay back or to
	// make room; Late counts frames that arrived after their place was
	// played; Duplicates counts frames pushed twice.
	Dropped, Late, Duplicates uint64
	// Reordered counts frames placed before a frame that arrived earlier.
	Reordered uint64
	// Depth is the number of places from the one playing next to the
	// furthest frame queued.
	Depth int
}

// NewJitterBuffer returns an empty buffer.
func NewJitterBuffer(c JitterConfig) *JitterBuffer {
	if c.MinDepth <= 0 {
		c.MinDepth = 1
	}
	if c.MaxDepth < c.MinDepth {
		c.MaxDepth = max(6, c.MinDepth)
	}
	if c.Capacity < c.MaxDepth+1 {
		c.Capacity = c.MaxDepth + 4
	}
	if c.PLC == nil {
		c.PLC = dsp.NewPLC()
	}
	j := &JitterBuffer{cfg: c, now: c.Now, ring: make([]slot, c.Capacity), newest: -1, played: -1,
		quarter: calmQuarter, lastDrop: -relapsePops}
	if j.now == nil {
		j.now = time.Now
	}
	j.resetWindow()
	return j
}

// Push queues a copy of f (decoded to linear samples) at its place.
func (j *JitterBuffer) Push(f *Frame) {
	samples := f.Linear()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.stats.Pushed++
	idx, ok := j.place(f)
	if !ok {
		return
	}
	if capEnd := j.playIdx + int64(len(j.ring)); idx >= capEnd {
		// Further ahead than the ring holds: a burst, or a writer faster
		// than the clock. Drop the oldest places to make room.
		for j.playIdx <= idx-int64(len(j.ring)) {
			if s := j.at(j.playIdx); s != nil {
				s.present = false
				j.stats.Dropped++
			}
			j.playIdx++
		}
		j.played = max(j.played, j.playIdx-1)
	}
	s := &j.ring[idx%int64(len(j.ring))]
	if s.present && s.idx == idx {
		j.stats.Duplicates++
		return
	}
	s.samples, s.idx, s.present, s.arrived = *samples, idx, true, j.now()
	if idx < j.newest {
		j.stats.Reordered++
	}
	j.newest = max(j.newest, idx)
}

// place finds f's place on the timeline; false when f is dropped as late.
// j.mu is held.
func (j *JitterBuffer) place(f *Frame) (int64, bool) {
	start := max(j.newest+1, j.playIdx+int64(j.cfg.MinDepth-1))
	if f.Stream == 0 {
		// Generated audio follows the frame before it. It has no timeline
		// to be late on: one that comes after its place was played either
		// takes the buffer back to it (an underrun) or plays next.
		j.stream = 0
		idx := j.newest + 1
		if idx > j.playIdx || (idx < j.playIdx && j.rewind(idx)) {
			return idx, true
		}
		return start, true
	}
	if f.Stream != j.stream {
		j.anchor(f, start)
		return start, true
	}
	idx := j.anchorIdx + int64(divRound(int32(f.TS-j.anchorTS), FrameSamples))
	switch {
	case idx >= j.playIdx+int64(len(j.ring)) && idx > j.newest+int64(len(j.ring)):
		// Far ahead of everything queued: the sender's timeline jumped.
		j.anchor(f, start)
		return start, true
	case idx < j.playIdx-lateHorizon:
		// Far behind: the sender's timeline jumped back (or stood still
		// over a silence); this frame starts a new one.
		j.anchor(f, start)
		return start, true
	case idx < j.playIdx:
		if j.rewind(idx) {
			return idx, true
		}
		j.stats.Late++
		j.grow = !j.vbd && j.newest-j.playIdx+2 <= int64(j.cfg.MaxDepth)
		return 0, false
	}
	return idx, true
}

// anchor starts the timeline of f's stream at place idx.
func (j *JitterBuffer) anchor(f *Frame, idx int64) {
	j.stream, j.anchorTS, j.anchorIdx = f.Stream, f.TS, idx
}

// rewind steps the buffer back to place idx, behind the one playing next,
// when no real frame was played since (the places between were concealed
// for want of frames) and the depth allows; the frames from idx then play
// in turn, one place later than planned for each step back. Never in
// voice-band data mode, whose depth is fixed.
func (j *JitterBuffer) rewind(idx int64) bool {
	back := j.playIdx - idx
	if j.vbd || idx <= j.played || back > int64(j.cfg.MaxDepth) || max(j.newest, idx)-idx+1 > int64(j.cfg.MaxDepth) {
		return false
	}
	j.playIdx = idx
	j.grew()
	return true
}

// at returns the slot holding place idx, or nil.
func (j *JitterBuffer) at(idx int64) *slot {
	s := &j.ring[idx%int64(len(j.ring))]
	if s.present && s.idx == idx {
		return s
	}
	return nil
}

// WriteFrame makes the buffer a Sink, so a SIP leg's media can be pointed
// straight at it: leg.Media().SetSink(jb), and the analog port's clock
// calls Pop.
func (j *JitterBuffer) WriteFrame(f *Frame) { j.Push(f) }

// Pop fills out with the frame of the next place, as linear audio. It
// returns true when the frame is real audio and false when it was
// concealed (loss, underrun, a frame inserted to grow the depth, or
// silence before the first frame).
func (j *JitterBuffer) Pop(out *Frame) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	out.HasSamples, out.HasPayload, out.Codec = true, false, Linear
	out.Stream, out.Seq, out.TS = 0, 0, 0
	now := j.now()
	j.tick++
	j.pops++
	if j.pops >= j.quarter {
		j.judgeWindow()
	}
	s := j.at(j.playIdx)
	if j.grow {
		// Run a frame deeper from now on: a concealed frame in place of
		// advancing.
		j.grow = false
		j.grew()
		j.conceal(out)
		return false
	}
	next := j.playIdx + 1
	if s != nil && j.drops > 0 {
		if s2 := j.at(next); s2 != nil {
			// Give a frame of surplus delay back: drop the quieter of the
			// two, play the other.
			drop := s2
			if energy(&s.samples) <= energy(&s2.samples) {
				drop, s = s, s2
			}
			drop.present = false
			next++
			j.drops--
			j.lastDrop = j.tick
			j.stats.Dropped++
		}
	}
	if s == nil {
		j.playIdx++
		j.conceal(out)
		return false
	}
	s.present = false
	out.Samples = s.samples
	if !j.vbd {
		j.cfg.PLC.Good(out.Samples[:])
	}
	j.lastGood = true
	j.playIdx = next
	j.played = next - 1
	j.slack[j.q] = min(j.slack[j.q], now.Sub(s.arrived))
	j.heard[j.q]++
	j.stats.Played++
	return true
}

// conceal fills out with the concealer's guess, or silence before anything
// was played.
func (j *JitterBuffer) conceal(out *Frame) {
	if j.lastGood && !j.vbd {
		j.cfg.PLC.Conceal(out.Samples[:])
	} else {
		out.Samples = j.scratch
	}
	j.stats.Concealed++
}

// judgeWindow ends a quarter of the calm window: when every frame played
// in the last four quarters waited at least a frame longer than MinDepth
// needs (plus the margin), the surplus whole frames are dropped over the
// next Pops. The frames to come will wait that much less, which the
// quarters' figures are corrected by, so the same surplus is not given
// back twice.
func (j *JitterBuffer) judgeWindow() {
	need := time.Duration(j.cfg.MinDepth-1)*FrameDuration + slackMargin
	least := time.Duration(1 << 62)
	full := true
	for i := range j.slack {
		least = min(least, j.slack[i])
		full = full && j.heard[i] >= j.quarter/2
	}
	if full && least > need && !j.vbd {
		j.drops = int((least - need) / FrameDuration)
		for i := range j.slack {
			j.slack[i] -= time.Duration(j.drops) * FrameDuration
		}
	}
	if j.quarter > calmQuarter && j.tick-j.lastGrow > calmDecayPops {
		j.quarter = max(calmQuarter, j.quarter/2)
		j.lastGrow = j.tick
	}
	j.pops = 0
	j.q = (j.q + 1) % len(j.slack)
	j.slack[j.q], j.heard[j.q] = time.Duration(1<<62), 0
}

// grew notes that the depth grew: a new calm window starts (surplus not
// yet given back is forgotten), twice as long when depth given back is
// needed again already.
func (j *JitterBuffer) grew() {
	if j.tick-j.lastDrop < relapsePops {
		j.quarter = min(maxQuarter, 2*j.quarter)
	}
	j.lastGrow = j.tick
	j.resetWindow()
}

// resetWindow starts a new calm window.
func (j *JitterBuffer) resetWindow() {
	j.pops, j.drops = 0, 0
	for i := range j.slack {
		j.slack[i], j.heard[i] = time.Duration(1<<62), 0
	}
}

// Stats returns the buffer's counters.
func (j *JitterBuffer) Stats() JitterStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.stats
	s.Depth = int(max(0, j.newest-j.playIdx+1))
	return s
}

// Len is the number of frames queued.
func (j *JitterBuffer) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for i := j.playIdx; i <= j.newest; i++ {
		if j.at(i) != nil {
			n++
		}
	}
	return n
}

// energy is the sum of the frame's absolute sample values.
func energy(s *[FrameSamples]int16) int64 {
	var e int64
	for _, v := range s {
		if v < 0 {
			e -= int64(v)
		} else {
			e += int64(v)
		}
	}
	return e
}

// divRound is a/b rounded to the nearest integer (b > 0).
func divRound(a, b int32) int32 {
	if a >= 0 {
		return (a + b/2) / b
	}
	return -((-a + b/2) / b)
}
