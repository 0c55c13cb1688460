package webui

import (
	"encoding/json"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"sync"
	"time"
)

// LockoutPolicy limits password guessing on the login page and on HTTP
// Basic authentication of the API. Zero fields take the defaults noted.
//
// Failures are counted per client address: after MaxFailures the address
// is locked for LockFor, doubled for each further lock up to MaxLock. An
// address with no failures is never refused, so no number of addresses
// guessing can keep the installer out.
//
// Failures are also counted for the admin account, from every address,
// as a score that halves every AccountHalfLife (so slow guessing over
// hours adds up, and a quiet day forgets). Once the score reaches
// AccountFailures the account is under attack: an alarm is raised (logged
// at error level, shown on the status page), and an address that has
// failed must wait before its next try — AccountDelay, doubled for each
// of its own failures and for each further AccountFailures of the score,
// up to LockFor — while addresses with no failures still go straight in.
type LockoutPolicy struct {
	MaxFailures     int           // per address; default 5
	LockFor         time.Duration // default 5 minutes
	MaxLock         time.Duration // default 1 hour
	AccountFailures int           // default 10
	AccountDelay    time.Duration // default 2 seconds
	AccountHalfLife time.Duration // default 24 hours
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
	if p.AccountFailures <= 0 {
		p.AccountFailures = 10
	}
	if p.AccountDelay <= 0 {
		p.AccountDelay = 2 * time.Second
	}
	if p.AccountHalfLife <= 0 {
		p.AccountHalfLife = 24 * time.Hour
	}
	return p
}

// maxTrackedClients bounds the lock-out table so that a flood of
// addresses cannot grow memory without limit.
const maxTrackedClients = 4096

type clientState struct {
	Failures    int       `json:"failures"` // since the last lock or success
	Locks       int       `json:"locks"`    // locks so far; each doubles the next one
	LockedUntil time.Time `json:"locked_until,omitzero"`
	Last        time.Time `json:"last"` // last failure
}

// accountState is the admin account's failures from all addresses.
type accountState struct {
	Score      float64   `json:"score"` // failures, halving every AccountHalfLife
	At         time.Time `json:"at"`    // when Score was last brought up to date
	AlarmSince time.Time `json:"alarm_since,omitzero"`
	Failures   int       `json:"failures"` // since the alarm was raised
}

// lockout tracks failed logins. It is safe for concurrent use.
type lockout struct {
	p    LockoutPolicy
	now  func() time.Time
	log  *slog.Logger
	save func([]byte) // persists the table; nil: memory only

	mu      sync.Mutex
	clients map[netip.Prefix]*clientState
	account accountState
}

func newLockout(p LockoutPolicy, now func() time.Time) *lockout {
	return &lockout{p: p.withDefaults(), now: now, log: slog.New(slog.DiscardHandler), clients: make(map[netip.Prefix]*clientState)}
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

// scoreLocked brings the account's score up to now and returns it.
func (l *lockout) scoreLocked(now time.Time) float64 {
	a := &l.account
	if !a.At.IsZero() && now.After(a.At) {
		a.Score *= math.Exp2(-float64(now.Sub(a.At)) / float64(l.p.AccountHalfLife))
	}
	a.At = now
	return a.Score
}

// accountWaitLocked is how long an address with c's failures must wait
// after its last failure while the account is under attack (0 when not).
func (l *lockout) accountWaitLocked(c *clientState, score float64) time.Duration {
	if c.Failures == 0 || score < float64(l.p.AccountFailures) {
		return 0
	}
	level := c.Failures - 1 + int(score/float64(l.p.AccountFailures)) - 1
	return backoff(l.p.AccountDelay, level, l.p.LockFor)
}

// check reports whether a login attempt from remoteAddr may be made now,
// and if not, how long until it may. An address that never failed (or
// succeeded since) may always try.
func (l *lockout) check(remoteAddr string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[clientKey(remoteAddr)]
	if c == nil {
		return true, 0
	}
	if now.Before(c.LockedUntil) {
		return false, c.LockedUntil.Sub(now)
	}
	if until := c.Last.Add(l.accountWaitLocked(c, l.scoreLocked(now))); now.Before(until) {
		return false, until.Sub(now)
	}
	return true, 0
}

// fail records a failed attempt from remoteAddr.
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
	if !c.Last.IsZero() && now.Sub(c.Last) > 2*l.p.MaxLock {
		c.Locks, c.Failures = 0, 0
	}
	c.Last = now
	c.Failures++
	if c.Failures >= l.p.MaxFailures {
		c.LockedUntil = now.Add(backoff(l.p.LockFor, c.Locks, l.p.MaxLock))
		c.Locks++
		c.Failures = 0
		l.log.Warn("webui: logins from an address paused after repeated failures", "client", key.String(), "until", c.LockedUntil)
	}

	a := &l.account
	a.Score = l.scoreLocked(now) + 1
	if !a.AlarmSince.IsZero() {
		a.Failures++
	} else if a.Score >= float64(l.p.AccountFailures) {
		a.AlarmSince, a.Failures = now, int(a.Score)
		l.log.Error("webui: ALARM: repeated failed logins to the admin account, from several addresses or slowly over hours: someone may be guessing the password",
			"failures", a.Failures, "addresses", l.failingLocked(now))
	}
	l.saveLocked()
}

// succeed forgets the failures of remoteAddr after a right password.
func (l *lockout) succeed(remoteAddr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := clientKey(remoteAddr)
	if _, ok := l.clients[key]; ok {
		delete(l.clients, key)
		l.saveLocked()
	}
}

// alarm reports whether the account is under attack: since when, and
// how many failures since then. The alarm ends when the score has
// fallen below half its threshold.
func (l *lockout) alarm() (since time.Time, failures, addresses int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	a := &l.account
	if !a.AlarmSince.IsZero() && l.scoreLocked(now) < float64(l.p.AccountFailures)/2 {
		l.log.Info("webui: the failed logins to the admin account have stopped; alarm cleared", "since", a.AlarmSince, "failures", a.Failures)
		a.AlarmSince, a.Failures = time.Time{}, 0
		l.saveLocked()
	}
	if a.AlarmSince.IsZero() {
		return time.Time{}, 0, 0
	}
	return a.AlarmSince, a.Failures, l.failingLocked(now)
}

// failingLocked counts the addresses that failed within the half-life.
func (l *lockout) failingLocked(now time.Time) int {
	n := 0
	for _, c := range l.clients {
		if now.Sub(c.Last) <= l.p.AccountHalfLife {
			n++
		}
	}
	return n
}

// pruneLocked drops entries that are neither locked nor recent; if the
// table is still full, it drops the entries with the oldest failures.
func (l *lockout) pruneLocked(now time.Time) {
	for k, c := range l.clients {
		if now.After(c.LockedUntil) && now.Sub(c.Last) > l.p.MaxLock {
			delete(l.clients, k)
		}
	}
	for len(l.clients) >= maxTrackedClients {
		var oldest netip.Prefix
		var at time.Time
		for k, c := range l.clients {
			if at.IsZero() || c.Last.Before(at) {
				oldest, at = k, c.Last
			}
		}
		delete(l.clients, oldest)
	}
}

// lockoutFile is the lock-out table as it is kept across restarts.
type lockoutFile struct {
	Clients map[string]*clientState `json:"clients"`
	Account accountState            `json:"account"`
}

// saveLocked hands the table to l.save. Every change is saved at once:
// a restart must not give an attacker fresh tries, and each failure
// already cost a password check far dearer than the write.
func (l *lockout) saveLocked() {
	if l.save == nil {
		return
	}
	f := lockoutFile{Clients: make(map[string]*clientState, len(l.clients)), Account: l.account}
	for k, c := range l.clients {
		f.Clients[k.String()] = c
	}
	b, err := json.Marshal(f)
	if err != nil {
		l.log.Error("webui: encode the lock-out table", "err", err)
		return
	}
	l.save(b)
}

// load takes in a table saved by saveLocked; entries that do not parse
// are skipped.
func (l *lockout) load(b []byte) error {
	var f lockoutFile
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, c := range f.Clients {
		p, err := netip.ParsePrefix(k)
		if err != nil || c == nil || len(l.clients) >= maxTrackedClients {
			continue
		}
		l.clients[p] = c
	}
	if !math.IsNaN(f.Account.Score) && !math.IsInf(f.Account.Score, 0) && f.Account.Score >= 0 {
		l.account = f.Account
	}
	return nil
}
