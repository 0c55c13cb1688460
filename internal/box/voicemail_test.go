package box

import (
	"context"
	"strings"
	"testing"
	"time"

	"minipbx/internal/audiotest"
	"minipbx/internal/siptest"
	"minipbx/telephony/store"
)

// toneBlocks counts the 100 ms blocks of s that are a clean 1 kHz tone.
func toneBlocks(s []int16) int {
	n := 0
	for _, m := range audiotest.Blocks(s, 1000, 800) {
		if m.SNR >= 20 && m.Peak >= 1000 {
			n++
		}
	}
	return n
}

// waitTone waits until ear has heard at least blocks 100 ms blocks of a
// 1 kHz tone since start; it returns everything heard.
func waitTone(t *testing.T, what string, got func() []int16, blocks int, within time.Duration) []int16 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := got()
		if toneBlocks(s) >= blocks {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d blocks of 1 kHz in %v of audio, want %d", what, toneBlocks(s), time.Duration(len(s))*time.Second/8000, blocks)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// leaveToneMessage calls ext from the SIP phone of extension from, which
// voicemail answers (nobody else does): after the greeting and the beep
// (a clean 1 kHz for 400 ms) it speaks 2 s of a 1 kHz tone and hangs up.
// It returns the call's record.
func (b *testBox) leaveToneMessage(t *testing.T, ctx context.Context, caller *siptest.Phone, from, ext string) store.CallRecord {
	t.Helper()
	call, err := caller.Dial(ctx, ext)
	if err != nil {
		t.Fatalf("call to %s: %v", ext, err)
	}
	ear := sipEar(call)
	ear.start()
	waitTone(t, "the beep", ear.got, 3, 30*time.Second)
	tone := audiotest.Tone{Freq: 1000, Peak: 8000}
	call.Send(tone.Fill)
	time.Sleep(2 * time.Second)
	call.Send(nil)
	time.Sleep(300 * time.Millisecond)
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	return b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == from && r.Disposition == "voicemail" })
}

// TestVoicemailOnTheSimulatedBox: a SIP phone calls the analog phone of
// extension 101, which does not answer; the call goes to 101's mailbox,
// the caller hears the greeting and the beep and leaves a 1 kHz tone. The
// analog phone's message-waiting lamp lights and, lifted, it hears stutter
// dial tone; its owner dials *97 and the PIN (DTMF), presses 1 and hears
// the tone played back, presses 7 to delete it, and the lamp goes out.
func TestVoicemailOnTheSimulatedBox(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Sales", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.Numbering.FeatureCodes = true
		c.Voicemail = store.Voicemail{Boxes: []store.Mailbox{{Extension: "101", PIN: "4826"}, {Extension: "201", PIN: "5173"}}}
		c.ExtensionRules = []store.ExtensionRule{{Extension: "101", ForwardNoAnswer: "voicemail:101", NoAnswerS: 5},
			{Extension: "201", ForwardAlways: "voicemail:201"}}
	})
	ctx := tctx(t, 90*time.Second)
	sim := b.Sim()
	ph := sim.Phone(1)
	caller := b.phone(t, "201", s201)

	// Nobody answers 101: voicemail does, after 5 s of ringing.
	b.leaveToneMessage(t, ctx, caller, "201", "101")
	msgs, err := b.Service().VoicemailMessages(ctx, "101")
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages %+v, %v", msgs, err)
	}
	// About 2 s: the phone's 2 s of tone, give or take the beep's end
	// and a loaded machine's late packets (trailing silence is trimmed).
	if m := msgs[0]; m.Caller.Number != "201" || m.DurationMS < 1500 || m.DurationMS > 2600 {
		t.Errorf("message %+v, want 2 s from 201", m)
	}

	// The lamp lights (a VMWI message on hook) and the dial tone stutters.
	if err := ph.WaitMessageWaiting(ctx, true); err != nil {
		t.Fatal(err)
	}
	ph.OffHook()
	if stutter, err := ph.HearsStutterDial(ctx, 1200*time.Millisecond); err != nil || !stutter {
		t.Fatalf("dial tone with a message waiting: stutter %v, %v", stutter, err)
	}
	if err := ph.DialDTMF("*97"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // the password prompt begins
	if err := ph.DialDTMF("4826#1"); err != nil {
		t.Fatal(err)
	}
	if err := ph.WaitDialled(ctx); err != nil {
		t.Fatal(err)
	}
	// "Message 1, received today at …, from 2 0 1", then the message itself.
	ph.Record()
	waitTone(t, "the message played back", ph.Recording, 12, 30*time.Second)
	if err := ph.DialDTMF("7"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs, err := b.Service().VoicemailMessages(ctx, "101")
		if err == nil && len(msgs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message was not deleted: %+v, %v", msgs, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ph.OnHook()
	if err := ph.WaitMessageWaiting(ctx, false); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "fxs:1" && r.Callee == "*97" })
	b.waitPortIdle(t, 0)
	// With no message the dial tone is plain again.
	ph.OffHook()
	if stutter, err := ph.HearsStutterDial(ctx, 1200*time.Millisecond); err != nil || stutter {
		t.Fatalf("dial tone after the message was deleted: stutter %v, %v", stutter, err)
	}

	// The analog phone leaves a message for 201 (always to voicemail),
	// skipping the greeting with '#' in band; 201's registered SIP phone
	// is told by NOTIFY, and again when the message is deleted.
	if err := ph.DialDTMF("201"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // the greeting begins
	ph.Record()
	if err := ph.DialDTMF("#"); err != nil {
		t.Fatal(err)
	}
	// The beep is 400 ms: at least two whole clean 100 ms blocks of it even
	// when a loaded machine makes the simulated clock slip a frame.
	waitTone(t, "the beep after '#'", ph.Recording, 2, 5*time.Second)
	tone := audiotest.Tone{Freq: 1000, Peak: 8000}
	ph.Talk(tone.Fill)
	time.Sleep(1500 * time.Millisecond)
	ph.Talk(nil)
	ph.OnHook()
	waitNotify := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ns := caller.Notifies()
			if len(ns) > 0 && containsAll(ns[len(ns)-1], want...) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("201's phone: NOTIFYs %q, want the last with %q", ns, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitNotify("Messages-Waiting: yes", "Voice-Message: 1/0")
	msgs, err = b.Service().VoicemailMessages(ctx, "201")
	if err != nil || len(msgs) != 1 || msgs[0].Caller.Number != "101" || msgs[0].DurationMS < 1300 || msgs[0].DurationMS > 1700 {
		t.Fatalf("201's messages %+v, %v", msgs, err)
	}
	if err := b.Service().DeleteVoicemail(ctx, "201", msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	waitNotify("Messages-Waiting: no")
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
