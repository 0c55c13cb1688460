package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"minipbx/telephony/store"
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
	login      string   // the account logged in
	csrf       string
	created    time.Time
	lastSeen   time.Time
	mustChange bool
	flash      string
}

// sessions is the session table. With save set, it is saved on every
// login, logout and password change, and as activity moves the sessions'
// idle deadlines (at most every touchSaveEvery), so that a restart of the
// daemon does not log the installer out. Only the SHA-256 of a cookie is
// ever kept, in memory or saved: the saved table lets nobody in.
type sessions struct {
	idle, max time.Duration
	now       func() time.Time
	save      func([]byte) // nil: memory only

	mu      sync.Mutex
	m       map[[32]byte]*session
	savedAt time.Time // when the table was last saved
}

// touchSaveEvery is how stale a saved session's last activity may be; it
// shortens a session's idle time after a restart by at most that.
const touchSaveEvery = time.Minute

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

// create starts a session of the account login and returns its cookie
// value.
func (s *sessions) create(login string, mustChange bool) (id string, sess *session) {
	now := s.now()
	id = randomToken()
	sess = &session{key: hashID(id), login: login, csrf: randomToken(), created: now, lastSeen: now, mustChange: mustChange}
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
	s.saveLocked(now)
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
		if now.Sub(s.savedAt) >= touchSaveEvery {
			s.saveLocked(now)
		}
	}
	return *sess, true
}

// update changes a live session under the lock, and saves the table.
func (s *sessions) update(key [32]byte, f func(*session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.m[key]; sess != nil {
		f(sess)
		s.saveLocked(s.now())
	}
}

// setFlash sets the session's one-time message (not saved: it is shown
// on the next page).
func (s *sessions) setFlash(key [32]byte, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.m[key]; sess != nil {
		sess.flash = msg
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
	s.saveLocked(s.now())
}

// deleteLogin ends every session of the account login except keep
// (after a password change, so that a session opened with the old
// password dies with it; after the account is deleted, with keep zero).
func (s *sessions) deleteLogin(login string, keep [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, o := range s.m {
		if k != keep && o.login == login {
			delete(s.m, k)
		}
	}
	s.saveLocked(s.now())
}

// savedSession is a session as it is saved: the hash of its cookie, never
// the cookie; no flash message.
type savedSession struct {
	Key []byte `json:"key"`
	// Login is the account; sessions saved before accounts have none and
	// were the admin's.
	Login      string    `json:"login,omitempty"`
	CSRF       string    `json:"csrf"`
	Created    time.Time `json:"created"`
	LastSeen   time.Time `json:"last_seen"`
	MustChange bool      `json:"must_change,omitempty"`
}

func (s *sessions) saveLocked(now time.Time) {
	if s.save == nil {
		return
	}
	s.expireLocked(now)
	out := make([]savedSession, 0, len(s.m))
	for _, o := range s.m {
		out = append(out, savedSession{Key: o.key[:], Login: o.login, CSRF: o.csrf, Created: o.created, LastSeen: o.lastSeen, MustChange: o.mustChange})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return
	}
	s.savedAt = now
	s.save(b)
}

// load takes in sessions saved by saveLocked; expired or malformed ones
// are dropped.
func (s *sessions) load(b []byte) error {
	var in []savedSession
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range in {
		if len(o.Key) != 32 || o.CSRF == "" || len(s.m) >= maxSessions {
			continue
		}
		if o.Login == "" {
			o.Login = store.AdminLogin
		}
		sess := &session{login: o.Login, csrf: o.CSRF, created: o.Created, lastSeen: o.LastSeen, mustChange: o.MustChange}
		copy(sess.key[:], o.Key)
		if !s.expiredLocked(sess, now) && !o.LastSeen.After(now) {
			s.m[sess.key] = sess
		}
	}
	s.savedAt = now
	return nil
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
