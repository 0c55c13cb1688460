// Package callrec keeps the recordings of calls: WAV files beside the
// database (never in it: bbolt maps its whole file into memory), one per
// call, each with a small JSON sidecar saying whose call it was.
//
// A recording is streamed to a temporary file while the call goes on — a
// buffered write every two seconds — then fsynced, its header patched and
// renamed into place when the call ends: a crash or a power cut leaves the
// temporary file, which the next start removes, and never a damaged
// recording. Audio is G.711 μ-law at 8 kHz: one channel, both parties
// mixed, or two (the recorded party on the left, whoever they talked to on
// the right). For browsers a recording is served as 16-bit PCM.
//
// The store keeps to a quota, box-wide and per extension, by removing the
// oldest recordings first, and removes recordings older than the retention
// time. It tells its owner (Options.OnAlarm) when the box-wide use passes
// 90 % of the quota and when a disk full stopped a recording.
package callrec

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zaf/g711"

	"minipbx/internal/atomicfile"
)

// Errors of the store.
var (
	// ErrNotFound: no recording with that ID.
	ErrNotFound = errors.New("callrec: no such recording")
	// ErrDiskFull: the data partition has no room; nothing was kept.
	ErrDiskFull = errors.New("callrec: the disk is full")
)

// rate is the sample rate of every recording.
const rate = 8000

// writeBuffer is a recording's file buffer: 16 KB is one second of
// two-channel μ-law.
const writeBuffer = 16 << 10

// Names in the store's directory.
const (
	tempPrefix = ".tmp-"
	wavExt     = ".wav"
	metaExt    = ".json"
	idLayout   = "20060102T150405Z"
	// maxMeta bounds a sidecar read at start.
	maxMeta = 64 << 10
)

// Recording describes one kept recording.
type Recording struct {
	ID     string    `json:"id"`
	CallID string    `json:"call_id"`
	Start  time.Time `json:"start"`
	// Duration is the audio's length.
	Duration time.Duration `json:"duration_ns"`
	Caller   string        `json:"caller,omitempty"`
	Callee   string        `json:"callee,omitempty"`
	// Extensions are the extensions that took part: whose quota it
	// counts against, who may listen.
	Extensions []string `json:"extensions,omitempty"`
	// Parties are the legs recorded, in order ("sip:201", "fxo:1").
	Parties []string `json:"parties,omitempty"`
	// Stereo: two channels, the recorded party left, the other right.
	Stereo bool `json:"stereo,omitempty"`
	// Size is the WAV file's size in bytes.
	Size int64 `json:"size"`
}

// Options configure a Store.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// OnAlarm is told, in words, when the box-wide use passes 90 % of
	// the quota (once, until it falls back under it) and when a full
	// disk stopped a recording.
	OnAlarm func(msg string)
}

// Limits are the quota and retention the store keeps to (zero: none).
type Limits struct {
	// Quota bounds all recordings together, ExtensionQuota those of any
	// one extension, in bytes.
	Quota, ExtensionQuota int64
	// Retention removes recordings older than it.
	Retention time.Duration
}

// Store is the recordings of calls. Its methods are safe for concurrent
// use.
type Store struct {
	dir string
	o   Options
	log *slog.Logger
	// create opens a recording's temporary file (tests make it fail
	// like a full disk).
	create func(path string) (file, error)

	mu     sync.Mutex
	recs   map[string]*Recording
	limits Limits
	warned bool // the 90 % alarm was given
	seq    uint32
}

// file is what a recording writes to (*os.File).
type file interface {
	io.Writer
	io.WriterAt
	Sync() error
	Close() error
}

func createFile(path string) (file, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// Open opens the store in dir (created when missing) and indexes it: the
// leftovers of interrupted recordings are removed; an unreadable recording
// is logged and left alone.
func Open(dir string, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, o: o, log: o.Logger, create: createFile, recs: map[string]*Recording{}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("callrec: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("callrec: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		switch {
		case strings.HasPrefix(name, tempPrefix):
			if err := os.Remove(path); err != nil {
				s.log.Warn("callrec: cannot remove an interrupted recording", "path", path, "err", err)
			}
		case strings.HasSuffix(name, metaExt):
			id := strings.TrimSuffix(name, metaExt)
			r, err := s.load(id)
			if err != nil {
				s.log.Warn("callrec: recording unreadable; left alone", "id", id, "err", err)
				continue
			}
			s.recs[id] = r
		}
	}
	return s, nil
}

// validID checks a recording ID: the time it started and a counter, so it
// can never name a file outside the store.
func validID(id string) bool {
	ts, n, ok := strings.Cut(id, "-")
	if !ok || len(n) != 4 || strings.Trim(n, "0123456789") != "" {
		return false
	}
	t, err := time.Parse(idLayout, ts)
	return err == nil && t.Format(idLayout) == ts
}

// load reads a recording's sidecar and checks its audio file.
func (s *Store) load(id string) (*Recording, error) {
	if !validID(id) {
		return nil, fmt.Errorf("a stray file, not a recording")
	}
	b, err := readBounded(filepath.Join(s.dir, id+metaExt), maxMeta)
	if err != nil {
		return nil, err
	}
	r, err := parseMeta(b)
	if err != nil {
		return nil, err
	}
	if r.ID != id {
		return nil, fmt.Errorf("sidecar names %q", r.ID)
	}
	fi, err := os.Stat(filepath.Join(s.dir, id+wavExt))
	if err != nil {
		return nil, err
	}
	r.Size = fi.Size()
	return r, nil
}

// parseMeta decodes a sidecar, strictly.
func parseMeta(b []byte) (*Recording, error) {
	var r Recording
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("sidecar: %w", err)
	}
	if !validID(r.ID) || r.Duration < 0 || len(r.Extensions) > 64 || len(r.Parties) > 64 {
		return nil, errors.New("sidecar: out of range")
	}
	return &r, nil
}

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
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return b, nil
}

// SetLimits changes the quota and retention and applies them at once.
func (s *Store) SetLimits(l Limits) {
	s.mu.Lock()
	s.limits = l
	s.mu.Unlock()
	s.Prune()
}

// Writer is a recording being made. Write feeds it; Commit keeps it,
// Abort throws it away; one of them must be called.
type Writer struct {
	s    *Store
	rec  Recording
	path string

	mu   sync.Mutex
	f    file
	w    *bufio.Writer
	n    int64 // sample frames (one per channel pair) written
	err  error
	done bool
}

// Create starts a recording described by r (its ID, Size and Duration are
// the store's to fill).
func (s *Store) Create(r Recording) (*Writer, error) {
	now := s.o.Now().UTC()
	s.mu.Lock()
	s.seq++
	r.ID = fmt.Sprintf("%s-%04d", now.Format(idLayout), s.seq%10000)
	s.mu.Unlock()
	if r.Start.IsZero() {
		r.Start = now
	}
	path := filepath.Join(s.dir, tempPrefix+r.ID+wavExt)
	f, err := s.create(path)
	if err != nil {
		if isNoSpace(err) {
			s.alarm("a call could not be recorded: the disk is full")
			return nil, fmt.Errorf("callrec: %w", ErrDiskFull)
		}
		return nil, fmt.Errorf("callrec: create: %w", err)
	}
	w := &Writer{s: s, rec: r, path: path, f: f, w: bufio.NewWriterSize(f, writeBuffer)}
	if _, err := w.w.Write(wavHeader(channels(r.Stereo), 0)); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("callrec: create: %w", err)
	}
	return w, nil
}

func channels(stereo bool) int {
	if stereo {
		return 2
	}
	return 1
}

// ID is the recording's ID.
func (w *Writer) ID() string { return w.rec.ID }

// Write adds one frame of both sides: says is what the recorded party
// said, hears what they heard (the same length). A mono recording mixes
// them. A write error (a full disk) ends the recording: it is kept as far
// as it got at Commit.
func (w *Writer) Write(says, hears []int16) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || w.err != nil {
		return w.err
	}
	var b [2 * 160]byte
	out := b[:0]
	for i := range says {
		if w.rec.Stereo {
			out = append(out, g711.EncodeUlawFrame(says[i]), g711.EncodeUlawFrame(hears[i]))
			continue
		}
		v := int32(says[i]) + int32(hears[i])
		out = append(out, g711.EncodeUlawFrame(int16(max(-32768, min(32767, v)))))
	}
	if _, err := w.w.Write(out); err != nil {
		w.err = err
		if isNoSpace(err) {
			w.s.alarm("a recording stopped: the disk is full")
		}
		return err
	}
	w.n += int64(len(says))
	return nil
}

// Commit finishes the recording: the buffer is written, the header
// patched, the file fsynced and renamed, the sidecar written; then the
// quota and retention apply. A recording with no audio is not kept.
func (w *Writer) Commit() (Recording, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return Recording{}, errors.New("callrec: recording already finished")
	}
	w.done = true
	s := w.s
	fail := func(err error) (Recording, error) {
		w.f.Close()
		os.Remove(w.path)
		return Recording{}, fmt.Errorf("callrec: %s: %w", w.rec.ID, err)
	}
	if w.n == 0 {
		return fail(errors.New("nothing was recorded"))
	}
	if err := w.w.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	ch := int64(channels(w.rec.Stereo))
	data := w.n * ch
	if data&1 == 1 {
		if _, err := w.f.WriteAt([]byte{0}, int64(len(wavHeader(1, 0)))+data); err != nil {
			return fail(err)
		}
	}
	if _, err := w.f.WriteAt(wavHeader(int(ch), data), 0); err != nil {
		return fail(err)
	}
	if err := w.f.Sync(); err != nil {
		return fail(err)
	}
	if err := w.f.Close(); err != nil {
		return fail(err)
	}
	w.rec.Duration = time.Duration(w.n) * time.Second / rate
	meta, err := json.Marshal(w.rec)
	if err != nil {
		return fail(err)
	}
	final := filepath.Join(s.dir, w.rec.ID+wavExt)
	if err := os.Rename(w.path, final); err != nil {
		return fail(err)
	}
	if err := atomicfile.Write(filepath.Join(s.dir, w.rec.ID+metaExt), meta, 0o600); err != nil {
		os.Remove(final)
		return Recording{}, fmt.Errorf("callrec: %s: %w", w.rec.ID, err)
	}
	fi, err := os.Stat(final)
	if err == nil {
		w.rec.Size = fi.Size()
	}
	rec := w.rec
	s.mu.Lock()
	s.recs[rec.ID] = &rec
	s.mu.Unlock()
	s.Prune()
	return rec, nil
}

// Abort throws the recording away.
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.path)
}

// isNoSpace reports a full disk (or quota).
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

func (s *Store) alarm(msg string) {
	s.log.Warn("callrec: " + msg)
	if s.o.OnAlarm != nil {
		s.o.OnAlarm(msg)
	}
}

// Filter selects recordings; zero fields select all.
type Filter struct {
	From, To time.Time
	// Number matches part of the caller's or callee's number.
	Number string
	// Extension is one that took part.
	Extension string
}

func (f Filter) match(r *Recording) bool {
	switch {
	case !f.From.IsZero() && r.Start.Before(f.From):
		return false
	case !f.To.IsZero() && !r.Start.Before(f.To):
		return false
	case f.Number != "" && !strings.Contains(r.Caller, f.Number) && !strings.Contains(r.Callee, f.Number):
		return false
	case f.Extension != "" && !slices.Contains(r.Extensions, f.Extension):
		return false
	}
	return true
}

// List returns the recordings f selects, newest first.
func (s *Store) List(f Filter) []Recording {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Recording
	for _, r := range s.recs {
		if f.match(r) {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b Recording) int { return b.Start.Compare(a.Start) })
	return out
}

// Get returns one recording's description.
func (s *Store) Get(id string) (Recording, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok {
		return Recording{}, fmt.Errorf("%w: %.40q", ErrNotFound, id)
	}
	return *r, nil
}

// Delete removes a recording.
func (s *Store) Delete(id string) error {
	s.mu.Lock()
	_, ok := s.recs[id]
	delete(s.recs, id)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %.40q", ErrNotFound, id)
	}
	return s.remove(id)
}

func (s *Store) remove(id string) error {
	// The sidecar first: a recording without one is not listed, and the
	// audio without a sidecar is cleaned up as a stray.
	if err := os.Remove(filepath.Join(s.dir, id+metaExt)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("callrec: delete %s: %w", id, err)
	}
	if err := os.Remove(filepath.Join(s.dir, id+wavExt)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("callrec: delete %s: %w", id, err)
	}
	return nil
}

// Usage is how much the recordings take: all together and per extension,
// in bytes, and the quota they are held to.
type Usage struct {
	Total       int64            `json:"total"`
	Quota       int64            `json:"quota"`
	ByExtension map[string]int64 `json:"by_extension"`
	Count       int              `json:"count"`
	// Warning: the total passed 90 % of the quota.
	Warning bool `json:"warning"`
}

// Usage reports the store's use.
func (s *Store) Usage() Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := Usage{Quota: s.limits.Quota, ByExtension: map[string]int64{}, Count: len(s.recs)}
	for _, r := range s.recs {
		u.Total += r.Size
		for _, e := range r.Extensions {
			u.ByExtension[e] += r.Size
		}
	}
	u.Warning = u.Quota > 0 && u.Total*10 >= u.Quota*9
	return u
}

// Prune removes recordings past the retention, then the oldest ones until
// the quotas hold, and gives the 90 % alarm when it applies.
func (s *Store) Prune() {
	s.mu.Lock()
	l := s.limits
	now := s.o.Now()
	all := make([]*Recording, 0, len(s.recs))
	for _, r := range s.recs {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b *Recording) int { return a.Start.Compare(b.Start) })
	var gone []string
	drop := func(r *Recording) {
		delete(s.recs, r.ID)
		gone = append(gone, r.ID)
	}
	kept := all[:0]
	for _, r := range all {
		if l.Retention > 0 && now.Sub(r.Start) > l.Retention {
			drop(r)
			continue
		}
		kept = append(kept, r)
	}
	all = kept
	var total int64
	byExt := map[string]int64{}
	for _, r := range all {
		total += r.Size
		for _, e := range r.Extensions {
			byExt[e] += r.Size
		}
	}
	for _, r := range all {
		over := l.Quota > 0 && total > l.Quota
		for _, e := range r.Extensions {
			over = over || l.ExtensionQuota > 0 && byExt[e] > l.ExtensionQuota
		}
		if !over {
			continue
		}
		drop(r)
		total -= r.Size
		for _, e := range r.Extensions {
			byExt[e] -= r.Size
		}
	}
	warn := l.Quota > 0 && total*10 >= l.Quota*9
	alarm := warn && !s.warned
	s.warned = warn
	s.mu.Unlock()
	for _, id := range gone {
		if err := s.remove(id); err != nil {
			s.log.Warn("callrec: pruning", "id", id, "err", err)
		} else {
			s.log.Info("callrec: recording removed by quota or retention", "id", id)
		}
	}
	if alarm {
		s.alarm(fmt.Sprintf("call recordings use %d %% of their quota (%d of %d MB); the oldest are removed as new ones come",
			total*100/l.Quota, total>>20, l.Quota>>20))
	}
}

// Audio opens a recording as a 16-bit PCM WAV file (what every browser
// plays), decoding the μ-law as it is read; the caller closes it. It
// seeks, so a web server can answer Range requests.
func (s *Store) Audio(id string) (io.ReadSeekCloser, int64, error) {
	r, err := s.Get(id)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(filepath.Join(s.dir, id+wavExt))
	if err != nil {
		return nil, 0, fmt.Errorf("callrec: %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	ch := channels(r.Stereo)
	off := int64(len(wavHeader(ch, 0)))
	n := fi.Size() - off
	if n < 0 {
		f.Close()
		return nil, 0, fmt.Errorf("callrec: %s: truncated", id)
	}
	hdr := pcmHeader(ch, 2*n)
	return &pcmReader{f: f, hdr: hdr, off: off, n: n}, int64(len(hdr)) + 2*n, nil
}

// wavHeader is a μ-law WAV header (fmt with cbSize, data) for ch channels
// and data bytes of audio.
func wavHeader(ch int, data int64) []byte {
	b := make([]byte, 0, 46)
	le := binary.LittleEndian
	b = append(b, "RIFF"...)
	b = le.AppendUint32(b, uint32(38+data+data&1))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 18)
	b = le.AppendUint16(b, 7) // μ-law
	b = le.AppendUint16(b, uint16(ch))
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, uint32(rate*ch))
	b = le.AppendUint16(b, uint16(ch))
	b = le.AppendUint16(b, 8)
	b = le.AppendUint16(b, 0)
	b = append(b, "data"...)
	return le.AppendUint32(b, uint32(data))
}

// pcmHeader is a 16-bit PCM WAV header for ch channels and data bytes.
func pcmHeader(ch int, data int64) []byte {
	b := make([]byte, 0, 44)
	le := binary.LittleEndian
	b = append(b, "RIFF"...)
	b = le.AppendUint32(b, uint32(36+data))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, uint16(ch))
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, uint32(2*rate*ch))
	b = le.AppendUint16(b, uint16(2*ch))
	b = le.AppendUint16(b, 16)
	b = append(b, "data"...)
	return le.AppendUint32(b, uint32(data))
}

// pcmReader reads a μ-law file as 16-bit PCM: the PCM header, then each
// μ-law byte as two bytes.
type pcmReader struct {
	f      *os.File
	hdr    []byte
	off, n int64 // μ-law data in f
	pos    int64 // in the PCM view
	buf    []byte
}

func (r *pcmReader) size() int64 { return int64(len(r.hdr)) + 2*r.n }

func (r *pcmReader) Read(p []byte) (int, error) {
	if r.pos >= r.size() {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.pos < int64(len(r.hdr)) {
		c := copy(p[n:], r.hdr[r.pos:])
		n += c
		r.pos += int64(c)
	}
	if n == len(p) || r.pos >= r.size() {
		return n, nil
	}
	// The PCM sample at r.pos comes from μ-law byte (pos-hdr)/2.
	start := (r.pos - int64(len(r.hdr))) / 2
	want := min(int64((len(p)-n)/2+1), r.n-start)
	if int64(cap(r.buf)) < want {
		r.buf = make([]byte, want)
	}
	buf := r.buf[:want]
	m, err := r.f.ReadAt(buf, r.off+start)
	if m == 0 && err != nil {
		return n, err
	}
	for i := 0; i < m && n < len(p); i++ {
		var s [2]byte
		binary.LittleEndian.PutUint16(s[:], uint16(g711.DecodeUlawFrame(buf[i])))
		odd := (r.pos - int64(len(r.hdr))) & 1
		for j := odd; j < 2 && n < len(p); j++ {
			p[n] = s[j]
			n++
			r.pos++
		}
	}
	return n, nil
}

func (r *pcmReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size()
	default:
		return 0, errors.New("callrec: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("callrec: seek before the start")
	}
	r.pos = offset
	return offset, nil
}

func (r *pcmReader) Close() error { return r.f.Close() }

// AddParty notes a party the recording heard (a leg's name) and the
// extension it belongs to ("" none): whose quota the recording counts
// against and who may listen.
func (w *Writer) AddParty(party, ext string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if party != "" && !slices.Contains(w.rec.Parties, party) {
		w.rec.Parties = append(w.rec.Parties, party)
	}
	if ext != "" && !slices.Contains(w.rec.Extensions, ext) {
		w.rec.Extensions = append(w.rec.Extensions, ext)
	}
}
