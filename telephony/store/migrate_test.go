package store

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// writeV0 builds a database in the prototype's v0 format: no schema key,
// bare JSON values, old field names.
func writeV0(t *testing.T, path string) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		for _, n := range allBuckets() {
			if _, err := tx.CreateBucket([]byte(n)); err != nil {
				return err
			}
		}
		put := func(bucket, key, value string) {
			if err == nil {
				err = tx.Bucket([]byte(bucket)).Put([]byte(key), []byte(value))
			}
		}
		put(bucketMeta, metaApp, appName)
		put(bucketSystem, keySystem, `{"name":"old box","country":"de","time_zone":"Europe/Berlin","extension_length":2,
			"outside_prefix":"0","inter_digit_timeout_s":3.5,"no_answer_timeout_s":20,"cdr_retention":50}`)
		put(bucketExtensions, "21", `{"number":"21","name":"Front","password":"Zz9-old-secret","fxs":1,"outside":true}`)
		put(bucketExtensions, "22", `{"number":"22","name":"Back","password":"Yy8-old-secret","fxs":2}`)
		put(bucketFXOLines, "01", `{"port":1,"name":"Telekom","enabled":true,"rings":3,"destination":"21"}`)
		put(bucketCDR, string(cdrKey(7)), `{"id":7,"start":"2025-05-01T10:00:00Z","end":"2025-05-01T10:01:00Z","caller":"21","callee":"22","source":"fxs:1","destination":"fxs:2","disposition":"answered","duration":42}`)
		salt := []byte("0123456789abcdef")
		hash := hashPassword("old admin password", salt, 1000)
		rec := `{"iterations":1000,"salt":"` + b64(salt) + `","hash":"` + b64(hash) + `","must_change":false,"changed":"2025-01-01T00:00:00Z"}`
		put(bucketAdmin, keyAdmin, rec)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
}

func checkMigrated(t *testing.T, db *DB) {
	t.Helper()
	c, err := db.Config()
	if err != nil {
		t.Fatal(err)
	}
	s := c.System
	if s.ToneZone != "de" || s.InterDigitTimeoutMS != 3500 || s.CallRecordRetention != 50 || s.ExtensionLength != 2 || s.Name != "old box" {
		t.Errorf("system %+v", s)
	}
	if len(c.Extensions) != 2 || c.Extensions[0].Secret != "Zz9-old-secret" || c.Extensions[0].FXSPort != 1 || !c.Extensions[0].OutsideCalls ||
		c.Extensions[1].OutsideCalls || c.Extensions[1].FXSPort != 2 {
		t.Errorf("extensions %+v", c.Extensions)
	}
	if len(c.FXOLines) < 1 || c.FXOLines[0].AnswerAfterRings != 3 || c.FXOLines[0].Destination != "21" {
		t.Errorf("lines %+v", c.FXOLines)
	}
	recs, err := db.CallRecords(0, 10)
	if err != nil || len(recs) != 1 || recs[0].DurationS != 42 || recs[0].ID != 7 {
		t.Errorf("records %+v %v", recs, err)
	}
	if ok, _, err := db.CheckAdminPassword("old admin password"); !ok || err != nil {
		t.Errorf("old password no longer works: %v %v", ok, err)
	}
}

func TestMigrateV0File(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pbx.db")
	writeV0(t, path)
	v0, _ := os.ReadFile(path)

	// Read-only: migrated in memory, file untouched.
	o := testOptions()
	o.ReadOnly = true
	o.Limits = nil
	ro, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	if ro.schema != 0 {
		t.Errorf("read-only schema %d", ro.schema)
	}
	checkMigrated(t, ro)
	ro.Close()
	if after, _ := os.ReadFile(path); string(after) != string(v0) {
		t.Fatal("read-only open changed a v0 file")
	}

	// Read-write: migrated on disk, with a snapshot of the old file.
	o = testOptions()
	o.Now = func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }
	db, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	checkMigrated(t, db)
	db.Close()
	snaps, _ := filepath.Glob(path + ".schema-v0-*.bak")
	if len(snaps) != 1 || !strings.HasSuffix(snaps[0], "20260304T050607Z.bak") {
		t.Fatalf("snapshots %v", snaps)
	}
	snap, _ := os.ReadFile(snaps[0])
	if len(snap) == 0 {
		t.Fatal("empty snapshot")
	}
	// Every value is now in a v1 envelope.
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	b.View(func(tx *bbolt.Tx) error {
		if s := string(tx.Bucket([]byte(bucketMeta)).Get([]byte(metaSchema))); s != "1" {
			t.Errorf("schema %q after migration", s)
		}
		for _, n := range []string{bucketSystem, bucketExtensions, bucketFXOLines, bucketAdmin, bucketCDR} {
			tx.Bucket([]byte(n)).ForEach(func(k, v []byte) error {
				if !strings.HasPrefix(string(v), `{"schema":1,"data":`) {
					t.Errorf("%s/%q not migrated: %s", n, k, v)
				}
				return nil
			})
		}
		return nil
	})
	b.Close()
	// Reopening (now v1) keeps everything and makes no new snapshot.
	db, err = Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	checkMigrated(t, db)
	db.Close()
	if s, _ := filepath.Glob(path + ".schema-v*.bak"); len(s) != 1 {
		t.Errorf("snapshots %v", s)
	}
	// The snapshot is itself a readable v0 database (a rollback target).
	o = testOptions()
	o.ReadOnly = true
	old, err := Open(snaps[0], o)
	if err != nil {
		t.Fatal(err)
	}
	if old.schema != 0 {
		t.Errorf("snapshot schema %d", old.schema)
	}
	old.Close()
}

func TestMigrateV0Conflict(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.db")
	writeV0(t, path)
	editBolt(t, path, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketExtensions)).Put([]byte("21"), []byte(`{"number":"21","password":"a","secret":"b"}`))
	})
	_, err := Open(path, testOptions())
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `both "password" and "secret"`) {
		t.Errorf("%v", err)
	}
}

const v0Document = `{
  "version": 0,
  "system": {"name": "old box", "country": "de", "time_zone": "Europe/Berlin", "extension_length": 2,
             "outside_prefix": "0", "inter_digit_timeout_s": 3.5, "no_answer_timeout_s": 20, "cdr_retention": 50},
  "extensions": [
    {"number": "21", "name": "Front", "password": "Zz9-old-secret", "fxs": 1, "outside": true},
    {"number": "22", "name": "Back", "password": "Yy8-old-secret", "fxs": 2}
  ],
  "fxo_lines": [{"port": 1, "name": "Telekom", "enabled": true, "rings": 3, "destination": "21"}]
}`

func TestMigrateV0Document(t *testing.T) {
	c, err := DecodeConfig(strings.NewReader(v0Document))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != SchemaVersion || c.System.ToneZone != "de" || c.System.InterDigitTimeoutMS != 3500 ||
		c.Extensions[0].Secret != "Zz9-old-secret" || c.Extensions[1].FXSPort != 2 || c.FXOLines[0].AnswerAfterRings != 3 {
		t.Errorf("%+v", c)
	}
	// It restores onto a v1 box (the backup of an older firmware).
	db, _ := openTemp(t)
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	// A v0 document with a v1 field name is not silently accepted.
	bad := strings.Replace(v0Document, `"fxs": 2`, `"fxs_port": 2, "colour": 1`, 1)
	_, err = DecodeConfig(strings.NewReader(bad))
	if f := fieldsOf(t, err); len(f) != 1 || f[0] != "extensions[1].colour" {
		t.Errorf("%v", err)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
