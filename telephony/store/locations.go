package store

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// The SIP registrar's bindings (where each registered phone is) are kept
// across a restart: a phone registers for up to an hour and, over UDP,
// does not notice that the box restarted, so without them it would be
// unreachable until its next refresh. Like the runtime memory they are
// not configuration: no document, export or backup holds them, and the
// registrar checks what it reads back (it may be stale or unreadable).
const (
	bucketLocations = "locations"
	keyLocationsSIP = "sip"
	// MaxLocationsBytes bounds the saved bindings (200 extensions with 10
	// phones each fit), against a caller filling the flash.
	MaxLocationsBytes = 1 << 20
)

// LoadBindings returns the SIP bindings last saved (a JSON document the
// registrar wrote), or nil when none were.
func (db *DB) LoadBindings() ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte(bucketLocations)); b != nil {
			out = append([]byte(nil), b.Get([]byte(keyLocationsSIP))...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load SIP bindings: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// SaveBindings replaces the saved SIP bindings with data, a JSON document
// of at most MaxLocationsBytes.
func (db *DB) SaveBindings(data []byte) error {
	if db.readOnly {
		return ErrReadOnly
	}
	if len(data) > MaxLocationsBytes || !json.Valid(data) {
		return fmt.Errorf("store: save SIP bindings: not a JSON document of at most %d bytes", MaxLocationsBytes)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketLocations))
		if err != nil {
			return err
		}
		return b.Put([]byte(keyLocationsSIP), data)
	})
	if err != nil {
		return fmt.Errorf("store: save SIP bindings: %w", err)
	}
	return nil
}
