package telephony

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
	"minipbx/telephony/store"
)

// fakeStore keeps the configuration and call records in memory.
type fakeStore struct {
	mu      sync.Mutex
	cfg     store.Config
	records []store.CallRecord
	added   chan store.CallRecord
}

func newFakeStore(cfg store.Config) *fakeStore {
	return &fakeStore{cfg: cfg, added: make(chan store.CallRecord, 64)}
}

func (s *fakeStore) ExportConfig() (store.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg, nil
}

func (s *fakeStore) AppendCallRecord(r store.CallRecord) (store.CallRecord, error) {
	s.mu.Lock()
	r.ID = uint64(len(s.records) + 1)
	s.records = append(s.records, r)
	s.mu.Unlock()
	s.added <- r
	return r, nil
}

func (s *fakeStore) waitRecord(t *testing.T) store.CallRecord {
	t.Helper()
	select {
	case r := <-s.added:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no call record written")
	}
	return store.CallRecord{}
}

func testConfig() store.Config {
	return store.Config{
		Version: store.SchemaVersion,
		System: store.System{Name: "test", ToneZone: "us", TimeZone: "UTC", ExtensionLength: 3,
			OutsidePrefix: "9", InterDigitTimeoutMS: 300, NoAnswerTimeoutS: 2, CallRecordRetention: 100},
		Extensions: []store.Extension{
			{Number: "101", Name: "Alice", FXSPort: 1, OutsideCalls: true},
			{Number: "102", Name: "Bob", FXSPort: 2},
			{Number: "201", Name: "Carol", OutsideCalls: false},
			{Number: "202", Name: "Dave", OutsideCalls: true},
		},
		FXOLines: []store.FXOLine{{Port: 1, Enabled: true, AnswerAfterRings: 2, Destination: "201"}},
	}
}

// fakeEndpoint records frames written to it and pushes frames to its sink.
type fakeEndpoint struct {
	mu      sync.Mutex
	sink    media.Sink
	voice   int16 // what speak says
	written int
	samples []int16 // what the far end heard, frame after frame
}

func (e *fakeEndpoint) WriteFrame(f *media.Frame) {
	e.mu.Lock()
	e.written++
	if f.HasSamples {
		e.samples = append(e.samples, f.Samples[:]...)
	} else {
		e.samples = append(e.samples, make([]int16, len(f.Samples))...)
	}
	e.mu.Unlock()
}

// heardSamples is a copy of everything written to the endpoint.
func (e *fakeEndpoint) heardSamples() []int16 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.samples)
}
func (e *fakeEndpoint) SetSink(s media.Sink) { e.mu.Lock(); e.sink = s; e.mu.Unlock() }
func (e *fakeEndpoint) Codec() media.Codec   { return media.PCMU }

// speak pushes one frame from the far end into the bridge: the
// endpoint's voice, a constant value of its own (1000 when none was set).
func (e *fakeEndpoint) speak() bool {
	e.mu.Lock()
	s, v := e.sink, e.voice
	e.mu.Unlock()
	if s == nil {
		return false
	}
	if v == 0 {
		v = 1000
	}
	var f media.Frame
	for i := range f.Samples {
		f.Samples[i] = v
	}
	f.HasSamples = true
	s.WriteFrame(&f)
	return true
}

func (e *fakeEndpoint) heard() int { e.mu.Lock(); defer e.mu.Unlock(); return e.written }

// fakeChannel is a scriptable channel.Channel.
type fakeChannel struct {
	info   channel.Info
	events chan channel.Event
	ep     fakeEndpoint
	// req is what an outbound leg was dialled with.
	req channel.Request

	mu        sync.Mutex
	ended     bool
	cause     channel.Cause
	progress  int
	answered  int
	digitsOut []byte
	hungUp    chan channel.Cause
	notified  []int
	cwAlerts  []channel.CallerID
	vbd       []string // why SetVoiceBandData was called, each time
	vbdSelf   bool     // switched by itself (heard fax tones)
}

// SetVoiceBandData records the switch (channel.VoiceBandData).
func (c *fakeChannel) SetVoiceBandData(why string) {
	c.mu.Lock()
	c.vbd = append(c.vbd, why)
	c.mu.Unlock()
}

// InVoiceBandData reports whether SetVoiceBandData was called, or the
// test said the channel switched by itself (vbdSelf).
func (c *fakeChannel) InVoiceBandData() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.vbd) > 0 || c.vbdSelf
}

// voiceBandData is why SetVoiceBandData was called, each time.
func (c *fakeChannel) voiceBandData() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.vbd)
}

func newFakeChannel(info channel.Info) *fakeChannel {
	return &fakeChannel{info: info, events: make(chan channel.Event, 32), hungUp: make(chan channel.Cause, 1)}
}

func (c *fakeChannel) Info() channel.Info           { return c.info }
func (c *fakeChannel) Events() <-chan channel.Event { return c.events }
func (c *fakeChannel) Media() media.Endpoint        { return &c.ep }
func (c *fakeChannel) Progress() error              { c.mu.Lock(); c.progress++; c.mu.Unlock(); return nil }
func (c *fakeChannel) Answer(context.Context) error {
	c.mu.Lock()
	c.answered++
	c.mu.Unlock()
	return nil
}
func (c *fakeChannel) SendDigit(d byte) error {
	c.mu.Lock()
	c.digitsOut = append(c.digitsOut, d)
	c.mu.Unlock()
	return nil
}

// Hangup is called by the exchange.
func (c *fakeChannel) Hangup(cause channel.Cause) error {
	c.end(cause)
	return nil
}

// end finishes the channel once, from either side.
func (c *fakeChannel) end(cause channel.Cause) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ended, c.cause = true, cause
	c.events <- channel.Event{Type: channel.EventHangup, Cause: cause, Time: time.Now()}
	close(c.events)
	c.hungUp <- cause
}

func (c *fakeChannel) emit(ev channel.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended {
		c.events <- ev
	}
}

func (c *fakeChannel) waitHangup(t *testing.T) channel.Cause {
	t.Helper()
	select {
	case cause := <-c.hungUp:
		return cause
	case <-time.After(5 * time.Second):
		t.Fatalf("channel %s not hung up", c.info.ID)
	}
	return 0
}

// fakeDialer creates fake outbound channels and lets tests script them.
type fakeDialer struct {
	kind channel.Kind
	mu   sync.Mutex
	// fail maps a target to the cause Dial fails with.
	fail  map[string]channel.Cause
	legs  chan *fakeChannel
	count int
}

func newFakeDialer(kind channel.Kind) *fakeDialer {
	return &fakeDialer{kind: kind, fail: map[string]channel.Cause{}, legs: make(chan *fakeChannel, 16)}
}

func (d *fakeDialer) Dial(ctx context.Context, req channel.Request) (channel.Channel, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cause, ok := d.fail[req.Target]; ok {
		return nil, &channel.DialError{Cause: cause, Err: fmt.Errorf("fake: %s", req.Target)}
	}
	d.count++
	ch := newFakeChannel(channel.Info{ID: fmt.Sprintf("%s-out-%d", d.kind, d.count), Kind: d.kind,
		Endpoint: req.Target, Direction: "out", Caller: req.Caller})
	ch.req = req
	d.legs <- ch
	return ch, nil
}

func (d *fakeDialer) next(t *testing.T) *fakeChannel {
	t.Helper()
	select {
	case ch := <-d.legs:
		return ch
	case <-time.After(5 * time.Second):
		t.Fatal("nothing dialled")
	}
	return nil
}

func (d *fakeDialer) none(t *testing.T) {
	t.Helper()
	select {
	case ch := <-d.legs:
		t.Fatalf("unexpected leg dialled: %s", ch.info.Endpoint)
	case <-time.After(100 * time.Millisecond):
	}
}

// adminFor is the administration side over x's store, as the box wires it.
func adminFor(t testing.TB, x *Exchange) *Admin {
	t.Helper()
	a, err := NewAdmin(AdminOptions{Store: x.store, Reload: x, Voicemail: x.vm, PromptDir: x.promptDir(), Logger: x.log})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// NotifyTransfer records the transfer progress told to the phone
// (channel.TransferNotifier).
func (c *fakeChannel) NotifyTransfer(code int) error {
	c.mu.Lock()
	c.notified = append(c.notified, code)
	c.mu.Unlock()
	return nil
}

// notifications are the transfer progress codes told so far.
func (c *fakeChannel) notifications() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.notified)
}

// waitNotified waits until the phone was told code.
func (c *fakeChannel) waitNotified(t *testing.T, code int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(c.notifications(), code) {
		if time.Now().After(deadline) {
			t.Fatalf("%s was told %v, never %d", c.info.ID, c.notifications(), code)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// isEnded reports whether the channel hung up.
func (c *fakeChannel) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

// answeredCount is how often the exchange answered the channel.
func (c *fakeChannel) answeredCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered
}

// connected waits until frames a speaks reach b (and b's reach a).
func connected(t *testing.T, a, b *fakeChannel) {
	t.Helper()
	if !hears(a, b) || !hears(b, a) {
		t.Fatalf("%s and %s are not connected", a.info.ID, b.info.ID)
	}
}

// hears reports whether what from says reaches to within 2 s: a frame of
// from's own voice (a value no other endpoint speaks) arrives whole.
func hears(to, from *fakeChannel) bool {
	from.ep.mu.Lock()
	if from.ep.voice == 0 {
		from.ep.voice = int16(3000 + len(from.info.ID)*37 + int(from.info.ID[len(from.info.ID)-1])*11)
	}
	v := from.ep.voice
	from.ep.mu.Unlock()
	n := len(to.ep.heardSamples())
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		from.ep.speak()
		s := to.ep.heardSamples()
		for i := n; i+160 <= len(s); i += 160 {
			if s[i] == v && s[i+159] == v {
				return true
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// AlertCallWaiting records a call-waiting alert (channel.CallWaiting).
func (c *fakeChannel) AlertCallWaiting(caller channel.CallerID) error {
	c.mu.Lock()
	c.cwAlerts = append(c.cwAlerts, caller)
	c.mu.Unlock()
	return nil
}

// waitAlerted waits for a call-waiting alert and returns its caller.
func (c *fakeChannel) waitAlerted(t *testing.T) channel.CallerID {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		n := len(c.cwAlerts)
		var last channel.CallerID
		if n > 0 {
			last = c.cwAlerts[n-1]
		}
		c.mu.Unlock()
		if n > 0 {
			return last
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s was never alerted of a waiting call", c.info.ID)
	return channel.CallerID{}
}
