package box

import (
	"context"
	"testing"
	"time"

	boardsim "minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/telephony/store"
)

// importDialPlan adds dial-plan sections to the box's configuration.
func (b *testBox) importDialPlan(t *testing.T, edit func(c *store.Config)) {
	t.Helper()
	c, err := b.Service().ExportConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	edit(&c)
	if err := b.Service().ImportConfig(context.Background(), c); err != nil {
		t.Fatalf("import dial plan: %v", err)
	}
}

// TestDialPlanOnTheSimulatedBox: an analog phone's number picks its
// outbound route and line group, hunts past a dead line, an internal-only
// extension cannot dial abroad, and a blacklisted caller on a telco line
// is rejected — all through the real analog ports of the simulated board.
func TestDialPlanOnTheSimulatedBox(t *testing.T) {
	b := startBox(t, "")
	b.importDialPlan(t, func(c *store.Config) {
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1, 2}, Hunt: store.HuntDescending}}
		c.OutboundRoutes = []store.OutboundRoute{
			{Name: "international", Pattern: "810X.", Class: "international", Via: []string{"city"}},
			{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"city"}},
		}
		c.ExtensionRules = []store.ExtensionRule{{Extension: "102", Class: "internal"}}
		c.Classifiers = []store.Classifier{{Name: "blacklist", Action: "reject", Numbers: []string{"84950000000"}}}
	})
	ctx := tctx(t, 60*time.Second)
	sim := b.Sim()
	ph := sim.Phone(1) // 101: international by its outside_calls
	line1, line2 := sim.Line(1), sim.Line(2)

	// The national route's group hunts descending: line 2, which is dead
	// (no battery), so line 1 carries the call.
	line2.SetBattery(false)
	ph.OffHook()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph.DialDTMF("84951234567"); err != nil {
		t.Fatal(err)
	}
	if err := line1.WaitSeized(ctx); err != nil {
		t.Fatalf("no fallback to line 1: %v", err)
	}
	if got, err := line1.WaitDigits(ctx, 11); err != nil || got != "84951234567" {
		t.Fatalf("the telco received %q (%v)", got, err)
	}
	if line2.Seized() {
		t.Error("the dead line was seized")
	}
	if err := line1.Answer(); err != nil {
		t.Fatal(err)
	}
	if err := line1.Hangup(boardsim.HangupBusyTone); err != nil {
		t.Fatal(err)
	}
	if err := line1.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	ph.OnHook()
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == "84951234567" && r.Destination == "fxo:1" })
	b.waitPortIdle(t, 0)
	line2.SetBattery(true)

	// An internal-only extension cannot reach an international number.
	ph2 := sim.Phone(2)
	ph2.OffHook()
	if err := ph2.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph2.DialDTMF("810441234567#"); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "102" && r.Callee == "810441234567" && r.Disposition == "forbidden"
	})
	if line1.Seized() || line2.Seized() {
		t.Error("a line was seized for a forbidden call")
	}
	ph2.OnHook()

	// A blacklisted caller on a telco line is rejected; nobody rings.
	ringFromTelco(t, line1, "84950000000")
	b.waitRecord(t, func(r store.CallRecord) bool {
		return r.Caller == "84950000000" && r.Source == "fxo:1" && r.Disposition == "rejected"
	})
	if ph.Ringing() || ph2.Ringing() {
		t.Error("a phone rang for a blacklisted caller")
	}
}

// TestVoiceMenuOnATelcoLine: a call on a telco line meets a voice menu;
// the caller presses 1 as DTMF in the audio and reaches extension 201 (a
// SIP phone); a second caller presses nothing and reaches the default.
func TestVoiceMenuOnATelcoLine(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Sales", false)
	s202 := b.addSIPExtension(t, "202", "Reception", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{Tone: "440", MS: 1000}}, DigitTimeoutS: 2,
			Keys: map[string]string{"1": "ext:201"}, DefaultDestination: "ext:202"}}
		c.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "menu:main"}}
	})
	sales, reception := b.phone(t, "201", s201), b.phone(t, "202", s202)
	ctx := tctx(t, 60*time.Second)
	line := b.Sim().Line(1)
	ringFromTelco(t, line, "5551234")
	// Wait for the box to answer, then press 1.
	if err := line.WaitSeized(ctx); err != nil {
		t.Fatalf("the menu did not answer: %v", err)
	}
	gen := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{})
	if err := gen.Queue("1"); err != nil {
		t.Fatal(err)
	}
	tone := make([]int16, 8000/2)
	gen.Read(tone)
	line.Play(tone)
	in := takeCall(ctx, t, sales, "5551234", "key 1 did not reach 201")
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := line.WaitReleased(ctx); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "fxo:1" && r.Destination == "sip:201" })

	// Silence: the default destination.
	line2 := b.Sim().Line(2)
	ringFromTelco(t, line2, "5559876")
	in = takeCall(ctx, t, reception, "5559876", "silence did not reach the default 202")
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "fxo:2" && r.Destination == "sip:202" })
}

// TestQueueOnATelcoLine: a telco caller waits in a queue hearing music on
// hold (real audio on the line) until the agent's phone answers.
func TestQueueOnATelcoLine(t *testing.T) {
	b := startBox(t, "")
	s201 := b.addSIPExtension(t, "201", "Agent", false)
	b.importDialPlan(t, func(c *store.Config) {
		c.Queues = []store.Queue{{Name: "support", Strategy: "ringall", Members: []store.GroupMember{{Destination: "ext:201", RingS: 30}},
			MusicOnHold: []store.Prompt{{Tone: "440", MS: 1000}}, MaxWaitS: 60}}
		c.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "queue:support"}}
	})
	agent := b.phone(t, "201", s201)
	ctx := tctx(t, 60*time.Second)
	line := b.Sim().Line(1)
	ringFromTelco(t, line, "5551234")
	in, err := agent.Incoming(ctx)
	if err != nil {
		t.Fatalf("the agent does not ring: %v", err)
	}
	// While the agent's phone rings, the caller hears the music on hold.
	line.Record()
	time.Sleep(time.Second)
	rec := line.StopRecording()
	var peak int16
	for _, s := range rec {
		peak = max(peak, s, -s)
	}
	if len(rec) < 4000 || peak < 1000 {
		t.Errorf("the waiting caller hears %d samples peaking at %d: no music on hold", len(rec), peak)
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
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Source == "fxo:1" && r.Destination == "sip:201" })
}
