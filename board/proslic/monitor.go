package proslic

import (
	"context"
	"fmt"

	"minipbx/board"

	"periph.io/x/conn/v3/gpio"
)

// The monitor checks the power state every supervisionEvery polls (about
// 100 ms at the default period) and gives up on a chip after maxCommErrs
// consecutive failed polls.
const (
	supervisionEvery = 20
	maxCommErrs      = 10
	maxBadIDs        = 3
)

// Start runs the monitor in its own goroutine until ctx ends or Halt is
// called. The monitor samples the hook state every PollInterval (and at
// every IRQ edge when Opts.IRQ is set), debounces it, classifies it through
// the HookDecoder and sends the events to Opts.Events; it also supervises
// power alarms and chip resets.
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
	d.resetMonitor()
	d.mu.Unlock()
	go func() {
		defer close(done)
		d.run(ctx)
	}()
}

// resetMonitor starts hook tracking afresh (caller holds mu).
func (d *Dev) resetMonitor() {
	d.epoch = d.clk.Now()
	d.hookDec = d.opts.NewHookDecoder()
	d.rawOff, d.candOff, d.offHook = false, false, false
	d.candSince = d.epoch
}

func (d *Dev) run(ctx context.Context) {
	var irq board.EdgeWaiter
	if d.opts.IRQ != nil {
		irq = d.opts.IRQ
	}
	board.PollLoop(ctx, irq, d.opts.PollInterval, d.poll)
}

// Halt stops the monitor, opens the line and switches the DC-DC converter
// off. A halted Dev is not restarted: make a new one with New (passing the
// kept Calibration makes that quick).
func (d *Dev) Halt() error {
	d.mu.Lock()
	stop, done := d.stopMon, d.monDone
	d.stopMon, d.monDone = nil, nil
	d.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if err := d.bus.writeAll([2]byte{drLinefeed, lfOpen}, [2]byte{drPowerDown, pdDCDC}); err != nil {
		return fmt.Errorf("proslic: %s: halt: %w", d.opts.Name, err)
	}
	return nil
}

type pending struct {
	t      board.EventType
	digit  byte
	detail string
}

// poll is one monitor step. It is exported to tests through the package.
func (d *Dev) poll() {
	var evs []pending
	d.mu.Lock()
	evs = d.pollLocked(evs)
	d.mu.Unlock()
	for _, e := range evs {
		d.emit(e.t, e.digit, e.detail)
	}
}

func (d *Dev) pollLocked(evs []pending) []pending {
	now := d.clk.Now()
	if d.hookDec == nil {
		d.resetMonitor()
	}
	if d.fault != "" {
		if d.opts.FaultRetry > 0 && now.Sub(d.faultAt) >= d.opts.FaultRetry {
			evs = d.retryFault(evs)
		}
		return evs
	}
	d.polls++
	if d.polls%supervisionEvery == 0 {
		var stop bool
		if evs, stop = d.supervise(evs); stop {
			return evs
		}
	}
	if irq := d.opts.IRQ; irq != nil && irq.Read() == gpio.Low {
		// INT is asserted: acknowledge so that the next event makes a new
		// edge, keeping the power-alarm bits for supervision.
		if err := d.ackInterrupts(); err != nil {
			return d.commError(evs, err)
		}
	}
	st, err := d.bus.read(drHookStat)
	if err != nil {
		return d.commError(evs, err)
	}
	if st&hookStatReserved != 0 {
		// Reserved bits set: the read-back is garbage (a floating MISO
		// reads 0xFF), not a hook state.
		return d.commError(evs, fmt.Errorf("DR68 reads %#02x", st))
	}
	d.commErrs = 0
	off := st&lcrBit != 0 || (d.ringing && st&rtpBit != 0)
	at := now.Sub(d.epoch)
	if off != d.rawOff {
		if off != d.candOff {
			d.candOff, d.candSince = off, now
		}
		if now.Sub(d.candSince) >= d.opts.HookDebounce {
			d.rawOff = off
			evs = d.classify(evs, d.hookDec.Hook(off, d.candSince.Sub(d.epoch)))
			if off && d.ringing {
				// Ring trip: the chip went active by itself; keep our view
				// in step and make sure the ringing state is gone.
				d.ringing = false
				if err := d.applyLinefeed(); err != nil {
					return d.commError(evs, err)
				}
			}
		}
	} else {
		d.candOff = off
	}
	return d.classify(evs, d.hookDec.Poll(at))
}

// ackInterrupts clears the interrupt status registers (write one to
// clear), remembering the power-alarm bits.
func (d *Dev) ackInterrupts() error {
	for _, r := range []uint8{drIntStat1, drIntStat2, drIntStat3} {
		v, err := d.bus.read(r)
		if err != nil {
			return err
		}
		if v == 0 {
			continue
		}
		if r == drIntStat2 {
			d.alarmBits |= v & powerAlarmMask
		}
		if err := d.bus.write(r, v); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dev) classify(evs []pending, hes []HookEvent) []pending {
	for _, he := range hes {
		switch he.Type {
		case board.EventOffHook:
			d.offHook = true
			if d.loopback {
				// Someone is on the line: give the phone its audio back.
				d.loopback = false
				if err := d.bus.write(drLoopback, 0); err != nil {
					d.log.Warn("loopback off at off hook failed", "err", err)
				}
			}
			if d.oht {
				// On-hook transmission only applies on hook.
				_ = d.applyLinefeed()
			}
		case board.EventOnHook:
			d.offHook = false
			if d.oht {
				_ = d.applyLinefeed()
			}
		}
		evs = append(evs, pending{t: he.Type, digit: he.Digit})
	}
	return evs
}

func (d *Dev) commError(evs []pending, err error) []pending {
	d.commErrs++
	d.log.Warn("SPI error", "err", err, "consecutive", d.commErrs)
	if d.commErrs >= maxCommErrs {
		return d.takeOutOfService(evs, fmt.Sprintf("chip not responding: %v", err))
	}
	return evs
}

// supervise checks the linefeed: the chip opens the line by itself on a
// power alarm, and a chip that reset comes back with its registers at their
// defaults (DR8 = 0x02, which this driver sets to 0). It returns stop when
// the port was just taken out of service or re-initialised.
func (d *Dev) supervise(evs []pending) ([]pending, bool) {
	id, err := d.bus.read(drID)
	if err != nil {
		return d.commError(evs, err), true
	}
	if _, err := identify(id, pcm3215ID, 0, hybridReset); err != nil {
		// Hook reads of a dead bus can look valid (all zeros is "on
		// hook"), so a bad identity counts on its own.
		d.badIDs++
		if d.badIDs >= maxBadIDs {
			return d.takeOutOfService(evs, fmt.Sprintf("chip not responding: DR0 reads %#02x", id)), true
		}
		return evs, true
	}
	d.badIDs = 0
	lf, err := d.bus.read(drLinefeed)
	if err != nil {
		return d.commError(evs, err), true
	}
	want := d.lastLF
	if lf&0x07 != lfOpen || want == lfOpen {
		return evs, false
	}
	lb, err := d.bus.read(drLoopback)
	if err != nil {
		return d.commError(evs, err), true
	}
	if lb != d.loopbackReg() {
		return d.recoverReset(evs), true
	}
	alarm, err := d.bus.read(drIntStat2)
	if err != nil {
		return d.commError(evs, err), true
	}
	_ = d.bus.write(drIntStat2, alarm) // write-one-to-clear
	alarm |= d.alarmBits
	d.alarmBits = 0
	detail := powerAlarmDetail(alarm)
	now := d.clk.Now()
	d.alarms = append(d.alarms, now)
	keep := d.alarms[:0]
	for _, t := range d.alarms {
		if now.Sub(t) <= d.opts.AlarmWindow {
			keep = append(keep, t)
		}
	}
	d.alarms = keep
	d.log.Warn("power alarm", "detail", detail, "count", len(d.alarms))
	if len(d.alarms) >= d.opts.MaxPowerAlarms {
		return d.takeOutOfService(evs, fmt.Sprintf("%d power alarms within %v (last: %s)", len(d.alarms), d.opts.AlarmWindow, detail)), true
	}
	evs = append(evs, pending{t: board.EventPowerAlarm, detail: detail})
	// A ring into a fault is what tripped it most often: come back idle.
	d.ringing = false
	if err := d.applyLinefeed(); err != nil {
		return d.commError(evs, err), true
	}
	return evs, false
}

// powerAlarmDetail names the transistors whose power alarm is set in DR19.
func powerAlarmDetail(st byte) string {
	if st&powerAlarmMask == 0 {
		return "linefeed forced open"
	}
	s := ""
	for q := 1; q <= 6; q++ {
		if st&(1<<(q+1)) != 0 {
			if s != "" {
				s += ","
			}
			s += fmt.Sprintf("Q%d", q)
		}
	}
	return "power alarm " + s
}

// recoverReset re-initialises a chip that reset, restoring the kept
// calibration (caller holds mu).
func (d *Dev) recoverReset(evs []pending) []pending {
	d.log.Warn("chip reset detected; restoring with the kept calibration")
	if err := d.reinit(); err != nil {
		return d.takeOutOfService(evs, fmt.Sprintf("re-initialisation after chip reset failed: %v", err))
	}
	d.loopback = false // bringUp cleared DR8
	// The phone's state is unknown after a reset; track it afresh and
	// report a hang-up if it was off hook, so calls do not hang.
	if d.offHook {
		evs = append(evs, pending{t: board.EventOnHook, detail: "chip reset"})
	}
	d.resetMonitor()
	return evs
}

// reinit brings the chip up again (caller holds mu, which bringUp's helpers
// take themselves, so it is released meanwhile).
func (d *Dev) reinit() error {
	d.mu.Unlock()
	defer d.mu.Lock()
	ci, err := probe(&d.bus)
	if err != nil {
		return err
	}
	if ci != d.chip {
		return fmt.Errorf("%w: was %s, now %s", ErrWrongChip, d.chip, ci)
	}
	return d.bringUp()
}

// takeOutOfService opens the line, stops the converter and reports the
// fault (caller holds mu).
func (d *Dev) takeOutOfService(evs []pending, why string) []pending {
	d.log.Error("port out of service", "reason", why)
	d.fault, d.faultAt = why, d.clk.Now()
	d.ringing, d.loopback = false, false
	d.shutdown()
	if d.offHook {
		evs = append(evs, pending{t: board.EventOnHook, detail: why})
		d.offHook = false
	}
	return append(evs, pending{t: board.EventFault, detail: why})
}

// retryFault tries a full re-initialisation of a faulty port.
func (d *Dev) retryFault(evs []pending) []pending {
	why := d.fault
	d.fault = ""
	if err := d.reinit(); err != nil {
		d.fault, d.faultAt = why, d.clk.Now()
		d.shutdown()
		d.log.Warn("port still faulty", "err", err)
		return evs
	}
	d.alarms, d.commErrs = nil, 0
	d.loopback = false // bringUp cleared DR8
	d.resetMonitor()
	d.log.Info("port back in service")
	return append(evs, pending{t: board.EventRecovered, detail: "re-initialised after: " + why})
}
