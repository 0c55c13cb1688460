package telephony

import (
	"context"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// reachAnnouncement answers the caller (as a voice menu does) — or, for an
// early-media announcement and a caller's leg that can, opens early media
// instead — plays the announcement's prompts once, then sends the caller
// to its next destination; with none the call ends there (unanswered
// after early media: unavailable). A caller who hangs up during the
// prompts ends the call.
func (x *Exchange) reachAnnouncement(ctx context.Context, c *call, p *plan, a store.Announcement, class dialplan.Class, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	if !c.inAnswered && !(a.EarlyMedia && x.openEarlyMedia(c, "announcement "+a.Name)) {
		if err := c.in.Answer(ctx); err != nil {
			x.log.Warn("announcement: answer failed", "call", c.id, "announcement", a.Name, "err", err)
			return nil, channel.CauseFailure
		}
		c.inAnswered = true
	}
	c.set(func(c *call) { c.state = "announcement" })
	x.publish("call")
	if cause := x.playPrompts(ctx, c, a.Prompts, "announcement "+a.Name); cause != 0 {
		return nil, cause
	}
	if a.Then == "" {
		if !c.inAnswered {
			// Heard as early media: nobody answered the call.
			return nil, channel.CauseUnavailable
		}
		return nil, channel.CauseNormal
	}
	d, err := dialplan.ParseDestination(a.Then)
	if err != nil {
		x.log.Warn("announcement: bad next destination", "call", c.id, "announcement", a.Name, "then", a.Then, "err", err)
		return nil, channel.CauseNotFound
	}
	return x.reach(ctx, c, p, d, class, caller, hops+1)
}

// openEarlyMedia makes the caller of c hear what the exchange sends before
// anyone answers: true at once when a menu answered them or early media is
// open already, else it opens early media (for what: an announcement, the
// called party's own early media); false when the caller's leg cannot have
// it (an analog phone, which hears the box's ringback, or a SIP INVITE
// without SDP).
func (x *Exchange) openEarlyMedia(c *call, what string) bool {
	if c.inAnswered || c.inEarly {
		return true
	}
	em, ok := c.in.(channel.EarlyMedia)
	if !ok {
		return false
	}
	if err := em.EarlyMedia(); err != nil {
		x.log.Info("no early media to the caller", "call", c.id, "for", what, "err", err)
		return false
	}
	c.inEarly = true
	return true
}

// playPrompts plays prompts to the caller in order, once, while watching
// the caller's leg. It returns 0 once they have played, CauseCancelled when
// the caller hung up, CauseNormal when the call is stopped. Digits are
// ignored (an announcement is not a menu). A prompt that cannot be opened
// is skipped with a warning, as in menus.
func (x *Exchange) playPrompts(ctx context.Context, c *call, prompts []store.Prompt, what string) channel.Cause {
	playCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, pr := range prompts {
			src, err := x.promptSource(pr)
			if err != nil {
				x.log.Warn("prompt skipped", "call", c.id, "in", what, "err", err)
				continue
			}
			play(playCtx, c.in.Media(), src)
			if playCtx.Err() != nil {
				return
			}
		}
	}()
	defer func() { stop(); <-done }()
	for {
		select {
		case <-ctx.Done():
			return channel.CauseNormal
		case <-done:
			return 0
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				c.set(func(c *call) { c.disposition = "abandoned" })
				return channel.CauseCancelled
			}
		}
	}
}
