package telephony

import (
	"context"
	"testing"
	"time"

	"minipbx/telephony/channel"
)

// hopCaller is a SIP caller whose INVITE carried a Max-Forwards.
type hopCaller struct {
	*fakeChannel
	maxForwards int
}

func (c hopCaller) MaxForwards() int { return c.maxForwards }

// hopDialer records the hop limit of each dial, and fails one with no hop
// left as the SIP dialer does.
type hopDialer struct {
	*fakeDialer
	hops chan channel.HopLimit
}

func (d hopDialer) Dial(ctx context.Context, req channel.Request) (channel.Channel, error) {
	d.hops <- req.Hops
	if req.Hops.Set && req.Hops.Left < 0 {
		return nil, &channel.DialError{Cause: channel.CauseLoop}
	}
	return d.fakeDialer.Dial(ctx, req)
}

// A call the exchange forwards carries the caller's Max-Forwards less
// one; a caller with none left gets the loop cause (483), whatever else
// the dial plan tried.
func TestHopLimitForwarded(t *testing.T) {
	d := hopDialer{newFakeDialer(channel.SIP), make(chan channel.HopLimit, 4)}
	x, err := New(Options{Store: newFakeStore(testConfig()), SIP: d, Analog: newFakeDialer(channel.FXS)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = x.Shutdown(ctx)
	})
	hops := func() channel.HopLimit {
		select {
		case h := <-d.hops:
			return h
		case <-time.After(5 * time.Second):
			t.Fatal("nothing dialled")
		}
		return channel.HopLimit{}
	}

	x.Accept(hopCaller{sipCaller("201", "202"), 5})
	if h := hops(); !h.Set || h.Left != 4 {
		t.Fatalf("hop limit %+v, want 4 left", h)
	}
	d.next(t).Hangup(channel.CauseBusy)

	in := sipCaller("201", "202")
	x.Accept(hopCaller{in, 0})
	if h := hops(); !h.Set || h.Left != -1 {
		t.Fatalf("hop limit %+v, want none left", h)
	}
	if c := in.waitHangup(t); c != channel.CauseLoop || c.SIPStatus() != 483 {
		t.Fatalf("caller ended with %v, want loop (483)", c)
	}

	// A caller that carries no limit (an analog port) sets none.
	x.Accept(sipCaller("201", "202"))
	if h := hops(); h.Set {
		t.Fatalf("hop limit %+v from a caller without one", h)
	}
}
