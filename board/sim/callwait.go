package sim

import (
	"context"
	"fmt"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

// Call waiting as the virtual phone sees it, off hook in a call: the
// zone's call-waiting tone, and the off-hook caller ID of a "type II"
// phone (Telcordia GR-30-CORE CIDCW, ETSI EN 300 659-2). When the phone
// hears the CPE alerting signal (2130 and 2750 Hz together, 80 ms) it
// mutes its handset, answers the end of the signal with the
// acknowledgement — DTMF 'D', 60 ms — and listens for FSK (its zone's
// standard, as on hook) for cwListen; the message it decodes is the
// waiting caller's ID. A phone set not to take caller ID on call waiting
// (SetCallWaitingCallerID(false)) hears the signal and stays silent.

// Timing of the virtual type II phone.
const (
	cwAckLength = 60 * time.Millisecond // GR-30: 55-65 ms
	// cwListen is how long after its acknowledgement the phone keeps its
	// FSK receiver on (and its handset muted): the data starts within
	// 500 ms and a full MDMF message lasts well under a second.
	cwListen = 2 * time.Second
)

// cwReceiver is the phone's call-waiting side. Guarded by the board's
// mutex.
type cwReceiver struct {
	off    bool // caller ID on call waiting turned off (no acknowledgement)
	sas    sasDetector
	cas    alertDetector
	casOn  bool          // the alerting signal is sounding
	until  time.Duration // the FSK receiver is on until then (board time)
	dec    *dsp.CallerIDDecoder
	tones  int // call-waiting tone bursts heard
	alerts int // alerting signals heard
	acks   int // acknowledgements sent
	msg    dsp.CallerIDMessage
	ok     bool
}

// sasDetector recognises bursts of a zone's call-waiting tone: runs of
// 20 ms frames holding (nearly) only the tone's frequencies, each as long
// as one of the tone's sounding elements, separated by no more than its
// longest inner silence. A burst counts once it is over. The port starts
// a tone at a frame's start, so a run is the element's length to within
// a frame; other tones of the same frequency (dial, busy and congestion
// tones at 425 Hz) have other lengths.
type sasDetector struct {
	freqs   []float64
	lengths []time.Duration // of the sounding elements
	maxGap  time.Duration   // the longest silence inside a burst
	run     int             // frames of tone in a row
	gap     int             // frames since the last frame of tone
	in      bool            // a burst is under way
	valid   bool            // every run of the burst had a right length
}

func newSASDetector(spec dsp.ToneSpec) sasDetector {
	d := sasDetector{maxGap: 200 * time.Millisecond}
	parts := spec.Parts
	for len(parts) > 0 && parts[len(parts)-1].Freq1 == 0 {
		parts = parts[:len(parts)-1]
	}
	for _, p := range parts {
		if p.Freq1 == 0 {
			d.maxGap = max(d.maxGap, p.Duration)
			continue
		}
		d.lengths = append(d.lengths, p.Duration)
		for _, f := range partFreqs(p) {
			if !containsFreq(d.freqs, f) {
				d.freqs = append(d.freqs, f)
			}
		}
	}
	d.maxGap += 3 * board.FrameDuration
	return d
}

func containsFreq(fs []float64, f float64) bool {
	for _, g := range fs {
		if g == f {
			return true
		}
	}
	return false
}

// feed reports true when a burst of the tone has just ended.
func (d *sasDetector) feed(s []int16) bool {
	if len(d.freqs) == 0 {
		return false
	}
	e, rms := energy(s)
	var sum float64
	for _, f := range d.freqs {
		sum += toneShare(s, f, e)
	}
	if rms >= toneMinRMS && sum >= 0.8 {
		d.run++
		d.gap = 0
		if !d.in {
			d.in, d.valid = true, true
		}
		return false
	}
	if d.run > 0 {
		if !d.rightLength(time.Duration(d.run) * board.FrameDuration) {
			d.valid = false
		}
		d.run = 0
	}
	if !d.in {
		return false
	}
	d.gap++
	if time.Duration(d.gap)*board.FrameDuration <= d.maxGap {
		return false
	}
	d.in = false
	return d.valid
}

// rightLength: a run of frames as long as a sounding element (the last
// frame may hold only its end).
func (d *sasDetector) rightLength(run time.Duration) bool {
	for _, l := range d.lengths {
		if run >= l-board.FrameDuration/2 && run <= l+board.FrameDuration {
			return true
		}
	}
	return false
}

// offHookAudio takes what the port sends to the phone off hook (board
// locked): the call-waiting tone and the off-hook caller ID sequence.
func (ph *Phone) offHookAudio(s []int16) {
	cw := &ph.cw
	now := ph.b.now()
	if cw.sas.feed(s) {
		cw.tones++
	}
	heard := cw.cas.feed(s)
	switch {
	case heard:
		cw.alerts++
		cw.casOn = true
		cw.ok = false
		if !cw.off {
			ph.mouth.muted = true
		}
	case cw.casOn && cw.cas.run == 0:
		// The signal is over: acknowledge it, and listen.
		cw.casOn = false
		if cw.off {
			break
		}
		if err := ph.mouth.ack.Queue("D"); err == nil {
			cw.acks++
		}
		cw.dec.Reset()
		cw.until = now + cwListen
	}
	if now < cw.until {
		if m, ok := cw.dec.Process(s); ok && !m.HasMessageWaiting {
			cw.msg, cw.ok = m, true
			cw.until = now
		}
		if now+board.FrameDuration >= cw.until {
			ph.mouth.muted = false
		}
	}
}

// SetCallWaitingCallerID makes the phone take caller ID on call waiting
// (the default: it acknowledges the alerting signal) or not (it stays
// silent, like a phone without the feature).
func (ph *Phone) SetCallWaitingCallerID(on bool) {
	ph.b.mu.Lock()
	ph.cw.off = !on
	ph.b.mu.Unlock()
}

// CallWaitingTones counts the bursts of the zone's call-waiting tone the
// phone heard off hook.
func (ph *Phone) CallWaitingTones() int {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.cw.tones
}

// CallWaitingAlerts counts the CPE alerting signals the phone heard off
// hook, and the acknowledgements it sent.
func (ph *Phone) CallWaitingAlerts() (alerts, acks int) {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.cw.alerts, ph.cw.acks
}

// CallWaitingCallerID is the caller ID the phone decoded with the last
// call-waiting alert (cleared by the next alerting signal).
func (ph *Phone) CallWaitingCallerID() (dsp.CallerIDMessage, bool) {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.cw.msg, ph.cw.ok
}

// WaitCallWaitingTone waits until the phone has heard n bursts of the
// call-waiting tone in all.
func (ph *Phone) WaitCallWaitingTone(ctx context.Context, n int) error {
	if err := ph.b.waitFor(ctx, func() bool { return ph.cw.tones >= n }); err != nil {
		return fmt.Errorf("sim: phone %d call-waiting tone %d: %w", ph.n, n, err)
	}
	return nil
}

// WaitCallWaitingCallerID waits until the phone has decoded caller ID on
// call waiting.
func (ph *Phone) WaitCallWaitingCallerID(ctx context.Context) (dsp.CallerIDMessage, error) {
	if err := ph.b.waitFor(ctx, func() bool { return ph.cw.ok }); err != nil {
		return dsp.CallerIDMessage{}, fmt.Errorf("sim: phone %d caller ID on call waiting: %w", ph.n, err)
	}
	m, _ := ph.CallWaitingCallerID()
	return m, nil
}
