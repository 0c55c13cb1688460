package analog

import (
	"fmt"
	"time"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// fxsState is where an FXS port is in a call.
type fxsState int

const (
	fxsIdle    fxsState = iota // on hook, no call
	fxsActive                  // off hook with a live channel (dialling, alerting or connected)
	fxsRinging                 // an outbound call is ringing the phone
	fxsLockout                 // the call ended; the phone is still off hook and hears a tone
)

// lockoutTone is how long a phone left off hook after its call hears busy
// or congestion tone before the port goes quiet (the "permanent signal"
// treatment of central offices, without the howler).
const lockoutTone = 40 * time.Second

func (p *port) fxsStart() {
	p.fs = fxsIdle
	if p.bp.Status().Hook == board.OffHook {
		p.offHook = true
		p.fxsOffHook()
	}
	// A (re)started board: the phone's lamp may show anything.
	p.mwiSent = mwiUnknown
	p.mwiCheck()
}

func (p *port) fxsEvent(ev board.Event) {
	switch ev.Type {
	case board.EventOffHook:
		p.offHook = true
		if p.live != nil {
			return // a music source closing the loop: no call
		}
		p.mwiAbort()
		p.fxsOffHook()
	case board.EventOnHook:
		p.offHook = false
		p.fxsOnHook()
	case board.EventFlash:
		if p.fs == fxsActive {
			// A flash answers a call-waiting alert, or puts the party on
			// hold: either way the alert is over.
			p.cwEnd()
			p.ch.emit(channel.EventFlash, 0, 0)
		}
	case board.EventPulseDigit:
		p.fxsDigit(ev.Digit)
	case board.EventFault, board.EventPowerAlarm:
		p.log.Warn("port fault", "event", ev.Type.String(), "detail", ev.Detail)
		if ev.Type == board.EventFault {
			p.fault = ev.Detail
			p.mwiAbort()
		}
		if p.ch != nil && ev.Type == board.EventFault {
			if p.fs == fxsRinging {
				p.stopRinging()
			}
			c := p.ch
			p.fxsReset()
			c.end(channel.CauseUnavailable)
		}
	case board.EventRecovered:
		p.fault = ""
		p.log.Info("port back in service")
		p.mwiRecovered()
	}
}

func (p *port) fxsNote(n note) {
	switch n.kind {
	case noteDigit:
		if !p.cwAckDigit(n.digit) {
			p.fxsDigit(n.digit)
		}
	case noteTone:
		if p.fs == fxsActive && p.ch != nil && (n.tone == dsp.ToneFaxCNG || n.tone == dsp.ToneFaxCED) {
			p.heardFaxTone(p.ch, n.tone.String()+" from the phone")
		}
	case noteToneDone:
		p.cwToneDone()
		p.mwiNote(n)
	case noteFSKDone:
		p.cwDataDone()
		p.mwiNote(n)
	}
}

// fxsOffHook: the phone was lifted. Idle: a new inbound call with dial
// tone. Ringing: the outbound call is answered.
func (p *port) fxsOffHook() {
	switch p.fs {
	case fxsIdle:
		c := newChannel(p, "in", channel.CallerID{})
		p.ch, p.fs = c, fxsActive
		p.inCall.Store(true)
		p.setState("dialling")
		dial := p.dialTone()
		pd := p.faxToneDetector()
		p.audio.set(func(a *portAudio) {
			a.setTone(dial)
			a.ep = c.ep
			a.dtmfOn = true
			a.dtmfDet.Reset()
			a.progOn, a.progDet = true, pd
		})
		p.deliver(c)
	case fxsRinging:
		p.stopRinging()
		c := p.ch
		c.answered = true
		p.fs = fxsActive
		p.setState("connected")
		pd := p.faxToneDetector()
		p.audio.set(func(a *portAudio) {
			a.setTone(toneNone)
			a.ep = c.ep
			a.dtmfOn = true
			a.dtmfDet.Reset()
			a.progOn, a.progDet = true, pd
		})
		c.emit(channel.EventAnswer, 0, 0)
	}
}

// fxsOnHook: the phone hung up (a confirmed hang-up, longer than a flash).
func (p *port) fxsOnHook() {
	switch p.fs {
	case fxsActive:
		c := p.ch
		p.fxsReset()
		c.end(channel.CauseNormal)
	case fxsLockout:
		p.fxsReset()
	}
}

// fxsDigit delivers a dialled digit (DTMF or pulse); the first one ends
// dial tone. The exchange decides when the number is complete.
func (p *port) fxsDigit(d byte) {
	if p.fs != fxsActive {
		return
	}
	p.audio.set(func(a *portAudio) {
		if a.tone == toneDial || a.tone == toneStutter {
			a.setTone(toneNone)
		}
	})
	p.ch.emit(channel.EventDigit, d, 0)
}

// fxsHangup: the exchange ends the port's call.
func (p *port) fxsHangup(cause channel.Cause) {
	c := p.ch
	p.cwEnd()
	switch p.fs {
	case fxsRinging:
		p.stopRinging()
		p.fxsReset()
		c.end(cause)
	case fxsActive:
		p.ch, p.fs = nil, fxsLockout
		p.inCall.Store(false)
		p.setState("lockout")
		tone := causeTone(cause)
		p.audio.set(func(a *portAudio) {
			a.ep = nil
			a.dtmfOn, a.progOn = false, false
			a.setTone(tone)
		})
		p.step.after(lockoutTone, func() {
			p.audio.set(func(a *portAudio) { a.setTone(toneSilence) })
		})
		c.end(cause)
	}
}

// fxsReset returns the port to rest.
func (p *port) fxsReset() {
	p.cwEnd()
	p.ch, p.fs = nil, fxsIdle
	p.step.stop()
	p.aux.stop()
	p.limit.stop()
	p.inCall.Store(false)
	p.setState("idle")
	p.audio.set(func(a *portAudio) {
		a.ep = nil
		a.dtmfOn, a.progOn = false, false
		a.setTone(toneNone)
	})
	p.mwiCheck() // a message-waiting change that waited for the call's end
}

// dialFXS rings the phone for an outbound call.
func (p *port) dialFXS(req channel.Request) (*analogChannel, error) {
	st := p.bp.Status()
	switch {
	case p.fault != "" || st.Line == board.LineFault:
		return nil, &channel.DialError{Cause: channel.CauseUnavailable,
			Err: fmt.Errorf("analog: fxs:%d out of service: %s", p.num, st.Fault)}
	case p.fs != fxsIdle || p.offHook || st.Hook == board.OffHook || p.resv != nil || p.live != nil:
		return nil, &channel.DialError{Cause: channel.CauseBusy, Err: fmt.Errorf("analog: fxs:%d is busy", p.num)}
	}
	p.mwiAbort() // ringing first; the indication follows the call
	c := newChannel(p, "out", req.Caller)
	p.ch, p.fs = c, fxsRinging
	p.inCall.Store(true)
	p.setState("ringing")
	p.cadence = p.zone.Ring
	p.ringSeg, p.ringCycle, p.cid, p.cidSeg = -1, 0, nil, -1
	if !p.m.noCallerID() {
		msg, err := dsp.EncodeCallerID(CallerIDMessage(req.Caller, p.m.now()))
		if err != nil {
			p.log.Warn("caller ID not sent", "caller", req.Caller.String(), "err", err)
		} else {
			p.cid, p.cidSeg = msg, callerIDSilence(p.cadence, len(msg))
			if p.cidSeg < 0 {
				p.log.Warn("ring cadence has no silence long enough for caller ID", "zone", p.zone.Code)
			}
		}
	}
	c.emit(channel.EventProgress, 0, 0)
	if err := p.ringStep(); err != nil {
		p.stopRinging()
		p.fxsReset()
		c.end(channel.CauseUnavailable)
		return nil, &channel.DialError{Cause: channel.CauseUnavailable, Err: err}
	}
	if req.Timeout > 0 {
		p.limit.after(req.Timeout, func() {
			if p.fs == fxsRinging && p.ch == c {
				p.stopRinging()
				p.fxsReset()
				c.end(channel.CauseNoAnswer)
			}
		})
	}
	return c, nil
}

// callerIDSilence is the index in cadence of the first silence long enough
// for an FSK burst of n message bytes, or -1.
func callerIDSilence(cadence []time.Duration, n int) int {
	bits := 300 + 180 + 10*n // channel seizure, marks, message at 1200 baud
	burst := time.Duration(bits)*time.Second/1200 + callerIDBurstMargin
	for i := 1; i < len(cadence); i += 2 {
		if cadence[i] >= callerIDDelay+burst+callerIDGuard {
			return i
		}
	}
	return -1
}

// ringStep moves to the next segment of the ring cadence. Caller ID goes
// out callerIDDelay into the chosen silence of the first cycle, with
// on-hook transmission on.
func (p *port) ringStep() error {
	p.ringSeg++
	if p.ringSeg >= len(p.cadence) {
		p.ringSeg = 0
		p.ringCycle++
	}
	on := p.ringSeg%2 == 0
	if on {
		if p.ringCycle > 0 || p.ringSeg > 0 {
			if err := p.fxs.SetOnHookTransmission(false); err != nil {
				return fmt.Errorf("analog: fxs:%d: %w", p.num, err)
			}
		}
		if err := p.fxs.Ring(true); err != nil {
			return fmt.Errorf("analog: fxs:%d: ring: %w", p.num, err)
		}
	} else {
		if err := p.fxs.Ring(false); err != nil {
			return fmt.Errorf("analog: fxs:%d: ring: %w", p.num, err)
		}
		if p.ringCycle == 0 && p.ringSeg == p.cidSeg && p.cid != nil {
			if err := p.fxs.SetOnHookTransmission(true); err != nil {
				return fmt.Errorf("analog: fxs:%d: %w", p.num, err)
			}
			msg := p.cid
			p.aux.after(callerIDDelay, func() {
				p.audio.set(func(a *portAudio) { a.fsk.Queue(msg) })
			})
		}
	}
	p.step.after(p.cadence[p.ringSeg], func() {
		if p.fs != fxsRinging {
			return
		}
		if err := p.ringStep(); err != nil {
			p.log.Warn("ringing failed", "err", err)
			p.stopRinging()
			c := p.ch
			p.fxsReset()
			c.end(channel.CauseUnavailable)
		}
	})
	return nil
}

// stopRinging stops the ring signal and any caller ID in flight.
func (p *port) stopRinging() {
	p.step.stop()
	p.aux.stop()
	if err := p.fxs.Ring(false); err != nil {
		p.log.Warn("stop ringing", "err", err)
	}
	if err := p.fxs.SetOnHookTransmission(false); err != nil {
		p.log.Warn("on-hook transmission off", "err", err)
	}
	std := CallerIDStandard(p.zone.Code)
	p.audio.set(func(a *portAudio) {
		if a.fsk.Busy() {
			a.fsk = dsp.NewFSKModulator(std, callerIDLevel)
			a.fskOn = false
		}
	})
}
