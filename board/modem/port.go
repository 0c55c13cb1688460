package modem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/board"
	"minipbx/dsp"
)

// SerialPort is the part of a serial port the driver uses; go.bug.st/serial's
// Port satisfies it. Read returns (0, nil) when the read timeout expires.
type SerialPort interface {
	io.ReadWriter
	SetReadTimeout(t time.Duration) error
}

// Config configures a modem port.
type Config struct {
	// Port is the modem's serial port; the Port owns it from New on.
	Port SerialPort
	// Index is the port's index on its board (board.PortInfo.Index).
	Index int
	// Name is shown to installers; "Modem" when empty.
	Name string
	// Emit delivers the port's events to the board's event stream. It
	// is called from Run's goroutine and must not block. nil discards.
	Emit func(board.Event)
	// Prefer is the G.711 law to ask for first (EncULaw or EncALaw; the
	// zone's law), or EncSigned16 to prefer linear audio on fast links.
	// Zero means EncULaw.
	Prefer Encoding
	// Baud is the link rate; 16-bit linear audio is used only at 230400
	// baud and above. Zero means 115200.
	Baud int
	// CommandTimeout bounds the wait for a command's final result code.
	// Zero means 2 s.
	CommandTimeout time.Duration
	// InitAttempts is how often each initialisation command is tried.
	// Zero means 3.
	InitAttempts int
	// InitString is one extra AT command line the installer gives (a
	// country or gain setting), sent after ATZ and ATE0, before voice
	// mode. A modem that answers ERROR is used anyway (it is logged):
	// a wrong string must not take the line out of service. "" none.
	InitString string
	// BackoffMin and BackoffMax bound the wait between re-initialisations
	// of a modem that does not answer (doubling from min to max). Zero
	// means 1 s and 60 s.
	BackoffMin, BackoffMax time.Duration
	// HealthInterval is how often an idle modem is checked with "AT".
	// Zero means 30 s.
	HealthInterval time.Duration
	// VoiceTimeout is how long the voice stream may stay silent (no byte
	// at all: a modem streams 8000 samples/s) before the modem is declared
	// dead. Zero means 1 s.
	VoiceTimeout time.Duration
	// RingBurst is how long after a RING the driver reports the burst's
	// end (modems report only its start). Zero means 1 s.
	RingBurst time.Duration
	// RingGap is how long without RING ends a ringing session. Zero means
	// 8 s (longer than any ring cadence's silence).
	RingGap time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives fault and recovery reports; nil discards.
	Logger *slog.Logger
}

// Stats counts what the driver saw since New.
type Stats struct {
	Inits        uint64 // successful initialisations
	InitFailures uint64 // failed initialisations
	Timeouts     uint64 // commands the modem did not answer in time
	Frames       uint64 // 20 ms audio frames delivered
	DTMF         uint64 // DTMF digits the modem reported (the audio carries them too)
	RxOverruns   uint64 // <DLE>o: the modem lost received audio
	TxUnderruns  uint64 // <DLE>u: the modem ran out of audio to play
	Garbage      uint64 // unparsable or over-long lines
}

var errNoResponse = errors.New("modem: no response")

// Port is a voice modem used as an FXO port. Run drives it; it implements
// board.FXOPort. While off hook the modem's sample stream is the audio
// clock: every 160 samples received call the AudioFunc.
type Port struct {
	c    Config
	port SerialPort
	log  *slog.Logger
	now  func() time.Time

	fn   atomic.Pointer[board.AudioFunc]
	reqs chan request
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	hook    board.HookState
	ringing bool
	fault   string
	cid     CallerID
	stats   Stats
	format  Format
	duplex  bool

	// Run goroutine state.
	rbuf      [rbufSize]byte
	r, w      int
	line      []byte
	lineDrop  bool
	dleCmd    bool // command mode: a DLE was the last byte
	un        unshield
	streaming bool
	skipLF    bool // the <LF> of CONNECT's <CR><LF> is still to come
	ended     bool
	data      []byte
	rx, tx    board.Frame
	nrx       int
	half      int // a 16-bit sample's first byte split from its second, or -1
	out       []byte
	onDLE     func(byte)
	lastByte  time.Time
	lastCheck time.Time
	lastRing  time.Time
	ringStop  time.Time
}

type reqKind int

const (
	reqSeize reqKind = iota + 1
	reqRelease
	reqFlash
)

type request struct {
	kind  reqKind
	d     time.Duration
	reply chan error
}

const readTimeout = 20 * time.Millisecond

var _ board.FXOPort = (*Port)(nil)

// New returns a modem port over c.Port; call Run to start it.
func New(c Config) (*Port, error) {
	if c.Port == nil {
		return nil, errors.New("modem: no serial port")
	}
	if c.Name == "" {
		c.Name = "Modem"
	}
	if c.Emit == nil {
		c.Emit = func(board.Event) {}
	}
	if c.Prefer == 0 {
		c.Prefer = EncULaw
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.CommandTimeout, 2*time.Second)
	def(&c.BackoffMin, time.Second)
	def(&c.BackoffMax, time.Minute)
	def(&c.HealthInterval, 30*time.Second)
	def(&c.VoiceTimeout, time.Second)
	def(&c.RingBurst, time.Second)
	def(&c.RingGap, 8*time.Second)
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = c.BackoffMin
	}
	if c.InitAttempts <= 0 {
		c.InitAttempts = 3
	}
	if c.Baud <= 0 {
		c.Baud = 115200
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Port{
		c: c, port: c.Port, now: c.Now,
		log:   c.Logger.With("port", c.Name),
		reqs:  make(chan request),
		done:  make(chan struct{}),
		fault: "not initialised yet",
		line:  make([]byte, 0, maxLine),
		data:  make([]byte, 0, rbufSize),
		out:   make([]byte, 0, 4*2*board.FrameSamples+16),
	}
	p.onDLE = p.voiceEvent
	return p, nil
}

const (
	maxLine  = 256
	rbufSize = 4096
)

// Info implements board.Port.
func (p *Port) Info() board.PortInfo {
	return board.PortInfo{Index: p.c.Index, Kind: board.FXO, Name: p.c.Name, Driver: "modem"}
}

// Status implements board.Port.
func (p *Port) Status() board.PortStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := board.PortStatus{Hook: p.hook, Line: board.LineOK, Fault: p.fault}
	switch {
	case p.fault != "":
		s.Line = board.LineFault
	case p.ringing:
		s.Line = board.LineRinging
	}
	return s
}

// SetAudio implements board.Port.
func (p *Port) SetAudio(fn board.AudioFunc) {
	if fn == nil {
		p.fn.Store(nil)
		return
	}
	p.fn.Store(&fn)
}

// Measure implements board.Port: a modem measures nothing.
func (p *Port) Measure() (board.Measurements, error) {
	return board.Measurements{}, fmt.Errorf("modem %s: measure: %w", p.c.Name, board.ErrNotSupported)
}

// Seize implements board.FXOPort: off hook and start full-duplex voice.
func (p *Port) Seize() error { return p.do(reqSeize, 0) }

// Release implements board.FXOPort: stop the voice stream and hang up.
func (p *Port) Release() error { return p.do(reqRelease, 0) }

// Flash implements board.FXOPort: on hook for d, then off hook again.
func (p *Port) Flash(d time.Duration) error {
	if d <= 0 || d > 2*time.Second {
		return fmt.Errorf("modem %s: flash of %v outside (0, 2s]", p.c.Name, d)
	}
	return p.do(reqFlash, d)
}

// CallerID returns the caller ID of the current (or last) ringing call.
// The modem decodes it itself, so it does not appear in the audio as it
// does on the line chips; board.Board has no caller ID event, so callers
// that want it from a modem port ask here after the first ring.
func (p *Port) CallerID() (CallerID, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cid, !p.cid.Empty()
}

// LineCallerID is CallerID in the exchange's own form (the one its FSK and
// DTMF decoders produce for the line chips: year 0, UTC), so that the
// analog layer can take a modem's caller ID through one small optional
// interface:
//
//	interface{ LineCallerID() (dsp.CallerIDMessage, bool) }
func (p *Port) LineCallerID() (dsp.CallerIDMessage, bool) {
	c, ok := p.CallerID()
	if !ok {
		return dsp.CallerIDMessage{}, false
	}
	m := dsp.CallerIDMessage{
		Number: c.Number, Name: c.Name,
		NumberAbsent: c.NumberAbsent, NameAbsent: c.NameAbsent,
	}
	if c.HasTime && c.Month >= 1 && c.Day >= 1 {
		m.Time = time.Date(0, time.Month(c.Month), c.Day, c.Hour, c.Minute, 0, 0, time.UTC)
		m.HasTime = true
	}
	return m, true
}

// Format returns the voice format negotiated at the last initialisation
// and whether the modem runs full duplex (+VTR) or receive-only (+VRX).
func (p *Port) Format() (Format, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.format, p.duplex
}

// Stats returns the counters.
func (p *Port) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close closes the serial port (Run then returns).
func (p *Port) Close() error {
	var err error
	p.once.Do(func() {
		if c, ok := p.port.(io.Closer); ok {
			err = c.Close()
		}
	})
	return err
}

func (p *Port) do(k reqKind, d time.Duration) error {
	r := request{kind: k, d: d, reply: make(chan error, 1)}
	wait := 2*p.c.CommandTimeout + d + time.Second
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case p.reqs <- r:
	case <-p.done:
		return fmt.Errorf("modem %s: %w", p.c.Name, board.ErrClosed)
	case <-t.C:
		// Run is not running, or is still busy initialising a modem
		// that answers slowly.
		return fmt.Errorf("modem %s: not ready: %w", p.c.Name, board.ErrPortFault)
	}
	select {
	case err := <-r.reply:
		return err
	case <-p.done:
		return fmt.Errorf("modem %s: %w", p.c.Name, board.ErrClosed)
	}
}

func (p *Port) emit(t board.EventType, detail string) {
	p.c.Emit(board.Event{Port: p.c.Index, Type: t, Time: p.now(), Detail: detail})
}

func (p *Port) bump(c *uint64) {
	p.mu.Lock()
	*c++
	p.mu.Unlock()
}

// Run drives the modem until ctx is done: initialisation (with retries),
// ring and caller ID reports, voice calls, health checks, and
// re-initialisation with back-off when the modem stops answering (the port
// is reported faulty meanwhile and recovered afterwards). It returns nil
// when ctx is done, after hanging up.
func (p *Port) Run(ctx context.Context) error {
	defer close(p.done)
	if err := p.port.SetReadTimeout(readTimeout); err != nil {
		return fmt.Errorf("modem %s: set read timeout: %w", p.c.Name, err)
	}
	backoff := p.c.BackoffMin
	faulted := false
	for ctx.Err() == nil {
		err := p.initModem(ctx)
		if err == nil {
			backoff = p.c.BackoffMin
			p.mu.Lock()
			p.fault = ""
			p.stats.Inits++
			p.mu.Unlock()
			if faulted {
				p.log.Info("modem: recovered")
				p.emit(board.EventRecovered, "modem answers again")
				faulted = false
			}
			err = p.serve(ctx)
			if err == nil {
				break
			}
		} else {
			p.bump(&p.stats.InitFailures)
		}
		if ctx.Err() != nil {
			break
		}
		p.mu.Lock()
		p.fault = err.Error()
		wasOff := p.hook == board.OffHook
		p.hook = board.OnHook
		p.mu.Unlock()
		if !faulted {
			p.log.Warn("modem: out of service", "err", err)
			if wasOff {
				p.emit(board.EventLineVoltageLost, "modem stopped answering during a call")
			}
			p.emit(board.EventFault, err.Error())
			faulted = true
		}
		p.streaming = false
		if !p.pause(ctx, backoff) {
			break
		}
		backoff = min(2*backoff, p.c.BackoffMax)
	}
	p.shutdown()
	return nil
}

// pause waits d while refusing requests (the port is faulty).
func (p *Port) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case r := <-p.reqs:
			if r.kind == reqRelease {
				r.reply <- nil // already on hook
			} else {
				r.reply <- fmt.Errorf("modem %s: %w", p.c.Name, board.ErrPortFault)
			}
		}
	}
}

// shutdown hangs up on the way out, best effort.
func (p *Port) shutdown() {
	if p.streaming {
		_ = p.stopStream(context.Background())
	}
	p.mu.Lock()
	off := p.hook == board.OffHook
	p.mu.Unlock()
	if off {
		_, _, _ = p.command(context.Background(), "AT+VLS=0")
	}
}

// initModem brings the modem to voice mode, on hook, caller ID on.
func (p *Port) initModem(ctx context.Context) error {
	// Leave whatever state a previous run left: end a duplex or receive
	// stream, end a transmit stream, and finish any half-typed command.
	kick := append(append(append([]byte(nil), cmdEndDuplex...), cmdEndReceive...), cmdEndTx...)
	_, _ = p.port.Write(append(kick, '\r'))
	p.discard(ctx, 200*time.Millisecond)
	p.streaming, p.un = false, unshield{}
	for _, cmd := range []string{"ATZ", "ATE0", p.c.InitString, "AT+FCLASS=8"} {
		if cmd == "" {
			continue
		}
		_, err := p.retry(ctx, cmd)
		if err != nil && cmd == p.c.InitString && !errors.Is(err, errNoResponse) {
			p.log.Warn("modem: the initialisation string was refused; going on without it", "init_string", cmd, "err", err)
			continue
		}
		if err != nil {
			return err
		}
	}
	if _, err := p.retry(ctx, "AT+VCID=1"); err != nil {
		if errors.Is(err, errNoResponse) {
			return err
		}
		p.log.Warn("modem: no caller ID support", "err", err)
	}
	info, err := p.retry(ctx, "AT+VSM=?")
	if err != nil {
		return err
	}
	fs := ParseFormats(info)
	var chosen Format
	for len(fs) > 0 {
		f, err := ChooseFormat(fs, p.c.Prefer, p.c.Baud >= 230400)
		if err != nil {
			return fmt.Errorf("modem: formats %q: %w", info, err)
		}
		_, res, err := p.command(ctx, fmt.Sprintf("AT+VSM=%d,8000", f.CML))
		if err != nil {
			return err
		}
		if res == "OK" {
			chosen = f
			break
		}
		// Refused: drop it and try the next best.
		var rest []Format
		for _, g := range fs {
			if g.CML != f.CML {
				rest = append(rest, g)
			}
		}
		fs = rest
	}
	if chosen.Encoding == 0 {
		return fmt.Errorf("modem: every voice format refused: %w", ErrNoFormat)
	}
	if _, err := p.retry(ctx, "AT+VLS=0"); err != nil {
		return err
	}
	p.mu.Lock()
	p.format = chosen
	p.hook = board.OnHook
	p.mu.Unlock()
	p.lastCheck = p.now()
	p.log.Info("modem: ready", "format", chosen.Name, "encoding", chosen.Encoding.String())
	return nil
}

// retry runs cmd until it returns OK, up to InitAttempts times.
func (p *Port) retry(ctx context.Context, cmd string) ([]string, error) {
	var err error
	for range p.c.InitAttempts {
		var info []string
		var res string
		info, res, err = p.command(ctx, cmd)
		if err == nil && res == "OK" {
			return info, nil
		}
		if err == nil {
			err = fmt.Errorf("modem: %s: %s", cmd, res)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return nil, err
}

// discard reads and drops input for d.
func (p *Port) discard(ctx context.Context, d time.Duration) {
	end := p.now().Add(d)
	for ctx.Err() == nil && p.now().Before(end) {
		if _, err := p.fill(); err != nil {
			break
		}
		p.r, p.w = 0, 0
	}
	p.line, p.lineDrop, p.dleCmd = p.line[:0], false, false
}

// fill reads more bytes into rbuf; 0 on a read timeout.
func (p *Port) fill() (int, error) {
	if p.r > 0 {
		copy(p.rbuf[:], p.rbuf[p.r:p.w])
		p.w -= p.r
		p.r = 0
	}
	if p.w == len(p.rbuf) {
		p.w = 0 // cannot happen: every caller consumes what it reads
	}
	n, err := p.port.Read(p.rbuf[p.w:])
	p.w += n
	if n > 0 {
		p.lastByte = p.now()
	}
	if err != nil {
		return n, fmt.Errorf("modem %s: read: %w", p.c.Name, err)
	}
	return n, nil
}

// nextLine returns the next complete command-mode line from the buffered
// input. DLE-shielded codes in command mode (some modems report <DLE>R
// for a ring) are passed to the event handler.
func (p *Port) nextLine() (string, bool) {
	for p.r < p.w {
		b := p.rbuf[p.r]
		p.r++
		if p.dleCmd {
			p.dleCmd = false
			p.commandEvent(b)
			continue
		}
		switch b {
		case DLE:
			p.dleCmd = true
		case '\r', '\n':
			if p.lineDrop {
				p.lineDrop = false
				p.line = p.line[:0]
				continue
			}
			if len(p.line) == 0 {
				continue
			}
			s := strings.TrimSpace(string(p.line))
			p.line = p.line[:0]
			if s == "" {
				continue
			}
			return s, true
		case 0:
			// NUL padding some modems send after a result code.
		default:
			if len(p.line) == maxLine {
				if !p.lineDrop {
					p.bump(&p.stats.Garbage)
				}
				p.lineDrop = true
				continue
			}
			p.line = append(p.line, b)
		}
	}
	return "", false
}

// final reports whether a line is a final result code.
func final(l string) bool {
	switch l {
	case "OK", "ERROR", "CONNECT", "VCON", "NO CARRIER", "BUSY", "NO DIALTONE", "NO DIAL TONE", "NO ANSWER":
		return true
	}
	return strings.HasPrefix(l, "+CME ERROR") || strings.HasPrefix(l, "CONNECT ")
}

// command sends cmd and waits for its final result code. Information
// lines are returned; unsolicited reports (RING, caller ID) met on the way
// are handled. err is errNoResponse (wrapped) when the modem did not
// answer within CommandTimeout.
func (p *Port) command(ctx context.Context, cmd string) (info []string, result string, err error) {
	if _, err := p.port.Write([]byte(cmd + "\r")); err != nil {
		return nil, "", fmt.Errorf("modem %s: write %s: %w", p.c.Name, cmd, err)
	}
	deadline := p.now().Add(p.c.CommandTimeout)
	for {
		for {
			l, ok := p.nextLine()
			if !ok {
				break
			}
			switch {
			case l == cmd: // echo (before ATE0 took effect)
			case final(l):
				return info, l, nil
			case p.unsolicited(l):
			default:
				info = append(info, l)
			}
		}
		if ctx.Err() != nil {
			return info, "", ctx.Err()
		}
		if !p.now().Before(deadline) {
			p.bump(&p.stats.Timeouts)
			return info, "", fmt.Errorf("modem %s: %s: %w after %v", p.c.Name, cmd, errNoResponse, p.c.CommandTimeout)
		}
		if _, err := p.fill(); err != nil {
			return info, "", err
		}
	}
}

// unsolicited handles a RING or caller ID line; false for anything else.
func (p *Port) unsolicited(l string) bool {
	if l == "RING" || strings.HasPrefix(l, "RING ") {
		p.ring()
		return true
	}
	p.mu.Lock()
	c := p.cid
	p.mu.Unlock()
	isCID, err := ParseCallerIDLine(l, &c)
	if !isCID {
		return false
	}
	if err != nil {
		p.log.Warn("modem: bad caller ID line", "line", l, "err", err)
		p.bump(&p.stats.Garbage)
		return true
	}
	if c.Received.IsZero() {
		c.Received = p.now()
	}
	p.mu.Lock()
	p.cid = c
	p.mu.Unlock()
	return true
}

func (p *Port) ring() {
	now := p.now()
	p.mu.Lock()
	first := !p.ringing
	if first && !p.cid.Received.IsZero() && now.Sub(p.cid.Received) > p.c.RingGap {
		p.cid = CallerID{} // left over from an earlier call
	}
	p.ringing = true
	p.mu.Unlock()
	p.lastRing = now
	p.ringStop = now.Add(p.c.RingBurst)
	p.emit(board.EventRingStart, "")
}

// tick runs the timers of the idle state.
func (p *Port) tick(ctx context.Context) error {
	now := p.now()
	if !p.ringStop.IsZero() && !now.Before(p.ringStop) {
		p.ringStop = time.Time{}
		p.emit(board.EventRingStop, "")
	}
	p.mu.Lock()
	if p.ringing && now.Sub(p.lastRing) > p.c.RingGap {
		p.ringing = false
	}
	ringing := p.ringing
	p.mu.Unlock()
	if !ringing && now.Sub(p.lastCheck) >= p.c.HealthInterval {
		p.lastCheck = now
		if _, _, err := p.command(ctx, "AT"); err != nil {
			return err
		}
	}
	return nil
}

func (p *Port) commandEvent(code byte) {
	if code == 'R' {
		p.ring()
	}
}

// serve runs the initialised modem until ctx is done (nil) or the modem
// fails (the error).
func (p *Port) serve(ctx context.Context) error {
	for ctx.Err() == nil {
		select {
		case r := <-p.reqs:
			err := p.handle(ctx, r)
			if errors.Is(err, errNoResponse) {
				r.reply <- fmt.Errorf("%w: %w", board.ErrPortFault, err)
				return err
			}
			r.reply <- err
			continue
		default:
		}
		if p.streaming {
			if err := p.voiceStep(); err != nil {
				return err
			}
			continue
		}
		for {
			l, ok := p.nextLine()
			if !ok {
				break
			}
			if !p.unsolicited(l) && !final(l) {
				p.log.Debug("modem: unexpected line", "line", l)
			}
		}
		if _, err := p.fill(); err != nil {
			return err
		}
		if err := p.tick(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (p *Port) handle(ctx context.Context, r request) error {
	p.mu.Lock()
	off := p.hook == board.OffHook
	p.mu.Unlock()
	switch r.kind {
	case reqSeize:
		if off {
			return nil
		}
		return p.offHook(ctx)
	case reqRelease:
		if !off {
			return nil
		}
		return p.onHook(ctx)
	case reqFlash:
		if !off {
			return fmt.Errorf("modem %s: flash while on hook", p.c.Name)
		}
		if err := p.onHook(ctx); err != nil {
			return err
		}
		t := time.NewTimer(r.d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		return p.offHook(ctx)
	}
	return nil
}

func (p *Port) offHook(ctx context.Context) error {
	_, res, err := p.command(ctx, "AT+VLS=1")
	if err != nil {
		return err
	}
	switch res {
	case "OK", "VCON":
	case "NO DIALTONE", "NO DIAL TONE", "NO CARRIER":
		return fmt.Errorf("modem %s: off hook: %s: %w", p.c.Name, res, board.ErrNoBattery)
	default:
		return fmt.Errorf("modem %s: off hook: %s", p.c.Name, res)
	}
	p.mu.Lock()
	p.hook = board.OffHook
	p.ringing = false
	p.mu.Unlock()
	if err := p.startStream(ctx); err != nil {
		_, _, _ = p.command(ctx, "AT+VLS=0")
		p.mu.Lock()
		p.hook = board.OnHook
		p.mu.Unlock()
		return err
	}
	return nil
}

func (p *Port) onHook(ctx context.Context) error {
	if p.streaming {
		if err := p.stopStream(ctx); err != nil {
			return err
		}
	}
	_, res, err := p.command(ctx, "AT+VLS=0")
	if err != nil {
		return err
	}
	if res != "OK" && res != "VCON" {
		// Insist: ATH hangs up in every class.
		if _, res, err = p.command(ctx, "ATH"); err != nil {
			return err
		}
		if res != "OK" {
			return fmt.Errorf("modem %s: on hook: %s", p.c.Name, res)
		}
	}
	p.mu.Lock()
	p.hook = board.OnHook
	p.mu.Unlock()
	p.lastCheck = p.now()
	return nil
}

// startStream enters full-duplex voice (+VTR), or receive-only (+VRX) on a
// modem without it.
func (p *Port) startStream(ctx context.Context) error {
	_, res, err := p.command(ctx, "AT+VTR")
	if err != nil {
		return err
	}
	duplex := res == "CONNECT" || strings.HasPrefix(res, "CONNECT ")
	if !duplex {
		_, res, err = p.command(ctx, "AT+VRX")
		if err != nil {
			return err
		}
		if res != "CONNECT" && !strings.HasPrefix(res, "CONNECT ") {
			return fmt.Errorf("modem %s: voice stream refused: %s", p.c.Name, res)
		}
		p.log.Warn("modem: no full duplex (+VTR); the line hears nothing")
	}
	p.mu.Lock()
	p.duplex = duplex
	p.mu.Unlock()
	p.streaming, p.ended, p.un, p.nrx, p.half = true, false, unshield{}, 0, -1
	// Verbose result codes end in <CR><LF>; nextLine stopped at the <CR>.
	p.skipLF = true
	p.lastByte = p.now()
	if duplex {
		// One frame of silence ahead, so that the modem's transmit
		// buffer never runs dry while we wait for its next samples.
		clear(p.tx[:])
		return p.writeFrame()
	}
	return nil
}

// stopStream ends the voice stream and waits for <DLE><ETX> and the final
// result.
func (p *Port) stopStream(ctx context.Context) error {
	end := cmdEndReceive
	if p.duplex {
		end = cmdEndDuplex
	}
	if _, err := p.port.Write(end); err != nil {
		return fmt.Errorf("modem %s: end voice: %w", p.c.Name, err)
	}
	deadline := p.now().Add(p.c.CommandTimeout)
	for !p.ended {
		p.consumeVoice(false)
		if p.ended {
			break
		}
		if !p.now().Before(deadline) {
			p.bump(&p.stats.Timeouts)
			return fmt.Errorf("modem %s: end of voice stream: %w", p.c.Name, errNoResponse)
		}
		if _, err := p.fill(); err != nil {
			return err
		}
	}
	p.streaming = false
	return p.awaitFinal(ctx)
}

// awaitFinal waits for the result code that follows <DLE><ETX>.
func (p *Port) awaitFinal(ctx context.Context) error {
	deadline := p.now().Add(p.c.CommandTimeout)
	for {
		for {
			l, ok := p.nextLine()
			if !ok {
				break
			}
			if final(l) {
				return nil
			}
			p.unsolicited(l)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !p.now().Before(deadline) {
			p.bump(&p.stats.Timeouts)
			return fmt.Errorf("modem %s: result after voice: %w", p.c.Name, errNoResponse)
		}
		if _, err := p.fill(); err != nil {
			return err
		}
	}
}

// voiceStep reads and processes voice data once.
func (p *Port) voiceStep() error {
	p.consumeVoice(true)
	if p.ended {
		// The modem ended the stream on its own (inactivity timer, line
		// dropped): collect its result and start again, or give up the
		// line.
		p.streaming = false
		if err := p.awaitFinal(context.Background()); err != nil {
			return err
		}
		p.log.Warn("modem: voice stream ended by the modem; restarting it")
		if err := p.startStream(context.Background()); err != nil {
			p.emit(board.EventLineVoltageLost, "modem ended the voice stream: "+err.Error())
			p.ended = true
			if errors.Is(err, errNoResponse) {
				return err
			}
			_ = p.onHook(context.Background())
		}
		return nil
	}
	n, err := p.fill()
	if err != nil {
		return err
	}
	if n == 0 && p.now().Sub(p.lastByte) > p.c.VoiceTimeout {
		p.bump(&p.stats.Timeouts)
		return fmt.Errorf("modem %s: voice stream silent for %v: %w", p.c.Name, p.c.VoiceTimeout, errNoResponse)
	}
	return nil
}

// consumeVoice takes buffered voice bytes; with deliver, complete frames
// go to the AudioFunc and its answer to the modem.
func (p *Port) consumeVoice(deliver bool) {
	for p.r < p.w && !p.ended {
		if p.skipLF {
			p.skipLF = false
			if p.rbuf[p.r] == '\n' {
				p.r++
				continue
			}
		}
		chunk := p.rbuf[p.r:p.w]
		data, used, ended := p.un.feed(chunk, p.data[:0], p.onDLE)
		p.r += used
		p.ended = ended
		if deliver {
			p.samples(data)
		}
	}
}

// samples turns coded bytes into frames; a 16-bit sample split across
// reads is completed from the next one.
func (p *Port) samples(data []byte) {
	enc := p.format.Encoding
	if enc.BytesPerSample() == 2 {
		for _, b := range data {
			if p.half < 0 {
				p.half = int(b)
				continue
			}
			p.put(int16(uint16(p.half) | uint16(b)<<8))
			p.half = -1
		}
		return
	}
	for _, b := range data {
		p.put(decodeSample(enc, b))
	}
}

func (p *Port) put(s int16) {
	p.rx[p.nrx] = s
	p.nrx++
	if p.nrx == board.FrameSamples {
		p.nrx = 0
		p.frame()
	}
}

func (p *Port) frame() {
	clear(p.tx[:])
	if fn := p.fn.Load(); fn != nil {
		(*fn)(&p.rx, &p.tx)
	}
	p.bump(&p.stats.Frames)
	if p.duplex {
		if err := p.writeFrame(); err != nil {
			p.log.Warn("modem: write audio", "err", err)
		}
	}
}

func (p *Port) writeFrame() error {
	var raw [2 * board.FrameSamples]byte
	b := raw[:0]
	for _, s := range p.tx {
		b = encodeSample(p.format.Encoding, b, s)
	}
	p.out = shield(p.out[:0], b)
	_, err := p.port.Write(p.out)
	return err
}

// voiceEvent handles a shielded event code in the voice stream.
func (p *Port) voiceEvent(code byte) {
	switch code {
	case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D':
		// The audio carries the digit too; the exchange's own detector,
		// the same on every FXO port, decides.
		p.bump(&p.stats.DTMF)
	case 'R':
		p.ring()
	case 'l':
		p.emit(board.EventLineVoltageLost, "loop current interruption")
	case 'L':
		p.emit(board.EventPolarityReversal, "")
	case 'P':
		p.emit(board.EventLineInUse, "extension off hook")
	case 'H':
		p.emit(board.EventLineInUse, "local handset off hook")
	case 'p':
		p.emit(board.EventLineIdle, "extension on hook")
	case 'h':
		p.emit(board.EventLineIdle, "local handset on hook")
	case 'o':
		p.bump(&p.stats.RxOverruns)
	case 'u':
		p.bump(&p.stats.TxUnderruns)
	default:
		// b busy, d dial tone, s/q silence, c/e/a/f tones, r ringback:
		// the exchange's call-progress detector hears them in the audio.
	}
}
