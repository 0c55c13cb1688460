package sip

import (
	"net/netip"
	"sync"
	"time"
)

// BanPolicy limits failed SIP authentication per source IP address (ETSI EN
// 303 645 §5.1-5: brute force must be made impractical). After MaxFailures
// failed attempts within Window the address is banned for Duration.
//
// A banned address is dropped silently by default: its datagrams are
// discarded before parsing and its TCP connections closed, so a scanner
// learns nothing and costs us nothing. With Reply403 it gets 403 Forbidden
// instead, which helps an installer debugging a misconfigured phone.
type BanPolicy struct {
	MaxFailures int           // default 10
	Window      time.Duration // default 1 minute
	Duration    time.Duration // default 10 minutes
	Reply403    bool
	// ChallengeRate limits the digest challenges sent to one address per
	// second (burst: ten times as many); requests beyond it are dropped
	// unanswered. A challenged INVITE's 407 is retransmitted for 32 s until
	// ACKed, so without a limit a forged source address would turn the box
	// into an amplifier. Default 50; the burst lets a whole office behind
	// one NAT address re-register at once.
	ChallengeRate int
	// Disabled turns banning off (for lab use only).
	Disabled bool
}

func (p BanPolicy) withDefaults() BanPolicy {
	if p.MaxFailures <= 0 {
		p.MaxFailures = 10
	}
	if p.Window <= 0 {
		p.Window = time.Minute
	}
	if p.Duration <= 0 {
		p.Duration = 10 * time.Minute
	}
	if p.ChallengeRate <= 0 {
		p.ChallengeRate = 50
	}
	return p
}

// banList tracks failures and bans per address.
type banList struct {
	p   BanPolicy
	now func() time.Time

	mu      sync.Mutex
	entries map[netip.Addr]*banEntry
}

type banEntry struct {
	failures []time.Time // within the window, oldest first
	until    time.Time   // banned until
	tokens   float64     // challenge budget (token bucket)
	refilled time.Time
}

// maxBanEntries bounds memory under a spoofed-source flood; beyond it the
// oldest information is dropped in a sweep.
const maxBanEntries = 50000

func newBanList(p BanPolicy, now func() time.Time) *banList {
	return &banList{p: p.withDefaults(), now: now, entries: map[netip.Addr]*banEntry{}}
}

// banned reports whether ip is banned now.
func (b *banList) banned(ip netip.Addr) bool {
	if b.p.Disabled || !ip.IsValid() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[ip.Unmap()]
	return e != nil && b.now().Before(e.until)
}

// fail records a failed authentication; it returns true when this failure
// started a ban.
func (b *banList) fail(ip netip.Addr) bool {
	if b.p.Disabled || !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entryLocked(ip, now)
	cut := 0
	for cut < len(e.failures) && now.Sub(e.failures[cut]) > b.p.Window {
		cut++
	}
	e.failures = append(e.failures[:0], e.failures[cut:]...)
	e.failures = append(e.failures, now)
	if len(e.failures) >= b.p.MaxFailures && !now.Before(e.until) {
		e.until = now.Add(b.p.Duration)
		e.failures = e.failures[:0]
		return true
	}
	return false
}

// entryLocked returns ip's entry, made when there is none (after a sweep
// when the table is full). b.mu held.
func (b *banList) entryLocked(ip netip.Addr, now time.Time) *banEntry {
	e := b.entries[ip]
	if e == nil {
		if len(b.entries) >= maxBanEntries {
			b.sweepLocked(now)
		}
		e = &banEntry{}
		b.entries[ip] = e
	}
	return e
}

// allowChallenge takes one challenge from ip's budget; false means the
// request should be dropped.
func (b *banList) allowChallenge(ip netip.Addr) bool {
	if b.p.Disabled || !ip.IsValid() {
		return true
	}
	ip = ip.Unmap()
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entryLocked(ip, now)
	burst := float64(10 * b.p.ChallengeRate)
	if e.refilled.IsZero() {
		e.tokens = burst
	} else {
		e.tokens = min(burst, e.tokens+now.Sub(e.refilled).Seconds()*float64(b.p.ChallengeRate))
	}
	e.refilled = now
	if e.tokens < 1 {
		return false
	}
	e.tokens--
	return true
}

// succeed clears the failure history of ip after a good authentication.
func (b *banList) succeed(ip netip.Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.entries[ip.Unmap()]; e != nil && !b.now().Before(e.until) {
		delete(b.entries, ip.Unmap())
	}
}

func (b *banList) sweep() {
	b.mu.Lock()
	b.sweepLocked(b.now())
	b.mu.Unlock()
}

func (b *banList) sweepLocked(now time.Time) {
	for ip, e := range b.entries {
		refilling := !e.refilled.IsZero() && now.Sub(e.refilled) < 10*time.Second
		if !now.Before(e.until) && !refilling && (len(e.failures) == 0 || now.Sub(e.failures[len(e.failures)-1]) > b.p.Window) {
			delete(b.entries, ip)
		}
	}
}
