package telephony

import (
	"context"
	"slices"
	"testing"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

func trunkCaller(trunk, from, did string) *fakeChannel {
	return newFakeChannel(channel.Info{ID: "in-trunk-" + from + "-" + did, Kind: channel.SIP, Endpoint: "trunk:" + trunk,
		Direction: "in", Caller: channel.CallerID{Number: from}, Dialled: did})
}

func trunkPlan(c *store.Config) {
	c.System.OutsidePrefix = ""
	c.LineGroups = []store.LineGroup{{Name: "city", Lines: []int{1, 2}, Hunt: store.HuntAscending}}
	c.Trunks = []store.Trunk{{Name: "prov", Mode: store.TrunkRegister, Host: "192.0.2.10:5060", Username: "74951112233", Password: "x",
		DIDs: []store.TrunkDID{{Number: "74951112233", Destination: "ext:202"}, {Number: "74951112299", Destination: "ext:203"}}}}
	c.OutboundRoutes = []store.OutboundRoute{{Name: "national", Pattern: "8XXXXXXXXXX", Class: "national", Via: []string{"prov", "city"}}}
	c.InboundRoutes = []store.InboundRoute{
		{Name: "fax", Trunks: []string{"prov"}, DIDs: []string{"+74951112244"}, Destination: "ext:201"},
		{Name: "lines", Lines: []int{1, 2}, Destination: "ext:203"},
	}
}

func TestOutboundRouteThroughTrunkFallsBackToLines(t *testing.T) {
	b := newPlanBox(t, trunkPlan, nil)
	// The trunk first, with the dialled digits.
	in := sipCaller("202", "84951234567")
	in.info.ID = "in-1"
	b.x.Accept(in)
	rec := answerAndEnd(t, b, in, expect(t, b.sip, "trunk:prov:84951234567"))
	if rec.Destination != "trunk:prov" && rec.Destination != "trunk:prov:84951234567" {
		t.Errorf("call record destination %q does not name the trunk", rec.Destination)
	}
	// The trunk is unregistered (or full): the lines, at once.
	b.sip.fail["trunk:prov:84951234567"] = channel.CauseUnavailable
	in = sipCaller("202", "84951234567")
	in.info.ID = "in-2"
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.analog, "fxo@1:84951234567"))
	// The provider fails the call after dialling: fall back too.
	delete(b.sip.fail, "trunk:prov:84951234567")
	in = sipCaller("202", "84951234567")
	in.info.ID = "in-3"
	b.x.Accept(in)
	expect(t, b.sip, "trunk:prov:84951234567").end(channel.CauseCongestion)
	answerAndEnd(t, b, in, expect(t, b.analog, "fxo@1:84951234567"))
	// Busy is the number's answer: no fallback.
	in = sipCaller("202", "84951234567")
	in.info.ID = "in-4"
	b.x.Accept(in)
	expect(t, b.sip, "trunk:prov:84951234567").end(channel.CauseBusy)
	if c := in.waitHangup(t); c != channel.CauseBusy {
		t.Errorf("busy via trunk: caller got %v", c)
	}
	b.analog.none(t)
}

func TestInboundTrunkCallsByDID(t *testing.T) {
	b := newPlanBox(t, trunkPlan, nil)
	// The trunk's DID table.
	in := trunkCaller("prov", "89161234567", "74951112233")
	b.x.Accept(in)
	leg := expect(t, b.sip, "202")
	if leg.info.Caller.Number != "89161234567" {
		t.Errorf("caller %+v", leg.info.Caller)
	}
	rec := answerAndEnd(t, b, in, leg)
	if rec.Source != "trunk:prov" {
		t.Errorf("call record source %q, want trunk:prov", rec.Source)
	}
	in = trunkCaller("prov", "89161234567", "74951112299")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "203"))
	// An inbound route by DID (with or without +) comes first.
	in = trunkCaller("prov", "89161234567", "74951112244")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "201"))
	// An unknown DID is refused, and nothing rings.
	in = trunkCaller("prov", "89161234567", "74950000000")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseNotFound {
		t.Errorf("unknown DID: %v, want not found", c)
	}
	b.sip.none(t)
	// A trunk caller claiming an extension's number gets no extension's
	// rights: it cannot dial out through the trunk by "calling" a number.
	in = trunkCaller("prov", "202", "84951234567")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseNotFound {
		t.Errorf("trunk caller dialling out: %v, want not found", c)
	}
	b.sip.none(t)
	b.analog.none(t)
	// FXO lines keep their own routes; the trunk route does not apply.
	in = fxoCaller(1, "5551234")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "203"))
}

func TestStatusListsTrunks(t *testing.T) {
	cfg := testConfig()
	want := []TrunkStatus{{Name: "prov", Mode: "register", State: "failed", Reason: "403 Forbidden"}}
	x, err := New(Options{Store: newFakeStore(cfg), SIP: newFakeDialer(channel.SIP), Analog: newFakeDialer(channel.FXS),
		Trunks: func() []TrunkStatus { return want }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Shutdown(context.Background()) })
	st, err := x.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Trunks, want) {
		t.Errorf("status trunks %+v, want %+v", st.Trunks, want)
	}
}
