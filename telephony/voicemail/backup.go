package voicemail

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxFileBytes bounds one file of a mailbox directory: the WAV of the
// longest message or greeting (MaxMessage of 8 kHz μ-law, 7.2 MB) with
// room for its header. A backup holding a larger one is not the store's.
const MaxFileBytes = 8 << 20

// ValidBox reports whether box can name a mailbox directory: an
// extension number, 1–16 digits.
func ValidBox(box string) bool { return validBox(box) == nil }

// StoreFile reports whether name is a file the store keeps in a mailbox
// directory: a message's WAV or details (by a message ID), or a greeting.
// Such a name is a plain file name (no separator, no "..", no leading
// dot), so a backup can carry mailbox files by name and a restore can
// refuse anything else.
func StoreFile(name string) bool {
	base, ext := strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
	switch ext {
	case wavExt:
		return isGreetingFile(name) || validID(base)
	case metaExt:
		return validID(base)
	}
	return false
}

// MessageWAV reports whether name is a message's WAV (not a greeting),
// and its details file's name.
func MessageWAV(name string) (details string, ok bool) {
	base, ext := strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
	if ext != wavExt || !validID(base) {
		return "", false
	}
	return base + metaExt, true
}

// CheckFile checks a mailbox file's content as the store would read it,
// for a restore to refuse a damaged or foreign file before anything is
// written: a WAV must be the store's own format (8 kHz mono μ-law, whole),
// a details file a JSON object of at most a few kilobytes. A details
// file of a later format (a newer firmware's) passes: the store lists
// that message from its WAV.
func CheckFile(name string, r io.ReaderAt, size int64) error {
	if !StoreFile(name) {
		return fmt.Errorf("voicemail: %.40q is not a mailbox file", name)
	}
	if size < 0 || size > MaxFileBytes {
		return fmt.Errorf("voicemail: %s: %d bytes, limit %d", name, size, MaxFileBytes)
	}
	if filepath.Ext(name) == wavExt {
		if _, _, err := wavLayout(r, size); err != nil {
			return fmt.Errorf("voicemail: %s: %w", name, err)
		}
		return nil
	}
	if size > maxMetaBytes {
		return fmt.Errorf("voicemail: %s: %d bytes, limit %d", name, size, maxMetaBytes)
	}
	b := make([]byte, size)
	if _, err := r.ReadAt(b, 0); err != nil && !(errors.Is(err, io.EOF) && size == 0) {
		return fmt.Errorf("voicemail: %s: %w", name, err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("voicemail: %s: not a JSON object: %w", name, err)
	}
	return nil
}

// Reindex re-reads every mailbox directory after something other than
// the store changed them (a restore of a backup into the running box),
// and reports to OnChange every mailbox whose messages changed (another
// set, or another heard flag), so the lamps and the Voicemail page
// follow.
//
// Unlike Open it removes nothing: a .tmp- file may be a recording in
// progress and a details file without its WAV a commit halfway through.
// It holds the index's lock while it reads (message headers only, a few
// hundred bytes each), so a commit, mark or delete racing it lands
// either before the scan (and is seen on disk) or after the new index is
// in place (and updates it); recordings in progress keep their slots.
func (s *Store) Reindex() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("voicemail: reindex: %w", err)
	}
	type counts struct{ n, h int }
	var changed []string
	after := map[string]counts{}
	s.mu.Lock()
	before := map[string]map[string]*Message{}
	for box, mb := range s.boxes {
		before[box] = mb.msgs
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() || validBox(e.Name()) != nil {
			continue
		}
		box := e.Name()
		scanned, err := s.scanWith(box, false)
		if err != nil {
			s.log.Error("voicemail: mailbox unreadable", "box", box, "err", err)
			continue
		}
		seen[box] = true
		s.box(box).msgs = scanned.msgs
	}
	for box, mb := range s.boxes {
		if !seen[box] {
			// Its directory went (a restore replaced all voicemail).
			mb.msgs = map[string]*Message{}
		}
		n, h := mb.counts()
		after[box] = counts{n, h}
		if !sameMessages(before[box], mb.msgs) {
			changed = append(changed, box)
		}
		if len(mb.msgs) == 0 && len(mb.pending) == 0 && !seen[box] {
			delete(s.boxes, box)
		}
	}
	s.mu.Unlock()
	for _, box := range changed {
		s.changed(box, after[box].n, after[box].h)
	}
	return nil
}

// sameMessages reports whether two indexes of a mailbox list the same
// messages in the same state.
func sameMessages(a, b map[string]*Message) bool {
	if len(a) != len(b) {
		return false
	}
	for id, m := range a {
		if o := b[id]; o == nil || *o != *m {
			return false
		}
	}
	return true
}
