package rootfs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"minipbx/internal/testutil"
)

// snapshotTree copies the working tree (tracked and new files, not
// ignored ones) so that two builds see the same sources even while the
// tree is being edited.
func snapshotTree(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	dst := t.TempDir()
	for _, rel := range strings.Split(string(out), "\x00") {
		if rel == "" {
			continue
		}
		src := filepath.Join("..", rel)
		fi, err := os.Lstat(src)
		if err != nil || fi.Size() > 8<<20 { // deleted, or a stray test binary
			continue
		}
		target := filepath.Join(dst, rel)
		os.MkdirAll(filepath.Dir(target), 0o755)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			link, _ := os.Readlink(src)
			os.Symlink(link, target)
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, b, fi.Mode().Perm()); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dst
}

func buildImage(t *testing.T, tree, arch, board, out string) time.Duration {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(filepath.Join(tree, "scripts/mkimage.sh"), arch, board, out)
	cmd.Env = append(os.Environ(), "VERSION=1.2.3-test", "SOURCE_DATE_EPOCH=1700000000")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkimage %s: %v\n%s", arch, err, b)
	}
	return time.Since(start)
}

func listing(t *testing.T, image string) string {
	t.Helper()
	b, err := exec.Command(testutil.Tool(t, "unsquashfs"), "-lls", image).CombinedOutput()
	if err != nil {
		t.Fatalf("unsquashfs: %v\n%s", err, b)
	}
	return string(b)
}

// The image: reproducible to the byte, holding the firmware, the init,
// the overlay and the trusted keys, and no private key.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the firmware")
	}
	testutil.Tool(t, "mksquashfs")
	unsq := testutil.Tool(t, "unsquashfs")
	dir := t.TempDir()
	tree := snapshotTree(t)
	// Both architectures are built and inspected; the byte-for-byte
	// rebuild is checked on armv7 (a rebuild costs a whole firmware build).
	for _, tc := range []struct {
		arch, board string
		twice       bool
	}{{"armv7", "minipbx-ref-armv7", true}, {"arm64", "minipbx-ref-arm64", false}} {
		t.Run(tc.arch, func(t *testing.T) {
			one, two := filepath.Join(dir, tc.arch+"-1.sqfs"), filepath.Join(dir, tc.arch+"-2.sqfs")
			took := buildImage(t, tree, tc.arch, tc.board, one)
			a, _ := os.ReadFile(one)
			if tc.twice {
				buildImage(t, tree, tc.arch, tc.board, two)
				b, _ := os.ReadFile(two)
				if !bytes.Equal(a, b) {
					t.Fatalf("two builds of the same tree differ (%d and %d bytes)", len(a), len(b))
				}
			}
			t.Logf("%s image: %d bytes, built in %v", tc.arch, len(a), took.Round(time.Millisecond))

			list := listing(t, one)
			for _, want := range []string{
				"squashfs-root/usr/bin/pbxd", "squashfs-root/usr/bin/pbxctl", "squashfs-root/usr/bin/pbxinit",
				"squashfs-root/sbin/init -> ../usr/bin/pbxinit",
				"squashfs-root/etc/minipbx/boot.conf", "squashfs-root/etc/minipbx/pbxd.args",
				"squashfs-root/etc/minipbx/release.pub", "squashfs-root/etc/os-release", "squashfs-root/etc/passwd",
				"squashfs-root/data", "squashfs-root/proc", "squashfs-root/run",
			} {
				if !strings.Contains(list, want) {
					t.Errorf("image lacks %s", want)
				}
			}
			for _, line := range strings.Split(list, "\n") {
				if strings.Contains(line, "squashfs-root") && !strings.Contains(line, " root/root ") {
					t.Errorf("not owned by root: %s", line)
				}
				if strings.Contains(line, ".key") || strings.Contains(line, "TEST-ONLY-signing") || strings.Contains(line, "/keys") {
					t.Errorf("key material in the image: %s", line)
				}
				if strings.Contains(line, "squashfs-root") && !strings.Contains(line, "2023-11-14 22:13") {
					// SOURCE_DATE_EPOCH=1700000000, listed in UTC
					if os.Getenv("TZ") == "" || os.Getenv("TZ") == "UTC" {
						t.Errorf("timestamp not fixed: %s", line)
					}
				}
			}
			// Extract and look inside: the right architecture, the keys
			// the firmware trusts, and no private key in any file.
			ex := filepath.Join(dir, tc.arch+"-x")
			if b, err := exec.Command(unsq, "-d", ex, "-no-xattrs", one).CombinedOutput(); err != nil {
				t.Fatalf("unsquashfs -d: %v\n%s", err, b)
			}
			elf, _ := os.ReadFile(filepath.Join(ex, "usr/bin/pbxd"))
			machine := map[string]byte{"armv7": 0x28, "arm64": 0xb7}[tc.arch]
			if len(elf) < 20 || string(elf[1:4]) != "ELF" || elf[18] != machine {
				t.Errorf("pbxd is not an %s ELF binary", tc.arch)
			}
			pub, _ := os.ReadFile(filepath.Join(ex, "etc/minipbx/release.pub"))
			built, _ := os.ReadFile("../upgrade/bundle/release.pub")
			if !bytes.Equal(pub, built) {
				t.Error("/etc/minipbx/release.pub is not the built-in key list")
			}
			osr, _ := os.ReadFile(filepath.Join(ex, "etc/os-release"))
			if !strings.Contains(string(osr), "VERSION_ID=1.2.3-test") || !strings.Contains(string(osr), "MINIPBX_BOARD="+tc.board) {
				t.Errorf("os-release: %s", osr)
			}
			seed := testSeed(t)
			filepath.Walk(ex, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.Mode().IsRegular() {
					b, _ := os.ReadFile(p)
					if bytes.Contains(b, []byte(seed)) || bytes.Contains(b, []byte("ed25519-private ")) {
						t.Errorf("%s holds a private key", p)
					}
				}
				return nil
			})
		})
	}
}

// testSeed returns the TEST signing key's base64 seed.
func testSeed(t *testing.T) string {
	b, err := os.ReadFile("keys/TEST-ONLY-signing.key")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "ed25519-private" {
			return f[1]
		}
	}
	t.Fatal("no seed in the test key")
	return ""
}

// mkimage refuses to build an image that would hold a private key.
func TestImageRefusesPrivateKey(t *testing.T) {
	testutil.Tool(t, "mksquashfs")
	// A board directory whose boot.conf is a private key stands in for
	// a key dropped into the overlay by mistake.
	board := "test-leaky-" + filepath.Base(t.TempDir())
	bdir := filepath.Join("boards", board)
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(bdir) })
	key, _ := os.ReadFile("keys/TEST-ONLY-signing.key")
	os.WriteFile(filepath.Join(bdir, "boot.conf"), key, 0o644)
	bin := t.TempDir()
	for _, b := range []string{"pbxd", "pbxctl", "pbxinit"} {
		os.WriteFile(filepath.Join(bin, b), []byte("#!/bin/sh\n"), 0o755)
	}
	out := filepath.Join(t.TempDir(), "leak.sqfs")
	cmd := exec.Command("../scripts/mkimage.sh", "arm64", board, out)
	cmd.Env = append(os.Environ(), "VERSION=1.2.3-test", "SOURCE_DATE_EPOCH=1700000000", "BIN_DIR="+bin)
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "private key is in the image") {
		t.Fatalf("image with a private key built: %v\n%s", err, b)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("the image file was written")
	}
}
