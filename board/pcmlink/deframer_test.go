package pcmlink

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func mkFrame(t testing.TB, f Frame) []byte {
	t.Helper()
	b, err := AppendFrame(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func upFrame(t testing.TB, seq uint16, m uint16, fill byte) []byte {
	t.Helper()
	n := 0
	for i := range MaxSlots {
		if m&(1<<i) != 0 {
			n++
		}
	}
	return mkFrame(t, Frame{Type: TypeAudioUp, Seq: seq, Map: m, Payload: bytes.Repeat([]byte{fill}, n*SlotSamples)})
}

func collect(d *Deframer) []uint16 {
	var seqs []uint16
	for {
		f, ok := d.Next()
		if !ok {
			return seqs
		}
		seqs = append(seqs, f.Seq)
	}
}

func TestDeframerResync(t *testing.T) {
	f1 := upFrame(t, 1, 1, 0x11)
	f2 := upFrame(t, 2, 1, 0x22)
	f3 := upFrame(t, 3, 3, 0x33)
	f4 := upFrame(t, 4, 1, 0x44)
	f5 := upFrame(t, 5, 1, 0x55)
	// A payload that contains a false sync and a plausible header.
	fake := upFrame(t, 99, 1, 0x00)
	tricky := mkFrame(t, Frame{Type: TypeAudioUp, Seq: 6, Map: 3, Payload: append(append([]byte(nil), fake[:20]...), make([]byte, 60)...)})
	corrupt := append([]byte(nil), f2...)
	corrupt[30] ^= 0xFF

	var s []byte
	s = append(s, 0x00, Sync0, 0x13, Sync0, Sync1, 0x09) // garbage with sync-ish bytes
	s = append(s, f1...)
	s = append(s, f3[:25]...) // truncated: its tail was lost
	s = append(s, f4...)
	s = append(s, corrupt...)
	s = append(s, tricky...)
	s = append(s, f5...)
	s = append(s, f2[:7]...) // truncated at the end: must wait, not fail

	cases := []struct {
		name  string
		chunk int
	}{{"all at once", len(s)}, {"byte at a time", 1}, {"odd chunks", 7}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDeframer()
			var got []uint16
			for i := 0; i < len(s); i += c.chunk {
				d.Write(s[i:min(i+c.chunk, len(s))])
				got = append(got, collect(d)...)
			}
			want := []uint16{1, 4, 6, 5}
			if !equal(got, want) {
				t.Fatalf("frames %v, want %v", got, want)
			}
			st := d.Stats()
			if st.CRCErrors < 2 { // the truncated f3 swallowing f4's start, and the corrupt f2
				t.Errorf("CRC errors %d, want >= 2", st.CRCErrors)
			}
			if st.Frames != 4 {
				t.Errorf("frames %d", st.Frames)
			}
			if d.Buffered() != 7 {
				t.Errorf("buffered %d, want the 7-byte tail", d.Buffered())
			}
			// The tail completes later: the frame is found.
			d.Write(f2[7:])
			if got := collect(d); !equal(got, []uint16{2}) {
				t.Errorf("after completing the tail: %v", got)
			}
		})
	}
}

func TestDeframerGarbageOnly(t *testing.T) {
	d := NewDeframer()
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 100_000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for i := 0; i < len(buf); {
		n, _ := d.Write(buf[i:])
		i += n
		if got := collect(d); len(got) != 0 {
			t.Fatalf("frames from random bytes: %v", got)
		}
	}
	if d.Buffered() > MaxFrameSize {
		t.Fatalf("%d bytes still buffered", d.Buffered())
	}
	if st := d.Stats(); st.Discarded+uint64(d.Buffered()) != uint64(len(buf)) {
		t.Fatalf("discarded %d + buffered %d != %d", st.Discarded, d.Buffered(), len(buf))
	}
}

func equal(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzDeframer: arbitrary bytes around real frames never panic, every
// frame returned is valid, and real frames after the garbage are found.
func FuzzDeframer(f *testing.F) {
	f.Add([]byte{}, uint8(1))
	f.Add([]byte{Sync0, Sync1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 40}, uint8(3))
	f.Add(bytes.Repeat([]byte{Sync0}, 50), uint8(200))
	f.Fuzz(func(t *testing.T, garbage []byte, chunk uint8) {
		if chunk == 0 {
			chunk = 1
		}
		real1 := upFrame(t, 1000, 5, 0x7E)
		real2 := upFrame(t, 1001, 5, 0x7F)
		// A frame of maximal length separates the garbage from the real
		// frames, so no false header in the garbage can swallow them.
		filler := mkFrame(t, Frame{Type: TypeControl, Payload: make([]byte, MaxPayload)})
		s := append(append(append(append([]byte(nil), garbage...), filler...), real1...), real2...)
		d := NewDeframer()
		var got []uint16
		for i := 0; i < len(s); {
			n, _ := d.Write(s[i:min(i+int(chunk), len(s))])
			i += n
			for {
				fr, ok := d.Next()
				if !ok {
					break
				}
				if _, err := AppendFrame(nil, &fr); err != nil {
					t.Fatalf("invalid frame returned: %v", err)
				}
				if fr.Type == TypeAudioUp && fr.Seq >= 1000 {
					got = append(got, fr.Seq)
				}
			}
		}
		if len(got) < 2 || got[len(got)-2] != 1000 || got[len(got)-1] != 1001 {
			t.Fatalf("real frames after garbage: %v", got)
		}
	})
}
