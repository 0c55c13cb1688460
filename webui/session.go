package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// sessionCookie is the session cookie's name. The __Host- prefix makes
// browsers accept it only when Secure, host-only and for Path=/.
const sessionCookie = "__Host-minipbx_session"

// loginCookie carries the login form's anti-CSRF token before a session
// exists (double-submit: the form field must equal the cookie).
const loginCookie = "__Host-minipbx_login"

// maxSessions bounds the session table; the oldest session is dropped
// when a new login would exceed it.
const maxSessions = 64

type session struct {
	key        [32]byte // SHA-256 of the cookie value; the table never holds the ID itself
	csrf       string
	created    time.Time
	lastSeen   time.Time
	mustChange bool
	flash      string
}

// sessions is the in-memory session table. Sessions do not survive a
// restart of the daemon, which only means logging in again.
type sessions struct {
	idle, max time.Duration
	now       func() time.Time

	mu sync.Mutex
	m  map[[32]byte]*session
}

func newSessions(idle, max time.Duration, now func() time.Time) *sessions {
	return &sessions{idle: idle, max: max, now: now, m: make(map[[32]byte]*session)}
}

// randomToken returns 256 random bits, base64url-encoded.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashID(id string) [32]byte { return sha256.Sum256([]byte(id)) }

// create starts a session and returns its cookie value.
func (s *sessions) create(mustChange bool) (id string, sess *session) {
	now := s.now()
	id = randomToken()
	sess = &session{key: hashID(id), csrf: randomToken(), created: now, lastSeen: now, mustChange: mustChange}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	for len(s.m) >= maxSessions {
		var oldest *session
		for _, o := range s.m {
			if oldest == nil || o.lastSeen.Before(oldest.lastSeen) {
				oldest = o
			}
		}
		delete(s.m, oldest.key)
	}
	s.m[sess.key] = sess
	return id, sess
}

func (s *sessions) expiredLocked(sess *session, now time.Time) bool {
	return now.Sub(sess.lastSeen) > s.idle || now.Sub(sess.created) > s.max
}

func (s *sessions) expireLocked(now time.Time) {
	for k, o := range s.m {
		if s.expiredLocked(o, now) {
			delete(s.m, k)
		}
	}
}

// get returns a copy of the live session with this cookie value and, when
// touch is set, counts the request as activity.
func (s *sessions) get(id string, touch bool) (session, bool) {
	if id == "" {
		return session{}, false
	}
	now := s.now()
	key := hashID(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[key]
	if sess == nil {
		return session{}, false
	}
	if s.expiredLocked(sess, now) {
		delete(s.m, key)
		return session{}, false
	}
	if touch {
		sess.lastSeen = now
	}
	return *sess, true
}

// update changes a live session under the lock.
func (s *sessions) update(key [32]byte, f func(*session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.m[key]; sess != nil {
		f(sess)
	}
}

// takeFlash returns and clears the session's one-time message.
func (s *sessions) takeFlash(key [32]byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.m[key]; sess != nil {
		f := sess.flash
		sess.flash = ""
		return f
	}
	return ""
}

func (s *sessions) delete(key [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

// deleteAllBut ends every session except keep (after a password change,
// so that a session opened with the old password dies with it).
func (s *sessions) deleteAllBut(keep [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.m {
		if k != keep {
			delete(s.m, k)
		}
	}
}

func tokensEqual(a, b string) bool {
	return a != "" && len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{
		Name: name, Value: value, Path: "/",
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}
