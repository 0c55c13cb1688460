package analog

import (
	"context"
	"fmt"
	"time"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// Call waiting on FXS ports (channel.CallWaiting). While the phone talks,
// the exchange alerts it to a second call, again every 10 s while that
// call waits (telephony/callwait.go). Each alert is:
//
//  1. the zone's call-waiting tone (dsp.Zone.CallWaiting, the "subscriber
//     alerting signal" of Telcordia GR-506): its bursts, played once in
//     place of the far party's voice;
//  2. where the zone sends caller ID on call waiting (CallWaitingCallerID),
//     the off-hook data sequence of Telcordia GR-30-CORE ("type II" caller
//     ID, CIDCW) and ETSI EN 300 659-2, as far as both agree:
//     - the CPE alerting signal (GR-30's CAS, ETSI's DT-AS): 2130 and
//     2750 Hz together for 80 ms;
//     - the phone's acknowledgement, DTMF 'D' (GR-30 also allows 'A', which
//     ADSI sets send), begun within 100 ms of the signal's end; the port
//     waits cwAckWindow for it and never passes it on as a digit;
//     - without the acknowledgement nothing more: the phone has no CIDCW
//     (or another set on the line is off hook) and would only hear the data
//     as noise;
//     - with it, 50 to 500 ms later, the caller's number, name, date and
//     time (MDMF) in the zone's FSK — Bell 202 or V.23, as on-hook caller ID
//     (CallerIDStandard) — without the channel seizure and with 80 ms of
//     mark signal, the off-hook framing of both standards.
//
// The phone hears nothing of the far party from the start of the alert to
// its end (the tone replaces the far party's voice, whose audio is dropped
// rather than delayed); where caller ID follows, the far party hears
// silence meanwhile too — not the acknowledgement, not the data — as
// GR-30 has the exchange do, and the phone mutes its own handset. The
// steps follow the audio clock (the end of the tone, the acknowledgement,
// the end of the data), so a busy host cannot cut a tone short. A flash,
// a hang-up or the end of the call stops an alert at once.

// CallWaitingCallerID reports whether the phones of a tone zone get the
// caller's ID with a call-waiting alert: North America (GR-30-CORE
// CIDCW, Bell 202) and the European zones whose networks offer it to
// analog lines (ETSI EN 300 659-2, V.23; BT SIN 227 in the United
// Kingdom). The CIS networks signal caller ID to a line by their own
// request-response scheme, not off hook: there the tone alone alerts.
func CallWaitingCallerID(zone string) bool {
	switch zone {
	case "us", "ca", "de", "fr", "it", "uk":
		return true
	}
	return false
}

// Levels and timing of the call-waiting alert.
const (
	// waitingToneLevel is per frequency, for the tone and the alerting
	// signal alike: GR-506 plays the subscriber alerting signal at
	// -13 dBm0, the dial tone's level, and the alerting signal at that
	// level is inside GR-30's and EN 300 659-2's ranges (as the on-hook
	// DT-AS of mwi.go).
	waitingToneLevel = -13
	casLength        = 80 * time.Millisecond // GR-30 80 ± 5 ms; EN 300 659-2 DT-AS likewise
	// cwAckWindow runs from the end of the alerting signal: the phone
	// begins its acknowledgement within 100 ms (GR-30), and the port's
	// DTMF receiver needs 40 ms of it; the rest covers the voice path.
	cwAckWindow = 200 * time.Millisecond
	// cwAckToData: the data follows the acknowledgement 50 to 500 ms
	// after it (GR-30); the acknowledgement lasts 55 to 65 ms, and it was
	// recognised some 40 ms into it.
	cwAckToData = 100 * time.Millisecond
	// offHookMarkBits is the mark signal before off-hook data: 80 ms at
	// 1200 baud (GR-30: 80 ± 5 ms).
	offHookMarkBits = 96
	// onHookPreambleBits is what dsp.FSKModulator sends before every
	// message: 300 bits of channel seizure, then 180 of mark (on-hook
	// framing, dsp/fsk.go). Off-hook data has no seizure and less mark,
	// so the first offHookSkipSamples of a transmission are read and
	// dropped before it reaches the line: exactly 16 frames.
	onHookPreambleBits = 300 + 180
	offHookSkipSamples = (onHookPreambleBits - offHookMarkBits) * 8000 / 1200
	// cwGuard: the steps of an alert follow the audio clock (the end of
	// the tones, of the data); should their note never come, the alert
	// ends this long after it was due.
	cwGuard = time.Second
)

// cwStep is where a call-waiting alert is.
type cwStep int

const (
	cwIdle cwStep = iota
	cwTone        // the call-waiting tone's bursts (and the alerting signal)
	cwAck         // waiting for the phone's acknowledgement
	cwData        // the acknowledgement came: the caller ID follows
)

// waitingBursts is the part of a zone's call-waiting tone that one alert
// plays: every element before the closing silence, each once. A zone
// without a tone gets the North American one.
func waitingBursts(t dsp.ToneSpec) dsp.ToneSpec {
	parts := t.Parts
	for len(parts) > 0 && parts[len(parts)-1].Freq1 == 0 {
		parts = parts[:len(parts)-1]
	}
	var out dsp.ToneSpec
	for _, p := range parts {
		if p.Duration == 0 {
			break // an endless element: the alert ends with the one before
		}
		p.Once = true
		out.Parts = append(out.Parts, p)
	}
	if len(out.Parts) == 0 {
		out.Parts = []dsp.TonePart{{Freq1: 440, Duration: 300 * time.Millisecond, Once: true}}
	}
	return out
}

// waitingThenCAS is the tone's bursts followed at once by the CPE
// alerting signal, as GR-30 sends them.
func waitingThenCAS(t dsp.ToneSpec) dsp.ToneSpec {
	out := waitingBursts(t)
	out.Parts = append(out.Parts, dsp.TonePart{Freq1: 2130, Freq2: 2750, Duration: casLength, Once: true})
	return out
}

// toneSamples is how many samples a once-only tone lasts.
func toneSamples(t dsp.ToneSpec) int {
	var d time.Duration
	for _, p := range t.Parts {
		d += p.Duration
	}
	return int(d * 8000 / time.Second)
}

// offHookDataLength is how long off-hook data of n message bytes lasts
// once the preamble was dropped: the mark, the bytes (10 bits each) and
// the modulator's short tail.
func offHookDataLength(n int) time.Duration {
	return time.Duration(offHookMarkBits+10*n+4) * time.Second / 1200
}

// AlertCallWaiting implements channel.CallWaiting: the phone of this FXS
// leg, in a call, hears the call-waiting alert for caller (see the top of
// callwait.go). It returns at once; an alert still going on when the next
// is asked for makes that one a no-op.
func (c *analogChannel) AlertCallWaiting(caller channel.CallerID) error {
	return c.p.do(context.Background(), func() error { return c.p.cwAlert(c, caller) })
}

// cwAlert starts an alert (port goroutine). Its steps follow the audio
// clock: the end of the tone (noteToneDone), the acknowledgement
// (noteDigit), the end of the data (noteFSKDone).
func (p *port) cwAlert(c *analogChannel, caller channel.CallerID) error {
	switch {
	case p.kind != board.FXS:
		return fmt.Errorf("analog: %s: call waiting: not an analog phone", c.info.ID)
	case c.ended || c != p.ch || p.fs != fxsActive:
		return fmt.Errorf("analog: %s: call waiting: the phone is not in this call", c.info.ID)
	case p.cw != cwIdle:
		return nil
	}
	p.cwMsg = nil
	if CallWaitingCallerID(p.zone.Code) && !p.m.noCallerID() {
		msg, err := dsp.EncodeCallerID(CallerIDMessage(caller, p.m.now()))
		if err != nil {
			p.log.Warn("caller ID on call waiting not sent", "caller", caller.String(), "err", err)
		} else {
			p.cwMsg = msg
		}
	}
	tone, spec := toneWaiting, waitingBursts(p.zone.CallWaiting)
	if p.cwMsg != nil {
		tone, spec = toneCAS, waitingThenCAS(p.zone.CallWaiting)
	}
	n := toneSamples(spec)
	p.cw, p.cwAcked = cwTone, false
	p.audio.set(func(a *portAudio) {
		p.cwPrevTone = a.tone
		a.waiting = true
		a.muteUp = p.cwMsg != nil
		a.setTone(tone)
		a.toneLeft = n
	})
	p.log.Debug("call waiting alert", "channel", c.info.ID, "caller", caller.String(), "caller_id", p.cwMsg != nil)
	p.cwT.after(time.Duration(n)*time.Second/8000+cwGuard, p.cwEnd)
	return nil
}

// cwToneDone: the tone (and the alerting signal) played; with caller ID
// to send, the port waits for the acknowledgement.
func (p *port) cwToneDone() {
	if p.cw != cwTone {
		return
	}
	if p.cwMsg == nil {
		p.cwEnd()
		return
	}
	p.audio.set(func(a *portAudio) { a.setTone(toneSilence) })
	if p.cwAcked {
		p.cw = cwData
		p.cwT.after(cwAckToData, p.cwSend)
		return
	}
	p.cw = cwAck
	p.cwT.after(cwAckWindow, func() {
		p.log.Debug("no acknowledgement of the call-waiting alert: the phone gets no caller ID")
		p.cwEnd()
	})
}

// cwAckDigit takes a digit that may be the phone's acknowledgement; it
// reports whether it was one (and is not a dialled digit).
func (p *port) cwAckDigit(d byte) bool {
	if (d != 'D' && d != 'A') || p.cwMsg == nil {
		return false
	}
	switch p.cw {
	case cwTone: // recognised before the signal's last frame left
		p.cwAcked = true
		return true
	case cwAck:
		p.cwAcked = true
		p.cw = cwData
		p.cwT.after(cwAckToData, p.cwSend)
		return true
	case cwData:
		return true // the rest of the same tone
	}
	return false
}

// cwSend sends the caller ID with the off-hook framing.
func (p *port) cwSend() {
	msg := p.cwMsg
	p.audio.set(func(a *portAudio) {
		a.fsk.Queue(msg)
		a.fsk.Read(a.offHookSkip[:])
	})
	p.cwT.after(offHookDataLength(len(msg))+cwGuard, p.cwEnd)
}

// cwDataDone: the last bit of the caller ID left.
func (p *port) cwDataDone() {
	if p.cw == cwData {
		p.log.Debug("caller ID on call waiting sent")
		p.cwEnd()
	}
}

// cwEnd ends an alert: the far party is heard again and hears the phone.
func (p *port) cwEnd() {
	if p.cw == cwIdle {
		return
	}
	p.cw, p.cwMsg = cwIdle, nil
	p.cwT.stop()
	std := CallerIDStandard(p.zone.Code)
	prev := p.cwPrevTone
	p.audio.set(func(a *portAudio) {
		a.waiting, a.muteUp, a.toneLeft = false, false, 0
		if a.fsk.Busy() {
			a.fsk = dsp.NewFSKModulator(std, callerIDLevel)
			a.fskOn = false
		}
		switch a.tone {
		case toneWaiting, toneCAS, toneSilence:
			a.setTone(prev)
		}
	})
}
