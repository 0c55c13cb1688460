package proslic

import (
	"errors"
	"math"
	"testing"
	"time"

	"minipbx/board"
)

// monitored returns a rig whose hook tracking starts now.
func monitored(t *testing.T, mutate func(*fakeSLIC, *Opts)) *rig {
	t.Helper()
	r := mustRig(t, mutate)
	r.dev.mu.Lock()
	r.dev.resetMonitor()
	r.dev.mu.Unlock()
	return r
}

// faulty takes the rig's port out of service the way a dead chip does.
func faulty(t *testing.T, r *rig) {
	t.Helper()
	r.chip.mu.Lock()
	r.chip.isDead, r.chip.dead = true, 0xFF
	r.chip.mu.Unlock()
	r.step(supervisionEvery * maxBadIDs)
	if s := r.dev.Status(); s.Line != board.LineFault {
		t.Fatalf("port not faulty: %+v", s)
	}
	r.drain()
	r.chip.mu.Lock()
	r.chip.isDead = false
	r.chip.mu.Unlock()
	r.chip.take()
}

func TestSetLoopbackTraffic(t *testing.T) {
	r := monitored(t, nil)
	if err := r.dev.SetLoopback(true); err != nil {
		t.Fatal(err)
	}
	if got := r.chip.reg(drLoopback); got != dlmBit {
		t.Fatalf("DR8 = %#x with loopback on, want DLM (%#x)", got, dlmBit)
	}
	// Supervision must not take DR8 = DLM for a chip reset (whose DR8 is
	// 0x02) when the chip opens the line on a power alarm.
	r.chip.set(drLinefeed, lfOpen)
	r.chip.set(drIntStat2, 0x04)
	r.step(supervisionEvery)
	if evs := r.drain(); len(evs) != 1 || evs[0].Type != board.EventPowerAlarm {
		t.Fatalf("events %v, want one power alarm (not a reset recovery)", evs)
	}
	if got := r.chip.reg(drLoopback); got != dlmBit {
		t.Fatalf("DR8 = %#x after a power alarm, loopback lost", got)
	}
	if err := r.dev.SetLoopback(false); err != nil {
		t.Fatal(err)
	}
	if got := r.chip.reg(drLoopback); got != 0 {
		t.Fatalf("DR8 = %#x after loopback off, want 0 (all loopbacks off)", got)
	}
	r.chip.take()

	// The exact traffic of on then off: one DR8 write each.
	if err := r.dev.SetLoopback(true); err != nil {
		t.Fatal(err)
	}
	if err := r.dev.SetLoopback(false); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "loopback_si3215.txt", transcript(r.chip.take()))
}

func TestSetLoopbackRefused(t *testing.T) {
	t.Run("off hook", func(t *testing.T) {
		r := monitored(t, nil)
		r.chip.setHook(true)
		r.step(4)
		r.chip.take()
		if err := r.dev.SetLoopback(true); !errors.Is(err, ErrOffHook) {
			t.Fatalf("SetLoopback(true) off hook: %v, want ErrOffHook", err)
		}
		if ops := r.chip.take(); len(writes(ops, drLoopback)) != 0 {
			t.Fatalf("DR8 written although refused: %s", opsString(ops))
		}
		if err := r.dev.SetLoopback(false); err != nil {
			t.Fatalf("SetLoopback(false) must always restore: %v", err)
		}
	})
	t.Run("ringing", func(t *testing.T) {
		r := monitored(t, nil)
		if err := r.dev.Ring(true); err != nil {
			t.Fatal(err)
		}
		if err := r.dev.SetLoopback(true); !errors.Is(err, ErrRinging) {
			t.Fatalf("SetLoopback(true) ringing: %v, want ErrRinging", err)
		}
	})
	t.Run("out of service", func(t *testing.T) {
		r := monitored(t, nil)
		faulty(t, r)
		for _, on := range []bool{true, false} {
			if err := r.dev.SetLoopback(on); !errors.Is(err, board.ErrPortFault) {
				t.Fatalf("SetLoopback(%v) on a faulty port: %v, want ErrPortFault", on, err)
			}
		}
		if ops := r.chip.take(); len(ops) != 0 {
			t.Fatalf("traffic to a faulty port: %s", opsString(ops))
		}
	})
}

func TestLoopbackOffWhenLifted(t *testing.T) {
	r := monitored(t, nil)
	if err := r.dev.SetLoopback(true); err != nil {
		t.Fatal(err)
	}
	r.chip.setHook(true)
	r.step(4)
	if evs := r.drain(); len(evs) != 1 || evs[0].Type != board.EventOffHook {
		t.Fatalf("events %v, want off hook", evs)
	}
	if got := r.chip.reg(drLoopback); got != 0 {
		t.Fatalf("DR8 = %#x with the phone off hook: the caller would hear nothing", got)
	}
}

func TestLoopbackClearedByChipReset(t *testing.T) {
	r := monitored(t, nil)
	if err := r.dev.SetLoopback(true); err != nil {
		t.Fatal(err)
	}
	r.chip.mu.Lock()
	r.chip.reset() // DR8 back to 0x02: not our DLM, so a reset
	r.chip.mu.Unlock()
	r.step(supervisionEvery)
	if r.chip.reg(drLinefeed) != lfForward || r.chip.reg(drLoopback) != 0 {
		t.Fatalf("not restored: DR64=%d DR8=%#x", r.chip.reg(drLinefeed), r.chip.reg(drLoopback))
	}
	r.dev.mu.Lock()
	lb := r.dev.loopback
	r.dev.mu.Unlock()
	if lb {
		t.Fatal("driver still believes the loopback is on after the chip reset")
	}
}

func TestRenImpedance(t *testing.T) {
	// One REN at 20 Hz: 6930 Ω with 8 µF (994.7 Ω): |Z| = 7001 Ω.
	if z := renImpedance(20); math.Abs(z-7001) > 1 {
		t.Fatalf("|Z(1 REN, 20 Hz)| = %.1f Ω, want 7001", z)
	}
	// A pure sine through 7001 Ω: exactly 1 REN.
	var v, i []float64
	for k := range 400 {
		s := math.Sin(2 * math.Pi * float64(k) / 50)
		v = append(v, 60*s+3) // a DC offset of the sense is ignored
		i = append(i, math.Abs(60*s/7001*1000))
	}
	if ren, _, _ := renFromSamples(v, i); math.Abs(ren-1) > 0.01 {
		t.Fatalf("REN = %.3f, want 1", ren)
	}
	if ren, _, _ := renFromSamples(nil, nil); ren != 0 {
		t.Fatalf("REN of no samples = %v", ren)
	}
}

func TestRingerLoad(t *testing.T) {
	tests := []struct {
		name     string
		ren      float64
		min, max float64
	}{
		{"open line", 0, 0, 0.05},
		{"one phone", 1, 0.9, 1.1},
		{"two and a half", 2.5, 2.3, 2.7},
		{"five phones", 5, 4.6, 5.4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := monitored(t, nil)
			r.chip.mu.Lock()
			r.chip.ren = tc.ren
			r.chip.mu.Unlock()
			if err := r.dev.SetCadence(&Cadence{On: 2 * time.Second, Off: 4 * time.Second}); err != nil {
				t.Fatal(err)
			}
			// The configured ringer (25 Hz, 45 Vrms by default) must come
			// back after the 20 Hz test ring.
			si3215 := true
			before := [3]uint16{r.chip.ir[irRingOsc.addr(si3215)], r.chip.ir[irRingX.addr(si3215)], r.chip.ir[irRTF.addr(si3215)]}
			r.chip.take()
			start := r.clk.Now()
			ren, err := r.dev.RingerLoad()
			if err != nil {
				t.Fatal(err)
			}
			if el := r.clk.Now().Sub(start); el >= 2*time.Second {
				t.Fatalf("took %v, want < 2 s", el)
			}
			t.Logf("%.1f REN load: measured %.2f REN", tc.ren, ren)
			if ren < tc.min || ren > tc.max {
				t.Fatalf("REN %.2f for a %.1f REN load, want %.2f..%.2f", ren, tc.ren, tc.min, tc.max)
			}
			r.chip.mu.Lock()
			hz := r.chip.ringHz
			r.chip.mu.Unlock()
			if len(hz) != 1 || math.Abs(hz[0]-renTestHz) > 0.05 {
				t.Fatalf("test rings at %v Hz, want one at %v Hz (the REN model's frequency)", hz, renTestHz)
			}
			ops := r.chip.take()
			lf := writes(ops, drLinefeed)
			if len(lf) != 2 || lf[0] != lfRinging || lf[1] != lfForward {
				t.Fatalf("DR64 writes %x, want ringing then forward back", lf)
			}
			if rc := writes(ops, drRingCtl); len(rc) != 2 || rc[0] != 0 || rc[1] != ringTimersOn {
				t.Fatalf("DR34 writes %x: cadence timers not stopped for the test and restored", rc)
			}
			after := [3]uint16{r.chip.ir[irRingOsc.addr(si3215)], r.chip.ir[irRingX.addr(si3215)], r.chip.ir[irRTF.addr(si3215)]}
			if after != before {
				t.Fatalf("ringer registers %x after the test, were %x", after, before)
			}
			if s := r.dev.Status(); s.Line != board.LineOK || s.Hook != board.OnHook {
				t.Fatalf("status after the test %+v", s)
			}
			// Nothing looked like a hook change to the monitor.
			r.step(20)
			if evs := r.drain(); len(evs) != 0 {
				t.Fatalf("events %v after the ring test", evs)
			}
		})
	}
}

func TestRingerLoadRefused(t *testing.T) {
	ringWrites := func(r *rig) int {
		n := 0
		for _, v := range writes(r.chip.take(), drLinefeed) {
			if v == lfRinging {
				n++
			}
		}
		return n
	}
	t.Run("off hook", func(t *testing.T) {
		r := monitored(t, func(f *fakeSLIC, _ *Opts) { f.ren = 1 })
		r.chip.setHook(true)
		r.step(4)
		r.chip.take()
		if _, err := r.dev.RingerLoad(); !errors.Is(err, ErrOffHook) {
			t.Fatalf("RingerLoad off hook: %v, want ErrOffHook", err)
		}
		if n := ringWrites(r); n != 0 {
			t.Fatal("rang a phone that is off hook")
		}
	})
	t.Run("lifted, not yet reported", func(t *testing.T) {
		r := monitored(t, func(f *fakeSLIC, _ *Opts) { f.ren = 1 })
		r.chip.setHook(true) // the loop closes; no poll has seen it
		if _, err := r.dev.RingerLoad(); !errors.Is(err, ErrOffHook) {
			t.Fatalf("RingerLoad with the loop closed: %v, want ErrOffHook", err)
		}
		if n := ringWrites(r); n != 0 {
			t.Fatal("rang a phone whose loop is closed")
		}
	})
	t.Run("lifted during the test ring", func(t *testing.T) {
		r := monitored(t, func(f *fakeSLIC, _ *Opts) { f.ren = 1 })
		r.chip.mu.Lock()
		r.chip.liftAt = r.clk.Now().Add(renSettle + 50*time.Millisecond)
		r.chip.mu.Unlock()
		start := r.clk.Now()
		if _, err := r.dev.RingerLoad(); !errors.Is(err, ErrOffHook) {
			t.Fatalf("RingerLoad with a ring trip: %v, want ErrOffHook", err)
		}
		if el := r.clk.Now().Sub(start); el > renSettle+60*time.Millisecond {
			t.Fatalf("kept ringing %v after the ring trip", el-renSettle-50*time.Millisecond)
		}
		if got := r.chip.reg(drLinefeed); got != lfForward {
			t.Fatalf("DR64 = %d after the ring trip, want forward active", got)
		}
		r.step(4)
		if evs := r.drain(); len(evs) != 1 || evs[0].Type != board.EventOffHook {
			t.Fatalf("events %v, want the off hook reported", evs)
		}
	})
	t.Run("ringing", func(t *testing.T) {
		r := monitored(t, nil)
		if err := r.dev.Ring(true); err != nil {
			t.Fatal(err)
		}
		if _, err := r.dev.RingerLoad(); !errors.Is(err, ErrRinging) {
			t.Fatalf("RingerLoad while ringing: %v, want ErrRinging", err)
		}
	})
	t.Run("out of service", func(t *testing.T) {
		r := monitored(t, nil)
		faulty(t, r)
		if _, err := r.dev.RingerLoad(); !errors.Is(err, board.ErrPortFault) {
			t.Fatalf("RingerLoad on a faulty port: %v, want ErrPortFault", err)
		}
		if ops := r.chip.take(); len(ops) != 0 {
			t.Fatalf("traffic to a faulty port: %s", opsString(ops))
		}
	})
	t.Run("shorted pair", func(t *testing.T) {
		r := monitored(t, func(f *fakeSLIC, _ *Opts) { f.ren = 1e6 }) // ~0 Ω
		if _, err := r.dev.RingerLoad(); err == nil {
			t.Fatal("a shorted pair gave a REN")
		}
		if got := r.chip.reg(drLinefeed); got != lfForward {
			t.Fatalf("DR64 = %d after a failed test, want forward active", got)
		}
	})
}
