package analog

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"minipbx/board"
	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// rig is a simulated box with a running Manager.
type rig struct {
	t     *testing.T
	b     *sim.Board
	m     *Manager
	calls chan channel.Channel
}

// newRig runs a Manager on a simulated box. Its FXO echo canceller covers
// 32 ms instead of 128: the sim's lines have no echo unless a test asks,
// and the full canceller under the race detector on a shared two-core
// machine would starve the board clock of parallel tests.
func newRig(t *testing.T, zone string, lines ...LineConfig) *rig {
	t.Helper()
	return newRigConfig(t, Config{Zone: zone, Lines: lines, EchoTail: 32 * time.Millisecond})
}

func newRigConfig(t *testing.T, c Config) *rig {
	t.Helper()
	zone := c.Zone
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := sim.New(sim.Config{Zone: zone, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, b: b, calls: make(chan channel.Channel, 8)}
	c.Board, c.Logger = b, log
	c.OnCall = func(c channel.Channel) { r.calls <- c }
	r.m, err = New(c)
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.m.Run(ctx) }()
	<-r.m.started
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		b.Close()
	})
	return r
}

func (r *rig) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	r.t.Cleanup(cancel)
	return ctx
}

func (r *rig) call(d time.Duration) channel.Channel {
	r.t.Helper()
	select {
	case c := <-r.calls:
		return c
	case <-time.After(d):
		r.t.Fatalf("no inbound call within %v", d)
	}
	return nil
}

func (r *rig) frames(n int) {
	r.t.Helper()
	if err := r.b.WaitFrames(r.ctx(time.Duration(n)*100*time.Millisecond+5*time.Second), n); err != nil {
		r.t.Fatal(err)
	}
}

// next returns the channel's next event, failing after d.
func next(t *testing.T, c channel.Channel, d time.Duration) channel.Event {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			t.Fatalf("%s: events closed", c.Info().ID)
		}
		return ev
	case <-time.After(d):
		t.Fatalf("%s: no event within %v", c.Info().ID, d)
	}
	return channel.Event{}
}

// poll returns the channel's next event if one comes within d.
func poll(c channel.Channel, d time.Duration) (channel.Event, bool) {
	select {
	case ev := <-c.Events():
		return ev, true
	case <-time.After(d):
		return channel.Event{}, false
	}
}

func expect(t *testing.T, c channel.Channel, want channel.EventType, d time.Duration) channel.Event {
	t.Helper()
	ev := next(t, c, d)
	if ev.Type != want {
		t.Fatalf("%s: got %v (%+v), want %v", c.Info().ID, ev.Type, ev, want)
	}
	return ev
}

// expectEnd waits for EventHangup with cause and then the closed channel.
func expectEnd(t *testing.T, c channel.Channel, cause channel.Cause, d time.Duration) {
	t.Helper()
	for {
		ev := next(t, c, d)
		if ev.Type != channel.EventHangup {
			continue
		}
		if ev.Cause != cause {
			t.Fatalf("%s: hang-up cause %v, want %v", c.Info().ID, ev.Cause, cause)
		}
		break
	}
	select {
	case _, ok := <-c.Events():
		if ok {
			t.Fatalf("%s: event after hang-up", c.Info().ID)
		}
	case <-time.After(time.Second):
		t.Fatalf("%s: events not closed after hang-up", c.Info().ID)
	}
}

// collector is a media.Sink that keeps what it gets and, like the
// exchange's bridge to another leg on the same board clock, answers every
// frame with one of its own generator's into the channel.
type collector struct {
	mu  sync.Mutex
	s   []int16
	gen func([]int16)
	ep  media.Endpoint
	out media.Frame
}

// bridge connects a collector to c's media, sending gen's audio (nil:
// nothing) to the channel frame by frame.
func bridge(c channel.Channel, gen func([]int16)) *collector {
	col := &collector{gen: gen, ep: c.Media()}
	c.Media().SetSink(col)
	return col
}

func (c *collector) WriteFrame(f *media.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = append(c.s, f.Linear()[:]...)
	if c.gen != nil {
		c.gen(c.out.Samples[:])
		c.out.HasSamples = true
		c.ep.WriteFrame(&c.out)
	}
}

func (c *collector) take() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	c.s = nil
	return s
}

func wantDialError(t *testing.T, err error, want channel.Cause) {
	t.Helper()
	var de *channel.DialError
	if !errors.As(err, &de) || de.Cause != want {
		t.Fatalf("dial error %v, want cause %v", err, want)
	}
}

// checkTone asserts a clean sine of freq in s.
func checkTone(t *testing.T, what string, s []int16, freq float64) {
	t.Helper()
	if len(s) < 1600 {
		t.Fatalf("%s: only %d samples", what, len(s))
	}
	m := sim.MeasureTone(s)
	t.Logf("%s: %v", what, m)
	if math.Abs(m.FreqHz-freq) > 2 || m.SNRdB < 30 {
		t.Fatalf("%s: %v, want %.0f Hz with SNR > 30 dB", what, m, freq)
	}
}

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		in     string
		kind   board.Kind
		num    int
		digits string
		ok     bool
	}{
		{"fxs:1", board.FXS, 1, "", true},
		{"fxs:12", board.FXS, 12, "", true},
		{"fxo:5551234", board.FXO, 0, "5551234", true},
		{"fxo@2:*69#", board.FXO, 2, "*69#", true},
		{"fxs:0", 0, 0, "", false},
		{"fxs:x", 0, 0, "", false},
		{"fxo:", 0, 0, "", false},
		{"fxo:12a", 0, 0, "", false},
		{"fxo@0:1", 0, 0, "", false},
		{"fxo@:1", 0, 0, "", false},
		{"sip:100", 0, 0, "", false},
		{"100", 0, 0, "", false},
		{"fxo:123456789012345678901234567890123", 0, 0, "", false},
	} {
		kind, num, digits, err := parseTarget(c.in)
		if (err == nil) != c.ok || kind != c.kind || num != c.num || digits != c.digits {
			t.Errorf("parseTarget(%q) = %v %d %q %v", c.in, kind, num, digits, err)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"fxs:1", "fxo:911", "fxo@3:0", "fxo@:", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, num, digits, err := parseTarget(s)
		if err != nil {
			return
		}
		switch kind {
		case board.FXS:
			if num < 1 || digits != "" {
				t.Fatalf("%q: fxs %d %q", s, num, digits)
			}
		case board.FXO:
			if num < 0 || digits == "" || len(digits) > maxDialDigits {
				t.Fatalf("%q: fxo %d %q", s, num, digits)
			}
		default:
			t.Fatalf("%q: kind %v", s, kind)
		}
	})
}

func TestNewValidates(t *testing.T) {
	b, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, c := range []Config{
		{},
		{Board: b, Zone: "zz"},
		{Board: b, Lines: []LineConfig{{Port: 3}}},
		{Board: b, Lines: []LineConfig{{Port: 1}, {Port: 1}}},
		{Board: b, Lines: []LineConfig{{Port: 1, AnswerAfterRings: 11}}},
		{Board: b, DialToneTimeout: time.Millisecond},
		{Board: b, EchoTail: time.Second},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	m, err := New(Config{Board: b})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Dialer().Dial(context.Background(), channel.Request{Target: "fxs:1"}); err == nil {
		t.Fatal("Dial before Run accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatal("Run:", err)
	}
	if err := m.Run(context.Background()); err == nil {
		t.Fatal("second Run accepted")
	}
	_, err = m.Dialer().Dial(context.Background(), channel.Request{Target: "fxs:1"})
	wantDialError(t, err, channel.CauseUnavailable)
	if err := m.Update(Config{Zone: "de", Lines: []LineConfig{{Port: 2, Enabled: false}}}); err != nil {
		t.Fatal(err)
	}
	if lc := m.lineConfig(2); lc.Enabled || lc.AnswerAfterRings != DefaultAnswerAfterRings {
		t.Fatalf("line 2 after Update: %+v", lc)
	}
	if err := m.Update(Config{Zone: "nowhere"}); err == nil {
		t.Fatal("Update accepted an unknown zone")
	}
}

func TestCallerIDConversion(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC)
	m := CallerIDMessage(channel.CallerID{Number: "+1 (212) 555-0100", Name: "Zoë Smith-Jones and Co"}, now)
	if m.Number != "12125550100" || m.Name != "Zo? Smith-Jones" || !m.HasTime {
		t.Fatalf("%+v", m)
	}
	if _, err := dsp.EncodeCallerID(m); err != nil {
		t.Fatal(err)
	}
	p := CallerIDMessage(channel.CallerID{Withheld: "P"}, now)
	if p.NumberAbsent != 'P' || p.Number != "" {
		t.Fatalf("%+v", p)
	}
	if c := ChannelCallerID(p); c.Withheld != "P" {
		t.Fatalf("%+v", c)
	}
	if _, err := dsp.EncodeCallerID(CallerIDMessage(channel.CallerID{}, now)); err != nil {
		t.Fatal(err)
	}
}

// A phone goes off hook: the channel reaches OnCall at once, the phone
// hears dial tone until the first digit, DTMF and pulse digits arrive as
// EventDigit, flash as EventFlash, on-hook as EventHangup(normal).
func TestFXSInboundDigits(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	ph := r.b.Phone(1)
	ph.OffHook()
	c := r.call(5 * time.Second)
	if in := c.Info(); in.Kind != channel.FXS || in.Direction != "in" || in.Endpoint != "fxs:1" {
		t.Fatalf("info %+v", in)
	}
	ph.Record()
	r.frames(30)
	rec := ph.StopRecording()
	for _, f := range []float64{350, 440} {
		if m := sim.MeasureToneAt(rec[1600:], f); math.Abs(m.LevelDBm0+13) > 1.5 {
			t.Fatalf("dial tone %v Hz at %.1f dBm0", f, m.LevelDBm0)
		}
	}
	if st := r.m.PortStates()[0]; !st.InCall || st.Hook != board.OffHook || st.State != "dialling" {
		t.Fatalf("port state %+v", st)
	}
	if err := ph.DialDTMF("4*"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []byte("4*") {
		if ev := expect(t, c, channel.EventDigit, 6*time.Second); ev.Digit != want {
			t.Fatalf("digit %q, want %q", ev.Digit, want)
		}
	}
	ph.Record()
	r.frames(10)
	if l := sim.Level(ph.StopRecording()); l > -45 {
		t.Fatalf("dial tone still on after digits: %.1f dBm0", l)
	}
	if err := ph.DialPulse("20"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []byte("20") {
		if ev := expect(t, c, channel.EventDigit, 8*time.Second); ev.Digit != want {
			t.Fatalf("pulse digit %q, want %q", ev.Digit, want)
		}
	}
	ph.WaitDialled(r.ctx(5 * time.Second))
	if err := ph.Flash(); err != nil {
		t.Fatal(err)
	}
	expect(t, c, channel.EventFlash, 6*time.Second)
	ph.OnHook()
	expectEnd(t, c, channel.CauseNormal, 6*time.Second)
	if st := r.m.PortStates()[0]; st.InCall || st.State != "idle" {
		t.Fatalf("port state after hang-up %+v", st)
	}
}

// The exchange plays ringback with Progress, silences it with Answer and
// ends the call with busy tone; the phone stays locked out until on hook.
func TestFXSInboundExchangeHangup(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	ph := r.b.Phone(2)
	ph.OffHook()
	c := r.call(5 * time.Second)
	ph.DialDTMF("1")
	expect(t, c, channel.EventDigit, 6*time.Second)
	if err := c.Progress(); err != nil {
		t.Fatal(err)
	}
	ph.Record()
	r.frames(60)
	rb := ph.StopRecording()
	for _, f := range []float64{440, 480} {
		if m := sim.MeasureToneAt(rb, f); m.LevelDBm0 < progressToneLevel-6 {
			t.Fatalf("ringback %v Hz at %.1f dBm0", f, m.LevelDBm0)
		}
	}
	if err := c.Answer(r.ctx(time.Second)); err != nil {
		t.Fatal(err)
	}
	r.frames(2)
	ph.Record()
	r.frames(10)
	if l := sim.Level(ph.StopRecording()); l > -45 {
		t.Fatalf("tone after answer: %.1f dBm0", l)
	}
	if err := c.Hangup(channel.CauseBusy); err != nil {
		t.Fatal(err)
	}
	expectEnd(t, c, channel.CauseBusy, 4*time.Second)
	if err := c.Hangup(channel.CauseNormal); err != nil {
		t.Fatal("second Hangup:", err)
	}
	ph.Record()
	r.frames(60)
	busy := ph.StopRecording()
	for _, f := range []float64{480, 620} {
		if m := sim.MeasureToneAt(busy, f); m.LevelDBm0 < progressToneLevel-6 {
			t.Fatalf("busy %v Hz at %.1f dBm0", f, m.LevelDBm0)
		}
	}
	// Locked out: the port is busy for new calls until on hook.
	_, err := r.m.Dialer().Dial(r.ctx(time.Second), channel.Request{Target: "fxs:2"})
	wantDialError(t, err, channel.CauseBusy)
	ph.OnHook()
	r.frames(60) // hang-up confirmation (FlashMax)
	if st := r.m.PortStates()[1]; st.State != "idle" {
		t.Fatalf("port after on-hook: %+v", st)
	}
}

// Dial fxs:N rings the phone with the zone's cadence, the phone decodes the
// caller ID sent between the first and second ring, answers, and audio
// crosses both ways through G.711 with SNR > 30 dB; the phone hangs up.
func TestFXSOutboundCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	ph := r.b.Phone(1)
	ctx := r.ctx(30 * time.Second)
	c, err := r.m.Dialer().Dial(ctx, channel.Request{Target: "fxs:1", Caller: channel.CallerID{Number: "2125550123", Name: "Alice Example"}})
	if err != nil {
		t.Fatal(err)
	}
	if in := c.Info(); in.Direction != "out" || in.Kind != channel.FXS {
		t.Fatalf("info %+v", in)
	}
	expect(t, c, channel.EventProgress, 4*time.Second)
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = r.m.Dialer().Dial(ctx, channel.Request{Target: "fxs:1"})
	wantDialError(t, err, channel.CauseBusy)
	cid, err := ph.WaitCallerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cid.Number != "2125550123" || cid.Name != "Alice Example" || !cid.HasTime {
		t.Fatalf("caller ID %+v", cid)
	}
	if cad := ph.RingCadence(); len(cad) < 1 || cad[0] < 1900*time.Millisecond || cad[0] > 2100*time.Millisecond {
		t.Fatalf("ring cadence %v, want 2 s on", cad)
	}
	ph.OffHook()
	expect(t, c, channel.EventAnswer, 4*time.Second)
	if ph.Ringing() {
		t.Fatal("still ringing after answer")
	}

	// Audio both ways.
	got := bridge(c, sim.Sine(600, -10))
	ph.Talk(sim.Sine(1020, -10))
	r.frames(10)
	got.take()
	ph.Record()
	r.frames(50)
	checkTone(t, "phone → exchange", got.take(), 1020)
	checkTone(t, "exchange → phone", ph.StopRecording(), 600)

	ph.OnHook()
	expectEnd(t, c, channel.CauseNormal, 6*time.Second)
}

// The exchange hangs up an answered FXS call: the phone hears busy tone.
// Ringing unanswered, Hangup stops the ringing; a faulty port is
// unavailable; a request's timeout ends ringing with no-answer.
func TestFXSOutboundHangups(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	ctx := r.ctx(30 * time.Second)
	d := r.m.Dialer()
	ph := r.b.Phone(2)

	c, err := d.Dial(ctx, channel.Request{Target: "fxs:2", Caller: channel.CallerID{Withheld: "P"}})
	if err != nil {
		t.Fatal(err)
	}
	ph.WaitRing(ctx)
	ph.OffHook()
	expect(t, c, channel.EventProgress, 4*time.Second)
	expect(t, c, channel.EventAnswer, 4*time.Second)
	c.Hangup(channel.CauseNormal)
	expectEnd(t, c, channel.CauseNormal, 4*time.Second)
	if err := ph.Hears(ctx, dsp.ToneBusy); err != nil {
		t.Fatal(err)
	}
	ph.OnHook()

	c, err = d.Dial(ctx, channel.Request{Target: "fxs:1"})
	if err != nil {
		t.Fatal(err)
	}
	r.b.Phone(1).WaitRing(ctx)
	c.Hangup(channel.CauseCancelled)
	expectEnd(t, c, channel.CauseCancelled, 4*time.Second)
	r.frames(2)
	if r.b.Phone(1).Ringing() {
		t.Fatal("still ringing after Hangup")
	}

	c, err = d.Dial(ctx, channel.Request{Target: "fxs:1", Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	expectEnd(t, c, channel.CauseNoAnswer, 4*time.Second)

	r.b.Phone(1).SetFault("ring generator overload")
	r.frames(3)
	_, err = d.Dial(ctx, channel.Request{Target: "fxs:1"})
	wantDialError(t, err, channel.CauseUnavailable)
	_, err = d.Dial(ctx, channel.Request{Target: "fxs:9"})
	wantDialError(t, err, channel.CauseNotFound)
	_, err = d.Dial(ctx, channel.Request{Target: "pots:1"})
	wantDialError(t, err, channel.CauseNotFound)
}

// Dial fxo:DIGITS seizes a line, waits for dial tone and dials: the telco
// receives exactly the digits; the call answers, audio crosses both ways;
// the far end's busy tone ends the call and releases the line.
func TestFXOOutboundCall(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	line := r.b.Line(1)
	line.SetAutoAnswer(500 * time.Millisecond)
	line.SetRingback(200 * time.Millisecond)
	ctx := r.ctx(30 * time.Second)
	c, err := r.m.Dialer().Dial(ctx, channel.Request{Target: "fxo:5551234"})
	if err != nil {
		t.Fatal(err)
	}
	if in := c.Info(); in.Kind != channel.FXO || in.Direction != "out" || in.Endpoint != "fxo:1" {
		t.Fatalf("info %+v", in)
	}
	expect(t, c, channel.EventProgress, 4*time.Second)
	digits, err := line.WaitDigits(ctx, 7)
	if err != nil || digits != "5551234" {
		t.Fatalf("telco received %q (%v)", digits, err)
	}
	expect(t, c, channel.EventAnswer, 6*time.Second)
	if err := line.WaitState(ctx, "talking"); err != nil {
		t.Fatal(err)
	}
	if got := line.Digits(); got != "5551234" {
		t.Fatalf("telco received %q in all", got)
	}
	if err := c.SendDigit('x'); err == nil {
		t.Fatal("SendDigit accepted x")
	}
	if err := c.SendDigit('#'); err != nil {
		t.Fatal(err)
	}
	if got, err := line.WaitDigits(ctx, 8); err != nil || got != "5551234#" {
		t.Fatalf("after SendDigit the telco has %q (%v)", got, err)
	}

	got := bridge(c, sim.Sine(600, -10))
	line.Talk(sim.Sine(1020, -10))
	r.frames(10)
	got.take()
	line.Record()
	r.frames(50)
	checkTone(t, "line → exchange", got.take(), 1020)
	checkTone(t, "exchange → line", line.StopRecording(), 600)

	line.Talk(nil)
	if err := line.Hangup(sim.HangupBusyTone); err != nil {
		t.Fatal(err)
	}
	expectEnd(t, c, channel.CauseNormal, 20*time.Second)
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
}

// Loop-current drop and polarity reversal end outbound calls; lines without
// battery are skipped in the hunt; a named line without battery is
// unavailable; the exchange can hang up too.
func TestFXOOutboundFarEndAndHunting(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	ctx := r.ctx(30 * time.Second)
	d := r.m.Dialer()
	for i, mode := range []sim.HangupMode{sim.HangupLoopDrop, sim.HangupReversal} {
		line := r.b.Line(i + 1)
		line.SetAutoAnswer(200 * time.Millisecond)
		line.SetRingback(100 * time.Millisecond)
		c, err := d.Dial(ctx, channel.Request{Target: "fxo@" + string(rune('1'+i)) + ":12"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, c, channel.EventProgress, 4*time.Second)
		expect(t, c, channel.EventAnswer, 20*time.Second)
		line.WaitState(ctx, "talking")
		line.Hangup(mode)
		expectEnd(t, c, channel.CauseNormal, 6*time.Second)
		if err := line.WaitReleased(ctx); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(releaseGuard)

	r.b.Line(1).SetBattery(false)
	c, err := d.Dial(ctx, channel.Request{Target: "fxo:7"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Info().Endpoint != "fxo:2" {
		t.Fatalf("hunt took %s, want fxo:2 (line 1 has no battery)", c.Info().Endpoint)
	}
	_, err = d.Dial(ctx, channel.Request{Target: "fxo@1:7"})
	wantDialError(t, err, channel.CauseUnavailable)
	_, err = d.Dial(ctx, channel.Request{Target: "fxo:8"})
	wantDialError(t, err, channel.CauseCongestion)
	digits, _ := r.b.Line(2).WaitDigits(ctx, 1)
	if digits != "7" {
		t.Fatalf("line 2 received %q", digits)
	}
	c.Hangup(channel.CauseNormal)
	expectEnd(t, c, channel.CauseNormal, 4*time.Second)
	if err := r.b.Line(2).WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
}

// A line with answer supervision answers the call at the central office's
// polarity reversal, not when the digits are out; before that, busy tone
// ends the attempt as busy, a number that rings on is unanswered at the
// request's timeout, and the reversal back after the answer is the far end
// hanging up.
func TestFXOAnswerOnReversal(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us",
		LineConfig{Port: 1, Enabled: true, AnswerOnReversal: true},
		LineConfig{Port: 2, Enabled: true, AnswerOnReversal: true})
	ctx := r.ctx(40 * time.Second)
	d := r.m.Dialer()

	// Answered at the reversal, after a ringback that answering would
	// otherwise have cut short.
	line := r.b.Line(1)
	line.SetAnswerReversal(true)
	line.SetAutoAnswer(200 * time.Millisecond)
	line.SetRingback(1500 * time.Millisecond)
	c, err := d.Dial(ctx, channel.Request{Target: "fxo@1:12"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, c, channel.EventProgress, 4*time.Second)
	if err := line.WaitState(ctx, "ringback"); err != nil {
		t.Fatal(err)
	}
	if ev, ok := poll(c, 500*time.Millisecond); ok {
		t.Fatalf("during ringback the channel said %v: want no answer before the reversal", ev.Type)
	}
	expect(t, c, channel.EventAnswer, 5*time.Second)
	if s := line.State(); s != "talking" {
		t.Fatalf("answered while the line is %s", s)
	}
	line.Hangup(sim.HangupReversal)
	expectEnd(t, c, channel.CauseNormal, 6*time.Second)
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}

	// Busy: the busy tone is the verdict, not a call that ended.
	busy := r.b.Line(2)
	busy.SetAnswerReversal(true)
	busy.SetFarEndBusy(true)
	busy.SetAutoAnswer(200 * time.Millisecond)
	unanswered := func(l *sim.Line, req channel.Request, want channel.Cause) {
		t.Helper()
		c, err := d.Dial(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, c, channel.EventProgress, 4*time.Second)
		expectEnd(t, c, want, 10*time.Second)
		if err := l.WaitReleased(ctx); err != nil {
			t.Fatal(err)
		}
	}
	unanswered(busy, channel.Request{Target: "fxo@2:34"}, channel.CauseBusy)

	// Rings on: no answer at the request's timeout.
	time.Sleep(releaseGuard)
	line.SetRingback(time.Minute)
	unanswered(line, channel.Request{Target: "fxo@1:56", Timeout: 3 * time.Second}, channel.CauseNoAnswer)
}

// An incoming ring with FSK caller ID reaches OnCall after the configured
// rings, carrying the caller ID, with the line seized; the far end's loop
// drop ends it. The UK cadence (double ring, then a 2 s silence that
// carries V.23 caller ID) keeps the test short.
func TestFXOInboundCallerID(t *testing.T) {
	t.Parallel()
	r := newRig(t, "uk", LineConfig{Port: 2, Name: "PSTN 2", Enabled: true, AnswerAfterRings: 3})
	line := r.b.Line(2)
	msg := dsp.CallerIDMessage{Number: "02079460000", Name: "BOB", Time: time.Now(), HasTime: true, MDMF: true}
	if err := line.Ring(msg); err != nil {
		t.Fatal(err)
	}
	c := r.call(16 * time.Second)
	in := c.Info()
	if in.Kind != channel.FXO || in.Direction != "in" || in.Endpoint != "PSTN 2" {
		t.Fatalf("info %+v", in)
	}
	if in.Caller.Number != "02079460000" || in.Caller.Name != "BOB" {
		t.Fatalf("caller %+v", in.Caller)
	}
	if n := line.Rings(); n != 3 {
		t.Fatalf("answered after %d rings, want 3", n)
	}
	if !line.Seized() || line.State() != "talking" {
		t.Fatalf("line %s, seized %v", line.State(), line.Seized())
	}
	if err := c.Answer(r.ctx(time.Second)); err != nil {
		t.Fatal(err)
	}
	line.Hangup(sim.HangupLoopDrop)
	expectEnd(t, c, channel.CauseNormal, 6*time.Second)
}

// DTMF caller ID before the first ring; a disabled line is never answered.
func TestFXOInboundDTMFCallerIDAndDisabled(t *testing.T) {
	t.Parallel()
	r := newRig(t, "uk", LineConfig{Port: 1, Enabled: true, AnswerAfterRings: 1}, LineConfig{Port: 2, Enabled: false})
	line := r.b.Line(1)
	line.SetCallerIDMode(sim.CallerIDDTMF)
	if err := line.Ring(dsp.CallerIDMessage{Number: "0612345678"}); err != nil {
		t.Fatal(err)
	}
	c := r.call(16 * time.Second)
	if got := c.Info().Caller.Number; got != "0612345678" {
		t.Fatalf("caller %+v", c.Info().Caller)
	}
	c.Hangup(channel.CauseNormal)
	expectEnd(t, c, channel.CauseNormal, 4*time.Second)
	if err := line.WaitReleased(r.ctx(2 * time.Second)); err != nil {
		t.Fatal(err)
	}

	off := r.b.Line(2)
	off.Ring(dsp.CallerIDMessage{})
	r.frames(100)
	if off.Seized() || len(r.calls) != 0 {
		t.Fatal("a disabled line was answered")
	}
	off.StopRinging()
}

// A line that gives no dial tone fails the call with congestion and is
// released.
func TestFXONoDialTone(t *testing.T) {
	t.Parallel()
	r := newRigConfig(t, Config{Zone: "us", DialToneTimeout: time.Second})
	line := r.b.Line(1)
	line.SetDialTone(false)
	c, err := r.m.Dialer().Dial(r.ctx(5*time.Second), channel.Request{Target: "fxo@1:123"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, c, channel.EventProgress, 4*time.Second)
	expectEnd(t, c, channel.CauseCongestion, 6*time.Second)
	if line.Seized() || line.Digits() != "" {
		t.Fatalf("line seized %v, digits %q", line.Seized(), line.Digits())
	}
}

// The FXO echo canceller removes the line's hybrid echo of what the
// exchange sends: with a 10 dB echo return loss, the exchange would hear
// itself at -20 dBm0; after convergence it hears (almost) nothing.
func TestFXOEchoCancelled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		tail  time.Duration
		below float64 // dBm0 the residual must stay under
	}{
		{"off", -1, -25},
		{"on", 64 * time.Millisecond, -45},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRigConfig(t, Config{Zone: "us", EchoTail: tc.tail})
			line := r.b.Line(1)
			line.SetAutoAnswer(100 * time.Millisecond)
			line.SetRingback(100 * time.Millisecond)
			if err := line.SetEcho(10, 30*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			ctx := r.ctx(30 * time.Second)
			c, err := r.m.Dialer().Dial(ctx, channel.Request{Target: "fxo:1"})
			if err != nil {
				t.Fatal(err)
			}
			expect(t, c, channel.EventProgress, 4*time.Second)
			expect(t, c, channel.EventAnswer, 10*time.Second)
			line.WaitState(ctx, "talking")
			noise := uint32(1)
			got := bridge(c, func(out []int16) { // white noise at about -10.6 dBm0
				for i := range out {
					noise = noise*1664525 + 1013904223
					out[i] = int16((int32(noise>>16) - 32768) / 4)
				}
			})
			r.frames(50) // converge
			got.take()
			r.frames(25)
			residual := sim.Level(got.take())
			t.Logf("echo canceller %s: exchange hears its own signal at %.1f dBm0", tc.name, residual)
			if tc.tail < 0 && residual < tc.below {
				t.Fatalf("no echo without canceller (%.1f dBm0): the test's line echo is broken", residual)
			}
			if tc.tail >= 0 && residual > tc.below {
				t.Fatalf("residual echo %.1f dBm0, want below %.0f", residual, tc.below)
			}
			c.Hangup(channel.CauseNormal)
		})
	}
}

// Update switches the zone while a call is up: the call carries on, new
// calls get the new zone's tones.
func TestUpdateKeepsCalls(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	ph1, ph2 := r.b.Phone(1), r.b.Phone(2)
	ph1.OffHook()
	c1 := r.call(5 * time.Second)
	if err := r.m.Update(Config{Zone: "de", Lines: []LineConfig{{Port: 1, Enabled: false}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.m.Update(Config{Zone: "xx"}); err == nil {
		t.Fatal("Update accepted zone xx")
	}
	ph1.DialDTMF("5")
	if ev := expect(t, c1, channel.EventDigit, 6*time.Second); ev.Digit != '5' {
		t.Fatalf("digit %q", ev.Digit)
	}
	ph2.OffHook()
	c2 := r.call(5 * time.Second)
	r.frames(5)
	ph2.Record()
	r.frames(25)
	if m := sim.MeasureTone(ph2.StopRecording()); math.Abs(m.FreqHz-425) > 2 || math.Abs(m.LevelDBm0+13) > 1.5 {
		t.Fatalf("dial tone after Update to de: %v, want 425 Hz at -13 dBm0", m)
	}
	_, err := r.m.Dialer().Dial(r.ctx(time.Second), channel.Request{Target: "fxo@1:1"})
	wantDialError(t, err, channel.CauseUnavailable) // disabled by the Update
	ph1.OnHook()
	ph2.OnHook()
	expectEnd(t, c1, channel.CauseNormal, 6*time.Second)
	expectEnd(t, c2, channel.CauseNormal, 6*time.Second)
}

// US line, default two rings: Bell 202 caller ID between the first and the
// second ring reaches OnCall. The central office rings with a short
// cadence (0.5 s on, 1.6 s off) to keep the test short.
func TestFXOInboundUSTwoRings(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	line := r.b.Line(1)
	if err := line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := line.Ring(CallerIDMessage(channel.CallerID{Number: "8005550199", Name: "ACME Corp"}, time.Now())); err != nil {
		t.Fatal(err)
	}
	c := r.call(12 * time.Second)
	if got := c.Info().Caller; got.Number != "8005550199" || got.Name != "ACME Corp" {
		t.Fatalf("caller %+v", got)
	}
	if n := line.Rings(); n != DefaultAnswerAfterRings {
		t.Fatalf("answered after %d rings", n)
	}
	if st := r.m.PortStates()[2]; st.Kind != board.FXO || !st.InCall || st.Hook != board.OffHook {
		t.Fatalf("port state %+v", st)
	}
	line.Hangup(sim.HangupReversal)
	expectEnd(t, c, channel.CauseNormal, 6*time.Second)
}

func TestCallerIDSilence(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	for _, c := range []struct {
		cadence []time.Duration
		bytes   int
		want    int
	}{
		{ms(2000, 4000), 40, 1},
		{ms(1000, 4000), 40, 1},
		{ms(400, 200, 400, 2000), 40, 3}, // UK: after the double ring
		{ms(400, 200, 400, 2000), 200, -1},
		{ms(1000, 500), 10, -1},
	} {
		if got := callerIDSilence(c.cadence, c.bytes); got != c.want {
			t.Errorf("callerIDSilence(%v, %d) = %d, want %d", c.cadence, c.bytes, got, c.want)
		}
	}
}

func TestCauseTone(t *testing.T) {
	for c, want := range map[channel.Cause]toneMode{
		channel.CauseNormal: toneBusy, channel.CauseBusy: toneBusy, channel.CauseCancelled: toneBusy,
		channel.CauseNotFound: toneCongestion, channel.CauseCongestion: toneCongestion,
		channel.CauseUnavailable: toneCongestion, channel.CauseForbidden: toneCongestion,
		channel.CauseFailure: toneCongestion, channel.CauseNoAnswer: toneCongestion,
	} {
		if got := causeTone(c); got != want {
			t.Errorf("causeTone(%v) = %d, want %d", c, got, want)
		}
	}
}

// In the UK the phone rings twice (0.4 s, 0.2 s, 0.4 s) and V.23 caller ID
// comes in the 2 s silence after the double ring.
func TestFXSOutboundCallerIDUK(t *testing.T) {
	t.Parallel()
	r := newRig(t, "uk")
	ph := r.b.Phone(2)
	if ph.CallerIDStandard() != dsp.V23 {
		t.Fatal("the UK phone does not expect V.23")
	}
	ctx := r.ctx(15 * time.Second)
	c, err := r.m.Dialer().Dial(ctx, channel.Request{Target: "fxs:2", Caller: channel.CallerID{Number: "02071234567", Name: "Carol"}})
	if err != nil {
		t.Fatal(err)
	}
	cid, err := ph.WaitCallerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cid.Number != "02071234567" || cid.Name != "Carol" {
		t.Fatalf("caller ID %+v", cid)
	}
	if n := ph.Rings(); n != 2 {
		t.Fatalf("caller ID after %d rings, want 2 (the double ring)", n)
	}
	c.Hangup(channel.CauseCancelled)
	expectEnd(t, c, channel.CauseCancelled, 4*time.Second)
}

// A line the exchange chooses not to answer (ShouldAnswer false: a
// callback) is asked once, with the caller ID, when it has rung its
// rings; it is never seized while the caller lets it ring on, and once
// the caller gives up it is idle and answers the next call as usual.
func TestFXOInboundNotAnswered(t *testing.T) {
	t.Parallel()
	asked := make(chan channel.CallerID, 4)
	var answer atomic.Bool
	r := newRigConfig(t, Config{Zone: "uk", EchoTail: 32 * time.Millisecond,
		Lines: []LineConfig{{Port: 1, Enabled: true, AnswerAfterRings: 3}}, // after the caller ID (UK: a double ring first)
		ShouldAnswer: func(line int, caller channel.CallerID) bool {
			if line == 1 {
				asked <- caller
			}
			return answer.Load()
		}})
	line := r.b.Line(1)
	if err := line.Ring(dsp.CallerIDMessage{Number: "02079460000", Time: time.Now(), HasTime: true, MDMF: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-asked:
		if c.Number != "02079460000" {
			t.Errorf("asked with caller %+v", c)
		}
	case <-time.After(16 * time.Second):
		t.Fatal("ShouldAnswer was never asked")
	}
	for line.Rings() < 5 {
		if line.Seized() {
			t.Fatal("the line was seized")
		}
		r.frames(50)
	}
	if line.Seized() || len(r.calls) != 0 || len(asked) != 0 {
		t.Fatalf("seized %v, calls %d, asked again %d", line.Seized(), len(r.calls), len(asked))
	}
	line.StopRinging()
	// The port gives up on the caller after the longest ring silence.
	deadline := time.Now().Add(12 * time.Second)
	idle := func() bool {
		for _, ps := range r.m.PortStates() {
			if ps.Kind == board.FXO && ps.Number == 1 {
				return ps.State == "idle"
			}
		}
		return false
	}
	for !idle() {
		if time.Now().After(deadline) {
			t.Fatalf("the line did not go back to idle: %+v", r.m.PortStates())
		}
		r.frames(50)
	}
	answer.Store(true)
	if err := line.Ring(dsp.CallerIDMessage{Number: "02079460001", Time: time.Now(), HasTime: true, MDMF: true}); err != nil {
		t.Fatal(err)
	}
	if c := r.call(16 * time.Second); c.Info().Caller.Number != "02079460001" {
		t.Errorf("the next call: %+v", c.Info())
	}
}
