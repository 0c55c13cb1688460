// Package modem drives a voice modem (ITU-T V.253 / TIA IS-101 "AT+V"
// command set, e.g. Conexant/Rockwell, USRobotics, Agere) over a serial
// port as an extra FXO line: it implements board.FXOPort.
//
// # Initialisation
//
// After kicking the modem out of any voice stream a previous run left
// (<DLE>^ <DLE>! <DLE><ETX> CR), the driver sends, each tried up to
// Config.InitAttempts times:
//
//	ATZ            reset
//	ATE0           no command echo (echoed lines are skipped until then)
//	AT+FCLASS=8    voice mode
//	AT+VCID=1      formatted caller ID (an ERROR is tolerated: no caller ID)
//	AT+VSM=?       list the voice formats, then AT+VSM=<cml>,8000 with the best:
//	               G.711 μ-law/A-law (Config.Prefer first), 16-bit linear on
//	               links of 230400 baud or more, 8-bit linear; a refused format
//	               is dropped and the next one tried
//	AT+VLS=0       line selected, on hook
//
// # Ringing and caller ID
//
// "RING" (or <DLE>R) is reported as board.EventRingStart, and
// board.EventRingStop follows Config.RingBurst later because modems report
// only the start of a burst. Caller ID lines (DATE = MMDD, TIME = hhmm,
// NMBR = …, NAME = …, "P"/"O" for private/unavailable) are parsed into
// CallerID, read with Port.CallerID: the modem decodes the FSK itself, so
// unlike on the line chips the exchange does not see it in the audio.
//
// # Calls
//
// Seize sends AT+VLS=1 (off hook) and AT+VTR (full duplex; CONNECT), falling
// back to AT+VRX (receive only) on modems without +VTR. In the stream every
// 0x10 data byte is doubled (<DLE><DLE>) in both directions and <DLE><x>
// is an event: DTMF digits (counted; the exchange detects digits and
// call-progress tones in the audio itself, the same way on every port),
// l loop-current interruption → EventLineVoltageLost, L polarity reversal →
// EventPolarityReversal, P/p extension off/on hook and H/h local handset
// off/on hook → EventLineInUse/EventLineIdle, o/u buffer overrun/underrun
// (counted), <DLE><ETX> end of stream. Release sends <DLE>^ (or <DLE>! after
// +VRX), waits for <DLE><ETX> and the result code, then AT+VLS=0. Flash is
// on hook for the given time and off hook again.
//
// # Audio clock
//
// The modem streams 8000 samples a second while off hook: every 160
// samples received call the port's AudioFunc, and its tx frame is coded,
// shielded and written back at once, so the modem's clock paces the audio
// in both directions; one frame of silence is sent ahead when the stream
// starts so that the modem's transmit buffer has slack.
//
// # Faults
//
// A command without a final result within Config.CommandTimeout, a voice
// stream silent for Config.VoiceTimeout, or an idle modem that fails the
// periodic "AT" check (Config.HealthInterval) takes the port out of
// service: EventFault (and EventLineVoltageLost if a call was up),
// requests fail with board.ErrPortFault, and initialisation is retried
// with back-off from Config.BackoffMin doubling to Config.BackoffMax; when
// it succeeds, EventRecovered. All of this runs on Run's goroutine, the
// only one that touches the serial port; Seize, Release and Flash hand it
// their work.
package modem
