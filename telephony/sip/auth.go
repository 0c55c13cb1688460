package sip

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server-side HTTP digest authentication for SIP (RFC 3261 §22, RFC 2617,
// RFC 7616 with MD5 and qop=auth, the one every SIP phone implements).
//
// Nonces are stateless to issue: an expiry time and a serial number,
// sealed with an HMAC under a key made at start over them and the address
// the challenge went to, so a forged or altered nonce, or one used from
// another address, is recognised without a table. Credentials on such a
// nonce prove nothing about the password and are not counted as a
// failure (a forged UDP source cannot get an innocent address banned):
// they get a fresh challenge. A nonce whose HMAC is right but whose time is
// up gets a new challenge with stale=true, and the phone retries at once
// without asking its user.
//
// Replay protection keeps state only for a request that proved the
// password: per user, the last replayWindow nonces that user authenticated
// with and the highest nonce-count seen on each (a count not above it is
// a replay). A nonce that falls out of a full window (the one issued
// first) raises the user's floor to its serial, and any nonce issued at or
// before the floor is answered stale=true — a phone holding such an old nonce just retries
// with a fresh one, and a replay of a forgotten (nonce, count) can never
// be accepted. Unknown users and wrong passwords leave nothing behind, so
// the state is bounded by extensions × replayWindow, and no number of
// authentications, good or bad, by anyone, can make another user's
// phones fail (the old design's single table of 20,000 nonces, once full,
// refused everyone).

// digestParams are the parameters of a Digest credentials header.
type digestParams map[string]string

// errNotDigest is returned for credentials of another scheme.
var errNotDigest = errors.New("auth: not a Digest credentials header")

// parseDigest parses `Digest k=v, k="quoted, value", ...`. Keys are folded
// to lower case; quoted-pair escapes are honoured. It never panics on any
// input (see FuzzParseDigest).
func parseDigest(h string) (digestParams, error) {
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return nil, errNotDigest
	}
	p := digestParams{}
	s := rest
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("auth: malformed parameter near %q", truncate(s, 20))
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				return nil, errors.New("auth: unterminated quoted string")
			}
			val, s = b.String(), s[i:]
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		if len(p) > 32 || len(val) > 1024 {
			return nil, errors.New("auth: credentials too large")
		}
		if _, dup := p[key]; dup {
			return nil, fmt.Errorf("auth: duplicate parameter %q", key)
		}
		p[key] = val
	}
	return p, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// authResult is the outcome of checking credentials.
type authResult int

const (
	authFail  authResult = iota // wrong password, unknown user, replay: a failure
	authOK                      // good credentials
	authStale                   // right password on an expired nonce: challenge with stale=true
	authBad                     // malformed, or a nonce not ours or not this address's: challenge afresh
)

// authenticator issues challenges and checks responses.
type authenticator struct {
	realm string
	ttl   time.Duration
	key   [32]byte
	now   func() time.Time

	serial atomic.Uint64 // of the last nonce issued

	mu    sync.Mutex
	users map[string]*replayState // authenticated user → recent nonces
}

// replayWindow is how many nonces per user are remembered: well above the
// phones one extension may register (MaxBindingsPerExtension, default 10),
// each of which keeps reusing its own nonce.
const replayWindow = 32

// replayState is one user's recent nonces (replay protection).
type replayState struct {
	used []nonceUse // at most replayWindow
	// floor: nonces issued at or before this serial were forgotten; they
	// are answered stale.
	floor uint64
}

type nonceUse struct {
	nonce   string
	serial  uint64
	nc      uint32
	expires time.Time
}

func newAuthenticator(realm string, ttl time.Duration, now func() time.Time) *authenticator {
	a := &authenticator{realm: realm, ttl: ttl, now: now, users: map[string]*replayState{}}
	_, _ = rand.Read(a.key[:])
	return a
}

// nonce returns a fresh nonce for ip, valid for ttl.
func (a *authenticator) nonce(ip netip.Addr) string {
	var raw [8 + 8 + 16]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(a.now().Add(a.ttl).UnixNano()))
	binary.BigEndian.PutUint64(raw[8:16], a.serial.Add(1))
	copy(raw[16:], a.seal(raw[:16], ip))
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// seal is the MAC of a nonce's expiry and serial for ip.
func (a *authenticator) seal(head []byte, ip netip.Addr) []byte {
	m := hmac.New(sha256.New, a.key[:])
	m.Write(head)
	ip16 := ip.Unmap().As16()
	m.Write(ip16[:])
	return m.Sum(nil)[:16]
}

// checkNonce reports whether n is one of ours for ip (genuine) and still
// fresh, with its expiry and serial number.
func (a *authenticator) checkNonce(n string, ip netip.Addr) (genuine, fresh bool, expires time.Time, serial uint64) {
	raw, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil || len(raw) != 32 {
		return false, false, time.Time{}, 0
	}
	if !hmac.Equal(a.seal(raw[:16], ip), raw[16:]) {
		return false, false, time.Time{}, 0
	}
	exp := time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8])))
	return true, a.now().Before(exp), exp, binary.BigEndian.Uint64(raw[8:16])
}

// challenge is the value of a WWW-Authenticate / Proxy-Authenticate header.
// Every challenge has the same shape, whoever asked: only stale differs,
// and only for a client that proved it knows the password.
func (a *authenticator) challenge(ip netip.Addr, stale bool) string {
	s := fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"`, a.realm, a.nonce(ip))
	if stale {
		s += ", stale=true"
	}
	return s
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// verify checks credentials p for a request from ip with the given
// method. secret is the user's password and known whether the user
// exists; an unknown user is checked against a dummy secret so that both
// paths take the same time and give the same answer.
func (a *authenticator) verify(ip netip.Addr, method string, p digestParams, secret string, known bool) authResult {
	user, realm, nonce := p["username"], p["realm"], p["nonce"]
	uri, resp := p["uri"], p["response"]
	if user == "" || nonce == "" || uri == "" || resp == "" {
		return authBad
	}
	if alg, ok := p["algorithm"]; ok && !strings.EqualFold(alg, "MD5") {
		return authBad
	}
	if realm != a.realm {
		return authBad
	}
	qop, nc, cnonce := p["qop"], p["nc"], p["cnonce"]
	if !strings.EqualFold(qop, "auth") || cnonce == "" || len(nc) != 8 {
		// We always offer qop=auth, so a client must use it (RFC 2617 §3.2.2).
		return authBad
	}
	count, err := strconv.ParseUint(nc, 16, 32)
	if err != nil || count == 0 {
		return authBad
	}
	genuine, fresh, exp, serial := a.checkNonce(nonce, ip)
	if !genuine {
		return authBad
	}
	if !known {
		secret = "\x00unknown-user\x00"
	}
	ha1 := md5hex(user + ":" + a.realm + ":" + secret)
	ha2 := md5hex(method + ":" + uri)
	want := md5hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + strings.ToLower(qop) + ":" + ha2)
	match := subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(resp))) == 1
	if !known || !match {
		return authFail
	}
	if !fresh {
		return authStale
	}
	return a.use(user, nonceUse{nonce: nonce, serial: serial, nc: uint32(count), expires: exp})
}

// use records a proven use of a nonce by user: authOK when its count is
// above every earlier use of that nonce, authFail for a replay, authStale
// for a nonce older than what the user's window still holds.
func (a *authenticator) use(user string, n nonceUse) authResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.users[user]
	if r == nil {
		r = &replayState{}
		a.users[user] = r
	}
	if n.serial <= r.floor {
		return authStale
	}
	oldest := -1
	for i := range r.used {
		u := &r.used[i]
		if u.nonce == n.nonce {
			if n.nc <= u.nc {
				return authFail
			}
			u.nc = n.nc
			return authOK
		}
		if oldest < 0 || u.serial < r.used[oldest].serial {
			oldest = i
		}
	}
	if len(r.used) >= replayWindow {
		if n.serial < r.used[oldest].serial {
			return authStale // older than everything remembered
		}
		r.floor = r.used[oldest].serial
		r.used[oldest] = r.used[len(r.used)-1]
		r.used = r.used[:len(r.used)-1]
	}
	r.used = append(r.used, n)
	return authOK
}

// sweep forgets expired nonces, and users with none left.
func (a *authenticator) sweep() {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for user, r := range a.users {
		keep := r.used[:0]
		for _, u := range r.used {
			if now.Before(u.expires) {
				keep = append(keep, u)
			}
		}
		r.used = keep
		if len(keep) == 0 {
			// Every nonce up to the floor has expired too: the floor
			// only ever rises past nonces issued before those kept.
			delete(a.users, user)
		}
	}
}
