// Package prompts is the box's voice: the recorded phrases the exchange
// speaks to callers (queue announcements, feature-code confirmations,
// the voicemail menus). The built-in English recordings are compiled
// into the firmware, so a box speaks from its first boot and a build needs
// no speech tools; an installer replaces any of them by putting NAME.wav
// in the override directory (prompts/ in the data directory), e.g. to use
// a professional voice or another language.
//
// Phrases are short and are strung together by the caller: "You are
// caller number" + Number(3) + "in line". en/texts.txt is the script:
// every name with the words it speaks, which a replacement must say too.
// `make prompts` regenerates the built-ins from it (internal/gen).
package prompts

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"minipbx/dsp/audiofile"
)

// builtin holds the recordings and their script.
//
//go:embed en/*.wav en/texts.txt
var builtin embed.FS

// The names of the phrases that are not numbers (Number and Digits give
// those). The comment of each is what it says.
const (
	Goodbye            = "goodbye"              // Goodbye.
	Invalid            = "invalid"              // That is not a valid choice.
	QueueCallerNumber  = "queue-caller-number"  // You are caller number
	QueueInLine        = "queue-in-line"        // in line. Please stay on the line; the next available person will answer.
	FwdAlwaysOn        = "fwd-always-on"        // All your calls now go to
	FwdBusyOn          = "fwd-busy-on"          // When you are busy, your calls now go to
	FwdNoAnswerOn      = "fwd-noanswer-on"      // When you do not answer, your calls now go to
	FwdOff             = "fwd-off"              // Call forwarding is off.
	FeatureRefused     = "feature-refused"      // That code could not be carried out.
	VMExtension        = "vm-extension"         // The person at extension
	VMUnavailable      = "vm-unavailable"       // is not available.
	VMBusy             = "vm-busy"              // is on another call.
	VMLeaveMessage     = "vm-leave-message"     // Please leave your message after the tone. When you are done, hang up or press the pound key.
	VMFull             = "vm-full"              // This mailbox is full and cannot take a message. Goodbye.
	VMMailbox          = "vm-mailbox"           // Please enter your mailbox number, then press pound.
	VMPassword         = "vm-password"          // Please enter your password, then press pound.
	VMIncorrect        = "vm-incorrect"         // Login incorrect.
	VMLocked           = "vm-locked"            // Too many wrong passwords. This mailbox is locked for a while. Goodbye.
	VMYouHave          = "vm-you-have"          // You have
	VMNew              = "vm-new"               // new
	VMOld              = "vm-old"               // saved
	VMMessage          = "vm-message"           // message
	VMMessages         = "vm-messages"          // messages
	VMAnd              = "vm-and"               // and
	VMNoMessages       = "vm-no-messages"       // no messages.
	VMMainMenu         = "vm-main-menu"         // Press 1 to listen to new messages, or 2 to listen to saved messages. Press 0 for mailbox options, or star to leave.
	VMMessageN         = "vm-message-n"         // Message
	VMFrom             = "vm-from"              // from
	VMUnknownCaller    = "vm-unknown-caller"    // from an unknown caller.
	VMMessageMenu      = "vm-message-menu"      // Press 5 to hear it again, 9 to save it, or 7 to delete it. Press 6 for the next message, 4 for the previous one, or star for the main menu.
	VMSaved            = "vm-saved"             // Message saved.
	VMDeleted          = "vm-deleted"           // Message deleted.
	VMNoMore           = "vm-no-more"           // There are no more messages.
	VMOptions          = "vm-options"           // Press 1 to record your unavailable greeting, 2 to record your busy greeting, or 3 to erase your greetings. Press 4 to change your password, or star for the main menu.
	VMRecordGreeting   = "vm-record-greeting"   // Record your greeting after the tone, then press pound.
	VMGreetingReview   = "vm-greeting-review"   // To keep this greeting, press 1. To hear it again, press 2. To record it again, press 3.
	VMGreetingSaved    = "vm-greeting-saved"    // Your greeting is saved.
	VMGreetingsErased  = "vm-greetings-erased"  // Your greetings are erased.
	VMNewPassword      = "vm-new-password"      // Please enter your new password of four to eight digits, then press pound.
	VMRepeatPassword   = "vm-repeat-password"   // Please enter it once more, then press pound.
	VMPasswordChanged  = "vm-password-changed"  // Your password is changed.
	VMPasswordMismatch = "vm-password-mismatch" // The two did not match.
	VMPasswordWeak     = "vm-password-weak"     // That password is too easy to guess. Please choose another.
	ParkedAt           = "parked-at"            // Your call is parked at
	ParkFull           = "park-full"            // Every parking space is taken.
	ConfPIN            = "conf-pin"             // Please enter the conference PIN, then press pound.
	ConfFull           = "conf-full"            // This conference is full.
	ConfAlone          = "conf-alone"           // You are the only person in this conference.
	ConfMuted          = "conf-muted"           // You are muted.
	ConfUnmuted        = "conf-unmuted"         // You are no longer muted.
	DNDOn              = "dnd-on"               // Do not disturb is on.
	DNDOff             = "dnd-off"              // Do not disturb is off.
	CWOn               = "cw-on"                // Call waiting is on.
	CWOff              = "cw-off"               // Call waiting is off.
	RecordingOn        = "recording-on"         // This call is being recorded.
)

// Rate is the sample rate of every prompt.
const Rate = 8000

// maxOverrideBytes bounds an override file read into memory: two minutes
// of 16-bit audio, far more than any phrase.
const maxOverrideBytes = 2 << 20

// defaultRecheck is how long a loaded prompt is used before its override
// file is looked at again: an installer's new recording is heard within
// seconds, without a restart, while a busy box does not look at the disk
// on every phrase.
const defaultRecheck = 2 * time.Second

// Set is the box's voice prompts: the built-in English recordings compiled
// into the firmware (go:embed), each replaceable by a file NAME.wav (8 kHz
// mono WAV, any format dsp/audiofile.ReadWAV reads) in an override
// directory (prompts/ in the data directory).
//
// An override that cannot be used (not a WAV file, not 8 kHz, empty, too
// big) does not silence the box: Load logs a warning naming the file and
// what is wrong with it, once per version of the file, and gives the
// built-in recording until the file is fixed. A removed override gives
// the built-in again. Changes are seen within defaultRecheck.
//
// A Set is safe for concurrent use.
type Set struct {
	dir     string
	log     *slog.Logger
	recheck time.Duration
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]*entry
}

// entry is one loaded prompt.
type entry struct {
	samples  []int16 // what Load returns: the override's or the built-in's
	builtin  []int16
	checked  time.Time // when the override directory was last looked at
	override fileID    // the override file samples came from; zero: none
	bad      fileID    // the override version last reported unusable
}

// fileID tells versions of an override file apart.
type fileID struct {
	size int64
	mod  time.Time
}

// New returns the prompts with overrides from overrideDir ("" = the
// built-ins only). Nothing is read until Load.
func New(overrideDir string) *Set {
	return &Set{dir: overrideDir, log: slog.Default(), recheck: defaultRecheck, now: time.Now, cache: map[string]*entry{}}
}

// WithLogger makes s report unusable override files to log instead of the
// default logger, and returns s. Call it before s is shared.
func (s *Set) WithLogger(log *slog.Logger) *Set {
	if log != nil {
		s.log = log
	}
	return s
}

// Load returns the samples (8 kHz, linear) of the prompt called name. They
// are cached and shared: callers must not modify them. Once a prompt is
// loaded, Load allocates nothing. An unknown name is an error naming it.
func (s *Set) Load(name string) ([]int16, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cache[name]
	now := s.now()
	if e != nil && (s.dir == "" || now.Sub(e.checked) < s.recheck) {
		return e.samples, nil
	}
	if e == nil {
		b, err := loadBuiltin(name)
		if err != nil {
			return nil, err
		}
		e = &entry{samples: b, builtin: b}
		s.cache[name] = e
	}
	e.checked = now
	if s.dir != "" {
		s.refresh(name, e)
	}
	return e.samples, nil
}

// refresh looks at name's override file and updates e to use it, or the
// built-in when there is none or it is unusable.
func (s *Set) refresh(name string, e *entry) {
	path := filepath.Join(s.dir, name+".wav")
	fi, err := os.Stat(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("prompt override unreadable; using the built-in", "prompt", name, "err", err)
		}
		e.samples, e.override = e.builtin, fileID{}
		return
	}
	id := fileID{fi.Size(), fi.ModTime()}
	if id == e.override || id == e.bad {
		return // unchanged: still in use, or still unusable
	}
	samples, err := readOverride(path, fi)
	if err != nil {
		s.log.Warn("prompt override unusable; using the built-in", "prompt", name, "file", path, "err", err)
		e.samples, e.override, e.bad = e.builtin, fileID{}, id
		return
	}
	e.samples, e.override, e.bad = samples, id, fileID{}
}

// readOverride reads an installer's recording.
func readOverride(path string, fi fs.FileInfo) ([]int16, error) {
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > maxOverrideBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a prompt may have", path, fi.Size(), maxOverrideBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	samples, err := decode(io.LimitReader(f, maxOverrideBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w (a prompt is an 8 kHz mono WAV file: 16-bit PCM, μ-law or A-law)", path, err)
	}
	return samples, nil
}

// loadBuiltin decodes the built-in recording of name.
func loadBuiltin(name string) ([]int16, error) {
	if !validName(name) {
		return nil, fmt.Errorf("prompts: no prompt named %q", name)
	}
	f, err := builtin.Open("en/" + name + ".wav")
	if err != nil {
		return nil, fmt.Errorf("prompts: no prompt named %q", name)
	}
	defer f.Close()
	samples, err := decode(f)
	if err != nil {
		return nil, fmt.Errorf("prompts: built-in %q: %w", name, err)
	}
	return samples, nil
}

// validName tells whether name could name a prompt: no path, no dots.
func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "/\\.")
}

// decode reads a prompt WAV file: 8 kHz mono, not empty.
func decode(r io.Reader) ([]int16, error) {
	samples, rate, err := audiofile.ReadWAV(r)
	if err != nil {
		return nil, err
	}
	if rate != Rate {
		return nil, fmt.Errorf("%d Hz, want %d", rate, Rate)
	}
	if len(samples) == 0 {
		return nil, errors.New("no audio")
	}
	return samples, nil
}

// Names returns the name of every built-in prompt, sorted.
func Names() []string {
	ents, err := builtin.ReadDir("en")
	if err != nil {
		panic("prompts: the built-in prompts are missing: " + err.Error()) // a broken build
	}
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".wav"); ok {
			out = append(out, n)
		}
	}
	slices.Sort(out) // by name, not by file name ("vm-new" before "vm-new-password")
	return out
}

// Number returns the names that speak n, for 0 ≤ n ≤ 999, the way an
// American says it: 21 is "20" "1", 105 is "1" "hundred" "5", 0 is "0".
// Other numbers are spoken digit by digit (Digits).
func Number(n int) []string {
	if n < 0 || n > 999 {
		return Digits(strconv.Itoa(n))
	}
	if n == 0 {
		return []string{"0"}
	}
	var out []string
	if h := n / 100; h > 0 {
		out = append(out, strconv.Itoa(h), "hundred")
	}
	switch r := n % 100; {
	case r == 0:
	case r < 20:
		out = append(out, strconv.Itoa(r))
	default:
		out = append(out, strconv.Itoa(r/10*10))
		if r%10 != 0 {
			out = append(out, strconv.Itoa(r%10))
		}
	}
	return out
}

// Digits returns the names that speak s key by key, as a number to dial
// is read out: "0".."9", '*' as "star", '#' as "pound". Other characters
// (a '+', spaces) are skipped.
func Digits(s string) []string {
	out := make([]string, 0, len(s))
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9':
			d := c - '0'
			out = append(out, "0123456789"[d:d+1])
		case c == '*':
			out = append(out, "star")
		case c == '#':
			out = append(out, "pound")
		}
	}
	return out
}
