package dsp

import (
	"encoding/binary"
	"testing"
	"time"
)

// pcmFromBytes reads little-endian 16-bit samples.
func pcmFromBytes(b []byte) []int16 {
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

// FuzzDTMFDetector: any audio, in any chunking, must neither panic nor
// report digits out of order or outside the alphabet.
func FuzzDTMFDetector(f *testing.F) {
	g := NewDTMFGenerator(DTMFGenConfig{On: 40 * time.Millisecond, Off: 40 * time.Millisecond})
	_ = g.Queue("1A#")
	seed := make([]int16, 2000)
	g.Read(seed)
	b := make([]byte, 2*len(seed))
	for i, v := range seed {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	f.Add(b, uint8(160))
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		pcm := pcmFromBytes(data)
		n := int(chunk)%200 + 1
		d := NewDTMFDetector()
		last := int64(-1)
		for i := 0; i < len(pcm); i += n {
			for _, e := range d.Process(pcm[i:min(i+n, len(pcm))]) {
				if dtmfIndex(e.Digit) < 0 || e.Sample < last || e.Sample > int64(i+n) {
					t.Fatalf("bad event %+v after %d", e, last)
				}
				last = e.Sample
			}
		}
	})
}

// FuzzProgressDetector: any audio must neither panic nor report a tone
// before the previous one.
func FuzzProgressDetector(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4}, "ru")
	f.Add(make([]byte, 4000), "uk")
	f.Fuzz(func(t *testing.T, data []byte, zone string) {
		z, err := LookupZone(zone)
		if err != nil {
			z, _ = LookupZone("us")
		}
		d := NewProgressDetector(z)
		pcm := pcmFromBytes(data)
		// Repeat the fuzz input so that cadences can form.
		for range 20 {
			for i := 0; i < len(pcm); i += 160 {
				d.Process(pcm[i:min(i+160, len(pcm))])
			}
		}
	})
}

// FuzzHookDecoder: any sequence of transitions and polls (times moving
// forward) yields only well-formed events.
func FuzzHookDecoder(f *testing.F) {
	f.Add([]byte{1, 50, 0, 6, 1, 4, 0, 6, 1, 40})
	f.Fuzz(func(t *testing.T, steps []byte) {
		h := NewHookDecoder(HookConfig{})
		now := time.Duration(0)
		for i := 0; i+1 < len(steps); i += 2 {
			now += time.Duration(steps[i+1]) * 10 * time.Millisecond
			var ev []HookEvent
			switch steps[i] % 3 {
			case 0:
				ev = h.Hook(false, now)
			case 1:
				ev = h.Hook(true, now)
			default:
				ev = h.Poll(now)
			}
			for _, e := range ev {
				if e.Type < HookOff || e.Type > HookDigit || e.At > now || (e.Type == HookDigit && (e.Digit < '0' || e.Digit > '9')) {
					t.Fatalf("bad event %+v at %v", e, now)
				}
			}
		}
	})
}
