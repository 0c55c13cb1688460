package main

import (
	"log/slog"

	"golang.org/x/sys/unix"
)

// loopbackUp brings up the loopback interface (pbxd's local listeners and
// the health check need it; the kernel leaves it down).
func loopbackUp(log *slog.Logger) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		log.Error("pbxinit: loopback", "err", err)
		return
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		log.Error("pbxinit: loopback", "err", err)
		return
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		log.Error("pbxinit: loopback flags", "err", err)
		return
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		log.Error("pbxinit: loopback up", "err", err)
	}
}
