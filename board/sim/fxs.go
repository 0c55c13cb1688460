package sim

import (
	"cmp"
	"fmt"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

// fxsPort is a simulated FXS port: it feeds the virtual phone, rings it, and
// decodes its switch hook with dsp.HookDecoder exactly as the ProSLIC driver
// does with the chip's loop-closure bit.
type fxsPort struct {
	b     *Board
	info  board.PortInfo
	phone *Phone

	fn      board.AudioFunc
	rx, tx  board.Frame
	hook    *dsp.HookDecoder
	lastRaw bool // switch-hook state fed to the decoder last frame
	offHook bool // debounced state, as reported by events
	// hookCfg is the decoder's window; hookNext a new one waiting for the
	// hook to be steady (SetHookTiming); hookEdge the board time of the
	// last switch-hook change.
	hookCfg  dsp.HookConfig
	hookNext *dsp.HookConfig
	hookEdge time.Duration

	ringing   bool
	ringFreq  float64
	ringVrms  float64
	oht       bool // on-hook transmission
	reversed  bool
	reversals int // polarity changes, for tests (Phone.PolarityReversals)
	fault     string
	test      portTest // injected faults and loopback (faults.go)
}

func newFXSPort(b *Board, index, n int) *fxsPort {
	p := &fxsPort{
		b:        b,
		info:     board.PortInfo{Index: index, Kind: board.FXS, Name: fmt.Sprintf("FXS %d", n), Driver: "sim"},
		hook:     dsp.NewHookDecoder(dsp.HookConfig{}),
		ringFreq: 20,
		ringVrms: 45,
	}
	p.phone = newPhone(b, p, n)
	return p
}

func (p *fxsPort) Info() board.PortInfo { return p.info }

func (p *fxsPort) Status() board.PortStatus {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	st := board.PortStatus{Hook: board.OnHook, Line: board.LineOK, Fault: p.fault}
	if p.offHook {
		st.Hook = board.OffHook
	}
	switch {
	case p.fault != "":
		st.Line = board.LineFault
	case p.ringing:
		st.Line = board.LineRinging
	}
	return st
}

func (p *fxsPort) SetAudio(fn board.AudioFunc) {
	p.b.mu.Lock()
	p.fn = fn
	p.b.mu.Unlock()
}

// Measure reports what a ProSLIC would read back: tip and ring to ground
// on the -56 V battery, with 25 mA of loop current when the phone is off
// hook (a 200 Ω loop plus the phone drops the tip-ring voltage).
func (p *fxsPort) Measure() (board.Measurements, error) {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if err := p.usable("measure"); err != nil {
		return board.Measurements{}, err
	}
	m := board.Measurements{BatteryVolts: -56, HasBattery: true, HasTipRing: true, HasLoop: true}
	if p.phone.raw {
		m.TipVolts, m.RingVolts, m.LoopMilliamps = -20, -30, 25
	} else {
		m.TipVolts, m.RingVolts = -4, -52
	}
	if p.reversed {
		m.TipVolts, m.RingVolts = m.RingVolts, m.TipVolts
	}
	p.test.measureFXS(&m)
	return m, nil
}

func (p *fxsPort) usable(op string) error {
	if p.b.closed {
		return fmt.Errorf("sim: %s %s: %w", p.info.Name, op, board.ErrClosed)
	}
	if p.fault != "" {
		return fmt.Errorf("sim: %s %s: %w (%s)", p.info.Name, op, board.ErrPortFault, p.fault)
	}
	return nil
}

// Ring starts or stops the ring signal. Ringing a phone that is off hook
// does nothing, as ring-trip detection would stop it at once on hardware.
func (p *fxsPort) Ring(on bool) error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if err := p.usable("ring"); err != nil {
		return err
	}
	if on && p.phone.raw {
		return nil
	}
	p.setRinging(on)
	return nil
}

func (p *fxsPort) setRinging(on bool) {
	if p.ringing == on {
		return
	}
	p.ringing = on
	p.phone.ringEdge(on, p.b.now())
}

func (p *fxsPort) SetRinger(freqHz, vrms float64) error {
	if freqHz < 15 || freqHz > 70 || vrms < 20 || vrms > 90 {
		return fmt.Errorf("sim: %s ringer %.1f Hz %.1f Vrms: want 15-70 Hz and 20-90 Vrms", p.info.Name, freqHz, vrms)
	}
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	p.ringFreq, p.ringVrms = freqHz, vrms
	return nil
}

func (p *fxsPort) SetOnHookTransmission(on bool) error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if err := p.usable("on-hook transmission"); err != nil {
		return err
	}
	p.oht = on
	return nil
}

func (p *fxsPort) SetPolarity(reversed bool) error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if err := p.usable("polarity"); err != nil {
		return err
	}
	if p.reversed != reversed {
		p.reversals++
	}
	p.reversed = reversed
	return nil
}

// setFault takes the port out of service (detail != "") or back in.
func (p *fxsPort) setFault(detail string) {
	switch {
	case detail != "" && p.fault == "":
		p.fault = detail
		p.setRinging(false)
		p.b.emit(p.info.Index, board.EventFault, 0, detail)
	case detail == "" && p.fault != "":
		p.fault = ""
		p.b.emit(p.info.Index, board.EventRecovered, 0, "")
	}
}

// produce runs at the start of a frame: the switch hook is sampled and
// decoded, and the phone's voice becomes the port's received frame.
func (p *fxsPort) produce(now time.Duration) {
	ph := p.phone
	ph.stepHook()
	if ph.raw && p.ringing { // ring trip
		p.setRinging(false)
	}
	if ph.raw != p.lastRaw {
		p.lastRaw = ph.raw
		p.hookEdge = now
		p.hookEvents(p.hook.Hook(ph.raw, now))
	}
	p.hookEvents(p.hook.Poll(now))
	if p.hookNext != nil {
		p.nextHookTiming(now)
	}

	if ph.raw && p.fault == "" {
		ph.mouth.read(&p.rx)
	} else {
		p.rx = board.Frame{}
		ph.mouth.discard()
	}
	p.test.received(&p.rx)
	p.b.cfg.Law.roundTrip(&p.rx)
}

func (p *fxsPort) hookEvents(evs []dsp.HookEvent) {
	for _, ev := range evs {
		switch ev.Type {
		case dsp.HookOff:
			p.offHook = true
			p.b.emit(p.info.Index, board.EventOffHook, 0, "")
		case dsp.HookOn:
			p.offHook = false
			p.b.emit(p.info.Index, board.EventOnHook, 0, "")
		case dsp.HookFlash:
			p.b.emit(p.info.Index, board.EventFlash, 0, "")
		case dsp.HookDigit:
			p.b.emit(p.info.Index, board.EventPulseDigit, ev.Digit, "")
		}
	}
}

// SetHookTiming changes the windows of the port's switch-hook decoder
// (telephony/analog's HookTiming): on hook for longer than c.BreakMax and
// at most c.FlashMax is a flash, and so on (dsp.HookConfig; zero fields
// take the defaults). The new windows apply as soon as the hook is
// steady — on hook after a hang-up, or off hook with no digit being
// dialled — so a flash or digit under way is decoded as it began.
func (p *fxsPort) SetHookTiming(c dsp.HookConfig) error {
	if c.BreakMin < 0 || c.BreakMax < 0 || c.MakeMax < 0 || c.FlashMax < 0 {
		return fmt.Errorf("sim: %s hook timing %+v: negative", p.info.Name, c)
	}
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if c == p.hookCfg {
		p.hookNext = nil
		return nil
	}
	p.hookNext = &c
	return nil
}

// nextHookTiming puts a waiting hook window in place once the hook is
// steady (board locked).
func (p *fxsPort) nextHookTiming(now time.Duration) {
	c := *p.hookNext
	switch makeMax := cmp.Or(p.hookCfg.MakeMax, dsp.DefaultMakeMax); {
	case !p.lastRaw && !p.offHook:
		p.hook = dsp.NewHookDecoder(c) // idle on hook
	case p.lastRaw && p.offHook && now-p.hookEdge > makeMax:
		// Off hook, any digit finished: the new decoder starts off hook
		// (the off-hook event it reports is old news).
		p.hook = dsp.NewHookDecoder(c)
		p.hook.Hook(true, p.hookEdge)
	default:
		return
	}
	p.hookCfg, p.hookNext = c, nil
}

// consume runs after the AudioFunc: what the port sent reaches the phone's
// earpiece when it is off hook, or its caller ID receiver when it is on hook
// and on-hook transmission is on.
func (p *fxsPort) consume(now time.Duration) {
	p.b.cfg.Law.roundTrip(&p.tx)
	p.test.sent(&p.tx)
	ph := p.phone
	switch {
	case p.fault != "":
	case ph.raw:
		ph.ear.hear(p.tx[:])
		ph.offHookAudio(p.tx[:])
	case p.oht:
		ph.onHookAudio(p.tx[:])
	}
}
