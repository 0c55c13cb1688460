package voicemail

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"minipbx/dsp"
	"minipbx/internal/atomicfile"
	"minipbx/telephony/channel"
)

// writeBuffer is a recording's file buffer: 16 KB is two seconds of
// μ-law, so a message costs a write system call every two seconds rather
// than fifty a second.
const writeBuffer = 16 << 10

// maxSamples is MaxMessage in samples.
const maxSamples = int64(MaxMessage / time.Second * rate)

// Recording is a message being recorded. Write feeds it audio; Commit
// keeps it, Abort throws it away; one of them must be called. Its methods
// may be called from different goroutines (a call's media and its
// teardown).
type Recording struct {
	s        *Store
	box, id  string
	caller   channel.CallerID
	received time.Time
	path     string // the temporary file

	mu   sync.Mutex
	f    file
	w    *bufio.Writer
	enc  []byte // μ-law scratch, grown to the largest frame seen
	n    int64  // samples written
	err  error  // the write error that ended the recording
	done bool   // committed, aborted or failed
}

// Create starts recording a message into box for caller. It returns
// ErrFull when the box already holds limit messages, counting those being
// recorded (limit ≤ 0: no limit). The message is invisible until Commit.
func (s *Store) Create(box string, caller channel.CallerID, limit int) (*Recording, error) {
	if err := validBox(box); err != nil {
		return nil, err
	}
	now := s.o.Now().Round(0).UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.box(box)
	if limit > 0 && len(mb.msgs)+len(mb.pending) >= limit {
		return nil, fmt.Errorf("%w: mailbox %s holds %d messages", ErrFull, box, len(mb.msgs)+len(mb.pending))
	}
	dir := s.boxDir(box)
	// Under the lock, so that pruneDir cannot remove the directory
	// between its creation and the file's.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("voicemail: mailbox %s: %w", box, err)
	}
	id := newID(mb, now)
	path := filepath.Join(dir, tempPrefix+id+wavExt)
	f, err := s.createTemp(path)
	if err != nil {
		return nil, fmt.Errorf("voicemail: record into mailbox %s: %w", box, err)
	}
	r := &Recording{s: s, box: box, id: id, caller: caller, received: now, path: path, f: f, w: bufio.NewWriterSize(f, writeBuffer)}
	if _, err := r.w.Write(s.hdr.b); err != nil { // buffered: cannot fail yet
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("voicemail: record into mailbox %s: %w", box, err)
	}
	mb.pending[id] = true
	return r, nil
}

// ID is the message's ID (it keeps it once committed).
func (r *Recording) ID() string { return r.id }

// Write appends 8 kHz linear samples (a 20 ms frame at a time, from the
// call's goroutine: it allocates nothing after the first frame, and the
// file is written in large blocks). A write error (a full disk) ends the
// recording: its file is removed at once and the error is returned here
// and by Commit. Audio beyond MaxMessage is refused with ErrTooLong; what
// was recorded can still be committed.
func (r *Recording) Write(samples []int16) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.err != nil:
		return r.err
	case r.done:
		return errors.New("voicemail: write to a finished recording")
	case r.n+int64(len(samples)) > maxSamples:
		return ErrTooLong
	}
	if cap(r.enc) < len(samples) {
		r.enc = make([]byte, len(samples))
	}
	b := r.enc[:len(samples)]
	dsp.EncodeULaw(b, samples)
	if _, err := r.w.Write(b); err != nil {
		r.fail(err)
		return r.err
	}
	r.n += int64(len(samples))
	return nil
}

// fail ends the recording after a write error; r.mu is held.
func (r *Recording) fail(err error) {
	r.err = fmt.Errorf("voicemail: recording into mailbox %s: %w", r.box, err)
	r.discard()
}

// discard removes the file and the slot; r.mu is held.
func (r *Recording) discard() {
	r.done = true
	r.f.Close()
	if err := os.Remove(r.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		r.s.log.Warn("voicemail: cannot remove an abandoned recording (Open will)", "path", r.path, "err", err)
	}
	r.s.release(r.box, r.id)
}

// release frees a recording's slot in its mailbox.
func (s *Store) release(box, id string) {
	s.mu.Lock()
	delete(s.boxes[box].pending, id)
	s.pruneDir(box)
	s.mu.Unlock()
}

// Duration is how much audio has been written.
func (r *Recording) Duration() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return samplesDuration(r.n)
}

// Commit keeps the message: the file's sizes are filled in, it is synced
// to disk with its details and renamed into place, and OnChange reports
// the mailbox's new counts. A recording shorter than MinMessage is
// dropped with ErrTooShort.
func (r *Recording) Commit() (Message, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.err != nil:
		return Message{}, r.err
	case r.done:
		return Message{}, errors.New("voicemail: commit of a finished recording")
	case samplesDuration(r.n) < MinMessage:
		r.discard()
		return Message{}, ErrTooShort
	}
	m := Message{ID: r.id, Box: r.box, Caller: r.caller, Received: r.received, Duration: samplesDuration(r.n)}
	if err := r.finish(m); err != nil {
		r.fail(err)
		return Message{}, r.err
	}
	r.done = true
	s := r.s
	s.mu.Lock()
	mb := s.boxes[r.box]
	delete(mb.pending, r.id)
	mm := m
	mb.msgs[r.id] = &mm
	n, h := mb.counts()
	s.mu.Unlock()
	s.changed(r.box, n, h)
	return m, nil
}

// finish makes the recording a committed message on disk (doc.go, "Crash
// safety"); r.mu is held.
func (r *Recording) finish(m Message) error {
	if r.n&1 != 0 {
		if err := r.w.WriteByte(0); err != nil { // RIFF pad byte
			return err
		}
	}
	if err := r.w.Flush(); err != nil {
		return err
	}
	if err := r.s.hdr.patch(r.f, r.n); err != nil {
		return fmt.Errorf("patch wav header: %w", err)
	}
	if err := r.f.Sync(); err != nil {
		return err
	}
	err := r.f.Close()
	r.f = closedFile{}
	if err != nil {
		return err
	}
	dir := r.s.boxDir(r.box)
	md := meta{Version: metaVersion, Caller: m.Caller, Received: m.Received, DurationMS: m.Duration.Milliseconds()}
	if err := writeAtomic(dir, r.id+metaExt, md.marshal()); err != nil {
		return fmt.Errorf("write details: %w", err)
	}
	if err := os.Rename(r.path, filepath.Join(dir, r.id+wavExt)); err != nil {
		os.Remove(filepath.Join(dir, r.id+metaExt))
		return err
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		// The message is in place; only its durability across a power
		// cut in the next seconds is in doubt.
		r.s.log.Warn("voicemail: sync of mailbox directory failed", "box", r.box, "err", err)
	}
	return nil
}

// Abort throws the recording away (nothing is kept). It may be called
// after Commit or a failed Write; it then does nothing.
func (r *Recording) Abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.done {
		r.discard()
	}
}

// closedFile stands in for a recording's file once it is closed, so a
// later discard does not close it twice.
type closedFile struct{}

func (closedFile) Write([]byte) (int, error)          { return 0, os.ErrClosed }
func (closedFile) WriteAt([]byte, int64) (int, error) { return 0, os.ErrClosed }
func (closedFile) Sync() error                        { return os.ErrClosed }
func (closedFile) Close() error                       { return nil }
