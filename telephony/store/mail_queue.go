package store

import (
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
)

// The e-mail queue: each message the box is to send waits here (its
// text in a file of the data directory's mail spool, the message's
// state here) until the mail server accepts it, so that an unreachable
// server or a power cut loses none. A key names what a message is about
// ("voicemail:101/ID"), so that the same thing is never mailed twice.
const (
	bucketMailQueue = "mail_queue" // ID → MailEntry
	bucketMailKeys  = "mail_keys"  // key → when it was queued (Unix seconds)
	// MaxMailQueue bounds the queue; beyond it the oldest message is
	// dropped (and logged).
	MaxMailQueue = 500
	// mailKeyAge is how long a key is remembered.
	mailKeyAge = 180 * 24 * time.Hour
)

// mailQueue is the e-mail queue's bucket and kind.
func mailQueue() queue { return queue{bucketMailQueue, "mail"} }

// MailEntry is one queued message.
type MailEntry struct {
	ID uint64 `json:"id"`
	// Kind is voicemail, missed-call, alarm or quota.
	Kind    string   `json:"kind"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	// File is the message (RFC 5322, ready to send) in the mail spool.
	File     string    `json:"file"`
	Created  time.Time `json:"created"`
	Attempts int       `json:"attempts"`
	// Next is when to try again (zero: now).
	Next      time.Time `json:"next,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// After is what to do once the server accepted it:
	// "delete-voicemail:BOX/ID", or "".
	After string `json:"after,omitempty"`
}

// EnqueueMail queues e (given its ID) unless key (when not "") was
// queued before; queued says which. The oldest message beyond
// MaxMailQueue is dropped and returned in dropped, so that its file is
// removed too.
func (db *DB) EnqueueMail(e MailEntry, key string) (out MailEntry, queued bool, dropped []MailEntry, err error) {
	if db.readOnly {
		return e, false, nil, ErrReadOnly
	}
	now := db.now()
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		keys, err := tx.CreateBucketIfNotExists([]byte(bucketMailKeys))
		if err != nil {
			return err
		}
		if key != "" {
			if keys.Get([]byte(key)) != nil {
				return nil
			}
			if err := keys.Put([]byte(key), []byte(strconv.FormatInt(now.Unix(), 10))); err != nil {
				return err
			}
			if err := pruneMailKeys(keys, now); err != nil {
				return err
			}
		}
		if e.Created.IsZero() {
			e.Created = now
		}
		dropped, err = queuePut(tx, db.schema, mailQueue(), MaxMailQueue, &e, func(e *MailEntry, id uint64) { e.ID = id })
		if err != nil {
			return err
		}
		queued = true
		return nil
	})
	if err != nil {
		return e, false, nil, fmt.Errorf("store: queue mail: %w", err)
	}
	return e, queued, dropped, nil
}

// pruneMailKeys forgets keys older than mailKeyAge.
func pruneMailKeys(b *bbolt.Bucket, now time.Time) error {
	var stale [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if t, err := strconv.ParseInt(string(v), 10, 64); err != nil || now.Sub(time.Unix(t, 0)) > mailKeyAge {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range stale {
		if err == nil {
			err = b.Delete(k)
		}
	}
	return err
}

// MailQueue returns the queued messages, oldest first.
func (db *DB) MailQueue() ([]MailEntry, error) { return queueList[MailEntry](db, mailQueue()) }

// MailAttempted records a failed attempt: the server's answer and when
// to try again.
func (db *DB) MailAttempted(id uint64, next time.Time, lastErr string) error {
	return queueUpdate(db, mailQueue(), id, func(e *MailEntry) {
		e.Attempts++
		e.Next, e.LastError = next, cleanText(lastErr)
	})
}

// MailDone removes a message the server accepted (or that is given up).
func (db *DB) MailDone(id uint64) error { return queueDelete(db, mailQueue(), id) }
