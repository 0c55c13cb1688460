package box

import (
	"bytes"
	"fmt"
	"runtime/pprof"
	"sort"
	"strings"
	"testing"
	"time"

	"minipbx/internal/siptest"
	"minipbx/telephony/sip"
)

// TestStalledCallerLeavesNothing: a SIP caller whose RTP stops and who
// never sends BYE — a phone that lost power or its network — is hung up
// once the RTP timeout passes: the callee gets a BYE, the box carries no
// leg and no call, and every goroutine the call started is gone. Without
// an RTP timeout such a call, its legs, bridge and RTP ports stay for
// ever (what the soak's goroutine count showed after SIPp callers
// stalled).
func TestStalledCallerLeavesNothing(t *testing.T) {
	const timeout = 2 * time.Second
	var tap legTap
	b := startBox(t, "", func(c *Config) {
		c.SIPTune = func(sc *sip.Config) {
			sc.RTPTimeout = timeout
			tap.wrap(sc)
		}
	})
	ctx := tctx(t, 60*time.Second)
	callee := b.phone(t, "202", b.addSIPExtension(t, "202", "Callee", false))
	caller := b.phone(t, "201", b.addSIPExtension(t, "201", "Caller", false))
	answered := make(chan *siptest.Call, 4)
	go func() {
		for {
			c, err := callee.Incoming(ctx)
			if err != nil {
				return
			}
			if err := c.Answer(); err != nil {
				t.Errorf("answer: %v", err)
			}
			answered <- c
		}
	}()
	call := func() (out, in *siptest.Call) {
		t.Helper()
		out, err := caller.Dial(ctx, "202")
		if err != nil {
			t.Fatalf("dial 202: %v", err)
		}
		select {
		case in = <-answered:
		case <-ctx.Done():
			t.Fatal("202 never answered")
		}
		return out, in
	}

	// A first call, hung up as usual, starts whatever the box starts
	// once; the goroutines counted after it are the box's idle ones.
	out, in := call()
	if err := out.Hangup(ctx); err != nil {
		t.Fatalf("hang up the first call: %v", err)
	}
	waitEnded(t, in, 5*time.Second, "the first call's callee")
	waitIdle(t, b, 5*time.Second)
	idle := boxGoroutines()

	// The second call: two seconds of talk, then the caller goes silent
	// and never hangs up. Only the RTP timeout can end it.
	out, in = call()
	time.Sleep(time.Second)
	if tap.totals().received == 0 {
		t.Fatal("no RTP from the caller reached the box before it stalled")
	}
	if len(goroutinesBeyond(idle, boxGoroutines())) == 0 {
		// Else the count below could not see a leak either.
		t.Fatal("no goroutine of the box's counted for the call in progress")
	}
	out.Impair(siptest.Impairment{Loss: 1})
	stalled := time.Now()
	waitEnded(t, in, timeout+3*time.Second, "the stalled call's callee")
	if d := time.Since(stalled); d < timeout-time.Second {
		t.Errorf("the call ended %v after the caller stalled, before the %v RTP timeout", d.Round(time.Millisecond), timeout)
	}
	waitIdle(t, b, 5*time.Second)
	// Every goroutine the call started must go, soon.
	var extra []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if extra = goroutinesBeyond(idle, boxGoroutines()); len(extra) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after the stalled call ended:\n%s", strings.Join(extra, "\n\n"))
		}
	}
}

// waitEnded waits for a test phone's call to end.
func waitEnded(t *testing.T, c *siptest.Call, d time.Duration, who string) {
	t.Helper()
	select {
	case <-c.Ended():
	case <-time.After(d):
		t.Fatalf("%s: the call did not end within %v", who, d)
	}
}

// waitIdle waits until the box carries no SIP leg and no call.
func waitIdle(t *testing.T, b *testBox, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); b.sip.ActiveCalls() > 0 || b.Exchange().ActiveCalls() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after %v the box still carries %d SIP legs and %d calls", d, b.sip.ActiveCalls(), b.Exchange().ActiveCalls())
		}
	}
}

// boxGoroutines counts the process's goroutines that run the exchange's
// code (a frame in minipbx/telephony), by stack: the test phones' own
// goroutines, in the same process, are not the box's.
func boxGoroutines() map[string]int {
	var dump bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&dump, 2)
	out := map[string]int{}
	for _, g := range strings.Split(dump.String(), "\n\n") {
		if !strings.Contains(g, "minipbx/telephony/") {
			continue
		}
		// Drop the header line (goroutine id, state, wait time) and the
		// arguments' values, which differ between identical goroutines.
		lines := strings.Split(g, "\n")[1:]
		for i, l := range lines {
			if j := strings.LastIndexByte(l, '('); j > 0 && !strings.HasPrefix(l, "\t") {
				lines[i] = l[:j]
			}
			if j := strings.Index(l, " +0x"); j > 0 {
				lines[i] = l[:j]
			}
		}
		out[strings.Join(lines, "\n")]++
	}
	return out
}

// goroutinesBeyond lists the stacks of which now has more goroutines than
// before, with how many more.
func goroutinesBeyond(before, now map[string]int) []string {
	var extra []string
	for stack, n := range now {
		if n > before[stack] {
			extra = append(extra, fmt.Sprintf("%d more of:\n%s", n-before[stack], stack))
		}
	}
	sort.Strings(extra)
	return extra
}
