package bridge

import (
	"sync"
	"sync/atomic"

	"minipbx/telephony/media"
)

// maxQueued is the most frames a member's inlet holds for the mixer; a
// fuller queue drops its oldest frame.
const maxQueued = 4

// drainAfter is how many mixer ticks in a row a queue may stay deeper than
// one frame before a frame is dropped, so delay that a burst added is
// given back within a second.
const drainAfter = 50

// route says where an inlet's frames go: straight to a peer (direct
// mode) or into its queue for the mixer.
type route struct {
	peer  media.Endpoint
	queue bool
}

type sinkBox struct{ s media.Sink }

// inlet is the sink of a member's endpoint: it receives what the member
// says, on the member's clock.
type inlet struct {
	route  atomic.Pointer[route]
	listen atomic.Pointer[sinkBox]
	gone   atomic.Bool

	mu         sync.Mutex
	q          [maxQueued]media.Frame
	head, n    int
	deep       int
	overflowed uint64
}

// WriteFrame implements media.Sink.
func (in *inlet) WriteFrame(f *media.Frame) {
	if in.gone.Load() {
		return
	}
	if l := in.listen.Load(); l != nil {
		l.s.WriteFrame(f)
	}
	r := in.route.Load()
	switch {
	case r == nil:
	case r.peer != nil:
		r.peer.WriteFrame(f)
	case r.queue:
		in.mu.Lock()
		if in.n == maxQueued {
			in.head = (in.head + 1) % maxQueued
			in.n--
			in.overflowed++
		}
		in.q[(in.head+in.n)%maxQueued] = *f
		in.n++
		in.mu.Unlock()
	}
}

// pop takes the oldest queued frame into out.
func (in *inlet) pop(out *media.Frame) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.n > 1 {
		if in.deep++; in.deep >= drainAfter {
			in.head = (in.head + 1) % maxQueued
			in.n--
			in.deep = 0
		}
	} else {
		in.deep = 0
	}
	if in.n == 0 {
		return false
	}
	*out = in.q[in.head]
	in.head = (in.head + 1) % maxQueued
	in.n--
	return true
}

// flush forgets queued frames (a member that stops talking).
func (in *inlet) flush() {
	in.mu.Lock()
	in.head, in.n, in.deep = 0, 0, 0
	in.mu.Unlock()
}

// sat16 saturates a 32-bit sum to 16 bits.
func sat16(v int32) int16 {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(v)
}

// mixLocked mixes one frame for every member (b.mu held). It allocates
// nothing.
func (b *Bridge) mixLocked() {
	// Take one frame from every talker and sum them.
	clear(b.sum[:])
	talkers := 0
	var one *member // a talker with a frame (the only one when talkers == 1)
	for _, m := range b.members {
		m.got = m.talks() && m.in.pop(&m.cur)
		if !m.got {
			continue
		}
		s := m.cur.Linear()
		for i, v := range s {
			b.sum[i] += int32(v)
		}
		talkers++
		one = m
	}
	// Announcements go on top of everyone's mix.
	announcing, reconfigure := false, false
	if len(b.announce) > 0 {
		clear(b.ann[:])
		ended := false
		for _, a := range b.announce {
			if !a.src(b.tone[:]) {
				a.played = true
				a.endLocked()
				ended = true
				continue
			}
			announcing = true
			for i, v := range b.tone {
				b.ann[i] += int32(v)
			}
		}
		if ended {
			live := b.announce[:0]
			for _, a := range b.announce {
				if !a.ended {
					live = append(live, a)
				}
			}
			clear(b.announce[len(live):])
			b.announce = live
			reconfigure = true
		}
	}
	for _, m := range b.members {
		out := &m.out
		if p := m.play; p != nil {
			if p.src(out.Samples[:]) {
				out.HasSamples, out.HasPayload, out.Codec = true, false, media.Linear
				m.ep.WriteFrame(out)
				continue
			}
			// The prompt has played: from now on the member hears the mix
			// again (from the next frame on; this one is silence).
			p.played = true
			p.endLocked()
			m.play = nil
			reconfigure = true
		}
		others := talkers
		if m.got {
			others--
		}
		switch {
		case others == 1 && !announcing && !m.got && one != nil:
			// The only voice this member hears: pass it on whole, payload
			// and all, so that no one transcodes for a silent third party.
			*out = one.cur
		case others == 1 && !announcing && m.got:
			// Two talkers: each hears the other, passed on whole.
			for _, o := range b.members {
				if o != m && o.got {
					*out = o.cur
					break
				}
			}
		default:
			var own *[media.FrameSamples]int16
			if m.got {
				own = &m.cur.Samples
			}
			for i := range out.Samples {
				v := b.sum[i]
				if own != nil {
					v -= int32(own[i])
				}
				if announcing {
					v += b.ann[i]
				}
				out.Samples[i] = sat16(v)
			}
			out.HasSamples, out.HasPayload, out.Codec = true, false, media.Linear
		}
		m.ep.WriteFrame(out)
	}
	if reconfigure {
		// A prompt or announcement ended: the bridge may go back to a
		// direct or idle mode.
		b.reconfigureLocked()
	}
}
