package pcmlink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zaf/g711"

	"minipbx/board"
)

// SerialPort is the part of a serial port the Link uses; go.bug.st/serial's
// Port satisfies it, and tests use an in-memory fake. As with
// go.bug.st/serial, Read returns (0, nil) when the read timeout expires:
// that is a quiet line, not end of file.
type SerialPort interface {
	io.ReadWriter
	SetReadTimeout(t time.Duration) error
}

// Defaults of Config.
const (
	// DefaultBaud is the link rate: 3 Mbaud, 8N1 (300 kB/s). See doc.go.
	DefaultBaud = 3_000_000
	// Period is the duration of one link frame (SlotSamples at 8 kHz).
	Period = SlotSamples * time.Second / board.SampleRate
	// DefaultLinkTimeout declares the link down after 20 missing periods.
	DefaultLinkTimeout = 100 * time.Millisecond
	// MaxGap is the largest run of lost AUDIO_UP periods that is concealed
	// (the board clock keeps ticking with silence). A longer gap, or a
	// sequence number that jumps backwards, restarts the stream.
	MaxGap = 64
	// readTimeout bounds how long Run waits in Read, so it notices its
	// context and the link timeout.
	readTimeout = 10 * time.Millisecond
	// driftLeak lets the arrival-time envelope rise by 500 ppm of a
	// period per frame, so it follows an MCU crystal slower than ours.
	driftLeak = Period / 2000
)

// Config configures a Link.
type Config struct {
	// Port is the serial port to the bridge MCU, already opened at the
	// link rate (see Open). The Link owns it from New on and closes it in
	// Close.
	Port SerialPort
	// Law is the companding law of the PCM highway (the line chips are
	// programmed with the same law).
	Law Law
	// Slots is the set of timeslots the MCU must carry (bit i = timeslot
	// i); it is sent to the MCU in CmdConfig. Zero means all 16.
	Slots uint16
	// PlayoutDelay is the MCU's playout delay in periods
	// (MinPlayoutDelay..MaxPlayoutDelay); zero means DefaultPlayoutDelay.
	PlayoutDelay int
	// Baud is the link rate, used to predict when an AUDIO_DOWN frame
	// reaches the MCU; zero means DefaultBaud.
	Baud int
	// LinkTimeout is how long without an AUDIO_UP frame before the link is
	// declared down; zero means DefaultLinkTimeout.
	LinkTimeout time.Duration
	// Now returns the current time; nil means time.Now. Tests inject a
	// simulated clock.
	Now func() time.Time
	// OnLinkState, if set, is called from Run's goroutine when the link
	// comes up or goes down. It must not block.
	OnLinkState func(up bool)
	// Logger receives link up/down and MCU restart reports; nil discards.
	Logger *slog.Logger
}

// Stats is a snapshot of the link's counters (since New).
type Stats struct {
	Up           bool   // AUDIO_UP frames are arriving
	RxFrames     uint64 // valid AUDIO_UP frames processed
	TxFrames     uint64 // AUDIO_DOWN frames sent
	Discarded    uint64 // bytes skipped while hunting for sync
	CRCErrors    uint64 // candidate frames with a bad CRC
	HeaderErrors uint64 // sync words followed by an impossible header
	Dropped      uint64 // AUDIO_UP periods lost (sequence gaps), concealed with silence
	Stale        uint64 // AUDIO_UP frames with an old or repeated sequence number, ignored
	Late         uint64 // AUDIO_DOWN frames not sent because their playout period had passed
	Underruns    uint64 // tx playout buffer ran dry: a period of silence was slipped in
	Overruns     uint64 // tx playout buffer overflowed: the oldest period was slipped out
	Restarts     uint64 // the stream restarted (gap > MaxGap, sequence jumped back)
	LinkDowns    uint64 // up → down transitions
	MCU          MCUStatus
	HasMCU       bool // a STATUS frame has been received
}

// Link is the SoC side of the PCM link. Run drives it; Attach connects a
// port's AudioFunc to a timeslot. The MCU's frames are the board's audio
// clock: every fourth AUDIO_UP frame completes a 20 ms frame and the
// attached AudioFuncs are called from Run's goroutine.
type Link struct {
	port    SerialPort
	law     Law
	slots   uint16
	delay   int
	baud    int
	timeout time.Duration
	now     func() time.Time
	onState func(bool)
	log     *slog.Logger

	fns        [MaxSlots]atomic.Pointer[board.AudioFunc]
	wantStatus atomic.Bool

	// Run goroutine state.
	df        *Deframer
	synced    bool
	up        bool
	next      uint16 // next expected AUDIO_UP sequence number
	count     int64  // periods since the stream started
	base      time.Time
	env       time.Duration // lower envelope of arrival offsets
	lastRx    time.Time
	downSeq   uint16
	ctlSeq    uint16
	lastUp    uint32 // MCU uptime of the last STATUS
	clockLost bool   // the last STATUS said the PCM clock is lost
	rx, tx    [MaxSlots]board.Frame
	fifo      [MaxSlots]playout
	payload   [MaxSlots * SlotSamples]byte
	out       []byte
	ctlBuf    [16]byte
	writeErr  error

	mu    sync.Mutex
	stats Stats

	closeOnce sync.Once
}

// New returns a Link over c.Port. Call Run to start it.
func New(c Config) (*Link, error) {
	if c.Port == nil {
		return nil, errors.New("pcmlink: no serial port")
	}
	if c.Law > ALaw {
		return nil, fmt.Errorf("pcmlink: unknown law %d", c.Law)
	}
	if c.PlayoutDelay == 0 {
		c.PlayoutDelay = DefaultPlayoutDelay
	}
	if c.PlayoutDelay < MinPlayoutDelay || c.PlayoutDelay > MaxPlayoutDelay {
		return nil, fmt.Errorf("pcmlink: playout delay %d outside %d..%d periods", c.PlayoutDelay, MinPlayoutDelay, MaxPlayoutDelay)
	}
	if c.Slots == 0 {
		c.Slots = 0xFFFF
	}
	if c.Baud <= 0 {
		c.Baud = DefaultBaud
	}
	if c.LinkTimeout <= 0 {
		c.LinkTimeout = DefaultLinkTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Link{
		port: c.Port, law: c.Law, slots: c.Slots, delay: c.PlayoutDelay, baud: c.Baud,
		timeout: c.LinkTimeout, now: c.Now, onState: c.OnLinkState, log: c.Logger,
		df:  NewDeframer(),
		out: make([]byte, 0, MaxFrameSize),
	}, nil
}

// Attach installs fn as the AudioFunc of timeslot slot; nil detaches it
// (the MCU then plays idle code on that timeslot). Safe to call while Run
// runs; the change takes effect at the next 20 ms boundary.
func (l *Link) Attach(slot int, fn board.AudioFunc) error {
	if slot < 0 || slot >= MaxSlots {
		return fmt.Errorf("pcmlink: timeslot %d outside 0..%d", slot, MaxSlots-1)
	}
	if l.slots&(1<<slot) == 0 {
		return fmt.Errorf("pcmlink: timeslot %d is not carried by this link (slots %#04x)", slot, l.slots)
	}
	if fn == nil {
		l.fns[slot].Store(nil)
		return nil
	}
	l.fns[slot].Store(&fn)
	return nil
}

// Stats returns a snapshot of the counters.
func (l *Link) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Close closes the serial port, which makes Run return.
func (l *Link) Close() error {
	var err error
	l.closeOnce.Do(func() {
		if c, ok := l.port.(io.Closer); ok {
			err = c.Close()
		}
	})
	return err
}

// Run reads the link until ctx is done (then it returns nil) or the port
// fails (then it returns the error). It is the board's audio clock: the
// AudioFuncs run on its goroutine. Run must not be called twice at once.
func (l *Link) Run(ctx context.Context) error {
	if err := l.port.SetReadTimeout(readTimeout); err != nil {
		return fmt.Errorf("pcmlink: set read timeout: %w", err)
	}
	l.lastRx = l.now()
	if err := l.sendConfig(); err != nil {
		return err
	}
	for ctx.Err() == nil {
		n, err := l.port.Read(l.df.Space())
		at := l.now()
		if n > 0 {
			l.df.Commit(n)
			l.drain(at)
		}
		if l.wantStatus.Swap(false) {
			l.writeErr = errors.Join(l.writeErr, l.sendControl(append(l.ctlBuf[:0], CmdStatusRequest)))
		}
		if l.writeErr != nil {
			return l.writeErr
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("pcmlink: read: %w", err)
		}
		l.checkTimeout(at)
	}
	return nil
}

// input feeds bytes received at time at (Run's path, and tests').
func (l *Link) input(p []byte, at time.Time) {
	for len(p) > 0 {
		n, _ := l.df.Write(p)
		p = p[n:]
		l.drain(at)
	}
}

func (l *Link) drain(at time.Time) {
	defer func() {
		// The deframer belongs to Run's goroutine; Stats reads a copy.
		d := l.df.Stats()
		l.mu.Lock()
		l.stats.Discarded, l.stats.CRCErrors, l.stats.HeaderErrors = d.Discarded, d.CRCErrors, d.HeaderErrors
		l.mu.Unlock()
	}()
	for {
		f, ok := l.df.Next()
		if !ok {
			return
		}
		switch f.Type {
		case TypeAudioUp:
			l.handleUp(&f, at)
		case TypeStatus:
			l.handleStatus(&f)
		default:
			// AUDIO_DOWN or CONTROL coming back: a loopback or a
			// crossed cable. Ignore; the counters show no progress.
		}
	}
}

func (l *Link) checkTimeout(at time.Time) {
	if l.up && at.Sub(l.lastRx) > l.timeout {
		l.up = false
		l.synced = false
		l.mu.Lock()
		l.stats.Up = false
		l.stats.LinkDowns++
		l.mu.Unlock()
		l.log.Warn("pcmlink: link down: no audio frames from the bridge MCU", "silent", at.Sub(l.lastRx))
		if l.onState != nil {
			l.onState(false)
		}
	}
}

func (l *Link) handleStatus(f *Frame) {
	s, err := ParseStatus(f.Payload)
	if err != nil {
		l.log.Warn("pcmlink: bad status frame", "err", err)
		return
	}
	restarted := false
	l.mu.Lock()
	// Uptime going back means a restart; going back by more than half
	// its range is the 49-day wrap of the 32-bit millisecond count.
	if l.stats.HasMCU && s.UptimeMS < l.lastUp && l.lastUp-s.UptimeMS < 1<<31 {
		restarted = true
	}
	l.lastUp = s.UptimeMS
	l.stats.MCU, l.stats.HasMCU = s, true
	l.mu.Unlock()
	if restarted {
		l.log.Warn("pcmlink: bridge MCU restarted", "uptime_ms", s.UptimeMS)
	}
	if restarted || s.Flags&FlagConfigured == 0 {
		l.writeErr = errors.Join(l.writeErr, l.sendConfig())
	}
	if lost := s.Flags&FlagPCMClockLost != 0; lost != l.clockLost {
		l.clockLost = lost
		if lost {
			l.log.Error("pcmlink: bridge MCU reports no PCM clock")
		} else {
			l.log.Info("pcmlink: bridge MCU has its PCM clock again")
		}
	}
}

func (l *Link) sendConfig() error {
	p := AppendConfig(l.ctlBuf[:0], ControlConfig{Law: l.law, PlayoutDelay: uint8(l.delay), Slots: l.slots})
	return l.sendControl(p)
}

func (l *Link) sendControl(p []byte) error {
	l.ctlSeq++
	out, err := AppendFrame(l.out[:0], &Frame{Type: TypeControl, Seq: l.ctlSeq, Payload: p})
	if err != nil {
		return err
	}
	if _, err := l.port.Write(out); err != nil {
		return fmt.Errorf("pcmlink: write control: %w", err)
	}
	return nil
}

// RequestStatus asks the MCU for a STATUS frame (diagnostics want fresh
// counters); Run sends the request within one read timeout. The MCU also
// sends one every second on its own. Safe from any goroutine.
func (l *Link) RequestStatus() { l.wantStatus.Store(true) }

// restart begins a new stream at sequence number seq.
func (l *Link) restart(seq uint16, at time.Time) {
	l.synced = true
	l.next = seq
	l.count = 0
	l.base = at
	l.env = 0
	for i := range l.fifo {
		l.fifo[i].reset()
		clear(l.rx[i][:]) // a partial first frame starts with silence
	}
}

func (l *Link) handleUp(f *Frame, at time.Time) {
	l.lastRx = at
	if !l.up {
		l.up = true
		l.mu.Lock()
		l.stats.Up = true
		l.mu.Unlock()
		l.log.Info("pcmlink: link up", "seq", f.Seq)
		if l.onState != nil {
			l.onState(true)
		}
	}
	if !l.synced {
		l.restart(f.Seq, at)
	}
	d := int16(f.Seq - l.next)
	var dropped uint64
	switch {
	case d < 0 && d > -MaxGap:
		l.count1(&l.stats.Stale)
		return
	case d < 0 || d > MaxGap: // far behind or ahead: the MCU restarted
		l.mu.Lock()
		l.stats.Restarts++
		l.mu.Unlock()
		l.log.Warn("pcmlink: audio stream restarted", "expected", l.next, "got", f.Seq)
		l.restart(f.Seq, at)
	default:
		for range d {
			l.period(nil, at)
			dropped++
		}
	}
	l.period(f, at)
	l.mu.Lock()
	l.stats.RxFrames++
	l.stats.Dropped += dropped
	l.mu.Unlock()
}

// late reports whether the answer to period n, written at time at, would
// reach the MCU after the start of period n+delay, in which it is to be
// played.
//
// The MCU starts sending AUDIO_UP n when period n ends, at E(n); its last
// byte arrives at E(n) + upWire + latency. With base the arrival time of the
// stream's first frame, off(n) = at − base − n·Period, and env — the lower
// envelope of off over the stream — is where a frame with the least latency
// lands: env ≈ E(n) + upWire − base − n·Period. The envelope follows an MCU
// crystal faster than ours at once (off falls) and one slower than ours
// through driftLeak (500 ppm), so the estimate survives drift. The answer
// is late when at + downWire > E(n) + (delay−1)·Period.
func (l *Link) late(n int64, at time.Time, upBytes, downBytes int) bool {
	off := at.Sub(l.base) - time.Duration(n)*Period
	if n == 0 || off < l.env {
		l.env = off
	} else {
		l.env += driftLeak
	}
	upWire := l.wire(upBytes)
	downWire := l.wire(downBytes)
	return off+downWire > l.env-upWire+time.Duration(l.delay-1)*Period
}

// wire is the time n bytes take on the link (10 bit times each, 8N1).
func (l *Link) wire(n int) time.Duration {
	return time.Duration(n) * 10 * time.Second / time.Duration(l.baud)
}

// period runs one 5 ms period: f is its AUDIO_UP frame, or nil for a lost
// one (silence in, nothing sent back).
func (l *Link) period(f *Frame, at time.Time) {
	seq := l.next
	l.next++
	n := l.count
	l.count++
	sub := int(seq % SubFrames)
	var fns [MaxSlots]*board.AudioFunc
	for s := range MaxSlots {
		fns[s] = l.fns[s].Load()
		if fns[s] == nil {
			continue
		}
		rx := l.rx[s][sub*SlotSamples : (sub+1)*SlotSamples]
		var src []byte
		if f != nil {
			src = f.Slot(s)
		}
		if src == nil {
			clear(rx)
			continue
		}
		if l.law == ALaw {
			for i, b := range src {
				rx[i] = g711.DecodeAlawFrame(b)
			}
		} else {
			for i, b := range src {
				rx[i] = g711.DecodeUlawFrame(b)
			}
		}
	}
	if sub == SubFrames-1 {
		for s, fn := range fns {
			if fn == nil {
				l.fifo[s].reset()
				continue
			}
			clear(l.tx[s][:])
			(*fn)(&l.rx[s], &l.tx[s])
			if l.fifo[s].push(&l.tx[s]) {
				l.count1(&l.stats.Overruns)
			}
		}
	}
	var m uint16
	k := 0
	for s, fn := range fns {
		if fn == nil {
			continue
		}
		m |= 1 << s
		dst := l.payload[k*SlotSamples : (k+1)*SlotSamples]
		k++
		src, ok := l.fifo[s].pop()
		if !ok {
			if l.fifo[s].primed {
				l.count1(&l.stats.Underruns)
			}
			for i := range dst {
				dst[i] = l.law.idle()
			}
			continue
		}
		if l.law == ALaw {
			for i, v := range src {
				dst[i] = g711.EncodeAlawFrame(v)
			}
		} else {
			for i, v := range src {
				dst[i] = g711.EncodeUlawFrame(v)
			}
		}
	}
	if f == nil {
		return
	}
	size := HeaderSize + k*SlotSamples + TrailerSize
	if l.late(n, at, HeaderSize+len(f.Payload)+TrailerSize, size) {
		l.count1(&l.stats.Late)
		return
	}
	l.downSeq++
	out, err := AppendFrame(l.out[:0], &Frame{Type: TypeAudioDown, Seq: l.downSeq, Ack: seq, Map: m, Payload: l.payload[:k*SlotSamples]})
	if err != nil {
		panic(err) // the frame is built from our own consistent state
	}
	if _, err := l.port.Write(out); err != nil {
		if l.writeErr == nil {
			l.writeErr = fmt.Errorf("pcmlink: write audio: %w", err)
		}
		return
	}
	l.count1(&l.stats.TxFrames)
}

func (l *Link) count1(c *uint64) {
	l.mu.Lock()
	*c++
	l.mu.Unlock()
}

// playout is one timeslot's tx playout buffer: 20 ms frames from the
// AudioFunc go in, 5 ms periods go out. Two frames of room absorb a frame
// produced before the previous one has been fully sent; anything beyond
// is an overrun, slipped by dropping the oldest period.
type playout struct {
	buf    [2 * board.FrameSamples]int16
	r, n   int // read position and fill, in samples
	primed bool
}

func (p *playout) reset() { p.r, p.n, p.primed = 0, 0, false }

// push appends a 20 ms frame; it reports an overrun (oldest audio slipped).
func (p *playout) push(f *board.Frame) (overrun bool) {
	p.primed = true
	for p.n+board.FrameSamples > len(p.buf) {
		p.r = (p.r + SlotSamples) % len(p.buf)
		p.n -= SlotSamples
		overrun = true
	}
	w := (p.r + p.n) % len(p.buf)
	c := copy(p.buf[w:], f[:])
	copy(p.buf[:], f[c:])
	p.n += board.FrameSamples
	return overrun
}

// pop takes the next period; false when fewer than SlotSamples are queued.
func (p *playout) pop() ([]int16, bool) {
	if p.n < SlotSamples {
		return nil, false
	}
	s := p.buf[p.r : p.r+SlotSamples]
	p.r = (p.r + SlotSamples) % len(p.buf)
	p.n -= SlotSamples
	return s, true
}
