package store

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/netip"
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
	// MaxTrunkCASize bounds tls_ca: a few PEM certificates.
	MaxTrunkCASize = 64 << 10
)

// Trunk is a SIP trunk to a telephone service provider.
type Trunk struct {
	Name string `json:"name"`
	// Mode is register or peer.
	Mode string `json:"mode"`
	// Host is the provider's proxy: host:port (an IP address or a DNS
	// name), an IP address alone (the transport's default port, 5060 or
	// 5061 for tls), or a DNS name alone, which the box locates by its
	// SRV records (RFC 3263: _sip._udp, _sip._tcp or _sips._tcp, by
	// priority and weight, the next on no response or 503), else by its
	// address with the default port; looked up afresh at each
	// registration.
	Host string `json:"host"`
	// Transport is udp (default), tcp or tls.
	Transport string `json:"transport,omitempty"`
	// TLSCA is, for a tls trunk, the PEM certificate(s) of the authority
	// the provider's certificate must chain to; empty: the system's
	// roots. Either way the certificate must name Host's host.
	TLSCA string `json:"tls_ca,omitempty"`
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
	// CallerIDHeader is where the caller ID an outside call presents
	// (the extension's, the route's, a forwarded caller's) goes, as
	// providers differ: "from" (default) in From; "pai" in
	// P-Asserted-Identity with From the trunk's caller_id (RFC 3325);
	// "rpid" in Remote-Party-ID with From the trunk's caller_id;
	// "trunk" nowhere: every call shows the trunk's caller_id. A
	// withheld call adds Privacy: id (RFC 3323) and an anonymous From.
	CallerIDHeader string `json:"caller_id_header,omitempty"`
	// DiversionHeader is how a forwarded call names the extension that
	// forwarded it: "diversion" (default, RFC 5806), "history-info"
	// (RFC 7044) or "none".
	DiversionHeader string `json:"diversion_header,omitempty"`
	// MaxCalls bounds concurrent calls through the trunk, both ways (0:
	// no limit but the box's); beyond it an outbound attempt counts as
	// congested (the next carrier is tried) and an inbound one gets 503.
	MaxCalls int `json:"max_calls,omitempty"`
	// DIDs are the provider's numbers that arrive on this trunk, each
	// with its destination.
	DIDs []TrunkDID `json:"dids,omitempty"`
}

// Where a trunk puts the caller ID (Trunk.CallerIDHeader).
const (
	CallerIDInFrom    = "from"
	CallerIDInPAI     = "pai"
	CallerIDInRPID    = "rpid"
	CallerIDTrunkOnly = "trunk"
)

// How a trunk names who forwarded a call (Trunk.DiversionHeader).
const (
	DiversionRFC5806     = "diversion"
	DiversionHistoryInfo = "history-info"
	DiversionNone        = "none"
)

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
		if a, ok := hostIP(t.Host); ok {
			out = append(out, a)
		}
	}
	return out
}

// trunks validates the trunks section (their names are checked with the
// other sections' names).
func (pc *planCheck) trunks() {
	c, add := pc.c, pc.add
	if len(c.Trunks) > MaxTrunks {
		add("trunks", "at most %d trunks", MaxTrunks)
	}
	for i, t := range c.Trunks {
		p := fmt.Sprintf("trunks[%d].", i)
		if t.Mode != TrunkRegister && t.Mode != TrunkPeer {
			add(p+"mode", "must be %s or %s", TrunkRegister, TrunkPeer)
		}
		if m := trunkHostProblem(t.Host); m != "" {
			add(p+"host", "%s", m)
		}
		switch strings.ToLower(t.Transport) {
		case "", "udp", "tcp", "tls":
		default:
			add(p+"transport", "must be udp, tcp or tls")
		}
		if t.TLSCA != "" {
			if strings.ToLower(t.Transport) != "tls" {
				add(p+"tls_ca", "applies to transport tls only")
			} else if m := caProblem(t.TLSCA); m != "" {
				add(p+"tls_ca", "%s", m)
			}
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
		if t.Mode == TrunkPeer && len(t.Peers()) == 0 && trunkHostProblem(t.Host) == "" {
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
		switch t.CallerIDHeader {
		case "", CallerIDInFrom, CallerIDInPAI, CallerIDInRPID, CallerIDTrunkOnly:
		default:
			add(p+"caller_id_header", "must be %s, %s, %s or %s", CallerIDInFrom, CallerIDInPAI, CallerIDInRPID, CallerIDTrunkOnly)
		}
		switch t.DiversionHeader {
		case "", DiversionRFC5806, DiversionHistoryInfo, DiversionNone:
		default:
			add(p+"diversion_header", "must be %s, %s or %s", DiversionRFC5806, DiversionHistoryInfo, DiversionNone)
		}
		pc.maxCalls(p+"max_calls", t.MaxCalls)
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
			pc.dest(q+"destination", d.Destination)
		}
	}
}

// hostIP is the address of a host given as an IP address, with or
// without a port.
func hostIP(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap(), true
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(h); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// trunkHostProblem checks a provider address: an IP address or DNS
// name, with or without a port.
func trunkHostProblem(s string) string {
	const form = "must be a host name or IP address, with an optional port (e.g. sip.example.net or 192.0.2.10:5060)"
	if s == "" {
		return form
	}
	if _, ok := hostIP(s); ok {
		if _, port, err := net.SplitHostPort(s); err == nil {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return "port must be 1 to 65535"
			}
		}
		return ""
	}
	h := s
	if strings.Contains(s, ":") {
		var port string
		var err error
		if h, port, err = net.SplitHostPort(s); err != nil || h == "" {
			return form
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "port must be 1 to 65535"
		}
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

// caProblem checks a PEM bundle of CA certificates.
func caProblem(s string) string {
	if len(s) > MaxTrunkCASize {
		return fmt.Sprintf("at most %d bytes", MaxTrunkCASize)
	}
	rest := []byte(s)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return fmt.Sprintf("holds a %s; only CERTIFICATE blocks belong here", b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Sprintf("certificate %d does not parse: %v", n+1, err)
		}
		n++
	}
	if n == 0 {
		return "must be PEM certificates (-----BEGIN CERTIFICATE-----)"
	}
	if strings.TrimSpace(string(rest)) != "" {
		return "has text after the last certificate"
	}
	return ""
}
