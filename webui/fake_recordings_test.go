package webui

import (
	"context"
	"errors"
	"io"
	"testing"

	"minipbx/telephony"
	"minipbx/telephony/recordings"
	"minipbx/telephony/store"
)

// The fake service's recordings: a real prompts directory (package
// recordings, on a test's temporary directory) behind the fake's dial
// plan, so the pages see real conversions, real refusals in words and
// real audio. Without withRecordings the fake has no prompts directory
// and says so, as an exchange without a data directory does.

// fakeRecordings is the fake's prompts directory; nil dir: none.
type fakeRecordings struct {
	dir *recordings.Dir
}

var errFakeNoPromptDir = errors.New("recordings: the box has no prompts directory")

// withRecordings gives f a prompts directory in a temporary directory.
func (f *fakeService) withRecordings(t testing.TB) *fakeService {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rec.dir = recordings.New(t.TempDir())
	return f
}

// recordingsState returns the directory and the dial plan as a
// configuration (for UsedBy and the in-use check).
func (f *fakeService) recordingsState() (*recordings.Dir, *store.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.takeFail(); err != nil {
		return nil, nil, err
	}
	if f.rec.dir == nil {
		return nil, nil, errFakeNoPromptDir
	}
	c := &store.Config{}
	c.SetDialPlan(f.plan)
	return f.rec.dir, c, nil
}

func (f *fakeService) Recordings(ctx context.Context) ([]telephony.Recording, error) {
	d, c, err := f.recordingsState()
	if err != nil {
		return nil, err
	}
	return d.List(c)
}

func (f *fakeService) SaveRecording(ctx context.Context, name string, r io.Reader) (telephony.Recording, error) {
	d, c, err := f.recordingsState()
	if err != nil {
		return telephony.Recording{}, err
	}
	return d.Save(c, name, r)
}

func (f *fakeService) DeleteRecording(ctx context.Context, name string) error {
	d, c, err := f.recordingsState()
	if err != nil {
		return err
	}
	return d.Delete(c, name)
}

func (f *fakeService) RecordingAudio(ctx context.Context, name string) (io.ReadCloser, int64, error) {
	d, _, err := f.recordingsState()
	if err != nil {
		return nil, 0, err
	}
	return d.Audio(name)
}

func (f *fakeService) BuiltinPrompts(ctx context.Context) ([]telephony.BuiltinPrompt, error) {
	d, _, err := f.recordingsState()
	if err != nil {
		return nil, err
	}
	return d.Builtins()
}

func (f *fakeService) BuiltinPromptAudio(ctx context.Context, name string) (io.ReadCloser, int64, error) {
	if _, _, err := f.recordingsState(); err != nil {
		return nil, 0, err
	}
	return recordings.BuiltinAudio(name)
}
