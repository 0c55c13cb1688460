package rootfs

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"minipbx/internal/testutil"
	"minipbx/upgrade"
)

// TestQEMUBoot boots the armv7 image under qemu-system-arm (virt machine,
// Debian's armmp kernel from MINIPBX_QEMU_KERNEL, a directory made by
// scripts/qemu-kernel.sh; `make qemu-boot` does both) with an initramfs
// that loads the kernel's virtio and file system modules, and waits until
// pbxd answers a SIP OPTIONS request forwarded from the host.
func TestQEMUBoot(t *testing.T) {
	kdir := os.Getenv("MINIPBX_QEMU_KERNEL")
	if kdir == "" {
		t.Skip("MINIPBX_QEMU_KERNEL not set (make qemu-boot)")
	}
	qemu := testutil.Tool(t, "qemu-system-arm")
	mkfs := testutil.Tool(t, "mkfs.ext4")
	testutil.Tool(t, "mksquashfs")
	kernels, _ := filepath.Glob(filepath.Join(kdir, "boot", "vmlinuz-*"))
	mods, _ := filepath.Glob(filepath.Join(kdir, "lib", "modules", "*"))
	if len(kernels) != 1 || len(mods) != 1 {
		t.Fatalf("%s: want one boot/vmlinuz-* and one lib/modules/*", kdir)
	}
	tree := snapshotTree(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "root.sqfs")
	buildImage(t, tree, "armv7", "qemu-virt-armv7", root)

	pbxinit := filepath.Join(dir, "pbxinit")
	build := exec.Command("go", "build", "-trimpath", "-o", pbxinit, "./cmd/pbxinit")
	build.Dir = tree
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm", "GOARM=7")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build pbxinit: %v\n%s", err, b)
	}
	initrd := filepath.Join(dir, "initramfs.cpio.gz")
	mk := exec.Command("go", "run", "./rootfs/qemu/mkinitramfs", "-init", pbxinit, "-modules", mods[0], "-o", initrd,
		"virtio_pci", "virtio_blk", "virtio_net", "squashfs", "ext4", "crc32c_generic")
	mk.Dir = tree
	if b, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("mkinitramfs: %v\n%s", err, b)
	}
	data := filepath.Join(dir, "data.ext4")
	if err := os.WriteFile(data, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Truncate(data, 64<<20)
	if b, err := exec.Command(mkfs, "-q", "-F", data).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, b)
	}
	port := freeUDPPort(t)
	consolePath := filepath.Join(dir, "console.log")
	console, _ := os.Create(consolePath)
	defer console.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, "-M", "virt,highmem=off", "-cpu", "cortex-a15", "-m", "512", "-smp", "2",
		"-nographic", "-no-reboot", "-kernel", kernels[0], "-initrd", initrd,
		"-append", "console=ttyAMA0 root=/dev/vda rootfstype=squashfs ro panic=10 minipbx.data=/dev/vdb minipbx.net=eth0=10.0.2.15/24",
		"-drive", "if=none,file="+root+",format=raw,id=root,readonly=on", "-device", "virtio-blk-pci,drive=root",
		"-drive", "if=none,file="+data+",format=raw,id=data", "-device", "virtio-blk-pci,drive=data",
		"-netdev", "user,id=n0,hostfwd=udp:127.0.0.1:"+port+"-10.0.2.15:5060", "-device", "virtio-net-pci,netdev=n0,romfile=")
	cmd.Stdout, cmd.Stderr = console, console
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	start := time.Now()
	probe := upgrade.SIPOptions("127.0.0.1:" + port)
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		err := probe(pctx)
		pcancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			log, _ := os.ReadFile(consolePath)
			t.Fatalf("no SIP answer after %v: %v\nconsole:\n%s", time.Since(start), err, tail(string(log), 4000))
		}
		time.Sleep(time.Second)
	}
	// The serial console may lag the network: give it a few seconds to
	// show what pbxd logged before it answered.
	var log []byte
	wants := []string{"switching to the root file system", "started /usr/bin/pbxd", "sip: listening"}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		log, _ = os.ReadFile(consolePath)
		missing := slices.DeleteFunc(slices.Clone(wants), func(w string) bool { return strings.Contains(string(log), w) })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("console lacks %q\nconsole:\n%s", missing, tail(string(log), 4000))
			break
		}
	}
	if strings.Contains(string(log), "running on RAM") {
		t.Error("the data partition was not mounted")
	}
	t.Logf("pbxd answered SIP OPTIONS %v after qemu started", time.Since(start).Round(time.Second))
}

func freeUDPPort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	return port
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
