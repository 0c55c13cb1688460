package dsp

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// ProgressTone is a call-progress tone the ProgressDetector recognises.
type ProgressTone int

// Call-progress tones. ToneNone reports that the tone last reported ended.
const (
	ToneNone ProgressTone = iota
	ToneDial
	ToneBusy
	ToneCongestion
	ToneRingback
	ToneFaxCNG // calling fax: 1100 Hz, 0.5 s on, 3 s off (ITU-T T.30)
	ToneFaxCED // called fax or modem answer: 2100 Hz (ITU-T T.30, V.25)
)

func (t ProgressTone) String() string {
	switch t {
	case ToneNone:
		return "none"
	case ToneDial:
		return "dial"
	case ToneBusy:
		return "busy"
	case ToneCongestion:
		return "congestion"
	case ToneRingback:
		return "ringback"
	case ToneFaxCNG:
		return "fax-cng"
	case ToneFaxCED:
		return "fax-ced"
	}
	return fmt.Sprintf("tone(%d)", int(t))
}

// ProgressEvent is a recognised tone (or ToneNone: the tone ended).
// Sample is where it began (for ToneNone: where it stopped), counted in
// samples from the detector's creation.
type ProgressEvent struct {
	Tone   ProgressTone
	Sample int64
}

// Progress detection works on 20 ms blocks (160 samples, 50 Hz bins: the
// zone's frequencies, at least 40 Hz apart, fall on nearly orthogonal
// bins). A block is "on" with a frequency set when each frequency of the
// set holds at least progMinShare of the block's energy, together at least
// progSetShare, and each is above progMinLevel: this ignores speech and
// noise, whatever the tone's level. Runs of blocks (changes need two
// agreeing blocks, so a 20 ms glitch or a phase reversal in an answer tone
// is ridden over) form on/off segments, which are matched against each
// tone's cadence within ±progTolerance + 45 ms.
const (
	progBlock     = 160
	progMinShare  = 0.12
	progSetShare  = 0.55
	progMinLevel  = -45.0 // dBm0 per frequency
	progTolerance = 0.22
	progMaxFreqs  = 12
	progMaxSets   = 8
	progHistory   = 6
)

// progCycle is one tone's cadence: alternating segments with the frequency
// set index (-1 = silence) and nominal length in blocks (0 = endless).
type progCycle struct {
	tone ProgressTone
	set  []int
	dur  []float64 // in blocks
}

type progSegment struct {
	set    int // -1: off
	blocks int
	start  int64
}

// ProgressDetector recognises a zone's dial, busy, congestion and ringback
// tones by frequency and cadence, and the fax tones CNG and CED. It is the
// FXO port's ear for the far end hanging up (busy/congestion) and for
// answer supervision on lines that give none. One per channel; allocates
// nothing per call to Process.
type ProgressDetector struct {
	freqs   []float64             // distinct frequencies watched
	coef    [progMaxFreqs]float32 // 2cos ω per frequency (0 past len(freqs))
	sets    [][]int               // frequency sets (indices into freqs)
	cycles  []progCycle
	cngSet  int
	cedSet  int
	dialMin int // blocks of steady tone before it is called dial tone
	minA2   float64

	// Block accumulation.
	buf    [progBlock]int16
	n      int
	sample int64

	// Segments.
	cur      progSegment // segment being timed
	pending  int         // state seen in the last block when it differs from cur (-2: none)
	pendAt   int64
	hist     [progHistory]progSegment // completed segments, newest last
	nhist    int
	reported ProgressTone
	repCycle int // index in cycles of the reported tone, -1 for none/fax

	events []ProgressEvent
}

// NewProgressDetector returns a detector for zone z's tones.
func NewProgressDetector(z Zone) *ProgressDetector {
	d := &ProgressDetector{pending: -2, repCycle: -1, events: make([]ProgressEvent, 0, 4)}
	a := DBm0ToPeak(progMinLevel)
	d.minA2 = a * a
	addSet := func(fs []float64) int {
		var idx []int
		for _, f := range fs {
			i := slices.Index(d.freqs, f)
			if i < 0 {
				if len(d.freqs) == progMaxFreqs {
					return -1
				}
				d.freqs = append(d.freqs, f)
				i = len(d.freqs) - 1
			}
			idx = append(idx, i)
		}
		slices.Sort(idx)
		for si, s := range d.sets {
			if slices.Equal(s, idx) {
				return si
			}
		}
		if len(d.sets) == progMaxSets {
			return -1
		}
		d.sets = append(d.sets, idx)
		return len(d.sets) - 1
	}
	for _, t := range []struct {
		tone ProgressTone
		spec ToneSpec
	}{{ToneBusy, z.Busy}, {ToneCongestion, z.Congestion}, {ToneRingback, z.Ringback}, {ToneDial, z.Dial}} {
		var c progCycle
		c.tone = t.tone
		ok := true
		for _, p := range t.spec.Parts {
			if p.Once {
				continue
			}
			set := -1
			if p.Freq1 != 0 {
				fs := []float64{p.Freq1}
				if p.Freq2 != 0 && !p.Modulated {
					fs = append(fs, p.Freq2)
				}
				if set = addSet(fs); set < 0 {
					ok = false
					break
				}
			}
			dur := float64(durSamples(p.Duration)) / progBlock
			if n := len(c.set); n > 0 && c.set[n-1] == set && c.dur[n-1] > 0 && dur > 0 {
				c.dur[n-1] += dur // merge equal neighbours (e.g. "425/200,425/300")
				continue
			}
			c.set = append(c.set, set)
			c.dur = append(c.dur, dur)
		}
		if ok && len(c.set) > 0 {
			d.cycles = append(d.cycles, c)
		}
	}
	// A steady tone is dial tone once it outlasts every cadenced burst of
	// the same frequencies (a ringback burst must not pass for dial tone).
	d.dialMin = 50
	for _, c := range d.cycles {
		if len(c.set) == 1 && c.dur[0] == 0 {
			for _, o := range d.cycles {
				for j, s := range o.set {
					if s == c.set[0] && o.dur[j] > 0 {
						d.dialMin = max(d.dialMin, int(o.dur[j]*(1+progTolerance))+4)
					}
				}
			}
		}
	}
	d.cngSet = addSet([]float64{1100})
	d.cedSet = addSet([]float64{2100})
	for k, f := range d.freqs {
		d.coef[k] = float32(2 * math.Cos(2*math.Pi*f/8000))
	}
	d.cur = progSegment{set: -1}
	return d
}

// Process consumes samples and returns the tone changes recognised during
// this call (the slice is reused by the next call).
func (d *ProgressDetector) Process(s []int16) []ProgressEvent {
	d.events = d.events[:0]
	for len(s) > 0 {
		m := copy(d.buf[d.n:], s)
		s = s[m:]
		d.n += m
		d.sample += int64(m)
		if d.n == progBlock {
			d.block()
		}
	}
	return d.events
}

// goertzel4 returns the DFT powers |X|² of the block at bins k…k+3
// (four recursions side by side; unused bins have coefficient 0).
func (d *ProgressDetector) goertzel4(k int) [4]float64 {
	c := (*[4]float32)(d.coef[k : k+4])
	var p0, p1, p2, p3, q0, q1, q2, q3 float32
	x := &d.buf
	for i := 0; i < progBlock; i += 2 {
		f, g := float32(x[i]), float32(x[i+1])
		p0 = c[0]*q0 + (f - p0)
		p1 = c[1]*q1 + (f - p1)
		p2 = c[2]*q2 + (f - p2)
		p3 = c[3]*q3 + (f - p3)
		q0 = c[0]*p0 + (g - q0)
		q1 = c[1]*p1 + (g - q1)
		q2 = c[2]*p2 + (g - q2)
		q3 = c[3]*p3 + (g - q3)
	}
	// After an even count q is the newest state: |X|² = q² + p² − c·q·p.
	var out [4]float64
	for j, s := range [4][2]float32{{q0, p0}, {q1, p1}, {q2, p2}, {q3, p3}} {
		a, b := float64(s[0]), float64(s[1])
		out[j] = a*a + b*b - float64(c[j])*a*b
	}
	return out
}

// block classifies a completed 20 ms block and advances the segments.
func (d *ProgressDetector) block() {
	var share, a2 [progMaxFreqs]float64
	var energy float64
	for _, v := range d.buf {
		energy += float64(v) * float64(v)
	}
	for k := 0; k < len(d.freqs); k += 4 {
		pw := d.goertzel4(k)
		for j, p := range pw {
			a2[k+j] = 4 * p / (progBlock * progBlock)
			if energy > 0 {
				share[k+j] = 2 * p / (progBlock * energy)
			}
		}
	}
	d.n = 0
	state, best := -1, 0.0
	for si, set := range d.sets {
		total, ok := 0.0, true
		for _, k := range set {
			if share[k] < progMinShare || a2[k] < d.minA2 {
				ok = false
				break
			}
			total += share[k]
		}
		if ok && total >= progSetShare && total > best {
			state, best = si, total
		}
	}
	blockStart := d.sample - progBlock
	switch {
	case state == d.cur.set:
		d.cur.blocks++
		if d.pending != -2 {
			d.cur.blocks++ // the odd block was a glitch: it belongs to cur
			d.pending = -2
		}
	case state == d.pending:
		// Two blocks agree: the segment changes at the first of them.
		d.endSegment()
		d.cur = progSegment{set: state, blocks: 2, start: d.pendAt}
		d.pending = -2
	default:
		if d.pending != -2 {
			d.cur.blocks++ // previous odd block: count it in cur
		}
		d.pending, d.pendAt = state, blockStart
	}
	d.checkOngoing()
}

// endSegment files the current segment and matches cadences.
func (d *ProgressDetector) endSegment() {
	if d.cur.blocks == 0 {
		return
	}
	copy(d.hist[:], d.hist[1:])
	d.hist[progHistory-1] = d.cur
	if d.nhist < progHistory {
		d.nhist++
	}
	seg := d.cur
	// Fax CNG: one 1100 Hz burst of 0.35–0.8 s.
	if seg.set == d.cngSet && seg.blocks >= 17 && seg.blocks <= 40 {
		d.report(ToneFaxCNG, -1, seg.start)
		return
	}
	// A reported cadenced tone ends when a segment departs from it.
	if d.repCycle >= 0 && !d.fits(d.repCycle, 1) {
		d.report(ToneNone, -1, seg.start)
	}
	if d.repCycle >= 0 {
		return
	}
	for ci, c := range d.cycles {
		if len(c.set) == 1 && c.dur[0] == 0 {
			continue // continuous: judged while it lasts (checkOngoing)
		}
		need := 3
		period := 0.0
		for _, b := range c.dur {
			period += b
		}
		if period*progBlock >= 3*8000 {
			need = 2 // long cadences (ringback): one on and one off suffice
		}
		if d.nhist >= need && d.fits(ci, need) {
			first := d.hist[progHistory-need]
			if first.set < 0 { // report from the first tone burst
				first = d.hist[progHistory-need+1]
			}
			d.report(c.tone, ci, first.start)
			return
		}
	}
}

// fits reports whether the last n completed segments match consecutive
// elements of cycle ci (at any rotation).
func (d *ProgressDetector) fits(ci, n int) bool {
	c := d.cycles[ci]
	if len(c.set) == 1 && c.dur[0] == 0 {
		return false
	}
	for rot := range c.set {
		ok := true
		for i := range n {
			seg := d.hist[progHistory-n+i]
			j := (rot + i) % len(c.set)
			want := c.dur[j]
			if seg.set != c.set[j] || math.Abs(float64(seg.blocks)-want) > progTolerance*want+2.25 {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// checkOngoing judges the segment in progress: continuous tones, answer
// tone, and the end of a reported tone (a segment running too long).
func (d *ProgressDetector) checkOngoing() {
	seg := d.cur
	switch {
	case d.repCycle < 0 && (d.reported == ToneFaxCED || d.reported == ToneDial):
		if seg.set != d.repSet() {
			d.report(ToneNone, -1, seg.start)
		}
		return
	case d.reported == ToneFaxCNG:
		if seg.blocks > 250 { // no new burst within 5 s
			d.report(ToneNone, -1, seg.start)
		}
		return
	case d.repCycle >= 0:
		// The current segment may not outlast its cadence element.
		c := d.cycles[d.repCycle]
		longest := 0.0
		for j, s := range c.set {
			if s == seg.set {
				longest = max(longest, c.dur[j])
			}
		}
		if float64(seg.blocks) > longest*(1+progTolerance)+3 {
			d.report(ToneNone, -1, seg.start)
		}
		return
	}
	if seg.set == d.cedSet && seg.blocks == 20 { // 400 ms of 2100 Hz
		d.report(ToneFaxCED, -1, seg.start)
		return
	}
	for _, c := range d.cycles {
		if len(c.set) == 1 && c.dur[0] == 0 && seg.set == c.set[0] && seg.blocks == d.dialMin {
			d.report(c.tone, -1, seg.start)
			return
		}
	}
}

// repSet is the frequency set of the reported continuous tone.
func (d *ProgressDetector) repSet() int {
	switch d.reported {
	case ToneFaxCED:
		return d.cedSet
	case ToneDial:
		for _, c := range d.cycles {
			if c.tone == ToneDial && len(c.set) == 1 {
				return c.set[0]
			}
		}
	}
	return -3
}

func (d *ProgressDetector) report(t ProgressTone, cycle int, at int64) {
	if t == d.reported {
		return
	}
	if t != ToneNone && d.reported != ToneNone {
		d.events = append(d.events, ProgressEvent{Tone: ToneNone, Sample: at})
	}
	d.reported = t
	d.repCycle = cycle
	d.events = append(d.events, ProgressEvent{Tone: t, Sample: at})
}

// LearnedTone is a cadenced tone measured from a recording.
type LearnedTone struct {
	Freq1, Freq2 float64 // Hz; Freq2 0 for a single tone
	On, Off      time.Duration
	LevelDBm0    float64 // per frequency component
	Cycles       int     // on/off cycles measured
}

// Spec renders the learned tone in indications notation, e.g.
// "425/350,0/350", ready for a custom zone.
func (l LearnedTone) Spec() ToneSpec {
	p := TonePart{Freq1: l.Freq1, Freq2: l.Freq2, Duration: l.On}
	return ToneSpec{Parts: []TonePart{p, {Duration: l.Off}}}
}

// LearnBusyTone measures an unknown line's busy (or any on/off cadenced)
// tone from a recording of at least three cycles: it splits the audio
// into on and off by level (halfway in dB between the loud blocks and the
// floor), takes the median on and off times, and finds the frequency (or
// two) by a 1 Hz-step DFT scan of 300–1000 Hz over the on segments. It
// is for installers whose lines' tones match no table: the result goes
// into a custom zone.
func LearnBusyTone(s []int16) (LearnedTone, error) {
	const blk = 80 // 10 ms
	nb := len(s) / blk
	if nb < 100 {
		return LearnedTone{}, errors.New("learn: recording too short (need at least 1 s)")
	}
	lv := make([]float64, nb)
	for b := range nb {
		var e float64
		for _, v := range s[b*blk : (b+1)*blk] {
			e += float64(v) * float64(v)
		}
		lv[b] = 10 * math.Log10(e/blk+1)
	}
	sorted := slices.Clone(lv)
	slices.Sort(sorted)
	floor, loud := sorted[nb/10], sorted[nb*9/10]
	if loud-floor < 10 {
		return LearnedTone{}, errors.New("learn: no on/off cadence found (level varies less than 10 dB)")
	}
	thr := (loud + floor) / 2
	// Segments of on/off, with 2-block debouncing.
	type seg struct {
		on         bool
		start, len int
	}
	var segs []seg
	on := lv[0] > thr
	start := 0
	for b := 1; b < nb; b++ {
		now := lv[b] > thr
		if now != on && b+1 < nb && (lv[b+1] > thr) == now {
			segs = append(segs, seg{on, start, b - start})
			on, start = now, b
		}
	}
	// Drop the first and last segments: the recording cuts them.
	if len(segs) > 2 {
		segs = segs[1:]
	}
	var ons, offs []int
	for _, g := range segs {
		if g.on {
			ons = append(ons, g.len)
		} else {
			offs = append(offs, g.len)
		}
	}
	if len(ons) < 2 || len(offs) < 2 {
		return LearnedTone{}, fmt.Errorf("learn: only %d on and %d off periods found; record at least three cycles", len(ons), len(offs))
	}
	slices.Sort(ons)
	slices.Sort(offs)
	l := LearnedTone{
		On:     time.Duration(ons[len(ons)/2]) * 10 * time.Millisecond,
		Off:    time.Duration(offs[len(offs)/2]) * 10 * time.Millisecond,
		Cycles: min(len(ons), len(offs)),
	}
	// Frequency scan over the interior of the on segments.
	var spec [701]float64 // 300…1000 Hz
	var nsamp int
	for _, g := range segs {
		if !g.on || g.len < 6 {
			continue
		}
		x := s[(g.start+2)*blk : (g.start+g.len-2)*blk]
		nsamp += len(x)
		for i := range spec {
			f := 300 + float64(i)
			c := 2 * math.Cos(2*math.Pi*f/8000)
			var p, q float64
			for _, v := range x {
				p, q = c*p-q+float64(v), p
			}
			spec[i] += (p*p + q*q - c*p*q) / float64(len(x))
		}
	}
	if nsamp == 0 {
		return LearnedTone{}, errors.New("learn: tone bursts too short to measure the frequency")
	}
	peak := func(exclude int) int {
		best := -1
		for i := range spec {
			if exclude >= 0 && progAbs(i-exclude) < 30 {
				continue
			}
			if best < 0 || spec[i] > spec[best] {
				best = i
			}
		}
		return best
	}
	p1 := peak(-1)
	l.Freq1 = 300 + float64(p1)
	if p2 := peak(p1); spec[p2] > spec[p1]/4 { // within 6 dB: a dual tone
		l.Freq2 = 300 + float64(p2)
		if l.Freq2 < l.Freq1 {
			l.Freq1, l.Freq2 = l.Freq2, l.Freq1
		}
	}
	// Level: power of the strongest component (|X|²/N = A²·N/4 per sample).
	a2 := 4 * spec[p1] / float64(nsamp)
	l.LevelDBm0 = 10 * math.Log10(a2/(Dbm0Peak*Dbm0Peak))
	return l, nil
}

func progAbs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
