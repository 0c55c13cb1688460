package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// fskCond is one line condition of the conformance table.
type fskCond struct {
	name    string
	level   float64 // dBm0
	snr     float64 // dB, white noise over 0–4 kHz; 0 = no noise
	offset  float64 // relative carrier frequency offset
	law     string  // "", "ulaw", "alaw"
	corrupt bool    // flip one message bit in the air
	baud    int     // bit rate if not 1200
	seizure int     // channel seizure bits if not 300 (-1: none)
	mark    int     // mark bits if not 180
}

// fskLine renders msg through the condition.
func fskLine(std FSKStandard, c fskCond, msg []byte, seed uint64) []int16 {
	m := NewFSKModulator(std, c.level)
	m.mark *= 1 + c.offset
	m.space *= 1 + c.offset
	if c.baud != 0 {
		m.baud = c.baud
	}
	switch {
	case c.seizure < 0:
		m.seizure = 0
	case c.seizure > 0:
		m.seizure = c.seizure
	}
	switch {
	case c.mark < 0:
		m.markBits = 0
	case c.mark > 0:
		m.markBits = c.mark
	}
	m.Queue(msg)
	sig := make([]float64, 800) // 100 ms before
	frame := make([]int16, 160)
	for m.Read(frame) {
		for _, v := range frame {
			sig = append(sig, float64(v))
		}
	}
	sig = append(sig, make([]float64, 1600)...)
	if c.corrupt {
		// Invert 2 samples short of one bit in the middle of the
		// message's 3rd byte: the receiver sees a wrong data bit.
		start := 800 + (fskSeizureBits+fskMarkBits+2*10+4)*fskBitUnits/fskUnit
		for i := start; i < start+6; i++ {
			// Replace the tone with its other frequency (same phase):
			// crude but effective bit error.
			sig[i] = -sig[i]
		}
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	if c.snr != 0 {
		ps := DBm0ToPeak(c.level)
		sigma := math.Sqrt(ps * ps / 2 / math.Pow(10, c.snr/10))
		for i := range sig {
			sig[i] += rng.NormFloat64() * sigma
		}
	}
	out := make([]int16, len(sig))
	for i, v := range sig {
		out[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	switch c.law {
	case "ulaw":
		b := make([]byte, len(out))
		EncodeULaw(b, out)
		DecodeULaw(out, b)
	case "alaw":
		b := make([]byte, len(out))
		EncodeALaw(b, out)
		DecodeALaw(out, b)
	}
	return out
}

func decodeAll(std FSKStandard, sig []int16) []CallerIDMessage {
	d := NewCallerIDDecoder(std)
	var got []CallerIDMessage
	for i := 0; i < len(sig); i += 160 {
		if m, ok := d.Process(sig[i:min(i+160, len(sig))]); ok {
			got = append(got, m)
		}
	}
	return got
}

// TestFSKConformance is the caller ID conformance table: every message
// format of callerIDCases, both standards, each condition; accept rows
// must decode every message exactly, reject rows must report nothing.
func TestFSKConformance(t *testing.T) {
	conds := []struct {
		c      fskCond
		accept bool
	}{
		{fskCond{name: "nominal -13.5 dBm0", level: -13.5}, true},
		{fskCond{name: "max level -3 dBm0", level: -3}, true},
		{fskCond{name: "min level -40 dBm0", level: -40}, true},
		{fskCond{name: "below range -50 dBm0", level: -50}, false},
		{fskCond{name: "20 dB SNR at -13.5 dBm0", level: -13.5, snr: 20}, true},
		{fskCond{name: "20 dB SNR at -40 dBm0", level: -40, snr: 20}, true},
		{fskCond{name: "20 dB SNR at -3 dBm0", level: -3, snr: 20}, true},
		{fskCond{name: "offset +1%", level: -13.5, offset: 0.01}, true},
		{fskCond{name: "offset -1%", level: -13.5, offset: -0.01}, true},
		{fskCond{name: "offset +1% at -40 dBm0, 20 dB SNR", level: -40, snr: 20, offset: 0.01}, true},
		{fskCond{name: "offset -1% at -40 dBm0, 20 dB SNR", level: -40, snr: 20, offset: -0.01}, true},
		{fskCond{name: "mu-law", level: -13.5, law: "ulaw"}, true},
		{fskCond{name: "A-law", level: -13.5, law: "alaw"}, true},
		{fskCond{name: "mu-law -40 dBm0 20 dB SNR -1%", level: -40, snr: 20, offset: -0.01, law: "ulaw"}, true},
		{fskCond{name: "A-law -40 dBm0 20 dB SNR +1%", level: -40, snr: 20, offset: 0.01, law: "alaw"}, true},
		{fskCond{name: "A-law -3 dBm0", level: -3, law: "alaw"}, true},
		{fskCond{name: "bit rate +1%", level: -13.5, baud: 1212}, true},
		{fskCond{name: "bit rate -1%", level: -13.5, baud: 1188}, true},
		{fskCond{name: "bit rate -1%, -40 dBm0, 20 dB SNR", level: -40, snr: 20, baud: 1188}, true},
		{fskCond{name: "no channel seizure, 55-bit mark (ETSI minimum)", level: -13.5, seizure: -1, mark: 55}, true},
		{fskCond{name: "short mark, 12 bits", level: -13.5, mark: 12}, true},
		{fskCond{name: "no mark signal", level: -13.5, seizure: -1, mark: -1}, false},
		{fskCond{name: "corrupted byte", level: -13.5, corrupt: true}, false},
		{fskCond{name: "corrupted byte, A-law", level: -13.5, corrupt: true, law: "alaw"}, false},
	}
	// Deep in noise the decoder may lose messages but must never report
	// a wrong one: the checksum and framing checks stand guard.
	drowned := []fskCond{
		{name: "drowned: -10 dB SNR", level: -20, snr: -10},
		{name: "drowned: -15 dB SNR", level: -20, snr: -15},
	}
	for _, std := range []FSKStandard{Bell202, V23} {
		for _, cc := range conds {
			t.Run(fmt.Sprintf("%v/%s", std, cc.c.name), func(t *testing.T) {
				fails := 0
				for k, mc := range callerIDCases {
					msg, err := EncodeCallerID(mc.m)
					if err != nil {
						t.Fatal(err)
					}
					got := decodeAll(std, fskLine(std, cc.c, msg, uint64(k)))
					switch {
					case cc.accept && (len(got) != 1 || got[0] != mc.m):
						t.Errorf("%s: decoded %+v", mc.name, got)
						fails++
					case !cc.accept && len(got) != 0:
						t.Errorf("%s: reported %+v", mc.name, got)
						fails++
					}
				}
				if fails > 0 {
					t.Logf("%d of %d messages wrong", fails, len(callerIDCases))
				}
			})
		}
		for _, c := range drowned {
			t.Run(fmt.Sprintf("%v/%s", std, c.name), func(t *testing.T) {
				decoded := 0
				for k, mc := range callerIDCases {
					msg, _ := EncodeCallerID(mc.m)
					for _, g := range decodeAll(std, fskLine(std, c, msg, uint64(k))) {
						if g != mc.m {
							t.Errorf("%s: wrong message %+v", mc.name, g)
						}
						decoded++
					}
				}
				t.Logf("%d of %d decoded", decoded, len(callerIDCases))
			})
		}
	}
}

// TestFSKBackToBack decodes two transmissions in a row on one decoder
// (e.g. message-waiting then a call), in frames of odd sizes.
func TestFSKBackToBack(t *testing.T) {
	for _, std := range []FSKStandard{Bell202, V23} {
		a, _ := EncodeCallerID(CallerIDMessage{HasMessageWaiting: true, MessageWaiting: true, MDMF: true})
		b, _ := EncodeCallerID(sampleMessage())
		m := NewFSKModulator(std, -10)
		m.Queue(a)
		m.Queue(b)
		var sig []int16
		buf := make([]int16, 37)
		for m.Read(buf) {
			sig = append(sig, buf...)
		}
		sig = append(sig, make([]int16, 400)...)
		d := NewCallerIDDecoder(std)
		var got []CallerIDMessage
		for i := 0; i < len(sig); i += 53 {
			if msg, ok := d.Process(sig[i:min(i+53, len(sig))]); ok {
				got = append(got, msg)
			}
		}
		if len(got) != 2 || !got[0].MessageWaiting || got[1] != sampleMessage() {
			t.Fatalf("%v: %+v", std, got)
		}
	}
}

// TestFSKNoFalseMessages runs the decoder over noise, speech-like
// signals and tones: nothing may be reported.
func TestFSKNoFalseMessages(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sig := make([]int16, 8000*20)
	for i := range sig {
		switch {
		case i < 8000*5: // white noise at about -10 dBm0
			sig[i] = int16(rng.NormFloat64() * 5000)
		case i < 8000*10: // voiced speech-like signal
			sig[i] = 0
		case i < 8000*15: // alternating mark/space tones at random, no framing
			sig[i] = int16(8000 * math.Sin(2*math.Pi*1200*float64(i)/8000*(1+float64((i/7)%2)*0.83)))
		default: // random bytes properly FSK modulated without a valid message
		}
	}
	copy(sig[8000*5:], voiced(8000*5, 73, 12000))
	m := NewFSKModulator(Bell202, -10)
	junk := make([]byte, 300)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	junk[0] = msgMDMF // plausible type, random rest: checksum must fail
	m.Queue(junk)
	tail := sig[8000*15:]
	for m.Read(tail[:160]) {
		tail = tail[160:]
		if len(tail) < 160 {
			break
		}
	}
	for _, std := range []FSKStandard{Bell202, V23} {
		if got := decodeAll(std, sig); len(got) != 0 {
			t.Errorf("%v: false messages %+v", std, got)
		}
	}
}

func TestFSKModulatorPhaseContinuity(t *testing.T) {
	m := NewFSKModulator(V23, -3)
	m.Queue([]byte{0x00, 0xFF, 0x55, 0xAA})
	var sig []int16
	buf := make([]int16, 13)
	for m.Read(buf) {
		sig = append(sig, buf...)
	}
	// A phase-continuous FSK at ≤2100 Hz never changes by more than
	// peak·2·sin(π·2100/8000) between samples.
	limit := DBm0ToPeak(-3)*2*math.Sin(math.Pi*2100/8000) + 2
	for i := 1; i < len(sig); i++ {
		if sig[i] == 0 && sig[i-1] == 0 {
			continue
		}
		if d := math.Abs(float64(sig[i]) - float64(sig[i-1])); d > limit {
			t.Fatalf("jump of %v at sample %d (limit %v)", d, i, limit)
		}
	}
	wantBits := fskSeizureBits + fskMarkBits + 4*10 + fskTrailBits
	if n := len(sig) - len(sig)%13; n < wantBits*20/3-13 || n > wantBits*20/3+13 {
		t.Fatalf("%d samples for %d bits", len(sig), wantBits)
	}
	if m.Read(buf) || buf[0] != 0 {
		t.Fatal("idle modulator not silent")
	}
}

func TestFSKAllocs(t *testing.T) {
	msg, _ := EncodeCallerID(sampleMessage())
	m := NewFSKModulator(Bell202, -10)
	m.Queue(msg)
	d := NewCallerIDDecoder(Bell202)
	f := make([]int16, 160)
	a := testing.AllocsPerRun(100, func() {
		m.Read(f)
		d.Process(f)
	})
	if a != 0 {
		t.Fatalf("%v allocations per frame", a)
	}
}

func sampleMessage() CallerIDMessage {
	return CallerIDMessage{Time: time.Date(0, 3, 14, 15, 9, 0, 0, time.UTC), HasTime: true, Number: "0123456789", Name: "ALICE SMITH", MDMF: true}
}

func BenchmarkCallerIDDecoder(b *testing.B) {
	msg, _ := EncodeCallerID(sampleMessage())
	sig := fskLine(V23, fskCond{level: -20, snr: 30}, msg, 1)
	d := NewCallerIDDecoder(V23)
	n := 0
	cpuPerSample(b, 160, func() {
		if n+160 > len(sig) {
			n = 0
		}
		d.Process(sig[n : n+160])
		n += 160
	})
}

func BenchmarkFSKModulator(b *testing.B) {
	msg, _ := EncodeCallerID(sampleMessage())
	m := NewFSKModulator(V23, -13.5)
	f := make([]int16, 160)
	cpuPerSample(b, 160, func() {
		if !m.Read(f) {
			m.Queue(msg)
		}
	})
}
