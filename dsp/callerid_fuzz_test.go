package dsp

import (
	"encoding/binary"
	"testing"
)

func FuzzParseCallerID(f *testing.F) {
	for _, c := range callerIDCases {
		b, _ := EncodeCallerID(c.m)
		f.Add(b)
	}
	f.Add([]byte{0x80, 0x02, 0x0B, 0x05, 0x6E})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseCallerID(b)
		if err != nil {
			return
		}
		// Whatever parses must re-encode to a message that parses the
		// same (the encoder may normalise, e.g. drop unknown parameters).
		if m.HasTime || m.Number != "" || m.Name != "" || m.NumberAbsent != 0 || m.NameAbsent != 0 || m.HasMessageWaiting {
			if validNumber(m.Number) != nil || len(m.Number) > maxMDMFNumber || len(m.Name) > maxName {
				return // received fields the encoder refuses to send
			}
			if !m.MDMF && !m.HasMessageWaiting && len(m.Number) > maxSDMFNumber {
				return
			}
			if !m.MDMF && !m.HasMessageWaiting && (!m.HasTime || m.Number == "" && m.NumberAbsent == 0) {
				return
			}
			e, err := EncodeCallerID(m)
			if err != nil {
				t.Fatalf("parsed %+v does not re-encode: %v", m, err)
			}
			m2, err := ParseCallerID(e)
			if err != nil || m2 != m {
				t.Fatalf("re-parse: %+v vs %+v (%v)", m2, m, err)
			}
		}
	})
}

func FuzzParseDTMFCallerID(f *testing.F) {
	for _, s := range []string{"A5551234C", "D123#", "B00C", "B10C", "D1C", "a1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseDTMFCallerID(s)
		if err != nil {
			return
		}
		if m.Number == "" && m.NumberAbsent == 0 {
			t.Fatalf("%q: accepted with neither number nor absence", s)
		}
		e, err := EncodeDTMFCallerID(m)
		if err != nil {
			t.Fatalf("%q → %+v does not re-encode: %v", s, m, err)
		}
		if m2, err := ParseDTMFCallerID(e); err != nil || m2 != m {
			t.Fatalf("%q → %q → %+v", s, e, m2)
		}
	})
}

// FuzzCallerIDDecoder feeds arbitrary audio (the fuzz input read as
// little-endian samples, optionally after a real transmission) to both
// decoders: no panic, and anything reported is a valid message.
func FuzzCallerIDDecoder(f *testing.F) {
	msg, _ := EncodeCallerID(sampleMessage())
	sig := fskLine(V23, fskCond{level: -10}, msg, 1)
	b := make([]byte, 2*len(sig))
	for i, v := range sig {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	f.Add(b, uint8(160))
	f.Add([]byte{0, 0x80, 0xff, 0x7f}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, frame uint8) {
		s := make([]int16, len(b)/2)
		for i := range s {
			s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		n := max(int(frame), 1)
		for _, std := range []FSKStandard{Bell202, V23} {
			d := NewCallerIDDecoder(std)
			for i := 0; i < len(s); i += n {
				if m, ok := d.Process(s[i:min(i+n, len(s))]); ok {
					if _, err := EncodeCallerID(m); err != nil && m.Number == "" && m.Name == "" && !m.HasTime && !m.HasMessageWaiting && m.NumberAbsent == 0 {
						t.Fatalf("empty message reported: %+v", m)
					}
				}
			}
		}
	})
}
