package store

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"minipbx/telephony/dialplan"
)

// Trunk modes.
const (
	// TrunkRegister: the box registers to the provider with a username and
	// password and the provider sends calls to the registered contact.
	TrunkRegister = "register"
	// TrunkPeer: no registration; the provider and the box trust each
	// other's IP addresses.
	TrunkPeer = "peer"
)

// Limits of a trunk's settings.
const (
	MaxTrunks              = 16
	MinTrunkExpiresS       = 60
	MaxTrunkExpiresS       = 3600
	DefaultTrunkExpiresS   = 300
	MaxTrunkDIDs           = 256
	MaxTrunkAllowedIPs     = 16
	maxTrunkCredentialSize = 128
)

// Trunk is a SIP trunk to a telephone service provider.
type Trunk struct {
	Name string `json:"name"`
	// Mode is register or peer.
	Mode string `json:"mode"`
	// Host is the provider's proxy as host:port (an IP address or a DNS
	// name; the port is required so that nothing depends on SRV records).
	Host string `json:"host"`
	// Transport is udp (default) or tcp.
	Transport string `json:"transport,omitempty"`
	// Username is the account (the user part of From and of the
	// registration); AuthUser the digest user when it differs; Password
	// the digest password. Register mode needs Username and Password;
	// peer mode may use them to answer a provider's challenge.
	Username string `json:"username,omitempty"`
	AuthUser string `json:"auth_user,omitempty"`
	Password string `json:"password,omitempty"`
	// ExpiresS is the registration lifetime asked for (default 300); the
	// box refreshes well before it ends.
	ExpiresS int `json:"expires_s,omitempty"`
	// AllowedIPs are the addresses calls from a peer trunk may come from
	// (default: Host's address when it is an IP address).
	AllowedIPs []string `json:"allowed_ips,omitempty"`
	// CallerID is the number sent as From on outbound calls (default the
	// Username); CallerName its display name.
	CallerID   string `json:"caller_id,omitempty"`
	CallerName string `json:"caller_name,omitempty"`
	// MaxCalls bounds concurrent calls through the trunk, both ways (0:
	// no limit but the box's); beyond it an outbound attempt counts as
	// congested (the next carrier is tried) and an inbound one gets 503.
	MaxCalls int `json:"max_calls,omitempty"`
	// DIDs are the provider's numbers that arrive on this trunk, each
	// with its destination.
	DIDs []TrunkDID `json:"dids,omitempty"`
}

// TrunkDID maps a dialled number arriving on a trunk to a destination.
type TrunkDID struct {
	Number      string `json:"number"`
	Destination string `json:"destination"`
}

// Expires is the registration lifetime in seconds, default applied.
func (t Trunk) Expires() int {
	if t.ExpiresS == 0 {
		return DefaultTrunkExpiresS
	}
	return t.ExpiresS
}

// DigestUser is the user name of digest authentication.
func (t Trunk) DigestUser() string {
	if t.AuthUser != "" {
		return t.AuthUser
	}
	return t.Username
}

// OutboundCallerID is the From user of outbound calls.
func (t Trunk) OutboundCallerID() string {
	if t.CallerID != "" {
		return t.CallerID
	}
	return t.Username
}

// Peers is the list of addresses a call from this trunk may come from:
// AllowedIPs, or the Host's address when it is an IP address.
func (t Trunk) Peers() []netip.Addr {
	var out []netip.Addr
	for _, s := range t.AllowedIPs {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a.Unmap())
		}
	}
	if len(out) == 0 {
		if h, _, err := net.SplitHostPort(t.Host); err == nil {
			if a, err := netip.ParseAddr(h); err == nil {
				out = append(out, a.Unmap())
			}
		}
	}
	return out
}

func normalizeTrunks(c *Config) {
	nilIfEmpty(&c.Trunks)
	for i := range c.Trunks {
		nilIfEmpty(&c.Trunks[i].AllowedIPs)
		nilIfEmpty(&c.Trunks[i].DIDs)
	}
}

func cloneTrunks(c *Config) {
	c.Trunks = slices.Clone(c.Trunks)
	for i := range c.Trunks {
		c.Trunks[i].AllowedIPs = slices.Clone(c.Trunks[i].AllowedIPs)
		c.Trunks[i].DIDs = slices.Clone(c.Trunks[i].DIDs)
	}
}

// checkTrunks validates the trunks section; dest checks a destination
// and maxCalls a concurrent-call limit. It returns the trunk names.
func checkTrunks(c *Config, add func(path, format string, args ...any), dest func(path, s string), maxCalls func(path string, n int)) map[string]bool {
	names := map[string]bool{}
	if len(c.Trunks) > MaxTrunks {
		add("trunks", "at most %d trunks", MaxTrunks)
	}
	groups := map[string]bool{}
	for _, g := range c.LineGroups {
		groups[g.Name] = true
	}
	for i, t := range c.Trunks {
		p := fmt.Sprintf("trunks[%d].", i)
		switch err := dialplan.CheckName(t.Name); {
		case err != nil:
			add(p+"name", "%v", err)
		case names[t.Name]:
			add(p+"name", "%q is used twice", t.Name)
		case groups[t.Name]:
			add(p+"name", "%q is also a line group's name (outbound routes name both)", t.Name)
		}
		names[t.Name] = true
		if t.Mode != TrunkRegister && t.Mode != TrunkPeer {
			add(p+"mode", "must be %s or %s", TrunkRegister, TrunkPeer)
		}
		if m := hostPortProblem(t.Host); m != "" {
			add(p+"host", "%s", m)
		}
		switch strings.ToLower(t.Transport) {
		case "", "udp", "tcp":
		default:
			add(p+"transport", "must be udp or tcp")
		}
		cred := func(field, v string, required bool) {
			switch {
			case v == "" && required:
				add(p+field, "is required for a %s trunk", TrunkRegister)
			case len(v) > maxTrunkCredentialSize:
				add(p+field, "at most %d characters", maxTrunkCredentialSize)
			case strings.ContainsAny(v, "\"\\\r\n\x00") || (field != "password" && strings.ContainsAny(v, " @:;<>")):
				add(p+field, "has characters a SIP header cannot carry")
			}
		}
		reg := t.Mode == TrunkRegister
		cred("username", t.Username, reg)
		cred("auth_user", t.AuthUser, false)
		cred("password", t.Password, reg)
		if t.ExpiresS != 0 && (t.ExpiresS < MinTrunkExpiresS || t.ExpiresS > MaxTrunkExpiresS) {
			add(p+"expires_s", "must be 0 (default %d) or %d to %d seconds", DefaultTrunkExpiresS, MinTrunkExpiresS, MaxTrunkExpiresS)
		}
		if len(t.AllowedIPs) > MaxTrunkAllowedIPs {
			add(p+"allowed_ips", "at most %d addresses", MaxTrunkAllowedIPs)
		}
		for j, ip := range t.AllowedIPs {
			if _, err := netip.ParseAddr(ip); err != nil {
				add(fmt.Sprintf("%sallowed_ips[%d]", p, j), "must be an IP address")
			}
		}
		if t.Mode == TrunkPeer && len(t.Peers()) == 0 && hostPortProblem(t.Host) == "" {
			add(p+"allowed_ips", "a %s trunk whose host is a name needs the provider's IP addresses", TrunkPeer)
		}
		if t.CallerID != "" && !dialplan.IsDialString(strings.TrimPrefix(t.CallerID, "+")) {
			add(p+"caller_id", "must be digits (an optional leading +)")
		}
		if t.Mode == TrunkPeer && t.OutboundCallerID() == "" {
			add(p+"caller_id", "is required for a %s trunk without a username", TrunkPeer)
		}
		if m := nameProblem(t.CallerName, false); m != "" {
			add(p+"caller_name", "%s", m)
		}
		maxCalls(p+"max_calls", t.MaxCalls)
		if len(t.DIDs) > MaxTrunkDIDs {
			add(p+"dids", "at most %d numbers", MaxTrunkDIDs)
		}
		seen := map[string]bool{}
		for j, d := range t.DIDs {
			q := fmt.Sprintf("%sdids[%d].", p, j)
			switch {
			case !dialplan.IsDialString(strings.TrimPrefix(d.Number, "+")):
				add(q+"number", "must be digits (an optional leading +)")
			case seen[d.Number]:
				add(q+"number", "%s is listed twice", d.Number)
			}
			seen[d.Number] = true
			dest(q+"destination", d.Destination)
		}
	}
	return names
}

// hostPortProblem checks a provider address: host:port with a port.
func hostPortProblem(s string) string {
	h, port, err := net.SplitHostPort(s)
	if err != nil || h == "" {
		return "must be host:port (e.g. sip.example.net:5060)"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "port must be 1 to 65535"
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return ""
	}
	if len(h) > 253 {
		return "host name too long"
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 {
			return "host must be an IP address or a DNS name"
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return "host must be an IP address or a DNS name"
			}
		}
	}
	return ""
}
