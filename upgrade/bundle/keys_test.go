package bundle

import (
	"bytes"
	"crypto/rand"
	"os"
	"strings"
	"testing"
)

func TestRepositoryTestKey(t *testing.T) {
	f, err := os.Open("../../rootfs/keys/TEST-ONLY-signing.key")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	priv, err := ParsePrivateKey(f)
	if err != nil {
		t.Fatal(err)
	}
	keys := ReleaseKeys()
	if len(keys) != 1 || !keys[0].Equal(PublicKey(priv)) {
		t.Fatalf("built-in keys %v are not the repository's test key", keys)
	}
	if !IsTestKey() {
		t.Error("IsTestKey is false while the built-in key is the test key")
	}
	// A bundle signed by the test key opens with the built-in keys.
	image := []byte("image bytes")
	b := makeBundle(t, priv, "1.0.0", "b", image)
	if _, err := Open(bytes.NewReader(b), Policy{Keys: keys, Board: "b"}); err != nil {
		t.Fatal(err)
	}
}

func TestKeyFiles(t *testing.T) {
	privFile, pubLine, err := GenerateKey(rand.Reader, "k1")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(bytes.NewReader(privFile))
	if err != nil {
		t.Fatal(err)
	}
	_, pub2, _ := GenerateKey(rand.Reader, "k2")
	keys, err := ParsePublicKeys(strings.NewReader("# two keys\n\n" + string(pubLine) + string(pub2)))
	if err != nil || len(keys) != 2 || !keys[0].Equal(PublicKey(priv)) {
		t.Fatalf("keys %v, %v", keys, err)
	}
	for name, bad := range map[string]string{
		"empty":         "# nothing\n",
		"public as key": string(pubLine),
		"short":         "ed25519-private AAAA\n",
		"not base64":    "ed25519-private ****\n",
		"no fields":     "ed25519-private\n",
	} {
		if _, err := ParsePrivateKey(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: private key accepted", name)
		}
	}
	if _, err := ParsePublicKeys(bytes.NewReader(privFile)); err == nil {
		t.Error("a private key file accepted as public keys")
	}
	if _, err := ParsePrivateKey(bytes.NewReader(append(privFile, privFile...))); err == nil {
		t.Error("two private keys accepted")
	}
}

func FuzzParseKeys(f *testing.F) {
	f.Add([]byte("ed25519 UHRi/wd70sTVg/OfTpk9t0Tz837Zyl1idIIW+1+57Ss= x\n"))
	f.Add([]byte("# c\ned25519-private tHR6kTgKUhf98nVlRubwPfR+OhWgSQwr4YZXHisysBY=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if keys, err := ParsePublicKeys(bytes.NewReader(data)); err == nil && len(keys) == 0 {
			t.Fatal("no keys and no error")
		}
		if k, err := ParsePrivateKey(bytes.NewReader(data)); err == nil && len(k) != 64 {
			t.Fatal("bad key length")
		}
	})
}
