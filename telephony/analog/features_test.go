package analog

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/board"
	"minipbx/board/sim"
	"minipbx/telephony/channel"
)

// An FXS port's hook-flash window decides what an on-hook interval is: a
// dial pulse up to its minimum, a flash inside it, a hang-up beyond it;
// Update changes it for a phone in a call.
func TestFXSFlashWindow(t *testing.T) {
	t.Parallel()
	cfg := func(max time.Duration) Config {
		return Config{Zone: "us", EchoTail: 32 * time.Millisecond,
			FXS: []FXSConfig{{Port: 1, FlashMin: 200 * time.Millisecond, FlashMax: max}}}
	}
	r := newRigConfig(t, cfg(600*time.Millisecond))
	ph := r.b.Phone(1)
	ph.OffHook()
	c := r.call(2 * time.Second)
	r.frames(10) // the window applies once the hook is steady
	if err := ph.FlashFor(160 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ev := expect(t, c, channel.EventDigit, 3*time.Second); ev.Digit != '1' {
		t.Fatalf("160 ms on hook: digit %q, want the pulse digit 1", ev.Digit)
	}
	if err := ph.FlashFor(300 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	expect(t, c, channel.EventFlash, 3*time.Second)

	if err := r.m.Update(cfg(time.Second)); err != nil {
		t.Fatal(err)
	}
	r.frames(10)
	if err := ph.FlashFor(800 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	expect(t, c, channel.EventFlash, 3*time.Second)
	r.frames(10)
	if err := ph.FlashFor(1100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	expectEnd(t, c, channel.CauseNormal, 3*time.Second)

	for _, bad := range [][]FXSConfig{
		{{Port: 1, FlashMin: 500 * time.Millisecond, FlashMax: 400 * time.Millisecond}},
		{{Port: 1, FlashMin: 900 * time.Millisecond}}, // above the default maximum
		{{Port: 1, FlashMin: 10 * time.Millisecond}},
		{{Port: 1, FlashMax: 6 * time.Second}},
		{{Port: 1}, {Port: 1}},
		{{Port: 3}}, // the board has two
		{{Port: 0}},
	} {
		if err := r.m.Update(Config{Zone: "us", FXS: bad}); err == nil {
			t.Errorf("Update accepted %+v", bad)
		}
	}
}

// Do not disturb gives stutter dial tone, as a waiting message does, and
// plain dial tone again when both are off.
func TestDoNotDisturbStutter(t *testing.T) {
	t.Parallel()
	r := newRig(t, "de")
	ph := r.b.Phone(1)
	r.m.SetDoNotDisturb(1, true)
	r.m.SetDoNotDisturb(7, true) // no such port: ignored
	if !r.m.DoNotDisturb(1) || r.m.DoNotDisturb(2) || r.m.DoNotDisturb(7) {
		t.Fatal("DoNotDisturb does not report what was set")
	}
	if !liftAndListen(t, r, ph) {
		t.Fatal("plain dial tone with do-not-disturb on")
	}
	r.m.SetDoNotDisturb(1, false)
	r.waitPortIdle(1)
	if liftAndListen(t, r, ph) {
		t.Fatal("stutter dial tone with do-not-disturb off")
	}
}

// waitPortIdle waits until FXS port n is idle again after a hang-up.
func (r *rig) waitPortIdle(n int) {
	r.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, s := range r.m.PortStates() {
			if s.Kind == board.FXS && s.Number == n && s.State == "idle" {
				return
			}
		}
	}
	r.t.Fatalf("fxs:%d not idle: %+v", n, r.m.PortStates())
}

// listen reads src as a bridge's mixer would, a frame every 20 ms, for d.
func listen(src func([]int16) bool, d time.Duration) ([]int16, bool) {
	var out []int16
	frame := make([]int16, board.FrameSamples)
	t := time.NewTicker(board.FrameDuration)
	defer t.Stop()
	for end := time.Now().Add(d); time.Now().Before(end); <-t.C {
		if !src(frame) {
			return out, false
		}
		out = append(out, frame...)
	}
	return out, true
}

// checkBlocks judges a tone read in real time by the median of its
// 100 ms blocks (after the first): a host stall on a shared test machine
// can spoil one block of what the bridges' clock reads from the port's,
// and says nothing about the source.
func checkBlocks(t *testing.T, what string, s []int16, freq float64) {
	t.Helper()
	var snr []float64
	for i := 800; i+800 <= len(s); i += 800 {
		m := sim.MeasureToneAt(s[i:i+800], freq)
		if m.LevelDBm0 < -13 {
			snr = append(snr, 0)
			continue
		}
		snr = append(snr, m.SNRdB)
	}
	if len(snr) < 5 {
		t.Fatalf("%s: %d samples", what, len(s))
	}
	slices.Sort(snr)
	if med := snr[len(snr)/2]; med < 30 {
		t.Fatalf("%s: median SNR of %.0f Hz %.1f dB over %d blocks (%v), want > 30", what, freq, med, len(snr), snr)
	}
}

// A live source on an FXO line: the line is seized and every listener
// hears what the far end plays; the line is out of call service while
// anyone listens and goes back into it when nobody does.
func TestLiveAudioFXO(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	line := r.b.Line(1)
	line.Talk(sim.Sine(700, -10))
	a, err := r.m.LiveAudio("fxo:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := line.WaitSeized(r.ctx(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// The music source on the line (a music service, a tuner behind a
	// line interface) plays once the line is seized.
	if err := line.Answer(); err != nil {
		t.Fatal(err)
	}
	b, err := r.m.LiveAudio("fxo:1")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []int16)
	go func() { s, _ := listen(b, time.Second); done <- s }()
	sa, ok := listen(a, time.Second)
	if !ok {
		t.Fatal("the source ended while read")
	}
	checkBlocks(t, "first listener", sa, 700)
	checkBlocks(t, "second listener", <-done, 700)

	_, err = r.m.Dialer().Dial(r.ctx(2*time.Second), channel.Request{Target: "fxo@1:123"})
	wantDialError(t, err, channel.CauseBusy)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	if _, err := r.m.Reserve(ctx, board.FXO, 1); err == nil {
		t.Fatal("a test reserved the music line")
	}
	cancel()

	// Nobody reads: released.
	if err := line.WaitReleased(r.ctx(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, ok := listen(a, 40*time.Millisecond); ok {
		t.Fatal("a source read after the release did not end")
	}
	for _, bad := range []string{"fxo:3", "fxs:0", "line:1", "fxo"} {
		if _, err := r.m.LiveAudio(bad); err == nil {
			t.Errorf("LiveAudio(%q) accepted", bad)
		}
	}
}

// A live source on an FXS port: the device going off hook starts no call
// and is heard; a port in a call cannot be taken; released with the
// device still off hook, the port gives no dial tone until it hangs up.
func TestLiveAudioFXS(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	ph1 := r.b.Phone(1)
	ph1.OffHook()
	c := r.call(2 * time.Second)
	if _, err := r.m.LiveAudio("fxs:1"); !errors.Is(err, ErrPortBusy) {
		t.Fatalf("LiveAudio of a port in a call: %v, want ErrPortBusy", err)
	}
	ph1.OnHook()
	expectEnd(t, c, channel.CauseNormal, 3*time.Second)

	ph := r.b.Phone(2)
	src, err := r.m.LiveAudio("fxs:2")
	if err != nil {
		t.Fatal(err)
	}
	ph.Talk(sim.Sine(500, -10))
	ph.OffHook()
	s, ok := listen(src, time.Second)
	if !ok {
		t.Fatal("the source ended while read")
	}
	checkBlocks(t, "music from the FXS port", s, 500)
	select {
	case c := <-r.calls:
		t.Fatalf("the music source started call %s", c.Info().ID)
	default:
	}
	_, err = r.m.Dialer().Dial(r.ctx(2*time.Second), channel.Request{Target: "fxs:2"})
	wantDialError(t, err, channel.CauseBusy)

	// Released with the device off hook: silence, no call.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if st := r.m.PortStates()[1]; st.State == "lockout" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("port not released: %+v", r.m.PortStates()[1])
		}
	}
	ph.Record()
	r.frames(10)
	if rec := ph.StopRecording(); sim.Level(rec) > -60 && !math.IsInf(sim.Level(rec), -1) {
		t.Fatalf("the released port plays %.1f dBm0 to the device", sim.Level(rec))
	}
	ph.OnHook()
	r.waitPortIdle(2)
	ph.OffHook()
	c = r.call(3 * time.Second)
	ph.OnHook()
	expectEnd(t, c, channel.CauseNormal, 3*time.Second)
}

// FuzzPortNamed: a live source's port name either names a port of the
// board of the kind it says, or is refused; nothing else happens.
func FuzzPortNamed(f *testing.F) {
	for _, s := range []string{"fxo:1", "fxs:2", "fxo:3", "fxs:0", "fxo:-1", "fxo:01", "line:1", ":", "fxs:+2"} {
		f.Add(s)
	}
	b, err := sim.New(sim.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { b.Close() })
	m, err := New(Config{Board: b})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := m.portNamed(s)
		if err != nil {
			return
		}
		if p.num < 1 || p.num > 2 || !strings.HasPrefix(s, p.kind.String()+":") {
			t.Fatalf("%q named %s port %d", s, p.kind, p.num)
		}
	})
}
