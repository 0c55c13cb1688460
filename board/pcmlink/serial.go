package pcmlink

import (
	"fmt"

	"go.bug.st/serial"
)

// Open opens device (e.g. "/dev/ttyS1") at baud 8N1 (DefaultBaud when
// baud is zero) and returns a Link over it; c.Port and c.Baud are set by
// Open. Close the Link to close the port.
func Open(device string, baud int, c Config) (*Link, error) {
	if baud <= 0 {
		baud = DefaultBaud
	}
	p, err := serial.Open(device, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("pcmlink: open %s at %d baud: %w", device, baud, err)
	}
	// Stale bytes from before we opened would only be discarded while
	// hunting; drop them now so the first frame is found at once.
	_ = p.ResetInputBuffer()
	c.Port, c.Baud = p, baud
	l, err := New(c)
	if err != nil {
		_ = p.Close()
		return nil, err
	}
	return l, nil
}
