package box

import (
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// TestVoicemailMessagesSurviveARestart: messages a previous run left in
// the data directory (recordings/voicemail/) are what the running box
// lists, plays and deletes, and a change through the Service reaches the
// status subscribers through the store's OnChange.
func TestVoicemailMessagesSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	_, m := leftMessage(t, dir)

	b := startBox(t, dir)
	ctx := tctx(t, 20*time.Second)
	ex := b.Service()
	boxes, err := ex.Mailboxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 1 || boxes[0].Extension != "201" || boxes[0].New != 1 || boxes[0].Configured {
		t.Fatalf("mailboxes %+v, want the unconfigured 201 with one new message", boxes)
	}
	msgs, err := ex.VoicemailMessages(ctx, "201")
	if err != nil || len(msgs) != 1 || msgs[0].ID != m.ID || msgs[0].DurationMS != 1500 || msgs[0].Caller.Number != "0301234567" {
		t.Fatalf("messages %+v, %v", msgs, err)
	}
	rc, size, err := ex.VoicemailAudio(ctx, "201", m.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != size || size != 44+2*12000 {
		t.Errorf("audio: %d of %d bytes, %v", n, size, err)
	}

	events := ex.Subscribe(ctx)
	if err := ex.DeleteVoicemail(ctx, "201", m.ID); err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		if ev.Kind == "voicemail" {
			break
		}
	}
	if ctx.Err() != nil {
		t.Fatal("no voicemail event after a deletion")
	}
	if _, err := ex.VoicemailMessages(ctx, "201"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the emptied unconfigured mailbox: %v, want not found", err)
	}
}

// leftMessage is what an earlier run of the box left in data directory
// dir: a 1.5 s message from 0301234567 in mailbox 201.
func leftMessage(t *testing.T, dir string) (*voicemail.Store, voicemail.Message) {
	t.Helper()
	vm, err := voicemail.Open(filepath.Join(dir, "recordings", "voicemail"), voicemail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := vm.Create("201", channel.CallerID{Number: "0301234567"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(make([]int16, 12000)); err != nil {
		t.Fatal(err)
	}
	m, err := r.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return vm, m
}
