package telephony

import (
	"crypto/subtle"
	"sort"
	"sync"
	"time"

	"minipbx/telephony/channel"
)

// PINs against guessing. A caller gets a few tries at a PIN per call,
// and wrong PINs in a row over any calls from one place lock that place
// out for a while: a stranger cannot try 10,000 PINs in any useful time.
// Voicemail counts by mailbox and place (voicemail.go); the PINs that
// open the outside lines (DISA, callback) count by caller over every
// such PIN, and a lock-out there is a security alarm on the status page.

// Access PINs (DISA, callback).
const (
	// accessTries are the PIN attempts one call gets.
	accessTries = 3
	// accessLockAfter wrong PINs in a row lock the caller out for
	// accessLockFor.
	accessLockAfter = 5
	accessLockFor   = 30 * time.Minute
	// maxPINKeys bounds the places remembered: beyond it those whose
	// last wrong PIN is older than their lock time are forgotten.
	maxPINKeys = 1000
)

// pinLocks counts wrong PINs in a row by key (a place) and locks a key
// after `after` of them, for lockFor.
type pinLocks struct {
	after   int
	lockFor time.Duration

	mu    sync.Mutex
	fails map[string]pinFailures
}

// pinFailures counts one key's wrong PINs in a row.
type pinFailures struct {
	n           int
	last        time.Time
	lockedUntil time.Time
	// For the alarm: since when it is locked, what the PINs were for
	// ("disa:road"), the wrong PINs that locked it.
	since    time.Time
	what     string
	failures int
}

// locked reports whether key is locked out at now.
func (s *pinLocks) locked(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return now.Before(s.fails[key].lockedUntil)
}

// failed counts a wrong PIN for key (what the PIN was for) and reports
// whether that locked it.
func (s *pinLocks) failed(key, what string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fails == nil {
		s.fails = map[string]pinFailures{}
	}
	if len(s.fails) >= maxPINKeys {
		for k, f := range s.fails {
			if now.Sub(f.last) > s.lockFor && !now.Before(f.lockedUntil) {
				delete(s.fails, k)
			}
		}
	}
	f := s.fails[key]
	f.n++
	f.last = now
	locked := f.n >= s.after
	if locked {
		f = pinFailures{last: now, lockedUntil: now.Add(s.lockFor), since: now, what: what, failures: f.n}
	}
	s.fails[key] = f
	return locked
}

// succeeded forgets key's wrong PINs.
func (s *pinLocks) succeeded(key string) {
	s.mu.Lock()
	delete(s.fails, key)
	s.mu.Unlock()
}

// alarms are the keys locked at now, as security alarms of kind.
func (s *pinLocks) alarms(kind string, now time.Time) []SecurityAlarm {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SecurityAlarm
	for k, f := range s.fails {
		if now.Before(f.lockedUntil) {
			out = append(out, SecurityAlarm{Kind: kind, User: f.what, Since: f.since, Until: f.lockedUntil, Failures: f.failures,
				Addresses: []string{k}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out
}

// AlarmPINLocked is the kind of security alarm raised when a caller is
// locked out after wrong DISA or callback PINs.
const AlarmPINLocked = "pin-locked"

// accessKey is what wrong access PINs are counted by: the caller's
// number, or the line or trunk the call came on when the number is
// withheld (so a stranger who hides their number locks out that way in,
// not everyone).
func accessKey(l *leg, number string) string {
	if number != "" {
		return number
	}
	return l.name
}

// pinMatches reports whether entered is the PIN want, in constant time
// (no empty PIN matches).
func pinMatches(entered, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(entered), []byte(want)) == 1
}

// askAccessPIN asks the router's party for the PIN of what (a DISA or
// callback), accessTries times, counting wrong ones against key. It
// reports whether the PIN came right; false when it did not, the caller
// hung up, or the caller was locked out (which raises the alarm).
func (r router) askAccessPIN(k *keypad, what, pin, key string) bool {
	x := r.x
	for try := 0; try < accessTries; try++ {
		entered, ok := k.digits(promptPIN)
		if !ok {
			return false
		}
		if pinMatches(entered, pin) {
			x.access.succeeded(key)
			return true
		}
		r.log.Info("wrong access PIN", "for", what, "caller", key, "try", try+1)
		if x.access.failed(key, what, x.now()) {
			r.log.Warn("caller locked out after wrong PINs in a row: someone may be guessing", "for", what, "caller", key,
				"channel", r.in.name, "for_time", accessLockFor)
			x.publish("security")
			return false
		}
		if try+1 < accessTries && !k.say(promptIncorrect) {
			return false
		}
	}
	return false
}

// withheld reports whether a caller ID carries no number to call back
// or to check.
func withheld(c channel.CallerID) bool { return c.Number == "" || c.Withheld != "" }
