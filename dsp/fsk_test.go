package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// fskSignal renders msg with a modulator plus silence around it.
func fskSignal(t testing.TB, std FSKStandard, level float64, msg []byte) []int16 {
	t.Helper()
	m := NewFSKModulator(std, level)
	m.Queue(msg)
	out := make([]int16, 800) // 100 ms of silence first
	frame := make([]int16, 160)
	for m.Read(frame) {
		out = append(out, frame...)
	}
	return append(out, make([]int16, 1600)...)
}

func decodeAll(std FSKStandard, sig []int16) []CallerIDMessage {
	d := NewCallerIDDecoder(std)
	var got []CallerIDMessage
	for i := 0; i < len(sig); i += 160 {
		if m, ok := d.Process(sig[i:min(i+160, len(sig))]); ok {
			got = append(got, m)
		}
	}
	return got
}

func sampleMessage() CallerIDMessage {
	return CallerIDMessage{Time: time.Date(0, 3, 14, 15, 9, 0, 0, time.UTC), HasTime: true, Number: "0123456789", Name: "ALICE SMITH", MDMF: true}
}

func TestFSKRoundTripBasic(t *testing.T) {
	for _, std := range []FSKStandard{Bell202, V23} {
		m := sampleMessage()
		b, err := EncodeCallerID(m)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeAll(std, fskSignal(t, std, -13, b))
		if len(got) != 1 || got[0] != m {
			t.Fatalf("%v: got %+v want %+v", std, got, m)
		}
	}
}

var _ = math.Pi
var _ = rand.New
