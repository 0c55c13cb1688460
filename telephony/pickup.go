package telephony

import (
	"slices"

	"minipbx/telephony/channel"
)

// Call pickup: a phone answers a call ringing another. Directed pickup
// (features.directed_pickup_code + the extension, or a BLF key whose phone
// sends an INVITE replacing the ringing dialog) takes the call ringing that
// extension; group pickup (features.group_pickup_codes) the oldest call
// ringing any extension the picker shares a pickup group with — calls that
// ring through ring groups and queues included. The ringing call's script
// takes the picker's leg (ctlTake) and carries on with it; the picker's own
// call ends without a record (its story is the picked-up call's).

// pickup picks up, for the router's party, the call ringing extension ext
// ("" any extension in the party's pickup groups).
func (r router) pickup(ext string) (*leg, channel.Cause) {
	by := r.in.extension()
	if by == "" {
		// Only the office's own phones pick calls up.
		return nil, channel.CauseForbidden
	}
	for _, rg := range r.x.ringingCalls() {
		if rg.c == r.c || !slices.ContainsFunc(rg.exts, func(e string) bool {
			if ext != "" {
				return e == ext
			}
			return e != by && r.p.cfg.PickupAllowed(by, e)
		}) {
			continue
		}
		t := &ctlTake{kind: takePickup, leg: r.in, by: by, reply: make(chan bool, 1)}
		if ok, _ := ask(rg.c, t, &t.claim, t.reply); ok {
			r.log.Info("picked up a ringing call", "call", rg.c.id, "by", by)
			r.c.set(func(c *call) { c.merged = true })
			return nil, causeGone
		}
	}
	r.log.Info("nothing to pick up", "extension", ext, "by", by)
	return nil, channel.CauseNotFound
}

// ringingCalls lists the calls that ring phones, oldest first.
func (x *Exchange) ringingCalls() []*ringing {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := slices.Clone(x.ringing)
	slices.SortStableFunc(out, func(a, b *ringing) int { return a.c.started.Compare(b.c.started) })
	return out
}

// replaceDialog handles an INVITE with Replaces (channel.Info.Replaces):
// a ringing leg is picked up (the new leg's user may pick up the
// extension it rings), a confirmed one is taken over by its own user.
func (r router) replaceDialog(id string) (*leg, channel.Cause) {
	old := r.x.legByID(id)
	by := r.in.extension()
	if old == nil || old.isEnded() || by == "" {
		return nil, channel.CauseNotFound
	}
	owner := old.currentOwner()
	if owner == nil || owner == r.c {
		return nil, channel.CauseNotFound
	}
	if !old.isAnswered() {
		ext := old.extension()
		if ext == "" || (ext != by && !r.p.cfg.PickupAllowed(by, ext)) {
			r.log.Info("replacing a ringing dialog refused", "ringing", ext, "by", by)
			return nil, channel.CauseForbidden
		}
		return r.pickup(ext)
	}
	if old.extension() != by {
		r.log.Info("replacing a dialog of another user refused", "dialog_of", old.extension(), "by", by)
		return nil, channel.CauseForbidden
	}
	rp := &ctlReplace{old: old, new: r.in, reply: make(chan bool, 1)}
	if ok, _ := ask(owner, rp, &rp.claim, rp.reply); !ok {
		return nil, channel.CauseNotFound
	}
	r.c.set(func(c *call) { c.merged = true })
	return nil, causeGone
}

// legByID finds a live leg by its channel ID.
func (x *Exchange) legByID(id string) *leg {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.legs[id]
}
