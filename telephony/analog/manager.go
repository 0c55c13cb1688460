package analog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/board"
	"minipbx/dsp"
	"minipbx/telephony/channel"
)

// Defaults of Config.
const (
	DefaultAnswerAfterRings = 2
	DefaultDialToneTimeout  = 3 * time.Second
	maxDialDigits           = 32
)

// Config configures the analog ports.
type Config struct {
	// Board is the hardware (or board/sim). Required; Update cannot change it.
	Board board.Board
	// Zone is the dsp tone-zone code: the tones the ports play and detect,
	// the ring cadence of FXS ports and the caller ID standard (see
	// CallerIDStandard). Default "us".
	Zone string
	// Lines configures FXO lines by 1-based port number. A line that is
	// not listed is enabled and answers after DefaultAnswerAfterRings.
	Lines []LineConfig
	// FXS configures FXS ports by 1-based port number; a port that is not
	// listed has the default hook-flash window.
	FXS []FXSConfig
	// NoCallerID stops FXS ports from sending caller ID.
	NoCallerID bool
	// DialToneTimeout is how long an outbound FXO call waits for dial tone
	// before failing with CauseCongestion (default 3 s).
	DialToneTimeout time.Duration
	// EchoTail is the longest echo path the FXO echo canceller covers
	// (0: dsp's default, 128 ms, the G.168 figure for analog lines; at most
	// 256 ms); negative turns the canceller off. The canceller is the
	// heaviest part of an FXO port's audio path and its cost grows with the
	// tail, so a box on short local loops can trade tail for CPU.
	EchoTail time.Duration
	// Location is the time zone of the date and time sent in caller ID
	// (time.Local when nil).
	Location *time.Location
	// OnCall receives every inbound channel (a phone off hook, an answered
	// FXO line) in a goroutine of its own, as soon as it exists. It owns
	// the channel from then on and may run the whole call.
	OnCall func(channel.Channel)
	// ShouldAnswer, when set, is asked whether a ringing FXO line that
	// has rung its AnswerAfterRings is answered, with the line's number
	// and the caller ID: false leaves it ringing, unanswered, until the
	// caller gives up (a callback: the exchange calls the caller back,
	// at no charge to them). It runs on the port's goroutine and must
	// not block.
	ShouldAnswer func(line int, caller channel.CallerID) bool
	// Logger (slog.Default when nil).
	Logger *slog.Logger
}

// LineConfig configures one FXO line.
type LineConfig struct {
	Port    int    // 1-based FXO port number
	Name    string // the channel's Info.Endpoint; default "fxo:N"
	Enabled bool   // answer incoming calls and take part in outbound hunting
	// AnswerAfterRings is how many validated rings the line lets pass
	// before answering, 1 to 10 (0: DefaultAnswerAfterRings). FSK caller
	// ID arrives after the first ring, so 1 answers before it.
	AnswerAfterRings int
	// AnswerOnReversal is answer supervision by line reversal: the
	// central office reverses the line's polarity when the called party
	// answers (and again when they hang up). With it, an outbound call is
	// answered at the reversal, not once the digits are out, and until
	// then busy or congestion tone on the line end the attempt as busy or
	// congestion — so the exchange can tell a busy number and an unanswered
	// one from a conversation, and bill only that. Only for lines whose
	// provider offers it: on others every call would go unanswered.
	AnswerOnReversal bool
}

// FXSConfig configures one FXS port.
type FXSConfig struct {
	Port int // 1-based FXS port number
	// FlashMin and FlashMax are the port's hook-flash window: the phone
	// on hook for longer than FlashMin and at most FlashMax is a flash;
	// shorter is a dial pulse (or contact bounce), longer a hang-up.
	// Zero takes the default (dsp.DefaultBreakMax, 120 ms;
	// dsp.DefaultFlashMax, 800 ms). The window applies where the board's
	// driver decodes the hook and can change it live (HookTiming).
	FlashMin, FlashMax time.Duration
}

// hookConfig is the port's switch-hook decoder setting.
func (f FXSConfig) hookConfig() dsp.HookConfig {
	return dsp.HookConfig{BreakMax: f.FlashMin, FlashMax: f.FlashMax}
}

// HookTiming is implemented by FXS board ports whose driver classifies
// the switch hook with dsp.HookDecoder and takes new windows while it
// runs (board/sim). The manager sets every such port's window at start
// and whenever Update changes it; other drivers keep the window they
// were built with.
type HookTiming interface {
	SetHookTiming(dsp.HookConfig) error
}

// Bounds of an FXS port's hook-flash window that the manager accepts
// (the configuration's own bounds are narrower).
const (
	minFlash = 20 * time.Millisecond // the hook decoder's bounce limit
	maxFlash = 5 * time.Second
)

// PortState is one analog port's state for status pages.
type PortState struct {
	Index  int        // board port index
	Number int        // 1-based within its kind
	Kind   board.Kind //
	Name   string     // the board's name for the port
	Hook   board.HookState
	Line   board.LineState
	Fault  string
	InCall bool   // a channel is live on the port
	State  string // idle, dialling, ringback, connected, ringing, lockout, seizing
}

// Manager runs the FXS and FXO channels of one board. Create it with New,
// then Run it.
type Manager struct {
	b       board.Board
	log     *slog.Logger
	fxs     []*port
	fxo     []*port
	byIndex map[int]*port
	seq     atomic.Uint64

	mu    sync.RWMutex
	cfg   Config
	lines map[int]LineConfig

	// feeds are the live music sources open (live.go).
	liveMu sync.Mutex
	feeds  map[*port]*liveFeed

	runMu   sync.Mutex // Run's start against Update's changes before it
	running atomic.Bool
	started chan struct{}
	stopped chan struct{}
}

// New checks c and prepares the ports; nothing happens until Run.
func New(c Config) (*Manager, error) {
	if c.Board == nil {
		return nil, errors.New("analog: no board")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c, lines, zone, err := checkConfig(c, nil)
	if err != nil {
		return nil, err
	}
	m := &Manager{
		b:       c.Board,
		log:     c.Logger.With("component", "analog"),
		byIndex: map[int]*port{},
		feeds:   map[*port]*liveFeed{},
		cfg:     c,
		lines:   lines,
		started: make(chan struct{}),
		stopped: make(chan struct{}),
	}
	std := CallerIDStandard(zone.Code)
	for _, bp := range c.Board.Ports() {
		info := bp.Info()
		var p *port
		switch info.Kind {
		case board.FXS:
			if _, ok := bp.(board.FXSPort); !ok {
				return nil, fmt.Errorf("analog: port %s: %w", info.Name, board.ErrWrongKind)
			}
			p = newPort(m, bp, len(m.fxs)+1, zone, std)
			m.fxs = append(m.fxs, p)
		case board.FXO:
			if _, ok := bp.(board.FXOPort); !ok {
				return nil, fmt.Errorf("analog: port %s: %w", info.Name, board.ErrWrongKind)
			}
			p = newPort(m, bp, len(m.fxo)+1, zone, std)
			m.fxo = append(m.fxo, p)
		default:
			continue
		}
		m.byIndex[info.Index] = p
	}
	for n := range lines {
		if n > len(m.fxo) {
			return nil, fmt.Errorf("analog: line %d: the board has %d FXO ports", n, len(m.fxo))
		}
	}
	if err := m.checkFXSPorts(c.FXS); err != nil {
		return nil, err
	}
	m.applyHookTiming(c)
	return m, nil
}

// checkConfig validates c (against the current board when old is set) and
// fills defaults.
func checkConfig(c Config, old *Config) (Config, map[int]LineConfig, dsp.Zone, error) {
	if err := checkFXS(c.FXS); err != nil {
		return c, nil, dsp.Zone{}, err
	}
	if old != nil && c.Board != nil && c.Board != old.Board {
		return c, nil, dsp.Zone{}, errors.New("analog: update: the board cannot change")
	}
	if old != nil {
		c.Board = old.Board
		if c.Logger == nil {
			c.Logger = old.Logger
		}
		if c.OnCall == nil {
			c.OnCall = old.OnCall
		}
		if c.ShouldAnswer == nil {
			c.ShouldAnswer = old.ShouldAnswer
		}
		if c.Location == nil {
			c.Location = old.Location
		}
	}
	if c.Zone == "" {
		c.Zone = "us"
	}
	zone, err := dsp.LookupZone(c.Zone)
	if err != nil {
		return c, nil, zone, fmt.Errorf("analog: zone: %w", err)
	}
	if len(zone.Ring) < 2 {
		return c, nil, zone, fmt.Errorf("analog: zone %q has no ring cadence", c.Zone)
	}
	if c.DialToneTimeout == 0 {
		c.DialToneTimeout = DefaultDialToneTimeout
	}
	if c.DialToneTimeout < 500*time.Millisecond || c.DialToneTimeout > 30*time.Second {
		return c, nil, zone, fmt.Errorf("analog: dial tone timeout %v: want 0.5-30 s", c.DialToneTimeout)
	}
	if c.EchoTail > 256*time.Millisecond {
		return c, nil, zone, fmt.Errorf("analog: echo tail %v: at most 256 ms", c.EchoTail)
	}
	lines := map[int]LineConfig{}
	for _, l := range c.Lines {
		if l.Port < 1 || l.Port > 64 {
			return c, nil, zone, fmt.Errorf("analog: line port %d: want a 1-based FXO port number", l.Port)
		}
		if _, dup := lines[l.Port]; dup {
			return c, nil, zone, fmt.Errorf("analog: line %d configured twice", l.Port)
		}
		if l.AnswerAfterRings == 0 {
			l.AnswerAfterRings = DefaultAnswerAfterRings
		}
		if l.AnswerAfterRings < 1 || l.AnswerAfterRings > 10 {
			return c, nil, zone, fmt.Errorf("analog: line %d: answer after %d rings: want 1-10", l.Port, l.AnswerAfterRings)
		}
		lines[l.Port] = l
	}
	return c, lines, zone, nil
}

// checkFXS validates the FXS ports' settings.
func checkFXS(fs []FXSConfig) error {
	seen := map[int]bool{}
	for _, f := range fs {
		if f.Port < 1 || f.Port > 64 {
			return fmt.Errorf("analog: FXS port %d: want a 1-based FXS port number", f.Port)
		}
		if seen[f.Port] {
			return fmt.Errorf("analog: FXS port %d configured twice", f.Port)
		}
		seen[f.Port] = true
		lo, hi := cmp.Or(f.FlashMin, dsp.DefaultBreakMax), cmp.Or(f.FlashMax, dsp.DefaultFlashMax)
		if f.FlashMin < 0 || f.FlashMax < 0 || lo <= minFlash || hi > maxFlash || lo >= hi {
			return fmt.Errorf("analog: FXS port %d: flash window %v-%v: want %v < min < max <= %v", f.Port, lo, hi, minFlash, maxFlash)
		}
	}
	return nil
}

// applyHookTiming sets every FXS port's hook-flash window from c.
func (m *Manager) applyHookTiming(c Config) {
	byPort := map[int]FXSConfig{}
	for _, f := range c.FXS {
		byPort[f.Port] = f
	}
	for n, p := range m.fxs {
		f := byPort[n+1]
		ht, ok := p.bp.(HookTiming)
		if !ok {
			if f.FlashMin != 0 || f.FlashMax != 0 {
				m.log.Warn("this FXS port's driver keeps its own hook-flash window", "port", n+1)
			}
			continue
		}
		if err := ht.SetHookTiming(f.hookConfig()); err != nil {
			m.log.Warn("hook-flash window not applied", "port", n+1, "err", err)
		}
	}
}

// Run installs the ports' audio paths and runs their signalling until ctx
// ends (it then ends every call, removes the audio paths and returns nil)
// or the board closes (it returns an error). It can run once.
func (m *Manager) Run(ctx context.Context) error {
	m.runMu.Lock()
	if !m.running.CompareAndSwap(false, true) {
		m.runMu.Unlock()
		return errors.New("analog: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	all := append(append([]*port(nil), m.fxs...), m.fxo...)
	for _, p := range all {
		p.bp.SetAudio(p.audio.frame)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.run(ctx)
		}()
	}
	close(m.started)
	m.runMu.Unlock()
	defer func() {
		cancel()
		wg.Wait()
		for _, p := range all {
			p.bp.SetAudio(nil)
		}
		close(m.stopped)
	}()
	events := m.b.Events()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return fmt.Errorf("analog: %w", board.ErrClosed)
			}
			p := m.byIndex[ev.Port]
			if p == nil {
				continue
			}
			select {
			case p.events <- ev:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// Update applies new settings (zone, lines, caller ID, timeouts) without
// dropping calls: calls in progress keep their detectors and hear the new
// zone's tones from the next tone on; new calls use everything new. The
// wiring fields (Board, Logger, OnCall, Location) keep their current values
// when left zero.
func (m *Manager) Update(c Config) error {
	m.mu.RLock()
	old := m.cfg
	m.mu.RUnlock()
	c, lines, zone, err := checkConfig(c, &old)
	if err != nil {
		return err
	}
	for n := range lines {
		if n > len(m.fxo) {
			return fmt.Errorf("analog: line %d: the board has %d FXO ports", n, len(m.fxo))
		}
	}
	if err := m.checkFXSPorts(c.FXS); err != nil {
		return err
	}
	m.mu.Lock()
	m.cfg, m.lines = c, lines
	m.mu.Unlock()
	m.applyHookTiming(c)
	if c.Zone != old.Zone {
		std := CallerIDStandard(zone.Code)
		m.runMu.Lock()
		defer m.runMu.Unlock()
		for _, p := range append(append([]*port(nil), m.fxs...), m.fxo...) {
			if !m.running.Load() {
				p.setZone(zone, std) // no port goroutine yet: Run waits for runMu
				continue
			}
			err := p.do(context.Background(), func() error { p.setZone(zone, std); return nil })
			if errors.Is(err, ErrStopped) {
				break
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFXSPorts refuses settings for FXS ports the board does not have.
func (m *Manager) checkFXSPorts(fs []FXSConfig) error {
	for _, f := range fs {
		if f.Port > len(m.fxs) {
			return fmt.Errorf("analog: FXS port %d: the board has %d FXS ports", f.Port, len(m.fxs))
		}
	}
	return nil
}

func (m *Manager) lineConfig(n int) LineConfig {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if l, ok := m.lines[n]; ok {
		return l
	}
	return LineConfig{Port: n, Enabled: true, AnswerAfterRings: DefaultAnswerAfterRings}
}

func (m *Manager) shouldAnswer() func(int, channel.CallerID) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cfg.ShouldAnswer
}

func (m *Manager) onCall() func(channel.Channel) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cfg.OnCall
}

func (m *Manager) noCallerID() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cfg.NoCallerID
}

func (m *Manager) dialToneTimeout() time.Duration {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cfg.DialToneTimeout
}

// echoCanceller returns a new FXO echo canceller, or nil when it is off.
func (m *Manager) echoCanceller() *dsp.EchoCanceller {
	m.mu.RLock()
	tail := m.cfg.EchoTail
	m.mu.RUnlock()
	if tail < 0 {
		return nil
	}
	return dsp.NewEchoCanceller(dsp.EchoConfig{TailMS: int(tail / time.Millisecond)})
}

func (m *Manager) now() time.Time {
	m.mu.RLock()
	loc := m.cfg.Location
	m.mu.RUnlock()
	if loc == nil {
		return time.Now()
	}
	return time.Now().In(loc)
}

// PortStates is a snapshot of every analog port, FXS first, for status pages.
func (m *Manager) PortStates() []PortState {
	all := append(append([]*port(nil), m.fxs...), m.fxo...)
	out := make([]PortState, 0, len(all))
	for _, p := range all {
		info, st := p.bp.Info(), p.bp.Status()
		out = append(out, PortState{
			Index: info.Index, Number: p.num, Kind: info.Kind, Name: info.Name,
			Hook: st.Hook, Line: st.Line, Fault: st.Fault,
			InCall: p.inCall.Load(), State: p.state.Load().(string),
		})
	}
	return out
}

// Dialer creates outbound analog channels. Targets:
//
//   - "fxs:N" rings FXS port N (1-based) with the zone's cadence and the
//     request's caller ID;
//   - "fxo:DIGITS" seizes the first free enabled FXO line (hunting from
//     line 1 up, skipping lines without battery), waits for dial tone and
//     dials DIGITS (0-9 * # A-D) as DTMF;
//   - "fxo@N:DIGITS" does the same on line N only.
func (m *Manager) Dialer() channel.Dialer { return dialer{m} }

type dialer struct{ m *Manager }

func (d dialer) Dial(ctx context.Context, req channel.Request) (channel.Channel, error) {
	m := d.m
	select {
	case <-m.started:
	default:
		return nil, &channel.DialError{Cause: channel.CauseUnavailable, Err: errors.New("analog: not running")}
	}
	kind, num, digits, err := parseTarget(req.Target)
	if err != nil {
		return nil, &channel.DialError{Cause: channel.CauseNotFound, Err: err}
	}
	if kind == board.FXS {
		if num < 1 || num > len(m.fxs) {
			return nil, &channel.DialError{Cause: channel.CauseNotFound,
				Err: fmt.Errorf("analog: no FXS port %d (the board has %d)", num, len(m.fxs))}
		}
		p := m.fxs[num-1]
		var c *analogChannel
		if err := p.do(ctx, func() (err error) { c, err = p.dialFXS(req); return err }); err != nil {
			return nil, dialError(err)
		}
		return c, nil
	}
	candidates := m.fxo
	if num != 0 {
		if num > len(m.fxo) {
			return nil, &channel.DialError{Cause: channel.CauseNotFound,
				Err: fmt.Errorf("analog: no FXO line %d (the board has %d)", num, len(m.fxo))}
		}
		candidates = m.fxo[num-1 : num]
	}
	var tried []string
	for _, p := range candidates {
		if !m.lineConfig(p.num).Enabled {
			tried = append(tried, fmt.Sprintf("line %d disabled", p.num))
			continue
		}
		var c *analogChannel
		err := p.do(ctx, func() (err error) { c, err = p.dialFXO(req, digits); return err })
		if err == nil {
			return c, nil
		}
		tried = append(tried, fmt.Sprintf("line %d: %v", p.num, err))
		if ctx.Err() != nil || errors.Is(err, ErrStopped) {
			return nil, dialError(err)
		}
	}
	cause := channel.CauseCongestion // all trunks busy
	if num != 0 {
		cause = channel.CauseBusy
		if len(tried) == 1 && !strings.Contains(tried[0], errLineBusy.Error()) {
			cause = channel.CauseUnavailable
		}
	}
	return nil, &channel.DialError{Cause: cause, Err: fmt.Errorf("analog: no FXO line for %q: %s", req.Target, strings.Join(tried, "; "))}
}

func dialError(err error) error {
	var de *channel.DialError
	if errors.As(err, &de) {
		return de
	}
	if errors.Is(err, ErrStopped) {
		return &channel.DialError{Cause: channel.CauseUnavailable, Err: err}
	}
	return &channel.DialError{Cause: channel.CauseFailure, Err: err}
}

// parseTarget splits "fxs:N", "fxo:DIGITS" or "fxo@N:DIGITS".
func parseTarget(t string) (kind board.Kind, num int, digits string, err error) {
	tech, rest, ok := strings.Cut(t, ":")
	if !ok {
		return 0, 0, "", fmt.Errorf("analog: target %q: want fxs:N, fxo:DIGITS or fxo@N:DIGITS", t)
	}
	switch {
	case tech == "fxs":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			return 0, 0, "", fmt.Errorf("analog: target %q: bad FXS port number", t)
		}
		return board.FXS, n, "", nil
	case tech == "fxo" || strings.HasPrefix(tech, "fxo@"):
		if tech != "fxo" {
			n, err := strconv.Atoi(tech[len("fxo@"):])
			if err != nil || n < 1 {
				return 0, 0, "", fmt.Errorf("analog: target %q: bad FXO line number", t)
			}
			num = n
		}
		if rest == "" || len(rest) > maxDialDigits {
			return 0, 0, "", fmt.Errorf("analog: target %q: want 1 to %d digits", t, maxDialDigits)
		}
		for i := 0; i < len(rest); i++ {
			if !strings.ContainsRune("0123456789*#ABCD", rune(rest[i])) {
				return 0, 0, "", fmt.Errorf("analog: target %q: %q is not a DTMF digit", t, rest[i])
			}
		}
		return board.FXO, num, rest, nil
	}
	return 0, 0, "", fmt.Errorf("analog: target %q: unknown technology %q", t, tech)
}
