package provision

import (
	"net/netip"
	"sync"
	"time"
)

// Failed provisioning requests are limited per client address as the web
// UI limits failed logins (webui/lockout.go): after maxFailures requests
// with a wrong token an address is refused for lockFor, doubled for each
// further lock up to maxLock; a long quiet spell forgets it. A request
// that names no token (a phone asking before it has one) costs nothing.
const (
	maxFailures   = 5
	lockFor       = 5 * time.Minute
	maxLock       = time.Hour
	maxLimitTable = 4096
)

// limiter counts failures per client address.
type limiter struct {
	mu      sync.Mutex
	clients map[netip.Prefix]*client
}

type client struct {
	failures int
	locks    int
	until    time.Time
	last     time.Time
}

func newLimiter() *limiter { return &limiter{clients: map[netip.Prefix]*client{}} }

// clientKey groups addresses: an IPv4 address alone, an IPv6 address by
// its /64 (one host usually owns a whole /64).
func clientKey(a netip.Addr) netip.Prefix {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

// check reports whether ip may make a request now, and if not for how
// long it must wait.
func (l *limiter) check(ip netip.Addr, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[clientKey(ip)]
	if c == nil || !now.Before(c.until) {
		return true, 0
	}
	return false, c.until.Sub(now)
}

// fail counts a failure of ip; it returns true when the address has just
// been locked.
func (l *limiter) fail(ip netip.Addr, now time.Time) (locked bool, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := clientKey(ip)
	c := l.clients[key]
	if c == nil {
		if len(l.clients) >= maxLimitTable {
			l.pruneLocked(now)
		}
		c = &client{}
		l.clients[key] = c
	}
	if !c.last.IsZero() && now.Sub(c.last) > 2*maxLock {
		c.failures, c.locks = 0, 0
	}
	c.last = now
	c.failures++
	if c.failures < maxFailures {
		return false, time.Time{}
	}
	d := lockFor
	for i := 0; i < c.locks && d < maxLock; i++ {
		d *= 2
	}
	c.until = now.Add(min(d, maxLock))
	c.locks++
	c.failures = 0
	return true, c.until
}

// pruneLocked drops addresses neither locked nor recent, then the
// oldest while the table is full.
func (l *limiter) pruneLocked(now time.Time) {
	for k, c := range l.clients {
		if !now.Before(c.until) && now.Sub(c.last) > maxLock {
			delete(l.clients, k)
		}
	}
	for len(l.clients) >= maxLimitTable {
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
