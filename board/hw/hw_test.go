package hw

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"minipbx/board"
	"minipbx/board/modem"
	"minipbx/board/pcmlink"
	"minipbx/board/proslic"
	"minipbx/board/voicedaa"
)

func TestReferenceDescription(t *testing.T) {
	d := Reference()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(d.FXS) != 2 || len(d.FXO) != 2 || d.PCMLink.Device == "" {
		t.Fatalf("reference box: %+v", d)
	}
}

func TestLoadDescription(t *testing.T) {
	d, err := LoadDescription(strings.NewReader(`{
		"name": "8-port variant", "law": "ulaw", "country": "us",
		"fxs": [{"name": "FXS 1", "spi": "SPI1.0", "reset": "GPIO2", "irq": "GPIO3", "timeslot": 4}],
		"modems": [{"device": "/dev/ttyACM0"}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "8-port variant" || d.Law != "ulaw" || len(d.FXS) != 1 || d.FXS[0].Timeslot != 4 || len(d.Modems) != 1 {
		t.Fatalf("loaded %+v", d)
	}
	if len(d.FXO) != 2 || d.PCMLink.Device != "/dev/ttyS1" {
		t.Fatal("fields left out lost the reference values")
	}
	bad := map[string]string{
		"unknown field":  `{"nmae": "x"}`,
		"law":            `{"law": "pcm"}`,
		"timeslot range": `{"fxs": [{"name": "A", "spi": "SPI0.0", "timeslot": 16}]}`,
		"dup timeslot":   `{"fxs": [{"name": "A", "spi": "SPI0.0", "timeslot": 2}]}`,
		"dup spi":        `{"fxs": [{"name": "A", "spi": "SPI0.2", "timeslot": 9}]}`,
		"dup gpio":       `{"panel": {"relay": "GPIO17"}}`,
		"dup name":       `{"fxs": [{"name": "FXO 1", "spi": "SPI1.0", "timeslot": 9}]}`,
		"spi speed":      `{"spi_hz": 20000000}`,
		"serial twice":   `{"modems": [{"device": "/dev/ttyS1"}]}`,
		"too many leds":  `{"panel": {"port_leds": ["A","B","C","D","E"]}}`,
		"not json":       `{`,
	}
	for name, js := range bad {
		if _, err := LoadDescription(strings.NewReader(js)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Fakes of the hardware below the chip drivers.

type fakeSPIPort struct{ name string }

func (p *fakeSPIPort) String() string                    { return p.name }
func (p *fakeSPIPort) Close() error                      { return nil }
func (p *fakeSPIPort) LimitSpeed(physic.Frequency) error { return nil }
func (p *fakeSPIPort) Connect(f physic.Frequency, m spi.Mode, bits int) (spi.Conn, error) {
	return &fakeConn{name: p.name}, nil
}

type fakeConn struct{ name string }

func (c *fakeConn) String() string                 { return c.name }
func (c *fakeConn) Tx(w, r []byte) error           { return nil }
func (c *fakeConn) Duplex() conn.Duplex            { return conn.Full }
func (c *fakeConn) TxPackets(p []spi.Packet) error { return nil }

type fakeChip struct {
	info   board.PortInfo
	mu     sync.Mutex
	status board.PortStatus
	fn     board.AudioFunc
	halted bool
	start  bool
}

func (f *fakeChip) Info() board.PortInfo { return f.info }
func (f *fakeChip) Status() board.PortStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}
func (f *fakeChip) set(s board.PortStatus) { f.mu.Lock(); f.status = s; f.mu.Unlock() }
func (f *fakeChip) Measure() (board.Measurements, error) {
	return board.Measurements{}, board.ErrNotSupported
}
func (f *fakeChip) SetAudio(fn board.AudioFunc)      { f.mu.Lock(); f.fn = fn; f.mu.Unlock() }
func (f *fakeChip) AudioFunc() board.AudioFunc       { f.mu.Lock(); defer f.mu.Unlock(); return f.fn }
func (f *fakeChip) Start(context.Context)            { f.mu.Lock(); f.start = true; f.mu.Unlock() }
func (f *fakeChip) Halt() error                      { f.mu.Lock(); f.halted = true; f.mu.Unlock(); return nil }
func (f *fakeChip) Ring(bool) error                  { return nil }
func (f *fakeChip) SetRinger(float64, float64) error { return nil }
func (f *fakeChip) SetOnHookTransmission(bool) error { return nil }
func (f *fakeChip) SetPolarity(bool) error           { return nil }
func (f *fakeChip) Seize() error                     { return nil }
func (f *fakeChip) Release() error                   { return nil }
func (f *fakeChip) Flash(time.Duration) error        { return nil }
func (f *fakeChip) Calibration() proslic.Calibration { return proslic.Calibration{} }

// fakeSerial feeds AUDIO_UP frames to the PCM link.
type fakeSerial struct {
	in chan []byte
	t  time.Duration
}

func (s *fakeSerial) SetReadTimeout(d time.Duration) error { s.t = d; return nil }
func (s *fakeSerial) Write(b []byte) (int, error)          { return len(b), nil }
func (s *fakeSerial) Read(b []byte) (int, error) {
	select {
	case c, ok := <-s.in:
		if !ok {
			return 0, errors.New("closed")
		}
		return copy(b, c), nil
	case <-time.After(s.t):
		return 0, nil
	}
}

type world struct {
	answer  map[string]bool // SPI port → a chip answers
	chips   map[string]*fakeChip
	pins    map[string]*gpiotest.Pin
	serial  *fakeSerial
	linkErr error
	opts    Options
}

func newWorld(answer ...string) *world {
	w := &world{answer: map[string]bool{}, chips: map[string]*fakeChip{}, pins: map[string]*gpiotest.Pin{}, serial: &fakeSerial{in: make(chan []byte, 64)}}
	for _, a := range answer {
		w.answer[a] = true
	}
	w.opts = Options{
		hostInit: func() error { return nil },
		openSPI: func(name string) (spi.PortCloser, error) {
			if !strings.HasPrefix(name, "SPI0.") {
				return nil, errors.New("no such SPI port")
			}
			return &fakeSPIPort{name: name}, nil
		},
		pin: func(name string) gpio.PinIO {
			if p, ok := w.pins[name]; ok {
				return p
			}
			p := &gpiotest.Pin{N: name}
			w.pins[name] = p
			return p
		},
		probeFXS: func(c spi.Conn) (string, error) { return w.probe(c) },
		probeFXO: func(c spi.Conn) (string, error) { return w.probe(c) },
		newFXS: func(c spi.Conn, o *proslic.Opts) (fxsDev, error) {
			f := &fakeChip{info: board.PortInfo{Index: o.Index, Kind: board.FXS, Name: o.Name}}
			w.chips[o.Name] = f
			return f, nil
		},
		newFXO: func(c spi.Conn, o *voicedaa.Opts) (fxoDev, error) {
			f := &fakeChip{info: board.PortInfo{Index: o.Index, Kind: board.FXO, Name: o.Name}}
			w.chips[o.Name] = f
			return f, nil
		},
		openLink: func(dev string, baud int, c pcmlink.Config) (*pcmlink.Link, error) {
			if w.linkErr != nil {
				return nil, w.linkErr
			}
			c.Port = w.serial
			return pcmlink.New(c)
		},
		openModem: func(dev string, baud int, c modem.Config) (*modem.Port, error) {
			return nil, errors.New("no modem here")
		},
	}
	return w
}

func (w *world) probe(c spi.Conn) (string, error) {
	name := c.(*fakeConn).name
	if w.answer[name] {
		return "chip on " + name, nil
	}
	return "", errors.New("no chip answers")
}

func TestDetectNothing(t *testing.T) {
	w := newWorld()
	b, rep, err := Detect(context.Background(), Reference(), w.opts)
	if !errors.Is(err, ErrNoHardware) || b != nil {
		t.Fatalf("Detect = %v, %v", b, err)
	}
	if len(rep.Ports) != 4 || rep.Found() != 0 {
		t.Fatalf("report %+v", rep)
	}
	if s := rep.String(); strings.Count(s, "MISSING") != 4 {
		t.Fatalf("report text:\n%s", s)
	}
	w.opts.hostInit = func() error { return errors.New("not a supported host") }
	if _, _, err := Detect(context.Background(), Reference(), w.opts); !errors.Is(err, ErrNoHardware) {
		t.Fatalf("host init failure: %v", err)
	}
}

// TestDetectPartial: FXS 1 and FXO 2 answer. They become the board's
// ports with their description indexes, their audio runs on their PCM
// timeslots, the panel is up, the missing ports are reported.
func TestDetectPartial(t *testing.T) {
	w := newWorld("SPI0.0", "SPI0.3")
	d := Reference()
	d.FXO[1].Reset = "NOPE" // not a GPIO this host knows
	w.opts.pin = func(old func(string) gpio.PinIO) func(string) gpio.PinIO {
		return func(n string) gpio.PinIO {
			if n == "NOPE" {
				return nil
			}
			return old(n)
		}
	}(w.opts.pin)
	b, rep, err := Detect(context.Background(), d, w.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if rep.Found() != 2 || rep.PCMLink != "ok" || rep.Panel != "ok" {
		t.Fatalf("report:\n%s", rep)
	}
	if !strings.Contains(rep.Ports[3].Error, "NOPE") || !rep.Ports[3].Found {
		t.Fatalf("unknown GPIO not reported: %+v", rep.Ports[3])
	}
	ports := b.Ports()
	if len(ports) != 2 || ports[0].Info().Index != 0 || ports[1].Info().Index != 3 {
		t.Fatalf("ports %v", ports)
	}
	if !w.chips["FXS 1"].start || !w.chips["FXO 2"].start {
		t.Fatal("monitors not started")
	}
	// Audio: FXO 2 on timeslot 3 hears what the MCU puts there.
	heard := make(chan int16, 10)
	ports[1].SetAudio(func(rx, tx *board.Frame) { heard <- rx[0] })
	var seq uint16
	for range 8 {
		pay := make([]byte, 4*pcmlink.SlotSamples)
		for i := range pcmlink.SlotSamples {
			pay[3*pcmlink.SlotSamples+i] = 0x80 // A-law 0x80: a loud sample
		}
		f, err := pcmlink.AppendFrame(nil, &pcmlink.Frame{Type: pcmlink.TypeAudioUp, Seq: seq, Map: 0x0F, Payload: pay})
		if err != nil {
			t.Fatal(err)
		}
		seq++
		w.serial.in <- f
	}
	select {
	case v := <-heard:
		if v == 0 {
			t.Fatal("timeslot 3 delivered silence")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no audio on FXO 2")
	}
	if st, ok := b.LinkStats(); !ok || st.RxFrames == 0 {
		t.Fatalf("link stats %+v", st)
	}
	// The panel owns the relay; it is de-energised until the heartbeat.
	if w.pins["GPIO12"].Read() != gpio.Low {
		t.Fatal("relay energised at start")
	}
	b.Panel().Healthy()
	deadline := time.Now().Add(5 * time.Second)
	for w.pins["GPIO12"].Read() != gpio.High {
		if time.Now().After(deadline) {
			t.Fatal("relay never energised")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !w.chips["FXS 1"].halted || w.pins["GPIO12"].Read() != gpio.Low {
		t.Fatal("Close did not halt the chips and drop the relay")
	}
	if _, open := <-b.Events(); open {
		t.Fatal("Events not closed")
	}
}

func TestDetectWithoutLink(t *testing.T) {
	w := newWorld("SPI0.1")
	w.linkErr = errors.New("open /dev/ttyS1: no such file")
	b, rep, err := Detect(context.Background(), Reference(), w.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(b.Ports()) != 1 || !strings.Contains(rep.PCMLink, "ttyS1") || len(rep.Problems) == 0 {
		t.Fatalf("report:\n%s", rep)
	}
}

func TestProbeOnlyAndCalibration(t *testing.T) {
	w := newWorld("SPI0.0", "SPI0.2")
	o := w.opts
	o.ProbeOnly = true
	b, rep, err := Detect(context.Background(), Reference(), o)
	if err != nil || b != nil || rep.Found() != 2 || len(w.chips) != 0 {
		t.Fatalf("probe only: %v %v\n%s", b, err, rep)
	}
	dir := t.TempDir()
	o = w.opts
	o.CalibrationDir = dir
	var got *proslic.Calibration
	newFXS := o.newFXS
	o.newFXS = func(c spi.Conn, op *proslic.Opts) (fxsDev, error) { got = op.Calibration; return newFXS(c, op) }
	for i := range 2 {
		b, _, err := Detect(context.Background(), Reference(), o)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		if (got != nil) != (i == 1) {
			t.Fatalf("start %d: calibration passed = %v", i, got != nil)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "calibration-FXS_1.json")); err != nil {
		t.Fatal(err)
	}
}

// TestLEDsFollowPorts: the board drives the port LEDs from the ports'
// status and the status LED from faults and the link.
func TestLEDsFollowPorts(t *testing.T) {
	w := newWorld("SPI0.0", "SPI0.2")
	b, _, err := Detect(context.Background(), Reference(), w.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	led := func(name string) *gpiotest.Pin { return w.pins[name] }
	// watch samples an LED for 600 ms: steady high, steady low, or blinking.
	watch := func(pin *gpiotest.Pin) string {
		var hi, lo int
		for range 60 {
			if pin.Read() == gpio.High {
				hi++
			} else {
				lo++
			}
			time.Sleep(10 * time.Millisecond)
		}
		switch {
		case lo == 0:
			return "on"
		case hi == 0:
			return "off"
		}
		return "blinking"
	}
	// Before the PCM link comes up: booting (blinking), ports off.
	if got := watch(led("GPIO13")); got != "blinking" {
		t.Fatalf("status LED %s while booting", got)
	}
	w.chips["FXS 1"].set(board.PortStatus{Hook: board.OffHook})
	w.chips["FXO 1"].set(board.PortStatus{Line: board.LineRinging})
	eventually(t, "FXS 1 LED on", func() bool { return watch(led("GPIO16")) == "on" })
	if got := watch(led("GPIO20")); got != "blinking" {
		t.Fatalf("ringing FXO 1 LED %s", got)
	}
	if got := watch(led("GPIO19")); got != "off" {
		t.Fatalf("missing FXS 2 LED %s", got)
	}
	w.chips["FXS 1"].set(board.PortStatus{Line: board.LineFault, Fault: "power alarm"})
	eventually(t, "FXS 1 LED alarm", func() bool { return watch(led("GPIO16")) == "blinking" })
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out: %s", what)
		}
	}
}

// TestDetectOnThisMachine runs the real periph host and drivers: on a
// machine without the reference box's SPI devices (CI, a laptop) it must
// come back quickly with ErrNoHardware, so pbxd falls back to the
// simulated board.
func TestDetectOnThisMachine(t *testing.T) {
	if _, err := os.Stat("/dev/spidev0.0"); err == nil {
		t.Skip("this machine has /dev/spidev0.0: the hardware test is board/hwtest")
	}
	start := time.Now()
	b, rep, err := Detect(context.Background(), Reference(), Options{})
	if !errors.Is(err, ErrNoHardware) || b != nil {
		t.Fatalf("Detect = %v, %v\n%s", b, err, rep)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("detection took %v", d)
	}
	t.Logf("%v\n%s", err, rep)
}

// TestModemSettings: the installer's voice-modem settings reach every
// modem the description names.
func TestModemSettings(t *testing.T) {
	w := newWorld("SPI0.0")
	var got []modem.Config
	w.opts.openModem = func(dev string, baud int, c modem.Config) (*modem.Port, error) {
		got = append(got, c)
		return nil, errors.New("no modem here")
	}
	w.opts.ModemInit, w.opts.ModemTimeout = "AT+GCI=59", 3*time.Second
	d := Reference()
	d.Modems = []SerialDev{{Device: "/dev/ttyUSB0"}, {Device: "/dev/ttyUSB1"}}
	b, _, err := Detect(context.Background(), d, w.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(got) != 2 || got[0].InitString != "AT+GCI=59" || got[1].CommandTimeout != 3*time.Second {
		t.Fatalf("modem configs %+v", got)
	}
}
