package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/zaf/g711"

	"minipbx/board"
	"minipbx/dsp"
)

// Law is the G.711 companding law of the simulated PCM highway.
type Law int

const (
	// ULaw is μ-law (North America, Japan); the default.
	ULaw Law = iota
	// ALaw is A-law (the rest of the world).
	ALaw
)

func (l Law) String() string {
	switch l {
	case ULaw:
		return "ulaw"
	case ALaw:
		return "alaw"
	}
	return fmt.Sprintf("law(%d)", int(l))
}

// roundTrip encodes every sample of f with the law and decodes it again,
// which is exactly what the codec chip and the PCM highway do to a frame.
func (l Law) roundTrip(f *board.Frame) {
	if l == ALaw {
		for i, v := range f {
			f[i] = g711.DecodeAlawFrame(g711.EncodeAlawFrame(v))
		}
		return
	}
	for i, v := range f {
		f[i] = g711.DecodeUlawFrame(g711.EncodeUlawFrame(v))
	}
}

// mouth is what a virtual device says: a generator, queued samples and DTMF,
// mixed. A phone's handset may be muted (off-hook caller ID): then only
// its acknowledgement tone goes out. Guarded by the board's mutex.
type mouth struct {
	talk  func(out []int16)
	queue []int16
	dtmf  *dsp.DTMFGenerator
	ack   *dsp.DTMFGenerator // a type II phone's acknowledgement (callwait.go)
	muted bool
	tmp   board.Frame
	lost  board.Frame // what nobody heard
}

func newMouth() *mouth {
	return &mouth{dtmf: dsp.NewDTMFGenerator(dsp.DTMFGenConfig{}),
		ack: dsp.NewDTMFGenerator(dsp.DTMFGenConfig{On: cwAckLength, Off: cwAckLength})}
}

// read fills out with the next frame of the device's voice.
func (m *mouth) read(out *board.Frame) {
	*out = board.Frame{}
	if m.talk != nil {
		m.talk(out[:])
	}
	if len(m.queue) > 0 {
		n := copy(m.tmp[:], m.queue)
		m.queue = m.queue[n:]
		mix(out[:n], m.tmp[:n])
		if len(m.queue) == 0 {
			m.queue = nil
		}
	}
	if m.dtmf.Busy() {
		m.tmp = board.Frame{}
		m.dtmf.Read(m.tmp[:])
		mix(out[:], m.tmp[:])
	}
	if m.muted {
		*out = board.Frame{}
	}
	if m.ack.Busy() {
		m.tmp = board.Frame{}
		m.ack.Read(m.tmp[:])
		mix(out[:], m.tmp[:])
	}
}

// discard lets a frame of the voice pass unheard (the phone is on hook):
// time moves on for the talker whether or not the line listens.
func (m *mouth) discard() {
	m.read(&m.lost)
}

func (m *mouth) play(s []int16) { m.queue = append(m.queue, s...) }

// mix adds src into dst with saturation.
func mix(dst, src []int16) {
	for i, v := range src {
		dst[i] = sat(int32(dst[i]) + int32(v))
	}
}

func sat(v int32) int16 {
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}

// maxRecord bounds a recording (two minutes), so a forgotten recorder cannot
// eat the memory of a long-running simulated box.
const maxRecord = 120 * board.SampleRate

// recorder keeps what a virtual device hears while it records, and when
// it heard each frame.
type recorder struct {
	on  bool
	buf []int16
	at  []time.Time // per frame added: the wall time of its clock tick
}

func (r *recorder) add(s []int16) {
	if r.on && len(r.buf) < maxRecord {
		r.buf = append(r.buf, s[:min(len(s), maxRecord-len(r.buf))]...)
		r.at = append(r.at, time.Now())
	}
}

// ears is what a virtual device hears: a recorder plus listeners waiting
// for something (a call-progress tone) in the audio.
type ears struct {
	rec       recorder
	listeners []listener
	// heard is the last frame heard, kept while a terminal listens
	// (setTerminal).
	heard     board.Frame
	keepHeard bool
}

// Terminal is a data terminal a virtual device plugs in instead of a
// voice (a fax machine, a modem): each frame it hears what the device
// heard in the frame before and fills what the device sends. It runs on
// the board's clock and must not block.
type Terminal interface {
	Process(in, out []int16)
}

// setTerminal makes t the device's voice (nil: silence again); callers
// hold the board's mutex.
func setTerminal(m *mouth, e *ears, t Terminal) {
	if t == nil {
		m.talk, e.keepHeard = nil, false
		return
	}
	e.heard, e.keepHeard = board.Frame{}, true
	m.talk = func(out []int16) { t.Process(e.heard[:], out) }
}

// listener is fed what the ears hear, one frame at a time on the clock,
// until it reports that it heard what it waits for.
type listener interface {
	feed(s []int16) (done bool)
}

func (e *ears) hear(s []int16) {
	if e.keepHeard {
		copy(e.heard[:], s)
	}
	e.rec.add(s)
	for i := 0; i < len(e.listeners); i++ {
		if e.listeners[i].feed(s) {
			e.listeners = append(e.listeners[:i], e.listeners[i+1:]...)
			i--
		}
	}
}

func (e *ears) remove(l listener) {
	for i, x := range e.listeners {
		if x == l {
			e.listeners = append(e.listeners[:i], e.listeners[i+1:]...)
			return
		}
	}
}

// noise is white noise from a xorshift generator: deterministic and cheap.
type noise struct {
	state uint64
	rms   float64 // 0: off
}

func (n *noise) add(out []int16) {
	if n.rms == 0 {
		return
	}
	// Uniform noise in [-a, a] has an RMS of a/√3.
	a := n.rms * math.Sqrt(3)
	for i := range out {
		n.state ^= n.state << 13
		n.state ^= n.state >> 7
		n.state ^= n.state << 17
		u := float64(n.state>>11)/float64(1<<53)*2 - 1
		out[i] = sat(int32(out[i]) + int32(math.Round(u*a)))
	}
}

// Sine returns a generator for Talk: a continuous sine of freqHz at
// levelDBm0, phase-continuous across frames.
func Sine(freqHz, levelDBm0 float64) func(out []int16) {
	amp := dsp.DBm0ToPeak(levelDBm0)
	step := 2 * math.Pi * freqHz / board.SampleRate
	var ph float64
	return func(out []int16) {
		for i := range out {
			out[i] = sat(int32(math.Round(amp * math.Sin(ph))))
			ph += step
			if ph > 2*math.Pi {
				ph -= 2 * math.Pi
			}
		}
	}
}

// ToneMeasurement is the analysis of a recorded test tone.
type ToneMeasurement struct {
	FreqHz    float64 // frequency of the strongest sine
	LevelDBm0 float64 // its level
	SNRdB     float64 // its power over the power of everything else
}

func (m ToneMeasurement) String() string {
	return fmt.Sprintf("%.1f Hz at %.1f dBm0, SNR %.1f dB", m.FreqHz, m.LevelDBm0, m.SNRdB)
}

// MeasureTone finds the strongest sine in s (a coarse scan of the band, then
// a fine search around the peak), fits it by least squares and reports its
// frequency, level and signal-to-(noise + distortion) ratio. Any
// discontinuity, dropped or repeated frame, clipping or quantisation noise
// lowers the SNR, so it is the figure of merit of an audio path.
func MeasureTone(s []int16) ToneMeasurement {
	if len(s) < 64 {
		return ToneMeasurement{SNRdB: math.Inf(-1), LevelDBm0: math.Inf(-1)}
	}
	// Coarse: a short prefix has a main lobe wider than the 10 Hz step.
	coarse := s[:min(len(s), 400)]
	best, bestP := 0.0, -1.0
	for f := 50.0; f < 3950; f += 10 {
		if p := goertzel(coarse, f); p > bestP {
			best, bestP = f, p
		}
	}
	// Fine: the whole signal, in steps of an eighth of its resolution.
	step := board.SampleRate / float64(len(s)) / 8
	fine, fineP := best, -1.0
	for f := best - 15; f <= best+15; f += step {
		if p := goertzel(s, f); p > fineP {
			fine, fineP = f, p
		}
	}
	// Finest: golden-section search inside the main lobe around the grid's
	// best point, where the power is unimodal.
	lo, hi := fine-step, fine+step
	for range 30 {
		m1, m2 := hi-(hi-lo)*0.618, lo+(hi-lo)*0.618
		if goertzel(s, m1) > goertzel(s, m2) {
			hi = m2
		} else {
			lo = m1
		}
	}
	return MeasureToneAt(s, (lo+hi)/2)
}

// MeasureToneAt fits a sine of exactly freqHz to s and reports its level
// and the ratio of its power to the power of the residue.
func MeasureToneAt(s []int16, freqHz float64) ToneMeasurement {
	var cc, ss, cs, xc, xs, total float64
	w := 2 * math.Pi * freqHz / board.SampleRate
	for i, v := range s {
		x := float64(v)
		c, sn := math.Cos(w*float64(i)), math.Sin(w*float64(i))
		cc += c * c
		ss += sn * sn
		cs += c * sn
		xc += x * c
		xs += x * sn
		total += x * x
	}
	det := cc*ss - cs*cs
	if det == 0 || total == 0 {
		return ToneMeasurement{FreqHz: freqHz, LevelDBm0: math.Inf(-1), SNRdB: math.Inf(-1)}
	}
	a := (xc*ss - xs*cs) / det
	b := (xs*cc - xc*cs) / det
	var resid float64
	for i, v := range s {
		fit := a*math.Cos(w*float64(i)) + b*math.Sin(w*float64(i))
		d := float64(v) - fit
		resid += d * d
	}
	amp := math.Hypot(a, b)
	sig := total - resid
	return ToneMeasurement{
		FreqHz:    freqHz,
		LevelDBm0: 20 * math.Log10(amp/dsp.Dbm0Peak),
		SNRdB:     10 * math.Log10(sig/math.Max(resid, 1e-9)),
	}
}

// goertzel is the power of s at freq (not normalised).
func goertzel(s []int16, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/board.SampleRate)
	var s1, s2 float64
	for _, v := range s {
		s0 := float64(v) + k*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - k*s1*s2
}

// Level is the RMS level of s in dBm0 (-Inf for silence).
func Level(s []int16) float64 {
	if len(s) == 0 {
		return math.Inf(-1)
	}
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	rms := math.Sqrt(sum / float64(len(s)))
	return 20 * math.Log10(rms*math.Sqrt2/dsp.Dbm0Peak)
}
