package box

import (
	"context"
	"testing"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/store"
)

// TestConditionOnATelcoLine: a call on a telco line goes to a condition
// whose destination is the analog phone of FXS port 1; the phone rings and
// stays on hook, and after the condition's 5 s (not the box's 30 s
// no-answer time) the phone stops ringing and SIP extension 201 rings
// instead and takes the call.
func TestConditionOnATelcoLine(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Reception", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.System.NoAnswerTimeoutS = 30
		c.Conditions = []store.Condition{{Name: "desk", Destination: "fxs:1", NoAnswerS: 5, NoAnswer: "ext:201", Busy: "ext:201"}}
		c.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "cond:desk"}}
	})
	reception := b.phone(t, "201", s201)
	ph := b.Sim().Phone(1)
	ctx := tctx(t, 60*time.Second)
	line := b.Sim().Line(1)
	line.SetRingCadence([]time.Duration{500 * time.Millisecond, 1600 * time.Millisecond})
	if err := line.Ring(dsp.CallerIDMessage{Number: "5551234", Time: time.Now(), HasTime: true, MDMF: true}); err != nil {
		t.Fatal(err)
	}
	if err := ph.WaitRing(ctx); err != nil {
		t.Fatalf("the analog phone did not ring: %v", err)
	}
	rang := time.Now()
	early, cancel := context.WithTimeout(ctx, 4*time.Second)
	_, err := reception.Incoming(early)
	cancel()
	if err == nil {
		t.Fatal("201 rang while the analog phone was still within its 5 s")
	}
	in, err := reception.Incoming(ctx)
	if err != nil {
		t.Fatalf("201 did not ring after the phone went unanswered: %v", err)
	}
	if d := time.Since(rang); d > 15*time.Second {
		t.Errorf("201 rang %v after the phone began: the condition's 5 s were not kept", d)
	}
	if ph.Ringing() {
		t.Error("the analog phone still rings once the call went on to 201")
	}
	if n, _ := in.Caller(); n != "5551234" {
		t.Errorf("201 sees caller %q", n)
	}
	if err := in.Answer(); err != nil {
		t.Fatal(err)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Source == "fxo:1" && r.Destination == "sip:201" && r.Callee == "cond:desk"
	})
}
