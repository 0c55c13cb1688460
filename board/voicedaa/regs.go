package voicedaa

import (
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Registers of the Si3050 system side (Si3050 datasheet, "Register
// Summary"); the line-side (Si3019) state is reached through them over the
// isolation capacitor link.
const (
	regCtl1      = 1  // bit 7 SR: soft reset; bit 1 IDL: isolation digital loopback
	regCtl2      = 2  // INTE [7] interrupt pin enable; resets to 0x03 (HBE, RXE)
	regIntMask   = 3  // interrupt mask
	regIntSrc    = 4  // interrupt source
	regDAACtl1   = 5  // OH, ONHM, ring detect status
	regDAACtl2   = 6  // PDL (line side power down), PDN
	regRev       = 11 // LSID [7:4] line-side device ID, REVA [3:0] system-side revision
	regLineStat  = 12 // line-side status: LCS [4:0] loop current, 3.3 mA/bit
	regLineRev   = 13 // REVB [5:2] line-side revision
	regIntl1     = 16 // OHS [6], RZ [1], RT [0]
	regIntl3     = 18 // RFWE [1]: ring detector full-wave rectifier
	regRingVal3  = 24 // ring validation control 3 (RNGV [7])
	regDCTerm    = 26 // DCV [7:6], MINI [5:4], ILIM [1]
	regLVS       = 29 // line voltage status, signed, 1 V/bit
	regACTerm    = 30 // ACIM [3:0]
	regDAACtl5   = 31 // OHS2 [3]
	regPCM       = 33 // PCME [5], PCMF [4:3]
	regTXStartLo = 34
	regTXStartHi = 35
	regRXStartLo = 36 // also the register of the access check
	regRXStartHi = 37
	regTXGain2   = 38 // TGA2 [4] attenuate, TXG2 [3:0] whole dB
	regRXGain2   = 39
	regTXGain3   = 40 // TGA3 [4] attenuate, TXG3 [3:0] tenths of a dB
	regRXGain3   = 41
	regHybrid1   = 45 // programmable hybrid coefficients HYB1..HYB8: 45..52
)

// Bits and values.
const (
	softReset = 0x80

	ctl2Reset = 0x03 // HBE | RXE: hybrid and receive path enabled
	inteBit   = 0x80 // control 2: drive the INT pin

	ohBit   = 0x01 // DAA control 1: off hook (set only with ONHM clear)
	rdtBit  = 0x04 // ring detect (validated)
	onhmBit = 0x08 // on-hook line monitor
	rdtpBit = 0x20 // ring detect, positive half
	rdtnBit = 0x40 // ring detect, negative half
	// DAA control 1 bit 7 is reserved and reads 0.
	daaCtl1Reserved = 0x80

	pdlBit = 0x10 // DAA control 2: line side powered down
	pdnBit = 0x08 // DAA control 2: system side powered down

	lcsMask     = 0x1F // line-side status: loop current sense
	lcsOverload = 0x1F // LCS all ones: loop current overload

	rfweBit = 0x02 // international control 3: ring detector full-wave rectifier

	pcmEnable = 0x20
	pcmULaw   = 0x08
	pcmALaw   = 0x00

	// Interrupts: ring detect, drop out (battery), polarity reversal.
	intRing     = 0x80
	intDropOut  = 0x08
	intPolarity = 0x01
)

// bus is the register access of one Si3050. An SPI access is three bytes
// (control, address, data) with chip select released after each byte
// (datasheet, "Serial Peripheral Interface"); each byte is one Tx. The
// control byte is 0x20 for a write and 0x60 for a read (R/W is bit 6; bit 5
// is always set; channel ID 0, no broadcast).
type bus struct {
	mu   sync.Mutex
	conn spi.Conn
	w, r [1]byte
}

const (
	ctlWrite = 0x20
	ctlRead  = 0x60
)

func (b *bus) tx(v byte, read bool) (byte, error) {
	b.w[0] = v
	if read {
		if err := b.conn.Tx(b.w[:], b.r[:]); err != nil {
			return 0, err
		}
		return b.r[0], nil
	}
	return 0, b.conn.Tx(b.w[:], nil)
}

func (b *bus) read(reg uint8) (byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.tx(ctlRead, false); err != nil {
		return 0, fmt.Errorf("read reg %d: %w", reg, err)
	}
	if _, err := b.tx(reg&0x7F, false); err != nil {
		return 0, fmt.Errorf("read reg %d: %w", reg, err)
	}
	v, err := b.tx(0, true)
	if err != nil {
		return 0, fmt.Errorf("read reg %d: %w", reg, err)
	}
	return v, nil
}

func (b *bus) write(reg uint8, v byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, x := range [3]byte{ctlWrite, reg & 0x7F, v} {
		if _, err := b.tx(x, false); err != nil {
			return fmt.Errorf("write reg %d: %w", reg, err)
		}
	}
	return nil
}

// update rewrites the bits of mask in reg with val, keeping the others.
func (b *bus) update(reg uint8, mask, val byte) error {
	old, err := b.read(reg)
	if err != nil {
		return err
	}
	return b.write(reg, old&^mask|val&mask)
}

func (b *bus) writeAll(pairs ...[2]byte) error {
	for _, p := range pairs {
		if err := b.write(p[0], p[1]); err != nil {
			return err
		}
	}
	return nil
}

// Clock is the time source of the driver; tests inject a fake one.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { time.Sleep(d) }

// SPI settings for the board assembly's spi.Port.Connect: the Si3050 latches
// data on the rising edge with the clock idling high (mode 3), 8-bit
// words. MaxSPIFreq is a conservative clock, well inside the datasheet's
// limit, that leaves margin for board wiring.
const (
	SPIMode    = spi.Mode3
	SPIBits    = 8
	MaxSPIFreq = 4 * physic.MegaHertz
)
