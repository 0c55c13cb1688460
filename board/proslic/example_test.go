package proslic_test

import (
	"context"
	"encoding/json"
	"log"

	"minipbx/board"
	"minipbx/board/proslic"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"
)

// Example shows how a board assembly brings up one FXS port: connect the
// chip select with the driver's SPI settings, probe, create the Dev with the
// calibration kept from the last run, start the monitor, route audio and
// keep the calibration for next time.
func Example() {
	var (
		port        spi.Port   // the board's SPI bus, chip select of FXS 1
		reset, irq  gpio.PinIO // the chip's RESET and INT lines
		events      = make(chan board.Event, 64)
		savedCalib  []byte // from the configuration store, may be empty
		audioFrames board.AudioFunc
	)
	if port == nil {
		return // no hardware in this example
	}
	conn, err := port.Connect(proslic.MaxSPIFreq, proslic.SPIMode, proslic.SPIBits)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := proslic.Probe(conn); err != nil {
		log.Printf("FXS 1 not fitted: %v", err)
		return
	}
	opts := &proslic.Opts{Index: 0, Timeslot: 0, Law: proslic.ALaw, Reset: reset, IRQ: irq, Events: events}
	var cal proslic.Calibration
	if json.Unmarshal(savedCalib, &cal) == nil {
		opts.Calibration = &cal
	}
	dev, err := proslic.New(conn, opts)
	if err != nil {
		log.Fatal(err)
	}
	dev.Start(context.Background())
	defer dev.Halt()
	dev.SetAudio(audioFrames)
	// The PCM bridge calls dev.AudioFunc() every frame for timeslot dev.Timeslot().
	keep, _ := json.Marshal(dev.Calibration())
	_ = keep // store it
}
