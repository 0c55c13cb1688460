package audiofile

import (
	"bytes"
	"math"
	"testing"
)

func sine(n int, freq, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return s
}

func TestWAVRoundTrip(t *testing.T) {
	in := sine(8001, 440, 12000) // odd length exercises the pad byte
	for _, f := range []Format{PCM16, ULaw, ALaw} {
		var buf bytes.Buffer
		if err := WriteWAV(&buf, in, f); err != nil {
			t.Fatal(err)
		}
		got, rate, err := ReadWAV(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if rate != 8000 || len(got) != len(in) {
			t.Fatalf("%v: rate %d len %d", f, rate, len(got))
		}
		for i := range in {
			tol := 0.0
			if f != PCM16 {
				tol = math.Abs(float64(in[i]))/16 + 16 // G.711 step size
			}
			if d := math.Abs(float64(got[i]) - float64(in[i])); d > tol {
				t.Fatalf("%v: sample %d: %d vs %d", f, i, got[i], in[i])
			}
		}
	}
}

// TestReadWAVStreamed reads files whose data size is a streaming
// placeholder, as sox/ffmpeg (0xFFFFFFFF) and espeak-ng (0x7FFFF000)
// write to pipes, while a genuinely short file is still refused.
func TestReadWAVStreamed(t *testing.T) {
	in := sine(800, 440, 8000)
	var buf bytes.Buffer
	if err := WriteWAV(&buf, in, PCM16); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	for _, size := range []uint32{0xFFFFFFFF, 0x7FFFF000, 0} {
		c := append([]byte(nil), b...)
		c[40], c[41], c[42], c[43] = byte(size), byte(size>>8), byte(size>>16), byte(size>>24)
		got, _, err := ReadWAV(bytes.NewReader(c))
		if err != nil || len(got) != len(in) {
			t.Fatalf("size %#x: %d samples, %v", size, len(got), err)
		}
	}
	c := append([]byte(nil), b...)
	c[40] = 0xFF // 2000 bytes declared as 2047+…: more than present
	c[41] = 0x0F
	if _, _, err := ReadWAV(bytes.NewReader(c)); err == nil {
		t.Fatal("truncated data accepted")
	}
}
