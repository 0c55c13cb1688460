package sip

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// BanPolicy limits failed SIP authentication (ETSI EN 303 645 §5.1-5:
// brute force must be made impractical) in a way that fits an office,
// where many phones share one public address behind a NAT:
//
//   - Failures are counted per source address and user name: after
//     MaxFailures within Window that user is banned from that address for
//     Duration. A phone that authenticates correctly as another user from
//     the same address is never silenced by it.
//   - An address whose failures within Window name more than
//     MaxUsersPerAddress users is scanning: the whole address is banned
//     for Duration, except for the users that authenticated from it
//     before (the office's phones).
//   - Slow guessing against one account, from one address or many, is
//     caught over hours: AccountMaxFailures within AccountWindow lock the
//     account for AccountLock and raise an alarm (Server.SecurityAlarms,
//     Config.OnSecurityAlarm). While locked, the account's credentials are
//     refused (answered exactly like a wrong password, so the lock tells
//     an attacker nothing) except from addresses where that account
//     authenticated before.
//
// Only failures that carry a nonce we issued to that same address count:
// a forged UDP source cannot get an innocent address banned.
//
// A banned address is dropped silently by default: its datagrams are
// discarded before parsing and its TCP connections closed, so a scanner
// learns nothing and costs us nothing. With Reply403 it gets 403 Forbidden
// instead, which helps an installer debugging a misconfigured phone.
// With Config.Bans the counters survive a restart.
type BanPolicy struct {
	MaxFailures        int           // per address and user within Window; default 10
	Window             time.Duration // default 1 minute
	Duration           time.Duration // default 10 minutes
	MaxUsersPerAddress int           // default 5
	AccountMaxFailures int           // default 30
	AccountWindow      time.Duration // default 1 hour
	AccountLock        time.Duration // default 1 hour
	Reply403           bool
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
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.MaxFailures, 10)
	defDur(&p.Window, time.Minute)
	defDur(&p.Duration, 10*time.Minute)
	def(&p.MaxUsersPerAddress, 5)
	def(&p.AccountMaxFailures, 30)
	defDur(&p.AccountWindow, time.Hour)
	defDur(&p.AccountLock, time.Hour)
	def(&p.ChallengeRate, 50)
	return p
}

// SecurityAlarm is raised when an account is locked after repeated
// authentication failures: someone is guessing its password.
type SecurityAlarm struct {
	Kind      string    `json:"kind"` // "account-locked"
	User      string    `json:"user"`
	Since     time.Time `json:"since"`
	Until     time.Time `json:"until"`
	Failures  int       `json:"failures"`  // within the account window when it was locked
	Addresses []string  `json:"addresses"` // where the last failures came from (at most 8)
}

// banList tracks failures and bans.
type banList struct {
	p   BanPolicy
	now func() time.Time

	mu       sync.Mutex
	addrs    map[netip.Addr]*addrEntry
	pairs    map[pairKey]*pairEntry
	accounts map[string]*accountEntry // existing extensions only
	known    map[pairKey]time.Time    // last good authentication
	dirty    bool                     // changed since last saved (ban_saved.go)
}

// pairKey is a user name at an address.
type pairKey struct {
	ip   netip.Addr
	user string
}

type addrEntry struct {
	until    time.Time            // banned until (scanning)
	users    map[string]time.Time // users that failed from here, last failure
	tokens   float64              // challenge budget (token bucket)
	refilled time.Time
	nknown   int // known-good pairs at this address
}

type pairEntry struct {
	failures []time.Time // within Window, oldest first
	until    time.Time
}

type accountEntry struct {
	failures []time.Time // within AccountWindow, oldest first
	locked   time.Time   // when locked
	until    time.Time   // locked until
	from     []netip.Addr
	count    int // failures when locked
}

// Bounds against floods: beyond them the oldest information goes.
const (
	maxBanEntries   = 50000 // addresses, and user-at-address pairs
	maxKnownPairs   = 10000
	maxUserKeyBytes = 64 // no extension number is longer
	knownFor        = 30 * 24 * time.Hour
)

func newBanList(p BanPolicy, now func() time.Time) *banList {
	return &banList{p: p.withDefaults(), now: now, addrs: map[netip.Addr]*addrEntry{},
		pairs: map[pairKey]*pairEntry{}, accounts: map[string]*accountEntry{}, known: map[pairKey]time.Time{}}
}

func key(ip netip.Addr, user string) pairKey {
	if len(user) > maxUserKeyBytes {
		user = user[:maxUserKeyBytes]
	}
	return pairKey{ip.Unmap(), user}
}

// dropEarly reports whether datagrams and connections from ip are to be
// dropped before parsing: it is banned as a scanner and no phone ever
// authenticated from it.
func (b *banList) dropEarly(ip netip.Addr) bool {
	if b.p.Disabled || b.p.Reply403 || !ip.IsValid() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.addrs[ip.Unmap()]
	return e != nil && e.nknown == 0 && b.now().Before(e.until)
}

// refused reports whether a request from ip by user (the user name it
// authenticates as, else the one it claims) is refused outright: that
// user is banned at that address, or the address is banned and user
// never authenticated from it.
func (b *banList) refused(ip netip.Addr, user string) bool {
	if b.p.Disabled || !ip.IsValid() {
		return false
	}
	k := key(ip, user)
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.pairs[k]; e != nil && now.Before(e.until) {
		return true
	}
	e := b.addrs[k.ip]
	if e == nil || !now.Before(e.until) {
		return false
	}
	_, ok := b.known[k]
	return !ok
}

// banned reports whether the address ip itself is banned (tests).
func (b *banList) banned(ip netip.Addr) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.addrs[ip.Unmap()]
	return e != nil && b.now().Before(e.until)
}

// locked reports whether user's account is locked against ip: locked, and
// user never authenticated from ip.
func (b *banList) locked(ip netip.Addr, user string) bool {
	if b.p.Disabled {
		return false
	}
	k := key(ip, user)
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.accounts[k.user]
	if a == nil || !b.now().Before(a.until) {
		return false
	}
	_, ok := b.known[k]
	return !ok
}

// failOutcome says which bans a failure started.
type failOutcome struct {
	pair, addr bool
	account    *SecurityAlarm // the account was locked
}

// fail records a failed authentication of user (an existing extension
// when exists) from ip.
func (b *banList) fail(ip netip.Addr, user string, exists bool) failOutcome {
	var out failOutcome
	if b.p.Disabled || !ip.IsValid() {
		return out
	}
	k := key(ip, user)
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dirty = true

	pe := b.pairs[k]
	if pe == nil {
		if len(b.pairs) >= maxBanEntries {
			b.sweepLocked(now)
		}
		pe = &pairEntry{}
		b.pairs[k] = pe
	}
	pe.failures = append(within(pe.failures, now, b.p.Window), now)
	if len(pe.failures) >= b.p.MaxFailures && !now.Before(pe.until) {
		pe.until = now.Add(b.p.Duration)
		pe.failures = pe.failures[:0]
		out.pair = true
	}

	ae := b.addrEntryLocked(k.ip, now)
	if ae.users == nil {
		ae.users = map[string]time.Time{}
	}
	for u, t := range ae.users {
		if now.Sub(t) > b.p.Window {
			delete(ae.users, u)
		}
	}
	ae.users[k.user] = now
	if len(ae.users) > b.p.MaxUsersPerAddress && !now.Before(ae.until) {
		ae.until = now.Add(b.p.Duration)
		clear(ae.users)
		out.addr = true
	}

	if exists {
		a := b.accounts[k.user]
		if a == nil {
			a = &accountEntry{}
			b.accounts[k.user] = a
		}
		a.failures = append(within(a.failures, now, b.p.AccountWindow), now)
		if i := slices.Index(a.from, k.ip); i >= 0 {
			a.from = slices.Delete(a.from, i, i+1)
		}
		a.from = append(a.from, k.ip)
		if len(a.from) > 8 {
			a.from = a.from[1:]
		}
		if len(a.failures) >= b.p.AccountMaxFailures && !now.Before(a.until) {
			a.locked, a.until, a.count = now, now.Add(b.p.AccountLock), len(a.failures)
			a.failures = a.failures[:0]
			al := a.alarm(k.user)
			out.account = &al
		}
	}
	return out
}

// within drops the times older than w before now (oldest first).
func within(ts []time.Time, now time.Time, w time.Duration) []time.Time {
	cut := 0
	for cut < len(ts) && now.Sub(ts[cut]) > w {
		cut++
	}
	return append(ts[:0], ts[cut:]...)
}

func (a *accountEntry) alarm(user string) SecurityAlarm {
	al := SecurityAlarm{Kind: "account-locked", User: user, Since: a.locked, Until: a.until, Failures: a.count}
	for _, ip := range a.from {
		al.Addresses = append(al.Addresses, ip.String())
	}
	return al
}

// succeed records a good authentication of user from ip: the pair's
// failures are forgotten, and ip becomes a known address of user (exempt
// from its account's lock and from a scanner ban of the address).
func (b *banList) succeed(ip netip.Addr, user string) {
	if b.p.Disabled || !ip.IsValid() {
		return
	}
	k := key(ip, user)
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.pairs[k]; e != nil && !now.Before(e.until) {
		delete(b.pairs, k)
		b.dirty = true
	}
	if last, ok := b.known[k]; !ok || now.Sub(last) > time.Hour {
		b.dirty = true // saved at most hourly per pair: a re-registration is no news
	}
	if _, ok := b.known[k]; !ok {
		if len(b.known) >= maxKnownPairs {
			b.forgetOldestKnownLocked()
		}
		b.addrEntryLocked(k.ip, now).nknown++
	}
	b.known[k] = now
}

func (b *banList) forgetOldestKnownLocked() {
	var oldest pairKey
	var at time.Time
	for k, t := range b.known {
		if at.IsZero() || t.Before(at) {
			oldest, at = k, t
		}
	}
	b.forgetKnownLocked(oldest)
}

func (b *banList) forgetKnownLocked(k pairKey) {
	delete(b.known, k)
	if e := b.addrs[k.ip]; e != nil {
		e.nknown--
	}
}

// addrEntryLocked returns ip's entry, made when there is none (after a
// sweep when the table is full). b.mu held.
func (b *banList) addrEntryLocked(ip netip.Addr, now time.Time) *addrEntry {
	e := b.addrs[ip]
	if e == nil {
		if len(b.addrs) >= maxBanEntries {
			b.sweepLocked(now)
		}
		e = &addrEntry{}
		b.addrs[ip] = e
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
	e := b.addrEntryLocked(ip, now)
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

// alarms lists the accounts locked now.
func (b *banList) alarms() []SecurityAlarm {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []SecurityAlarm
	for user, a := range b.accounts {
		if now.Before(a.until) {
			out = append(out, a.alarm(user))
		}
	}
	slices.SortFunc(out, func(x, y SecurityAlarm) int { return x.Since.Compare(y.Since) })
	return out
}

// sweep forgets what no longer matters; it reports whether an account
// lock ended (the alarms changed).
func (b *banList) sweep() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sweepLocked(b.now())
}

func (b *banList) sweepLocked(now time.Time) (unlocked bool) {
	for k, e := range b.pairs {
		if !now.Before(e.until) && (len(e.failures) == 0 || now.Sub(e.failures[len(e.failures)-1]) > b.p.Window) {
			delete(b.pairs, k)
		}
	}
	for k, t := range b.known {
		if now.Sub(t) > knownFor {
			b.forgetKnownLocked(k)
			b.dirty = true
		}
	}
	for ip, e := range b.addrs {
		refilling := !e.refilled.IsZero() && now.Sub(e.refilled) < 10*time.Second
		recent := false
		for _, t := range e.users {
			recent = recent || now.Sub(t) <= b.p.Window
		}
		if !now.Before(e.until) && !refilling && !recent && e.nknown <= 0 {
			delete(b.addrs, ip)
		}
	}
	for user, a := range b.accounts {
		if !a.until.IsZero() && !now.Before(a.until) {
			a.until, a.locked = time.Time{}, time.Time{}
			unlocked = true
			b.dirty = true
		}
		if a.until.IsZero() && (len(a.failures) == 0 || now.Sub(a.failures[len(a.failures)-1]) > b.p.AccountWindow) {
			delete(b.accounts, user)
		}
	}
	return unlocked
}
