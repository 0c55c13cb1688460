package webui

import (
	"fmt"
	"testing"
	"time"

	"minipbx/telephony"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// busyOperator is a busy receptionist's box: 20 calls with a path of six
// steps each, 9 parked calls, a conference of 10 and 40 extensions.
func busyOperator(s *telephony.Status) {
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	s.Calls, s.Parked, s.Conferences, s.Extensions = nil, nil, nil, nil
	for i := range 20 {
		ext := fmt.Sprint(101 + i)
		c := telephony.CallStatus{ID: fmt.Sprintf("c%d", i), Caller: channel.CallerID{Number: "5550100", Name: "Caller"}, Callee: ext,
			From: "fxo:1", FromLeg: fmt.Sprintf("fxo-1-%d", i), To: "sip:" + ext, ToLeg: fmt.Sprintf("sip-%d", i), State: "answered", Started: t0}
		for j, ev := range []string{"answered", "held", "resumed", "held", "resumed", "forwarded"} {
			c.Path = append(c.Path, store.CallStep{Time: t0.Add(time.Duration(j) * time.Second), Event: ev, Party: "fxo:1", By: ext, To: "ext:" + ext})
		}
		s.Calls = append(s.Calls, c)
	}
	for i := range 9 {
		s.Parked = append(s.Parked, telephony.ParkedCall{Slot: fmt.Sprint(701 + i), Caller: channel.CallerID{Number: "5550199"}, Party: "fxo:2", By: "101", Since: t0})
	}
	room := telephony.ConferenceStatus{Name: "meeting", Number: "800"}
	for i := range 10 {
		room.Members = append(room.Members, telephony.ConferenceMember{ID: fmt.Sprintf("m%d", i), Party: fmt.Sprint(201 + i), Joined: t0})
	}
	s.Conferences = []telephony.ConferenceStatus{room}
	for i := range 40 {
		s.Extensions = append(s.Extensions, telephony.ExtensionState{Number: fmt.Sprint(101 + i), State: "busy", DND: i%5 == 0})
	}
}

// BenchmarkStatusLive measures drawing the operator's view, which every
// open status page reads again at each status event.
func BenchmarkStatusLive(b *testing.B) {
	f := newFixture(b)
	c := f.client()
	c.ready()
	f.svc.emit("call", busyOperator)
	b.ReportAllocs()
	for b.Loop() {
		if w := c.get("/status/live"); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
