package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// API tokens let a script reach the API as an account without its
// password: "Authorization: Bearer mpx_...". A token is 256 random bits,
// shown once when it is made; the database keeps only its SHA-256, under
// which it is found. A fast hash is right here, where a password needs a
// slow one: nobody can guess 256 random bits, so there is nothing for a
// slow hash to protect, and the check stays at a few microseconds
// (BenchmarkCheckToken) where PBKDF2 costs a second on the board.

const (
	// TokenPrefix starts every token, so that one pasted into the wrong
	// place (a log, a ticket) is recognised for what it is.
	TokenPrefix = "mpx_"
	// TokenLen is a token's length: the prefix and 32 bytes in base64url.
	TokenLen = len(TokenPrefix) + 43
	// MaxTokensPerAccount bounds an account's tokens.
	MaxTokensPerAccount = 10
	// tokenIDLen is the hex characters of the hash that name a token.
	tokenIDLen = 12
)

// APIToken is a token as its owner sees it after it was made: its name
// and when, never the token itself.
type APIToken struct {
	// ID names the token (the first 12 hex digits of its SHA-256) in
	// lists and when revoking it.
	ID      string    `json:"id"`
	Login   string    `json:"login"`
	Label   string    `json:"label"`
	Created time.Time `json:"created"`
}

// tokenKey is the bucket key of a token: its SHA-256.
func tokenKey(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }

// ValidTokenSyntax reports whether s looks like a token (prefix, length,
// base64url alphabet); checking it first keeps junk from being hashed.
func ValidTokenSyntax(s string) bool {
	if len(s) != TokenLen || s[:len(TokenPrefix)] != TokenPrefix {
		return false
	}
	for i := len(TokenPrefix); i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CreateToken makes a new API token for login, named label, and returns
// it: the only time the token itself is seen. Problems are a
// *ValidationError on "label". Only the account itself, or an actor whose
// role covers the account's, may make one.
func (db *DB) CreateToken(login, label string) (secret string, t APIToken, err error) {
	if m := nameProblem(label, true); m != "" {
		return "", APIToken{}, fieldErr("label", "%s", m)
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	key := tokenKey(secret)
	t = APIToken{ID: hex.EncodeToString(key[:])[:tokenIDLen], Login: login, Label: label, Created: db.now().UTC().Truncate(time.Second)}
	err = db.update(func(tx *bbolt.Tx) error {
		r, err := readRecord(tx, db.schema, login)
		if err != nil {
			return err
		}
		if err := db.mayActOn(tx, r); err != nil {
			return err
		}
		mine, err := tokensOf(tx, db.schema, login)
		if err != nil {
			return err
		}
		if len(mine) >= MaxTokensPerAccount {
			return fieldErr("label", "an account has at most %d tokens: revoke one it no longer needs", MaxTokensPerAccount)
		}
		if slices.ContainsFunc(mine, func(o APIToken) bool { return o.Label == label }) {
			return fieldErr("label", "there is a token named %q already", label)
		}
		bk, err := tx.CreateBucketIfNotExists([]byte(bucketTokens))
		if err != nil {
			return err
		}
		enc, err := encodeValue(t)
		if err != nil {
			return err
		}
		if err := bk.Put(key[:], enc); err != nil {
			return err
		}
		return db.appendAudit(tx, AuditEntry{Action: AuditToken, Section: "api_tokens", Target: login,
			Changes: []string{fmt.Sprintf("api_tokens[%s]: made %q", t.ID, label)}})
	})
	if err != nil {
		return "", APIToken{}, wrapStore("create token", err)
	}
	return secret, t, nil
}

// tokensOf lists login's tokens, oldest first.
func tokensOf(tx *bbolt.Tx, schema int, login string) ([]APIToken, error) {
	out := []APIToken{}
	b := tx.Bucket([]byte(bucketTokens))
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		var t APIToken
		if err := decodeValue("token", v, schema, &t); err != nil {
			return &valueError{bucketTokens, hex.EncodeToString(k), err}
		}
		if t.Login == login {
			out = append(out, t)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b APIToken) int { return a.Created.Compare(b.Created) })
	return out, err
}

// Tokens lists login's tokens, oldest first.
func (db *DB) Tokens(login string) ([]APIToken, error) {
	var out []APIToken
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = tokensOf(tx, db.schema, login)
		return err
	})
	return out, wrapStore("tokens", err)
}

// RevokeToken deletes login's token id; ErrNotFound when it has none of
// that ID.
func (db *DB) RevokeToken(login, id string) error {
	err := db.update(func(tx *bbolt.Tx) error {
		r, err := readRecord(tx, db.schema, login)
		if err != nil {
			return err
		}
		if err := db.mayActOn(tx, r); err != nil {
			return err
		}
		b := tx.Bucket([]byte(bucketTokens))
		if b == nil {
			return fmt.Errorf("token %q: %w", id, ErrNotFound)
		}
		var key []byte
		var label string
		err = b.ForEach(func(k, v []byte) error {
			var t APIToken
			if err := decodeValue("token", v, db.schema, &t); err != nil {
				return &valueError{bucketTokens, hex.EncodeToString(k), err}
			}
			if t.Login == login && t.ID == id {
				key, label = append([]byte(nil), k...), t.Label
			}
			return nil
		})
		if err != nil {
			return err
		}
		if key == nil {
			return fmt.Errorf("token %q: %w", id, ErrNotFound)
		}
		if err := b.Delete(key); err != nil {
			return err
		}
		return db.appendAudit(tx, AuditEntry{Action: AuditToken, Section: "api_tokens", Target: login,
			Changes: []string{fmt.Sprintf("api_tokens[%s]: revoked %q", id, label)}})
	})
	return wrapStore("revoke token", err)
}

// deleteTokensOf deletes every token of login (its account is deleted).
func deleteTokensOf(tx *bbolt.Tx, schema int, login string) (int, error) {
	b := tx.Bucket([]byte(bucketTokens))
	if b == nil {
		return 0, nil
	}
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var t APIToken
		if err := decodeValue("token", v, schema, &t); err != nil {
			return &valueError{bucketTokens, hex.EncodeToString(k), err}
		}
		if t.Login == login {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// tokenCache remembers the tokens CheckToken found, with their accounts,
// so that a script's requests cost a SHA-256 and a map lookup instead of
// decoding two stored values each. Any write to accounts, roles or
// tokens empties it (DB.update): a revoked token or a changed role counts
// from the next request on. Its keys are hashes, like the bucket's.
type tokenCache struct {
	mu sync.RWMutex
	m  map[[32]byte]tokenHit
	// gen counts the clears: a lookup that began before one must not
	// put what it read.
	gen uint64
}

type tokenHit struct {
	acc Account
	tok APIToken
}

// maxCachedTokens bounds the cache (an account has at most
// MaxTokensPerAccount; a box has a few scripts).
const maxCachedTokens = 256

// get returns the cached hit of k, and the generation to put a fresh
// lookup under.
func (c *tokenCache) get(k [32]byte) (tokenHit, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h, ok := c.m[k]
	return h, c.gen, ok
}

// put caches h unless the cache was cleared since gen.
func (c *tokenCache) put(k [32]byte, h tokenHit, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[[32]byte]tokenHit)
	}
	c.m[k] = h
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
	c.gen++
}

// CheckToken returns the account a token belongs to, as it is now (its
// current role), or ErrBadCredentials for a token that is malformed,
// unknown or revoked, or whose account is gone. It costs one SHA-256 and
// a map lookup (two lookups in the database the first time).
func (db *DB) CheckToken(secret string) (Account, APIToken, error) {
	if !ValidTokenSyntax(secret) {
		return Account{}, APIToken{}, ErrBadCredentials
	}
	key := tokenKey(secret)
	h, gen, ok := db.tokens.get(key)
	if ok {
		return h.acc, h.tok, nil
	}
	var a Account
	var t APIToken
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketTokens))
		if b == nil {
			return ErrBadCredentials
		}
		v := b.Get(key[:])
		if v == nil {
			return ErrBadCredentials
		}
		if err := decodeValue("token", v, db.schema, &t); err != nil {
			return &valueError{bucketTokens, hex.EncodeToString(key[:]), err}
		}
		var err error
		a, err = readAccount(tx, db.schema, t.Login)
		if errors.Is(err, ErrNotFound) {
			return ErrBadCredentials
		}
		return err
	})
	if errors.Is(err, ErrBadCredentials) {
		return Account{}, APIToken{}, ErrBadCredentials
	}
	if err != nil {
		return Account{}, APIToken{}, wrapStore("check token", err)
	}
	db.tokens.put(key, tokenHit{a, t}, gen)
	return a, t, nil
}
