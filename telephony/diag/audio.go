package diag

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/telephony/analog"
)

// errInterrupted: a call took the port during the test.
var errInterrupted = analog.ErrInterrupted

// tape plays tx into a port's audio path and records what the port
// receives, frame by frame on the board's clock. Nothing is allocated on
// the clock; rx is read only after done is closed.
type tape struct {
	tx, rx []int16
	pos    int
	done   chan struct{}
	over   atomic.Bool
}

func (t *tape) frame(rx, tx *board.Frame) {
	if t.over.Load() {
		return
	}
	if t.pos < len(t.tx) {
		copy(tx[:], t.tx[t.pos:])
	}
	copy(t.rx[t.pos:], rx[:])
	t.pos += board.FrameSamples
	if t.pos >= len(t.rx) {
		t.over.Store(true)
		close(t.done)
	}
}

// exchange plays tx (may be nil: silence) and records frames frames of
// what the port receives. It gives up when a call takes the port.
func exchange(ctx context.Context, res Reserved, tx []int16, frames int) ([]int16, error) {
	t := &tape{tx: tx, rx: make([]int16, frames*board.FrameSamples), done: make(chan struct{})}
	res.SetAudio(t.frame)
	defer res.SetAudio(nil)
	// The board's clock is real time; allow a slow, shared host thrice
	// the duration and then some.
	limit := time.NewTimer(time.Duration(frames)*board.FrameDuration*3 + 3*time.Second)
	defer limit.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-t.done:
			return t.rx, nil
		case <-ctx.Done():
			t.over.Store(true)
			return nil, ctx.Err()
		case <-limit.C:
			t.over.Store(true)
			return nil, errors.New("the port's audio clock stopped")
		case <-tick.C:
			if res.Busy() {
				t.over.Store(true)
				return nil, errInterrupted
			}
		}
	}
}

// sineFit measures the component of s at freq: its level in dBm0 and the
// ratio of its power to everything else (SNR, dB).
func sineFit(s []int16, freq float64) (levelDBm0, snrDB float64) {
	if len(s) == 0 {
		return math.Inf(-1), math.Inf(-1)
	}
	var c, sn, total float64
	w := 2 * math.Pi * freq / board.SampleRate
	for i, v := range s {
		x := float64(v)
		c += x * math.Cos(w*float64(i))
		sn += x * math.Sin(w*float64(i))
		total += x * x
	}
	n := float64(len(s))
	a, b := 2*c/n, 2*sn/n
	sig := (a*a + b*b) / 2
	total /= n
	ref := dsp.Dbm0Peak * dsp.Dbm0Peak / 2
	levelDBm0 = 10 * math.Log10(sig/ref)
	noise := total - sig
	if noise <= 0 {
		return levelDBm0, 99
	}
	return levelDBm0, 10 * math.Log10(sig/noise)
}

// rmsDBm0 is the RMS level of s in dBm0 (-Inf for silence).
func rmsDBm0(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	if len(s) == 0 || e == 0 {
		return math.Inf(-1)
	}
	return 10 * math.Log10(e/float64(len(s))/(dsp.Dbm0Peak*dsp.Dbm0Peak/2))
}

// strongest finds the strongest frequency of s in the voice band: a
// coarse scan in 10 Hz steps over 50 ms (whose 20 Hz main lobe the steps
// cannot miss), refined in 1 Hz steps over half a second.
func strongest(s []int16) float64 {
	scan := func(s []int16, lo, hi, step float64) float64 {
		best, bestP := lo, math.Inf(-1)
		for f := lo; f <= hi; f += step {
			if p, _ := sineFit(s, f); p > bestP {
				best, bestP = f, p
			}
		}
		return best
	}
	coarse := scan(s[:min(len(s), 400)], 300, 3400, 10)
	return scan(s[:min(len(s), 4000)], coarse-15, coarse+15, 1)
}

// Loopback test signal.
const (
	testToneHz   = 1004 // ITU-T O.6 test tone (not a sub-multiple of 8 kHz)
	testToneDBm0 = -10.0
	settleFrames = 5
)

var (
	loopLevel = within(testToneDBm0-1, testToneDBm0+1, testToneDBm0-3, testToneDBm0+3)
	loopSNR   = atLeast(30, 20) // G.711 alone gives about 37 dB at -10 dBm0
)

// withLoopback runs fn with the port's codec looped back.
func withLoopback(res Reserved, fn func() error) error {
	lp, ok := res.Port().(looper)
	if !ok {
		return errNoLoopback
	}
	if err := lp.SetLoopback(true); err != nil {
		if errors.Is(err, board.ErrNotSupported) {
			return errNoLoopback
		}
		return fmt.Errorf("loopback on: %w", err)
	}
	defer func() { _ = lp.SetLoopback(false) }()
	return fn()
}

var errNoLoopback = errors.New("the port's driver has no loopback")

func (r *Runner) testLoopback(ctx context.Context, res Reserved, out *result) error {
	return withLoopback(res, func() error {
		const frames = 50
		tx := make([]int16, frames*board.FrameSamples)
		gen := sineGen(testToneHz, testToneDBm0)
		gen(tx)
		rx, err := exchange(ctx, res, tx, frames)
		if err != nil {
			return err
		}
		part := rx[settleFrames*board.FrameSamples : (frames-settleFrames)*board.FrameSamples]
		level, snr := sineFit(part, testToneHz)
		out.value("level", level, "dBm0", loopLevel)
		out.value("SNR", snr, "dB", loopSNR)
		return nil
	})
}

func sineGen(freq, dbm0 float64) func([]int16) {
	amp := dsp.DBm0ToPeak(dbm0)
	w := 2 * math.Pi * freq / board.SampleRate
	return func(out []int16) {
		for i := range out {
			out[i] = int16(math.Round(amp * math.Sin(w*float64(i))))
		}
	}
}

// Signals sent through the loop.
const testDigits = "0123456789*#ABCD"

var testCallerID = dsp.CallerIDMessage{Number: "5550100", Name: "MINIPBX TEST", MDMF: true,
	Time: time.Date(2000, 1, 2, 3, 4, 0, 0, time.UTC), HasTime: true}

func (r *Runner) testSignals(ctx context.Context, res Reserved, out *result, zone string) error {
	return withLoopback(res, func() error {
		var tx []int16
		buf := make([]int16, board.FrameSamples)
		// 70 ms tones and pauses: well above the receivers' 40 ms minimum,
		// and quick.
		gen := dsp.NewDTMFGenerator(dsp.DTMFGenConfig{On: 70 * time.Millisecond, Off: 70 * time.Millisecond})
		if err := gen.Queue(testDigits); err != nil {
			return err
		}
		for gen.Busy() {
			gen.Read(buf)
			tx = append(tx, buf...)
		}
		tx = append(tx, make([]int16, 10*board.FrameSamples)...)
		cidStart := len(tx)
		msg, err := dsp.EncodeCallerID(testCallerID)
		if err != nil {
			return err
		}
		fsk := dsp.NewFSKModulator(analog.CallerIDStandard(zone), -13)
		fsk.Queue(msg)
		for fsk.Read(buf) {
			tx = append(tx, buf...)
			clear(buf)
		}
		tx = append(tx, make([]int16, 10*board.FrameSamples)...)
		frames := (len(tx) + board.FrameSamples - 1) / board.FrameSamples
		rx, err := exchange(ctx, res, tx, frames+2)
		if err != nil {
			return err
		}
		det := dsp.NewDTMFDetector()
		var got []byte
		for i := 0; i+board.FrameSamples <= cidStart+board.FrameSamples && i+board.FrameSamples <= len(rx); i += board.FrameSamples {
			for _, ev := range det.Process(rx[i : i+board.FrameSamples]) {
				got = append(got, ev.Digit)
			}
		}
		ok := 0
		for i := 0; i < len(testDigits) && i < len(got); i++ {
			if got[i] == testDigits[i] {
				ok++
			}
		}
		out.value("DTMF digits right", float64(ok), "of "+fmt.Sprint(len(testDigits)), atLeast(float64(len(testDigits)), float64(len(testDigits))))
		if string(got) != testDigits {
			out.fail("DTMF: sent %s, received %q", testDigits, got)
		}
		dec := dsp.NewCallerIDDecoder(analog.CallerIDStandard(zone))
		var m dsp.CallerIDMessage
		decoded := false
		for i := cidStart; i+board.FrameSamples <= len(rx) && !decoded; i += board.FrameSamples {
			m, decoded = dec.Process(rx[i : i+board.FrameSamples])
		}
		switch {
		case !decoded:
			out.fail("caller ID: nothing decoded")
		case m.Number != testCallerID.Number || m.Name != testCallerID.Name:
			out.fail("caller ID: sent %s %q, decoded %s %q", testCallerID.Number, testCallerID.Name, m.Number, m.Name)
		default:
			out.note("DTMF %s and caller ID %s %q received intact", testDigits, m.Number, m.Name)
		}
		return nil
	})
}
