package telephony

import (
	"errors"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// Transfers, the hook flash of analog phones, and the operator's actions.
//
// A blind transfer hands the transferee to a new router that reaches the
// target for it, within the transferrer's permission class and showing
// the transferee's caller ID; the transferee hears ringback meanwhile.
// Nobody answering within features.transfer_recall_s rings back at the
// transferrer (then their own forwarding applies), so no call is lost.
//
// An analog phone flashes the hook: its party is held with music and the
// phone hears a second dial tone. Then #EXT# is a blind transfer, *EXT#
// an attended one (talk to the target; hang up to complete; flash to go
// back), the park code parks the party, and a plain number is a three-way
// call (talk privately; flash to join all three; hang up to leave the two
// together). A flash again, or silence, goes back to the party.

// flashFirstDigit is how long a flashed phone hears its second dial tone
// before it goes back to the held party.
const flashFirstDigit = 10 * time.Second

// recallTime is the blind transfer's ring time before the recall.
func (r router) recallTime() time.Duration {
	s := r.p.cfg.Features.TransferRecallS
	if s <= 0 {
		s = store.DefaultTransferRecallS
	}
	return time.Duration(s) * time.Second
}

// callerOf is the caller ID a leg shows when it is handed on: the call's
// caller for its first leg, else the leg's own number.
func (r router) callerOf(l *leg) channel.CallerID {
	if l == r.c.first {
		r.c.mu.Lock()
		defer r.c.mu.Unlock()
		if r.c.caller.Number != "" || r.c.caller.Name != "" {
			return r.c.caller
		}
		return l.info.Caller
	}
	if e, ok := r.p.exts[l.extension()]; ok {
		return channel.CallerID{Number: e.Number, Name: e.Name}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.party != "" {
		return channel.CallerID{Number: l.party}
	}
	return l.info.Caller
}

// forParty is a router that reaches destinations for l on behalf of the
// extension by (a transferrer, a parker: their class applies).
func (r router) forParty(l *leg, by string) router {
	sub := r
	sub.in, sub.by = l, by
	sub.caller = r.callerOf(l)
	sub.class = r.p.classOfExt(by)
	sub.ringCap, sub.fwdBusy, sub.inQueue = 0, false, false
	sub.hops = 0
	sub.diverted = nil
	return sub
}

// transferCheck tells whether target may be dialled by extension by: a
// number of the numbering plan (no feature code) that, when it goes out,
// by's permission class allows. It returns the SIP status of a refusal.
func (r router) transferCheck(target, by string) (int, bool) {
	if !dialplan.IsDialString(target) {
		return 404, false
	}
	st, e := r.p.numbers.Lookup(target)
	if st != dialplan.Complete && st != dialplan.OpenEnded {
		return 404, false
	}
	switch e.Kind {
	case dialplan.KindFeature:
		// A feature code acts for the phone that dials it (pickup, do not
		// disturb, forwarding): nothing a transferred caller can use.
		return 403, false
	case dialplan.KindRoute, dialplan.KindEmergency:
		if _, err := r.p.router.Select(target, r.p.classOfExt(by), r.p.isEmergency); err != nil {
			if errors.Is(err, dialplan.ErrForbidden) {
				return 403, false
			}
			return 404, false
		}
	}
	return 0, true
}

// takesAtOnce reports whether the box itself takes a call sent to number
// (the park code, a menu, a queue, voicemail, a conference room, an
// announcement, a paging group) rather than ringing a phone.
func (r router) takesAtOnce(number string) bool {
	if sp, ok := r.p.specials[number]; ok {
		return sp.kind == specialPark
	}
	d, ok := r.p.services[number]
	if !ok {
		return false
	}
	switch d.Kind {
	case dialplan.DestMenu, dialplan.DestQueue, dialplan.DestVoicemail, dialplan.DestConf, dialplan.DestAnnounce, dialplan.DestPage:
		return true
	}
	return false
}

// notify tells a SIP transferrer how its transfer goes.
func notify(l *leg, code int) {
	if n, ok := l.ch.(channel.TransferNotifier); ok && !l.isEnded() {
		_ = n.NotifyTransfer(code)
	}
}

// transfer acts on a SIP phone's REFER: t (the transferrer's leg) asks
// that o be transferred.
func (cv *conv) transfer(t, o *leg, tr *channel.Transfer) (*leg, *leg, bool) {
	if tr.Replaces != "" {
		return cv.attendedSIP(t, o, tr.Replaces)
	}
	return cv.blind(t, o, tr.Target)
}

// blind transfers o to target on t's behalf.
func (cv *conv) blind(t, o *leg, target string) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	by := t.extension()
	if code, ok := r.transferCheck(target, by); !ok {
		r.log.Info("transfer refused", "by", t.partyName(), "target", target, "status", code)
		c.step("transfer-failed", o, target, t.partyName())
		notify(t, code)
		if t.info.Kind == channel.FXS {
			cv.refusalTone(t)
			cv.unhold(o)
		}
		return t, o, false
	}
	// told sends the transferrer the outcome once.
	toldFinal := false
	final := func(code int) {
		if !toldFinal {
			toldFinal = true
			notify(t, code)
		}
	}
	notify(t, 100)
	if r.takesAtOnce(target) {
		// The box itself takes the party (a park slot, a menu, a queue,
		// voicemail, a conference): the transfer is done now.
		final(200)
	}
	r.log.Info("blind transfer", "by", t.partyName(), "party", o.partyName(), "target", target)
	c.step("transferred", o, target, t.partyName())
	t.leaveBridge()
	if t.info.Kind == channel.FXS {
		// The analog transferrer's part is over: its phone hears the
		// end-of-call tone until it is put down.
		t.hangup(channel.CauseNormal)
	}
	cv.unhold(o)
	sub := r.forParty(o, by)
	if by != "" {
		// Sent on by an office phone: an outside target's provider sees
		// which of its customer's numbers passed the caller on.
		sub = sub.diverting(by, channel.DivertDeflection)
	}
	sub.ringCap = r.recallTime()
	sub.onRinging = func() {
		if !toldFinal {
			notify(t, 180)
		}
	}
	// succeeded tells the transferrer and ends its leg: a phone that
	// waits for the box's BYE instead of sending its own must not keep a
	// leg that is in no bridge any more.
	succeeded := func() {
		final(200)
		if !t.isEnded() {
			t.hangup(channel.CauseNormal)
		}
	}
	out, cause := sub.reachNumber(target)
	switch {
	case cause == causeGone:
		succeeded()
		return nil, nil, true
	case out != nil:
		succeeded()
		return o, out, true
	case sub.final(cause) || cause == channel.CauseNormal:
		// The transferee hung up, or a destination kept it to its end.
		final(487)
		return nil, nil, true
	}
	succeededEarlier := toldFinal
	final(cause.SIPStatus())
	if t.info.Kind == channel.SIP && !t.isEnded() && !succeededEarlier {
		// The transferrer still holds the party: back to them.
		c.step("transfer-failed", o, target, t.partyName())
		cv.ensure(o, t)
		cv.hold(o, t)
		return t, o, true
	}
	return cv.recall(o, by, cause)
}

// recall rings the transferrer's (or parker's) extension back for o after
// a transfer nobody took; their own forwarding applies from there. With
// nobody to return to, o hears why and the call ends.
func (cv *conv) recall(o *leg, ext string, cause channel.Cause) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	if ext == "" || o.isEnded() {
		r.forParty(o, "").refuse(cause)
		return nil, nil, true
	}
	e, ok := r.p.exts[ext]
	if !ok {
		r.forParty(o, "").refuse(cause)
		return nil, nil, true
	}
	r.log.Info("transfer not taken: ringing back", "party", o.partyName(), "extension", ext)
	c.step("recalled", o, ext, "")
	sub := r.forParty(o, ext)
	out, cause2 := sub.reachExtension(e)
	if out != nil {
		return o, out, true
	}
	if cause2 != causeGone {
		sub.refuse(cause2)
	}
	return nil, nil, true
}

// attendedSIP completes a SIP phone's attended transfer: the phone's
// other call (the leg replaces) hands its party over, who then talks to o.
func (cv *conv) attendedSIP(t, o *leg, replaces string) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	rl := r.x.legByID(replaces)
	if rl == nil || rl == t || rl == o || rl.isEnded() {
		notify(t, 481)
		return t, o, false
	}
	owner := rl.currentOwner()
	if owner == nil || owner == c {
		notify(t, 503)
		return t, o, false
	}
	// A consultation call that parked itself: the party takes its slot.
	if slot := r.x.parkedSlotOf(rl); slot != "" {
		notify(t, 200)
		cv.unhold(o)
		t.leaveBridge()
		t.hangup(channel.CauseNormal)
		c.step("transferred", o, "park "+slot, t.partyName())
		out, cause := r.forParty(o, t.extension()).parkIn(slot, rl)
		if out == nil {
			return nil, nil, cause != causeGone || true
		}
		return o, out, true
	}
	h := &ctlHandoff{mine: rl, to: c, toParty: o.name, reply: make(chan *leg, 1)}
	p, ok := ask(owner, h, &h.claim, h.reply)
	if !ok || p == nil {
		r.log.Info("attended transfer refused by the other call", "replaces", replaces)
		notify(t, 503)
		return t, o, false
	}
	notify(t, 200)
	r.log.Info("attended transfer", "by", t.partyName(), "party", o.partyName(), "to", p.partyName())
	cv.unhold(o)
	t.leaveBridge()
	t.hangup(channel.CauseNormal)
	c.step("transferred", o, p.name, t.partyName())
	return o, p, true
}

// currentOwner is the call that owns the leg now.
func (l *leg) currentOwner() *call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner
}

// refusalTone plays a short refusal (congestion) to a phone.
func (cv *conv) refusalTone(l *leg) {
	if src, ok := cv.r.causeTone(channel.CauseCongestion, 1500*time.Millisecond); ok {
		k := cv.r.keypad(l)
		k.other = func(msg) bool { return true }
		k.playThrough(src)
	}
}

// dialTone is the zone's dial tone, endless.
func (r router) dialTone() source {
	zone, err := dsp.LookupZone(r.p.cfg.System.ToneZone)
	if err != nil {
		return func(out []int16) bool { clear(out); return true }
	}
	tp := dsp.NewTonePlayer(zone.Dial, promptLevelDBm0)
	return func(out []int16) bool { tp.Read(out); return true }
}

// flash handles a hook flash of analog phone ph while it talks to o.
func (cv *conv) flash(ph, o *leg) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	if w := r.x.waiterFor(ph); w != nil && w != c {
		// A call waits for this phone: swap to it; o waits on hold.
		return cv.swap(ph, o, w)
	}
	cv.hold(o, ph)
	oGone := false
	k := r.keypad(ph)
	k.stopOnFlash = true
	k.other = func(m msg) bool {
		if m.leg == o && m.ev.Type == channel.EventHangup {
			oGone = true
		}
		if m.ctl != nil {
			refuseCtl(m.ctl)
		}
		return true
	}
	if !k.play(r.dialTone()) {
		return cv.phoneGone(ph, o, oGone)
	}
	digits, state, ok := k.collectState(collectOpts{first: flashFirstDigit, interDigit: k.interDigit, hashEnds: true, max: maxOutsideDigits,
		complete: func(d string) dialState { return r.flashComplete(d) }})
	if !ok || k.gone {
		return cv.phoneGone(ph, o, oGone || o.isEnded())
	}
	if oGone || o.isEnded() {
		// The held party hung up: the phone may call someone new.
		r.log.Debug("held party left during a flash")
		cv.unholdAll()
		if digits == "" || k.flashed {
			ph.leaveBridge()
			ph.hangup(channel.CauseNormal)
			return nil, nil, true
		}
		return cv.newCall(ph, digits)
	}
	if digits == "" || k.flashed || state == dialInvalid && digits == "" {
		cv.unhold(o)
		return ph, o, false
	}
	r.log.Debug("flash digits", "digits", digits)
	switch {
	case digits[0] == '#':
		return cv.blind(ph, o, digits[1:])
	case digits[0] == '*':
		return cv.consult(ph, o, digits[1:], false)
	}
	if sp, ok := r.p.specials[digits]; ok && sp.kind == specialPark {
		return cv.parkFromFlash(ph, o)
	}
	return cv.consult(ph, o, digits, true)
}

// flashComplete says whether digits dialled after a flash are whole: a
// '#' or '*' prefix is followed by a number of the plan (ended by '#'
// when it may go on).
func (r router) flashComplete(d string) dialState {
	if d == "" {
		return dialIncomplete
	}
	if d[0] == '#' || d[0] == '*' {
		rest := d[1:]
		if rest == "" {
			return dialIncomplete
		}
		return r.p.classify(rest)
	}
	return r.p.classify(d)
}

// phoneGone is the end of a flash whose phone hung up: a party still on
// hold is rung back on the phone (the reminder ring), else the call ends.
func (cv *conv) phoneGone(ph, o *leg, oGone bool) (*leg, *leg, bool) {
	if oGone || o.isEnded() || cv.r.ctx.Err() != nil {
		cv.hangup(o)
		return nil, nil, true
	}
	return cv.reminder(ph, o)
}

// reminder rings the phone ph (which hung up) again for its held party o.
func (cv *conv) reminder(ph, o *leg) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	port := ph.info.Endpoint
	r.log.Info("phone hung up with a party on hold: ringing it again", "port", port)
	c.step("recalled", o, ph.name, "")
	sub := r.forParty(o, ph.extension())
	t := target{d: r.x.analogDialer, target: port, ext: ph.extension()}
	out, cause, _ := sub.ring([]target{t}, r.noAnswer())
	if out == nil {
		cv.unholdAll()
		if !sub.final(cause) {
			sub.refuse(cause)
		}
		return nil, nil, true
	}
	cv.unhold(o)
	return o, out, true
}

// newCall lets a phone whose held party left dial someone new.
func (cv *conv) newCall(ph *leg, digits string) (*leg, *leg, bool) {
	r := cv.r
	sub := r.forParty(ph, ph.extension())
	sub.caller = r.callerOf(ph)
	out, cause := sub.reachNumber(trimFlashPrefix(digits))
	if out == nil {
		if cause != causeGone && !sub.final(cause) {
			sub.refuse(cause)
		}
		return nil, nil, true
	}
	return ph, out, true
}

func trimFlashPrefix(d string) string {
	if d != "" && (d[0] == '#' || d[0] == '*') {
		return d[1:]
	}
	return d
}

// consult calls target for the flashed phone ph while o waits on hold.
// Attended (three false): hang up to transfer, flash to go back. Three-way
// (three true): flash joins all three, hanging up leaves o and the target
// together.
func (cv *conv) consult(ph, o *leg, target string, three bool) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	by := ph.extension()
	if code, ok := r.transferCheck(target, by); !ok {
		r.log.Info("consultation refused", "by", ph.partyName(), "target", target, "status", code)
		cv.refusalTone(ph)
		cv.unhold(o)
		return ph, o, false
	}
	sub := r.forParty(ph, by)
	sub.flashAborts = true
	cv.ensure(ph)
	out, cause := sub.reachNumber(target)
	if out == nil {
		if o.isEnded() {
			cv.hangup(ph)
			return nil, nil, true
		}
		if ph.isEnded() {
			return cv.reminder(ph, o)
		}
		if cause != causeFlash && cause != channel.CauseNormal {
			cv.refusalTone(ph)
		}
		cv.unhold(o)
		return ph, o, false
	}
	// ph and the target talk in the call's bridge; o is held there.
	cv.ensure(ph, out)
	out.setAnswered(r.x.now())
	what := "consulted"
	if three {
		what = "three-way"
	}
	c.step(what, out, target, ph.partyName())
	c.setParties(ph, out)
	for {
		m, why := c.recv(r.ctx, cv.limit, nil)
		if why != gotMsg {
			cv.hangup(ph, o, out)
			return nil, nil, true
		}
		if m.ctl != nil {
			refuseCtl(m.ctl)
			continue
		}
		switch {
		case m.leg == ph && m.ev.Type == channel.EventHangup:
			// Hanging up completes the transfer.
			cv.unhold(o)
			c.step("transferred", o, out.name, ph.partyName())
			return o, out, true
		case m.leg == ph && m.ev.Type == channel.EventFlash && !three:
			// Back to the held party.
			out.leaveBridge()
			out.hangup(channel.CauseNormal)
			cv.unhold(o)
			return ph, o, true
		case m.leg == ph && m.ev.Type == channel.EventFlash && three:
			cv.unhold(o)
			c.step("conference", o, out.name, ph.partyName())
			return cv.threeWay(ph, o, out)
		case m.leg == out && m.ev.Type == channel.EventHangup:
			cv.unhold(o)
			return ph, o, true
		case m.leg == o && m.ev.Type == channel.EventHangup:
			cv.unholdAll()
			return ph, out, true
		case m.leg == out && m.ev.Type == channel.EventDigit && out.info.Kind == channel.SIP:
			_ = ph.ch.SendDigit(m.ev.Digit)
		}
	}
}

// threeWay is a conference of the phone ph, o and t in the call's
// bridge: ph's flash drops t (the last one added); whoever hangs up
// leaves the other two talking.
func (cv *conv) threeWay(ph, o, t *leg) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	c.setState("conference")
	for {
		m, why := c.recv(r.ctx, cv.limit, nil)
		if why != gotMsg {
			cv.hangup(ph, o, t)
			return nil, nil, true
		}
		if m.ctl != nil {
			refuseCtl(m.ctl)
			continue
		}
		switch {
		case m.leg == ph && m.ev.Type == channel.EventFlash:
			t.leaveBridge()
			t.hangup(channel.CauseNormal)
			c.step("left", t, "", ph.partyName())
			return ph, o, true
		case m.ev.Type == channel.EventHangup && (m.leg == ph || m.leg == o || m.leg == t):
			c.step("left", m.leg, "", "")
			switch m.leg {
			case ph:
				return o, t, true
			case o:
				return ph, t, true
			default:
				return ph, o, true
			}
		}
	}
}

// parkFromFlash parks o after the flashed phone ph dialled the park code:
// ph hears the slot, then the call waits there until someone takes it.
func (cv *conv) parkFromFlash(ph, o *leg) (*leg, *leg, bool) {
	r := cv.r
	cv.unhold(o)
	slot, ok := r.x.parkReserve(r.c, o, ph.extension())
	k := r.keypad(ph)
	k.other = func(m msg) bool {
		if m.ctl != nil {
			refuseCtl(m.ctl)
		}
		return true
	}
	if !ok {
		k.sayThrough(prompts.ParkFull)
		cv.hold(o, ph)
		return ph, o, false
	}
	k.sayThrough(append(k.lang.ParkedAt(slot), prompts.Goodbye)...)
	ph.leaveBridge()
	ph.hangup(channel.CauseNormal)
	out, cause := r.forParty(o, ph.extension()).parkWait(slot)
	if out == nil {
		_ = cause
		return nil, nil, true
	}
	return o, out, true
}

// swap hands the phone ph to the call w that waits for it (call waiting,
// or a call held there) while o waits on hold here; this call then waits
// for the phone to come back.
func (cv *conv) swap(ph, o *leg, w *call) (*leg, *leg, bool) {
	r := cv.r
	cv.hold(o, ph)
	ph.leaveBridge()
	t := &ctlTake{kind: takeWaiting, leg: ph, by: ph.partyName(), reply: make(chan bool, 1)}
	if ok, _ := ask(w, t, &t.claim, t.reply); !ok {
		r.log.Info("the waiting call went away; back to the party")
		cv.ensure(ph)
		cv.unhold(o)
		return ph, o, false
	}
	return cv.awaitPhone(ph, o)
}

// awaitPhone holds o while phone ph talks in another call: the phone's
// flash there brings it back; its hang-up rings it again for o.
func (cv *conv) awaitPhone(ph, o *leg) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	r.x.setWaiter(ph, c)
	defer r.x.clearWaiter(ph, c)
	c.setState("held")
	for {
		m, why := c.recv(r.ctx, nil, ph.done)
		switch why {
		case cancelled:
			cv.hangup(o)
			return nil, nil, true
		case doneFired:
			r.x.clearWaiter(ph, c)
			return cv.reminder(ph, o)
		}
		if t, ok := m.ctl.(*ctlTake); ok && t.kind == takeWaiting && t.leg == ph && t.claim.claim() {
			ph.give(c)
			t.reply <- true
			cv.unhold(o)
			return ph, o, true
		}
		if m.ctl != nil {
			refuseCtl(m.ctl)
			continue
		}
		if m.leg == o && m.ev.Type == channel.EventHangup {
			cv.unholdAll()
			return nil, nil, true
		}
	}
}

// operate carries out an operator's action from the web UI.
func (cv *conv) operate(op *ctlOp, a, b *leg) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	target := a
	if op.leg == b.info.ID {
		target = b
	} else if op.leg != "" && op.leg != a.info.ID {
		refuseCtl(op)
		return nil, nil, false
	}
	if !op.claim.claim() {
		return nil, nil, false
	}
	o := other(target, a, b)
	switch op.op {
	case "hangup":
		op.reply <- nil
		c.step("cleared", nil, "", "operator")
		cv.hangup(a, b)
		return nil, nil, true
	case "hold":
		op.reply <- nil
		cv.hold(target, o)
		return a, b, false
	case "resume":
		op.reply <- nil
		cv.unhold(target)
		return a, b, false
	case "transfer":
		if err := r.checkOperatorDest(op.dest); err != nil {
			op.reply <- err
			return a, b, false
		}
		op.reply <- nil
		// The operator's transfer: target goes to dest, o is released.
		o.leaveBridge()
		o.hangup(channel.CauseNormal)
		c.step("transferred", target, op.dest, "operator")
		cv.unhold(target)
		sub := r.forParty(target, "")
		sub.class = dialplan.ClassInternational
		sub.ringCap = r.recallTime()
		out, cause := sub.operatorDest(op.dest)
		if out != nil {
			return target, out, true
		}
		if cause != causeGone && !sub.final(cause) && cause != channel.CauseNormal {
			sub.refuse(cause)
		}
		return nil, nil, true
	case "park":
		slot, ok := r.x.parkReserve(c, target, "")
		if !ok {
			op.reply <- refused("every park slot is taken")
			return a, b, false
		}
		op.reply <- nil
		cv.unhold(target)
		o.leaveBridge()
		o.hangup(channel.CauseNormal)
		sub := r.forParty(target, "")
		sub.by = "operator"
		out, _ := sub.parkWait(slot)
		if out == nil {
			return nil, nil, true
		}
		return target, out, true
	}
	op.reply <- refused("unknown action %s", op.op)
	return a, b, false
}
