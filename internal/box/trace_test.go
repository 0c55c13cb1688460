package box

import (
	"slices"
	"testing"
	"time"

	boardsim "minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/telephony"
	"minipbx/telephony/store"
)

// TestRouteTesterMatchesRealCalls: the route tester's answers, asked of
// the running box, against real calls from the simulated board's analog
// phones — the line a national number seizes first and the digits the
// telco receives, an international number an analog phone cuts short
// where the national route's number is whole, the outside prefix's
// any-line route, a number an extension's class forbids (no line
// seized), and where a call on a telco line rings.
func TestRouteTesterMatchesRealCalls(t *testing.T) {
	b := startBox(t, "")
	b.importDialPlan(t, func(c *store.Config) {
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1, 2}, Hunt: store.HuntDescending}}
		c.OutboundRoutes = []store.OutboundRoute{
			{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"city"}},
			{Name: "international", Pattern: "810X.", Class: "international", Via: []string{"city"}},
		}
		c.ExtensionRules = []store.ExtensionRule{{Extension: "102", Class: "internal"}}
	})
	ctx := tctx(t, 90*time.Second)
	svc := b.Service()
	sim := b.Sim()
	trace := func(from, number string) telephony.RouteTrace {
		t.Helper()
		tr, err := svc.TraceRoute(ctx, telephony.RouteQuery{From: from, Number: number, Analog: true})
		if err != nil {
			t.Fatalf("trace %s→%s: %v", from, number, err)
		}
		return tr
	}
	// outside dials number from phone (its extension from) and checks the
	// line and digits against the trace.
	outside := func(port int, from, number string) {
		t.Helper()
		tr := trace(from, number)
		if tr.Outcome != telephony.OutcomeOutside {
			t.Fatalf("%s→%s traced as %s: %+v", from, number, tr.Outcome, tr.Steps)
		}
		first := 1 // "*lines": the analog dialer hunts from line 1
		if len(tr.Lines) > 0 {
			first = tr.Lines[0]
		}
		ph, line := sim.Phone(port), sim.Line(first)
		ph.OffHook()
		if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
			t.Fatal(err)
		}
		if err := ph.DialDTMF(number + "#"); err != nil {
			t.Fatal(err)
		}
		if err := line.WaitSeized(ctx); err != nil {
			t.Fatalf("%s→%s: the trace's first line %d was not seized: %v", from, number, first, err)
		}
		if got, err := line.WaitDigits(ctx, len(tr.Digits)); err != nil || got != tr.Digits {
			t.Fatalf("%s→%s: the telco received %q (%v), the trace says %q", from, number, got, err, tr.Digits)
		}
		if err := line.Answer(); err != nil {
			t.Fatal(err)
		}
		if err := line.Hangup(boardsim.HangupBusyTone); err != nil {
			t.Fatal(err)
		}
		if err := line.WaitReleased(ctx); err != nil {
			t.Fatal(err)
		}
		ph.OnHook()
		b.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == tr.Destination[len("number:"):] })
		b.waitPortIdle(t, port-1)
	}
	outside(1, "101", "84951234567")
	if tr := trace("101", "84951234567"); !slices.Equal(tr.Lines, []int{2, 1}) || tr.Route != "national" {
		t.Errorf("the national route: %+v", tr)
	}
	// Dialled on an analog phone, the number is whole at the national
	// route's eleven digits: that is what goes out.
	if tr := trace("101", "810441234567"); tr.Route != "national" || tr.Digits != "81044123456" {
		t.Errorf("the analog phone's international number: %+v", tr)
	}
	outside(1, "101", "810441234567")
	outside(1, "101", "91234567") // the outside prefix: every line, from line 1

	// 102 may call internal numbers only: refused, and no line is seized.
	tr := trace("102", "84951234567")
	if tr.Outcome != telephony.OutcomeRefused || tr.Cause != "forbidden" {
		t.Fatalf("102 abroad traced as %+v", tr)
	}
	ph := sim.Phone(2)
	ph.OffHook()
	if err := ph.Hears(ctx, dsp.ToneDial); err != nil {
		t.Fatal(err)
	}
	if err := ph.DialDTMF("84951234567"); err != nil {
		t.Fatal(err)
	}
	b.waitRecord(t, func(r store.CallRecord) bool { return r.Callee == "84951234567" && r.Disposition == "forbidden" })
	if sim.Line(1).Seized() || sim.Line(2).Seized() {
		t.Error("a line was seized for a call the trace says is forbidden")
	}
	ph.OnHook()
	b.waitPortIdle(t, 1)

	// A call on telco line 1 rings what the trace says: 101, the line's
	// own destination.
	tr, err := svc.TraceRoute(ctx, telephony.RouteQuery{From: "fxo:1"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Outcome != telephony.OutcomeRings || tr.Destination != "ext:101" {
		t.Fatalf("line 1 traced as %+v", tr)
	}
	ringFromTelco(t, sim.Line(1), "84957654321")
	deadline := time.Now().Add(15 * time.Second)
	for !sim.Phone(1).Ringing() {
		if time.Now().After(deadline) {
			t.Fatal("extension 101's phone does not ring for a call on line 1")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
