package sip

import (
	"context"
	"runtime"
	"testing"
	"time"
	"weak"

	"minipbx/telephony/channel"
)

// TestEndedLegsAreFreed: once a call is over, its legs and their RTP
// sessions can be collected, though sipgo keeps the call's INVITE
// transactions (and their handlers) for 32 s after the answer: each
// leg held so cost some 20–30 KB a call, which under 50 calls a second
// kept tens of megabytes for nothing.
func TestEndedLegsAreFreed(t *testing.T) {
	s, chans := answeringServer(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Inbound: 201 calls, the server answers, 201 hangs up.
	a := newPhone(t, s.Addr(), "201", "secret201")
	d, err := a.call(ctx, "555", newMedia(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := <-chans
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, in, channel.EventHangup)
	// Outbound: the server calls 202, which answers; the server hangs up.
	b := newPhone(t, s.Addr(), "202", "secret202")
	b.register("secret202", 300)
	out, err := s.Dialer().Dial(ctx, channel.Request{Target: "202", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	call := b.nextCall(t, 2*time.Second)
	answer, _, err := newMedia(t).AnswerOffer(call.req.Body())
	if err != nil {
		t.Fatal(err)
	}
	if err := call.dlg.RespondSDP(answer); err != nil {
		t.Fatal(err)
	}
	call.done()
	nextEvent(t, out, channel.EventAnswer)
	_ = out.Hangup(channel.CauseNormal)

	legs := map[string]weak.Pointer[leg]{"inbound": weak.Make(in.(*leg)), "outbound": weak.Make(out.(*leg))}
	in, out = nil, nil
	// Within 12 s: well short of the INVITE transactions' 32 s, and beyond
	// the 5 s (Timer K) a finished BYE transaction lingers over UDP.
	for name, w := range legs {
		for deadline := time.Now().Add(12 * time.Second); w.Value() != nil; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("the %s leg is still in memory 12 s after its call ended", name)
				break
			}
			runtime.GC()
		}
	}
}
