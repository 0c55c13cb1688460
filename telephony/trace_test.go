package telephony

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// tracePlan is an office plan for the route tester: two line groups, a
// trunk, routes of three classes, a forwarding extension of a lower class
// and an inbound route with a schedule.
func tracePlan(c *store.Config) {
	c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1, 2}, Hunt: store.HuntDescending, WithholdPrefix: "*31#"}}
	c.Numbering.FeatureCodes = true // *67 withholds the caller's number
	c.Trunks = []store.Trunk{{Name: "prov", Mode: store.TrunkPeer, Host: "192.0.2.1", CallerID: "74951112233"}}
	c.OutboundRoutes = []store.OutboundRoute{
		{Name: "local", Pattern: "9NXXXXXX", Strip: 1, Class: "local", Via: []string{"city"}},
		{Name: "mobile", Pattern: "89XXXXXXXXX", Class: "national", Via: []string{"city"}},
		{Name: "intl", Pattern: "810X.", Class: "international", Via: []string{"prov", "city"}},
	}
	c.Numbering.EmergencyNumbers = []string{"112"}
	c.ExtensionRules = []store.ExtensionRule{
		{Extension: "102", Class: "local"},
		{Extension: "203", ForwardAlways: "number:89161234567"},
	}
	c.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}}}
	c.InboundRoutes = []store.InboundRoute{{Name: "main", Lines: []int{1}, Schedule: "office", Destination: "ext:202", ClosedDestination: "ext:101"}}
}

// expectTrace checks what the exchange really did with a call against
// the trace of the same call: the first leg dialled (a line of the first
// carrier with the digits, a trunk, an extension's phone) or the refusal.
func expectTrace(t *testing.T, b *testBox, tr RouteTrace, in *fakeChannel) {
	t.Helper()
	switch tr.Outcome {
	case OutcomeOutside:
		// The far end answers: a line leg ended unanswered would have
		// the exchange hunt on to the next line.
		via := tr.Via[0]
		switch {
		case via == legacyVia:
			answerAndEnd(t, b, in, expect(t, b.analog, "fxo:"+tr.Digits))
		case len(tr.Lines) > 0:
			answerAndEnd(t, b, in, expect(t, b.analog, "fxo@"+strconv.Itoa(tr.Lines[0])+":"+cmp.Or(tr.LineDigits, tr.Digits)))
		default:
			answerAndEnd(t, b, in, expect(t, b.sip, "trunk:"+via+":"+tr.Digits))
		}
		return
	case OutcomeRings:
		ext := strings.TrimPrefix(tr.Destination, "ext:")
		if e, ok := b.x.plan(b.x.config()).exts[ext]; ok && e.FXSPort > 0 {
			expect(t, b.analog, "fxs:"+strconv.Itoa(e.FXSPort)).end(channel.CauseNormal)
		}
		expect(t, b.sip, ext).end(channel.CauseNormal)
	case OutcomeRefused:
		rec := b.st.waitRecord(t)
		want := map[string]string{"forbidden": "forbidden", "not_found": "not-found", "busy": "busy"}[tr.Cause]
		if !strings.Contains(rec.Disposition, strings.Split(want, "-")[0]) {
			t.Errorf("the call ended %q, the trace says refused (%s)", rec.Disposition, tr.Cause)
		}
		b.analog.none(t)
		return
	default:
		t.Fatalf("outcome %q not compared", tr.Outcome)
	}
	in.end(channel.CauseNormal)
	b.st.waitRecord(t)
}

// TestTraceMatchesTheExchange: for extensions of different classes
// dialling local, mobile, international and emergency numbers, an
// extension forwarding with its own (lower) class, and a telco call
// inside and outside office hours, the route tester's answer is what the
// exchange then does with the same call.
func TestTraceMatchesTheExchange(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)} // a Wednesday, open
	b := newPlanBox(t, tracePlan, clk.now)
	ctx := context.Background()
	for _, tc := range []struct {
		from, number string
		outcome      string
	}{
		{"101", "92345678", OutcomeOutside},     // local: strip the 9, line group city descending
		{"101", "89161234567", OutcomeOutside},  // mobile
		{"101", "810441234567", OutcomeOutside}, // international: the trunk first
		{"102", "89161234567", OutcomeRefused},  // local class: not national
		{"102", "92345678", OutcomeOutside},
		{"201", "112", OutcomeOutside}, // internal class, but an emergency number
		{"201", "89161234567", OutcomeRefused},
		{"101", "202", OutcomeRings},
		{"101", "203", OutcomeRefused},         // 203 forwards, with its own internal class
		{"101", "555", OutcomeRefused},         // no such number
		{"101", "*6792345678", OutcomeOutside}, // withheld: the line dials the telco's code first
	} {
		tr, err := b.x.TraceRoute(ctx, RouteQuery{From: tc.from, Number: tc.number})
		if err != nil {
			t.Fatalf("%s→%s: %v", tc.from, tc.number, err)
		}
		if tr.Outcome != tc.outcome {
			t.Errorf("%s→%s: traced %s (%+v)", tc.from, tc.number, tr.Outcome, tr.Steps)
			continue
		}
		in := sipCaller(tc.from, tc.number)
		in.info.ID = "in-" + tc.from + "-" + tc.number
		b.x.Accept(in)
		expectTrace(t, b, tr, in)
	}

	// A telco call on line 1: the route's schedule decides, now and at
	// night.
	for _, at := range []time.Time{clk.now(), time.Date(2026, 3, 4, 22, 0, 0, 0, time.UTC)} {
		clk.set(at)
		tr, err := b.x.TraceRoute(ctx, RouteQuery{From: "fxo:1"})
		if err != nil {
			t.Fatal(err)
		}
		in := fxoCaller(1, "84950000000")
		in.info.ID += at.Format("1504")
		b.x.Accept(in)
		expectTrace(t, b, tr, in)
	}
}

// TestTraceSaysWhy: the steps name the class and why, the route and
// the class it needs, the carriers in order, the digits sent, the
// schedule's branch and the forwarding.
func TestTraceSaysWhy(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 4, 22, 0, 0, 0, time.UTC)} // closed
	b := newPlanBox(t, tracePlan, clk.now)
	ctx := context.Background()
	says := func(tr RouteTrace) string {
		var s []string
		for _, st := range tr.Steps {
			s = append(s, st.Says)
		}
		return strings.Join(s, " | ")
	}
	tr, _ := b.x.TraceRoute(ctx, RouteQuery{From: "102", Number: "89161234567"})
	for _, want := range []string{"class is local: extension 102's rule sets it", "route mobile needs class national, caller has local"} {
		if !strings.Contains(says(tr), want) {
			t.Errorf("102 to a mobile: %q lacks %q", says(tr), want)
		}
	}
	if tr.Cause != "forbidden" {
		t.Errorf("cause %q", tr.Cause)
	}
	tr, _ = b.x.TraceRoute(ctx, RouteQuery{From: "101", Number: "810441234567"})
	if tr.Route != "intl" || strings.Join(tr.Via, ",") != "prov,city" || tr.Digits != "810441234567" ||
		!strings.Contains(says(tr), "first SIP trunk prov | then line group city: lines 2, 1 in that order (descending)") {
		t.Errorf("international: %+v %q", tr, says(tr))
	}
	tr, _ = b.x.TraceRoute(ctx, RouteQuery{From: "101", Number: "92345678"})
	if tr.Digits != "2345678" || tr.Lines[0] != 2 || !strings.Contains(says(tr), "digits sent: 2345678 (1 removed") {
		t.Errorf("local: %+v", tr)
	}
	tr, _ = b.x.TraceRoute(ctx, RouteQuery{From: "101", Number: "*6792345678"})
	if tr.Digits != "2345678" || tr.LineDigits != "*31#2345678" || tr.CallerID != "withheld" ||
		!strings.Contains(says(tr), "its lines dial *31#2345678: the telco's code *31# withholds the caller's number") {
		t.Errorf("local, withheld: %+v %q", tr, says(tr))
	}
	if tr, _ = b.x.TraceRoute(ctx, RouteQuery{From: "101", Number: "*67112"}); !tr.Emergency || tr.LineDigits != "" {
		t.Errorf("an emergency call hides nobody: %+v", tr)
	}
	tr, _ = b.x.TraceRoute(ctx, RouteQuery{From: "fxo:1"})
	if !strings.Contains(says(tr), "inbound route main takes calls on FXO line 1; schedule office is closed now") || tr.Destination != "ext:101" {
		t.Errorf("closed: %+v %q", tr, says(tr))
	}
	tr, _ = b.x.TraceRoute(ctx, RouteQuery{From: "101", Number: "203"})
	if !strings.Contains(says(tr), "extension 203 forwards every call to number:89161234567") || tr.Cause != "forbidden" {
		t.Errorf("forwarding: %+v %q", tr, says(tr))
	}
	// Bad input is refused, field by field.
	for _, q := range []RouteQuery{{From: "999", Number: "101"}, {From: "101", Number: "12a"}, {From: "fxo:9"}, {From: "trunk:nope"},
		{From: "101", Number: strings.Repeat("1", MaxTraceNumber+1)}, {From: "101"}} {
		_, err := b.x.TraceRoute(ctx, q)
		var ve *store.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%+v: %v", q, err)
		}
	}
}

// FuzzTraceRoute: any query is answered or refused as bad input; the
// trace never panics or loops, and says why in steps.
func FuzzTraceRoute(f *testing.F) {
	for _, s := range [][2]string{{"101", "89161234567"}, {"fxo:1", ""}, {"trunk:prov", "+74951112233"}, {"", "112"}, {"203", "*6789"}, {"101", "#"}} {
		f.Add(s[0], s[1], "84950000000")
	}
	cfg := testConfig()
	cfg.Extensions = append(cfg.Extensions, store.Extension{Number: "203"})
	cfg.FXOLines = append(cfg.FXOLines, store.FXOLine{Port: 2, Enabled: true, Destination: "201"})
	tracePlan(&cfg)
	cfg.Numbering.FeatureCodes = true
	p, err := compilePlan(&cfg)
	if err != nil {
		f.Fatal(err)
	}
	hunt := func(g store.LineGroup) []int { return g.Lines }
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, number, caller string) {
		tr, err := p.trace(RouteQuery{From: from, Number: number, Caller: caller}, now, hunt)
		if err != nil {
			var ve *store.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("not a validation error: %v", err)
			}
			return
		}
		if tr.Outcome == "" || len(tr.Steps) == 0 {
			t.Fatalf("%q→%q: no outcome or no steps: %+v", from, number, tr)
		}
		if tr.Outcome == OutcomeOutside && (len(tr.Via) == 0 || tr.Route == "") {
			t.Fatalf("%q→%q: outside without a route: %+v", from, number, tr)
		}
	})
}

// TestTraceAnalogDialling: on an analog phone the number ends where the
// numbering plan says it is whole, as the exchange collects digits:
// 810441234567 stops at the national route's eleven digits, and the
// trace says so; a number no route begins is refused at its first
// digit; a SIP phone sends the whole number.
func TestTraceAnalogDialling(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		tracePlan(c)
		c.OutboundRoutes[1].Pattern = "8XXXXXXXXXX"
		c.System.OutsidePrefix = ""
	}, nil)
	ctx := context.Background()
	tr, err := b.x.TraceRoute(ctx, RouteQuery{From: "101", Number: "810441234567", Analog: true})
	if err != nil || tr.Route != "mobile" || tr.Digits != "81044123456" || !strings.Contains(tr.Steps[1].Says, "the number ends at 81044123456") {
		t.Fatalf("analog: %v %+v", err, tr)
	}
	in := fxsCaller("1")
	b.x.Accept(in)
	dial(in, "810441234567")
	expectTrace(t, b, tr, in)
	if tr, _ := b.x.TraceRoute(ctx, RouteQuery{From: "101", Number: "810441234567"}); tr.Route != "intl" {
		t.Errorf("a SIP phone's whole number: %+v", tr)
	}
	if tr, _ := b.x.TraceRoute(ctx, RouteQuery{From: "101", Number: "7123", Analog: true}); tr.Outcome != OutcomeRefused || tr.Cause != "not_found" {
		t.Errorf("no number begins with 7: %+v", tr)
	}
	var ve *store.ValidationError
	if _, err := b.x.TraceRoute(ctx, RouteQuery{From: "201", Number: "101", Analog: true}); !errors.As(err, &ve) {
		t.Errorf("201 has no analog phone: %v", err)
	}
}
