package analog

import (
	"sync"
	"sync/atomic"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/telephony/media"
)

// noteKind says what the audio path noticed.
type noteKind int

const (
	noteDigit    noteKind = iota + 1 // a DTMF digit began
	noteTone                         // the call-progress detector's verdict changed
	noteCallerID                     // an FSK caller ID message was decoded
	noteDialled                      // the DTMF generator finished its digits
	noteToneDone                     // a once-only tone the port waits for has played (toneLeft)
	noteFSKDone                      // the FSK modulator sent its last bit
)

// note is what the clock side tells a port's signalling goroutine.
type note struct {
	kind  noteKind
	digit byte
	tone  dsp.ProgressTone
	cid   dsp.CallerIDMessage
}

// noteBuffer is the capacity of a port's note queue; the clock never waits
// for the signalling goroutine.
const noteBuffer = 64

// portAudio is the per-frame side of a port: it runs in the board's
// AudioFunc, on the board's clock. The port's signalling goroutine
// configures it (which tone, which detectors, which call's media) under mu;
// the AudioFunc holds mu for one frame's work, so configuration changes
// wait at most that long and the clock never waits for anything slow.
// Nothing here allocates per frame.
type portAudio struct {
	notes   chan note
	dropped atomic.Uint64

	mu      sync.Mutex
	tones   *tones
	tone    toneMode
	toneNew bool      // reset the player at the next frame
	ep      *endpoint // the call's media, nil when none

	dtmfOn, progOn, cidOn bool
	dtmfDet               *dsp.DTMFDetector
	progDet               *dsp.ProgressDetector
	cidDec                *dsp.CallerIDDecoder
	fsk                   *dsp.FSKModulator
	gen                   *dsp.DTMFGenerator
	genReplace            bool // the generator's digits replace the call's audio (dialling out)
	genBusy               bool
	ec                    *dsp.EchoCanceller
	// waiting: the phone is being alerted to a waiting call (callwait.go);
	// while a tone plays, the far party's audio is dropped, not delayed.
	// muteUp: the far party hears silence instead of the phone (the
	// phone's acknowledgement of off-hook caller ID is not theirs).
	waiting, muteUp bool
	// toneLeft counts down the samples of a once-only tone whose end the
	// signalling goroutine waits for (noteToneDone); 0: none.
	toneLeft int
	fskOn    bool // the modulator was busy last frame (noteFSKDone)
	// offHookSkip receives the on-hook preamble of an off-hook caller
	// ID transmission, read and dropped (callwait.go).
	offHookSkip [offHookSkipSamples]int16
	// live: the port is a live music source (live.go): what it receives
	// goes to the feed, and it sends silence.
	live *liveFeed

	lastTx, clean, tmp, drop, quiet board.Frame
}

func newPortAudio(z dsp.Zone, std dsp.FSKStandard) *portAudio {
	return &portAudio{
		notes:   make(chan note, noteBuffer),
		tones:   newTones(z),
		dtmfDet: dsp.NewDTMFDetector(),
		progDet: dsp.NewProgressDetector(z),
		cidDec:  dsp.NewCallerIDDecoder(std),
		fsk:     dsp.NewFSKModulator(std, callerIDLevel),
		gen:     dsp.NewDTMFGenerator(dsp.DTMFGenConfig{LevelDBm0: dtmfLevel}),
	}
}

// set runs fn with the audio path locked (from the signalling goroutine).
func (a *portAudio) set(fn func(a *portAudio)) {
	a.mu.Lock()
	fn(a)
	a.mu.Unlock()
}

// setTone switches what the port plays (callers hold mu).
func (a *portAudio) setTone(t toneMode) {
	if a.tone != t {
		a.tone, a.toneNew = t, true
	}
}

func (a *portAudio) note(n note) {
	select {
	case a.notes <- n:
	default:
		a.dropped.Add(1)
	}
}

// frame is the port's AudioFunc.
func (a *portAudio) frame(rx, tx *board.Frame) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.live != nil {
		a.live.write(rx)
		*tx = board.Frame{}
		return
	}

	// Receive: cancel the line echo (FXO), then detect, then forward.
	in := rx
	if a.ec != nil {
		a.ec.Process(rx[:], a.lastTx[:], a.clean[:])
		in = &a.clean
	}
	if a.cidOn {
		if m, ok := a.cidDec.Process(in[:]); ok {
			a.note(note{kind: noteCallerID, cid: m})
		}
	}
	if a.dtmfOn {
		for _, ev := range a.dtmfDet.Process(in[:]) {
			a.note(note{kind: noteDigit, digit: ev.Digit})
		}
	}
	if a.progOn {
		for _, ev := range a.progDet.Process(in[:]) {
			a.note(note{kind: noteTone, tone: ev.Tone})
		}
	}
	if a.ep != nil {
		if a.muteUp {
			a.ep.push(&a.quiet)
		} else {
			a.ep.push(in)
		}
	}

	// Send: a tone, or the call's audio; FSK caller ID and DTMF on top.
	switch {
	case a.tone == toneSilence:
	case a.tone != toneNone:
		if p := a.tones.player(a.tone); p != nil {
			if a.toneNew {
				p.Reset()
				a.toneNew = false
			}
			p.Read(tx[:])
		}
		if a.toneLeft > 0 {
			a.toneLeft -= len(tx)
			if a.toneLeft <= 0 {
				a.note(note{kind: noteToneDone})
			}
		}
	case a.ep != nil:
		a.ep.pop(tx)
	}
	if a.waiting && a.ep != nil && a.tone != toneNone {
		a.ep.pop(&a.drop)
	}
	if a.fsk.Busy() {
		a.fsk.Read(tx[:])
		a.fskOn = true
	} else if a.fskOn {
		a.fskOn = false
		a.note(note{kind: noteFSKDone})
	}
	if a.gen.Busy() {
		a.tmp = board.Frame{}
		a.gen.Read(a.tmp[:])
		if a.genReplace {
			*tx = a.tmp
		} else {
			for i, v := range a.tmp {
				tx[i] = sat(int32(tx[i]) + int32(v))
			}
		}
		a.genBusy = true
	} else if a.genBusy {
		a.genBusy = false
		a.note(note{kind: noteDialled})
	}
	a.lastTx = *tx
}

func sat(v int32) int16 {
	return int16(max(min(v, 32767), -32768))
}

// sinkBox lets an interface value live in an atomic.Pointer.
type sinkBox struct{ s media.Sink }

// endpoint is an analog channel's media.Endpoint. What the far end (the
// exchange's bridge) writes goes into a jitter buffer that the port's
// AudioFunc pops once per frame; what the port receives is pushed to the
// sink from the AudioFunc.
type endpoint struct {
	jb     *media.JitterBuffer
	sink   atomic.Pointer[sinkBox]
	closed atomic.Bool
	in     media.Frame // clock-side scratch
	out    media.Frame // clock-side scratch
}

func newEndpoint() *endpoint {
	return &endpoint{jb: media.NewJitterBuffer(media.JitterConfig{PLC: dsp.NewPLC()})}
}

// WriteFrame implements media.Sink: audio for the analog line.
func (e *endpoint) WriteFrame(f *media.Frame) {
	if !e.closed.Load() {
		e.jb.Push(f)
	}
}

// SetSink implements media.Endpoint.
func (e *endpoint) SetSink(s media.Sink) {
	if s == nil {
		e.sink.Store(nil)
		return
	}
	e.sink.Store(&sinkBox{s})
}

// Codec implements media.Endpoint: analog ports speak linear audio.
func (e *endpoint) Codec() media.Codec { return media.Linear }

// push hands the port's received frame to the sink (on the clock).
func (e *endpoint) push(f *board.Frame) {
	b := e.sink.Load()
	if b == nil || e.closed.Load() {
		return
	}
	e.in.SetLinear((*[media.FrameSamples]int16)(f))
	b.s.WriteFrame(&e.in)
}

// pop fills f with the next frame for the line (on the clock).
func (e *endpoint) pop(f *board.Frame) {
	e.jb.Pop(&e.out)
	*f = e.out.Samples
}
