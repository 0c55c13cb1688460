package telephony

import (
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

// queueApp keeps a caller in a queue: answered, with music on hold and
// position announcements, ringing free agents when the caller is at the
// head, until an agent answers or the maximum wait.
type queueApp struct {
	r router
	q *queueDef
}

// reachQueue puts the router's party in queue q.
func (r router) reachQueue(q *queueDef) (*leg, channel.Cause) { return queueApp{r: r, q: q}.run() }

func (a queueApp) run() (*leg, channel.Cause) {
	r, q, c, x := a.r, a.q, a.r.c, a.r.x
	release, ok := x.acquire("queue:"+q.Name, q.MaxCallers)
	if !ok {
		r.log.Info("queue full", "queue", q.Name, "max_callers", q.MaxCallers)
		return nil, channel.CauseBusy
	}
	c.hold(release)
	if !r.answerIn() {
		return nil, channel.CauseFailure
	}
	c.setState("queued")
	c.mu.Lock()
	vip := c.vip
	c.mu.Unlock()
	x.queueJoin(q.Name, c.id, vip)
	// The visit the call record keeps: abandoned unless an agent took
	// the call or the queue sent the caller on.
	visit := store.QueueVisit{Queue: q.Name, Enter: x.now(), Outcome: store.QueueAbandoned}
	left := false
	leave := func() {
		if !left {
			left = true
			x.queueLeave(q.Name, c.id)
			visit.Leave = x.now()
			c.set(func(c *call) { c.queues = append(c.queues, visit) })
		}
	}
	defer leave()

	// Music on hold and announcements, while the caller waits and while
	// agents ring.
	pb := r.playTo(r.in, a.holdSource())
	stop := func() {
		if pb != nil {
			pb.Stop()
			pb = nil
		}
	}
	defer stop()
	sub := r
	sub.inQueue = true

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
	keys, byKey := memberKeys(q.members)
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
				out, cause, member := sub.ringWave(wave, byKey, left)
				if out != nil {
					dist.Answered(member, x.now())
					c.set(func(c *call) { c.queue = q.Name })
					c.hold(x.agentTaken(q.Name, member, time.Duration(q.WrapUpS)*time.Second))
					visit.Outcome, visit.Agent = store.QueueAnswered, out.extension()
					leave()
					stop()
					return out, 0
				}
				if r.final(cause) {
					return nil, cause
				}
			}
		}
		m, why := c.recv(r.ctx, tick.C, r.in.done)
		switch why {
		case cancelled:
			return nil, channel.CauseNormal
		case doneFired:
			c.dispose("abandoned")
			return nil, channel.CauseCancelled
		case gotMsg:
			r.other(m)
		}
	}
	r.log.Info("queue wait over", "queue", q.Name)
	visit.Outcome = store.QueueTimeout
	leave()
	stop()
	if q.timeout.Kind != "" {
		sub := r.next()
		sub.class = dialplan.ClassInternational
		return sub.reach(q.timeout)
	}
	return nil, channel.CauseNoAnswer
}

// holdSource is the queue's music on hold (its class, else its own
// recordings, else a soft beep), and every AnnounceEveryS it breaks in with
// the caller's position ("You are caller number 3 in line …"); the music
// then goes on where it stopped. An announcement still playing when the
// next falls due is not cut short: that one is skipped.
func (a queueApp) holdSource() source {
	x, c, q, r := a.r.x, a.r.c, a.q, a.r
	var music source
	if cl, ok := r.p.moh[q.MOHClass]; ok && q.MOHClass != "" {
		music = r.mohClass(cl)
	} else {
		music = r.loopPrompts(q.MusicOnHold, false, "queue "+q.Name)
	}
	every := int(time.Duration(q.AnnounceEveryS) * time.Second / frameTime)
	frames := 0
	var announce source
	return func(out []int16) bool {
		frames++
		if every > 0 && frames%every == 0 && announce == nil {
			announce = x.positionSource(c, r.p.lang(q.Language), x.queuePosition(q.Name, c.id))
		}
		if announce != nil {
			if announce(out) {
				return true
			}
			announce = nil
		}
		return music(out)
	}
}

// positionSource speaks a queue position in language l: "You are caller
// number 3 in line. Please stay on the line; …" (voice prompts, each
// replaceable in the prompts directory). Should the prompts fail to
// load, N short beeps say it instead: the caller is never left without
// word.
func (x *Exchange) positionSource(c *call, l prompts.Language, n int) source {
	if n < 1 {
		return nil
	}
	src, err := x.speech(l, l.QueuePosition(n)...)
	if err == nil {
		return src
	}
	x.log.Warn("queue position announcement: prompts missing; beeping", "call", c.id, "err", err)
	src, _ = toneSource("1000/150,0/150", time.Duration(min(n, 9))*300*time.Millisecond)
	return src
}
