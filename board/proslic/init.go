package proslic

import (
	"fmt"
	"math"
	"time"
)

// Calibration is the result of a ProSLIC's calibrations: the calibration
// vector DR98..DR107 (tip/ring gain mismatch, differential and common-mode
// current, current-limit gain, ADC/DAC offsets, common-mode balance and
// DC-DC peak current). A chip that resets (power glitch, ESD) or a box that
// restarts can write it back instead of repeating the calibrations, which
// take about a second with the line open. It encodes to JSON as is.
type Calibration struct {
	Variant  Variant  `json:"variant"`
	Model    string   `json:"model"`
	Revision uint8    `json:"revision"`
	Vector   [10]byte `json:"vector"` // DR98..DR107
}

// fits checks that a kept calibration belongs to this kind of chip and has
// plausible values.
func (c Calibration) fits(ci ChipInfo) error {
	if c.Variant != ci.Variant || c.Model != ci.Model || c.Revision != ci.Revision {
		return fmt.Errorf("%w: made on %s rev %d, chip is %s", ErrBadCalibration, c.Model, c.Revision, ci)
	}
	if v := c.Vector[9]; v < dcdcCalMin || v > dcdcCalMax {
		return fmt.Errorf("%w: DC-DC calibration DR107 = %#02x out of range", ErrBadCalibration, v)
	}
	return nil
}

// The DC-DC calibration result DR107 lies in 2..13 on a healthy converter;
// outside that the datasheet's mid value is safer than the measurement.
const (
	dcdcCalMin = 0x02
	dcdcCalMax = 0x0D
	dcdcCalMid = 0x08
)

// bringUp takes a chip from reset (or from an unknown state) to an idle
// forward-active line, calibrating unless a calibration is kept. It follows
// the initialisation flow of AN35 (steps noted below).
func (d *Dev) bringUp() error {
	b := &d.bus
	o := &d.opts
	si3215 := d.chip.Variant == Si3215
	full := !d.hasCal

	// Converter off and interrupts masked while we work.
	if err := b.writeAll([2]byte{drPowerDown, pdDCDC}, [2]byte{drLinefeed, lfOpen},
		[2]byte{drIntEn1, 0}, [2]byte{drIntEn2, 0}, [2]byte{drIntEn3, 0}); err != nil {
		return err
	}
	// Step 9: indirect registers, with the loop-closure, ring-trip and
	// thermal filters flushed (0x8000) while the converter starts and the
	// calibrations run; their real coefficients go back afterwards.
	if err := d.loadIndirect(); err != nil {
		return err
	}
	for _, ir := range irFilterFlush {
		if err := b.writeIndirect(ir.addr(si3215), 0x8000); err != nil {
			return err
		}
	}
	if err := b.writeIndirect(irScratch.addr(si3215), 0); err != nil {
		return err
	}
	// Step 10 and the line-feed settings.
	if err := b.writeAll(
		[2]byte{drLoopback, 0},
		[2]byte{drEnhance, enhanceDefault},
		[2]byte{drAutoCtl, autoCtlDefault},
		[2]byte{drBatFeed, 0x01},
		[2]byte{drBiasSquelch, biasSquelchDefault},
		[2]byte{drVBATH, d.ring.VBATH},
		[2]byte{drVBATL, byte(24 / batVoltsPerLSB)},
		[2]byte{drVOC, byte(math.Round(o.OnHookVolts / batVoltsPerLSB))},
		[2]byte{drILim, byte((o.LoopCurrentMA - 20) / 3)},
	); err != nil {
		return err
	}
	// Step 12: power up, after checking that the line carries no voltage
	// of its own.
	if full && !o.SkipLeakageTest {
		if err := d.foreignVoltageTest(); err != nil {
			return err
		}
	}
	if err := d.powerUp(full); err != nil {
		return err
	}
	if full {
		if !o.SkipLeakageTest {
			if err := d.leakageTest(); err != nil {
				return err
			}
			if err := d.powerUp(false); err != nil {
				return err
			}
		}
		// Steps 14–20.
		if err := d.calibrate(); err != nil {
			return err
		}
	} else if err := d.restoreCalibration(); err != nil {
		return err
	}
	// Step 21: clear what the calibrations left pending, then restore the
	// filters.
	if err := d.ackInterrupts(); err != nil {
		return err
	}
	d.alarmBits = 0
	for _, e := range d.indirectTable() {
		for _, ir := range irFilterFlush {
			if e.reg == ir {
				if err := b.writeIndirect(ir.addr(si3215), e.val); err != nil {
					return err
				}
			}
		}
	}
	if err := d.verifyIndirect(); err != nil {
		return err
	}
	return d.configureLine()
}

// indirectTable is what the indirect registers must hold: the datasheet
// defaults with this port's ringer and gains.
func (d *Dev) indirectTable() []irInit {
	t := make([]irInit, 0, len(defaultIndirect))
	for _, e := range defaultIndirect {
		switch e.reg {
		case irRingOsc:
			e.val = d.ring.Osc
		case irRingX:
			e.val = d.ring.X
		case irRingY:
			e.val = 0
		case irRingOff:
			e.val = d.ring.Offset
		case irRTF:
			e.val = d.ring.RingTrip
		case irTxGain:
			e.val = d.txGain
		case irRxGain:
			e.val = d.rxGain
		}
		t = append(t, e)
	}
	return t
}

func (d *Dev) loadIndirect() error {
	si3215 := d.chip.Variant == Si3215
	for _, e := range d.indirectTable() {
		if err := d.bus.writeIndirect(e.reg.addr(si3215), e.val); err != nil {
			return fmt.Errorf("load indirect registers: %w", err)
		}
	}
	return nil
}

// verifyIndirect reads every indirect register back; a mismatch names it.
func (d *Dev) verifyIndirect() error {
	si3215 := d.chip.Variant == Si3215
	for _, e := range d.indirectTable() {
		a := e.reg.addr(si3215)
		got, err := d.bus.readIndirect(a)
		if err != nil {
			return fmt.Errorf("verify indirect registers: %w", err)
		}
		if got != e.val {
			return fmt.Errorf("verify indirect registers: %w", &IndirectMismatchError{Name: e.reg.name, Addr: a, Want: e.val, Got: got})
		}
	}
	return nil
}

// batteryThreshold is the DR82 reading the battery must reach at power-up:
// the programmed high battery less 4 V of regulation margin.
func (d *Dev) batteryThreshold() byte {
	v := float64(d.ring.VBATH)*batVoltsPerLSB - batteryMarginV
	return byte(v / voltsPerLSB)
}

// batteryMarginV: the battery counts as up within 6 V of the programmed
// high battery (AN35 power-up check).
const batteryMarginV = 6

// dcdc returns the converter timing in use: Opts.DCDC, or the reference
// design's values for the chip (the "M" parts use a different converter).
func (d *Dev) dcdc() DCDC {
	c := d.opts.DCDC
	def := DCDC{PWMPeriod: 0x7F, SwitchDelay: 0x14}
	if d.chip.M {
		def = DCDC{PWMPeriod: 0x60, SwitchDelay: 0x38}
	}
	if c.PWMPeriod == 0 {
		c.PWMPeriod = def.PWMPeriod
	}
	if c.SwitchDelay == 0 {
		c.SwitchDelay = def.SwitchDelay
	}
	c.SwitchDelay &= 0x7F
	return c
}

// Slow-start converter timing, used until the battery is up so that the
// output cannot run away (AN35).
const (
	slowStartPWM   = 0xFF
	slowStartDelay = 0x12
)

// powerUp starts the DC-DC converter, waits for the battery, then programs
// the converter's operating timing and, with calibrateDCDC, runs the
// converter calibration.
func (d *Dev) powerUp(calibrateDCDC bool) error {
	b := &d.bus
	c := d.dcdc()
	start := [][2]byte{{drDCDC, slowStartDelay}, {drDCDCPWM, slowStartPWM}}
	if d.chip.M {
		start = [][2]byte{{drDCDCPWM, c.PWMPeriod}, {drDCDC, c.SwitchDelay}}
	}
	if err := b.writeAll(append(start, [2]byte{drPowerDown, 0})...); err != nil {
		return err
	}
	want := d.batteryThreshold()
	var last byte
	t0 := d.clk.Now()
	ok, err := waitFor(d.clk, d.opts.PowerUpTimeout, 10*time.Millisecond, func() (bool, error) {
		v, err := b.read(drVBat1)
		last = v
		return v >= want, err
	})
	if err != nil {
		return err
	}
	if !ok {
		_ = b.write(drPowerDown, pdDCDC)
		return fmt.Errorf("%w: battery %.1f V after %v, want %.1f V", ErrPowerUp,
			float64(last)*voltsPerLSB, d.opts.PowerUpTimeout, float64(want)*voltsPerLSB)
	}
	d.log.Debug("battery up", "volts", float64(last)*voltsPerLSB, "after", d.clk.Now().Sub(t0))
	if err := b.writeAll([2]byte{drDCDCPWM, c.PWMPeriod}, [2]byte{drDCDC, c.SwitchDelay}); err != nil {
		return err
	}
	if !calibrateDCDC {
		return nil
	}
	d.clk.Sleep(30 * time.Millisecond)
	if err := b.write(drDCDC, c.SwitchDelay|dcdcCalStart); err != nil {
		return err
	}
	ok, err = waitFor(d.clk, d.opts.CalibrationTimeout, 10*time.Millisecond, func() (bool, error) {
		v, err := b.read(drDCDC)
		return v&dcdcCalStart == 0, err
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: DC-DC calibration (DR93 bit 7 still set after %v)", ErrCalibrationTimeout, d.opts.CalibrationTimeout)
	}
	r, err := b.read(drCalDCDC)
	if err != nil {
		return err
	}
	if r < dcdcCalMin || r > dcdcCalMax {
		d.log.Warn("DC-DC calibration out of range; using the mid value", "DR107", r)
		return b.write(drCalDCDC, dcdcCalMid)
	}
	return nil
}

// foreignVoltageLimit is the largest tip or ring voltage accepted on an
// open (unfed) line. More means a voltage from elsewhere: typically a telco
// line plugged into the FXS port by mistake, or a crossed pair.
const foreignVoltageLimit = 10.0

// Foreign-voltage test timing: the open line settles for a quarter second,
// then tip and ring are averaged over a few samples (the sense registers
// update at 800 Hz), as Silicon Labs' own line tests do.
const (
	foreignSettle  = 250 * time.Millisecond
	foreignSamples = 4
	foreignSpacing = 5 * time.Millisecond
)

// foreignVoltageTest reads tip and ring with the linefeed open, before the
// line is ever fed.
func (d *Dev) foreignVoltageTest() error {
	if err := d.bus.write(drLinefeed, lfOpen); err != nil {
		return err
	}
	d.clk.Sleep(foreignSettle)
	var sum [2]int
	for i := range foreignSamples {
		if i > 0 {
			d.clk.Sleep(foreignSpacing)
		}
		for j, r := range []uint8{drTipSense, drRingSense} {
			v, err := d.bus.read(r)
			if err != nil {
				return err
			}
			sum[j] += int(v)
		}
	}
	for j, name := range []string{"tip", "ring"} {
		if volts := float64(sum[j]) / foreignSamples * voltsPerLSB; volts > foreignVoltageLimit {
			return fmt.Errorf("%w: %s at %.1f V with the line open (a telco line on an FXS port?)", ErrForeignVoltage, name, volts)
		}
	}
	return nil
}

// Leakage test: with the line open, switch the converter off and watch the
// battery decay. The battery capacitor alone holds its charge for well over
// half a second; if it collapses below ~2.3 V sooner, something (a shorted
// line, a damaged protection device) is drawing current.
const (
	leakWindow    = 500 * time.Millisecond
	leakThreshold = 6 // DR82 LSBs, 2.26 V
)

func (d *Dev) leakageTest() error {
	if err := d.bus.writeAll([2]byte{drLinefeed, lfOpen}, [2]byte{drPowerDown, pdDCDC}); err != nil {
		return err
	}
	start := d.clk.Now()
	var v byte
	collapsed, err := waitFor(d.clk, leakWindow, 10*time.Millisecond, func() (bool, error) {
		var err error
		v, err = d.bus.read(drVBat1)
		return v < leakThreshold, err
	})
	if err != nil {
		return err
	}
	if collapsed {
		return fmt.Errorf("%w: battery fell to %.1f V within %v of switching the converter off",
			ErrLeakage, float64(v)*voltsPerLSB, d.clk.Now().Sub(start))
	}
	return nil
}

// calibrate runs steps 14 to 20 of the AN35 flow: the self calibrations of
// the monitor ADC, DACs and current limit; the manual tip/ring gain-mismatch
// search; the longitudinal (common-mode) balance calibration; the flush of
// the accumulators. The results (with the DC-DC calibration done at
// power-up) are kept in d.cal.
func (d *Dev) calibrate() error {
	b := &d.bus
	if err := b.writeAll([2]byte{drIntEn1, 0}, [2]byte{drIntEn2, 0}, [2]byte{drIntEn3, 0}, [2]byte{drLinefeed, lfOpen},
		[2]byte{drCal2, cal2Standard}, [2]byte{drCal1, cal1Start}); err != nil {
		return err
	}
	if err := d.waitCal("self calibration"); err != nil {
		return err
	}

	// Gain mismatch: lower the ring (DR98) and tip (DR99) trims until the
	// matching transistor current sense reads zero.
	d.clk.Sleep(10 * time.Millisecond)
	if err := b.write(drCalTip, 0x10); err != nil {
		return err
	}
	for _, s := range [][2]uint8{{drCalRing, drIQ5}, {drCalTip, drIQ6}} {
		for i := byte(0x1F); i > 0; i-- {
			if err := b.write(s[0], i); err != nil {
				return err
			}
			d.clk.Sleep(40 * time.Millisecond)
			v, err := b.read(s[1])
			if err != nil {
				return err
			}
			if v == 0 {
				break
			}
		}
	}

	// Longitudinal balance: charge the line in forward active, check that
	// no phone is off hook (a closed loop spoils this calibration), open
	// the line and run the common-mode balance calibration alone. It
	// reports failure through the CM-balance interrupt.
	if err := b.writeAll([2]byte{drIntEn3, int3CMBal}, [2]byte{drLinefeed, lfForward}); err != nil {
		return err
	}
	d.clk.Sleep(250 * time.Millisecond)
	hook, err := b.read(drHookStat)
	if err != nil {
		return err
	}
	if err := b.write(drLinefeed, lfOpen); err != nil {
		return err
	}
	if hook&lcrBit != 0 {
		d.log.Warn("phone off hook during calibration: longitudinal balance not calibrated")
	} else {
		if err := b.writeAll([2]byte{drCal2, cal2LongBal}, [2]byte{drCal1, cal1LongStart}); err != nil {
			return err
		}
		if err := d.waitCal("longitudinal balance calibration"); err != nil {
			return err
		}
		st, err := b.read(drIntStat3)
		if err != nil {
			return err
		}
		if st&int3CMBal != 0 {
			return fmt.Errorf("%w: longitudinal balance (common-mode) calibration reported an error", ErrCalibration)
		}
	}
	if err := b.write(drIntEn3, 0); err != nil {
		return err
	}

	// Step 20: flush the accumulators.
	for a := 88; a < 212; a++ {
		if err := b.writeIndirect(uint8(a), 0); err != nil {
			return err
		}
	}

	c := Calibration{Variant: d.chip.Variant, Model: d.chip.Model, Revision: d.chip.Revision}
	for i := range c.Vector {
		v, err := b.read(drCalRing + uint8(i))
		if err != nil {
			return err
		}
		c.Vector[i] = v
	}
	d.mu.Lock()
	d.cal, d.hasCal = c, true
	d.mu.Unlock()
	d.log.Info("calibrated", "vector", fmt.Sprintf("% x", c.Vector[:]))
	return nil
}

func (d *Dev) waitCal(what string) error {
	ok, err := waitFor(d.clk, d.opts.CalibrationTimeout, 10*time.Millisecond, func() (bool, error) {
		v, err := d.bus.read(drCal1)
		return v == 0, err
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s (DR96 still busy after %v)", ErrCalibrationTimeout, what, d.opts.CalibrationTimeout)
	}
	return nil
}

// restoreCalibration writes a kept calibration vector back.
func (d *Dev) restoreCalibration() error {
	d.mu.Lock()
	c := d.cal
	d.mu.Unlock()
	for i, v := range c.Vector {
		if err := d.bus.write(drCalRing+uint8(i), v); err != nil {
			return fmt.Errorf("restore calibration: %w", err)
		}
	}
	return nil
}

// configureLine sets PCM, gains, cadence timers and interrupts, and puts the
// line into its idle state.
func (d *Dev) configureLine() error {
	o := &d.opts
	pcm := byte(pcmEnable | pcmULaw)
	if o.Law == ALaw {
		pcm = pcmEnable | pcmALaw
	}
	start := o.Timeslot * 8
	regs := [][2]byte{
		{drPCMMode, pcm},
		{drTXStartLo, byte(start)}, {drTXStartHi, byte(start >> 8 & 0x03)},
		{drRXStartLo, byte(start)}, {drRXStartHi, byte(start >> 8 & 0x03)},
		{drAudioGain, 0},
		{drIntStat1, 0xFF}, {drIntStat2, 0xFF}, {drIntStat3, 0xFF},
	}
	d.mu.Lock()
	regs = append(regs, d.cadenceRegs()...)
	d.mu.Unlock()
	if o.IRQ != nil {
		// Loop closure, ring trip and the six power alarms.
		regs = append(regs, [2]byte{drIntEn2, 0xFF})
	}
	if err := d.bus.writeAll(regs...); err != nil {
		return fmt.Errorf("configure line: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.applyLinefeed()
}

// shutdown opens the line and stops the converter (best effort).
func (d *Dev) shutdown() {
	_ = d.bus.writeAll([2]byte{drLinefeed, lfOpen}, [2]byte{drPowerDown, pdDCDC})
}
