package voicedaa_test

import (
	"context"
	"errors"
	"log"

	"minipbx/board"
	"minipbx/board/voicedaa"

	"periph.io/x/conn/v3/spi"
)

// Example brings up one FXO port for a Russian line and seizes it when the
// line has battery.
func Example() {
	var (
		port   spi.Port // the board's SPI bus, chip select of FXO 1
		events = make(chan board.Event, 64)
	)
	if port == nil {
		return // no hardware in this example
	}
	conn, err := port.Connect(voicedaa.MaxSPIFreq, voicedaa.SPIMode, voicedaa.SPIBits)
	if err != nil {
		log.Fatal(err)
	}
	dev, err := voicedaa.New(conn, &voicedaa.Opts{Index: 2, Timeslot: 2, Law: voicedaa.ALaw, Country: "ru", Events: events})
	if err != nil {
		log.Fatal(err)
	}
	dev.Start(context.Background())
	defer dev.Halt()
	if err := dev.Seize(); errors.Is(err, board.ErrNoBattery) {
		log.Print("line is dead")
	}
}
