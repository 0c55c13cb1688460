package telephony

import (
	"sync"
	"time"

	"minipbx/telephony/channel"
)

// Call waiting on analog phones. A call to an extension whose analog
// phone talks does not dial the port (it would answer busy): it waits for
// the phone, alerting it every cwRepeat (the zone's call-waiting tone and,
// where the zone has it, the caller's ID), while its caller hears ringback.
// The phone's flash, seen by the call that owns the phone, holds that call's
// party and hands the phone to the waiting call (ctlTake); a flash there
// hands it back. A phone put down while a party waits on hold rings again
// for that party. Without call waiting (extension_rules[].call_waiting_off)
// the caller gets the extension's busy handling.

// cwRepeat is how often a waiting call alerts the phone again.
const cwRepeat = 10 * time.Second

// callWait is one call waiting for a busy phone.
type callWait struct {
	x   *Exchange
	c   *call
	l   *leg
	ext string
	// member is the group member the wait rings for ("" outside groups).
	member string
	stop   func()
}

// phoneLeg is the live leg of the analog phone on port ("fxs:N") that
// talks in a call, or nil.
func (x *Exchange) phoneLeg(port string) *leg {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, l := range x.legs {
		if l.info.Kind == channel.FXS && l.info.Endpoint == port && !l.isEnded() && (l.info.Direction == "in" || l.isAnswered()) {
			return l
		}
	}
	return nil
}

// startWaiting makes the router's call wait for the busy phone leg l
// (extension ext); nil when the phone cannot take a waiting call (not an
// analog phone, or another call waits already).
func (r router) startWaiting(l *leg, ext, member string) *callWait {
	cw, ok := l.ch.(channel.CallWaiting)
	if !ok {
		return nil
	}
	x := r.x
	x.mu.Lock()
	if x.waiters[l] != nil {
		x.mu.Unlock()
		return nil
	}
	x.waiters[l] = r.c
	x.mu.Unlock()
	w := &callWait{x: x, c: r.c, l: l, ext: ext, member: member}
	stopc := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	caller := r.caller
	go func() {
		defer wg.Done()
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-stopc:
				return
			case <-l.done:
				// The phone was put down: it can ring now.
				r.c.box.post(msg{ctl: &ctlFree{w: w}})
				return
			case <-t.C:
				if err := cw.AlertCallWaiting(caller); err != nil {
					r.log.Debug("call waiting alert", "err", err)
				}
				t.Reset(cwRepeat)
			}
		}
	}()
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			close(stopc)
			wg.Wait()
			x.clearWaiter(l, r.c)
		})
	}
	r.c.step("waiting", nil, ext, "")
	r.log.Info("call waiting for a busy phone", "extension", ext, "port", l.info.Endpoint)
	return w
}

// ctlFree tells a call waiting for a phone that the phone hung up.
type ctlFree struct{ w *callWait }

// waitingFor finds the wait for leg l among ws.
func waitingFor(ws []*callWait, l *leg) *callWait {
	for _, w := range ws {
		if w.l == l {
			return w
		}
	}
	return nil
}

// waiterFor is the call waiting for phone leg l (call waiting, or a call
// holding a party for it), or nil.
func (x *Exchange) waiterFor(l *leg) *call {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.waiters[l]
}

func (x *Exchange) setWaiter(l *leg, c *call) {
	x.mu.Lock()
	x.waiters[l] = c
	x.mu.Unlock()
}

func (x *Exchange) clearWaiter(l *leg, c *call) {
	x.mu.Lock()
	if x.waiters[l] == c {
		delete(x.waiters, l)
	}
	x.mu.Unlock()
}
