package telephony

import (
	"context"
	"errors"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
)

type testBox struct {
	x      *Exchange
	st     *fakeStore
	sip    *fakeDialer
	analog *fakeDialer
}

func newTestBox(t *testing.T) *testBox {
	t.Helper()
	st := newFakeStore(testConfig())
	sip, analog := newFakeDialer(channel.SIP), newFakeDialer(channel.FXS)
	x, err := New(Options{Store: st, SIP: sip, Analog: analog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := x.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return &testBox{x: x, st: st, sip: sip, analog: analog}
}

func sipCaller(from, to string) *fakeChannel {
	return newFakeChannel(channel.Info{ID: "in-" + from, Kind: channel.SIP, Endpoint: from, Direction: "in",
		Caller: channel.CallerID{Number: from}, Dialled: to})
}

func TestSIPCallAnsweredAndBridged(t *testing.T) {
	b := newTestBox(t)
	in := sipCaller("201", "202")
	b.x.Accept(in)
	out := b.sip.next(t)
	if out.info.Endpoint != "202" {
		t.Fatalf("dialled %q, want 202", out.info.Endpoint)
	}
	if out.info.Caller.Number != "201" || out.info.Caller.Name != "Carol" {
		t.Errorf("presented caller %v, want Carol <201>", out.info.Caller)
	}
	out.emit(channel.Event{Type: channel.EventProgress})
	out.emit(channel.Event{Type: channel.EventAnswer})
	deadline := time.Now().Add(2 * time.Second)
	for (!in.ep.speak() || !out.ep.speak()) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if in.ep.heard() == 0 || out.ep.heard() == 0 {
		t.Fatalf("media not bridged: caller heard %d frames, callee %d", in.ep.heard(), out.ep.heard())
	}
	in.mu.Lock()
	answered, progressed := in.answered, in.progress
	in.mu.Unlock()
	if answered != 1 || progressed != 1 {
		t.Errorf("caller answered %d times, progressed %d times; want 1, 1", answered, progressed)
	}
	if n := b.x.ActiveCalls(); n != 1 {
		t.Errorf("active calls %d, want 1", n)
	}
	// RFC 4733 digits from a SIP leg are relayed to the other leg.
	out.emit(channel.Event{Type: channel.EventDigit, Digit: '5'})
	time.Sleep(50 * time.Millisecond)
	in.mu.Lock()
	got := string(in.digitsOut)
	in.mu.Unlock()
	if got != "5" {
		t.Errorf("digits relayed to caller %q, want 5", got)
	}
	in.end(channel.CauseNormal) // caller hangs up
	if c := out.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("callee hung up with %v, want normal", c)
	}
	r := b.st.waitRecord(t)
	if r.Disposition != "answered" || r.Caller != "201" || r.Callee != "202" || r.Answer.IsZero() ||
		r.Source != "sip:201" || r.Destination != "sip:202" {
		t.Errorf("record %+v", r)
	}
}

func TestCalleeBusy(t *testing.T) {
	b := newTestBox(t)
	in := sipCaller("201", "202")
	b.x.Accept(in)
	out := b.sip.next(t)
	out.end(channel.CauseBusy)
	if c := in.waitHangup(t); c != channel.CauseBusy {
		t.Errorf("caller got %v, want busy", c)
	}
	if r := b.st.waitRecord(t); r.Disposition != "busy" {
		t.Errorf("disposition %q, want busy", r.Disposition)
	}
}

func TestUnknownNumberNotFound(t *testing.T) {
	b := newTestBox(t)
	in := sipCaller("201", "555")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseNotFound {
		t.Errorf("caller got %v, want not-found", c)
	}
	b.sip.none(t)
	if r := b.st.waitRecord(t); r.Disposition != "not-found" {
		t.Errorf("disposition %q", r.Disposition)
	}
}

func TestUnregisteredIsUnavailable(t *testing.T) {
	b := newTestBox(t)
	b.sip.fail["202"] = channel.CauseUnavailable
	in := sipCaller("201", "202")
	b.x.Accept(in)
	if c := in.waitHangup(t); c != channel.CauseUnavailable {
		t.Errorf("caller got %v, want unavailable", c)
	}
}

func TestExtensionWithPortRingsBothAndFirstAnswerWins(t *testing.T) {
	b := newTestBox(t)
	in := sipCaller("201", "102")
	b.x.Accept(in)
	port := b.analog.next(t)
	if port.info.Endpoint != "fxs:2" {
		t.Fatalf("analog target %q, want fxs:2", port.info.Endpoint)
	}
	sip := b.sip.next(t)
	port.emit(channel.Event{Type: channel.EventProgress})
	port.emit(channel.Event{Type: channel.EventAnswer})
	if c := sip.waitHangup(t); c != channel.CauseCancelled {
		t.Errorf("losing SIP leg ended with %v, want cancelled", c)
	}
	port.end(channel.CauseNormal) // the phone hangs up
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("caller got %v", c)
	}
	if r := b.st.waitRecord(t); r.Destination != "fxs:2" || r.Disposition != "answered" {
		t.Errorf("record %+v", r)
	}
}

func TestNoAnswerTimeout(t *testing.T) {
	b := newTestBox(t)
	in := sipCaller("201", "202")
	b.x.Accept(in)
	out := b.sip.next(t)
	out.emit(channel.Event{Type: channel.EventProgress})
	if c := out.waitHangup(t); c != channel.CauseNoAnswer {
		t.Errorf("callee leg ended with %v, want no-answer", c)
	}
	if c := in.waitHangup(t); c != channel.CauseNoAnswer {
		t.Errorf("caller got %v, want no-answer", c)
	}
	if r := b.st.waitRecord(t); r.Disposition != "no-answer" {
		t.Errorf("disposition %q", r.Disposition)
	}
}

func TestCallerCancels(t *testing.T) {
	b := newTestBox(t)
	in := sipCaller("201", "202")
	b.x.Accept(in)
	out := b.sip.next(t)
	out.emit(channel.Event{Type: channel.EventProgress})
	time.Sleep(20 * time.Millisecond)
	in.end(channel.CauseCancelled)
	if c := out.waitHangup(t); c != channel.CauseCancelled {
		t.Errorf("callee leg ended with %v, want cancelled", c)
	}
	if r := b.st.waitRecord(t); r.Disposition != "cancelled" {
		t.Errorf("disposition %q", r.Disposition)
	}
}

func fxsCaller(port string) *fakeChannel {
	return newFakeChannel(channel.Info{ID: "in-fxs" + port, Kind: channel.FXS, Endpoint: "fxs:" + port, Direction: "in"})
}

func dial(c *fakeChannel, digits string) {
	for i := 0; i < len(digits); i++ {
		c.emit(channel.Event{Type: channel.EventDigit, Digit: digits[i]})
	}
}

func TestAnalogPhoneDialsExtension(t *testing.T) {
	b := newTestBox(t)
	in := fxsCaller("1")
	b.x.Accept(in)
	dial(in, "202")
	out := b.sip.next(t)
	if out.info.Endpoint != "202" || out.info.Caller.Number != "101" {
		t.Fatalf("dialled %q as %v", out.info.Endpoint, out.info.Caller)
	}
	out.emit(channel.Event{Type: channel.EventAnswer})
	time.Sleep(20 * time.Millisecond)
	out.end(channel.CauseNormal)
	in.waitHangup(t)
	if r := b.st.waitRecord(t); r.Source != "fxs:1" || r.Caller != "101" || r.Disposition != "answered" {
		t.Errorf("record %+v", r)
	}
}

func TestAnalogPhoneDialsOutsideAfterInterDigitTimeout(t *testing.T) {
	b := newTestBox(t)
	in := fxsCaller("1") // extension 101 may call outside
	b.x.Accept(in)
	dial(in, "95551234")
	out := b.analog.next(t) // after the 300 ms inter-digit timeout
	if out.info.Endpoint != "fxo:5551234" {
		t.Fatalf("outside target %q, want fxo:5551234", out.info.Endpoint)
	}
	out.emit(channel.Event{Type: channel.EventAnswer})
	time.Sleep(20 * time.Millisecond)
	in.end(channel.CauseNormal)
	out.waitHangup(t)
}

func TestHashEndsOutsideNumber(t *testing.T) {
	b := newTestBox(t)
	in := fxsCaller("1")
	b.x.Accept(in)
	dial(in, "9123#")
	if out := b.analog.next(t); out.info.Endpoint != "fxo:123" {
		t.Fatalf("outside target %q", out.info.Endpoint)
	}
	in.end(channel.CauseNormal)
}

func TestOutsideCallsForbidden(t *testing.T) {
	b := newTestBox(t)
	in := fxsCaller("2") // extension 102 may not call outside
	b.x.Accept(in)
	dial(in, "95551234")
	if c := in.waitHangup(t); c != channel.CauseForbidden {
		t.Errorf("caller got %v, want forbidden", c)
	}
	b.analog.none(t)
	// and an FXO caller can never reach an outside line (toll fraud).
	fxo := newFakeChannel(channel.Info{ID: "in-fxo", Kind: channel.FXO, Endpoint: "fxo:1", Direction: "in"})
	p := b.x.plan(b.x.config())
	if _, err := p.router.Select("95551234", p.classOf(nil), p.isEmergency); !errors.Is(err, dialplan.ErrForbidden) {
		t.Errorf("outside caller routed outside: %v", err)
	}
	_ = fxo
}

func TestInvalidDigitsNotFound(t *testing.T) {
	b := newTestBox(t)
	in := fxsCaller("1")
	b.x.Accept(in)
	dial(in, "7")
	if c := in.waitHangup(t); c != channel.CauseNotFound {
		t.Errorf("caller got %v, want not-found", c)
	}
}

func TestIncomingFXOReachesDestination(t *testing.T) {
	b := newTestBox(t)
	in := newFakeChannel(channel.Info{ID: "in-fxo", Kind: channel.FXO, Endpoint: "fxo:1", Direction: "in",
		Caller: channel.CallerID{Number: "5551234", Name: "OUTSIDE"}})
	b.x.Accept(in)
	out := b.sip.next(t)
	if out.info.Endpoint != "201" || out.info.Caller.Number != "5551234" || out.info.Caller.Name != "OUTSIDE" {
		t.Fatalf("dialled %q presenting %v", out.info.Endpoint, out.info.Caller)
	}
	out.emit(channel.Event{Type: channel.EventAnswer})
	time.Sleep(20 * time.Millisecond)
	out.end(channel.CauseNormal)
	in.waitHangup(t)
	if r := b.st.waitRecord(t); r.Caller != "5551234" || r.Source != "fxo:1" {
		t.Errorf("record %+v", r)
	}
}

func TestShutdownHangsUpCalls(t *testing.T) {
	st := newFakeStore(testConfig())
	sip := newFakeDialer(channel.SIP)
	x, err := New(Options{Store: st, SIP: sip})
	if err != nil {
		t.Fatal(err)
	}
	in := sipCaller("201", "202")
	x.Accept(in)
	out := sip.next(t)
	out.emit(channel.Event{Type: channel.EventAnswer})
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := x.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if c := in.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("caller %v", c)
	}
	if c := out.waitHangup(t); c != channel.CauseNormal {
		t.Errorf("callee %v", c)
	}
	if r := st.waitRecord(t); r.Disposition != "answered" {
		t.Errorf("record %+v", r)
	}
	late := sipCaller("201", "202")
	x.Accept(late)
	if c := late.waitHangup(t); c != channel.CauseCongestion {
		t.Errorf("call after shutdown got %v, want congestion", c)
	}
}

func TestClassify(t *testing.T) {
	cfg := testConfig()
	for _, tc := range []struct {
		digits string
		want   dialState
	}{
		{"", dialIncomplete}, {"1", dialIncomplete}, {"10", dialIncomplete}, {"101", dialComplete},
		{"7", dialInvalid}, {"9", dialIncomplete}, {"95", dialOpenEnded},
		{"9" + "12345678901234567890", dialComplete}, {"1011", dialInvalid},
	} {
		p, err := compilePlan(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.classify(tc.digits); got != tc.want {
			t.Errorf("classify(%q) = %v, want %v", tc.digits, got, tc.want)
		}
	}
}
