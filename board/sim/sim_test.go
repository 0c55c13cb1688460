package sim

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

func newBoard(t *testing.T, c Config) *Board {
	t.Helper()
	b, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitEvent reads events until one of type want arrives (others are
// returned in skipped), failing after d.
func waitEvent(t *testing.T, b *Board, want board.EventType, d time.Duration) (board.Event, []board.Event) {
	t.Helper()
	var skipped []board.Event
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev := <-b.Events():
			if ev.Type == want {
				return ev, skipped
			}
			skipped = append(skipped, ev)
		case <-timer.C:
			t.Fatalf("no %v within %v (saw %v)", want, d, skipped)
		}
	}
}

// tap is a test AudioFunc: it records what the port receives and fills what
// it sends from a generator.
type tap struct {
	mu  sync.Mutex
	rx  []int16
	gen func(out []int16)
	fn  func(rx, tx *board.Frame) // extra per-frame work on the clock
}

func (tp *tap) audio(rx, tx *board.Frame) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.rx = append(tp.rx, rx[:]...)
	if tp.gen != nil {
		tp.gen(tx[:])
	}
	if tp.fn != nil {
		tp.fn(rx, tx)
	}
}

func (tp *tap) take() []int16 {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	s := tp.rx
	tp.rx = nil
	return s
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{{FXS: 9}, {FXO: 12}, {Zone: "xx"}, {Law: Law(7)}} {
		if b, err := New(c); err == nil {
			b.Close()
			t.Errorf("New(%+v) accepted", c)
		}
	}
	b := newBoard(t, Config{FXS: 3, FXO: -1})
	if n := len(b.Ports()); n != 3 {
		t.Fatalf("3 FXS and no FXO: %d ports", n)
	}
	if b.Line(1) != nil || b.Phone(3) == nil || b.Phone(4) != nil {
		t.Fatal("Phone/Line numbering is wrong")
	}
	b2 := newBoard(t, Config{})
	ports := b2.Ports()
	if len(ports) != 4 {
		t.Fatalf("default board has %d ports, want 2 FXS + 2 FXO", len(ports))
	}
	for i, p := range ports {
		if p.Info().Index != i {
			t.Errorf("port %d has index %d", i, p.Info().Index)
		}
		_, fxs := p.(board.FXSPort)
		_, fxo := p.(board.FXOPort)
		if (i < 2) != fxs || (i >= 2) != fxo {
			t.Errorf("port %d (%s) has the wrong kind", i, p.Info().Name)
		}
	}
}

func TestCloseStopsClockAndEvents(t *testing.T) {
	t.Parallel()
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	calls := make(chan struct{}, 1000)
	b.FXSPort(1).SetAudio(func(rx, tx *board.Frame) { calls <- struct{}{} })
	<-calls
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for len(calls) > 0 {
		<-calls
	}
	if _, ok := <-b.Events(); ok {
		t.Fatal("Events still open after Close")
	}
	time.Sleep(60 * time.Millisecond)
	if len(calls) != 0 {
		t.Fatal("the clock still runs after Close")
	}
	if err := b.FXOPort(1).Seize(); !errors.Is(err, board.ErrClosed) {
		t.Fatalf("Seize after Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

// DTMF from the keypad reaches the port's received audio; a detector there
// finds the digits in order.
func TestDialDTMF(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{Law: ALaw})
	det := dsp.NewDTMFDetector()
	digits := make(chan byte, 32)
	b.FXSPort(2).SetAudio(func(rx, tx *board.Frame) {
		for _, ev := range det.Process(rx[:]) {
			digits <- ev.Digit
		}
	})
	ph := b.Phone(2)
	if err := ph.DialDTMF("12x"); err == nil {
		t.Fatal("DialDTMF accepted x")
	}
	ph.OffHook()
	waitEvent(t, b, board.EventOffHook, 15*time.Second)
	want := "159*0#D"
	if err := ph.DialDTMF(want); err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, 10*time.Second)
	if err := ph.WaitDialled(ctx); err != nil {
		t.Fatal(err)
	}
	must(t, b.WaitFrames(ctx, 5))
	var got []byte
	for len(digits) > 0 {
		got = append(got, <-digits)
	}
	if string(got) != want {
		t.Fatalf("detected %q, want %q", got, want)
	}
}

// Pulse dialling, flash and hang-up come out of the port's hook decoder as
// events, exactly as from a real line card.
func TestPulseDialFlashHangup(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{})
	ph := b.Phone(1)
	if err := ph.DialPulse("1"); err == nil {
		t.Fatal("pulse dialling on hook accepted")
	}
	ph.OffHook()
	waitEvent(t, b, board.EventOffHook, 15*time.Second)
	if err := ph.DialPulse("305"); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for len(got) < 3 {
		ev, skipped := waitEvent(t, b, board.EventPulseDigit, 9*time.Second)
		if len(skipped) != 0 {
			t.Fatalf("unexpected events while dialling: %v", skipped)
		}
		got = append(got, ev.Digit)
	}
	if string(got) != "305" {
		t.Fatalf("pulse digits %q, want 305", got)
	}
	if err := ph.Flash(); err != nil {
		t.Fatal(err)
	}
	if _, skipped := waitEvent(t, b, board.EventFlash, 6*time.Second); len(skipped) != 0 {
		t.Fatalf("unexpected events: %v", skipped)
	}
	if st := b.FXSPort(1).Status(); st.Hook != board.OffHook {
		t.Fatalf("after flash the port says %v", st.Hook)
	}
	ph.OnHook()
	waitEvent(t, b, board.EventOnHook, 6*time.Second)
	if st := b.FXSPort(1).Status(); st.Hook != board.OnHook {
		t.Fatalf("after hang-up the port says %v", st.Hook)
	}
}

// The port rings the phone with a cadence of its choosing and sends FSK
// caller ID in the silence with on-hook transmission; the phone measures
// the cadence and decodes the message. Ringing stops when it answers.
func TestRingAndCallerID(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{})
	port := b.FXSPort(1)
	ph := b.Phone(1)
	msg := dsp.CallerIDMessage{Number: "5551234", Name: "ALICE", Time: time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC), HasTime: true, MDMF: true}
	raw, err := dsp.EncodeCallerID(msg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fsk := dsp.NewFSKModulator(CallerIDStandard("us"), -13)
	port.SetAudio(func(rx, tx *board.Frame) {
		mu.Lock()
		fsk.Read(tx[:])
		mu.Unlock()
	})
	ctx := ctxFor(t, 10*time.Second)
	if err := port.Ring(true); err != nil {
		t.Fatal(err)
	}
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatal(err)
	}
	if st := port.Status(); st.Line != board.LineRinging {
		t.Fatalf("ringing port says %v", st.Line)
	}
	must(t, b.WaitFrames(ctx, 20)) // 400 ms ring
	port.Ring(false)
	port.SetOnHookTransmission(true)
	mu.Lock()
	fsk.Queue(raw)
	mu.Unlock()
	got, err := ph.WaitCallerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != msg.Number || got.Name != msg.Name || got.Time.Month() != 3 || got.Time.Day() != 4 || got.Time.Hour() != 5 || got.Time.Minute() != 6 {
		t.Fatalf("decoded %+v, want %+v", got, msg)
	}
	port.SetOnHookTransmission(false)
	must(t, b.WaitFrames(ctx, 10))
	port.Ring(true)
	ph.WaitRing(ctx)
	cad := ph.RingCadence()
	// The test switches the ring from its own goroutine between board
	// frames: on a loaded machine it may wake a frame or two after the
	// 20th, so the burst measures 400 ms plus up to a few frames. The phone
	// itself measures in whole board frames.
	if len(cad) != 2 || cad[0] < 400*time.Millisecond || cad[0] > 460*time.Millisecond || cad[0]%board.FrameDuration != 0 {
		t.Fatalf("cadence %v, want [400ms (+ up to 3 frames of test scheduling), ...]", cad)
	}
	if ph.Rings() != 2 {
		t.Fatalf("%d rings, want 2", ph.Rings())
	}
	ph.OffHook() // ring trip
	waitEvent(t, b, board.EventOffHook, 15*time.Second)
	if ph.Ringing() {
		t.Fatal("still ringing after off hook")
	}
	if err := port.Ring(true); err != nil || ph.Ringing() {
		t.Fatalf("ringing an off-hook phone: %v, ringing %v", err, ph.Ringing())
	}
}

// The G.711 highway in both directions keeps a -10 dBm0 1020 Hz tone above
// 30 dB SNR (μ-law and A-law give about 38 dB). 1020 Hz, not 1 kHz: a
// 1 kHz tone at 8 kHz repeats every 8 samples and hits the same few
// quantiser steps, which flatters the codec. A second pass adds nothing, as
// G.711 decoding then encoding again is exact.
func TestG711PathSNR(t *testing.T) {
	t.Parallel()
	for _, law := range []Law{ULaw, ALaw} {
		t.Run(law.String(), func(t *testing.T) {
			b := newBoard(t, Config{Law: law})
			tp := &tap{}
			tp.fn = func(rx, tx *board.Frame) { *tx = *rx } // loop back
			b.FXSPort(1).SetAudio(tp.audio)
			ph := b.Phone(1)
			ph.OffHook()
			ph.Talk(Sine(1020, -10))
			ctx := ctxFor(t, 10*time.Second)
			must(t, b.WaitFrames(ctx, 5))
			tp.take()
			ph.Record()
			must(t, b.WaitFrames(ctx, 50))
			ear := ph.StopRecording()
			mouth := tp.take()
			one, two := MeasureTone(mouth[160:]), MeasureTone(ear[160:])
			t.Logf("one pass: %v; two passes: %v", one, two)
			for _, m := range []ToneMeasurement{one, two} {
				if math.Abs(m.FreqHz-1020) > 1 || math.Abs(m.LevelDBm0+10) > 0.5 || m.SNRdB < 30 {
					t.Errorf("%v: want 1020 Hz, -10 dBm0, SNR > 30 dB", m)
				}
			}
		})
	}
}

func TestMeasureTone(t *testing.T) {
	s := make([]int16, 8000)
	Sine(1234.5, -10)(s)
	m := MeasureTone(s)
	if math.Abs(m.FreqHz-1234.5) > 0.2 || math.Abs(m.LevelDBm0+10) > 0.05 || m.SNRdB < 50 {
		t.Fatalf("clean sine: %v", m)
	}
	n := noise{state: 1, rms: dsp.DBm0ToPeak(-40) / math.Sqrt2}
	n.add(s)
	m = MeasureTone(s)
	if math.Abs(m.SNRdB-30) > 1 {
		t.Fatalf("sine at -10 dBm0 with noise at -40 dBm0: %v, want SNR 30 dB", m)
	}
	if Level(s) > -9 || Level(s) < -11 {
		t.Fatalf("level %.1f dBm0", Level(s))
	}
}

// The telco line rings with the zone cadence and FSK caller ID between the
// first and second ring; the FXO port validates the rings; seizing answers.
func TestLineRingsWithCallerID(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{})
	port := b.FXOPort(1)
	line := b.Line(1)
	dec := dsp.NewCallerIDDecoder(CallerIDStandard("us"))
	cids := make(chan dsp.CallerIDMessage, 1)
	port.SetAudio(func(rx, tx *board.Frame) {
		if m, ok := dec.Process(rx[:]); ok {
			cids <- m
		}
	})
	for _, bad := range [][]time.Duration{{time.Second}, {time.Second, time.Millisecond}} {
		if err := line.SetRingCadence(bad); err == nil {
			t.Fatalf("cadence %v accepted", bad)
		}
	}
	must(t, line.SetRingCadence(nil))
	msg := dsp.CallerIDMessage{Number: "2125550100", Name: "BOB", Time: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), HasTime: true, MDMF: true}
	if err := line.Ring(msg); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitEvent(t, b, board.EventRingStart, 15*time.Second)
	if port.Status().Line != board.LineRinging {
		t.Fatal("port status is not ringing")
	}
	waitEvent(t, b, board.EventRingStop, 9*time.Second)
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Fatalf("first ring lasted only %v (US: 2 s)", d)
	}
	select {
	case got := <-cids:
		if got.Number != msg.Number || got.Name != msg.Name {
			t.Fatalf("caller ID %+v, want %+v", got, msg)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no caller ID after the first ring")
	}
	if err := port.Seize(); err != nil {
		t.Fatal(err)
	}
	if st := line.State(); st != "talking" {
		t.Fatalf("seizing a ringing line: line is %s, want talking", st)
	}
	if err := line.Ring(dsp.CallerIDMessage{}); err == nil {
		t.Fatal("Ring on a line in a call accepted")
	}
}

// Seized, the line gives dial tone, takes DTMF digits (dial tone stops at
// the first), answers after the inter-digit timeout, carries the far
// party's voice and hangs up with busy tone, a loop drop or a reversal.
func TestLineOutboundCall(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{})
	port := b.FXOPort(2)
	line := b.Line(2)
	line.SetAutoAnswer(600 * time.Millisecond)
	line.SetRingback(300 * time.Millisecond)
	tp := &tap{}
	gen := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{})
	port.SetAudio(func(rx, tx *board.Frame) {
		tp.audio(rx, tx)
		gen.Read(tx[:])
	})
	ctx := ctxFor(t, 15*time.Second)
	if err := port.Seize(); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFrames(ctx, 25); err != nil {
		t.Fatal(err)
	}
	dial := tp.take()
	for _, f := range []float64{350, 440} {
		if m := MeasureToneAt(dial[800:], f); math.Abs(m.LevelDBm0-DialToneLevel) > 1 {
			t.Fatalf("dial tone %v Hz at %.1f dBm0", f, m.LevelDBm0)
		}
	}
	tp.mu.Lock()
	gen.Queue("18005551212")
	tp.mu.Unlock()
	got, err := line.WaitDigits(ctx, 11)
	if err != nil || got != "18005551212" {
		t.Fatalf("line received %q (%v)", got, err)
	}
	if st := line.State(); st != "dialling" {
		t.Fatalf("after the digits the line is %s", st)
	}
	tp.take()
	must(t, b.WaitFrames(ctx, 5))
	if l := Level(tp.take()); l > -50 {
		t.Fatalf("dial tone still on after the first digit (%.1f dBm0)", l)
	}
	if err := line.WaitState(ctx, "talking"); err != nil {
		t.Fatal(err)
	}
	line.Talk(Sine(700, -12))
	must(t, b.WaitFrames(ctx, 3))
	tp.take()
	must(t, b.WaitFrames(ctx, 25))
	if m := MeasureTone(tp.take()); math.Abs(m.FreqHz-700) > 1 || m.SNRdB < 30 {
		t.Fatalf("far party's voice: %v", m)
	}
	if err := line.Hangup(HangupBusyTone); err != nil {
		t.Fatal(err)
	}
	must(t, b.WaitFrames(ctx, 25))
	busy := tp.take()
	for _, f := range []float64{480, 620} {
		if m := MeasureToneAt(busy, f); m.LevelDBm0 < BusyToneLevel-4 {
			t.Fatalf("busy tone %v Hz at %.1f dBm0", f, m.LevelDBm0)
		}
	}
	port.Release()
	if st := line.State(); st != "idle" {
		t.Fatalf("released line is %s", st)
	}

	// Loop-current drop and polarity reversal.
	for _, mode := range []HangupMode{HangupLoopDrop, HangupReversal} {
		drain(b)
		port.Seize()
		line.Answer()
		if err := line.Hangup(mode); err != nil {
			t.Fatal(err)
		}
		if mode == HangupLoopDrop {
			waitEvent(t, b, board.EventLineVoltageLost, 15*time.Second)
			if port.Status().Line != board.LineNoBattery {
				t.Fatal("no battery not reported during the drop")
			}
			waitEvent(t, b, board.EventLineVoltageRestored, 6*time.Second)
		} else {
			waitEvent(t, b, board.EventPolarityReversal, 15*time.Second)
			if !line.Polarity() {
				t.Fatal("polarity not reversed")
			}
		}
		port.Release()
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func drain(b *Board) {
	for {
		select {
		case <-b.Events():
		default:
			return
		}
	}
}

func TestLineFaults(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{})
	port, line := b.FXOPort(1), b.Line(1)
	m, err := port.Measure()
	if err != nil || m.LineVolts < 40 || m.LoopMilliamps != 0 {
		t.Fatalf("on-hook measurement %+v (%v)", m, err)
	}
	line.SetBattery(false)
	waitEvent(t, b, board.EventLineVoltageLost, 15*time.Second)
	if err := port.Seize(); !errors.Is(err, board.ErrNoBattery) {
		t.Fatalf("Seize without battery: %v", err)
	}
	if st := port.Status(); st.Line != board.LineNoBattery {
		t.Fatalf("status %v", st.Line)
	}
	if m, _ := port.Measure(); m.LineVolts != 0 {
		t.Fatalf("no battery but %.1f V", m.LineVolts)
	}
	line.SetBattery(true)
	waitEvent(t, b, board.EventLineVoltageRestored, 15*time.Second)
	if err := port.Seize(); err != nil {
		t.Fatal(err)
	}
	if m, _ := port.Measure(); m.LoopMilliamps < 15 || m.LineVolts > 15 {
		t.Fatalf("off-hook measurement %+v", m)
	}
	// Noise: a quiet line reads the level asked for.
	tp := &tap{}
	port.SetAudio(tp.audio)
	line.Answer()
	line.SetNoise(-40)
	ctx := ctxFor(t, 10*time.Second)
	must(t, b.WaitFrames(ctx, 2))
	tp.take()
	must(t, b.WaitFrames(ctx, 25))
	if l := Level(tp.take()); math.Abs(l+40) > 1.5 {
		t.Fatalf("noise at %.1f dBm0, want -40", l)
	}
	// FXS fault.
	ph := b.Phone(1)
	ph.SetFault("power alarm: ring generator")
	waitEvent(t, b, board.EventFault, 15*time.Second)
	if err := b.FXSPort(1).Ring(true); !errors.Is(err, board.ErrPortFault) {
		t.Fatalf("ring on a faulty port: %v", err)
	}
	ph.SetFault("")
	waitEvent(t, b, board.EventRecovered, 15*time.Second)
}

// Echo: the line returns what the port sends, attenuated and delayed.
func TestLineEcho(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{})
	port, line := b.FXOPort(1), b.Line(1)
	if err := line.SetEcho(10, 5*time.Millisecond); err == nil {
		t.Fatal("echo shorter than a frame accepted")
	}
	if err := line.SetEcho(12, 40*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	tp := &tap{gen: Sine(500, -10)}
	port.SetAudio(tp.audio)
	port.Seize()
	line.Answer()
	ctx := ctxFor(t, 10*time.Second)
	must(t, b.WaitFrames(ctx, 5))
	tp.take()
	must(t, b.WaitFrames(ctx, 25))
	if m := MeasureTone(tp.take()); math.Abs(m.FreqHz-500) > 1 || math.Abs(m.LevelDBm0+22) > 1 {
		t.Fatalf("echo %v, want 500 Hz at -22 dBm0", m)
	}
}

// Nobody reads the events: the clock carries on and the drops are counted.
func TestEventsNeverBlockTheClock(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{})
	line := b.Line(1)
	for range eventBuffer + 50 {
		line.SetBattery(false)
		line.SetBattery(true)
	}
	if n := b.DroppedEvents(); n != 50*2+eventBuffer {
		t.Fatalf("%d events dropped, want %d", n, 50*2+eventBuffer)
	}
	before := b.Now()
	must(t, b.WaitFrames(ctxFor(t, 5*time.Second), 5))
	if b.Now() < before+5*board.FrameDuration {
		t.Fatal("the clock stopped")
	}
}
