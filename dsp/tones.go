package dsp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ToneSpec is a call-progress tone in the notation of Asterisk's
// indications.conf: a comma-separated list of elements
//
//	element = [!]freq[+freq2|*freq2][/duration_ms]
//
// freq 0 is silence; f1+f2 is a dual tone; f1*f2 is f1 amplitude-modulated
// by f2 (90% depth, as Asterisk); an element without a duration lasts until
// the tone is stopped; elements marked ! are played once, the others repeat
// from the first unmarked element. Examples: "425" (continuous),
// "425/330,0/330" (cadenced), "!425/100,!0/100,425" (stutter then steady).
type ToneSpec struct {
	Parts []TonePart
}

// TonePart is one element of a ToneSpec.
type TonePart struct {
	Freq1, Freq2 float64       // Hz; Freq1 0 = silence; Freq2 0 = single tone
	Modulated    bool          // Freq1 modulated by Freq2 instead of added to it
	Duration     time.Duration // 0 = until stopped
	Once         bool          // not repeated
}

// Limits ParseToneSpec enforces, so a hostile spec cannot ask for absurd tones.
const (
	maxToneParts    = 64
	maxToneDuration = 60 * time.Second
	maxToneFreq     = 3999 // below the 4 kHz Nyquist limit of 8 kHz audio
)

// ParseToneSpec parses Asterisk indications notation (see ToneSpec).
func ParseToneSpec(s string) (ToneSpec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ToneSpec{}, errors.New("tone: empty tone specification")
	}
	elems := strings.Split(s, ",")
	if len(elems) > maxToneParts {
		return ToneSpec{}, fmt.Errorf("tone: %d elements, at most %d", len(elems), maxToneParts)
	}
	t := ToneSpec{Parts: make([]TonePart, 0, len(elems))}
	for i, e := range elems {
		p, err := parseTonePart(strings.TrimSpace(e))
		if err != nil {
			return ToneSpec{}, fmt.Errorf("tone: element %d %q: %w", i+1, e, err)
		}
		t.Parts = append(t.Parts, p)
	}
	return t, nil
}

func parseTonePart(e string) (TonePart, error) {
	var p TonePart
	if strings.HasPrefix(e, "!") {
		p.Once = true
		e = e[1:]
	}
	freqs, dur, hasDur := strings.Cut(e, "/")
	if hasDur {
		ms, err := strconv.ParseUint(strings.TrimSpace(dur), 10, 32)
		if err != nil {
			return p, fmt.Errorf("bad duration %q", dur)
		}
		p.Duration = time.Duration(ms) * time.Millisecond
		if p.Duration > maxToneDuration {
			return p, fmt.Errorf("duration %v over %v", p.Duration, maxToneDuration)
		}
		if p.Duration == 0 {
			return p, errors.New("zero duration")
		}
	}
	sep := strings.IndexAny(freqs, "+*")
	f1 := freqs
	if sep >= 0 {
		f1 = freqs[:sep]
		p.Modulated = freqs[sep] == '*'
		f2, err := parseToneFreq(freqs[sep+1:])
		if err != nil {
			return p, err
		}
		if f2 == 0 {
			return p, errors.New("second frequency is zero")
		}
		p.Freq2 = f2
	}
	f, err := parseToneFreq(f1)
	if err != nil {
		return p, err
	}
	if f == 0 && p.Freq2 != 0 {
		return p, errors.New("silence cannot be combined with a frequency")
	}
	p.Freq1 = f
	return p, nil
}

func parseToneFreq(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "+*") {
		return 0, errors.New("at most two frequencies")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, fmt.Errorf("bad frequency %q", s)
	}
	if f < 0 || f > maxToneFreq {
		return 0, fmt.Errorf("frequency %g Hz outside 0–%d Hz", f, maxToneFreq)
	}
	return f, nil
}

// String renders the spec back in indications notation.
func (t ToneSpec) String() string {
	var b strings.Builder
	for i, p := range t.Parts {
		if i > 0 {
			b.WriteByte(',')
		}
		if p.Once {
			b.WriteByte('!')
		}
		b.WriteString(strconv.FormatFloat(p.Freq1, 'f', -1, 64))
		if p.Freq2 != 0 {
			if p.Modulated {
				b.WriteByte('*')
			} else {
				b.WriteByte('+')
			}
			b.WriteString(strconv.FormatFloat(p.Freq2, 'f', -1, 64))
		}
		if p.Duration > 0 {
			fmt.Fprintf(&b, "/%d", p.Duration.Milliseconds())
		}
	}
	return b.String()
}

// IsZero reports whether the spec has no elements (a tone a zone lacks).
func (t ToneSpec) IsZero() bool { return len(t.Parts) == 0 }

// mustTone parses a spec known to be valid (the zone table); a bad entry is
// a programming error caught by the zone tests.
func mustTone(s string) ToneSpec {
	t, err := ParseToneSpec(s)
	if err != nil {
		panic(err)
	}
	return t
}

// TonePlayer renders a ToneSpec as samples, frame after frame.
type TonePlayer struct {
	spec   ToneSpec
	amp    float64
	o1, o2 oscillator
	loop   int // index of the first repeated part; -1 when all are once
	part   int
	pos    int // sample within the part
	length int // samples in the part; 0 = endless
	done   bool
}

// NewTonePlayer returns a player for t with each frequency component at
// levelDBm0 (E.180 levels are per component: a 350+440 dial tone at
// −13 dBm0 has two components of −13 dBm0 each).
func NewTonePlayer(t ToneSpec, levelDBm0 float64) *TonePlayer {
	p := &TonePlayer{spec: t, amp: DBm0ToPeak(levelDBm0), loop: -1}
	for i, part := range t.Parts {
		if !part.Once {
			p.loop = i
			break
		}
	}
	p.Reset()
	return p
}

// Reset restarts the tone from its first element.
func (p *TonePlayer) Reset() {
	p.part, p.pos, p.done = 0, 0, len(p.spec.Parts) == 0
	if !p.done {
		p.startPart()
	}
}

// Read fills out with the next samples of the tone (silence once a
// non-repeating tone has ended).
func (p *TonePlayer) Read(out []int16) {
	for i := range out {
		if p.done {
			clear(out[i:])
			break
		}
		part := &p.spec.Parts[p.part]
		var v float64
		if part.Freq1 != 0 {
			s1 := p.o1.next()
			switch {
			case part.Freq2 == 0:
				v = p.amp * s1
			case part.Modulated:
				v = p.amp * s1 * (1 + 0.9*p.o2.next()) / 1.9
			default:
				v = p.amp * (s1 + p.o2.next())
			}
		}
		out[i] = sat16(v)
		p.pos++
		if p.length > 0 && p.pos >= p.length {
			p.next()
		}
	}
	p.o1.normalise()
	p.o2.normalise()
}

func (p *TonePlayer) next() {
	p.pos = 0
	p.part++
	if p.part >= len(p.spec.Parts) {
		if p.loop < 0 {
			p.done = true
			return
		}
		p.part = p.loop
	}
	p.startPart()
}

// startPart sets up the current element: its length and oscillators, each
// starting at phase zero (so every burst starts at a zero crossing).
func (p *TonePlayer) startPart() {
	part := p.spec.Parts[p.part]
	p.length = durSamples(part.Duration)
	p.o1.start(part.Freq1)
	p.o2.start(part.Freq2)
}

// oscillator is a sine generator by complex rotation: one complex
// multiply per sample instead of a math.Sin, renormalised once per Read so
// rounding never grows the amplitude.
type oscillator struct {
	re, im float64 // e^{jφ}
	c, s   float64 // e^{jω}
}

func (o *oscillator) start(freq float64) {
	o.re, o.im = 1, 0
	o.s, o.c = math.Sincos(2 * math.Pi * freq / 8000)
}

// next returns sin φ and advances φ by ω.
func (o *oscillator) next() float64 {
	v := o.im
	o.re, o.im = o.re*o.c-o.im*o.s, o.re*o.s+o.im*o.c
	return v
}

func (o *oscillator) normalise() {
	if m := o.re*o.re + o.im*o.im; m != 0 {
		g := (3 - m) / 2 // first-order 1/sqrt(m), m is within 1e-12 of 1
		o.re *= g
		o.im *= g
	}
}
