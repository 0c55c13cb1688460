package bridge

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"minipbx/telephony/media"
)

// FrameTime is the length of one frame: the mixer's clock period.
const FrameTime = 20 * time.Millisecond

// Source fills one frame of audio (media.FrameSamples linear samples) and
// reports false when it has nothing more to play; that frame is then not
// used. A bridge calls it on its mixer's clock with the bridge locked, so
// it must be quick and must not call back into the bridge.
type Source func(out []int16) bool

// ErrClosed is returned for changes to a closed bridge.
var ErrClosed = errors.New("bridge: closed")

// Options configure a Bridge.
type Options struct {
	// Name identifies the bridge in logs.
	Name   string
	Logger *slog.Logger
}

type mode int

const (
	idle mode = iota
	direct
	mixed
)

func (m mode) String() string { return [...]string{"idle", "direct", "mixed"}[m] }

// Bridge joins the media of its members. Its methods are safe for
// concurrent use. Create it with New; Close it when the last member left.
type Bridge struct {
	name string
	log  *slog.Logger

	mu       sync.Mutex
	members  []*member
	announce []*Playback
	mode     mode
	closed   bool
	// stop ends the running mixer goroutine (nil when none runs).
	stop chan struct{}
	wg   sync.WaitGroup
	// manual: no mixer goroutine; tests call mixLocked themselves.
	manual bool

	// scratch of the mixer (used with mu held)
	sum  [media.FrameSamples]int32
	ann  [media.FrameSamples]int32
	tone [media.FrameSamples]int16
}

// member is one endpoint in the bridge.
type member struct {
	id    string
	ep    media.Endpoint
	in    inlet
	muted bool
	play  *Playback
	// mixer scratch: the frame taken from in this tick, and whether there
	// was one; the frame written to ep.
	cur media.Frame
	got bool
	out media.Frame
}

// talks reports whether the member's voice goes to the others.
func (m *member) talks() bool { return !m.muted && m.play == nil }

// New makes an empty bridge.
func New(o Options) *Bridge {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Bridge{name: o.Name, log: o.Logger}
}

// Name is the bridge's name from its Options.
func (b *Bridge) Name() string { return b.name }

// Join adds an endpoint under id. The bridge takes the endpoint's sink
// over until the member leaves. An endpoint must leave one bridge before it
// joins another.
func (b *Bridge) Join(id string, ep media.Endpoint) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("bridge %s: join %s: %w", b.name, id, ErrClosed)
	}
	if b.findLocked(id) != nil {
		return fmt.Errorf("bridge %s: %s is a member already", b.name, id)
	}
	m := &member{id: id, ep: ep}
	b.members = append(b.members, m)
	ep.SetSink(&m.in)
	b.reconfigureLocked()
	return nil
}

// Leave takes member id out of the bridge: its endpoint's sink is cleared
// and a playback to it ends. It reports whether id was a member.
func (b *Bridge) Leave(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.IndexFunc(b.members, func(m *member) bool { return m.id == id })
	if i < 0 {
		return false
	}
	m := b.members[i]
	b.members = slices.Delete(b.members, i, i+1)
	b.detachLocked(m)
	b.reconfigureLocked()
	return true
}

// detachLocked cuts a leaving member off.
func (b *Bridge) detachLocked(m *member) {
	m.in.gone.Store(true)
	m.in.route.Store(nil)
	m.in.listen.Store(nil)
	m.ep.SetSink(nil)
	if m.play != nil {
		m.play.endLocked()
		m.play = nil
	}
}

// Has reports whether id is a member.
func (b *Bridge) Has(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.findLocked(id) != nil
}

// Members lists the members' ids in the order they joined.
func (b *Bridge) Members() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]string, len(b.members))
	for i, m := range b.members {
		ids[i] = m.id
	}
	return ids
}

// Len is the number of members.
func (b *Bridge) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.members)
}

// Mode names how the bridge carries its media now: idle, direct or mixed.
func (b *Bridge) Mode() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mode.String()
}

func (b *Bridge) findLocked(id string) *member {
	for _, m := range b.members {
		if m.id == id {
			return m
		}
	}
	return nil
}

// Mute stops (on) or restarts member id's voice going to the others; it
// still hears them. Holding a party is Mute plus a Play of the music.
func (b *Bridge) Mute(id string, on bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.findLocked(id)
	if m == nil {
		return fmt.Errorf("bridge %s: mute: no member %s", b.name, id)
	}
	if m.muted != on {
		m.muted = on
		b.reconfigureLocked()
	}
	return nil
}

// Muted reports whether member id is muted.
func (b *Bridge) Muted(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.findLocked(id)
	return m != nil && m.muted
}

// Listen sends everything member id says to s as well (nil: stop). s is
// called on the member's receiving clock; it must not block nor keep the
// frame after returning.
func (b *Bridge) Listen(id string, s media.Sink) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.findLocked(id)
	if m == nil {
		return fmt.Errorf("bridge %s: listen: no member %s", b.name, id)
	}
	if s == nil {
		m.in.listen.Store(nil)
	} else {
		m.in.listen.Store(&sinkBox{s})
	}
	return nil
}

// Playback is a source playing in a bridge.
type Playback struct {
	b      *Bridge
	src    Source
	done   chan struct{}
	ended  bool
	played bool // the source reached its end (not stopped)
}

// Done is closed when the playback ended: its source ran out, it was
// stopped, its member left or the bridge closed.
func (p *Playback) Done() <-chan struct{} { return p.done }

// Finished reports whether the source played to its end (false while it
// plays, or when it was cut short).
func (p *Playback) Finished() bool {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	return p.played
}

// Stop ends the playback; once it returns the source is not read again.
// It is idempotent.
func (p *Playback) Stop() {
	b := p.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.ended {
		return
	}
	p.endLocked()
	for _, m := range b.members {
		if m.play == p {
			m.play = nil
		}
	}
	b.announce = slices.DeleteFunc(b.announce, func(a *Playback) bool { return a == p })
	b.reconfigureLocked()
}

func (p *Playback) endLocked() {
	if !p.ended {
		p.ended = true
		close(p.done)
	}
}

// Play makes member id hear src instead of the others until src ends or
// the playback is stopped; its own voice does not reach the others
// meanwhile (a caller in a menu is not heard by a party on hold; a held
// party hears music). A playback already playing to id is stopped.
func (b *Bridge) Play(id string, src Source) (*Playback, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.findLocked(id)
	if m == nil {
		return nil, fmt.Errorf("bridge %s: play: no member %s", b.name, id)
	}
	if m.play != nil {
		m.play.endLocked()
	}
	p := &Playback{b: b, src: src, done: make(chan struct{})}
	m.play = p
	b.reconfigureLocked()
	return p, nil
}

// Announce plays src to every member on top of what each hears (a
// conference's join and leave tones), once.
func (b *Bridge) Announce(src Source) (*Playback, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("bridge %s: announce: %w", b.name, ErrClosed)
	}
	p := &Playback{b: b, src: src, done: make(chan struct{})}
	b.announce = append(b.announce, p)
	b.reconfigureLocked()
	return p, nil
}

// Close empties the bridge (every member leaves, every playback ends) and
// stops its mixer, waiting for it. Further changes fail with ErrClosed.
func (b *Bridge) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	for _, m := range b.members {
		b.detachLocked(m)
	}
	b.members = nil
	for _, a := range b.announce {
		a.endLocked()
	}
	b.announce = nil
	b.reconfigureLocked()
	b.mu.Unlock()
	b.wg.Wait()
}

// reconfigureLocked picks the mode for the members as they are now and
// routes every inlet for it.
func (b *Bridge) reconfigureLocked() {
	want := idle
	switch {
	case b.closed || len(b.members) == 0:
	case len(b.members) == 2 && len(b.announce) == 0 && b.members[0].talks() && b.members[1].talks():
		want = direct
	case len(b.members) == 1 && b.members[0].play == nil && len(b.announce) == 0:
	default:
		want = mixed
	}
	switch want {
	case direct:
		m0, m1 := b.members[0], b.members[1]
		m0.in.route.Store(&route{peer: m1.ep})
		m1.in.route.Store(&route{peer: m0.ep})
	case mixed:
		for _, m := range b.members {
			if m.talks() {
				m.in.route.Store(&route{queue: true})
			} else {
				m.in.route.Store(nil)
				m.in.flush()
			}
		}
	default:
		for _, m := range b.members {
			m.in.route.Store(nil)
		}
	}
	if want != b.mode {
		b.log.Debug("bridge mode", "bridge", b.name, "from", b.mode, "to", want, "members", len(b.members))
	}
	b.mode = want
	if want == mixed && b.stop == nil && !b.manual {
		b.stop = make(chan struct{})
		b.wg.Add(1)
		go b.run(b.stop)
	}
	if want != mixed && b.stop != nil {
		close(b.stop)
		b.stop = nil
	}
}

// run is the mixer's clock: one mix every FrameTime on an absolute
// schedule (a late tick is caught up, not lost; more than five frames
// behind, the schedule restarts from now).
func (b *Bridge) run(stop chan struct{}) {
	defer b.wg.Done()
	next := time.Now()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		b.mu.Lock()
		if b.stop != stop {
			b.mu.Unlock()
			return
		}
		b.mixLocked()
		b.mu.Unlock()
		next = next.Add(FrameTime)
		d := time.Until(next)
		if d < -5*FrameTime {
			next = time.Now().Add(FrameTime)
			d = FrameTime
		}
		t.Reset(max(d, 0))
	}
}
