package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"minipbx/telephony/store"
	"minipbx/upgrade/datadir"
)

func newDataDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := datadir.Init(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openDB(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{Limits: &store.Limits{FXSPorts: 2, FXOPorts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// knownEntry: what may be in a data directory after a restore.
func knownEntry(name string) bool {
	switch name {
	case datadir.MarkerName, store.FileName, store.FileName + store.SpoolSuffix, datadir.PromptsDir, datadir.RecordingsDir:
		return true
	}
	return false
}

func makeTooNew(t *testing.T, path string) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("99"))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
}

// A rollback after an upgrade whose firmware migrated the database to a
// schema the old firmware cannot read: the old firmware finds the
// snapshot and runs on the configuration from before the upgrade.
func TestRollbackRestoresSnapshot(t *testing.T) {
	dir := newDataDir(t)
	db := openDB(t, dir)
	sys, _ := db.System()
	sys.Name = "before upgrade"
	if _, err := db.UpdateSystem(sys); err != nil {
		t.Fatal(err)
	}
	if _, err := datadir.Snapshot(dir); !errors.Is(err, datadir.ErrNoSnapshot) {
		t.Fatalf("snapshot before any: %v", err)
	}
	if err := datadir.SaveSnapshot(dir, "1.0.0", "2.0.0", db.Snapshot, time.Unix(1e9, 0)); err != nil {
		t.Fatal(err)
	}
	// The new firmware runs, changes things, migrates to a newer schema...
	sys.Name = "during trial"
	db.UpdateSystem(sys)
	db.Close()
	makeTooNew(t, filepath.Join(dir, store.FileName))
	// ...and the box rolls back. The old firmware opens its database:
	db, restored, err := OpenStore(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if restored == nil || restored.FromVersion != "1.0.0" || restored.ToVersion != "2.0.0" {
		t.Fatalf("restored %+v", restored)
	}
	if s, _ := db.System(); s.Name != "before upgrade" {
		t.Fatalf("configuration after rollback: %q", s.Name)
	}
	if _, err := os.Stat(filepath.Join(dir, datadir.SnapshotDir, "pbx.db.rejected")); err != nil {
		t.Fatalf("the newer database was not kept: %v", err)
	}
	// A database of a readable schema opens as is.
	db.Close()
	db, restored, err = OpenStore(context.Background(), dir, store.Options{})
	if err != nil || restored != nil {
		t.Fatalf("second open: %v %v", restored, err)
	}
	db.Close()
	// Too new and no snapshot: the error says so, nothing is changed.
	dir2 := newDataDir(t)
	openDB(t, dir2).Close()
	makeTooNew(t, filepath.Join(dir2, store.FileName))
	if _, _, err := OpenStore(context.Background(), dir2, store.Options{}); !errors.Is(err, store.ErrTooNew) {
		t.Fatalf("no snapshot: %v", err)
	}
}

func TestBackupRestore(t *testing.T) {
	src := newDataDir(t)
	db := openDB(t, src)
	if _, err := db.CreateExtension(store.Extension{Number: "150", Name: "Warehouse", Secret: "Wh-secret-150x"}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(src, datadir.PromptsDir), 0o755)
	os.WriteFile(filepath.Join(src, datadir.PromptsDir, "welcome.wav"), []byte("RIFF welcome"), 0o644)
	os.WriteFile(filepath.Join(src, datadir.PromptsDir, "closed.wav"), []byte("RIFF closed"), 0o644)
	var buf bytes.Buffer
	if err := Backup(&buf, db, BackupOptions{Firmware: "1.0.0", Prompts: true, DataDir: src, Now: time.Unix(1e9, 0)}); err != nil {
		t.Fatal(err)
	}
	want, _ := db.Config()
	db.Close()

	dst := newDataDir(t)
	db2 := openDB(t, dst)
	defer db2.Close()
	rep, err := Restore(bytes.NewReader(buf.Bytes()), db2, RestoreOptions{DataDir: dst})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Info.Firmware != "1.0.0" || strings.Join(rep.Prompts, ",") != "closed.wav,welcome.wav" {
		t.Fatalf("report %+v", rep)
	}
	got, _ := db2.Config()
	if e, err := db2.Extension("150"); err != nil || e.Secret != "Wh-secret-150x" || len(got.Extensions) != len(want.Extensions) {
		t.Fatalf("restored extension %+v %v", e, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, datadir.PromptsDir, "welcome.wav")); string(b) != "RIFF welcome" {
		t.Fatal("prompt not restored")
	}
	if entries, _ := os.ReadDir(filepath.Join(dst, datadir.PromptsDir)); len(entries) != 2 {
		t.Fatalf("staging left behind: %v", entries)
	}
}

type entry struct{ name, data string }

func archive(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		typ := byte(tar.TypeReg)
		if strings.HasSuffix(e.name, "@link") {
			typ = tar.TypeSymlink
			e.name = strings.TrimSuffix(e.name, "@link")
		}
		tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: typ, Size: int64(len(e.data)), Mode: 0o644, Linkname: map[bool]string{true: "/etc/passwd"}[typ == tar.TypeSymlink]})
		if typ == tar.TypeReg {
			tw.Write([]byte(e.data))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

const infoJSON = `{"format":1,"firmware":"0.9.0","schema":0,"created":"2025-01-01T00:00:00Z","prompts":0}`

// A backup made by the prototype firmware (schema 0, older field names)
// restores on this one: the store migrates it forward.
const v0Document = `{
  "version": 0,
  "system": {"name": "old box", "country": "de", "time_zone": "Europe/Berlin", "extension_length": 2,
             "outside_prefix": "0", "inter_digit_timeout_s": 3.5, "no_answer_timeout_s": 20, "cdr_retention": 50},
  "extensions": [{"number": "21", "name": "Front", "password": "Zz9-old-secret", "fxs": 1, "outside": true}],
  "fxo_lines": [{"port": 1, "name": "Telekom", "enabled": true, "rings": 3, "destination": "21"}]
}`

func TestRestoreOlderSchema(t *testing.T) {
	dir := newDataDir(t)
	db := openDB(t, dir)
	defer db.Close()
	rep, err := Restore(bytes.NewReader(archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, v0Document})), db, RestoreOptions{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := db.Config()
	e, _ := db.Extension("21")
	if rep.Info.Schema != 0 || c.System.ToneZone != "de" || c.System.InterDigitTimeoutMS != 3500 || e.Secret != "Zz9-old-secret" || e.FXSPort != 1 || c.FXOLines[0].AnswerAfterRings != 3 {
		t.Fatalf("restored v0: %+v %+v", c.System, e)
	}
}

func TestRestoreRejectsBadBackups(t *testing.T) {
	dir := newDataDir(t)
	db := openDB(t, dir)
	defer db.Close()
	before, _ := db.Config()
	invalid := strings.Replace(v0Document, `"destination": "21"`, `"destination": "99"`, 1)
	for name, data := range map[string][]byte{
		"not gzip":          []byte("hello"),
		"empty archive":     archive(t),
		"no info":           archive(t, entry{backupConfig, v0Document}),
		"future format":     archive(t, entry{backupInfoName, `{"format":2}`}, entry{backupConfig, v0Document}),
		"invalid config":    archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, invalid}),
		"broken json":       archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, `{"version":1,`}),
		"path traversal":    archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, v0Document}, entry{"prompts/../../pbx.db", "x"}),
		"hidden prompt":     archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, v0Document}, entry{"prompts/.x", "x"}),
		"symlink":           archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, v0Document}, entry{"prompts/a.wav@link", ""}),
		"unknown entry":     archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, v0Document}, entry{"etc/shadow", "x"}),
		"prompt then error": archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, invalid}, entry{"prompts/a.wav", "RIFF"}),
		"truncated":         archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, v0Document})[:60],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Restore(bytes.NewReader(data), db, RestoreOptions{DataDir: dir}); err == nil {
				t.Fatal("accepted")
			}
			after, _ := db.Config()
			if after.System.Name != before.System.Name || len(after.Extensions) != len(before.Extensions) {
				t.Fatal("a refused backup changed the configuration")
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, datadir.PromptsDir)); len(entries) != 0 {
				t.Fatalf("a refused backup left prompts: %v", entries)
			}
		})
	}
	if _, err := Restore(bytes.NewReader(archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, invalid})), db, RestoreOptions{DataDir: dir}); err == nil {
		t.Fatal("invalid")
	} else if _, ok := store.AsValidationError(err); !ok {
		t.Errorf("invalid configuration: %v is not a field-level ValidationError", err)
	}
}

func FuzzRestore(f *testing.F) {
	f.Add(archive(&testing.T{}, entry{backupInfoName, infoJSON}, entry{backupConfig, v0Document}))
	f.Add([]byte("\x1f\x8b"))
	_, vmBackup, _ := vmSource(f)
	f.Add(vmBackup)
	dir := filepath.Join(f.TempDir(), "data")
	if err := datadir.Init(dir); err != nil {
		f.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		Restore(bytes.NewReader(data), db, RestoreOptions{DataDir: dir})
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !knownEntry(e.Name()) {
				t.Fatalf("restore wrote %q in the data directory", e.Name())
			}
		}
		assertOnlyStoreFiles(t, dir)
	})
}

// FuzzRestoreConfig drives the configuration validator through a restore:
// the fuzzed document is packed in a well-formed backup, so the mutator
// works on the configuration, not on gzip and tar framing. Either the
// restore is refused and the configuration is unchanged, or it is taken
// and what is stored validates. Never a panic (a 33-digit outside prefix
// once panicked the numbering check).
func FuzzRestoreConfig(f *testing.F) {
	f.Add(v0Document)
	f.Add(strings.Replace(v0Document, `"outside_prefix": "0"`, `"outside_prefix": "`+strings.Repeat("0", 33)+`"`, 1))
	f.Add(`{"version":1,"system":{"name":"x","time_zone":"UTC","extension_length":3,"outside_prefix":"` + strings.Repeat("9", 40) + `"}}`)
	f.Add(`null`)
	f.Add(`{"version":1,"system":{"name":"a","name":"b"}}`)
	f.Add("{\"version\":1,\"system\":{\"name\":\"\xff\"}}")
	dir := filepath.Join(f.TempDir(), "data")
	if err := datadir.Init(dir); err != nil {
		f.Fatal(err)
	}
	db := openDB(f, dir)
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, doc string) {
		before, err := db.Config()
		if err != nil {
			t.Fatal(err)
		}
		_, err = Restore(bytes.NewReader(archive(t, entry{backupInfoName, infoJSON}, entry{backupConfig, doc})), db, RestoreOptions{DataDir: dir})
		after, err2 := db.Config()
		if err2 != nil {
			t.Fatal(err2)
		}
		if err != nil {
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused restore (%v) changed the configuration", err)
			}
			return
		}
		if err := db.ValidateConfig(after); err != nil {
			t.Fatalf("restored a configuration that does not validate: %v", err)
		}
	})
}
