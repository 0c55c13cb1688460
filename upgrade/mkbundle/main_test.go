package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSignAndVerify(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.key")
	if err := run([]string{"-genkey", "k", "-o", key}, os.Stdout); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file mode: %v %v", fi.Mode(), err)
	}
	image := filepath.Join(dir, "rootfs.sqfs")
	os.WriteFile(image, bytes.Repeat([]byte("hsqs"), 5000), 0o644)
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	one, two := filepath.Join(dir, "1.mpxb"), filepath.Join(dir, "2.mpxb")
	for _, out := range []string{one, two} {
		if err := run([]string{"-key", key, "-image", image, "-version", "v1.2.3", "-board", "b", "-o", out}, os.Stdout); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := os.ReadFile(one)
	b, _ := os.ReadFile(two)
	if !bytes.Equal(a, b) {
		t.Fatal("the same inputs made different bundles")
	}
	var out bytes.Buffer
	if err := run([]string{"-verify", one, "-pub", filepath.Join(dir, "k.pub"), "-board", "b"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ok: version 1.2.3 board b image 20000 bytes") || !strings.Contains(out.String(), "2023-11-14T22:13:20Z") {
		t.Fatalf("verify: %s", out.String())
	}
	// The built-in keys (the TEST key) do not trust this new key.
	if err := run([]string{"-verify", one, "-board", "b"}, &out); err == nil {
		t.Fatal("a bundle from an unknown key verified against the built-in keys")
	}
	// The repository's TEST key is trusted by the built-in list.
	test := filepath.Join("..", "..", "rootfs", "keys", "TEST-ONLY-signing.key")
	if err := run([]string{"-key", test, "-image", image, "-version", "1.2.3", "-board", "b", "-o", one}, os.Stdout); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-verify", one, "-board", "b"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{
		{"-key", key, "-image", image, "-version", "latest", "-board", "b", "-o", one},
		{"-key", key, "-image", image, "-board", "b", "-o", one},
		{"-key", filepath.Join(dir, "k.pub"), "-image", image, "-version", "1.0.0", "-board", "b", "-o", one},
	} {
		if err := run(bad, os.Stdout); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
