package dsp

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// sig is a test signal under construction, in float64 so that sums of
// components do not clip before the end.
type sig []float64

// tone adds a sine of freq Hz at level dBm0 from sample at for n samples.
func (s sig) tone(at, n int, freq, level float64) {
	a := DBm0ToPeak(level)
	for i := 0; i < n && at+i < len(s); i++ {
		s[at+i] += a * math.Sin(2*math.Pi*freq*float64(i)/8000+0.3)
	}
}

// noise adds white Gaussian noise of the given mean square power (dBm0 of
// the equivalent sine power).
func (s sig) noise(r *rand.Rand, level float64) {
	sd := DBm0ToPeak(level) / math.Sqrt2
	for i := range s {
		s[i] += r.NormFloat64() * sd
	}
}

func (s sig) pcm() []int16 {
	out := make([]int16, len(s))
	for i, v := range s {
		out[i] = sat16(v)
	}
	return out
}

// dtmfSpec describes one digit for the conformance signals.
type dtmfSpec struct {
	digit               byte
	on                  int     // samples
	lowLvl, highLvl     float64 // dBm0
	lowOffs, highOffs   float64 // relative frequency offsets (0.02 = +2%)
	lowOffHz, highOffHz float64
}

func (sp dtmfSpec) add(s sig, at int) {
	k := dtmfIndex(sp.digit)
	f := dtmfFreqs()
	s.tone(at, sp.on, f[k/4]*(1+sp.lowOffs)+sp.lowOffHz, sp.lowLvl)
	s.tone(at, sp.on, f[4+k%4]*(1+sp.highOffs)+sp.highOffHz, sp.highLvl)
}

func detectAll(d *DTMFDetector, pcm []int16, frame int) []DTMFEvent {
	var got []DTMFEvent
	for i := 0; i < len(pcm); i += frame {
		got = append(got, d.Process(pcm[i:min(i+frame, len(pcm))])...)
	}
	return got
}

func digitsOf(ev []DTMFEvent) string {
	var b strings.Builder
	for _, e := range ev {
		b.WriteByte(e.Digit)
	}
	return b.String()
}

func TestDTMFRoundTripAllDigits(t *testing.T) {
	g := NewDTMFGenerator(DTMFGenConfig{})
	const digits = "0123456789*#ABCD"
	if err := g.Queue(digits); err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 8000*4)
	g.Read(pcm)
	if g.Busy() {
		t.Fatal("generator still busy")
	}
	for _, frame := range []int{160, 1, 37, 4000} {
		ev := detectAll(NewDTMFDetector(), pcm, frame)
		if got := digitsOf(ev); got != digits {
			t.Fatalf("frame %d: got %q want %q", frame, got, digits)
		}
		for i, e := range ev {
			want := int64(i * 1600)
			if e.Sample < want-16 || e.Sample > want+16 {
				t.Errorf("frame %d digit %c at sample %d, want %d±16", frame, e.Digit, e.Sample, want)
			}
		}
	}
}

func TestDTMFGeneratorQueueRejectsInvalid(t *testing.T) {
	g := NewDTMFGenerator(DTMFGenConfig{})
	if err := g.Queue("12x"); err == nil {
		t.Fatal("no error for x")
	}
	if g.Busy() {
		t.Fatal("partial queue after error")
	}
}

// TestDTMFGeneratorLevels checks levels, twist and timing of the generator
// by measuring its output directly.
func TestDTMFGeneratorLevels(t *testing.T) {
	g := NewDTMFGenerator(DTMFGenConfig{LevelDBm0: -10, TwistDB: 2, On: 60 * time.Millisecond, Off: 40 * time.Millisecond})
	if err := g.Queue("1"); err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 1000)
	if !g.Read(out) {
		t.Fatal("not active")
	}
	on := 0
	for i, v := range out {
		if v != 0 {
			on = i + 1
		}
	}
	if on < 470 || on > 480 {
		t.Errorf("tone lasts %d samples, want 480", on)
	}
	low := goertzelLevel(out[:480], 697)
	high := goertzelLevel(out[:480], 1209)
	if math.Abs(low+10) > 0.2 || math.Abs(high+8) > 0.2 {
		t.Errorf("levels %.2f/%.2f dBm0, want -10/-8", low, high)
	}
	if g.Read(out[:160]) || g.Busy() {
		t.Error("still active after the digit")
	}
}

// goertzelLevel measures the level in dBm0 of the sine at f in x.
func goertzelLevel(x []int16, f float64) float64 {
	var re, im float64
	for n, v := range x {
		w := 2 * math.Pi * f * float64(n) / 8000
		re += float64(v) * math.Cos(w)
		im -= float64(v) * math.Sin(w)
	}
	a := 2 * math.Hypot(re, im) / float64(len(x))
	return 20 * math.Log10(a/Dbm0Peak)
}

func TestDTMFConformance(t *testing.T) {
	base := dtmfSpec{on: 400, lowLvl: -10, highLvl: -10}
	type tc struct {
		name   string
		mod    func(*dtmfSpec)
		accept bool
	}
	var cases []tc
	// Frequency tolerance, each tone, both signs: accept ±(1.5%+2 Hz), reject ±3.5%.
	for _, sign := range []float64{1, -1} {
		for _, low := range []bool{true, false} {
			grp := "high"
			if low {
				grp = "low"
			}
			cases = append(cases,
				tc{fmt.Sprintf("%s %+.1f%%+2Hz", grp, sign*1.5), func(sp *dtmfSpec) {
					if low {
						sp.lowOffs, sp.lowOffHz = sign*0.015, sign*2
					} else {
						sp.highOffs, sp.highOffHz = sign*0.015, sign*2
					}
				}, true},
				tc{fmt.Sprintf("%s %+.1f%%", grp, sign*3.5), func(sp *dtmfSpec) {
					if low {
						sp.lowOffs = sign * 0.035
					} else {
						sp.highOffs = sign * 0.035
					}
				}, false},
			)
		}
	}
	cases = append(cases,
		tc{"normal twist 8 dB", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -10, -18 }, true},
		tc{"reverse twist 4 dB", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -14, -10 }, true},
		tc{"normal twist 14 dB", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -8, -22 }, false},
		tc{"reverse twist 8 dB", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -18, -10 }, false},
		tc{"level -3 dBm0", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -3, -3 }, true},
		tc{"level -27 dBm0", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -27, -27 }, true},
		tc{"-25 dBm0 low, 8 dB normal twist", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -25, -33 }, true},
		tc{"-27 dBm0 high, 4 dB reverse twist", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -31, -27 }, true},
		tc{"level -40 dBm0", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -40, -40 }, false},
		tc{"level -45 dBm0", func(sp *dtmfSpec) { sp.lowLvl, sp.highLvl = -45, -45 }, false},
		tc{"40 ms", func(sp *dtmfSpec) { sp.on = 320 }, true},
		tc{"20 ms", func(sp *dtmfSpec) { sp.on = 160 }, false},
		tc{"15 ms", func(sp *dtmfSpec) { sp.on = 120 }, false},
	)
	for _, c := range cases {
		for _, digit := range []byte(dtmfDigits) {
			sp := base
			sp.digit = digit
			c.mod(&sp)
			// Vary the alignment against the detector's blocks.
			for _, shift := range []int{0, 13, 26, 40} {
				s := make(sig, 6000)
				sp.add(s, 1000+shift)
				got := digitsOf(detectAll(NewDTMFDetector(), s.pcm(), 160))
				want := ""
				if c.accept {
					want = string(digit)
				}
				if got != want {
					t.Errorf("%s digit %c shift %d: got %q want %q", c.name, digit, shift, got, want)
				}
			}
		}
	}
}

func TestDTMFZeroAllocs(t *testing.T) {
	g := NewDTMFGenerator(DTMFGenConfig{On: 50 * time.Millisecond, Off: 50 * time.Millisecond})
	d := NewDTMFDetector()
	frame := make([]int16, 160)
	n := testing.AllocsPerRun(2000, func() {
		if !g.Busy() {
			_ = g.Queue("1234567890")
		}
		g.Read(frame)
		d.Process(frame)
	})
	if n != 0 {
		t.Fatalf("%.2f allocations per frame", n)
	}
}

func TestDTMFMathApprox(t *testing.T) {
	for y := -3.0; y <= 3; y += 0.01 {
		for _, x := range []float64{-2, -0.5, 0, 0.3, 1, 5} {
			if d := math.Abs(fastAtan2(y, x) - math.Atan2(y, x)); d > 3e-4 && !(x == 0 && y == 0) {
				t.Fatalf("atan2(%g,%g) off by %g", y, x, d)
			}
		}
	}
	for off := -80.0; off <= 80; off += 0.5 {
		for _, n := range []int{dtmfSub, dtmfWin} {
			x := math.Pi * off / 8000
			want := 1.0
			if off != 0 {
				v := math.Sin(x*float64(n)) / (float64(n) * math.Sin(x))
				want = v * v
			}
			if d := math.Abs(dirichlet2(off, n) - want); d > 1e-3 {
				t.Fatalf("dirichlet2(%g,%d) = %g want %g", off, n, dirichlet2(off, n), want)
			}
		}
	}
}

// TestDTMFIntDFT checks the packed-integer DFT (bank and the held-digit
// pair) against a float64 Goertzel of the same sub-block.
func TestDTMFIntDFT(t *testing.T) {
	for _, packed := range []bool{true, false} {
		d := NewDTMFDetector()
		d.packed = packed
		r := rand.New(rand.NewPCG(3, 4))
		var x [dtmfSub]int16
		for i := range x {
			x[i] = sat16(r.NormFloat64()*6000 + 9000*math.Sin(float64(i)*0.6))
		}
		x[7], x[8] = 32767, -32768 // extremes must not overflow the sums
		var full, pair dtmfSubResult
		d.dft4Int(&x, 0, &full)
		d.dft4Int(&x, 4, &full)
		for k, f := range dtmfFreqs() {
			w := 2 * math.Pi * f / 8000
			var p, q float64
			for _, v := range x {
				p, q = 2*math.Cos(w)*p-q+float64(v), p
			}
			re, im := p-math.Cos(w)*q, math.Sin(w)*q
			mag := math.Hypot(re, im)
			if math.Hypot(float64(full.re[k])-re, float64(full.im[k])-im) > 1e-3*mag+50 {
				t.Errorf("packed %v bin %d: int %v%+vi float %v%+vi", packed, k, full.re[k], full.im[k], re, im)
			}
		}
		for _, b := range [][2]int{{0, 4}, {1, 5}, {2, 6}, {3, 7}, {0, 7}} {
			d.dft2Int(&x, b[0], b[1], &pair)
			for _, k := range b {
				if pair.re[k] != full.re[k] || pair.im[k] != full.im[k] {
					t.Errorf("packed %v bin %d: pair %v%+vi bank %v%+vi", packed, k, pair.re[k], pair.im[k], full.re[k], full.im[k])
				}
			}
		}
	}
}

// TestDTMF32BitPath runs the round trip and the conditions through the
// int32 DFT used on 32-bit machines.
func TestDTMF32BitPath(t *testing.T) {
	g := NewDTMFGenerator(DTMFGenConfig{On: 40 * time.Millisecond, Off: 40 * time.Millisecond, LevelDBm0: -27})
	const digits = "0123456789*#ABCD"
	_ = g.Queue(digits)
	pcm := make([]int16, 8000*2)
	g.Read(pcm)
	d := NewDTMFDetector()
	d.packed = false
	if got := digitsOf(detectAll(d, pcm, 160)); got != digits {
		t.Fatalf("int32 path: got %q", got)
	}
	d.Reset()
	if d.packed {
		t.Error("Reset lost the table form")
	}
	if NewDTMFDetector().packed != (bits.UintSize == 64) {
		t.Error("packed form not chosen by word size")
	}
}

// TestDTMFConditions covers the timing and interference limits on both
// sides: noise at 15 dB SNR, continuous dial tones, 40/40 ms sequences,
// interruptions, repeats.
func TestDTMFConditions(t *testing.T) {
	const all = "0123456789*#ABCD"
	// seq lays digits out with on/off durations (samples) from sample 800.
	seq := func(digits string, on, off int, lvl float64) sig {
		s := make(sig, 800+len(digits)*(on+off)+1600)
		for i := range len(digits) {
			dtmfSpec{digit: digits[i], on: on, lowLvl: lvl, highLvl: lvl}.add(s, 800+i*(on+off))
		}
		return s
	}
	r := rand.New(rand.NewPCG(7, 8))
	cases := []struct {
		name string
		make func() sig
		want string
	}{
		{"40 ms on / 40 ms off", func() sig { return seq(all, 320, 320, -10) }, all},
		{"40/40 at -27 dBm0", func() sig { return seq(all, 320, 320, -27) }, all},
		{"repeated digit 40/40", func() sig { return seq("5555", 320, 320, -10) }, "5555"},
		{"repeated digit, 10 ms gaps (one press)", func() sig {
			s := seq("7", 1600, 0, -10)
			for _, at := range []int{800 + 400, 800 + 1000} {
				for i := at; i < at+80; i++ {
					s[i] = 0
				}
			}
			return s
		}, "7"},
		{"white noise, 15 dB SNR", func() sig {
			s := seq(all, 400, 400, -10)
			s.noise(r, -10+3-15) // two tones at −10 dBm0 = −7 dBm0 total
			return s
		}, all},
		{"white noise, 15 dB SNR, -20 dBm0", func() sig {
			s := seq(all, 400, 400, -20)
			s.noise(r, -20+3-15)
			return s
		}, all},
		{"over 425 Hz dial tone at -10 dBm0", func() sig {
			s := seq(all, 400, 400, -10)
			s.tone(0, len(s), 425, -10)
			return s
		}, all},
		{"over 350+440 Hz dial tone, -13 dBm0 each", func() sig {
			s := seq(all, 400, 400, -10)
			s.tone(0, len(s), 350, -13)
			s.tone(0, len(s), 440, -13)
			return s
		}, all},
		{"dial tone alone", func() sig {
			s := make(sig, 16000)
			s.tone(0, len(s), 425, -3)
			s.tone(0, len(s), 350, -10)
			s.tone(0, len(s), 440, -10)
			return s
		}, ""},
		{"noise alone at -10 dBm0", func() sig {
			s := make(sig, 40000)
			s.noise(r, -10)
			return s
		}, ""},
		{"single tones alone", func() sig {
			s := make(sig, 8*2000)
			for i, f := range dtmfFreqs() {
				s.tone(i*2000, 1600, f, -5)
			}
			return s
		}, ""},
	}
	for _, c := range cases {
		s := c.make()
		if got := digitsOf(detectAll(NewDTMFDetector(), s.pcm(), 160)); got != c.want {
			t.Errorf("%s: got %q want %q", c.name, got, c.want)
		}
	}
	// Through G.711 (what an FXO or SIP leg delivers), at the weak end of
	// the level range with twist, 40/40 ms.
	for _, law := range []string{"ulaw", "alaw"} {
		s := make(sig, 800+16*640+1600)
		for i := range 16 {
			dtmfSpec{digit: all[i], on: 320, lowLvl: -25, highLvl: -29}.add(s, 800+i*640)
		}
		pcm := s.pcm()
		enc := make([]byte, len(pcm))
		if law == "ulaw" {
			EncodeULaw(enc, pcm)
			DecodeULaw(pcm, enc)
		} else {
			EncodeALaw(enc, pcm)
			DecodeALaw(pcm, enc)
		}
		if got := digitsOf(detectAll(NewDTMFDetector(), pcm, 160)); got != all {
			t.Errorf("G.711 %s at -25/-29 dBm0: got %q", law, got)
		}
	}
}
