package sip

import (
	"encoding/json"
	"net/netip"
	"slices"
	"time"
)

// BanStore keeps the ban counters across a restart: otherwise a power
// cycle (or a crash an attacker provoked) would give a password guesser a
// fresh start. store.DB implements it, in a bucket of its own that no
// export or backup holds.
type BanStore interface {
	// LoadBans returns what SaveBans last saved, nil if nothing.
	LoadBans() ([]byte, error)
	// SaveBans replaces the saved counters.
	SaveBans(data []byte) error
}

// savedBans is the banList as saved: only what still matters.
type savedBans struct {
	Pairs    []savedPair    `json:"pairs,omitempty"`
	Addrs    []savedAddr    `json:"addresses,omitempty"`
	Accounts []savedAccount `json:"accounts,omitempty"`
	Known    []savedKnown   `json:"known,omitempty"`
}

type savedPair struct {
	IP       netip.Addr  `json:"ip"`
	User     string      `json:"user"`
	Failures []time.Time `json:"failures,omitempty"`
	Until    time.Time   `json:"until,omitzero"`
}

type savedAddr struct {
	IP    netip.Addr `json:"ip"`
	Until time.Time  `json:"until"`
}

type savedAccount struct {
	User     string       `json:"user"`
	Failures []time.Time  `json:"failures,omitempty"`
	Locked   time.Time    `json:"locked,omitzero"`
	Until    time.Time    `json:"until,omitzero"`
	Count    int          `json:"count,omitempty"`
	From     []netip.Addr `json:"from,omitempty"`
}

type savedKnown struct {
	IP   netip.Addr `json:"ip"`
	User string     `json:"user"`
	At   time.Time  `json:"at"`
}

// Bounds on what is saved (the store takes at most 1 MiB): the most
// recent pairs, addresses and known phones first.
const (
	maxSavedPairs = 2000
	maxSavedKnown = 2000
	maxSavedAddrs = 2000
)

// marshal returns the counters to save, or nil when nothing changed.
func (b *banList) marshal() []byte {
	now := b.now()
	b.mu.Lock()
	if !b.dirty {
		b.mu.Unlock()
		return nil
	}
	b.dirty = false
	var s savedBans
	for k, e := range b.pairs {
		f := within(slices.Clone(e.failures), now, b.p.Window)
		if len(f) > 0 || now.Before(e.until) {
			s.Pairs = append(s.Pairs, savedPair{IP: k.ip, User: k.user, Failures: f, Until: e.until})
		}
	}
	for ip, e := range b.addrs {
		if now.Before(e.until) {
			s.Addrs = append(s.Addrs, savedAddr{IP: ip, Until: e.until})
		}
	}
	for user, a := range b.accounts {
		f := within(slices.Clone(a.failures), now, b.p.AccountWindow)
		if len(f) > 0 || now.Before(a.until) {
			s.Accounts = append(s.Accounts, savedAccount{User: user, Failures: f, Locked: a.locked, Until: a.until,
				Count: a.count, From: slices.Clone(a.from)})
		}
	}
	for k, t := range b.known {
		s.Known = append(s.Known, savedKnown{IP: k.ip, User: k.user, At: t})
	}
	b.mu.Unlock()
	last := func(ts []time.Time, until time.Time) time.Time {
		if len(ts) > 0 && ts[len(ts)-1].After(until) {
			return ts[len(ts)-1]
		}
		return until
	}
	slices.SortFunc(s.Pairs, func(x, y savedPair) int { return last(y.Failures, y.Until).Compare(last(x.Failures, x.Until)) })
	slices.SortFunc(s.Addrs, func(x, y savedAddr) int { return y.Until.Compare(x.Until) })
	slices.SortFunc(s.Known, func(x, y savedKnown) int { return y.At.Compare(x.At) })
	s.Pairs = s.Pairs[:min(len(s.Pairs), maxSavedPairs)]
	s.Addrs = s.Addrs[:min(len(s.Addrs), maxSavedAddrs)]
	s.Known = s.Known[:min(len(s.Known), maxSavedKnown)]
	data, err := json.Marshal(s)
	if err != nil {
		return nil // cannot happen: plain values
	}
	return data
}

// markDirty asks for the next save (after a failed one).
func (b *banList) markDirty() {
	b.mu.Lock()
	b.dirty = true
	b.mu.Unlock()
}

// restore merges saved counters into the (fresh) list: entries that have
// expired or do not parse are skipped. Users of accounts are checked with
// exists (an extension removed meanwhile has no account).
func (b *banList) restore(data []byte, exists func(user string) bool) error {
	var s savedBans
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range s.Pairs {
		if !p.IP.IsValid() || len(p.User) > maxUserKeyBytes || len(b.pairs) >= maxBanEntries {
			continue
		}
		f := within(sortedTimes(p.Failures, b.p.MaxFailures), now, b.p.Window)
		if len(f) == 0 && !now.Before(p.Until) {
			continue
		}
		b.pairs[key(p.IP, p.User)] = &pairEntry{failures: f, until: p.Until}
	}
	for _, a := range s.Addrs {
		if a.IP.IsValid() && now.Before(a.Until) && len(b.addrs) < maxBanEntries {
			b.addrEntryLocked(a.IP.Unmap(), now).until = a.Until
		}
	}
	for _, a := range s.Accounts {
		if len(a.User) > maxUserKeyBytes || !exists(a.User) {
			continue
		}
		f := within(sortedTimes(a.Failures, b.p.AccountMaxFailures), now, b.p.AccountWindow)
		e := &accountEntry{failures: f, count: a.Count}
		if now.Before(a.Until) {
			e.locked, e.until = a.Locked, a.Until
		}
		for _, ip := range a.From {
			if ip.IsValid() && len(e.from) < 8 {
				e.from = append(e.from, ip.Unmap())
			}
		}
		if len(f) > 0 || !e.until.IsZero() {
			b.accounts[a.User] = e
		}
	}
	for _, k := range s.Known {
		if !k.IP.IsValid() || len(k.User) > maxUserKeyBytes || now.Sub(k.At) > knownFor || len(b.known) >= maxKnownPairs {
			continue
		}
		pk := key(k.IP, k.User)
		if _, dup := b.known[pk]; !dup {
			b.addrEntryLocked(pk.ip, now).nknown++
		}
		b.known[pk] = k.At
	}
	return nil
}

// sortedTimes is ts in order, at most the last n.
func sortedTimes(ts []time.Time, n int) []time.Time {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, time.Time.Compare)
	return ts[max(0, len(ts)-n):]
}
