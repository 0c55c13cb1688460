package dsp

import (
	"math"
	"testing"

	"github.com/zaf/g711"
)

// TestG711Helpers checks the frame helpers against zaf/g711's own slice
// functions over every input value, the copy-like length rule, and that
// they allocate nothing.
func TestG711Helpers(t *testing.T) {
	lin := make([]int16, 65536)
	raw := make([]byte, 2*len(lin))
	for i := range lin {
		lin[i] = int16(i - 32768)
		raw[2*i], raw[2*i+1] = byte(lin[i]), byte(uint16(lin[i])>>8)
	}
	for _, c := range []struct {
		name   string
		enc    func([]byte, []int16)
		dec    func([]int16, []byte)
		refEnc func([]byte) []byte
		refDec func([]byte) []byte
	}{
		{"ulaw", EncodeULaw, DecodeULaw, g711.EncodeUlaw, g711.DecodeUlaw},
		{"alaw", EncodeALaw, DecodeALaw, g711.EncodeAlaw, g711.DecodeAlaw},
	} {
		got := make([]byte, len(lin))
		c.enc(got, lin)
		if want := c.refEnc(raw); string(got) != string(want) {
			t.Fatalf("%s: encoding differs from zaf/g711", c.name)
		}
		codes := make([]byte, 256)
		for i := range codes {
			codes[i] = byte(i)
		}
		dec := make([]int16, 256)
		c.dec(dec, codes)
		want := c.refDec(codes)
		for i := range dec {
			if w := int16(uint16(want[2*i]) | uint16(want[2*i+1])<<8); dec[i] != w {
				t.Fatalf("%s: code %#x decodes to %d, want %d", c.name, i, dec[i], w)
			}
		}
		// Round trip error stays within half a quantisation step.
		for _, v := range []int16{0, 1, -1, 100, -100, 1000, 12345, -32768, 32767} {
			var b [1]byte
			var o [1]int16
			c.enc(b[:], []int16{v})
			c.dec(o[:], b[:])
			if d := math.Abs(float64(o[0]) - float64(v)); d > math.Abs(float64(v))/16+16 {
				t.Errorf("%s: %d → %d", c.name, v, o[0])
			}
		}
		// Short destination: only min(len) samples converted, no panic.
		short := make([]byte, 3)
		c.enc(short, lin[:10])
		sdec := make([]int16, 2)
		c.dec(sdec, codes[:5])
		frame := make([]int16, 160)
		bytes := make([]byte, 160)
		if a := testing.AllocsPerRun(100, func() { c.enc(bytes, frame); c.dec(frame, bytes) }); a != 0 {
			t.Errorf("%s: %v allocations per frame", c.name, a)
		}
	}
}

func BenchmarkG711(b *testing.B) {
	frame := speechLike(160, 3, -15)
	buf := make([]byte, 160)
	out := make([]int16, 160)
	b.Run("EncodeULaw", func(b *testing.B) { cpuPerSample(b, 160, func() { EncodeULaw(buf, frame) }) })
	b.Run("DecodeULaw", func(b *testing.B) { cpuPerSample(b, 160, func() { DecodeULaw(out, buf) }) })
	b.Run("EncodeALaw", func(b *testing.B) { cpuPerSample(b, 160, func() { EncodeALaw(buf, frame) }) })
	b.Run("DecodeALaw", func(b *testing.B) { cpuPerSample(b, 160, func() { DecodeALaw(out, buf) }) })
}
