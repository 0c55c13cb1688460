package store

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// The SIP registrar's bindings (where each registered phone is) are kept
// across a restart: a phone registers for up to an hour and, over UDP,
// does not notice that the box restarted, so without them it would be
// unreachable until its next refresh. So are the SIP server's counters of
// failed authentications (bans, locked accounts, the addresses each
// extension authenticated from): otherwise a power cycle would give a
// password guesser a fresh start. Like the runtime memory they are not
// configuration: no document, export or backup holds them, and the SIP
// server checks what it reads back (it may be stale or unreadable).
const (
	bucketLocations = "locations"
	keyLocationsSIP = "sip"
	bucketSIPBans   = "sipbans"
	keySIPBans      = "counters"
	// MaxLocationsBytes bounds each saved document (200 extensions with
	// 10 phones each fit), against a caller filling the flash.
	MaxLocationsBytes = 1 << 20
)

// LoadBindings returns the SIP bindings last saved (a JSON document the
// registrar wrote), or nil when none were.
func (db *DB) LoadBindings() ([]byte, error) {
	return db.loadDocument(bucketLocations, keyLocationsSIP, "SIP bindings")
}

// SaveBindings replaces the saved SIP bindings with data, a JSON document
// of at most MaxLocationsBytes.
func (db *DB) SaveBindings(data []byte) error {
	return db.saveDocument(bucketLocations, keyLocationsSIP, "SIP bindings", data)
}

// LoadBans returns the SIP authentication-failure counters last saved (a
// JSON document the SIP server wrote), or nil when none were.
func (db *DB) LoadBans() ([]byte, error) {
	return db.loadDocument(bucketSIPBans, keySIPBans, "SIP ban counters")
}

// SaveBans replaces the saved SIP authentication-failure counters with
// data, a JSON document of at most MaxLocationsBytes.
func (db *DB) SaveBans(data []byte) error {
	return db.saveDocument(bucketSIPBans, keySIPBans, "SIP ban counters", data)
}

// loadDocument reads the JSON document kept under bucket/key, nil when
// there is none.
func (db *DB) loadDocument(bucket, key, what string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte(bucket)); b != nil {
			out = append([]byte(nil), b.Get([]byte(key))...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load %s: %w", what, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// saveDocument replaces the JSON document under bucket/key.
func (db *DB) saveDocument(bucket, key, what string, data []byte) error {
	if db.readOnly {
		return ErrReadOnly
	}
	if len(data) > MaxLocationsBytes || !json.Valid(data) {
		return fmt.Errorf("store: save %s: not a JSON document of at most %d bytes", what, MaxLocationsBytes)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), data)
	})
	if err != nil {
		return fmt.Errorf("store: save %s: %w", what, err)
	}
	return nil
}
