package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

// Message-waiting indication as the virtual phone sees it: a lamp set by
// on-hook VMWI messages, and an ear that can tell stutter dial tone from
// plain dial tone.
//
// The phone behaves like the phones of its zone's standard. A Bell 202
// phone (Telcordia GR-30-CORE) takes a VMWI message whenever one arrives
// on hook. A V.23 phone (ETSI EN 300 659-1) receives data not associated
// with ringing only after the dual-tone alerting signal (DT-AS, 2130 and
// 2750 Hz) has woken it: a VMWI message more than mwiWakeWindow after the
// last DT-AS, outside ringing, is ignored, as a real line-powered phone
// would never have switched its receiver on.

// mwiWakeWindow is how long after the DT-AS a V.23 phone keeps its FSK
// receiver on (EN 300 659-1 puts the data 45-500 ms after the alert; the
// rest covers the channel seizure, marks and message).
const mwiWakeWindow = 2 * time.Second

// alertDetector finds the DT-AS in on-hook audio: each frame's energy at
// 2130 and 2750 Hz (Goertzel), both strong and together nearly all of it,
// for at least three frames in a row (the signal lasts 100 ms).
type alertDetector struct {
	run int
}

const (
	alertMinRMS   = 60.0 // about -48 dBm0: far below any alerting level
	alertMinShare = 0.3  // each frequency's share of the frame's energy
	alertSetShare = 0.8  // both together
	alertFrames   = 3
)

// feed reports true once per alerting signal, at its third frame. It
// allocates nothing (the phone runs it on every frame off hook).
func (d *alertDetector) feed(s []int16) bool {
	e, rms := energy(s)
	a, b := toneShare(s, 2130, e), toneShare(s, 2750, e)
	if rms >= alertMinRMS && a >= alertMinShare && b >= alertMinShare && a+b >= alertSetShare {
		d.run++
		return d.run == alertFrames
	}
	d.run = 0
	return false
}

// toneShares returns, for each frequency, the share of the block's energy
// at it (1 for a pure tone there), and the block's RMS level.
func toneShares(s []int16, freqs ...float64) ([]float64, float64) {
	e, rms := energy(s)
	out := make([]float64, len(freqs))
	for i, f := range freqs {
		out[i] = toneShare(s, f, e)
	}
	return out, rms
}

// energy is the block's energy (sum of squares) and RMS level.
func energy(s []int16) (e, rms float64) {
	for _, x := range s {
		e += float64(x) * float64(x)
	}
	if len(s) == 0 {
		return 0, 0
	}
	return e, math.Sqrt(e / float64(len(s)))
}

// toneShare is the share of energy e of block s at freq (Goertzel).
func toneShare(s []int16, freq, e float64) float64 {
	if e == 0 || len(s) == 0 {
		return 0
	}
	k := 2 * math.Cos(2*math.Pi*freq/8000)
	var s1, s2 float64
	for _, x := range s {
		s0 := float64(x) + k*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - k*s1*s2
	return 2 * p / (float64(len(s)) * e)
}

// vmwi takes a decoded on-hook message; it reports whether it was a
// message-waiting one (which is never a call's caller ID). Board locked.
func (ph *Phone) vmwi(m dsp.CallerIDMessage) bool {
	if !m.HasMessageWaiting {
		return false
	}
	now := ph.b.now()
	ringing := ph.ringSeen && now-ph.ringEdgeAt <= ringSequenceGap
	if ph.cidStd == dsp.V23 && !ringing && (!ph.alerted || now-ph.alertAt > mwiWakeWindow) {
		ph.vmwiIgnored++
		return true
	}
	ph.lamp, ph.lampSet = m.MessageWaiting, true
	ph.vmwiCount++
	return true
}

// MessageWaiting reports whether the phone's message-waiting lamp is lit.
func (ph *Phone) MessageWaiting() bool {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.lamp
}

// VMWIMessages counts the message-waiting messages the phone took, and
// those it ignored (a V.23 phone without the alerting signal first).
func (ph *Phone) VMWIMessages() (taken, ignored int) {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.vmwiCount, ph.vmwiIgnored
}

// Alerts counts the dual-tone alerting signals (DT-AS) heard on hook.
func (ph *Phone) Alerts() int {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.alerts
}

// PolarityReversals counts the port's changes of line polarity (either way).
func (ph *Phone) PolarityReversals() int {
	ph.b.mu.Lock()
	defer ph.b.mu.Unlock()
	return ph.port.reversals
}

// WaitMessageWaiting waits until a VMWI message has set the lamp to on.
func (ph *Phone) WaitMessageWaiting(ctx context.Context, on bool) error {
	if err := ph.b.waitFor(ctx, func() bool { return ph.lampSet && ph.lamp == on }); err != nil {
		return fmt.Errorf("sim: phone %d message-waiting lamp %v: %w", ph.n, on, err)
	}
	return nil
}

// toneRecorder collects what the ears hear from the first audible frame
// on, until it has want samples.
type toneRecorder struct {
	want int
	buf  []int16
	done chan struct{}
}

func (r *toneRecorder) feed(s []int16) bool {
	if len(r.buf) == 0 {
		if _, rms := toneShares(s); rms < toneMinRMS {
			return false
		}
	}
	r.buf = append(r.buf, s...)
	if len(r.buf) >= r.want {
		close(r.done)
		return true
	}
	return false
}

const toneMinRMS = 100 // about -43 dBm0: silence below

// HearsStutterDial listens from now on for span of tone (counted from the
// first audible frame) and tells the zone's stutter dial tone (true) from
// its plain dial tone (false), comparing the frames' frequencies and
// cadence with both specifications. It fails when neither matches, or
// when the zone's two tones cannot be told apart over span.
func (ph *Phone) HearsStutterDial(ctx context.Context, span time.Duration) (bool, error) {
	r := &toneRecorder{want: frames(span) * board.FrameSamples, done: make(chan struct{})}
	ph.b.mu.Lock()
	ph.ear.listeners = append(ph.ear.listeners, r)
	ph.b.mu.Unlock()
	select {
	case <-r.done:
	case <-ctx.Done():
		ph.b.mu.Lock()
		ph.ear.remove(r)
		ph.b.mu.Unlock()
		select {
		case <-r.done:
		default:
			return false, fmt.Errorf("sim: phone %d listening for dial tone: %w", ph.n, ctx.Err())
		}
	}
	z := ph.b.Zone()
	stutter := ToneMatch(r.buf, z.StutterDial, z.Dial)
	plain := ToneMatch(r.buf, z.Dial, z.StutterDial)
	switch {
	case stutter >= toneMatchMin && plain >= toneMatchMin:
		return false, errors.New("sim: the zone's stutter and plain dial tones are alike over this span")
	case stutter >= toneMatchMin:
		return true, nil
	case plain >= toneMatchMin:
		return false, nil
	}
	return false, fmt.Errorf("sim: phone %d heard neither dial tone (match: stutter %.2f, plain %.2f)", ph.n, stutter, plain)
}

// toneMatchMin is the share of frames that must agree with a tone
// specification (frames where the tone changes may not).
const toneMatchMin = 0.9

// ToneMatch is the share of the 20 ms frames of s (which starts where the
// tone starts) that agree with spec: sound where spec sounds and silence
// where it is silent; and, where spec has held one part for the last
// 100 ms, exactly that part's frequencies among those of spec and others
// (each holding at least a fifth of the energy). The frequencies are
// measured over those 100 ms (10 Hz resolution), since some zones' tones
// differ by only 25 Hz (Germany's 425 Hz dial tone, 425+400 Hz special
// dial tone), closer than a frame can tell apart.
func ToneMatch(s []int16, spec dsp.ToneSpec, others ...dsp.ToneSpec) float64 {
	var freqs []float64
	add := func(f float64) {
		for _, g := range freqs {
			if g == f {
				return
			}
		}
		freqs = append(freqs, f)
	}
	for _, t := range append([]dsp.ToneSpec{spec}, others...) {
		for _, p := range t.Parts {
			for _, f := range partFreqs(p) {
				add(f)
			}
		}
	}
	const fs = board.FrameSamples
	const window = 5 * fs // 100 ms
	at := func(sample int) []float64 {
		return partFreqs(partAt(spec, time.Duration(sample)*time.Second/8000))
	}
	n := len(s) / fs
	if n == 0 {
		return 0
	}
	good := 0
	for i := range n {
		want := at(i*fs + fs/2)
		_, rms := toneShares(s[i*fs : (i+1)*fs])
		if (rms >= toneMinRMS) != (len(want) > 0) {
			continue
		}
		end := (i + 1) * fs
		steady := len(want) > 0 && end >= window
		for k := end - window; steady && k < end; k += fs / 2 {
			steady = sameFreqs(at(k), want)
		}
		if steady {
			shares, _ := toneShares(s[end-window:end], freqs...)
			var heard []float64
			for k, f := range freqs {
				if shares[k] >= 0.2 {
					heard = append(heard, f)
				}
			}
			if !sameFreqs(heard, want) {
				continue
			}
		}
		good++
	}
	return float64(good) / float64(n)
}

// partFreqs are the frequencies a tone part puts energy at (for an
// amplitude-modulated part, its carrier).
func partFreqs(p dsp.TonePart) []float64 {
	switch {
	case p.Freq1 == 0:
		return nil
	case p.Freq2 != 0 && !p.Modulated:
		return []float64{p.Freq1, p.Freq2}
	}
	return []float64{p.Freq1}
}

func sameFreqs(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

// partAt is the part of spec sounding at t after its start, as
// dsp.TonePlayer plays it: every part in order, then again and again from
// the first part not marked once (silence when all are); a part without a
// duration lasts for ever.
func partAt(spec dsp.ToneSpec, t time.Duration) dsp.TonePart {
	parts := spec.Parts
	for _, p := range parts {
		if p.Duration == 0 || t < p.Duration {
			return p
		}
		t -= p.Duration
	}
	loop := -1
	for i, p := range parts {
		if !p.Once {
			loop = i
			break
		}
	}
	if loop < 0 {
		return dsp.TonePart{}
	}
	var cycle time.Duration
	for _, p := range parts[loop:] {
		cycle += p.Duration // all > 0: the first pass returned otherwise
	}
	t %= cycle
	for _, p := range parts[loop:] {
		if t < p.Duration {
			return p
		}
		t -= p.Duration
	}
	return parts[len(parts)-1]
}
