package telephony

import (
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// phoneTalking is analog phone 101 (FXS port 1) in a call with SIP
// extension 202.
func phoneTalking(t *testing.T, b *testBox) (ph, o *fakeChannel) {
	t.Helper()
	ph = fxsCaller("1")
	b.x.Accept(ph)
	dial(ph, "202")
	o = expect(t, b.sip, "202")
	o.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, ph, o)
	return ph, o
}

func flash(c *fakeChannel) { c.emit(channel.Event{Type: channel.EventFlash}) }

func TestFlashBlindTransfer(t *testing.T) {
	b := featureBox(t, nil)
	ph, o := phoneTalking(t, b)
	flash(ph)
	if !soundAfter(o, 2*time.Second) {
		t.Fatal("the held party hears no music after the flash")
	}
	dial(ph, "#203#")
	target := expect(t, b.sip, "203")
	if target.info.Caller.Number != "202" {
		t.Errorf("the target sees %v, want 202", target.info.Caller)
	}
	ph.waitHangup(t) // the analog transferrer is released
	target.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, o, target)
	o.end(channel.CauseNormal)
	r := b.st.waitRecord(t)
	if !hasStep(r, "transferred sip:202 203 101") {
		t.Errorf("path %v", steps(r))
	}
}

func TestFlashAttendedTransferAndGoingBack(t *testing.T) {
	b := featureBox(t, nil)
	ph, o := phoneTalking(t, b)
	// *203#: talk to 203, then flash to go back to the held party.
	flash(ph)
	dial(ph, "*203#")
	target := expect(t, b.sip, "203")
	target.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, ph, target)
	if hears(o, ph) {
		t.Error("the held party hears the consultation")
	}
	flash(ph)
	target.waitHangup(t)
	connected(t, ph, o)
	// Again, and hang up to complete the transfer.
	flash(ph)
	dial(ph, "*203#")
	target = expect(t, b.sip, "203")
	target.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, ph, target)
	ph.end(channel.CauseNormal)
	connected(t, o, target)
	o.end(channel.CauseNormal)
	r := b.st.waitRecord(t)
	if !hasStep(r, "consulted sip:203 203 101") || !hasStep(r, "transferred sip:202 sip:203 101") {
		t.Errorf("path %v", steps(r))
	}
}

func TestFlashThreeWayCall(t *testing.T) {
	b := featureBox(t, nil)
	ph, o := phoneTalking(t, b)
	flash(ph)
	dial(ph, "203")
	third := expect(t, b.sip, "203")
	third.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, ph, third)
	flash(ph) // join all three
	for _, pair := range [][2]*fakeChannel{{ph, o}, {ph, third}, {o, third}, {o, ph}, {third, ph}, {third, o}} {
		if !hears(pair[0], pair[1]) {
			t.Errorf("%s does not hear %s in the three-way call", pair[0].info.ID, pair[1].info.ID)
		}
	}
	flash(ph) // drop the last one added
	third.waitHangup(t)
	connected(t, ph, o)
	ph.end(channel.CauseNormal)
	r := b.st.waitRecord(t)
	if !hasStep(r, "three-way sip:203 203 101") || !hasStep(r, "conference sip:202 sip:203 101") {
		t.Errorf("path %v", steps(r))
	}
}

func TestFlashParkAndRetrieve(t *testing.T) {
	b := featureBox(t, func(c *store.Config) { c.Features.ParkTimeoutS = 60 })
	b.x.prompts = testPrompts(t)
	ph, o := phoneTalking(t, b)
	flash(ph)
	dial(ph, "700")
	ph.waitHangup(t)
	if !heardSaying(t, ph.ep.heardSamples(), b.x.prompts, "parked-at", "7", "0", "1") {
		t.Error("the parker did not hear the slot")
	}
	taker := sipCaller("203", "701")
	b.x.Accept(taker)
	connected(t, o, taker)
	o.end(channel.CauseNormal)
}

func TestFlashThenHangUpRingsThePhoneAgain(t *testing.T) {
	b := featureBox(t, nil)
	ph, o := phoneTalking(t, b)
	flash(ph)
	time.Sleep(100 * time.Millisecond)
	ph.end(channel.CauseNormal)
	again := expect(t, b.analog, "fxs:1")
	if again.info.Caller.Number != "202" {
		t.Errorf("the reminder ring shows %v", again.info.Caller)
	}
	again.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, o, again)
	o.end(channel.CauseNormal)
}

func TestFlashWithNothingDialledGoesBack(t *testing.T) {
	b := featureBox(t, nil)
	ph, o := phoneTalking(t, b)
	flash(ph)
	time.Sleep(100 * time.Millisecond)
	flash(ph)
	connected(t, ph, o)
	// A refused number: the refusal tone, then the held party back.
	flash(ph)
	dial(ph, "#555#")
	time.Sleep(2 * time.Second)
	connected(t, ph, o)
	ph.end(channel.CauseNormal)
}

func TestCallWaitingOnAnAnalogPhone(t *testing.T) {
	b := featureBox(t, nil)
	ph, o := phoneTalking(t, b)
	// 203 calls 101 while it talks: the phone is alerted, not rung.
	in := sipCaller("203", "101")
	b.x.Accept(in)
	if c := ph.waitAlerted(t); c.Number != "203" {
		t.Errorf("call waiting shows %v", c)
	}
	sipLeg := expect(t, b.sip, "101") // 101's SIP phones ring too
	b.analog.none(t)                  // the busy port is not dialled
	flash(ph)                         // take the waiting call
	sipLeg.waitHangup(t)
	connected(t, ph, in)
	if !soundAfter(o, 2*time.Second) {
		t.Error("the first party hears no music while the phone takes the waiting call")
	}
	flash(ph) // back to the first call
	connected(t, ph, o)
	if !soundAfter(in, 2*time.Second) {
		t.Error("the waiting caller hears no music while on hold")
	}
	flash(ph)
	connected(t, ph, in)
	// Hanging up with a party on hold rings the phone again for it.
	ph.end(channel.CauseNormal)
	in.waitHangup(t)
	again := expect(t, b.analog, "fxs:1")
	again.emit(channel.Event{Type: channel.EventAnswer})
	connected(t, o, again)
	o.end(channel.CauseNormal)
}

func TestCallWaitingOffGivesBusy(t *testing.T) {
	b := featureBox(t, func(c *store.Config) {
		c.ExtensionRules = []store.ExtensionRule{{Extension: "101", NoCallWaiting: true}}
	})
	ph, _ := phoneTalking(t, b)
	in := sipCaller("203", "101")
	b.x.Accept(in)
	port := expect(t, b.analog, "fxs:1") // dialled: the port answers busy
	port.end(channel.CauseBusy)
	sipLeg := expect(t, b.sip, "101")
	sipLeg.end(channel.CauseUnavailable)
	if c := in.waitHangup(t); c != channel.CauseBusy {
		t.Errorf("caller got %v, want busy", c)
	}
	ph.mu.Lock()
	n := len(ph.cwAlerts)
	ph.mu.Unlock()
	if n != 0 {
		t.Error("the phone was alerted with call waiting off")
	}
}
