package store

import "go.etcd.io/bbolt"

// entityConfig is the validation entity of a change that may touch any
// part of the configuration at once (ChangeConfig): no issue belongs to
// it, so every problem the change brings is reported by its document path
// ("extensions[3].number"), and problems the stored configuration already
// had are not held against it.
const entityConfig = "config"

// ChangeConfig changes any part of the configuration — settings,
// extensions, lines and dial plan together — in one validated
// transaction: fn edits a copy of the stored configuration, read inside
// the transaction, so nothing saved meanwhile is lost and fn can check
// that what it changes is still as it expects. The result is validated
// as a whole and written only if the change brings no problem; problems
// come back by document path. Nothing is written when fn or validation
// fails: a setup of many objects is all or nothing. New extensions must
// carry their secrets (GenerateSecret).
func (db *DB) ChangeConfig(fn func(c *Config) error) (Config, error) {
	return db.change(entityConfig, fn)
}

// CheckConfigChange runs fn and validates its result exactly as
// ChangeConfig would, in a read-only transaction: it returns the
// configuration the change would store, or its problems, and writes
// nothing (a review before the change is made).
func (db *DB) CheckConfigChange(fn func(c *Config) error) (Config, error) {
	var out Config
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		_, out, err = db.edit(tx, entityConfig, fn)
		return err
	})
	return out, err
}
