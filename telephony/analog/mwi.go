package analog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

// Message-waiting indication on FXS ports, the two ways an analog phone
// learns that voicemail waits:
//
//   - stutter dial tone (the zone's StutterDial: interrupted, then steady)
//     when the handset is lifted, which every phone "shows";
//   - visual message-waiting indication (VMWI): an FSK message with the
//     message-waiting parameter, sent on hook without ringing, which lights
//     or puts out the lamp of phones that have one.
//
// The on-hook transmission follows the zone's caller ID standard
// (CallerIDStandard). Bell 202 zones (Telcordia GR-30-CORE, on-hook data
// not associated with ringing): on-hook transmission is switched on and the
// FSK (channel seizure, mark, message) follows after a short settling time;
// GR-30 CPE listen for it without any alerting signal, and this is what
// Asterisk's chan_dahdi sends by default. V.23 zones (ETSI EN 300 659-1,
// data transmission not associated with ringing with the DT-AS alert, and
// BT SIN 227 idle-state signalling): a line reversal, at least 100 ms later
// the dual-tone alerting signal (DT-AS: 2130 and 2750 Hz for 100 ms, which
// wakes the phone's receiver), then 45 to 500 ms later the FSK, and the
// polarity restored once the data is over. The message is MDMF: type 0x82
// with the visual indicator parameter (0x0B, 0xFF on, 0x00 off), the form
// both GR-30 and EN 300 659-3 define.
//
// It is sent when the state changes and the port is idle on hook; a port
// that is busy (in a call, ringing, off hook, under a diagnostic test, out
// of service) gets it as soon as it is idle again, and a transmission that
// a lifted handset or an incoming call interrupts starts again then. It is
// sent once per change, as the exchanges of both standards do: neither
// asks for repetition, and every repetition wakes battery-powered phones
// and blinks some lamps. It is sent again after the board (re)starts and
// after the port comes back into service, since a phone may have lost its
// lamp state with the line.

// mwiState is a tri-state: unknown (never set, or the phone's lamp may be
// anything), off, on.
type mwiState int32

const (
	mwiUnknown mwiState = iota
	mwiOff
	mwiOn
)

// mwiStep is where a transmission is, for the audio path's notes.
type mwiStep int

const (
	mwiNone     mwiStep = iota
	mwiAlerting         // the DT-AS sounds
	mwiWaitData         // between the DT-AS and the data
	mwiData             // the FSK goes out
	mwiTailing          // the last bit left; the line settles
)

// Timing of the V.23 (ETSI) sequence; the Bell 202 one uses only
// mwiSettle and mwiTail.
const (
	mwiReversalToAlert = 150 * time.Millisecond // EN 300 659-1: at least 100 ms
	mwiAlertLength     = 100 * time.Millisecond // DT-AS: 100 ± 10 ms (SIN 227: 88-110 ms)
	mwiAlertToData     = 150 * time.Millisecond // 45-500 ms
	mwiSettle          = 100 * time.Millisecond // on-hook transmission on → FSK (Bell 202)
	mwiTail            = 200 * time.Millisecond // after the last bit: filters flush, then polarity back
	mwiGuard           = time.Second            // a step whose audio note never came ends this much later
	mwiAlertLevel      = -13                    // dBm0 per frequency, inside EN 300 659-1's range
)

// mwiAlertTone is the DT-AS (EN 300 659-1: 2130 Hz and 2750 Hz together)
// for mwiAlertLength, once: its length is the player's, to the sample.
func mwiAlertTone() dsp.ToneSpec {
	return dsp.ToneSpec{Parts: []dsp.TonePart{{Freq1: 2130, Freq2: 2750, Duration: mwiAlertLength, Once: true}}}
}

// SetMessageWaiting turns message-waiting indication of FXS port fxsPort
// (1-based) on or off: the stutter dial tone from the next off-hook on, and
// an on-hook VMWI message for the phone's lamp (see the comment at the top
// of mwi.go for the standards and when it is sent). Call it once at start
// for every port with a mailbox, so a lamp left lit by an earlier state is
// put out. A port number the board does not have is logged and ignored.
func (m *Manager) SetMessageWaiting(fxsPort int, on bool) {
	if fxsPort < 1 || fxsPort > len(m.fxs) {
		m.log.Warn("message waiting: no such FXS port", "port", fxsPort, "ports", len(m.fxs))
		return
	}
	p := m.fxs[fxsPort-1]
	want := mwiOff
	if on {
		want = mwiOn
	}
	if mwiState(p.mwiWant.Swap(int32(want))) == want {
		return
	}
	m.runMu.Lock()
	defer m.runMu.Unlock()
	if !m.running.Load() {
		return // the port goroutine looks at mwiWant when it starts
	}
	err := p.do(context.Background(), func() error { p.mwiCheck(); return nil })
	if err != nil && !errors.Is(err, ErrStopped) {
		m.log.Warn("message waiting", "port", fxsPort, "err", err)
	}
}

// MessageWaiting reports the message-waiting state last set for FXS port
// fxsPort (1-based).
func (m *Manager) MessageWaiting(fxsPort int) bool {
	if fxsPort < 1 || fxsPort > len(m.fxs) {
		return false
	}
	return mwiState(m.fxs[fxsPort-1].mwiWant.Load()) == mwiOn
}

// mwiCheck starts a VMWI transmission when the phone's lamp may differ
// from the wanted state and the port is idle on hook (port goroutine).
func (p *port) mwiCheck() {
	want := mwiState(p.mwiWant.Load())
	if want == mwiUnknown || want == p.mwiSent || p.mwiBusy {
		return
	}
	if p.fs != fxsIdle || p.offHook || p.resv != nil || p.live != nil || p.fault != "" {
		return // mwiCheck runs again when the port is idle
	}
	on := want == mwiOn
	msg, err := dsp.EncodeCallerID(dsp.CallerIDMessage{MDMF: true, HasMessageWaiting: true, MessageWaiting: on})
	if err != nil {
		p.log.Warn("message waiting: encode", "err", err)
		return
	}
	p.mwiBusy = true
	p.mwiSending = want
	etsi := CallerIDStandard(p.zone.Code) == dsp.V23
	p.mwiETSI = etsi
	if err := p.fxs.SetOnHookTransmission(true); err != nil {
		p.mwiFail(err)
		return
	}
	// The FSK burst: seizure, marks, message and a few trailing marks at
	// 1200 baud. Its end and the alerting signal's follow the audio clock
	// (noteFSKDone, noteToneDone: mwiNote), so a busy host cannot cut the
	// line's transmission short; the timers are guards.
	burst := time.Duration(300+180+10*len(msg)+4) * time.Second / 1200
	sendData := func() {
		p.mwiStep = mwiData
		p.audio.set(func(a *portAudio) { a.fsk.Queue(msg) })
		p.mwiT.after(burst+mwiGuard, p.mwiDone)
	}
	if !etsi {
		p.mwiT.after(mwiSettle, sendData)
		return
	}
	if err := p.fxs.SetPolarity(true); err != nil {
		p.mwiFail(err)
		return
	}
	p.mwiSendData = sendData
	p.mwiT.after(mwiReversalToAlert, func() {
		p.mwiStep = mwiAlerting
		p.audio.set(func(a *portAudio) {
			a.setTone(toneAlert)
			a.toneLeft = int(mwiAlertLength * 8000 / time.Second)
		})
		p.mwiT.after(mwiAlertLength+mwiGuard, p.mwiAlertDone)
	})
}

// mwiAlertDone: the alerting signal has played; the data follows.
func (p *port) mwiAlertDone() {
	p.audio.set(func(a *portAudio) {
		a.setTone(toneNone)
		a.toneLeft = 0
	})
	p.mwiStep = mwiWaitData
	p.mwiT.after(mwiAlertToData, p.mwiSendData)
}

// mwiNote takes the audio path's notes of a transmission's progress.
func (p *port) mwiNote(n note) {
	switch {
	case n.kind == noteToneDone && p.mwiStep == mwiAlerting:
		p.mwiAlertDone()
	case n.kind == noteFSKDone && p.mwiStep == mwiData:
		p.mwiStep = mwiTailing
		p.mwiT.after(mwiTail, p.mwiDone)
	}
}

// mwiDone ends a complete transmission: the phone has its lamp state,
// unless its handset went up meanwhile (the board knows before its event
// reaches us): then it is sent again when the phone is back on hook.
func (p *port) mwiDone() {
	p.mwiRestore()
	if p.bp.Status().Hook == board.OffHook {
		return
	}
	p.mwiSent = p.mwiSending
	p.log.Info("message waiting indication sent", "on", p.mwiSent == mwiOn)
	p.mwiCheck() // it may have changed meanwhile
}

// mwiFail gives up a transmission the board refused; the next idle moment
// (or recovery) tries again.
func (p *port) mwiFail(err error) {
	p.log.Warn("message waiting indication not sent", "err", fmt.Errorf("analog: fxs:%d: %w", p.num, err))
	p.mwiRestore()
}

// mwiAbort stops a transmission in progress (the handset was lifted, a
// call rings the phone, the port failed); it is sent again when the port
// is next idle.
func (p *port) mwiAbort() {
	if !p.mwiBusy {
		return
	}
	p.log.Debug("message waiting indication interrupted")
	p.mwiRestore()
	// The phone may have taken the message before the interruption (a
	// lift in the trailing marks): its lamp is unknown, so whatever is
	// wanted next is sent, even the state sent before this one.
	p.mwiSent = mwiUnknown
}

// mwiRestore returns the line to its rest state after a transmission.
func (p *port) mwiRestore() {
	p.mwiT.stop()
	p.mwiBusy = false
	p.mwiStep, p.mwiSendData = mwiNone, nil
	std := CallerIDStandard(p.zone.Code)
	p.audio.set(func(a *portAudio) {
		if a.fsk.Busy() {
			a.fsk = dsp.NewFSKModulator(std, callerIDLevel)
			a.fskOn = false
		}
		if a.tone == toneAlert {
			a.setTone(toneNone)
			a.toneLeft = 0
		}
	})
	// A port out of service refuses these; recovery puts things right.
	if err := p.fxs.SetOnHookTransmission(false); err != nil && p.fault == "" {
		p.log.Warn("on-hook transmission off", "err", err)
	}
	if p.mwiETSI {
		p.mwiETSI = false
		if err := p.fxs.SetPolarity(false); err != nil {
			p.mwiPolDirty = true
			if p.fault == "" {
				p.log.Warn("polarity back to normal", "err", err)
			}
		}
	}
}

// mwiRecovered: the port is back in service. The phone may have lost its
// lamp state with the line, so it gets the indication again.
func (p *port) mwiRecovered() {
	if p.mwiPolDirty {
		if err := p.fxs.SetPolarity(false); err != nil {
			p.log.Warn("polarity back to normal", "err", err)
		} else {
			p.mwiPolDirty = false
		}
	}
	p.mwiSent = mwiUnknown
	p.mwiCheck()
}
