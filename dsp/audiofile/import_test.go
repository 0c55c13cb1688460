package audiofile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// wavBytes builds a WAV file by hand (independently of WriteWAV) from
// per-channel float samples in ±1.
func wavBytes(tag, rate, bits int, chans [][]float64) []byte {
	le := binary.LittleEndian
	nch := len(chans)
	var data []byte
	for i := range chans[0] {
		for c := 0; c < nch; c++ {
			v := chans[c][i]
			switch {
			case tag == tagPCM && bits == 8:
				data = append(data, byte(int(math.Round(v*127))+128))
			case tag == tagPCM && bits == 16:
				data = le.AppendUint16(data, uint16(int16(math.Round(v*32767))))
			case tag == tagPCM && bits == 24:
				x := int32(math.Round(v * 8388607))
				data = append(data, byte(x), byte(x>>8), byte(x>>16))
			case tag == tagPCM && bits == 32:
				data = le.AppendUint32(data, uint32(int32(math.Round(v*2147483647))))
			case tag == tagFloat && bits == 32:
				data = le.AppendUint32(data, math.Float32bits(float32(v)))
			case tag == tagFloat && bits == 64:
				data = le.AppendUint64(data, math.Float64bits(v))
			}
		}
	}
	var b []byte
	b = append(b, "RIFF\x00\x00\x00\x00WAVE"...)
	b = append(b, "LIST\x04\x00\x00\x00INFO"...) // a chunk to skip
	b = append(b, "fmt \x10\x00\x00\x00"...)
	b = le.AppendUint16(b, uint16(tag))
	b = le.AppendUint16(b, uint16(nch))
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(rate*nch*bits/8))
	b = le.AppendUint16(b, uint16(nch*bits/8))
	b = le.AppendUint16(b, uint16(bits))
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	le.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func tone(rate int, secs, freq, amp float64) []float64 {
	x := make([]float64, int(secs*float64(rate)))
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
	}
	return x
}

// goertzelDB returns the level of freq in x (16-bit units) in dB
// relative to a full-scale sine, using a Hann window.
func goertzelDB(x []int16, freq float64) float64 {
	n := len(x)
	w := 2 * math.Pi * freq / 8000
	var re, im, wsum float64
	for i, v := range x {
		h := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		re += float64(v) * h * math.Cos(w*float64(i))
		im -= float64(v) * h * math.Sin(w*float64(i))
		wsum += h
	}
	amp := 2 * math.Hypot(re, im) / wsum
	return 20 * math.Log10(amp/32768+1e-12)
}

func TestImportWAVFormats(t *testing.T) {
	for _, c := range []struct {
		tag, rate, bits, ch int
	}{
		{tagPCM, 8000, 16, 1}, {tagPCM, 8000, 8, 1}, {tagPCM, 11025, 16, 2},
		{tagPCM, 16000, 16, 1}, {tagPCM, 22050, 24, 2}, {tagPCM, 32000, 32, 1},
		{tagPCM, 44100, 16, 2}, {tagPCM, 48000, 16, 1}, {tagFloat, 48000, 32, 2},
		{tagFloat, 24000, 64, 1}, {tagPCM, 12000, 8, 2},
	} {
		// 1 kHz wanted; plus, when the input rate allows, a tone at
		// 5 kHz that a naive decimator would alias to 3 kHz.
		sig := tone(c.rate, 1, 1000, 0.3)
		if c.rate > 10000 {
			alias := tone(c.rate, 1, 5000, 0.3)
			for i := range sig {
				sig[i] += alias[i]
			}
		}
		chans := make([][]float64, c.ch)
		for i := range chans {
			chans[i] = sig
		}
		out, err := Import(bytes.NewReader(wavBytes(c.tag, c.rate, c.bits, chans)), 0)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if d := len(out) - 8000; d < -2 || d > 2 {
			t.Errorf("%+v: %d samples, want 8000", c, len(out))
		}
		mid := out[1000:7000]
		want := goertzelDB(mid, 1000)
		if c.rate > 10000 {
			if a := goertzelDB(mid, 3000); a > want-70 {
				t.Errorf("%+v: alias at 3 kHz %.1f dB vs wanted %.1f dB", c, a, want)
			}
		}
		// A steady sine is all "active": its level must land on target.
		var peak int
		for _, v := range out {
			peak = max(peak, int(math.Abs(float64(v))))
		}
		wantPeak := 22700 * math.Pow(10, TargetActiveDBm0/20)
		// (the 5 kHz tone is gone, so the 1 kHz tone alone sets the level)
		if d := math.Abs(float64(peak)-wantPeak) / wantPeak; d > 0.1 {
			t.Errorf("%+v: peak %d, want about %.0f", c, peak, wantPeak)
		}
	}
}

func TestImportPeakCeiling(t *testing.T) {
	// A short click in quiet speech-like audio: raising the quiet part
	// to −20 dBm0 would clip the click, so the ceiling limits the gain.
	x := tone(8000, 1, 400, 0.01)
	x[4000] = 0.9
	out, err := Import(bytes.NewReader(wavBytes(tagPCM, 8000, 16, [][]float64{x})), 0)
	if err != nil {
		t.Fatal(err)
	}
	ceiling := 32768 * math.Pow(10, PeakCeilingDBFS/20)
	if p := math.Abs(float64(out[4000])); p > ceiling+1 || p < ceiling*0.95 {
		t.Fatalf("click peak %v, ceiling %v", p, ceiling)
	}
}

func TestImportRejects(t *testing.T) {
	good := wavBytes(tagPCM, 8000, 16, [][]float64{tone(8000, 0.1, 1000, 0.5)})
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	le := binary.LittleEndian
	// Offset of the fmt fields in wavBytes output: 12 (RIFF) + 12 (LIST) + 8.
	const fo = 32
	for name, c := range map[string]struct {
		in  []byte
		max int64
	}{
		"empty":         {nil, 0},
		"text":          {[]byte("hello, this is not audio at all"), 0},
		"too big":       {good, 100},
		"truncated":     {good[:len(good)-10], 0},
		"header only":   {good[:12], 0},
		"zero channels": {mod(func(b []byte) []byte { le.PutUint16(b[fo+2:], 0); return b }), 0},
		"rate 100":      {mod(func(b []byte) []byte { le.PutUint32(b[fo+4:], 100); return b }), 0},
		"rate 1e9":      {mod(func(b []byte) []byte { le.PutUint32(b[fo+4:], 1e9); return b }), 0},
		"12-bit":        {mod(func(b []byte) []byte { le.PutUint16(b[fo+14:], 12); return b }), 0},
		"adpcm":         {mod(func(b []byte) []byte { le.PutUint16(b[fo:], 2); return b }), 0},
		"bad align":     {mod(func(b []byte) []byte { le.PutUint16(b[fo+12:], 3); return b }), 0},
		"silent":        {wavBytes(tagPCM, 8000, 16, [][]float64{make([]float64, 800)}), 0},
		"no samples":    {wavBytes(tagPCM, 8000, 16, [][]float64{{}}), 0},
		"mp3 garbage":   {append([]byte{0xFF, 0xFB, 0x90, 0x00}, make([]byte, 500)...), 0},
	} {
		out, err := Import(bytes.NewReader(c.in), c.max)
		if err == nil {
			t.Errorf("%s: accepted (%d samples)", name, len(out))
			continue
		}
		if !strings.HasPrefix(err.Error(), "audiofile: ") {
			t.Errorf("%s: error %q lacks context", name, err)
		}
		if name == "too big" && !errors.Is(err, ErrTooBig) {
			t.Errorf("too big: %v", err)
		}
	}
}

// mp3Fixture returns a real MP3 file shipped inside the go-mp3 module
// (MPEG-2 layer III), so the test needs no encoder and commits no audio.
func mp3Fixture(t testing.TB) []byte {
	t.Helper()
	b, err := readMP3Fixture()
	if err != nil {
		t.Skipf("go-mp3 example file: %v", err)
	}
	return b
}

func readMP3Fixture() ([]byte, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hajimehoshi/go-mp3").Output()
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "example", "mpeg2.mp3"))
}

func mp3FixtureOrNil() []byte {
	b, _ := readMP3Fixture()
	return b
}

func TestImportMP3(t *testing.T) {
	b := mp3Fixture(t)
	out, err := Import(bytes.NewReader(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	secs := float64(len(out)) / 8000
	if secs < 5 {
		t.Fatalf("only %.1f s decoded", secs)
	}
	var peak float64
	for _, v := range out {
		peak = max(peak, math.Abs(float64(v)))
	}
	if peak < 2000 || peak > 32768*math.Pow(10, PeakCeilingDBFS/20)+1 {
		t.Fatalf("peak %v after normalisation", peak)
	}
	if _, err := Import(bytes.NewReader(b), int64(len(b)-1)); !errors.Is(err, ErrTooBig) {
		t.Fatalf("size limit: %v", err)
	}
	// A truncated MP3 still decodes what is there.
	if _, err := Import(bytes.NewReader(b[:len(b)/3]), 0); err != nil {
		t.Fatalf("truncated mp3: %v", err)
	}
}

// TestImportOddRate covers a rate with no small ratio to 8 kHz, which
// takes the interpolated-phase path of the resampler.
func TestImportOddRate(t *testing.T) {
	const rate = 44099
	sig := tone(rate, 1, 1000, 0.3)
	alias := tone(rate, 1, 5000, 0.3)
	for i := range sig {
		sig[i] += alias[i]
	}
	out, err := Import(bytes.NewReader(wavBytes(tagPCM, rate, 16, [][]float64{sig})), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := len(out) - 8000; d < -2 || d > 2 {
		t.Fatalf("%d samples", len(out))
	}
	mid := out[1000:7000]
	w := goertzelDB(mid, 1000)
	if a := goertzelDB(mid, 3000); a > w-70 {
		t.Errorf("alias %.1f dB vs %.1f dB", a, w)
	}
	// A pure tone through an interpolated filter stays clean: the
	// residue after removing the 1 kHz tone is far below it.
	if n := goertzelDB(mid, 1500); n > w-70 {
		t.Errorf("spurious 1.5 kHz at %.1f dB", n)
	}
}
