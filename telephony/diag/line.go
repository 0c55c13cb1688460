package diag

import (
	"context"
	"errors"
	"fmt"
	"math"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/telephony/store"
)

// Thresholds of the FXS line test (ProSLIC readings, phone on hook).
var (
	fxsBattery = within(40, 60, 30, 75) // |V|: the DC-DC converter's battery
	fxsTipRing = atLeast(36, 20)        // |V| between the wires on hook
	fxsForeign = atMost(3, 10)          // V beyond what the SLIC itself drives
	fxsLeak    = atMost(1, 5)           // mA flowing with the phone on hook
	fxsREN     = within(0.5, 5, 0, 8)   // ringers on the line (5 REN: the port's rating)
)

// hookSanityMA is the on-hook loop current no working hook detector can
// miss: above it the chip should see off hook.
const hookSanityMA = 10

func (r *Runner) testFXS(ctx context.Context, res Reserved, out *result) error {
	p := res.Port()
	m, err := p.Measure()
	if errors.Is(err, board.ErrNotSupported) {
		out.skip("the driver cannot measure this port")
		return nil
	}
	if err != nil {
		out.fail("measure: %v", err)
		return nil
	}
	if m.HasBattery {
		if out.value("battery", math.Abs(m.BatteryVolts), "V", fxsBattery) == store.VerdictFail {
			out.note("no battery: the port's power stage (DC-DC converter) is down")
		}
	}
	if m.HasTipRing {
		out.info("tip", m.TipVolts, "V")
		out.info("ring", m.RingVolts, "V")
		out.value("tip-ring", math.Abs(m.TipVolts-m.RingVolts), "V", fxsTipRing)
		// The SLIC drives tip and ring between ground and the (negative)
		// battery: a positive voltage, or one beyond the battery, comes
		// from outside.
		foreign := math.Max(0, math.Max(m.TipVolts, m.RingVolts))
		if m.HasBattery {
			beyond := -math.Min(m.TipVolts, m.RingVolts) - math.Abs(m.BatteryVolts)
			foreign = math.Max(foreign, beyond)
		}
		if out.value("foreign voltage", foreign, "V", fxsForeign) == store.VerdictFail {
			out.note("foreign voltage on the pair: it touches another line or a power source")
		}
	}
	if m.HasLoop {
		switch out.value("on-hook loop current", m.LoopMilliamps, "mA", fxsLeak) {
		case store.VerdictWarn:
			out.note("leakage: current flows with the phone on hook (damp or damaged cable)")
		case store.VerdictFail:
			out.note("short: the pair carries loop current with the phone on hook")
		}
		if p.Status().Hook == board.OnHook && m.LoopMilliamps > hookSanityMA {
			out.fail("hook state: on hook with %.0f mA of loop current (short, or the hook detector is wrong)", m.LoopMilliamps)
		}
	}
	if rl, ok := p.(ringerLoader); ok {
		ren, err := rl.RingerLoad()
		switch {
		case err != nil:
			out.note("ringer load not measured: %v", err)
		case out.value("ringer load", ren, "REN", fxsREN) == store.VerdictWarn && ren < 0.5:
			out.note("no ringer detected: nothing that rings is plugged in")
		}
	} else {
		out.note("ringer load: not measurable on this driver")
	}
	return nil
}

// Thresholds of the FXO line test.
var (
	fxoOnHookV   = atLeast(30, 15)         // |V| of the idle line (48 V nominal)
	fxoLoopMA    = atLeast(18, 12)         // mA when seized
	fxoIdleNoise = atMost(-55, -40)        // dBm0 on the idle line
	fxoDialLevel = within(-25, -3, -35, 0) // dBm0, all components
)

const (
	fxoDialFrames = 60 // 1.2 s of listening after seizing
	fxoNoiseFrame = 25 // 0.5 s of the idle line
)

func (r *Runner) testFXO(ctx context.Context, res Reserved, out *result, zone dsp.Zone) error {
	p := res.Port()
	m, err := p.Measure()
	switch {
	case errors.Is(err, board.ErrNotSupported):
		out.note("the driver cannot measure the line's voltage")
	case err != nil:
		out.fail("measure: %v", err)
		return nil
	case m.HasLine:
		if out.value("line voltage", math.Abs(m.LineVolts), "V", fxoOnHookV) == store.VerdictFail {
			out.fail("no line voltage: the cable is cut or the line is out of service")
			return nil
		}
		pol := 1.0
		if m.LineVolts < 0 {
			pol = -1
			out.note("polarity reversed")
		}
		out.info("polarity", pol, "")
	}
	// Idle noise, on hook (the DAA's on-hook line monitor).
	rx, err := exchange(ctx, res, nil, fxoNoiseFrame)
	if err != nil {
		return err
	}
	if out.value("idle noise", rmsDBm0(rx[settleFrames*board.FrameSamples:]), "dBm0", fxoIdleNoise) != store.VerdictPass {
		out.note("noisy line: hum or crosstalk on the pair")
	}
	if res.Busy() {
		return errInterrupted
	}
	if err := res.Seize(ctx); err != nil {
		if errors.Is(err, board.ErrNoBattery) {
			out.fail("no line voltage: the line could not be seized")
			return nil
		}
		if errors.Is(err, errInterrupted) {
			return err
		}
		out.fail("seize: %v", err)
		return nil
	}
	defer func() { _ = res.ReleaseLine(context.WithoutCancel(ctx)) }()
	rx, err = exchange(ctx, res, nil, fxoDialFrames)
	if err != nil {
		return err
	}
	if m, err := p.Measure(); err == nil && m.HasLoop {
		out.value("loop current", m.LoopMilliamps, "mA", fxoLoopMA)
		if m.HasLine {
			out.info("off-hook voltage", math.Abs(m.LineVolts), "V")
		}
	}
	det := dsp.NewProgressDetector(zone)
	dial := false
	for i := 0; i+board.FrameSamples <= len(rx); i += board.FrameSamples {
		for _, ev := range det.Process(rx[i : i+board.FrameSamples]) {
			if ev.Tone == dsp.ToneDial {
				dial = true
			}
		}
	}
	tail := rx[len(rx)/3:]
	level := rmsDBm0(tail)
	if !dial {
		out.fail("no dial tone within %v of seizing (heard %s)", fxoDialFrames*board.FrameDuration, levelWords(level))
		return nil
	}
	out.value("dial tone level", level, "dBm0", fxoDialLevel)
	f := strongest(tail)
	want := dialFrequencies(zone)
	near := false
	for _, w := range want {
		if math.Abs(f-w) <= 0.03*w {
			near = true
		}
	}
	out.info("dial tone frequency", f, "Hz")
	if !near {
		out.warn("dial tone at %.0f Hz, not the zone's (%v Hz)", f, want)
	}
	return nil
}

func levelWords(dbm0 float64) string {
	if math.IsInf(dbm0, -1) || dbm0 < -70 {
		return "silence"
	}
	return fmt.Sprintf("%.0f dBm0 of something else", dbm0)
}

// dialFrequencies lists the frequencies of the zone's dial tone.
func dialFrequencies(z dsp.Zone) []float64 {
	var out []float64
	for _, p := range z.Dial.Parts {
		if p.Freq1 > 0 {
			out = append(out, p.Freq1)
		}
		if p.Freq2 > 0 && !p.Modulated {
			out = append(out, p.Freq2)
		}
	}
	return out
}
