package box

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/voicemail"
)

// TestVoicemailBackupRestoreThroughTheAPI: a backup with voicemail
// (?voicemail=1) holds the messages and greetings; after a message is
// deleted, restoring the backup into the running box brings it back at
// once (the store re-reads its directory: listed, counted, an event for
// the page), without a restart.
func TestVoicemailBackupRestoreThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	vm, m := leftMessage(t, dir)
	if err := vm.SaveGreeting("201", voicemail.GreetingBusy, make([]int16, 4000)); err != nil {
		t.Fatal(err)
	}

	rb := runBox(t, Config{DataDir: dir, Version: "1.0.0"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ex := rb.Service()
	status, file := rb.api(t, "GET", "/api/v1/backup?voicemail=1", "", nil)
	if status != 200 {
		t.Fatalf("backup: %d %s", status, file)
	}
	gz, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tr := tar.NewReader(gz); ; {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	if want := "minipbx-backup.json config.json voicemail/201/" + m.ID + ".wav voicemail/201/" + m.ID + ".json voicemail/201/greeting-busy.wav"; strings.Join(names, " ") != want {
		t.Errorf("entries %v, want %s", names, want)
	}

	if err := ex.DeleteVoicemail(ctx, "201", m.ID); err != nil {
		t.Fatal(err)
	}
	events := ex.Subscribe(ctx)
	status, body := rb.api(t, "POST", "/api/v1/restore", "application/gzip", file)
	if status != http.StatusOK {
		t.Fatalf("restore: %d %s", status, body)
	}
	var res struct{ Voicemail backupVoicemail }
	if err := json.Unmarshal(body, &res); err != nil || res.Voicemail.Messages != 1 || res.Voicemail.KeptGreetings != 1 {
		t.Errorf("restore answer %s: %v", body, err)
	}
	for ev := range events {
		if ev.Kind == "voicemail" {
			break
		}
	}
	if ctx.Err() != nil {
		t.Fatal("no voicemail event after the restore")
	}
	msgs, err := ex.VoicemailMessages(ctx, "201")
	if err != nil || len(msgs) != 1 || msgs[0].ID != m.ID || msgs[0].Caller.Number != "0301234567" {
		t.Fatalf("after the restore: %+v %v", msgs, err)
	}
}

// backupVoicemail is the restore answer's "voicemail" object.
type backupVoicemail struct {
	Messages      int `json:"messages"`
	KeptGreetings int `json:"kept_greetings"`
}
