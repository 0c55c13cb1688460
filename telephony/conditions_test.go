package telephony

import (
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// TestTimeConditions: a menu key and a short number that lead to a time
// condition go the open way until the schedule closes and the closed way
// from that second on, by the exchange's clock in the box's time zone.
func TestTimeConditions(t *testing.T) {
	clk := &clock{}
	edit := func(closed string) func(c *store.Config) {
		return func(c *store.Config) {
			c.System.TimeZone = "Europe/Moscow" // UTC+3: 18:00 there is 15:00 UTC
			c.Schedules = []store.Schedule{{Name: "office", Hours: []string{"mon-fri 09:00-18:00"}}}
			c.TimeConditions = []store.TimeCondition{{Name: "office-hours", Schedule: "office", Open: "ext:202", Closed: closed}}
			c.Menus = []store.Menu{{Name: "main", Prompts: []store.Prompt{{Tone: "1000", MS: 100}}, DigitTimeoutS: 2,
				Keys: map[string]string{"1": "time:office-hours"}}}
			c.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "menu:main"}}
			c.Numbering.ShortNumbers = []store.ShortNumber{{Number: "300", Destination: "time:office-hours"}}
		}
	}
	// A Monday.
	beforeClose := time.Date(2026, 11, 23, 14, 59, 59, 0, time.UTC)
	atClose := beforeClose.Add(time.Second)

	t.Run("menu key across closing time", func(t *testing.T) {
		b := newPlanBox(t, edit("ext:203"), clk.now)
		for _, tc := range []struct {
			at   time.Time
			want string
		}{{beforeClose, "202"}, {atClose, "203"}} {
			clk.set(tc.at)
			in := fxoCaller(1, "5551234")
			b.x.Accept(in)
			in.emit(channel.Event{Type: channel.EventDigit, Digit: '1'})
			if r := answerAndEnd(t, b, in, expect(t, b.sip, tc.want)); r.Destination != "sip:"+tc.want {
				t.Errorf("at %v: record %+v", tc.at, r)
			}
		}
	})

	t.Run("closed with nowhere to go is busy", func(t *testing.T) {
		b := newPlanBox(t, edit(""), clk.now)
		clk.set(atClose)
		in := sipCaller("101", "300")
		b.x.Accept(in)
		if c := in.waitHangup(t); c != channel.CauseBusy {
			t.Errorf("hung up with %v, want busy", c)
		}
		b.sip.none(t)
		clk.set(beforeClose)
		in = sipCaller("101", "300")
		b.x.Accept(in)
		answerAndEnd(t, b, in, expect(t, b.sip, "202"))
	})
}

// condBox is a plan box whose inbound route (FXO line 1) leads to
// condition c, with a box-wide ring time of 10 s so that a condition's
// own shorter one shows.
func condBox(t *testing.T, c store.Condition, edit func(cfg *store.Config)) *testBox {
	t.Helper()
	return newPlanBox(t, func(cfg *store.Config) {
		cfg.System.NoAnswerTimeoutS = 10
		cfg.Conditions = []store.Condition{c}
		cfg.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "cond:" + c.Name}}
		if edit != nil {
			edit(cfg)
		}
	}, nil)
}

func TestConditions(t *testing.T) {
	t.Run("busy goes to the busy destination, not the extension's own forwarding", func(t *testing.T) {
		b := condBox(t, store.Condition{Name: "c", Destination: "ext:202", Busy: "ext:203", NoAnswer: "ext:201"}, func(cfg *store.Config) {
			cfg.ExtensionRules = []store.ExtensionRule{{Extension: "202", ForwardBusy: "ext:201"}}
		})
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		expect(t, b.sip, "202").end(channel.CauseBusy)
		if r := answerAndEnd(t, b, in, expect(t, b.sip, "203")); r.Destination != "sip:203" || r.Callee != "cond:c" {
			t.Errorf("record %+v", r)
		}
	})

	t.Run("no answer after the condition's ring time", func(t *testing.T) {
		b := condBox(t, store.Condition{Name: "c", Destination: "fxs:2", NoAnswerS: 1, NoAnswer: "ext:203"}, nil)
		in := fxoCaller(1, "5551234")
		start := time.Now()
		b.x.Accept(in)
		port := expect(t, b.analog, "fxs:2")
		leg := expect(t, b.sip, "203")
		if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
			t.Errorf("203 rang %v after the call came in, want after the condition's 1 s (not the box's 10 s)", d)
		}
		if c := port.waitHangup(t); c != channel.CauseNoAnswer {
			t.Errorf("the port was hung up with %v, want no answer", c)
		}
		answerAndEnd(t, b, in, leg)
	})

	t.Run("an extension rings for the condition's time", func(t *testing.T) {
		b := condBox(t, store.Condition{Name: "c", Destination: "ext:202", NoAnswerS: 1, NoAnswer: "ext:203"}, func(cfg *store.Config) {
			// Its own no-answer forwarding (after 15 s) gives way.
			cfg.ExtensionRules = []store.ExtensionRule{{Extension: "202", NoAnswerS: 15, ForwardNoAnswer: "ext:201"}}
		})
		in := fxoCaller(1, "5551234")
		start := time.Now()
		b.x.Accept(in)
		expect(t, b.sip, "202")
		leg := expect(t, b.sip, "203")
		if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
			t.Errorf("203 rang after %v, want about 1 s", d)
		}
		answerAndEnd(t, b, in, leg)
	})

	t.Run("an extension's forward-always still applies", func(t *testing.T) {
		b := condBox(t, store.Condition{Name: "c", Destination: "ext:202", Busy: "ext:203"}, func(cfg *store.Config) {
			cfg.ExtensionRules = []store.ExtensionRule{{Extension: "202", ForwardAlways: "ext:201"}}
		})
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		answerAndEnd(t, b, in, expect(t, b.sip, "201"))
	})

	t.Run("a ring group rings until the condition's time, its timeout unused", func(t *testing.T) {
		b := condBox(t, store.Condition{Name: "c", Destination: "group:sales", NoAnswerS: 1, NoAnswer: "ext:203"}, func(cfg *store.Config) {
			cfg.RingGroups = []store.RingGroup{{Name: "sales", Strategy: "ringall", Members: []store.GroupMember{{Destination: "ext:201", RingS: 60}},
				Timeout: "ext:202"}}
		})
		in := fxoCaller(1, "5551234")
		start := time.Now()
		b.x.Accept(in)
		if c := expect(t, b.sip, "201").waitHangup(t); c != channel.CauseNoAnswer {
			t.Errorf("member hung up with %v", c)
		}
		leg := expect(t, b.sip, "203")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("203 rang after %v, want about 1 s", d)
		}
		answerAndEnd(t, b, in, leg)
	})

	t.Run("an outside number that cannot be dialled goes to no route", func(t *testing.T) {
		// The legacy outside prefix 9: number 95551234 goes out as
		// fxo:5551234, whose line has no dial tone.
		b := condBox(t, store.Condition{Name: "c", Destination: "number:95551234", NoAnswerS: 20, NoRoute: "ext:203", Busy: "ext:201"}, nil)
		b.analog.fail["fxo:5551234"] = channel.CauseUnavailable
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		answerAndEnd(t, b, in, expect(t, b.sip, "203"))
	})

	t.Run("an unregistered phone goes to no route", func(t *testing.T) {
		b := condBox(t, store.Condition{Name: "c", Destination: "number:202", NoRoute: "ext:203"}, nil)
		b.sip.fail["202"] = channel.CauseUnavailable
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		answerAndEnd(t, b, in, expect(t, b.sip, "203"))
	})

	t.Run("an outcome left empty ends the call with its cause", func(t *testing.T) {
		b := condBox(t, store.Condition{Name: "c", Destination: "ext:202", NoAnswer: "ext:203"}, func(cfg *store.Config) {
			cfg.Numbering.ShortNumbers = []store.ShortNumber{{Number: "300", Destination: "cond:c"}}
		})
		b.sip.fail["202"] = channel.CauseBusy
		in := sipCaller("101", "300")
		b.x.Accept(in)
		if c := in.waitHangup(t); c != channel.CauseBusy {
			t.Errorf("caller hung up with %v, want busy", c)
		}
		if r := b.st.waitRecord(t); r.Disposition != "busy" {
			t.Errorf("record %+v", r)
		}
		b.sip.none(t)
	})

	t.Run("a loop through a time condition is cut by the hop limit", func(t *testing.T) {
		// Validation refuses it; a hand-edited database must still not
		// keep a caller forever.
		b := condBox(t, store.Condition{Name: "c", Destination: "ext:202", Busy: "time:t"}, func(cfg *store.Config) {
			cfg.TimeConditions = []store.TimeCondition{{Name: "t", Schedule: "none", Open: "cond:c"}}
		})
		b.sip.fail["202"] = channel.CauseBusy
		in := fxoCaller(1, "5551234")
		b.x.Accept(in)
		if c := in.waitHangup(t); c != channel.CauseCongestion {
			t.Errorf("hung up with %v, want congestion", c)
		}
		b.st.waitRecord(t)
	})
}
