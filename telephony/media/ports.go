package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// PortRange hands out RTP/RTCP port pairs (an even RTP port and the odd
// port above it, RFC 3550 §11) from a configured range. It keeps no table
// of ports in use: the operating system is the authority, and a port it
// refuses is skipped. A rotating cursor avoids giving a just-released port
// to the next call, so stray packets of the old call do not reach it.
type PortRange struct {
	min, max int
	mu       sync.Mutex
	next     int
}

// NewPortRange returns an allocator for ports min..max (inclusive). Zero
// for both means the operating system picks ephemeral ports.
func NewPortRange(min, max int) (*PortRange, error) {
	if min == 0 && max == 0 {
		return &PortRange{}, nil
	}
	if min < 1024 || max > 65535 || max < min+1 {
		return nil, fmt.Errorf("media: bad RTP port range %d-%d", min, max)
	}
	if min%2 == 1 {
		min++
	}
	return &PortRange{min: min, max: max, next: min}, nil
}

// ErrNoPorts means every port pair of the range is in use.
var ErrNoPorts = errors.New("media: no free RTP port")

// allocate binds an RTP and an RTCP socket on ip.
func (r *PortRange) allocate(ip netip.Addr) (rtpConn, rtcpConn *net.UDPConn, err error) {
	if r == nil || r.min == 0 {
		// Ephemeral: the system's port is one of the pair, whichever it
		// is (even: RTP, with RTCP above; odd: RTCP, with RTP below), so
		// a pair usually takes two binds; a taken neighbour means another
		// try.
		for range 32 {
			c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
			if err != nil {
				return nil, nil, fmt.Errorf("media: bind RTP on %s: %w", ip, err)
			}
			p := c.LocalAddr().(*net.UDPAddr).Port
			switch {
			case p%2 == 0 && p < 65535:
				if c2, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p+1)))); err == nil {
					return c, c2, nil
				}
			case p%2 == 1:
				if c2, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p-1)))); err == nil {
					return c2, c, nil
				}
			}
			c.Close()
		}
		return nil, nil, ErrNoPorts
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := (r.max - r.min + 1) / 2
	for range n {
		p := r.next
		r.next += 2
		if r.next+1 > r.max {
			r.next = r.min
		}
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p))))
		if err != nil {
			continue
		}
		c2, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p+1))))
		if err != nil {
			c.Close()
			continue
		}
		return c, c2, nil
	}
	return nil, nil, ErrNoPorts
}
