package telephony

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"minipbx/dsp"
	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/media"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// Campaigns: the auto-dialer (store.Campaign). One loop, owned by the
// exchange like its calls, looks at the active campaigns every tick:
// within a campaign's window it takes the contacts that are due, skips
// the ones a blacklist or the do-not-call list names, and places calls
// to the others through the originate primitive, no more at once than
// the campaign's lines. When a contact answers, the box listens for an
// answering machine (dsp.AMD), then plays the message with its keypad
// menu: 1 to the operator queue, 9 onto the do-not-call list — or, with
// an answer queue, puts the person through to its agents at once. Each
// call's result is written back to the contact, which is retried by the
// campaign's rules or done; a campaign whose contacts are all done is
// completed.

// CampaignStore is what the auto-dialer needs of the database
// (store.DB implements it).
type CampaignStore interface {
	Campaigns() ([]store.Campaign, error)
	Campaign(name string) (store.Campaign, error)
	CampaignHeads() ([]store.Campaign, error)
	CreateCampaign(c store.Campaign) (store.Campaign, error)
	ChangeCampaign(name string, fn func(c *store.Campaign) error) (store.Campaign, error)
	DeleteCampaign(name string) error
	AddDoNotCall(number, why string, now time.Time) (store.DoNotCall, error)
	DoNotCallList() ([]store.DoNotCall, error)
	RemoveDoNotCall(number string) error
}

// DefaultCampaignTick is how often the auto-dialer looks for contacts
// to call.
const DefaultCampaignTick = time.Second

// dialer is the exchange's auto-dialer state: the calls each campaign
// has up.
type dialer struct {
	db   CampaignStore
	tick time.Duration

	mu sync.Mutex
	// up counts each campaign's calls in progress; calling holds
	// "campaign|number" of each.
	up      map[string]int
	calling map[string]bool
	// idle marks, by campaign, the revision at which it had nothing due
	// before a time: until it changes, a call of it ends or that time
	// comes, the loop does not read its contacts again.
	idle map[string]idleMark
}

// idleMark: at revision rev, nothing was due before until.
type idleMark struct {
	rev   uint64
	until time.Time
}

// errNotActive: the campaign changed state meanwhile; errUnchanged: the
// tick changed nothing (nothing is written: spare the flash).
var (
	errNotActive = errors.New("telephony: the campaign is not active")
	errUnchanged = errors.New("telephony: nothing to change")
)

// runCampaigns is the auto-dialer's loop, until the exchange stops.
func (x *Exchange) runCampaigns() {
	defer x.callWG.Done()
	for x.sleep(x.dial.tick) {
		cs, err := x.dial.db.CampaignHeads()
		if err != nil {
			x.log.Error("campaigns: cannot read them", "err", err)
			continue
		}
		p := x.plan(x.config())
		now := x.now()
		var dnc map[string]bool // read once a tick, outside the campaigns' transactions
		for _, c := range cs {
			if c.State != store.CampaignActive || x.campaignLines(c.Name) >= c.MaxLines {
				continue
			}
			if x.idleUntil(c, now) {
				continue // unchanged since it had nothing due before now
			}
			if dnc == nil {
				if dnc, err = x.doNotCall(); err != nil {
					x.log.Error("campaigns: cannot read the do-not-call list; no call is placed", "err", err)
					break
				}
			}
			x.campaignTick(p, c, dnc)
		}
	}
}

// idleUntil reports whether campaign c is marked as having nothing due
// before a time still to come, at its current revision.
func (x *Exchange) idleUntil(c store.Campaign, now time.Time) bool {
	x.dial.mu.Lock()
	defer x.dial.mu.Unlock()
	m, ok := x.dial.idle[c.Name]
	return ok && m.rev == c.Revision && now.Before(m.until)
}

// campaignLines is how many calls campaign name has up.
func (x *Exchange) campaignLines(name string) int {
	x.dial.mu.Lock()
	defer x.dial.mu.Unlock()
	return x.dial.up[name]
}

// campaignTick places the calls campaign c is due, in one change of the
// campaign (the contacts chosen are marked attempted first, so a crash
// never calls a contact twice in a row).
func (x *Exchange) campaignTick(p *plan, c store.Campaign, dnc map[string]bool) {
	now := x.now()
	if !c.Window.InWindow(now.In(p.location())) {
		return
	}
	for _, q := range []string{c.OperatorQueue, c.AnswerQueue} {
		if q != "" && p.queues[q] == nil {
			x.blockCampaign(c.Name, fmt.Sprintf("its queue %q no longer exists", q))
			return
		}
	}
	class, err := dialplan.ParseClass(c.Class)
	if err != nil {
		x.blockCampaign(c.Name, "its class is not one the box knows")
		return
	}
	up := x.campaignLines(c.Name)
	var picks []store.CampaignContact
	var idle idleMark
	_, err = x.dial.db.ChangeCampaign(c.Name, func(cc *store.Campaign) error {
		if cc.State != store.CampaignActive {
			return errNotActive
		}
		picks = picks[:0]
		idle = idleMark{rev: cc.Revision}
		free := cc.MaxLines - up
		pending, changed := false, false
		for i := range cc.Contacts {
			ct := &cc.Contacts[i]
			if ct.Done {
				continue
			}
			pending = true
			if x.isCalling(cc.Name, ct.Number) {
				continue // its end changes the campaign
			}
			if now.Before(ct.NextAt) {
				if idle.until.IsZero() || ct.NextAt.Before(idle.until) {
					idle.until = ct.NextAt
				}
				continue
			}
			if free <= 0 {
				idle.rev = 0 // due now: look again once a line is free
				continue
			}
			if why := mayNotCall(p, dnc, ct.Number, class); why != "" {
				ct.Result, ct.Done, changed = why, true, true
				continue
			}
			ct.Attempts++
			ct.LastAt, ct.NextAt = now, time.Time{}
			picks = append(picks, *ct)
			free--
		}
		if !pending && up == 0 {
			cc.State, changed = store.CampaignCompleted, true
			x.log.Info("campaign completed", "campaign", cc.Name)
		}
		if !changed && len(picks) == 0 {
			return errUnchanged
		}
		return nil
	})
	x.dial.mu.Lock()
	if errors.Is(err, errUnchanged) && idle.rev != 0 {
		if idle.until.IsZero() {
			// Only contacts being called are left: the end of each call
			// forgets the mark; look again in a while all the same.
			idle.until = now.Add(time.Minute)
		}
		x.dial.idle[c.Name] = idle
	} else {
		delete(x.dial.idle, c.Name)
	}
	x.dial.mu.Unlock()
	if err != nil {
		if !errors.Is(err, errNotActive) && !errors.Is(err, errUnchanged) {
			x.log.Error("campaign: cannot take its contacts", "campaign", c.Name, "err", err)
		}
		return
	}
	for _, ct := range picks {
		x.callContact(c, class, ct)
	}
}

// isCalling reports whether the campaign has a call up to number.
func (x *Exchange) isCalling(campaign, number string) bool {
	x.dial.mu.Lock()
	defer x.dial.mu.Unlock()
	return x.dial.calling[campaign+"|"+number]
}

// doNotCall is the do-not-call list as a set.
func (x *Exchange) doNotCall() (map[string]bool, error) {
	l, err := x.dial.db.DoNotCallList()
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(l))
	for _, d := range l {
		set[d.Number] = true
	}
	return set, nil
}

// mayNotCall says why number must not be called ("": it may be): a
// blacklist names it, it is on the do-not-call list, or no route takes
// it within the class.
func mayNotCall(p *plan, dnc map[string]bool, number string, class dialplan.Class) string {
	for _, l := range p.routeLists {
		if l.Action == dialplan.ActionReject && l.Match(number) {
			return store.ContactBlacklist
		}
	}
	if dnc[number] {
		return store.ContactDoNotCall
	}
	if p.dialable(number, class) != 0 {
		return store.ContactNoRoute
	}
	return ""
}

// blockCampaign sets campaign name blocked, saying why.
func (x *Exchange) blockCampaign(name, why string) {
	x.log.Warn("campaign blocked", "campaign", name, "why", why)
	_, err := x.dial.db.ChangeCampaign(name, func(c *store.Campaign) error {
		c.State, c.BlockedReason = store.CampaignBlocked, why
		return nil
	})
	if err != nil {
		x.log.Error("campaign: cannot block it", "campaign", name, "err", err)
	}
}

// contactCall is how one call to a contact went, set by the call's
// script once the contact answered.
type contactCall struct {
	result string
}

// callContact places the call to contact ct and, once it ended, writes
// its result back.
func (x *Exchange) callContact(c store.Campaign, class dialplan.Class, ct store.CampaignContact) {
	key := c.Name + "|" + ct.Number
	cc := &contactCall{}
	h, err := x.originate(origination{
		To:      dest{Kind: dialplan.DestNumber, Value: ct.Number},
		Class:   class,
		Caller:  channel.CallerID{Number: c.CallerID},
		For:     channel.CallerID{Number: c.CallerID, Name: "campaign " + c.Name},
		RingFor: c.Ring(),
		Origin:  store.OriginCampaign, By: "campaign:" + c.Name, Callee: ct.Number,
		Then: func(r router) (*leg, channel.Cause) {
			return r.campaignAnswered(c, ct.Number, cc)
		},
	})
	if err != nil {
		return // the exchange is stopping; the contact is tried again at the next start
	}
	x.dial.mu.Lock()
	x.dial.up[c.Name]++
	x.dial.calling[key] = true
	x.callWG.Add(1)
	x.dial.mu.Unlock()
	x.log.Info("campaign call", "campaign", c.Name, "number", ct.Number, "attempt", ct.Attempts, "call", h.ID())
	go func() {
		defer x.callWG.Done()
		<-h.Done()
		answered, cause := h.Result()
		result := cc.result
		if !answered {
			result = contactResult(cause)
		} else if result == "" {
			result = store.ContactHungUp
		}
		x.contactDone(c.Name, ct.Number, h.ID(), result)
		x.dial.mu.Lock()
		x.dial.up[c.Name]--
		delete(x.dial.calling, key)
		delete(x.dial.idle, c.Name) // a line is free and the contact's result is in
		x.dial.mu.Unlock()
	}()
}

// contactResult is the result of a call the contact did not answer.
func contactResult(cause channel.Cause) string {
	switch cause {
	case channel.CauseBusy:
		return store.ContactBusy
	case channel.CauseNoAnswer:
		return store.ContactNoAnswer
	case channel.CauseForbidden, channel.CauseNotFound:
		return store.ContactNoRoute
	}
	return store.ContactFailed
}

// contactDone writes a call's result to its contact: retried later by
// the campaign's rule for it, or done.
func (x *Exchange) contactDone(campaign, number, callID, result string) {
	now := x.now()
	_, err := x.dial.db.ChangeCampaign(campaign, func(c *store.Campaign) error {
		for i := range c.Contacts {
			ct := &c.Contacts[i]
			if ct.Number != number {
				continue
			}
			ct.Result, ct.CallID, ct.Done = result, callID, true
			if rule, retried := c.Retry.For(result); retried && ct.Attempts-1 < rule.Times {
				ct.Done, ct.NextAt = false, now.Add(time.Duration(rule.AfterS)*time.Second)
			}
			return nil
		}
		return store.ErrNotFound // the contact was removed meanwhile
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		x.log.Error("campaign: the result is not saved", "campaign", campaign, "number", number, "result", result, "err", err)
		return
	}
	x.log.Info("campaign call ended", "campaign", campaign, "number", number, "result", result)
}

// amdWait bounds the wait for the answering-machine detector (it
// decides within dsp.AMDTotal frames of audio; a leg that sends none
// is taken for a person after this).
const amdWait = 6 * time.Second

// machineGreetingMax bounds the wait for a machine's greeting to end
// before the message is played anyway.
const machineGreetingMax = 30 * time.Second

// campaignAnswered is the script of a campaign's call once the contact
// answered: tell a machine from a person, then the message and its
// keys, to the contact at number. It sets cc.result.
func (r router) campaignAnswered(c store.Campaign, number string, cc *contactCall) (*leg, channel.Cause) {
	r.c.setState("campaign")
	k := r.keypad(r.in)
	machine := false
	if c.Machine() != store.MachineIgnore {
		res, why, ok := r.listenForMachine(k)
		if !ok {
			cc.result = store.ContactHungUp
			return nil, k.cause()
		}
		r.c.step("amd", r.in, res.String(), why)
		r.log.Info("campaign: who answered", "campaign", c.Name, "amd", res, "why", why)
		machine = res == dsp.AMDMachine
	}
	if machine {
		cc.result = store.ContactMachine
		if c.Machine() == store.MachineHangup {
			return nil, channel.CauseNormal
		}
		if !r.waitQuiet(k, time.Second, machineGreetingMax) {
			return nil, k.cause()
		}
		if cause := r.playPrompts(r.keypad(r.in), c.Prompts, "campaign "+c.Name); cause != 0 {
			return nil, cause
		}
		return nil, channel.CauseNormal
	}
	if c.AnswerQueue != "" {
		cc.result = store.ContactConnected
		r.c.step("campaign", r.in, "queue:"+c.AnswerQueue, "answered")
		return r.next().reach(dest{Kind: dialplan.DestQueue, Value: c.AnswerQueue})
	}
	cc.result = store.ContactHungUp
	menu := c.OperatorQueue != "" || c.OptOutKey
	for _, pr := range c.Prompts {
		src, err := r.x.promptSource(pr, k.lang)
		if err != nil {
			r.log.Warn("prompt skipped", "in", "campaign "+c.Name, "err", err)
			continue
		}
		if menu {
			if !k.play(src) {
				return nil, k.cause()
			}
			if len(k.typed) > 0 {
				break
			}
		} else if !k.playThrough(src) {
			return nil, k.cause()
		}
	}
	cc.result = store.ContactAnswered
	if !menu {
		return nil, channel.CauseNormal
	}
	key, ok := k.key()
	if !ok {
		return nil, k.cause()
	}
	switch {
	case key == '1' && c.OperatorQueue != "":
		cc.result = store.ContactOperator
		r.c.step("campaign", r.in, "queue:"+c.OperatorQueue, "key 1")
		return r.next().reach(dest{Kind: dialplan.DestQueue, Value: c.OperatorQueue})
	case key == '9' && c.OptOutKey:
		cc.result = store.ContactOptedOut
		if _, err := r.x.dial.db.AddDoNotCall(number, "opted out in campaign "+c.Name, r.x.now()); err != nil {
			r.log.Error("campaign: the opt-out is not saved", "number", number, "err", err)
		}
		r.c.step("campaign", r.in, "do-not-call", "key 9")
		k.sayThrough(prompts.Goodbye)
	}
	return nil, channel.CauseNormal
}

// listenForMachine feeds what the answered leg says to an answering-
// machine detector until it decides; false when the leg hung up.
func (r router) listenForMachine(k *keypad) (dsp.AMDResult, string, bool) {
	amd := dsp.NewAMD()
	decided := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	stop := r.listen(func(f []int16) {
		mu.Lock()
		res := amd.Frame(f)
		mu.Unlock()
		if res != dsp.AMDUndecided {
			once.Do(func() { close(decided) })
		}
	})
	defer stop()
	if !k.waitFor(decided, amdWait) {
		return dsp.AMDUndecided, "", false
	}
	mu.Lock()
	defer mu.Unlock()
	res, why := amd.Result()
	if res == dsp.AMDUndecided {
		return dsp.AMDHuman, "no audio: taken for a person", true
	}
	return res, why, true
}

// waitQuiet waits until the leg has been quiet for quiet (a machine's
// greeting ended), at most longest; false when it hung up.
func (r router) waitQuiet(k *keypad, quiet, longest time.Duration) bool {
	talker := dsp.NewActivityDetector(vmSilenceDBm0)
	done := make(chan struct{})
	var once sync.Once
	need, still := int(quiet/frameTime), 0
	stop := r.listen(func(f []int16) {
		if talker.Active(f) {
			still = 0
			return
		}
		if still++; still >= need {
			once.Do(func() { close(done) })
		}
	})
	defer stop()
	return k.waitFor(done, longest)
}

// listen hands each frame the call's party sends to fn (on the media
// clock: fn must be quick and must not block) until stop.
func (r router) listen(fn func(f []int16)) (stop func()) {
	br := r.solo(r.in)
	id := r.in.info.ID
	if err := br.Listen(id, media.SinkFunc(func(f *media.Frame) { fn(f.Linear()[:]) })); err != nil {
		r.log.Warn("campaign: cannot listen to the party", "err", err)
		return func() {}
	}
	return func() { _ = br.Listen(id, nil) }
}

// waitFor waits until done closes or d passes; false when the leg hung
// up (keys pressed meanwhile are kept).
func (k *keypad) waitFor(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		ev, why, ok := k.event(t.C, done)
		if !ok {
			return false
		}
		if why == timedOut || why == doneFired {
			return true
		}
		if ev.Type == channel.EventDigit {
			k.typed = append(k.typed, ev.Digit)
		}
	}
}
