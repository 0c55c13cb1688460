package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// initramfsStage runs when pbxinit is /init of an initramfs (kernels whose
// disk and file system drivers are modules, such as Debian's armmp): it
// loads the modules listed in /etc/modules in order, waits for root= to
// appear, mounts it (squashfs, read-only) and switches to it, executing
// its /sbin/init (pbxinit again, as PID 1 of the real root). It returns
// only on failure.
func initramfsStage(log *slog.Logger) error {
	for _, m := range []mountSpec{
		{"proc", "/proc", "proc", 0, ""},
		{"sysfs", "/sys", "sysfs", 0, ""},
		{"devtmpfs", "/dev", "devtmpfs", 0, "mode=0755"},
	} {
		if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil && err != unix.EBUSY {
			return fmt.Errorf("mount %s: %w", m.target, err)
		}
	}
	if f, err := os.Open("/etc/modules"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			path := strings.TrimSpace(sc.Text())
			if path == "" || strings.HasPrefix(path, "#") {
				continue
			}
			if err := loadModule(path); err != nil {
				log.Error("initramfs: module", "path", path, "err", err)
			}
		}
		f.Close()
	}
	cmdline, _ := os.ReadFile("/proc/cmdline")
	root := kernelArg(string(cmdline), "root")
	fstype := kernelArg(string(cmdline), "rootfstype")
	if fstype == "" {
		fstype = "squashfs"
	}
	if root == "" {
		return fmt.Errorf("no root= on the kernel command line")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(root); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("root device %s did not appear", root)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := unix.Mount(root, "/newroot", fstype, unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("mount root %s (%s): %w", root, fstype, err)
	}
	if err := unix.Mount("/dev", "/newroot/dev", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move /dev: %w", err)
	}
	unix.Unmount("/proc", unix.MNT_DETACH)
	unix.Unmount("/sys", unix.MNT_DETACH)
	// switch_root: make /newroot the root and run its init. The
	// initramfs's files stay in RAM (a few megabytes).
	if err := unix.Chdir("/newroot"); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move root: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	log.Info("initramfs: switching to the root file system", "root", root)
	return unix.Exec("/sbin/init", []string{"/sbin/init"}, os.Environ())
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), "", 0)
	if err == unix.EEXIST {
		return nil
	}
	return err
}
