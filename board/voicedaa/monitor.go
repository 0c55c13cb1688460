package voicedaa

import (
	"context"
	"fmt"
	"math"
	"time"

	"minipbx/board"

	"periph.io/x/conn/v3/gpio"
)

type batState int

const (
	batUnknown batState = iota
	batPresent
	batLost
)

// settleTime is how long line-voltage events are not evaluated after the
// port's own hook changes or a ring burst, while the line voltage settles.
const settleTime = 500 * time.Millisecond

// lineMonitor turns samples of DAA control 1 (ring detector) and LVS (line
// voltage) into validated events. It is pure state: no I/O.
type lineMonitor struct {
	o *Opts

	// Ring validation.
	ringing bool
	lastPol int // last non-zero ring detector polarity
	lastAlt time.Time
	alts    int

	// Battery and polarity.
	battery  batState
	batSince time.Time // start of a candidate battery change (zero: none)
	pol      int
	polSince time.Time

	// Line in use by a parallel device: the learned on-hook voltage and,
	// while off hook, the learned loop current.
	idleV      float64
	ownI       float64
	inUse      bool
	inUseSince time.Time

	holdUntil time.Time
}

func (m *lineMonitor) holdoff(until time.Time) {
	if until.After(m.holdUntil) {
		m.holdUntil = until
	}
	m.batSince, m.polSince, m.inUseSince = time.Time{}, time.Time{}, time.Time{}
}

// hookChanged is called when the port itself goes on or off hook: its own
// loop changes the line voltage, which says nothing about the line.
func (m *lineMonitor) hookChanged(now time.Time) {
	m.inUse, m.ownI = false, 0
	m.holdoff(now.Add(settleTime))
}

// learn follows a reference level: rises at once, drifts down slowly.
func learn(ref *float64, v float64) {
	switch {
	case *ref == 0 || v > *ref:
		*ref = v
	default:
		*ref += (v - *ref) / 256
	}
}

// ringPolarity reads the ring detector: +1 for the positive half (RDTP), −1
// for the negative half (RDTN), 0 for neither or both.
func ringPolarity(daa1 byte) int {
	switch daa1 & (rdtpBit | rdtnBit) {
	case rdtpBit:
		return 1
	case rdtnBit:
		return -1
	}
	return 0
}

// debounced reports whether a condition that started at *since (zero: not
// started) has held for d at now, starting the clock when needed.
func debounced(since *time.Time, now time.Time, d time.Duration) bool {
	if since.IsZero() {
		*since = now
	}
	return now.Sub(*since) >= d
}

// sample processes one poll and appends the resulting events. lineStat is
// register 12 (loop current), read only while off hook.
func (m *lineMonitor) sample(now time.Time, daa1 byte, lvs int8, lineStat byte, offHook bool, evs []board.EventType) []board.EventType {
	o := m.o
	// A ring is an alternating voltage: the detector's polarity must flip
	// at least RingMinAlternations times, each flip within half a period of
	// the slowest ring. A steady voltage (a DC step, a line test) keeps one
	// polarity and never validates.
	if offHook {
		if m.ringing {
			m.ringing = false
			evs = append(evs, board.EventRingStop)
		}
		m.alts, m.lastPol = 0, 0
	} else {
		p := ringPolarity(daa1)
		switch {
		case p != 0 && m.lastPol == 0:
			m.lastPol, m.lastAlt, m.alts = p, now, 0
		case p != 0 && p != m.lastPol:
			if now.Sub(m.lastAlt) <= o.RingMaxHalfPeriod {
				m.alts++
			} else {
				m.alts = 1
			}
			m.lastPol, m.lastAlt = p, now
		case now.Sub(m.lastAlt) > o.RingMaxHalfPeriod && !m.ringing:
			m.alts = 0
			if p == 0 {
				m.lastPol = 0
			}
		}
		if !m.ringing && m.alts >= o.RingMinAlternations {
			m.ringing = true
			evs = append(evs, board.EventRingStart)
		}
		if m.ringing && now.Sub(m.lastAlt) > o.RingStopAfter {
			m.ringing, m.alts, m.lastPol = false, 0, 0
			m.holdoff(now.Add(settleTime))
			evs = append(evs, board.EventRingStop)
		}
	}
	if m.ringing || now.Before(m.holdUntil) {
		return evs
	}

	v := math.Abs(float64(lvs))
	present := v >= o.NoBatteryVolts
	switch {
	case m.battery == batUnknown && present:
		// A line found alive is the normal case: no event. A line found
		// dead is reported once debounced, below.
		m.battery = batPresent
	case m.battery != batUnknown && present == (m.battery == batPresent):
		m.batSince = time.Time{}
	case debounced(&m.batSince, now, o.BatteryDebounce):
		m.batSince = time.Time{}
		if present {
			m.battery = batPresent
			evs = append(evs, board.EventLineVoltageRestored)
		} else {
			m.battery, m.pol = batLost, 0
			if m.inUse {
				m.inUse = false
				evs = append(evs, board.EventLineIdle)
			}
			evs = append(evs, board.EventLineVoltageLost)
		}
	}
	if m.battery != batPresent || !present {
		return evs
	}

	sign := 1
	if lvs < 0 {
		sign = -1
	}
	switch {
	case m.pol == 0:
		m.pol = sign
	case sign == m.pol:
		m.polSince = time.Time{}
	case debounced(&m.polSince, now, o.PolarityDebounce):
		m.pol, m.polSince = sign, time.Time{}
		evs = append(evs, board.EventPolarityReversal)
	}

	// A parallel handset shows as a drop of the on-hook voltage or, while
	// we hold the line, as a drop of our share of the loop current (the
	// vendor's line-in-use check looks at the same two readings).
	var low bool
	if offHook {
		lcs := lineStat & lcsMask
		if lcs == lcsOverload {
			return evs
		}
		i := float64(lcs) * lcsMAPerLSB
		if m.ownI == 0 {
			m.ownI = i
			return evs
		}
		low = i < m.ownI*o.InUseCurrentFraction
		if !low && !m.inUse {
			learn(&m.ownI, i)
		}
	} else {
		if m.idleV == 0 {
			m.idleV = v
			return evs
		}
		low = v < m.idleV*o.InUseFraction
		if !low && !m.inUse {
			learn(&m.idleV, v)
		}
	}
	switch {
	case low == m.inUse:
		m.inUseSince = time.Time{}
	case debounced(&m.inUseSince, now, o.InUseDebounce):
		m.inUse, m.inUseSince = low, time.Time{}
		if low {
			evs = append(evs, board.EventLineInUse)
		} else {
			evs = append(evs, board.EventLineIdle)
		}
	}
	return evs
}

// Supervision: every supervisionEvery polls the monitor checks that the
// chip still holds its configuration and the isolation link is locked;
// maxCommErrs failed polls in a row take the port out of service, and a
// faulty port is re-initialised every faultRetry.
const (
	supervisionEvery = 20
	maxCommErrs      = 10
	faultRetry       = time.Minute
)

// Start runs the monitor in its own goroutine until ctx ends or Halt.
func (d *Dev) Start(ctx context.Context) {
	d.mu.Lock()
	if d.stopMon != nil {
		d.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	d.stopMon = cancel
	d.monCtx.Store(&ctx)
	done := make(chan struct{})
	d.monDone = done
	d.mon = lineMonitor{o: &d.opts}
	d.mu.Unlock()
	var irq board.EdgeWaiter
	if d.opts.IRQ != nil {
		irq = d.opts.IRQ
	}
	go func() {
		defer close(done)
		board.PollLoop(ctx, irq, d.opts.PollInterval, d.poll)
	}()
}

// Halt stops the monitor and puts the line on hook. A halted Dev is not
// restarted: make a new one with New.
func (d *Dev) Halt() error {
	d.mu.Lock()
	stop, done := d.stopMon, d.monDone
	d.stopMon, d.monDone = nil, nil
	d.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if err := d.Release(); err != nil {
		return fmt.Errorf("voicedaa: %s: halt: %w", d.opts.Name, err)
	}
	return nil
}

// monitorState is kept by poll between calls (mu).
type monitorState struct {
	polls    int
	commErrs int
	faultAt  time.Time
}

func (d *Dev) poll() {
	var evs []board.EventType
	var details []string
	add := func(t board.EventType, detail string) {
		evs = append(evs, t)
		details = append(details, detail)
	}
	d.mu.Lock()
	if d.mon.o == nil {
		d.mon = lineMonitor{o: &d.opts}
	}
	d.pollLocked(add)
	d.mu.Unlock()
	for i, e := range evs {
		d.emit(e, details[i])
	}
}

func (d *Dev) pollLocked(add func(board.EventType, string)) {
	now := d.clk.Now()
	st := &d.state
	if d.fault != "" {
		if now.Sub(st.faultAt) >= faultRetry {
			d.retry(add)
		}
		return
	}
	st.polls++
	if st.polls%supervisionEvery == 0 && !d.supervise(add) {
		return
	}
	if irq := d.opts.IRQ; irq != nil && irq.Read() == gpio.Low {
		// INT asserted: clear the interrupt source so the next event makes
		// a new edge (the events themselves come from the samples below).
		if err := d.bus.write(regIntSrc, 0); err != nil {
			d.commError(add, err)
			return
		}
	}
	r5, err := d.bus.read(regDAACtl1)
	if err == nil && r5&daaCtl1Reserved != 0 {
		err = fmt.Errorf("register 5 reads %#02x", r5)
	}
	if err != nil {
		d.commError(add, err)
		return
	}
	want := byte(onhmBit)
	if d.offHook {
		want = ohBit
	}
	if r5&(ohBit|onhmBit) != want && !d.flashing {
		// The driver keeps exactly one of ONHM (on hook) and OH (off
		// hook) set: anything else means the chip reset or the bus reads
		// garbage (all zeros). Supervision tells which and repairs or
		// gives up.
		d.supervise(add)
		return
	}
	lvs, err := d.bus.read(regLVS)
	if err != nil {
		d.commError(add, err)
		return
	}
	var ls byte
	if d.offHook {
		if ls, err = d.bus.read(regLineStat); err != nil {
			d.commError(add, err)
			return
		}
	}
	st.commErrs = 0
	for _, e := range d.mon.sample(now, r5, int8(lvs), ls, d.offHook, nil) {
		add(e, "")
	}
}

func (d *Dev) commError(add func(board.EventType, string), err error) {
	d.state.commErrs++
	d.log.Warn("SPI error", "err", err, "consecutive", d.state.commErrs)
	if d.state.commErrs >= maxCommErrs {
		d.takeOutOfService(add, fmt.Sprintf("chip not responding: %v", err))
	}
}

// supervise checks that the chip kept its configuration (a reset chip
// returns to PCM disabled) and that the isolation link is locked, and
// repairs what it can. It returns false when the poll should stop.
func (d *Dev) supervise(add func(board.EventType, string)) bool {
	pcm, err := d.bus.read(regPCM)
	if err != nil {
		d.commError(add, err)
		return false
	}
	if pcm&pcmEnable == 0 {
		d.log.Warn("chip reset detected; reconfiguring")
		if err := d.reinit(); err != nil {
			d.takeOutOfService(add, fmt.Sprintf("reconfiguration after chip reset failed: %v", err))
			return false
		}
		if d.offHook {
			// The call's loop was dropped by the reset.
			d.offHook = false
			add(board.EventLineVoltageLost, "chip reset dropped the loop")
		}
		return false
	}
	r11, err := d.bus.read(regRev)
	if err != nil {
		d.commError(add, err)
		return false
	}
	if r11>>4 == 0 {
		d.log.Warn("isolation link lost; bringing it up again")
		if err := d.linkUp(); err != nil {
			d.takeOutOfService(add, err.Error())
			return false
		}
	}
	return true
}

// reinit reconfigures a chip that reset (caller holds mu).
func (d *Dev) reinit() error {
	t2, t3, _ := gainRegs(d.opts.TxGainDB)
	r2, r3, _ := gainRegs(d.opts.RxGainDB)
	if _, err := probe(&d.bus); err != nil {
		return err
	}
	if err := d.configure(t2, t3, r2, r3); err != nil {
		return err
	}
	d.mon = lineMonitor{o: &d.opts}
	d.loopback = false // the reset cleared Control 1
	return nil
}

func (d *Dev) takeOutOfService(add func(board.EventType, string), why string) {
	d.log.Error("port out of service", "reason", why)
	d.fault, d.state.faultAt = why, d.clk.Now()
	_ = d.bus.write(regDAACtl1, 0)
	d.offHook, d.loopback = false, false
	add(board.EventFault, why)
}

func (d *Dev) retry(add func(board.EventType, string)) {
	why := d.fault
	if err := d.reset(); err == nil {
		err = d.reinit()
		if err == nil {
			d.fault, d.state.commErrs = "", 0
			add(board.EventRecovered, "re-initialised after: "+why)
			return
		}
		d.log.Warn("port still faulty", "err", err)
	}
	d.state.faultAt = d.clk.Now()
}
