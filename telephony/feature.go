package telephony

import (
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

// onPhone is ds acting as a user on the phone of extension ext, for the
// audit log: the box itself (no account), via "phone".
func onPhone(ds dialPlanStore, ext string) dialPlanStore {
	if as, ok := ds.(actorStore); ok {
		return as.As(store.Actor{Via: "phone", Remote: "extension " + ext})
	}
	return ds
}

// featureApp runs a feature code dialled from an extension's phone: it
// switches the extension's own forwarding, do-not-disturb or call waiting,
// then answers and confirms by voice ("All your calls now go to 2 0 2.
// Goodbye.") and hangs up; the mailbox codes open voicemail; the pickup
// and intercom codes act at once. A refused code (an unknown caller, a
// number the extension may not reach, forwarding to itself) changes
// nothing and ends with the matching cause, which the phone shows or
// sounds; a caller already answered hears "That code could not be carried
// out" first.
type featureApp struct {
	r   router
	ext *store.Extension
}

// feature runs the feature code digits for the router's party.
func (r router) feature(ext *store.Extension, digits string) {
	featureApp{r: r, ext: ext}.run(digits)
}

func (a featureApp) run(digits string) {
	r, ext := a.r, a.ext
	f := r.p.cfg.Features
	if sp, ok := r.p.specials[digits]; ok && sp.kind == specialGroupPickup {
		a.connectOrRefuse(r.pickup(""))
		return
	}
	if code := f.DirectedPickupCode; code != "" && len(digits) > len(code) && digits[:len(code)] == code {
		if _, isExt := r.p.exts[digits[len(code):]]; isExt {
			a.connectOrRefuse(r.pickup(digits[len(code):]))
			return
		}
	}
	if code := f.IntercomCode; code != "" && len(digits) > len(code) && digits[:len(code)] == code {
		a.connectOrRefuse(r.intercom(digits[len(code):]))
		return
	}
	fc, arg, ok := dialplan.SplitFeature(digits)
	if !ok || ext == nil {
		a.refuse(channel.CauseForbidden)
		return
	}
	if fc.Kind == dialplan.Withhold {
		a.withhold(arg)
		return
	}
	if fc.Kind == dialplan.MailboxOwn || fc.Kind == dialplan.MailboxAny {
		r.mailboxFeature(ext, fc) // *97, *98: voicemail.go
		return
	}
	ds, ok := r.x.store.(dialPlanStore)
	if !ok {
		r.log.Error("feature code: the store cannot change the dial plan")
		a.refuse(channel.CauseFailure)
		return
	}
	dest := ""
	if fc.TakesNumber() {
		var cause channel.Cause
		if dest, cause = r.p.forwardTarget(ext, arg); dest == "" {
			r.log.Info("feature code refused", "code", fc.Code, "number", arg, "cause", cause)
			a.refuse(cause)
			return
		}
	}
	_, err := onPhone(ds, ext.Number).UpdateDialPlan(func(cfg *store.Config) error {
		i := slices.IndexFunc(cfg.ExtensionRules, func(r store.ExtensionRule) bool { return r.Extension == ext.Number })
		if i < 0 {
			cfg.ExtensionRules = append(cfg.ExtensionRules, store.ExtensionRule{Extension: ext.Number})
			i = len(cfg.ExtensionRules) - 1
		}
		ru := &cfg.ExtensionRules[i]
		switch fc.Kind {
		case dialplan.ForwardAlways:
			ru.ForwardAlways = dest
		case dialplan.ForwardBusy:
			ru.ForwardBusy = dest
		case dialplan.ForwardNoAnswer:
			ru.ForwardNoAnswer = dest
		case dialplan.DoNotDisturb:
			ru.DND = fc.Activate
		case dialplan.CallWaiting:
			ru.NoCallWaiting = !fc.Activate
		}
		if reflect.DeepEqual(*ru, store.ExtensionRule{Extension: ext.Number}) {
			cfg.ExtensionRules = slices.Delete(cfg.ExtensionRules, i, i+1)
		}
		return nil
	})
	if err != nil {
		r.log.Warn("feature code not applied", "code", fc.Code, "extension", ext.Number, "err", err)
		cause := channel.CauseFailure
		if _, invalid := store.AsValidationError(err); invalid {
			cause = channel.CauseRejected
		}
		a.refuse(cause)
		return
	}
	if err := r.x.reloadAndApply(); err != nil {
		r.log.Error("reload after a feature code", "err", err)
	}
	r.log.Info("feature code carried out", "extension", ext.Number, "kind", fc.Kind, "on", fc.Activate, "to", dest)
	// Confirm: answer, say what changed, clear.
	if !r.answerIn() {
		r.hangupIn(channel.CauseFailure)
		return
	}
	r.c.set(func(c *call) {
		c.state, c.answered, c.disposition = "answered", r.x.now(), "answered"
	})
	k := a.keypad()
	var words []string
	switch {
	case fc.Kind == dialplan.DoNotDisturb && fc.Activate:
		words = []string{prompts.DNDOn}
	case fc.Kind == dialplan.DoNotDisturb:
		words = []string{prompts.DNDOff}
	case fc.Kind == dialplan.CallWaiting && fc.Activate:
		words = []string{prompts.CWOn}
	case fc.Kind == dialplan.CallWaiting:
		words = []string{prompts.CWOff}
	case fc.Activate:
		words = k.lang.ForwardedTo(forwardKind(fc.Kind), arg)
	default:
		words = []string{prompts.FwdOff}
	}
	k.sayThrough(append(words, prompts.Goodbye)...)
	r.hangupIn(channel.CauseNormal)
}

// withhold calls number with the caller's ID withheld (*67 and the
// number): outside, the carrier is asked to hide it (SIP Privacy: id, an
// analog line group's withhold prefix); inside, phones show "private".
func (a featureApp) withhold(number string) {
	r := a.r
	if number == "" {
		a.refuse(channel.CauseNotFound)
		return
	}
	r.caller.Withheld = "P"
	r.c.set(func(c *call) { c.callee = number })
	r.log.Info("caller ID withheld on this call", "number", number)
	r.finish(r.reachNumber(number))
}

// connectOrRefuse finishes a code that reaches someone (a pickup, an
// intercom call).
func (a featureApp) connectOrRefuse(out *leg, cause channel.Cause) {
	switch {
	case out != nil:
		a.r.connect(out)
	case cause == causeGone:
	default:
		a.r.refuse(cause)
	}
}

// keypad is the calling phone's keypad, speaking its extension's
// language.
func (a featureApp) keypad() *keypad {
	k := a.r.keypad(a.r.in)
	if a.ext != nil {
		k.lang = a.r.p.lang(a.ext.Language)
	}
	return k
}

// forwardKind is the kind of forwarding a feature code switches on, as
// the box says it.
func forwardKind(k dialplan.FeatureKind) prompts.ForwardKind {
	switch k {
	case dialplan.ForwardBusy:
		return prompts.ForwardBusy
	case dialplan.ForwardNoAnswer:
		return prompts.ForwardNoAnswer
	}
	return prompts.ForwardAlways
}

// refuse ends a feature-code call that changed nothing with cause. A
// caller whose line is already answered learns it only by voice: they
// hear "That code could not be carried out" first.
func (a featureApp) refuse(cause channel.Cause) {
	r := a.r
	if r.in.info.Kind == channel.FXO || r.in.boxAnswered() {
		a.keypad().sayThrough(prompts.FeatureRefused)
	}
	r.hangupIn(cause)
}

// forwardTarget turns the number a user forwards to into a destination:
// an extension, or any other number the extension itself may dial. The
// web UI's own pages ask the same (Admin.ForwardTarget).
func (p *plan) forwardTarget(ext *store.Extension, number string) (string, channel.Cause) {
	if !dialplan.IsDialString(number) {
		return "", channel.CauseNotFound
	}
	if number == ext.Number {
		return "", channel.CauseRejected
	}
	if cause := p.dialable(number, p.classOf(ext)); cause != 0 {
		return "", cause
	}
	if _, ok := p.exts[number]; ok {
		return "ext:" + number, 0
	}
	return "number:" + number, 0
}
