package analog

import (
	"errors"
	"fmt"
	"time"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// fxoState is where an FXO port is in a call.
type fxoState int

const (
	fxoIdle     fxoState = iota // on hook, listening for caller ID
	fxoRinging                  // the line rings: counting rings
	fxoIn                       // an inbound call, answered
	fxoSeizing                  // outbound: seized, waiting for dial tone
	fxoDialling                 // outbound: sending the digits
	fxoAlerting                 // outbound, answer on reversal: dialled, waiting for the answer
	fxoOut                      // outbound: dialled, connected
)

// Timing of FXO lines.
const (
	// releaseGuard keeps a released line out of the hunt long enough for
	// the central office to see the loop open as a disconnect rather than
	// a flash.
	releaseGuard = 600 * time.Millisecond
	// ringGiveUp is added to the longest ring silence expected (the zone's,
	// at least minRingSilence, since the central office's cadence may not
	// be the zone's): a ringing line quiet for longer was abandoned.
	ringGiveUp     = 2 * time.Second
	minRingSilence = 5 * time.Second
	// maxCIDDigits bounds DTMF caller ID collected before a ring.
	maxCIDDigits = 40
	// dtmfCIDMaxAge: DTMF caller ID precedes the first ring by well under
	// this (ETSI EN 300 659-1: the ring follows within a few hundred ms);
	// older digits on an idle line are noise.
	dtmfCIDMaxAge = 5 * time.Second
	// maxAlerting bounds the wait for an answer on a line with answer
	// supervision when the exchange set no ring timeout: central offices
	// give up ringing after about three minutes themselves.
	maxAlerting = 3 * time.Minute
)

var (
	errLineBusy  = errors.New("line busy")
	errNoBattery = errors.New("line has no battery")
)

func (p *port) fxoStart() {
	p.fxoReset(false)
}

func (p *port) fxoEvent(ev board.Event) {
	switch ev.Type {
	case board.EventRingStart:
		if p.live != nil || p.fo != fxoIdle && p.fo != fxoRinging {
			return // ringing a seized line: the central office's glitch
		}
		p.step.stop()
		if p.fo == fxoIdle {
			p.fo, p.rings = fxoRinging, 0
			p.setState("ringing")
			if len(p.cidDigits) > 0 && time.Since(p.cidDigitAt) < dtmfCIDMaxAge {
				if m, err := dsp.ParseDTMFCallerID(string(p.cidDigits)); err == nil {
					p.lineCID, p.lineCIDOK = m, true
				} else {
					p.log.Info("DTMF caller ID not understood", "digits", string(p.cidDigits), "err", err)
				}
			}
			p.cidDigits = p.cidDigits[:0]
		}
		p.rings++
	case board.EventRingStop:
		if p.fo != fxoRinging {
			return
		}
		lc := p.m.lineConfig(p.num)
		if lc.Enabled && p.rings >= lc.AnswerAfterRings && !p.declined {
			if ask := p.m.shouldAnswer(); ask == nil || ask(p.num, p.ringCaller()) {
				p.fxoAnswer()
				return
			}
			p.declined = true
			p.log.Info("ringing call not answered, as the exchange asked", "rings", p.rings)
		}
		p.step.after(max(maxSilence(p.zone.Ring), minRingSilence)+ringGiveUp, func() {
			if p.fo == fxoRinging {
				p.log.Info("caller gave up", "rings", p.rings)
				p.fxoReset(false)
			}
		})
	case board.EventLineVoltageLost:
		p.log.Info("line voltage lost", "detail", ev.Detail)
		switch p.fo {
		case fxoSeizing, fxoAlerting:
			p.fxoFarEnd(channel.CauseCongestion, "no line voltage")
		case fxoIn, fxoDialling, fxoOut:
			p.fxoFarEnd(channel.CauseNormal, "loop current drop")
		}
	case board.EventPolarityReversal:
		switch p.fo {
		case fxoAlerting:
			p.fxoAnswered("polarity reversal")
		case fxoIn, fxoOut:
			p.fxoFarEnd(channel.CauseNormal, "polarity reversal")
		}
	case board.EventFault, board.EventPowerAlarm:
		p.log.Warn("port fault", "event", ev.Type.String(), "detail", ev.Detail)
		if ev.Type == board.EventFault {
			p.fault = ev.Detail
			if p.ch != nil {
				p.fxoFarEnd(channel.CauseFailure, "port fault")
			}
		}
	case board.EventRecovered:
		p.fault = ""
	case board.EventLineInUse, board.EventLineIdle, board.EventLineVoltageRestored:
		p.log.Info("line", "event", ev.Type.String())
	}
}

func (p *port) fxoNote(n note) {
	switch n.kind {
	case noteCallerID:
		if p.fo == fxoIdle || p.fo == fxoRinging {
			p.lineCID, p.lineCIDOK = n.cid, true
			p.log.Info("caller ID received", "number", n.cid.Number, "name", n.cid.Name)
		}
	case noteDigit:
		switch p.fo {
		case fxoIdle:
			if time.Since(p.cidDigitAt) > dtmfCIDMaxAge {
				p.cidDigits = p.cidDigits[:0] // stale: not this call's
			}
			if len(p.cidDigits) < maxCIDDigits {
				p.cidDigits = append(p.cidDigits, n.digit)
			}
			p.cidDigitAt = time.Now()
		case fxoIn, fxoOut:
			p.ch.emit(channel.EventDigit, n.digit, 0)
		}
	case noteTone:
		switch p.fo {
		case fxoSeizing:
			if n.tone == dsp.ToneDial {
				p.fxoDial()
			}
		case fxoAlerting:
			// Before the answer a tone is the central office's verdict on
			// the number, not the end of a conversation.
			switch n.tone {
			case dsp.ToneBusy:
				p.fxoFarEnd(channel.CauseBusy, "called number busy")
			case dsp.ToneCongestion, dsp.ToneDial:
				p.fxoFarEnd(channel.CauseCongestion, "central office: "+toneName(n.tone))
			}
		case fxoIn, fxoOut:
			switch n.tone {
			case dsp.ToneBusy, dsp.ToneCongestion, dsp.ToneDial:
				p.fxoFarEnd(channel.CauseNormal, "far end cleared: "+toneName(n.tone))
			case dsp.ToneFaxCNG, dsp.ToneFaxCED:
				p.heardFaxTone(p.ch, n.tone.String()+" heard on the line")
			}
		}
	case noteDialled:
		if p.fo != fxoDialling {
			return
		}
		p.audio.set(func(a *portAudio) { a.genReplace = false })
		if p.m.lineConfig(p.num).AnswerOnReversal {
			// Answer supervision: wait for the reversal; ringback on the
			// line means the number rings.
			p.fo = fxoAlerting
			p.setState("ringback")
			c := p.ch
			if p.limit.stopped() {
				p.limit.after(maxAlerting, func() {
					if p.ch == c && !c.answered {
						p.fxoFarEnd(channel.CauseNoAnswer, fmt.Sprintf("no answer within %v", maxAlerting))
					}
				})
			}
			return
		}
		// Without answer supervision an analog line cannot say when the
		// called party answers: the call counts as answered once the
		// number is out.
		p.fxoAnswered("dialled")
	}
}

// fxoAnswered: the outbound call is connected (the number is out, or the
// central office signalled the answer).
func (p *port) fxoAnswered(why string) {
	p.limit.stop()
	p.fo = fxoOut
	p.ch.answered = true
	p.log.Info("line call answered", "channel", p.ch.info.ID, "by", why)
	p.setState("connected")
	p.audio.set(func(a *portAudio) {
		a.dtmfOn = true
		a.dtmfDet.Reset()
	})
	p.ch.emit(channel.EventAnswer, 0, 0)
}

func toneName(t dsp.ProgressTone) string {
	switch t {
	case dsp.ToneBusy:
		return "busy tone"
	case dsp.ToneCongestion:
		return "congestion tone"
	case dsp.ToneDial:
		return "dial tone"
	}
	return "tone"
}

// lineCallerID is an FXO port that decodes the line's caller ID in its
// own hardware (board/modem's +VCID), rather than passing it as audio.
type lineCallerID interface {
	LineCallerID() (dsp.CallerIDMessage, bool)
}

// fxoAnswer seizes a ringing line and hands the call to the exchange.
func (p *port) fxoAnswer() {
	if err := p.fxo.Seize(); err != nil {
		p.log.Warn("answer failed", "err", err)
		p.fxoReset(false)
		return
	}
	c := newChannel(p, "in", p.ringCaller())
	c.answered = true
	p.ch, p.fo = c, fxoIn
	p.inCall.Store(true)
	p.setState("connected")
	p.connectAudio(c, true)
	p.deliver(c)
}

// ringCaller is the caller ID of the ringing call: from the line's
// audio, or from a voice modem that decodes it itself (and never passes
// the FSK burst through its audio).
func (p *port) ringCaller() channel.CallerID {
	if p.lineCIDOK {
		return ChannelCallerID(p.lineCID)
	}
	if lc, ok := p.fxo.(lineCallerID); ok {
		if m, ok := lc.LineCallerID(); ok {
			return ChannelCallerID(m)
		}
	}
	return channel.CallerID{}
}

// connectAudio sets the audio path up for a call: fresh echo canceller and
// call-progress detector on what the line sends, the call's media.
func (p *port) connectAudio(c *analogChannel, dtmf bool) {
	ec := p.m.echoCanceller()
	pd := dsp.NewProgressDetector(p.zone)
	p.audio.set(func(a *portAudio) {
		a.cidOn = false
		a.dtmfOn = dtmf
		a.dtmfDet.Reset()
		a.progOn, a.progDet = true, pd
		a.ec = ec
		a.ep = c.ep
		a.setTone(toneNone)
	})
}

// dialFXO seizes the line for an outbound call to digits.
func (p *port) dialFXO(req channel.Request, digits string) (*analogChannel, error) {
	if p.fo != fxoIdle || time.Now().Before(p.guardUntil) || p.fault != "" || p.resv != nil || p.live != nil {
		return nil, errLineBusy
	}
	if err := p.fxo.Seize(); err != nil {
		if errors.Is(err, board.ErrNoBattery) {
			return nil, errNoBattery
		}
		return nil, fmt.Errorf("analog: fxo:%d: %w", p.num, err)
	}
	c := newChannel(p, "out", req.Caller)
	c.info.Dialled = digits
	p.ch, p.fo, p.digits = c, fxoSeizing, digits
	p.inCall.Store(true)
	p.setState("seizing")
	p.connectAudio(c, false)
	timeout := p.m.dialToneTimeout()
	p.step.after(timeout, func() {
		if p.fo == fxoSeizing && p.ch == c {
			p.fxoFarEnd(channel.CauseCongestion, fmt.Sprintf("no dial tone within %v", timeout))
		}
	})
	if req.Timeout > 0 {
		p.limit.after(req.Timeout, func() {
			if p.ch == c && !c.answered {
				p.fxoFarEnd(channel.CauseNoAnswer, "dial timeout")
			}
		})
	}
	c.emit(channel.EventProgress, 0, 0)
	return c, nil
}

// fxoDial sends the digits once dial tone is heard.
func (p *port) fxoDial() {
	p.step.stop()
	p.fo = fxoDialling
	p.setState("dialling")
	digits := p.digits
	var err error
	p.audio.set(func(a *portAudio) {
		a.genReplace = true
		err = a.gen.Queue(digits)
	})
	if err != nil {
		p.fxoFarEnd(channel.CauseFailure, fmt.Sprintf("cannot dial %q: %v", digits, err))
	}
}

// fxoFarEnd ends the call because of the line (far end gone, no dial
// tone, fault).
func (p *port) fxoFarEnd(cause channel.Cause, why string) {
	if p.ch == nil {
		return
	}
	p.log.Info("line call ended", "channel", p.ch.info.ID, "why", why)
	c := p.ch
	p.fxoReset(true)
	c.end(cause)
}

// fxoHangup: the exchange ends the line's call.
func (p *port) fxoHangup(cause channel.Cause) {
	c := p.ch
	p.fxoReset(true)
	c.end(cause)
}

// fxoReset releases the line (when seized) and returns to listening for
// rings and caller ID.
func (p *port) fxoReset(release bool) {
	if release {
		if err := p.fxo.Release(); err != nil {
			p.log.Warn("release", "err", err)
		}
		p.guardUntil = time.Now().Add(releaseGuard)
	}
	p.ch, p.fo, p.rings, p.digits, p.declined = nil, fxoIdle, 0, "", false
	p.lineCID, p.lineCIDOK = dsp.CallerIDMessage{}, false
	p.cidDigits = p.cidDigits[:0]
	p.step.stop()
	p.limit.stop()
	p.inCall.Store(false)
	p.setState("idle")
	gen := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{LevelDBm0: dtmfLevel})
	p.audio.set(func(a *portAudio) {
		a.ep, a.ec = nil, nil
		a.progOn = false
		a.cidOn, a.dtmfOn = true, true
		a.cidDec.Reset()
		a.dtmfDet.Reset()
		a.gen, a.genReplace, a.genBusy = gen, false, false
		a.setTone(toneNone)
	})
}

// maxSilence is the longest silence of a ring cadence.
func maxSilence(cadence []time.Duration) time.Duration {
	var m time.Duration
	for i := 1; i < len(cadence); i += 2 {
		m = max(m, cadence[i])
	}
	return m
}
