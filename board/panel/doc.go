// Package panel drives the box's front panel and its fail-safe through
// GPIO (periph.io): the lifeline relay, the status and per-port LEDs and
// the reset button. One goroutine, Run, owns every pin: it samples the
// button, drives the relay and steps the LED patterns on a 10 ms tick from
// an injectable clock.
//
// # Lifeline relay
//
// The relay's contacts connect FXS 1 to FXO 1 when it is NOT energised, so
// the first phone is wired straight to the first telephone line whenever
// the firmware is not in control: during boot, after a crash or a hang,
// and when the power fails (a relay needs power to stay energised; nothing
// in software can make a dead box keep the phone off the line). The panel
// energises the relay — the ports connect to their chips — only while the
// firmware says it is healthy: the exchange calls Healthy at least every
// Config.HealthTimeout (5 s by default; the main loop's heartbeat), and a
// missed heartbeat drops the relay. SetLifeline(true) forces the lifeline
// (FXS 1 or FXO 1 out of service, maintenance), and Run de-energises the
// relay on its way out.
//
// # LEDs
//
// The status LED and one LED per port show a Pattern: Off, On, Booting
// (1 Hz blink), Ready (on with a short blink-off every 5 s, so a hung
// box — whose LED freezes — can be told from a live one), Alarm (4 Hz),
// InCall (on), Ringing (2 Hz). While the reset button is held past 2 s the
// status LED flickers (8 Hz) to warn that a factory reset is coming.
//
// # Reset button
//
// Debounced (Config.Debounce, 30 ms by default). A press released within
// 2 s calls OnReboot; a press held for 10 s calls OnFactoryReset once, at
// the 10 s mark (the user sees the LED change and lets go); a press
// released between 2 s and 10 s does nothing, so an aborted factory reset
// does not reboot the box. The callbacks run on Run's goroutine and must
// not block.
package panel
