package dialplan

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Strategy is how a ring group or queue chooses which members ring.
type Strategy string

const (
	// RingAll rings every member at once.
	RingAll Strategy = "ringall"
	// Linear rings one member at a time in the configured order.
	Linear Strategy = "linear"
	// LeastRecent rings first the member whose last answered call from
	// this group is the oldest (never answered first).
	LeastRecent Strategy = "leastrecent"
	// FewestCalls rings first the member who answered the fewest calls
	// from this group.
	FewestCalls Strategy = "fewestcalls"
	// Random rings members one at a time in a random order.
	Random Strategy = "random"
	// RRMemory rings one at a time, round robin, starting after the member
	// who answered the previous call.
	RRMemory Strategy = "rrmemory"
)

// Strategies lists every strategy.
func Strategies() []Strategy {
	return []Strategy{RingAll, Linear, LeastRecent, FewestCalls, Random, RRMemory}
}

// ParseStrategy checks a strategy name.
func ParseStrategy(s string) (Strategy, error) {
	if slices.Contains(Strategies(), Strategy(s)) {
		return Strategy(s), nil
	}
	return "", fmt.Errorf("unknown ring strategy %q (ringall, linear, leastrecent, fewestcalls, random or rrmemory)", s)
}

// Distributor keeps a ring group's or queue's memory (who answered when,
// how often, where the round robin stands) and orders its members for each
// call. It is safe for concurrent use. Members are identified by a string
// (an extension number, "fxs:2", an outside number).
type Distributor struct {
	strategy Strategy
	// intn returns a uniform random integer in [0, n); injectable so that
	// tests are deterministic.
	intn func(n int) int

	mu       sync.Mutex
	lastCall map[string]time.Time
	calls    map[string]int
	// lastAnswered is the member the round robin continues after.
	lastAnswered string
	// changed, when set, is told after each change of the memory
	// (outside the lock), so that it can be saved (state.go).
	changed func()
}

// NewDistributor returns a distributor for strategy. intn is the random
// source for Random (e.g. rand.IntN); it may be nil for other strategies.
func NewDistributor(s Strategy, intn func(n int) int) *Distributor {
	return &Distributor{strategy: s, intn: intn, lastCall: map[string]time.Time{}, calls: map[string]int{}}
}

// Strategy returns the distributor's strategy.
func (d *Distributor) Strategy() Strategy { return d.strategy }

// Waves returns the order in which members ring: each wave rings at once
// and the next wave starts when it gives up. RingAll gives one wave of
// every member; the other strategies one member per wave. members is the
// configured order; the result never shares memory with it.
func (d *Distributor) Waves(members []string) [][]string {
	if len(members) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	order := slices.Clone(members)
	switch d.strategy {
	case RingAll:
		return [][]string{order}
	case LeastRecent:
		slices.SortStableFunc(order, func(a, b string) int { return d.lastCall[a].Compare(d.lastCall[b]) })
	case FewestCalls:
		slices.SortStableFunc(order, func(a, b string) int { return d.calls[a] - d.calls[b] })
	case Random:
		if d.intn != nil {
			for i := len(order) - 1; i > 0; i-- {
				j := d.intn(i + 1)
				order[i], order[j] = order[j], order[i]
			}
		}
	case RRMemory:
		if i := slices.Index(order, d.lastAnswered); i >= 0 {
			order = append(order[i+1:], order[:i+1]...)
		}
	}
	waves := make([][]string, len(order))
	for i, m := range order {
		waves[i] = []string{m}
	}
	return waves
}

// Answered records that member answered a call from the group at t.
func (d *Distributor) Answered(member string, t time.Time) {
	d.mu.Lock()
	d.lastCall[member] = t
	d.calls[member]++
	d.lastAnswered = member
	changed := d.changed
	d.mu.Unlock()
	if changed != nil {
		changed()
	}
}

// Calls returns how many calls member answered.
func (d *Distributor) Calls(member string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[member]
}
