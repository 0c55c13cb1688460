package sip

import (
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// joinGroup makes the UDP socket c a member of the IPv4 multicast group
// on the interface of index ifindex.
func joinGroup(c *net.UDPConn, ifindex int, group netip.Addr) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		mreq := &unix.IPMreqn{Multiaddr: group.As4(), Ifindex: int32(ifindex)}
		serr = unix.SetsockoptIPMreqn(int(fd), unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq)
	})
	if err != nil {
		return err
	}
	return serr
}
