package telephony

import (
	"strings"
	"sync"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/bridge"
	"minipbx/telephony/channel"
	"minipbx/telephony/media"
	"minipbx/telephony/prompts"
)

// keypad is the one prompt-and-keypad helper of every conversation the box
// has with a caller: voice menus, feature codes, voicemail, the digits an
// analog phone dials (first call or after a hook flash), a conference PIN.
// It plays prompts that a key interrupts (barge-in; the key is kept for the
// next question), keeps keys typed ahead, collects digits with first-digit
// and inter-digit timeouts and a completeness test, and records.
//
// A keypad talks to one leg of its call. Messages for the call's other legs
// and from other calls go to other, which reports whether the keypad may
// go on (nil: they are ignored). Every method reports false once the leg
// hung up or the call is stopped (gone).
type keypad struct {
	r *router
	l *leg
	// typed are keys pressed (during prompts) and not yet used.
	typed []byte
	gone  bool
	// aborted is set when other stopped the keypad.
	aborted bool
	// wait is the wait for a key after a prompt; interDigit the pause
	// that ends a number.
	wait, interDigit time.Duration
	other            func(m msg) bool
	// stopOnFlash: a hook flash of the leg ends a prompt or a collection
	// (flashed is then set): a phone's second flash goes back.
	stopOnFlash bool
	flashed     bool
	// kept are the leg's events a keypad does not act on but its owner
	// may (a transfer, a hold) while a prompt plays; flush gives them
	// back to the call's inbox.
	kept []msg
	// lang is the language the keypad speaks (language.go): the leg's
	// extension's, or the box's; a conversation may choose another.
	lang prompts.Language
}

// flush puts the events the keypad kept back into the call's inbox.
func (k *keypad) flush() {
	for _, m := range k.kept {
		k.r.c.box.post(m)
	}
	k.kept = nil
}

// keypad makes a keypad for leg l of the router's call.
func (r *router) keypad(l *leg) *keypad {
	interDigit := time.Duration(r.p.cfg.System.InterDigitTimeoutMS) * time.Millisecond
	if interDigit <= 0 {
		interDigit = 4 * time.Second
	}
	return &keypad{r: r, l: l, wait: r.x.vmState.wait(), interDigit: interDigit, lang: r.p.extLang(l.extension())}
}

// cause is how a flow ends: CauseCancelled when the caller hung up.
func (k *keypad) cause() channel.Cause {
	if k.gone {
		return channel.CauseCancelled
	}
	return channel.CauseNormal
}

// event waits for the next event of the keypad's leg until timer fires or
// done closes; false (gone) when the leg hung up, the call stopped, or
// other refused a message.
func (k *keypad) event(timer <-chan time.Time, done <-chan struct{}) (ev channel.Event, why waitResult, ok bool) {
	for {
		m, why := k.r.c.recv(k.r.ctx, timer, done)
		switch why {
		case cancelled:
			k.gone = true
			return channel.Event{}, why, false
		case timedOut, doneFired:
			return channel.Event{}, why, true
		}
		if m.leg != k.l || m.ctl != nil {
			if k.other != nil && !k.other(m) {
				k.gone, k.aborted = true, true
				return channel.Event{}, gotMsg, false
			}
			continue
		}
		if m.ev.Type == channel.EventHangup {
			k.gone = true
			return m.ev, gotMsg, false
		}
		switch m.ev.Type {
		case channel.EventFlash:
			k.flashed = k.stopOnFlash
		case channel.EventTransfer, channel.EventHold, channel.EventUnhold:
			k.kept = append(k.kept, m)
			continue
		case channel.EventVoiceBandData:
			continue // no leg is bridged to it while it hears prompts
		}
		return m.ev, gotMsg, true
	}
}

// prompt is the named prompts of the keypad's language one after the
// other; a prompt that cannot be loaded is skipped (and logged) rather
// than ending the call.
func (k *keypad) prompt(names ...string) source {
	k.r.log.Debug("say", "lang", k.lang, "prompts", strings.Join(names, " "))
	var all []int16
	for _, n := range names {
		s, err := k.r.x.prompts.Load(k.lang, n)
		if err != nil {
			k.r.log.Warn("prompt skipped", "prompt", n, "err", err)
			continue
		}
		all = append(all, s...)
	}
	return samplesSource(all)
}

// say plays the named prompts (see play).
func (k *keypad) say(names ...string) bool { return k.play(k.prompt(names...)) }

// play plays src to the leg until it ends or a key is pressed (the key is
// kept for the next question). With keys already typed ahead it plays
// nothing: the caller knows the menus.
func (k *keypad) play(src source) bool {
	if k.gone {
		return false
	}
	if len(k.typed) > 0 {
		return true
	}
	pb := k.r.playTo(k.l, src)
	if pb == nil {
		return !k.gone
	}
	defer pb.Stop()
	for {
		ev, why, ok := k.event(nil, pb.Done())
		if !ok {
			return false
		}
		if why == doneFired || k.flashed {
			return true
		}
		if ev.Type == channel.EventDigit {
			k.typed = append(k.typed, ev.Digit)
			return true
		}
	}
}

// playThrough plays src to its end, ignoring keys (a confirmation, an
// announcement).
func (k *keypad) playThrough(src source) bool {
	if k.gone {
		return false
	}
	pb := k.r.playTo(k.l, src)
	if pb == nil {
		return !k.gone
	}
	defer pb.Stop()
	for {
		_, why, ok := k.event(nil, pb.Done())
		if !ok {
			return false
		}
		if why == doneFired {
			return true
		}
	}
}

// sayThrough speaks the named prompts to their end (playThrough).
func (k *keypad) sayThrough(names ...string) bool { return k.playThrough(k.prompt(names...)) }

// takeKey takes the first key typed ahead.
func (k *keypad) takeKey() (byte, bool) {
	if len(k.typed) == 0 {
		return 0, false
	}
	key := k.typed[0]
	k.typed = k.typed[1:]
	return key, true
}

// key says the prompts and returns the key pressed (0 when none came in
// time).
func (k *keypad) key(names ...string) (byte, bool) {
	if !k.say(names...) {
		return 0, false
	}
	if key, ok := k.takeKey(); ok {
		return key, true
	}
	t := time.NewTimer(k.wait)
	defer t.Stop()
	for {
		ev, why, ok := k.event(t.C, nil)
		if !ok {
			return 0, false
		}
		if why == timedOut {
			return 0, true
		}
		if ev.Type == channel.EventDigit {
			return ev.Digit, true
		}
	}
}

// digits says the prompts and collects digits until '#' or a pause.
func (k *keypad) digits(names ...string) (string, bool) {
	if !k.say(names...) {
		return "", false
	}
	return k.collect(collectOpts{first: k.wait, interDigit: k.interDigit, max: vmMaxDigits, hashEnds: true})
}

// collectOpts say how collect gathers digits.
type collectOpts struct {
	// first is the wait for the first digit, interDigit the pause that
	// ends a number, max the longest number (0: no bound).
	first, interDigit time.Duration
	max               int
	// hashEnds: '#' ends the number (and is not part of it) once digits
	// were dialled.
	hashEnds bool
	// complete tells whether the digits so far form a whole number
	// (collect returns at once), may be one (returned at the pause) or
	// cannot start one (invalid: returned at once with ok true and
	// invalid set). Nil: every number is open-ended.
	complete func(digits string) dialState
	// onDigit is told each digit (to stop a dial tone, show the number).
	onDigit func(digits string)
}

// collect gathers digits: the keys typed ahead first, then as they come.
// It returns the digits (empty when none came before the first-digit
// wait ended) and false when the leg hung up.
func (k *keypad) collect(o collectOpts) (string, bool) {
	d, _, ok := k.collectState(o)
	return d, ok
}

// collectState is collect that also says what the number is.
func (k *keypad) collectState(o collectOpts) (string, dialState, bool) {
	var b []byte
	state := func() dialState {
		if o.complete == nil {
			return dialOpenEnded
		}
		return o.complete(string(b))
	}
	// add takes a digit; done reports the number is finished.
	add := func(d byte) (dialState, bool) {
		if d == '#' && o.hashEnds && len(b) > 0 {
			st := state()
			if st == dialIncomplete {
				st = dialOpenEnded
			}
			return st, true
		}
		b = append(b, d)
		if o.onDigit != nil {
			o.onDigit(string(b))
		}
		st := state()
		if st == dialComplete || st == dialInvalid || o.max > 0 && len(b) >= o.max {
			return st, true
		}
		return st, false
	}
	for len(k.typed) > 0 {
		key, _ := k.takeKey()
		if st, done := add(key); done {
			return string(b), st, true
		}
	}
	wait := o.first
	if len(b) > 0 {
		wait = o.interDigit
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	if k.flashed {
		return string(b), dialIncomplete, true
	}
	for {
		ev, why, ok := k.event(t.C, nil)
		if !ok {
			return string(b), dialIncomplete, false
		}
		if k.flashed {
			return string(b), dialIncomplete, true
		}
		if why == timedOut {
			if len(b) == 0 {
				return "", dialIncomplete, true
			}
			return string(b), state(), true
		}
		if ev.Type != channel.EventDigit {
			continue
		}
		if st, done := add(ev.Digit); done {
			return string(b), st, true
		}
		t.Reset(o.interDigit)
	}
}

// recEnd says what ended a recording.
type recEnd string

const (
	recHangup  recEnd = "hangup"
	recKey     recEnd = "key"
	recMax     recEnd = "limit"
	recSilence recEnd = "silence"
)

// record writes the leg's audio to w until it hangs up, presses '#',
// longest passes or stays silent for the silence end. Trailing silence is
// not kept, nor (when '#' ended it) the key's own tone.
func (k *keypad) record(longest time.Duration, w func([]int16) error) (recEnd, error) {
	if k.gone {
		return recHangup, nil
	}
	br := k.r.solo(k.l)
	frames := make(chan [media.FrameSamples]int16, 64)
	var dropped int
	var dropMu sync.Mutex
	if err := br.Listen(k.l.info.ID, media.SinkFunc(func(f *media.Frame) {
		select {
		case frames <- *f.Linear():
		default: // never block the media clock; counted below
			dropMu.Lock()
			dropped++
			dropMu.Unlock()
		}
	})); err != nil {
		k.r.log.Warn("recording: cannot listen to the caller", "err", err)
		return recHangup, err
	}
	k.r.log.Debug("recording started", "limit", longest)
	stopListening := func() { _ = br.Listen(k.l.info.ID, nil) }
	defer func() {
		stopListening()
		dropMu.Lock()
		if dropped > 0 {
			k.r.log.Warn("recording lost frames", "frames", dropped)
		}
		dropMu.Unlock()
	}()
	// The limit counts the audio received; the timer (a little later)
	// ends a recording whose audio stopped coming (a SIP phone that
	// sends nothing in silence).
	limit := time.NewTimer(longest + time.Second)
	defer limit.Stop()
	maxFrames := int(longest / frameTime)
	received := 0
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	silence := k.r.x.vmState.silenceEnd()
	lastLoud := time.Now()
	talker := dsp.NewActivityDetector(vmSilenceDBm0)

	// pending frames are not written yet: the held-back tail and the
	// silence after the last loud frame (loud frames pending[:loud]).
	var pending [][media.FrameSamples]int16
	loud := 0
	var werr error
	flush := func(n int) {
		for _, f := range pending[:n] {
			if werr == nil {
				werr = w(f[:])
			}
		}
		pending = append(pending[:0], pending[n:]...)
		loud -= n
	}
	add := func(f [media.FrameSamples]int16) {
		pending = append(pending, f)
		if talker.Active(f[:]) {
			loud = len(pending)
			lastLoud = time.Now()
		}
		if n := min(loud, len(pending)-vmHoldback); n > 0 {
			flush(n)
		}
	}
	var end recEnd
	for end == "" {
		select {
		case f := <-frames:
			add(f)
			if received++; received >= maxFrames {
				end = recMax
			}
		case <-k.r.ctx.Done():
			k.gone, end = true, recHangup
		case <-k.r.c.box.wake:
			for end == "" {
				m, ok := k.r.c.box.take()
				if !ok {
					break
				}
				switch {
				case m.leg != k.l || m.ctl != nil:
					if k.other != nil && !k.other(m) {
						k.gone, k.aborted, end = true, true, recHangup
					}
				case m.ev.Type == channel.EventHangup:
					k.gone, end = true, recHangup
				case m.ev.Type == channel.EventDigit && m.ev.Digit == '#':
					end = recKey
				}
			}
		case <-limit.C:
			end = recMax
		case <-tick.C:
			if time.Since(lastLoud) >= silence {
				end = recSilence
			}
		}
		if werr != nil {
			return end, werr
		}
	}
	// What the media clock delivered before listening stopped is the
	// caller's last words (after a '#' it is the key's own tone).
	stopListening()
	for drained := end == recKey || end == recMax; !drained; {
		select {
		case f := <-frames:
			add(f)
		default:
			drained = true
		}
	}
	keep := loud
	if end == recKey {
		keep = max(0, min(loud, len(pending)-vmHoldback))
	}
	flush(keep)
	return end, werr
}

// solo is the leg's bridge, made for it alone when it has none.
func (r *router) solo(l *leg) *bridge.Bridge {
	if b := l.bridge(); b != nil {
		return b
	}
	b := bridge.New(bridge.Options{Name: l.name, Logger: r.x.log})
	l.join(b)
	return b
}

// playTo plays src to leg l through its bridge (see bridge.Play); nil when
// the leg has ended.
func (r *router) playTo(l *leg, src source) *bridge.Playback {
	if l.isEnded() {
		return nil
	}
	pb, err := r.solo(l).Play(l.info.ID, bridge.Source(src))
	if err != nil {
		r.log.Debug("cannot play", "leg", l.name, "err", err)
		return nil
	}
	return pb
}
