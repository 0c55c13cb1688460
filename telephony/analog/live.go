package analog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"minipbx/board"
)

// Live music on hold from an analog port (a music-on-hold class whose
// port is "fxo:N" or "fxs:N", the small-office PBX's "music port"): a
// music source on a line the box seizes to hear it, or a device plugged
// into an FXS port like a phone. LiveAudio opens the port for a held
// party and returns what that party hears; every party held on the class
// reads the same port.
//
// Limits:
//
//   - While anyone listens the port is out of call service, like a port
//     under a diagnostic test: an FXO line is seized (callers to that
//     number get busy from the telco), an FXS port's device going off
//     hook starts no call, calls to either port find it busy, tests and
//     message-waiting indications wait. An FXS port keeps on-hook
//     transmission on, so a device that does not close the loop is heard
//     where the SLIC passes its audio (the ProSLIC does; the simulated
//     board hears a device only off hook).
//   - A port that is in a call, ringing, under a test or out of service
//     cannot be opened: LiveAudio fails and the exchange plays its default
//     music instead.
//   - Every listener hears the same audio, about liveLag frames behind the
//     port, which absorbs the jitter between the port's clock and the
//     bridges'; a listener that catches up with the port anyway hears
//     silence for what has not arrived and falls back liveLag frames, one
//     that falls a ring behind skips ahead, so no delay builds up.
//   - The audio is taken as the port receives it: no echo canceller (the
//     port sends silence) and no gain.
//   - Listeners are known by their reads: the exchange's sources have no
//     close, a hold that ends just stops reading. The port goes back into
//     service liveIdle after the last read; a source read after that
//     returns false (its hold goes on in silence).

// Timing of a live source.
const (
	liveRing  = 16 // frames kept (320 ms)
	liveLag   = 4  // a listener reads this many frames behind the port: music can wait, a gap cannot
	liveIdle  = 2 * time.Second
	liveCheck = 500 * time.Millisecond
)

// ErrPortBusy: the port asked for as a live source has a call, rings, is
// under a test or out of service.
var ErrPortBusy = errors.New("analog: the port is busy")

// liveFeed is one open live source: the port's received audio, kept in a
// ring that every listener reads at its own position.
type liveFeed struct {
	start time.Time
	last  atomic.Int64 // time of the last read, ns since start

	mu      sync.Mutex
	ring    [liveRing * board.FrameSamples]int16
	written int64 // samples written since the feed opened
	closed  bool
}

func newLiveFeed() *liveFeed { return &liveFeed{start: time.Now()} }

func (f *liveFeed) touch() { f.last.Store(int64(time.Since(f.start))) }

// idle reports whether nobody has read for liveIdle.
func (f *liveFeed) idle() bool {
	return time.Since(f.start)-time.Duration(f.last.Load()) > liveIdle
}

// write keeps a received frame (on the board clock; allocates nothing).
func (f *liveFeed) write(rx *board.Frame) {
	f.mu.Lock()
	n := int64(len(f.ring))
	for i, v := range rx {
		f.ring[(f.written+int64(i))%n] = v
	}
	f.written += int64(len(rx))
	f.mu.Unlock()
}

func (f *liveFeed) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

func (f *liveFeed) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// reader returns one listener's source: it fills out with the port's
// audio from where this listener stands, and returns false once the
// feed closed.
func (f *liveFeed) reader() func(out []int16) bool {
	f.touch()
	next, started := int64(0), false
	return func(out []int16) bool {
		f.touch()
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.closed {
			clear(out)
			return false
		}
		size := int64(len(f.ring))
		if !started || f.written-next > size-int64(len(out)) {
			next = max(f.written-liveLag*board.FrameSamples, 0)
			started = true
		}
		for i := range out {
			if next >= f.written {
				clear(out[i:])
				started = false // fall back liveLag frames
				break
			}
			out[i] = f.ring[next%size]
			next++
		}
		return true
	}
}

// LiveAudio opens analog port name ("fxo:N" or "fxs:N", N 1-based within
// its kind) as a live music source and returns one listener's source of
// its audio (telephony.Options.LiveAudio). The first listener takes the
// port out of call service; later ones share it; the port goes back
// into service once nobody has read for a while (see the top of live.go
// for this and the other limits). ErrPortBusy when the port cannot be
// taken now.
func (m *Manager) LiveAudio(name string) (func(out []int16) bool, error) {
	p, err := m.portNamed(name)
	if err != nil {
		return nil, err
	}
	select {
	case <-m.started:
	default:
		return nil, fmt.Errorf("analog: live audio from %s: not running", name)
	}
	m.liveMu.Lock()
	defer m.liveMu.Unlock()
	if f := m.feeds[p]; f != nil && !f.isClosed() {
		return f.reader(), nil
	}
	f := newLiveFeed()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.do(ctx, func() error { return p.liveOpen(f) }); err != nil {
		return nil, fmt.Errorf("analog: live audio from %s: %w", name, err)
	}
	m.feeds[p] = f
	return f.reader(), nil
}

// portNamed finds "fxs:N" or "fxo:N".
func (m *Manager) portNamed(name string) (*port, error) {
	kind, n, ok := strings.Cut(name, ":")
	num, err := strconv.Atoi(n)
	if !ok || err != nil {
		return nil, fmt.Errorf("analog: port %q: want fxs:N or fxo:N", name)
	}
	var ports []*port
	switch kind {
	case "fxs":
		ports = m.fxs
	case "fxo":
		ports = m.fxo
	default:
		return nil, fmt.Errorf("analog: port %q: want fxs:N or fxo:N", name)
	}
	if num < 1 || num > len(ports) {
		return nil, fmt.Errorf("analog: port %q: the board has %d %s ports", name, len(ports), strings.ToUpper(kind))
	}
	return ports[num-1], nil
}

// liveOpen takes the idle port as a live source (port goroutine).
func (p *port) liveOpen(f *liveFeed) error {
	switch {
	case p.live != nil:
		return errors.New("already open") // a feed closed meanwhile is still being released
	case p.fault != "":
		return fmt.Errorf("%w: out of service: %s", ErrPortBusy, p.fault)
	case p.resv != nil:
		return fmt.Errorf("%w: under a diagnostic test", ErrPortBusy)
	case p.ch != nil:
		return fmt.Errorf("%w: in a call", ErrPortBusy)
	}
	if p.kind == board.FXS {
		if p.fs != fxsIdle && p.fs != fxsLockout {
			return fmt.Errorf("%w: ringing", ErrPortBusy)
		}
		p.mwiAbort()
		if err := p.fxs.SetOnHookTransmission(true); err != nil {
			return err
		}
		p.step.stop() // a lockout's tone timer
		p.fs = fxsIdle
	} else {
		if p.fo != fxoIdle || time.Now().Before(p.guardUntil) || p.bp.Status().Line == board.LineRinging {
			return fmt.Errorf("%w: the line rings or was just released", ErrPortBusy)
		}
		if err := p.fxo.Seize(); err != nil {
			return err
		}
		p.step.stop()
	}
	p.live = f
	p.setState("music")
	p.audio.set(func(a *portAudio) {
		a.ep = nil
		a.setTone(toneNone)
		a.live = f
	})
	p.log.Info("live music source opened")
	p.liveT.after(liveCheck, p.liveWatch)
	return nil
}

// liveWatch releases the port once nobody listens.
func (p *port) liveWatch() {
	if p.live == nil {
		return
	}
	if !p.live.idle() {
		p.liveT.after(liveCheck, p.liveWatch)
		return
	}
	p.log.Info("live music source released: nobody listens")
	p.liveClose()
}

// liveClose gives the port back to call service (port goroutine).
func (p *port) liveClose() {
	f := p.live
	if f == nil {
		return
	}
	p.live = nil
	p.liveT.stop()
	f.close()
	p.audio.set(func(a *portAudio) { a.live = nil })
	if p.kind == board.FXO {
		p.fxoReset(true)
		return
	}
	if err := p.fxs.SetOnHookTransmission(false); err != nil && p.fault == "" {
		p.log.Warn("on-hook transmission off", "err", err)
	}
	if p.offHook {
		// The device still holds the loop: no dial tone for it, the port
		// waits for it to go on hook as after a call.
		p.fs = fxsLockout
		p.setState("lockout")
		p.audio.set(func(a *portAudio) { a.setTone(toneSilence) })
		return
	}
	p.setState("idle")
	p.mwiCheck()
}
