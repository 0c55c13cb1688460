package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// System is what pbxinit asks of the kernel as PID 1, behind an
// interface so the tests run unprivileged.
type System interface {
	Mount(source, target, fstype string, flags uintptr, data string) error
	Unmount(target string, flags int) error
	Mkdir(path string) error
	Sync()
	Reboot(cmd int) error
}

// linuxSystem is the real kernel.
type linuxSystem struct{}

func (linuxSystem) Mount(source, target, fstype string, flags uintptr, data string) error {
	return unix.Mount(source, target, fstype, flags, data)
}
func (linuxSystem) Unmount(target string, flags int) error { return unix.Unmount(target, flags) }
func (linuxSystem) Mkdir(path string) error {
	if err := os.MkdirAll(path, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}
func (linuxSystem) Sync()                { unix.Sync() }
func (linuxSystem) Reboot(cmd int) error { return unix.Reboot(cmd) }

type mountSpec struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

// baseMounts are the kernel file systems and the RAM file systems; the
// root is the read-only squashfs, so everything written at run time goes
// to /run, /tmp (RAM, lost at reboot) or /data (the data partition).
func baseMounts() []mountSpec {
	const nosuid, nodev, noexec = unix.MS_NOSUID, unix.MS_NODEV, unix.MS_NOEXEC
	return []mountSpec{
		{"proc", "/proc", "proc", nosuid | nodev | noexec, ""},
		{"sysfs", "/sys", "sysfs", nosuid | nodev | noexec, ""},
		{"devtmpfs", "/dev", "devtmpfs", nosuid, "mode=0755"},
		{"devpts", "/dev/pts", "devpts", nosuid | noexec, "mode=0620,ptmxmode=0666"},
		{"tmpfs", "/run", "tmpfs", nosuid | nodev, "mode=0755,size=16m"},
		{"tmpfs", "/tmp", "tmpfs", nosuid | nodev, "mode=1777,size=32m"},
	}
}

// dataMount is the data partition: ext4, read-write, nothing executable.
func dataMount(dev, dir string) mountSpec {
	return mountSpec{dev, dir, "ext4", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME, ""}
}

// mountAll mounts the base file systems and the data partition. A file
// system already mounted (the kernel mounts devtmpfs itself with
// CONFIG_DEVTMPFS_MOUNT) is fine. If the data partition does not mount,
// /data becomes a RAM file system so the box still answers (the error is
// returned for the log and the status file: the configuration will not
// survive a reboot).
func mountAll(sys System, log *slog.Logger, dataDev, dataDir string) (dataErr error) {
	for _, m := range baseMounts() {
		if err := mountOne(sys, m); err != nil {
			log.Error("pbxinit: mount", "target", m.target, "err", err)
		}
	}
	if dataDev == "" {
		dataErr = errors.New("no data partition configured (boot.conf data= or minipbx.data= on the kernel command line)")
	} else {
		dataErr = mountOne(sys, dataMount(dataDev, dataDir))
	}
	if dataErr != nil {
		log.Error("pbxinit: data partition not mounted; running on RAM: nothing will survive a reboot", "device", dataDev, "err", dataErr)
		if err := mountOne(sys, mountSpec{"tmpfs", dataDir, "tmpfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "mode=0755,size=32m"}); err != nil {
			log.Error("pbxinit: RAM /data", "err", err)
		}
	}
	return dataErr
}

func mountOne(sys System, m mountSpec) error {
	if err := sys.Mkdir(m.target); err != nil {
		return fmt.Errorf("mkdir %s: %w", m.target, err)
	}
	err := sys.Mount(m.source, m.target, m.fstype, m.flags, m.data)
	if errors.Is(err, unix.EBUSY) {
		return nil // already mounted
	}
	if err != nil {
		return fmt.Errorf("mount %s on %s (%s): %w", m.source, m.target, m.fstype, err)
	}
	return nil
}

// kernelArg returns the value of name= on the kernel command line.
func kernelArg(cmdline, name string) string {
	v := ""
	for _, f := range strings.Fields(cmdline) {
		if s, ok := strings.CutPrefix(f, name+"="); ok {
			v = s
		}
	}
	return v
}

// shutdown syncs, unmounts the data partition (read-only if busy) and
// reboots or powers off.
func shutdown(sys System, log *slog.Logger, dataDir string, cmd int) error {
	sys.Sync()
	if err := sys.Unmount(dataDir, 0); err != nil {
		log.Warn("pbxinit: unmount data; remounting read-only", "err", err)
		sys.Mount("", dataDir, "", unix.MS_REMOUNT|unix.MS_RDONLY, "")
	}
	sys.Sync()
	return sys.Reboot(cmd)
}
