// Package bundle reads and writes minipbx update bundles: one file holding
// a signed manifest and the root file system image it describes.
//
// # Format
//
//	offset  size  field
//	0       8     magic "MPXBNDL1"
//	8       4     manifest length M (big endian, 1..65536)
//	12      M     manifest, UTF-8 JSON (Manifest)
//	12+M    64    ed25519 signature of the 12+M bytes before it
//	76+M    N     the image, N = Manifest.ImageSize bytes, nothing after
//
// The signature covers the magic, the length and the manifest, and the
// manifest carries the image's size and SHA-256, so one signature check
// before any byte of the image is read vouches for the whole file: the
// image is then streamed (to the inactive slot) while hashed, and only a
// matching hash at the end makes the upgrade count. Nothing is written
// anywhere before the signature, the board and the version are checked.
package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
)

// Magic opens every bundle.
const Magic = "MPXBNDL1"

// MaxManifest bounds the manifest so a hostile header cannot make the box
// allocate much.
const MaxManifest = 64 << 10

// Manifest describes the image in a bundle.
type Manifest struct {
	// Version of the firmware in the image (semantic: 1.2.3, with an
	// optional -prerelease).
	Version string `json:"version"`
	// Board is the board the image runs on, e.g. "minipbx-ref-armv7".
	Board string `json:"board"`
	// ImageSize is the image's length in bytes.
	ImageSize int64 `json:"image_size"`
	// ImageSHA256 is the image's SHA-256, lower-case hex.
	ImageSHA256 string `json:"image_sha256"`
	// Created is when the bundle was made (from SOURCE_DATE_EPOCH, so a
	// rebuild makes the same bytes).
	Created time.Time `json:"created"`
}

// Errors that say why a bundle is refused.
var (
	ErrFormat       = errors.New("bundle: not a minipbx update bundle")
	ErrSignature    = errors.New("bundle: signature is not from a trusted key")
	ErrBoard        = errors.New("bundle: made for another board")
	ErrDowngrade    = errors.New("bundle: older than the running firmware")
	ErrImageHash    = errors.New("bundle: image does not match its signed hash")
	ErrImageTooLong = errors.New("bundle: data after the image")
)

func (m Manifest) validate() error {
	if _, err := ParseVersion(m.Version); err != nil {
		return fmt.Errorf("%w: manifest version: %v", ErrFormat, err)
	}
	if m.Board == "" || len(m.Board) > 64 {
		return fmt.Errorf("%w: manifest board %q", ErrFormat, m.Board)
	}
	if m.ImageSize <= 0 {
		return fmt.Errorf("%w: manifest image size %d", ErrFormat, m.ImageSize)
	}
	if b, err := hex.DecodeString(m.ImageSHA256); err != nil || len(b) != sha256.Size {
		return fmt.Errorf("%w: manifest image hash %q", ErrFormat, m.ImageSHA256)
	}
	return nil
}

// Write makes a bundle of image (size bytes) for manifest m, signed with
// priv. m.ImageSize and m.ImageSHA256 are computed here; image is read
// twice, so it must be an io.ReadSeeker.
func Write(w io.Writer, m Manifest, image io.ReadSeeker, priv ed25519.PrivateKey) error {
	h := sha256.New()
	n, err := io.Copy(h, image)
	if err != nil {
		return fmt.Errorf("bundle: hash image: %w", err)
	}
	m.ImageSize, m.ImageSHA256 = n, hex.EncodeToString(h.Sum(nil))
	m.Created = m.Created.UTC()
	if err := m.validate(); err != nil {
		return err
	}
	js, err := json.Marshal(m)
	if err != nil {
		return err
	}
	head := make([]byte, 0, 12+len(js)+ed25519.SignatureSize)
	head = append(head, Magic...)
	head = binary.BigEndian.AppendUint32(head, uint32(len(js)))
	head = append(head, js...)
	head = append(head, ed25519.Sign(priv, head)...)
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("bundle: write header: %w", err)
	}
	if _, err := image.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(w, image); err != nil {
		return fmt.Errorf("bundle: write image: %w", err)
	}
	return nil
}

// Policy is what the running firmware accepts.
type Policy struct {
	// Keys are the trusted public keys (the release key built into the
	// firmware).
	Keys []ed25519.PublicKey
	// Board is this box's board name.
	Board string
	// Running is the running firmware's version.
	Running string
	// AllowDowngrade accepts an older version (the installer's "force").
	AllowDowngrade bool
}

// Reader is an opened, verified bundle: its manifest is signed by a
// trusted key and fits the box; reading it yields the image, and the last
// Read reports ErrImageHash if the image differs from the signed hash.
type Reader struct {
	Manifest Manifest
	r        io.Reader
	left     int64
	h        hash.Hash
	want     []byte
	done     bool
}

// Open reads and checks a bundle's header. Nothing of the image has been
// read when it returns, and nothing should be written anywhere unless it
// returns no error.
func Open(r io.Reader, p Policy) (*Reader, error) {
	var fixed [12]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if string(fixed[:8]) != Magic {
		return nil, fmt.Errorf("%w: bad magic", ErrFormat)
	}
	n := binary.BigEndian.Uint32(fixed[8:])
	if n == 0 || n > MaxManifest {
		return nil, fmt.Errorf("%w: manifest length %d", ErrFormat, n)
	}
	rest := make([]byte, int(n)+ed25519.SignatureSize)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrFormat, err)
	}
	signed := append(fixed[:], rest[:n]...)
	sig := rest[n:]
	trusted := false
	for _, k := range p.Keys {
		if len(k) == ed25519.PublicKeySize && ed25519.Verify(k, signed, sig) {
			trusted = true
			break
		}
	}
	if !trusted {
		return nil, ErrSignature
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(rest[:n]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrFormat, err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	if m.Board != p.Board {
		return nil, fmt.Errorf("%w: bundle is for %q, this box is %q", ErrBoard, m.Board, p.Board)
	}
	if p.Running != "" {
		cmp, err := CompareVersions(m.Version, p.Running)
		if err != nil {
			// A development build ("dev", a git hash) accepts any version.
			cmp = 1
		}
		if cmp < 0 && !p.AllowDowngrade {
			return nil, fmt.Errorf("%w: %s < running %s (force to downgrade)", ErrDowngrade, m.Version, p.Running)
		}
	}
	want, _ := hex.DecodeString(m.ImageSHA256)
	return &Reader{Manifest: m, r: r, left: m.ImageSize, h: sha256.New(), want: want}, nil
}

// Read reads the image. At its end it checks the hash and that nothing
// follows the image; a mismatch is returned instead of io.EOF.
func (b *Reader) Read(p []byte) (int, error) {
	if b.left == 0 {
		if !b.done {
			b.done = true
			if !bytes.Equal(b.h.Sum(nil), b.want) {
				return 0, ErrImageHash
			}
			var one [1]byte
			if n, _ := io.ReadFull(b.r, one[:]); n > 0 {
				return 0, ErrImageTooLong
			}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.h.Write(p[:n])
	b.left -= int64(n)
	if err == io.EOF && b.left > 0 {
		return n, fmt.Errorf("%w: image cut short, %d bytes missing", ErrFormat, b.left)
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// Version is a parsed semantic version.
type Version struct {
	Major, Minor, Patch int
	Pre                 string
}

// ParseVersion parses "1.2.3", "v1.2.3" or "1.2.3-rc.1".
func ParseVersion(s string) (Version, error) {
	s = strings.TrimPrefix(s, "v")
	var v Version
	s, _, _ = strings.Cut(s, "+") // build metadata does not order
	core, pre, hasPre := strings.Cut(s, "-")
	if hasPre && (pre == "" || len(pre) > 64 || strings.Contains(pre, "..") || strings.HasPrefix(pre, ".") || strings.HasSuffix(pre, ".")) {
		return v, fmt.Errorf("version %q: bad pre-release %q", s, pre)
	}
	for _, c := range pre {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.') {
			return v, fmt.Errorf("version %q: bad pre-release %q", s, pre)
		}
	}
	v.Pre = pre
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return v, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", s)
	}
	for i, p := range parts {
		n := 0
		if p == "" || len(p) > 6 {
			return v, fmt.Errorf("version %q: bad number %q", s, p)
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return v, fmt.Errorf("version %q: bad number %q", s, p)
			}
			n = n*10 + int(c-'0')
		}
		switch i {
		case 0:
			v.Major = n
		case 1:
			v.Minor = n
		case 2:
			v.Patch = n
		}
	}
	return v, nil
}

// CompareVersions returns -1, 0 or 1 as a is older than, the same as or
// newer than b. A pre-release is older than its release.
func CompareVersions(a, b string) (int, error) {
	va, err := ParseVersion(a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseVersion(b)
	if err != nil {
		return 0, err
	}
	for _, d := range [][2]int{{va.Major, vb.Major}, {va.Minor, vb.Minor}, {va.Patch, vb.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1, nil
			}
			return 1, nil
		}
	}
	switch {
	case va.Pre == vb.Pre:
		return 0, nil
	case va.Pre == "":
		return 1, nil
	case vb.Pre == "":
		return -1, nil
	}
	return comparePre(va.Pre, vb.Pre), nil
}

// comparePre orders pre-release strings as semantic versioning does:
// dot-separated identifiers left to right, numeric ones numerically and
// below alphanumeric ones, a shorter list first when all else is equal
// (so 1.0.0-dev.9 < 1.0.0-dev.10 < 1.0.0-rc.1).
func comparePre(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, y := pa[i], pb[i]
		if x == y {
			continue
		}
		nx, ny := isNumeric(x), isNumeric(y)
		switch {
		case nx && ny:
			if len(x) != len(y) {
				return cmpInt(len(x), len(y))
			}
			return strings.Compare(x, y)
		case nx:
			return -1
		case ny:
			return 1
		}
		return strings.Compare(x, y)
	}
	return cmpInt(len(pa), len(pb))
}

func isNumeric(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
