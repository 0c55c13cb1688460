package telephony

import (
	"testing"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// TestCallerListsPerRoute: a list an inbound route names applies to that
// route's calls only, after the box-wide lists; lists no route names
// apply everywhere.
func TestCallerListsPerRoute(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.Classifiers = []store.Classifier{
			{Name: "nuisance", Action: "reject", Numbers: []string{"84950000000"}},
			{Name: "sales-block", Action: "reject", Numbers: []string{"84951111111"}},
			{Name: "vip", Action: "route", Numbers: []string{"89161234567", "84951111111"}, Destination: "ext:203"},
		}
		c.InboundRoutes = []store.InboundRoute{
			{Name: "sales", Lines: []int{1}, Destination: "ext:201", Classifiers: []string{"sales-block"}},
			{Name: "office", Lines: []int{2}, Destination: "ext:202", Classifiers: []string{"vip"}},
		}
	}, nil)
	reject := func(line int, caller, list string) {
		t.Helper()
		in := fxoCaller(line, caller)
		b.x.Accept(in)
		if c := in.waitHangup(t); c != channel.CauseRejected {
			t.Errorf("line %d, %s: %v, want rejected", line, caller, c)
		}
		if r := b.st.waitRecord(t); r.Disposition != "rejected" || r.Callee != "classifier:"+list {
			t.Errorf("line %d, %s: record %+v", line, caller, r)
		}
	}
	reaches := func(line int, caller, ext string) {
		t.Helper()
		in := fxoCaller(line, caller)
		b.x.Accept(in)
		if r := answerAndEnd(t, b, in, expect(t, b.sip, ext)); r.Disposition != "answered" {
			t.Errorf("line %d, %s: record %+v", line, caller, r)
		}
	}

	// Blacklisted on the sales route only.
	reject(1, "84951111111", "sales-block")
	// On line 2 the same caller is on the office route's VIP list: the
	// sales route's blacklist does not apply there.
	reaches(2, "84951111111", "203")
	// The VIP list is the office route's only: on line 1 the VIP goes
	// where every sales call goes.
	reaches(1, "89161234567", "201")
	reaches(2, "89161234567", "203")
	// The box-wide list still applies on every line, before the route's.
	reject(1, "84950000000", "nuisance")
	reject(2, "84950000000", "nuisance")
	// Callers on no list reach the route's destination.
	reaches(2, "84952222222", "202")
	b.sip.none(t)
}

// TestBoxWideListOrderBeforeRouteList: a box-wide list wins over a
// route's own list that also matches (box-wide lists are checked first).
func TestBoxWideListOrderBeforeRouteList(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		c.Classifiers = []store.Classifier{
			{Name: "route-vip", Action: "route", Numbers: []string{"8495."}, Destination: "ext:203"},
			{Name: "everyone-block", Action: "reject", Numbers: []string{"84950000000"}},
		}
		c.InboundRoutes = []store.InboundRoute{{Name: "main", Destination: "ext:201", Classifiers: []string{"route-vip"}}}
	}, nil)
	in := fxoCaller(1, "84950000000")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseRejected {
		t.Fatalf("caller on the box-wide blacklist: %v, want rejected", c)
	}
	if r := b.st.waitRecord(t); r.Callee != "classifier:everyone-block" {
		t.Errorf("record %+v", r)
	}
	in = fxoCaller(1, "84957777777")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "203"))
}

// TestCallerListsOnTrunkRoutes: a trunk route's own list applies to calls
// to its DIDs only; a DID no route covers meets the box-wide lists alone.
func TestCallerListsOnTrunkRoutes(t *testing.T) {
	b := newPlanBox(t, func(c *store.Config) {
		trunkPlan(c)
		c.Classifiers = []store.Classifier{{Name: "fax-spam", Action: "reject", Numbers: []string{"8800."}}}
		c.InboundRoutes[0].Classifiers = []string{"fax-spam"}
	}, nil)
	in := trunkCaller("prov", "88005553535", "74951112244")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseRejected {
		t.Errorf("listed caller on the fax route: %v, want rejected", c)
	}
	if r := b.st.waitRecord(t); r.Callee != "classifier:fax-spam" {
		t.Errorf("record %+v", r)
	}
	// The same caller to the main number (the trunk's DID table) goes through.
	in = trunkCaller("prov", "88005553535", "74951112233")
	b.x.Accept(in)
	answerAndEnd(t, b, in, expect(t, b.sip, "202"))
}
