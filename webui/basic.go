package webui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// An API client using HTTP Basic sends the admin password with every
// request, and checking it is a PBKDF2 of many iterations — hundreds of
// milliseconds on the board, by design. basicCache remembers the
// credentials of recent successful checks for basicCacheTTL, so that a
// script polling the API costs one such check a minute, not one a
// request. It holds no password: its keys are HMAC-SHA256 of user and
// password under a key drawn at random when the server starts, and it is
// emptied whenever the password changes. Failures are never cached: each
// wrong guess costs the full check, and goes through the lock-out.
type basicCache struct {
	key [32]byte
	now func() time.Time

	mu sync.Mutex
	m  map[[32]byte]basicEntry
}

type basicEntry struct {
	until      time.Time
	mustChange bool
}

const (
	basicCacheTTL  = time.Minute
	basicCacheSize = 16 // distinct credentials; a box has one admin password
)

func newBasicCache(now func() time.Time) *basicCache {
	c := &basicCache{now: now, m: make(map[[32]byte]basicEntry)}
	_, _ = rand.Read(c.key[:]) // crypto/rand.Read never fails on Linux
	return c
}

func (c *basicCache) id(user, pass string) [32]byte {
	h := hmac.New(sha256.New, c.key[:])
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(pass))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// lookup reports whether user and password passed a check within the TTL,
// and the must-change mark it gave.
func (c *basicCache) lookup(user, pass string) (mustChange, ok bool) {
	id := c.id(user, pass)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || !now.Before(e.until) {
		delete(c.m, id)
		return false, false
	}
	return e.mustChange, true
}

// remember records a successful check.
func (c *basicCache) remember(user, pass string, mustChange bool) {
	id := c.id(user, pass)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if !now.Before(e.until) || len(c.m) >= basicCacheSize {
			delete(c.m, k)
		}
	}
	c.m[id] = basicEntry{until: now.Add(basicCacheTTL), mustChange: mustChange}
}

// clear forgets every credential (the password changed).
func (c *basicCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
