package box

import (
	"context"
	"testing"
	"time"

	"minipbx/telephony/store"
)

// TestConfigChangesKeepCallsUp: the issue asks that every dial-plan change
// "applies to the running box without dropping calls". An installer edits
// the dial plan, the box settings and the very extension in the call while
// a SIP phone talks to an analog phone: the call stays up with clean audio
// both ways after each change, and the next call already follows the new
// dial plan.
func TestConfigChangesKeepCallsUp(t *testing.T) {
	b := startBox(t, "")
	sa := b.addSIPExtension(t, "201", "Alice", false)
	a := b.phone(t, "201", sa)
	ph := b.Sim().Phone(1) // extension 101
	ctx := tctx(t, 90*time.Second)
	x := b.Service()

	answered := make(chan error, 1)
	go func() {
		err := ph.WaitRing(ctx)
		if err == nil {
			ph.OffHook()
		}
		answered <- err
	}()
	call, err := a.Dial(ctx, "101")
	if err != nil {
		t.Fatalf("call to 101: %v", err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	stillTalking := func(after string) {
		t.Helper()
		select {
		case <-call.Ended():
			t.Fatalf("the call ended after %s", after)
		default:
		}
		fwd := measure(t, call.Send, phoneEar(ph))
		back := measure(t, ph.Talk, sipEar(call))
		if fwd.SNR < 30 || back.SNR < 30 {
			t.Errorf("after %s: 1 kHz SNR SIP→phone %.1f dB, phone→SIP %.1f dB; want > 30", after, fwd.SNR, back.SNR)
		}
	}
	stillTalking("the call was answered")

	// The dial plan: a ring group on a new number, forwarding, a mailbox,
	// a schedule and a time condition — sections the running call's
	// legs and ports have nothing to do with, and some they do.
	c, err := x.ExportConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := c.DialPlan()
	d.RingGroups = []store.RingGroup{{Name: "sales", Number: "300", Strategy: "ringall",
		Members: []store.GroupMember{{Destination: "ext:102"}}}}
	d.ExtensionRules = []store.ExtensionRule{{Extension: "101", ForwardNoAnswer: "voicemail:101", NoAnswerS: 15}}
	d.Voicemail = store.Voicemail{Boxes: []store.Mailbox{{Extension: "101", PIN: "4826"}}}
	d.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-sun 00:00-23:59"}}}
	d.TimeConditions = []store.TimeCondition{{Name: "hours", Schedule: "office", Open: "group:sales", Closed: "voicemail:101"}}
	if _, err := x.UpdateDialPlan(ctx, d); err != nil {
		t.Fatalf("update the dial plan: %v", err)
	}
	stillTalking("a dial-plan change")

	// Box settings.
	s, err := x.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.NoAnswerTimeoutS = 25
	s.InterDigitTimeoutMS = 3000
	if _, err := x.UpdateSettings(ctx, s); err != nil {
		t.Fatalf("update the settings: %v", err)
	}
	stillTalking("a settings change")

	// The extension in the call itself (its name) and a new extension.
	e, err := x.Extension(ctx, "101")
	if err != nil {
		t.Fatal(err)
	}
	e.Name = "Front desk"
	if _, err := x.UpdateExtension(ctx, "101", e); err != nil {
		t.Fatalf("rename 101: %v", err)
	}
	s203 := b.addSIPExtension(t, "203", "Carol", false)
	stillTalking("a change to the extension in the call")

	// The next call follows the new plan: 300 rings the group's member,
	// the analog phone on FXS 2.
	ph2 := b.Sim().Phone(2)
	rang := make(chan error, 1)
	go func() { rang <- ph2.WaitRing(ctx) }()
	second := b.phone(t, "203", s203)
	dctx, cancel := context.WithCancel(ctx)
	dialled := make(chan error, 1)
	go func() {
		c, err := second.Dial(dctx, "300")
		if err == nil {
			err = c.Hangup(ctx)
		}
		dialled <- err
	}()
	select {
	case err := <-rang:
		if err != nil {
			t.Fatalf("the new ring group did not ring its member: %v", err)
		}
	case err := <-dialled:
		t.Fatalf("the call to the new ring group 300 ended before its member rang: %v", err)
	}
	cancel() // the caller gives up while it rings
	<-dialled
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Caller == "203" && r.Callee == "300" })
	stillTalking("a second call came and went")

	if err := call.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	ph.OnHook()
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "201" && r.Callee == "101" && r.Disposition == "answered"
	})
}
