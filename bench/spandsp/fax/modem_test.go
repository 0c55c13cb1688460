//go:build spandsp && cgo

package fax

import (
	"math/rand/v2"
	"testing"

	"minipbx/dsp/fax/modem"
)

func randomBits(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(2))
	}
	return b
}

type bitSlice struct {
	b []byte
	i int
}

func (s *bitSlice) NextBit() int {
	if s.i >= len(s.b) {
		return -1
	}
	s.i++
	return int(s.b[s.i-1])
}

type ourRx interface {
	Demodulate(in []int16, bits []byte) int
}

func newOurRx(t *testing.T, kind, rate int) ourRx {
	var rx ourRx
	var err error
	switch kind {
	case V27ter:
		rx, err = modem.NewV27terRx(rate)
	case V29:
		rx, err = modem.NewV29Rx(rate)
	default:
		t.Skip("no receiver of ours")
	}
	if err != nil {
		t.Fatal(err)
	}
	return rx
}

func countErrors(sent, got []byte) (errs, first int) {
	first = -1
	for i := range sent {
		if i >= len(got) || sent[i] != got[i] {
			errs++
			if first < 0 {
				first = i
			}
		}
	}
	return errs, first
}

var modemCases = []struct {
	name       string
	kind, rate int
}{
	{"V27ter2400", V27ter, 2400},
	{"V27ter4800", V27ter, 4800},
	{"V29_7200", V29, 7200},
	{"V29_9600", V29, 9600},
}

// TestSpandspModemToOurs: spandsp's transmitters, our receivers.
func TestSpandspModemToOurs(t *testing.T) {
	for _, c := range modemCases {
		t.Run(c.name, func(t *testing.T) {
			sent := randomBits(c.rate*2, uint64(c.rate))
			tx := NewModemTx(c.kind, c.rate, sent)
			defer tx.Close()
			rx := newOurRx(t, c.kind, c.rate)
			buf := make([]int16, 160)
			bits := make([]byte, 512)
			var got []byte
			for f := 0; f < 2000; f++ {
				n := tx.Modulate(buf)
				clear(buf[n:])
				k := rx.Demodulate(buf, bits)
				got = append(got, bits[:k]...)
				if n == 0 && f > 10 {
					break
				}
			}
			if errs, first := countErrors(sent, got); errs > 0 {
				t.Fatalf("%d errors of %d bits (received %d), first at %d", errs, len(sent), len(got), first)
			}
		})
	}
}

// TestOurModemToSpandsp: our transmitters, spandsp's receivers.
func TestOurModemToSpandsp(t *testing.T) {
	for _, c := range modemCases {
		t.Run(c.name, func(t *testing.T) {
			sent := randomBits(c.rate*2, uint64(c.rate)+1)
			var tx interface {
				Modulate([]int16) int
				Busy() bool
			}
			var err error
			switch c.kind {
			case V27ter:
				var m *modem.V27terTx
				m, err = modem.NewV27terTx(c.rate, -13)
				m.Start(&bitSlice{b: sent})
				tx = m
			case V29:
				var m *modem.V29Tx
				m, err = modem.NewV29Tx(c.rate, -13)
				m.Start(&bitSlice{b: sent})
				tx = m
			}
			if err != nil {
				t.Fatal(err)
			}
			rx := NewModemRx(c.kind, c.rate, len(sent)*2)
			defer rx.Close()
			buf := make([]int16, 160)
			for f := 0; f < 2000 && tx.Busy(); f++ {
				tx.Modulate(buf)
				rx.Demodulate(buf)
			}
			clear(buf)
			for range 10 {
				rx.Demodulate(buf)
			}
			got, trained := rx.Bits()
			if trained == 0 {
				t.Fatal("spandsp did not train")
			}
			// spandsp hands over the bits from the end of its training:
			// find where ours begin.
			off := findOffset(sent, got)
			if off < 0 {
				t.Fatalf("sent bits not found in the %d received", len(got))
			}
			if errs, first := countErrors(sent, got[off:]); errs > 0 {
				t.Fatalf("%d errors of %d bits, first at %d (offset %d)", errs, len(sent), first, off)
			}
		})
	}
}

// findOffset finds where the first 64 sent bits appear in got.
func findOffset(sent, got []byte) int {
	for off := 0; off+64 <= len(got); off++ {
		ok := true
		for i := range 64 {
			if got[off+i] != sent[i] {
				ok = false
				break
			}
		}
		if ok {
			return off
		}
	}
	return -1
}
