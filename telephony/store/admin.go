package store

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"go.etcd.io/bbolt"
)

const (
	kdfPBKDF2SHA256 = "pbkdf2-sha256"
	saltLen         = 16
	hashLen         = 32
	// MinAdminPasswordLen is the shortest admin password SetAdminPassword
	// accepts (the generated ones are 19 characters).
	MinAdminPasswordLen = 10
	// MaxAdminPasswordLen bounds what is hashed.
	MaxAdminPasswordLen = 256
)

// adminRecord is what the database keeps of the admin password: a salted
// slow hash, never the password.
type adminRecord struct {
	Algorithm  string    `json:"algorithm"`
	Iterations int       `json:"iterations"`
	Salt       []byte    `json:"salt"`
	Hash       []byte    `json:"hash"`
	MustChange bool      `json:"must_change"`
	Changed    time.Time `json:"changed"`
}

func (a *adminRecord) check() error {
	if a.Algorithm != kdfPBKDF2SHA256 {
		return fmt.Errorf("unknown password hash algorithm %q", a.Algorithm)
	}
	if a.Iterations < 1000 || a.Iterations > 100_000_000 || len(a.Salt) < 8 || len(a.Hash) != hashLen {
		return errors.New("malformed password hash")
	}
	return nil
}

func hashPassword(pw string, salt []byte, iter int) []byte {
	h, err := pbkdf2.Key(sha256.New, pw, salt, iter, hashLen)
	if err != nil {
		// Only FIPS-140 mode refuses parameters; ours are fixed and valid.
		panic(fmt.Sprintf("store: pbkdf2: %v", err))
	}
	return h
}

func (db *DB) newRecord(pw string, mustChange bool) adminRecord {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	return adminRecord{
		Algorithm:  kdfPBKDF2SHA256,
		Iterations: db.kdfIter,
		Salt:       salt,
		Hash:       hashPassword(pw, salt, db.kdfIter),
		MustChange: mustChange,
		Changed:    db.now().UTC(),
	}
}

func (db *DB) readAdmin() (*adminRecord, error) {
	var rec *adminRecord
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket([]byte(bucketAdmin)).Get([]byte(keyAdmin))
		if raw == nil {
			return nil
		}
		rec = new(adminRecord)
		if err := decodeValue("admin", raw, db.schema, rec); err != nil {
			return &valueError{bucketAdmin, keyAdmin, err}
		}
		return rec.check()
	})
	if err != nil {
		return nil, fmt.Errorf("store: admin password: %w", err)
	}
	return rec, nil
}

// writeAdmin stores rec (only if there is none, with onlyIfAbsent); a new
// password (newPassword) also ends every saved web session.
func (db *DB) writeAdmin(rec adminRecord, onlyIfAbsent, newPassword bool) (written bool, err error) {
	if db.readOnly {
		return false, ErrReadOnly
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketAdmin))
		if onlyIfAbsent && b.Get([]byte(keyAdmin)) != nil {
			return nil
		}
		written = true
		if newPassword {
			if err := endWebSessions(tx); err != nil {
				return err
			}
		}
		return putValue(b, keyAdmin, rec)
	})
	if err != nil {
		return false, fmt.Errorf("store: admin password: %w", err)
	}
	return written, nil
}

// EnsureAdminPassword creates the admin password at the box's first
// start: random and unique to this box (GenerateAdminPassword), stored
// only as a salted PBKDF2-SHA256 hash and marked to be changed at the
// first login. It returns the password (for pbxd to print once) and
// created=true only when it made one; otherwise "", false.
//
// An admin account deleted on purpose (DeleteAccount, when another
// administrator exists) is not made again: pbxctl passwd does that.
func (db *DB) EnsureAdminPassword() (password string, created bool, err error) {
	if rec, err := db.readAdmin(); err != nil || rec != nil {
		return "", false, err
	}
	if _, err := db.Account(AdminLogin); errors.Is(err, ErrNotFound) {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	pw := GenerateAdminPassword()
	written, err := db.writeAdmin(db.newRecord(pw, true), true, true)
	if err != nil || !written {
		return "", false, err
	}
	db.log.Info("generated the admin password (it must be changed at the first login)")
	return pw, true, nil
}

// ResetAdminPassword replaces the admin password with a new random one,
// marked to be changed at the next login, and returns it (pbxctl passwd).
// It is the owner's way back into a box: the admin account is made an
// administrator again, and made anew if it was deleted.
func (db *DB) ResetAdminPassword() (string, error) {
	pw := GenerateAdminPassword()
	if _, err := db.writeAdmin(db.newRecord(pw, true), false, true); err != nil {
		return "", err
	}
	if err := db.restoreAdminAccount(); err != nil {
		return "", err
	}
	db.log.Info("reset the admin password (it must be changed at the next login)")
	return pw, nil
}

// CheckAdminPassword reports whether pw is the admin password and whether
// it must be changed now. The comparison is constant-time and a missing
// or overlong password costs the same hashing work, so timing tells an
// attacker nothing. A right password hashed with fewer iterations than
// this firmware uses is re-hashed.
func (db *DB) CheckAdminPassword(pw string) (ok, mustChange bool, err error) {
	rec, err := db.readAdmin()
	if err != nil {
		return false, false, err
	}
	if rec == nil {
		hashPassword(pw, make([]byte, saltLen), db.kdfIter)
		return false, false, ErrNoAdminPassword
	}
	candidate := pw
	if len(candidate) > MaxAdminPasswordLen {
		candidate = ""
	}
	sum := hashPassword(candidate, rec.Salt, rec.Iterations)
	ok = subtle.ConstantTimeCompare(sum, rec.Hash) == 1 && len(pw) <= MaxAdminPasswordLen
	if !ok {
		return false, false, nil
	}
	if rec.Iterations < db.kdfIter && !db.readOnly {
		if _, err := db.writeAdmin(db.newRecord(pw, rec.MustChange), false, false); err != nil {
			db.log.Warn("could not upgrade the admin password hash", "err", err)
		}
	}
	return true, rec.MustChange, nil
}

// SetAdminPassword sets a new admin password chosen by the installer and
// clears the must-change mark. Policy: at least MinAdminPasswordLen
// characters, printable, and not the current password. Refusals are a
// *ValidationError on field "password".
func (db *DB) SetAdminPassword(pw string) error {
	if m := adminPasswordProblem(pw); m != "" {
		return fieldErr("password", "%s", m)
	}
	rec, err := db.readAdmin()
	if err != nil {
		return err
	}
	if rec != nil && subtle.ConstantTimeCompare(hashPassword(pw, rec.Salt, rec.Iterations), rec.Hash) == 1 {
		return fieldErr("password", "must differ from the current password")
	}
	if _, err := db.writeAdmin(db.newRecord(pw, false), false, true); err != nil {
		return err
	}
	db.log.Info("the admin password was changed")
	return nil
}

func adminPasswordProblem(pw string) string {
	if !utf8.ValidString(pw) {
		return "must be valid UTF-8"
	}
	if n := utf8.RuneCountInString(pw); n < MinAdminPasswordLen {
		return fmt.Sprintf("must be at least %d characters", MinAdminPasswordLen)
	}
	if len(pw) > MaxAdminPasswordLen {
		return fmt.Sprintf("must be at most %d bytes", MaxAdminPasswordLen)
	}
	for _, r := range pw {
		if !unicode.IsPrint(r) {
			return "must contain printable characters only"
		}
	}
	return ""
}
