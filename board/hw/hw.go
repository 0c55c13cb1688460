package hw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"minipbx/board"
	"minipbx/board/modem"
	"minipbx/board/panel"
	"minipbx/board/pcmlink"
	"minipbx/board/proslic"
	"minipbx/board/voicedaa"
)

// ErrNoHardware means no line chip and no modem answered: the caller
// (pbxd -board auto) should fall back to the simulated board and say so.
var ErrNoHardware = errors.New("hw: no telephony hardware found")

// Options tune Detect.
type Options struct {
	Logger *slog.Logger
	// Country overrides the description's FXO country (the configured
	// zone's), Law its PCM law ("ulaw"/"alaw").
	Country, Law string
	// CalibrationDir, when set, keeps each ProSLIC's calibration in
	// <dir>/calibration-<port>.json so that later starts skip the
	// leakage test and calibrations (seconds saved per port).
	CalibrationDir string
	// OnReboot and OnFactoryReset are the reset button's actions; they
	// run on the panel's goroutine and must not block.
	OnReboot, OnFactoryReset func()
	// ProbeOnly identifies the chips without initialising them (for
	// diagnostics); the returned board is nil.
	ProbeOnly bool
	// ModemInit and ModemTimeout are the installer's voice-modem
	// settings (modem.Config.InitString and CommandTimeout; zero: the
	// driver's defaults), for every modem the description names.
	ModemInit    string
	ModemTimeout time.Duration
	// ManualLEDs leaves the LEDs to the caller (Board.Panel). By default
	// the board drives them itself from the ports' status: each port's LED
	// shows InCall off hook, Ringing while ringing, Alarm when faulty;
	// the status LED shows Ready, or Alarm while a port is faulty or the
	// PCM link is down.
	ManualLEDs bool

	// Test seams; nil means the real hardware.
	hostInit   func() error
	openSPI    func(name string) (spi.PortCloser, error)
	pin        func(name string) gpio.PinIO
	openLink   func(dev string, baud int, c pcmlink.Config) (*pcmlink.Link, error)
	openModem  func(dev string, baud int, c modem.Config) (*modem.Port, error)
	newFXS     func(conn spi.Conn, o *proslic.Opts) (fxsDev, error)
	newFXO     func(conn spi.Conn, o *voicedaa.Opts) (fxoDev, error)
	probeFXS   func(conn spi.Conn) (string, error)
	probeFXO   func(conn spi.Conn) (string, error)
	panelClock panel.Clock
}

// fxsDev and fxoDev are what the board needs of the chip drivers.
type fxsDev interface {
	board.FXSPort
	AudioFunc() board.AudioFunc
	Start(ctx context.Context)
	Halt() error
}

type fxoDev interface {
	board.FXOPort
	AudioFunc() board.AudioFunc
	Start(ctx context.Context)
	Halt() error
}

// Report says what Detect found, port by port, for the log and the
// installer's diagnostics page.
type Report struct {
	Board    string
	Ports    []PortReport
	PCMLink  string   // "ok" or why not
	Panel    string   // "ok" or why not
	Problems []string // anything else worth an installer's attention
}

// PortReport is one described port.
type PortReport struct {
	Index    int    // board.PortInfo.Index it has (or would have)
	Name     string //
	Kind     board.Kind
	Found    bool
	Chip     string // identification, when found
	Timeslot int    // PCM timeslot (chips), -1 for modems
	Error    string // why not found
}

// String renders the report for the log: one line per port.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:", r.Board)
	for _, p := range r.Ports {
		if p.Found {
			fmt.Fprintf(&b, "\n  %-8s %s found: %s", p.Name, p.Kind, p.Chip)
		} else {
			fmt.Fprintf(&b, "\n  %-8s %s MISSING: %s", p.Name, p.Kind, p.Error)
		}
	}
	fmt.Fprintf(&b, "\n  PCM link: %s\n  panel: %s", r.PCMLink, r.Panel)
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "\n  problem: %s", p)
	}
	return b.String()
}

// Found counts the ports found.
func (r Report) Found() int {
	n := 0
	for _, p := range r.Ports {
		if p.Found {
			n++
		}
	}
	return n
}

// Open is Detect for callers that want only the board; the report is
// logged.
func Open(ctx context.Context, d Description, o Options) (board.Board, error) {
	b, rep, err := Detect(ctx, d, o)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log.Info("hw: board detection", "report", rep.String())
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Detect initialises periph.io, probes every described chip and opens
// every described modem, initialises what answers, connects the chips'
// ports to their PCM timeslots on the link to the bridge MCU, and starts
// the monitors, the link, the modems and the panel under ctx (and Close).
// Ports that do not answer are left out of the board and listed in the
// report. When nothing answers it returns ErrNoHardware (wrapped) and the
// report: pbxd -board auto then runs the simulated board and logs the
// report so the installer sees why.
func Detect(ctx context.Context, d Description, o Options) (*Board, Report, error) {
	rep := Report{Board: d.Name}
	if err := d.Validate(); err != nil {
		return nil, rep, err
	}
	o.defaults()
	if o.Country != "" {
		d.Country = o.Country
	}
	if o.Law != "" {
		d.Law = o.Law
	}
	if err := o.hostInit(); err != nil {
		return nil, rep, fmt.Errorf("%w: periph host init: %w", ErrNoHardware, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	b := &Board{
		name:   d.Name,
		events: make(chan board.Event, 256),
		cancel: cancel,
		log:    o.Logger,

		manualLEDs: o.ManualLEDs,
	}
	fail := func(err error) (*Board, Report, error) {
		b.Close()
		return nil, rep, err
	}
	hz := d.SPIHz
	if hz == 0 {
		hz = 2_000_000
	}
	index := 0
	var chips []chipSlot
	for _, c := range d.FXS {
		pr, dev := b.openFXS(c, index, d, &o, physic.Frequency(hz)*physic.Hertz)
		rep.Ports = append(rep.Ports, pr)
		if dev != nil {
			chips = append(chips, chipSlot{dev.AudioFunc, c.Timeslot})
			b.ports = append(b.ports, dev)
			b.devs = append(b.devs, dev)
		}
		index++
	}
	for _, c := range d.FXO {
		pr, dev := b.openFXO(c, index, d, &o, physic.Frequency(hz)*physic.Hertz)
		rep.Ports = append(rep.Ports, pr)
		if dev != nil {
			chips = append(chips, chipSlot{dev.AudioFunc, c.Timeslot})
			b.ports = append(b.ports, dev)
			b.devs = append(b.devs, dev)
		}
		index++
	}
	if o.ProbeOnly {
		b.Close()
		return nil, rep, nil
	}
	for i, m := range d.Modems {
		name := m.Name
		if name == "" {
			name = fmt.Sprintf("Modem %d", i+1)
		}
		pr := PortReport{Index: index, Name: name, Kind: board.FXO, Timeslot: -1}
		mp, err := o.openModem(m.Device, m.Baud, modem.Config{
			Index: index, Name: name, Emit: b.emit(ctx), Logger: o.Logger,
			Prefer:     map[string]modem.Encoding{"alaw": modem.EncALaw}[d.Law],
			InitString: o.ModemInit, CommandTimeout: o.ModemTimeout,
		})
		if err != nil {
			pr.Error = err.Error()
		} else {
			pr.Found, pr.Chip = true, "voice modem on "+m.Device
			b.ports = append(b.ports, mp)
			b.modems = append(b.modems, mp)
		}
		rep.Ports = append(rep.Ports, pr)
		index++
	}
	if len(b.ports) == 0 {
		rep.PCMLink, rep.Panel = "not opened (no port answered)", "not opened (no port answered)"
		return fail(fmt.Errorf("%w (%d ports described, none answered)", ErrNoHardware, len(rep.Ports)))
	}

	// The voice path. Without it the chips signal but carry no audio:
	// keep the ports (an installer can still see hook and ring) and say so.
	law := pcmlink.ULaw
	if d.Law == "alaw" {
		law = pcmlink.ALaw
	}
	if len(chips) > 0 {
		var slots uint16
		for _, c := range d.FXS {
			slots |= 1 << c.Timeslot
		}
		for _, c := range d.FXO {
			slots |= 1 << c.Timeslot
		}
		link, err := o.openLink(d.PCMLink.Device, d.PCMLink.Baud, pcmlink.Config{
			Law: law, Slots: slots, Logger: o.Logger,
			OnLinkState: func(up bool) {
				if !up {
					b.log.Error("hw: PCM link down: analog ports have no audio")
				}
			},
		})
		if err != nil {
			rep.PCMLink = err.Error()
			rep.Problems = append(rep.Problems, "no voice path to the line chips: "+err.Error())
		} else {
			rep.PCMLink = "ok"
			b.link = link
			for _, c := range chips {
				get := c.get
				if err := link.Attach(c.slot, func(rx, tx *board.Frame) {
					if fn := get(); fn != nil {
						fn(rx, tx)
					}
				}); err != nil {
					return fail(fmt.Errorf("hw: %w", err))
				}
			}
		}
	} else {
		rep.PCMLink = "not needed (no line chips)"
	}

	p, err := b.openPanel(d, &o)
	if err != nil {
		rep.Panel = err.Error()
		rep.Problems = append(rep.Problems, "panel: "+err.Error())
	} else {
		rep.Panel = "ok"
		b.panel = p
	}

	b.start(ctx)
	return b, rep, nil
}

type chipSlot struct {
	get  func() board.AudioFunc
	slot int
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.hostInit == nil {
		o.hostInit = func() error { _, err := host.Init(); return err }
	}
	if o.openSPI == nil {
		o.openSPI = spireg.Open
	}
	if o.pin == nil {
		o.pin = gpioreg.ByName
	}
	if o.openLink == nil {
		o.openLink = pcmlink.Open
	}
	if o.openModem == nil {
		o.openModem = modem.Open
	}
	if o.newFXS == nil {
		o.newFXS = func(c spi.Conn, op *proslic.Opts) (fxsDev, error) { return proslic.New(c, op) }
	}
	if o.newFXO == nil {
		o.newFXO = func(c spi.Conn, op *voicedaa.Opts) (fxoDev, error) { return voicedaa.New(c, op) }
	}
	if o.probeFXS == nil {
		o.probeFXS = func(c spi.Conn) (string, error) {
			ci, err := proslic.Probe(c)
			return ci.String(), err
		}
	}
	if o.probeFXO == nil {
		o.probeFXO = func(c spi.Conn) (string, error) {
			ci, err := voicedaa.Probe(c)
			return ci.String(), err
		}
	}
}

// gpio returns the named pin, or nil (with a problem noted) when the name
// is empty or unknown.
func (b *Board) gpio(o *Options, name, what string, problems *[]string) gpio.PinIO {
	if name == "" {
		return nil
	}
	p := o.pin(name)
	if p == nil {
		*problems = append(*problems, fmt.Sprintf("%s: GPIO %q not found", what, name))
	}
	return p
}

// connect opens the SPI port of a chip.
func (b *Board) connect(o *Options, name string, hz physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	port, err := o.openSPI(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	conn, err := port.Connect(hz, mode, bits)
	if err != nil {
		port.Close()
		return nil, fmt.Errorf("connect %s: %w", name, err)
	}
	b.closers = append(b.closers, port)
	return conn, nil
}

func (b *Board) openFXS(c ChipPort, index int, d Description, o *Options, hz physic.Frequency) (PortReport, fxsDev) {
	pr := PortReport{Index: index, Name: c.Name, Kind: board.FXS, Timeslot: c.Timeslot}
	conn, err := b.connect(o, c.SPI, min(hz, proslic.MaxSPIFreq), proslic.SPIMode, proslic.SPIBits)
	if err != nil {
		pr.Error = err.Error()
		return pr, nil
	}
	chip, err := o.probeFXS(conn)
	if err != nil {
		pr.Error = err.Error()
		return pr, nil
	}
	pr.Chip = chip
	if o.ProbeOnly {
		pr.Found = true
		return pr, nil
	}
	var probs []string
	op := &proslic.Opts{
		Index: index, Name: c.Name, Timeslot: c.Timeslot,
		Law:    map[string]proslic.Law{"alaw": proslic.ALaw}[d.Law],
		Events: b.events, Logger: o.Logger,
	}
	if p := b.gpio(o, c.Reset, c.Name+" reset", &probs); p != nil {
		op.Reset = p
	}
	if p := b.gpio(o, c.IRQ, c.Name+" irq", &probs); p != nil {
		op.IRQ = p
	}
	calFile := ""
	if o.CalibrationDir != "" {
		calFile = filepath.Join(o.CalibrationDir, "calibration-"+fileName(c.Name)+".json")
		if cal, err := loadCalibration(calFile); err == nil {
			op.Calibration = &cal
		}
	}
	dev, err := o.newFXS(conn, op)
	if err != nil {
		pr.Error = err.Error()
		return pr, nil
	}
	if calFile != "" {
		if k, ok := dev.(interface{ Calibration() proslic.Calibration }); ok {
			if err := saveCalibration(calFile, k.Calibration()); err != nil {
				o.Logger.Warn("hw: keep calibration", "port", c.Name, "err", err)
			}
		}
	}
	pr.Found = true
	if len(probs) > 0 {
		pr.Error = strings.Join(probs, "; ")
	}
	return pr, dev
}

func (b *Board) openFXO(c ChipPort, index int, d Description, o *Options, hz physic.Frequency) (PortReport, fxoDev) {
	pr := PortReport{Index: index, Name: c.Name, Kind: board.FXO, Timeslot: c.Timeslot}
	conn, err := b.connect(o, c.SPI, min(hz, voicedaa.MaxSPIFreq), voicedaa.SPIMode, voicedaa.SPIBits)
	if err != nil {
		pr.Error = err.Error()
		return pr, nil
	}
	chip, err := o.probeFXO(conn)
	if err != nil {
		pr.Error = err.Error()
		return pr, nil
	}
	pr.Chip = chip
	if o.ProbeOnly {
		pr.Found = true
		return pr, nil
	}
	var probs []string
	op := &voicedaa.Opts{
		Index: index, Name: c.Name, Timeslot: c.Timeslot, Country: d.Country,
		Law:    map[string]voicedaa.Law{"alaw": voicedaa.ALaw}[d.Law],
		Events: b.events, Logger: o.Logger,
	}
	if p := b.gpio(o, c.Reset, c.Name+" reset", &probs); p != nil {
		op.Reset = p
	}
	if p := b.gpio(o, c.IRQ, c.Name+" irq", &probs); p != nil {
		op.IRQ = p
	}
	dev, err := o.newFXO(conn, op)
	if err != nil {
		pr.Error = err.Error()
		return pr, nil
	}
	pr.Found = true
	if len(probs) > 0 {
		pr.Error = strings.Join(probs, "; ")
	}
	return pr, dev
}

func (b *Board) openPanel(d Description, o *Options) (*panel.Panel, error) {
	pp := d.Panel
	if pp.Relay == "" && pp.StatusLED == "" && pp.Button == "" && len(pp.PortLEDs) == 0 {
		return nil, errors.New("none described")
	}
	var probs []string
	c := panel.Config{
		RelayActiveLow: pp.RelayActiveLow, LEDActiveLow: pp.LEDActiveLow, ButtonActiveHigh: pp.ButtonHigh,
		OnReboot: o.OnReboot, OnFactoryReset: o.OnFactoryReset,
		Clock: o.panelClock, Logger: o.Logger,
	}
	if p := b.gpio(o, pp.Relay, "relay", &probs); p != nil {
		c.Relay = p
	}
	if p := b.gpio(o, pp.StatusLED, "status LED", &probs); p != nil {
		c.Status = p
	}
	if p := b.gpio(o, pp.Button, "button", &probs); p != nil {
		c.Button = p
	}
	for i, name := range pp.PortLEDs {
		var out gpio.PinOut
		if p := b.gpio(o, name, fmt.Sprintf("port %d LED", i+1), &probs); p != nil {
			out = p
		}
		c.Ports = append(c.Ports, out)
	}
	if len(probs) > 0 {
		return nil, errors.New(strings.Join(probs, "; "))
	}
	return panel.New(c)
}

func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

func loadCalibration(path string) (proslic.Calibration, error) {
	var c proslic.Calibration
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	err = json.Unmarshal(b, &c)
	return c, err
}

func saveCalibration(path string, c proslic.Calibration) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Board is the hardware board: the ports that answered, their events, the
// PCM link (the audio clock of the chip ports), the modems (each its own
// audio clock) and the panel. It implements board.Board.
type Board struct {
	name    string
	ports   []board.Port
	events  chan board.Event
	devs    []interface{ Halt() error }
	modems  []*modem.Port
	link    *pcmlink.Link
	panel   *panel.Panel
	closers []io.Closer
	cancel  context.CancelFunc
	// manualLEDs: the caller drives the LEDs.
	manualLEDs bool
	started    time.Time
	log        *slog.Logger
	wg         sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

var _ board.Board = (*Board)(nil)

// emit returns the modems' event sink: it blocks like the chip drivers'
// sends do, but gives up when the board closes.
func (b *Board) emit(ctx context.Context) func(board.Event) {
	return func(e board.Event) {
		select {
		case b.events <- e:
		case <-ctx.Done():
		}
	}
}

func (b *Board) start(ctx context.Context) {
	b.started = time.Now()
	for _, d := range b.devs {
		if s, ok := d.(interface{ Start(context.Context) }); ok {
			s.Start(ctx)
		}
	}
	b.goRun("PCM link", b.link != nil, func() error { return b.link.Run(ctx) })
	for _, m := range b.modems {
		b.goRun(m.Info().Name, true, func() error { return m.Run(ctx) })
	}
	b.goRun("panel", b.panel != nil, func() error { return b.panel.Run(ctx) })
	b.goRun("LEDs", b.panel != nil && !b.manualLEDs, func() error { b.leds(ctx); return nil })
}

// ledInterval is how often the LEDs follow the ports' status; linkGrace
// how long the status LED shows Booting while the PCM link has not come up.
const (
	ledInterval = 100 * time.Millisecond
	linkGrace   = 5 * time.Second
)

// leds keeps the LEDs in step with the ports' status until ctx is done.
func (b *Board) leds(ctx context.Context) {
	t := time.NewTicker(ledInterval)
	defer t.Stop()
	for {
		b.updateLEDs()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (b *Board) updateLEDs() {
	alarm := false
	for _, p := range b.ports {
		st := p.Status()
		pt := panel.Off
		switch {
		case st.Line == board.LineFault || st.Fault != "":
			pt, alarm = panel.Alarm, true
		case st.Hook == board.OffHook:
			pt = panel.InCall
		case st.Line == board.LineRinging:
			pt = panel.Ringing
		}
		_ = b.panel.SetPort(p.Info().Index, pt) // a port without an LED
	}
	booting := false
	if b.link != nil {
		if st := b.link.Stats(); !st.Up {
			// Give the bridge MCU a few seconds to start before the
			// missing link counts as an alarm.
			if st.RxFrames == 0 && time.Since(b.started) < linkGrace {
				booting = true
			} else {
				alarm = true
			}
		}
	}
	switch {
	case alarm:
		b.panel.SetStatus(panel.Alarm)
	case booting:
		b.panel.SetStatus(panel.Booting)
	default:
		b.panel.SetStatus(panel.Ready)
	}
}

func (b *Board) goRun(what string, ok bool, run func() error) {
	if !ok {
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := run(); err != nil {
			b.log.Error("hw: stopped", "what", what, "err", err)
		}
	}()
}

// Name implements board.Board.
func (b *Board) Name() string { return b.name }

// Ports implements board.Board. A port's Info().Index is its position in
// the description (FXS…, FXO…, modems…), so it stays the same when another
// port is missing.
func (b *Board) Ports() []board.Port { return b.ports }

// Events implements board.Board.
func (b *Board) Events() <-chan board.Event { return b.events }

// Panel returns the front panel (nil when the board has none): the
// exchange sets LED patterns and calls Healthy as its heartbeat.
func (b *Board) Panel() *panel.Panel { return b.panel }

// LinkStats returns the PCM link's counters (false without a link).
func (b *Board) LinkStats() (pcmlink.Stats, bool) {
	if b.link == nil {
		return pcmlink.Stats{}, false
	}
	return b.link.Stats(), true
}

// Close implements board.Board: it stops the monitors, the link, the
// modems and the panel (which drops the relay: lifeline), releases the
// hardware and closes Events.
func (b *Board) Close() error {
	b.closeOnce.Do(func() {
		// A chip monitor blocked on a full Events channel that nobody
		// reads any more must not hang Close: drain until closed.
		stopDrain := make(chan struct{})
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for {
				select {
				case <-b.events:
				case <-stopDrain:
					return
				}
			}
		}()
		var errs []error
		for _, d := range b.devs {
			errs = append(errs, d.Halt())
		}
		b.cancel()
		if b.link != nil {
			errs = append(errs, b.link.Close())
		}
		for _, m := range b.modems {
			errs = append(errs, m.Close())
		}
		done := make(chan struct{})
		go func() { b.wg.Wait(); close(done) }()
		stopped := true
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			stopped = false
			errs = append(errs, errors.New("hw: board goroutines did not stop; Events left open"))
		}
		for _, c := range b.closers {
			errs = append(errs, c.Close())
		}
		close(stopDrain)
		<-drained
		if stopped {
			close(b.events)
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}
