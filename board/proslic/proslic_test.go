package proslic

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"minipbx/board"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

// probeOps is the recorded byte traffic of Probe: three reads, each a
// control byte then a data byte with chip select released in between.
func probeOps(dr0, dr1, dr6, dr11 byte) []conntest.IO {
	return []conntest.IO{
		{W: []byte{0x80}}, {W: []byte{0x00}, R: []byte{dr0}},
		{W: []byte{0x81}}, {W: []byte{0x00}, R: []byte{dr1}},
		{W: []byte{0x86}}, {W: []byte{0x00}, R: []byte{dr6}},
		{W: []byte{0x8B}}, {W: []byte{0x00}, R: []byte{dr11}},
	}
}

func TestProbePlayback(t *testing.T) {
	tests := []struct {
		name               string
		dr0, dr1, dr6, d11 byte
		want               ChipInfo
		err                error
	}{
		{"Si3215 rev E", 0x05, 0x80, 0x00, 0x33, ChipInfo{Variant: Si3215, Model: "Si3215", Revision: 5}, nil},
		{"Si3216M rev C", 0x03, 0x80, 0xE0, 0x33, ChipInfo{Variant: Si3215, Model: "Si3216M", M: true, Revision: 3}, nil},
		{"Si3210 rev C", 0x03, 0x00, 0x00, 0x33, ChipInfo{Variant: Si3210, Model: "Si3210", Revision: 3}, nil},
		{"Si3210M rev F", 0x36, 0x00, 0x00, 0x33, ChipInfo{Variant: Si3210, Model: "Si3210M", M: true, Revision: 6}, nil},
		{"nothing (pull-up)", 0xFF, 0xFF, 0xFF, 0xFF, ChipInfo{}, ErrNoChip},
		{"nothing (pull-down)", 0x00, 0x00, 0x00, 0x00, ChipInfo{}, ErrNoChip},
		{"Si3211 (no converter)", 0x15, 0x00, 0x00, 0x33, ChipInfo{}, ErrWrongChip},
		{"unknown Si3215-family part", 0x05, 0x80, 0x20, 0x33, ChipInfo{}, ErrWrongChip},
		{"hybrid not at default", 0x05, 0x80, 0x00, 0x00, ChipInfo{}, ErrWrongChip},
		{"daisy-chain mode", 0x85, 0x80, 0x00, 0x33, ChipInfo{}, ErrWrongChip},
		{"revision A", 0x01, 0x80, 0x00, 0x33, ChipInfo{}, ErrWrongChip},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &spitest.Playback{Playback: conntest.Playback{Ops: probeOps(tc.dr0, tc.dr1, tc.dr6, tc.d11), DontPanic: true}}
			c, err := p.Connect(physic.MegaHertz, spi.Mode3, 8)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Probe(c)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Probe error = %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Fatalf("Probe = %+v, want %+v", got, tc.want)
			}
			if err := p.Close(); err != nil {
				t.Fatalf("not all recorded traffic played: %v", err)
			}
		})
	}
}

func FuzzIdentify(f *testing.F) {
	f.Add(byte(0x05), byte(0x80), byte(0x00), byte(0x33))
	f.Add(byte(0xFF), byte(0xFF), byte(0xFF), byte(0xFF))
	f.Fuzz(func(t *testing.T, dr0, dr1, dr6, dr11 byte) {
		ci, err := identify(dr0, dr1, dr6, dr11)
		if err != nil {
			if !errors.Is(err, ErrNoChip) && !errors.Is(err, ErrWrongChip) {
				t.Fatalf("unexpected error kind %v", err)
			}
			return
		}
		if ci.Revision < 2 || ci.Revision > 14 || dr11 != hybridReset || dr0&0xC0 != 0 || ci.Model == "" {
			t.Fatalf("accepted %02x %02x %02x %02x as %+v", dr0, dr1, dr6, dr11, ci)
		}
		if (ci.Variant == Si3215) != (dr1&0x80 != 0) {
			t.Fatalf("variant %v from DR1 %02x", ci.Variant, dr1)
		}
		if strings.HasSuffix(ci.Model, "M") != ci.M {
			t.Fatalf("model %q with M=%v", ci.Model, ci.M)
		}
	})
}

type rig struct {
	t      *testing.T
	clk    *fakeClock
	chip   *fakeSLIC
	dev    *Dev
	events chan board.Event
	reset  *fakePin
}

func newRig(t *testing.T, mutate func(*fakeSLIC, *Opts)) (*rig, error) {
	t.Helper()
	clk := newFakeClock()
	r := &rig{t: t, clk: clk, chip: newFakeSLIC(clk, Si3215), events: make(chan board.Event, 64), reset: newFakePin()}
	o := Opts{Index: 2, Timeslot: 3, Law: ALaw, Reset: r.reset, Events: r.events, Clock: clk, Require: Si3215}
	if mutate != nil {
		mutate(r.chip, &o)
	}
	d, err := New(r.chip, &o)
	r.dev = d
	return r, err
}

func mustRig(t *testing.T, mutate func(*fakeSLIC, *Opts)) *rig {
	t.Helper()
	r, err := newRig(t, mutate)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r.chip.take()
	return r
}

// step advances the clock by one poll period and polls, n times.
func (r *rig) step(n int) {
	for range n {
		r.clk.Sleep(r.dev.opts.PollInterval)
		r.dev.poll()
	}
}

func (r *rig) drain() []board.Event {
	var evs []board.Event
	for {
		select {
		case e := <-r.events:
			evs = append(evs, e)
		default:
			return evs
		}
	}
}

func TestNewInitialisation(t *testing.T) {
	r, err := newRig(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	ops := r.chip.take()
	f := r.chip

	if got := r.reset.levels; len(got) != 2 || got[0] != gpio.Low || got[1] != gpio.High {
		t.Errorf("RESET pin levels %v, want [Low High]", got)
	}
	if r.dev.Chip() != (ChipInfo{Variant: Si3215, Model: "Si3215", Revision: 5}) {
		t.Errorf("chip %v", r.dev.Chip())
	}
	// The converter is forced off before anything else is written.
	if len(ops) < 2 || !ops[0].write && ops[0].reg != drID {
		t.Fatalf("unexpected start %v", opsString(ops[:min(8, len(ops))]))
	}
	// AN35 step 8: DR8 at its reset value and a write that reads back,
	// then the converter is forced off before anything else is written.
	var w []op
	for _, o := range ops {
		if o.write {
			w = append(w, o)
		}
	}
	if indexOf(ops, false, drLoopback, loopbackReset) < 0 || w[0] != (op{true, drRXStartLo, accessPattern}) {
		t.Errorf("access check missing: %s", opsString(ops[:min(12, len(ops))]))
	}
	if w[1] != (op{true, drPowerDown, pdDCDC}) {
		t.Errorf("first write of the bring-up %v, want DR14=10 (converter off)", w[1])
	}
	// Indirect registers at the Si3215 addresses, ringer and gains applied.
	wantIR := map[uint8]uint16{
		7: 0x7E6D, 8: 0x01AB, 6: 0, 9: 0, // 25 Hz, 45 Vrms
		13: 0x4000, 14: 0x4000, 15: 0x1000, 18: 0x0080, 19: 0x07C0, 22: 0x8000, 23: 0x0320, 27: 0x0200, 64: 0x0C00, 66: 0x0E00,
	}
	for a, v := range wantIR {
		if f.ir[a] != v {
			t.Errorf("IR%d = %#04x, want %#04x", a, f.ir[a], v)
		}
	}
	// The AN35 flow, in order: slow-start converter, power-up, operating
	// timing, DC-DC calibration, self calibrations, gain-mismatch search,
	// longitudinal balance, then PCM and the line.
	seq := []op{
		{true, drDCDC, slowStartDelay}, {true, drDCDCPWM, slowStartPWM}, {true, drPowerDown, 0},
		{true, drDCDCPWM, 0x7F}, {true, drDCDC, 0x14}, {true, drDCDC, 0x14 | dcdcCalStart},
		{true, drCal2, cal2Standard}, {true, drCal1, cal1Start},
		{true, drCalTip, 0x10}, {true, drCalRing, 0x1F},
		{true, drCal2, cal2LongBal}, {true, drCal1, cal1LongStart},
		{true, drPCMMode, pcmEnable | pcmALaw},
		{true, drTXStartLo, 24}, {true, drRXStartLo, 24},
		{true, drLinefeed, lfForward},
	}
	at := 0
	for _, s := range seq {
		i := indexOf(ops[at:], s.write, s.reg, s.val)
		if i < 0 {
			t.Fatalf("missing %v after op %d in\n%s", s, at, opsString(ops))
		}
		at += i + 1
	}
	// The leakage test switched the converter off once more after power-up.
	if n := len(writes(ops, drPowerDown)); n < 4 {
		t.Errorf("DR14 written %d times, want converter off, on, off (leak test), on", n)
	}
	// Gain-mismatch search stopped where the fake's current sense read 0.
	cal := r.dev.Calibration()
	if cal.Variant != Si3215 || cal.Revision != 5 || cal.Vector[0] != 0x11 || cal.Vector[1] != 0x12 || cal.Vector[9] != 0x07 {
		t.Errorf("calibration %+v", cal)
	}
	if f.reg(drLinefeed) != lfForward || f.reg(drLoopback) != 0 || f.reg(drILim) != 2 || f.reg(drVOC) != 32 {
		t.Errorf("line registers DR64=%d DR8=%d DR71=%d DR72=%d", f.reg(drLinefeed), f.reg(drLoopback), f.reg(drILim), f.reg(drVOC))
	}
	if s := r.dev.Status(); s.Hook != board.OnHook || s.Line != board.LineOK {
		t.Errorf("status %+v", s)
	}
	if info := r.dev.Info(); info.Index != 2 || info.Kind != board.FXS || info.Name != "FXS 3" {
		t.Errorf("info %+v", info)
	}
}

func TestNewWithKeptCalibration(t *testing.T) {
	full := mustRig(t, nil)
	kept := full.dev.Calibration()
	fullTime := full.clk.Now().Sub(newFakeClock().Now())

	r, err := newRig(t, func(_ *fakeSLIC, o *Opts) { o.Calibration = &kept })
	if err != nil {
		t.Fatal(err)
	}
	ops := r.chip.take()
	if w := writes(ops, drCal1); len(w) != 0 {
		t.Errorf("calibration started (DR96 writes %x) although one was kept", w)
	}
	for i, v := range kept.Vector {
		if got := r.chip.reg(drCalRing + uint8(i)); got != v {
			t.Errorf("DR%d = %#02x, want kept %#02x", drCalRing+i, got, v)
		}
	}
	fastTime := r.clk.Now().Sub(newFakeClock().Now())
	if fastTime*4 > fullTime {
		t.Errorf("restore took %v, full initialisation %v: not much faster", fastTime, fullTime)
	}

	// A calibration from another chip is not used.
	other := kept
	other.Revision = 3
	r, err = newRig(t, func(_ *fakeSLIC, o *Opts) { o.Calibration = &other })
	if err != nil {
		t.Fatal(err)
	}
	if w := writes(r.chip.take(), drCal1); len(w) == 0 {
		t.Error("a foreign calibration was restored instead of calibrating")
	}
}

func TestNewFailures(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*fakeSLIC, *Opts)
		err    error
		text   string
	}{
		{"chip not responding (0xFF)", func(f *fakeSLIC, _ *Opts) { f.isDead, f.dead = true, 0xFF }, ErrNoChip, ""},
		{"chip not responding (0x00)", func(f *fakeSLIC, _ *Opts) { f.isDead, f.dead = true, 0x00 }, ErrNoChip, ""},
		{"wrong chip ID", func(f *fakeSLIC, _ *Opts) { f.variant = Si3210; f.reset() }, ErrWrongChip, "found Si3210"},
		{"calibration timeout", func(f *fakeSLIC, _ *Opts) { f.calStuck = true }, ErrCalibrationTimeout, "self calibration"},
		{"DC-DC calibration timeout", func(f *fakeSLIC, _ *Opts) { f.dcdcStuck = true }, ErrCalibrationTimeout, "DC-DC calibration"},
		{"common-mode balance calibration error", func(f *fakeSLIC, _ *Opts) { f.cmCalFail = true }, ErrCalibration, "longitudinal balance"},
		{"writes do not reach the chip", func(f *fakeSLIC, _ *Opts) { f.readOnly = true }, ErrNoChip, "DR4 reads"},
		{"indirect access stuck", func(f *fakeSLIC, _ *Opts) { f.iasBusy = true }, errIndirectBusy, "load indirect registers"},
		{"converter dead", func(f *fakeSLIC, _ *Opts) { f.dcdcDead = true }, ErrPowerUp, "battery 3.8 V"},
		{"leakage", func(f *fakeSLIC, _ *Opts) { f.leaky = true }, ErrLeakage, ""},
		{"telco line on the FXS port", func(f *fakeSLIC, _ *Opts) { f.foreignTip = 130 }, ErrForeignVoltage, "tip at 48.9 V"},
		{"bad loop current", func(_ *fakeSLIC, o *Opts) { o.LoopCurrentMA = 50 }, nil, "loop current 50 mA"},
		{"bad ringer", func(_ *fakeSLIC, o *Opts) { o.RingVrms = 80 }, nil, "ring amplitude"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := newRig(t, tc.mutate)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("error %q does not mention %q", err, tc.text)
			}
			if r.dev != nil {
				t.Fatal("a Dev was returned with the error")
			}
		})
	}
}

func TestIndirectVerifyNamesRegister(t *testing.T) {
	_, err := newRig(t, func(f *fakeSLIC, _ *Opts) { f.irStuck = map[uint8]bool{16: true} })
	var mm *IndirectMismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("error %v, want an IndirectMismatchError", err)
	}
	if mm.Name != "RPTP" || mm.Addr != 16 || mm.Want != 0x3600 {
		t.Fatalf("mismatch %+v", mm)
	}
	if !strings.Contains(err.Error(), "RPTP (IR16)") {
		t.Fatalf("error text %q does not name the register", err)
	}
}

func TestRingerParams(t *testing.T) {
	// Expected values worked by hand from the datasheet equations.
	tests := []struct {
		hz, vrms float64
		osc, x   uint16
		vbath    byte
		rtf      uint16
	}{
		{20, 45, 0x7EFE, 0x0156, 0x32, 0x0320},     // cos(2π·20/1000)=0.992115; X=515.40·63.64/96
		{25, 45, 0x7E6D, 0x01AB, 0x32, 0x0320},     // cos=0.987688; X=644.72·0.662913
		{50, 60, 0x79BC, 0x047B, 0x3D, 0x06A8},     // cos=0.951057; X=1297.48·0.883883; (84.85+6)/1.5 → 61
		{16.666, 40, 0x7F4D, 0x00FD, 0x32, 0x0200}, // cos=0.994522; X=429.32·56.57/96
	}
	for _, tc := range tests {
		p, err := RingerParams(tc.hz, tc.vrms)
		if err != nil {
			t.Fatalf("%v Hz %v Vrms: %v", tc.hz, tc.vrms, err)
		}
		if p.RingTrip != tc.rtf {
			t.Errorf("%v Hz: ring-trip filter %#04x, want %#04x", tc.hz, p.RingTrip, tc.rtf)
		}
		if p.Osc != tc.osc || p.X != tc.x || p.VBATH != tc.vbath || p.Offset != 0 {
			t.Errorf("%v Hz %v Vrms: got osc %#04x x %#04x vbath %#02x, want %#04x %#04x %#02x",
				tc.hz, tc.vrms, p.Osc, p.X, p.VBATH, tc.osc, tc.x, tc.vbath)
		}
		// Round trip: the registers give back the requested ring.
		c := float64(p.Osc) / 32768
		f := math.Acos(c) * 1000 / (2 * math.Pi)
		vpk := float64(p.X) / (0.25 * math.Sqrt((1-c)/(1+c)) * 32768) * 96
		if math.Abs(f-tc.hz) > 0.05 || math.Abs(vpk/math.Sqrt2-tc.vrms) > 0.5 {
			t.Errorf("%v Hz %v Vrms: registers give %.2f Hz %.2f Vrms", tc.hz, tc.vrms, f, vpk/math.Sqrt2)
		}
	}
	for _, bad := range [][2]float64{{10, 45}, {101, 45}, {25, 65}, {25, 10}, {math.NaN(), 45}, {25, math.NaN()}} {
		if _, err := RingerParams(bad[0], bad[1]); err == nil {
			t.Errorf("RingerParams(%v, %v) accepted", bad[0], bad[1])
		}
	}
}

func TestCadenceRegs(t *testing.T) {
	tests := []struct {
		c    Cadence
		want [4]byte
		ok   bool
	}{
		{Cadence{time.Second, 4 * time.Second}, [4]byte{0x40, 0x1F, 0x00, 0x7D}, true},     // 8000, 32000
		{Cadence{2 * time.Second, 4 * time.Second}, [4]byte{0x80, 0x3E, 0x00, 0x7D}, true}, // 16000
		{Cadence{400 * time.Millisecond, 200 * time.Millisecond}, [4]byte{0x80, 0x0C, 0x40, 0x06}, true},
		{Cadence{9 * time.Second, time.Second}, [4]byte{}, false},
		{Cadence{0, time.Second}, [4]byte{}, false},
	}
	for _, tc := range tests {
		got, err := CadenceRegs(tc.c)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("CadenceRegs(%v) = %x, %v; want %x ok=%v", tc.c, got, err, tc.want, tc.ok)
		}
	}
	ms := time.Millisecond
	for _, z := range []struct {
		ring []time.Duration
		want Cadence
		ok   bool
	}{
		{[]time.Duration{time.Second, 4 * time.Second}, Cadence{time.Second, 4 * time.Second}, true},
		{[]time.Duration{800 * ms, 3200 * ms, 800 * ms, 3200 * ms}, Cadence{800 * ms, 3200 * ms}, true},
		{[]time.Duration{400 * ms, 200 * ms, 400 * ms, 2000 * ms}, Cadence{}, false}, // UK double ring
		{[]time.Duration{time.Second}, Cadence{}, false},
		{[]time.Duration{10 * time.Second, time.Second}, Cadence{}, false},
	} {
		got, err := ZoneCadence(z.ring)
		if (err == nil) != z.ok || got != z.want {
			t.Errorf("ZoneCadence(%v) = %v, %v", z.ring, got, err)
		}
	}
	r := mustRig(t, nil)
	if err := r.dev.SetCadence(&Cadence{time.Second, 4 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if r.chip.reg(drRATHi) != 0x1F || r.chip.reg(drRITHi) != 0x7D || r.chip.reg(drRingCtl) != ringTimersOn {
		t.Errorf("cadence registers not written: %s", opsString(r.chip.take()))
	}
	if err := r.dev.SetCadence(nil); err != nil || r.chip.reg(drRingCtl) != 0 {
		t.Errorf("cadence off: %v, DR34=%#x", err, r.chip.reg(drRingCtl))
	}
}

func TestSetRingerAndGains(t *testing.T) {
	r := mustRig(t, nil)
	if err := r.dev.SetRinger(50, 60); err != nil {
		t.Fatal(err)
	}
	if r.chip.ir[7] != 0x79BC || r.chip.ir[8] != 0x047B || r.chip.ir[23] != 0x06A8 || r.chip.reg(drVBATH) != 0x3D {
		t.Errorf("ringer registers IR7=%#x IR8=%#x DR74=%#x", r.chip.ir[7], r.chip.ir[8], r.chip.reg(drVBATH))
	}
	if err := r.dev.SetRinger(25, 200); err == nil {
		t.Error("200 Vrms accepted")
	}
	if err := r.dev.SetGains(-6, 3); err != nil {
		t.Fatal(err)
	}
	// 0x4000·10^(−6/20) = 8211.45; 0x4000·10^(3/20) = 23143.4.
	if r.chip.ir[14] != 8211 || r.chip.ir[13] != 23143 {
		t.Errorf("gains TX IR14=%d RX IR13=%d", r.chip.ir[14], r.chip.ir[13])
	}
	if err := r.dev.SetGains(7, 0); err == nil {
		t.Error("+7 dB accepted")
	}
	if err := r.dev.SetLoopCurrent(32); err != nil || r.chip.reg(drILim) != 4 {
		t.Errorf("loop current: %v DR71=%d", err, r.chip.reg(drILim))
	}
}

func TestLinefeedStates(t *testing.T) {
	r := mustRig(t, nil)
	d := r.dev
	steps := []struct {
		name string
		do   func() error
		lf   byte
	}{
		{"on-hook transmission", func() error { return d.SetOnHookTransmission(true) }, lfForwardOHT},
		{"reverse + OHT", func() error { return d.SetPolarity(true) }, lfReverseOHT},
		{"OHT off", func() error { return d.SetOnHookTransmission(false) }, lfReverse},
		{"ring", func() error { return d.Ring(true) }, lfRinging},
		{"ring stop", func() error { return d.Ring(false) }, lfReverse},
		{"forward", func() error { return d.SetPolarity(false) }, lfForward},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := r.chip.reg(drLinefeed); got != s.lf {
			t.Fatalf("%s: DR64 = %d, want %d", s.name, got, s.lf)
		}
	}
}

func TestRingTripAndHook(t *testing.T) {
	r := mustRig(t, nil)
	d := r.dev
	d.Start(t.Context()) // exercise Start/Halt; polls below are manual
	defer d.Halt()
	d.mu.Lock()
	d.resetMonitor()
	d.mu.Unlock()

	if err := d.Ring(true); err != nil {
		t.Fatal(err)
	}
	if s := d.Status(); s.Line != board.LineRinging {
		t.Fatalf("status while ringing %+v", s)
	}
	r.chip.setHook(true) // the phone is answered during the ring
	r.step(4)
	evs := r.drain()
	if len(evs) != 1 || evs[0].Type != board.EventOffHook || evs[0].Port != 2 {
		t.Fatalf("events %v, want one off-hook", evs)
	}
	if s := d.Status(); s.Hook != board.OffHook || s.Line != board.LineOK {
		t.Fatalf("status after ring trip %+v", s)
	}
	if got := r.chip.reg(drLinefeed); got != lfForward {
		t.Fatalf("DR64 after ring trip = %d", got)
	}
	if err := d.Ring(true); !errors.Is(err, ErrOffHook) {
		t.Fatalf("Ring while off hook: %v", err)
	}

	// A 5 ms bounce is not a hook change.
	r.chip.setHook(false)
	r.step(1)
	r.chip.setHook(true)
	r.step(10)
	// A 300 ms on-hook is a flash; a 1 s one a hang-up.
	r.chip.setHook(false)
	r.step(60)
	r.chip.setHook(true)
	r.step(10)
	r.chip.setHook(false)
	r.step(200)
	var types []board.EventType
	for _, e := range r.drain() {
		types = append(types, e.Type)
	}
	if len(types) != 2 || types[0] != board.EventFlash || types[1] != board.EventOnHook {
		t.Fatalf("events %v, want [flash on-hook]", types)
	}
	if s := d.Status(); s.Hook != board.OnHook {
		t.Fatalf("status after hang-up %+v", s)
	}
}

// recorder is a HookDecoder that records what the monitor feeds it.
type recorder struct {
	trans []struct {
		off bool
		at  time.Duration
	}
}

func (h *recorder) Hook(off bool, at time.Duration) []HookEvent {
	h.trans = append(h.trans, struct {
		off bool
		at  time.Duration
	}{off, at})
	return nil
}
func (h *recorder) Poll(time.Duration) []HookEvent { return nil }

func TestPulseTiming(t *testing.T) {
	rec := &recorder{}
	r := mustRig(t, func(_ *fakeSLIC, o *Opts) { o.NewHookDecoder = func() HookDecoder { return rec } })
	r.dev.mu.Lock()
	r.dev.resetMonitor()
	r.dev.mu.Unlock()
	// Off hook, then dial "3" at 10 pps, 60 ms break / 40 ms make.
	r.chip.setHook(true)
	r.step(100)
	for range 3 {
		r.chip.setHook(false)
		r.step(12)
		r.chip.setHook(true)
		r.step(8)
	}
	if len(rec.trans) != 7 {
		t.Fatalf("%d transitions, want 7: %+v", len(rec.trans), rec.trans)
	}
	for i := 1; i < len(rec.trans); i++ {
		gap := rec.trans[i].at - rec.trans[i-1].at
		want := 40 * time.Millisecond // a make ends with a break (on hook)
		if rec.trans[i].off {
			want = 60 * time.Millisecond // a break ends with a make
		}
		if i == 1 {
			continue // off-hook to first break: not a pulse
		}
		if gap != want {
			t.Errorf("transition %d after %v, want %v (debounce must not skew timing)", i, gap, want)
		}
	}
}

func TestPowerAlarmsThenFault(t *testing.T) {
	r := mustRig(t, func(_ *fakeSLIC, o *Opts) { o.MaxPowerAlarms = 3; o.FaultRetry = time.Minute })
	d := r.dev
	d.mu.Lock()
	d.resetMonitor()
	d.mu.Unlock()
	for i := 1; i <= 2; i++ {
		r.chip.set(drLinefeed, lfOpen) // the chip opened the line
		r.chip.set(drIntStat2, 0x0C)   // Q1 and Q2
		r.step(supervisionEvery)
		evs := r.drain()
		if len(evs) != 1 || evs[0].Type != board.EventPowerAlarm || evs[0].Detail != "power alarm Q1,Q2" {
			t.Fatalf("alarm %d: events %v", i, evs)
		}
		if got := r.chip.reg(drLinefeed); got != lfForward {
			t.Fatalf("alarm %d: linefeed not restored (DR64=%d)", i, got)
		}
		if got := r.chip.reg(drIntStat2); got != 0 {
			t.Fatalf("alarm %d: DR19 not cleared (%#x)", i, got)
		}
	}
	r.chip.set(drLinefeed, lfOpen)
	r.chip.set(drIntStat2, 0x80)
	r.step(supervisionEvery)
	evs := r.drain()
	if len(evs) != 1 || evs[0].Type != board.EventFault || !strings.Contains(evs[0].Detail, "3 power alarms") {
		t.Fatalf("events %v, want a fault", evs)
	}
	s := d.Status()
	if s.Line != board.LineFault || s.Fault == "" {
		t.Fatalf("status %+v", s)
	}
	if err := d.Ring(true); !errors.Is(err, board.ErrPortFault) {
		t.Fatalf("Ring on a faulty port: %v", err)
	}
	if r.chip.reg(drPowerDown) != pdDCDC || r.chip.reg(drLinefeed) != lfOpen {
		t.Fatal("faulty port left powered")
	}
	// After FaultRetry the port is re-initialised and back.
	r.step(int(time.Minute/d.opts.PollInterval) + 1)
	evs = r.drain()
	if len(evs) != 1 || evs[0].Type != board.EventRecovered {
		t.Fatalf("events %v, want recovered", evs)
	}
	if s := d.Status(); s.Fault != "" || r.chip.reg(drLinefeed) != lfForward {
		t.Fatalf("status after recovery %+v DR64=%d", s, r.chip.reg(drLinefeed))
	}
}

func TestChipResetRecovered(t *testing.T) {
	r := mustRig(t, nil)
	d := r.dev
	d.mu.Lock()
	d.resetMonitor()
	d.mu.Unlock()
	kept := d.Calibration()
	r.chip.mu.Lock()
	r.chip.reset() // a glitch reset the chip: DR8 back to 2, line open
	r.chip.mu.Unlock()
	r.step(supervisionEvery)
	ops := r.chip.take()
	if w := writes(ops, drCal1); len(w) != 0 {
		t.Errorf("recalibrated after a reset (DR96 %x); the kept calibration should do", w)
	}
	for i, v := range kept.Vector {
		if got := r.chip.reg(drCalRing + uint8(i)); got != v {
			t.Errorf("DR%d = %#x, want %#x", drCalRing+i, got, v)
		}
	}
	if r.chip.reg(drLinefeed) != lfForward || r.chip.reg(drLoopback) != 0 {
		t.Errorf("not restored: DR64=%d DR8=%d", r.chip.reg(drLinefeed), r.chip.reg(drLoopback))
	}
	if evs := r.drain(); len(evs) != 0 {
		t.Errorf("events %v for an on-hook port reset", evs)
	}
}

func TestChipStopsResponding(t *testing.T) {
	for _, v := range []byte{0xFF, 0x00} {
		r := mustRig(t, nil)
		r.dev.mu.Lock()
		r.dev.resetMonitor()
		r.dev.mu.Unlock()
		r.chip.mu.Lock()
		r.chip.isDead, r.chip.dead = true, v
		r.chip.mu.Unlock()
		r.step(supervisionEvery * maxBadIDs)
		evs := r.drain()
		if len(evs) != 1 || evs[0].Type != board.EventFault || !strings.Contains(evs[0].Detail, "not responding") {
			t.Fatalf("bus reading %#02x: events %v", v, evs)
		}
		if s := r.dev.Status(); s.Line != board.LineFault {
			t.Fatalf("bus reading %#02x: status %+v", v, s)
		}
	}
}

func TestMeasure(t *testing.T) {
	r := mustRig(t, nil)
	r.chip.setHook(true)
	m, err := r.dev.Measure()
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	// Fake readings: tip 16, ring 143, battery 197, loop 23.
	if !near(m.TipVolts, -6.016) || !near(m.RingVolts, -53.768) || !near(m.BatteryVolts, -74.072) || !near(m.LoopMilliamps, 28.75) {
		t.Errorf("measurements %+v", m)
	}
	if !m.HasTipRing || !m.HasBattery || !m.HasLoop || m.HasLine {
		t.Errorf("flags %+v", m)
	}
}

func TestAudioFunc(t *testing.T) {
	r := mustRig(t, nil)
	if r.dev.AudioFunc() != nil {
		t.Fatal("audio installed by default")
	}
	called := 0
	r.dev.SetAudio(func(rx, tx *board.Frame) { called++ })
	r.dev.AudioFunc()(nil, nil)
	r.dev.SetAudio(nil)
	if called != 1 || r.dev.AudioFunc() != nil {
		t.Fatalf("called %d, after removal %v", called, r.dev.AudioFunc() != nil)
	}
	if r.dev.Timeslot() != 3 {
		t.Fatal("timeslot")
	}
}

func TestHalt(t *testing.T) {
	r := mustRig(t, nil)
	r.dev.Start(t.Context())
	if err := r.dev.Halt(); err != nil {
		t.Fatal(err)
	}
	if r.chip.reg(drLinefeed) != lfOpen || r.chip.reg(drPowerDown) != pdDCDC {
		t.Fatal("Halt left the line powered")
	}
}

func TestPulseDigitsThroughDSP(t *testing.T) {
	r := mustRig(t, nil)
	r.dev.mu.Lock()
	r.dev.resetMonitor()
	r.dev.mu.Unlock()
	r.chip.setHook(true)
	r.step(100)
	dial := func(n int, breakMs, makeMs int) {
		for range n {
			r.chip.setHook(false)
			r.step(breakMs / 5)
			r.chip.setHook(true)
			r.step(makeMs / 5)
		}
		r.step(100) // inter-digit pause
	}
	dial(3, 60, 40)
	dial(10, 60, 40)
	dial(7, 65, 35) // a slightly fast dial
	var got []string
	for _, e := range r.drain() {
		s := e.Type.String()
		if e.Type == board.EventPulseDigit {
			s = string(e.Digit)
		}
		got = append(got, s)
	}
	if want := "off-hook 3 0 7"; strings.Join(got, " ") != want {
		t.Fatalf("events %q, want %q", strings.Join(got, " "), want)
	}
}

func TestIRQAcknowledgedAlarmKept(t *testing.T) {
	irq := newFakePin()
	r := mustRig(t, func(_ *fakeSLIC, o *Opts) { o.IRQ = irq })
	if r.chip.reg(drIntEn2) != 0xFF {
		t.Fatalf("loop/ring-trip/power-alarm interrupts not enabled: DR22=%#x", r.chip.reg(drIntEn2))
	}
	r.dev.mu.Lock()
	r.dev.resetMonitor()
	r.dev.mu.Unlock()
	irq.mu.Lock()
	irq.level = gpio.Low // INT asserted
	irq.mu.Unlock()
	r.chip.set(drIntStat2, 0x10) // Q3
	r.chip.set(drLinefeed, lfOpen)
	r.step(1)
	if r.chip.reg(drIntStat2) != 0 {
		t.Fatal("interrupt not acknowledged")
	}
	r.step(supervisionEvery)
	evs := r.drain()
	if len(evs) != 1 || evs[0].Type != board.EventPowerAlarm || evs[0].Detail != "power alarm Q3" {
		t.Fatalf("events %v", evs)
	}
}

func BenchmarkPoll(b *testing.B) {
	clk := newFakeClock()
	chip := newFakeSLIC(clk, Si3215)
	d, err := New(chip, &Opts{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	d.mu.Lock()
	d.resetMonitor()
	d.mu.Unlock()
	b.ReportAllocs()
	for b.Loop() {
		clk.Sleep(5 * time.Millisecond)
		d.poll()
		chip.mu.Lock()
		chip.ops = chip.ops[:0]
		chip.mu.Unlock()
	}
}

func TestHaltWithFullEventChannel(t *testing.T) {
	r := mustRig(t, func(_ *fakeSLIC, o *Opts) {
		o.Events = make(chan board.Event) // nobody reads it
		o.PollInterval = time.Millisecond
	})
	r.dev.clk = &autoClock{t: r.clk.Now()} // time moves on its own
	r.dev.Start(t.Context())
	r.chip.setHook(true) // the monitor will block sending off-hook
	for deadline := time.Now().Add(5 * time.Second); ; {
		r.dev.mu.Lock()
		blocked := r.dev.rawOff
		r.dev.mu.Unlock()
		if blocked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("off-hook never debounced")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let it reach the send
	done := make(chan error, 1)
	go func() { done <- r.dev.Halt() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Halt hung on a full event channel")
	}
}

// autoClock advances by a millisecond at every reading.
type autoClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *autoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *autoClock) Sleep(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
