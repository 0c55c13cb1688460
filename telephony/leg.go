package telephony

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/telephony/bridge"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// leg is one channel inside the exchange. A leg belongs to one call at a
// time (its owner, whose script receives the leg's events) and sits in at
// most one bridge (which owns its media); both can change while the leg
// lives: a transferred caller moves to another party's bridge, a picked-up
// phone joins the call it picked up, a phone bounces between two calls with
// call waiting. A leg ends with its channel.
type leg struct {
	x    *Exchange
	ch   channel.Channel
	info channel.Info
	// name is how the leg appears in records and status: "sip:101",
	// "fxs:1", "fxo:2", "trunk:NAME".
	name string

	// done is closed once the channel hung up (its EventHangup arrived).
	done chan struct{}
	// media is the channel's media endpoint with the recording taps.
	media *legMedia

	mu    sync.Mutex
	owner *call
	// pending are events that arrived while the leg had no owner; the
	// next owner gets them first.
	pending []msg
	br      *bridge.Bridge
	// party is who the leg is, for records: an extension's or a
	// caller's number; ext is set when the leg is an extension's phone.
	party    string
	ext      string
	started  time.Time
	answered time.Time
	ended    time.Time
	cause    channel.Cause
	// Inbound legs: told that the call progresses (ringback), answered
	// by the exchange, or hearing early media.
	progressed bool
	boxAnswer  bool
	early      bool
}

// legName is how a channel appears in status pages and call records:
// "sip:101", "fxs:1", "fxo:2".
func legName(i channel.Info) string {
	if i.Endpoint == "" {
		return string(i.Kind)
	}
	if strings.HasPrefix(i.Endpoint, string(i.Kind)+":") || strings.HasPrefix(i.Endpoint, "trunk:") {
		return i.Endpoint
	}
	return string(i.Kind) + ":" + i.Endpoint
}

// adopt makes a leg of ch owned by c and starts pumping its events. The
// pump ends when the channel's Events closes (after its hang-up).
func (x *Exchange) adopt(ch channel.Channel, c *call) *leg {
	info := ch.Info()
	l := &leg{x: x, ch: ch, info: info, name: legName(info), done: make(chan struct{}), owner: c, started: x.now(),
		media: &legMedia{Endpoint: ch.Media()}}
	x.mu.Lock()
	x.legs[info.ID] = l
	x.mu.Unlock()
	if c != nil {
		c.took(l)
	}
	go l.pump()
	return l
}

// pump delivers the channel's events to the leg's owner.
func (l *leg) pump() {
	for ev := range l.ch.Events() {
		if ev.Type == channel.EventHangup {
			l.mu.Lock()
			if l.ended.IsZero() {
				l.ended, l.cause = l.x.now(), ev.Cause
				close(l.done)
			}
			l.mu.Unlock()
		}
		l.post(msg{leg: l, ev: ev})
	}
	l.mu.Lock()
	if l.ended.IsZero() {
		// A channel that closed its events without a hang-up event
		// (it must not): count it as ended all the same.
		l.ended = l.x.now()
		close(l.done)
		l.mu.Unlock()
		l.post(msg{leg: l, ev: channel.Event{Type: channel.EventHangup, Cause: channel.CauseNormal, Time: time.Now()}})
	} else {
		l.mu.Unlock()
	}
	l.leaveBridge()
	l.x.mu.Lock()
	if l.x.legs[l.info.ID] == l {
		delete(l.x.legs, l.info.ID)
	}
	l.x.mu.Unlock()
	l.x.presenceChanged(l)
}

// post hands a message about the leg to its owner (or keeps it for the
// next owner).
func (l *leg) post(m msg) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owner == nil {
		l.pending = append(l.pending, m)
		return
	}
	l.owner.box.post(m)
}

// isEnded reports whether the channel hung up.
func (l *leg) isEnded() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// ownedBy reports whether c owns the leg now.
func (l *leg) ownedBy(c *call) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner == c
}

// give moves the leg to call to: its events from now on — and those it
// still had queued for its old owner — go to to's script. Only the old
// owner's script (or a script it handed the leg to by message) calls it.
func (l *leg) give(to *call) {
	l.mu.Lock()
	from := l.owner
	l.owner = to
	var moved []msg
	if from != nil && from != to {
		moved = from.box.extract(l)
	}
	moved = append(l.pending, moved...)
	l.pending = nil
	if to != nil {
		for _, m := range moved {
			to.box.post(m)
		}
	} else {
		l.pending = moved
	}
	l.mu.Unlock()
	if to != nil {
		to.took(l)
	}
	l.x.presenceChanged(l)
}

// join moves the leg's media into b (leaving its bridge first).
func (l *leg) join(b *bridge.Bridge) {
	l.mu.Lock()
	old := l.br
	l.br = b
	l.mu.Unlock()
	if old == b {
		return
	}
	if old != nil {
		old.Leave(l.info.ID)
		if old.Len() == 0 {
			// An empty bridge is done with: its mixer stops.
			old.Close()
		}
	}
	if b != nil {
		if err := b.Join(l.info.ID, l.media); err != nil {
			l.x.log.Warn("leg cannot join a bridge", "leg", l.name, "bridge", b.Name(), "err", err)
			l.mu.Lock()
			if l.br == b {
				l.br = nil
			}
			l.mu.Unlock()
		}
	}
}

// leaveBridge takes the leg's media out of its bridge.
func (l *leg) leaveBridge() { l.join(nil) }

// bridge is the leg's bridge now (nil: none).
func (l *leg) bridge() *bridge.Bridge {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.br
}

// hangup ends the leg's channel with cause (idempotent).
func (l *leg) hangup(cause channel.Cause) {
	_ = l.ch.Hangup(cause)
}

// setAnswered notes when the leg's party answered (or took the call).
func (l *leg) setAnswered(t time.Time) {
	l.mu.Lock()
	if l.answered.IsZero() {
		l.answered = t
	}
	l.mu.Unlock()
}

// isAnswered reports whether the leg's party answered (for an inbound leg:
// whether the exchange answered it).
func (l *leg) isAnswered() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.answered.IsZero() || l.boxAnswer
}

// extension is the extension whose phone the leg is, or "".
func (l *leg) extension() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ext
}

// setParty records who the leg is: a number, and the extension when the
// leg is an extension's phone.
func (l *leg) setParty(number, ext string) {
	l.mu.Lock()
	l.party, l.ext = number, ext
	l.mu.Unlock()
	l.x.presenceChanged(l)
}

// partyName is the leg's number where known, else its channel name.
func (l *leg) partyName() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.party != "" {
		return l.party
	}
	return l.name
}

// legMedia is a leg's media endpoint as bridges see it: the channel's own,
// with two taps a call recording sets — what the leg's party says (the
// frames its endpoint pushes to its sink) and what it hears (the frames
// written to it). A tap is called on the media clock and must not block
// nor keep the frame.
type legMedia struct {
	media.Endpoint
	says, hears atomic.Pointer[sinkBox]
}

type sinkBox struct{ s media.Sink }

// WriteFrame implements media.Sink: the frame goes to the hears tap, then
// to the channel.
func (m *legMedia) WriteFrame(f *media.Frame) {
	if t := m.hears.Load(); t != nil {
		t.s.WriteFrame(f)
	}
	m.Endpoint.WriteFrame(f)
}

// SetSink implements media.Endpoint: what the channel receives goes to the
// says tap, then to s.
func (m *legMedia) SetSink(s media.Sink) {
	if s == nil {
		m.Endpoint.SetSink(nil)
		return
	}
	m.Endpoint.SetSink(saysTee{m: m, s: s})
}

// saysTee is the sink a leg's endpoint pushes to.
type saysTee struct {
	m *legMedia
	s media.Sink
}

func (t saysTee) WriteFrame(f *media.Frame) {
	if tap := t.m.says.Load(); tap != nil {
		tap.s.WriteFrame(f)
	}
	t.s.WriteFrame(f)
}

// tap sets (or with nil sinks clears) the leg's recording taps.
func (m *legMedia) tap(says, hears media.Sink) {
	if says == nil {
		m.says.Store(nil)
	} else {
		m.says.Store(&sinkBox{says})
	}
	if hears == nil {
		m.hears.Store(nil)
	} else {
		m.hears.Store(&sinkBox{hears})
	}
}
