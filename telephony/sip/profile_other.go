//go:build !linux

package sip

import (
	"errors"
	"net"
	"net/netip"
)

// joinGroup is Linux's only: the box runs Linux; elsewhere phones reach
// plug-and-play by a unicast SUBSCRIBE.
func joinGroup(*net.UDPConn, int, netip.Addr) error {
	return errors.New("multicast membership is implemented for Linux only")
}
