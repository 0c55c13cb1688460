package telephony

import (
	"context"
	"strings"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// reachMenu runs a voice menu: it answers the caller, plays the prompts,
// and routes by the key pressed (or the extension dialled, with direct
// dialling); silence and unknown keys start it over, then lead to the
// default destination.
func (x *Exchange) reachMenu(ctx context.Context, c *call, p *plan, m store.Menu, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	if !c.inAnswered {
		if err := c.in.Answer(ctx); err != nil {
			return nil, channel.CauseFailure
		}
		c.inAnswered = true
		c.set(func(c *call) { c.state = "menu" })
		x.publish("call")
	}
	timeout := time.Duration(m.DigitTimeoutS) * time.Second
	if timeout <= 0 {
		timeout = store.DefaultMenuDigitTimeoutS * time.Second
	}
	interDigit := time.Duration(p.cfg.System.InterDigitTimeoutMS) * time.Millisecond
	go2 := func(dest string) (channel.Channel, channel.Cause) {
		if dest == "" {
			return nil, channel.CauseNormal
		}
		d, err := dialplan.ParseDestination(dest)
		if err != nil {
			return nil, channel.CauseNotFound
		}
		return x.reach(ctx, c, p, d, dialplan.ClassInternational, caller, hops+1)
	}
	for round := 0; round <= m.Retries; round++ {
		digits, ok := x.menuRound(ctx, c, p, m, timeout, interDigit)
		if !ok {
			return nil, channel.CauseCancelled
		}
		if digits == "" {
			continue
		}
		if len(digits) == 1 {
			if dest, ok := m.Keys[digits]; ok {
				return go2(dest)
			}
		}
		if m.DirectDial {
			if _, ok := findExtension(p.cfg, digits); ok {
				return go2("ext:" + digits)
			}
		}
		x.log.Info("menu: no such choice", "call", c.id, "menu", m.Name, "digits", digits)
	}
	return go2(m.DefaultDestination)
}

// menuRound plays the menu's prompts and collects a choice: one key, or
// with direct dialling the digits until a pause or '#'. A key during the
// prompts stops them. It reports false when the caller hung up.
func (x *Exchange) menuRound(ctx context.Context, c *call, p *plan, m store.Menu, timeout, interDigit time.Duration) (string, bool) {
	// begins tells whether an extension number begins with s (then a
	// key that is also its first digit waits for the inter-digit pause).
	begins := func(s string) bool {
		for _, e := range p.cfg.Extensions {
			if strings.HasPrefix(e.Number, s) {
				return true
			}
		}
		return false
	}
	playCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, pr := range m.Prompts {
			src, err := x.promptSource(pr)
			if err != nil {
				x.log.Warn("menu prompt skipped", "call", c.id, "menu", m.Name, "err", err)
				continue
			}
			play(playCtx, c.in.Media(), src)
			if playCtx.Err() != nil {
				return
			}
		}
	}()
	defer func() { stop(); <-done }()

	var digits strings.Builder
	// The wait starts once the prompts have played (or at the first key).
	var wait <-chan time.Time
	promptsDone := done
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	arm := func(d time.Duration) {
		if timer != nil {
			timer.Stop()
		}
		timer = time.NewTimer(d)
		wait = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return "", false
		case <-promptsDone:
			promptsDone = nil
			if digits.Len() == 0 {
				arm(timeout)
			}
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				c.set(func(c *call) { c.disposition = "abandoned" })
				return "", false
			}
			if ev.Type != channel.EventDigit {
				continue
			}
			stop()
			if ev.Digit == '#' && digits.Len() > 0 {
				return digits.String(), true
			}
			digits.WriteByte(ev.Digit)
			if !m.DirectDial || !begins(digits.String()) {
				return digits.String(), true
			}
			if _, ok := findExtension(p.cfg, digits.String()); ok {
				return digits.String(), true
			}
			arm(interDigit)
		case <-wait:
			return digits.String(), true
		}
	}
}
