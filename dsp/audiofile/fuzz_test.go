package audiofile

import (
	"bytes"
	"testing"
)

func FuzzReadWAV(f *testing.F) {
	for _, fm := range []Format{PCM16, ULaw, ALaw} {
		var b bytes.Buffer
		_ = WriteWAV(&b, []int16{0, 1000, -1000, 32767, -32768}, fm)
		f.Add(b.Bytes())
	}
	f.Add(wavBytes(tagPCM, 8000, 16, [][]float64{{0.1, 0.2, 0.3}}))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, rate, err := ReadWAV(bytes.NewReader(b))
		if err != nil {
			return
		}
		if rate != 8000 {
			t.Fatalf("accepted rate %d", rate)
		}
		// What was read must survive a write/read round trip (PCM16 is exact).
		var buf bytes.Buffer
		if err := WriteWAV(&buf, s, PCM16); err != nil {
			t.Fatal(err)
		}
		s2, _, err := ReadWAV(&buf)
		if err != nil || len(s2) != len(s) {
			t.Fatalf("round trip: %v (%d vs %d)", err, len(s2), len(s))
		}
		for i := range s {
			if s[i] != s2[i] {
				t.Fatalf("round trip sample %d", i)
			}
		}
	})
}

func FuzzImport(f *testing.F) {
	f.Add(wavBytes(tagPCM, 44100, 16, [][]float64{tone(44100, 0.05, 440, 0.5), tone(44100, 0.05, 660, 0.5)}))
	f.Add(wavBytes(tagFloat, 16000, 32, [][]float64{tone(16000, 0.05, 440, 0.5)}))
	f.Add(wavBytes(tagPCM, 8000, 8, [][]float64{tone(8000, 0.05, 440, 0.5)}))
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00"))
	if mp3 := mp3FixtureOrNil(); mp3 != nil {
		f.Add(mp3[:min(len(mp3), 4096)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := Import(bytes.NewReader(b), 1<<20)
		if err != nil {
			return
		}
		if len(out) == 0 {
			t.Fatal("accepted with no samples")
		}
		if len(out) > MaxImportSeconds*8000+8 {
			t.Fatalf("%d samples exceed the duration limit", len(out))
		}
	})
}
