package analog

import (
	"context"
	"errors"
	"testing"
	"time"

	"minipbx/board"
	"minipbx/telephony/channel"
)

// A reservation waits for the call on the port to end, keeps calls off the
// port while held, and gives the port back afterwards.
func TestReserveWaitsForCallAndKeepsCallsOff(t *testing.T) {
	r := newRig(t, "us")
	ph := r.b.Phone(1)
	ph.OffHook()
	c := r.call(5 * time.Second)

	got := make(chan *Reservation, 1)
	errc := make(chan error, 1)
	go func() {
		res, err := r.m.Reserve(r.ctx(20*time.Second), board.FXS, 1)
		if err != nil {
			errc <- err
			return
		}
		got <- res
	}()
	r.frames(25) // half a second with the phone in its call
	select {
	case <-got:
		t.Fatal("reserved a port in a call")
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	ph.OnHook()
	expectEnd(t, c, channel.CauseNormal, 5*time.Second)
	var res *Reservation
	select {
	case res = <-got:
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("not reserved after the call ended")
	}
	if res.Busy() {
		t.Fatal("busy right after reserving")
	}
	_, err := r.m.Dialer().Dial(r.ctx(5*time.Second), channel.Request{Target: "fxs:1"})
	var de *channel.DialError
	if !errors.As(err, &de) || de.Cause != channel.CauseBusy {
		t.Fatalf("dial to a reserved port: %v, want busy", err)
	}
	// A user lifting the phone wins over the test.
	ph.OffHook()
	c2 := r.call(5 * time.Second)
	if !res.Busy() {
		t.Fatal("not busy after the phone went off hook")
	}
	res.Release()
	res.Release()
	ph.OnHook()
	expectEnd(t, c2, channel.CauseNormal, 5*time.Second)
	if st := r.m.PortStates()[0].State; st == "testing" {
		t.Fatalf("state %q after release", st)
	}
}

func TestReserveFXOSeize(t *testing.T) {
	r := newRig(t, "us")
	res, err := r.m.Reserve(r.ctx(5*time.Second), board.FXO, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.m.Dialer().Dial(r.ctx(5*time.Second), channel.Request{Target: "fxo@1:123"}); err == nil {
		t.Fatal("dialled out on a reserved line")
	}
	if err := res.Seize(r.ctx(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if !r.b.Line(1).Seized() {
		t.Fatal("line not seized")
	}
	res.Release()
	if r.b.Line(1).Seized() {
		t.Fatal("line still seized after release")
	}
	if _, err := r.m.Reserve(r.ctx(5*time.Second), board.FXO, 9); err == nil {
		t.Fatal("reserved a port that does not exist")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.m.Reserve(ctx, board.FXO, 1); err == nil {
		t.Fatal("reserved with a cancelled context")
	}
}
