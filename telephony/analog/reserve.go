package analog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"minipbx/board"
)

// reservePoll is how often Reserve looks again at a busy port.
const reservePoll = 200 * time.Millisecond

// ErrInterrupted: a call took the reserved port (a user lifted the phone,
// the line rang): calls always win over tests.
var ErrInterrupted = errors.New("analog: the port was taken by a call during the test")

// Reservation holds an idle analog port for a diagnostic test: while it is
// held, the exchange's dialler finds the port busy (no call is routed to
// it), and the test may use the board port's measurements, its audio path
// and (FXO) the line's loop. A call that starts on the port anyway — a
// user lifting an FXS handset, a telco line ringing — takes precedence:
// Busy turns true and the test must stop; Release then gives the port back
// without touching the call.
type Reservation struct {
	p        *port
	audio    bool
	seized   bool
	released bool
}

// Reserve waits until FXS or FXO port n (1-based within its kind) is idle —
// no call, not ringing, on hook — and reserves it. It never disturbs a
// call: a port in a call is reserved when the call ends, or never if ctx
// ends first. The manager must be running.
func (m *Manager) Reserve(ctx context.Context, kind board.Kind, n int) (*Reservation, error) {
	var ports []*port
	switch kind {
	case board.FXS:
		ports = m.fxs
	case board.FXO:
		ports = m.fxo
	}
	if n < 1 || n > len(ports) {
		return nil, fmt.Errorf("analog: reserve: no %s port %d", kind, n)
	}
	p := ports[n-1]
	for {
		r := &Reservation{p: p}
		got := false
		err := p.do(ctx, func() error {
			if p.resv == nil && p.idleForTest() {
				p.mwiAbort() // the test has the line; the indication follows it
				p.resv = r
				p.setState("testing")
				got = true
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("analog: reserve %s:%d: %w", kind, n, err)
		}
		if got {
			return r, nil
		}
		t := time.NewTimer(reservePoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("analog: reserve %s:%d: waited for the port to be idle: %w", kind, n, ctx.Err())
		case <-t.C:
		}
	}
}

// idleForTest reports whether the port has no call and nothing going on
// (port goroutine).
func (p *port) idleForTest() bool {
	if p.ch != nil || p.inCall.Load() || p.live != nil {
		return false
	}
	if p.kind == board.FXS {
		return p.fs == fxsIdle && !p.offHook && p.bp.Status().Hook == board.OnHook
	}
	return p.fo == fxoIdle && !time.Now().Before(p.guardUntil) && p.bp.Status().Line != board.LineRinging
}

// Port is the board port under test.
func (r *Reservation) Port() board.Port { return r.p.bp }

// Busy reports whether a call has taken the port since it was reserved.
func (r *Reservation) Busy() bool {
	return r.p.inCall.Load() || r.p.state.Load().(string) != "testing"
}

// SetAudio routes the port's audio to fn (the test's signal source and
// meter) instead of the exchange's audio path; nil gives it back. The
// exchange's tones and detectors are off meanwhile, so a test must give
// the audio back as soon as Busy turns true.
func (r *Reservation) SetAudio(fn board.AudioFunc) {
	if fn == nil {
		if r.audio {
			r.audio = false
			select {
			case <-r.p.m.stopped: // the manager took its audio paths away
				r.p.bp.SetAudio(nil)
			default:
				r.p.bp.SetAudio(r.p.audio.frame)
			}
		}
		return
	}
	r.p.bp.SetAudio(fn)
	r.audio = true
}

// Seize closes an FXO port's loop for the test; ErrInterrupted when a call
// took the port.
func (r *Reservation) Seize(ctx context.Context) error {
	p := r.p
	if p.fxo == nil {
		return fmt.Errorf("analog: seize %s: %w", p.bp.Info().Name, board.ErrWrongKind)
	}
	return p.do(ctx, func() error {
		if p.resv != r || p.fo != fxoIdle || p.ch != nil {
			return ErrInterrupted
		}
		if err := p.fxo.Seize(); err != nil {
			return err
		}
		r.seized = true
		return nil
	})
}

// ReleaseLine opens the loop the test closed, unless a call now holds it.
func (r *Reservation) ReleaseLine(ctx context.Context) error {
	p := r.p
	return p.do(ctx, func() error {
		if !r.seized {
			return nil
		}
		r.seized = false
		if p.fo != fxoIdle || p.ch != nil {
			return nil // the call's now; never drop it
		}
		// The central office must see this as a disconnect, not a flash.
		p.guardUntil = time.Now().Add(releaseGuard)
		return p.fxo.Release()
	})
}

// Release ends the reservation: the audio path and the line go back to the
// exchange (a call that took the port keeps them). Safe to call twice.
func (r *Reservation) Release() {
	if r.released {
		return
	}
	r.released = true
	r.SetAudio(nil)
	p := r.p
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.do(ctx, func() error {
		if r.seized && p.fo == fxoIdle && p.ch == nil {
			p.guardUntil = time.Now().Add(releaseGuard)
			if err := p.fxo.Release(); err != nil {
				p.log.Warn("diagnostics: release the line", "err", err)
			}
		}
		r.seized = false
		if p.resv == r {
			p.resv = nil
			if p.state.Load().(string) == "testing" {
				p.setState("idle")
			}
			if p.kind == board.FXS {
				p.mwiCheck() // a change that waited for the test
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrStopped) {
		p.log.Warn("diagnostics: release the port", "err", err)
	}
}
