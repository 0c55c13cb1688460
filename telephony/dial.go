package telephony

import (
	"errors"
	"slices"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/bridge"
	"minipbx/telephony/channel"
)

// target is one leg to dial: a dialer and its target string, the group
// member it belongs to ("" outside groups), the extension whose phone it
// rings (for pickup and busy lamps) or the number it dials (records).
type target struct {
	d      channel.Dialer
	target string
	member string
	ext    string
	number string
	// auto: the phone answers by itself (intercom, paging).
	auto bool
	// waitOn is a phone busy in another call: instead of dialling it, the
	// call waits for it with a call-waiting alert (callwait.go).
	waitOn *leg
}

// betterCause picks the cause a caller should hear when several legs fail:
// busy beats no answer beats unavailable beats not found beats the rest.
func betterCause(a, b channel.Cause) channel.Cause {
	rank := func(c channel.Cause) int {
		switch c {
		case channel.CauseLoop: // a misrouted call: say so, whatever else failed
			return 7
		case channel.CauseBusy:
			return 6
		case channel.CauseRejected:
			return 5
		case channel.CauseNoAnswer:
			return 4
		case channel.CauseCongestion:
			return 3
		case channel.CauseUnavailable:
			return 2
		case channel.CauseNotFound:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// ring rings targets at once and returns the leg that answers (and its
// member), or nil and the cause to give the caller.
func (r router) ring(targets []target, timeout time.Duration) (*leg, channel.Cause, string) {
	out, cause, member, _ := r.ringOut(targets, timeout)
	return out, cause, member
}

// ringing is one call's attempt to reach phones, as pickup finds it.
type ringing struct {
	c    *call
	exts []string
}

// ringOut is ring that also tells whether no leg could even be dialled
// (every Dial failed), as line hunting needs to know.
//
// While it rings, the call can be picked up (ctlTake from a phone that
// dialled a pickup code, or a BLF key); the party hears ringback from the
// box when it was answered already (a menu, a transfer) or hears early
// media, until a dialled leg's own early media replaces it.
func (r router) ringOut(targets []target, timeout time.Duration) (*leg, channel.Cause, string, bool) {
	c, x := r.c, r.x
	if r.ringCap > 0 && (timeout <= 0 || timeout > r.ringCap) {
		timeout = r.ringCap
	}
	c.set(func(c *call) {
		if c.state != "ringing" {
			c.state = "dialling"
		}
	})
	var legs []*leg
	var members []string
	var waits []*callWait
	best := channel.CauseUnavailable
	var exts []string
	for _, t := range targets {
		if t.ext != "" && !slices.Contains(exts, t.ext) {
			exts = append(exts, t.ext)
		}
	}
	// The call can be picked up from the moment a phone may ring, before
	// the dial returns: a pickup that comes meanwhile waits in the inbox.
	reg := &ringing{c: c, exts: exts}
	x.addRinging(reg)
	defer x.removeRinging(reg)
	for _, t := range targets {
		if t.waitOn != nil {
			if w := r.startWaiting(t.waitOn, t.ext, t.member); w != nil {
				waits = append(waits, w)
			} else {
				best = betterCause(best, channel.CauseBusy)
			}
			continue
		}
		if t.d == nil {
			continue
		}
		req := channel.Request{Target: t.target, Caller: r.caller, Timeout: timeout, AutoAnswer: t.auto, Hops: channel.NextHop(r.in.ch), Diversions: r.diverted}
		ch, err := t.d.Dial(r.ctx, req)
		if err != nil {
			var de *channel.DialError
			if errors.As(err, &de) {
				best = betterCause(best, de.Cause)
			} else {
				best = betterCause(best, channel.CauseFailure)
			}
			r.log.Debug("dial failed", "target", t.target, "err", err)
			continue
		}
		l := x.adopt(ch, c)
		party := t.number
		if t.ext != "" {
			party = t.ext
		}
		l.setParty(party, t.ext)
		legs = append(legs, l)
		members = append(members, t.member)
	}
	defer func() {
		for _, w := range waits {
			w.stop()
		}
	}()
	if len(legs) == 0 && len(waits) == 0 {
		return nil, best, "", true
	}
	if len(legs) == 1 {
		c.setParties(r.in, legs[0]) // who rings, for the status page
	} else {
		c.setParties(r.in, nil)
	}
	// A party a voice menu answered, or one hearing early media, hears
	// ringback from the box itself — until a leg's own early media (a
	// provider's ringback or announcement) replaces it.
	var ringback *bridge.Playback
	stopRingback := func() {
		if ringback != nil {
			ringback.Stop()
			ringback = nil
		}
	}
	r.in.mu.Lock()
	hearsBox := r.in.boxAnswer || r.in.early || !r.in.answered.IsZero()
	r.in.mu.Unlock()
	// A telco caller on an FXO line hears the box from the moment the
	// line is seized (boxAnswered): without ringback it would hear
	// silence while the extension rings, or waits for a busy phone.
	hearsBox = hearsBox || r.in.boxAnswered()
	if hearsBox && !r.inQueue {
		if zone, err := dsp.LookupZone(r.p.cfg.System.ToneZone); err == nil {
			tp := dsp.NewTonePlayer(zone.Ringback, promptLevelDBm0)
			ringback = r.playTo(r.in, func(out []int16) bool { tp.Read(out); return true })
		}
	}
	defer stopRingback()
	// early is the leg whose early media the party hears (nil: none), in
	// the bridge eb with the party (muted: the called party hears nothing
	// before the answer).
	var early *leg
	var eb *bridge.Bridge
	dropEarly := func() {
		if early != nil {
			early.leaveBridge()
			_ = eb.Mute(r.in.info.ID, false)
			early, eb = nil, nil
		}
	}

	var noAnswer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		noAnswer = t.C
	}
	live := len(legs)
	hangupAll := func(cause channel.Cause, except *leg) {
		for _, l := range legs {
			if l != except && !l.isEnded() {
				l.leaveBridge()
				l.hangup(cause)
			}
		}
	}
	index := func(l *leg) int { return slices.Index(legs, l) }
	toldRinging := false
	progress := func() {
		c.setState("ringing")
		if !toldRinging {
			toldRinging = true
			x.callEvent(c, EventRinging, ringingParties(targets), nil)
			if r.onRinging != nil {
				r.onRinging()
			}
		}
		if r.in.boxAnswered() {
			return // its ringback is the box's own
		}
		r.in.mu.Lock()
		first := !r.in.progressed
		r.in.progressed = true
		isEarly := r.in.early
		r.in.mu.Unlock()
		if first && !isEarly { // else the ringback is in its media
			_ = r.in.ch.Progress()
		}
	}
	if len(waits) > 0 {
		progress() // the caller of a busy phone with call waiting hears ringback
	}
	for {
		m, why := c.recv(r.ctx, noAnswer, nil)
		switch why {
		case cancelled:
			hangupAll(channel.CauseCancelled, nil)
			dropEarly()
			return nil, channel.CauseNormal, "", false
		case timedOut:
			hangupAll(channel.CauseNoAnswer, nil)
			dropEarly()
			return nil, channel.CauseNoAnswer, "", false
		}
		if m.ctl != nil {
			if t, ok := m.ctl.(*ctlTake); ok && t.kind == takePickup && t.claim.claim() {
				// A phone picks the call up: the ringing stops ("call
				// completed elsewhere") and the picker is the party.
				hangupAll(channel.CauseCancelled, nil)
				dropEarly()
				t.leg.give(c)
				t.reply <- true
				c.step("picked-up", t.leg, "", t.by)
				r.log.Info("call picked up", "by", t.by)
				return t.leg, 0, "", false
			}
			if t, ok := m.ctl.(*ctlTake); ok && t.kind == takeWaiting {
				if w := waitingFor(waits, t.leg); w != nil && t.claim.claim() {
					hangupAll(channel.CauseCancelled, nil)
					dropEarly()
					t.leg.give(c)
					t.reply <- true
					c.step("answered", t.leg, "", "call waiting")
					return t.leg, 0, w.member, false
				}
			}
			if f, ok := m.ctl.(*ctlFree); ok {
				if i := slices.Index(waits, f.w); i >= 0 {
					// The busy phone was put down: ring it now.
					w := f.w
					w.stop()
					waits = slices.Delete(waits, i, i+1)
					ch, err := x.analogDialer.Dial(r.ctx, channel.Request{Target: w.l.info.Endpoint, Caller: r.caller, Timeout: timeout})
					if err == nil {
						l := x.adopt(ch, c)
						l.setParty(w.ext, w.ext)
						legs = append(legs, l)
						members = append(members, w.member)
						live++
					} else if live == 0 && len(waits) == 0 {
						dropEarly()
						return nil, channel.CauseBusy, "", false
					}
				}
				continue
			}
			refuseCtl(m.ctl)
			continue
		}
		if m.leg == r.in {
			switch {
			case m.ev.Type == channel.EventHangup:
				hangupAll(channel.CauseCancelled, nil)
				dropEarly()
				c.dispose(disposition(channel.CauseCancelled))
				return nil, channel.CauseCancelled, "", false
			case m.ev.Type == channel.EventFlash && r.flashAborts:
				hangupAll(channel.CauseCancelled, nil)
				dropEarly()
				return nil, causeFlash, "", false
			}
			continue
		}
		i := index(m.leg)
		if i < 0 {
			continue // a leg of an earlier step, finishing its hang-up
		}
		l := m.leg
		switch m.ev.Type {
		case channel.EventProgress:
			progress()
		case channel.EventEarlyMedia:
			// Heard when one leg was dialled (a trunk, a phone): while a
			// ring group rings several, one member's early media (often
			// silence) must not replace the ringback of all.
			if len(legs) == 1 && len(waits) == 0 && early == nil && !r.inQueue && r.openEarlyMedia("the called party's early media") {
				stopRingback()
				eb = bridge.New(bridge.Options{Name: c.id + "-early", Logger: x.log})
				r.in.join(eb)
				l.join(eb)
				_ = eb.Mute(r.in.info.ID, true)
				early = l
				r.log.Debug("early media from the called party", "leg", l.info.ID)
			}
		case channel.EventAnswer:
			if early != l {
				dropEarly()
			}
			hangupAll(channel.CauseCancelled, l)
			l.setAnswered(x.now())
			return l, 0, members[i], false
		case channel.EventHangup:
			if l == early {
				dropEarly()
			}
			live--
			best = betterCause(best, m.ev.Cause)
			if live == 0 && len(waits) == 0 {
				return nil, best, "", false
			}
		}
	}
}

// boxAnswered reports whether the exchange answered this inbound leg (a
// menu, voicemail, the telco line) — its caller hears the box, so ringing
// is played, not signalled.
func (l *leg) boxAnswered() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.boxAnswer || l.info.Kind == channel.FXO && l.info.Direction == "in"
}

// openEarlyMedia makes the party hear what the exchange sends before
// anyone answers: true at once when the box answered them or early media
// is open already, else it opens early media (for what: an announcement,
// the called party's own early media); false when the party's leg cannot
// have it (an analog phone, which hears the box's ringback, or a SIP
// INVITE without SDP).
func (r router) openEarlyMedia(what string) bool {
	in := r.in
	in.mu.Lock()
	already := in.boxAnswer || in.early || !in.answered.IsZero()
	in.mu.Unlock()
	if already {
		return true
	}
	em, ok := in.ch.(channel.EarlyMedia)
	if !ok {
		return false
	}
	if err := em.EarlyMedia(); err != nil {
		r.log.Info("no early media to the caller", "for", what, "err", err)
		return false
	}
	in.mu.Lock()
	in.early = true
	in.mu.Unlock()
	return true
}

// answerIn answers the party's leg (unless it is answered already): the
// box takes the call (a menu, voicemail) or connects it.
func (r router) answerIn() bool {
	return r.answer(r.in)
}

// answer answers an inbound leg the box has not answered yet.
func (r router) answer(l *leg) bool {
	l.mu.Lock()
	done := l.boxAnswer || l.info.Direction != "in"
	l.mu.Unlock()
	if done {
		return true
	}
	if err := l.ch.Answer(r.ctx); err != nil {
		r.log.Warn("answer failed", "leg", l.name, "err", err)
		return false
	}
	l.mu.Lock()
	l.boxAnswer = true
	l.mu.Unlock()
	l.setAnswered(r.x.now())
	return true
}

// addRinging and removeRinging keep the calls that ring phones, for
// pickup.
func (x *Exchange) addRinging(rg *ringing) {
	x.mu.Lock()
	x.ringing = append(x.ringing, rg)
	x.mu.Unlock()
	// The lamps change as the phones' legs are dialled (presenceChanged),
	// naming the dialog a BLF key would pick up; told now, they would
	// flash "ringing" with no dialog first.
}

func (x *Exchange) removeRinging(rg *ringing) {
	x.mu.Lock()
	x.ringing = slices.DeleteFunc(x.ringing, func(o *ringing) bool { return o == rg })
	x.mu.Unlock()
	for _, e := range rg.exts {
		x.presenceExt(e)
	}
}
