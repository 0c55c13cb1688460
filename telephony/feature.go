package telephony

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"slices"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// dialPlanStore is the store's transactional dial-plan change
// (store.DB.UpdateDialPlan), which feature codes need.
type dialPlanStore interface {
	UpdateDialPlan(fn func(c *store.Config) error) (store.Config, error)
}

// feature runs a feature code dialled from extension ext: it switches the
// extension's own forwarding, then answers and confirms by voice ("All
// your calls now go to 2 0 2. Goodbye.") and hangs up. A refused code (an
// unknown caller, a number the extension may not reach, forwarding to
// itself) changes nothing and ends with the matching cause, which the
// phone shows or sounds; a caller already answered hears "That code could
// not be carried out" first.
func (x *Exchange) feature(ctx context.Context, c *call, p *plan, ext *store.Extension, digits string, log *slog.Logger) {
	if f, _, ok := dialplan.SplitFeature(digits); ok && !f.Kind.Forwarding() {
		x.mailboxFeature(ctx, c, p, ext, f, log) // *97, *98: voicemail.go
		return
	}
	f, arg, ok := dialplan.SplitFeature(digits)
	if !ok || ext == nil {
		x.refuseFeature(ctx, c, channel.CauseForbidden)
		return
	}
	ds, ok := x.store.(dialPlanStore)
	if !ok {
		log.Error("feature code: the store cannot change the dial plan")
		x.refuseFeature(ctx, c, channel.CauseFailure)
		return
	}
	dest := ""
	if f.Activate {
		var cause channel.Cause
		if dest, cause = x.forwardTarget(p, ext, arg); dest == "" {
			log.Info("feature code refused", "code", f.Code, "number", arg, "cause", cause)
			x.refuseFeature(ctx, c, cause)
			return
		}
	}
	_, err := ds.UpdateDialPlan(func(cfg *store.Config) error {
		i := slices.IndexFunc(cfg.ExtensionRules, func(r store.ExtensionRule) bool { return r.Extension == ext.Number })
		if i < 0 {
			cfg.ExtensionRules = append(cfg.ExtensionRules, store.ExtensionRule{Extension: ext.Number})
			i = len(cfg.ExtensionRules) - 1
		}
		r := &cfg.ExtensionRules[i]
		switch f.Kind {
		case dialplan.ForwardAlways:
			r.ForwardAlways = dest
		case dialplan.ForwardBusy:
			r.ForwardBusy = dest
		case dialplan.ForwardNoAnswer:
			r.ForwardNoAnswer = dest
		}
		if reflect.DeepEqual(*r, store.ExtensionRule{Extension: ext.Number}) {
			cfg.ExtensionRules = slices.Delete(cfg.ExtensionRules, i, i+1)
		}
		return nil
	})
	if err != nil {
		log.Warn("feature code not applied", "code", f.Code, "extension", ext.Number, "err", err)
		cause := channel.CauseFailure
		if _, invalid := store.AsValidationError(err); invalid {
			cause = channel.CauseRejected
		}
		x.refuseFeature(ctx, c, cause)
		return
	}
	if err := x.changed(); err != nil {
		log.Error("reload after a feature code", "err", err)
	}
	log.Info("forwarding switched by feature code", "extension", ext.Number, "kind", f.Kind, "to", dest)
	// Confirm: answer, say what changed, clear.
	if !c.inAnswered {
		if err := c.in.Answer(ctx); err != nil {
			c.hangupIn(channel.CauseFailure)
			return
		}
		c.inAnswered = true
	}
	c.set(func(c *call) { c.state, c.answered, c.disposition = "answered", x.now(), "answered" })
	words := []string{prompts.FwdOff}
	if f.Activate {
		words = append([]string{forwardPrompt(f.Kind)}, prompts.Digits(arg)...)
	}
	x.sayTo(ctx, c, append(words, prompts.Goodbye)...)
	_ = c.in.Hangup(channel.CauseNormal)
}

// forwardPrompt is what the box says when a kind of forwarding is
// switched on, before the number.
func forwardPrompt(k dialplan.FeatureKind) string {
	switch k {
	case dialplan.ForwardBusy:
		return prompts.FwdBusyOn
	case dialplan.ForwardNoAnswer:
		return prompts.FwdNoAnswerOn
	}
	return prompts.FwdAlwaysOn
}

// refuseFeature ends a feature-code call that changed nothing with cause.
// A caller whose line is already answered (as refuse judges it) learns it
// only by voice: they hear "That code could not be carried out" first.
func (x *Exchange) refuseFeature(ctx context.Context, c *call, cause channel.Cause) {
	if c.inInfo.Kind == channel.FXO || c.inAnswered {
		x.sayTo(ctx, c, prompts.FeatureRefused)
	}
	c.hangupIn(cause)
}

// forwardTarget turns the number a user forwards to into a destination:
// an extension, or any other number the extension itself may dial.
func (x *Exchange) forwardTarget(p *plan, ext *store.Extension, number string) (string, channel.Cause) {
	if !dialplan.IsDialString(number) {
		return "", channel.CauseNotFound
	}
	if number == ext.Number {
		return "", channel.CauseRejected
	}
	if _, ok := findExtension(p.cfg, number); ok {
		return "ext:" + number, 0
	}
	st, e := p.numbers.Lookup(number)
	if st != dialplan.Complete && st != dialplan.OpenEnded || e.Kind == dialplan.KindFeature {
		return "", channel.CauseNotFound
	}
	if e.Kind == dialplan.KindRoute || e.Kind == dialplan.KindEmergency {
		if _, err := p.router.Select(number, p.classOf(ext), p.isEmergency); err != nil {
			if errors.Is(err, dialplan.ErrForbidden) {
				return "", channel.CauseForbidden
			}
			return "", channel.CauseNotFound
		}
	}
	return "number:" + number, 0
}
