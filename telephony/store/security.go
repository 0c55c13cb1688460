package store

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// What the box remembers of its own defences lives in its own bucket: the
// web login's lock-out counters and the web sessions (by the hash of their
// cookie), each under a name, as JSON its owner reads. Like the runtime
// bucket it is not configuration: no document, export or backup holds it
// (a restore leaves it), and it is created on the first save. A changed
// admin password ends every saved web session (SetAdminPassword,
// ResetAdminPassword), so that a session opened with the old password
// cannot come back after a restart.
const bucketSecurity = "security"

// WebSessionsState is the name of the web UI's saved sessions.
const WebSessionsState = "web-sessions"

// MaxSecurityStateBytes bounds one saved value (the lock-out table at its
// bound of 4,096 addresses is about 600 KB).
const MaxSecurityStateBytes = 1 << 20

// LoadSecurityState returns the value saved under name; nil when none.
func (db *DB) LoadSecurityState(name string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte(bucketSecurity)); b != nil {
			if v := b.Get([]byte(name)); v != nil {
				out = append([]byte(nil), v...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load %s: %w", name, err)
	}
	return out, nil
}

// SaveSecurityState saves data (JSON) under name, replacing what was there.
func (db *DB) SaveSecurityState(name string, data []byte) error {
	if db.readOnly {
		return ErrReadOnly
	}
	if name == "" || len(data) > MaxSecurityStateBytes || !json.Valid(data) {
		return fmt.Errorf("store: save %q: not a JSON value of at most %d bytes", name, MaxSecurityStateBytes)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketSecurity))
		if err != nil {
			return err
		}
		return b.Put([]byte(name), data)
	})
	if err != nil {
		return fmt.Errorf("store: save %s: %w", name, err)
	}
	return nil
}

// endWebSessions deletes the saved web sessions, inside a transaction
// that changes the admin password.
func endWebSessions(tx *bbolt.Tx) error {
	if b := tx.Bucket([]byte(bucketSecurity)); b != nil {
		return b.Delete([]byte(WebSessionsState))
	}
	return nil
}
