package sip

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"minipbx/telephony/channel"
)

// Caller identity on trunks. Providers differ in where they read the
// number a call shows: some take From as it is, many insist that From is
// the account's own number and read the caller ID from
// P-Asserted-Identity (RFC 3325) or the older Remote-Party-ID; privacy is
// asked with Privacy: id (RFC 3323) and an anonymous From. A forwarded
// call that shows its original caller is accepted when it names the
// forwarding customer number: Diversion (RFC 5806) or History-Info
// (RFC 7044). Calls from a trunk are read the same way back.

// Where a trunk puts the caller ID (TrunkConfig.CallerIDHeader).
const (
	IdentityFrom  = "from"
	IdentityPAI   = "pai"
	IdentityRPID  = "rpid"
	IdentityTrunk = "trunk"
)

// How a trunk names who forwarded a call (TrunkConfig.DiversionHeader).
const (
	DiversionHeader   = "diversion"
	HistoryInfoHeader = "history-info"
	NoDiversionHeader = "none"
)

// anonymousURI is RFC 3323's From for a withheld caller.
var anonymousURI = sip.Uri{Scheme: "sip", User: "anonymous", Host: "anonymous.invalid"}

// idHeader is a name and value added to an outgoing INVITE.
type idHeader struct{ name, value string }

// presentation is what an outbound trunk call shows the provider.
type presentation struct {
	from     sip.Uri
	fromName string
	headers  []idHeader
}

// trunkPresentation works out From and the identity headers of a call out
// through trunk cfg at host, showing caller c (its Number "" for the
// trunk's own) after the redirections divs (most recent first).
func trunkPresentation(cfg TrunkConfig, host string, c channel.CallerID, divs []channel.Diversion) presentation {
	own := sip.Uri{Scheme: "sip", User: cfg.CallerID, Host: host}
	if own.User == "" {
		own.User = "anonymous"
	}
	number, name := c.Number, c.Name
	if number == "" || number == cfg.CallerID {
		number = own.User
		if name == "" {
			name = cfg.CallerName
		}
	}
	shown := sip.Uri{Scheme: "sip", User: number, Host: host}
	withheld := c.Withheld != ""
	var p presentation
	switch cfg.CallerIDHeader {
	case IdentityPAI:
		p.from, p.fromName = own, cfg.CallerName
		p.headers = append(p.headers, idHeader{"P-Asserted-Identity", nameAddr(name, shown)})
		if withheld {
			p.from, p.fromName = anonymousURI, "Anonymous"
			p.headers = append(p.headers, idHeader{"Privacy", "id"})
		}
	case IdentityRPID:
		p.from, p.fromName = own, cfg.CallerName
		privacy := "off"
		if withheld {
			p.from, p.fromName = anonymousURI, "Anonymous"
			privacy = "full"
		}
		p.headers = append(p.headers, idHeader{"Remote-Party-ID", nameAddr(name, shown) + ";party=calling;screen=yes;privacy=" + privacy})
	case IdentityTrunk:
		p.from, p.fromName = own, cfg.CallerName
		if withheld {
			p.headers = append(p.headers, idHeader{"Privacy", "id"})
		}
	default: // IdentityFrom
		p.from, p.fromName = shown, name
		if withheld {
			p.from, p.fromName = anonymousURI, "Anonymous"
			p.headers = append(p.headers, idHeader{"Privacy", "id"})
		}
	}
	if len(divs) > 0 {
		p.headers = append(p.headers, diversionHeaders(cfg, host, divs)...)
	}
	return p
}

// nameAddr formats a name-addr: "Name" <uri>, or <uri> without a name.
func nameAddr(name string, u sip.Uri) string {
	if name == "" {
		return "<" + u.String() + ">"
	}
	return strconv.Quote(name) + " <" + u.String() + ">"
}

// diversionHeaders names the redirections divs (most recent first) as the
// trunk's provider reads them.
func diversionHeaders(cfg TrunkConfig, host string, divs []channel.Diversion) []idHeader {
	uri := func(number string) sip.Uri {
		if number == "" {
			number = cfg.CallerID
		}
		return sip.Uri{Scheme: "sip", User: number, Host: host}
	}
	switch cfg.DiversionHeader {
	case NoDiversionHeader:
		return nil
	case HistoryInfoHeader:
		// Oldest first: the number first called (index 1), each party it
		// was sent on to indexed below the one before, with the RFC 4458
		// cause of the redirection that reached it, the last the
		// requested number itself (the Request-URI, added by the caller of
		// this function as the final entry is the provider's own).
		var entries []string
		index := "1"
		for i := len(divs) - 1; i >= 0; i-- {
			u := uri(divs[i].Number)
			e := "<" + u.String()
			if i < len(divs)-1 {
				e += ";cause=" + strconv.Itoa(redirectCause(divs[i+1].Reason))
			}
			e += ">;index=" + index
			if i < len(divs)-1 {
				e += ";mp=" + index[:len(index)-2]
			}
			entries = append(entries, e)
			index += ".1"
		}
		return []idHeader{{"History-Info", strings.Join(entries, ", ")}}
	default: // DiversionHeader
		var out []idHeader
		for _, d := range divs {
			u := uri(d.Number)
			out = append(out, idHeader{"Diversion", "<" + u.String() + ">;reason=" + d.Reason + ";counter=1"})
		}
		return out
	}
}

// historyTarget is the History-Info entry of the number a forwarded call
// finally asks for (target), redirected there for the most recent
// diversion; it follows the entries diversionHeaders made.
func historyTarget(target sip.Uri, divs []channel.Diversion) string {
	index := "1" + strings.Repeat(".1", len(divs))
	u := target
	u.UriParams = sip.NewParams()
	u.UriParams.Add("cause", strconv.Itoa(redirectCause(divs[0].Reason)))
	return "<" + u.String() + ">;index=" + index + ";mp=" + index[:len(index)-2]
}

// redirectCause is RFC 4458's cause code of a redirection reason.
func redirectCause(reason string) int {
	switch reason {
	case channel.DivertBusy, channel.DivertDND:
		return 486
	case channel.DivertNoAnswer, channel.DivertFollowMe:
		return 408
	case channel.DivertUnavailable:
		return 503
	case channel.DivertDeflection:
		return 480
	}
	return 302 // unconditional
}

// addTo puts p's identity headers, and for History-Info the
// requested number's own entry, on an outgoing INVITE.
func (p presentation) addTo(req *sip.Request, divs []channel.Diversion) {
	for _, h := range p.headers {
		v := h.value
		if h.name == "History-Info" {
			v += ", " + historyTarget(req.Recipient, divs)
		}
		req.AppendHeader(sip.NewHeader(h.name, v))
	}
}

// maxIdentityLen bounds an identity header we read: a longer one is
// ignored rather than parsed.
const maxIdentityLen = 512

// trunkCaller reads who calls from a trunk: P-Asserted-Identity, which a
// provider we trust by address or registration asserts (RFC 3325), else
// Remote-Party-ID, else From; Privacy: id, an RPID privacy=full or an
// anonymous From withholds it (the number, where the network gave it, is
// kept for records; phones show "private").
func trunkCaller(req *sip.Request) channel.CallerID {
	from := req.From()
	c := channel.CallerID{Number: uriNumber(from.Address), Name: from.DisplayName}
	anonymousFrom := c.Number == "" || strings.EqualFold(c.Number, "anonymous") || strings.EqualFold(from.Address.Host, "anonymous.invalid")
	if anonymousFrom {
		c = channel.CallerID{}
	}
	private := anonymousFrom
	if n, name, ok := assertedIdentity(req); ok {
		c.Number = n
		if name != "" {
			c.Name = name
		}
	} else if n, name, full, ok := remotePartyID(req); ok {
		c.Number, c.Name = n, name
		private = private || full
	}
	if h := req.GetHeader("Privacy"); h != nil {
		for _, v := range strings.Split(h.Value(), ";") {
			if v = strings.TrimSpace(strings.ToLower(v)); v == "id" || v == "user" || v == "header" {
				private = true
			}
		}
	}
	if private {
		c.Withheld = "P"
		if strings.EqualFold(c.Name, "anonymous") {
			c.Name = ""
		}
	}
	return c
}

// assertedIdentity is the first usable P-Asserted-Identity: a sip or tel
// URI with a number.
func assertedIdentity(req *sip.Request) (number, name string, ok bool) {
	for _, h := range req.GetHeaders("P-Asserted-Identity") {
		for _, v := range splitHeaderList(h.Value()) {
			if n, name, _, ok := parseIdentity(v); ok {
				return n, name, true
			}
		}
	}
	return "", "", false
}

// remotePartyID is the calling party's Remote-Party-ID, and whether it
// asks for privacy.
func remotePartyID(req *sip.Request) (number, name string, private, ok bool) {
	for _, h := range req.GetHeaders("Remote-Party-ID") {
		for _, v := range splitHeaderList(h.Value()) {
			n, name, params, ok := parseIdentity(v)
			if !ok {
				continue
			}
			if party, _ := params.Get("party"); party != "" && !strings.EqualFold(party, "calling") {
				continue
			}
			pv, _ := params.Get("privacy")
			pv = strings.ToLower(pv)
			return n, name, pv == "full" || pv == "name" || pv == "uri", true
		}
	}
	return "", "", false, false
}

// parseIdentity reads one name-addr of an identity header.
func parseIdentity(v string) (number, name string, params sip.HeaderParams, ok bool) {
	if len(v) > maxIdentityLen {
		return "", "", nil, false
	}
	var u sip.Uri
	params = sip.NewParams()
	name, err := sip.ParseAddressValue(strings.TrimSpace(v), &u, &params)
	if err != nil {
		return "", "", nil, false
	}
	n := uriNumber(u)
	if n == "" || strings.EqualFold(n, "anonymous") {
		return "", "", nil, false
	}
	return n, name, params, true
}

// uriNumber is the number a sip: or tel: URI names: its user part (or
// the tel: number), unescaped, with visual separators removed; "" when it
// is no phone number.
func uriNumber(u sip.Uri) string {
	raw := u.User
	if u.Scheme == "tel" {
		raw, _, _ = strings.Cut(u.Raw(), ";")
	}
	if unesc, err := url.PathUnescape(raw); err == nil {
		raw = unesc
	}
	raw, _, _ = strings.Cut(raw, ";") // user parameters (;phone-context=…)
	var b strings.Builder
	for i, r := range raw {
		switch {
		case r >= '0' && r <= '9', r == '*', r == '#':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == '-' || r == '.' || r == '(' || r == ')' || r == ' ':
			// visual separators (RFC 3966)
		default:
			// Not a number: an alphanumeric user is still an identity.
			if u.Scheme == "tel" {
				return ""
			}
			return raw
		}
	}
	return b.String()
}

// splitHeaderList splits a header value at the commas between its
// entries, not at those inside quotes or angle brackets.
func splitHeaderList(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			depth = max(depth-1, 0)
		case c == ',' && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	out = append(out, v[start:])
	return slices.DeleteFunc(out, func(s string) bool { return strings.TrimSpace(s) == "" })
}
