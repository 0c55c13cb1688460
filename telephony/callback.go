package telephony

import (
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// Callback: a caller a callback object knows is refused without the call
// being answered — a SIP trunk call with 486, an analog line left to
// ring (AnswerLine) — so the call costs them nothing, and the box calls
// them back through the outbound routes (originate.go); once they answer
// they go to the callback's destination: a DISA (dial tone, trusted) or
// anywhere else. A caller not on its list may key its PIN instead (that
// call is answered). One callback per caller waits at a time.

// reachCallback handles a call that reached callback cb: it schedules
// the call back and refuses this one (nil and the cause to give).
func (r router) reachCallback(cb *callbackDef) (*leg, channel.Cause) {
	x := r.x
	what := "callback:" + cb.Name
	caller := r.in.info.Caller
	r.c.set(func(c *call) { c.callee = what })
	if withheld(caller) {
		r.log.Info("callback refused: the caller's number is withheld, it cannot be called back", "callback", cb.Name, "channel", r.in.name)
		r.c.step("refused", r.in, what, "number withheld")
		return nil, channel.CauseBusy
	}
	number := callbackNumber(caller.Number)
	key := accessKey(r.in, number)
	if x.access.locked(key, x.now()) {
		r.log.Warn("callback refused: the caller is locked out after wrong PINs", "callback", cb.Name, "caller", key)
		r.c.step("refused", r.in, what, "locked out")
		return nil, channel.CauseBusy
	}
	if cb.knows(number) {
		r.c.dispose("rejected")
		r.c.step("callback", r.in, what, "")
		x.requestCallback(cb.Name, number, r.in.name)
		return nil, channel.CauseBusy
	}
	if cb.PIN == "" {
		r.log.Info("callback refused: the caller is not on its list", "callback", cb.Name, "caller", number)
		r.c.step("refused", r.in, what, "not allowed")
		return nil, channel.CauseBusy
	}
	if !r.answerIn() {
		return nil, channel.CauseFailure
	}
	r.c.setState("callback")
	k := r.keypad(r.in)
	if !r.askAccessPIN(k, what, cb.PIN, key) {
		return nil, r.loginFailed(k)
	}
	r.c.dispose("rejected")
	r.c.step("callback", r.in, what, "PIN")
	x.requestCallback(cb.Name, number, r.in.name)
	k.sayThrough(prompts.Goodbye)
	return nil, channel.CauseNormal
}

// knows reports whether number is on the callback's list.
func (cb *callbackDef) knows(number string) bool {
	_, ok := dialplan.Classify([]*dialplan.Classifier{cb.list}, number)
	return ok && number != ""
}

// callbackNumber is a caller's number as it is dialled back: its
// digits, '*' and '#' (a leading + and any punctuation go; the outbound
// routes add what the carrier needs).
func callbackNumber(n string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == '*' || r == '#' {
			return r
		}
		return -1
	}, n)
}

// AnswerLine decides whether FXO line port, ringing with caller, is
// answered: false when the call would reach a callback that knows the
// caller — the line is left to ring (the call costs the caller nothing)
// and the box calls them back. The analog ports ask it when a line has
// rung its rings; it never blocks.
func (x *Exchange) AnswerLine(port int, caller channel.CallerID) bool {
	if withheld(caller) {
		return true
	}
	p := x.plan(x.config())
	number := callbackNumber(caller.Number)
	a := p.arrive("", "", port, caller.Number, x.now())
	if a.to.Kind != dialplan.DestCallback || a.list != nil && a.list.Action == dialplan.ActionReject {
		return true
	}
	cb, ok := p.callbacks[a.to.Value]
	if !ok || !cb.knows(number) || x.access.locked(number, x.now()) {
		return true // answered: the call takes its course (a PIN, a refusal)
	}
	x.log.Info("callback: a caller on the list rings; the line is not answered", "callback", cb.Name, "caller", number, "line", port)
	x.requestCallback(cb.Name, number, "fxo:"+strconv.Itoa(port))
	return false
}

// requestCallback calls number back for callback name after its delay,
// retrying as the callback says; a caller whose callback waits already
// gets no second one. It returns at once.
func (x *Exchange) requestCallback(name, number, from string) {
	key := name + "|" + number
	x.mu.Lock()
	if x.callCtx.Err() != nil || x.callbacks[key] {
		x.mu.Unlock()
		return
	}
	x.callbacks[key] = true
	x.callWG.Add(1)
	x.mu.Unlock()
	cb, ok := x.plan(x.config()).callbacks[name]
	delay := store.DefaultCallbackDelayS
	if ok {
		delay = cb.Delay()
	}
	x.log.Info("callback requested", "callback", name, "number", number, "from", from, "in", delay)
	go func() {
		defer x.callWG.Done()
		defer func() {
			x.mu.Lock()
			delete(x.callbacks, key)
			x.mu.Unlock()
		}()
		wait := time.Duration(delay) * time.Second
		for attempt := 1; ; attempt++ {
			if !x.sleep(wait) {
				return
			}
			cb, ok := x.plan(x.config()).callbacks[name]
			if !ok {
				x.log.Info("callback dropped: the callback was removed meanwhile", "callback", name, "number", number)
				return
			}
			h, err := x.originate(cb.call(number))
			if err != nil {
				return
			}
			<-h.Done()
			answered, cause := h.Result()
			if answered {
				return
			}
			if attempt >= cb.Tries() || cause == channel.CauseForbidden || cause == channel.CauseNotFound {
				x.log.Warn("callback given up", "callback", name, "number", number, "attempts", attempt, "cause", cause)
				return
			}
			wait = time.Duration(cb.Retry()) * time.Second
		}
	}()
}

// call is the call back to number.
func (cb *callbackDef) call(number string) origination {
	return origination{
		To:      dest{Kind: dialplan.DestNumber, Value: number},
		Class:   cb.class,
		Caller:  channel.CallerID{Number: cb.CallerID, Name: cb.CallerName},
		For:     channel.CallerID{Number: cb.CallerID, Name: "callback " + cb.Name},
		RingFor: time.Duration(cb.RingS) * time.Second,
		Origin:  store.OriginCallback, By: "callback:" + cb.Name, Callee: number,
		Then: func(r router) (*leg, channel.Cause) {
			// The caller was let in by the list or the PIN: a DISA asks
			// nothing more and dials within the callback's class.
			r.trusted, r.class = true, cb.class
			return r.next().reach(cb.to)
		},
	}
}

// sleep waits d, or until the exchange stops (false).
func (x *Exchange) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-x.callCtx.Done():
		return false
	}
}
