package sim

import (
	"context"

	"fmt"
	"math"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

// Levels of the telco's tones on the line, in dBm0 per frequency component,
// as a central office sends them (ITU-T E.180 and the US LSSGR plan).
const (
	DialToneLevel     = -13
	RingbackToneLevel = -19
	BusyToneLevel     = -19
	CallerIDLevel     = -13
)

// Timing of the virtual telco.
const (
	// ringValidation is how long the DAA must see ring voltage before it
	// reports a validated ring (it filters out line transients).
	ringValidation = 100 * time.Millisecond
	// cidDelay and cidGuard frame the FSK burst inside the silence that
	// follows the first ring (Telcordia GR-30: start 500 ms after the ring,
	// end at least 200 ms before the next).
	cidDelay = 500 * time.Millisecond
	cidGuard = 200 * time.Millisecond
	// dtmfCIDGap separates DTMF caller ID from the first ring.
	dtmfCIDGap = 500 * time.Millisecond
	// loopDropTime is how long the line drops its battery to signal that
	// the far end hung up (calling party control).
	loopDropTime = 1 * time.Second
)

// HangupMode is how the virtual telco tells the port that the far end hung
// up.
type HangupMode int

const (
	// HangupBusyTone plays the zone's busy tone until the port releases.
	HangupBusyTone HangupMode = iota + 1
	// HangupLoopDrop drops the line voltage for a second (the port reports
	// EventLineVoltageLost then EventLineVoltageRestored), then silence.
	HangupLoopDrop
	// HangupReversal reverses the line's polarity (EventPolarityReversal),
	// then silence.
	HangupReversal
)

func (m HangupMode) String() string {
	switch m {
	case HangupBusyTone:
		return "busy-tone"
	case HangupLoopDrop:
		return "loop-drop"
	case HangupReversal:
		return "reversal"
	}
	return fmt.Sprintf("hangup(%d)", int(m))
}

// CallerIDMode is how the virtual telco sends caller ID with a ring.
type CallerIDMode int

const (
	// CallerIDFSK sends FSK (the zone's standard, see CallerIDStandard)
	// in the first long silence of the ring cadence; the default.
	CallerIDFSK CallerIDMode = iota
	// CallerIDDTMF sends DTMF caller ID (ETSI EN 300 659-1 annex, used in
	// the Nordic countries, the Netherlands, India...) before the first ring.
	CallerIDDTMF
	// CallerIDNone sends no caller ID.
	CallerIDNone
)

type lineState int

const (
	lineIdle     lineState = iota
	lineRinging            // the far end is calling the port
	lineDialTone           // seized, waiting for the first digit
	lineDialling           // digits received, waiting for the number to complete
	lineRingback           // the called party is alerting
	lineTalking            // connected
	lineBusy               // busy tone: called party busy, or hung up that way
	lineDead               // the far end is gone: silence until release
)

var lineStateNames = [...]string{"idle", "ringing", "dial-tone", "dialling", "ringback", "talking", "busy", "dead"}

func (s lineState) String() string { return lineStateNames[s] }

// Line is the virtual telco line on an FXO port: the central office and the
// far party behind it. It rings the port with the zone's cadence and caller
// ID, gives dial tone when seized, receives the digits dialled (DTMF, with
// dsp.DTMFDetector on what the port sends), answers, talks and listens, and
// hangs up with busy tone, a loop-current drop or a polarity reversal.
// Methods are safe for concurrent use.
type Line struct {
	b    *Board
	port *fxoPort
	n    int

	state    lineState
	battery  bool
	dropLeft int // frames left of a loop-current drop
	reversed bool
	flashes  int

	// ringing
	cadence []time.Duration
	// ownCadence is set when SetRingCadence chose cadence, which a new
	// zone then leaves alone.
	ownCadence bool
	ringSeg    int // index in cadence; -1 before the first burst
	ringLeft   int // frames left in the segment
	ringCycle  int
	ringOn     bool // ring voltage applied
	ringValid  bool // the port reported EventRingStart for this burst
	ringBurst  int  // frames into the current burst
	rings      int  // validated bursts of this call
	preLeft    int  // frames before the first burst
	cidSeg     int  // the silence that carries FSK caller ID (-1: none)
	cidMsg     []byte
	cidLeft    int // frames until the FSK burst starts
	fsk        *dsp.FSKModulator
	cidDTMF    *dsp.DTMFGenerator
	cidMode    CallerIDMode

	// seized
	dialTone, ringback, busy *dsp.TonePlayer
	det                      *dsp.DTMFDetector
	digits                   []byte
	lastDigit                time.Duration
	autoAnswer               time.Duration
	ringbackTime             time.Duration
	ringbackLeft             int
	farBusy                  bool
	noDialTone               bool
	answerReversal           bool

	mouth *mouth
	ear   ears
	noise noise

	echoGain  float64
	echoDelay int
	echoBuf   [2048]int16
	echoW     int
}

func newLine(b *Board, p *fxoPort, n int) (*Line, error) {
	z := b.zone
	l := &Line{
		b: b, port: p, n: n,
		battery:      true,
		cadence:      z.Ring,
		det:          dsp.NewDTMFDetector(),
		autoAnswer:   time.Second,
		ringbackTime: 500 * time.Millisecond,
		mouth:        newMouth(),
		noise:        noise{state: 0x9E3779B97F4A7C15 ^ uint64(n)},
	}
	if len(l.cadence) < 2 {
		return nil, fmt.Errorf("sim: zone %q has no ring cadence", z.Code)
	}
	l.dialTone = dsp.NewTonePlayer(z.Dial, DialToneLevel)
	l.ringback = dsp.NewTonePlayer(z.Ringback, RingbackToneLevel)
	l.busy = dsp.NewTonePlayer(z.Busy, BusyToneLevel)
	return l, nil
}

// Number is the line's FXO port number (1-based).
func (l *Line) Number() int { return l.n }

// State names what the line is doing: idle, ringing, dial-tone, dialling,
// ringback, talking, busy or dead.
func (l *Line) State() string {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return l.state.String()
}

// Ring makes the far end call the port: the line rings with the zone's
// cadence until the port seizes it (answers) or StopRinging, and sends m as
// caller ID (FSK in the first silence long enough for it, or DTMF before the
// first ring, per SetCallerIDMode). A zero m sends no caller ID.
func (l *Line) Ring(m dsp.CallerIDMessage) error {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if l.state != lineIdle || l.port.seized {
		return fmt.Errorf("sim: line %d ring: line is %s", l.n, l.state)
	}
	if !l.hasBattery() {
		return fmt.Errorf("sim: line %d ring: %w", l.n, board.ErrNoBattery)
	}
	l.cidMsg, l.cidSeg, l.cidLeft, l.preLeft = nil, -1, 0, 0
	l.cidDTMF = nil
	if m != (dsp.CallerIDMessage{}) {
		switch l.cidMode {
		case CallerIDFSK:
			msg, err := dsp.EncodeCallerID(m)
			if err != nil {
				return fmt.Errorf("sim: line %d ring: caller ID: %w", l.n, err)
			}
			l.cidMsg = msg
			l.cidSeg = l.fskSilence(len(msg))
			l.fsk = dsp.NewFSKModulator(CallerIDStandard(l.b.cfg.Zone), CallerIDLevel)
		case CallerIDDTMF:
			s, err := dsp.EncodeDTMFCallerID(m)
			if err != nil {
				return fmt.Errorf("sim: line %d ring: DTMF caller ID: %w", l.n, err)
			}
			l.cidDTMF = dsp.NewDTMFGenerator(dsp.DTMFGenConfig{})
			if err := l.cidDTMF.Queue(s); err != nil {
				return fmt.Errorf("sim: line %d ring: DTMF caller ID %q: %w", l.n, s, err)
			}
			l.preLeft = frames(dtmfCIDGap)
		}
	}
	l.state, l.ringSeg, l.ringLeft, l.ringCycle, l.rings = lineRinging, -1, 0, 0, 0
	return nil
}

// fskSilence picks the first silence of the cadence long enough for an FSK
// burst of n message bytes (seizure, marks, message at 1200 baud), or the
// first silence when none is (some cadences, like the UK's double ring,
// have a short one first).
func (l *Line) fskSilence(n int) int {
	bits := 300 + 180 + 10*n
	burst := time.Duration(bits) * time.Second / 1200
	for i := 1; i < len(l.cadence); i += 2 {
		if l.cadence[i] >= cidDelay+burst+cidGuard {
			return i
		}
	}
	l.b.log.Warn("ring cadence has no silence long enough for caller ID", "zone", l.b.zone.Code, "burst", burst)
	return 1
}

// StopRinging makes the far end give up before the port answered.
func (l *Line) StopRinging() {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if l.state == lineRinging {
		l.stopRing()
		l.state = lineIdle
	}
}

// Ringing reports whether the far end is calling (ring or silence between).
func (l *Line) Ringing() bool {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return l.state == lineRinging
}

// Rings is how many validated ring bursts the current or last call made.
func (l *Line) Rings() int {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return l.rings
}

// Answer makes the called party answer now (after dialling).
func (l *Line) Answer() error {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	switch l.state {
	case lineDialTone, lineDialling, lineRingback:
		l.answer()
		return nil
	}
	return fmt.Errorf("sim: line %d answer: line is %s", l.n, l.state)
}

// answer connects the called party, with the central office's answer
// signal when the line gives one. Callers hold b.mu.
func (l *Line) answer() {
	l.state = lineTalking
	if l.answerReversal {
		l.reversed = !l.reversed
		l.b.emit(l.port.info.Index, board.EventPolarityReversal, 0, "answer")
	}
}

// SetAnswerReversal makes the central office signal the called party's
// answer by reversing the line's polarity (answer supervision, as many
// offer to PBXs and payphones); a HangupReversal reverses it back. Off by
// default, as on most residential lines.
func (l *Line) SetAnswerReversal(on bool) {
	l.b.mu.Lock()
	l.answerReversal = on
	l.b.mu.Unlock()
}

// SetAutoAnswer sets how long after the last digit the number counts as
// complete and the called party answers (after SetRingback's ringback): 1 s
// by default; 0 leaves answering to Answer.
func (l *Line) SetAutoAnswer(after time.Duration) {
	l.b.mu.Lock()
	l.autoAnswer = after
	l.b.mu.Unlock()
}

// SetRingback sets how long the called party rings (ringback tone) before
// an automatic answer; 500 ms by default.
func (l *Line) SetRingback(d time.Duration) {
	l.b.mu.Lock()
	l.ringbackTime = d
	l.b.mu.Unlock()
}

// SetDialTone turns the exchange's dial tone on (the default) or off: a
// line that has battery but gives no dial tone is a congested or
// half-dead central office. Digits are still received.
func (l *Line) SetDialTone(on bool) {
	l.b.mu.Lock()
	l.noDialTone = !on
	l.b.mu.Unlock()
}

// SetFarEndBusy makes the numbers dialled on this line busy: once the
// number is complete the line plays busy tone instead of answering.
func (l *Line) SetFarEndBusy(busy bool) {
	l.b.mu.Lock()
	l.farBusy = busy
	l.b.mu.Unlock()
}

// SetRingCadence makes the line ring with cadence (on, off, on, off...
// durations; even count, each at least 100 ms) instead of the zone's: the
// central office's cadence need not be the one the box uses for its own
// phones, and a short one keeps tests short. nil restores the zone's.
func (l *Line) SetRingCadence(cadence []time.Duration) error {
	own := cadence != nil
	if cadence == nil {
		cadence = l.b.Zone().Ring
	}
	if len(cadence) < 2 || len(cadence)%2 != 0 {
		return fmt.Errorf("sim: line %d ring cadence %v: want on/off pairs", l.n, cadence)
	}
	for _, d := range cadence {
		if d < 100*time.Millisecond || d > 10*time.Second {
			return fmt.Errorf("sim: line %d ring cadence %v: each part 100 ms to 10 s", l.n, cadence)
		}
	}
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if l.state == lineRinging {
		return fmt.Errorf("sim: line %d ring cadence: line is ringing", l.n)
	}
	l.cadence, l.ownCadence = append([]time.Duration(nil), cadence...), own
	return nil
}

// SetCallerIDMode chooses how Ring sends caller ID.
func (l *Line) SetCallerIDMode(m CallerIDMode) {
	l.b.mu.Lock()
	l.cidMode = m
	l.b.mu.Unlock()
}

// Hangup makes the far end hang up a call in progress; the port hears it
// as mode says. Before answer it stops ringing.
func (l *Line) Hangup(mode HangupMode) error {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	switch l.state {
	case lineRinging:
		l.stopRing()
		l.state = lineIdle
		return nil
	case lineIdle, lineDead:
		return fmt.Errorf("sim: line %d hang up: no call (line is %s)", l.n, l.state)
	}
	switch mode {
	case HangupBusyTone:
		l.state = lineBusy
		l.busy.Reset()
	case HangupLoopDrop:
		l.state = lineDead
		if l.battery && l.dropLeft == 0 {
			l.b.emit(l.port.info.Index, board.EventLineVoltageLost, 0, "loop current drop")
		}
		l.dropLeft = frames(loopDropTime)
	case HangupReversal:
		l.state = lineDead
		l.reversed = !l.reversed
		l.b.emit(l.port.info.Index, board.EventPolarityReversal, 0, "")
	default:
		return fmt.Errorf("sim: line %d hang up: unknown mode %d", l.n, int(mode))
	}
	return nil
}

// SetBattery connects (true, the default) or removes the line's battery
// feed, as a cut cable or a line taken out of service would. Without it
// Seize fails with board.ErrNoBattery and a call in progress is lost.
func (l *Line) SetBattery(on bool) {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if l.battery == on {
		return
	}
	l.battery = on
	if on {
		l.b.emit(l.port.info.Index, board.EventLineVoltageRestored, 0, "")
		return
	}
	if l.dropLeft > 0 {
		l.dropLeft = 0 // the drop's Lost event stands for this one too
	} else {
		l.b.emit(l.port.info.Index, board.EventLineVoltageLost, 0, "no battery")
	}
	switch l.state {
	case lineRinging:
		l.stopRing()
		l.state = lineIdle
	case lineIdle:
	default:
		l.state = lineDead
	}
}

// SetNoise adds white noise at levelDBm0 (RMS) to what the line sends;
// a level below -90 dBm0 turns it off (the default).
func (l *Line) SetNoise(levelDBm0 float64) {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if levelDBm0 < -90 {
		l.noise.rms = 0
		return
	}
	l.noise.rms = dsp.DBm0ToPeak(levelDBm0) / math.Sqrt2
}

// SetEcho makes the line's hybrid return what the port sends, returnLossDB
// weaker and delay later (20 to 200 ms: at least one frame, as the echo of
// a frame can only come back in a later one); returnLossDB 0 turns it off
// (the default).
func (l *Line) SetEcho(returnLossDB float64, delay time.Duration) error {
	if returnLossDB == 0 {
		l.b.mu.Lock()
		l.echoGain = 0
		l.b.mu.Unlock()
		return nil
	}
	if returnLossDB < 0 || delay < board.FrameDuration || delay > 200*time.Millisecond {
		return fmt.Errorf("sim: line %d echo %.1f dB after %v: want a positive loss and 20-200 ms", l.n, returnLossDB, delay)
	}
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	l.echoGain = math.Pow(10, -returnLossDB/20)
	l.echoDelay = int(delay * board.SampleRate / time.Second)
	return nil
}

// Seized reports whether the port holds the line (loop closed).
func (l *Line) Seized() bool {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return l.port.seized
}

// WaitSeized waits until the port seizes the line.
func (l *Line) WaitSeized(ctx context.Context) error {
	return l.b.waitFor(ctx, func() bool { return l.port.seized })
}

// WaitReleased waits until the port releases the line.
func (l *Line) WaitReleased(ctx context.Context) error {
	return l.b.waitFor(ctx, func() bool { return !l.port.seized })
}

// WaitState waits until the line is in state (see State).
func (l *Line) WaitState(ctx context.Context, state string) error {
	return l.b.waitFor(ctx, func() bool { return l.state.String() == state })
}

// Digits returns the DTMF digits received since the port last seized the
// line.
func (l *Line) Digits() string {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return string(l.digits)
}

// WaitDigits waits until at least n digits were received and returns them.
func (l *Line) WaitDigits(ctx context.Context, n int) (string, error) {
	err := l.b.waitFor(ctx, func() bool { return len(l.digits) >= n })
	if err != nil {
		return l.Digits(), fmt.Errorf("sim: line %d waiting for %d digits: %w", l.n, n, err)
	}
	return l.Digits(), nil
}

// Flashes counts the hook flashes the port made.
func (l *Line) Flashes() int {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return l.flashes
}

// Polarity reports whether the line's polarity is reversed.
func (l *Line) Polarity() (reversed bool) {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return l.reversed
}

// Talk makes gen the far party's voice (see Phone.Talk); it is heard once
// the call is connected.
func (l *Line) Talk(gen func(out []int16)) {
	l.b.mu.Lock()
	l.mouth.talk = gen
	l.b.mu.Unlock()
}

// Plug makes t the far party's terminal (a fax machine) in place of its
// voice, once the call is connected; nil unplugs it.
func (l *Line) Plug(t Terminal) {
	l.b.mu.Lock()
	setTerminal(l.mouth, &l.ear, t)
	l.b.mu.Unlock()
}

// Play queues samples for the far party to say once connected.
func (l *Line) Play(samples []int16) {
	l.b.mu.Lock()
	l.mouth.play(samples)
	l.b.mu.Unlock()
}

// Record starts recording what the port sends on the line (while seized).
func (l *Line) Record() {
	l.b.mu.Lock()
	l.ear.rec = recorder{on: true}
	l.b.mu.Unlock()
}

// StopRecording stops recording and returns the recording.
func (l *Line) StopRecording() []int16 {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	l.ear.rec.on = false
	return append([]int16(nil), l.ear.rec.buf...)
}

// Recording returns a copy of what was recorded so far.
func (l *Line) Recording() []int16 {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return append([]int16(nil), l.ear.rec.buf...)
}

func (l *Line) hasBattery() bool { return l.battery && l.dropLeft == 0 }

// seize: the port closed the loop. A ringing line is answered; an idle one
// gives dial tone.
func (l *Line) seize(now time.Duration) {
	l.digits = l.digits[:0]
	l.det.Reset()
	switch l.state {
	case lineRinging:
		l.stopRing()
		l.state = lineTalking
	default:
		l.state = lineDialTone
		l.dialTone.Reset()
	}
	l.lastDigit = now
}

// release: the port opened the loop; the call, whatever it was, is over.
func (l *Line) release() {
	if l.state != lineRinging {
		l.state = lineIdle
	}
}

func (l *Line) stopRing() {
	if l.ringValid {
		l.b.emit(l.port.info.Index, board.EventRingStop, 0, "")
	}
	l.ringOn, l.ringValid, l.cidLeft = false, false, 0
	l.cidDTMF = nil
}

// produce advances the line by one frame and writes what it sends to the
// port into out.
func (l *Line) produce(now time.Duration, out *board.Frame) {
	*out = board.Frame{}
	if l.dropLeft > 0 {
		l.dropLeft--
		if l.dropLeft == 0 && l.battery {
			l.b.emit(l.port.info.Index, board.EventLineVoltageRestored, 0, "")
		}
	}
	closed := l.port.loopClosed()
	switch l.state {
	case lineRinging:
		l.stepRing(out)
	case lineDialTone:
		if !l.noDialTone {
			l.dialTone.Read(out[:])
		}
	case lineDialling:
		if l.autoAnswer > 0 && now-l.lastDigit >= l.autoAnswer {
			if l.farBusy {
				l.state = lineBusy
				l.busy.Reset()
			} else {
				l.state = lineRingback
				l.ringback.Reset()
				l.ringbackLeft = frames(l.ringbackTime)
			}
		}
	case lineRingback:
		l.ringback.Read(out[:])
		if l.ringbackLeft--; l.ringbackLeft <= 0 {
			l.answer()
		}
	case lineTalking:
		l.mouth.read(out)
	case lineBusy:
		l.busy.Read(out[:])
	}
	if !l.hasBattery() {
		*out = board.Frame{}
		return
	}
	if !closed && l.state != lineRinging {
		*out = board.Frame{}
	}
	if closed && l.echoGain > 0 {
		n := len(l.echoBuf)
		for i := range out {
			e := float64(l.echoBuf[(l.echoW-l.echoDelay+i+n)%n]) * l.echoGain
			out[i] = sat(int32(out[i]) + int32(math.Round(e)))
		}
	}
	l.noise.add(out[:])
}

// stepRing advances the ring cadence and the caller ID by one frame.
func (l *Line) stepRing(out *board.Frame) {
	if l.cidDTMF != nil && l.cidDTMF.Busy() {
		l.cidDTMF.Read(out[:])
		return
	}
	if l.preLeft > 0 {
		l.preLeft--
		return
	}
	if l.ringLeft--; l.ringLeft <= 0 {
		l.ringSeg++
		if l.ringSeg == len(l.cadence) {
			l.ringSeg = 0
			l.ringCycle++
		}
		l.ringLeft = max(frames(l.cadence[l.ringSeg]), 1)
		on := l.ringSeg%2 == 0
		if !on && l.ringValid {
			l.b.emit(l.port.info.Index, board.EventRingStop, 0, "")
		}
		l.ringOn, l.ringValid, l.ringBurst = on, false, 0
		if !on && l.ringCycle == 0 && l.ringSeg == l.cidSeg && l.cidMsg != nil {
			l.cidLeft = frames(cidDelay)
		}
	}
	if l.ringOn {
		if l.ringBurst++; !l.ringValid && l.ringBurst >= frames(ringValidation) {
			l.ringValid = true
			l.rings++
			l.b.emit(l.port.info.Index, board.EventRingStart, 0, "")
		}
		return
	}
	if l.cidLeft > 0 {
		if l.cidLeft--; l.cidLeft == 0 {
			l.fsk.Queue(l.cidMsg)
		}
	}
	if l.fsk != nil {
		l.fsk.Read(out[:])
	}
}

// consume takes what the port sent this frame (zero unless the loop is
// closed): it feeds the echo path, the recorder and the DTMF receiver.
func (l *Line) consume(now time.Duration, tx *board.Frame) {
	n := len(l.echoBuf)
	for _, v := range tx {
		l.echoBuf[l.echoW] = v
		l.echoW = (l.echoW + 1) % n
	}
	if !l.port.loopClosed() || !l.hasBattery() {
		return
	}
	l.ear.hear(tx[:])
	for _, ev := range l.det.Process(tx[:]) {
		l.digits = append(l.digits, ev.Digit)
		l.lastDigit = now
		if l.state == lineDialTone {
			l.state = lineDialling
		}
	}
}
