package voicedaa

import (
	"fmt"
	"math"
	"time"

	"minipbx/board"
)

// gainRegs encodes a gain for the gain control 2 and 3 registers: bit 4
// selects attenuation, bits 3:0 hold the whole dB (register 2) and the
// tenths (register 3); −15.0..+12.0 dB.
func gainRegs(db float64) (whole, tenths byte, err error) {
	if math.IsNaN(db) || db < -15 || db > 12 {
		return 0, 0, fmt.Errorf("%.1f dB out of range -15..+12", db)
	}
	g := int(math.Round(db * 10))
	var att byte
	if g < 0 {
		att, g = 0x10, -g
	}
	return att | byte(g/10), att | byte(g%10), nil
}

// SetGains sets the transmit (PCM to line) and receive (line to PCM) gains.
func (d *Dev) SetGains(txDB, rxDB float64) error {
	t2, t3, err := gainRegs(txDB)
	if err != nil {
		return fmt.Errorf("voicedaa: %s: tx gain: %w", d.opts.Name, err)
	}
	r2, r3, err := gainRegs(rxDB)
	if err != nil {
		return fmt.Errorf("voicedaa: %s: rx gain: %w", d.opts.Name, err)
	}
	if err := d.bus.writeAll([2]byte{regTXGain2, t2}, [2]byte{regTXGain3, t3}, [2]byte{regRXGain2, r2}, [2]byte{regRXGain3, r3}); err != nil {
		return fmt.Errorf("voicedaa: %s: set gains: %w", d.opts.Name, err)
	}
	return nil
}

// SetHybrid loads the programmable hybrid (trans-hybrid balance, i.e. the
// chip's own echo cancellation of the 2-to-4 wire conversion)
// coefficients HYB1..HYB8.
func (d *Dev) SetHybrid(h [8]byte) error {
	if err := d.writeHybrid(h); err != nil {
		return fmt.Errorf("voicedaa: %s: %w", d.opts.Name, err)
	}
	return nil
}

func (d *Dev) writeHybrid(h [8]byte) error {
	for i, v := range h {
		if err := d.bus.write(regHybrid1+uint8(i), v); err != nil {
			return fmt.Errorf("hybrid: %w", err)
		}
	}
	return nil
}

// Seize takes the line off hook. A line with no battery (dead, cut or
// disconnected) is refused with board.ErrNoBattery: going off hook on it
// would only hide the fault.
func (d *Dev) Seize() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fault != "" {
		return fmt.Errorf("voicedaa: %s: seize: %w (%s)", d.opts.Name, board.ErrPortFault, d.fault)
	}
	if d.offHook {
		return nil
	}
	v, err := d.bus.read(regLVS)
	if err != nil {
		return fmt.Errorf("voicedaa: %s: seize: %w", d.opts.Name, err)
	}
	volts := math.Abs(float64(int8(v)))
	if d.mon.battery == batLost || volts < d.opts.NoBatteryVolts {
		return fmt.Errorf("voicedaa: %s: seize: %w (%.0f V)", d.opts.Name, board.ErrNoBattery, volts)
	}
	if d.loopback {
		// A call needs the real audio path: drop a diagnostic loopback.
		d.log.Warn("loopback on at seize; turning it off")
		if err := d.setIDL(false); err != nil {
			return fmt.Errorf("voicedaa: %s: seize: loopback off: %w", d.opts.Name, err)
		}
	}
	// The datasheet wants ONHM cleared before OH is set.
	if err := d.bus.writeAll([2]byte{regDAACtl1, 0}, [2]byte{regDAACtl1, ohBit}); err != nil {
		return fmt.Errorf("voicedaa: %s: seize: %w", d.opts.Name, err)
	}
	d.offHook = true
	d.mon.hookChanged(d.clk.Now())
	return nil
}

// Release puts the line back on hook (on-hook line monitor on).
func (d *Dev) Release() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.bus.write(regDAACtl1, onhmBit); err != nil {
		return fmt.Errorf("voicedaa: %s: release: %w", d.opts.Name, err)
	}
	d.offHook = false
	d.mon.hookChanged(d.clk.Now())
	return nil
}

// Flash limits.
const (
	minFlash = 10 * time.Millisecond
	maxFlash = 2 * time.Second
)

// Flash puts the line on hook for dur, then off hook again. The port must
// be off hook. It blocks for dur.
func (d *Dev) Flash(dur time.Duration) error {
	if dur < minFlash || dur > maxFlash {
		return fmt.Errorf("voicedaa: %s: flash of %v out of range %v..%v", d.opts.Name, dur, minFlash, maxFlash)
	}
	d.mu.Lock()
	if d.fault != "" {
		d.mu.Unlock()
		return fmt.Errorf("voicedaa: %s: flash: %w", d.opts.Name, board.ErrPortFault)
	}
	if !d.offHook {
		d.mu.Unlock()
		return fmt.Errorf("voicedaa: %s: flash: the line is on hook", d.opts.Name)
	}
	d.mon.holdoff(d.clk.Now().Add(dur))
	d.flashing = true
	err := d.bus.write(regDAACtl1, 0)
	d.mu.Unlock()
	if err != nil {
		return fmt.Errorf("voicedaa: %s: flash: %w", d.opts.Name, err)
	}
	d.clk.Sleep(dur)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.flashing = false
	if err := d.bus.write(regDAACtl1, ohBit); err != nil {
		d.offHook = false
		return fmt.Errorf("voicedaa: %s: flash: back off hook: %w", d.opts.Name, err)
	}
	d.mon.hookChanged(d.clk.Now())
	return nil
}

// Measure reads the tip-ring voltage (signed: the sign is the polarity)
// and, off hook, the loop current.
func (d *Dev) Measure() (board.Measurements, error) {
	v, err := d.bus.read(regLVS)
	if err != nil {
		return board.Measurements{}, fmt.Errorf("voicedaa: %s: measure: %w", d.opts.Name, err)
	}
	ls, err := d.bus.read(regLineStat)
	if err != nil {
		return board.Measurements{}, fmt.Errorf("voicedaa: %s: measure: %w", d.opts.Name, err)
	}
	if ls&lcsMask == lcsOverload {
		d.log.Warn("loop current overload")
	}
	return measurements(v, ls), nil
}

// Scale factors of LVS (register 29, signed, 1 V/bit) and LCS (register 12
// [4:0], 3.3 mA/bit, all ones meaning overload), as the vendor's driver
// reads them.
const (
	lvsVoltsPerLSB = 1.0
	lcsMAPerLSB    = 3.3
)

func measurements(lvs, lineStat byte) board.Measurements {
	return board.Measurements{
		LineVolts:     float64(int8(lvs)) * lvsVoltsPerLSB,
		LoopMilliamps: float64(lineStat&lcsMask) * lcsMAPerLSB,
		HasLine:       true, HasLoop: true,
	}
}
