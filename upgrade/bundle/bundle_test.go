package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"testing"
	"time"
)

func testKey(t *testing.T, seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

func makeBundle(t *testing.T, priv ed25519.PrivateKey, version, board string, image []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	m := Manifest{Version: version, Board: board, Created: time.Unix(1700000000, 0)}
	if err := Write(&buf, m, bytes.NewReader(image), priv); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerify(t *testing.T) {
	pub, priv := testKey(t, 1)
	_, other := testKey(t, 2)
	image := bytes.Repeat([]byte("squashfs"), 10000)
	good := makeBundle(t, priv, "1.2.0", "ref-armv7", image)
	policy := Policy{Keys: []ed25519.PublicKey{pub}, Board: "ref-armv7", Running: "1.1.5"}

	r, err := Open(bytes.NewReader(good), policy)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, image) {
		t.Fatalf("image read back: %d bytes, %v", len(got), err)
	}

	tampered := append([]byte(nil), good...)
	tampered[len(tampered)-100] ^= 1
	r, err = Open(bytes.NewReader(tampered), policy)
	if err != nil {
		t.Fatal(err) // the header is intact; the image is not
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrImageHash) {
		t.Errorf("a tampered image byte: %v, want ErrImageHash", err)
	}

	for name, tc := range map[string]struct {
		data   []byte
		policy Policy
		want   error
	}{
		"wrong key":        {makeBundle(t, other, "1.2.0", "ref-armv7", image), policy, ErrSignature},
		"wrong board":      {makeBundle(t, priv, "1.2.0", "ref-arm64", image), policy, ErrBoard},
		"downgrade":        {makeBundle(t, priv, "1.0.9", "ref-armv7", image), policy, ErrDowngrade},
		"pre-release":      {makeBundle(t, priv, "1.1.5-rc.1", "ref-armv7", image), policy, ErrDowngrade},
		"manifest changed": {flip(good, 20), policy, ErrSignature},
		"not a bundle":     {[]byte("hello world, this is not a bundle at all"), policy, ErrFormat},
		"empty":            {nil, policy, ErrFormat},
	} {
		if _, err := Open(bytes.NewReader(tc.data), tc.policy); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	forced := policy
	forced.AllowDowngrade = true
	if _, err := Open(bytes.NewReader(makeBundle(t, priv, "1.0.9", "ref-armv7", image)), forced); err != nil {
		t.Errorf("forced downgrade refused: %v", err)
	}
	// cut short and trailing garbage
	r, _ = Open(bytes.NewReader(good[:len(good)-10]), policy)
	if _, err := io.ReadAll(r); !errors.Is(err, ErrFormat) {
		t.Errorf("truncated image: %v", err)
	}
	r, _ = Open(bytes.NewReader(append(append([]byte(nil), good...), 'x')), policy)
	if _, err := io.ReadAll(r); !errors.Is(err, ErrImageTooLong) {
		t.Errorf("trailing data: %v", err)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x20
	return c
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0}, {"1.0.1", "1.0.0", 1}, {"1.9.0", "1.10.0", -1}, {"v2.0.0", "1.99.99", 1},
		{"1.0.0-rc.1", "1.0.0", -1}, {"1.0.0-rc.2", "1.0.0-rc.1", 1},
		{"0.0.0-dev.10", "0.0.0-dev.9", 1}, {"1.0.0-dev.9", "1.0.0-rc.1", -1}, {"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-1", "1.0.0-alpha", -1}, {"1.0.0+build.5", "1.0.0", 0}, {"1.2.4-dev.3", "1.2.3", 1},
	} {
		if got, err := CompareVersions(tc.a, tc.b); err != nil || got != tc.want {
			t.Errorf("CompareVersions(%s, %s) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "1", "1.2", "1.2.x", "a.b.c", "1.2.3.4", "1.0.0-", "1.0.0-a..b", "1.0.0-a_b", "1.0.0-.x"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}

func FuzzOpen(f *testing.F) {
	pub, priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)).Public().(ed25519.PublicKey), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	var buf bytes.Buffer
	_ = Write(&buf, Manifest{Version: "1.0.0", Board: "b"}, bytes.NewReader([]byte("image")), priv)
	f.Add(buf.Bytes())
	f.Add([]byte(Magic + "\x00\x00\x00\x02{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(bytes.NewReader(data), Policy{Keys: []ed25519.PublicKey{pub}, Board: "b"})
		if err == nil {
			_, _ = io.Copy(io.Discard, r)
		}
	})
}
