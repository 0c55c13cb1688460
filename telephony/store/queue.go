package store

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"
)

// Outgoing queues (the e-mail queue, the webhook queue) share one shape:
// a bucket of values keyed by a sequence number, oldest first, bounded
// (the oldest beyond the bound is dropped), each value updated after a
// failed attempt and deleted once delivered.

// A queue is a bucket and the kind of its values (decodeValue's, for
// migrations).
type queue struct{ bucket, kind string }

// put stores v under the bucket's next sequence number (given to v by
// setID) and drops the oldest values more than max behind it, returning
// them.
func queuePut[T any](tx *bbolt.Tx, schema int, qu queue, max uint64, v *T, setID func(*T, uint64)) (dropped []T, err error) {
	bucket := qu.bucket
	q, err := tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return nil, err
	}
	id, err := q.NextSequence()
	if err != nil {
		return nil, err
	}
	setID(v, id)
	if err := putValue(q, string(cdrKey(id)), v); err != nil {
		return nil, err
	}
	c := q.Cursor()
	for k, raw := c.First(); k != nil && id-binary.BigEndian.Uint64(k) >= max; k, raw = c.First() {
		var old T
		if err := decodeValue(qu.kind, raw, schema, &old); err == nil {
			dropped = append(dropped, old)
		}
		if err := c.Delete(); err != nil {
			return nil, err
		}
	}
	return dropped, nil
}

// queueList returns the queue's values, oldest first.
func queueList[T any](db *DB, qu queue) ([]T, error) {
	bucket := qu.bucket
	out := []T{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		q := tx.Bucket([]byte(bucket))
		if q == nil {
			return nil
		}
		return q.ForEach(func(k, v []byte) error {
			var e T
			if err := decodeValue(qu.kind, v, db.schema, &e); err != nil {
				return &valueError{bucket, strconv.FormatUint(binary.BigEndian.Uint64(k), 10), err}
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", bucket, err)
	}
	return out, nil
}

// queueUpdate changes the queue's value id with fn.
func queueUpdate[T any](db *DB, qu queue, id uint64, fn func(e *T)) error {
	bucket := qu.bucket
	if db.readOnly {
		return ErrReadOnly
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		q := tx.Bucket([]byte(bucket))
		if q == nil {
			return ErrNotFound
		}
		raw := q.Get(cdrKey(id))
		if raw == nil {
			return ErrNotFound
		}
		var e T
		if err := decodeValue(qu.kind, raw, db.schema, &e); err != nil {
			return err
		}
		fn(&e)
		return putValue(q, string(cdrKey(id)), e)
	})
	if err != nil {
		return fmt.Errorf("store: %s %d: %w", bucket, id, err)
	}
	return nil
}

// queueDelete removes the queue's value id (none: nothing to do).
func queueDelete(db *DB, qu queue, id uint64) error {
	bucket := qu.bucket
	if db.readOnly {
		return ErrReadOnly
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if q := tx.Bucket([]byte(bucket)); q != nil {
			return q.Delete(cdrKey(id))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", bucket, err)
	}
	return nil
}
