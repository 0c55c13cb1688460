package telephony

import (
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// runtime is the dial plan's memory across calls and configuration
// changes: ring-group distributors, line-group round robins, and the
// counters behind concurrent-call limits.
type runtime struct {
	mu     sync.Mutex
	plan   *plan
	dists  map[string]*dialplan.Distributor
	rr     map[string]int
	active map[string]int
	queues map[string]*queueState
	// intn is the random source of the random strategy (tests replace it).
	intn func(n int) int
	// refuseTone is how long an answered caller hears the tone of a
	// refusal (defaultRefuseTone when 0; tests shorten it).
	refuseTone time.Duration
	// mem saves the strategies' memory across restarts (memory.go).
	mem memory
}

// plan returns the compiled plan of cfg, compiling it on first use.
func (x *Exchange) plan(cfg *store.Config) *plan {
	rt := &x.dp
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.plan != nil && rt.plan.cfg == cfg {
		return rt.plan
	}
	p, err := compilePlan(cfg)
	if err != nil {
		x.log.Error("dial plan", "err", err)
	}
	if p == nil {
		// Nothing compiles: an empty numbering plan refuses every number.
		p = &plan{cfg: cfg}
		p.numbers, _ = dialplan.NewPlan(nil)
	}
	rt.plan = p
	return p
}

// distributor returns the memory of ring group name for strategy (a new
// one when the strategy changed).
func (x *Exchange) distributor(name string, s dialplan.Strategy) *dialplan.Distributor {
	rt := &x.dp
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.dists == nil {
		rt.dists = map[string]*dialplan.Distributor{}
	}
	d := rt.dists[name]
	if d == nil || d.Strategy() != s {
		d = dialplan.NewDistributor(s, x.intnLocked())
		d.OnChange(x.memoryChanged)
		rt.dists[name] = d
	}
	return d
}

// intnLocked is the random source of new distributors (rt.mu held).
func (x *Exchange) intnLocked() func(n int) int {
	if x.dp.intn != nil {
		return x.dp.intn
	}
	return rand.IntN
}

// acquire takes one of max concurrent slots of key (max 0: unlimited),
// returning the release function, or false when all are taken.
func (x *Exchange) acquire(key string, max int) (func(), bool) {
	rt := &x.dp
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.active == nil {
		rt.active = map[string]int{}
	}
	if max > 0 && rt.active[key] >= max {
		return nil, false
	}
	rt.active[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			rt.mu.Lock()
			rt.active[key]--
			rt.mu.Unlock()
		})
	}, true
}

// huntOrder returns the lines of a line group in the order to try them.
func (x *Exchange) huntOrder(g store.LineGroup) []int {
	lines := slices.Clone(g.Lines)
	slices.Sort(lines)
	switch g.Hunt {
	case store.HuntDescending:
		slices.Reverse(lines)
	case store.HuntRoundRobin:
		rt := &x.dp
		rt.mu.Lock()
		if rt.rr == nil {
			rt.rr = map[string]int{}
		}
		last := rt.rr[g.Name]
		rt.mu.Unlock()
		i, _ := slices.BinarySearch(lines, last+1)
		lines = append(lines[i:], lines[:i]...)
	}
	return lines
}

// usedLine records the line a round-robin group used last.
func (x *Exchange) usedLine(group string, line int) {
	x.dp.mu.Lock()
	if x.dp.rr == nil {
		x.dp.rr = map[string]int{}
	}
	changed := x.dp.rr[group] != line
	x.dp.rr[group] = line
	x.dp.mu.Unlock()
	if changed {
		x.memoryChanged()
	}
}
