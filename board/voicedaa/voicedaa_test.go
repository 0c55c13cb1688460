package voicedaa

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"minipbx/board"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

// probeOps is the recorded byte traffic of Probe: two reads of three bytes
// (control, address, data), chip select released after each byte.
func probeOps(r2, r11 byte) []conntest.IO {
	return []conntest.IO{
		{W: []byte{0x60}}, {W: []byte{0x02}}, {W: []byte{0x00}, R: []byte{r2}},
		{W: []byte{0x60}}, {W: []byte{0x0B}}, {W: []byte{0x00}, R: []byte{r11}},
	}
}

func TestProbePlayback(t *testing.T) {
	tests := []struct {
		name    string
		r2, r11 byte
		want    ChipInfo
		err     error
	}{
		{"Si3050 rev C, link down", 0x03, 0x03, ChipInfo{SystemRev: 3}, nil},
		{"Si3050 in use, link up", 0x03, 0x35, ChipInfo{SystemRev: 5, LineSideID: 3}, nil},
		{"nothing (pull-up)", 0xFF, 0xFF, ChipInfo{}, ErrNoChip},
		{"nothing (pull-down)", 0x00, 0x00, ChipInfo{}, ErrNoChip},
		{"wrong chip", 0x10, 0x03, ChipInfo{}, ErrWrongChip},
		{"running with INT enabled", 0x83, 0x33, ChipInfo{SystemRev: 3, LineSideID: 3}, nil},
		{"bad revision", 0x03, 0x30, ChipInfo{}, ErrWrongChip},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &spitest.Playback{Playback: conntest.Playback{Ops: probeOps(tc.r2, tc.r11), DontPanic: true}}
			c, err := p.Connect(physic.MegaHertz, spi.Mode0, 8)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Probe(c)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("Probe = %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func FuzzIdentify(f *testing.F) {
	f.Add(byte(3), byte(0x33))
	f.Fuzz(func(t *testing.T, r2, r11 byte) {
		ci, err := identify(r2, r11)
		if err != nil {
			if !errors.Is(err, ErrNoChip) && !errors.Is(err, ErrWrongChip) {
				t.Fatalf("error kind %v", err)
			}
			return
		}
		if r2&ctl2Reset != ctl2Reset || r2 == 0xFF || ci.SystemRev == 0 || ci.SystemRev == 0xF || ci.LineSideID != r11>>4 {
			t.Fatalf("accepted %02x %02x as %+v", r2, r11, ci)
		}
	})
}

type rig struct {
	clk    *fakeClock
	chip   *fakeDAA
	dev    *Dev
	events chan board.Event
}

func newRig(t *testing.T, mutate func(*fakeDAA, *Opts)) (*rig, error) {
	t.Helper()
	clk := newFakeClock()
	r := &rig{clk: clk, chip: newFakeDAA(clk), events: make(chan board.Event, 64)}
	o := Opts{Index: 5, Timeslot: 6, Law: ALaw, Country: "ru", Events: r.events, Clock: clk}
	if mutate != nil {
		mutate(r.chip, &o)
	}
	d, err := New(r.chip, &o)
	r.dev = d
	return r, err
}

func mustRig(t *testing.T, mutate func(*fakeDAA, *Opts)) *rig {
	t.Helper()
	r, err := newRig(t, mutate)
	if err != nil {
		t.Fatal(err)
	}
	r.chip.take()
	r.dev.mu.Lock()
	r.dev.mon = lineMonitor{o: &r.dev.opts}
	r.dev.mu.Unlock()
	return r
}

// run polls for d of fake time.
func (r *rig) run(d time.Duration) {
	for end := r.clk.Now().Add(d); r.clk.Now().Before(end); {
		r.clk.Sleep(r.dev.opts.PollInterval)
		r.dev.poll()
	}
}

func (r *rig) types() []board.EventType {
	var ts []board.EventType
	for {
		select {
		case e := <-r.events:
			ts = append(ts, e.Type)
		default:
			return ts
		}
	}
}

func sameTypes(a, b []board.EventType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNewInitialisation(t *testing.T) {
	tests := []struct {
		country            string
		r16, r26, r30, r31 byte
	}{
		{"us", 0x00, 0xC0, 0x00, 0x20},
		{"uk", 0x00, 0xC2, 0x05, 0x28},
		{"de", 0x00, 0xC2, 0x03, 0x28},
		{"fr", 0x00, 0xC2, 0x02, 0x28},
		{"it", 0x00, 0xC2, 0x02, 0x28},
		{"ru", 0x00, 0x30, 0x00, 0x20},
		{"kz", 0x00, 0xC0, 0x00, 0x20},
		{"am", 0x00, 0x30, 0x00, 0x20},
		{"kg", 0x00, 0x30, 0x00, 0x20},
		{"ua", 0x00, 0x30, 0x00, 0x20},
	}
	for _, tc := range tests {
		t.Run(tc.country, func(t *testing.T) {
			r, err := newRig(t, func(_ *fakeDAA, o *Opts) { o.Country = tc.country; o.Law = ULaw })
			if err != nil {
				t.Fatal(err)
			}
			f := r.chip
			got := [4]byte{f.get(regIntl1), f.get(regDCTerm), f.get(regACTerm), f.get(regDAACtl5)}
			if want := [4]byte{tc.r16, tc.r26, tc.r30, tc.r31}; got != want {
				t.Errorf("registers 16/26/30/31 = % x, want % x", got, want)
			}
			if f.get(regPCM) != pcmEnable|pcmULaw || f.get(regTXStartLo) != 48 || f.get(regRXStartLo) != 48 {
				t.Errorf("PCM registers 33=%#x 34=%d 36=%d", f.get(regPCM), f.get(regTXStartLo), f.get(regRXStartLo))
			}
			if f.get(regDAACtl1) != onhmBit || f.get(regDAACtl2)&pdlBit != 0 {
				t.Errorf("line not monitoring on hook / line side down: 5=%#x 6=%#x", f.get(regDAACtl1), f.get(regDAACtl2))
			}
			if ci := r.dev.Chip(); ci != (ChipInfo{SystemRev: 3, LineSideID: 3, LineSideRev: 2}) {
				t.Errorf("chip %+v", ci)
			}
			if s := r.dev.Status(); s.Hook != board.OnHook || s.Line != board.LineOK {
				t.Errorf("status %+v", s)
			}
		})
	}
}

func TestNewFailures(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*fakeDAA, *Opts)
		err     error
		minTime time.Duration
	}{
		{"chip not responding", func(f *fakeDAA, _ *Opts) { f.isDead, f.dead = true, 0xFF }, ErrNoChip, 0},
		{"wrong chip ID", func(f *fakeDAA, _ *Opts) { f.reg[regCtl2] = 0x44; f.isDead, f.dead = true, 0x44 }, ErrWrongChip, 0},
		{"ISOcap timeout", func(f *fakeDAA, _ *Opts) { f.isoDead = true }, ErrISOLink, 2 * time.Second},
		{"line side revision", func(f *fakeDAA, _ *Opts) { f.lineRev = 0 }, ErrLineSide, 0},
		{"writes do not reach the chip", func(f *fakeDAA, _ *Opts) { f.readOnly = true }, ErrNoChip, 0},
		{"unknown country", func(_ *fakeDAA, o *Opts) { o.Country = "zz" }, nil, 0},
		{"gain out of range", func(_ *fakeDAA, o *Opts) { o.TxGainDB = 13 }, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := newRig(t, tc.mutate)
			if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) {
				t.Fatalf("New error %v, want %v", err, tc.err)
			}
			if r.dev != nil {
				t.Fatal("Dev returned with error")
			}
			if el := r.clk.Now().Sub(newFakeClock().Now()); el < tc.minTime {
				t.Fatalf("gave up after %v, want at least %v", el, tc.minTime)
			}
		})
	}
}

func TestRingValidation(t *testing.T) {
	tests := []struct {
		name string
		line line
		want []board.EventType
	}{
		{"25 Hz ring", ringing(25), []board.EventType{board.EventRingStart, board.EventRingStop}},
		{"50 Hz ring", ringing(50), []board.EventType{board.EventRingStart, board.EventRingStop}},
		{"16 Hz ring", ringing(16), []board.EventType{board.EventRingStart, board.EventRingStop}},
		{"steady voltage (RDTP held)", func(time.Duration) (int8, byte) { return 48, rdtpBit }, nil},
		{"slow alternation (5 Hz)", ringing(5), nil},
		{"both bits at once", func(time.Duration) (int8, byte) { return 48, rdtpBit | rdtnBit }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRig(t, nil)
			r.run(time.Second)
			r.chip.setLine(tc.line)
			r.run(2 * time.Second)
			if tc.want != nil && r.dev.Status().Line != board.LineRinging {
				t.Errorf("status while ringing %+v", r.dev.Status())
			}
			r.chip.setLine(idle(48))
			r.run(time.Second)
			if got := r.types(); !sameTypes(got, tc.want) {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBatteryLossAndSeizeRefusal(t *testing.T) {
	r := mustRig(t, nil)
	r.run(200 * time.Millisecond)
	r.chip.setLine(idle(0)) // a 30 ms drop is a glitch
	r.run(30 * time.Millisecond)
	r.chip.setLine(idle(48))
	r.run(200 * time.Millisecond)
	if got := r.types(); len(got) != 0 {
		t.Fatalf("glitch gave %v", got)
	}
	r.chip.setLine(idle(0))
	r.run(200 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventLineVoltageLost}) {
		t.Fatalf("events %v", got)
	}
	if s := r.dev.Status(); s.Line != board.LineNoBattery {
		t.Fatalf("status %+v", s)
	}
	if err := r.dev.Seize(); !errors.Is(err, board.ErrNoBattery) {
		t.Fatalf("Seize on a dead line: %v", err)
	}
	if r.chip.get(regDAACtl1)&ohBit != 0 {
		t.Fatal("went off hook on a dead line")
	}
	r.chip.setLine(idle(-48))
	r.run(200 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventLineVoltageRestored}) {
		t.Fatalf("events %v", got)
	}
	if err := r.dev.Seize(); err != nil {
		t.Fatal(err)
	}
	if r.chip.get(regDAACtl1) != ohBit || r.dev.Status().Hook != board.OffHook {
		t.Fatalf("not off hook: %#x", r.chip.get(regDAACtl1))
	}
	// The far end hangs up with a battery break (CPC) while we are off hook.
	r.run(time.Second)
	r.chip.setLine(idle(0))
	r.run(300 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventLineVoltageLost}) {
		t.Fatalf("CPC events %v", got)
	}
}

func TestPolarityReversal(t *testing.T) {
	r := mustRig(t, nil)
	r.run(200 * time.Millisecond)
	r.chip.setLine(idle(-48)) // 20 ms is too short
	r.run(20 * time.Millisecond)
	r.chip.setLine(idle(48))
	r.run(200 * time.Millisecond)
	r.chip.setLine(idle(-48))
	r.run(300 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventPolarityReversal}) {
		t.Fatalf("events %v", got)
	}
	// While off hook (answer supervision) too.
	if err := r.dev.Seize(); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	r.chip.setLine(idle(48))
	r.run(300 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventPolarityReversal}) {
		t.Fatalf("off-hook events %v", got)
	}
}

func TestLineInUse(t *testing.T) {
	r := mustRig(t, nil)
	r.run(time.Second)
	r.chip.setLine(idle(9)) // a parallel handset lifted
	r.run(300 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventLineInUse}) {
		t.Fatalf("events %v", got)
	}
	if s := r.dev.Status(); s.Line != board.LineInUse {
		t.Fatalf("status %+v", s)
	}
	r.chip.setLine(idle(48))
	r.run(300 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventLineIdle}) {
		t.Fatalf("events %v", got)
	}
	// While we hold the line, an extension picked up takes a share of the
	// loop current.
	if err := r.dev.Seize(); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	r.chip.mu.Lock()
	r.chip.loopCurent = 4
	r.chip.mu.Unlock()
	r.run(300 * time.Millisecond)
	r.chip.mu.Lock()
	r.chip.loopCurent = 8
	r.chip.mu.Unlock()
	r.run(300 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventLineInUse, board.EventLineIdle}) {
		t.Fatalf("off-hook events %v", got)
	}
	if err := r.dev.Release(); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	r.types()
	// Our own seize pulls the line down too: not "in use".
	if err := r.dev.Seize(); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	if err := r.dev.Release(); err != nil {
		t.Fatal(err)
	}
	r.run(time.Second)
	if got := r.types(); len(got) != 0 {
		t.Fatalf("own seize gave %v", got)
	}
}

func TestFlash(t *testing.T) {
	r := mustRig(t, nil)
	r.run(100 * time.Millisecond)
	if err := r.dev.Flash(100 * time.Millisecond); err == nil {
		t.Fatal("flash on hook accepted")
	}
	if err := r.dev.Seize(); err != nil {
		t.Fatal(err)
	}
	r.chip.take()
	before := r.clk.Now()
	if err := r.dev.Flash(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var w []byte
	for _, o := range r.chip.take() {
		if o.write && o.reg == regDAACtl1 {
			w = append(w, o.val)
		}
	}
	if string(w) != string([]byte{0, ohBit}) {
		t.Fatalf("register 5 writes % x", w)
	}
	if el := r.clk.Now().Sub(before); el != 100*time.Millisecond {
		t.Fatalf("flash lasted %v", el)
	}
	for _, d := range []time.Duration{time.Millisecond, 3 * time.Second} {
		if err := r.dev.Flash(d); err == nil {
			t.Errorf("flash of %v accepted", d)
		}
	}
	r.run(time.Second)
	if got := r.types(); len(got) != 0 {
		t.Fatalf("flash gave events %v", got)
	}
}

func TestGainRegs(t *testing.T) {
	tests := []struct {
		db            float64
		whole, tenths byte
		ok            bool
	}{
		{0, 0, 0, true},
		{-3.5, 0x13, 0x15, true},
		{6.2, 0x06, 0x02, true},
		{-15, 0x1F, 0x10, true},
		{12, 0x0C, 0x00, true},
		{12.1, 0, 0, false},
		{-15.1, 0, 0, false},
		{math.NaN(), 0, 0, false},
	}
	for _, tc := range tests {
		w, te, err := gainRegs(tc.db)
		if (err == nil) != tc.ok || w != tc.whole || te != tc.tenths {
			t.Errorf("gainRegs(%v) = %#x %#x %v", tc.db, w, te, err)
		}
	}
	r := mustRig(t, nil)
	if err := r.dev.SetGains(-3.5, 6.2); err != nil {
		t.Fatal(err)
	}
	if r.chip.get(regTXGain2) != 0x13 || r.chip.get(regTXGain3) != 0x15 || r.chip.get(regRXGain2) != 0x06 || r.chip.get(regRXGain3) != 0x02 {
		t.Fatal("gain registers not written")
	}
	h := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	if err := r.dev.SetHybrid(h); err != nil {
		t.Fatal(err)
	}
	for i := range h {
		if r.chip.get(regHybrid1+uint8(i)) != h[i] {
			t.Fatalf("hybrid register %d", regHybrid1+i)
		}
	}
}

func TestMeasure(t *testing.T) {
	r := mustRig(t, nil)
	r.chip.setLine(idle(-48))
	m, err := r.dev.Measure()
	if err != nil || m.LineVolts != -48 || m.LoopMilliamps != 0 || !m.HasLine || !m.HasLoop || m.HasTipRing {
		t.Fatalf("on hook %+v %v", m, err)
	}
	if err := r.dev.Seize(); err != nil {
		t.Fatal(err)
	}
	m, _ = r.dev.Measure()
	if m.LineVolts != -8 || math.Abs(m.LoopMilliamps-26.4) > 1e-9 {
		t.Fatalf("off hook %+v", m)
	}
}

func TestChipResetReconfigured(t *testing.T) {
	r := mustRig(t, nil)
	r.run(200 * time.Millisecond)
	r.chip.mu.Lock()
	r.chip.reset()
	r.chip.mu.Unlock()
	r.run(500 * time.Millisecond)
	if r.chip.get(regPCM) != pcmEnable|pcmALaw || r.chip.get(regDAACtl1) != onhmBit || r.chip.get(regDCTerm) != 0x30 {
		t.Fatalf("not reconfigured: 33=%#x 5=%#x 26=%#x", r.chip.get(regPCM), r.chip.get(regDAACtl1), r.chip.get(regDCTerm))
	}
	if s := r.dev.Status(); s.Fault != "" {
		t.Fatalf("status %+v", s)
	}
}

func TestChipStopsRespondingThenRecovers(t *testing.T) {
	for _, v := range []byte{0xFF, 0x00} {
		testChipStopsResponding(t, v)
	}
}

func testChipStopsResponding(t *testing.T, v byte) {
	r := mustRig(t, nil)
	r.run(100 * time.Millisecond)
	r.chip.mu.Lock()
	r.chip.isDead, r.chip.dead = true, v
	r.chip.mu.Unlock()
	r.run(200 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventFault}) {
		t.Fatalf("bus reading %#02x: events %v", v, got)
	}
	if err := r.dev.Seize(); !errors.Is(err, board.ErrPortFault) {
		t.Fatalf("Seize on faulty port: %v", err)
	}
	r.chip.mu.Lock()
	r.chip.isDead = false
	r.chip.mu.Unlock()
	r.run(faultRetry + time.Second)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventRecovered}) {
		t.Fatalf("events %v", got)
	}
	if s := r.dev.Status(); s.Line != board.LineOK {
		t.Fatalf("status %+v", s)
	}
}

func TestCountries(t *testing.T) {
	for _, code := range []string{"ru", "am", "kg", "kz", "ua", "it", "de", "fr", "uk", "us"} {
		c, err := LookupCountry(code)
		if err != nil || c.Code != code || c.Source == "" || c.Name == "" {
			t.Errorf("%s: %+v %v", code, c, err)
		}
	}
	if c, err := LookupCountry(" GB "); err != nil || c.Code != "uk" {
		t.Errorf("GB: %+v %v", c, err)
	}
	if _, err := LookupCountry("xx"); err == nil || !strings.Contains(err.Error(), "known: am, de") {
		t.Errorf("unknown country error %v", err)
	}
}

func TestStartHalt(t *testing.T) {
	r := mustRig(t, nil)
	if err := r.dev.Seize(); err != nil {
		t.Fatal(err)
	}
	r.dev.Start(t.Context())
	if err := r.dev.Halt(); err != nil {
		t.Fatal(err)
	}
	if r.chip.get(regDAACtl1)&ohBit != 0 {
		t.Fatal("Halt left the line off hook")
	}
	if r.dev.Info().Kind != board.FXO || r.dev.Timeslot() != 6 {
		t.Fatal("info")
	}
}

// FuzzLineMonitor feeds arbitrary register samples to the line monitor: it
// must not panic, paired events must alternate, and a ring detector that
// never changes polarity must never validate a ring.
func FuzzLineMonitor(f *testing.F) {
	f.Add([]byte{0x28, 48, 0x48, 48, 0x28, 48, 0x48, 48, 0x28, 48, 0x48, 48})
	f.Add([]byte{0x08, 48, 0x08, 0, 0x08, 0xD0})
	f.Fuzz(func(t *testing.T, b []byte) {
		o := Opts{PollInterval: 5 * time.Millisecond}
		if err := o.normalize(); err != nil {
			t.Fatal(err)
		}
		m := lineMonitor{o: &o}
		now := time.Unix(0, 0)
		alternated := false
		first := 0
		state := map[board.EventType]bool{}
		pairs := map[board.EventType]board.EventType{
			board.EventRingStop: board.EventRingStart, board.EventLineVoltageRestored: board.EventLineVoltageLost,
			board.EventLineIdle: board.EventLineInUse,
		}
		for i := 0; i+1 < len(b); i += 2 {
			// Hold each sample for a few polls so debounces can complete.
			for range 1 + int(b[i+1]&3) {
				now = now.Add(o.PollInterval)
				if p := ringPolarity(b[i]); p != 0 {
					if first != 0 && p != first {
						alternated = true
					}
					first = p
				}
				for _, e := range m.sample(now, b[i], int8(b[i+1]), b[i], i%4 == 2, nil) {
					if e == board.EventRingStart && !alternated {
						t.Fatal("ring validated without polarity alternation")
					}
					if e == board.EventPolarityReversal {
						continue
					}
					if on, ok := pairs[e]; ok {
						if !state[on] {
							t.Fatalf("%v without %v", e, on)
						}
						state[on] = false
					} else {
						if state[e] {
							t.Fatalf("%v twice", e)
						}
						state[e] = true
					}
				}
			}
		}
	})
}

func BenchmarkPoll(b *testing.B) {
	clk := newFakeClock()
	chip := newFakeDAA(clk)
	d, err := New(chip, &Opts{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		clk.Sleep(5 * time.Millisecond)
		d.poll()
		chip.mu.Lock()
		chip.ops = chip.ops[:0]
		chip.mu.Unlock()
	}
}

func TestDeadLineAtStart(t *testing.T) {
	r := mustRig(t, func(f *fakeDAA, _ *Opts) { f.line = idle(0) })
	r.run(200 * time.Millisecond)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventLineVoltageLost}) {
		t.Fatalf("events %v", got)
	}
	if err := r.dev.Seize(); !errors.Is(err, board.ErrNoBattery) {
		t.Fatalf("Seize: %v", err)
	}
}

// irqPin is an INT line that reads low (asserted) and never sees an edge.
type irqPin struct{ gpio.PinIO }

func (irqPin) In(gpio.Pull, gpio.Edge) error    { return nil }
func (irqPin) Read() gpio.Level                 { return gpio.Low }
func (irqPin) WaitForEdge(d time.Duration) bool { time.Sleep(d); return false }

func TestIRQ(t *testing.T) {
	r := mustRig(t, func(_ *fakeDAA, o *Opts) { o.IRQ = irqPin{gpio.INVALID} })
	if r.chip.get(regCtl2) != inteBit|ctl2Reset || r.chip.get(regIntMask) != intRing|intDropOut|intPolarity {
		t.Fatalf("interrupts not enabled: 2=%#x 3=%#x", r.chip.get(regCtl2), r.chip.get(regIntMask))
	}
	r.chip.mu.Lock()
	r.chip.reg[regIntSrc] = intPolarity
	r.chip.mu.Unlock()
	r.run(10 * time.Millisecond)
	if r.chip.get(regIntSrc) != 0 {
		t.Fatal("interrupt source not cleared while INT is asserted")
	}
	// A running chip with INT enabled still probes as an Si3050.
	if _, err := probe(&r.dev.bus); err != nil {
		t.Fatal(err)
	}
}

// resetPin records the levels driven on RESET.
type resetPin struct {
	gpio.PinIO
	levels []gpio.Level
}

func (p *resetPin) Out(l gpio.Level) error { p.levels = append(p.levels, l); return nil }

func TestResetPinAudioAndCountry(t *testing.T) {
	pin := &resetPin{PinIO: gpio.INVALID}
	r, err := newRig(t, func(_ *fakeDAA, o *Opts) { o.Reset = pin; o.Country = "uk" })
	if err != nil {
		t.Fatal(err)
	}
	if len(pin.levels) != 2 || pin.levels[0] != gpio.Low || pin.levels[1] != gpio.High {
		t.Fatalf("RESET levels %v", pin.levels)
	}
	for _, o := range r.chip.take() {
		if o.write && o.reg == regCtl1 {
			t.Fatal("soft reset used although a RESET pin is wired")
		}
	}
	if c := r.dev.Country(); c.Code != "uk" || c.ACIM != 5 {
		t.Fatalf("country %+v", c)
	}
	if r.dev.AudioFunc() != nil {
		t.Fatal("audio installed by default")
	}
	n := 0
	r.dev.SetAudio(func(rx, tx *board.Frame) { n++ })
	r.dev.AudioFunc()(nil, nil)
	r.dev.SetAudio(nil)
	if n != 1 || r.dev.AudioFunc() != nil {
		t.Fatal("SetAudio/AudioFunc")
	}
}

func TestIsolationLinkDropRecovered(t *testing.T) {
	r := mustRig(t, nil)
	r.run(200 * time.Millisecond)
	r.chip.mu.Lock()
	r.chip.linkAt = r.clk.Now().Add(80 * time.Millisecond) // the link drops for 80 ms
	r.chip.mu.Unlock()
	r.run(time.Second)
	if s := r.dev.Status(); s.Fault != "" || s.Line != board.LineOK {
		t.Fatalf("status %+v", s)
	}
	if got := r.types(); len(got) != 0 {
		t.Fatalf("events %v", got)
	}
	// A link that never comes back takes the port out of service.
	r.chip.mu.Lock()
	r.chip.linkAt = r.clk.Now().Add(time.Hour)
	r.chip.mu.Unlock()
	r.run(3 * time.Second)
	if got := r.types(); !sameTypes(got, []board.EventType{board.EventFault}) {
		t.Fatalf("events %v", got)
	}
	if s := r.dev.Status(); s.Line != board.LineFault || !strings.Contains(s.Fault, "isolation link") {
		t.Fatalf("status %+v", s)
	}
}
