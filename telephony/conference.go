package telephony

import (
	"crypto/subtle"
	"slices"
	"time"

	"minipbx/telephony/bridge"
	"minipbx/telephony/channel"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// Meet-me conference rooms (conference_rooms[]): callers who reach a room
// talk together in its bridge, mixed; a PIN may be asked first; join and
// leave tones tell who comes and goes; a key mutes one's own voice; the
// status page lists the members live and the operator can mute or remove
// them.

// Conference tones: rising on join, falling on leave.
const (
	confJoinTone  = "523/120,659/120,784/160"
	confLeaveTone = "784/120,659/120,523/160"
	confPINTries  = 3
)

// room is a conference room with callers in it.
type room struct {
	name    string
	number  string
	br      *bridge.Bridge
	members []*roomMember
}

// roomMember is one caller in a room.
type roomMember struct {
	l      *leg
	c      *call
	name   string
	muted  bool
	joined time.Time
}

// conferenceApp puts the router's party in a conference room. A member
// whose phone transfers a call (REFER) adds that party to the room: a
// number is dialled and joins when it answers (blind), another call of the
// phone hands its party over (attended, with Replaces) — how a SIP phone
// makes a three-way call through the box, with the ad-hoc conference code
// (features.conference_code) as its conference URI.
type conferenceApp struct {
	r    router
	room *store.ConferenceRoom
	// invited: the party was added by a member; no PIN is asked.
	invited bool
}

// conference reaches conference room cfg.
func (r router) conference(cfg *store.ConferenceRoom) (*leg, channel.Cause) {
	return conferenceApp{r: r, room: cfg}.run()
}

func (a conferenceApp) run() (*leg, channel.Cause) {
	r, cfg := a.r, a.room
	if !r.answerIn() {
		return nil, channel.CauseFailure
	}
	r.c.set(func(c *call) {
		if c.answered.IsZero() {
			c.answered = r.x.now()
		}
		c.disposition = "answered"
	})
	r.c.setState("conference")
	k := r.keypad(r.in)
	if cfg.PIN != "" && !a.invited {
		ok := false
		for try := 0; try < confPINTries && !ok; try++ {
			pin, alive := k.digits(prompts.ConfPIN)
			if !alive {
				return nil, channel.CauseCancelled
			}
			ok = subtle.ConstantTimeCompare([]byte(pin), []byte(cfg.PIN)) == 1
			if !ok && !k.say(prompts.VMIncorrect) {
				return nil, channel.CauseCancelled
			}
		}
		if !ok {
			r.log.Info("conference: wrong PIN", "room", cfg.Name)
			k.sayThrough(prompts.Goodbye)
			return nil, channel.CauseNormal
		}
	}
	rm, alone, ok := r.x.roomJoin(cfg, r.in, r.c, r.callerOf(r.in).Name)
	if !ok {
		r.log.Info("conference full", "room", cfg.Name)
		k.sayThrough(prompts.ConfFull)
		return nil, channel.CauseBusy
	}
	r.c.step("conference", r.in, cfg.Name, "")
	r.log.Info("joined a conference", "room", cfg.Name)
	defer func() {
		r.x.roomLeave(rm, r.in)
		if !cfg.Quiet {
			if src, err := toneSource(confLeaveTone, 400*time.Millisecond); err == nil {
				_, _ = rm.br.Announce(bridge.Source(src))
			}
		}
		r.c.step("left", r.in, cfg.Name, "")
	}()
	if !cfg.Quiet {
		if src, err := toneSource(confJoinTone, 400*time.Millisecond); err == nil {
			_, _ = rm.br.Announce(bridge.Source(src))
		}
	}
	if alone {
		var later []msg // requests for the loop below
		k.other = func(m msg) bool {
			if m.ctl != nil {
				later = append(later, m)
			}
			return true
		}
		k.sayThrough(prompts.ConfAlone)
		k.other = nil
		k.flush()
		for _, m := range later {
			r.c.box.post(m)
		}
	}
	muteKey := byte('*')
	if cfg.MuteKey != "" {
		muteKey = cfg.MuteKey[0]
	}
	for {
		m, why := r.c.recv(r.ctx, nil, nil)
		if why != gotMsg {
			return nil, channel.CauseNormal
		}
		if op, ok := m.ctl.(*ctlOp); ok && op.leg == r.in.info.ID && op.claim.claim() {
			switch op.op {
			case "kick":
				op.reply <- nil
				r.log.Info("removed from the conference", "room", cfg.Name)
				return nil, channel.CauseNormal
			case "mute", "unmute":
				op.reply <- nil
				a.setMuted(rm, k, op.op == "mute")
			default:
				op.reply <- errBusyCall
			}
			continue
		}
		if m.ctl != nil {
			refuseCtl(m.ctl)
			continue
		}
		if m.leg != r.in {
			continue
		}
		switch {
		case m.ev.Type == channel.EventHangup:
			return nil, channel.CauseCancelled
		case m.ev.Type == channel.EventDigit && m.ev.Digit == muteKey:
			a.setMuted(rm, k, !r.x.roomMuted(rm, r.in))
		case m.ev.Type == channel.EventTransfer && m.ev.Transfer != nil:
			a.invite(m.ev.Transfer)
		}
	}
}

// invite adds the party of a member's transfer request to the room.
func (a conferenceApp) invite(tr *channel.Transfer) {
	r, c, in := a.r, a.r.c, a.r.in
	var p *leg
	if tr.Replaces != "" {
		rl := r.x.legByID(tr.Replaces)
		owner := (*call)(nil)
		if rl != nil {
			owner = rl.currentOwner()
		}
		if owner == nil || owner == c || rl.isEnded() {
			notify(in, 481)
			return
		}
		h := &ctlHandoff{mine: rl, to: c, toParty: "conference " + a.room.Name, reply: make(chan *leg, 1)}
		got, ok := ask(owner, h, &h.claim, h.reply)
		if !ok || got == nil {
			notify(in, 503)
			return
		}
		p = got
	} else {
		by := in.extension()
		if code, ok := r.transferCheck(tr.Target, by); !ok {
			notify(in, code)
			return
		}
		notify(in, 100)
		sub := r.forParty(in, by)
		sub.inQueue = true // the member keeps hearing the room, not ringback
		out, cause := sub.reachNumber(tr.Target)
		if out == nil {
			notify(in, cause.SIPStatus())
			return
		}
		p = out
	}
	notify(in, 200)
	c.step("conference", p, a.room.Name, in.partyName())
	r.log.Info("added to the conference", "room", a.room.Name, "party", p.partyName(), "by", in.partyName())
	room := a.room
	r.x.spawn(p, r.callerOf(p), room.Name, func(r2 router) {
		out, cause := conferenceApp{r: r2, room: room, invited: true}.run()
		r2.finish(out, cause)
	})
}

// adhocConference makes a new conference room for the router's party (the
// ad-hoc conference code), who then adds parties by transferring them.
func (r router) adhocConference() (*leg, channel.Cause) {
	room := &store.ConferenceRoom{Name: "adhoc-" + r.c.id, MaxParties: store.MaxConferenceParties}
	return conferenceApp{r: r, room: room}.run()
}

// setMuted mutes or unmutes the party in room rm and tells them.
func (a conferenceApp) setMuted(rm *room, k *keypad, on bool) {
	r := a.r
	r.x.roomMute(rm, r.in, on)
	word := prompts.ConfUnmuted
	if on {
		word = prompts.ConfMuted
	}
	// Spoken without leaving the room: the prompt plays over what the
	// party hears, and the keypad watches the party meanwhile.
	k.other = func(m msg) bool {
		if m.ctl != nil {
			refuseCtl(m.ctl)
		}
		return true
	}
	k.sayThrough(word)
	k.other = nil
	k.flush()
}

// roomJoin puts leg l of call c in room cfg (made when it had nobody);
// false when the room is full. alone reports that l is its only member.
func (x *Exchange) roomJoin(cfg *store.ConferenceRoom, l *leg, c *call, name string) (*room, bool, bool) {
	max := cfg.MaxParties
	if max <= 0 {
		max = store.MaxConferenceParties
	}
	x.mu.Lock()
	rm := x.rooms[cfg.Name]
	if rm == nil {
		rm = &room{name: cfg.Name, number: cfg.Number, br: bridge.New(bridge.Options{Name: "conf-" + cfg.Name, Logger: x.log})}
		x.rooms[cfg.Name] = rm
	}
	if len(rm.members) >= max {
		x.mu.Unlock()
		return nil, false, false
	}
	rm.members = append(rm.members, &roomMember{l: l, c: c, name: name, joined: x.now()})
	alone := len(rm.members) == 1
	br := rm.br
	x.mu.Unlock()
	l.join(br)
	if l.bridge() != br {
		// The room's bridge closed as its last member left: a new one.
		x.mu.Lock()
		rm.br = bridge.New(bridge.Options{Name: "conf-" + cfg.Name, Logger: x.log})
		br = rm.br
		x.mu.Unlock()
		l.join(br)
	}
	x.publish("conference")
	return rm, alone, true
}

// roomLeave takes l out of room rm (the room goes when empty).
func (x *Exchange) roomLeave(rm *room, l *leg) {
	l.leaveBridge()
	x.mu.Lock()
	rm.members = slices.DeleteFunc(rm.members, func(m *roomMember) bool { return m.l == l })
	if len(rm.members) == 0 && x.rooms[rm.name] == rm {
		delete(x.rooms, rm.name)
	}
	x.mu.Unlock()
	x.publish("conference")
}

func (x *Exchange) roomMute(rm *room, l *leg, on bool) {
	x.mu.Lock()
	br := rm.br
	for _, m := range rm.members {
		if m.l == l {
			m.muted = on
		}
	}
	x.mu.Unlock()
	_ = br.Mute(l.info.ID, on)
	x.publish("conference")
}

func (x *Exchange) roomMuted(rm *room, l *leg) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, m := range rm.members {
		if m.l == l {
			return m.muted
		}
	}
	return false
}

// Conferences lists the rooms with callers in them.
func (x *Exchange) Conferences() []ConferenceStatus {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := []ConferenceStatus{}
	for _, rm := range x.rooms {
		cs := ConferenceStatus{Name: rm.name, Number: rm.number}
		for _, m := range rm.members {
			cs.Members = append(cs.Members, ConferenceMember{ID: m.l.info.ID, Party: m.l.partyName(), Name: m.name, Muted: m.muted, Joined: m.joined})
		}
		out = append(out, cs)
	}
	slices.SortFunc(out, func(a, b ConferenceStatus) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}
