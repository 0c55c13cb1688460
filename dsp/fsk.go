package dsp

import (
	"math"
)

// FSKStandard selects the modem of an FSK caller ID transmission.
type FSKStandard int

const (
	// Bell202 is the North American modem (Telcordia GR-30-CORE):
	// 1200 baud, mark (1) 1200 Hz, space (0) 2200 Hz.
	Bell202 FSKStandard = iota
	// V23 is ITU-T V.23 as used by ETSI EN 300 659: 1200 baud,
	// mark (1) 1300 Hz, space (0) 2100 Hz.
	V23
)

// String names the standard.
func (s FSKStandard) String() string {
	switch s {
	case Bell202:
		return "Bell202"
	case V23:
		return "V23"
	}
	return "FSKStandard(?)"
}

// tones returns the mark and space frequencies in Hz.
func (s FSKStandard) tones() (mark, space float64) {
	if s == V23 {
		return 1300, 2100
	}
	return 1200, 2200
}

const (
	sampleRate = 8000
	fskBaud    = 1200
	// fskSeizureBits is the channel seizure: 300 bits of alternating 0
	// and 1 (ETSI EN 300 659-1 §5.1.3.1; GR-30 sends 30 bytes of 0x55).
	fskSeizureBits = 300
	// fskMarkBits is the mark signal before the message: 180 bits
	// (ETSI 180 ± 25; GR-30 150 ms = 180 bits).
	fskMarkBits = 180
	// fskTrailBits of mark after the last byte let the receiver's
	// filters flush and the line settle before the modulator stops.
	fskTrailBits = 4
)

// FSKModulator generates caller ID FSK: channel seizure, mark signal and
// message bytes framed asynchronously (start bit 0, 8 data bits least
// significant first, stop bit 1). The carrier is phase-continuous across
// bits, messages and Read calls, so the signal has no clicks that would
// splatter energy outside the voice band.
type FSKModulator struct {
	mark, space float64 // phase increments, radians per sample
	amp         float64
	// The carrier is a unit phasor rotated each sample by the mark or
	// space increment: two multiply-adds instead of a sine per sample.
	re, im     float64
	mcos, msin float64
	scos, ssin float64
	rotReady   bool
	bits       []byte // bits still to send, one per byte (0 or 1)
	pos        int
	clock      int // bit clock: advances by baud per sample, a bit lasts sampleRate
	baud       int // fskBaud; tests vary it to check the receiver's timing tolerance
	seizure    int // channel seizure bits per transmission
	markBits   int // mark bits before the message
}

// NewFSKModulator returns a modulator for std at levelDBm0 (a typical
// caller ID level is −13.5 dBm0 for V.23 per EN 300 659-1, about −13 dBm
// for Bell 202).
func NewFSKModulator(std FSKStandard, levelDBm0 float64) *FSKModulator {
	mk, sp := std.tones()
	return &FSKModulator{
		mark:     2 * math.Pi * mk / sampleRate,
		space:    2 * math.Pi * sp / sampleRate,
		amp:      DBm0ToPeak(levelDBm0),
		baud:     fskBaud,
		seizure:  fskSeizureBits,
		markBits: fskMarkBits,
	}
}

// Queue appends a complete transmission of msg (as built by
// EncodeCallerID): channel seizure, mark signal, the bytes, a short mark
// tail. Queue allocates (it is called once per call, not per frame);
// Read does not.
func (m *FSKModulator) Queue(msg []byte) {
	if m.pos >= len(m.bits) {
		m.bits, m.pos = m.bits[:0], 0
	}
	for i := 0; i < m.seizure; i++ {
		m.bits = append(m.bits, byte(i&1))
	}
	for i := 0; i < m.markBits; i++ {
		m.bits = append(m.bits, 1)
	}
	for _, c := range msg {
		m.bits = append(m.bits, 0)
		for k := 0; k < 8; k++ {
			m.bits = append(m.bits, (c>>k)&1)
		}
		m.bits = append(m.bits, 1)
	}
	for i := 0; i < fskTrailBits; i++ {
		m.bits = append(m.bits, 1)
	}
}

// Busy reports whether bits remain to be sent.
func (m *FSKModulator) Busy() bool { return m.pos < len(m.bits) }

// Read writes the next samples to out, zeros once the transmission is
// over, and reports whether any FSK was written.
func (m *FSKModulator) Read(out []int16) (active bool) {
	if !m.rotReady {
		m.mcos, m.msin = math.Cos(m.mark), math.Sin(m.mark)
		m.scos, m.ssin = math.Cos(m.space), math.Sin(m.space)
		m.re, m.im = 1, 0
		m.rotReady = true
	}
	for i := range out {
		if m.pos >= len(m.bits) {
			clear(out[i:])
			m.re, m.im, m.clock = 1, 0, 0
			return active
		}
		active = true
		c, s := m.scos, m.ssin
		if m.bits[m.pos] != 0 {
			c, s = m.mcos, m.msin
		}
		v := m.amp * m.im
		if v >= 0 {
			out[i] = int16(v + 0.5)
		} else {
			out[i] = int16(v - 0.5)
		}
		re := m.re*c - m.im*s
		im := m.im*c + m.re*s
		// Keep the phasor on the unit circle (first-order correction).
		g := 1.5 - 0.5*(re*re+im*im)
		m.re, m.im = re*g, im*g
		m.clock += m.baud
		if m.clock >= sampleRate {
			m.clock -= sampleRate
			m.pos++
		}
	}
	return active
}

// Demodulator design. Each sample goes through a band-pass filter (the
// caller ID band, cutting noise and hum), then two quadrature correlators
// over one bit time (7 samples ≈ 5.8 ms) measure the energy at the mark
// and space frequencies: the non-coherent matched-filter FSK detector.
// The decision d = (|M|²−|S|²)/(|M|²+|S|²) is level independent; a
// carrier detector on the in-band power gates everything below about
// −46 dBm0. A UART recovers the bytes: after at least fskMinMark bits of
// continuous mark, a mark→space edge starts a character, and each bit is
// sampled where its correlation window lies fully inside it, by linear
// interpolation of d between samples (a bit is 6⅔ samples). Bytes are
// collected as type, length, body, checksum and handed to ParseCallerID.
const (
	fskWin       = 7                        // correlator length, samples (≈ one bit)
	fskTabLen    = 80                       // all four tones have a whole number of cycles in 80 samples
	fskUnit      = 3                        // timing unit: a third of a sample
	fskBitUnits  = 3 * sampleRate / fskBaud // 20 units = 6⅔ samples
	fskMinMark   = 10                       // bits of steady mark before a message may start
	fskCDOnDBm0  = -46.0                    // carrier detect threshold
	fskCDOffDBm0 = -49.0                    // carrier lost threshold (hysteresis)
)

// CallerIDDecoder demodulates FSK caller ID from line audio and reports
// complete messages whose checksum verifies.
type CallerIDDecoder struct {
	// Correlator tables: cos/sin of mark and space at each index mod 80.
	mc, ms, sc, ss [fskTabLen]float32
	n              int // sample index mod fskTabLen
	ring           [fskWin]float32
	rp             int

	bp biquad // caller ID band-pass

	power      float64 // smoothed in-band power
	cdOn, cdOf float64 // carrier detect thresholds on power
	carrier    bool

	dPrev float64 // previous decision value

	// UART
	markRun  int // samples of continuous mark
	inChar   bool
	pos      int // time since the start edge, in units
	next     int // time of the next bit sample, in units
	bit      int // bit index within the character (0 = start)
	cur      byte
	msg      [258]byte // type, length, up to 255 body bytes, checksum
	msgLen   int
	hunting  bool // waiting for the first byte of a message
	haveMark bool // fskMinMark bits of mark seen since the carrier came
}

// biquad is a direct form I second-order IIR section.
type biquad struct {
	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64
}

func (f *biquad) step(x float64) float64 {
	y := f.b0*x + f.b1*f.x1 + f.b2*f.x2 - f.a1*f.y1 - f.a2*f.y2
	f.x2, f.x1 = f.x1, x
	f.y2, f.y1 = f.y1, y
	return y
}

// bandpass designs a constant 0 dB peak gain band-pass (RBJ cookbook).
func bandpass(f0, q float64) biquad {
	w := 2 * math.Pi * f0 / sampleRate
	alpha := math.Sin(w) / (2 * q)
	a0 := 1 + alpha
	return biquad{
		b0: alpha / a0, b1: 0, b2: -alpha / a0,
		a1: -2 * math.Cos(w) / a0, a2: (1 - alpha) / a0,
	}
}

// NewCallerIDDecoder returns a decoder for std.
func NewCallerIDDecoder(std FSKStandard) *CallerIDDecoder {
	d := &CallerIDDecoder{}
	mk, sp := std.tones()
	for i := range fskTabLen {
		wm := 2 * math.Pi * mk * float64(i) / sampleRate
		ws := 2 * math.Pi * sp * float64(i) / sampleRate
		d.mc[i], d.ms[i] = float32(math.Cos(wm)), float32(math.Sin(wm))
		d.sc[i], d.ss[i] = float32(math.Cos(ws)), float32(math.Sin(ws))
	}
	// Centre on the geometric mean of the tones with a Q low enough to
	// pass both with little loss (±1% carrier offset included).
	d.bp = bandpass(math.Sqrt(mk*sp), 1.0)
	// Power of a sine of peak A is A²/2.
	p := func(dbm float64) float64 { a := DBm0ToPeak(dbm); return a * a / 2 }
	d.cdOn, d.cdOf = p(fskCDOnDBm0), p(fskCDOffDBm0)
	d.Reset()
	return d
}

// Reset forgets all state, as after a line reversal or a new call.
func (d *CallerIDDecoder) Reset() {
	d.n, d.rp = 0, 0
	clear(d.ring[:])
	d.bp.x1, d.bp.x2, d.bp.y1, d.bp.y2 = 0, 0, 0, 0
	d.power, d.carrier, d.dPrev = 0, false, 0
	d.resetUART()
}

func (d *CallerIDDecoder) resetUART() {
	d.markRun, d.inChar, d.pos, d.next, d.bit, d.cur = 0, false, 0, 0, 0, 0
	d.msgLen, d.hunting, d.haveMark = 0, true, false
}

// Process consumes samples and returns a message when one completed with
// a valid checksum in this block. If (unusually) two complete in one
// block only the first is returned.
func (d *CallerIDDecoder) Process(s []int16) (CallerIDMessage, bool) {
	var out CallerIDMessage
	found := false
	for _, x := range s {
		y := d.bp.step(float64(x))
		d.ring[d.rp] = float32(y)
		d.rp++
		if d.rp == fskWin {
			d.rp = 0
		}
		// Correlate the last fskWin samples. Sample ring[(rp+k)%win] is
		// the k-th oldest, taken at absolute index n-(win-1)+k.
		var mr, mi, sr, si float32
		idx := d.n - (fskWin - 1)
		if idx < 0 {
			idx += fskTabLen
		}
		r := d.rp
		for k := 0; k < fskWin; k++ {
			v := d.ring[r]
			mr += v * d.mc[idx]
			mi += v * d.ms[idx]
			sr += v * d.sc[idx]
			si += v * d.ss[idx]
			r++
			if r == fskWin {
				r = 0
			}
			idx++
			if idx == fskTabLen {
				idx = 0
			}
		}
		d.n++
		if d.n == fskTabLen {
			d.n = 0
		}
		em := float64(mr*mr + mi*mi)
		es := float64(sr*sr + si*si)
		// In-band power, smoothed over about 4 ms.
		d.power += (y*y - d.power) * (1.0 / 32)
		if d.carrier {
			if d.power < d.cdOf {
				d.carrier = false
				d.resetUART()
			}
		} else if d.power > d.cdOn {
			d.carrier = true
			d.resetUART()
		}
		var dec float64
		if em+es > 0 {
			dec = (em - es) / (em + es)
		}
		if d.carrier {
			if m, ok := d.uart(dec); ok && !found {
				out, found = m, true
			}
		}
		d.dPrev = dec
	}
	return out, found
}

// uart advances the character receiver by one sample with decision dec
// (positive = mark). It returns a message when the last byte of one with
// a good checksum arrives.
func (d *CallerIDDecoder) uart(dec float64) (CallerIDMessage, bool) {
	if !d.inChar {
		if dec > 0 {
			d.markRun++
			if d.markRun >= fskMinMark*fskBitUnits/fskUnit {
				d.haveMark = true
			}
			return CallerIDMessage{}, false
		}
		d.markRun = 0
		if !d.haveMark {
			return CallerIDMessage{}, false
		}
		// Start edge. The zero crossing of d lies half a window after
		// the true edge; interpolate where between the samples it was.
		frac := 0.0
		if d.dPrev > 0 {
			frac = d.dPrev / (d.dPrev - dec) // 0..1 from previous sample
		}
		// pos: time now relative to the crossing, in units.
		d.pos = int(math.Round((1 - frac) * fskUnit))
		// Bit k's window is fully inside it half a bit after the
		// crossing (the crossing is half a window into the bit).
		d.next = fskBitUnits / 2
		d.bit = 0
		d.cur = 0
		d.inChar = true
		if d.pos < d.next {
			return CallerIDMessage{}, false
		}
	} else {
		d.pos += fskUnit
		if d.pos < d.next {
			return CallerIDMessage{}, false
		}
	}
	// Sample between the previous and the current sample.
	t := 1 - float64(d.pos-d.next)/fskUnit // weight of the current sample
	v := d.dPrev + (dec-d.dPrev)*t
	d.next += fskBitUnits
	switch {
	case d.bit == 0:
		if v > 0 { // false start: a glitch, not a start bit
			d.inChar = false
			return CallerIDMessage{}, false
		}
	case d.bit <= 8:
		if v > 0 {
			d.cur |= 1 << (d.bit - 1)
		}
	default:
		d.inChar = false
		d.markRun = 0
		if v <= 0 { // framing error: the message is lost
			d.msgLen = 0
			d.haveMark = false
			return CallerIDMessage{}, false
		}
		return d.byteDone(d.cur)
	}
	d.bit++
	return CallerIDMessage{}, false
}

func (d *CallerIDDecoder) byteDone(c byte) (CallerIDMessage, bool) {
	if d.msgLen == 0 {
		switch c {
		case msgSDMF, msgSDMFMWI, msgMDMF, msgMDMFMWI:
		default:
			// Not a message start (seizure leftovers, noise): wait for
			// a fresh mark period.
			d.haveMark = false
			return CallerIDMessage{}, false
		}
	}
	d.msg[d.msgLen] = c
	d.msgLen++
	if d.msgLen < 2 || d.msgLen < int(d.msg[1])+3 {
		return CallerIDMessage{}, false
	}
	m, err := ParseCallerID(d.msg[:d.msgLen])
	d.msgLen = 0
	d.haveMark = false
	if err != nil {
		return CallerIDMessage{}, false
	}
	return m, true
}
