package telephony

import (
	"slices"

	"minipbx/telephony/store"
)

// Busy lamps. Every change of a leg (rung, answered, ended, moved) may
// change what an extension's lamp shows; the exchange works the state out
// from its legs and tells Options.Presence when it differs from the last
// one told (the SIP layer's dialog-event subscriptions, RFC 4235). Park
// slots are busy while a call waits on them.

// Presence states.
const (
	stateIdle    = "idle"
	stateRinging = "ringing"
	stateBusy    = "busy"
)

// presenceOf works extension ext's state out from the legs (x.mu held):
// busy while one of its phones is in a call, ringing while one rings,
// else idle. Among several legs of one state the lowest ID is named, so
// that the answer is stable (the legs are a map).
func (x *Exchange) presenceOfLocked(ext string) Presence {
	p := Presence{Extension: ext, State: stateIdle}
	for _, l := range x.legs {
		l.mu.Lock()
		mine := l.ext == ext && l.ended.IsZero()
		answered := !l.answered.IsZero() || l.info.Direction == "in"
		id, dir := l.info.ID, l.info.Direction
		var caller string
		if l.owner != nil && l.owner.first != nil && l.owner.first != l {
			caller = l.owner.first.party
		}
		l.mu.Unlock()
		if !mine {
			continue
		}
		state, direction := stateRinging, "recipient"
		if answered {
			state = stateBusy
			if dir == "in" {
				direction = "initiator"
			}
		}
		better := p.State == stateIdle || (state == stateBusy && p.State == stateRinging) ||
			(state == p.State && id < p.Dialog)
		if better {
			p.State, p.Dialog, p.Caller, p.Direction = state, id, caller, direction
		}
	}
	return p
}

// presenceChanged tells the lamps of l's extension.
func (x *Exchange) presenceChanged(l *leg) {
	if ext := l.extension(); ext != "" {
		x.presenceExt(ext)
	}
}

// presenceExt tells extension ext's lamp when what it shows changed: its
// state, or the dialog a BLF key would pick up.
func (x *Exchange) presenceExt(ext string) {
	if x.presence == nil {
		return
	}
	x.mu.Lock()
	p := x.presenceOfLocked(ext)
	changed := x.lamps == nil || x.lamps[ext] != p
	if changed {
		if x.lamps == nil {
			x.lamps = map[string]Presence{}
		}
		x.lamps[ext] = p
	}
	x.mu.Unlock()
	if changed {
		x.presence(p)
	}
}

// presenceSlot tells park slot s's lamp.
func (x *Exchange) presenceSlot(s string) {
	if x.presence == nil {
		return
	}
	x.mu.Lock()
	p := Presence{Slot: s, State: stateIdle}
	if pc := x.parked[s]; pc != nil {
		p.State, p.Dialog, p.Caller, p.Direction = stateBusy, pc.l.info.ID, pc.l.partyName(), "recipient"
	}
	key := "slot:" + s
	changed := x.lamps == nil || x.lamps[key] != p
	if changed {
		if x.lamps == nil {
			x.lamps = map[string]Presence{}
		}
		x.lamps[key] = p
	}
	x.mu.Unlock()
	if changed {
		x.presence(p)
	}
}

// presenceAll tells every extension's and slot's lamp (after a change of
// configuration, the lamps may name other extensions).
func (x *Exchange) presenceAll() {
	if x.presence == nil {
		return
	}
	p := x.plan(x.config())
	for ext := range p.exts {
		x.presenceExt(ext)
	}
	for _, s := range p.slots {
		x.presenceSlot(s)
	}
}

// Presence is extension ext's or park slot slot's state now (what a new
// dialog-event subscription is told first).
func (x *Exchange) Presence(ext, slot string) Presence {
	x.mu.Lock()
	defer x.mu.Unlock()
	if slot != "" {
		p := Presence{Slot: slot, State: stateIdle}
		if pc := x.parked[slot]; pc != nil {
			p.State, p.Dialog, p.Caller, p.Direction = stateBusy, pc.l.info.ID, pc.l.partyName(), "recipient"
		}
		return p
	}
	return x.presenceOfLocked(ext)
}

// IsParkSlot reports whether n is a park slot of the configuration.
func (x *Exchange) IsParkSlot(n string) bool {
	return slices.Contains(x.plan(x.config()).slots, n)
}

// extensionStates are the extensions' states for the status page.
func (x *Exchange) extensionStates(cfg *store.Config) []ExtensionState {
	p := x.plan(cfg)
	out := make([]ExtensionState, 0, len(cfg.Extensions))
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, e := range cfg.Extensions {
		st := ExtensionState{Number: e.Number, Name: e.Name, State: x.presenceOfLocked(e.Number).State}
		if ru, ok := p.rules[e.Number]; ok {
			st.DND = ru.DND
			st.Forwarded = ru.ForwardAlways
		}
		out = append(out, st)
	}
	return out
}
