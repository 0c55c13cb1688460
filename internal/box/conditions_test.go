package box

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/emiago/sipgo"

	boardsim "minipbx/board/sim"
	"minipbx/internal/siptest"
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
	ringFromTelco(t, line, "5551234")
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

// TestLineAnswerSupervision: telco line 1 signals the answer by polarity
// reversal, and the box is told so (answer_on_reversal). A SIP phone's
// call out on it is answered (200 OK) at the reversal, after the line's
// ringback, not when the digits are out; a busy number gives the SIP phone
// 486 and a "busy" record instead of a connected call full of busy tone;
// and a condition's busy fallback, which an analog line could never
// trigger before, sends a telco caller on line 2 to extension 202 when the
// mobile number it forwards to is busy.
func TestLineAnswerSupervision(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Alice", true)
	s202 := b.addSIPExtension(t, "202", "Reception", false)
	b.importDialPlan(t, func(c *store.Config) {
		for i := range c.FXOLines {
			if c.FXOLines[i].Port == 1 {
				c.FXOLines[i].AnswerOnReversal = true
			}
		}
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}}
		c.OutboundRoutes = []store.OutboundRoute{{Name: "local", Pattern: "5XXXXXX", Class: "local", Via: []string{"city"}}}
		c.Conditions = []store.Condition{{Name: "mobile", Destination: "number:5551234", Busy: "ext:202"}}
		c.InboundRoutes = []store.InboundRoute{{Name: "line2", Lines: []int{2}, Destination: "cond:mobile"}}
	})
	alice, reception := b.phone(t, "201", s201), b.phone(t, "202", s202)
	ctx := tctx(t, 90*time.Second)
	line := b.Sim().Line(1)
	line.SetAnswerReversal(true)
	line.SetAutoAnswer(300 * time.Millisecond)
	const ringback = 3 * time.Second
	line.SetRingback(ringback)

	// Answered at the reversal.
	type dialled struct {
		call *siptest.Call
		err  error
		at   time.Time
	}
	done := make(chan dialled, 1)
	go func() {
		c, err := alice.Dial(ctx, "5551234")
		done <- dialled{c, err, time.Now()}
	}()
	if got, err := line.WaitDigits(ctx, 7); err != nil || got != "5551234" {
		t.Fatalf("the telco received %q (%v)", got, err)
	}
	digitsAt := time.Now()
	d := <-done
	if d.err != nil {
		t.Fatalf("call out: %v", d.err)
	}
	if wait := d.at.Sub(digitsAt); wait < ringback-time.Second {
		t.Errorf("answered %v after the digits, during the %v ringback: the reversal was not awaited", wait, ringback)
	}
	if s := line.State(); s != "talking" {
		t.Errorf("the SIP phone is connected while the line is %s", s)
	}
	if err := line.Hangup(boardsim.HangupReversal); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.call.Ended():
	case <-ctx.Done():
		t.Fatal("the line's reversal back did not end the SIP call")
	}
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "201" && r.Callee == "5551234" && r.Disposition == "answered" && !r.Answer.IsZero()
	})
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}

	// A busy number: 486, not a connected call.
	line.SetFarEndBusy(true)
	time.Sleep(time.Second) // the line's release guard
	_, err := alice.Dial(ctx, "5557777")
	var refused *sipgo.ErrDialogResponse
	if !errors.As(err, &refused) || refused.Res.StatusCode != 486 {
		t.Fatalf("calling a busy number: %v, want 486 Busy Here", err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "201" && r.Callee == "5557777" && r.Disposition == "busy"
	})
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}

	// The condition's busy fallback over the line.
	time.Sleep(time.Second)
	line2 := b.Sim().Line(2)
	ringFromTelco(t, line2, "5550000")
	in := takeCall(ctx, t, reception, "5550000", "202 did not ring after the mobile number was busy")
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Source == "fxo:2" && r.Destination == "sip:202" && r.Callee == "cond:mobile"
	})
}
