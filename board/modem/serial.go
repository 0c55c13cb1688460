package modem

import (
	"fmt"

	"go.bug.st/serial"
)

// Open opens a modem on device (e.g. "/dev/ttyACM0") at baud 8N1 (115200
// when zero) and returns its Port; c.Port and c.Baud are set by Open.
func Open(device string, baud int, c Config) (*Port, error) {
	if baud <= 0 {
		baud = 115200
	}
	sp, err := serial.Open(device, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("modem: open %s: %w", device, err)
	}
	c.Port, c.Baud = sp, baud
	p, err := New(c)
	if err != nil {
		_ = sp.Close()
		return nil, err
	}
	return p, nil
}
