package telephony

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// featureBox is a plan box with the new box's features (park 700 on
// 701-709, pickup *8 and **, intercom *6) and short times.
func featureBox(t *testing.T, edit func(c *store.Config)) *testBox {
	t.Helper()
	return newPlanBox(t, func(c *store.Config) {
		c.Features = store.DefaultCallFeatures()
		c.Features.TransferRecallS = 1
		c.Features.ParkTimeoutS = 1
		c.Numbering.FeatureCodes = true
		if edit != nil {
			edit(c)
		}
	}, nil)
}

// talking puts caller from in a call with SIP extension to, answered.
func talking(t *testing.T, b *testBox, from, to string) (in, out *fakeChannel) {
	t.Helper()
	in = sipCaller(from, to)
	b.x.Accept(in)
	out = expect(t, b.sip, to)
	out.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, in, out)
	return in, out
}

// steps lists a record's path as "event party to by" strings.
func steps(r store.CallRecord) []string {
	var out []string
	for _, s := range r.Path {
		out = append(out, strings.TrimSpace(strings.Join([]string{s.Event, s.Party, s.To, s.By}, " ")))
	}
	return out
}

func hasStep(r store.CallRecord, prefix string) bool {
	return slices.ContainsFunc(steps(r), func(s string) bool { return strings.HasPrefix(s, prefix) })
}

// soundAfter reports whether ch hears non-silent audio within d.
func soundAfter(ch *fakeChannel, d time.Duration) bool {
	n := len(ch.ep.heardSamples())
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s := ch.ep.heardSamples()
		for _, v := range s[n:] {
			if v > 1000 || v < -1000 {
				return true
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestSIPHoldPlaysMusicAndResumes(t *testing.T) {
	b := featureBox(t, nil)
	in, out := talking(t, b, "201", "202")
	out.emit(channel.Event{Type: channel.EventHold})
	if !soundAfter(in, 2*time.Second) {
		t.Fatal("the held caller hears no music on hold")
	}
	if hears(out, in) {
		t.Error("the holder hears the held party")
	}
	out.emit(channel.Event{Type: channel.EventUnhold})
	connected(t, in, out)
	in.end(channel.CauseNormal)
	r := b.st.waitRecord(t)
	if !hasStep(r, "held sip:201") || !hasStep(r, "resumed sip:201") {
		t.Errorf("path %v", steps(r))
	}
}

func TestBlindTransferByREFER(t *testing.T) {
	b := featureBox(t, nil)
	in, out := talking(t, b, "201", "202")
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Target: "203"}})
	out.waitNotified(t, 100)
	target := expect(t, b.sip, "203")
	if target.info.Caller.Number != "201" {
		t.Errorf("the target sees %v, want the transferred caller 201", target.info.Caller)
	}
	// The transferrer's phone is told the target rings (NOTIFY 180).
	target.emit(channel.Event{Type: channel.EventProgress})
	out.waitNotified(t, 180)
	// The transferred caller hears ringback, not silence.
	if !soundAfter(in, 2*time.Second) {
		t.Error("the transferred caller hears silence while the target rings")
	}
	target.emit(channel.Event{Type: channel.EventAnswer})
	out.waitNotified(t, 200)
	// The box ends the transferrer's leg itself: a phone that waits for
	// the box's BYE is not left holding a dead call.
	out.waitHangup(t)
	if n := out.notifications(); !slices.Equal(n, []int{100, 180, 200}) {
		t.Errorf("the transferrer was told %v, want [100 180 200]", n)
	}
	connected(t, in, target)
	in.end(channel.CauseNormal)
	target.waitHangup(t)
	r := b.st.waitRecord(t)
	want := []string{"answered sip:202", "transferred sip:201 203 202", "answered sip:203"}
	for _, w := range want {
		if !hasStep(r, w) {
			t.Errorf("path %v lacks %q", steps(r), w)
		}
	}
	if r.Destination != "sip:203" || len(r.Legs) != 3 {
		t.Errorf("record destination %q, legs %+v", r.Destination, r.Legs)
	}
}

func TestTransferToAForbiddenNumberKeepsTheCall(t *testing.T) {
	b := featureBox(t, nil)
	// 201 has no outside calls (internal class): 9 + a number is refused.
	in, out := talking(t, b, "202", "201")
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Target: "989161234567"}})
	out.waitNotified(t, 403)
	b.analog.none(t)
	connected(t, in, out)
	// A number that leads nowhere: 404; a feature code: 403.
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Target: "555"}})
	out.waitNotified(t, 404)
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Target: "*78"}})
	deadline := time.Now().Add(2 * time.Second)
	for len(out.notifications()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := out.notifications(); len(n) != 3 || n[2] != 403 {
		t.Errorf("notifications %v", n)
	}
	connected(t, in, out)
	in.end(channel.CauseNormal)
	b.st.waitRecord(t)
}

func TestBlindTransferNobodyAnswersRingsBack(t *testing.T) {
	b := featureBox(t, nil)
	in, out := talking(t, b, "201", "202")
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Target: "203"}})
	target := expect(t, b.sip, "203")
	out.end(channel.CauseNormal) // the transferrer hangs up at once
	// The recall time (1 s) passes: 203 is given up, 202 rings again.
	target.waitHangup(t)
	back := expect(t, b.sip, "202")
	if back.info.Caller.Number != "201" {
		t.Errorf("the recall shows %v, want the caller", back.info.Caller)
	}
	back.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, in, back)
	in.end(channel.CauseNormal)
	r := b.st.waitRecord(t)
	if !hasStep(r, "recalled sip:201 202") {
		t.Errorf("path %v", steps(r))
	}
}

func TestAttendedTransferByREFERWithReplaces(t *testing.T) {
	b := featureBox(t, nil)
	in, out := talking(t, b, "201", "202")
	out.emit(channel.Event{Type: channel.EventHold})
	// 202 calls 203 on its second line and talks to it.
	consult := sipCaller("202", "203")
	consult.info.ID = "in-202-consult"
	b.x.Accept(consult)
	target := expect(t, b.sip, "203")
	target.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, consult, target)
	// 202 transfers the caller to its call with 203.
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Replaces: consult.info.ID}})
	out.waitNotified(t, 200)
	if c := consult.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("the consultation leg ended %v", c)
	}
	out.waitHangup(t)
	connected(t, in, target)
	in.end(channel.CauseNormal)
	target.waitHangup(t)
	var main store.CallRecord
	for range 2 {
		if r := b.st.waitRecord(t); r.Source == "sip:201" {
			main = r
		}
	}
	if !hasStep(main, "transferred sip:201 sip:203 202") {
		t.Errorf("path %v", steps(main))
	}
}

func TestAttendedTransferNamingAStrangersCallIsRefused(t *testing.T) {
	b := featureBox(t, nil)
	in, out := talking(t, b, "201", "202")
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Replaces: "no-such-leg"}})
	out.waitNotified(t, 481)
	connected(t, in, out)
	in.end(channel.CauseNormal)
	b.st.waitRecord(t)
}

func TestGroupAndDirectedPickup(t *testing.T) {
	for _, code := range []string{"*8", "**202"} {
		t.Run(code, func(t *testing.T) {
			b := featureBox(t, nil)
			in := sipCaller("201", "202")
			b.x.Accept(in)
			ringing := expect(t, b.sip, "202")
			ringing.emit(channel.Event{Type: channel.EventProgress})
			time.Sleep(50 * time.Millisecond)
			picker := sipCaller("203", code)
			b.x.Accept(picker)
			if c := ringing.waitHangup(t); c != channel.CauseCancelled {
				t.Errorf("the ringing phone ended %v, want cancelled", c)
			}
			connected(t, in, picker)
			// The media may join a moment before the picker's answer is
			// counted on a loaded machine.
			for deadline := time.Now().Add(2 * time.Second); picker.answeredCount() == 0 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			if picker.answeredCount() != 1 {
				t.Errorf("the picker's phone was answered %d times, want once", picker.answeredCount())
			}
			in.end(channel.CauseNormal)
			picker.waitHangup(t)
			r := b.st.waitRecord(t)
			if !hasStep(r, "picked-up sip:203") || r.Destination != "sip:203" {
				t.Errorf("record %q, path %v", r.Destination, steps(r))
			}
			select {
			case extra := <-b.st.added:
				t.Errorf("the picker's own call left a record too: %+v", extra)
			case <-time.After(200 * time.Millisecond):
			}
		})
	}
}

func TestPickupGroupsKeepOthersOut(t *testing.T) {
	b := featureBox(t, func(c *store.Config) {
		c.PickupGroups = []store.PickupGroup{{Name: "sales", Members: []string{"202", "203"}}}
	})
	in := sipCaller("201", "202")
	b.x.Accept(in)
	ringing := expect(t, b.sip, "202")
	// 101 is in no group: it may not pick up 202's call.
	outsider := sipCaller("101", "*8")
	b.x.Accept(outsider)
	if c := outsider.waitHangup(t); c != channel.CauseNotFound {
		t.Errorf("outsider's pickup ended %v, want not found", c)
	}
	if ringing.isEnded() {
		t.Fatal("the ringing call was taken by an outsider")
	}
	member := sipCaller("203", "*8")
	b.x.Accept(member)
	ringing.waitHangup(t)
	connected(t, in, member)
	in.end(channel.CauseNormal)
}

func TestParkRetrieveAndTimeout(t *testing.T) {
	b := featureBox(t, func(c *store.Config) { c.Features.ParkTimeoutS = 60 })
	in, out := talking(t, b, "201", "202")
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Target: "700"}})
	out.waitNotified(t, 200)
	out.end(channel.CauseNormal)
	if !soundAfter(in, 2*time.Second) {
		t.Fatal("the parked caller hears no music")
	}
	var parked []ParkedCall
	deadline := time.Now().Add(2 * time.Second)
	for len(parked) == 0 && time.Now().Before(deadline) {
		parked = b.x.Parked()
		time.Sleep(5 * time.Millisecond)
	}
	if len(parked) != 1 || parked[0].Slot != "701" || parked[0].By != "202" {
		t.Fatalf("parked %+v", parked)
	}
	// An empty slot takes nobody.
	none := sipCaller("203", "702")
	b.x.Accept(none)
	if c := none.waitHangup(t); c != channel.CauseNotFound {
		t.Errorf("empty slot: %v", c)
	}
	taker := sipCaller("203", "701")
	b.x.Accept(taker)
	connected(t, in, taker)
	if len(b.x.Parked()) != 0 {
		t.Error("the slot is still taken")
	}
	in.end(channel.CauseNormal)
	taker.waitHangup(t)
	var r store.CallRecord
	for r.Source != "sip:201" {
		r = b.st.waitRecord(t)
	}
	if !hasStep(r, "parked sip:201 701 202") || !hasStep(r, "retrieved sip:203 701") {
		t.Errorf("path %v", steps(r))
	}
}

func TestParkTimeoutRingsTheParker(t *testing.T) {
	b := featureBox(t, nil) // park_timeout_s 1
	in, out := talking(t, b, "201", "202")
	out.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Target: "700"}})
	out.waitNotified(t, 200)
	out.end(channel.CauseNormal)
	back := expect(t, b.sip, "202")
	back.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, in, back)
	in.end(channel.CauseNormal)
}

func TestConferenceRoomMixesAndTones(t *testing.T) {
	b := featureBox(t, func(c *store.Config) {
		c.ConferenceRooms = []store.ConferenceRoom{{Name: "board", Number: "800", Quiet: true}}
	})
	b.x.prompts = testPrompts(t) // "you are alone" is short
	var members []*fakeChannel
	for _, from := range []string{"201", "202", "203"} {
		m := sipCaller(from, "800")
		b.x.Accept(m)
		members = append(members, m)
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if cs := b.x.Conferences(); len(cs) == 1 && len(cs[0].Members) == 3 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cs := b.x.Conferences()
	if len(cs) != 1 || len(cs[0].Members) != 3 {
		t.Fatalf("conferences %+v", cs)
	}
	// Everyone hears everyone else.
	for i, a := range members {
		for j, o := range members {
			if i != j && !hears(a, o) {
				t.Errorf("%s does not hear %s", a.info.ID, o.info.ID)
			}
		}
	}
	// The operator removes 203.
	if err := b.x.ConferenceAction(context.Background(), "board", members[2].info.ID, "kick"); err != nil {
		t.Fatal(err)
	}
	members[2].waitHangup(t)
	members[0].end(channel.CauseNormal)
	members[1].end(channel.CauseNormal)
	for range 3 {
		b.st.waitRecord(t)
	}
}

func TestConferencePIN(t *testing.T) {
	b := featureBox(t, func(c *store.Config) {
		c.ConferenceRooms = []store.ConferenceRoom{{Name: "board", Number: "800", PIN: "1234", Quiet: true}}
	})
	b.x.prompts = testPrompts(t)
	in := sipCaller("201", "800")
	b.x.Accept(in)
	for _, pin := range []string{"1111#", "2222#", "3333#"} {
		dial(in, pin)
	}
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("three wrong PINs: %v", c)
	}
	if cs := b.x.Conferences(); len(cs) != 0 {
		t.Errorf("a caller without the PIN got in: %+v", cs)
	}
}

func TestOperatorActions(t *testing.T) {
	b := featureBox(t, nil)
	in, out := talking(t, b, "201", "202")
	var id string
	st, _ := b.x.Status(context.Background())
	for _, c := range st.Calls {
		if c.FromLeg == in.info.ID {
			id = c.ID
		}
	}
	if id == "" {
		t.Fatalf("call not in status: %+v", st.Calls)
	}
	ctx := context.Background()
	if err := b.x.CallAction(ctx, id, "hold", in.info.ID, ""); err != nil {
		t.Fatal(err)
	}
	if !soundAfter(in, 2*time.Second) {
		t.Error("held by the operator: no music")
	}
	if err := b.x.CallAction(ctx, id, "resume", in.info.ID, ""); err != nil {
		t.Fatal(err)
	}
	connected(t, in, out)
	if err := b.x.CallAction(ctx, id, "transfer", in.info.ID, "203"); err != nil {
		t.Fatal(err)
	}
	out.waitHangup(t)
	target := expect(t, b.sip, "203")
	target.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, in, target)
	if err := b.x.CallAction(ctx, id, "hangup", "", ""); err != nil {
		t.Fatal(err)
	}
	in.waitHangup(t)
	target.waitHangup(t)
	if err := b.x.CallAction(ctx, "c999", "hangup", "", ""); err == nil {
		t.Error("an unknown call: no error")
	}
	if err := b.x.CallAction(ctx, id, "explode", "", ""); err == nil {
		t.Error("an unknown action: no error")
	}
}

func TestDNDFeatureCodeAndBusyHandling(t *testing.T) {
	b := featureBox(t, nil)
	b.x.prompts = testPrompts(t)
	on := sipCaller("202", "*78")
	b.x.Accept(on)
	on.waitHangup(t)
	b.st.waitRecord(t)
	if ru, ok := b.x.plan(b.x.config()).rules["202"]; !ok || !ru.DND {
		t.Fatalf("*78 did not set DND: %+v", ru)
	}
	st, _ := b.x.Status(context.Background())
	if i := slices.IndexFunc(st.Extensions, func(e ExtensionState) bool { return e.Number == "202" }); i < 0 || !st.Extensions[i].DND {
		t.Errorf("status extensions %+v", st.Extensions)
	}
	in := sipCaller("201", "202")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseBusy {
		t.Errorf("a call to a DND extension: %v, want busy", c)
	}
	b.sip.none(t)
	off := sipCaller("202", "*79")
	b.x.Accept(off)
	off.waitHangup(t)
	if ru, ok := b.x.plan(b.x.config()).rules["202"]; ok && ru.DND {
		t.Error("*79 did not clear DND")
	}
}

func TestIntercomAsksToAutoAnswer(t *testing.T) {
	b := featureBox(t, nil)
	var got channel.Request
	d := &recordingDialer{fakeDialer: b.sip, last: &got}
	b.x.sipDialer = d
	in := sipCaller("201", "*4202")
	b.x.Accept(in)
	out := expect(t, b.sip, "202")
	if !d.lastReq().AutoAnswer {
		t.Error("the intercom call does not ask to answer by itself")
	}
	out.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, in, out)
	in.end(channel.CauseNormal)
}

// recordingDialer is a fake dialer that keeps the last request.
type recordingDialer struct {
	*fakeDialer
	last *channel.Request
}

func (d *recordingDialer) Dial(ctx context.Context, req channel.Request) (channel.Channel, error) {
	d.mu.Lock()
	*d.last = req
	d.mu.Unlock()
	return d.fakeDialer.Dial(ctx, req)
}

func (d *recordingDialer) lastReq() channel.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return *d.last
}

// A SIP phone's three-way call through the box: the ad-hoc conference
// code opens a room, a blind transfer from it adds a number, an attended
// one adds the phone's other call.
func TestAdhocConferenceFromASIPPhone(t *testing.T) {
	b := featureBox(t, nil)
	b.x.prompts = testPrompts(t)
	// 201 talks to 203 on one line.
	other := sipCaller("201", "203")
	other.info.ID = "in-201-line2"
	b.x.Accept(other)
	with203 := expect(t, b.sip, "203")
	with203.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, other, with203)
	// On another line it opens a conference.
	me := sipCaller("201", "*3")
	b.x.Accept(me)
	deadline := time.Now().Add(3 * time.Second)
	for len(b.x.Conferences()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	me.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Target: "202"}})
	guest := expect(t, b.sip, "202")
	guest.emit(channel.Event{Type: channel.EventAnswer})
	me.waitNotified(t, 200)
	connected(t, me, guest)
	me.emit(channel.Event{Type: channel.EventTransfer, Transfer: &channel.Transfer{Replaces: other.info.ID}})
	other.waitHangup(t)
	for _, pair := range [][2]*fakeChannel{{me, with203}, {with203, guest}, {guest, me}} {
		if !hears(pair[0], pair[1]) || !hears(pair[1], pair[0]) {
			t.Errorf("%s and %s do not hear each other", pair[0].info.ID, pair[1].info.ID)
		}
	}
	cs := b.x.Conferences()
	if len(cs) != 1 || len(cs[0].Members) != 3 {
		t.Fatalf("conferences %+v", cs)
	}
	for _, c := range []*fakeChannel{me, with203, guest} {
		c.end(channel.CauseNormal)
	}
}

// TestVoiceBandDataOnBothLegs: a leg that heard fax tones and switched to
// voice-band data (EventVoiceBandData) has the leg bridged to it switched
// too, and only that one; the call goes on.
func TestVoiceBandDataOnBothLegs(t *testing.T) {
	b := featureBox(t, nil)
	in, out := talking(t, b, "201", "202")
	in.mu.Lock()
	in.vbdSelf = true
	in.mu.Unlock()
	in.emit(channel.Event{Type: channel.EventVoiceBandData})
	deadline := time.Now().Add(2 * time.Second)
	for len(out.voiceBandData()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := out.voiceBandData()
	if len(got) != 1 || !strings.Contains(got[0], "fax tones heard by") {
		t.Fatalf("the called leg was switched %q, want once, for the caller's fax tones", got)
	}
	if w := in.voiceBandData(); len(w) != 0 {
		t.Errorf("the leg that switched itself was asked again: %q", w)
	}
	connected(t, in, out)
}

// TestVoiceBandDataBeforeTheBridge: a caller whose port heard fax tones
// while the call still rang (its event went to the dialling step) has
// the called leg switched when the two are bridged.
func TestVoiceBandDataBeforeTheBridge(t *testing.T) {
	b := featureBox(t, nil)
	in := sipCaller("201", "202")
	in.vbdSelf = true // heard CNG before it was accepted
	b.x.Accept(in)
	out := expect(t, b.sip, "202")
	out.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, in, out)
	if got := out.voiceBandData(); len(got) != 1 || !strings.Contains(got[0], "fax tones heard by") {
		t.Fatalf("the called leg was switched %q, want once when bridged", got)
	}
}
