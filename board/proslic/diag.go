package proslic

import (
	"errors"
	"fmt"
	"math"
	"time"

	"minipbx/board"
)

// Diagnostics: the optional port methods the diagnostics runner
// (telephony/diag) looks for, SetLoopback and RingerLoad.
//
// # Register facts and how sure they are
//
// DR8 is the ProSLIC's loopback control (Si3210/Si3215 datasheets,
// "Register 8. Audio Loopback Control"): bit 0 DLM, digital loopback
// (the PCM samples received on DRX go through the receive path, are turned
// round inside the codec and leave on DTX through the transmit path); bits 1
// and 2 ALM1/ALM2, the analog loopbacks. The register resets to 0x02 (ALM1
// on), which is why New writes 0 and why the monitor takes DR8 back at 0x02
// as the sign of a chip that reset; the reset value and the write of 0 are
// corroborated by the open-source DAHDI wctdm driver, which clears DR8 at
// initialisation. The DLM bit position is the datasheet's; the search tools
// available when this was written did not reach the register table itself,
// so the first hardware smoke test must confirm it (a tone sent on the
// port's timeslot with SetLoopback(true) comes back; without it, it does
// not). Whether DLM passes through the TXGAIN/RXGAIN digital gains is not
// stated where it was looked up: with gains other than 0 dB the looped-back
// level moves by their sum.
//
// The ringer load measurement reads DR79 (loop current, magnitude, at
// loopMilliampsPerLSB) and DR80/DR81 (tip and ring voltages, magnitudes of
// negative voltages, 376 mV/LSB) while the line rings. The datasheet
// describes these as the real-time outputs of the monitor ADC in every
// linefeed state, and the ring-trip detector works on the same loop current
// measurement during ringing; that DR79 follows the instantaneous AC
// ringing current closely enough to be sampled over SPI is an assumption,
// to be checked on hardware against a known load (a 6.93 kΩ + 8 µF REN
// test box, or five of them in parallel).

const (
	dlmBit = 0x01 // DR8 DLM: digital loopback
)

// The optional capabilities telephony/diag looks for on a board port.
var _ interface {
	RingerLoad() (float64, error)
	SetLoopback(on bool) error
} = (*Dev)(nil)

// ErrRinging is returned by RingerLoad while the port is ringing.
var ErrRinging = errors.New("port is ringing")

// loopbackReg is the DR8 value the port should hold (caller holds mu).
func (d *Dev) loopbackReg() byte {
	if d.loopback {
		return dlmBit
	}
	return 0
}

// SetLoopback switches the codec's digital loopback: on, the samples the
// port receives on its PCM timeslot are turned round inside the chip and
// come back on the same timeslot, through the chip's whole digital voice
// path, while nothing from the line is sent. Off restores normal
// operation (DR8 = 0, all loopbacks off).
//
// It is refused on a port out of service (board.ErrPortFault), and turning
// it on is refused while the phone is off hook (ErrOffHook: someone is on
// the line) or ringing (ErrRinging). Turning it off is always allowed on a
// working port. A phone lifted while the loopback is on turns it off, so a
// forgotten loopback never takes a line's audio away.
func (d *Dev) SetLoopback(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fault != "" {
		return fmt.Errorf("proslic: %s: loopback: %w (%s)", d.opts.Name, board.ErrPortFault, d.fault)
	}
	if on {
		if d.offHook {
			return fmt.Errorf("proslic: %s: loopback: %w (in a call)", d.opts.Name, ErrOffHook)
		}
		if d.ringing {
			return fmt.Errorf("proslic: %s: loopback: %w", d.opts.Name, ErrRinging)
		}
	}
	prev := d.loopback
	d.loopback = on
	if err := d.bus.write(drLoopback, d.loopbackReg()); err != nil {
		d.loopback = prev
		return fmt.Errorf("proslic: %s: loopback: %w", d.opts.Name, err)
	}
	return nil
}

// Ringer load measurement: the test ring and its timing.
const (
	// renTestHz is the frequency at which the REN is defined (ANSI/TIA-968
	// ringer model, 20 Hz), so no frequency correction of the model is
	// needed; renTestVrms keeps 5 REN (about 1.4 kΩ, 32 mA rms, 46 mA peak)
	// inside the loop current sense range (6 bits) while giving 1 REN about
	// seven LSBs of peak current.
	renTestHz   = 20.0
	renTestVrms = 45.0
	// renSettle lets the ringers' series capacitors charge: the model's
	// time constant is 6930 Ω × 8 µF ≈ 55 ms whatever the number of ringers
	// in parallel (R/N × N·C), so after 200 ms the transient is below 3 %.
	renSettle = 200 * time.Millisecond
	// renWindow is five whole periods of the test ring; renSampleEvery the
	// pause between samples (SPI reads add to it on hardware, which only
	// spreads the sampling phases further).
	renWindow      = 250 * time.Millisecond
	renSampleEvery = time.Millisecond
	// renMaxSamples bounds the loop whatever the clock does.
	renMaxSamples = 2000
	// renMinVrms: below it the ring voltage did not develop (the line is
	// shorted, or the ringer failed) and no impedance can be computed.
	renMinVrms = 10.0
	// REN model (ANSI/TIA-968-B, Type A ringer): 6930 Ω in series with
	// 8 µF per REN; N REN in parallel present 1/N of that impedance.
	renOhms   = 6930.0
	renFarads = 8e-6
)

// renImpedance is |Z| of one REN at f Hz (7001 Ω at 20 Hz).
func renImpedance(f float64) float64 {
	xc := 1 / (2 * math.Pi * f * renFarads)
	return math.Hypot(renOhms, xc)
}

// renFromSamples turns samples of the tip-ring voltage (volts, signed) and
// of the loop current magnitude (mA) into a REN: the load impedance is
// Vrms/Irms (the voltage's mean removed: balanced ringing has no DC across
// tip and ring, so the mean is only sense offset), and REN = |Z(1 REN)| /
// |Z|. It returns the rms values too.
func renFromSamples(volts, milliamps []float64) (ren, vrms, irms float64) {
	n := float64(len(volts))
	if n == 0 {
		return 0, 0, 0
	}
	var mean float64
	for _, v := range volts {
		mean += v
	}
	mean /= n
	var sv, si float64
	for i, v := range volts {
		sv += (v - mean) * (v - mean)
		si += milliamps[i] * milliamps[i]
	}
	vrms, irms = math.Sqrt(sv/n), math.Sqrt(si/n)
	if vrms == 0 {
		return 0, 0, irms
	}
	return renImpedance(renTestHz) * irms / 1000 / vrms, vrms, irms
}

// RingerLoad estimates the ringer equivalence number (REN) of what is
// plugged into the port, as the ProSLIC can: it rings the line for about
// half a second with a 20 Hz, 45 Vrms test ring, samples the tip, ring and
// loop current sense registers over five ring periods after the ringers'
// capacitors settle, computes the load's impedance |Z| = Vrms/Irms and
// converts it with the US ringer model (1 REN = 6930 Ω in series with
// 8 µF, |Z| = 7001 Ω at 20 Hz): REN = 7001 Ω / |Z|. Then it puts back the
// linefeed state, the configured ringer and the cadence.
//
// A phone on the line gives a short ring. The measurement is refused while
// the phone is off hook (ErrOffHook, also when the loop is closed but the
// monitor has not reported it yet), while the port rings (ErrRinging) and
// on a port out of service (board.ErrPortFault); if the phone is lifted
// during the test ring (ring trip) it stops at once and returns ErrOffHook.
// It takes about 0.5 s (well under 2 s), during which the monitor and
// the port's other methods (Status included) wait for it.
//
// Accuracy. The model is exact for classic electromechanical (Type A)
// ringers; electronic ringers present other impedances and phase angles, so
// their REN comes out only approximately (typically within ±30 %). The loop
// current is read in 1.25 mA steps, which limits resolution to about
// ±0.1 REN near 1 REN and makes anything under about 0.1 REN read as 0
// (open line). The voltage is measured, not assumed, so a ring voltage that
// sags under a heavy load does not bias the result. See the package's
// register notes above for what must be confirmed on hardware.
func (d *Dev) RingerLoad() (float64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fail := func(err error) (float64, error) {
		return 0, fmt.Errorf("proslic: %s: ringer load: %w", d.opts.Name, err)
	}
	switch {
	case d.fault != "":
		return fail(fmt.Errorf("%w (%s)", board.ErrPortFault, d.fault))
	case d.offHook:
		return fail(ErrOffHook)
	case d.ringing:
		return fail(ErrRinging)
	}
	st, err := d.bus.read(drHookStat)
	if err != nil {
		return fail(err)
	}
	if st&lcrBit != 0 {
		return fail(fmt.Errorf("%w (loop closed)", ErrOffHook))
	}
	test, err := RingerParams(renTestHz, renTestVrms)
	if err != nil {
		return fail(err)
	}
	// The chip's cadence timers would stop the test ring part way: off
	// for the test, restored after.
	if err := d.bus.write(drRingCtl, 0); err != nil {
		return fail(err)
	}
	ren, err := d.ringAndMeasure(test)
	if rerr := d.restoreAfterRingTest(); rerr != nil && err == nil {
		err = fmt.Errorf("restore: %w", rerr)
	}
	if err != nil {
		return fail(err)
	}
	return ren, nil
}

// ringAndMeasure rings with test and samples (caller holds mu).
func (d *Dev) ringAndMeasure(test RingParams) (float64, error) {
	if err := d.writeRinger(test); err != nil {
		return 0, err
	}
	if err := d.bus.write(drLinefeed, lfRinging); err != nil {
		return 0, err
	}
	d.lastLF = lfRinging
	d.clk.Sleep(renSettle)
	volts := make([]float64, 0, 320)
	amps := make([]float64, 0, 320)
	end := d.clk.Now().Add(renWindow)
	for len(volts) < renMaxSamples && d.clk.Now().Before(end) {
		var v [4]byte
		for i, r := range []uint8{drHookStat, drTipSense, drRingSense, drLoopISens} {
			x, err := d.bus.read(r)
			if err != nil {
				return 0, err
			}
			v[i] = x
		}
		if v[0]&(rtpBit|lcrBit) != 0 {
			return 0, fmt.Errorf("%w (ring trip during the test ring)", ErrOffHook)
		}
		// Tip and ring read as magnitudes of negative voltages:
		// V(tip) − V(ring) = (ring − tip) × 376 mV.
		volts = append(volts, (float64(v[2])-float64(v[1]))*voltsPerLSB)
		amps = append(amps, float64(v[3]&loopSenseMask)*loopMilliampsPerLSB)
		d.clk.Sleep(renSampleEvery)
	}
	ren, vrms, irms := renFromSamples(volts, amps)
	d.log.Debug("ringer load", "samples", len(volts), "vrms", vrms, "irms_mA", irms, "ren", ren)
	if vrms < renMinVrms {
		return 0, fmt.Errorf("test ring reached only %.1f Vrms across the line (shorted pair or ringing failure)", vrms)
	}
	return math.Round(ren*100) / 100, nil
}

// restoreAfterRingTest puts back the linefeed, the configured ringer and
// the cadence, trying every step (caller holds mu).
func (d *Dev) restoreAfterRingTest() error {
	errs := []error{d.applyLinefeed(), d.writeRinger(d.ring), d.bus.writeAll(d.cadenceRegs()...)}
	return errors.Join(errs...)
}
