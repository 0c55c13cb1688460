package telephony

import (
	"context"
	"errors"
	"io"
)

// errNoVoicemail is what the voicemail methods answer until the mailbox
// store is wired in (work in progress on this branch).
var errNoVoicemail = errors.New("telephony: voicemail is not wired yet")

// Mailboxes implements Service.
func (x *Exchange) Mailboxes(ctx context.Context) ([]MailboxStatus, error) {
	return nil, errNoVoicemail
}

// VoicemailMessages implements Service.
func (x *Exchange) VoicemailMessages(ctx context.Context, box string) ([]VoicemailMessage, error) {
	return nil, errNoVoicemail
}

// VoicemailAudio implements Service.
func (x *Exchange) VoicemailAudio(ctx context.Context, box, id string) (io.ReadCloser, int64, error) {
	return nil, 0, errNoVoicemail
}

// MarkVoicemail implements Service.
func (x *Exchange) MarkVoicemail(ctx context.Context, box, id string, heard bool) error {
	return errNoVoicemail
}

// DeleteVoicemail implements Service.
func (x *Exchange) DeleteVoicemail(ctx context.Context, box, id string) error {
	return errNoVoicemail
}
