package telephony

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// errNoVoicemail is what the voicemail methods answer on an exchange
// created without a message store (Options.Voicemail).
var errNoVoicemail = errors.New("voicemail: no message store")

func (a *Admin) vmStore() (*voicemail.Store, error) {
	if a.vm == nil {
		return nil, errNoVoicemail
	}
	return a.vm, nil
}

// MailboxChanged is the message store's OnChange (voicemail.Options): the
// wiring passes it a closure that calls this once the exchange exists. It
// tells status subscribers (the Voicemail page re-reads the mailbox) and
// the owner's phones (Options.MessageWaiting: the lamps). Every change
// arrives here, whether a caller left a message, the owner listened from
// a phone or the web UI marked or deleted one. Only configured mailboxes
// light lamps: the messages a removed mailbox left on disk belong to no
// phone any more (announceMWI switched its lamps off).
func (x *Exchange) MailboxChanged(box string, newCount, heardCount int) {
	if x == nil {
		return
	}
	if _, ok := x.config().Voicemail.Box(box); ok && x.mwi != nil {
		x.mwi(box, newCount, heardCount)
	}
	x.publish("voicemail")
}

// Mailboxes implements VoicemailService: the configured mailboxes in the
// configuration's order, then the mailboxes left on disk by removed ones.
func (a *Admin) Mailboxes(ctx context.Context) ([]MailboxStatus, error) {
	vm, err := a.vmStore()
	if err != nil {
		return nil, err
	}
	cfg := a.config()
	out := []MailboxStatus{}
	configured := map[string]bool{}
	status := func(ext string, ok bool) MailboxStatus {
		n, h := vm.Counts(ext)
		st := MailboxStatus{Extension: ext, New: n, Old: h, Greetings: vm.Greetings(ext), Configured: ok}
		if e, found := findExtension(cfg, ext); found {
			st.Name = e.Name
		}
		return st
	}
	for _, b := range cfg.Voicemail.Boxes {
		configured[b.Extension] = true
		out = append(out, status(b.Extension, true))
	}
	onDisk, err := vm.Boxes()
	if err != nil {
		return nil, fmt.Errorf("telephony: mailboxes: %w", err)
	}
	for _, b := range onDisk {
		if !configured[b] {
			out = append(out, status(b, false))
		}
	}
	return out, nil
}

// mailboxKnown reports whether box is configured or still on disk; the
// others are store.ErrNotFound.
func (a *Admin) mailboxKnown(vm *voicemail.Store, box string) error {
	if _, ok := a.config().Voicemail.Box(box); ok {
		return nil
	}
	onDisk, err := vm.Boxes()
	if err != nil {
		return fmt.Errorf("telephony: mailboxes: %w", err)
	}
	if !slices.Contains(onDisk, box) {
		return fmt.Errorf("mailbox %.20q: %w", box, store.ErrNotFound)
	}
	return nil
}

// VoicemailMessages implements VoicemailService.
func (a *Admin) VoicemailMessages(ctx context.Context, box string) ([]VoicemailMessage, error) {
	vm, err := a.vmStore()
	if err != nil {
		return nil, err
	}
	if err := a.mailboxKnown(vm, box); err != nil {
		return nil, err
	}
	msgs, err := vm.Messages(box)
	if err != nil {
		return nil, err
	}
	out := make([]VoicemailMessage, len(msgs))
	for i, m := range msgs {
		out[i] = VoicemailMessage{ID: m.ID, Caller: m.Caller, Received: m.Received,
			DurationMS: int(m.Duration.Milliseconds()), Heard: m.Heard}
	}
	return out, nil
}

// VoicemailAudio implements VoicemailService.
func (a *Admin) VoicemailAudio(ctx context.Context, box, id string) (io.ReadCloser, int64, error) {
	vm, err := a.vmStore()
	if err != nil {
		return nil, 0, err
	}
	return vm.WAV(box, id)
}

// MarkVoicemail implements VoicemailService. The store's OnChange (MailboxChanged)
// publishes the "voicemail" event and updates the lamps.
func (a *Admin) MarkVoicemail(ctx context.Context, box, id string, heard bool) error {
	vm, err := a.vmStore()
	if err != nil {
		return err
	}
	return vm.SetHeard(box, id, heard)
}

// DeleteVoicemail implements VoicemailService; like MarkVoicemail, the change
// reaches subscribers and lamps through MailboxChanged.
func (a *Admin) DeleteVoicemail(ctx context.Context, box, id string) error {
	vm, err := a.vmStore()
	if err != nil {
		return err
	}
	return vm.Delete(box, id)
}
