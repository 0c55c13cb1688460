package webui

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// LockoutPolicy limits password guessing on the login page and on HTTP
// Basic authentication of the API. Zero fields take the defaults noted.
//
// Two limits apply. Per client address: after MaxFailures failed attempts
// the address is locked for LockFor, doubled for each further lock up to
// MaxLock. Globally (against guessing spread over many addresses): after
// GlobalMaxFailures failures from all addresses within GlobalWindow, every
// login is paused for GlobalLockFor, doubled likewise. The global pause is
// deliberately short, because an attacker can also trigger it to keep the
// installer out for a while.
type LockoutPolicy struct {
	MaxFailures       int           // default 5
	LockFor           time.Duration // default 5 minutes
	MaxLock           time.Duration // default 1 hour
	GlobalMaxFailures int           // default 30
	GlobalWindow      time.Duration // default 10 minutes
	GlobalLockFor     time.Duration // default 1 minute
}

func (p LockoutPolicy) withDefaults() LockoutPolicy {
	if p.MaxFailures <= 0 {
		p.MaxFailures = 5
	}
	if p.LockFor <= 0 {
		p.LockFor = 5 * time.Minute
	}
	if p.MaxLock <= 0 {
		p.MaxLock = time.Hour
	}
	if p.MaxLock < p.LockFor {
		p.MaxLock = p.LockFor
	}
	if p.GlobalMaxFailures <= 0 {
		p.GlobalMaxFailures = 30
	}
	if p.GlobalWindow <= 0 {
		p.GlobalWindow = 10 * time.Minute
	}
	if p.GlobalLockFor <= 0 {
		p.GlobalLockFor = time.Minute
	}
	return p
}

// maxTrackedClients bounds the lock-out table so that a flood of
// addresses cannot grow memory without limit.
const maxTrackedClients = 4096

type clientState struct {
	failures    int       // since the last lock or success
	locks       int       // locks so far; each doubles the next one
	lockedUntil time.Time //
	last        time.Time // last failure
}

// lockout tracks failed logins. It is safe for concurrent use.
type lockout struct {
	p   LockoutPolicy
	now func() time.Time

	mu           sync.Mutex
	clients      map[netip.Prefix]*clientState
	recent       []time.Time // global failures within the window
	globalLocks  int
	globalUntil  time.Time
	lastGlobalAt time.Time
}

func newLockout(p LockoutPolicy, now func() time.Time) *lockout {
	return &lockout{p: p.withDefaults(), now: now, clients: make(map[netip.Prefix]*clientState)}
}

// clientKey groups a remote address: an IPv4 address on its own, an IPv6
// address by its /64, since one IPv6 host usually owns a whole /64.
func clientKey(remoteAddr string) netip.Prefix {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

func backoff(base time.Duration, n int, limit time.Duration) time.Duration {
	d := base
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// check reports whether a login attempt from remoteAddr may be made now,
// and if not, how long until it may.
func (l *lockout) check(remoteAddr string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.globalUntil) {
		return false, l.globalUntil.Sub(now)
	}
	if c := l.clients[clientKey(remoteAddr)]; c != nil && now.Before(c.lockedUntil) {
		return false, c.lockedUntil.Sub(now)
	}
	return true, 0
}

// fail records a failed attempt and reports whether it caused a lock.
func (l *lockout) fail(remoteAddr string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	key := clientKey(remoteAddr)
	c := l.clients[key]
	if c == nil {
		if len(l.clients) >= maxTrackedClients {
			l.pruneLocked(now)
		}
		c = &clientState{}
		l.clients[key] = c
	}
	// A long quiet spell forgives earlier locks.
	if !c.last.IsZero() && now.Sub(c.last) > 2*l.p.MaxLock {
		c.locks, c.failures = 0, 0
	}
	c.last = now
	c.failures++
	if c.failures >= l.p.MaxFailures {
		c.lockedUntil = now.Add(backoff(l.p.LockFor, c.locks, l.p.MaxLock))
		c.locks++
		c.failures = 0
	}

	// Global window.
	cut := now.Add(-l.p.GlobalWindow)
	i := 0
	for i < len(l.recent) && !l.recent[i].After(cut) {
		i++
	}
	l.recent = append(l.recent[:0], l.recent[i:]...)
	l.recent = append(l.recent, now)
	if !l.lastGlobalAt.IsZero() && now.Sub(l.lastGlobalAt) > 2*l.p.MaxLock {
		l.globalLocks = 0
	}
	if len(l.recent) >= l.p.GlobalMaxFailures {
		l.globalUntil = now.Add(backoff(l.p.GlobalLockFor, l.globalLocks, l.p.MaxLock))
		l.globalLocks++
		l.lastGlobalAt = now
		l.recent = l.recent[:0]
	}
}

// succeed forgets the failures of remoteAddr after a right password.
func (l *lockout) succeed(remoteAddr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.clients, clientKey(remoteAddr))
}

// pruneLocked drops entries that are neither locked nor recent; if the
// table is still full, it drops the entries with the oldest failures.
func (l *lockout) pruneLocked(now time.Time) {
	for k, c := range l.clients {
		if now.After(c.lockedUntil) && now.Sub(c.last) > l.p.MaxLock {
			delete(l.clients, k)
		}
	}
	for len(l.clients) >= maxTrackedClients {
		var oldest netip.Prefix
		var at time.Time
		for k, c := range l.clients {
			if at.IsZero() || c.last.Before(at) {
				oldest, at = k, c.last
			}
		}
		delete(l.clients, oldest)
	}
}
