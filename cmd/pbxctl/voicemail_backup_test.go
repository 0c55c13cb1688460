package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
	"minipbx/upgrade/datadir"
)

// TestBackupRestoreVoicemailOffline: pbxctl backup -voicemail on a
// stopped box's data directory carries the messages; restore brings a
// deleted one back and keeps one left since, -voicemail-replace deletes
// that one, and the two restore modes cannot be asked for together.
func TestBackupRestoreVoicemailOffline(t *testing.T) {
	dir := newDataDir(t)
	if err := datadir.Init(dir); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{Limits: &store.Limits{FXSPorts: 2, FXOPorts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	vmDir := filepath.Join(dir, datadir.RecordingsDir, "voicemail")
	clock := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	open := func() *voicemail.Store {
		s, err := voicemail.Open(vmDir, voicemail.Options{Now: func() time.Time { clock = clock.Add(time.Second); return clock }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	leave := func(s *voicemail.Store, number string) voicemail.Message {
		r, err := s.Create("101", channel.CallerID{Number: number}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Write(make([]int16, 9000)); err != nil {
			t.Fatal(err)
		}
		m, err := r.Commit()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ids := func() []string {
		msgs, err := open().Messages("101")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range msgs {
			out = append(out, m.ID)
		}
		return out
	}
	s := open()
	old := leave(s, "0301234567")

	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if r := pbxctl(t, "", "-data", dir, "backup", "-voicemail", "-o", file); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	if err := s.Delete("101", old.ID); err != nil {
		t.Fatal(err)
	}
	newer := leave(s, "0309999999")

	if r := pbxctl(t, "", "-data", dir, "restore", "-no-voicemail", "-voicemail-replace", file); r.code != exitUsage {
		t.Fatalf("both modes: %+v", r)
	}
	r := pbxctl(t, "", "-data", dir, "restore", file)
	if r.code != 0 || !strings.Contains(r.stdout, "voicemail: 1 messages and 0 greetings restored") {
		t.Fatalf("restore: %+v", r)
	}
	if got := ids(); strings.Join(got, " ") != old.ID+" "+newer.ID {
		t.Fatalf("after restore: %v, want the restored %s and the newer %s", got, old.ID, newer.ID)
	}
	r = pbxctl(t, "", "-data", dir, "restore", "-voicemail-replace", file)
	if r.code != 0 || !strings.Contains(r.stdout, "1 messages and 0 greetings not in the backup deleted") {
		t.Fatalf("restore -voicemail-replace: %+v", r)
	}
	if got := ids(); strings.Join(got, " ") != old.ID {
		t.Fatalf("after a full restore: %v, want only %s", got, old.ID)
	}
}
