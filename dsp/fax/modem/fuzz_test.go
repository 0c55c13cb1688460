package modem

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzHDLCDeframer: any bit stream must neither panic nor yield a frame
// longer than MaxFrame or one whose FCS does not check; a frame framed
// by HDLCFramer and embedded in the stream must come out whole.
func FuzzHDLCDeframer(f *testing.F) {
	f.Add([]byte{0x7E, 0xFF, 0x13, 0x80, 0x00, 0x7E}, []byte{0xFF, 0x13, 0x84})
	f.Add(bytes.Repeat([]byte{0xFF}, 40), []byte{0xFF, 0x03, 0x06, 1, 2, 3})
	f.Fuzz(func(t *testing.T, noise, frame []byte) {
		var d HDLCDeframer
		check := func(fr []byte) {
			if len(fr) > MaxFrame {
				t.Fatalf("frame of %d octets", len(fr))
			}
		}
		for _, c := range noise {
			for k := range 8 {
				if fr := d.PutBit(c >> k & 1); fr != nil {
					check(fr)
				}
			}
		}
		// A frame is at least two octets (T.30 frames have three or more).
		if len(frame) < 2 || len(frame) > MaxFrame {
			return
		}
		var fm HDLCFramer
		fm.Flags(2)
		fm.Queue(frame)
		var got []byte
		for b := fm.NextBit(); b >= 0; b = fm.NextBit() {
			if fr := d.PutBit(byte(b)); fr != nil {
				check(fr)
				got = bytes.Clone(fr)
			}
		}
		if !bytes.Equal(got, frame) {
			t.Fatalf("framed %x, deframed %x", frame, got)
		}
	})
}

// FuzzReceivers: any audio, in any chunking, must not panic the
// receivers nor make them write beyond the bits they are given.
func FuzzReceivers(f *testing.F) {
	tx, _ := NewV29Tx(9600, -10)
	tx.Start(newRandBits(2000, 1))
	seed := signalOf(tx, 1)
	b := make([]byte, 2*len(seed))
	for i, v := range seed {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	f.Add(b, uint8(160))
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		pcm := make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		n := int(chunk)%200 + 1
		v21 := NewV21Rx()
		v27, _ := NewV27terRx(4800)
		v29, _ := NewV29Rx(9600)
		bits := make([]byte, 2*n+8)
		for i := 0; i < len(pcm); i += n {
			in := pcm[i:min(i+n, len(pcm))]
			for _, demod := range []func([]int16, []byte) int{v21.Demodulate, v27.Demodulate, v29.Demodulate} {
				if k := demod(in, bits); k < 0 || k > len(bits) {
					t.Fatalf("%d bits", k)
				}
			}
		}
	})
}
