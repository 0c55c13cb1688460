package media

import (
	"sync"

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
	// MinDepth is the target depth in frames on a clean network (default 1:
	// one 20 ms frame of buffering, the design budget).
	MinDepth int
	// MaxDepth caps the adaptive depth (default 6 frames, 120 ms).
	MaxDepth int
	// Capacity is the most frames held; beyond it the oldest is dropped
	// (default MaxDepth+4).
	Capacity int
	// PLC conceals lost frames; nil uses dsp's G.711 Appendix I concealer
	// (pitch repetition fading to silence over 60 ms).
	PLC Concealer
}

// JitterBuffer sits between a pushed stream (RTP arriving at the network's
// pace) and a pulled clock (an analog port's board clock asking for one
// frame every 20 ms). It absorbs arrival jitter and the drift between the
// two clocks:
//
//   - It starts playing once MinDepth frames are queued (one frame on a clean
//     network, so it adds at most 20 ms of delay).
//   - An underrun (the clock wants a frame that has not arrived) is
//     concealed and raises the target depth by a frame, up to MaxDepth; the
//     late frames then play as they come, one concealed frame later, so
//     the queue is one frame deeper without waiting to refill.
//   - After about ten seconds without an underrun the target shrinks by one
//     frame, and a queue persistently deeper than the target drops a frame,
//     so the delay comes back down when the network calms.
//
// Push and Pop may be called from different goroutines.
type JitterBuffer struct {
	mu       sync.Mutex
	cfg      JitterConfig
	ring     []Frame
	head, n  int
	target   int
	playing  bool
	calm     int // pops since the last underrun
	deep     int // consecutive pops with the queue above target+1
	stats    JitterStats
	scratch  [FrameSamples]int16
	lastGood bool
	// vbd: voice-band data mode (SetVoiceBandData).
	vbd bool
}

// VoiceBandDataDepth is the fixed depth of a jitter buffer in voice-band
// data mode: 40 ms, room for a LAN's jitter without the adaptation a
// modem would hear as a jump in time.
const VoiceBandDataDepth = 2

// SetVoiceBandData switches the buffer to voice-band data mode for a fax
// or modem call, for the rest of its life: a fixed depth
// (VoiceBandDataDepth) that underruns do not raise, and a lost frame
// played as silence rather than concealed (a modem's receiver copes with
// a gap; a concealed frame is a wrong signal that it cannot tell from a
// good one).
func (j *JitterBuffer) SetVoiceBandData() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.vbd = true
	j.target = max(VoiceBandDataDepth, j.cfg.MinDepth)
}

// JitterStats counts what the buffer did.
type JitterStats struct {
	Pushed, Played, Concealed, Dropped uint64
	Depth                              int // current target depth, frames
}

const calmPops = 500 // 10 s of 20 ms frames

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
	return &JitterBuffer{cfg: c, ring: make([]Frame, c.Capacity), target: c.MinDepth}
}

// Push queues a copy of f (decoded to linear samples). It does not allocate.
func (j *JitterBuffer) Push(f *Frame) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.stats.Pushed++
	if j.n == len(j.ring) {
		// Full: the writer runs faster than the clock; drop the oldest.
		j.head = (j.head + 1) % len(j.ring)
		j.n--
		j.stats.Dropped++
	}
	slot := &j.ring[(j.head+j.n)%len(j.ring)]
	slot.Samples = *f.Linear()
	slot.HasSamples, slot.HasPayload, slot.Codec = true, false, Linear
	j.n++
}

// WriteFrame makes the buffer a Sink, so a SIP leg's media can be pointed
// straight at it: leg.Media().SetSink(jb), and the analog port's clock
// calls Pop.
func (j *JitterBuffer) WriteFrame(f *Frame) { j.Push(f) }

// Pop fills out with the next frame of linear audio. It returns true when
// the frame is real audio and false when it was concealed (loss, underrun,
// or still filling). It does not allocate.
func (j *JitterBuffer) Pop(out *Frame) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.playing && j.n >= j.target {
		j.playing = true
	}
	if j.playing && j.n > 0 {
		// Drift: a queue well above target for a while loses a frame.
		if j.n > j.target+1 { // target+1: room for a burst of one
			j.deep++
			if j.deep >= 50 {
				j.head = (j.head + 1) % len(j.ring)
				j.n--
				j.stats.Dropped++
				j.deep = 0
			}
		} else {
			j.deep = 0
		}
		src := &j.ring[j.head]
		j.head = (j.head + 1) % len(j.ring)
		j.n--
		out.Samples = src.Samples
		out.HasSamples, out.HasPayload, out.Codec = true, false, Linear
		if j.cfg.PLC != nil && !j.vbd {
			j.cfg.PLC.Good(out.Samples[:])
		}
		j.stats.Played++
		j.calm++
		if j.calm >= calmPops && j.target > j.cfg.MinDepth && !j.vbd {
			j.target--
			j.calm = 0
		}
		j.lastGood = true
		return true
	}
	if j.playing && !j.vbd {
		// Underrun: conceal, and let the queue run deeper from now on. We
		// keep playing as soon as frames come back: the late frames
		// themselves make the extra depth, so waiting to refill would only
		// add concealment.
		if j.target < j.cfg.MaxDepth {
			j.target++
		}
		j.calm = 0
	}
	if j.lastGood && !j.vbd {
		j.cfg.PLC.Conceal(out.Samples[:])
	} else {
		out.Samples = j.scratch // nothing played yet: silence
	}
	out.HasSamples, out.HasPayload, out.Codec = true, false, Linear
	j.stats.Concealed++
	return false
}

// Stats returns the buffer's counters.
func (j *JitterBuffer) Stats() JitterStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.stats
	s.Depth = j.target
	return s
}

// Len is the number of frames queued.
func (j *JitterBuffer) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.n
}
