package telephony

import (
	"sync"
	"time"
)

// Voicemail timing and limits.
const (
	// vmBeep is the tone after which a caller speaks: 1 kHz, 400 ms, as
	// every answering machine has taught callers.
	vmBeepSpec = "1000"
	vmBeepTime = 400 * time.Millisecond
	// vmSilenceEnd ends a recording after this long without speech: the
	// caller walked away without hanging up (or an analog line whose far
	// end hung up gives no signal).
	vmSilenceEnd = 10 * time.Second
	// vmSilenceRMS is the frame level (linear RMS) under which a frame
	// counts as silence: about −48 dBm0, well under speech and above the
	// idle noise of a line.
	vmSilenceRMS = 90
	// vmHoldback frames (100 ms) are held back while recording, so that
	// the '#' that ends it — in band on analog phones, heard before it is
	// recognised — is not kept at the end of the message.
	vmHoldback = 5
	// vmGreetingMax bounds a recorded greeting.
	vmGreetingMax = 60 * time.Second
	// vmKeyWait is how long a menu waits for a key once its prompt ended.
	vmKeyWait = 6 * time.Second
	// vmMenuRetries is how many silent waits a menu allows before it
	// gives up (the caller put the handset down without hanging up).
	vmMenuRetries = 3
	// vmLoginTries are the PIN attempts one call gets.
	vmLoginTries = 3
	// vmLockAfter wrong PINs in a row, over any calls, lock a mailbox for
	// vmLockFor: a phone cannot guess through 10 000 PINs, ten minutes
	// apart five at a time, in any useful time.
	vmLockAfter = 5
	vmLockFor   = 10 * time.Minute
	// vmMaxDigits bounds a mailbox number or PIN entry.
	vmMaxDigits = 16
)

// vmState is the exchange's voicemail memory: wrong PINs per mailbox, and
// which mailboxes were last announced to the phones' lamps.
type vmState struct {
	mu        sync.Mutex
	fails     map[string]pinFailures
	announced map[string]bool
	// silence, keyWait override vmSilenceEnd and vmKeyWait (tests).
	silence time.Duration
	keyWait time.Duration
}

// pinFailures counts a mailbox's wrong PINs in a row.
type pinFailures struct {
	n           int
	lockedUntil time.Time
}

// locked reports whether box is locked out at now.
func (s *vmState) locked(box string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return now.Before(s.fails[box].lockedUntil)
}

// failed counts a wrong PIN for box and reports whether that locked it.
func (s *vmState) failed(box string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fails == nil {
		s.fails = map[string]pinFailures{}
	}
	f := s.fails[box]
	f.n++
	locked := f.n >= vmLockAfter
	if locked {
		f = pinFailures{lockedUntil: now.Add(vmLockFor)}
	}
	s.fails[box] = f
	return locked
}

// succeeded forgets box's wrong PINs.
func (s *vmState) succeeded(box string) {
	s.mu.Lock()
	delete(s.fails, box)
	s.mu.Unlock()
}

func (s *vmState) silenceEnd() time.Duration {
	if s.silence > 0 {
		return s.silence
	}
	return vmSilenceEnd
}

func (s *vmState) wait() time.Duration {
	if s.keyWait > 0 {
		return s.keyWait
	}
	return vmKeyWait
}
