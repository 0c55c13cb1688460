package telephony

import (
	"context"
	"errors"
	"io"

	"minipbx/telephony/recordings"
)

// errNoPromptDir is what the recordings methods answer on an exchange
// whose store has no data directory (unit tests with an in-memory store).
var errNoPromptDir = errors.New("recordings: the box has no prompts directory")

// recordingsDir is the prompts directory as the recordings package sees
// it: the same directory promptSource plays menu prompts from and the
// default prompts.Set takes overrides from.
func (a *Admin) recordingsDir() (*recordings.Dir, error) {
	dir := a.promptDir
	if dir == "" {
		return nil, errNoPromptDir
	}
	return recordings.New(dir), nil
}

// Recordings implements RecordingsService.
func (a *Admin) Recordings(ctx context.Context) ([]Recording, error) {
	d, err := a.recordingsDir()
	if err != nil {
		return nil, err
	}
	return d.List(a.config())
}

// SaveRecording implements RecordingsService. Nothing needs reloading: menus open
// their files when they play, and package prompts looks at its overrides
// again within seconds.
func (a *Admin) SaveRecording(ctx context.Context, name string, r io.Reader) (Recording, error) {
	d, err := a.recordingsDir()
	if err != nil {
		return Recording{}, err
	}
	rec, err := d.Save(a.config(), name, r)
	if err != nil {
		return Recording{}, err
	}
	a.log.Info("recording saved", "name", rec.Name, "duration_ms", rec.DurationMS, "replaces", rec.Replaces)
	return rec, nil
}

// DeleteRecording implements RecordingsService. The check that nothing plays the
// recording is against the configuration at this moment; a dial-plan
// change naming it a moment later finds it missing (the Recordings page
// lists it as such).
func (a *Admin) DeleteRecording(ctx context.Context, name string) error {
	d, err := a.recordingsDir()
	if err != nil {
		return err
	}
	if err := d.Delete(a.config(), name); err != nil {
		return err
	}
	a.log.Info("recording deleted", "name", name)
	return nil
}

// RecordingAudio implements RecordingsService.
func (a *Admin) RecordingAudio(ctx context.Context, name string) (io.ReadCloser, int64, error) {
	d, err := a.recordingsDir()
	if err != nil {
		return nil, 0, err
	}
	return d.Audio(name)
}

// BuiltinPrompts implements RecordingsService.
func (a *Admin) BuiltinPrompts(ctx context.Context) ([]BuiltinPrompt, error) {
	d, err := a.recordingsDir()
	if err != nil {
		return nil, err
	}
	return d.Builtins()
}

// BuiltinPromptAudio implements RecordingsService.
func (a *Admin) BuiltinPromptAudio(ctx context.Context, name string) (io.ReadCloser, int64, error) {
	return recordings.BuiltinAudio(name)
}
