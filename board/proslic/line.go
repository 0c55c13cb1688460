package proslic

import (
	"errors"
	"fmt"
	"math"

	"minipbx/board"
)

// ErrOffHook is returned by Ring(true) while the phone is off hook.
var ErrOffHook = errors.New("phone is off hook")

// wantLinefeed is the linefeed state the port should be in (caller holds mu).
func (d *Dev) wantLinefeed() byte {
	switch {
	case d.fault != "":
		return lfOpen
	case d.ringing:
		return lfRinging
	case d.oht && !d.offHook:
		if d.reversed {
			return lfReverseOHT
		}
		return lfForwardOHT
	case d.reversed:
		return lfReverse
	}
	return lfForward
}

// applyLinefeed writes the wanted linefeed state (caller holds mu).
func (d *Dev) applyLinefeed() error {
	lf := d.wantLinefeed()
	if err := d.bus.write(drLinefeed, lf); err != nil {
		return err
	}
	d.lastLF = lf
	return nil
}

func (d *Dev) changeLine(what string, f func() error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fault != "" {
		return fmt.Errorf("proslic: %s: %s: %w (%s)", d.opts.Name, what, board.ErrPortFault, d.fault)
	}
	if err := f(); err != nil {
		return fmt.Errorf("proslic: %s: %s: %w", d.opts.Name, what, err)
	}
	if err := d.applyLinefeed(); err != nil {
		return fmt.Errorf("proslic: %s: %s: %w", d.opts.Name, what, err)
	}
	return nil
}

// Ring starts (true) or stops (false) the ringing linefeed state. While
// ringing, lifting the handset trips the ring: the chip moves to active by
// itself and the monitor reports EventOffHook.
func (d *Dev) Ring(on bool) error {
	return d.changeLine("ring", func() error {
		if on && d.offHook {
			return ErrOffHook
		}
		d.ringing = on
		return nil
	})
}

// SetOnHookTransmission enables the audio path while the phone is on hook
// (on-hook transmission linefeed), for FSK caller ID and message waiting.
func (d *Dev) SetOnHookTransmission(on bool) error {
	return d.changeLine("on-hook transmission", func() error {
		d.oht = on
		return nil
	})
}

// SetPolarity reverses the line feed (true) or restores it (false).
func (d *Dev) SetPolarity(reversed bool) error {
	return d.changeLine("polarity", func() error {
		d.reversed = reversed
		return nil
	})
}

// digitalGain converts dB to the Q14 digital gain of the TXGAIN/RXGAIN
// indirect registers (0x4000 = 0 dB; 0x7FFF ≈ +6 dB is the largest).
func digitalGain(db float64) (uint16, error) {
	if math.IsNaN(db) || db < -30 || db > 6 {
		return 0, fmt.Errorf("%.1f dB out of range -30..+6", db)
	}
	v := math.Round(0x4000 * math.Pow(10, db/20))
	return uint16(min(v, 0x7FFF)), nil
}

// SetGains sets the digital transmit (line to PCM) and receive (PCM to
// line) gains, −30..+6 dB.
func (d *Dev) SetGains(txDB, rxDB float64) error {
	tx, err := digitalGain(txDB)
	if err != nil {
		return fmt.Errorf("proslic: %s: tx gain: %w", d.opts.Name, err)
	}
	rx, err := digitalGain(rxDB)
	if err != nil {
		return fmt.Errorf("proslic: %s: rx gain: %w", d.opts.Name, err)
	}
	si3215 := d.chip.Variant == Si3215
	if err := d.bus.writeIndirect(irTxGain.addr(si3215), tx); err != nil {
		return fmt.Errorf("proslic: %s: set gains: %w", d.opts.Name, err)
	}
	if err := d.bus.writeIndirect(irRxGain.addr(si3215), rx); err != nil {
		return fmt.Errorf("proslic: %s: set gains: %w", d.opts.Name, err)
	}
	d.mu.Lock()
	d.txGain, d.rxGain = tx, rx
	d.mu.Unlock()
	return nil
}

// SetLoopCurrent sets the loop current limit, 20..41 mA in 3 mA steps
// (rounded down).
func (d *Dev) SetLoopCurrent(mA int) error {
	if mA < 20 || mA > 41 {
		return fmt.Errorf("proslic: %s: loop current %d mA out of range 20..41", d.opts.Name, mA)
	}
	if err := d.bus.write(drILim, byte((mA-20)/3)); err != nil {
		return fmt.Errorf("proslic: %s: set loop current: %w", d.opts.Name, err)
	}
	return nil
}

// Measure reads tip, ring and battery voltages (to ground; tip and ring are
// negative on a ProSLIC line) and the loop current.
func (d *Dev) Measure() (board.Measurements, error) {
	var v [4]byte
	for i, r := range []uint8{drTipSense, drRingSense, drVBat1, drLoopISens} {
		x, err := d.bus.read(r)
		if err != nil {
			return board.Measurements{}, fmt.Errorf("proslic: %s: measure: %w", d.opts.Name, err)
		}
		v[i] = x
	}
	return measurements(v[0], v[1], v[2], v[3]), nil
}

// measurements applies the datasheet's scale factors to raw sense readings.
func measurements(tip, ring, vbat, iloop byte) board.Measurements {
	return board.Measurements{
		TipVolts:      -float64(tip) * voltsPerLSB,
		RingVolts:     -float64(ring) * voltsPerLSB,
		BatteryVolts:  -float64(vbat) * voltsPerLSB,
		LoopMilliamps: float64(iloop&loopSenseMask) * loopMilliampsPerLSB,
		HasTipRing:    true, HasBattery: true, HasLoop: true,
	}
}
