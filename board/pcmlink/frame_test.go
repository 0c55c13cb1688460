package pcmlink

import (
	"bytes"
	"errors"
	"testing"
)

func TestCRCVector(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0x29B1 {
		t.Fatalf("CRC16(123456789) = %#04x, want 0x29B1", got)
	}
	// The example of doc.go: AUDIO_UP seq 1, map 0x0001, 40 × 0xFF.
	b, err := AppendFrame(nil, &Frame{Type: TypeAudioUp, Seq: 1, Map: 1, Payload: bytes.Repeat([]byte{0xFF}, 40)})
	if err != nil {
		t.Fatal(err)
	}
	wantHdr := []byte{0xA5, 0x5A, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x28}
	if !bytes.Equal(b[:HeaderSize], wantHdr) {
		t.Fatalf("header % X, want % X", b[:HeaderSize], wantHdr)
	}
	if got := uint16(b[len(b)-2])<<8 | uint16(b[len(b)-1]); got != docExampleCRC {
		t.Fatalf("example frame CRC %#04x, doc.go says %#04x", got, docExampleCRC)
	}
}

// docExampleCRC is the CRC of the example frame quoted in doc.go.
const docExampleCRC = 0xD1BB

func TestRoundTrip(t *testing.T) {
	pay := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		return b
	}
	cases := []Frame{
		{Type: TypeAudioUp, Seq: 0, Map: 0, Payload: []byte{}},
		{Type: TypeAudioUp, Seq: 65535, Map: 0x0001, Payload: pay(40)},
		{Type: TypeAudioDown, Seq: 7, Ack: 65535, Map: 0x8001, Payload: pay(80)},
		{Type: TypeAudioUp, Seq: 12345, Map: 0xFFFF, Payload: pay(640)},
		{Type: TypeStatus, Seq: 3, Payload: AppendStatus(nil, MCUStatus{Firmware: 0x0102, UptimeMS: 99, PCMSlips: 4})},
		{Type: TypeControl, Seq: 1, Payload: AppendConfig(nil, ControlConfig{Law: ALaw, PlayoutDelay: 3, Slots: 0x000F})},
		{Type: TypeControl, Seq: 2, Payload: pay(MaxPayload)},
	}
	for _, c := range cases {
		b, err := AppendFrame([]byte{0x11}, &c)
		if err != nil {
			t.Fatalf("%v: %v", c.Type, err)
		}
		f, n, err := ParseFrame(b[1:])
		if err != nil {
			t.Fatalf("%v seq %d: %v", c.Type, c.Seq, err)
		}
		if n != len(b)-1 || f.Type != c.Type || f.Seq != c.Seq || f.Ack != c.Ack || f.Map != c.Map || !bytes.Equal(f.Payload, c.Payload) {
			t.Fatalf("round trip: got %+v (n %d), want %+v", f, n, c)
		}
	}
}

func TestSlotLayout(t *testing.T) {
	p := make([]byte, 3*SlotSamples)
	for i := range p {
		p[i] = byte(i / SlotSamples)
	}
	f := Frame{Type: TypeAudioUp, Map: 1<<1 | 1<<4 | 1<<15, Payload: p}
	for slot, want := range map[int]int{1: 0, 4: 1, 15: 2} {
		s := f.Slot(slot)
		if len(s) != SlotSamples || s[0] != byte(want) || s[SlotSamples-1] != byte(want) {
			t.Errorf("slot %d: got %v", slot, s)
		}
	}
	for _, slot := range []int{-1, 0, 2, 14, 16} {
		if f.Slot(slot) != nil {
			t.Errorf("slot %d should be absent", slot)
		}
	}
}

func TestParseErrors(t *testing.T) {
	good, _ := AppendFrame(nil, &Frame{Type: TypeAudioUp, Seq: 9, Map: 3, Payload: make([]byte, 80)})
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"one sync byte", []byte{Sync0}, ErrShort},
		{"bad first byte", []byte{0x00}, ErrSync},
		{"bad second byte", []byte{Sync0, 0x00}, ErrSync},
		{"header only", good[:HeaderSize], ErrShort},
		{"missing crc byte", good[:len(good)-1], ErrShort},
		{"version", mod(func(b []byte) []byte { b[2] = 2; return b }), ErrVersion},
		{"type zero", mod(func(b []byte) []byte { b[3] = 0; return b }), ErrType},
		{"type five", mod(func(b []byte) []byte { b[3] = 5; return b }), ErrType},
		{"length too big", mod(func(b []byte) []byte { b[10], b[11] = 0x04, 0x01; return b }), ErrLength},
		{"length vs map", mod(func(b []byte) []byte { b[9] = 7; return b }), ErrLength},
		{"map on status", mod(func(b []byte) []byte { b[3] = byte(TypeStatus); return b }), ErrLength},
		{"payload bit flip", mod(func(b []byte) []byte { b[20] ^= 0x10; return b }), ErrCRC},
		{"seq bit flip", mod(func(b []byte) []byte { b[5] ^= 1; return b }), ErrCRC},
		{"crc flip", mod(func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }), ErrCRC},
	}
	for _, c := range cases {
		_, _, err := ParseFrame(c.b)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestAppendFrameRejects(t *testing.T) {
	for _, f := range []Frame{
		{Type: 0},
		{Type: TypeAudioUp, Map: 1, Payload: make([]byte, 39)},
		{Type: TypeStatus, Map: 1},
		{Type: TypeControl, Payload: make([]byte, MaxPayload+1)},
	} {
		if _, err := AppendFrame(nil, &f); err == nil {
			t.Errorf("AppendFrame(%v map %#x len %d) accepted", f.Type, f.Map, len(f.Payload))
		}
	}
}

func TestControlStatus(t *testing.T) {
	s := MCUStatus{Firmware: 0x0103, Flags: FlagConfigured, UptimeMS: 1 << 31, CRCErrors: 1, Discarded: 2, Late: 3, Underruns: 4, Overruns: 5, PCMSlips: 6}
	p := AppendStatus(nil, s)
	if len(p) != StatusSize {
		t.Fatalf("status size %d", len(p))
	}
	got, err := ParseStatus(append(p, 0xEE)) // a later version's extra byte is ignored
	if err != nil || got != s {
		t.Fatalf("ParseStatus = %+v, %v", got, err)
	}
	if _, err := ParseStatus(p[:StatusSize-1]); !errors.Is(err, ErrStatus) {
		t.Fatalf("short status: %v", err)
	}
	c := ControlConfig{Law: ALaw, PlayoutDelay: 4, Slots: 0x0F0F}
	cmd, gc, err := ParseControl(AppendConfig(nil, c))
	if err != nil || cmd != CmdConfig || gc != c {
		t.Fatalf("ParseControl = %d %+v %v", cmd, gc, err)
	}
	for _, bad := range [][]byte{nil, {9}, {CmdConfig, 0, 3}, {CmdConfig, 2, 3, 0, 0, 1}, {CmdConfig, 0, 1, 0, 0, 1}, {CmdConfig, 0, 9, 0, 0, 1}} {
		if _, _, err := ParseControl(bad); !errors.Is(err, ErrControl) {
			t.Errorf("ParseControl(% X) = %v", bad, err)
		}
	}
	if cmd, _, err := ParseControl([]byte{CmdStatusRequest}); err != nil || cmd != CmdStatusRequest {
		t.Errorf("status request: %d %v", cmd, err)
	}
}

// FuzzParseFrame: never panics, never claims more bytes than it has, and
// whatever it accepts re-encodes to the same bytes.
func FuzzParseFrame(f *testing.F) {
	good, _ := AppendFrame(nil, &Frame{Type: TypeAudioUp, Seq: 9, Map: 3, Payload: make([]byte, 80)})
	f.Add(good)
	st, _ := AppendFrame(nil, &Frame{Type: TypeStatus, Payload: AppendStatus(nil, MCUStatus{})})
	f.Add(st)
	f.Add([]byte{Sync0, Sync1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := ParseFrame(b)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with n %d", err, n)
			}
			return
		}
		if n > len(b) || n < HeaderSize+TrailerSize {
			t.Fatalf("n %d of %d", n, len(b))
		}
		re, err := AppendFrame(nil, &fr)
		if err != nil {
			t.Fatalf("accepted frame does not re-encode: %v", err)
		}
		if !bytes.Equal(re, b[:n]) {
			t.Fatalf("re-encoding differs:\n% X\n% X", re, b[:n])
		}
	})
}

func FuzzParseControl(f *testing.F) {
	f.Add(AppendConfig(nil, ControlConfig{Law: ALaw, PlayoutDelay: 3, Slots: 0xF}))
	f.Add([]byte{CmdStatusRequest})
	f.Fuzz(func(t *testing.T, p []byte) {
		cmd, c, err := ParseControl(p)
		if err != nil {
			return
		}
		if cmd == CmdConfig {
			re := AppendConfig(nil, c)
			if _, c2, err := ParseControl(re); err != nil || c2 != c {
				t.Fatalf("config does not round-trip: %+v", c)
			}
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add(AppendStatus(nil, MCUStatus{Firmware: 1, UptimeMS: 2}))
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := ParseStatus(p)
		if err != nil {
			return
		}
		if re := AppendStatus(nil, s); string(re) != string(p[:StatusSize]) {
			t.Fatalf("status does not round-trip")
		}
	})
}
