package telephony

import (
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// announcementApp answers the caller (as a voice menu does) — or, for an
// early-media announcement and a caller's leg that can, opens early media
// instead — plays the announcement's prompts once, then sends the caller
// to its next destination; with none the call ends there (unanswered
// after early media: unavailable). A caller who hangs up during the
// prompts ends the call.
type announcementApp struct {
	r router
	a *announcement
}

// reachAnnouncement plays announcement a to the router's party.
func (r router) reachAnnouncement(a *announcement) (*leg, channel.Cause) {
	return announcementApp{r: r, a: a}.run()
}

func (app announcementApp) run() (*leg, channel.Cause) {
	r, a := app.r, app.a
	if !(a.EarlyMedia && r.openEarlyMedia("announcement "+a.Name)) {
		if !r.answerIn() {
			r.log.Warn("announcement: answer failed", "announcement", a.Name)
			return nil, channel.CauseFailure
		}
	}
	r.c.setState("announcement")
	k := r.keypad(r.in)
	fax := r.watchFax(k)
	defer fax.stop()
	if cause := r.playPrompts(k, a.Prompts, "announcement "+a.Name); cause != 0 {
		if l, cause, ok := fax.divert(); ok {
			return l, cause
		}
		return nil, cause
	}
	if a.then.Kind == "" {
		if !r.in.boxAnswered() {
			// Heard as early media: nobody answered the call.
			return nil, channel.CauseUnavailable
		}
		return nil, channel.CauseNormal
	}
	return r.next().reach(a.then)
}

// playPrompts plays prompts to the party through k in order, once. It
// returns 0 once they have played, CauseCancelled when the party hung
// up, CauseNormal when the call is stopped or k was (a fax heard:
// faxWatch). Keys are ignored (an announcement is not a menu). A prompt
// that cannot be opened is skipped with a warning, as in menus.
func (r router) playPrompts(k *keypad, prompts []store.Prompt, what string) channel.Cause {
	for _, pr := range prompts {
		src, err := r.x.promptSource(pr, k.lang)
		if err != nil {
			r.log.Warn("prompt skipped", "in", what, "err", err)
			continue
		}
		if !k.playThrough(src) {
			if r.ctx.Err() != nil || k.aborted {
				return channel.CauseNormal
			}
			r.c.dispose("abandoned")
			return channel.CauseCancelled
		}
	}
	return 0
}
