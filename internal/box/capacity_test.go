package box

import (
	"errors"
	"testing"
	"time"

	"github.com/emiago/sipgo"

	"minipbx/internal/siptest"
)

func TestDefaultMaxCalls(t *testing.T) {
	for _, c := range []struct {
		arch string
		cpus int
		ram  int64
		want int
	}{
		{"arm", 1, 256 << 20, 100},   // the reference board: its core bounds it
		{"arm", 2, 512 << 20, 200},   // two cores, 512 MB
		{"arm", 4, 256 << 20, 128},   // four cores, but 256 MB: memory bounds it
		{"arm64", 4, 1 << 30, 512},   // 1 GB: 128 MB of memory limit
		{"amd64", 2, 24 << 30, 1000}, // a desktop: 500 a core
		{"riscv64", 1, 256 << 20, 100},
		{"arm", 0, 0, 96}, // nonsense in: still a figure (the floor limit's)
	} {
		if got := DefaultMaxCalls(c.arch, c.cpus, c.ram); got != c.want {
			t.Errorf("DefaultMaxCalls(%s, %d cores, %d MB) = %d, want %d", c.arch, c.cpus, c.ram>>20, got, c.want)
		}
	}
}

// TestMaxCallsAppliesLive: system.max_calls set to 1 lets one SIP call
// through and refuses a second with 503 at once; raised to 2, the second
// goes through — no restart, and the first call is never cut.
func TestMaxCallsAppliesLive(t *testing.T) {
	b := startBox(t, "")
	ctx := tctx(t, 60*time.Second)
	if got, want := b.sip.MaxCalls(), sipLegs(b.defaultCalls); got != want {
		t.Fatalf("SIP leg limit at start %d, want %d (the board's %d calls)", got, want, b.defaultCalls)
	}
	setMax := func(n int) {
		t.Helper()
		sys, err := b.Service().Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sys.MaxCalls = n
		if _, err := b.Service().UpdateSettings(ctx, sys); err != nil {
			t.Fatal(err)
		}
	}
	setMax(1)
	phones := map[string]*siptest.Phone{}
	for _, n := range []string{"201", "202", "203", "204"} {
		phones[n] = answeringPhone(t, b, ctx, n)
	}
	first, err := phones["201"].Dial(ctx, "202")
	if err != nil {
		t.Fatalf("the first call: %v", err)
	}
	_, err = phones["203"].Dial(ctx, "204")
	var refused *sipgo.ErrDialogResponse
	if !errors.As(err, &refused) || refused.Res.StatusCode != 503 {
		t.Fatalf("a second call at max_calls 1: %v, want 503", err)
	}
	setMax(2)
	second, err := phones["203"].Dial(ctx, "204")
	if err != nil {
		t.Fatalf("the second call after raising max_calls: %v", err)
	}
	select {
	case <-first.Ended():
		t.Fatal("the first call was cut")
	default:
	}
	second.Hangup(ctx)
	first.Hangup(ctx)
}
