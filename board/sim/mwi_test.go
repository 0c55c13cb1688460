package sim

import (
	"sync"
	"testing"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

// onHookSender drives a simulated FXS port the way an exchange sends
// on-hook data: an optional alerting tone, then FSK.
type onHookSender struct {
	mu    sync.Mutex
	fsk   *dsp.FSKModulator
	alert *dsp.TonePlayer
	left  int // alert samples still to play
}

func (s *onHookSender) audio(rx, tx *board.Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.left > 0 {
		s.alert.Read(tx[:])
		s.left -= len(tx)
	}
	if s.fsk.Busy() {
		s.fsk.Read(tx[:])
	}
}

func vmwiBytes(t *testing.T, on bool) []byte {
	t.Helper()
	raw, err := dsp.EncodeCallerID(dsp.CallerIDMessage{MDMF: true, HasMessageWaiting: true, MessageWaiting: on})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A Bell 202 phone takes VMWI on hook without any alert; the message sets
// the lamp and is not a caller ID.
func TestVMWIBell202(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{Zone: "us"})
	port, ph := b.FXSPort(1), b.Phone(1)
	s := &onHookSender{fsk: dsp.NewFSKModulator(dsp.Bell202, -13)}
	port.SetAudio(s.audio)
	must(t, port.SetOnHookTransmission(true))
	ctx := ctxFor(t, 10*time.Second)
	for _, on := range []bool{true, false} {
		s.mu.Lock()
		s.fsk.Queue(vmwiBytes(t, on))
		s.mu.Unlock()
		if err := ph.WaitMessageWaiting(ctx, on); err != nil {
			t.Fatal(err)
		}
		must(t, b.WaitFrames(ctx, 5))
	}
	if _, ok := ph.CallerID(); ok {
		t.Fatal("VMWI counted as caller ID")
	}
	if taken, ignored := ph.VMWIMessages(); taken != 2 || ignored != 0 {
		t.Fatalf("taken %d ignored %d", taken, ignored)
	}
}

// A V.23 phone ignores on-hook data without the DT-AS before it, and
// takes it after one.
func TestVMWIV23NeedsAlert(t *testing.T) {
	t.Parallel()
	b := newBoard(t, Config{Zone: "de"})
	port, ph := b.FXSPort(1), b.Phone(1)
	alert, err := dsp.ParseToneSpec("2130+2750")
	if err != nil {
		t.Fatal(err)
	}
	s := &onHookSender{fsk: dsp.NewFSKModulator(dsp.V23, -13), alert: dsp.NewTonePlayer(alert, -13)}
	port.SetAudio(s.audio)
	must(t, port.SetOnHookTransmission(true))
	ctx := ctxFor(t, 10*time.Second)
	s.mu.Lock()
	s.fsk.Queue(vmwiBytes(t, true))
	s.mu.Unlock()
	for {
		if _, ignored := ph.VMWIMessages(); ignored == 1 {
			break
		}
		must(t, b.WaitFrames(ctx, 5))
	}
	if ph.MessageWaiting() || ph.Alerts() != 0 {
		t.Fatal("lamp lit without an alert")
	}
	s.mu.Lock()
	s.left = 800 // 100 ms DT-AS
	s.mu.Unlock()
	must(t, b.WaitFrames(ctx, 8))
	s.mu.Lock()
	s.fsk.Queue(vmwiBytes(t, true))
	s.mu.Unlock()
	if err := ph.WaitMessageWaiting(ctx, true); err != nil {
		t.Fatal(err)
	}
	if ph.Alerts() != 1 {
		t.Fatalf("%d alerts heard, want 1", ph.Alerts())
	}
}

// ToneMatch tells every zone's stutter dial tone from its plain dial tone
// (and each matches itself), over the 1.5 s HearsStutterDial tests use.
func TestToneMatchStutterAndDial(t *testing.T) {
	t.Parallel()
	render := func(spec dsp.ToneSpec) []int16 {
		p := dsp.NewTonePlayer(spec, -13)
		out := make([]int16, 75*board.FrameSamples)
		for i := 0; i < len(out); i += board.FrameSamples {
			p.Read(out[i : i+board.FrameSamples])
		}
		return out
	}
	for _, code := range dsp.ZoneCodes() {
		z, err := dsp.LookupZone(code)
		if err != nil {
			t.Fatal(err)
		}
		st, dial := render(z.StutterDial), render(z.Dial)
		if got := ToneMatch(st, z.StutterDial, z.Dial); got < toneMatchMin {
			t.Errorf("%s: stutter matches itself %.2f", code, got)
		}
		if got := ToneMatch(dial, z.Dial, z.StutterDial); got < toneMatchMin {
			t.Errorf("%s: dial matches itself %.2f", code, got)
		}
		if got := ToneMatch(st, z.Dial, z.StutterDial); got >= toneMatchMin {
			t.Errorf("%s: stutter passes for dial tone (%.2f)", code, got)
		}
		if got := ToneMatch(dial, z.StutterDial, z.Dial); got >= toneMatchMin {
			t.Errorf("%s: dial tone passes for stutter (%.2f)", code, got)
		}
	}
}
