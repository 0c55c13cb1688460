package modem

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// hdlcLoop sends frames through the framer, the V.21 modem, optional
// impairments, and the deframer, returning the frames received.
func v21Loop(t *testing.T, frames [][]byte, level float64, noise float64, seed uint64) [][]byte {
	t.Helper()
	var f HDLCFramer
	f.Flags(30)
	for _, fr := range frames {
		if !f.Queue(fr) {
			t.Fatal("queue refused")
		}
	}
	f.Flags(2)
	tx := NewV21Tx(level)
	tx.Start(&f)
	rx := NewV21Rx()
	var d HDLCDeframer
	rnd := rand.New(rand.NewPCG(seed, 1))
	var got [][]byte
	buf := make([]int16, 160)
	bits := make([]byte, 16)
	lead := 7 // frames of silence first
	for frame := 0; frame < 2000; frame++ {
		if lead > 0 {
			clear(buf)
			lead--
		} else if tx.Modulate(buf) == 0 && !tx.Busy() {
			clear(buf)
			if frame > 100 && !rx.Carrier() {
				break
			}
		}
		for i := range buf {
			buf[i] = clamp16(float64(buf[i]) + rnd.NormFloat64()*noise)
		}
		n := rx.Demodulate(buf, bits)
		for _, b := range bits[:n] {
			if fr := d.PutBit(b); fr != nil {
				got = append(got, bytes.Clone(fr))
			}
		}
	}
	return got
}

func TestV21HDLC(t *testing.T) {
	frames := [][]byte{
		{0xFF, 0x03, 0x40, '1', '2', '3', ' ', ' '},
		{0xFF, 0x13, 0x80, 0x00, 0xCE, 0xF4, 0x80, 0x80, 0x81, 0x80, 0x80, 0x80, 0x18},
		{0xFF, 0x13, 0xFF, 0xFF, 0xFF, 0xFF, 0x7E, 0x7E, 0x00},
	}
	for _, tc := range []struct {
		name         string
		level, noise float64
	}{
		{"-10dBm0", -10, 0},
		{"-40dBm0", -40, 0},
		{"-20dBm0 snr 15dB", -20, levelToPeak(-35) / 1.41},
		{"0dBm0", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := v21Loop(t, frames, tc.level, tc.noise, 7)
			if len(got) != len(frames) {
				t.Fatalf("got %d frames, want %d: %x", len(got), len(frames), got)
			}
			for i := range frames {
				if !bytes.Equal(got[i], frames[i]) {
					t.Errorf("frame %d: got %x want %x", i, got[i], frames[i])
				}
			}
		})
	}
}

func TestV21Silence(t *testing.T) {
	rx := NewV21Rx()
	var d HDLCDeframer
	rnd := rand.New(rand.NewPCG(3, 3))
	buf := make([]int16, 160)
	bits := make([]byte, 16)
	for range 500 {
		for i := range buf {
			buf[i] = clamp16(rnd.NormFloat64() * levelToPeak(-20))
		}
		n := rx.Demodulate(buf, bits)
		for _, b := range bits[:n] {
			if fr := d.PutBit(b); fr != nil {
				t.Fatalf("frame from noise: %x", fr)
			}
		}
	}
}

func TestFCS(t *testing.T) {
	// The check value of CRC-16/X.25 ("IBM-SDLC") over "123456789" is 0x906E.
	f := FCS([]byte("123456789"))
	if got := uint16(f[0]) | uint16(f[1])<<8; got != 0x906E {
		t.Fatalf("FCS = %#04x, want 0x906e", got)
	}
}
