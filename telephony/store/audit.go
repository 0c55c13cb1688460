package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// The audit log (config.md, "The audit log"): who changed what in the
// configuration and the accounts, and when, with a readable diff of what
// changed; and every request the web UI or API refused an account for
// its role. Each entry is written in the same transaction as the change
// it describes, so there is no change without its entry. The log keeps
// the newest MaxAuditEntries entries.

// Audit actions.
const (
	// AuditChange is a change of the configuration (Changes is its diff).
	AuditChange = "change"
	// AuditRefused is a request refused because the account's role lacks
	// the permission (Target is the method and route).
	AuditRefused = "refused"
	// AuditAccount, AuditPassword, AuditRole and AuditToken are changes
	// to accounts, passwords, roles' permission sets and API tokens.
	AuditAccount  = "account"
	AuditPassword = "password"
	AuditRole     = "role"
	AuditToken    = "token"
)

// AuditActions lists the actions, for filters.
func AuditActions() []string {
	return []string{AuditChange, AuditRefused, AuditAccount, AuditPassword, AuditRole, AuditToken}
}

// Bounds of the audit log.
const (
	// MaxAuditEntries is how many entries are kept (about 0.5 KB each).
	MaxAuditEntries = 5000
	// maxAuditLines bounds the diff of one entry; the rest is counted.
	maxAuditLines = 200
	// maxAuditLine bounds one line of a diff.
	maxAuditLine = 400
	// refusalMerge: a refusal repeating the previous entry (same account,
	// same route) within this time counts in it instead of adding one,
	// so a script hammering a forbidden route cannot push the rest of
	// the log out.
	refusalMerge = 10 * time.Minute
)

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	ID   uint64    `json:"id"`
	Time time.Time `json:"time"`
	// Actor is the account ("" the box itself: a feature code on a
	// phone, pbxctl), with its role, how it came (web, api, token,
	// phone, pbxctl) and from where.
	Actor  string `json:"actor"`
	Role   string `json:"role,omitempty"`
	Via    string `json:"via,omitempty"`
	Remote string `json:"remote,omitempty"`
	// Action is change, refused, account, password, role or token.
	Action string `json:"action"`
	// Section names the parts of the configuration that changed
	// ("extensions, extension_rules"), or accounts, roles, api_tokens;
	// for a refusal, the permission that was missing.
	Section string `json:"section,omitempty"`
	// Target is what was acted on: an extension ("ext:201"), an account,
	// a role, or for a refusal the request ("POST /settings").
	Target string `json:"target,omitempty"`
	// Changes are the diff, one line per value: `path: old → new`
	// (secrets and PINs say only that they changed).
	Changes []string `json:"changes,omitempty"`
	// Count is how many refusals this entry stands for (0 or 1: one),
	// the last of them at Last.
	Count int       `json:"count,omitempty"`
	Last  time.Time `json:"last,omitzero"`
}

// AuditFilter selects entries of the audit log. Empty fields select all.
type AuditFilter struct {
	// Actor is an account's login ("-" the box itself).
	Actor string
	// Action is one of AuditActions.
	Action string
	// Section is matched within the entry's Section.
	Section string
	// Text is matched, ignoring case, within the target and the changes.
	Text string
	// From and To bound the time (To excluded).
	From, To time.Time
	// Before lists entries older than this ID (0: from the newest).
	Before uint64
	// Limit bounds the answer (0: 100; at most MaxAuditEntries).
	Limit int
}

// Match reports whether e is one of the entries f selects (Before and
// Limit aside).
func (f AuditFilter) Match(e AuditEntry) bool {
	switch {
	case f.Actor == "-" && e.Actor != "", f.Actor != "" && f.Actor != "-" && e.Actor != f.Actor:
		return false
	case f.Action != "" && e.Action != f.Action:
		return false
	case f.Section != "" && !strings.Contains(e.Section, f.Section):
		return false
	case !f.From.IsZero() && e.Time.Before(f.From), !f.To.IsZero() && !e.Time.Before(f.To):
		return false
	}
	if f.Text == "" {
		return true
	}
	t := strings.ToLower(f.Text)
	if strings.Contains(strings.ToLower(e.Target), t) {
		return true
	}
	for _, c := range e.Changes {
		if strings.Contains(strings.ToLower(c), t) {
			return true
		}
	}
	return false
}

func auditKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// appendAudit writes e as made by db's actor, now, inside tx; a refusal
// that repeats the newest entry is counted in it. The oldest entries
// beyond MaxAuditEntries go.
func (db *DB) appendAudit(tx *bbolt.Tx, e AuditEntry) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucketAudit))
	if err != nil {
		return err
	}
	now := db.now().UTC()
	e.Time = now
	e.Actor, e.Role, e.Via, e.Remote = db.actor.Login, db.actor.Role, db.actor.Via, db.actor.Remote
	if len(e.Changes) > maxAuditLines {
		more := len(e.Changes) - maxAuditLines
		e.Changes = append(e.Changes[:maxAuditLines:maxAuditLines], fmt.Sprintf("… and %d more", more))
	}
	if e.Action == AuditRefused {
		if k, v := b.Cursor().Last(); k != nil {
			var last AuditEntry
			if decodeValue("audit", v, db.schema, &last) == nil && last.Action == AuditRefused &&
				last.Actor == e.Actor && last.Target == e.Target {
				lastAt := last.Time
				if last.Last.After(lastAt) {
					lastAt = last.Last
				}
				if now.Sub(lastAt) < refusalMerge {
					last.Count = max(last.Count, 1) + 1
					last.Last = now
					return putValue(b, string(k), last)
				}
			}
		}
	}
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.ID = id
	if err := putValue(b, string(auditKey(id)), e); err != nil {
		return err
	}
	if id <= db.auditMax {
		return nil
	}
	oldest := auditKey(id - db.auditMax)
	var stale [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, oldest) <= 0; k, _ = c.Next() {
		stale = append(stale, append([]byte(nil), k...))
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// RecordRefusal writes to the audit log that db's actor was refused the
// request (method and route) for lacking permission.
func (db *DB) RecordRefusal(request, permission string) error {
	err := db.update(func(tx *bbolt.Tx) error {
		return db.appendAudit(tx, AuditEntry{Action: AuditRefused, Section: permission, Target: request})
	})
	return wrapStore("audit", err)
}

// AuditLog returns the entries f selects, newest first.
func (db *DB) AuditLog(f AuditFilter) ([]AuditEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, MaxAuditEntries)
	out := []AuditEntry{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketAudit))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		if f.Before == 0 {
			k, v = c.Last()
		} else {
			k, v = c.Seek(auditKey(f.Before))
			if k == nil {
				k, v = c.Last()
			}
			if k != nil && bytes.Compare(k, auditKey(f.Before)) >= 0 {
				k, v = c.Prev()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			var e AuditEntry
			if err := decodeValue("audit", v, db.schema, &e); err != nil {
				return &valueError{bucketAudit, fmt.Sprint(binary.BigEndian.Uint64(k)), err}
			}
			if f.Match(e) {
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrapStore("audit log", err)
	}
	return out, nil
}

// auditConfig writes the audit entry of a configuration change made in
// tx: the diff of before and after, section by section. A change that
// changed nothing writes nothing.
func (db *DB) auditConfig(tx *bbolt.Tx, entity string, before, after *Config) error {
	var bm, am map[string]any
	if err := genericOf(before, &bm); err != nil {
		return err
	}
	if err := genericOf(after, &am); err != nil {
		return err
	}
	var sections, lines []string
	for _, k := range sortedKeys(bm, am) {
		l := diffLines(bm[k], am[k], k)
		if len(l) > 0 {
			sections = append(sections, k)
			lines = append(lines, l...)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	target := entity
	if target == "" {
		target = "whole configuration (import)"
	}
	return db.appendAudit(tx, AuditEntry{Action: AuditChange, Section: strings.Join(sections, ", "), Target: target, Changes: lines})
}

// genericOf turns v into its JSON form as maps, slices and scalars.
func genericOf(v any, out *map[string]any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(out)
}
