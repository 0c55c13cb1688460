package dialplan

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// DistributorState is a Distributor's memory on its own, for keeping it
// across restarts: a box that forgot who answered last would start every
// round robin over at the first member and make the least recent and
// fewest-calls orders unfair after each restart.
type DistributorState struct {
	Strategy Strategy `json:"strategy"`
	// LastCall is when each member last answered (leastrecent).
	LastCall map[string]time.Time `json:"last_call,omitempty"`
	// Calls is how many calls each member answered (fewestcalls).
	Calls map[string]int `json:"calls,omitempty"`
	// LastAnswered is the member the round robin continues after (rrmemory).
	LastAnswered string `json:"last_answered,omitempty"`
}

// State returns a copy of the distributor's memory, keeping only members
// (nil: every member it remembers), so that removed members are not kept
// for ever.
func (d *Distributor) State(members []string) DistributorState {
	d.mu.Lock()
	defer d.mu.Unlock()
	keep := func(m string) bool { return members == nil || slices.Contains(members, m) }
	st := DistributorState{Strategy: d.strategy, LastCall: map[string]time.Time{}, Calls: map[string]int{}}
	for m, t := range d.lastCall {
		if keep(m) {
			st.LastCall[m] = t
		}
	}
	for m, n := range d.calls {
		if keep(m) {
			st.Calls[m] = n
		}
	}
	if keep(d.lastAnswered) {
		st.LastAnswered = d.lastAnswered
	}
	return st
}

// RestoreDistributor makes a distributor with a saved memory. It checks
// the state (a known strategy, no negative counts) since it comes from
// storage that may be damaged.
func RestoreDistributor(st DistributorState, intn func(n int) int) (*Distributor, error) {
	if _, err := ParseStrategy(string(st.Strategy)); err != nil {
		return nil, err
	}
	for m, n := range st.Calls {
		if n < 0 {
			return nil, fmt.Errorf("member %q: negative call count %d", m, n)
		}
	}
	d := NewDistributor(st.Strategy, intn)
	maps.Copy(d.lastCall, st.LastCall)
	maps.Copy(d.calls, st.Calls)
	d.lastAnswered = st.LastAnswered
	return d, nil
}

// OnChange sets f to be called after each change of the distributor's
// memory (an answered call), outside its lock; nil stops it.
func (d *Distributor) OnChange(f func()) {
	d.mu.Lock()
	d.changed = f
	d.mu.Unlock()
}
