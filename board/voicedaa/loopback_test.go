package voicedaa

import (
	"errors"
	"testing"
	"time"

	"minipbx/board"
)

func TestSetLoopbackTraffic(t *testing.T) {
	r := mustRig(t, nil)
	// Control 1 holds other bits (PWM settings); the loopback must keep
	// them and never write SR.
	r.chip.mu.Lock()
	r.chip.reg[regCtl1] = 0x18
	r.chip.mu.Unlock()
	if err := r.dev.SetLoopback(true); err != nil {
		t.Fatal(err)
	}
	if got := r.chip.get(regCtl1); got != 0x18|idlBit {
		t.Fatalf("register 1 = %#02x with loopback on, want %#02x", got, 0x18|idlBit)
	}
	if err := r.dev.SetLoopback(false); err != nil {
		t.Fatal(err)
	}
	if got := r.chip.get(regCtl1); got != 0x18 {
		t.Fatalf("register 1 = %#02x after loopback off, want %#02x", got, 0x18)
	}
	ops := r.chip.take()
	checkGolden(t, "loopback.txt", transcript(ops))
	for _, o := range ops {
		if o.write && o.reg == regCtl1 && o.val&softReset != 0 {
			t.Fatal("soft reset written")
		}
	}
}

func TestSetLoopbackRefused(t *testing.T) {
	t.Run("in a call", func(t *testing.T) {
		r := mustRig(t, nil)
		if err := r.dev.Seize(); err != nil {
			t.Fatal(err)
		}
		r.chip.take()
		if err := r.dev.SetLoopback(true); !errors.Is(err, ErrOffHook) {
			t.Fatalf("SetLoopback(true) off hook: %v, want ErrOffHook", err)
		}
		for _, o := range r.chip.take() {
			if o.write {
				t.Fatalf("write %v although refused", o)
			}
		}
		if err := r.dev.SetLoopback(false); err != nil {
			t.Fatalf("SetLoopback(false) must always restore: %v", err)
		}
	})
	t.Run("isolation link down", func(t *testing.T) {
		r := mustRig(t, nil)
		r.chip.mu.Lock()
		r.chip.linkAt = time.Time{}
		r.chip.mu.Unlock()
		if err := r.dev.SetLoopback(true); !errors.Is(err, ErrISOLink) {
			t.Fatalf("SetLoopback(true) without the link: %v, want ErrISOLink", err)
		}
		if got := r.chip.get(regCtl1); got&idlBit != 0 {
			t.Fatal("IDL set without the line side")
		}
	})
	t.Run("out of service", func(t *testing.T) {
		r := mustRig(t, nil)
		r.chip.mu.Lock()
		r.chip.isDead, r.chip.dead = true, 0xFF
		r.chip.mu.Unlock()
		r.run(200 * time.Millisecond)
		if s := r.dev.Status(); s.Line != board.LineFault {
			t.Fatalf("port not faulty: %+v", s)
		}
		r.chip.take()
		for _, on := range []bool{true, false} {
			if err := r.dev.SetLoopback(on); !errors.Is(err, board.ErrPortFault) {
				t.Fatalf("SetLoopback(%v) on a faulty port: %v, want ErrPortFault", on, err)
			}
		}
		if ops := r.chip.take(); len(ops) != 0 {
			t.Fatalf("traffic to a faulty port: %v", ops)
		}
	})
}

func TestSeizeDropsLoopback(t *testing.T) {
	r := mustRig(t, nil)
	if err := r.dev.SetLoopback(true); err != nil {
		t.Fatal(err)
	}
	if err := r.dev.Seize(); err != nil {
		t.Fatal(err)
	}
	if got := r.chip.get(regCtl1); got&idlBit != 0 {
		t.Fatalf("register 1 = %#02x: seized with the loopback on", got)
	}
	if got := r.chip.get(regDAACtl1); got&ohBit == 0 {
		t.Fatal("not off hook")
	}
}

func TestLoopbackClearedByChipReset(t *testing.T) {
	r := mustRig(t, nil)
	if err := r.dev.SetLoopback(true); err != nil {
		t.Fatal(err)
	}
	r.chip.mu.Lock()
	r.chip.reset()
	r.chip.linkAt = r.clk.Now()
	r.chip.mu.Unlock()
	r.run(time.Second)
	if r.chip.get(regPCM)&pcmEnable == 0 {
		t.Fatal("chip reset not repaired")
	}
	r.dev.mu.Lock()
	lb := r.dev.loopback
	r.dev.mu.Unlock()
	if lb {
		t.Fatal("driver still believes the loopback is on after the chip reset")
	}
}
