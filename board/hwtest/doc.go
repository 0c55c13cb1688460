// Package hwtest is the hardware smoke test: `go test ./board/hwtest` on a
// real board checks that every described chip answers, the PCM link to
// the bridge MCU runs clean, the FXS ports have battery, the FXO lines'
// voltages are plausible, and the lifeline relay follows the heartbeat.
//
// It runs only when MINIPBX_HW=1 and the first described SPI device
// (/dev/spidev0.0 on the reference box) exists; elsewhere every test is
// skipped with a message saying so. MINIPBX_BOARD names a JSON board
// description (board/hw) for a variant; MINIPBX_HW_RING=1 also rings each
// FXS port for two seconds (someone should be there to hear it). The
// phones on the FXS ports must be on hook.
package hwtest
