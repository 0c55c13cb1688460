package telephony

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// The strategies' memory — where each ring group's and queue's round
// robin stands, when each member last answered and how often, which line
// a round-robin line group used last — is saved in the store so that a
// restart (a firmware upgrade, a power cut) does not start every rotation
// over at the first member. It is written behind the calls: a change
// schedules one save memoryFlushDelay later, so a busy box writes the
// flash at most once per delay and a crash loses at most the last
// delay's changes; Shutdown saves what is pending.

// memoryFlushDelay is how long changes wait before they are saved.
const memoryFlushDelay = time.Second

// memoryStore is what saving the memory needs of the store (store.DB
// has it; a store without it keeps the memory in RAM only).
type memoryStore interface {
	LoadRuntime() (map[string][]byte, error)
	SaveRuntime(entries map[string][]byte) error
}

// memory is the write-behind state (in runtime, guarded by runtime.mu
// except where said).
type memory struct {
	st      memoryStore // nil: nothing is saved
	pending *time.Timer // the scheduled save, nil when none
	closed  bool        // after Shutdown: no more saves are scheduled
	// flushes counts scheduled and running saves, for Shutdown to wait.
	flushes sync.WaitGroup
	// saveMu orders saves, so a newer snapshot is never overwritten by an
	// older one.
	saveMu sync.Mutex
	// failed is set once a save failed, so the log says it once.
	failed bool
}

// Keys of the saved memory.
const (
	memGroup = "group:" // + ring group name: a DistributorState
	memQueue = "queue:" // + queue name: a DistributorState
	memLines = "lines:" // + line group name: the last line used
)

// loadMemory restores the saved memory at start. Entries of ring groups,
// queues or line groups no longer configured are dropped, and damaged
// ones are ignored with a warning: neither stops the box.
func (x *Exchange) loadMemory() {
	st, ok := x.store.(memoryStore)
	if !ok {
		return
	}
	rt := &x.dp
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.mem.st = st
	saved, err := st.LoadRuntime()
	if err != nil {
		x.log.Warn("ring strategies start afresh: their saved memory cannot be read", "err", err)
		return
	}
	cfg := x.config()
	stale := false
	for _, key := range slices.Sorted(maps.Keys(saved)) {
		switch err := x.restoreEntry(cfg, key, saved[key]); {
		case errors.Is(err, errRemoved):
			x.log.Info("saved ring-strategy memory dropped", "key", key, "err", err)
			stale = true
		case err != nil:
			x.log.Warn("saved ring-strategy memory ignored", "key", key, "err", err)
			stale = true
		}
	}
	if stale {
		x.scheduleFlushLocked()
	}
}

// errRemoved marks memory of an object no longer configured.
var errRemoved = errors.New("no longer configured")

// restoreEntry restores one saved entry (rt.mu held).
func (x *Exchange) restoreEntry(cfg *store.Config, key string, raw []byte) error {
	rt := &x.dp
	switch {
	case strings.HasPrefix(key, memGroup), strings.HasPrefix(key, memQueue):
		dkey, _ := strings.CutPrefix(key, memGroup) // a ring group's distributor is keyed by its name
		if name, ok := strings.CutPrefix(key, memQueue); ok {
			dkey = "queue:" + name // as queue.go names a queue's
		}
		set, ok := membersOf(cfg, key)
		if !ok {
			return errRemoved
		}
		strategy := set.strategy
		var state dialplan.DistributorState
		if err := json.Unmarshal(raw, &state); err != nil {
			return err
		}
		if state.Strategy != strategy {
			// A changed strategy starts with a fresh memory, as it
			// does while the box runs.
			return fmt.Errorf("saved for %s, the strategy is now %s", state.Strategy, strategy)
		}
		d, err := dialplan.RestoreDistributor(state, x.intnLocked())
		if err != nil {
			return err
		}
		d.OnChange(x.memoryChanged)
		if rt.dists == nil {
			rt.dists = map[string]*dialplan.Distributor{}
		}
		rt.dists[dkey] = d
	case strings.HasPrefix(key, memLines):
		name := key[len(memLines):]
		if !slices.ContainsFunc(cfg.LineGroups, func(g store.LineGroup) bool { return g.Name == name }) {
			return errRemoved
		}
		var line int
		if err := json.Unmarshal(raw, &line); err != nil {
			return err
		}
		if line < 1 {
			return fmt.Errorf("line %d", line)
		}
		if rt.rr == nil {
			rt.rr = map[string]int{}
		}
		rt.rr[name] = line
	default:
		return fmt.Errorf("unknown kind of entry")
	}
	return nil
}

// memberSet is a ring group's or queue's strategy and members.
type memberSet struct {
	strategy dialplan.Strategy
	members  []string
}

// membersOf finds the ring group ("group:NAME") or queue ("queue:NAME")
// a memory key names in cfg.
func membersOf(cfg *store.Config, key string) (memberSet, bool) {
	collect := func(strategy string, ms []store.GroupMember) memberSet {
		set := memberSet{strategy: dialplan.Strategy(strategy)}
		for _, m := range ms {
			set.members = append(set.members, m.Destination)
		}
		return set
	}
	if name, ok := strings.CutPrefix(key, memGroup); ok {
		for _, g := range cfg.RingGroups {
			if g.Name == name {
				return collect(g.Strategy, g.Members), true
			}
		}
	}
	if name, ok := strings.CutPrefix(key, memQueue); ok {
		for _, q := range cfg.Queues {
			if q.Name == name {
				return collect(q.Strategy, q.Members), true
			}
		}
	}
	return memberSet{}, false
}

// memoryChanged schedules a save of the memory.
func (x *Exchange) memoryChanged() {
	x.dp.mu.Lock()
	x.scheduleFlushLocked()
	x.dp.mu.Unlock()
}

// scheduleFlushLocked schedules one save memoryFlushDelay from now unless
// one is pending (rt.mu held).
func (x *Exchange) scheduleFlushLocked() {
	m := &x.dp.mem
	if m.st == nil || m.closed || m.pending != nil {
		return
	}
	m.flushes.Add(1)
	m.pending = time.AfterFunc(memoryFlushDelay, func() {
		defer m.flushes.Done()
		x.flushMemory()
	})
}

// flushMemory saves the memory as it is now: every ring group's and
// queue's distributor and every line group's last line, for the objects
// the configuration still has (and their current members only).
func (x *Exchange) flushMemory() {
	m := &x.dp.mem
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	cfg := x.config()
	rt := &x.dp
	rt.mu.Lock()
	m.pending = nil
	st := m.st
	entries := map[string][]byte{}
	for dkey, d := range rt.dists {
		key := memGroup + dkey
		if name, ok := strings.CutPrefix(dkey, "queue:"); ok {
			key = memQueue + name
		}
		set, ok := membersOf(cfg, key)
		if !ok || set.strategy != d.Strategy() {
			continue
		}
		if raw, err := json.Marshal(d.State(set.members)); err == nil {
			entries[key] = raw
		}
	}
	for name, line := range rt.rr {
		if slices.ContainsFunc(cfg.LineGroups, func(g store.LineGroup) bool { return g.Name == name }) {
			entries[memLines+name] = []byte(strconv.Itoa(line))
		}
	}
	rt.mu.Unlock()
	if st == nil {
		return
	}
	err := st.SaveRuntime(entries)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	switch {
	case err != nil && !m.failed:
		m.failed = true
		x.log.Warn("ring-strategy memory not saved; a restart will start the rotations over", "err", err)
	case err == nil && m.failed:
		m.failed = false
		x.log.Info("ring-strategy memory saved again")
	}
}

// closeMemory saves what is pending and stops saving (at Shutdown, once
// the calls have ended).
func (x *Exchange) closeMemory() {
	m := &x.dp.mem
	x.dp.mu.Lock()
	m.closed = true
	pending := m.pending != nil && m.pending.Stop()
	if pending {
		m.pending = nil
		m.flushes.Done()
	}
	x.dp.mu.Unlock()
	m.flushes.Wait()
	if pending {
		x.flushMemory()
	}
}
