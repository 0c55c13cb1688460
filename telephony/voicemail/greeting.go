package voicemail

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"minipbx/dsp/audiofile"
)

// greetingKinds are the greetings a mailbox may have, sorted.
func greetingKinds() [2]string { return [...]string{GreetingBusy, GreetingUnavailable} }

// MaxGreeting bounds a greeting, like a message.
const MaxGreeting = MaxMessage

func (s *Store) greetingPath(box, kind string) (string, error) {
	if err := validBox(box); err != nil {
		return "", err
	}
	if kind != GreetingUnavailable && kind != GreetingBusy {
		return "", fmt.Errorf("voicemail: greeting kind %.20q, want %q or %q", kind, GreetingUnavailable, GreetingBusy)
	}
	return filepath.Join(s.boxDir(box), greetingPrefix+kind+wavExt), nil
}

// Greeting reads a mailbox's recorded greeting of kind (GreetingBusy or
// GreetingUnavailable); ok is false when the owner recorded none (the
// built-in one plays).
func (s *Store) Greeting(box, kind string) (samples []int16, ok bool, err error) {
	path, err := s.greetingPath(box, kind)
	if err != nil {
		return nil, false, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("voicemail: greeting: %w", err)
	}
	defer f.Close()
	samples, _, err = audiofile.ReadWAV(f)
	if err != nil {
		return nil, false, fmt.Errorf("voicemail: greeting %s of mailbox %s: %w", kind, box, err)
	}
	return samples, true, nil
}

// SaveGreeting records (replaces) a mailbox's greeting of kind.
func (s *Store) SaveGreeting(box, kind string, samples []int16) error {
	path, err := s.greetingPath(box, kind)
	if err != nil {
		return err
	}
	if len(samples) == 0 || samplesDuration(int64(len(samples))) > MaxGreeting {
		return fmt.Errorf("voicemail: greeting of %v, want up to %v", samplesDuration(int64(len(samples))), MaxGreeting)
	}
	var b bytes.Buffer
	if err := audiofile.WriteWAV(&b, samples, audiofile.ULaw); err != nil {
		return fmt.Errorf("voicemail: greeting: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.box(box)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("voicemail: greeting: %w", err)
	}
	if err := writeAtomic(dir, filepath.Base(path), b.Bytes()); err != nil {
		s.pruneDir(box)
		return fmt.Errorf("voicemail: save greeting %s of mailbox %s: %w", kind, box, err)
	}
	return nil
}

// DeleteGreetings removes a mailbox's recorded greetings (the built-in
// ones play again).
func (s *Store) DeleteGreetings(box string) error {
	if err := validBox(box); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range greetingKinds() {
		path, _ := s.greetingPath(box, k)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("voicemail: delete greeting %s of mailbox %s: %w", k, box, err)
		}
	}
	s.pruneDir(box)
	return nil
}

// Greetings lists the kinds of greeting a mailbox has recorded, sorted.
func (s *Store) Greetings(box string) []string {
	out := []string{}
	for _, k := range greetingKinds() {
		path, err := s.greetingPath(box, k)
		if err != nil {
			return out
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			out = append(out, k)
		}
	}
	return out
}

// ErrNoGreeting: the mailbox has no recorded greeting of that kind.
var ErrNoGreeting = errors.New("voicemail: no such greeting")

// DeleteGreeting removes one of a mailbox's recorded greetings (the
// built-in one plays again); ErrNoGreeting when it had none.
func (s *Store) DeleteGreeting(box, kind string) error {
	path, err := s.greetingPath(box, kind)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(path); errors.Is(err, fs.ErrNotExist) {
		return ErrNoGreeting
	} else if err != nil {
		return fmt.Errorf("voicemail: delete greeting %s of mailbox %s: %w", kind, box, err)
	}
	s.pruneDir(box)
	return nil
}
