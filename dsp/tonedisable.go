package dsp

import "math"

// ToneDisable is what the echo canceller's tone disabler has done.
type ToneDisable uint8

const (
	// ToneEnabled: no answer tone heard; canceller and NLP work.
	ToneEnabled ToneDisable = iota
	// ToneNLPOff: a 2100 Hz tone without phase reversals (G.164, a fax's
	// CED or a V.25 answer tone without ANSam) was heard; the NLP is off
	// for the rest of the call, the linear canceller still works, as
	// G.168 asks.
	ToneNLPOff
	// ToneAllOff: a 2100 Hz tone with phase reversals (G.165, V.25 ANSam,
	// V.8 modems) was heard; canceller and NLP are off for the rest of
	// the call, so that the modems' own echo cancellers see the line as
	// it is.
	ToneAllOff
)

func (t ToneDisable) String() string {
	switch t {
	case ToneNLPOff:
		return "nlp-off"
	case ToneAllOff:
		return "disabled"
	}
	return "enabled"
}

// Tone disabler (ITU-T G.164/G.165 clause 4, G.168 clause 7).
//
// Each direction (the signal sent to the line and the one coming back: an
// answering modem may be on either side) is cut into 10 ms blocks and
// each block's DFT taken at 2100 Hz (80 samples hold exactly 21 cycles,
// so one 80-entry table serves every block). A block holds the tone when
// that bin carries 80 % of the block's energy (which only a pure tone
// within about ±40 Hz does; speech never holds it for long) at −34 dBm0
// or more (G.164: detect from −31 dBm0, which ANSam's 20 % modulation
// takes 2 dB lower in its troughs; never below −36 dBm0). The tone
// is present after toneMinBlocks such blocks in a row (G.164's operate
// time, 300 ± 100 ms, for the NLP). A phase reversal is a block whose
// phase, against the steady advance of the blocks before it (which a
// tone ±21 Hz off nominal also shows), jumps by 180 ± 25°.
const (
	toneBlock      = 80
	toneShare      = 0.8
	toneMinDBm0    = -34.0   // a −31 dBm0 ANSam's 20 % troughs, above the −36 dBm0 guard
	toneMinBlocks  = 35      // 350 ms
	toneRevMinCos  = -0.9063 // cos 155°: a jump within 180 ± 25°
	toneRevBlocks  = 5       // steady blocks needed before a jump counts
	toneWatchLimit = 300     // blocks (3 s) a present tone is watched for reversals
)

// toneDetector watches one direction for the 2100 Hz answer tone.
type toneDetector struct {
	re, im, energy float64 // this block's sums
	n              int
	prev           complex128 // previous block's bin
	prevAdv        complex128 // previous block-to-block phase advance (unit)
	run            int        // blocks in a row holding the tone
	gap            int        // 1 after a block that did not (forgiven once)
	steady         int        // blocks in a row whose advance matched the one before
	reversal       bool
}

// toneTable is e^{−j2π·2100n/8000} for one block.
type toneTable [toneBlock]complex128

func newToneTable() *toneTable {
	var t toneTable
	for n := range t {
		s, c := math.Sincos(-2 * math.Pi * 2100 * float64(n) / 8000)
		t[n] = complex(c, s)
	}
	return &t
}

// toneWatch is a canceller's tone disabler: one detector per direction
// and what they decided.
type toneWatch struct {
	tab      *toneTable
	rx, tx   toneDetector
	minE     float64 // least bin energy of a tone block
	disabled ToneDisable
}

func newToneWatch() toneWatch {
	return toneWatch{tab: newToneTable(), minE: math.Pow(DBm0ToPeak(toneMinDBm0), 2) / 2 * toneBlock}
}

// reset forgets the call (the canceller is enabled again).
func (w *toneWatch) reset() {
	*w = toneWatch{tab: w.tab, minE: w.minE}
}

// feed takes a sample of each direction: xs sent to the line, d from it.
func (w *toneWatch) feed(xs, d float32) {
	w.tx.feed(w.tab, xs, w.minE)
	w.rx.feed(w.tab, d, w.minE)
	if w.rx.n != 0 {
		return // decisions at block ends only
	}
	for _, t := range [2]*toneDetector{&w.tx, &w.rx} {
		switch {
		case t.reversal:
			w.disabled = ToneAllOff
		case t.run >= toneMinBlocks && w.disabled == ToneEnabled:
			w.disabled = ToneNLPOff
		}
	}
}

// feed adds a sample; at a block's end it updates the tone state.
func (d *toneDetector) feed(t *toneTable, x float32, minE float64) {
	v := float64(x)
	p := t[d.n]
	d.re += v * real(p)
	d.im += v * imag(p)
	d.energy += v * v
	d.n++
	if d.n < toneBlock {
		return
	}
	z, total := complex(d.re, d.im), d.energy
	d.re, d.im, d.energy, d.n = 0, 0, 0, 0
	// A sine of amplitude A gives |Z| = A·N/2 and energy A²·N/2.
	if e := 2 * toneEnergy(z) / toneBlock; e <= minE || e < toneShare*total {
		// Not a tone block. One is forgiven inside a tone: a reversal in
		// mid-block cancels half the block against the other half.
		if d.run > 0 && d.gap == 0 {
			d.gap = 1
			return
		}
		d.run, d.steady, d.gap = 0, 0, 0
		return
	}
	if d.run > 0 {
		adv := z * complex(real(d.prev), -imag(d.prev))
		if a := cmplxAbs(adv); a > 0 {
			adv /= complex(a, 0)
			// Against the advance expected over the blocks since the
			// last tone block: ≈ 1 for a steady tone (whatever its
			// offset), ≈ −1 across a reversal.
			want := d.prevAdv
			if d.gap > 0 {
				want *= d.prevAdv
			}
			c := real(adv * complex(real(want), -imag(want)))
			switch {
			case d.steady >= toneRevBlocks && c <= toneRevMinCos:
				d.reversal = true
				d.steady = 0
			case c > 0.9 && d.gap == 0:
				d.steady++
				d.prevAdv = adv
			case d.gap == 0:
				d.steady = 0
				d.prevAdv = adv
			}
		}
	} else {
		d.prevAdv = 1
	}
	d.run += 1 + d.gap
	d.gap = 0
	d.prev = z
}

func cmplxAbs(z complex128) float64 { return math.Hypot(real(z), imag(z)) }

func toneEnergy(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }
