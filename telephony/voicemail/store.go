package voicemail

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"minipbx/dsp/audiofile"
	"minipbx/internal/atomicfile"
	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// Limits of a message.
const (
	// MinMessage is the shortest message Commit keeps: anything shorter
	// is a caller who hung up at the tone, not a message.
	MinMessage = time.Second
	// MaxMessage is a safety bound far above the configurable limit
	// (store.MaxVoicemailMessageS): Write refuses audio beyond it with
	// ErrTooLong, so a call flow that forgot to stop cannot fill the disk.
	MaxMessage = 15 * time.Minute
)

// Greeting kinds.
const (
	GreetingUnavailable = "unavailable" // no answer, or no phone
	GreetingBusy        = "busy"
)

// Errors; test with errors.Is.
var (
	// ErrFull means the mailbox holds as many messages (with the ones
	// being recorded) as its limit allows.
	ErrFull = errors.New("voicemail: mailbox full")
	// ErrTooShort means a recording was shorter than MinMessage; nothing
	// was kept.
	ErrTooShort = errors.New("voicemail: message too short")
	// ErrTooLong means a recording reached MaxMessage.
	ErrTooLong = errors.New("voicemail: message too long")
	// ErrNotFound means a mailbox or message does not exist (or its name
	// could not be one). It is store.ErrNotFound, so the web UI answers
	// 404.
	ErrNotFound = fmt.Errorf("voicemail: %w", store.ErrNotFound)
)

// Options configure a Store.
type Options struct {
	// OnChange is called after any change to a mailbox's messages (new
	// message, heard, deleted), with its counts; the exchange drives
	// message-waiting lamps from it. Called without locks held, from the
	// changing goroutine.
	OnChange func(box string, newCount, heardCount int)
	Now      func() time.Time // default time.Now
	Logger   *slog.Logger
}

// Message is one voicemail message.
type Message struct {
	ID       string
	Box      string
	Caller   channel.CallerID
	Received time.Time
	Duration time.Duration
	Heard    bool
}

// Store is the message store over one directory. It is safe for use from
// many goroutines.
type Store struct {
	dir string
	o   Options
	log *slog.Logger
	hdr wavHeader

	// createTemp opens a recording's file; tests replace it with one
	// that fails like a full disk.
	createTemp func(path string) (file, error)

	mu    sync.Mutex
	boxes map[string]*mailbox
}

// file is what a recording writes to (*os.File).
type file interface {
	io.Writer
	io.WriterAt
	Sync() error
	Close() error
}

// mailbox is one mailbox's index.
type mailbox struct {
	msgs    map[string]*Message
	pending map[string]bool // IDs of recordings in progress
}

// Names in a mailbox directory.
const (
	tempPrefix     = ".tmp-"
	greetingPrefix = "greeting-"
	wavExt         = ".wav"
	metaExt        = ".json"
	idTimeLayout   = "20060102T150405Z"
)

// Open opens the store in dir (<data>/recordings/voicemail), creating it
// if missing, and indexes every mailbox in it: leftovers of interrupted
// recordings are removed, unreadable messages and stray files are logged
// and left alone.
func Open(dir string, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	hdr, err := newWAVHeader()
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, o: o, log: o.Logger, hdr: hdr, boxes: map[string]*mailbox{}, createTemp: createFile}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			// What a restore staged and did not finish (see Reindex).
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				s.log.Warn("voicemail: cannot remove the leftover of an interrupted restore", "path", filepath.Join(dir, e.Name()), "err", err)
			}
			continue
		}
		if !e.IsDir() || validBox(e.Name()) != nil {
			s.log.Warn("voicemail: stray entry in the message directory ignored", "path", filepath.Join(dir, e.Name()))
			continue
		}
		mb, err := s.scan(e.Name())
		if err != nil {
			// The directory exists but cannot be read: keep going so one
			// bad mailbox does not take voicemail down for all.
			s.log.Error("voicemail: mailbox unreadable", "box", e.Name(), "err", err)
			continue
		}
		s.boxes[e.Name()] = mb
	}
	return s, nil
}

func createFile(path string) (file, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// validBox checks a mailbox name: an extension number, which can never
// name anything outside the store's directory.
func validBox(box string) error {
	if len(box) < 1 || len(box) > 16 || strings.Trim(box, "0123456789") != "" {
		return fmt.Errorf("%w: mailbox %.20q is not an extension number", ErrNotFound, box)
	}
	return nil
}

// parseID checks a message ID and returns the time it encodes.
func parseID(id string) (time.Time, bool) {
	ts, suffix, ok := strings.Cut(id, "-")
	if !ok || len(suffix) != 4 || strings.Trim(suffix, "0123456789abcdef") != "" {
		return time.Time{}, false
	}
	t, err := time.Parse(idTimeLayout, ts)
	if err != nil || t.Format(idTimeLayout) != ts {
		return time.Time{}, false
	}
	return t, true
}

func (s *Store) boxDir(box string) string { return filepath.Join(s.dir, box) }

// scan indexes one mailbox directory at Open, removing what interrupted
// recordings, commits and deletes left behind.
func (s *Store) scan(box string) (*mailbox, error) { return s.scanWith(box, true) }

// scanWith indexes one mailbox directory; cleanup removes leftovers
// (only at Open: while the store runs they may be work in progress).
func (s *Store) scanWith(box string, cleanup bool) (*mailbox, error) {
	dir := s.boxDir(box)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	mb := &mailbox{msgs: map[string]*Message{}, pending: map[string]bool{}}
	metas := map[string]bool{}
	var wavs []string
	for _, e := range entries {
		name := e.Name()
		base, ext := strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
		switch {
		case strings.HasPrefix(name, tempPrefix) && !cleanup:
		case strings.HasPrefix(name, tempPrefix):
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				s.log.Warn("voicemail: cannot remove the leftover of an interrupted recording", "box", box, "file", name, "err", err)
			} else {
				s.log.Info("voicemail: removed the leftover of an interrupted recording", "box", box, "file", name)
			}
		case e.Type().IsRegular() && ext == wavExt && isGreetingFile(name):
		case e.Type().IsRegular() && ext == wavExt && validID(base):
			wavs = append(wavs, base)
		case e.Type().IsRegular() && ext == metaExt && validID(base):
			metas[base] = true
		default:
			s.log.Warn("voicemail: stray file in a mailbox ignored", "box", box, "file", name)
		}
	}
	for _, id := range wavs {
		m, err := s.load(box, id, metas[id])
		delete(metas, id)
		if err != nil {
			s.log.Warn("voicemail: unreadable message skipped (its files are left as they are)", "box", box, "id", id, "err", err)
			continue
		}
		mb.msgs[id] = m
	}
	for id := range metas {
		// A sidecar without its WAV: a commit or delete was cut short
		// between its two steps; either way there is no message. (While
		// the store runs, a commit may be between them now.)
		if !cleanup {
			break
		}
		if err := os.Remove(filepath.Join(dir, id+metaExt)); err == nil {
			s.log.Info("voicemail: removed the details of a message whose audio was never committed or already deleted", "box", box, "id", id)
		}
	}
	return mb, nil
}

func validID(id string) bool { _, ok := parseID(id); return ok }

func isGreetingFile(name string) bool {
	k := strings.TrimSuffix(strings.TrimPrefix(name, greetingPrefix), wavExt)
	return strings.HasPrefix(name, greetingPrefix) && (k == GreetingUnavailable || k == GreetingBusy)
}

// load reads one message's details: the duration from its WAV, the rest
// from its sidecar, or, when the sidecar is missing or unreadable, the
// time from the ID and an unknown caller (the audio is what matters).
func (s *Store) load(box, id string, haveMeta bool) (*Message, error) {
	dir := s.boxDir(box)
	f, err := os.Open(filepath.Join(dir, id+wavExt))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	_, n, err := wavLayout(f, fi.Size())
	if err != nil {
		return nil, err
	}
	received, _ := parseID(id)
	m := &Message{ID: id, Box: box, Received: received, Duration: samplesDuration(n)}
	if !haveMeta {
		s.log.Warn("voicemail: message without its details; caller unknown", "box", box, "id", id)
		return m, nil
	}
	b, err := readBounded(filepath.Join(dir, id+metaExt), maxMetaBytes)
	if err == nil {
		var md meta
		if md, err = parseMeta(b); err == nil {
			m.Caller, m.Received, m.Heard = md.Caller, md.Received, md.Heard
			return m, nil
		}
	}
	s.log.Warn("voicemail: message details unreadable; caller unknown", "box", box, "id", id, "err", err)
	return m, nil
}

// readBounded reads a small file, refusing one over max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: over %d bytes", path, max)
	}
	return b, nil
}

func samplesDuration(n int64) time.Duration { return time.Duration(n) * time.Second / rate }

// box returns a mailbox's index, creating an empty one; s.mu is held.
func (s *Store) box(box string) *mailbox {
	mb := s.boxes[box]
	if mb == nil {
		mb = &mailbox{msgs: map[string]*Message{}, pending: map[string]bool{}}
		s.boxes[box] = mb
	}
	return mb
}

// message looks a message up; s.mu is held.
func (s *Store) message(box, id string) (*Message, error) {
	if err := validBox(box); err != nil {
		return nil, err
	}
	if mb := s.boxes[box]; mb != nil {
		if m := mb.msgs[id]; m != nil {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w: mailbox %s has no message %.40q", ErrNotFound, box, id)
}

// counts are a mailbox's new and heard messages; s.mu is held.
func (mb *mailbox) counts() (newCount, heardCount int) {
	if mb == nil {
		return 0, 0
	}
	for _, m := range mb.msgs {
		if m.Heard {
			heardCount++
		} else {
			newCount++
		}
	}
	return newCount, heardCount
}

// changed reports a mailbox's counts to OnChange; s.mu is not held.
func (s *Store) changed(box string, newCount, heardCount int) {
	if s.o.OnChange != nil {
		s.o.OnChange(box, newCount, heardCount)
	}
}

// Boxes lists the mailbox directories on disk, sorted: the configured
// mailboxes that ever held something, and those of removed mailboxes
// whose messages were kept.
func (s *Store) Boxes() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && validBox(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Messages lists a mailbox's messages: new ones first, then heard ones,
// each oldest first. An unknown mailbox has none.
func (s *Store) Messages(box string) ([]Message, error) {
	if err := validBox(box); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var out []Message
	if mb := s.boxes[box]; mb != nil {
		out = make([]Message, 0, len(mb.msgs))
		for _, m := range mb.msgs {
			out = append(out, *m)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Message) int {
		switch {
		case a.Heard != b.Heard:
			if a.Heard {
				return 1
			}
			return -1
		case !a.Received.Equal(b.Received):
			return a.Received.Compare(b.Received)
		}
		return strings.Compare(a.ID, b.ID)
	})
	if out == nil {
		out = []Message{}
	}
	return out, nil
}

// Counts are a mailbox's new and heard messages (0, 0 for an unknown or
// invalid name).
func (s *Store) Counts(box string) (newCount, heardCount int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.boxes[box].counts()
}

// Samples reads a message's audio (8 kHz linear), for playing it to a
// phone.
func (s *Store) Samples(box, id string) ([]int16, error) {
	f, err := s.open(box, id)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	samples, _, err := audiofile.ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("voicemail: message %s/%s: %w", box, id, err)
	}
	return samples, nil
}

// open opens a message's WAV.
func (s *Store) open(box, id string) (*os.File, error) {
	s.mu.Lock()
	_, err := s.message(box, id)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.boxDir(box), id+wavExt))
	if errors.Is(err, fs.ErrNotExist) {
		// Deleted since the look-up.
		return nil, fmt.Errorf("%w: mailbox %s has no message %s", ErrNotFound, box, id)
	}
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	return f, nil
}

// WAV opens a message as a 16-bit PCM WAV (what every browser plays),
// converted while it is read; size is the stream's exact length. It
// seeks, so the web UI can answer a player's Range requests
// (http.ServeContent). The caller closes it.
func (s *Store) WAV(box, id string) (io.ReadSeekCloser, int64, error) {
	f, err := s.open(box, id)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("voicemail: %w", err)
	}
	off, n, err := wavLayout(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("voicemail: message %s/%s: %w", box, id, err)
	}
	r := newPCMReader(f, s.hdr.pcmHeader(n), off, n)
	return r, r.size, nil
}

// SetHeard moves a message between new and heard.
func (s *Store) SetHeard(box, id string, heard bool) error {
	s.mu.Lock()
	m, err := s.message(box, id)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if m.Heard == heard {
		s.mu.Unlock()
		return nil
	}
	md := meta{Version: metaVersion, Caller: m.Caller, Received: m.Received, DurationMS: m.Duration.Milliseconds(), Heard: heard}
	if err := writeAtomic(s.boxDir(box), id+metaExt, md.marshal()); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("voicemail: mark message %s/%s: %w", box, id, err)
	}
	m.Heard = heard
	n, h := s.boxes[box].counts()
	s.mu.Unlock()
	s.changed(box, n, h)
	return nil
}

// Delete removes a message.
func (s *Store) Delete(box, id string) error {
	s.mu.Lock()
	if _, err := s.message(box, id); err != nil {
		s.mu.Unlock()
		return err
	}
	dir := s.boxDir(box)
	// The WAV first: it is what makes a message exist (see doc.go).
	if err := os.Remove(filepath.Join(dir, id+wavExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.mu.Unlock()
		return fmt.Errorf("voicemail: delete message %s/%s: %w", box, id, err)
	}
	if err := os.Remove(filepath.Join(dir, id+metaExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("voicemail: message deleted but its details file stays", "box", box, "id", id, "err", err)
	}
	mb := s.boxes[box]
	delete(mb.msgs, id)
	s.pruneDir(box)
	n, h := mb.counts()
	s.mu.Unlock()
	s.changed(box, n, h)
	return nil
}

// pruneDir removes a mailbox's directory once it holds nothing (no
// message, greeting or recording), so a removed mailbox disappears from
// Boxes when its last message is deleted; s.mu is held.
func (s *Store) pruneDir(box string) {
	if mb := s.boxes[box]; mb != nil && (len(mb.msgs) > 0 || len(mb.pending) > 0) {
		return
	}
	// Fails harmlessly when anything (a greeting, a stray file) is left.
	_ = os.Remove(s.boxDir(box))
}

// newID draws a message ID for time t unique in mb; s.mu is held.
func newID(mb *mailbox, t time.Time) string {
	ts := t.UTC().Format(idTimeLayout)
	var b [2]byte
	for {
		v := rand.Uint32()
		b[0], b[1] = byte(v), byte(v>>8)
		id := ts + "-" + hex.EncodeToString(b[:])
		if mb.msgs[id] == nil && !mb.pending[id] {
			return id
		}
	}
}

// writeAtomic replaces dir/name with data (see atomicfile); the
// temporary file carries tempPrefix, so a crash's leftover is removed at
// the next start.
func writeAtomic(dir, name string, data []byte) error {
	return atomicfile.WriteTemp(filepath.Join(dir, name), tempPrefix+name+"-*", data, 0o600)
}
