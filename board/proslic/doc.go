// Package proslic drives a Silicon Labs Si3215 (or Si3210) ProSLIC, the
// SLIC/codec of one FXS port, over SPI with periph.io, with RESET and INT on
// GPIO. A Dev implements board.FXSPort.
//
// # Sources
//
// The register-level facts come from the public documents and drivers:
//   - Si3210/Si3211 and Si3215/Si3216 datasheets (Silicon Labs): the direct
//     and indirect register maps, SPI framing (control byte, bit 7 = read,
//     chip select high between bytes), the initialisation flow, the ringing
//     equations, the power monitor and the measurement scale factors;
//   - AN35 (ProSLIC calibration and initialisation), AN47 and AN45 (DC-DC
//     converter design, hence the DR92/DR93 timing values in Opts.DCDC),
//     AN55 (ProSLIC ringing), AN71 (loop current and power alarms);
//   - Silicon Labs' ProSLIC API for the Si321x, the vendor's own rendering
//     of the AN35 flow: part identification (DR1 bit 7, then DR6 or DR0),
//     the access check (DR8, DR11, a DR4 write read back), slow-start
//     converter timing, the foreign-voltage check before power-up, the
//     calibration steps and their error reporting, the accumulator flush,
//     and the reference initial values;
//   - the Linux DAHDI wctdm driver, which drives the same chips and shows
//     the sequences in practice (the leakage test, reset detection through
//     DR8, the Si3215 indirect address translation, the loop-current
//     scale).
//
// No code was copied; the register values are the datasheets' recommended
// values. Voltage scales (376 mV/LSB) assume the datasheet's reference
// (low-voltage) bill of materials for the sense resistors.
//
// # Life cycle
//
// New resets the chip (RESET low 5 ms), identifies it, checks register
// access, loads the indirect registers, checks the open line for a foreign
// voltage (tip or ring above 10 V: a telco line plugged into the FXS port),
// powers the DC-DC converter up (slow start, battery within 6 V of the
// programmed high battery, then the converter's own calibration), runs the
// leakage test (converter off: the battery must not collapse within
// 0.5 s), powers up again, calibrates (self calibrations, the manual
// tip/ring gain-mismatch search, the longitudinal balance calibration,
// which a phone left off hook would spoil and is then skipped with a
// warning), flushes the accumulators, verifies every indirect register by
// reading it back, sets PCM law and timeslot, and leaves the line in forward
// active. The calibration vector DR98..DR107 is kept (Dev.Calibration, a
// small JSON-friendly struct); passed back in Opts.Calibration it replaces
// the line tests and calibrations, and the monitor uses it to bring a chip
// that reset back in a few milliseconds.
//
// Start runs the monitor goroutine; Halt stops it, opens the line and turns
// the converter off.
//
// # Hook, events and audio
//
// The monitor samples the loop-closure bit (and the ring-trip bit while
// ringing) every Opts.PollInterval and at each INT edge, debounces it
// (Opts.HookDebounce) and feeds each debounced transition, timestamped with
// the moment it began, to a HookDecoder (dsp.HookDecoder by default), which
// turns switch-hook timing into EventOffHook, EventOnHook (a real hang-up),
// EventFlash and EventPulseDigit. Events go to Opts.Events.
//
// Every supervision period (about 100 ms) it reads DR0, DR64 and, when the
// chip has opened the line by itself, DR8 and DR19: DR8 back at its reset
// value means the chip reset (restored with the kept calibration); otherwise
// it is a power alarm (EventPowerAlarm, line restored). Opts.MaxPowerAlarms
// alarms within Opts.AlarmWindow, a failed restore or a chip that stops
// answering take the port out of service (EventFault, PortStatus.Fault,
// line open, converter off); after Opts.FaultRetry a full re-initialisation
// is tried and success reports EventRecovered.
//
// # Diagnostics
//
// SetLoopback switches the codec's digital loopback (DR8 DLM) for the
// diagnostics' audio-path tests; RingerLoad rings the line briefly at
// 20 Hz and estimates the REN of what is connected from the sensed ring
// voltage and loop current (US ringer model). Both refuse a port that is
// off hook, ringing or out of service. diag.go states which register facts
// are the datasheet's and which are assumptions to confirm on hardware.
//
// Audio does not cross SPI: the chip puts its samples on the PCM highway
// at Opts.Timeslot, which board/pcmlink bridges. SetAudio stores the
// callback; the board assembly fetches it with AudioFunc each frame.
package proslic
