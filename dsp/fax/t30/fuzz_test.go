package t30

import (
	"encoding/binary"
	"testing"
)

// FuzzFrames: any octets must parse as a frame or be refused, and DIS,
// DCS, identities and a receiver fed the frame must not panic.
func FuzzFrames(f *testing.F) {
	f.Add(appendFrame(nil, fcfDIS, true, encodeDIS(Capabilities{V27ter: true, V29: true, ECM: true, MMR: true, Width: 1728})...))
	f.Add(appendFrame(nil, fcfDCS|1, true, encodeDCS(Capabilities{Rate: Rate{V29, 9600}, ECM: true, MMR: true, Width: 1728})...))
	f.Add(appendFrame(nil, fcfPPS|1, true, fcfEOP|1, 0, 0, 255))
	f.Add(encodeID(appendFrame(nil, fcfTSI|1, false), "+1 555 0100"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseFrame(b)
		if err != nil {
			return
		}
		_, _ = parseDIS(fr.Info)
		if c, err := parseDCS(fr.Info); err == nil {
			if c.MMR && !c.ECM {
				t.Fatal("T.6 without ECM accepted")
			}
		}
		_ = decodeID(fr.Info)
		_ = fcfName(fr.FCF)
		// Every state of the receiver takes the frame as a command.
		r := NewReceiver(Options{})
		for st := rAnswer; st <= rDone; st++ {
			r.state = st
			r.v21Frame(b)
		}
	})
}

// FuzzReceiverAudio: any audio must not panic the receiver.
func FuzzReceiverAudio(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4}, uint16(100))
	f.Fuzz(func(t *testing.T, data []byte, skip uint16) {
		r := NewReceiver(Options{})
		in := make([]int16, 160)
		out := make([]int16, 160)
		// Past the answer tone, so the input is listened to.
		for range 190 + int(skip)%200 {
			r.Process(in, out)
		}
		for i := 0; i+320 <= len(data); i += 320 {
			for k := range in {
				in[k] = int16(binary.LittleEndian.Uint16(data[i+2*k:]))
			}
			r.Process(in, out)
		}
	})
}
