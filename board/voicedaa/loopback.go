package voicedaa

import (
	"errors"
	"fmt"

	"minipbx/board"
)

// Digital loopback for the diagnostics runner (telephony/diag).
//
// Register facts. Register 1 (Control 1) bit 1 is IDL, the isolation
// digital loopback: the samples received on the port's PCM timeslot go
// through the system side's receive path, across the isolation capacitor
// link to the line-side device, are turned round there before its
// converters and come back the same way to the transmit timeslot, so the
// whole digital voice path and the isolation link are exercised while
// nothing is sent to the line. The datasheet asks for the line side to be
// powered up (PDL clear, the link locked) before IDL is set. Bit 7 of the
// same register is SR, the soft reset, which the driver must never set by
// accident. Sources: the Si3050 datasheet's register map (Control 1: SR,
// PWMM, PWME, IDL); the same bit is named DL in the register definitions of
// an open-source Linux driver for the Si3052 (same DAA register map), and
// Silicon Labs' ISOmodem manuals describe DL as the "isolation digital
// loopback … across the isolation barrier". Two other loopbacks exist and
// are not used: DDL (register 7 bit 0), which only turns the data round at
// the PCM interface, and AL (register 2 bit 3), an analog loopback in the
// line-side device. Whether the looped path includes the programmable TX/RX
// gains (registers 38–41) is not stated where this was looked up: with
// gains other than 0 dB the looped-back level may move by their sum.

// The optional capability telephony/diag looks for on a board port.
var _ interface{ SetLoopback(on bool) error } = (*Dev)(nil)

// idlBit is Control 1 IDL.
const idlBit = 0x02

// ErrOffHook is returned by SetLoopback while the line is seized.
var ErrOffHook = errors.New("line is off hook (in a call)")

// SetLoopback switches the isolation digital loopback on or off. Off
// restores normal operation (IDL clear, the other Control 1 bits kept).
//
// Turning it on is refused while the line is seized (ErrOffHook), with the
// isolation link down (ErrISOLink) and on a port out of service
// (board.ErrPortFault, which also refuses off: the chip is not answering).
// Seize turns a forgotten loopback off before going off hook, so a call
// always gets its audio.
func (d *Dev) SetLoopback(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fault != "" {
		return fmt.Errorf("voicedaa: %s: loopback: %w (%s)", d.opts.Name, board.ErrPortFault, d.fault)
	}
	if on {
		if d.offHook {
			return fmt.Errorf("voicedaa: %s: loopback: %w", d.opts.Name, ErrOffHook)
		}
		r11, err := d.bus.read(regRev)
		if err != nil {
			return fmt.Errorf("voicedaa: %s: loopback: %w", d.opts.Name, err)
		}
		if r11>>4 == 0 {
			return fmt.Errorf("voicedaa: %s: loopback: %w (register 11 = %#02x)", d.opts.Name, ErrISOLink, r11)
		}
	}
	if err := d.setIDL(on); err != nil {
		return fmt.Errorf("voicedaa: %s: loopback: %w", d.opts.Name, err)
	}
	return nil
}

// setIDL rewrites Control 1's IDL bit, never writing SR (caller holds mu).
func (d *Dev) setIDL(on bool) error {
	old, err := d.bus.read(regCtl1)
	if err != nil {
		return err
	}
	v := old &^ (softReset | idlBit)
	if on {
		v |= idlBit
	}
	if err := d.bus.write(regCtl1, v); err != nil {
		return err
	}
	d.loopback = on
	return nil
}
