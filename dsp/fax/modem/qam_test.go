package modem

import (
	"math/rand/v2"
	"testing"
)

// randBits is a BitSource of n random bits, kept for comparison.
type randBits struct {
	b []byte
	i int
}

func newRandBits(n int, seed uint64) *randBits {
	r := rand.New(rand.NewPCG(seed, 9))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(2))
	}
	return &randBits{b: b}
}

func (s *randBits) NextBit() int {
	if s.i >= len(s.b) {
		return -1
	}
	s.i++
	return int(s.b[s.i-1])
}

// demod is what the tests need of a high-speed receiver.
type demod interface {
	Demodulate(in []int16, bits []byte) int
	State() RxState
}

type modulator interface {
	Modulate(out []int16) int
	Busy() bool
}

// channel impairs audio in place.
type channel func([]int16)

// runLink modulates until the transmitter is idle, passing the audio
// through ch to rx, and returns the bits received.
func runLink(t *testing.T, tx modulator, rx demod, ch channel, lead int) []byte {
	t.Helper()
	buf := make([]int16, 160)
	bits := make([]byte, 400)
	var got []byte
	tail := 0
	for f := 0; f < 100000; f++ {
		if lead > 0 {
			lead--
			clear(buf)
		} else if !tx.Busy() {
			clear(buf)
			if tail++; tail > 10 {
				break
			}
		} else {
			tx.Modulate(buf)
		}
		if ch != nil {
			ch(buf)
		}
		n := rx.Demodulate(buf, bits)
		got = append(got, bits[:n]...)
	}
	return got
}

func compareBits(t *testing.T, sent, got []byte) {
	t.Helper()
	if len(got) < len(sent) {
		t.Fatalf("received %d bits, sent %d", len(got), len(sent))
	}
	errs := 0
	first := -1
	for i := range sent {
		if sent[i] != got[i] {
			errs++
			if first < 0 {
				first = i
			}
		}
	}
	if errs > 0 {
		t.Fatalf("%d bit errors of %d, first at %d", errs, len(sent), first)
	}
}

func noise(seed uint64, dbm0 float64) channel {
	r := rand.New(rand.NewPCG(seed, 5))
	sd := levelToPeak(dbm0) / 1.4142
	return func(b []int16) {
		for i := range b {
			b[i] = clamp16(float64(b[i]) + r.NormFloat64()*sd)
		}
	}
}

func TestV29Loop(t *testing.T) {
	for _, rate := range []int{9600, 7200, 4800} {
		for _, tc := range []struct {
			name string
			ch   func() channel
			lead int
		}{
			{"clean", func() channel { return nil }, 3},
			{"noise30dB", func() channel { return noise(1, -43) }, 5},
			{"noise35dB", func() channel { return noise(1, -48) }, 5},
			{"offset", func() channel { return nil }, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tx, err := NewV29Tx(rate, -13)
				if err != nil {
					t.Fatal(err)
				}
				rx, _ := NewV29Rx(rate)
				src := newRandBits(rate*3, uint64(rate))
				tx.Start(src)
				got := runLink(t, tx, rx, tc.ch(), tc.lead)
				compareBits(t, src.b, got)
			})
		}
	}
}

func TestV27terLoop(t *testing.T) {
	for _, rate := range []int{4800, 2400} {
		for _, tc := range []struct {
			name string
			ch   func() channel
			lead int
		}{
			{"clean", func() channel { return nil }, 3},
			{"noise30dB", func() channel { return noise(1, -43) }, 5},
			{"noise35dB", func() channel { return noise(1, -48) }, 5},
			{"nolead", func() channel { return nil }, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tx, err := NewV27terTx(rate, -13)
				if err != nil {
					t.Fatal(err)
				}
				rx, _ := NewV27terRx(rate)
				src := newRandBits(rate*3, uint64(rate))
				tx.Start(src)
				got := runLink(t, tx, rx, tc.ch(), tc.lead)
				compareBits(t, src.b, got)
			})
		}
	}
}
