package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipbx/internal/box"
	"minipbx/telephony/store"
	"minipbx/upgrade"
	"minipbx/upgrade/boot"
	"minipbx/upgrade/bundle"
	"minipbx/upgrade/datadir"
)

const liveBoxPassword = "pbxctl-maintenance-pw"

// liveBox runs the real box (internal/box) on dir, as pbxd does, and
// returns it with its exit channel.
func liveBox(t *testing.T, dir, bootConf string) (*box.Box, chan error) {
	t.Helper()
	b, err := box.Open(context.Background(), box.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0",
		Board: "sim", Version: "1.0.0", BootConfig: bootConf, RunDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			done <- err
		case <-time.After(15 * time.Second):
			t.Error("box did not stop")
		}
	})
	select {
	case <-b.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("box not ready")
	}
	if err := b.Service().SetAdminPassword(context.Background(), liveBoxPassword); err != nil {
		t.Fatal(err)
	}
	return b, done
}

func names(t *testing.T, exts []store.Extension, err error) map[string]string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range exts {
		m[e.Number] = e.Name
	}
	return m
}

// TestBackupRestoreOnline: pbxctl backup and restore through the running
// box's API; a bad file is refused and changes nothing.
func TestBackupRestoreOnline(t *testing.T) {
	b, _ := liveBox(t, t.TempDir(), filepath.Join(t.TempDir(), "absent.conf"))
	ctx := context.Background()
	if _, err := b.Service().CreateExtension(ctx, store.Extension{Number: "201", Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	conn := []string{"-url", "https://" + b.WebAddr(), "-insecure", "-password", liveBoxPassword}
	file := filepath.Join(t.TempDir(), "box.tar.gz")
	if r := pbxctl(t, "", append(conn, "backup", "-o", file)...); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	if err := b.Service().DeleteExtension(ctx, "201"); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.tar.gz")
	os.WriteFile(bad, []byte("nonsense"), 0o600)
	if r := pbxctl(t, "", append(conn, "restore", bad)...); r.code != exitError || !strings.Contains(r.stderr, "HTTP 422") {
		t.Fatalf("bad restore: %+v", r)
	}
	if r := pbxctl(t, "", append(conn, "restore", file)...); r.code != 0 || !strings.Contains(r.stdout, "restored") {
		t.Fatalf("restore: %+v", r)
	}
	exts, err := b.Service().Extensions(ctx)
	if names(t, exts, err)["201"] != "Alice" {
		t.Fatalf("after restore: %+v", exts)
	}
}

// TestBackupRestoreFactoryResetOffline: the same on a stopped box's data
// directory, then factory-reset -data (refused without the typed word).
func TestBackupRestoreFactoryResetOffline(t *testing.T) {
	dir := newDataDir(t)
	if err := datadir.Init(dir); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{Limits: &store.Limits{FXSPorts: 2, FXOPorts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateExtension(store.Extension{Number: "201", Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if r := pbxctl(t, "", "-data", dir, "backup", "-o", file); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	if r := pbxctl(t, "no\n", "-data", dir, "factory-reset"); r.code != exitError || !strings.Contains(r.stderr, "not confirmed") {
		t.Fatalf("unconfirmed reset: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		t.Fatal("an unconfirmed reset deleted the database")
	}
	if r := pbxctl(t, "erase\n", "-data", dir, "factory-reset"); r.code != 0 {
		t.Fatalf("reset: %+v", r)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != datadir.MarkerName {
		t.Fatalf("left after reset: %v", entries)
	}
	// A new box's database, then the backup restored into it.
	db, err = store.Open(filepath.Join(dir, store.FileName), store.Options{Limits: &store.Limits{FXSPorts: 2, FXOPorts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if r := pbxctl(t, "", "-data", dir, "restore", file); r.code != 0 {
		t.Fatalf("restore: %+v", r)
	}
	db, err = store.Open(filepath.Join(dir, store.FileName), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exts, err := db.Extensions()
	if names(t, exts, err)["201"] != "Alice" {
		t.Fatalf("after offline restore: %+v", exts)
	}
	// An unmarked directory is never wiped.
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "thesis.tex"), []byte("x"), 0o600)
	if r := pbxctl(t, "", "-data", foreign, "factory-reset", "-yes"); r.code != exitError {
		t.Fatalf("reset of a foreign directory: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(foreign, "thesis.tex")); err != nil {
		t.Fatal("a foreign directory was wiped")
	}
}

// TestUpgradeAndFactoryResetOnline: pbxctl upgrade sends a signed bundle to
// the running box, which installs it on trial and exits 75; a refused one
// says why. factory-reset -yes makes the box exit 75 with the reset
// requested.
func TestUpgradeAndFactoryResetOnline(t *testing.T) {
	d := t.TempDir()
	slotA, slotB, state := filepath.Join(d, "a.img"), filepath.Join(d, "b.img"), filepath.Join(d, "boot.txt")
	os.WriteFile(slotA, make([]byte, 64<<10), 0o600)
	os.WriteFile(slotB, make([]byte, 64<<10), 0o600)
	conf := filepath.Join(d, "boot.conf")
	os.WriteFile(conf, []byte("board=test-board\nbootloader=file\nslot_a="+slotA+"\nslot_b="+slotB+"\nstate="+state+"\n"), 0o600)
	dir := t.TempDir()
	b, done := liveBox(t, dir, conf)
	conn := []string{"-url", "https://" + b.WebAddr(), "-insecure", "-password", liveBoxPassword}

	kf, err := os.Open("../../rootfs/keys/TEST-ONLY-signing.key")
	if err != nil {
		t.Fatal(err)
	}
	key, err := bundle.ParsePrivateKey(kf)
	kf.Close()
	if err != nil {
		t.Fatal(err)
	}
	write := func(version string, k ed25519.PrivateKey) string {
		var buf bytes.Buffer
		img := bytes.Repeat([]byte{0xA5}, 40000)
		if err := bundle.Write(&buf, bundle.Manifest{Version: version, Board: "test-board"}, bytes.NewReader(img), k); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), version+".mpxb")
		os.WriteFile(p, buf.Bytes(), 0o600)
		return p
	}
	if r := pbxctl(t, "", append(conn, "upgrade", write("0.5.0", key))...); r.code != exitError || !strings.Contains(r.stderr, "older") {
		t.Fatalf("downgrade: %+v", r)
	}
	if r := pbxctl(t, "", append(conn, "upgrade", write("1.2.0", key))...); r.code != 0 || !strings.Contains(r.stdout, "slot b") {
		t.Fatalf("upgrade: %+v", r)
	}
	select {
	case err := <-done:
		done <- err
	case <-time.After(15 * time.Second):
		t.Fatal("the box did not stop after the upgrade")
	}
	if b.ExitCode() != upgrade.ExitReboot {
		t.Fatalf("exit code %d", b.ExitCode())
	}
	f, _ := boot.NewFile(state, boot.SlotA)
	if st, err := f.State(); err != nil || !st.Trial || st.Next != boot.SlotB {
		t.Fatalf("boot state %+v %v", st, err)
	}

	b2, done2 := liveBox(t, t.TempDir(), filepath.Join(t.TempDir(), "absent.conf"))
	conn2 := []string{"-url", "https://" + b2.WebAddr(), "-insecure", "-password", liveBoxPassword}
	if r := pbxctl(t, "", append(conn2, "factory-reset", "-yes")...); r.code != 0 {
		t.Fatalf("factory-reset: %+v", r)
	}
	select {
	case err := <-done2:
		done2 <- err
	case <-time.After(15 * time.Second):
		t.Fatal("the box did not stop after the factory reset")
	}
	if b2.ExitCode() != upgrade.ExitReboot {
		t.Fatalf("exit code %d", b2.ExitCode())
	}
}
