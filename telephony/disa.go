package telephony

import (
	"time"

	"minipbx/dsp"
	"minipbx/telephony/bridge"
	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/prompts"
)

// DISA (direct inward system access): a caller from outside whom a DISA
// object lets in — by an allowed number, a PIN, or both — hears the
// box's dial tone and dials out through the outbound routes as an
// extension of the DISA's permission class would, never more. It is the
// toll fraudster's favourite door, so: a caller nobody let in is refused
// before the call is answered; wrong PINs lock the caller out
// (security.go) and raise an alarm; the far end is shown the DISA's
// number, never the caller's; and every DISA call is marked in its
// record (a "disa" step, CallRecord.DISA).

// The prompts of PIN entry (the mailbox login's words fit: "Please
// enter your password, then press pound." / "Login incorrect.").
const (
	promptPIN       = prompts.VMPassword
	promptIncorrect = prompts.VMIncorrect
)

// disaTries are the numbers a DISA caller may dial in one call: a
// number that is refused (not allowed, no route, busy lines) gives the
// caller its tone and dial tone again.
const disaTries = 3

// disaRefusedTone is how long a refused number's tone plays before the
// dial tone comes back.
const disaRefusedTone = 2 * time.Second

// disaApp runs a DISA for the router's party.
type disaApp struct {
	r router
	d *disaDef
}

// reachDISA lets the router's party in through DISA d and puts the
// number they dial through; it returns the answered leg, or nil and the
// cause to give the caller.
func (r router) reachDISA(d *disaDef) (*leg, channel.Cause) { return disaApp{r: r, d: d}.run() }

func (a disaApp) run() (*leg, channel.Cause) {
	r, d, x := a.r, a.d, a.r.x
	what := "disa:" + d.Name
	// Who the caller is: a caller called back was let in already.
	askPIN, key := false, ""
	if !r.trusted {
		number := ""
		if !withheld(r.in.info.Caller) {
			number = r.in.info.Caller.Number
		}
		key = accessKey(r.in, number)
		if x.access.locked(key, x.now()) {
			r.log.Warn("DISA refused: the caller is locked out after wrong PINs", "disa", d.Name, "caller", key)
			r.c.step("refused", r.in, what, "locked out")
			return nil, channel.CauseBusy
		}
		_, listed := dialplan.Classify([]*dialplan.Classifier{d.list}, number)
		listed = listed && number != ""
		if !listed && (d.PIN == "" || d.ListAndPIN) {
			r.log.Info("DISA refused: the caller is not on its list", "disa", d.Name, "caller", key)
			r.c.step("refused", r.in, what, "not allowed")
			return nil, channel.CauseBusy
		}
		askPIN = d.PIN != "" && (!listed || d.ListAndPIN)
	}
	if !a.limit() {
		return nil, channel.CauseBusy
	}
	if !r.answerIn() {
		return nil, channel.CauseFailure
	}
	r.c.setState("disa")
	k := r.keypad(r.in)
	if askPIN && !r.askAccessPIN(k, what, d.PIN, key) {
		return nil, r.loginFailed(k)
	}
	class := d.class
	if r.trusted && r.class < class {
		class = r.class // a callback's class bounds the DISA it leads to
	}
	r.c.set(func(c *call) { c.disa = d.Name })
	r.c.step("disa", r.in, what, "")
	r.log.Info("DISA: the caller is let in", "disa", d.Name, "class", class, "caller", r.in.info.Caller.Number)
	sub := r.next()
	sub.class, sub.own, sub.diverted = class, true, nil
	sub.caller = channel.CallerID{Number: d.CallerID, Name: d.CallerName}
	for range disaTries {
		number, ok := a.dial(k)
		if !ok {
			r.c.dispose("abandoned")
			return nil, channel.CauseCancelled
		}
		if number == "" {
			r.c.dispose("abandoned")
			return nil, channel.CauseCongestion
		}
		r.c.set(func(c *call) { c.callee = number })
		out, cause := sub.reachNumber(number)
		if out != nil || sub.final(cause) {
			return out, cause
		}
		r.log.Info("DISA: number not put through", "disa", d.Name, "number", number, "cause", cause)
		if src, ok := r.causeTone(cause, disaRefusedTone); ok && !k.playThrough(src) {
			return nil, channel.CauseCancelled
		}
	}
	r.c.dispose("failed")
	return nil, channel.CauseNormal
}

// limit takes a place under the DISA's call limit for the call; false
// when it is full.
func (a disaApp) limit() bool {
	release, ok := a.r.x.acquire("disa:"+a.d.Name, a.d.MaxCalls)
	if !ok {
		a.r.log.Info("DISA at its call limit", "disa", a.d.Name, "max_calls", a.d.MaxCalls)
		return false
	}
	a.r.c.hold(release)
	return true
}

// loginFailed ends a DISA or callback call whose caller did not key the
// PIN: goodbye, and the cause that clears it.
func (r router) loginFailed(k *keypad) channel.Cause {
	if k.gone {
		r.c.dispose("abandoned")
		return channel.CauseCancelled
	}
	r.c.dispose("rejected")
	k.sayThrough(prompts.Goodbye)
	return channel.CauseNormal
}

// dial gives the caller dial tone and collects the number they dial, as
// an office phone's digits are: complete by the numbering plan, '#' or
// the inter-digit pause. It reports false when the caller hung up; ""
// when they dialled nothing in time.
func (a disaApp) dial(k *keypad) (string, bool) {
	r := a.r
	var pb *bridge.Playback
	if zone, err := dsp.LookupZone(r.p.cfg.System.ToneZone); err == nil {
		tp := dsp.NewTonePlayer(zone.Dial, promptLevelDBm0)
		pb = r.playTo(r.in, func(out []int16) bool { tp.Read(out); return true })
	}
	stop := func() {
		if pb != nil {
			pb.Stop()
			pb = nil
		}
	}
	defer stop()
	digits, st, ok := k.collectState(collectOpts{first: firstDigitTimeout, interDigit: k.interDigit, hashEnds: true,
		complete: r.p.classify, onDigit: func(string) { stop() }})
	switch {
	case !ok:
		return "", false
	case st == dialComplete || st == dialOpenEnded:
		return digits, true
	case digits == "":
		return "", true
	}
	// Invalid or incomplete: a number no route takes.
	return digits, true
}
