// Package voicedaa drives a Silicon Labs Si3050 voice DAA with its Si3019
// line-side device, the line interface of one FXO port, over SPI with
// periph.io (RESET and INT optionally on GPIO). A Dev implements
// board.FXOPort.
//
// # Sources
//
//   - Si3050/Si3011/Si3018/Si3019 datasheet (Silicon Labs): register map,
//     SPI framing (control byte 0x20 write / 0x60 read, address byte, data
//     byte, chip select high after each byte), the isolation capacitor link
//     (PDL, line-side ID), ring detector status bits RDTP/RDTN, ONHM to be
//     cleared before OH is set, LVS (signed, 1 V/bit), gain registers,
//     programmable hybrid, and the country-specific register settings table;
//   - Silicon Labs' VDAA API (the vendor's driver for the Si3050): the access
//     check (a write to register 36 read back), line-side power-up and
//     revision read-out, the loop current in register 12 [4:0] at 3.3 mA/bit
//     (all ones: overload), INTE for the interrupt pin, and clearing the
//     interrupt source by writing zeros;
//   - AN67 (Si3050 layout and design guide) and AN84 (digital interface),
//     for the PCM and SPI set-up;
//   - the Linux DAHDI wctdm driver, which drives the same chip: the
//     isolation link wait, on-hook line monitor, battery threshold (3 V) and
//     polarity debounce (64 ms), and ring validation by RDTP/RDTN
//     alternation.
//
// No code was copied. Country settings: see Country and LookupCountry
// (each entry records its source).
//
// # Behaviour
//
// New resets the chip (RESET pin or soft reset), identifies it (register 2
// with HBE and RXE set as after reset, a plausible system-side revision),
// checks that register writes reach it, programs PCM
// law and timeslot, the country's DC termination (DCV, MINI, ILIM), AC
// termination (ACIM), ring detector and on-hook speed (OHS, OHS2), gains
// and optional hybrid coefficients, powers the line side up and waits for
// the isolation link (the line-side ID reads non-zero) within Opts.ISOTimeout,
// checks the line-side revision, and leaves the line on hook with the
// on-hook line monitor on, so that caller ID between rings reaches the PCM
// highway.
//
// The monitor (Start/Halt) samples the ring detector and the line voltage
// every Opts.PollInterval:
//   - a ring is validated only when the detector's polarity alternates
//     (RDTP, RDTN, RDTP, …) Opts.RingMinAlternations times within the half
//     period of a real ring; a steady voltage is not a ring. EventRingStart
//     and EventRingStop;
//   - |LVS| below Opts.NoBatteryVolts for Opts.BatteryDebounce is a battery
//     loss (EventLineVoltageLost / EventLineVoltageRestored), which is also
//     how the far end's disconnect (CPC) shows;
//   - a sign change of LVS held for Opts.PolarityDebounce is a polarity
//     reversal (EventPolarityReversal);
//   - on hook, a drop below Opts.InUseFraction of the learned idle voltage
//     means a parallel handset is off hook; off hook, a drop of the port's
//     loop current below Opts.InUseCurrentFraction of what it had means an
//     extension picked up during the call (EventLineInUse / EventLineIdle).
//
// Seize refuses a line without battery (board.ErrNoBattery). Supervision
// detects a chip that reset (PCM disabled again) and reconfigures it, brings
// a lost isolation link back up, and takes the port out of service
// (EventFault) when the chip stops answering; a faulty port is retried every
// minute (EventRecovered).
//
// SetLoopback switches the isolation digital loopback (Control 1 IDL) for
// the diagnostics' audio-path tests: PCM in comes back on PCM out through
// the system side and the isolation link. It is refused while the line is
// seized or the port is out of service; Seize drops a forgotten loopback.
// loopback.go states the register facts and their sources.
//
// Audio does not cross SPI: the board assembly fetches the callback set
// with SetAudio through AudioFunc and feeds it this port's PCM timeslot.
package voicedaa
