package bundle

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Key files are text, so that they diff, print and paste cleanly:
//
//	# comment lines start with '#'
//	ed25519-private <base64 of the 32-byte seed> [name]      (a signing key)
//	ed25519 <base64 of the 32-byte public key> [name]         (a trusted key, one a line)
//
// A public key file may list several keys (the release key and, during a
// key rotation, its successor).
const (
	privateTag = "ed25519-private"
	publicTag  = "ed25519"
)

// releaseKeys is the list of keys the firmware trusts, built in. In the
// repository it holds the TEST key (rootfs/keys/TEST-ONLY-signing.pub):
// the release build replaces this file with the release key's public half
// (its comment says so), and a box that trusts only the release key
// refuses every bundle signed with the test key.
//
//go:embed release.pub
var releaseKeys []byte

// ReleaseKeys returns the public keys built into this firmware.
func ReleaseKeys() []ed25519.PublicKey {
	keys, err := ParsePublicKeys(bytes.NewReader(releaseKeys))
	if err != nil {
		// The file is part of the source tree and tested: a parse
		// failure is a build defect, not a runtime condition.
		panic("bundle: built-in release.pub: " + err.Error())
	}
	return keys
}

// ReleaseKeysFile returns the built-in key file's text (the image build
// copies it into the root file system for the installer to inspect).
func ReleaseKeysFile() []byte { return bytes.Clone(releaseKeys) }

// IsTestKey reports whether the built-in key list is the repository's
// test key (a development build), which the firmware shows as a warning.
func IsTestKey() bool { return bytes.Contains(releaseKeys, []byte("TEST-ONLY")) }

// GenerateKey makes a new signing key and returns the private key file's
// text and the public key line.
func GenerateKey(rand io.Reader, name string) (privFile, pubLine []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: generate key: %w", err)
	}
	privFile = fmt.Appendf(nil, "# minipbx firmware signing key %s — keep secret\n%s %s %s\n",
		name, privateTag, base64.StdEncoding.EncodeToString(priv.Seed()), name)
	pubLine = fmt.Appendf(nil, "%s %s %s\n", publicTag, base64.StdEncoding.EncodeToString(pub), name)
	return privFile, pubLine, nil
}

// ParsePrivateKey reads a private key file.
func ParsePrivateKey(r io.Reader) (ed25519.PrivateKey, error) {
	var key ed25519.PrivateKey
	err := eachLine(r, func(tag string, raw []byte) error {
		if tag != privateTag {
			return fmt.Errorf("not a private key (%q)", tag)
		}
		if key != nil {
			return errors.New("more than one key")
		}
		if len(raw) != ed25519.SeedSize {
			return fmt.Errorf("seed is %d bytes, want %d", len(raw), ed25519.SeedSize)
		}
		key = ed25519.NewKeyFromSeed(raw)
		return nil
	})
	if err == nil && key == nil {
		err = errors.New("no key")
	}
	if err != nil {
		return nil, fmt.Errorf("bundle: private key: %w", err)
	}
	return key, nil
}

// ParsePublicKeys reads a public key file (one or more keys).
func ParsePublicKeys(r io.Reader) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	err := eachLine(r, func(tag string, raw []byte) error {
		if tag != publicTag {
			return fmt.Errorf("not a public key (%q)", tag)
		}
		if len(raw) != ed25519.PublicKeySize {
			return fmt.Errorf("key is %d bytes, want %d", len(raw), ed25519.PublicKeySize)
		}
		keys = append(keys, ed25519.PublicKey(raw))
		return nil
	})
	if err == nil && len(keys) == 0 {
		err = errors.New("no key")
	}
	if err != nil {
		return nil, fmt.Errorf("bundle: public keys: %w", err)
	}
	return keys, nil
}

func eachLine(r io.Reader, fn func(tag string, raw []byte) error) error {
	sc := bufio.NewScanner(io.LimitReader(r, 64<<10))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return fmt.Errorf("line %d: want \"TYPE BASE64 [NAME]\"", n)
		}
		raw, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
		if err := fn(f[0], raw); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}

// PublicKey returns the public half of a signing key, for comparison with
// a trusted list.
func PublicKey(priv ed25519.PrivateKey) ed25519.PublicKey {
	return priv.Public().(ed25519.PublicKey)
}
