// Package prompts is the box's voice: the recorded phrases the exchange
// speaks to callers (queue announcements, feature-code confirmations,
// the voicemail menus), in English, Russian, Armenian, Kyrgyz and
// Italian. The built-in recordings are compiled into the firmware, so a
// box speaks from its first boot and a build needs no speech tools; an
// installer replaces any of them by putting a recording in the override
// directory (prompts/ in the data directory): NAME.wav for English,
// NAME.LANG.wav for the others (goodbye.ru.wav), e.g. to use a
// professional voice.
//
// Phrases are short. The exchange says whole sentences by name
// (Goodbye, VMMainMenu), and asks a Language for the sentences that hold
// numbers, dates and times (Language.MailboxCounts, MessageIntro,
// QueuePosition …): each language strings its phrases together in its
// own order and forms. LANG/texts.txt is each language's script: every
// name with the words it speaks, which a replacement must say too.
// `make prompts` regenerates the built-ins from the scripts
// (internal/gen).
package prompts

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"minipbx/dsp/audiofile"
)

// builtin holds the recordings and their scripts, a directory per
// language.
//
//go:embed en/*.wav en/texts.txt ru/*.wav ru/texts.txt hy/*.wav hy/texts.txt ky/*.wav ky/texts.txt it/*.wav it/texts.txt
var builtin embed.FS

// The names of the phrases the exchange says whole, in every language.
// The comment of each is what it says in English.
const (
	Goodbye            = "goodbye"              // Goodbye.
	Invalid            = "invalid"              // That is not a valid choice.
	FwdOff             = "fwd-off"              // Call forwarding is off.
	FeatureRefused     = "feature-refused"      // That code could not be carried out.
	VMLeaveMessage     = "vm-leave-message"     // Please leave your message after the tone. When you are done, hang up or press the pound key.
	VMFull             = "vm-full"              // This mailbox is full and cannot take a message. Goodbye.
	VMMailbox          = "vm-mailbox"           // Please enter your mailbox number, then press pound.
	VMPassword         = "vm-password"          // Please enter your password, then press pound.
	VMIncorrect        = "vm-incorrect"         // Login incorrect.
	VMLocked           = "vm-locked"            // Too many wrong passwords. This mailbox is locked for a while. Goodbye.
	VMMainMenu         = "vm-main-menu"         // Press 1 to listen to new messages, or 2 to listen to saved messages. Press 0 for mailbox options, or star to leave.
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

// Sentences returns the names of the phrases every language says whole
// (the constants above).
func Sentences() []string {
	return []string{Goodbye, Invalid, FwdOff, FeatureRefused, VMLeaveMessage, VMFull, VMMailbox, VMPassword,
		VMIncorrect, VMLocked, VMMainMenu, VMMessageMenu, VMSaved, VMDeleted, VMNoMore, VMOptions,
		VMRecordGreeting, VMGreetingReview, VMGreetingSaved, VMGreetingsErased, VMNewPassword,
		VMRepeatPassword, VMPasswordChanged, VMPasswordMismatch, VMPasswordWeak, ParkFull, ConfPIN,
		ConfFull, ConfAlone, ConfMuted, ConfUnmuted, DNDOn, DNDOff, CWOn, CWOff, RecordingOn}
}

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

// Set is the box's voice prompts: the built-in recordings compiled into
// the firmware (go:embed), each replaceable by a file in an override
// directory (prompts/ in the data directory): NAME.wav for English,
// NAME.LANG.wav for another language (Language.File), an 8 kHz mono WAV
// file in any format dsp/audiofile.ReadWAV reads. A replacement replaces
// the built-in of its own language only.
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
	cache map[key]*entry
}

// key names one prompt of one language.
type key struct {
	lang Language
	name string
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
	return &Set{dir: overrideDir, log: slog.Default(), recheck: defaultRecheck, now: time.Now, cache: map[key]*entry{}}
}

// WithLogger makes s report unusable override files to log instead of the
// default logger, and returns s. Call it before s is shared.
func (s *Set) WithLogger(log *slog.Logger) *Set {
	if log != nil {
		s.log = log
	}
	return s
}

// Load returns the samples (8 kHz, linear) of the prompt called name in
// language l. They are cached and shared: callers must not modify them.
// Once a prompt is loaded, Load allocates nothing. A name l has no
// prompt of is an error naming it.
func (s *Set) Load(l Language, name string) ([]int16, error) {
	k := key{l.def(), name}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cache[k]
	now := s.now()
	if e != nil && (s.dir == "" || now.Sub(e.checked) < s.recheck) {
		return e.samples, nil
	}
	if e == nil {
		b, err := k.lang.Builtin(name)
		if err != nil {
			return nil, err
		}
		e = &entry{samples: b, builtin: b}
		s.cache[k] = e
	}
	e.checked = now
	if s.dir != "" {
		s.refresh(k, e)
	}
	return e.samples, nil
}

// refresh looks at k's override file and updates e to use it, or the
// built-in when there is none or it is unusable.
func (s *Set) refresh(k key, e *entry) {
	path := filepath.Join(s.dir, k.lang.File(k.name))
	fi, err := os.Stat(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("prompt override unreadable; using the built-in", "prompt", k.name, "language", k.lang, "err", err)
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
		s.log.Warn("prompt override unusable; using the built-in", "prompt", k.name, "language", k.lang, "file", path, "err", err)
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

// File is the name of the file in the override directory that replaces
// l's prompt name: "goodbye.wav" for English, "goodbye.ru.wav" for
// Russian. A flat directory keeps every replacement where the
// Recordings page, pbxctl and backups already look, under a name the
// dial plan's file names allow.
func (l Language) File(name string) string {
	if l.def() == English {
		return name + ".wav"
	}
	return name + "." + string(l) + ".wav"
}

// ParseFile tells which built-in prompt a file in the override directory
// replaces (File's inverse): "goodbye.ru.wav" is Russian "goodbye",
// "goodbye.wav" English "goodbye". ok is false for a file that replaces
// no built-in (an installer's own recording for a menu).
func ParseFile(file string) (l Language, name string, ok bool) {
	base, isWAV := strings.CutSuffix(file, ".wav")
	if !isWAV {
		return "", "", false
	}
	l, name = English, base
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		l, name = Language(base[i+1:]), base[:i]
		if !Known(string(l)) || l == English {
			return "", "", false
		}
	}
	if !slices.Contains(l.Names(), name) {
		return "", "", false
	}
	return l, name, true
}

// Names returns the name of every built-in prompt of l, sorted.
func (l Language) Names() []string {
	ents, err := builtin.ReadDir(l.Code())
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

// Builtin returns the samples (8 kHz, linear) of l's built-in recording
// of name, whatever override the prompts directory holds: the
// Recordings page plays it so an installer hears what a replacement must
// say, and "restore built-in" shows what comes back. A fresh slice on
// every call; a name l has no prompt of is an error naming it.
func (l Language) Builtin(name string) ([]int16, error) {
	if !validName(name) {
		return nil, fmt.Errorf("prompts: no prompt named %q", name)
	}
	f, err := builtin.Open(l.Code() + "/" + name + ".wav")
	if err != nil {
		return nil, fmt.Errorf("prompts: no prompt named %q in %s", name, l.Code())
	}
	defer f.Close()
	samples, err := decode(f)
	if err != nil {
		return nil, fmt.Errorf("prompts: built-in %s %q: %w", l.Code(), name, err)
	}
	return samples, nil
}

// Builtin is English.Builtin.
func Builtin(name string) ([]int16, error) { return English.Builtin(name) }

// Text returns the words l's built-in prompt name speaks (its
// texts.txt), which a replacement recording must say too; "" for a name
// l has no prompt of.
func (l Language) Text(name string) string {
	if !slices.Contains(l.Names(), name) {
		return ""
	}
	return l.texts()[name]
}

// texts reads l's script: NAME<TAB>TEXT lines, # comments.
func (l Language) texts() map[string]string {
	f, err := builtin.Open(l.Code() + "/texts.txt")
	if err != nil {
		panic("prompts: the built-in script is missing: " + err.Error()) // a broken build
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if name, text, ok := strings.Cut(line, "\t"); ok {
			out[name] = strings.TrimSpace(text)
		}
	}
	return out
}
