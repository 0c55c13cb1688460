package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Locating a trunk's provider (RFC 3263 §4). The transport is configured,
// so no NAPTR step: a host with a port, or an IP address, is used as
// given (an IP without a port takes the transport's default port); a
// bare name is looked up as SRV (_sip._udp, _sip._tcp or _sips._tcp,
// RFC 2782 order: lowest priority first, weighted random within one),
// and when it has no SRV records, as A/AAAA with the default port.

// defaultPort is the transport's well-known port (RFC 3261 §19.1.2).
func defaultPort(transport string) int {
	if strings.EqualFold(transport, "TLS") {
		return 5061
	}
	return 5060
}

// splitTrunkHost splits "host", "host:port", "[v6]:port" or a bare IPv6
// address; port is 0 when none is given.
func splitTrunkHost(s string) (host string, port int, err error) {
	if s == "" {
		return "", 0, errors.New("empty host")
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.String(), 0, nil
	}
	if !strings.Contains(s, ":") {
		return s, 0, nil
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("port %q is not 1 to 65535", p)
	}
	if h == "" {
		return "", 0, errors.New("no host before the port")
	}
	return h, n, nil
}

// srvService is the SRV service and protocol for a transport.
func srvService(transport string) (service, proto string) {
	switch strings.ToUpper(transport) {
	case "TLS":
		return "sips", "tcp"
	case "TCP":
		return "sip", "tcp"
	}
	return "sip", "udp"
}

// resolveTargets lists where requests to host (as configured, with or
// without a port) go over transport, in the order to try them. It fails
// only when nothing at all could be found.
func resolveTargets(ctx context.Context, r *net.Resolver, host, transport string) ([]netip.AddrPort, error) {
	h, port, err := splitTrunkHost(host)
	if err != nil {
		return nil, err
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if port == 0 {
			port = defaultPort(transport)
		}
		return []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), uint16(port))}, nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var out []netip.AddrPort
	if port == 0 {
		service, proto := srvService(transport)
		// Go's resolver already orders the records by priority and
		// shuffles them by weight within a priority (RFC 2782).
		// Records with malformed targets are left out, with an error
		// alongside the good ones: those are still worth trying.
		_, srvs, _ := r.LookupSRV(rctx, service, proto, h)
		if len(srvs) > 0 {
			for _, s := range srvs {
				target := strings.TrimSuffix(s.Target, ".")
				if target == "" || s.Port == 0 {
					continue // "." : the service is decidedly not available here
				}
				addrs, err := r.LookupNetIP(rctx, "ip", target)
				if err != nil {
					continue
				}
				for _, a := range addrs {
					out = append(out, netip.AddrPortFrom(a.Unmap(), s.Port))
				}
			}
			if len(out) > 0 {
				return out, nil
			}
		}
		port = defaultPort(transport)
	}
	addrs, err := r.LookupNetIP(rctx, "ip", h)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve %s: %w", h, err)
	}
	for _, a := range addrs {
		out = append(out, netip.AddrPortFrom(a.Unmap(), uint16(port)))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no address", h)
	}
	return out, nil
}
