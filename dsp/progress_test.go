package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// cadenced renders spec with every element's duration jittered by up to
// ±jitter (relative), at level dBm0 per component, with white noise snr dB
// below the tone, for the given length.
func cadenced(r *rand.Rand, spec ToneSpec, level, jitter, snr float64, seconds float64) []int16 {
	n := int(seconds * 8000)
	s := make(sig, 0, n)
	loop := 0
	for i, p := range spec.Parts {
		if !p.Once {
			loop = i
			break
		}
	}
	a := DBm0ToPeak(level)
	for i := 0; len(s) < n; {
		p := spec.Parts[i]
		d := durSamples(p.Duration)
		if d == 0 {
			d = n - len(s)
		}
		d = int(float64(d) * (1 + jitter*(2*r.Float64()-1)))
		for k := 0; k < d && len(s) < n; k++ {
			t := float64(k) / 8000
			var v float64
			if p.Freq1 != 0 {
				v = a * math.Sin(2*math.Pi*p.Freq1*t)
				if p.Freq2 != 0 {
					v += a * math.Sin(2*math.Pi*p.Freq2*t)
				}
			}
			s = append(s, v)
		}
		i++
		if i == len(spec.Parts) {
			i = loop
		}
	}
	if snr < 100 {
		s.noise(r, level-snr)
	}
	return s.pcm()
}

func progressEvents(d *ProgressDetector, pcm []int16) []ProgressEvent {
	var ev []ProgressEvent
	for i := 0; i < len(pcm); i += 160 {
		ev = append(ev, d.Process(pcm[i:min(i+160, len(pcm))])...)
	}
	return ev
}

// firstTone is the first recognised tone and when it was reported.
func firstTone(ev []ProgressEvent) ProgressTone {
	for _, e := range ev {
		if e.Tone != ToneNone {
			return e.Tone
		}
	}
	return ToneNone
}

// TestProgressRoundTrip generates every zone's tones and recognises them,
// at several levels, with noise and with timing jitter.
func TestProgressRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	conds := []struct {
		level, jitter, snr float64
	}{{-10, 0, 200}, {-30, 0.1, 20}, {-20, 0.15, 15}, {-3, 0.05, 30}}
	for _, code := range ZoneCodes() {
		z, _ := LookupZone(code)
		for _, c := range conds {
			for _, tc := range []struct {
				tone ProgressTone
				spec ToneSpec
			}{{ToneDial, z.Dial}, {ToneBusy, z.Busy}, {ToneCongestion, z.Congestion}, {ToneRingback, z.Ringback}} {
				seconds := 4.0
				if tc.tone == ToneRingback {
					seconds = 14
				}
				pcm := cadenced(r, tc.spec, c.level, c.jitter, c.snr, seconds)
				got := firstTone(progressEvents(NewProgressDetector(z), pcm))
				want := tc.tone
				if tc.tone == ToneCongestion && sameCadence(z.Busy, z.Congestion) {
					want = ToneBusy
				}
				if got != want {
					t.Errorf("zone %s %v (%s) at %g dBm0, jitter %g, SNR %g: got %v", code, tc.tone, tc.spec, c.level, c.jitter, c.snr, got)
				}
			}
		}
	}
}

func sameCadence(a, b ToneSpec) bool { return a.String() == b.String() }

func TestProgressEndsAndTimes(t *testing.T) {
	z, _ := LookupZone("ru")
	r := rand.New(rand.NewPCG(1, 1))
	silence := make([]int16, 16000)
	busy := cadenced(r, z.Busy, -15, 0, 200, 3)
	pcm := append(append(append([]int16{}, silence...), busy...), silence...)
	ev := progressEvents(NewProgressDetector(z), pcm)
	if len(ev) != 2 || ev[0].Tone != ToneBusy || ev[1].Tone != ToneNone {
		t.Fatalf("events %v", ev)
	}
	if ev[0].Sample < 16000-160 || ev[0].Sample > 16000+320 {
		t.Errorf("busy reported from sample %d, want ≈16000", ev[0].Sample)
	}
	if end := int64(16000 + len(busy)); ev[1].Sample < end-2800-320 || ev[1].Sample > end+320 {
		t.Errorf("end at sample %d, want ≤ %d", ev[1].Sample, end)
	}
}

func TestProgressRejects(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	z, _ := LookupZone("de")
	cases := map[string][]int16{
		"silence":         make([]int16, 40000),
		"noise -20 dBm0":  func() []int16 { s := make(sig, 40000); s.noise(r, -20); return s.pcm() }(),
		"wrong frequency": cadenced(r, mustTone("600/480,0/480"), -10, 0, 200, 5),
		"wrong cadence":   cadenced(r, mustTone("425/700,0/150"), -10, 0, 200, 8),
		"too weak":        cadenced(r, z.Busy, -50, 0, 200, 5),
	}
	for name, pcm := range cases {
		if ev := progressEvents(NewProgressDetector(z), pcm); len(ev) != 0 {
			t.Errorf("%s: events %v", name, ev)
		}
	}
	// Speech does not make call-progress tones either.
	if clips := synthSpeechMaybe(t); clips != nil {
		n := 0
		for name, pcm := range clips {
			if ev := progressEvents(NewProgressDetector(z), pcm); len(ev) != 0 {
				t.Errorf("speech %s: %v", name, ev)
			}
			if n++; n == 12 {
				break
			}
		}
	}
}

// synthSpeechMaybe returns the talk-off corpus when espeak-ng is there.
func synthSpeechMaybe(t *testing.T) map[string][]int16 {
	var out map[string][]int16
	t.Run("speech", func(t *testing.T) { out = talkoffCorpus(t).speech })
	return out
}

func TestProgressFax(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	z, _ := LookupZone("us")
	cng := cadenced(r, mustTone("1100/500,0/3000"), -15, 0.05, 25, 8)
	if got := firstTone(progressEvents(NewProgressDetector(z), cng)); got != ToneFaxCNG {
		t.Errorf("CNG: got %v", got)
	}
	// CED / ANSam-like: 2100 Hz with phase reversals every 450 ms.
	ced := make(sig, 8000*3)
	ph := 0.0
	for i := range ced {
		if i > 0 && i%3600 == 0 {
			ph += math.Pi
		}
		ced[i] = DBm0ToPeak(-12) * math.Sin(2*math.Pi*2100*float64(i)/8000+ph)
	}
	ev := progressEvents(NewProgressDetector(z), ced.pcm())
	if firstTone(ev) != ToneFaxCED || len(ev) != 1 {
		t.Errorf("CED: %v", ev)
	}
	if ev[0].Sample > 320 {
		t.Errorf("CED start %d", ev[0].Sample)
	}
}

func TestProgressZeroAllocs(t *testing.T) {
	z, _ := LookupZone("uk")
	d := NewProgressDetector(z)
	p := NewTonePlayer(z.Congestion, -10)
	frame := make([]int16, 160)
	if n := testing.AllocsPerRun(1000, func() { p.Read(frame); d.Process(frame) }); n != 0 {
		t.Fatalf("%v allocs per frame", n)
	}
}

func TestLearnBusyTone(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, c := range []struct {
		spec    string
		f1, f2  float64
		on, off time.Duration
		level   float64
	}{
		{"425/350,0/350", 425, 0, 350 * ms, 350 * ms, -15},
		{"480+620/500,0/500", 480, 620, 500 * ms, 500 * ms, -20},
		{"400/375,0/375", 400, 0, 375 * ms, 375 * ms, -25},
		{"450/750,0/750", 450, 0, 750 * ms, 750 * ms, -12},
	} {
		pcm := cadenced(r, mustTone(c.spec), c.level, 0.05, 25, 6)
		l, err := LearnBusyTone(pcm)
		if err != nil {
			t.Errorf("%s: %v", c.spec, err)
			continue
		}
		near := func(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
		if !near(l.Freq1, c.f1, 3) || !near(l.Freq2, c.f2, 3) ||
			!near(float64(l.On), float64(c.on), float64(40*ms)) || !near(float64(l.Off), float64(c.off), float64(40*ms)) ||
			!near(l.LevelDBm0, c.level, 1.5) {
			t.Errorf("%s: learned %+v", c.spec, l)
		}
		if got := l.Spec().String(); got == "" {
			t.Error("empty spec")
		}
	}
	if _, err := LearnBusyTone(make([]int16, 40000)); err == nil {
		t.Error("silence learned")
	}
	if _, err := LearnBusyTone(cadenced(r, mustTone("425"), -10, 0, 200, 4)); err == nil {
		t.Error("continuous tone learned as busy")
	}
	_ = fmt.Sprint()
}
