package modem

// V.21 channel 2 (ITU-T V.21 §2, as T.30 §5.1 uses it for the control
// messages of both directions): 300 bit/s binary FSK, mark (1) at 1650 Hz,
// space (0) at 1850 Hz.

const (
	v21Mark  = 1650.0
	v21Space = 1850.0
	v21Baud  = 300
)

// V21Tx is the V.21 channel 2 modulator. The carrier is phase-continuous
// between bits, so the signal stays within its band.
type V21Tx struct {
	amp         float64
	phase       uint32
	mark, space uint32
	clock       int // bit clock: +baud a sample, a bit ends at SampleRate
	bit         int
	src         BitSource
}

// NewV21Tx returns a modulator sending at levelDBm0 (T.30 fax machines
// send about −10 to −13 dBm0).
func NewV21Tx(levelDBm0 float64) *V21Tx {
	return &V21Tx{amp: levelToPeak(levelDBm0), mark: phaseStep(v21Mark), space: phaseStep(v21Space), bit: -1}
}

// Start begins sending the bits of src.
func (t *V21Tx) Start(src BitSource) {
	t.src, t.clock, t.bit = src, 0, -1
}

// Busy reports whether a transmission is under way.
func (t *V21Tx) Busy() bool { return t.src != nil }

// Modulate fills out with the signal and returns how many samples carry
// it; once the source runs dry the rest of out is zeroed and the
// transmitter is idle.
func (t *V21Tx) Modulate(out []int16) int {
	for i := range out {
		if t.bit < 0 {
			if t.src == nil {
				clear(out[i:])
				return i
			}
			if t.bit = t.src.NextBit(); t.bit < 0 {
				t.src = nil
				clear(out[i:])
				return i
			}
		}
		out[i] = clamp16(t.amp * sinPhase(t.phase))
		if t.bit != 0 {
			t.phase += t.mark
		} else {
			t.phase += t.space
		}
		t.clock += v21Baud
		if t.clock >= SampleRate {
			t.clock -= SampleRate
			t.bit = -1
		}
	}
	return len(out)
}

// V.21 demodulator design: two quadrature correlators over one bit time
// (27 samples) measure the energy at the mark and at the space frequency
// (the non-coherent matched filter of binary FSK); the larger decides the
// bit. The sums slide in exact integer arithmetic, so they never drift. A
// digital PLL keeps the bit clock on the decision's transitions and
// samples each bit in its middle. The carrier is present when the power
// in the two tones is above −43 dBm0 and most of the input's power.
const (
	v21Win    = 27  // correlator length ≈ 26⅔ samples, one bit
	v21Tab    = 160 // both tones have a whole number of cycles in 160 samples
	v21Scale  = 16384
	v21OnDBm  = -43.0
	v21OffDBm = -48.0
)

// V21Rx is the V.21 channel 2 demodulator.
type V21Rx struct {
	mc, ms, sc, ss [v21Tab]int32 // reference tones
	n              int           // sample index mod v21Tab
	ring           [v21Win][4]int32
	pwr            [v21Win]int64
	rp             int
	sum            [4]int64
	psum           int64

	on, off float64 // carrier thresholds on the tones' energy
	carrier bool
	hold    int // samples the carrier has been below the off threshold

	clock int // bit clock phase, 0..SampleRate
	last  bool
	have  bool
}

// NewV21Rx returns a demodulator.
func NewV21Rx() *V21Rx {
	r := &V21Rx{}
	for i := range v21Tab {
		m := uint32(i) * phaseStep(v21Mark)
		s := uint32(i) * phaseStep(v21Space)
		r.mc[i] = int32(v21Scale * cosPhase(m))
		r.ms[i] = int32(v21Scale * sinPhase(m))
		r.sc[i] = int32(v21Scale * cosPhase(s))
		r.ss[i] = int32(v21Scale * sinPhase(s))
	}
	// A sine of power P gives a correlator magnitude² of about
	// (N·A·scale/2)² = N²·scale²·P/2.
	k := float64(v21Win) * float64(v21Win) * v21Scale * v21Scale / 2
	r.on = k * levelToPower(v21OnDBm)
	r.off = k * levelToPower(v21OffDBm)
	return r
}

// Reset returns the demodulator to its idle state.
func (r *V21Rx) Reset() {
	*r = V21Rx{mc: r.mc, ms: r.ms, sc: r.sc, ss: r.ss, on: r.on, off: r.off}
}

// Carrier reports whether a V.21 signal is being received.
func (r *V21Rx) Carrier() bool { return r.carrier }

// Demodulate consumes in and writes the bits recovered to bits (at most
// one per 26 samples, so len(in)/26+1 is enough), returning how many.
// Bits are only produced while the carrier is present.
func (r *V21Rx) Demodulate(in []int16, bits []byte) int {
	nb := 0
	for _, x := range in {
		v := int32(x)
		p := [4]int32{v * r.mc[r.n] >> 4, v * r.ms[r.n] >> 4, v * r.sc[r.n] >> 4, v * r.ss[r.n] >> 4}
		if r.n++; r.n == v21Tab {
			r.n = 0
		}
		old := &r.ring[r.rp]
		for k := range 4 {
			r.sum[k] += int64(p[k]) - int64(old[k])
		}
		*old = p
		x2 := int64(v) * int64(v)
		r.psum += x2 - r.pwr[r.rp]
		r.pwr[r.rp] = x2
		if r.rp++; r.rp == v21Win {
			r.rp = 0
		}
		mc, ms := float64(r.sum[0])*16, float64(r.sum[1])*16
		sc, ss := float64(r.sum[2])*16, float64(r.sum[3])*16
		m := mc*mc + ms*ms
		s := sc*sc + ss*ss
		// The tones' energy against the input's: a pure tone gives
		// m+s ≈ N·scale²/2·Σx² ; wideband signals give much less.
		in := float64(r.psum) * v21Win * v21Scale * v21Scale / 2
		if !r.carrier {
			if m+s > r.on && m+s > 0.5*in {
				r.carrier, r.hold, r.have = true, 0, false
			}
		} else if m+s < r.off || m+s < 0.25*in {
			if r.hold++; r.hold > v21Win {
				r.carrier = false
			}
		} else {
			r.hold = 0
		}
		if !r.carrier {
			continue
		}
		d := m > s
		if r.have && d != r.last {
			// A transition belongs halfway between two sampling
			// instants: pull the clock a quarter of the way there.
			e := r.clock - SampleRate/2
			r.clock -= e / 4
		}
		r.last, r.have = d, true
		r.clock += v21Baud
		if r.clock >= SampleRate {
			r.clock -= SampleRate
			if nb < len(bits) {
				if d {
					bits[nb] = 1
				} else {
					bits[nb] = 0
				}
				nb++
			}
		}
	}
	return nb
}
