package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"minipbx/dsp/audiofile"
)

func dspRun(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runDSP(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestDSPDTMFRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"pcm", "ulaw", "alaw"} {
		wav := filepath.Join(dir, format+".wav")
		if _, stderr, err := dspRun(t, "gen", "dtmf", "-format", format, "-on", "80ms", "-off", "120ms", "-o", wav, "159#0*AD"); err != nil {
			t.Fatalf("gen %s: %v %s", format, err, stderr)
		}
		out, _, err := dspRun(t, "dtmf", wav)
		if err != nil {
			t.Fatal(err)
		}
		// Each digit starts every 200 ms; the receiver dates a digit's
		// start to within a few milliseconds.
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 8 {
			t.Fatalf("%s: got %q", format, out)
		}
		for i, l := range lines {
			var sec float64
			var digit string
			if _, err := fmt.Sscanf(l, "%f %s", &sec, &digit); err != nil || digit != string("159#0*AD"[i]) ||
				math.Abs(sec-0.2*float64(i)) > 0.005 {
				t.Errorf("%s: line %d %q, want %.3f %c", format, i, l, 0.2*float64(i), "159#0*AD"[i])
			}
		}
	}
	// -repeat prints the first pass only; the timing goes to stderr.
	wav := filepath.Join(dir, "pcm.wav")
	out, stderr, err := dspRun(t, "dtmf", "-repeat", "3", wav)
	if err != nil || strings.Count(out, "\n") != 8 || !strings.Contains(stderr, "ns/sample") {
		t.Errorf("repeat: %v %q %q", err, out, stderr)
	}
	line := regexp.MustCompile(`^\d+\.\d{3} [0-9*#A-D]$`)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !line.MatchString(l) {
			t.Errorf("bad line %q", l)
		}
	}
}

func TestDSPTonesAndLearn(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ zone, tone, want string }{
		{"de", "busy", "busy"}, {"ru", "congestion", "congestion"}, {"us", "dial", "dial"}, {"uk", "ringback", "ringback"},
	} {
		wav := filepath.Join(dir, c.zone+c.tone+".wav")
		if _, se, err := dspRun(t, "gen", "tone", "-zone", c.zone, "-tone", c.tone, "-duration", "8s", "-o", wav); err != nil {
			t.Fatalf("gen: %v %s", err, se)
		}
		out, _, err := dspRun(t, "tones", "-zone", c.zone, wav)
		if err != nil || !strings.HasPrefix(out, "0.000 "+c.want+"\n") {
			t.Errorf("%s %s: %v %q", c.zone, c.tone, err, out)
		}
	}
	wav := filepath.Join(dir, "learn.wav")
	if _, se, err := dspRun(t, "gen", "tone", "-spec", "440/300,0/450", "-level", "-18", "-duration", "6s", "-o", wav); err != nil {
		t.Fatalf("gen: %v %s", err, se)
	}
	out, _, err := dspRun(t, "learn", wav)
	if err != nil || !strings.Contains(out, "frequency 440 Hz") || !strings.Contains(out, "on 300ms") ||
		!strings.Contains(out, "off 450ms") || !strings.Contains(out, "spec 440/300,0/450") {
		t.Errorf("learn: %v\n%s", err, out)
	}
}

func TestDSPCallerID(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-std", "v23", "-number", "4951234567", "-name", "IVANOV I", "-time", "03-08 09:15"},
			`fsk v23 mdmf time=03-08 09:15 number=4951234567 name="IVANOV I"`},
		{[]string{"-std", "bell202", "-sdmf", "-number", "2125551234", "-time", "12-31 23:59"},
			"fsk bell202 sdmf time=12-31 23:59 number=2125551234"},
		{[]string{"-std", "v23", "-private", "-time", ""}, "fsk v23 mdmf number=private name=private"},
		{[]string{"-dtmf", "-number", "84951234567"}, "dtmf A84951234567C"},
	}
	for i, c := range cases {
		wav := filepath.Join(dir, "cid"+string(rune('0'+i))+".wav")
		args := append([]string{"gen", "callerid", "-o", wav}, c.args...)
		if _, se, err := dspRun(t, args...); err != nil {
			t.Fatalf("gen %v: %v %s", c.args, err, se)
		}
		out, _, err := dspRun(t, "callerid", wav)
		if err != nil || !strings.Contains(out, c.want) {
			t.Errorf("%v: %v\ngot  %q\nwant %q", c.args, err, out, c.want)
		}
	}
}

func TestDSPErrors(t *testing.T) {
	dir := t.TempDir()
	wav16k := filepath.Join(dir, "16k.wav")
	var b bytes.Buffer
	if err := audiofile.WriteWAV(&b, make([]int16, 800), audiofile.PCM16); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	raw[24], raw[25] = 0x80, 0x3e // sample rate 16000
	_ = os.WriteFile(wav16k, raw, 0o644)
	junk := filepath.Join(dir, "junk.wav")
	_ = os.WriteFile(junk, []byte("not a wav file at all"), 0o644)
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"dtmf"},
		{"dtmf", filepath.Join(dir, "missing.wav")},
		{"dtmf", junk},
		{"dtmf", "-repeat", "0", junk},
		{"tones", "-zone", "xx", junk},
		{"learn", junk},
		{"gen", "dtmf", "123"},
		{"gen", "dtmf", "-o", filepath.Join(dir, "x.wav"), "12x"},
		{"gen", "tone", "-spec", "abc", "-o", filepath.Join(dir, "y.wav")},
		{"gen", "tone", "-format", "mp3", "-o", filepath.Join(dir, "y.wav")},
		{"gen", "callerid", "-dtmf", "-number", "+123", "-o", filepath.Join(dir, "z.wav")},
		{"gen", "kazoo"},
	} {
		if out, _, err := dspRun(t, args...); err == nil {
			t.Errorf("%v: no error (out %q)", args, out)
		}
	}
	if _, _, err := dspRun(t, "dtmf", wav16k); err == nil || !strings.Contains(err.Error(), "16000") {
		t.Errorf("16 kHz file: %v", err)
	}
	if out, _, err := dspRun(t, "-h"); err != nil || !strings.Contains(out, "dsp gen callerid") {
		t.Errorf("help: %v", err)
	}
	if out, _, err := dspRun(t, "zones"); err != nil || !strings.Contains(out, "ru\t") {
		t.Errorf("zones: %v %q", err, out)
	}
}

// FuzzDSPFile feeds arbitrary bytes as the WAV file of every reading
// subcommand: errors are fine, panics are not.
func FuzzDSPFile(f *testing.F) {
	var b bytes.Buffer
	_ = audiofile.WriteWAV(&b, make([]int16, 400), audiofile.ULaw)
	f.Add(b.Bytes())
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt "))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.wav")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Skip()
		}
		for _, cmd := range []string{"dtmf", "tones", "learn", "callerid"} {
			var out, errb bytes.Buffer
			_ = runDSP(context.Background(), []string{cmd, p}, &out, &errb)
		}
		var out, errb bytes.Buffer
		_ = runDSP(context.Background(), []string{"echo", "-far", p, "-near", p, "-o", filepath.Join(dir, "o.wav")}, &out, &errb)
	})
}

// TestDSPEcho runs `dsp echo` on a simulated line: shaped noise sent to
// it, an echo 5 ms later and 10 dB down, and a near-end talker from 5 to
// 7 s. The canceller converges (ERLE over 25 dB from the third second),
// the double talk is seen as such, and OUT is NEAR with the echo removed.
func TestDSPEcho(t *testing.T) {
	dir := t.TempDir()
	const n = 8 * 8000
	r := rand.New(rand.NewPCG(1, 2))
	talk := func(seed uint64, amp float64) []float64 {
		rr := rand.New(rand.NewPCG(seed, 3))
		x := make([]float64, n)
		var lp, env float64
		for i := range x {
			if i%1600 == 0 {
				env = 0.3 + 0.7*rr.Float64()
			}
			lp = 0.7*lp + rr.NormFloat64()
			x[i] = amp * env * lp
		}
		return x
	}
	farF := talk(1, 1500)
	nearT := talk(2, 1500)
	far := make([]int16, n)
	near := make([]int16, n)
	for i := range far {
		far[i] = int16(farF[i])
	}
	for i := range near {
		var echo float64
		if i >= 41 {
			echo = 0.3*float64(far[i-40]) - 0.12*float64(far[i-41])
		}
		v := echo + r.NormFloat64()*2
		if i >= 5*8000 && i < 7*8000 {
			v += nearT[i]
		}
		near[i] = int16(v)
	}
	write := func(name string, pcm []int16) string {
		var b bytes.Buffer
		if err := audiofile.WriteWAV(&b, pcm, audiofile.PCM16); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	farP, nearP, outP := write("far.wav", far), write("near.wav", near), filepath.Join(dir, "out.wav")
	out, stderr, err := dspRun(t, "echo", "-nlp=false", "-far", farP, "-near", nearP, "-o", outP)
	if err != nil {
		t.Fatalf("%v %s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 8 {
		t.Fatalf("want 8 lines, got %q", out)
	}
	for i, l := range lines {
		var sec int
		var erle float64
		var state string
		if _, err := fmt.Sscanf(l, "%d %f %s", &sec, &erle, &state); err != nil || sec != i {
			t.Fatalf("line %q: %v", l, err)
		}
		switch {
		case i >= 2 && i < 5 && (erle < 25 || state != "far"):
			t.Errorf("second %d: %q, want ERLE ≥ 25 dB and far", i, l)
		case i == 6 && state != "double":
			t.Errorf("second %d: %q, want double talk", i, l)
		}
	}
	f, err := os.Open(outP)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, rate, err := audiofile.ReadWAV(f)
	if err != nil || rate != 8000 || len(got) != n {
		t.Fatalf("OUT: %v, %d Hz, %d samples", err, rate, len(got))
	}
	// Past convergence and outside double talk, OUT is the line noise.
	var e float64
	for _, v := range got[3*8000 : 5*8000] {
		e += float64(v) * float64(v)
	}
	if rms := math.Sqrt(e / 16000); rms > 20 {
		t.Errorf("residual echo RMS %.1f, want the line noise (2)", rms)
	}
	// Errors: mismatched lengths, missing flags, a bad tail.
	short := write("short.wav", near[:8000])
	for _, args := range [][]string{
		{"echo", "-far", farP, "-near", short, "-o", outP},
		{"echo", "-far", farP, "-near", nearP},
		{"echo", "-tail", "300ms", "-far", farP, "-near", nearP, "-o", outP},
		{"echo", "-far", farP, "-near", nearP, "-o", outP, "extra"},
	} {
		if _, _, err := dspRun(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
