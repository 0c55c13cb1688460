package sip

import (
	"container/list"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ConnLimits bounds the TCP and TLS connections that phones open to the
// box. Each connection holds a file descriptor and a read buffer; without
// limits a flood of idle connections exhausts the descriptors, and
// accept's failure used to stop the SIP server and with it the box.
//
// A connection is "proven" once a request on it authenticated (or was a
// trunk's call). Until then it is closed IdleTimeout after it was opened,
// and it is the first to go when a limit is reached: a new connection
// over Max (or over PerAddress from one IP address) evicts the oldest
// unproven one (of that address), and is refused when there is none. So a
// flood of idle connections never closes a registered phone's connection,
// and a phone can still connect and register while it lasts. A proven
// connection that has been silent longer than the longest registration
// (MaxExpires, plus a minute) is closed too.
//
// Accept errors (out of descriptors above all) never stop the server: it
// sheds the oldest unproven connection, waits with back-off (5 ms
// doubling to 1 s) and accepts again.
type ConnLimits struct {
	Max         int           // all TCP and TLS connections together; default 512
	PerAddress  int           // from one IP address; default 64
	IdleTimeout time.Duration // for an unproven connection; default 20 s
}

func (l ConnLimits) withDefaults() ConnLimits {
	if l.Max <= 0 {
		l.Max = 512
	}
	if l.PerAddress <= 0 {
		l.PerAddress = 64
	}
	l.PerAddress = min(l.PerAddress, l.Max)
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 20 * time.Second
	}
	return l
}

// connTracker accounts for the accepted TCP and TLS connections.
type connTracker struct {
	lim        ConnLimits
	provenIdle time.Duration
	log        *slog.Logger
	now        func() time.Time

	mu       sync.Mutex
	byRemote map[string]*trackedConn // remote "ip:port" → connection
	perIP    map[netip.Addr]int
	unproven *list.List // of *trackedConn, oldest first
	refused  logEvery   // connections refused or evicted at a limit
	failed   logEvery   // accept errors

	live atomic.Int64 // accepted and not yet released by sipgo
}

// logEvery rate-limits a repeated warning to one a minute with a count.
type logEvery struct {
	last time.Time
	n    int
}

// tick counts one occurrence and reports whether to log now, with the
// number of occurrences since the last log.
func (e *logEvery) tick(now time.Time) (int, bool) {
	e.n++
	if !e.last.IsZero() && now.Sub(e.last) < time.Minute {
		return 0, false
	}
	n := e.n
	e.last, e.n = now, 0
	return n, true
}

func newConnTracker(lim ConnLimits, provenIdle time.Duration, log *slog.Logger, now func() time.Time) *connTracker {
	return &connTracker{lim: lim.withDefaults(), provenIdle: provenIdle, log: log, now: now,
		byRemote: map[string]*trackedConn{}, perIP: map[netip.Addr]int{}, unproven: list.New()}
}

// trackedConn is an accepted connection as sipgo sees it.
type trackedConn struct {
	net.Conn
	t         *connTracker
	remote    string
	ip        netip.Addr
	transport string
	opened    time.Time
	lastRead  atomic.Int64  // unix nanoseconds
	elem      *list.Element // in t.unproven while unproven; guarded by t.mu
	gone      bool          // dropped from the tracker; guarded by t.mu
	released  sync.Once
}

// Read notes activity (a proven connection silent for too long is closed).
func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.lastRead.Store(c.t.now().UnixNano())
	}
	return n, err
}

// Close is sipgo's: its read loop ended and it lets the connection go.
func (c *trackedConn) Close() error {
	c.t.drop(c)
	c.released.Do(func() { c.t.live.Add(-1) })
	return c.Conn.Close()
}

// shut is ours: closing the socket ends sipgo's read loop, which then
// releases the connection through Close with its own bookkeeping intact.
// (Hard-closing it through sipgo's pool instead leaves the read loop to
// release a reference already zeroed: "TCP ref went negative".)
func (c *trackedConn) shut() {
	c.t.drop(c)
	_ = c.Conn.Close()
}

// listener wraps l so that its connections are counted and limited.
func (t *connTracker) listener(l net.Listener, transport string) *limitListener {
	return &limitListener{Listener: l, t: t, transport: transport, done: make(chan struct{})}
}

// admit counts a new connection, evicting an unproven one when a limit is
// reached; nil when it was refused (and closed).
func (t *connTracker) admit(c net.Conn, transport string) *trackedConn {
	ip := addrIP(c.RemoteAddr())
	now := t.now()
	var evict *trackedConn
	t.mu.Lock()
	full, why := false, ""
	if t.perIP[ip] >= t.lim.PerAddress {
		full, why = true, "per-address"
		evict = t.oldestUnprovenLocked(func(o *trackedConn) bool { return o.ip == ip })
	} else if len(t.byRemote) >= t.lim.Max {
		full, why = true, "total"
		evict = t.oldestUnprovenLocked(nil)
	}
	var logN int
	var logNow bool
	if full {
		logN, logNow = t.refused.tick(now)
	}
	if full && evict == nil {
		t.mu.Unlock()
		_ = c.Close()
		if logNow {
			t.log.Warn("sip: connection limit reached; refusing new connections (registered phones keep theirs)",
				"limit", why, "max", t.lim.Max, "per_address", t.lim.PerAddress, "from", ip, "refused", logN)
		}
		return nil
	}
	if evict != nil {
		t.dropLocked(evict)
	}
	tc := &trackedConn{Conn: c, t: t, remote: c.RemoteAddr().String(), ip: ip, transport: transport, opened: now}
	tc.lastRead.Store(now.UnixNano())
	tc.elem = t.unproven.PushBack(tc)
	t.byRemote[tc.remote] = tc
	t.perIP[ip]++
	t.live.Add(1)
	t.mu.Unlock()
	if evict != nil {
		evict.shut()
		if logNow {
			t.log.Warn("sip: connection limit reached; closing connections that have not authenticated",
				"limit", why, "max", t.lim.Max, "per_address", t.lim.PerAddress, "from", ip, "evicted", logN)
		}
	}
	return tc
}

// oldestUnprovenLocked is the oldest unproven connection that match
// accepts (all when nil). t.mu held.
func (t *connTracker) oldestUnprovenLocked(match func(*trackedConn) bool) *trackedConn {
	for e := t.unproven.Front(); e != nil; e = e.Next() {
		if c := e.Value.(*trackedConn); match == nil || match(c) {
			return c
		}
	}
	return nil
}

func (t *connTracker) drop(c *trackedConn) {
	t.mu.Lock()
	t.dropLocked(c)
	t.mu.Unlock()
}

func (t *connTracker) dropLocked(c *trackedConn) {
	if c.gone {
		return
	}
	c.gone = true
	if c.elem != nil {
		t.unproven.Remove(c.elem)
		c.elem = nil
	}
	if t.byRemote[c.remote] == c {
		delete(t.byRemote, c.remote)
	}
	if t.perIP[c.ip]--; t.perIP[c.ip] <= 0 {
		delete(t.perIP, c.ip)
	}
}

// prove marks the connection a request came from (its source "ip:port")
// as having sent a valid request.
func (t *connTracker) prove(remote string) {
	t.mu.Lock()
	if c := t.byRemote[remote]; c != nil && c.elem != nil {
		t.unproven.Remove(c.elem)
		c.elem = nil
	}
	t.mu.Unlock()
}

// proven reports whether the connection from remote is proven (tests).
func (t *connTracker) proven(remote string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byRemote[remote]
	return c != nil && c.elem == nil
}

// count is the number of connections held.
func (t *connTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byRemote)
}

// sweep closes unproven connections older than IdleTimeout and proven
// ones silent for longer than provenIdle (Run's tick).
func (t *connTracker) sweep() {
	now := t.now()
	var old []*trackedConn
	t.mu.Lock()
	for e := t.unproven.Front(); e != nil; e = e.Next() {
		c := e.Value.(*trackedConn)
		if now.Sub(c.opened) < t.lim.IdleTimeout {
			break // the rest are younger
		}
		old = append(old, c)
	}
	if t.provenIdle > 0 {
		for _, c := range t.byRemote {
			if c.elem == nil && now.Sub(time.Unix(0, c.lastRead.Load())) > t.provenIdle {
				old = append(old, c)
			}
		}
	}
	for _, c := range old {
		t.dropLocked(c)
	}
	t.mu.Unlock()
	for _, c := range old {
		t.log.Debug("sip: idle connection closed", "transport", c.transport, "remote", c.remote)
		c.shut()
	}
}

// shed closes the oldest unproven connection, if any, to free a
// descriptor; false when there was none.
func (t *connTracker) shed() bool {
	t.mu.Lock()
	c := t.oldestUnprovenLocked(nil)
	if c != nil {
		t.dropLocked(c)
	}
	t.mu.Unlock()
	if c != nil {
		c.shut()
	}
	return c != nil
}

// closeAll closes every connection and waits (at most wait) until sipgo
// has released them, so that its own shutdown finds none left to
// hard-close.
func (t *connTracker) closeAll(wait time.Duration) {
	t.mu.Lock()
	all := make([]*trackedConn, 0, len(t.byRemote))
	for _, c := range t.byRemote {
		all = append(all, c)
	}
	for _, c := range all {
		t.dropLocked(c)
	}
	t.mu.Unlock()
	for _, c := range all {
		c.shut()
	}
	for deadline := time.Now().Add(wait); t.live.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// acceptFailed logs an accept error (rate-limited) and, when the process
// is out of descriptors, sheds an unproven connection.
func (t *connTracker) acceptFailed(err error, transport string, delay time.Duration) {
	shed := false
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		shed = t.shed()
	}
	t.mu.Lock()
	n, ok := t.failed.tick(t.now())
	t.mu.Unlock()
	if ok {
		t.log.Warn("sip: accept failed; retrying", "transport", transport, "err", err,
			"retry_in", delay, "errors", n, "shed_unauthenticated", shed)
	}
}

// limitListener accepts through a connTracker. Its Accept returns an
// error only once the listener is closed: every other failure is retried
// with back-off, so sipgo's accept loop (which ends at the first error)
// runs until shutdown.
type limitListener struct {
	net.Listener
	t         *connTracker
	transport string
	done      chan struct{}
	closeOnce sync.Once
}

const (
	acceptDelayMin = 5 * time.Millisecond
	acceptDelayMax = time.Second
)

func (l *limitListener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case <-l.done:
				return nil, net.ErrClosed
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			delay = min(max(2*delay, acceptDelayMin), acceptDelayMax)
			l.t.acceptFailed(err, l.transport, delay)
			timer := time.NewTimer(delay)
			select {
			case <-timer.C:
			case <-l.done:
				timer.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		delay = 0
		if tc := l.t.admit(c, l.transport); tc != nil {
			return tc, nil
		}
	}
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}
