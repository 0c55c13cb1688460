package proslic

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// bus is the register access of one ProSLIC.
//
// The ProSLIC's SPI frames are bytes: a control byte (bit 7 set for a read,
// bits 6:0 the register address) then a data byte, with chip select
// deasserted between the two (datasheet, "Serial Peripheral Interface").
// Each byte is therefore its own spi.Conn Tx, which also keeps the driver
// within what periph's spitest fakes implement (no TxPackets).
type bus struct {
	mu   sync.Mutex
	conn spi.Conn
	w, r [1]byte
}

const readBit = 0x80

func (b *bus) read(reg uint8) (byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.w[0] = readBit | reg&0x7F
	if err := b.conn.Tx(b.w[:], nil); err != nil {
		return 0, fmt.Errorf("read DR%d: %w", reg, err)
	}
	b.w[0] = 0
	if err := b.conn.Tx(b.w[:], b.r[:]); err != nil {
		return 0, fmt.Errorf("read DR%d: %w", reg, err)
	}
	return b.r[0], nil
}

func (b *bus) write(reg uint8, v byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.w[0] = reg & 0x7F
	if err := b.conn.Tx(b.w[:], nil); err != nil {
		return fmt.Errorf("write DR%d: %w", reg, err)
	}
	b.w[0] = v
	if err := b.conn.Tx(b.w[:], nil); err != nil {
		return fmt.Errorf("write DR%d: %w", reg, err)
	}
	return nil
}

// writeAll writes (register, value) pairs in order, stopping at the first error.
func (b *bus) writeAll(pairs ...[2]byte) error {
	for _, p := range pairs {
		if err := b.write(p[0], p[1]); err != nil {
			return err
		}
	}
	return nil
}

// errIndirectBusy is returned when the indirect access status never clears.
var errIndirectBusy = errors.New("indirect access stuck busy")

// maxIASPolls bounds the wait for the indirect access status (an indirect
// access takes a few 8 kHz sample periods; at SPI speed a handful of polls).
const maxIASPolls = 50

func (b *bus) waitIndirect() error {
	for range maxIASPolls {
		s, err := b.read(drIAS)
		if err != nil {
			return err
		}
		if s&0x01 == 0 {
			return nil
		}
	}
	return errIndirectBusy
}

// writeIndirect writes an indirect register: data to IDA (writing the high
// byte arms a write), then the address to IAA, which starts it.
func (b *bus) writeIndirect(addr uint8, v uint16) error {
	if err := b.waitIndirect(); err != nil {
		return fmt.Errorf("write IR%d: %w", addr, err)
	}
	if err := b.writeAll([2]byte{drIDALo, byte(v)}, [2]byte{drIDAHi, byte(v >> 8)}, [2]byte{drIAA, addr}); err != nil {
		return fmt.Errorf("write IR%d: %w", addr, err)
	}
	return nil
}

// readIndirect reads an indirect register: the address to IAA (without a
// preceding IDA write, that starts a read), wait, then IDA low and high.
func (b *bus) readIndirect(addr uint8) (uint16, error) {
	if err := b.waitIndirect(); err != nil {
		return 0, fmt.Errorf("read IR%d: %w", addr, err)
	}
	if err := b.write(drIAA, addr); err != nil {
		return 0, fmt.Errorf("read IR%d: %w", addr, err)
	}
	if err := b.waitIndirect(); err != nil {
		return 0, fmt.Errorf("read IR%d: %w", addr, err)
	}
	lo, err := b.read(drIDALo)
	if err != nil {
		return 0, fmt.Errorf("read IR%d: %w", addr, err)
	}
	hi, err := b.read(drIDAHi)
	if err != nil {
		return 0, fmt.Errorf("read IR%d: %w", addr, err)
	}
	return uint16(hi)<<8 | uint16(lo), nil
}

// Clock is the time source of the driver; tests inject a fake one so that
// power-up, calibration and hook timing run without real delays.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { time.Sleep(d) }

// waitFor polls cond every step until it returns true or timeout passes on
// clk. It returns false on timeout; errors from cond stop the wait.
func waitFor(clk Clock, timeout, step time.Duration, cond func() (bool, error)) (bool, error) {
	deadline := clk.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil || ok {
			return ok, err
		}
		if !clk.Now().Before(deadline) {
			return false, nil
		}
		clk.Sleep(step)
	}
}

// SPI settings for the board assembly's spi.Port.Connect: the ProSLIC latches
// data on the rising edge with the clock idling high (mode 3), 8-bit
// words. MaxSPIFreq is a conservative clock, well inside the datasheet's
// limit, that leaves margin for board wiring.
const (
	SPIMode    = spi.Mode3
	SPIBits    = 8
	MaxSPIFreq = 4 * physic.MegaHertz
)
