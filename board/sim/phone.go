package sim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"minipbx/dsp"
)

// Hook timing of the virtual phone's dials, in the values of a standard
// rotary dial and of a typical timed-break recall button.
const (
	// PulseBreak and PulseMake are one dial pulse at 10 pulses per second
	// with a 60/40 break/make ratio.
	PulseBreak = 60 * time.Millisecond
	PulseMake  = 40 * time.Millisecond
	// PulseInterDigit is the pause the dial makes between two digits (at
	// least 600 ms on a healthy rotary dial).
	PulseInterDigit = 700 * time.Millisecond
	// FlashTime is the on-hook time of Flash: inside every common flash
	// window (ETSI timed break recall 100 ms ... Bell 300-1000 ms overlap).
	FlashTime = 300 * time.Millisecond
)

// ringSequenceGap is how long a phone must have stopped ringing for the next
// ring to count as a new call (reset cadence, ring count and caller ID).
const ringSequenceGap = 8 * time.Second

// hookSeg holds the switch hook in one state for a number of frames.
type hookSeg struct {
	off    bool
	frames int
}

// Phone is the virtual analog phone on an FXS port. Its methods are safe for
// concurrent use; the clock runs its hook programme, voice, earpiece and
// caller ID receiver frame by frame.
type Phone struct {
	b    *Board
	port *fxsPort
	n    int

	raw  bool      // the switch hook: true = off hook
	prog []hookSeg // pending hook programme (flash, pulse dialling)

	mouth *mouth
	ear   ears

	cid    *dsp.CallerIDDecoder
	cidStd dsp.FSKStandard
	cidMsg dsp.CallerIDMessage
	cidOK  bool

	// message-waiting indication (mwi.go)
	lamp, lampSet bool
	vmwiCount     int
	vmwiIgnored   int
	alert         alertDetector
	alerts        int
	alerted       bool
	alertAt       time.Duration

	// call waiting, off hook (callwait.go)
	cw cwReceiver

	rings      int
	ringEdgeAt time.Duration
	ringSeen   bool
	cadence    []time.Duration
}

func newPhone(b *Board, p *fxsPort, n int) *Phone {
	std := CallerIDStandard(b.cfg.Zone)
	return &Phone{b: b, port: p, n: n, mouth: newMouth(), cid: dsp.NewCallerIDDecoder(std), cidStd: std,
		cw: cwReceiver{sas: newSASDetector(b.zone.CallWaiting), dec: dsp.NewCallerIDDecoder(std)}}
}

// Number is the phone's FXS port number (1-based).
func (ph *Phone) Number() int { return ph.n }

// OffHook lifts the handset (cancelling any flash or pulse dialling).
func (ph *Phone) OffHook() {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	ph.prog = nil
	ph.raw = true
}

// OnHook hangs the handset up (cancelling any flash or pulse dialling).
func (ph *Phone) OnHook() {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	ph.prog = nil
	if ph.raw {
		// The call is over: the next caller ID belongs to the next call.
		ph.cidOK = false
		ph.cid.Reset()
		ph.cw.until, ph.cw.casOn = 0, false
		ph.mouth.muted = false
	}
	ph.raw = false
}

// OffHookNow reports the switch hook's position.
func (ph *Phone) OffHookNow() bool {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.raw
}

// Flash presses the recall button: on hook for FlashTime, then off hook.
func (ph *Phone) Flash() error { return ph.FlashFor(FlashTime) }

// FlashFor holds the switch hook down for d, then lifts it again.
func (ph *Phone) FlashFor(d time.Duration) error {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	if !ph.raw && len(ph.prog) == 0 {
		return fmt.Errorf("sim: phone %d flash: on hook", ph.n)
	}
	ph.prog = append(ph.prog, hookSeg{false, frames(d)}, hookSeg{true, 1})
	return nil
}

// DialPulse dials digits as a rotary dial does: for each digit, n breaks of
// PulseBreak and makes of PulseMake (ten for '0'), then PulseInterDigit of
// loop closure. It returns at once; WaitDialled waits for the end. The port
// sees only the switch hook and decodes the digits with dsp.HookDecoder.
func (ph *Phone) DialPulse(digits string) error {
	for _, d := range []byte(digits) {
		if d < '0' || d > '9' {
			return fmt.Errorf("sim: phone %d pulse dial %q: %q is not a digit", ph.n, digits, d)
		}
	}
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	if !ph.raw && len(ph.prog) == 0 {
		return fmt.Errorf("sim: phone %d pulse dial: on hook", ph.n)
	}
	for _, d := range []byte(digits) {
		n := int(d - '0')
		if n == 0 {
			n = 10
		}
		for range n {
			ph.prog = append(ph.prog, hookSeg{false, frames(PulseBreak)}, hookSeg{true, frames(PulseMake)})
		}
		ph.prog = append(ph.prog, hookSeg{true, frames(PulseInterDigit)})
	}
	return nil
}

// DialDTMF dials digits (0-9 * # A-D) as DTMF tones from the handset's
// keypad, through dsp.DTMFGenerator with its default timing and levels. It
// returns at once; WaitDialled waits for the end.
func (ph *Phone) DialDTMF(digits string) error {
	if i := strings.IndexFunc(digits, func(r rune) bool { return !strings.ContainsRune("0123456789*#ABCD", r) }); i >= 0 {
		return fmt.Errorf("sim: phone %d DTMF dial %q: %q is not a DTMF digit", ph.n, digits, digits[i])
	}
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	if err := ph.mouth.dtmf.Queue(digits); err != nil {
		return fmt.Errorf("sim: phone %d DTMF dial: %w", ph.n, err)
	}
	return nil
}

// WaitDialled waits until the phone has finished dialling (pulses and DTMF)
// and any flash.
func (ph *Phone) WaitDialled(ctx context.Context) error {
	return ph.b.waitFor(ctx, func() bool { return len(ph.prog) == 0 && !ph.mouth.dtmf.Busy() })
}

// Talk makes gen the voice of the handset: it is called once per frame, on
// the board's clock with the board locked, to fill out (which arrives
// zeroed); it must not call the board. nil stops talking.
func (ph *Phone) Talk(gen func(out []int16)) {
	ph.b.mu.Lock()
	ph.mouth.talk = gen
	ph.b.mu.Unlock()
}

// Plug makes t the phone's terminal (the phone is a fax machine) in
// place of its handset's voice; nil unplugs it.
func (ph *Phone) Plug(t Terminal) {
	ph.b.mu.Lock()
	setTerminal(ph.mouth, &ph.ear, t)
	ph.b.mu.Unlock()
}

// Play queues samples to be said into the handset after what is queued.
func (ph *Phone) Play(samples []int16) {
	ph.b.mu.Lock()
	ph.mouth.play(samples)
	ph.b.mu.Unlock()
}

// Record starts recording what the earpiece hears (clearing the last
// recording). The phone hears only while off hook.
func (ph *Phone) Record() {
	ph.b.mu.Lock()
	ph.ear.rec = recorder{on: true}
	ph.b.mu.Unlock()
}

// StopRecording stops recording and returns what was recorded.
func (ph *Phone) StopRecording() []int16 {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	ph.ear.rec.on = false
	return append([]int16(nil), ph.ear.rec.buf...)
}

// Recording returns a copy of what was recorded so far.
func (ph *Phone) Recording() []int16 {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return append([]int16(nil), ph.ear.rec.buf...)
}

// RecordingTimes returns when each 20 ms frame of the recording so far
// was heard (the wall time of the board's clock tick that played it), one
// per 160 samples: what a test needs to measure the delay of audio through
// the box.
func (ph *Phone) RecordingTimes() []time.Time {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return append([]time.Time(nil), ph.ear.rec.at...)
}

// Ringing reports whether the port is applying ring voltage now.
func (ph *Phone) Ringing() bool {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.port.ringing
}

// WaitRing waits until the phone rings.
func (ph *Phone) WaitRing(ctx context.Context) error {
	return ph.b.waitFor(ctx, func() bool { return ph.port.ringing })
}

// Rings is how many ring bursts the current (or last) call has started.
func (ph *Phone) Rings() int {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.rings
}

// RingCadence returns the measured cadence of the current or last ringing,
// as alternating on and off durations of the completed segments (board time,
// 20 ms resolution), comparable with dsp.Zone.Ring.
func (ph *Phone) RingCadence() []time.Duration {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return append([]time.Duration(nil), ph.cadence...)
}

// Polarity reports whether the port has reversed the line feed.
func (ph *Phone) Polarity() (reversed bool) {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.port.reversed
}

// RingerSetting is the ring frequency and voltage the port was set to.
func (ph *Phone) RingerSetting() (freqHz, vrms float64) {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.port.ringFreq, ph.port.ringVrms
}

// CallerIDStandard is the FSK standard the phone's caller ID receiver
// decodes (see CallerIDStandard).
func (ph *Phone) CallerIDStandard() dsp.FSKStandard { return ph.cidStd }

// CallerID is the last caller ID message the phone decoded (cleared when a
// new call starts ringing and when the phone hangs up after a call).
func (ph *Phone) CallerID() (dsp.CallerIDMessage, bool) {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.cidMsg, ph.cidOK
}

// WaitCallerID waits until the phone has decoded a caller ID message.
func (ph *Phone) WaitCallerID(ctx context.Context) (dsp.CallerIDMessage, error) {
	err := ph.b.waitFor(ctx, func() bool { return ph.cidOK })
	if err != nil {
		return dsp.CallerIDMessage{}, fmt.Errorf("sim: phone %d caller ID: %w", ph.n, err)
	}
	m, _ := ph.CallerID()
	return m, nil
}

// SetFault takes the phone's port out of service with a reason (a power
// alarm, a shorted line), or back into service with "".
func (ph *Phone) SetFault(detail string) {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	ph.port.setFault(detail)
}

// stepHook advances the hook programme by one frame.
func (ph *Phone) stepHook() {
	if len(ph.prog) == 0 {
		return
	}
	seg := &ph.prog[0]
	ph.raw = seg.off
	seg.frames--
	if seg.frames <= 0 {
		ph.prog = ph.prog[1:]
		if len(ph.prog) == 0 {
			ph.prog = nil
		}
	}
}

// ringEdge records a ring start or stop at board time now.
func (ph *Phone) ringEdge(on bool, now time.Duration) {
	if on {
		if !ph.ringSeen || now-ph.ringEdgeAt > ringSequenceGap {
			ph.rings, ph.cadence = 0, nil
			ph.cidOK = false
			ph.cid.Reset()
		} else {
			ph.cadence = append(ph.cadence, now-ph.ringEdgeAt)
		}
		ph.rings++
	} else if ph.ringSeen {
		ph.cadence = append(ph.cadence, now-ph.ringEdgeAt)
	}
	ph.ringSeen = true
	ph.ringEdgeAt = now
}

// onHookAudio feeds what the port sends to the on-hook phone's caller ID
// receiver and its alerting-signal detector. A message-waiting message
// sets the lamp (mwi.go) and is never taken for the caller ID of a call.
func (ph *Phone) onHookAudio(s []int16) {
	if ph.alert.feed(s) {
		ph.alerts++
		ph.alerted, ph.alertAt = true, ph.b.now()
	}
	if msg, ok := ph.cid.Process(s); ok && !ph.vmwi(msg) {
		ph.cidMsg, ph.cidOK = msg, true
	}
}
