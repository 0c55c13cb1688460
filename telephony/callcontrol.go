package telephony

import (
	"context"
	"fmt"

	"minipbx/telephony/store"
)

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
		return &store.ValidationError{Fields: []store.FieldError{{Field: "destination", Message: "is required: the number to transfer to"}}}
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
