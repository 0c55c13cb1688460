package datadir

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipbx/telephony/store"
)

func newDataDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := Init(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openDB(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{Limits: &store.Limits{FXSPorts: 2, FXOPorts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestInitRefusesForeignDirectory(t *testing.T) {
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, "thesis.tex"), []byte("years of work"), 0o644)
	if err := Init(home); !errors.Is(err, ErrNotDataDir) {
		t.Fatalf("Init of a home directory: %v", err)
	}
	if err := FactoryReset(home); !errors.Is(err, ErrNotDataDir) {
		t.Fatalf("reset of an unmarked directory: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(home, "thesis.tex")); string(b) != "years of work" {
		t.Fatal("a foreign file was touched")
	}
	// A directory an older pbxd used (a database, tls) is adopted.
	old := t.TempDir()
	os.WriteFile(filepath.Join(old, "pbx.db"), []byte("x"), 0o600)
	os.Mkdir(filepath.Join(old, "tls"), 0o700)
	if err := Init(old); err != nil {
		t.Fatal(err)
	}
	if err := Check(old); err != nil {
		t.Fatal(err)
	}
	// A marker that is a symbolic link, or has other text, is not ours.
	fake := t.TempDir()
	os.Symlink(filepath.Join(old, MarkerName), filepath.Join(fake, MarkerName))
	if err := Check(fake); !errors.Is(err, ErrNotDataDir) {
		t.Fatalf("symlinked marker: %v", err)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, MarkerName), []byte("hello"), 0o644)
	if err := FactoryReset(other); !errors.Is(err, ErrNotDataDir) {
		t.Fatalf("foreign marker: %v", err)
	}
	if err := Check("/"); !errors.Is(err, ErrNotDataDir) {
		t.Fatalf("root: %v", err)
	}
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(old, link)
	if err := FactoryReset(link); !errors.Is(err, ErrNotDataDir) {
		t.Fatalf("a symbolic link to a data directory: %v", err)
	}
}

func TestFactoryResetLeavesNoUserData(t *testing.T) {
	dir := newDataDir(t)
	db := openDB(t, dir)
	pw, created, err := db.EnsureAdminPassword()
	if err != nil || !created {
		t.Fatal(err)
	}
	secret := "Sec-ret-7781-unique"
	if _, err := db.CreateExtension(store.Extension{Number: "177", Name: "Reception Desk", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendCallRecord(store.CallRecord{Start: time.Now(), End: time.Now(), Caller: "5550199", Callee: "177", Source: "fxo:1", Disposition: "answered"}); err != nil {
		t.Fatal(err)
	}
	if err := SaveSnapshot(dir, "1.0.0", "1.1.0", db.Snapshot, time.Now()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	outside := filepath.Join(t.TempDir(), "outside.txt")
	os.WriteFile(outside, []byte("not the box's"), 0o644)
	for path, data := range map[string]string{
		"tls/cert.pem":              "CERT",
		"tls/key.pem":               "PRIVATE KEY",
		"prompts/welcome.wav":       "RIFF....",
		"recordings/2026/call1.wav": "RIFF voice of 5550199",
		".hidden":                   "x",
		"lost+found/#1234":          "fsck debris 5550199",
	} {
		p := filepath.Join(dir, path)
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte(data), 0o600)
	}
	os.Symlink(outside, filepath.Join(dir, "prompts", "link.wav"))
	if err := RequestFactoryReset(dir); err != nil {
		t.Fatal(err)
	}
	did, err := ResetIfRequested(dir)
	if err != nil || !did {
		t.Fatalf("reset: %v %v", did, err)
	}
	var left []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		left = append(left, rel)
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			for _, s := range []string{secret, "5550199", "Reception", "PRIVATE KEY", pw} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s still holds %q", rel, s)
				}
			}
		}
		return nil
	})
	if strings.Join(left, ",") != MarkerName+",lost+found" {
		t.Fatalf("left after reset: %v", left)
	}
	if b, _ := os.ReadFile(outside); string(b) != "not the box's" {
		t.Fatal("a file outside the data directory was touched through a link")
	}
	if did, err := ResetIfRequested(dir); did || err != nil {
		t.Fatalf("second boot reset again: %v %v", did, err)
	}
	// The box comes back as new: default configuration, a new password.
	db = openDB(t, dir)
	defer db.Close()
	cfg, _ := db.Config()
	if len(cfg.Extensions) != len(store.DefaultConfig(store.DefaultLimits()).Extensions) {
		t.Errorf("configuration after reset: %+v", cfg.Extensions)
	}
	for _, e := range cfg.Extensions {
		if e.Secret == secret {
			t.Error("old secret came back")
		}
	}
	pw2, created, err := db.EnsureAdminPassword()
	if err != nil || !created || pw2 == pw {
		t.Fatalf("new admin password: created=%v same=%v %v", created, pw2 == pw, err)
	}
}

func TestLayout(t *testing.T) {
	l := Of("/data")
	for got, want := range map[string]string{
		l.Database(): "/data/pbx.db", l.Prompts(): "/data/prompts", l.Voicemail(): "/data/recordings/voicemail",
		l.CallRecordings(): "/data/recordings/calls", l.Faxes(): "/data/faxes", l.MailSpool(): "/data/spool/mail",
		l.TLS(): "/data/tls", l.Snapshot(): "/data/upgrade-snapshot",
	} {
		if got != want {
			t.Errorf("%s, want %s", got, want)
		}
	}
	// Everything the layout places is something Init accepts in an
	// unmarked directory.
	dir := t.TempDir()
	l = Of(dir)
	for _, p := range []string{l.Prompts(), l.Voicemail(), l.CallRecordings(), l.Faxes(), l.MailSpool(), l.TLS(), l.Snapshot()} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := Init(dir); err != nil {
		t.Errorf("Init refuses a directory laid out by Layout: %v", err)
	}
}
