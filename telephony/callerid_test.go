package telephony

import (
	"slices"
	"testing"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// callerIDPlan: 202 has a direct number of its own, 203 none (the
// route's shows), 101 forwards everything to a mobile showing the
// caller, 102 forwards when it does not answer showing itself; line
// group "city" withholds with the telco's *67.
func callerIDPlan(c *store.Config) {
	trunkPlan(c)
	c.Numbering.FeatureCodes = true
	for i := range c.Extensions {
		switch c.Extensions[i].Number {
		case "202":
			c.Extensions[i].OutboundCallerID, c.Extensions[i].OutboundCallerName = "74951112202", "Dave Direct"
		case "203":
			c.Extensions[i].OutsideCalls = true
		}
	}
	c.LineGroups[0].WithholdPrefix = "*67"
	c.OutboundRoutes = []store.OutboundRoute{
		{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"prov"}, CallerID: "74951112200", CallerName: "Office"},
		{Name: "lines", Pattern: "0XXXXXXXXXX", Strip: 1, Class: "national", Via: []string{"city"}},
		{Name: "forced", Pattern: "7XXXXXXXXXX", Class: "national", Via: []string{"prov"}, CallerID: "74951112299", OverrideCallerID: true},
	}
	c.ExtensionRules = []store.ExtensionRule{
		{Extension: "101", ForwardAlways: "number:89161234567", Class: "national"},
		{Extension: "102", ForwardNoAnswer: "number:89167654321", NoAnswerS: 1, ForwardCallerID: "box", Class: "national"},
	}
	c.Extensions = append(c.Extensions, store.Extension{Number: "204", Name: "Fay", OutboundCallerID: "74951112204"})
	c.ExtensionRules = append(c.ExtensionRules, store.ExtensionRule{Extension: "204", ForwardBusy: "ext:101", Class: "national"})
}

func TestOutsideCallerIDPresentation(t *testing.T) {
	b := newPlanBox(t, callerIDPlan, nil)
	n := 0
	dial := func(from channel.CallerID, kind channel.Kind, number string) *fakeChannel {
		t.Helper()
		n++
		in := newFakeChannel(channel.Info{ID: "in-cid-" + string(rune('a'+n)), Kind: kind, Endpoint: from.Number,
			Direction: "in", Caller: from, Dialled: number})
		b.x.Accept(in)
		return in
	}
	type want struct {
		target, number, name, withheld string
		divs                           []channel.Diversion
	}
	check := func(in *fakeChannel, w want) {
		t.Helper()
		leg := expect(t, b.sip, w.target)
		c := leg.req.Caller
		if c.Number != w.number || c.Name != w.name || c.Withheld != w.withheld {
			t.Errorf("%s: shown %+v, want number %q name %q withheld %q", w.target, c, w.number, w.name, w.withheld)
		}
		if !slices.Equal(leg.req.Diversions, w.divs) {
			t.Errorf("%s: diversions %+v, want %+v", w.target, leg.req.Diversions, w.divs)
		}
		answerAndEnd(t, b, in, leg)
	}
	sipExt := func(n string) channel.CallerID { return channel.CallerID{Number: n} }

	// An extension with a number of its own shows it; one without shows
	// the route's; a route that overrides shows its own for everyone.
	check(dial(sipExt("202"), channel.SIP, "84951234567"), want{target: "trunk:prov:84951234567", number: "74951112202", name: "Dave Direct"})
	check(dial(sipExt("203"), channel.SIP, "84951234567"), want{target: "trunk:prov:84951234567", number: "74951112200", name: "Office"})
	check(dial(sipExt("202"), channel.SIP, "74951234567"), want{target: "trunk:prov:74951234567", number: "74951112299"})

	// *67 withholds this call only: the number stays for a trusted
	// network (Privacy: id), the far end is told it is private.
	check(dial(sipExt("202"), channel.SIP, "*6784951234567"), want{target: "trunk:prov:84951234567", number: "74951112202", name: "Dave Direct", withheld: "P"})
	check(dial(sipExt("202"), channel.SIP, "84951234567"), want{target: "trunk:prov:84951234567", number: "74951112202", name: "Dave Direct"})

	// On an analog line the telco's prefix does it, and the number dialled
	// otherwise is unchanged.
	in := dial(sipExt("203"), channel.SIP, "*6704951234567")
	leg := expect(t, b.analog, "fxo@1:*674951234567")
	answerAndEnd(t, b, in, leg)
	in = dial(sipExt("203"), channel.SIP, "04951234567")
	answerAndEnd(t, b, in, expect(t, b.analog, "fxo@1:4951234567"))

	// A customer forwarded out by 101's forward-always shows as the
	// customer, and the provider is told 101 (by its outward number: the
	// route's) diverted it.
	customer := channel.CallerID{Number: "79160000001", Name: "Customer"}
	check(dial(customer, channel.SIP, "101"), want{target: "trunk:prov:89161234567", number: "79160000001", name: "Customer",
		divs: []channel.Diversion{{Number: "74951112200", Reason: channel.DivertUnconditional}}})

	// 102 forwards on no answer showing itself (forward_caller_id box).
	in = dial(customer, channel.SIP, "102")
	expect(t, b.analog, "fxs:2")
	expect(t, b.sip, "102") // both ring for no_answer_s, unanswered
	check(in, want{target: "trunk:prov:89167654321", number: "74951112200", name: "Office",
		divs: []channel.Diversion{{Number: "74951112200", Reason: channel.DivertNoAnswer}}})

	// A chain: 204 busy → 101 → forward always out. Most recent first.
	b.sip.fail["204"] = channel.CauseBusy
	in = dial(customer, channel.SIP, "204")
	check(in, want{target: "trunk:prov:89161234567", number: "79160000001", name: "Customer",
		divs: []channel.Diversion{{Number: "74951112200", Reason: channel.DivertUnconditional}, {Number: "74951112204", Reason: channel.DivertBusy}}})
}
