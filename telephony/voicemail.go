package telephony

import (
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// Voicemail call flows: a caller leaving a message (reachVoicemail, the
// "voicemail:EXT" destination), the owner listening at *97/*98
// (mailboxFeature), and the message-waiting indication the box's phones
// show (announceMWI, MailboxChanged). The messages themselves live in the
// voicemail.Store; this file only talks and listens.

// Voicemail timing and limits.
const (
	// vmBeep is the tone after which a caller speaks: 1 kHz, 400 ms, as
	// every answering machine has taught callers.
	vmBeepSpec = "1000"
	vmBeepTime = 400 * time.Millisecond
	// vmSilenceEnd ends a recording after this long without speech: the
	// caller walked away without hanging up (or an analog line whose far
	// end hung up gives no signal).
	vmSilenceEnd = 10 * time.Second
	// vmSilenceDBm0 is the frame level under which a frame always counts
	// as silence: well under speech and above the idle noise of a good
	// line. Above it, a frame is speech only when it stands out from the
	// line's background (dsp.ActivityDetector), so a humming or hissing
	// line ends a recording by silence as a quiet one does.
	vmSilenceDBm0 = -45
	// vmHoldback frames (100 ms) are held back while recording, so that
	// the '#' that ends it — in band on analog phones, heard before it is
	// recognised — is not kept at the end of the message.
	vmHoldback = 5
	// vmGreetingMax bounds a recorded greeting.
	vmGreetingMax = 60 * time.Second
	// vmKeyWait is how long a menu waits for a key once its prompt ended.
	vmKeyWait = 6 * time.Second
	// vmMenuRetries is how many silent waits a menu allows before it
	// gives up (the caller put the handset down without hanging up).
	vmMenuRetries = 3
	// vmLoginTries are the PIN attempts one call gets.
	vmLoginTries = 3
	// vmLockAfter wrong PINs in a row, over any calls from one place, lock
	// a mailbox against that place for vmLockFor: a phone cannot guess
	// through 10 000 PINs, ten minutes apart five at a time, in any useful
	// time. The place is the calling extension's phone, or "outside" for
	// every telco line and trunk together, so a stranger guessing from
	// outside (at '*' in a greeting) cannot lock the owner out of their
	// own mailbox at their desk, nor a colleague lock out the owner.
	vmLockAfter = 5
	vmLockFor   = 10 * time.Minute
	// vmMaxDigits bounds a mailbox number or PIN entry.
	vmMaxDigits = 16
)

// vmState is the exchange's voicemail memory: wrong PINs per mailbox and
// place (pinKey), and which mailboxes were last announced to the phones'
// lamps.
type vmState struct {
	// pins count wrong PINs (vmLockAfter, vmLockFor; security.go).
	pins      pinLocks
	mu        sync.Mutex
	announced map[string]bool
	// silence, keyWait override vmSilenceEnd and vmKeyWait (tests).
	silence time.Duration
	keyWait time.Duration
}

// pinKey is what wrong PINs are counted by: the mailbox and where the
// guesses come from (see vmLockAfter).
func pinKey(box string, l *leg) string {
	from := l.name
	if l.info.Kind == channel.FXO || trunkOf(l.info) != "" {
		from = "outside"
	}
	return box + "|" + from
}

func (s *vmState) silenceEnd() time.Duration {
	if s.silence > 0 {
		return s.silence
	}
	return vmSilenceEnd
}

func (s *vmState) wait() time.Duration {
	if s.keyWait > 0 {
		return s.keyWait
	}
	return vmKeyWait
}

// voicemailApp is a voicemail conversation: a caller leaving a message,
// or an owner in their mailbox.
type voicemailApp struct {
	r   router
	k   *keypad
	vm  *voicemail.Store
	log *slog.Logger
	// loc is the box's time zone (System.TimeZone): when a message came
	// is said as the owner's clock and calendar have it.
	loc *time.Location
}

// voicemail starts a voicemail conversation with the router's party,
// answering it (unless a menu or the telco line did already); false when
// it cannot be answered.
func (r router) voicemail(box string) (*voicemailApp, bool) {
	if !r.answerIn() {
		r.log.Warn("voicemail: answer failed")
		return nil, false
	}
	r.c.set(func(c *call) {
		c.disposition = "voicemail"
		if c.answered.IsZero() {
			c.answered = r.x.now()
		}
	})
	r.c.setState("voicemail")
	loc, err := time.LoadLocation(r.p.cfg.System.TimeZone)
	if err != nil { // the store validates the zone; should one still be unknown, UTC
		loc = time.UTC
	}
	k := r.keypad(r.in)
	if box != "" { // else the caller's until they name one (login)
		k.lang = r.p.mailboxLang(box)
	}
	return &voicemailApp{r: r, k: k, vm: r.x.vm, log: r.log.With("mailbox", box), loc: loc}, true
}

// reachVoicemail takes a message for mailbox box: the greeting (the
// owner's recording, else the built-in one; the busy one when busy), the
// beep, then the caller's audio until they hang up, press '#', reach the
// box's message limit or stay silent. During the greeting '#' skips to the
// beep and '*' lets the owner log in. It always ends the call (nil and
// CauseNormal, or CauseCancelled when the caller hung up first).
func (r router) reachVoicemail(box string, busy bool) (*leg, channel.Cause) {
	if _, ok := r.p.cfg.Voicemail.Box(box); !ok || r.x.vm == nil {
		r.log.Warn("voicemail: no such mailbox", "mailbox", box)
		return nil, channel.CauseNotFound
	}
	a, ok := r.voicemail(box)
	if !ok {
		return nil, channel.CauseFailure
	}
	return a.leave(box, busy)
}

// leave takes a message for box (see reachVoicemail).
func (a *voicemailApp) leave(box string, busy bool) (*leg, channel.Cause) {
	v, p, log := a.k, a.r.p, a.log
	caller := a.r.caller

	kind := voicemail.GreetingUnavailable
	if busy {
		kind = voicemail.GreetingBusy
	}
	greeting, ok, err := a.vm.Greeting(box, kind)
	if err != nil {
		log.Warn("voicemail: greeting unreadable; the built-in one plays", "kind", kind, "err", err)
	}
	var src source
	if ok && err == nil {
		src = samplesSource(greeting)
	} else {
		src = v.prompt(v.lang.Unavailable(box, busy)...)
	}
	// The greeting and the invitation: '#' skips both, '*' is the owner.
	skip := false
	for _, src := range []source{src, v.prompt(prompts.VMLeaveMessage)} {
		if !v.play(src) {
			return nil, channel.CauseCancelled
		}
		if k, ok := v.takeKey(); ok {
			switch k {
			case '*':
				log.Info("voicemail: owner login from the greeting")
				a.login(box, false)
				return nil, v.cause()
			case '#':
				skip = true
			}
		}
		v.typed = nil // other keys mean nothing here
		if skip {
			break
		}
	}

	rec, err := a.vm.Create(box, caller, p.cfg.Voicemail.MessageCount())
	if errors.Is(err, voicemail.ErrFull) {
		log.Info("voicemail: mailbox full")
		v.say(prompts.VMFull)
		return nil, v.cause()
	}
	if err != nil {
		log.Error("voicemail: cannot record", "err", err)
		v.say(prompts.Goodbye)
		return nil, v.cause()
	}
	if !v.play(beep()) {
		rec.Abort()
		return nil, channel.CauseCancelled
	}
	v.typed = nil
	end, err := v.record(time.Duration(p.cfg.Voicemail.MessageLimit())*time.Second, rec.Write)
	if err != nil {
		log.Error("voicemail: recording failed", "err", err)
		rec.Abort()
		return nil, v.cause()
	}
	msg, err := rec.Commit()
	switch {
	case errors.Is(err, voicemail.ErrTooShort):
		log.Info("voicemail: message too short; discarded", "end", end)
		rec.Abort()
	case err != nil:
		log.Error("voicemail: message not saved", "err", err)
		rec.Abort()
	default:
		log.Info("voicemail: message left", "id", msg.ID, "caller", caller.Number, "duration", msg.Duration, "end", end)
		v.r.c.set(func(c *call) { c.voicemail = msg.Box + "/" + msg.ID })
		if end != recHangup {
			v.say(prompts.VMSaved, prompts.Goodbye)
		}
		return nil, v.cause()
	}
	if end != recHangup {
		v.say(prompts.Goodbye)
	}
	return nil, v.cause()
}

// beep is the tone before a recording.
func beep() source {
	src, _ := toneSource(vmBeepSpec, vmBeepTime)
	return src
}

// mailboxFeature runs *97 (the caller's own mailbox) and *98 (any mailbox,
// asked for first): login, then the mailbox menus; it ends the call.
func (r router) mailboxFeature(ext *store.Extension, f dialplan.FeatureCode) {
	if r.x.vm == nil {
		r.log.Warn("mailbox feature code: no voicemail store")
		r.hangupIn(channel.CauseUnavailable)
		return
	}
	box := ""
	if f.Kind == dialplan.MailboxOwn && ext != nil {
		if _, ok := r.p.cfg.Voicemail.Box(ext.Number); ok {
			box = ext.Number
		}
	}
	a, ok := r.voicemail(box)
	if !ok {
		r.hangupIn(channel.CauseFailure)
		return
	}
	// The owner's own phone, dialling *97, may skip the PIN.
	own := box != "" && ext != nil && ext.Number == box
	a.login(box, own)
	r.hangupIn(a.k.cause())
}

// mailboxLogin asks for the mailbox number (when box is "") and the PIN,
// vmLoginTries times, then runs the mailbox session. ownPhone lets a
// mailbox with skip_pin in without its PIN.
func (a *voicemailApp) login(box string, ownPhone bool) {
	v, x, in := a.k, a.r.x, a.r.in
	if ownPhone {
		if mb, ok := x.config().Voicemail.Box(box); ok && mb.SkipPIN {
			a.session(box)
			return
		}
	}
	from := in.name
	for try := 0; try < vmLoginTries; try++ {
		b := box
		if b == "" {
			d, ok := v.digits(prompts.VMMailbox)
			if !ok {
				return
			}
			b = d
			if b == "" { // nothing dialled in time: ask again
				continue
			}
		}
		if b != "" && x.vmState.pins.locked(pinKey(b, in), x.now()) {
			a.log.Warn("voicemail: login to a locked mailbox refused", "mailbox", b, "channel", from)
			v.say(prompts.VMLocked)
			return
		}
		pin, ok := v.digits(prompts.VMPassword)
		if !ok {
			return
		}
		mb, exists := x.config().Voicemail.Box(b)
		if exists && pin != "" && pinMatches(pin, mb.PIN) {
			x.vmState.pins.succeeded(pinKey(b, in))
			a.log.Info("voicemail: login", "mailbox", b, "channel", from)
			v.lang = a.r.p.lang(mb.Language)
			a.session(b)
			return
		}
		a.log.Info("voicemail: wrong PIN", "mailbox", b, "channel", from, "try", try+1)
		if exists && x.vmState.pins.failed(pinKey(b, in), "voicemail:"+b, x.now()) {
			a.log.Warn("voicemail: mailbox locked after wrong PINs in a row", "mailbox", b,
				"channel", from, "caller", in.info.Caller.Number, "for", vmLockFor)
			v.say(prompts.VMLocked)
			return
		}
		if !v.say(prompts.VMIncorrect) {
			return
		}
	}
	v.say(prompts.Goodbye)
}

// mailboxSession is a logged-in owner's visit: the counts, then the main
// menu until they leave.
func (a *voicemailApp) session(box string) {
	v := a.k
	n, h := a.vm.Counts(box)
	if !v.say(v.lang.MailboxCounts(n, h)...) {
		return
	}
	for quiet := 0; quiet < vmMenuRetries; {
		k, ok := v.key(prompts.VMMainMenu)
		if !ok {
			return
		}
		switch k {
		case 0:
			quiet++
			continue
		case '1':
			ok = a.listen(box, false)
		case '2':
			ok = a.listen(box, true)
		case '0':
			ok = a.options(box)
		case '*', '#':
			v.say(prompts.Goodbye)
			return
		default:
			ok = v.say(prompts.Invalid)
		}
		if !ok {
			return
		}
		quiet = 0
	}
	v.say(prompts.Goodbye)
}

// listen plays the new (or the saved) messages one by one with the
// message menu. It reports false when the caller hung up.
func (a *voicemailApp) listen(box string, saved bool) bool {
	v := a.k
	all, err := a.vm.Messages(box)
	if err != nil {
		a.log.Error("voicemail: messages unreadable", "mailbox", box, "err", err)
		return v.say(prompts.Invalid)
	}
	msgs := slices.DeleteFunc(all, func(m voicemail.Message) bool { return m.Heard != saved })
	if len(msgs) == 0 {
		return v.say(v.lang.MailboxCounts(0, 0)...)
	}
	i, replay, quiet := 0, true, 0
	for {
		if i >= len(msgs) {
			return v.say(prompts.VMNoMore)
		}
		if replay {
			heard, ok := a.playMessage(i, msgs[i])
			if !ok {
				return false
			}
			if heard && !msgs[i].Heard {
				if err := a.vm.SetHeard(box, msgs[i].ID, true); err != nil {
					a.log.Warn("voicemail: not marked heard", "mailbox", box, "id", msgs[i].ID, "err", err)
				}
				msgs[i].Heard = true
			}
		}
		replay = true
		k, ok := v.key(prompts.VMMessageMenu)
		if !ok {
			return false
		}
		switch k {
		case '5':
		case '7':
			if err := a.vm.Delete(box, msgs[i].ID); err != nil {
				a.log.Error("voicemail: delete failed", "mailbox", box, "id", msgs[i].ID, "err", err)
				ok = v.say(prompts.Invalid)
				replay = false
				break
			}
			a.log.Info("voicemail: message deleted by phone", "mailbox", box, "id", msgs[i].ID)
			msgs = slices.Delete(msgs, i, i+1)
			ok = v.say(prompts.VMDeleted)
		case '9':
			if err := a.vm.SetHeard(box, msgs[i].ID, true); err != nil {
				a.log.Error("voicemail: save failed", "mailbox", box, "id", msgs[i].ID, "err", err)
			}
			msgs[i].Heard = true
			ok = v.say(prompts.VMSaved)
			i++
		case '6':
			i++
		case '4':
			if i > 0 {
				i--
			}
		case '*':
			return true
		case 0:
			if quiet++; quiet >= vmMenuRetries {
				return true
			}
			replay = false
			continue
		default:
			ok = v.say(prompts.Invalid)
			replay = false
		}
		if !ok {
			return false
		}
		quiet = 0
	}
}

// playMessage says "Message N, received WHEN, from DIGITS" in the
// mailbox's language (WHEN by the box's clock and calendar:
// prompts.Language.MessageIntro) and plays message m. It reports whether
// the message played to its end (no key stopped it).
func (a *voicemailApp) playMessage(i int, m voicemail.Message) (heard, ok bool) {
	v, x := a.k, a.r.x
	caller := m.Caller.Number
	if m.Caller.Withheld != "" {
		caller = ""
	}
	if !v.say(v.lang.MessageIntro(i+1, m.Received, x.now().In(a.loc), caller)...) {
		return false, false
	}
	if len(v.typed) > 0 {
		return false, true
	}
	samples, err := a.vm.Samples(m.Box, m.ID)
	if err != nil {
		a.log.Error("voicemail: message unreadable", "mailbox", m.Box, "id", m.ID, "err", err)
		return false, v.say(prompts.Invalid)
	}
	if !v.play(samplesSource(samples)) {
		return false, false
	}
	return len(v.typed) == 0, true
}

// mailboxOptions is the options menu: greetings and the PIN.
func (a *voicemailApp) options(box string) bool {
	v := a.k
	for quiet := 0; quiet < vmMenuRetries; {
		k, ok := v.key(prompts.VMOptions)
		if !ok {
			return false
		}
		switch k {
		case 0:
			quiet++
			continue
		case '1':
			ok = a.recordGreeting(box, voicemail.GreetingUnavailable)
		case '2':
			ok = a.recordGreeting(box, voicemail.GreetingBusy)
		case '3':
			if err := a.vm.DeleteGreetings(box); err != nil {
				a.log.Error("voicemail: greetings not erased", "mailbox", box, "err", err)
				ok = v.say(prompts.Invalid)
				break
			}
			a.log.Info("voicemail: greetings erased by phone", "mailbox", box)
			ok = v.say(prompts.VMGreetingsErased)
		case '4':
			ok = a.changePIN(box)
		case '*', '#':
			return true
		default:
			ok = v.say(prompts.Invalid)
		}
		if !ok {
			return false
		}
		quiet = 0
	}
	return true
}

// recordGreeting records a greeting of kind after the beep until '#' (at
// most vmGreetingMax), plays it back and lets the owner review it: '1'
// keeps it, '2' plays it again, '3' records it again. The old greeting
// stays unless they keep the new one: '*', silence after vmMenuRetries
// asks, or hanging up at any point discards what was recorded.
func (a *voicemailApp) recordGreeting(box, kind string) bool {
	v := a.k
	for {
		samples, ok := a.takeGreeting()
		if !ok || samples == nil {
			return ok
		}
		// A key during the playback answers the review question.
		if !v.play(samplesSource(samples)) {
			return false
		}
		switch k, ok := a.reviewGreeting(samples); {
		case !ok:
			return false
		case k == '3':
			continue
		case k == '1':
			if err := a.vm.SaveGreeting(box, kind, samples); err != nil {
				a.log.Error("voicemail: greeting not saved", "mailbox", box, "kind", kind, "err", err)
				return v.say(prompts.Invalid)
			}
			a.log.Info("voicemail: greeting recorded by phone", "mailbox", box, "kind", kind,
				"duration", time.Duration(len(samples))*time.Second/8000)
			return v.say(prompts.VMGreetingSaved)
		default:
			a.log.Info("voicemail: new greeting discarded; the old one stays", "mailbox", box, "kind", kind)
			return true
		}
	}
}

// takeGreeting records one take after the prompt and the beep. It returns
// nil samples (having said so) for a take under a second, and false when
// the caller hung up.
func (a *voicemailApp) takeGreeting() ([]int16, bool) {
	v := a.k
	if !v.say(prompts.VMRecordGreeting) {
		return nil, false
	}
	v.typed = nil
	if !v.play(beep()) {
		return nil, false
	}
	v.typed = nil
	var samples []int16
	end, err := v.record(vmGreetingMax, func(s []int16) error { samples = append(samples, s...); return nil })
	if err != nil || end == recHangup {
		return nil, false
	}
	if len(samples) < 8000 { // under a second: nothing was said
		return nil, v.say(prompts.Invalid)
	}
	return samples, true
}

// reviewGreeting asks what to do with the take just heard until the owner
// answers '1' (keep), '3' (record again) or '*' (discard), playing it
// again at '2'. Silence after vmMenuRetries asks answers '*'.
func (a *voicemailApp) reviewGreeting(samples []int16) (byte, bool) {
	v := a.k
	for quiet := 0; quiet < vmMenuRetries; {
		k, ok := v.key(prompts.VMGreetingReview)
		if !ok {
			return 0, false
		}
		switch k {
		case 0:
			quiet++
			continue
		case '1', '3', '*':
			return k, true
		case '2':
			ok = v.play(samplesSource(samples))
		default:
			ok = v.say(prompts.Invalid)
		}
		if !ok {
			return 0, false
		}
		quiet = 0
	}
	return '*', true
}

// changePIN asks for the new PIN twice and saves it in the configuration
// (as the web UI would), refusing PINs store.CheckPIN refuses.
func (a *voicemailApp) changePIN(box string) bool {
	v, x := a.k, a.r.x
	pin, ok := v.digits(prompts.VMNewPassword)
	if !ok {
		return false
	}
	if msg := store.CheckPIN(box, pin); msg != "" {
		a.log.Info("voicemail: new PIN refused", "mailbox", box, "reason", msg)
		return v.say(prompts.VMPasswordWeak)
	}
	again, ok := v.digits(prompts.VMRepeatPassword)
	if !ok {
		return false
	}
	if again != pin {
		return v.say(prompts.VMPasswordMismatch)
	}
	ds, ok := x.store.(dialPlanStore)
	if !ok {
		a.log.Error("voicemail: the store cannot change the configuration")
		return v.say(prompts.Invalid)
	}
	_, err := onPhone(ds, box).UpdateDialPlan(func(cfg *store.Config) error {
		i := slices.IndexFunc(cfg.Voicemail.Boxes, func(b store.Mailbox) bool { return b.Extension == box })
		if i < 0 {
			return errors.New("the mailbox was removed")
		}
		// A copy: the running configuration snapshot shares the slice.
		cfg.Voicemail.Boxes = slices.Clone(cfg.Voicemail.Boxes)
		cfg.Voicemail.Boxes[i].PIN = pin
		return nil
	})
	if err != nil {
		a.log.Warn("voicemail: PIN not changed", "mailbox", box, "err", err)
		return v.say(prompts.Invalid)
	}
	if err := x.reloadAndApply(); err != nil {
		a.log.Error("reload after a PIN change", "err", err)
	}
	a.log.Info("voicemail: PIN changed by phone", "mailbox", box, "channel", a.r.in.name)
	return v.say(prompts.VMPasswordChanged)
}

// announceMWI tells every configured mailbox's counts to the phones (at
// start, so lamps are right after a reboot, and after a configuration
// change), and clears the lamps of mailboxes that were removed.
func (x *Exchange) announceMWI() {
	if x.mwi == nil || x.vm == nil {
		return
	}
	boxes := x.config().Voicemail.Boxes
	now := make(map[string]bool, len(boxes))
	for _, b := range boxes {
		now[b.Extension] = true
	}
	x.vmState.mu.Lock()
	var gone []string
	for b := range x.vmState.announced {
		if !now[b] {
			gone = append(gone, b)
		}
	}
	x.vmState.announced = now
	x.vmState.mu.Unlock()
	for _, b := range gone {
		x.mwi(b, 0, 0)
	}
	for _, b := range boxes {
		n, h := x.vm.Counts(b.Extension)
		x.mwi(b.Extension, n, h)
	}
}
