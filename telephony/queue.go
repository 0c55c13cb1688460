package telephony

import (
	"context"
	"slices"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/dialplan"
	"minipbx/telephony/prompts"
	"minipbx/telephony/store"
)

// queueState is one queue's live state: its callers in order of arrival
// and its agents' availability.
type queueState struct {
	waiting []string             // call ids, head first
	vip     map[string]bool      // callers that go ahead of the others
	busy    map[string]bool      // agents in a call from this queue
	restEnd map[string]time.Time // agents in their wrap-up time until then
}

func (x *Exchange) queue(name string) *queueState {
	if x.dp.queues == nil {
		x.dp.queues = map[string]*queueState{}
	}
	q := x.dp.queues[name]
	if q == nil {
		q = &queueState{busy: map[string]bool{}, restEnd: map[string]time.Time{}, vip: map[string]bool{}}
		x.dp.queues[name] = q
	}
	return q
}

// queueJoin puts call id at the end of the queue, or, for a VIP caller,
// behind the VIP callers already waiting and ahead of everyone else.
func (x *Exchange) queueJoin(name, id string, vip bool) {
	x.dp.mu.Lock()
	defer x.dp.mu.Unlock()
	q := x.queue(name)
	if !vip {
		q.waiting = append(q.waiting, id)
		return
	}
	q.vip[id] = true
	i := 0
	for i < len(q.waiting) && q.vip[q.waiting[i]] {
		i++
	}
	q.waiting = slices.Insert(q.waiting, i, id)
}

// queueLeave takes call id out of the queue.
func (x *Exchange) queueLeave(name, id string) {
	x.dp.mu.Lock()
	defer x.dp.mu.Unlock()
	q := x.queue(name)
	q.waiting = slices.DeleteFunc(q.waiting, func(s string) bool { return s == id })
	delete(q.vip, id)
}

// queuePosition is call id's 1-based place in the queue (0: not in it).
func (x *Exchange) queuePosition(name, id string) int {
	x.dp.mu.Lock()
	defer x.dp.mu.Unlock()
	return slices.Index(x.queue(name).waiting, id) + 1
}

// freeAgents returns the members not in a queue call nor resting at now.
func (x *Exchange) freeAgents(name string, members []string, now time.Time) []string {
	x.dp.mu.Lock()
	defer x.dp.mu.Unlock()
	q := x.queue(name)
	var out []string
	for _, m := range members {
		if !q.busy[m] && !now.Before(q.restEnd[m]) {
			out = append(out, m)
		}
	}
	return out
}

// agentTaken marks agent busy with a queue call; the returned function
// frees it for the next call after wrap-up.
func (x *Exchange) agentTaken(name, agent string, wrapUp time.Duration) func() {
	x.dp.mu.Lock()
	x.queue(name).busy[agent] = true
	x.dp.mu.Unlock()
	return func() {
		x.dp.mu.Lock()
		q := x.queue(name)
		delete(q.busy, agent)
		q.restEnd[agent] = x.now().Add(wrapUp)
		x.dp.mu.Unlock()
	}
}

// queuePoll is how often a waiting caller looks for a free agent, and
// queueRetry the least time between two rounds of ringing the agents.
const (
	queuePoll  = 100 * time.Millisecond
	queueRetry = time.Second
)

// reachQueue answers the caller, keeps them in the queue with music on
// hold and position announcements, and rings free agents when they are at
// its head, until an agent answers or the maximum wait.
func (x *Exchange) reachQueue(ctx context.Context, c *call, p *plan, q store.Queue, caller channel.CallerID, hops int) (channel.Channel, channel.Cause) {
	release, ok := x.acquire("queue:"+q.Name, q.MaxCallers)
	if !ok {
		x.log.Info("queue full", "call", c.id, "queue", q.Name, "max_callers", q.MaxCallers)
		return nil, channel.CauseBusy
	}
	c.hold(release)
	if !c.inAnswered {
		if err := c.in.Answer(ctx); err != nil {
			return nil, channel.CauseFailure
		}
		c.inAnswered = true
	}
	c.set(func(c *call) { c.state = "queued" })
	x.publish("call")
	x.queueJoin(q.Name, c.id, c.vip)
	left := false
	leave := func() {
		if !left {
			left = true
			x.queueLeave(q.Name, c.id)
		}
	}
	defer leave()

	// Music on hold and announcements, owned by this function.
	mohCtx, stopMOH := context.WithCancel(ctx)
	mohDone := make(chan struct{})
	go func() {
		defer close(mohDone)
		play(mohCtx, c.in.Media(), x.holdSource(c, q))
	}()
	stop := func() { stopMOH(); <-mohDone }
	defer stop()
	c.inQueue = true
	defer func() { c.inQueue = false }()

	wait := time.Duration(q.MaxWaitS) * time.Second
	if wait <= 0 {
		wait = store.DefaultQueueWaitS * time.Second
	}
	deadline := x.now().Add(wait)
	strategy, err := dialplan.ParseStrategy(q.Strategy)
	if err != nil {
		strategy = dialplan.RingAll
	}
	dist := x.distributor("queue:"+q.Name, strategy)
	keys := make([]string, len(q.Members))
	ringFor := map[string]time.Duration{}
	for i, m := range q.Members {
		keys[i] = m.Destination
		ringFor[m.Destination] = ringTime(m.RingS)
	}
	tick := time.NewTicker(queuePoll)
	defer tick.Stop()
	// nextTry spaces the rounds of ringing: agents who all refuse at once
	// (busy) are tried again a second later, not on every poll.
	var nextTry time.Time
	for x.now().Before(deadline) {
		if x.queuePosition(q.Name, c.id) == 1 && !x.now().Before(nextTry) {
			nextTry = x.now().Add(queueRetry)
			for _, wave := range dist.Waves(x.freeAgents(q.Name, keys, x.now())) {
				left := deadline.Sub(x.now())
				if left <= 0 {
					break
				}
				out, cause, member := x.ringWave(ctx, c, p, wave, ringFor, left, caller)
				if out != nil {
					dist.Answered(member, x.now())
					c.hold(x.agentTaken(q.Name, member, time.Duration(q.WrapUpS)*time.Second))
					leave()
					stop()
					return out, 0
				}
				if final(ctx, cause) {
					return nil, cause
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil, channel.CauseNormal
		case ev, ok := <-c.in.Events():
			if !ok || ev.Type == channel.EventHangup {
				c.set(func(c *call) { c.disposition = "abandoned" })
				return nil, channel.CauseCancelled
			}
		case <-tick.C:
		}
	}
	x.log.Info("queue wait over", "call", c.id, "queue", q.Name)
	leave()
	stop()
	c.inQueue = false
	if q.Timeout != "" {
		if d, err := dialplan.ParseDestination(q.Timeout); err == nil {
			return x.reach(ctx, c, p, d, dialplan.ClassInternational, caller, hops+1)
		}
	}
	return nil, channel.CauseNoAnswer
}

// ringWave rings one wave of group or queue members for at most limit.
func (x *Exchange) ringWave(ctx context.Context, c *call, p *plan, wave []string, ringFor map[string]time.Duration, limit time.Duration, caller channel.CallerID) (channel.Channel, channel.Cause, string) {
	var ts []target
	var wait time.Duration
	var outside []dialplan.Destination
	for _, m := range wave {
		d, err := dialplan.ParseDestination(m)
		if err != nil {
			continue
		}
		mts, internal := x.memberTargets(c, p, d)
		if !internal {
			outside = append(outside, d)
			continue
		}
		ts = append(ts, mts...)
		wait = max(wait, ringFor[m])
	}
	wait = min(wait, limit)
	var out channel.Channel
	cause := channel.CauseNoAnswer
	var member string
	if len(ts) > 0 {
		out, cause, member = x.ring(ctx, c, ts, wait, caller)
	}
	for _, d := range outside {
		if out != nil || final(ctx, cause) {
			break
		}
		out, cause = x.outbound(ctx, c, p, d.Value, dialplan.ClassInternational, caller, min(ringFor[d.String()], limit))
		member = d.String()
	}
	return out, cause, member
}

// defaultHold is music on hold when a queue names none: a soft beep every
// five seconds, so callers know they are still connected.
var defaultHold = []store.Prompt{{Tone: "440/200,0/4800", MS: 5000}}

// holdSource loops the queue's music on hold, and every AnnounceEveryS
// breaks in with the caller's position ("You are caller number 3 in line
// …"); the music then goes on where it stopped. An announcement still
// playing when the next falls due is not cut short: that one is skipped.
func (x *Exchange) holdSource(c *call, q store.Queue) source {
	moh := q.MusicOnHold
	if len(moh) == 0 {
		moh = defaultHold
	}
	every := int(time.Duration(q.AnnounceEveryS) * time.Second / frameTime)
	i, frames := 0, 0
	var music, announce source
	failures := 0
	return func(out []int16) bool {
		frames++
		if every > 0 && frames%every == 0 && announce == nil {
			announce = x.positionSource(c, x.queuePosition(q.Name, c.id))
		}
		if announce != nil {
			if announce(out) {
				return true
			}
			announce = nil
		}
		for {
			if music != nil && music(out) {
				return true
			}
			if failures > len(moh) {
				// No prompt plays at all: fall back to the default.
				moh, failures = defaultHold, 0
			}
			src, err := x.promptSource(moh[i%len(moh)])
			i++
			if err != nil {
				failures++
				x.log.Warn("music on hold prompt skipped", "call", c.id, "queue", q.Name, "err", err)
				music = nil
				continue
			}
			failures = 0
			music = src
		}
	}
}

// positionSource speaks a queue position: "You are caller number" N "in
// line. Please stay on the line; …" (voice prompts, each replaceable in
// the prompts directory). Should the prompts fail to load, N short beeps
// say it instead: the caller is never left without word.
func (x *Exchange) positionSource(c *call, n int) source {
	if n < 1 {
		return nil
	}
	names := append([]string{prompts.QueueCallerNumber}, prompts.Number(n)...)
	src, err := x.speech(append(names, prompts.QueueInLine)...)
	if err == nil {
		return src
	}
	x.log.Warn("queue position announcement: prompts missing; beeping", "call", c.id, "err", err)
	src, _ = toneSource("1000/150,0/150", time.Duration(min(n, 9))*300*time.Millisecond)
	return src
}
