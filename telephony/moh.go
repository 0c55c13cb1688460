package telephony

import (
	"math/rand/v2"

	"minipbx/telephony/store"
)

// Music on hold. A held, parked or queued party hears a class: the holding
// extension's (extension_rules[].moh_class), else the class of the inbound
// route the call came in by, else the box-wide one (features.music_on_hold),
// else a soft beep every five seconds so that they know they are still
// connected. A class plays its recordings in a loop, in order or shuffled
// each round, or the live audio of an analog port (a music source on a
// line).

// defaultHold is music on hold when no class applies.
func defaultHold() []store.Prompt { return []store.Prompt{{Tone: "440/200,0/4800", MS: 5000}} }

// musicOnHold is what a party held by holder (nil: nobody in particular,
// a parked call) hears.
func (r router) musicOnHold(holder *leg) source {
	name := ""
	if holder != nil {
		if ru, ok := r.p.rules[holder.extension()]; ok && ru.MOHClass != "" {
			name = ru.MOHClass
		}
	}
	if name == "" {
		r.c.mu.Lock()
		name = r.c.moh
		r.c.mu.Unlock()
	}
	if name == "" {
		name = r.p.cfg.Features.MusicOnHold
	}
	if cl, ok := r.p.moh[name]; ok {
		return r.mohClass(cl)
	}
	return r.loopPrompts(nil, false, "music on hold")
}

// mohClass plays a music-on-hold class.
func (r router) mohClass(cl *store.MOHClass) source {
	if cl.Port != "" {
		if r.x.live != nil {
			src, err := r.x.live(cl.Port)
			if err == nil {
				return src
			}
			r.log.Warn("music on hold: live source unavailable; the default plays", "class", cl.Name, "port", cl.Port, "err", err)
		}
		return r.loopPrompts(nil, false, "music on hold "+cl.Name)
	}
	return r.loopPrompts(cl.Prompts, cl.Shuffle, "music on hold "+cl.Name)
}

// loopPrompts plays prompts in a loop, shuffled each round when shuffle;
// prompts that cannot be opened are skipped (logged), and when none plays
// at all — or there are none — the soft beep plays instead.
func (r router) loopPrompts(ps []store.Prompt, shuffle bool, what string) source {
	if len(ps) == 0 {
		ps = defaultHold()
	}
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	i, failures := len(order), 0
	var music source
	return func(out []int16) bool {
		for {
			if music != nil && music(out) {
				return true
			}
			if failures > len(ps) {
				// Nothing plays at all: the default.
				ps, failures = defaultHold(), 0
				order, i = []int{0}, 1
			}
			if i >= len(order) {
				i = 0
				if shuffle {
					rand.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
				}
			}
			src, err := r.x.promptSource(ps[order[i]], r.p.lang())
			i++
			if err != nil {
				failures++
				r.log.Warn("music on hold prompt skipped", "in", what, "err", err)
				music = nil
				continue
			}
			failures = 0
			music = src
		}
	}
}
