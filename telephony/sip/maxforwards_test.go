package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// forwarder stands in for the exchange: it forwards each inbound call to
// target with the caller's hop limit (channel.NextHop), answers the
// caller when the callee answers, and gives the caller the dial's (or
// the callee's) cause when it fails. It does not bridge the media.
func forwarder(t *testing.T, s **Server, target string) func(channel.Channel) {
	return func(in channel.Channel) {
		out, err := (*s).Dialer().Dial(context.Background(), channel.Request{Target: target, Hops: channel.NextHop(in)})
		var de *channel.DialError
		if errors.As(err, &de) {
			_ = in.Hangup(de.Cause)
			return
		}
		if err != nil {
			t.Error(err)
			_ = in.Hangup(channel.CauseFailure)
			return
		}
		for ev := range out.Events() {
			switch ev.Type {
			case channel.EventAnswer:
				if err := in.Answer(context.Background()); err != nil {
					t.Error(err)
				}
			case channel.EventHangup:
				_ = in.Hangup(ev.Cause)
			}
		}
	}
}

// A call the box forwards carries the caller's Max-Forwards less one
// (RFC 3261 §16.6): an INVITE with 5 reaches the callee with 4; one with
// 0 is still taken by the box (challenged, authenticated: it is addressed
// to us) but cannot be forwarded: 483 Too Many Hops.
func TestMaxForwardsAcrossTheB2BUA(t *testing.T) {
	var s *Server
	s = startServer(t, Config{OnCall: forwarder(t, &s, "202")})
	callee := newPhone(t, s.Addr(), "202", "secret202")
	callee.register("secret202", 300)
	r := newRaw(t, s.Addr())
	ma := newMedia(t)
	offer, _ := ma.Offer(nil, media.SendRecv)
	invite := func(mf int) string {
		res := r.send(strings.Replace(rawInvite(r, "201", "202", offer, ""), "Max-Forwards: 70", fmt.Sprint("Max-Forwards: ", mf), 1), time.Second)
		if res == nil || res.StatusCode != 407 {
			t.Fatalf("Max-Forwards %d: %v, want 407 (processed, not refused)", mf, res)
		}
		ackRaw(r, res)
		auth := digestFor(header(res, "Proxy-Authenticate"), "INVITE", "sip:202@"+r.pbx.String(), "201", "secret201", 1)
		return strings.Replace(rawInvite(r, "201", "202", offer, auth), "Max-Forwards: 70", fmt.Sprint("Max-Forwards: ", mf), 1)
	}

	if _, err := r.conn.Write([]byte(invite(5))); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-callee.calls:
		if mf := c.req.MaxForwards(); mf == nil || mf.Val() != 4 {
			t.Fatalf("the callee got Max-Forwards %v, want 4", mf)
		}
		c.dlg.Respond(486, "Busy Here", nil)
		c.done()
	case <-time.After(2 * time.Second):
		t.Fatal("the call was not forwarded")
	}
	if res := r.read(2 * time.Second); res == nil || res.StatusCode != 486 {
		t.Fatalf("caller: %v, want the callee's 486", res)
	}

	res := r.send(invite(0), 2*time.Second)
	if res == nil || res.StatusCode != 483 || res.Reason != "Too Many Hops" {
		t.Fatalf("Max-Forwards 0: %v, want 483 Too Many Hops", res)
	}
	ackRaw(r, res)
	select {
	case <-callee.calls:
		t.Fatal("a call with no hop left was forwarded")
	case <-time.After(100 * time.Millisecond):
	}
}

// A trunk call carries the hop limit to the provider; with none left the
// dial fails as a loop before anything is sent, and a provider's 483 is
// a loop too.
func TestMaxForwardsToATrunk(t *testing.T) {
	p := newProvider(t)
	s := trunkServer(t, p.trunk(), nil)
	waitTrunk(t, s, "prov", TrunkRegistered)
	ch, err := s.Dialer().Dial(context.Background(), channel.Request{Target: TrunkTarget("prov", "84951234567"),
		Hops: channel.HopLimit{Set: true, Left: 3}})
	if err != nil {
		t.Fatal(err)
	}
	nextEvent(t, ch, channel.EventAnswer)
	p.mu.Lock()
	inv := p.invites[0]
	p.mu.Unlock()
	if mf := inv.MaxForwards(); mf == nil || mf.Val() != 3 {
		t.Errorf("provider got Max-Forwards %v, want 3", mf)
	}
	_ = ch.Hangup(channel.CauseNormal)
	waitFor(t, func() bool { st, _ := s.TrunkStatus("prov"); return st.ActiveCalls == 0 }, "slot released")

	_, err = s.Dialer().Dial(context.Background(), channel.Request{Target: TrunkTarget("prov", "84951234567"),
		Hops: channel.HopLimit{Set: true, Left: -1}})
	var de *channel.DialError
	if !errors.As(err, &de) || de.Cause != channel.CauseLoop {
		t.Fatalf("no hop left: %v, want a loop", err)
	}
	p.mu.Lock()
	p.inviteSt = 483
	p.mu.Unlock()
	ch, err = s.Dialer().Dial(context.Background(), channel.Request{Target: TrunkTarget("prov", "84951234567")})
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, ch, channel.EventHangup); ev.Cause != channel.CauseLoop {
		t.Errorf("483 from provider: cause %v", ev.Cause)
	}
}
