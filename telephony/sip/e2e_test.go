package sip

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
	"minipbx/telephony/media"
)

// TestCallToneBothWays: two phones register, one calls the other through
// the server, a 1 kHz tone crosses both ways and is measured at each end,
// and BYE ends both legs.
func TestCallToneBothWays(t *testing.T) {
	r := newRouter(t)
	s := startServer(t, Config{OnCall: r.onCall})
	r.s = s
	a := newPhone(t, s.Addr(), "201", "secret201")
	b := newPhone(t, s.Addr(), "202", "secret202")
	if res := a.register("secret201", 300); res.StatusCode != 200 {
		t.Fatalf("register 201: %d", res.StatusCode)
	}
	if res := b.register("secret202", 300); res.StatusCode != 200 {
		t.Fatalf("register 202: %d", res.StatusCode)
	}

	ma, mb := newMedia(t), newMedia(t)
	recA, recB := &recorder{}, &recorder{}
	ma.SetSink(recA)
	mb.SetSink(recB)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got180 := make(chan struct{}, 4)
	type result struct {
		err error
	}
	dialDone := make(chan result, 1)
	var dlg interface{ Bye(context.Context) error }
	go func() {
		d, err := a.call(ctx, "202", ma, func(r *sip.Response) {
			if r.StatusCode == 180 {
				got180 <- struct{}{}
			}
		})
		dlg = d
		dialDone <- result{err}
	}()
	in := b.nextCall(t, 5*time.Second)
	if from := in.req.From(); from.Address.User != "201" {
		t.Errorf("callee sees caller %q, want 201", from.Address.User)
	}
	in.answer(t, mb)
	if r := <-dialDone; r.err != nil {
		t.Fatalf("call: %v", r.err)
	}
	select {
	case <-got180:
	default:
		t.Error("caller got no 180 Ringing")
	}
	if ma.Codec() != media.PCMU || mb.Codec() != media.PCMU {
		t.Errorf("codecs %v/%v, want PCMU both", ma.Codec(), mb.Codec())
	}

	toneCtx, stopTone := context.WithCancel(ctx)
	go toneSource(toneCtx, ma, 1000, 0.3*32767) // ≈ -10.5 dBFS RMS
	go toneSource(toneCtx, mb, 1000, 0.1*32767) // ≈ -20 dBFS RMS
	time.Sleep(700 * time.Millisecond)
	stopTone()

	check := func(name string, rec *recorder, wantDB float64) {
		s := rec.snapshot()
		if len(s) < 3000 {
			t.Fatalf("%s received %d samples, want ≥3000", name, len(s))
		}
		s = s[800:] // skip the start
		ratio, db := toneAnalysis(s, 1000)
		if ratio < 0.95 {
			t.Errorf("%s: 1 kHz holds %.2f of the energy, want ≥0.95", name, ratio)
		}
		if math.Abs(db-wantDB) > 1.0 {
			t.Errorf("%s: level %.1f dBFS, want %.1f±1", name, db, wantDB)
		}
		t.Logf("%s: %d samples, 1 kHz ratio %.3f, level %.1f dBFS", name, len(s), ratio, db)
	}
	check("callee hears caller", recB, 20*math.Log10(0.3/math.Sqrt2))
	check("caller hears callee", recA, 20*math.Log10(0.1/math.Sqrt2))

	if err := dlg.Bye(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	select {
	case c := <-r.ended:
		if c != channel.CauseNormal {
			t.Errorf("call ended with %v, want normal", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("router did not see the hang-up")
	}
	select {
	case <-b.byes:
	case <-time.After(5 * time.Second):
		t.Fatal("callee got no BYE")
	}
	waitFor(t, func() bool { return s.ActiveCalls() == 0 }, "no active calls")
}

func waitFor(t testing.TB, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
