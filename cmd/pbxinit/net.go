package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

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

// configureNet sets a static IPv4 address on an interface and brings it
// up: spec is "IFACE=ADDR/PREFIX" (from minipbx.net= on the kernel command
// line, e.g. "eth0=10.0.2.15/24"). The box's full network configuration
// (DHCP, gateway, DNS) belongs to pbxd's settings; this is what a lab or
// emulator boot needs to be reached.
func configureNet(log *slog.Logger, spec string) error {
	iface, cidr, ok := strings.Cut(spec, "=")
	if !ok {
		return fmt.Errorf("minipbx.net=%q: want IFACE=ADDR/PREFIX", spec)
	}
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil || !pfx.Addr().Is4() {
		return fmt.Errorf("minipbx.net=%q: %v", spec, err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var ifr *unix.Ifreq
	for i := 0; ; i++ { // the driver may still be probing
		if ifr, err = unix.NewIfreq(iface); err != nil {
			return err
		}
		if err = unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err == nil || i == 100 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", iface, err)
	}
	if err := ifr.SetInet4Addr(pfx.Addr().AsSlice()); err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFADDR, ifr); err != nil {
		return fmt.Errorf("%s address: %w", iface, err)
	}
	mask := net.CIDRMask(pfx.Bits(), 32)
	if err := ifr.SetInet4Addr(mask); err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFNETMASK, ifr); err != nil {
		return fmt.Errorf("%s netmask: %w", iface, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("%s up: %w", iface, err)
	}
	log.Info("pbxinit: network", "iface", iface, "addr", cidr)
	return nil
}
