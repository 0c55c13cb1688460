package store

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// The accounts of the web UI and API (config.md, "Accounts and roles").
// Each account has a login, a role and a password stored as a salted
// PBKDF2 hash like the admin password. The built-in "admin" account is
// the one every box starts with; its password stays where it always was
// (bucket "admin", so that pbxctl passwd and an older firmware still find
// it), and pbxctl passwd makes it an administrator again whatever became
// of it. A user logs in with their extension number: an account whose
// login is digits is the extension of that number.
//
// Accounts, roles, API tokens and the audit log have a bucket each,
// created on the first write: a database from before them reads as the
// admin account alone, an administrator, and the default roles. They are
// not configuration: the JSON document, its export and import leave them
// (so an import cannot grant anyone anything); a backup of the database
// file keeps them.
const (
	bucketAccounts = "accounts"
	bucketRoles    = "roles"
	bucketTokens   = "api_tokens"
	bucketAudit    = "audit"

	// AdminLogin is the built-in account's login.
	AdminLogin = "admin"
	// MaxLoginLen bounds an account's login.
	MaxLoginLen = 32
	// MaxAccounts bounds the accounts (one per extension, and a few more).
	MaxAccounts = MaxExtensions + 50
)

// WebLanguages are the languages an account may choose for the web UI
// ("" follows the browser).
func WebLanguages() []string { return []string{"en", "ru", "hy", "ky", "it"} }

// Account is one login of the web UI and API.
type Account struct {
	// Login is what the account logs in with: "admin", a name in lower
	// case ("anna", "installer"), or an extension number ("201").
	Login string `json:"login"`
	// Role is administrator, installer, office_manager or user.
	Role string `json:"role"`
	// Name is who it is, for the pages ("Anna Petrova").
	Name string `json:"name,omitempty"`
	// Extension is the account's own extension: its mailbox, forwarding
	// and call history are what the "own." permissions reach. An account
	// whose login is digits has that extension; a user must have one.
	Extension string `json:"extension,omitempty"`
	// Language is the language of the web UI for this account ("": the
	// browser's).
	Language string `json:"language,omitempty"`
	// MustChange: the password was set by someone else and must be
	// changed at the next login. Read only.
	MustChange bool `json:"must_change"`
	// PasswordChanged is when the password was last set. Read only.
	PasswordChanged time.Time `json:"password_changed,omitzero"`
}

// accountRecord is an account as stored. The admin account's password is
// in the admin bucket, not here.
type accountRecord struct {
	Login     string       `json:"login"`
	Role      string       `json:"role"`
	Name      string       `json:"name,omitempty"`
	Extension string       `json:"extension,omitempty"`
	Language  string       `json:"language,omitempty"`
	Password  *adminRecord `json:"password,omitempty"`
}

func (r *accountRecord) account() Account {
	return Account{Login: r.Login, Role: r.Role, Name: r.Name, Extension: r.Extension, Language: r.Language}
}

// ErrBadCredentials is CheckPassword's answer for an unknown login and
// for a wrong password alike.
var ErrBadCredentials = errors.New("store: wrong login or password")

func wrapStore(what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := AsValidationError(err); ok || errors.Is(err, ErrNotFound) || errors.Is(err, ErrReadOnly) {
		return err
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// update runs fn in a write transaction (refused on a read-only handle).
// Every change to accounts, roles and tokens goes through it, and
// forgets the checked tokens (CheckToken looks them up afresh).
func (db *DB) update(fn func(tx *bbolt.Tx) error) error {
	if db.readOnly {
		return ErrReadOnly
	}
	defer db.tokens.clear()
	return db.bolt.Update(fn)
}

// readRecord returns the stored record of login; ErrNotFound when none.
func readRecord(tx *bbolt.Tx, schema int, login string) (*accountRecord, error) {
	b := tx.Bucket([]byte(bucketAccounts))
	if b == nil {
		if login == AdminLogin {
			return &accountRecord{Login: AdminLogin, Role: RoleAdministrator}, nil
		}
		return nil, fmt.Errorf("account %q: %w", login, ErrNotFound)
	}
	raw := b.Get([]byte(login))
	if raw == nil || login == "" {
		return nil, fmt.Errorf("account %q: %w", login, ErrNotFound)
	}
	r := new(accountRecord)
	if err := decodeValue("account", raw, schema, r); err != nil {
		return nil, &valueError{bucketAccounts, login, err}
	}
	if r.Login != login {
		return nil, &valueError{bucketAccounts, login, fmt.Errorf("holds account %q", r.Login)}
	}
	return r, nil
}

// credential returns the password hash of login (nil: none set).
func credential(tx *bbolt.Tx, schema int, r *accountRecord) (*adminRecord, error) {
	if r.Login != AdminLogin {
		return r.Password, nil
	}
	raw := tx.Bucket([]byte(bucketAdmin)).Get([]byte(keyAdmin))
	if raw == nil {
		return nil, nil
	}
	a := new(adminRecord)
	if err := decodeValue("admin", raw, schema, a); err != nil {
		return nil, &valueError{bucketAdmin, keyAdmin, err}
	}
	return a, a.check()
}

// readAccount returns the account login with its password state.
func readAccount(tx *bbolt.Tx, schema int, login string) (Account, error) {
	r, err := readRecord(tx, schema, login)
	if err != nil {
		return Account{}, err
	}
	a := r.account()
	cred, err := credential(tx, schema, r)
	if err != nil {
		return Account{}, err
	}
	if cred != nil {
		a.MustChange, a.PasswordChanged = cred.MustChange, cred.Changed
	}
	return a, nil
}

// allAccounts reads every account, unsorted.
func allAccounts(tx *bbolt.Tx, schema int) ([]Account, error) {
	b := tx.Bucket([]byte(bucketAccounts))
	if b == nil {
		a, err := readAccount(tx, schema, AdminLogin)
		return []Account{a}, err
	}
	var out []Account
	err := b.ForEach(func(k, _ []byte) error {
		a, err := readAccount(tx, schema, string(k))
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// AccountUsers are the references of accounts to extension number (the
// account whose mailbox, forwarding and calls they are), as
// "accounts.LOGIN.extension": deleting the extension would leave them
// managing nothing, so it is refused naming them.
func AccountUsers(accounts []Account, number string) []Ref {
	var out []Ref
	for _, a := range accounts {
		if a.Extension == number {
			out = append(out, Ref{Path: "accounts." + a.Login + ".extension", Target: SectionExtensions, Name: number})
		}
	}
	return out
}

// Account returns one account; ErrNotFound when there is none.
func (db *DB) Account(login string) (Account, error) {
	var a Account
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		a, err = readAccount(tx, db.schema, login)
		return err
	})
	return a, wrapStore("account", err)
}

// Accounts returns every account: admin first, then by login.
func (db *DB) Accounts() ([]Account, error) {
	var out []Account
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = allAccounts(tx, db.schema)
		return err
	})
	if err != nil {
		return nil, wrapStore("accounts", err)
	}
	slices.SortStableFunc(out, func(a, b Account) int {
		switch {
		case a.Login == AdminLogin:
			return -1
		case b.Login == AdminLogin:
			return 1
		case len(a.Login) != len(b.Login) && isDigits(a.Login) && isDigits(b.Login):
			return len(a.Login) - len(b.Login)
		}
		return strings.Compare(a.Login, b.Login)
	})
	return out, nil
}

// loginProblem says what is wrong with a login ("" nothing).
func loginProblem(login string) string {
	switch {
	case login == "":
		return "is required"
	case len(login) > MaxLoginLen:
		return fmt.Sprintf("must be at most %d characters", MaxLoginLen)
	case isDigits(login):
		return ""
	case login[0] < 'a' || login[0] > 'z':
		return "must be an extension number, or a name that starts with a letter a-z"
	}
	for i := 0; i < len(login); i++ {
		c := login[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "may hold lower-case letters a-z, digits, '.', '_' and '-' only"
		}
	}
	return ""
}

// checkAccount validates a's fields against the configuration (its
// extension must exist) and the other accounts (an extension has at most
// one account).
func (db *DB) checkAccount(tx *bbolt.Tx, a Account) error {
	v := &ValidationError{}
	if m := loginProblem(a.Login); m != "" {
		v.add("login", "%s", m)
	}
	if !slices.Contains(RoleNames(), a.Role) {
		v.add("role", "must be one of %s", strings.Join(RoleNames(), ", "))
	}
	if m := nameProblem(a.Name, false); m != "" {
		v.add("name", "%s", m)
	}
	if a.Language != "" && !slices.Contains(WebLanguages(), a.Language) {
		v.add("language", "must be empty (the browser's) or one of %s", strings.Join(WebLanguages(), ", "))
	}
	switch {
	case isDigits(a.Login) && a.Extension != a.Login:
		v.add("extension", "an account named by an extension number has that extension (%s)", a.Login)
	case a.Extension == "" && a.Role == RoleUser:
		v.add("extension", "a user needs an extension: their mailbox, forwarding and calls are what they manage")
	case a.Extension != "":
		c, err := readConfig(tx, db.schema)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(c.Extensions, func(e Extension) bool { return e.Number == a.Extension }) {
			field := "extension"
			if isDigits(a.Login) {
				field = "login"
			}
			v.add(field, "extension %q does not exist", a.Extension)
		}
	}
	if a.Extension != "" {
		if b := tx.Bucket([]byte(bucketAccounts)); b != nil {
			err := b.ForEach(func(k, raw []byte) error {
				if string(k) == a.Login {
					return nil
				}
				var o accountRecord
				if err := decodeValue("account", raw, db.schema, &o); err != nil {
					return &valueError{bucketAccounts, string(k), err}
				}
				if o.Extension == a.Extension {
					v.add("extension", "extension %s already has the account %q", a.Extension, o.Login)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return v.err()
}

// mayManage checks that the actor may act on an account of role target
// (and give it role next): its own role must hold every permission of
// both. The box itself may do anything.
func (db *DB) mayManage(tx *bbolt.Tx, target, next string) error {
	if db.actor.IsBox() {
		return nil
	}
	mine, err := db.actorRole(tx)
	if err != nil {
		return err
	}
	for _, name := range []string{target, next} {
		r, err := readRole(tx, db.schema, name)
		if err != nil {
			return err
		}
		if !mine.covers(r) {
			return fieldErr("role", "your role (%s) may manage only accounts whose role has no more rights than yours; %s has more", db.actor.Role, name)
		}
	}
	return nil
}

// administrators counts the accounts of the administrator role.
func administrators(tx *bbolt.Tx, schema int) (int, error) {
	b := tx.Bucket([]byte(bucketAccounts))
	if b == nil {
		return 1, nil
	}
	n := 0
	err := b.ForEach(func(k, raw []byte) error {
		var r accountRecord
		if err := decodeValue("account", raw, schema, &r); err != nil {
			return &valueError{bucketAccounts, string(k), err}
		}
		if r.Role == RoleAdministrator {
			n++
		}
		return nil
	})
	return n, err
}

// accountsBucket returns the accounts bucket, creating it on the first
// write with the admin account in it: a database from before accounts
// reads (readRecord, Accounts) as that account alone, an administrator.
func accountsBucket(tx *bbolt.Tx) (*bbolt.Bucket, error) {
	if b := tx.Bucket([]byte(bucketAccounts)); b != nil {
		return b, nil
	}
	b, err := tx.CreateBucket([]byte(bucketAccounts))
	if err != nil {
		return nil, err
	}
	return b, putValue(b, AdminLogin, accountRecord{Login: AdminLogin, Role: RoleAdministrator})
}

// CreateAccount adds an account with password pw (policy as the admin
// password's); an empty pw makes a random one (GenerateAdminPassword),
// returned as generated. Either way it must be changed at the first
// login. Problems are a *ValidationError on login, role, name,
// extension, language or password.
func (db *DB) CreateAccount(a Account, pw string) (created Account, generated string, err error) {
	if pw == "" {
		pw = GenerateAdminPassword()
		generated = pw
	} else if m := adminPasswordProblem(pw); m != "" {
		return Account{}, "", fieldErr("password", "%s", m)
	}
	rec := accountRecord{Login: a.Login, Role: a.Role, Name: a.Name, Extension: a.Extension, Language: a.Language}
	if isDigits(rec.Login) && rec.Extension == "" {
		rec.Extension = rec.Login
	}
	cred := db.newRecord(pw, true)
	rec.Password = &cred
	err = db.update(func(tx *bbolt.Tx) error {
		b, err := accountsBucket(tx)
		if err != nil {
			return err
		}
		if b.Get([]byte(rec.Login)) != nil || rec.Login == AdminLogin {
			return fieldErr("login", "the account %q already exists", rec.Login)
		}
		if b.Stats().KeyN >= MaxAccounts {
			return fieldErr("login", "the box holds at most %d accounts", MaxAccounts)
		}
		if err := db.checkAccount(tx, rec.account()); err != nil {
			return err
		}
		if err := db.mayManage(tx, rec.Role, rec.Role); err != nil {
			return err
		}
		if err := putValue(b, rec.Login, rec); err != nil {
			return err
		}
		created, err = readAccount(tx, db.schema, rec.Login)
		if err != nil {
			return err
		}
		return db.appendAudit(tx, AuditEntry{Action: AuditAccount, Section: "accounts", Target: rec.Login,
			Changes: append(diffLines(nil, accountFields(rec.account()), "accounts["+rec.Login+"]"), "accounts["+rec.Login+"].password: set (to be changed at the first login)")})
	})
	if err != nil {
		return Account{}, "", wrapStore("create account", err)
	}
	return created, generated, nil
}

// accountFields is an account as the audit log compares it.
func accountFields(a Account) map[string]any {
	return map[string]any{"role": a.Role, "name": a.Name, "extension": a.Extension, "language": a.Language}
}

// UpdateAccount changes the account login: its role, name, extension and
// language (the login itself and the password stay; see
// SetAccountPassword). The last administrator keeps that role; the
// admin account keeps its login.
func (db *DB) UpdateAccount(login string, a Account) (Account, error) {
	var out Account
	err := db.update(func(tx *bbolt.Tx) error {
		old, err := readRecord(tx, db.schema, login)
		if err != nil {
			return err
		}
		rec := *old
		rec.Role, rec.Name, rec.Extension, rec.Language = a.Role, a.Name, a.Extension, a.Language
		if isDigits(rec.Login) && rec.Extension == "" {
			rec.Extension = rec.Login
		}
		if err := db.checkAccount(tx, rec.account()); err != nil {
			return err
		}
		// Only the role needs rights over the account: anyone may change
		// their own name and language (the own pages do).
		if rec.Role != old.Role || rec.Extension != old.Extension || db.actor.Login != login {
			if err := db.mayManage(tx, old.Role, rec.Role); err != nil {
				return err
			}
		}
		if old.Role == RoleAdministrator && rec.Role != RoleAdministrator {
			if n, err := administrators(tx, db.schema); err != nil {
				return err
			} else if n <= 1 {
				return fieldErr("role", "%s is the last administrator: make another account an administrator first", login)
			}
		}
		b, err := accountsBucket(tx)
		if err != nil {
			return err
		}
		if err := putValue(b, rec.Login, rec); err != nil {
			return err
		}
		if out, err = readAccount(tx, db.schema, login); err != nil {
			return err
		}
		if lines := diffLines(accountFields(old.account()), accountFields(rec.account()), "accounts["+login+"]"); len(lines) > 0 {
			return db.appendAudit(tx, AuditEntry{Action: AuditAccount, Section: "accounts", Target: login, Changes: lines})
		}
		return nil
	})
	if err != nil {
		return Account{}, wrapStore("update account", err)
	}
	return out, nil
}

// DeleteAccount removes an account and its API tokens. The last
// administrator stays.
func (db *DB) DeleteAccount(login string) error {
	err := db.update(func(tx *bbolt.Tx) error {
		old, err := readRecord(tx, db.schema, login)
		if err != nil {
			return err
		}
		if err := db.mayManage(tx, old.Role, old.Role); err != nil {
			return err
		}
		if old.Role == RoleAdministrator {
			if n, err := administrators(tx, db.schema); err != nil {
				return err
			} else if n <= 1 {
				return fieldErr("login", "%s is the last administrator and cannot be deleted: make another account an administrator first", login)
			}
		}
		b, err := accountsBucket(tx)
		if err != nil {
			return err
		}
		if err := b.Delete([]byte(login)); err != nil {
			return err
		}
		if login == AdminLogin {
			// pbxctl passwd brings the admin account back.
			if err := tx.Bucket([]byte(bucketAdmin)).Delete([]byte(keyAdmin)); err != nil {
				return err
			}
		}
		n, err := deleteTokensOf(tx, db.schema, login)
		if err != nil {
			return err
		}
		lines := diffLines(accountFields(old.account()), nil, "accounts["+login+"]")
		if n > 0 {
			lines = append(lines, fmt.Sprintf("api_tokens: %d revoked", n))
		}
		return db.appendAudit(tx, AuditEntry{Action: AuditAccount, Section: "accounts", Target: login, Changes: lines})
	})
	return wrapStore("delete account", err)
}

// CheckPassword checks a login and password: the account and whether its
// password must be changed now, or ErrBadCredentials. An unknown login
// costs the same hashing as a known one and gets the same answer. A right
// password hashed with fewer iterations than this firmware uses is
// re-hashed.
func (db *DB) CheckPassword(login, pw string) (Account, error) {
	var a Account
	var cred *adminRecord
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		r, err := readRecord(tx, db.schema, login)
		if errors.Is(err, ErrNotFound) || loginProblem(login) != "" {
			return nil
		}
		if err != nil {
			return err
		}
		if cred, err = credential(tx, db.schema, r); err != nil {
			return err
		}
		a, err = readAccount(tx, db.schema, login)
		return err
	})
	if err != nil {
		return Account{}, wrapStore("check password", err)
	}
	candidate := pw
	if len(candidate) > MaxAdminPasswordLen {
		candidate = ""
	}
	if cred == nil {
		hashPassword(candidate, make([]byte, saltLen), db.kdfIter)
		return Account{}, ErrBadCredentials
	}
	sum := hashPassword(candidate, cred.Salt, cred.Iterations)
	if subtle.ConstantTimeCompare(sum, cred.Hash) != 1 || len(pw) > MaxAdminPasswordLen {
		return Account{}, ErrBadCredentials
	}
	if cred.Iterations < db.kdfIter && !db.readOnly {
		if err := db.writeCredential(login, db.newRecord(pw, cred.MustChange), false); err != nil {
			db.log.Warn("could not upgrade a password hash", "login", login, "err", err)
		}
	}
	return a, nil
}

// writeCredential stores a password hash for login. A new password
// (changed) is in the audit log (never the password itself), and a new
// admin password also ends the saved web sessions (as SetAdminPassword);
// a re-hash of the same password (!changed) is neither.
func (db *DB) writeCredential(login string, cred adminRecord, changed bool) error {
	return db.update(func(tx *bbolt.Tx) error {
		r, err := readRecord(tx, db.schema, login)
		if err != nil {
			return err
		}
		if login == AdminLogin {
			if changed {
				if err := endWebSessions(tx); err != nil {
					return err
				}
			}
			if err := putValue(tx.Bucket([]byte(bucketAdmin)), keyAdmin, cred); err != nil {
				return err
			}
		} else {
			r.Password = &cred
			b, err := accountsBucket(tx)
			if err != nil {
				return err
			}
			if err := putValue(b, login, r); err != nil {
				return err
			}
		}
		if !changed {
			return nil
		}
		what := "changed by its owner"
		if cred.MustChange {
			what = "set by " + db.actorName() + " (to be changed at the next login)"
		}
		return db.appendAudit(tx, AuditEntry{Action: AuditPassword, Section: "accounts", Target: login,
			Changes: []string{"accounts[" + login + "].password: " + what}})
	})
}

// SetAccountPassword sets login's password. mustChange marks it to be
// changed at the next login (an administrator setting someone else's);
// without it, it is the owner's own choice and must differ from the
// current one. The policy is the admin password's; refusals are a
// *ValidationError on "password". Someone else's password may be set
// only by an actor whose role covers the account's.
func (db *DB) SetAccountPassword(login, pw string, mustChange bool) error {
	if m := adminPasswordProblem(pw); m != "" {
		return fieldErr("password", "%s", m)
	}
	var cur *adminRecord
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		r, err := readRecord(tx, db.schema, login)
		if err != nil {
			return err
		}
		if err := db.mayActOn(tx, r); err != nil {
			return err
		}
		cur, err = credential(tx, db.schema, r)
		return err
	})
	if err != nil {
		return wrapStore("set password", err)
	}
	if !mustChange && cur != nil && subtle.ConstantTimeCompare(hashPassword(pw, cur.Salt, cur.Iterations), cur.Hash) == 1 {
		return fieldErr("password", "must differ from the current password")
	}
	if err := db.writeCredential(login, db.newRecord(pw, mustChange), true); err != nil {
		return wrapStore("set password", err)
	}
	db.log.Info("an account's password was set", "login", login, "by", db.actorName(), "must_change", mustChange)
	return nil
}

// actorName names the actor in words for the log and the audit log.
func (db *DB) actorName() string {
	if db.actor.IsBox() {
		return "the box"
	}
	return db.actor.Login
}

// restoreAdminAccount makes the admin account an administrator (adding
// it if it was deleted), for ResetAdminPassword.
func (db *DB) restoreAdminAccount() error {
	return db.update(func(tx *bbolt.Tx) error {
		b, err := accountsBucket(tx)
		if err != nil {
			return err
		}
		old, err := readRecord(tx, db.schema, AdminLogin)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		lines := []string{"accounts[admin].password: reset (pbxctl passwd)"}
		if old == nil || old.Role != RoleAdministrator {
			rec := accountRecord{Login: AdminLogin, Role: RoleAdministrator}
			if old != nil {
				rec = *old
				rec.Role = RoleAdministrator
				lines = append(lines, diffLines(accountFields(old.account()), accountFields(rec.account()), "accounts[admin]")...)
			} else {
				lines = append(lines, diffLines(nil, accountFields(rec.account()), "accounts[admin]")...)
			}
			if err := putValue(b, AdminLogin, rec); err != nil {
				return err
			}
		}
		return db.appendAudit(tx, AuditEntry{Action: AuditPassword, Section: "accounts", Target: AdminLogin, Changes: lines})
	})
}

// mayActOn checks that the actor may act on the account r (its password,
// its tokens): r is the actor's own, or the actor's role covers r's.
func (db *DB) mayActOn(tx *bbolt.Tx, r *accountRecord) error {
	if db.actor.Login == r.Login {
		return nil
	}
	return db.mayManage(tx, r.Role, r.Role)
}
