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
func (x *Exchange) recordingsDir() (*recordings.Dir, error) {
	dir := x.promptDir()
	if dir == "" {
		return nil, errNoPromptDir
	}
	return recordings.New(dir), nil
}

// Recordings implements Service.
func (x *Exchange) Recordings(ctx context.Context) ([]Recording, error) {
	d, err := x.recordingsDir()
	if err != nil {
		return nil, err
	}
	return d.List(x.config())
}

// SaveRecording implements Service. Nothing needs reloading: menus open
// their files when they play, and package prompts looks at its overrides
// again within seconds.
func (x *Exchange) SaveRecording(ctx context.Context, name string, r io.Reader) (Recording, error) {
	d, err := x.recordingsDir()
	if err != nil {
		return Recording{}, err
	}
	rec, err := d.Save(x.config(), name, r)
	if err != nil {
		return Recording{}, err
	}
	x.log.Info("recording saved", "name", rec.Name, "duration_ms", rec.DurationMS, "replaces", rec.Replaces)
	return rec, nil
}

// DeleteRecording implements Service. The check that nothing plays the
// recording is against the configuration at this moment; a dial-plan
// change naming it a moment later finds it missing (the Recordings page
// lists it as such).
func (x *Exchange) DeleteRecording(ctx context.Context, name string) error {
	d, err := x.recordingsDir()
	if err != nil {
		return err
	}
	if err := d.Delete(x.config(), name); err != nil {
		return err
	}
	x.log.Info("recording deleted", "name", name)
	return nil
}

// RecordingAudio implements Service.
func (x *Exchange) RecordingAudio(ctx context.Context, name string) (io.ReadCloser, int64, error) {
	d, err := x.recordingsDir()
	if err != nil {
		return nil, 0, err
	}
	return d.Audio(name)
}

// BuiltinPrompts implements Service.
func (x *Exchange) BuiltinPrompts(ctx context.Context) ([]BuiltinPrompt, error) {
	d, err := x.recordingsDir()
	if err != nil {
		return nil, err
	}
	return d.Builtins()
}

// BuiltinPromptAudio implements Service.
func (x *Exchange) BuiltinPromptAudio(ctx context.Context, name string) (io.ReadCloser, int64, error) {
	return recordings.BuiltinAudio(name)
}
