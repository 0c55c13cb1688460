package webui

import (
	"context"
	"io"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// The fake service's voicemail: no mailboxes until a test adds some.

func (s *fakeService) Mailboxes(ctx context.Context) ([]telephony.MailboxStatus, error) {
	return []telephony.MailboxStatus{}, nil
}

func (s *fakeService) VoicemailMessages(ctx context.Context, box string) ([]telephony.VoicemailMessage, error) {
	return nil, store.ErrNotFound
}

func (s *fakeService) VoicemailAudio(ctx context.Context, box, id string) (io.ReadCloser, int64, error) {
	return nil, 0, store.ErrNotFound
}

func (s *fakeService) MarkVoicemail(ctx context.Context, box, id string, heard bool) error {
	return store.ErrNotFound
}

func (s *fakeService) DeleteVoicemail(ctx context.Context, box, id string) error {
	return store.ErrNotFound
}
