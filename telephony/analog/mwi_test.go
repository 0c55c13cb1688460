package analog

import (
	"context"
	"testing"
	"time"

	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// liftAndListen lifts the handset, tells stutter from plain dial tone,
// and hangs up (ending the call the lift started).
func liftAndListen(t *testing.T, r *rig, ph *sim.Phone) bool {
	t.Helper()
	ph.OffHook()
	stutter, err := ph.HearsStutterDial(r.ctx(10*time.Second), 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c := r.call(2 * time.Second)
	ph.OnHook()
	expectEnd(t, c, channel.CauseNormal, 3*time.Second)
	return stutter
}

// waitMWIDone waits until FXS port n's transmission is over and the port
// counts its lamp as being in state on. The phone's lamp changes when it
// has decoded the message, while the port still sends the trailing marks
// and waits out the tail; a handset lifted then interrupts it, and the
// port rightly sends it again (the phone's lamp is unknown to it). A test
// that lifts the handset next must wait for this, not for the lamp.
func waitMWIDone(t *testing.T, r *rig, n int, on bool) {
	t.Helper()
	want := mwiOff
	if on {
		want = mwiOn
	}
	p := r.m.fxs[n-1]
	for deadline := time.Now().Add(5 * time.Second); ; {
		var done bool
		if err := p.do(r.ctx(5*time.Second), func() error {
			done = !p.mwiBusy && p.mwiSent == want
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fxs:%d: message waiting %v not sent within 5 s", n, on)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Bell 202 zone (GR-30): the lamp follows the state with no alerting
// signal and no line reversal, and the dial tone stutters while it is lit.
func TestMessageWaitingBell202(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	ph := r.b.Phone(1)
	if liftAndListen(t, r, ph) {
		t.Fatal("stutter dial tone with no messages waiting")
	}
	r.m.SetMessageWaiting(1, true)
	if err := ph.WaitMessageWaiting(r.ctx(5*time.Second), true); err != nil {
		t.Fatal(err)
	}
	waitMWIDone(t, r, 1, true)
	if _, ok := ph.CallerID(); ok {
		t.Error("the VMWI message was taken for caller ID")
	}
	if n := ph.PolarityReversals(); n != 0 || ph.Alerts() != 0 {
		t.Errorf("Bell 202 VMWI with %d polarity changes and %d alerts, want none", n, ph.Alerts())
	}
	if !r.m.MessageWaiting(1) || r.m.MessageWaiting(2) {
		t.Error("MessageWaiting does not report what was set")
	}
	if !liftAndListen(t, r, ph) {
		t.Fatal("plain dial tone with messages waiting")
	}
	// Setting it again changes nothing and sends nothing.
	r.m.SetMessageWaiting(1, true)
	r.frames(25)
	if taken, _ := ph.VMWIMessages(); taken != 1 {
		t.Fatalf("%d VMWI messages after an unchanged state, want 1", taken)
	}
	r.m.SetMessageWaiting(1, false)
	if err := ph.WaitMessageWaiting(r.ctx(5*time.Second), false); err != nil {
		t.Fatal(err)
	}
	waitMWIDone(t, r, 1, false)
	if liftAndListen(t, r, ph) {
		t.Fatal("stutter dial tone after the messages were heard")
	}
	// Another port's phone knows nothing of it.
	if taken, _ := r.b.Phone(2).VMWIMessages(); taken != 0 {
		t.Errorf("phone 2 got %d VMWI messages", taken)
	}
	r.m.SetMessageWaiting(99, true) // logged, ignored
}

// V.23 zone (ETSI EN 300 659-1): line reversal, DT-AS, FSK, polarity
// back; a phone that needs the alert to wake takes the message.
func TestMessageWaitingETSI(t *testing.T) {
	t.Parallel()
	r := newRig(t, "de")
	ph := r.b.Phone(1)
	if ph.CallerIDStandard() != dsp.V23 {
		t.Fatalf("zone de: %v", ph.CallerIDStandard())
	}
	r.m.SetMessageWaiting(1, true)
	if err := ph.WaitMessageWaiting(r.ctx(5*time.Second), true); err != nil {
		t.Fatal(err)
	}
	waitMWIDone(t, r, 1, true) // the tail and the polarity restoration
	r.frames(2)
	if ph.Alerts() != 1 || ph.PolarityReversals() != 2 || ph.Polarity() {
		t.Fatalf("alerts %d, polarity changes %d, reversed now %v; want 1, 2, false",
			ph.Alerts(), ph.PolarityReversals(), ph.Polarity())
	}
	if taken, ignored := ph.VMWIMessages(); taken != 1 || ignored != 0 {
		t.Fatalf("VMWI taken %d ignored %d", taken, ignored)
	}
	if !liftAndListen(t, r, ph) {
		t.Fatal("plain dial tone with messages waiting (de: special dial tone 425+400 Hz)")
	}
	r.m.SetMessageWaiting(1, false)
	if err := ph.WaitMessageWaiting(r.ctx(5*time.Second), false); err != nil {
		t.Fatal(err)
	}
	waitMWIDone(t, r, 1, false)
	if liftAndListen(t, r, ph) {
		t.Fatal("special dial tone with no messages waiting")
	}
}

// A change while the phone is in a call reaches the lamp once it hangs
// up; a lift in the middle of a transmission has it sent again afterwards;
// a port back in service gets it again.
func TestMessageWaitingWhileBusy(t *testing.T) {
	t.Parallel()
	r := newRig(t, "us")
	ph := r.b.Phone(1)
	ph.OffHook()
	c := r.call(2 * time.Second)
	if err := c.Answer(r.ctx(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	r.m.SetMessageWaiting(1, true)
	r.frames(50)
	if taken, _ := ph.VMWIMessages(); taken != 0 || ph.MessageWaiting() {
		t.Fatalf("VMWI reached a phone in a call (%d messages)", taken)
	}
	ph.OnHook()
	expectEnd(t, c, channel.CauseNormal, 3*time.Second)
	if err := ph.WaitMessageWaiting(r.ctx(5*time.Second), true); err != nil {
		t.Fatal(err)
	}
	waitMWIDone(t, r, 1, true)

	// Lifted before the transmission is over: nothing half-sent counts,
	// and the whole message follows the hang-up.
	r.m.SetMessageWaiting(1, false)
	ph.OffHook()
	c = r.call(2 * time.Second)
	r.frames(40)
	if taken, _ := ph.VMWIMessages(); taken != 1 || !ph.MessageWaiting() {
		t.Fatalf("after an interrupted transmission: %d messages, lamp %v", taken, ph.MessageWaiting())
	}
	ph.OnHook()
	expectEnd(t, c, channel.CauseNormal, 3*time.Second)
	if err := ph.WaitMessageWaiting(r.ctx(5*time.Second), false); err != nil {
		t.Fatal(err)
	}

	// Out of service and back: the phone is told again.
	ph.SetFault("line shorted")
	r.frames(5)
	ph.SetFault("")
	r.b.WaitFrames(r.ctx(5*time.Second), 1)
	waitTaken := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; {
			if taken, _ := ph.VMWIMessages(); taken == n {
				return
			}
			if time.Now().After(deadline) {
				taken, _ := ph.VMWIMessages()
				t.Fatalf("%d VMWI messages, want %d", taken, n)
			}
			r.frames(5)
		}
	}
	waitTaken(3)
	if ph.MessageWaiting() {
		t.Fatal("lamp lit after recovery")
	}
}

// Set before the manager runs: the phone learns it when the ports start.
func TestMessageWaitingBeforeRun(t *testing.T) {
	t.Parallel()
	b, err := sim.New(sim.Config{Zone: "us"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m, err := New(Config{Board: b})
	if err != nil {
		t.Fatal(err)
	}
	m.SetMessageWaiting(2, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	if err := b.Phone(2).WaitMessageWaiting(wctx, true); err != nil {
		t.Fatal(err)
	}
}
