package analog

import (
	"testing"

	"minipbx/board"
	"minipbx/board/sim"
	"minipbx/dsp"
	"minipbx/telephony/media"
)

// callAudio is a port audio path as during an FXO call: echo canceller,
// DTMF and call-progress detection, the call's media both ways, the DTMF
// generator sending.
func callAudio(t testing.TB) (*portAudio, *board.Frame, *media.Frame) {
	z, err := dsp.LookupZone("us")
	if err != nil {
		t.Fatal(err)
	}
	a := newPortAudio(z, dsp.Bell202)
	ep := newEndpoint()
	ep.SetSink(media.SinkFunc(func(*media.Frame) {}))
	a.ep, a.ec = ep, dsp.NewEchoCanceller(dsp.EchoConfig{})
	a.dtmfOn, a.progOn = true, true
	rx := &board.Frame{}
	sim.Sine(1020, -10)(rx[:])
	in := &media.Frame{HasSamples: true}
	sim.Sine(600, -10)(in.Samples[:])
	return a, rx, in
}

// The AudioFunc allocates nothing per frame, whatever it is doing.
func TestAudioFrameAllocs(t *testing.T) {
	a, rx, in := callAudio(t)
	var tx board.Frame
	a.gen.Queue("1234567890")
	for _, mode := range []toneMode{toneNone, toneDial, toneBusy} {
		a.setTone(mode)
		n := testing.AllocsPerRun(100, func() {
			a.ep.WriteFrame(in)
			a.frame(rx, &tx)
			for len(a.notes) > 0 {
				<-a.notes
			}
		})
		if n != 0 {
			t.Errorf("tone %d: %v allocations per frame", mode, n)
		}
	}
	// A call-waiting alert: the tone with the far party dropped, the
	// uplink muted, the countdown to its end.
	a.waiting, a.muteUp = true, true
	for _, mode := range []toneMode{toneCAS, toneSilence} {
		a.setTone(mode)
		a.toneLeft = 1 << 30
		if n := testing.AllocsPerRun(100, func() {
			a.ep.WriteFrame(in)
			a.frame(rx, &tx)
		}); n != 0 {
			t.Errorf("call-waiting tone %d: %v allocations per frame", mode, n)
		}
	}
	// A live music source and its listener.
	a.live = newLiveFeed()
	read := a.live.reader()
	out := make([]int16, board.FrameSamples)
	if n := testing.AllocsPerRun(100, func() {
		a.frame(rx, &tx)
		read(out)
	}); n != 0 {
		t.Errorf("live source: %v allocations per frame", n)
	}
}

// BenchmarkFXOCallFrame is one 20 ms frame of an FXO call's audio path
// (echo canceller, DTMF and call-progress detectors, jitter buffer, sink).
func BenchmarkFXOCallFrame(b *testing.B) {
	a, rx, in := callAudio(b)
	var tx board.Frame
	b.ReportAllocs()
	for b.Loop() {
		a.ep.WriteFrame(in)
		a.frame(rx, &tx)
	}
}

// BenchmarkFXSCallFrame is one frame of a connected FXS call (DTMF
// detector, jitter buffer, sink; no echo canceller).
func BenchmarkFXSCallFrame(b *testing.B) {
	a, rx, in := callAudio(b)
	a.ec, a.progOn = nil, false
	var tx board.Frame
	b.ReportAllocs()
	for b.Loop() {
		a.ep.WriteFrame(in)
		a.frame(rx, &tx)
	}
}

// BenchmarkFXOCallFrameNoEC is BenchmarkFXOCallFrame with the echo
// canceller off (Config.EchoTail < 0), to show what the canceller costs.
func BenchmarkFXOCallFrameNoEC(b *testing.B) {
	a, rx, in := callAudio(b)
	a.ec = nil
	var tx board.Frame
	b.ReportAllocs()
	for b.Loop() {
		a.ep.WriteFrame(in)
		a.frame(rx, &tx)
	}
}

// BenchmarkFXOIdleFrame is one frame of an idle FXO line: FSK and DTMF
// caller ID receivers on the on-hook monitor (here, line noise).
func BenchmarkFXOIdleFrame(b *testing.B) {
	z, err := dsp.LookupZone("us")
	if err != nil {
		b.Fatal(err)
	}
	a := newPortAudio(z, dsp.Bell202)
	a.cidOn, a.dtmfOn = true, true
	var rx, tx board.Frame
	seed := uint32(7)
	for i := range rx {
		seed = seed*1664525 + 1013904223
		rx[i] = int16(int32(seed>>16)-32768) / 64 // about -45 dBm0
	}
	b.ReportAllocs()
	for b.Loop() {
		a.frame(&rx, &tx)
	}
}
