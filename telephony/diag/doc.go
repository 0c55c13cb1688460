// Package diag runs the box's diagnostics: line tests of the analog ports,
// a voice-path loopback with DTMF and caller ID through it, the SIP trunks,
// and the health of the system (storage, clock, memory and CPU). A Runner
// runs the tests the mask selects, on demand or on a Schedule, keeps every
// run in the store and raises an alarm when a test fails.
//
// # Never disturbing calls
//
// Tests on a port first reserve it through telephony/analog: the
// reservation waits until the port is idle (a test that falls due during a
// call waits for the call to end) and keeps the exchange from routing a
// call to it; a user who lifts a phone or a line that rings meanwhile wins,
// and the test stops with a "skip" naming the interruption. Ports are
// tested one at a time, so a run never takes more than one line out of
// service; a full box (8 FXS, 8 FXO) runs every test in about a minute and
// a half.
//
// # On hardware
//
// The same tests read the drivers' Measure: the ProSLIC's tip, ring and
// battery sense registers and loop current (magnitudes: a positive foreign
// voltage reads as zero there and only a voltage beyond the battery shows),
// the DAA's line voltage (signed, the polarity) and loop current. The
// ringer load and the codec loopback are optional capabilities of a port
// (RingerLoad, SetLoopback); the simulated board has them, and a driver
// without them gets "skip: not measurable" for those parts.
//
// # What each test proves
//
//   - fxs: the ProSLIC's DC readings with the phone on hook — battery,
//     tip and ring to ground, the voltage between them, foreign voltage
//     (anything positive: the SLIC only makes negative voltages), leakage
//     or short (loop current while on hook), hook-state sanity, and the
//     ringer load (REN) where the driver can estimate it.
//   - fxo: the DAA's on-hook line voltage and polarity, the idle noise
//     on hook (on-hook line monitor), then, seized, the loop current and
//     the dial tone (detected with the zone's call-progress detector; its
//     strongest frequency and level).
//   - loopback: the codec's digital loopback, where the driver has one: a
//     1004 Hz tone at -10 dBm0 is sent through the port's audio path and
//     measured back (level, SNR). It proves the board's audio clock, the
//     PCM highway with its G.711 conversions both ways and the per-port
//     audio plumbing; it does not prove the analog wiring (fxs and fxo do).
//   - signals: DTMF digits and an FSK caller ID message sent through the
//     same loop and decoded by the receivers the exchange uses.
//   - trunks: registration and reachability of SIP trunks; "skip" while
//     none is configured.
//   - storage: bbolt's structural check of the database and the free
//     space of the data directory's file system.
//   - clock: the kernel's synchronisation state (adjtimex).
//   - resources: available memory and the load average per CPU.
package diag
