package proslic

import (
	"fmt"
	"math"
	"math/cmplx"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"
)

// fakeClock is a manual clock: Sleep advances it at once.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// op is one recorded register transaction.
type op struct {
	write bool
	reg   uint8
	val   byte
}

func (o op) String() string {
	if o.write {
		return fmt.Sprintf("W%d=%02x", o.reg, o.val)
	}
	return fmt.Sprintf("R%d:%02x", o.reg, o.val)
}

// fakeSLIC is a register-level model of a ProSLIC behind spi.Conn: it
// decodes the byte framing, keeps the direct and indirect registers,
// emulates the indirect access protocol, the calibrations, the DC-DC
// converter's battery and the hook, and records every transaction.
type fakeSLIC struct {
	mu    sync.Mutex
	clk   *fakeClock
	dr    [128]byte
	ir    [256]uint16
	phase int // 0: expect control byte, 1: expect data byte
	ctl   byte
	armed bool // IDA high written since the last IAA access
	ops   []op

	variant   Variant
	rev       byte
	dead      byte // with isDead, every read returns it
	isDead    bool
	calStuck  bool // DR96 never clears
	dcdcStuck bool // the DC-DC calibration (DR93 bit 7) never ends
	cmCalFail bool // the longitudinal balance calibration flags an error
	readOnly  bool // writes are lost (a broken MOSI line)
	iasBusy   bool // indirect accesses never complete
	partID    byte // DR6
	dcdcDead  bool // the converter never raises the battery
	leaky     bool // the battery collapses when the converter stops
	offHook   bool
	// foreignTip is the tip sense reading on an open line.
	foreignTip byte
	dcdcOnAt   time.Time
	dcdcOn     bool
	// irStuck makes an indirect register ignore writes.
	irStuck map[uint8]bool
	// dr88Zero is the ring trim (DR98) value at which IQ5 reads zero.
	dr88Zero byte
	// ren is the ringer load on the line (US model: 6930 Ω + 8 µF per
	// REN, in parallel); ringStart is when the linefeed went to ringing;
	// liftAt, when set, is when the phone is lifted.
	ren       float64
	ringStart time.Time
	liftAt    time.Time
	ringHz    []float64 // the ring frequency of each ring started
}

// ringSense models the sense registers while ringing: the ring generator's
// frequency and amplitude are decoded from the indirect registers the
// driver programmed (the datasheet's equations inverted), the voltage sags
// across a 100 Ω source resistance, and the current through the ringer
// load leads the voltage as a series RC does.
func (f *fakeSLIC) ringSense(reg uint8) byte {
	si3215 := f.variant == Si3215
	c := float64(f.ir[irRingOsc.addr(si3215)]) / 32768
	hz := math.Acos(c) * ringSampleHz / (2 * math.Pi)
	vpk := float64(f.ir[irRingX.addr(si3215)]) / (0.25 * math.Sqrt((1-c)/(1+c)) * 32768) * ringFullScaleV
	w := 2 * math.Pi * hz
	var zl complex128 // load impedance; 0 for an open line
	if f.ren > 0 {
		zl = complex(6930, -1/(w*8e-6)) / complex(f.ren, 0)
	}
	const rs = 100.0
	var vl, il complex128 // phasors (peak) across and through the load
	if zl == 0 {
		vl = complex(vpk, 0)
	} else {
		il = complex(vpk, 0) / (zl + rs)
		vl = il * zl
	}
	t := f.clk.Now().Sub(f.ringStart).Seconds()
	rot := cmplx.Exp(complex(0, w*t))
	v, i := real(vl*rot), real(il*rot)
	cm := float64(f.dr[drVBATH]) * batVoltsPerLSB / 2
	switch reg {
	case drTipSense:
		return senseByte((cm - v/2) / voltsPerLSB)
	case drRingSense:
		return senseByte((cm + v/2) / voltsPerLSB)
	}
	return senseByte(math.Abs(i) * 1000 / loopMilliampsPerLSB)
}

func senseByte(x float64) byte {
	return byte(math.Round(max(0, min(x, 255))))
}

func newFakeSLIC(clk *fakeClock, v Variant) *fakeSLIC {
	f := &fakeSLIC{clk: clk, variant: v, rev: 5, dr88Zero: 0x11}
	f.reset()
	return f
}

// reset puts the registers at their reset values.
func (f *fakeSLIC) reset() {
	f.dr = [128]byte{}
	f.dr[drID] = f.rev
	if f.variant == Si3215 {
		f.dr[drPCMMode] = pcm3215ID
	}
	f.dr[drLoopback] = loopbackReset
	f.dr[drPartID] = f.partID
	f.dr[drHybrid] = hybridReset
	f.dr[drPowerDown] = pdDCDC
	f.dr[drVBATH] = defaultVBATH
	f.dcdcOn = false
	f.armed = false
}

func (f *fakeSLIC) String() string               { return "fakeSLIC" }
func (f *fakeSLIC) Duplex() conn.Duplex          { return conn.Full }
func (f *fakeSLIC) TxPackets([]spi.Packet) error { return fmt.Errorf("not implemented") }

func (f *fakeSLIC) Tx(w, r []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(w) != 1 {
		return fmt.Errorf("fakeSLIC: %d-byte transaction; the ProSLIC needs CS high between bytes", len(w))
	}
	if f.phase == 0 {
		if len(r) != 0 {
			return fmt.Errorf("fakeSLIC: read during control byte")
		}
		f.ctl, f.phase = w[0], 1
		return nil
	}
	f.phase = 0
	reg := f.ctl & 0x7F
	if f.ctl&readBit != 0 {
		if len(r) != 1 {
			return fmt.Errorf("fakeSLIC: read of DR%d without a read buffer", reg)
		}
		v := f.readReg(reg)
		if f.isDead {
			v = f.dead
		}
		r[0] = v
		f.ops = append(f.ops, op{reg: reg, val: v})
		return nil
	}
	if len(r) != 0 {
		return fmt.Errorf("fakeSLIC: write with a read buffer")
	}
	f.ops = append(f.ops, op{write: true, reg: reg, val: w[0]})
	if !f.readOnly {
		f.writeReg(reg, w[0])
	}
	return nil
}

func (f *fakeSLIC) battery() byte {
	full := byte(float64(f.dr[drVBATH])*batVoltsPerLSB/voltsPerLSB) - 2
	if !f.dcdcOn {
		if f.leaky {
			return 0
		}
		if f.dcdcOnAt.IsZero() {
			return 0
		}
		return full / 2 // the capacitor holds it
	}
	if f.dcdcDead {
		return 10
	}
	// Rises over 100 ms.
	el := f.clk.Now().Sub(f.dcdcOnAt)
	if el >= 100*time.Millisecond {
		return full
	}
	return byte(float64(full) * float64(el) / float64(100*time.Millisecond))
}

func (f *fakeSLIC) readReg(reg uint8) byte {
	switch reg {
	case drIAS:
		if f.iasBusy {
			return 1
		}
		return 0
	case drVBat1:
		return f.battery()
	case drHookStat:
		if !f.liftAt.IsZero() && !f.clk.Now().Before(f.liftAt) {
			f.offHook = true
		}
		lf := f.dr[drLinefeed] & 7
		if !f.offHook {
			return 0
		}
		if lf == lfRinging {
			// Ring trip: the chip goes active by itself.
			f.dr[drLinefeed] = lfForward
			return rtpBit
		}
		if lf == lfOpen {
			return 0
		}
		return lcrBit
	case drLinefeed:
		lf := f.dr[drLinefeed] & 7
		return lf<<4 | lf
	case drCal1:
		if f.calStuck {
			return f.dr[drCal1]
		}
		return 0
	case drDCDC:
		if f.dcdcStuck {
			return f.dr[drDCDC]
		}
		return f.dr[drDCDC] &^ dcdcCalStart
	case drIQ5:
		if f.dr[drCalRing] <= f.dr88Zero {
			return 0
		}
		return 3
	case drIQ6:
		if f.dr[drCalTip] <= 0x12 {
			return 0
		}
		return 2
	case drCalDCDC:
		if f.dr[drCalDCDC] == 0 {
			return 0x07
		}
	case drTipSense, drRingSense, drLoopISens:
		if f.dr[drLinefeed]&7 == lfRinging && !f.offHook {
			return f.ringSense(reg)
		}
	}
	switch reg {
	case drTipSense:
		if f.dr[drLinefeed]&7 == lfOpen {
			return f.foreignTip
		}
		return 16
	case drRingSense:
		if f.dr[drLinefeed]&7 == lfOpen {
			return 1
		}
		return 143
	case drLoopISens:
		if f.offHook {
			return 23
		}
		return 0
	}
	return f.dr[reg]
}

func (f *fakeSLIC) writeReg(reg uint8, v byte) {
	switch reg {
	case drIDAHi:
		f.armed = true
	case drIAA:
		if f.armed {
			if !f.irStuck[v] {
				f.ir[v] = uint16(f.dr[drIDAHi])<<8 | uint16(f.dr[drIDALo])
			}
		} else {
			f.dr[drIDALo], f.dr[drIDAHi] = byte(f.ir[v]), byte(f.ir[v]>>8)
		}
		f.armed = false
	case drPowerDown:
		on := v&pdDCDC == 0
		if on && !f.dcdcOn {
			f.dcdcOnAt = f.clk.Now()
		}
		f.dcdcOn = on
	case drIntStat1, drIntStat2, drIntStat3:
		f.dr[reg] &^= v
		return
	case drLinefeed:
		if v&7 == lfRinging && f.dr[drLinefeed]&7 != lfRinging {
			f.ringStart = f.clk.Now()
			c := float64(f.ir[irRingOsc.addr(f.variant == Si3215)]) / 32768
			f.ringHz = append(f.ringHz, math.Acos(c)*ringSampleHz/(2*math.Pi))
		}
	case drCal1:
		if v == cal1LongStart && f.cmCalFail {
			f.dr[drIntStat3] |= int3CMBal
		}
	case drID, drPCMMode:
		if reg == drPCMMode {
			f.dr[reg] = v | f.dr[reg]&pcm3215ID
		}
		return
	}
	f.dr[reg] = v
}

// set changes a register under the lock (tests simulating the chip).
func (f *fakeSLIC) set(reg uint8, v byte) {
	f.mu.Lock()
	f.dr[reg] = v
	f.mu.Unlock()
}

func (f *fakeSLIC) setHook(off bool) {
	f.mu.Lock()
	f.offHook = off
	f.mu.Unlock()
}

// take returns and clears the recorded transactions.
func (f *fakeSLIC) take() []op {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.ops
	f.ops = nil
	return o
}

func (f *fakeSLIC) reg(r uint8) byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dr[r]
}

// writes filters the write transactions to one register.
func writes(ops []op, reg uint8) []byte {
	var v []byte
	for _, o := range ops {
		if o.write && o.reg == reg {
			v = append(v, o.val)
		}
	}
	return v
}

// indexOf returns the position of the first op matching, or -1.
func indexOf(ops []op, write bool, reg uint8, val byte) int {
	for i, o := range ops {
		if o.write == write && o.reg == reg && o.val == val {
			return i
		}
	}
	return -1
}

func opsString(ops []op) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = o.String()
	}
	return strings.Join(s, " ")
}

// fakePin is a GPIO pin that records its output levels and delivers edges
// on demand; the rest of gpio.PinIO comes from gpio.INVALID.
type fakePin struct {
	gpio.PinIO
	mu     sync.Mutex
	levels []gpio.Level
	level  gpio.Level // what Read returns
	edges  chan struct{}
}

func newFakePin() *fakePin {
	return &fakePin{PinIO: gpio.INVALID, level: gpio.High, edges: make(chan struct{}, 1)}
}

func (p *fakePin) Out(l gpio.Level) error {
	p.mu.Lock()
	p.levels = append(p.levels, l)
	p.mu.Unlock()
	return nil
}

func (p *fakePin) WaitForEdge(timeout time.Duration) bool {
	select {
	case <-p.edges:
		return true
	case <-time.After(timeout):
		return false
	}
}

func (p *fakePin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

func (p *fakePin) In(gpio.Pull, gpio.Edge) error { return nil }
