package voicedaa

import (
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/spi"
)

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

// line is what the fake telco line presents at a moment: the line voltage
// and the ring detector's bits.
type line func(t time.Duration) (volts int8, ring byte)

func idle(v int8) line { return func(time.Duration) (int8, byte) { return v, 0 } }

// ringing is a sinusoidal ring of hz superimposed on a 48 V battery: the
// ring detector reports the polarity of the ring half cycle.
func ringing(hz float64) line {
	return func(t time.Duration) (int8, byte) {
		half := time.Duration(float64(time.Second) / hz / 2)
		if (t/half)%2 == 0 {
			return 48, rdtpBit
		}
		return 48, rdtnBit
	}
}

// fakeDAA is a register-level model of an Si3050 + Si3019 behind spi.Conn.
type fakeDAA struct {
	mu    sync.Mutex
	clk   *fakeClock
	start time.Time
	reg   [128]byte
	phase int
	ctl   byte
	addr  byte
	ops   []op

	sysRev     byte
	lineRev    byte
	linkAt     time.Time // line side up from then (zero: down)
	isoDead    bool
	isDead     bool
	readOnly   bool
	dead       byte
	line       line
	loopCurent byte
}

func newFakeDAA(clk *fakeClock) *fakeDAA {
	f := &fakeDAA{clk: clk, start: clk.Now(), sysRev: 3, lineRev: 2, line: idle(48), loopCurent: 8}
	f.reset()
	return f
}

func (f *fakeDAA) reset() {
	f.reg = [128]byte{}
	f.reg[regCtl2] = ctl2Reset
	f.reg[regDAACtl2] = pdlBit | pdnBit
	f.reg[regDAACtl5] = 0x20
	f.linkAt = time.Time{}
}

func (f *fakeDAA) String() string               { return "fakeDAA" }
func (f *fakeDAA) Duplex() conn.Duplex          { return conn.Full }
func (f *fakeDAA) TxPackets([]spi.Packet) error { return fmt.Errorf("not implemented") }
func (f *fakeDAA) now() time.Duration           { return f.clk.Now().Sub(f.start) }
func (f *fakeDAA) linkUp() bool                 { return !f.linkAt.IsZero() && !f.clk.Now().Before(f.linkAt) }
func (f *fakeDAA) setLine(l line)               { f.mu.Lock(); f.line = l; f.mu.Unlock() }
func (f *fakeDAA) get(r uint8) byte             { f.mu.Lock(); defer f.mu.Unlock(); return f.reg[r] }
func (f *fakeDAA) take() []op                   { f.mu.Lock(); defer f.mu.Unlock(); o := f.ops; f.ops = nil; return o }

func (f *fakeDAA) Tx(w, r []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(w) != 1 {
		return fmt.Errorf("fakeDAA: %d-byte transaction; the Si3050 needs CS high after each byte", len(w))
	}
	switch f.phase {
	case 0:
		if w[0] != ctlRead && w[0] != ctlWrite {
			return fmt.Errorf("fakeDAA: control byte %#02x", w[0])
		}
		f.ctl, f.phase = w[0], 1
		return nil
	case 1:
		f.addr, f.phase = w[0]&0x7F, 2
		return nil
	}
	f.phase = 0
	if f.ctl == ctlRead {
		if len(r) != 1 {
			return fmt.Errorf("fakeDAA: read without buffer")
		}
		v := f.read(f.addr)
		if f.isDead {
			v = f.dead
		}
		r[0] = v
		f.ops = append(f.ops, op{reg: f.addr, val: v})
		return nil
	}
	f.ops = append(f.ops, op{write: true, reg: f.addr, val: w[0]})
	if !f.readOnly {
		f.write(f.addr, w[0])
	}
	return nil
}

func (f *fakeDAA) read(a uint8) byte {
	v, ring := f.line(f.now())
	switch a {
	case regRev:
		if f.linkUp() {
			return 3<<4 | f.sysRev
		}
		return f.sysRev
	case regLineStat:
		if f.linkUp() && f.reg[regDAACtl1]&ohBit != 0 {
			return f.loopCurent
		}
		return 0
	case regLineRev:
		if f.linkUp() {
			return f.lineRev << 2
		}
		return 0
	case regDAACtl1:
		if f.reg[regDAACtl1]&ohBit != 0 {
			return f.reg[regDAACtl1]
		}
		return f.reg[regDAACtl1] | ring
	case regLVS:
		if f.reg[regDAACtl1]&ohBit != 0 && v != 0 {
			// Our own loop pulls the line down to about 8 V.
			if v < 0 {
				return 0xF8 // −8 V
			}
			return 8
		}
		return byte(v)
	}
	return f.reg[a]
}

func (f *fakeDAA) write(a uint8, v byte) {
	switch a {
	case regCtl1:
		if v&softReset != 0 {
			f.reset()
			return
		}
	case regDAACtl2:
		if v&pdlBit == 0 && f.reg[a]&pdlBit != 0 && !f.isoDead {
			f.linkAt = f.clk.Now().Add(50 * time.Millisecond)
		}
	}
	f.reg[a] = v
}
