package bridge

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"minipbx/telephony/media"
)

// endpoint is a test media.Endpoint: it records what the bridge writes to
// it and lets the test speak into the bridge.
type endpoint struct {
	codec media.Codec
	mu    sync.Mutex
	sink  media.Sink
	heard []media.Frame
	last  *media.Frame // the pointer last written (zero-copy checks)
}

func newEndpoint(c media.Codec) *endpoint { return &endpoint{codec: c} }

func (e *endpoint) WriteFrame(f *media.Frame) {
	e.mu.Lock()
	e.heard = append(e.heard, *f)
	e.last = f
	e.mu.Unlock()
}
func (e *endpoint) SetSink(s media.Sink) { e.mu.Lock(); e.sink = s; e.mu.Unlock() }
func (e *endpoint) Codec() media.Codec   { return e.codec }

// say pushes one frame of constant value v into the bridge.
func (e *endpoint) say(v int16) bool {
	var f media.Frame
	for i := range f.Samples {
		f.Samples[i] = v
	}
	f.HasSamples = true
	return e.sayFrame(&f)
}

func (e *endpoint) sayFrame(f *media.Frame) bool {
	e.mu.Lock()
	s := e.sink
	e.mu.Unlock()
	if s == nil {
		return false
	}
	s.WriteFrame(f)
	return true
}

// lastValue is the first sample of the last frame heard (and whether one
// was heard at all).
func (e *endpoint) lastValue() (int16, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.heard) == 0 {
		return 0, false
	}
	f := e.heard[len(e.heard)-1]
	return f.Linear()[0], true
}

func (e *endpoint) count() int { e.mu.Lock(); defer e.mu.Unlock(); return len(e.heard) }

// manual is a bridge whose mixer the test clocks by hand.
func manual(t testing.TB) *Bridge {
	t.Helper()
	b := New(Options{Name: "test"})
	b.manual = true
	t.Cleanup(b.Close)
	return b
}

func (b *Bridge) tick() {
	b.mu.Lock()
	b.mixLocked()
	b.mu.Unlock()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestTwoMembersAreJoinedDirectlyWithoutCopy(t *testing.T) {
	b := manual(t)
	a, c := newEndpoint(media.PCMU), newEndpoint(media.PCMU)
	must(t, b.Join("a", a))
	must(t, b.Join("c", c))
	if m := b.Mode(); m != "direct" {
		t.Fatalf("mode %s, want direct", m)
	}
	var f media.Frame
	f.Codec, f.HasPayload = media.PCMU, true
	f.Payload[0] = 0x42
	a.sayFrame(&f)
	if c.last != &f {
		t.Fatal("the frame was not relayed as it came (a copy or nothing)")
	}
	if c.heard[0].Payload[0] != 0x42 || c.heard[0].HasSamples {
		t.Errorf("relayed frame changed: %+v", c.heard[0].Payload[:2])
	}
	c.say(7)
	if v, _ := a.lastValue(); v != 7 {
		t.Errorf("a heard %d, want 7", v)
	}
}

func TestThreeMembersHearTheOthersMixedAndSaturated(t *testing.T) {
	b := manual(t)
	eps := map[string]*endpoint{}
	for _, id := range []string{"a", "b", "c"} {
		eps[id] = newEndpoint(media.Linear)
		must(t, b.Join(id, eps[id]))
	}
	if m := b.Mode(); m != "mixed" {
		t.Fatalf("mode %s, want mixed", m)
	}
	eps["a"].say(100)
	eps["b"].say(20)
	eps["c"].say(3)
	b.tick()
	for id, want := range map[string]int16{"a": 23, "b": 103, "c": 120} {
		if v, ok := eps[id].lastValue(); !ok || v != want {
			t.Errorf("%s heard %d (%v), want %d", id, v, ok, want)
		}
	}
	// Loud voices saturate, never wrap round.
	eps["a"].say(30000)
	eps["b"].say(30000)
	eps["c"].say(-30000)
	b.tick()
	if v, _ := eps["c"].lastValue(); v != 32767 {
		t.Errorf("c heard %d, want 32767 (saturated)", v)
	}
	eps["a"].say(-30000)
	eps["b"].say(-30000)
	eps["c"].say(0)
	b.tick()
	if v, _ := eps["c"].lastValue(); v != -32768 {
		t.Errorf("c heard %d, want -32768 (saturated)", v)
	}
}

func TestOneTalkerIsPassedOnWhole(t *testing.T) {
	b := manual(t)
	a, c, held := newEndpoint(media.PCMU), newEndpoint(media.PCMU), newEndpoint(media.PCMA)
	must(t, b.Join("a", a))
	must(t, b.Join("c", c))
	must(t, b.Join("held", held))
	must(t, b.Mute("held", true))
	var f media.Frame
	f.Codec, f.HasPayload = media.PCMU, true
	f.Payload[5] = 0x33
	a.sayFrame(&f)
	c.say(0)
	b.tick()
	c.mu.Lock()
	got := c.heard[len(c.heard)-1]
	c.mu.Unlock()
	if !got.HasPayload || got.Codec != media.PCMU || got.Payload[5] != 0x33 {
		t.Errorf("c heard a re-encoded frame (payload %v, codec %v), want a's payload passed on", got.HasPayload, got.Codec)
	}
}

func TestPlayReplacesTheMixThenTheBridgeGoesBackToDirect(t *testing.T) {
	b := manual(t)
	a, c := newEndpoint(media.Linear), newEndpoint(media.Linear)
	must(t, b.Join("a", a))
	must(t, b.Join("c", c))
	frames := 3
	p, err := b.Play("a", func(out []int16) bool {
		if frames == 0 {
			return false
		}
		frames--
		for i := range out {
			out[i] = 1000
		}
		return true
	})
	must(t, err)
	if m := b.Mode(); m != "mixed" {
		t.Fatalf("mode while playing %s, want mixed", m)
	}
	for range 3 {
		c.say(5)
		a.say(9)
		b.tick()
		if v, _ := a.lastValue(); v != 1000 {
			t.Fatalf("a heard %d during the prompt, want 1000", v)
		}
		if v, ok := c.lastValue(); ok && v == 9 {
			t.Fatal("c heard a while a listened to a prompt")
		}
	}
	b.tick() // the source ends
	select {
	case <-p.Done():
	default:
		t.Fatal("playback not done after its source ended")
	}
	if !p.Finished() {
		t.Error("Finished false for a prompt that played to its end")
	}
	if m := b.Mode(); m != "direct" {
		t.Errorf("mode after the prompt %s, want direct", m)
	}
}

func TestStopAndLeaveEndAPlayback(t *testing.T) {
	b := manual(t)
	a := newEndpoint(media.Linear)
	must(t, b.Join("a", a))
	p, err := b.Play("a", func(out []int16) bool { return true })
	must(t, err)
	p.Stop()
	p.Stop()
	<-p.Done()
	if p.Finished() {
		t.Error("a stopped playback counts as finished")
	}
	if m := b.Mode(); m != "idle" {
		t.Errorf("mode %s with one silent member, want idle", m)
	}
	p2, err := b.Play("a", func(out []int16) bool { return true })
	must(t, err)
	if !b.Leave("a") {
		t.Fatal("Leave: not a member")
	}
	<-p2.Done()
	a.mu.Lock()
	sink := a.sink
	a.mu.Unlock()
	if sink != nil {
		t.Error("the endpoint's sink is still the bridge's after it left")
	}
	if _, err := b.Play("a", func([]int16) bool { return true }); err == nil {
		t.Error("Play to a member that left: no error")
	}
}

func TestMutedMemberIsNotHeard(t *testing.T) {
	b := manual(t)
	a, c, d := newEndpoint(media.Linear), newEndpoint(media.Linear), newEndpoint(media.Linear)
	must(t, b.Join("a", a))
	must(t, b.Join("c", c))
	must(t, b.Join("d", d))
	must(t, b.Mute("a", true))
	a.say(500)
	c.say(1)
	d.say(2)
	b.tick()
	if v, _ := c.lastValue(); v != 2 {
		t.Errorf("c heard %d, want 2 (d only; a is muted)", v)
	}
	if v, _ := a.lastValue(); v != 3 {
		t.Errorf("muted a heard %d, want 3", v)
	}
}

func TestAnnounceGoesOnTopOfEveryonesMix(t *testing.T) {
	b := manual(t)
	a, c, d := newEndpoint(media.Linear), newEndpoint(media.Linear), newEndpoint(media.Linear)
	must(t, b.Join("a", a))
	must(t, b.Join("c", c))
	must(t, b.Join("d", d))
	n := 1
	p, err := b.Announce(func(out []int16) bool {
		if n == 0 {
			return false
		}
		n--
		for i := range out {
			out[i] = 50
		}
		return true
	})
	must(t, err)
	a.say(1)
	c.say(2)
	d.say(4)
	b.tick()
	for ep, want := range map[*endpoint]int16{a: 56, c: 55, d: 53} {
		if v, _ := ep.lastValue(); v != want {
			t.Errorf("heard %d, want %d", v, want)
		}
	}
	b.tick()
	<-p.Done()
}

func TestQueueIsBoundedAndDrains(t *testing.T) {
	b := manual(t)
	a, c, d := newEndpoint(media.Linear), newEndpoint(media.Linear), newEndpoint(media.Linear)
	must(t, b.Join("a", a))
	must(t, b.Join("c", c))
	must(t, b.Join("d", d))
	for i := range 10 {
		a.say(int16(i))
	}
	// Only the newest maxQueued frames are kept.
	b.tick()
	if v, _ := c.lastValue(); v != 10-maxQueued {
		t.Errorf("first mixed frame %d, want %d (the oldest frames dropped)", v, 10-maxQueued)
	}
	// A queue that stays deep loses a frame within drainAfter ticks.
	for range drainAfter + 5 {
		a.say(1)
		b.tick()
	}
	var m *member
	b.mu.Lock()
	m = b.findLocked("a")
	n := m.in.n
	b.mu.Unlock()
	if n > 2 {
		t.Errorf("queue still %d frames deep after %d ticks", n, drainAfter+5)
	}
}

func TestListenTapsWhatAMemberSays(t *testing.T) {
	b := manual(t)
	a, c := newEndpoint(media.Linear), newEndpoint(media.Linear)
	must(t, b.Join("a", a))
	must(t, b.Join("c", c))
	var tapped []int16
	must(t, b.Listen("a", media.SinkFunc(func(f *media.Frame) { tapped = append(tapped, f.Linear()[0]) })))
	a.say(11)
	a.say(12)
	must(t, b.Listen("a", nil))
	a.say(13)
	if fmt.Sprint(tapped) != "[11 12]" {
		t.Errorf("tapped %v, want [11 12]", tapped)
	}
	if v, _ := c.lastValue(); v != 13 {
		t.Errorf("c heard %d, want 13 (the tap must not take the audio away)", v)
	}
}

func TestJoinTwiceAndClosedBridgeFail(t *testing.T) {
	b := New(Options{Name: "x"})
	a := newEndpoint(media.Linear)
	must(t, b.Join("a", a))
	if err := b.Join("a", newEndpoint(media.Linear)); err == nil {
		t.Error("the same id joined twice")
	}
	b.Close()
	b.Close()
	if err := b.Join("z", newEndpoint(media.Linear)); err == nil {
		t.Error("joined a closed bridge")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sink != nil {
		t.Error("Close left a member's sink set")
	}
}

// The mixer's own clock: frames reach every member at the frame rate and
// the goroutine ends with Close.
func TestMixerClockRunsAndStops(t *testing.T) {
	b := New(Options{Name: "clocked"})
	a := newEndpoint(media.Linear)
	must(t, b.Join("a", a))
	if _, err := b.Play("a", func(out []int16) bool { return true }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.count() < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a.count() < 5 {
		t.Fatalf("the mixer wrote %d frames in 5 s", a.count())
	}
	b.Close() // waits for the mixer
	n := a.count()
	time.Sleep(60 * time.Millisecond)
	if a.count() != n {
		t.Error("frames written after Close")
	}
}

func TestMixAllocatesNothing(t *testing.T) {
	b := manual(t)
	var eps []*endpoint
	for i := range 10 {
		ep := newEndpoint(media.PCMU)
		ep.heard = make([]media.Frame, 0, 1000)
		eps = append(eps, ep)
		must(t, b.Join(fmt.Sprint(i), ep))
	}
	f := &media.Frame{HasSamples: true}
	allocs := testing.AllocsPerRun(100, func() {
		for _, ep := range eps {
			ep.heard = ep.heard[:0]
			ep.sayFrame(f)
		}
		b.tick()
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per mixed frame, want 0", allocs)
	}
}
