package store

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// The exchange's memory across restarts (where each ring group's round
// robin stands, who answered last and how often, which line a line group
// used last) lives in its own bucket. It is not configuration: no document,
// export or backup holds it, a restore leaves it, and losing it costs only
// the strategies' fairness, so its values are plain JSON (no envelope, no
// migration) that the exchange interprets and may find unreadable. The
// bucket is created on the first save, so older databases need nothing.
const bucketRuntime = "runtime"

// Bounds of the runtime memory, against a caller filling the flash.
const (
	MaxRuntimeEntries    = 1000
	MaxRuntimeValueBytes = 64 << 10
)

// LoadRuntime returns the exchange's saved memory, by key; empty when
// nothing was saved.
func (db *DB) LoadRuntime() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketRuntime))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if v != nil { // a nested bucket is not ours: skip it
				out[string(k)] = append([]byte(nil), v...)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: load runtime memory: %w", err)
	}
	return out, nil
}

// SaveRuntime makes the saved memory exactly entries (keys not in it are
// deleted), in one transaction. Each value must be JSON.
func (db *DB) SaveRuntime(entries map[string][]byte) error {
	if db.readOnly {
		return ErrReadOnly
	}
	if len(entries) > MaxRuntimeEntries {
		return fmt.Errorf("store: save runtime memory: %d entries, at most %d", len(entries), MaxRuntimeEntries)
	}
	for k, v := range entries {
		if k == "" || len(v) > MaxRuntimeValueBytes || !json.Valid(v) {
			return fmt.Errorf("store: save runtime memory: entry %q is not a JSON value of at most %d bytes", k, MaxRuntimeValueBytes)
		}
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketRuntime))
		if b == nil {
			if len(entries) == 0 {
				return nil
			}
			var err error
			if b, err = tx.CreateBucket([]byte(bucketRuntime)); err != nil {
				return err
			}
		}
		return syncBucket(b, entries)
	})
	if err != nil {
		return fmt.Errorf("store: save runtime memory: %w", err)
	}
	return nil
}
