package telephony

import (
	"time"

	"minipbx/telephony/bridge"
	"minipbx/telephony/channel"
)

// causeGone is the outcome of a step that handed the party to another
// call (a pickup, a retrieval): nothing is left to do here, and the leg is
// not hung up. It never leaves the package.
const causeGone channel.Cause = 1000

// causeFlash is the outcome of a consultation that the phone's user
// ended with a hook flash before anyone answered.
const causeFlash channel.Cause = 1001

// connect answers what needs answering — the party, a phone that picked
// the call up — and runs the conversation between the party and the leg
// that answered until it ends.
func (r router) connect(out *leg) {
	c := r.c
	br := out.bridge()
	if br == nil || br != r.in.bridge() {
		br = bridge.New(bridge.Options{Name: c.id, Logger: r.x.log})
	}
	// Connect the media before answering, so no first word is lost.
	r.in.join(br)
	out.join(br)
	_ = br.Mute(r.in.info.ID, false)
	if !r.answerIn() || !r.answer(out) {
		out.hangup(channel.CauseFailure)
		r.hangupIn(channel.CauseFailure)
		c.dispose("failed")
		return
	}
	now := r.x.now()
	out.setAnswered(now)
	c.set(func(c *call) {
		if c.answered.IsZero() {
			c.answered = now
		}
		c.disposition = "answered"
	})
	if !c.hasStep(out) {
		c.step("answered", out, "", "")
	}
	r.talk(r.in, out, br)
}

// hasStep reports whether the path already tells how l came in (answered,
// a pickup, a call-waiting answer, a retrieval).
func (c *call) hasStep(l *leg) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.came[l]
}

// conv is a call's conversation: the bridge its parties talk in, who is
// held there, and the call's duration limit.
type conv struct {
	r     router
	br    *bridge.Bridge
	held  map[*leg]*bridge.Playback
	limit <-chan time.Time
	// od is the on-demand recording code's state (record.go).
	od onDemand
}

// talk runs the conversation between a and b in br until nobody is left:
// it follows the parties through holds, transfers, three-way calls, call
// waiting and parking, each step handing on the pair that talks next.
func (r router) talk(a, b *leg, br *bridge.Bridge) {
	cv := &conv{r: r, br: br, held: map[*leg]*bridge.Playback{}}
	if s := r.p.cfg.CallLimits.MaxCallDurationS; s > 0 {
		t := time.NewTimer(time.Duration(s) * time.Second)
		defer t.Stop()
		cv.limit = t.C
	}
	for a != nil && b != nil {
		a, b = cv.pair(a, b)
	}
	cv.unholdAll()
}

// other is the party of the pair that is not l.
func other(l, a, b *leg) *leg {
	if l == a {
		return b
	}
	return a
}

// ensure makes sure l talks in the conversation's bridge (a new one when
// the old one was closed, empty).
func (cv *conv) ensure(legs ...*leg) {
	for _, l := range legs {
		if l.bridge() != cv.br {
			l.join(cv.br)
			if l.bridge() != cv.br {
				// The bridge closed when it emptied: a new one.
				cv.br = bridge.New(bridge.Options{Name: cv.r.c.id, Logger: cv.r.x.log})
				for _, m := range legs {
					m.join(cv.br)
				}
				return
			}
		}
	}
}

// pair runs a two-party conversation until it ends (nil, nil) or turns
// into another pair (a transfer, a swap).
func (cv *conv) pair(a, b *leg) (*leg, *leg) {
	r, c := cv.r, cv.r.c
	cv.ensure(a, b)
	c.setParties(a, b)
	c.setState("answered")
	// A party new to the call (a transfer's target, a recall) is noted as
	// answered; a picker or a retriever was noted when it came in.
	for _, l := range []*leg{a, b} {
		if l != c.first && !c.hasStep(l) {
			l.setAnswered(r.x.now())
			c.step("answered", l, "", "")
		}
	}
	cv.recording(a, b)
	// A leg that heard fax tones before the two were bridged (a fax
	// machine's CNG while its call was still ringing) switched alone.
	for _, l := range []*leg{a, b} {
		if vbd, ok := l.ch.(channel.VoiceBandData); ok && vbd.InVoiceBandData() {
			cv.voiceBandData(other(l, a, b), l)
		}
	}
	r.x.presenceChanged(a)
	r.x.presenceChanged(b)
	for {
		if a.isEnded() || b.isEnded() {
			// A leg ended while another step had the inbox.
			return cv.ended(a, b)
		}
		m, why := c.recv(r.ctx, cv.limit, nil)
		switch why {
		case cancelled:
			cv.hangup(a, b)
			return nil, nil
		case timedOut:
			r.log.Info("call cleared at the maximum call duration")
			cv.hangup(a, b)
			return nil, nil
		}
		if m.ctl != nil {
			if na, nb, changed := cv.control(m.ctl, a, b); changed {
				return na, nb
			}
			continue
		}
		l := m.leg
		if l != a && l != b {
			continue // a leg of an earlier step, finishing its hang-up
		}
		o := other(l, a, b)
		switch m.ev.Type {
		case channel.EventHangup:
			return cv.ended(a, b)
		case channel.EventDigit:
			// In-band DTMF already crosses in the audio; digits that came
			// out of band (RFC 4733, SIP INFO) are relayed, unless they are
			// the on-demand recording code (record.go).
			cv.digit(l, o, m.ev.Digit)
		case channel.EventVoiceBandData:
			cv.voiceBandData(o, l)
		case channel.EventHold:
			cv.hold(o, l)
		case channel.EventUnhold:
			cv.unhold(o)
		case channel.EventFlash:
			if l.info.Kind == channel.FXS {
				if na, nb, changed := cv.flash(l, o); changed {
					return na, nb
				}
			}
		case channel.EventTransfer:
			if m.ev.Transfer != nil {
				if na, nb, changed := cv.transfer(l, o, m.ev.Transfer); changed {
					return na, nb
				}
			}
		}
	}
}

// ended ends the conversation of a and b once one of them hung up: the
// other is cleared too.
func (cv *conv) ended(a, b *leg) (*leg, *leg) {
	cv.unholdAll()
	for _, l := range []*leg{a, b} {
		if !l.isEnded() {
			l.leaveBridge()
			l.hangup(channel.CauseNormal)
		}
	}
	return nil, nil
}

// hangup clears both parties.
func (cv *conv) hangup(legs ...*leg) {
	cv.unholdAll()
	for _, l := range legs {
		if l != nil {
			l.leaveBridge()
			l.hangup(channel.CauseNormal)
		}
	}
}

// voiceBandData switches l to voice-band data mode because the leg it
// talks to, from, heard fax or modem tones: a fax's signal must be
// carried as data on both legs (no echo canceller, fixed jitter buffer,
// no concealment), not only on the one that heard it.
func (cv *conv) voiceBandData(l, from *leg) {
	if vbd, ok := l.ch.(channel.VoiceBandData); ok && !l.isEnded() && !vbd.InVoiceBandData() {
		vbd.SetVoiceBandData("fax tones heard by " + from.partyName())
	}
}

// hold puts l on hold: it hears the music-on-hold class of its holder and
// is not heard.
func (cv *conv) hold(l, holder *leg) {
	if cv.held[l] != nil || l.isEnded() {
		return
	}
	cv.ensure(l)
	_ = cv.br.Mute(l.info.ID, true)
	pb, err := cv.br.Play(l.info.ID, bridge.Source(cv.r.musicOnHold(holder)))
	if err != nil {
		cv.r.log.Debug("no music on hold", "leg", l.name, "err", err)
		return
	}
	cv.held[l] = pb
	cv.r.c.step("held", l, "", holder.partyName())
	cv.r.c.setState("held")
}

// unhold takes l off hold.
func (cv *conv) unhold(l *leg) {
	pb := cv.held[l]
	if pb == nil {
		return
	}
	delete(cv.held, l)
	pb.Stop()
	if br := l.bridge(); br != nil {
		_ = br.Mute(l.info.ID, false)
	}
	if !l.isEnded() {
		cv.r.c.step("resumed", l, "", "")
	}
	cv.r.c.setState("answered")
}

// unholdAll stops every hold's music.
func (cv *conv) unholdAll() {
	for l, pb := range cv.held {
		pb.Stop()
		delete(cv.held, l)
	}
}

// control acts on a message from another call or the operator while a
// and b talk.
func (cv *conv) control(ctl any, a, b *leg) (*leg, *leg, bool) {
	r, c := cv.r, cv.r.c
	switch v := ctl.(type) {
	case *ctlHandoff:
		// An attended transfer: v.mine (the transferrer's consultation
		// leg) goes, its partner goes to the transferring call.
		if (v.mine != a && v.mine != b) || !v.claim.claim() {
			refuseCtl(ctl)
			return nil, nil, false
		}
		partner := other(v.mine, a, b)
		cv.unhold(partner)
		partner.leaveBridge()
		c.step("transferred", partner, v.toParty, v.mine.partyName())
		partner.give(v.to)
		v.reply <- partner
		v.mine.leaveBridge()
		v.mine.hangup(channel.CauseNormal)
		c.dispose("answered")
		return nil, nil, true
	case *ctlReplace:
		if (v.old != a && v.old != b) || !v.claim.claim() {
			refuseCtl(ctl)
			return nil, nil, false
		}
		keep := other(v.old, a, b)
		v.new.give(c)
		if !r.answer(v.new) {
			v.reply <- false
			return a, b, false
		}
		v.reply <- true
		v.old.leaveBridge()
		v.old.hangup(channel.CauseNormal)
		v.new.setAnswered(r.x.now())
		c.step("replaced", v.new, "", v.old.partyName())
		return keep, v.new, true
	case *ctlOp:
		return cv.operate(v, a, b)
	case *ctlKeysDue:
		cv.keysDue(v, a, b)
		return nil, nil, false
	}
	refuseCtl(ctl)
	return nil, nil, false
}
