package telephony

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// call is one call: the script that runs the dial plan for the leg that
// started it, the legs it owns now, and its record — the path of its legs,
// who talked to whom, when, and why the call moved.
//
// Everything a call's script waits for arrives in its inbox: the events of
// every leg it owns, and messages from other calls (a phone picking the
// call up, a parked call's retrieval, an attended transfer's handoff) and
// from the operator's view. One goroutine — the script — reads it.
type call struct {
	x       *Exchange
	id      string
	started time.Time
	log     *slog.Logger
	box     inbox
	// done is closed once the call ended (its record is written).
	done chan struct{}

	mu sync.Mutex
	// first is the leg that started the call; in and out are the two
	// parties shown on the status page now.
	first       *leg
	in, out     *leg
	caller      channel.CallerID
	callee      string
	state       string // dialling, ringing, answered, menu, queued, held, parked, conference
	answered    time.Time
	disposition string
	// legs are every leg that took part, in the order they joined.
	legs []*leg
	path []store.CallStep
	// releases free the call's places under concurrent-call limits when
	// it ends.
	releases []func()
	// merged: the call's only leg went into another call (a pickup, a
	// parked call's retrieval), whose record tells the story.
	merged bool
	// vip is set for a caller a "first" classifier matched: ahead of
	// the others in queues.
	vip bool
	// moh is the music-on-hold class of the inbound route the call came
	// in by ("" none); route is that route's name, queue the queue an
	// agent answered the call from (the recording policy).
	moh, route, queue string
	// outRoute is the outbound route the call took (its tariff prices
	// the call); queues the queues the caller waited in; voicemail the
	// message it left ("BOX/ID"). The records' search and statistics
	// read them.
	outRoute  string
	queues    []store.QueueVisit
	voicemail string
	// fax is the fax the box received on the call (fax.go).
	fax *store.FaxOutcome
	// rec is the recording in progress (record.go); recordings are the
	// IDs of those kept.
	rec        *recorder
	recordings []string
	// came are the legs whose coming into the call the path tells
	// (answered, picked up, taken back); held the legs on hold now.
	came map[*leg]bool
	held map[*leg]bool
	// origin says who placed a call the box made on someone's behalf
	// (store.OriginAPI, store.OriginCallback; "" a caller's call); disa
	// the DISA a caller dialled out through. toldAnswered: the answered
	// event went out.
	origin, disa string
	toldAnswered bool
}

// msg is what a call's inbox holds: an event of one of its legs, or a
// control message (ctl) from another call or the operator.
type msg struct {
	leg *leg
	ev  channel.Event
	ctl any
}

// inbox is an unbounded queue: posting never blocks the poster (a leg's
// pump, another call), and a leg's pending events can be moved to a new
// owner with it.
type inbox struct {
	mu   sync.Mutex
	q    []msg
	wake chan struct{} // one token: something was posted
}

func (b *inbox) init() { b.wake = make(chan struct{}, 1) }

func (b *inbox) post(m msg) {
	b.mu.Lock()
	b.q = append(b.q, m)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *inbox) take() (msg, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.q) == 0 {
		return msg{}, false
	}
	m := b.q[0]
	b.q[0] = msg{}
	b.q = b.q[1:]
	return m, true
}

// extract removes and returns the queued events of leg l.
func (b *inbox) extract(l *leg) []msg {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []msg
	b.q = slices.DeleteFunc(b.q, func(m msg) bool {
		if m.leg == l && m.ctl == nil {
			out = append(out, m)
			return true
		}
		return false
	})
	return out
}

// waitResult says why recv returned.
type waitResult int

const (
	gotMsg    waitResult = iota
	timedOut             // the timer fired
	doneFired            // the done channel closed
	cancelled            // the call's context ended (shutdown)
)

// recv waits for the next message of the call, the timer, done, or the
// end of ctx. A nil timer or done never fires.
func (c *call) recv(ctx context.Context, timer <-chan time.Time, done <-chan struct{}) (msg, waitResult) {
	for {
		if m, ok := c.box.take(); ok {
			return m, gotMsg
		}
		select {
		case <-c.box.wake:
		case <-timer:
			return msg{}, timedOut
		case <-done:
			return msg{}, doneFired
		case <-ctx.Done():
			return msg{}, cancelled
		}
	}
}

// took notes that l takes part in the call.
func (c *call) took(l *leg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.legs, l) {
		c.legs = append(c.legs, l)
	}
}

// step adds an event to the call's path.
func (c *call) step(event string, party *leg, to, by string) {
	s := store.CallStep{Time: c.x.now(), Event: event, To: to, By: by}
	if party != nil {
		s.Party = party.name
	}
	c.mu.Lock()
	c.path = append(c.path, s)
	tell := false
	switch event {
	case "answered", "picked-up", "retrieved":
		if party != nil {
			if c.came == nil {
				c.came = map[*leg]bool{}
			}
			c.came[party] = true
		}
		tell = event != "retrieved" && !c.toldAnswered
		c.toldAnswered = c.toldAnswered || tell
	case "held", "resumed":
		if party != nil {
			if c.held == nil {
				c.held = map[*leg]bool{}
			}
			c.held[party] = event == "held"
		}
	}
	c.mu.Unlock()
	c.x.publish("call")
	if tell {
		c.x.callEvent(c, EventAnswered, nil, nil)
	}
}

// hold keeps a limit's place until the call ends.
func (c *call) hold(release func()) {
	c.mu.Lock()
	c.releases = append(c.releases, release)
	c.mu.Unlock()
}

func (c *call) set(f func(c *call)) {
	c.mu.Lock()
	f(c)
	c.mu.Unlock()
}

// setState changes the state the status page shows.
func (c *call) setState(s string) {
	c.mu.Lock()
	changed := c.state != s
	c.state = s
	c.mu.Unlock()
	if changed {
		c.x.publish("call")
	}
}

// setParties changes who the status page shows talking.
func (c *call) setParties(in, out *leg) {
	c.mu.Lock()
	c.in, c.out = in, out
	c.mu.Unlock()
	c.x.publish("call")
}

// dispose sets the call's disposition once (the first outcome wins).
func (c *call) dispose(d string) {
	c.mu.Lock()
	if c.disposition == "" {
		c.disposition = d
	}
	c.mu.Unlock()
}

func (c *call) status() CallStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := CallStatus{ID: c.id, Caller: c.caller, Callee: c.callee, State: c.state, Started: c.started, Answered: c.answered}
	if c.in != nil {
		s.From = c.in.name
		s.FromLeg = c.in.info.ID
	} else if c.first != nil {
		s.From = c.first.name
		s.FromLeg = c.first.info.ID
	}
	if c.out != nil {
		s.To = c.out.name
		s.ToLeg = c.out.info.ID
	}
	for l, on := range c.held {
		if on && !l.isEnded() {
			s.Held = append(s.Held, l.info.ID)
		}
	}
	slices.Sort(s.Held)
	s.Path = append(s.Path, c.path...)
	return s
}

// owned lists the legs the call owns now that have not ended.
func (c *call) owned() []*leg {
	c.mu.Lock()
	legs := slices.Clone(c.legs)
	c.mu.Unlock()
	var out []*leg
	for _, l := range legs {
		if l.ownedBy(c) && !l.isEnded() {
			out = append(out, l)
		}
	}
	return out
}

// newCall registers a call for an inbound channel.
func (x *Exchange) newCall(ch channel.Channel) *call {
	info := ch.Info()
	c := x.registerCall(info.Caller, info.Dialled, legName(info))
	l := x.adopt(ch, c)
	l.setParty(info.Caller.Number, "")
	c.first, c.in = l, l
	x.publish("call")
	return c
}

// registerCall makes a call known to the exchange.
func (x *Exchange) registerCall(caller channel.CallerID, callee, from string) *call {
	x.mu.Lock()
	x.seq++
	c := &call{x: x, id: fmt.Sprintf("c%d", x.seq), started: x.now(), caller: caller, callee: callee, state: "dialling"}
	c.box.init()
	c.done = make(chan struct{})
	x.calls[c.id] = c
	x.mu.Unlock()
	c.log = x.log.With("call", c.id, "from", from)
	return c
}

// spawn runs fn as the script of a new call for an existing leg l, which
// is handed to it: a party that goes on alone, such as one added to a
// conference. The new call's record starts with l.
func (x *Exchange) spawn(l *leg, caller channel.CallerID, callee string, fn func(r router)) {
	x.mu.Lock()
	if x.callCtx.Err() != nil {
		x.mu.Unlock()
		l.hangup(channel.CauseNormal)
		return
	}
	x.callWG.Add(1)
	x.mu.Unlock()
	c := x.registerCall(caller, callee, l.name)
	c.first, c.in = l, l
	l.leaveBridge()
	l.give(c)
	x.publish("call")
	go func() {
		defer x.callWG.Done()
		defer x.endCall(c)
		r := x.newRouter(x.callCtx, c, l)
		r.caller = caller
		fn(r)
	}()
}

// endCall hangs up every leg the call still owns, writes its record and
// forgets it.
func (x *Exchange) endCall(c *call) {
	c.stopRecording()
	for _, l := range c.owned() {
		l.leaveBridge()
		l.hangup(channel.CauseNormal)
	}
	c.mu.Lock()
	releases := c.releases
	c.releases = nil
	end := x.now()
	rec := store.CallRecord{
		Start:       c.started,
		Answer:      c.answered,
		End:         end,
		Caller:      c.caller.Number,
		CallerName:  c.caller.Name,
		Callee:      c.callee,
		Source:      c.first.name,
		Disposition: c.disposition,
		Path:        c.path,
		Route:       c.outRoute,
		Queues:      c.queues,
		Voicemail:   c.voicemail,
		Fax:         c.fax,
		Origin:      c.origin,
		DISA:        c.disa,
	}
	if len(c.recordings) > 0 {
		rec.Recording = c.recordings[0]
	}
	if c.origin != "" && c.outRoute != "" {
		// The box called out (a caller called back on a line is not an
		// incoming call).
		rec.Direction = store.DirectionOut
	}
	// The destination is the last party that answered someone.
	for _, l := range c.legs {
		l.mu.Lock()
		leg := store.CallLeg{Name: l.name, Number: l.party, Extension: l.ext, Start: l.started, Answer: l.answered, End: l.ended}
		l.mu.Unlock()
		if leg.End.IsZero() || leg.End.After(end) {
			leg.End = end
		}
		if leg.Start.Before(c.started) {
			leg.Start = c.started
		}
		rec.Legs = append(rec.Legs, leg)
		if l != c.first && !leg.Answer.IsZero() {
			rec.Destination = l.name
		}
	}
	merged := c.merged
	c.mu.Unlock()
	for _, r := range releases {
		r()
	}
	if rec.Caller == "" && c.first.info.Caller.Withheld != "" {
		rec.Caller = c.first.info.Caller.String()
	}
	if rec.Disposition == "" {
		rec.Disposition = "failed"
	}
	if !rec.Answer.IsZero() {
		rec.DurationS = int(rec.End.Sub(rec.Answer).Round(time.Second) / time.Second)
	}
	if !merged {
		stored, err := x.store.AppendCallRecord(rec)
		if err != nil {
			x.log.Error("call record not written", "call", c.id, "err", err)
			stored = rec
		}
		x.callEvent(c, EventEnded, nil, &stored)
	}
	x.mu.Lock()
	delete(x.calls, c.id)
	x.mu.Unlock()
	close(c.done)
	// Requests that came too late are answered no.
	for {
		m, ok := c.box.take()
		if !ok {
			break
		}
		if m.ctl != nil {
			refuseCtl(m.ctl)
		}
	}
	x.publish("call")
}

// disposition names a cause as call records do.
func disposition(c channel.Cause) string {
	switch c {
	case channel.CauseNormal:
		return "answered"
	case channel.CauseFailure:
		return "failed"
	}
	return c.String()
}
