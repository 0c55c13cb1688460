package telephony

import (
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// Call park: a call transferred to the park code (or parked by a hook
// flash and the code, or from the operator's view) waits on the first free
// slot with music on hold; whoever dials the slot takes it; after
// features.park_timeout_s it rings back at the parker (their forwarding
// applies), or goes to features.park_timeout_destination.

// parkedCall is one occupied slot.
type parkedCall struct {
	c     *call
	l     *leg
	by    string
	since time.Time
}

// ParkedCall is one parked call, as the status page shows it.
type ParkedCall struct {
	Slot string `json:"slot"`
	// Call and Leg name the parked call and its party for CallAction
	// (hangup, transfer).
	Call   string           `json:"call"`
	Leg    string           `json:"leg"`
	Caller channel.CallerID `json:"caller"`
	Party  string           `json:"party"`
	By     string           `json:"by,omitempty"`
	Since  time.Time        `json:"since"`
}

// parkReserve takes the first free slot for leg l of call c, parked by
// extension by.
func (x *Exchange) parkReserve(c *call, l *leg, by string) (string, bool) {
	p := x.plan(x.config())
	slot := ""
	x.mu.Lock()
	for _, s := range p.slots {
		if x.parked[s] == nil {
			x.parked[s] = &parkedCall{c: c, l: l, by: by, since: x.now()}
			slot = s
			break
		}
	}
	x.mu.Unlock()
	if slot == "" {
		return "", false
	}
	x.presenceSlot(slot)
	return slot, true
}

// parkRelease frees slot if call c holds it.
func (x *Exchange) parkRelease(slot string, c *call) {
	x.mu.Lock()
	if pc := x.parked[slot]; pc != nil && pc.c == c {
		delete(x.parked, slot)
	}
	x.mu.Unlock()
	x.presenceSlot(slot)
}

// parkedSlotOf is the slot leg l is parked on ("" when it is not).
func (x *Exchange) parkedSlotOf(l *leg) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	for s, pc := range x.parked {
		if pc.l == l {
			return s
		}
	}
	return ""
}

// Parked lists the parked calls by slot.
func (x *Exchange) Parked() []ParkedCall {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.plan(x.cfg.Load())
	var out []ParkedCall
	for _, s := range p.slots {
		pc := x.parked[s]
		if pc == nil {
			continue
		}
		pc.c.mu.Lock()
		caller := pc.c.caller
		pc.c.mu.Unlock()
		out = append(out, ParkedCall{Slot: s, Call: pc.c.id, Leg: pc.l.info.ID, Caller: caller, Party: pc.l.name, By: pc.by, Since: pc.since})
	}
	return out
}

// park parks the router's party (reached through the park code). A phone
// that dialled the code itself hears its slot first: it waits there for
// its own attended transfer to put its party in its place.
func (r router) park(l *leg, by string) (*leg, channel.Cause) {
	slot, ok := r.x.parkReserve(r.c, l, by)
	if !ok {
		r.log.Info("park: every slot is taken")
		if r.answer(l) {
			k := r.keypad(l)
			k.sayThrough(prompts.ParkFull)
		}
		return nil, channel.CauseCongestion
	}
	if by == "" && l.extension() != "" {
		// The phone parks itself: tell it where.
		if !r.answer(l) {
			r.x.parkRelease(slot, r.c)
			return nil, channel.CauseFailure
		}
		r.c.set(func(c *call) {
			if c.answered.IsZero() {
				c.answered = r.x.now()
			}
			c.disposition = "answered"
		})
		k := r.keypad(l)
		if !k.sayThrough(k.lang.ParkedAt(slot)...) {
			r.x.parkRelease(slot, r.c)
			return nil, channel.CauseCancelled
		}
	}
	return r.parkWait(slot)
}

// parkIn puts the router's party on slot in place of old (an attended
// transfer to a phone that parked itself), then waits there.
func (r router) parkIn(slot string, old *leg) (*leg, channel.Cause) {
	r.x.mu.Lock()
	pc := r.x.parked[slot]
	by := ""
	if pc != nil && pc.l == old {
		by = pc.by
		if by == "" {
			by = old.extension()
		}
		r.x.parked[slot] = &parkedCall{c: r.c, l: r.in, by: by, since: r.x.now()}
	}
	r.x.mu.Unlock()
	if pc == nil || pc.l != old {
		return nil, channel.CauseNotFound
	}
	old.leaveBridge()
	old.hangup(channel.CauseNormal)
	r.by = by
	return r.parkWait(slot)
}

// parkWait keeps the router's party on slot with music on hold until a
// phone takes it (returned, answered), it hangs up, or the park time ends
// (it rings back at the parker, r.by, or goes to the timeout destination).
func (r router) parkWait(slot string) (*leg, channel.Cause) {
	c, l := r.c, r.in
	defer r.x.parkRelease(slot, c)
	l.leaveBridge()
	pb := r.playTo(l, r.musicOnHold(nil))
	stopMusic := func() {
		if pb != nil {
			pb.Stop()
			pb = nil
		}
	}
	defer stopMusic()
	c.setParties(l, nil)
	c.setState("parked")
	c.step("parked", l, slot, r.by)
	r.log.Info("call parked", "slot", slot, "party", l.partyName(), "by", r.by)
	s := r.p.cfg.Features.ParkTimeoutS
	if s <= 0 {
		s = store.DefaultParkTimeoutS
	}
	t := time.NewTimer(time.Duration(s) * time.Second)
	defer t.Stop()
	for {
		m, why := c.recv(r.ctx, t.C, nil)
		switch why {
		case cancelled:
			return nil, channel.CauseNormal
		case timedOut:
			stopMusic()
			r.x.parkRelease(slot, c)
			return r.parkTimedOut(slot)
		}
		if tk, ok := m.ctl.(*ctlTake); ok && tk.kind == takeRetrieve && tk.claim.claim() {
			tk.leg.give(c)
			tk.reply <- true
			stopMusic()
			if !r.answer(tk.leg) {
				tk.leg.hangup(channel.CauseFailure)
				return nil, channel.CauseFailure
			}
			tk.leg.setAnswered(r.x.now())
			c.step("retrieved", tk.leg, slot, tk.by)
			r.log.Info("parked call taken", "slot", slot, "by", tk.by)
			return tk.leg, 0
		}
		if op, ok := m.ctl.(*ctlOp); ok && op.op == "transfer" && (op.leg == "" || op.leg == l.info.ID) {
			if err := r.checkOperatorDest(op.dest); err != nil {
				if op.claim.claim() {
					op.reply <- err
				}
				continue
			}
			if !op.claim.claim() {
				continue
			}
			op.reply <- nil
			stopMusic()
			r.x.parkRelease(slot, c)
			c.step("transferred", l, op.dest, "operator")
			sub := r.forParty(l, "")
			sub.class = dialplan.ClassInternational
			sub.ringCap = r.recallTime()
			return sub.operatorDest(op.dest)
		}
		if m.ctl != nil {
			refuseCtl(m.ctl)
			continue
		}
		if m.leg == l && m.ev.Type == channel.EventHangup {
			c.step("left", l, slot, "")
			return nil, channel.CauseCancelled
		}
	}
}

// parkTimedOut sends a parked call nobody took where the features say:
// the timeout destination, else back to the parker.
func (r router) parkTimedOut(slot string) (*leg, channel.Cause) {
	if d := r.p.parkTimeout; d.Kind != "" {
		r.log.Info("parked call not taken: to the timeout destination", "slot", slot, "to", d.String())
		r.c.step("recalled", r.in, d.String(), "")
		sub := r.forParty(r.in, r.by)
		sub.class = r.class
		return sub.reach(d)
	}
	if e, ok := r.p.exts[r.by]; ok {
		r.log.Info("parked call not taken: ringing back the parker", "slot", slot, "extension", r.by)
		r.c.step("recalled", r.in, r.by, "")
		return r.forParty(r.in, r.by).reachExtension(e)
	}
	return nil, channel.CauseNoAnswer
}

// retrieve takes the call parked on slot for the router's party (the
// phone that dialled the slot): the parked call's script takes the phone
// and this call ends without a record of its own (causeGone).
func (r router) retrieve(slot string) (*leg, channel.Cause) {
	r.x.mu.Lock()
	pc := r.x.parked[slot]
	r.x.mu.Unlock()
	if pc == nil || pc.c == r.c {
		r.log.Info("no call parked on the slot", "slot", slot)
		return nil, channel.CauseNotFound
	}
	t := &ctlTake{kind: takeRetrieve, leg: r.in, by: r.in.partyName(), reply: make(chan bool, 1)}
	if ok, _ := ask(pc.c, t, &t.claim, t.reply); !ok {
		return nil, channel.CauseNotFound
	}
	r.c.set(func(c *call) { c.merged = true })
	return nil, causeGone
}
