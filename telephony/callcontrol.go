package telephony

import (
	"context"
	"fmt"
	"strings"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// operatorDest reaches what an operator's transfer names: a number, or a
// destination in the dial plan's notation ("group:sales", "menu:main")
// for objects without a number. The operator acts for the office: any
// route is open to them.
func (r router) operatorDest(dest string) (*leg, channel.Cause) {
	if strings.Contains(dest, ":") {
		d, err := dialplan.ParseDestination(dest)
		if err != nil {
			return nil, channel.CauseNotFound
		}
		return r.reach(d)
	}
	return r.reachNumber(dest)
}

// checkOperatorDest tells whether dest names something an operator can
// transfer to, in words when not.
func (r router) checkOperatorDest(dest string) error {
	if strings.Contains(dest, ":") {
		d, err := dialplan.ParseDestination(dest)
		if err != nil {
			return refused("%v", err)
		}
		exists := true
		switch d.Kind {
		case dialplan.DestExtension:
			_, exists = r.p.exts[d.Value]
		case dialplan.DestGroup:
			_, exists = r.p.ringGroups[d.Value]
		case dialplan.DestQueue:
			_, exists = r.p.queues[d.Value]
		case dialplan.DestMenu:
			_, exists = r.p.menus[d.Value]
		case dialplan.DestAnnounce:
			_, exists = r.p.announcements[d.Value]
		case dialplan.DestConf:
			_, exists = r.p.rooms[d.Value]
		case dialplan.DestPage:
			_, exists = r.p.pages[d.Value]
		case dialplan.DestTime:
			_, exists = r.p.timeConds[d.Value]
		case dialplan.DestCond:
			_, exists = r.p.conds[d.Value]
		case dialplan.DestVoicemail:
			_, exists = r.p.cfg.Voicemail.Box(d.Value)
		}
		if !exists {
			return refused("%s does not exist", dest)
		}
		return nil
	}
	if !dialplan.IsDialString(dest) {
		return refused("%s is no number the box can reach", dest)
	}
	st, e := r.p.numbers.Lookup(dest)
	if st != dialplan.Complete && st != dialplan.OpenEnded || e.Kind == dialplan.KindFeature {
		return refused("%s is no number the box can reach", dest)
	}
	return nil
}

// The operator's view (CallControl): the web UI's buttons on live calls
// and conference rooms become control messages to the calls' scripts,
// which act on them between two events, as they would on a phone's.

var _ CallControl = (*Exchange)(nil)

// CallAction implements CallControl.
func (x *Exchange) CallAction(ctx context.Context, id, action, leg, dest string) error {
	switch action {
	case "hold", "resume", "transfer", "park", "hangup":
	default:
		return &store.ValidationError{Fields: []store.FieldError{{Field: "action", Message: "must be hold, resume, transfer, park or hangup"}}}
	}
	x.mu.Lock()
	c := x.calls[id]
	x.mu.Unlock()
	if c == nil {
		return fmt.Errorf("call %.20q: %w", id, store.ErrNotFound)
	}
	if action == "transfer" && dest == "" {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "destination", Message: "is required: the number or destination to transfer to"}}}
	}
	if action == "hangup" {
		// In any state — ringing, in a menu, queued, parked: every leg
		// the call owns hangs up, and its script ends as it would.
		c.step("cleared", nil, "", "operator")
		for _, l := range c.owned() {
			l.leaveBridge()
			l.hangup(channel.CauseNormal)
		}
		return nil
	}
	op := &ctlOp{op: action, leg: leg, dest: dest, reply: make(chan error, 1)}
	err, ok := ask(c, op, &op.claim, op.reply)
	if !ok {
		return fmt.Errorf("call %s did not take the request (it is ending or busy)", id)
	}
	return err
}

// ConferenceAction implements CallControl.
func (x *Exchange) ConferenceAction(ctx context.Context, roomName, member, action string) error {
	switch action {
	case "kick", "mute", "unmute":
	default:
		return &store.ValidationError{Fields: []store.FieldError{{Field: "action", Message: "must be kick, mute or unmute"}}}
	}
	x.mu.Lock()
	var c *call
	if rm := x.rooms[roomName]; rm != nil {
		for _, m := range rm.members {
			if m.l.info.ID == member {
				c = m.c
			}
		}
	}
	x.mu.Unlock()
	if c == nil {
		return fmt.Errorf("conference member %.40q: %w", member, store.ErrNotFound)
	}
	op := &ctlOp{op: action, leg: member, reply: make(chan error, 1)}
	err, ok := ask(c, op, &op.claim, op.reply)
	if !ok {
		return fmt.Errorf("the member did not take the request")
	}
	return err
}
