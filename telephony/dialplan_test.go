package telephony

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/telephony/channel"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// clock is a controllable time source for schedule tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// officeConfig is testConfig with extension 203, two FXO lines, and the
// dial plan's sections filled by edit.
func newPlanBox(t *testing.T, edit func(c *store.Config), now func() time.Time) *testBox {
	t.Helper()
	cfg := testConfig()
	cfg.Extensions = append(cfg.Extensions, store.Extension{Number: "203", Name: "Erin"})
	cfg.FXOLines = append(cfg.FXOLines, store.FXOLine{Port: 2, Enabled: true, AnswerAfterRings: 2, Destination: "201"})
	edit(&cfg)
	st := newFakeStore(cfg)
	sip, analog := newFakeDialer(channel.SIP), newFakeDialer(channel.FXS)
	x, err := New(Options{Store: st, SIP: sip, Analog: analog, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compilePlan(x.config()); err != nil {
		t.Fatalf("test configuration does not compile: %v", err)
	}
	x.dp.refuseTone = 200 * time.Millisecond
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := x.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return &testBox{x: x, st: st, sip: sip, analog: analog}
}

func fxoCaller(port int, number string) *fakeChannel {
	return newFakeChannel(channel.Info{ID: fmt.Sprintf("in-fxo%d-%s", port, number), Kind: channel.FXO,
		Endpoint: fmt.Sprintf("fxo:%d", port), Direction: "in", Caller: channel.CallerID{Number: number}})
}

// expect takes the next leg d dials and checks its target.
func expect(t *testing.T, d *fakeDialer, target string) *fakeChannel {
	t.Helper()
	l := d.next(t)
	if l.info.Endpoint != target {
		t.Fatalf("dialled %q, want %q", l.info.Endpoint, target)
	}
	return l
}

// answerAndEnd answers leg, then the caller hangs up; it waits for the record.
func answerAndEnd(t *testing.T, b *testBox, in, leg *fakeChannel) store.CallRecord {
	t.Helper()
	leg.emit(channel.Event{Type: channel.EventAnswer})
	deadline := time.Now().Add(2 * time.Second)
	for b.x.callStateOf(in.info.ID) != "answered" && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	in.end(channel.CauseNormal)
	leg.waitHangup(t)
	return b.st.waitRecord(t)
}

func TestRingGroupStrategiesThroughTheExchange(t *testing.T) {
	members := []store.GroupMember{{Destination: "ext:201"}, {Destination: "ext:202"}, {Destination: "ext:203"}}
	for _, tc := range []struct {
		strategy string
		busy     map[int]string // call -> member busy at dial time
		// want: per call, the SIP targets dialled in order; the last answers.
		want []string
	}{
		{strategy: "ringall", want: []string{"201+202+203", "201+202+203"}},
		{strategy: "linear", want: []string{"201", "201", "201"}},
		{strategy: "linear", busy: map[int]string{1: "201"}, want: []string{"201", "202", "201"}},
		{strategy: "rrmemory", want: []string{"201", "202", "203", "201", "202"}},
		{strategy: "rrmemory", busy: map[int]string{1: "202"}, want: []string{"201", "203", "201"}},
		{strategy: "leastrecent", want: []string{"201", "202", "203", "201"}},
		{strategy: "fewestcalls", busy: map[int]string{0: "201"}, want: []string{"202", "201", "203", "201"}},
		// random with a scripted source: intn always 0 turns [a b c] into [b c a].
		{strategy: "random", want: []string{"202", "202"}},
	} {
		t.Run(tc.strategy, func(t *testing.T) {
			b := newPlanBox(t, func(c *store.Config) {
				c.RingGroups = []store.RingGroup{{Name: "sales", Number: "300", Strategy: tc.strategy, Members: members}}
			}, nil)
			b.x.dp.intn = func(int) int { return 0 }
			for i, want := range tc.want {
				b.sip.mu.Lock()
				b.sip.fail = map[string]channel.Cause{}
				if m := tc.busy[i]; m != "" {
					b.sip.fail[m] = channel.CauseBusy
				}
				b.sip.mu.Unlock()
				in := sipCaller("101", "300")
				in.info.ID = fmt.Sprintf("in-%d", i)
				b.x.Accept(in)
				var legs []*fakeChannel
				for range strings.Split(want, "+") {
					legs = append(legs, b.sip.next(t))
				}
				var got []string
				for _, l := range legs {
					got = append(got, l.info.Endpoint)
				}
				if strings.Join(got, "+") != want {
					t.Fatalf("call %d rang %v, want %s", i, got, want)
				}
				r := answerAndEnd(t, b, in, legs[0])
				if r.Disposition != "answered" || r.Destination != "sip:"+got[0] {
					t.Errorf("call %d record %+v", i, r)
				}
				for _, l := range legs[1:] {
					l.waitHangup(t)
				}
			}
		})
	}
}

func TestRingGroupMemberRingTimeAndTimeoutDestination(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.RingGroups = []store.RingGroup{{Name: "sales", Number: "300", Strategy: "linear",
			Members: []store.GroupMember{{Destination: "ext:201", RingS: 1}, {Destination: "ext:202", RingS: 1}}, Timeout: "ext:203"}}
	}, nil)
	in := sipCaller("101", "300")
	b.x.Accept(in)
	start := time.Now()
	first := expect(t, b.sip, "201")
	if c := first.waitHangup(t); c != channel.CauseNoAnswer {
		t.Errorf("first member ended %v", c)
	}
	expect(t, b.sip, "202").waitHangup(t)
	if d := time.Since(start); d < 1900*time.Millisecond {
		t.Errorf("two members of 1 s rang only %v", d)
	}
	last := expect(t, b.sip, "203")
	answerAndEnd(t, b, in, last)
}

func TestScheduleSwitchesInboundRouteAtItsBoundary(t *testing.T) {
	moscow, _ := time.LoadLocation("Europe/Moscow")
	clk := &clock{t: time.Date(2026, 3, 2, 17, 59, 59, 0, moscow)} // a Monday
	b := newPlanBox(t, func(c *store.Config) {
		c.System.TimeZone = "Europe/Moscow"
		c.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}, Holidays: []string{"2026-03-09"}}}
		c.InboundRoutes = []store.InboundRoute{{Name: "main", Lines: []int{1}, Schedule: "office", Destination: "ext:202", ClosedDestination: "ext:203"}}
	}, clk.now)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 2, 17, 59, 59, 0, moscow), "202"},
		{time.Date(2026, 3, 2, 18, 0, 0, 0, moscow), "203"},
		{time.Date(2026, 3, 3, 8, 59, 59, 0, moscow), "203"},
		{time.Date(2026, 3, 3, 9, 0, 0, 0, moscow), "202"},
		{time.Date(2026, 3, 9, 12, 0, 0, 0, moscow), "203"}, // holiday
	} {
		clk.set(tc.at)
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		answerAndEnd(t, b, in, expect(t, b.sip, tc.want))
	}
	// Line 2 has no inbound route: its own destination.
	in := fxoCaller(2, "5551234")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "201"))
}

func TestForwarding(t *testing.T) {
	type step struct {
		target string
		result channel.Cause // -1: answer; else the leg ends with it (or is refused at dial when refuse)
		refuse bool
	}
	for _, tc := range []struct {
		name  string
		rule  store.ExtensionRule
		steps []step
		// callerID is the caller number the last leg shows.
		callerID string
	}{
		{"always", store.ExtensionRule{Extension: "201", ForwardAlways: "ext:202"}, []step{{"202", -1, false}}, "101"},
		{"busy", store.ExtensionRule{Extension: "201", ForwardBusy: "ext:202"}, []step{{"201", channel.CauseBusy, true}, {"202", -1, false}}, "101"},
		{"busy after ringing", store.ExtensionRule{Extension: "201", ForwardBusy: "ext:202", ForwardCallerID: "box"},
			[]step{{"201", channel.CauseBusy, false}, {"202", -1, false}}, "201"},
		{"unavailable", store.ExtensionRule{Extension: "201", ForwardUnavailable: "ext:203"}, []step{{"201", channel.CauseUnavailable, true}, {"203", -1, false}}, "101"},
		{"no answer", store.ExtensionRule{Extension: "201", ForwardNoAnswer: "ext:202", NoAnswerS: 1}, []step{{"201", channel.CauseNoAnswer, false}, {"202", -1, false}}, "101"},
		{"no forwarding for the wrong condition", store.ExtensionRule{Extension: "201", ForwardBusy: "ext:202"}, []step{{"201", channel.CauseUnavailable, true}}, ""},
		{"follow-me in order", store.ExtensionRule{Extension: "201", NoAnswerS: 1, ForwardNoAnswer: "ext:102",
			FollowMe: []store.GroupMember{{Destination: "ext:202", RingS: 1}, {Destination: "ext:203", RingS: 1}}},
			[]step{{"201", channel.CauseNoAnswer, false}, {"202", channel.CauseNoAnswer, false}, {"203", -1, false}}, "101"},
		{"follow-me number switched off", store.ExtensionRule{Extension: "201", NoAnswerS: 1,
			FollowMe: []store.GroupMember{{Destination: "ext:202", RingS: 1, Off: true}, {Destination: "ext:203", RingS: 1}}},
			[]step{{"201", channel.CauseNoAnswer, false}, {"203", -1, false}}, "101"},
		{"every follow-me number off: forward on no answer", store.ExtensionRule{Extension: "201", NoAnswerS: 1, ForwardNoAnswer: "ext:203",
			FollowMe: []store.GroupMember{{Destination: "ext:202", RingS: 1, Off: true}}},
			[]step{{"201", channel.CauseNoAnswer, false}, {"203", -1, false}}, "101"},
		{"forward chain", store.ExtensionRule{Extension: "201", ForwardAlways: "number:202"}, []step{{"202", channel.CauseBusy, false}}, ""},
		{"follow-me outside its schedule", store.ExtensionRule{Extension: "201", NoAnswerS: 1, ForwardNoAnswer: "ext:203",
			FollowMe: []store.GroupMember{{Destination: "ext:202", RingS: 1}}, FollowMeSchedule: "never"},
			[]step{{"201", channel.CauseNoAnswer, false}, {"203", -1, false}}, "101"},
		{"follow-me within its schedule", store.ExtensionRule{Extension: "201", NoAnswerS: 1, ForwardNoAnswer: "ext:203",
			FollowMe: []store.GroupMember{{Destination: "ext:202", RingS: 1}}, FollowMeSchedule: "always"},
			[]step{{"201", channel.CauseNoAnswer, false}, {"202", -1, false}}, "101"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newPlanBox(t, func(c *store.Config) {
				c.ExtensionRules = []store.ExtensionRule{tc.rule}
				c.Schedules = []store.Schedule{{Name: "never"}, {Name: "always", Hours: []string{"* 00:00-24:00"}}}
			}, nil)
			for _, s := range tc.steps {
				if s.refuse {
					b.sip.fail[s.target] = s.result
				}
			}
			in := sipCaller("101", "201")
			b.x.Accept(in)
			for i, s := range tc.steps {
				if s.refuse {
					continue
				}
				leg := expect(t, b.sip, s.target)
				if s.result == -1 {
					if leg.info.Caller.Number != tc.callerID {
						t.Errorf("forwarded call shows %q, want %q", leg.info.Caller.Number, tc.callerID)
					}
					answerAndEnd(t, b, in, leg)
					return
				}
				if s.result == channel.CauseNoAnswer {
					if c := leg.waitHangup(t); c != channel.CauseNoAnswer {
						t.Fatalf("step %d ended %v", i, c)
					}
					continue
				}
				leg.end(s.result)
			}
			// Not answered: the caller hears the last cause.
			last := tc.steps[len(tc.steps)-1].result
			if c := in.waitHangup(t); c != last {
				t.Errorf("caller got %v, want %v", c, last)
			}
			b.sip.none(t)
		})
	}
}

func TestOutboundRoutesLineGroupsAndFallback(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.System.OutsidePrefix = ""
		c.LineGroups = []store.LineGroup{
			{Name: "city", Lines: []int{1, 2}, Hunt: store.HuntDescending},
			{Name: "backup", Lines: []int{3}, Hunt: store.HuntAscending},
			{Name: "rr", Lines: []int{1, 2, 3}, Hunt: store.HuntRoundRobin},
		}
		c.OutboundRoutes = []store.OutboundRoute{
			{Name: "international", Pattern: "810X.", Strip: 3, Prepend: "00", Class: "international", Via: []string{"backup"}},
			{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"city", "backup"}},
			{Name: "local", Pattern: "0XX", Class: "local", Via: []string{"rr"}},
		}
		c.CallerIDRules = []store.CallerIDRule{{Prefix: "", Number: "4951112233"}, {Prefix: "00", Withhold: true}}
	}, nil)
	call := func(number string) *fakeChannel {
		in := sipCaller("202", number) // 202 may call outside: international
		in.info.ID = "in-" + number
		b.x.Accept(in)
		return in
	}
	// National: city hunted descending (line 2 first).
	in := call("84951234567")
	leg := expect(t, b.analog, "fxo@2:84951234567")
	if leg.info.Caller.Number != "4951112233" || leg.info.Caller.Withheld != "" {
		t.Errorf("caller ID %+v", leg.info.Caller)
	}
	answerAndEnd(t, b, in, leg)

	// Line 2 cannot be seized, line 1 fails before the far end answers
	// (no dial tone): fall back to the backup group.
	b.analog.fail["fxo@2:84951234567"] = channel.CauseBusy
	in = call("84951234567")
	expect(t, b.analog, "fxo@1:84951234567").end(channel.CauseCongestion)
	answerAndEnd(t, b, in, expect(t, b.analog, "fxo@3:84951234567"))

	// A busy far end is the number's answer, not a line fault: no fallback.
	delete(b.analog.fail, "fxo@2:84951234567")
	in = call("84951234567")
	expect(t, b.analog, "fxo@2:84951234567").end(channel.CauseBusy)
	if c := in.waitHangup(t); c != channel.CauseBusy {
		t.Errorf("caller got %v, want busy", c)
	}
	b.analog.none(t)
	b.st.waitRecord(t)

	// Every line failing: congestion.
	for _, l := range []string{"1", "2", "3"} {
		b.analog.fail["fxo@"+l+":84951234567"] = channel.CauseBusy
	}
	in = call("84951234567")
	if c := in.waitHangup(t); c != channel.CauseCongestion {
		t.Errorf("all lines busy: caller got %v, want congestion", c)
	}
	b.st.waitRecord(t)

	// International: strip and prepend, withheld by the 00 rule.
	in = call("810441234567")
	leg = expect(t, b.analog, "fxo@3:00441234567")
	if leg.info.Caller.Withheld == "" {
		t.Errorf("caller ID not withheld: %+v", leg.info.Caller)
	}
	answerAndEnd(t, b, in, leg)

	// Round robin moves on a line per call.
	for _, want := range []string{"fxo@1:012", "fxo@2:012", "fxo@3:012", "fxo@1:012"} {
		in = call("012")
		answerAndEnd(t, b, in, expect(t, b.analog, want))
	}
}

func TestPermissionClasses(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}}
		c.OutboundRoutes = []store.OutboundRoute{
			{Name: "international", Pattern: "810X.", Class: "international", Via: []string{"city"}},
			{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"city"}},
		}
		c.Numbering.EmergencyNumbers = []string{"112"}
		c.ExtensionRules = []store.ExtensionRule{{Extension: "203", Class: "national"}}
	}, nil)
	for _, tc := range []struct {
		caller, number string
		target         string // "" when refused
	}{
		{"201", "810441234567", ""}, // internal only (no outside_calls)
		{"201", "84951234567", ""},  // internal only
		{"201", "95551234", ""},     // the outside prefix needs outside_calls
		{"203", "810441234567", ""}, // national may not call abroad
		{"203", "84951234567", "fxo@1:84951234567"},
		{"202", "810441234567", "fxo@1:810441234567"},
		{"201", "112", "fxo@1:112"}, // emergency: always
		{"201", "9112", "fxo:112"},  // emergency behind the outside prefix
	} {
		in := sipCaller(tc.caller, tc.number)
		in.info.ID = "in-" + tc.caller + "-" + tc.number
		b.x.Accept(in)
		if tc.target == "" {
			if c := in.waitHangup(t); c != channel.CauseForbidden {
				t.Errorf("%s dialling %s: got %v, want forbidden", tc.caller, tc.number, c)
			}
			if r := b.st.waitRecord(t); r.Disposition != "forbidden" {
				t.Errorf("record %+v", r)
			}
			continue
		}
		answerAndEnd(t, b, in, expect(t, b.analog, tc.target))
	}
	b.analog.none(t)
}

func TestClassifiers(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.Classifiers = []store.Classifier{
			{Name: "blacklist", Action: "reject", Numbers: []string{"84950000000", "8800."}},
			{Name: "vip", Action: "route", Numbers: []string{"89161234567"}, Destination: "ext:203"},
		}
	}, nil)
	for _, caller := range []string{"84950000000", "8 800 555 35 35"} {
		in := fxoCaller(1, caller)
		b.x.Accept(in)
		if c := in.waitHangup(t); c != channel.CauseRejected {
			t.Errorf("blacklisted %s: %v, want rejected", caller, c)
		}
		if r := b.st.waitRecord(t); r.Disposition != "rejected" || r.Callee != "classifier:blacklist" {
			t.Errorf("record %+v", r)
		}
	}
	b.sip.none(t)
	in := fxoCaller(1, "89161234567")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "203"))
	in = fxoCaller(1, "84951111111")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "201"))
}

func TestConcurrentCallLimits(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "group:sales", MaxCalls: 1}}
		c.RingGroups = []store.RingGroup{{Name: "sales", Number: "300", Strategy: "ringall",
			Members: []store.GroupMember{{Destination: "ext:202"}}, MaxCalls: 1}}
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1, 2}, Hunt: store.HuntAscending, MaxCalls: 1}}
		c.OutboundRoutes = []store.OutboundRoute{{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"city"}}}
	}, nil)
	// Inbound route limit: the second caller hears busy.
	first := fxoCaller(1, "5550001")
	b.x.Accept(first)
	leg := expect(t, b.sip, "202")
	second := fxoCaller(2, "5550002")
	b.x.Accept(second)
	if c := second.waitHangup(t); c != channel.CauseBusy {
		t.Errorf("over the inbound limit: %v, want busy", c)
	}
	// The telco line is already answered: the caller hears busy tone
	// (200 ms in tests: 10 frames) before the box hangs up. The tone is
	// paced by a wall-clock ticker, which drops ticks on a loaded machine,
	// so the check is that it was heard at all, not for how many frames.
	if n := second.ep.heard(); n < 3 {
		t.Errorf("the refused caller heard %d frames of busy tone", n)
	}
	if r := b.st.waitRecord(t); r.Disposition != "busy" {
		t.Errorf("record %+v", r)
	}
	// Ring group limit (the first call still rings the group).
	internal := sipCaller("201", "300")
	b.x.Accept(internal)
	if c := internal.waitHangup(t); c != channel.CauseBusy {
		t.Errorf("over the ring group limit: %v, want busy", c)
	}
	b.st.waitRecord(t)
	answerAndEnd(t, b, first, leg)
	// The places are free again.
	again := fxoCaller(1, "5550003")
	b.x.Accept(again)
	answerAndEnd(t, b, again, expect(t, b.sip, "202"))

	// Line group limit: one outside call at a time, the second gets congestion.
	out1 := sipCaller("202", "84951234567")
	b.x.Accept(out1)
	l1 := expect(t, b.analog, "fxo@1:84951234567")
	l1.emit(channel.Event{Type: channel.EventAnswer})
	out2 := sipCaller("101", "84957654321")
	b.x.Accept(out2)
	if c := out2.waitHangup(t); c != channel.CauseCongestion {
		t.Errorf("over the line group limit: %v, want congestion", c)
	}
	b.analog.none(t)
	b.st.waitRecord(t)
	out1.end(channel.CauseNormal)
	l1.waitHangup(t)
	b.st.waitRecord(t)
}

func TestShortNumberAndMaxCallDuration(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.Numbering.ShortNumbers = []store.ShortNumber{{Number: "33", Destination: "ext:203"}}
		c.CallLimits.MaxCallDurationS = 1
	}, nil)
	in := sipCaller("201", "33")
	b.x.Accept(in)
	leg := expect(t, b.sip, "203")
	leg.emit(channel.Event{Type: channel.EventAnswer})
	start := time.Now()
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("caller %v", c)
	}
	leg.waitHangup(t)
	if d := time.Since(start); d < 900*time.Millisecond || d > 3*time.Second {
		t.Errorf("cleared after %v, want about 1 s", d)
	}
	if r := b.st.waitRecord(t); r.Disposition != "answered" || r.Callee != "33" {
		t.Errorf("record %+v", r)
	}
}

// callStateOf returns the state of the call whose inbound leg has id.
func (x *Exchange) callStateOf(id string) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, c := range x.calls {
		if c.first.info.ID == id {
			c.mu.Lock()
			s := c.state
			c.mu.Unlock()
			return s
		}
	}
	return ""
}

// UpdateDialPlan makes the fake store a dial-plan store (feature codes),
// without validation: the exchange's own checks are under test.
func (s *fakeStore) UpdateDialPlan(fn func(c *store.Config) error) (store.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.ExtensionRules = slices.Clone(c.ExtensionRules)
	if err := fn(&c); err != nil {
		return store.Config{}, err
	}
	s.cfg = c
	return c, nil
}

func TestFeatureCodesSwitchForwarding(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.Numbering.FeatureCodes = true
		c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}}
		c.OutboundRoutes = []store.OutboundRoute{{Name: "mobile", Pattern: "89XXXXXXXXX", Class: "national", Via: []string{"city"}}}
	}, nil)
	b.x.prompts = testPrompts(t)
	// feature dials a code and checks how it ends: a change is confirmed
	// by voice (say), a refusal by the cause alone, unanswered and silent.
	feature := func(from, digits string, want channel.Cause, say ...string) {
		t.Helper()
		in := sipCaller(from, digits)
		in.info.ID = "in-" + digits
		b.x.Accept(in)
		if c := in.waitHangup(t); c != want {
			t.Errorf("%s dialling %s: %v, want %v", from, digits, c, want)
		}
		b.st.waitRecord(t)
		if len(say) == 0 {
			if in.answered != 0 || in.ep.heard() != 0 {
				t.Errorf("%s dialling %s: refused, yet answered and %d frames heard", from, digits, in.ep.heard())
			}
			return
		}
		if in.answered == 0 || !heardSaying(t, in.ep.heardSamples(), b.x.prompts, say...) {
			t.Errorf("%s dialling %s: did not hear %q", from, digits, say)
		}
	}
	rule := func(ext string) store.ExtensionRule {
		for _, r := range b.x.config().ExtensionRules {
			if r.Extension == ext {
				return r
			}
		}
		return store.ExtensionRule{}
	}
	feature("201", "*72202", channel.CauseNormal, append(prompts.English.ForwardedTo(prompts.ForwardAlways, "202"), prompts.Goodbye)...)
	if r := rule("201"); r.ForwardAlways != "ext:202" {
		t.Fatalf("rule after *72202: %+v", r)
	}
	// The new plan applies at once: a call to 201 rings 202.
	in := sipCaller("101", "201")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "202"))

	feature("201", "*9089161234567", channel.CauseForbidden) // 201 is internal only
	feature("202", "*9089161234567", channel.CauseNormal,    // 202 may call outside
		append(prompts.English.ForwardedTo(prompts.ForwardBusy, "89161234567"), prompts.Goodbye)...)
	if r := rule("202"); r.ForwardBusy != "number:89161234567" {
		t.Errorf("202's rule %+v", r)
	}
	feature("201", "*72201", channel.CauseRejected) // to itself
	feature("201", "*727777", channel.CauseNotFound)
	feature("201", "*73", channel.CauseNormal, prompts.FwdOff, prompts.Goodbye)
	if r := rule("201"); r.Extension != "" {
		t.Errorf("an empty rule is kept: %+v", r)
	}
	in = sipCaller("101", "201")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "201"))
	// An unknown SIP caller may not switch anything.
	feature("999", "*73", channel.CauseForbidden)

	// The web UI's own pages check a number as the codes do.
	a := adminFor(t, b.x)
	ctx := context.Background()
	for _, c := range []struct{ ext, number, dest, problem string }{
		{"201", "202", "ext:202", ""},
		{"202", "89161234567", "number:89161234567", ""},
		{"201", "89161234567", "", "may not call"},
		{"201", "201", "", "your own"},
		{"201", "7777", "", "not a number"},
		{"201", "12a", "", "not a number"},
	} {
		dest, err := a.ForwardTarget(ctx, c.ext, c.number)
		v, _ := store.AsValidationError(err)
		switch {
		case c.problem == "" && (err != nil || dest != c.dest):
			t.Errorf("ForwardTarget(%s, %s) = %q, %v; want %q", c.ext, c.number, dest, err, c.dest)
		case c.problem != "" && (v == nil || v.Fields[0].Field != "number" || !strings.Contains(v.Fields[0].Message, c.problem)):
			t.Errorf("ForwardTarget(%s, %s) = %q, %v; want a problem saying %q", c.ext, c.number, dest, err, c.problem)
		}
	}
}

func TestVoiceMenus(t *testing.T) {
	menu := store.Menu{Name: "main", Prompts: []store.Prompt{{Tone: "1000", MS: 200}, {File: "welcome.wav"}, {File: "missing.wav"}},
		DigitTimeoutS: 1, Retries: 1, Keys: map[string]string{"1": "ext:202", "*": "group:sales"}, DefaultDestination: "ext:203"}
	build := func(t *testing.T, m store.Menu) *testBox {
		t.Helper()
		cfg := testConfig()
		cfg.Extensions = append(cfg.Extensions, store.Extension{Number: "203", Name: "Erin"})
		cfg.Menus = []store.Menu{m}
		cfg.RingGroups = []store.RingGroup{{Name: "sales", Strategy: "ringall", Members: []store.GroupMember{{Destination: "ext:201"}}}}
		cfg.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "menu:main"}}
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "prompts"), 0o700); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, "prompts", "welcome.wav"))
		if err != nil {
			t.Fatal(err)
		}
		if err := audiofile.WriteWAV(f, make([]int16, 8000/5), audiofile.PCM16); err != nil { // 200 ms
			t.Fatal(err)
		}
		f.Close()
		st := newFakeStore(cfg)
		sip, analog := newFakeDialer(channel.SIP), newFakeDialer(channel.FXS)
		x, err := New(Options{Store: st, SIP: sip, Analog: analog, PromptDir: filepath.Join(dir, "prompts")})
		if err != nil {
			t.Fatal(err)
		}
		x.dp.refuseTone = 200 * time.Millisecond
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = x.Shutdown(ctx)
		})
		return &testBox{x: x, st: st, sip: sip, analog: analog}
	}
	key := func(in *fakeChannel, d byte) { in.emit(channel.Event{Type: channel.EventDigit, Digit: d}) }

	t.Run("key during the prompts", func(t *testing.T) {
		b := build(t, menu)
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		time.Sleep(60 * time.Millisecond)
		key(in, '1')
		leg := expect(t, b.sip, "202")
		in.mu.Lock()
		answered := in.answered
		in.mu.Unlock()
		if answered != 1 || in.ep.heard() == 0 {
			t.Errorf("menu answered %d times, caller heard %d frames", answered, in.ep.heard())
		}
		heard := in.ep.heard()
		time.Sleep(100 * time.Millisecond)
		if in.ep.heard() == heard {
			t.Error("no ringback while the choice rings")
		}
		r := answerAndEnd(t, b, in, leg)
		if r.Disposition != "answered" || r.Destination != "sip:202" {
			t.Errorf("record %+v", r)
		}
	})
	t.Run("star key to a group", func(t *testing.T) {
		b := build(t, menu)
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		key(in, '*')
		answerAndEnd(t, b, in, expect(t, b.sip, "201"))
	})
	t.Run("silence goes to the default after the retries", func(t *testing.T) {
		b := build(t, menu)
		in := fxoCaller(1, "5551234")
		start := time.Now()
		b.x.Accept(in)
		leg := expect(t, b.sip, "203")
		// Two rounds of 200+200 ms of prompts and a 1 s wait.
		if d := time.Since(start); d < 2400*time.Millisecond {
			t.Errorf("default reached after %v", d)
		}
		if n := in.ep.heard(); n < 2*20 {
			t.Errorf("caller heard %d frames of prompts, want two rounds of 20", n)
		}
		answerAndEnd(t, b, in, leg)
	})
	t.Run("unknown key without retries", func(t *testing.T) {
		m := menu
		m.Retries = 0
		b := build(t, m)
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		key(in, '9')
		answerAndEnd(t, b, in, expect(t, b.sip, "203"))
	})
	t.Run("direct dialling", func(t *testing.T) {
		m := menu
		m.DirectDial = true
		b := build(t, m)
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		for _, d := range []byte("102#") {
			key(in, d)
		}
		legs := []*fakeChannel{b.analog.next(t), b.sip.next(t)}
		if legs[0].info.Endpoint != "fxs:2" || legs[1].info.Endpoint != "102" {
			t.Fatalf("direct dial rang %s and %s", legs[0].info.Endpoint, legs[1].info.Endpoint)
		}
		answerAndEnd(t, b, in, legs[1])
	})
	t.Run("direct dialling keeps single keys", func(t *testing.T) {
		m := menu
		m.DirectDial = true
		b := build(t, m)
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		key(in, '1') // 101 and 102 begin with 1: the key wins after the pause
		answerAndEnd(t, b, in, expect(t, b.sip, "202"))
	})
	t.Run("nested menus", func(t *testing.T) {
		b := build(t, menu)
		sub := store.Menu{Name: "sub", Prompts: []store.Prompt{{Tone: "600", MS: 200}}, Keys: map[string]string{"3": "ext:203", "0": "menu:main"}}
		cfg := *b.x.config()
		cfg.Menus = append(slices.Clone(cfg.Menus), sub)
		cfg.Menus[0].Keys = map[string]string{"2": "menu:sub"}
		b.st.mu.Lock()
		b.st.cfg = cfg
		b.st.mu.Unlock()
		if err := b.x.reload(); err != nil {
			t.Fatal(err)
		}
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		key(in, '2')
		time.Sleep(50 * time.Millisecond)
		key(in, '0') // back to the main menu
		time.Sleep(50 * time.Millisecond)
		key(in, '2')
		time.Sleep(50 * time.Millisecond)
		key(in, '3')
		leg := expect(t, b.sip, "203")
		in.mu.Lock()
		answered := in.answered
		in.mu.Unlock()
		if answered != 1 {
			t.Errorf("caller answered %d times through nested menus", answered)
		}
		answerAndEnd(t, b, in, leg)
	})
	t.Run("caller hangs up in the menu", func(t *testing.T) {
		b := build(t, menu)
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		time.Sleep(50 * time.Millisecond)
		in.end(channel.CauseNormal)
		if r := b.st.waitRecord(t); r.Disposition != "abandoned" {
			t.Errorf("record %+v", r)
		}
		b.sip.none(t)
	})
}

func TestQueues(t *testing.T) {
	queue := store.Queue{Name: "support", Number: "400", Strategy: "linear",
		Members:  []store.GroupMember{{Destination: "ext:201", RingS: 1}, {Destination: "ext:202", RingS: 1}},
		MaxWaitS: 3, AnnounceEveryS: 1, Timeout: "ext:203"}
	build := func(t *testing.T, q store.Queue) *testBox {
		return newPlanBox(t, func(c *store.Config) {
			c.Queues = []store.Queue{q}
			c.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "queue:support"}}
		}, nil)
	}
	t.Run("callers reach agents in order", func(t *testing.T) {
		b := build(t, queue)
		a := fxoCaller(1, "5550001")
		b.x.Accept(a)
		legA := expect(t, b.sip, "201")
		if legA.info.Caller.Number != "5550001" {
			t.Fatalf("the first agent rings for %q, want the first caller", legA.info.Caller.Number)
		}
		second := fxoCaller(2, "5550002")
		b.x.Accept(second)
		// The second caller waits (music on hold) while the first is at the head.
		b.sip.none(t)
		if second.ep.heard() == 0 {
			t.Error("the waiting caller hears nothing")
		}
		legA.emit(channel.Event{Type: channel.EventAnswer})
		// Now the second caller is at the head: 201 is busy with the first,
		// so 202 rings.
		legB := expect(t, b.sip, "202")
		if legB.info.Caller.Number != "5550002" {
			t.Fatalf("the second agent rings for %q", legB.info.Caller.Number)
		}
		r := answerAndEnd(t, b, second, legB)
		if r.Destination != "sip:202" || r.Disposition != "answered" {
			t.Errorf("second record %+v", r)
		}
		a.end(channel.CauseNormal)
		legA.waitHangup(t)
		if r := b.st.waitRecord(t); r.Destination != "sip:201" {
			t.Errorf("first record %+v", r)
		}
	})
	t.Run("no agent answers: timeout destination", func(t *testing.T) {
		b := build(t, queue)
		b.sip.fail["201"], b.sip.fail["202"] = channel.CauseBusy, channel.CauseBusy
		in := fxoCaller(1, "5550001")
		start := time.Now()
		b.x.Accept(in)
		leg := expect(t, b.sip, "203")
		if d := time.Since(start); d < 2900*time.Millisecond {
			t.Errorf("left the queue after %v, want its 3 s", d)
		}
		// A second of announcements: more than the music alone.
		if in.ep.heard() < 100 {
			t.Errorf("caller heard %d frames in 3 s", in.ep.heard())
		}
		answerAndEnd(t, b, in, leg)
	})
	t.Run("wrap-up time", func(t *testing.T) {
		q := queue
		q.WrapUpS = 60
		q.Members = q.Members[:1]
		q.MaxWaitS = 1
		b := build(t, q)
		in := fxoCaller(1, "5550001")
		b.x.Accept(in)
		answerAndEnd(t, b, in, expect(t, b.sip, "201"))
		// 201 rests: the next caller times out to 203 without 201 ringing.
		in = fxoCaller(1, "5550002")
		b.x.Accept(in)
		answerAndEnd(t, b, in, expect(t, b.sip, "203"))
	})
	t.Run("full queue answers busy", func(t *testing.T) {
		q := queue
		q.MaxCallers = 1
		b := build(t, q)
		first := fxoCaller(1, "5550001")
		b.x.Accept(first)
		leg := expect(t, b.sip, "201")
		second := sipCaller("101", "400")
		b.x.Accept(second)
		if c := second.waitHangup(t); c != channel.CauseBusy {
			t.Errorf("over max_callers: %v, want busy", c)
		}
		b.st.waitRecord(t)
		answerAndEnd(t, b, first, leg)
	})
	t.Run("caller gives up", func(t *testing.T) {
		b := build(t, queue)
		b.sip.fail["201"], b.sip.fail["202"] = channel.CauseBusy, channel.CauseBusy
		in := fxoCaller(1, "5550001")
		b.x.Accept(in)
		time.Sleep(200 * time.Millisecond)
		in.end(channel.CauseNormal)
		if r := b.st.waitRecord(t); r.Disposition != "abandoned" {
			t.Errorf("record %+v", r)
		}
		if n := b.x.queuePosition("support", "c1"); n != 0 {
			t.Errorf("the caller who left is still in the queue at %d", n)
		}
	})
}

func TestVIPCallersGoFirstInQueues(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.Queues = []store.Queue{{Name: "support", Strategy: "linear", MaxWaitS: 30,
			Members: []store.GroupMember{{Destination: "ext:201", RingS: 5}}}}
		c.InboundRoutes = []store.InboundRoute{{Name: "all", Destination: "queue:support"}}
		c.Classifiers = []store.Classifier{{Name: "vip", Action: "first", Numbers: []string{"_89XXXXXXXXX"}}}
	}, nil)
	// The agent is busy with a first caller; two ordinary callers and then
	// a VIP queue up behind.
	first := fxoCaller(1, "5550001")
	b.x.Accept(first)
	agent := expect(t, b.sip, "201")
	agent.emit(channel.Event{Type: channel.EventAnswer})
	var waiting []*fakeChannel
	for i, n := range []string{"5550002", "5550003", "89161234567"} {
		in := fxoCaller(2, n)
		in.info.ID = fmt.Sprintf("waiting-%d", i)
		b.x.Accept(in)
		waiting = append(waiting, in)
		time.Sleep(50 * time.Millisecond) // arrive in this order
	}
	first.end(channel.CauseNormal)
	agent.waitHangup(t)
	b.st.waitRecord(t)
	// Freed, the agent rings for the VIP, then for the others in order.
	for _, want := range []string{"89161234567", "5550002", "5550003"} {
		leg := expect(t, b.sip, "201")
		if leg.info.Caller.Number != want {
			t.Fatalf("the agent rings for %s, want %s", leg.info.Caller.Number, want)
		}
		var in *fakeChannel
		for _, w := range waiting {
			if w.info.Caller.Number == want {
				in = w
			}
		}
		answerAndEnd(t, b, in, leg)
	}
}

func TestRingGroupMaxWaitRetriesBusyMembersWithoutSpinning(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.RingGroups = []store.RingGroup{{Name: "sales", Number: "300", Strategy: "linear", MaxWaitS: 2,
			Members: []store.GroupMember{{Destination: "ext:201"}, {Destination: "ext:202"}}, Timeout: "ext:203"}}
	}, nil)
	b.sip.fail["201"], b.sip.fail["202"] = channel.CauseBusy, channel.CauseBusy
	in := sipCaller("101", "300")
	start := time.Now()
	b.x.Accept(in)
	leg := expect(t, b.sip, "203")
	if d := time.Since(start); d < 1900*time.Millisecond || d > 3*time.Second {
		t.Errorf("timeout destination after %v, want the 2 s maximum wait", d)
	}
	answerAndEnd(t, b, in, leg)
}
