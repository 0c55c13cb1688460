package siptest

import (
	"container/heap"
	"math/rand/v2"
	"time"
)

// Impairment is what a bad network does to the RTP a call sends: each
// packet is lost with probability Loss, and each other one is delayed by a
// uniformly random 0..Jitter, so packets sent less than Jitter apart
// overtake each other (what netem's "delay J/2 J/2" does on a link). The
// random choices come from Seed, so a run can be repeated.
type Impairment struct {
	Loss   float64
	Jitter time.Duration
	Seed   uint64
}

// Impair makes the call's RTP go out through im from the next packet on;
// the zero Impairment sends it straight again.
func (c *Call) Impair(im Impairment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.impair = im
	c.rng = rand.New(rand.NewPCG(im.Seed, 0x5157))
	if im.Jitter > 0 && c.delay == nil {
		c.delay = make(chan delayed, 64)
		go c.delayLoop(c.delay)
	}
}

// delayed is one packet held back by the impairment.
type delayed struct {
	due time.Time
	b   []byte
}

// impaired passes one marshalled packet through the impairment: it
// reports whether the packet was dealt with (lost, or held back to go out
// later) rather than to be sent now. It runs on the send goroutine.
func (c *Call) impaired(b []byte) bool {
	c.mu.Lock()
	im, rng, ch := c.impair, c.rng, c.delay
	c.mu.Unlock()
	if im == (Impairment{}) {
		return false
	}
	if rng.Float64() < im.Loss {
		return true
	}
	if im.Jitter <= 0 {
		return false
	}
	d := delayed{due: time.Now().Add(time.Duration(rng.Int64N(int64(im.Jitter)))), b: append([]byte(nil), b...)}
	select {
	case ch <- d:
	case <-c.stop:
	}
	return true
}

// delayQueue orders held packets by when they are due.
type delayQueue []delayed

func (q delayQueue) Len() int           { return len(q) }
func (q delayQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q delayQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *delayQueue) Push(x any)        { *q = append(*q, x.(delayed)) }
func (q *delayQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// delayLoop sends each held packet when it is due, until the call's media
// stops.
func (c *Call) delayLoop(in <-chan delayed) {
	var q delayQueue
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		if len(q) > 0 {
			t.Reset(time.Until(q[0].due))
		}
		select {
		case <-c.stop:
			return
		case d := <-in:
			heap.Push(&q, d)
		case <-t.C:
			for len(q) > 0 && !q[0].due.After(time.Now()) {
				d := heap.Pop(&q).(delayed)
				if _, err := c.rtp.WriteTo(d.b, c.remote); err != nil {
					return
				}
			}
		}
	}
}

// Packet is one RTP packet a call received, as LogPackets keeps it.
type Packet struct {
	At      time.Time // when it arrived
	Seq     uint16
	TS      uint32
	Marker  bool
	PT      uint8
	Payload []byte
}

// maxLogged bounds the packet log (10 minutes of 20 ms packets).
const maxLogged = 30000

// LogPackets starts (or restarts, forgetting what was kept) a log of the
// RTP packets the call receives, for tests that measure what the box
// delivers packet by packet: loss, order, delay.
func (c *Call) LogPackets() {
	c.mu.Lock()
	c.logging, c.logged = true, nil
	c.mu.Unlock()
}

// Packets returns the packets logged since LogPackets, in arrival order.
func (c *Call) Packets() []Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Packet(nil), c.logged...)
}

// logPacket keeps one received packet when logging; c.mu is held.
func (c *Call) logPacket(at time.Time, seq uint16, ts uint32, marker bool, pt uint8, payload []byte) {
	if c.logging && len(c.logged) < maxLogged {
		c.logged = append(c.logged, Packet{At: at, Seq: seq, TS: ts, Marker: marker, PT: pt, Payload: append([]byte(nil), payload...)})
	}
}
