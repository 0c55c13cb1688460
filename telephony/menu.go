package telephony

import (
	"strings"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// menuApp is a voice menu: it answers the caller, plays the prompts, and
// routes by the key pressed (or the extension dialled, with direct
// dialling); silence and unknown keys start it over, then lead to the
// default destination.
type menuApp struct {
	r router
	m *menu
}

// reachMenu runs voice menu m for the router's party.
func (r router) reachMenu(m *menu) (*leg, channel.Cause) { return menuApp{r: r, m: m}.run() }

func (a menuApp) run() (*leg, channel.Cause) {
	r, m := a.r, a.m
	if !r.answerIn() {
		return nil, channel.CauseFailure
	}
	r.c.setState("menu")
	timeout := time.Duration(m.DigitTimeoutS) * time.Second
	if timeout <= 0 {
		timeout = store.DefaultMenuDigitTimeoutS * time.Second
	}
	k := r.keypad(r.in)
	fax := r.watchFax(k)
	defer fax.stop()
	go2 := func(d dest) (*leg, channel.Cause) {
		if d.Kind == "" {
			return nil, channel.CauseNormal
		}
		sub := r.next()
		sub.class = dialplan.ClassInternational
		return sub.reach(d)
	}
	for round := 0; round <= m.Retries; round++ {
		digits, ok := a.round(k, timeout)
		if !ok {
			if l, cause, ok := fax.divert(); ok {
				return l, cause
			}
			r.c.dispose("abandoned")
			return nil, channel.CauseCancelled
		}
		if digits == "" {
			continue
		}
		if len(digits) == 1 {
			if d, ok := m.keys[digits[0]]; ok {
				return go2(d)
			}
		}
		if m.DirectDial {
			if _, ok := r.p.exts[digits]; ok {
				return go2(dest{Kind: dialplan.DestExtension, Value: digits})
			}
		}
		r.log.Info("menu: no such choice", "menu", m.Name, "digits", digits)
	}
	return go2(m.def)
}

// round plays the menu's prompts and collects a choice: one key, or with
// direct dialling the digits until a pause or '#'. A key during the
// prompts stops them. It reports false when the caller hung up.
func (a menuApp) round(k *keypad, timeout time.Duration) (string, bool) {
	r, m := a.r, a.m
	for _, pr := range m.Prompts {
		src, err := r.x.promptSource(pr, r.p.lang(m.Language))
		if err != nil {
			r.log.Warn("menu prompt skipped", "menu", m.Name, "err", err)
			continue
		}
		if !k.play(src) {
			return "", false
		}
		if len(k.typed) > 0 {
			break
		}
	}
	// begins tells whether an extension number begins with s (then a key
	// that is also its first digit waits for the inter-digit pause).
	begins := func(s string) bool {
		for n := range r.p.exts {
			if strings.HasPrefix(n, s) {
				return true
			}
		}
		return false
	}
	return k.collect(collectOpts{first: timeout, interDigit: k.interDigit, hashEnds: true, max: dialplan.MaxPatternLen,
		complete: func(d string) dialState {
			if !m.DirectDial || !begins(d) {
				return dialComplete
			}
			if _, ok := r.p.exts[d]; ok {
				return dialComplete
			}
			return dialIncomplete
		}})
}
