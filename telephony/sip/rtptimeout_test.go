package sip

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// TestRTPTimeout: an answered call whose phone sends no RTP for
// RTPTimeout is hung up — a BYE to the phone, EventHangup to the exchange,
// its slot freed — for a phone that lost power never sends BYE itself.
// A phone that keeps talking, and one that holds the call and so sends
// nothing, keep their calls.
func TestRTPTimeout(t *testing.T) {
	// Two seconds: long enough that a loaded test machine's stalls do
	// not silence the talking phone for that long.
	const timeout = 2 * time.Second
	s, chans := answeringServer(t, Config{RTPTimeout: timeout})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type call struct {
		d  *sipgo.DialogClientSession
		ch channel.Channel
		m  *media.Session
	}
	place := func(ext string) call {
		t.Helper()
		p := newPhone(t, s.Addr(), ext, "secret"+ext)
		m := newMedia(t)
		d, err := p.call(ctx, "555", m, nil)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		return call{d, <-chans, m}
	}
	talking, silent, holding := place("201"), place("202"), place("203")
	go toneSource(ctx, talking.m, 440, 8000)
	// 202's media dies (no RTP, no RTCP reports either); its SIP lives on
	// to take the box's BYE.
	silent.m.Close()
	// 203 holds: a re-INVITE with a=sendonly, and then nothing at all.
	hold, err := holding.m.Offer(nil, media.SendOnly)
	if err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.INVITE, holding.d.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(hold)
	if res, err := holding.d.Do(ctx, req); err != nil || res.StatusCode != 200 {
		t.Fatalf("hold: %v %v", res, err)
	}
	if err := holding.d.WriteRequest(sip.NewRequest(sip.ACK, holding.d.InviteResponse.Contact().Address)); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, holding.ch, channel.EventHold)

	start := time.Now()
	var ended channel.Event
wait:
	for {
		select {
		case ev, ok := <-silent.ch.Events():
			if !ok {
				t.Fatal("the silent leg's events closed without EventHangup")
			}
			if ev.Type == channel.EventHangup {
				ended = ev
				break wait
			}
		case <-time.After(timeout + 5*time.Second):
			t.Fatalf("the silent call was not hung up %v after it started", time.Since(start).Round(time.Millisecond))
		}
	}
	if ended.Cause != channel.CauseFailure {
		t.Errorf("the silent call ended with cause %v, want %v", ended.Cause, channel.CauseFailure)
	}
	select {
	case <-silent.d.Context().Done(): // the phone got the box's BYE
	case <-time.After(3 * time.Second):
		t.Error("the silent phone got no BYE")
	}
	// Two more timeouts: the talking and the holding calls stay.
	time.Sleep(2 * timeout)
	for name, c := range map[string]call{"talking": talking, "holding": holding} {
		for done := false; !done; {
			select {
			case ev, ok := <-c.ch.Events():
				if !ok {
					t.Errorf("the %s call's events closed", name)
					done = true
				} else if ev.Type == channel.EventHangup {
					t.Errorf("the %s call was hung up (%v)", name, ev.Cause)
				}
			default:
				done = true
			}
		}
	}
	if n := s.ActiveCalls(); n != 2 {
		t.Errorf("%d legs left, want the talking and the holding ones", n)
	}
}
