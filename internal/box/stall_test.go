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
	noGoroutinesLeft(t, idle, 5*time.Second)
}

// noGoroutinesLeft waits until the box runs no more goroutines than idle
// (boxGoroutines, kind by kind), and fails the test with the kinds of
// those left when it still does after d.
func noGoroutinesLeft(t *testing.T, idle census, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		extra := goroutinesBeyond(idle, boxGoroutines())
		if len(extra) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left %v after the calls ended:\n%s", d, strings.Join(extra, "\n\n"))
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
// code (a frame in minipbx/telephony), by kind: the function a goroutine
// started in and where it was started from, so that a goroutine which
// lives as long as the box counts the same wherever it waits. The test
// phones' own goroutines, in the same process, are not the box's. Each
// kind comes with the stack of one of its goroutines, for the report.
func boxGoroutines() census {
	var dump bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&dump, 2)
	out := census{n: map[string]int{}, stack: map[string]string{}}
	for _, g := range strings.Split(dump.String(), "\n\n") {
		if !strings.Contains(g, "minipbx/telephony/") {
			continue
		}
		lines := strings.Split(g, "\n")
		entry, created := "", ""
		for i, l := range lines {
			if strings.HasPrefix(l, "created by ") {
				created, _, _ = strings.Cut(l, " in goroutine ")
				break
			}
			if i > 0 && !strings.HasPrefix(l, "\t") {
				entry = l
				if j := strings.LastIndexByte(l, '('); j > 0 {
					entry = l[:j]
				}
			}
		}
		kind := entry + ", " + created
		out.n[kind]++
		out.stack[kind] = g
	}
	return out
}

// census is the box's goroutines by kind: how many, and one's stack.
type census struct {
	n     map[string]int
	stack map[string]string
}

// goroutinesBeyond lists the kinds of goroutine (boxGoroutines) of which
// now has more than before, with how many more and one's stack.
func goroutinesBeyond(before, now census) []string {
	var extra []string
	for kind, n := range now.n {
		if n > before.n[kind] {
			extra = append(extra, fmt.Sprintf("%d more started in %s, such as:\n%s", n-before.n[kind], kind, now.stack[kind]))
		}
	}
	sort.Strings(extra)
	return extra
}
