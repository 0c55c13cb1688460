// Package hw assembles the hardware board: it reads a board Description
// (the reference box by default, or an installer's JSON variant), probes
// each described line chip over SPI (board/proslic, board/voicedaa), opens
// the described voice modems (board/modem), connects the chips' ports to
// their timeslots on the PCM link to the bridge MCU (board/pcmlink, the
// chip ports' audio clock) and runs the front panel (board/panel).
//
// # Fallback to the simulated board
//
// pbxd -board auto calls Detect. It returns the board and a Report of
// every described port (found, chip identification, or why not). When no
// chip and no modem answers it returns an error wrapping ErrNoHardware;
// the caller then runs the simulated board and logs the report, e.g.:
//
//	b, rep, err := hw.Detect(ctx, desc, hw.Options{Logger: log})
//	switch {
//	case errors.Is(err, hw.ErrNoHardware):
//		log.Warn("no telephony hardware; running the simulated board", "report", rep.String())
//		// sim.New(...)
//	case err != nil:
//		return err // a broken description: fix it, do not hide it
//	default:
//		log.Info("hardware board", "report", rep.String())
//	}
//
// Ports that answer keep the Index of their place in the description
// (FXS…, FXO…, modems…), so "FXO 2" is the same port whether or not FXO 1
// answered. Missing GPIOs and a missing PCM link are reported as problems
// but do not stop the board: hook and ring signalling still work, and the
// installer sees why there is no audio.
//
// # The lifeline heartbeat
//
// The panel keeps the lifeline relay de-energised — FXS 1 wired straight
// to FXO 1, bypassing the chips — until the exchange says it is healthy:
// the caller must call Board.Panel().Healthy() at least every 5 s (say,
// once a second from the exchange's supervision loop, only while calls can
// be placed). Without the heartbeat FXS 1 and FXO 1 stay on the lifeline.
//
// A modem counts as found when its serial device opens; its
// initialisation runs in the background and a modem that does not answer
// is a faulty port (EventFault), retried with back-off.
package hw
