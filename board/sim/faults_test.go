package sim

import (
	"context"
	"testing"
	"time"

	"minipbx/board"
)

func TestFXSFaultsInMeasure(t *testing.T) {
	b, err := New(Config{FXS: 1, FXO: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ph, port := b.Phone(1), b.FXSPort(1)
	for _, c := range []struct {
		f     FXSFault
		check func(m board.Measurements) bool
	}{
		{FXSFaultNone, func(m board.Measurements) bool { return m.BatteryVolts < -40 && m.LoopMilliamps == 0 }},
		{FXSFaultNoBattery, func(m board.Measurements) bool { return m.BatteryVolts > -5 }},
		{FXSFaultShort, func(m board.Measurements) bool { return m.LoopMilliamps > 30 && m.TipVolts-m.RingVolts < 5 }},
		{FXSFaultForeignVoltage, func(m board.Measurements) bool { return m.TipVolts > 0 }},
		{FXSFaultLeakage, func(m board.Measurements) bool { return m.LoopMilliamps > 1 && m.LoopMilliamps < 10 }},
	} {
		if err := ph.SetLineFault(c.f); err != nil {
			t.Fatal(err)
		}
		m, err := port.Measure()
		if err != nil || !c.check(m) {
			t.Errorf("fault %d: %+v %v", c.f, m, err)
		}
	}
	if err := ph.SetLineFault(FXSFault(99)); err == nil {
		t.Error("unknown fault accepted")
	}
	rl := port.(interface{ RingerLoad() (float64, error) })
	if ren, err := rl.RingerLoad(); err != nil || ren != 1 {
		t.Errorf("default REN %v %v", ren, err)
	}
	ph.SetREN(0)
	if ren, _ := rl.RingerLoad(); ren != 0 {
		t.Errorf("REN %v after SetREN(0)", ren)
	}
}

func TestLoopback(t *testing.T) {
	b, err := New(Config{FXS: 1, FXO: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, p := range []board.Port{b.FXSPort(1), b.FXOPort(1)} {
		lp := p.(interface{ SetLoopback(bool) error })
		if err := lp.SetLoopback(true); err != nil {
			t.Fatal(err)
		}
		got := make(chan float64, 100)
		tone := Sine(1004, -10)
		p.SetAudio(func(rx, tx *board.Frame) {
			select {
			case got <- Level(rx[:]):
			default:
			}
			tone(tx[:])
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := b.WaitFrames(ctx, 5); err != nil {
			t.Fatal(err)
		}
		cancel()
		p.SetAudio(nil)
		var last float64
		for len(got) > 0 {
			last = <-got
		}
		if last < -11 || last > -9 {
			t.Errorf("%s: looped level %.1f dBm0, want -10", p.Info().Name, last)
		}
		_ = lp.SetLoopback(false)
	}
}
