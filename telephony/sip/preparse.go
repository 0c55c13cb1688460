package sip

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// The pre-parse layer: every UDP datagram is checked against the grammar
// of RFC 3261 §25 before sipgo parses it, because sipgo is lax in some
// places (two Content-Lengths, a display name with commas, spaces inside
// <>, an over-long CSeq silently lost) and too strict in others (it drops
// a request whose parameters have spaces around ';' and '=', which RFC
// 4475's first, valid message is full of, and answers 400 to an RFC 2543
// request without a From tag). What it does, message by message:
//
//   - a request that breaks the grammar of its Request-Line, of a header
//     we rely on (Via, From, To, Contact, Route, Record-Route, Call-ID,
//     CSeq, Max-Forwards, Expires, Content-Length) or of its framing is
//     refused at once, statelessly, with the right status and reason
//     (400 with what is wrong; 505 for another SIP version; 416 for a
//     Request-URI that is not sip: or sips:);
//   - a valid request with linear white space around parameter ';' and
//     '=' is rewritten in canonical form; an RFC 2543 request (no
//     z9hG4bK branch) without a From tag gets one made from its Call-ID
//     and CSeq (so its retransmissions and ACK match the transaction);
//     octets after Content-Length are cut off (RFC 3261 §18.3);
//   - everything else (responses included) goes to sipgo untouched.
//
// Over TCP the stream is sipgo's to frame; checks that need no raw text
// are made after parsing (validate.go) for both transports.

// refusal is a final response to a request we will not process.
type refusal struct {
	code   int
	reason string
	hdrs   []string // extra header lines, "Name: value"
}

func badRequest(what string) *refusal {
	return &refusal{code: 400, reason: "Bad Request (" + what + ")"}
}

// rawHeader is one header line, unfolded, with its name in long form and
// lower case.
type rawHeader struct {
	name, value string
	// raw is the name as written (kept when the line is rewritten).
	raw string
}

var compactNames = map[string]string{
	"i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length", "c": "content-type",
	"f": "from", "s": "subject", "k": "supported", "t": "to", "v": "via", "r": "refer-to", "o": "event",
	"u": "allow-events", "b": "referred-by", "x": "session-expires",
}

// singleValued are the headers a request may carry once only (RFC 3261
// §7.3.1 and §20); two are a framing or identity conflict.
var singleValued = []string{"call-id", "from", "to", "cseq", "max-forwards", "content-length", "content-type", "expires", "date"}

// rawMessage is a datagram split into its parts.
type rawMessage struct {
	start   string
	headers []rawHeader
	body    []byte
}

// splitMessage splits a datagram at its first empty line and unfolds the
// header lines; ok is false when it is not a message at all.
func splitMessage(data []byte) (m rawMessage, ok bool, bad *refusal) {
	i := bytes.Index(data, []byte("\r\n\r\n"))
	if i < 0 {
		return m, false, nil
	}
	head, body := string(data[:i]), data[i+4:]
	m.start, head, _ = strings.Cut(head, "\r\n")
	m.body = body
	m.headers = make([]rawHeader, 0, strings.Count(head, "\r\n")+1)
	var folded []string // the current header's value, line by line
	flush := func() {
		if len(m.headers) > 0 && len(folded) > 1 {
			m.headers[len(m.headers)-1].value = strings.Join(folded, " ")
		}
		folded = folded[:0]
	}
	for len(head) > 0 {
		var l string
		l, head, _ = strings.Cut(head, "\r\n")
		if l != "" && (l[0] == ' ' || l[0] == '\t') {
			if len(m.headers) == 0 {
				return m, true, badRequest("folded first header line")
			}
			if v := strings.TrimSpace(l); v != "" {
				folded = append(folded, v)
			}
			continue
		}
		flush()
		name, value, found := strings.Cut(l, ":")
		name = strings.TrimRight(name, " \t")
		if !found || !isToken(name) {
			return m, true, badRequest("malformed header line")
		}
		long := strings.ToLower(name)
		if c, ok := compactNames[long]; ok {
			long = c
		}
		value = strings.TrimSpace(value)
		m.headers = append(m.headers, rawHeader{name: long, value: value, raw: name})
		folded = append(folded, value)
	}
	flush()
	return m, true, nil
}

func (m *rawMessage) all(name string) []*rawHeader {
	var out []*rawHeader
	for i := range m.headers {
		if m.headers[i].name == name {
			out = append(out, &m.headers[i])
		}
	}
	return out
}

func (m *rawMessage) first(name string) *rawHeader {
	for i := range m.headers {
		if m.headers[i].name == name {
			return &m.headers[i]
		}
	}
	return nil
}

// count is how many name headers m has.
func (m *rawMessage) count(name string) int {
	n := 0
	for i := range m.headers {
		if m.headers[i].name == name {
			n++
		}
	}
	return n
}

// checkDatagram is the pre-parse check of one UDP datagram: it returns
// what to hand to sipgo (nil: nothing), or a refusal of the request m.
func checkDatagram(data []byte) (out []byte, m rawMessage, bad *refusal) {
	if bytes.HasPrefix(data, []byte("SIP/")) {
		return data, m, nil // a response: sipgo matches it or drops it
	}
	m, ok, bad := splitMessage(data)
	if !ok {
		return data, m, nil // not a message: sipgo drops it
	}
	if bad != nil {
		return nil, m, bad
	}
	if bad := checkRequestLine(m.start); bad != nil {
		return nil, m, bad
	}
	changed := false
	for _, name := range singleValued {
		if m.count(name) > 1 {
			return nil, m, badRequest("more than one " + name)
		}
	}
	if h := m.first("cseq"); h != nil {
		n, meth, ok := strings.Cut(h.value, " ")
		if _, err := strconv.ParseUint(n, 10, 32); err != nil || !ok || !isToken(strings.TrimSpace(meth)) {
			return nil, m, badRequest("CSeq")
		}
	}
	if h := m.first("max-forwards"); h != nil {
		if v, err := strconv.ParseUint(h.value, 10, 32); err != nil || v > 255 {
			return nil, m, badRequest("Max-Forwards")
		}
	}
	if h := m.first("expires"); h != nil {
		if _, err := strconv.ParseUint(h.value, 10, 32); err != nil {
			return nil, m, badRequest("Expires")
		}
	}
	if h := m.first("call-id"); h != nil && (h.value == "" || strings.ContainsAny(h.value, " \t")) {
		return nil, m, badRequest("Call-ID")
	}
	body := m.body
	if h := m.first("content-length"); h != nil {
		n, err := strconv.ParseUint(h.value, 10, 31)
		if err != nil || int(n) > len(body) {
			return nil, m, badRequest("Content-Length")
		}
		if int(n) < len(body) {
			body, changed = body[:n], true // §18.3: the rest of a datagram is ignored
		}
	}
	for i := range m.headers {
		h := &m.headers[i]
		var norm string
		var bad *refusal
		switch h.name {
		case "via":
			norm, bad = normalizeList(h.value, normalizeVia)
		case "contact":
			if h.value == "*" {
				continue
			}
			norm, bad = normalizeList(h.value, normalizeNameAddr)
		case "route", "record-route":
			norm, bad = normalizeList(h.value, normalizeNameAddr)
		case "from", "to":
			norm, bad = normalizeNameAddr(h.value)
		default:
			continue
		}
		if bad != nil {
			return nil, m, &refusal{code: bad.code, reason: strings.Replace(bad.reason, "(", "("+h.raw+": ", 1)}
		}
		if norm != h.value {
			h.value, changed = norm, true
		}
	}
	if f := m.first("from"); f != nil && !rfc3261Branch(m.first("via")) && !hasParam(f.value, "tag") {
		f.value += ";tag=" + rfc2543Tag(m)
		changed = true
	}
	if !changed {
		return data, m, nil
	}
	var b bytes.Buffer
	b.WriteString(m.start)
	b.WriteString("\r\n")
	for _, h := range m.headers {
		b.WriteString(h.raw)
		b.WriteString(": ")
		b.WriteString(h.value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes(), m, nil
}

// checkRequestLine checks Method SP Request-URI SP SIP-Version: single
// spaces, a token method, a URI with a scheme and no <> or headers.
func checkRequestLine(line string) *refusal {
	parts := strings.Split(line, " ")
	if len(parts) != 3 || !isToken(parts[0]) || parts[1] == "" {
		return badRequest("malformed Request-Line")
	}
	uri, version := parts[1], parts[2]
	maj, minor, ok := strings.Cut(strings.TrimPrefix(version, "SIP/"), ".")
	if !strings.HasPrefix(version, "SIP/") || !ok || !isDigits(maj) || !isDigits(minor) {
		return badRequest("malformed Request-Line")
	}
	if version != "SIP/2.0" {
		return versionNotSupported()
	}
	if strings.ContainsAny(uri, "<>\"") {
		return badRequest("Request-URI in <>")
	}
	scheme, _, ok := strings.Cut(uri, ":")
	if !ok || !isScheme(scheme) {
		return badRequest("Request-URI")
	}
	if !strings.EqualFold(scheme, "sip") && !strings.EqualFold(scheme, "sips") {
		return unsupportedScheme()
	}
	if uriHasHeaders(uri) {
		return badRequest("headers in Request-URI")
	}
	return nil
}

func versionNotSupported() *refusal { return &refusal{code: 505, reason: "Version Not Supported"} }

// uriHasHeaders reports whether a SIP URI has a headers part: a '?' after
// the user part ('?' is allowed in a user name, '@' in no header value).
func uriHasHeaders(uri string) bool {
	host := uri
	if at := strings.LastIndexByte(uri, '@'); at >= 0 {
		host = uri[at+1:]
	}
	return strings.Contains(host, "?")
}

func unsupportedScheme() *refusal {
	return &refusal{code: 416, reason: "Unsupported URI Scheme"}
}

// normalizeList checks and normalizes each comma-separated value of a
// header that may hold several.
func normalizeList(v string, one func(string) (string, *refusal)) (string, *refusal) {
	parts, ok := splitOutside(v, ',')
	if !ok {
		return "", badRequest("unbalanced quotes or <>")
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		n, bad := one(strings.TrimSpace(p))
		if bad != nil {
			return "", bad
		}
		out[i] = n
	}
	return strings.Join(out, ", "), nil
}

// normalizeVia checks a via-parm: sent-protocol LWS sent-by *(; param),
// with linear white space allowed around '/', ';' and '='.
func normalizeVia(v string) (string, *refusal) {
	proto, rest, ok := cutProtocol(v)
	if !ok {
		return "", badRequest("sent-protocol")
	}
	sentBy, params, hasParams := strings.Cut(rest, ";")
	sentBy = strings.TrimSpace(sentBy)
	if !validSentBy(sentBy) {
		return "", badRequest("sent-by")
	}
	ps, bad := normalizeParams(params, hasParams)
	if bad != nil {
		return "", bad
	}
	if br, ok := paramValue(ps, "branch"); ok && br == "z9hG4bK" {
		return "", badRequest("branch")
	}
	return proto + " " + sentBy + ps, nil
}

// cutProtocol reads "SIP / 2.0 / UDP" and returns it without spaces and
// what follows.
func cutProtocol(v string) (string, string, bool) {
	var fields [3]string
	rest := v
	for i := range fields {
		rest = strings.TrimLeft(rest, " \t")
		end := strings.IndexAny(rest, "/ \t")
		if end < 0 {
			return "", "", false
		}
		fields[i], rest = rest[:end], strings.TrimLeft(rest[end:], " \t")
		if i < 2 {
			if !strings.HasPrefix(rest, "/") {
				return "", "", false
			}
			rest = rest[1:]
		}
	}
	if !strings.EqualFold(fields[0], "SIP") || !isToken(fields[1]) || !isToken(fields[2]) || rest == "" {
		return "", "", false
	}
	return fields[0] + "/" + fields[1] + "/" + fields[2], rest, true
}

func validSentBy(s string) bool {
	host := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		if _, err := netip.ParseAddr(s[1:end]); err != nil {
			return false
		}
		host, s = "", s[end+1:]
		if s != "" && !strings.HasPrefix(s, ":") {
			return false
		}
		if s != "" {
			return validPort(s[1:])
		}
		return true
	}
	if h, p, ok := strings.Cut(s, ":"); ok {
		host = h
		if !validPort(p) {
			return false
		}
	}
	if host == "" {
		return false
	}
	for _, c := range host {
		// '_' is no hostname character, but container and lab hosts use
		// it: taken, as it cannot be confused with anything.
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	n, err := strconv.ParseUint(p, 10, 16)
	return err == nil && n > 0
}

// normalizeNameAddr checks a From, To, Contact or Route value:
// name-addr ([display-name] "<" URI ">") or addr-spec, then parameters.
func normalizeNameAddr(v string) (string, *refusal) {
	var display, uri, params string
	lt := indexOutsideQuotes(v, '<')
	switch {
	case lt == -2:
		return "", badRequest("unterminated quoted string")
	case lt >= 0:
		gt := strings.IndexByte(v[lt:], '>')
		if gt < 0 {
			return "", badRequest("no > after <")
		}
		display, uri, params = strings.TrimSpace(v[:lt]), v[lt+1:lt+gt], v[lt+gt+1:]
		if uri != strings.TrimSpace(uri) {
			return "", badRequest("spaces inside <>")
		}
		if !validDisplayName(display) {
			return "", badRequest("display name must be tokens or quoted")
		}
	default:
		// addr-spec: the URI ends at the first ';' (what follows are the
		// header's parameters), and cannot carry headers (RFC 3261
		// §20.10: then it must be in <>).
		u, p, found := strings.Cut(v, ";")
		uri, params = strings.TrimSpace(u), ""
		if found {
			params = ";" + p
		}
		if uriHasHeaders(uri) || strings.ContainsAny(uri, " \t\"") {
			return "", badRequest("URI with headers or spaces must be in <>")
		}
	}
	scheme, _, ok := strings.Cut(uri, ":")
	if !ok || !isScheme(scheme) || strings.ContainsAny(uri, " \t") {
		return "", badRequest("URI")
	}
	rest := strings.TrimSpace(params)
	if rest != "" && !strings.HasPrefix(rest, ";") {
		return "", badRequest("text after the URI")
	}
	ps, bad := normalizeParams(strings.TrimPrefix(rest, ";"), rest != "")
	if bad != nil {
		return "", bad
	}
	out := "<" + uri + ">" + ps
	if display != "" {
		out = display + " " + out
	}
	if lt < 0 {
		out = uri + ps
	}
	return out, nil
}

// validDisplayName: empty, a quoted string, or tokens separated by white
// space.
func validDisplayName(d string) bool {
	if d == "" {
		return true
	}
	if strings.HasPrefix(d, `"`) {
		end := quotedEnd(d)
		return end == len(d)
	}
	for _, w := range strings.Fields(d) {
		if !isToken(w) {
			return false
		}
	}
	return true
}

// normalizeParams checks "name[=value];..." (without the leading ';')
// and returns it as ";name=value..." with no white space around ';' and
// '='. present says the list exists (so an empty one is an error).
func normalizeParams(s string, present bool) (string, *refusal) {
	if !present {
		return "", nil
	}
	parts, ok := splitOutside(s, ';')
	if !ok {
		return "", badRequest("unbalanced quotes in parameters")
	}
	var b strings.Builder
	for _, p := range parts {
		name, value, hasValue := strings.Cut(p, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !isToken(name) {
			return "", badRequest("empty or malformed parameter")
		}
		if hasValue {
			if value == "" || !(isQuoted(value) || isParamValue(value)) {
				return "", badRequest("malformed parameter value")
			}
		}
		b.WriteString(";")
		b.WriteString(name)
		if hasValue {
			b.WriteString("=")
			b.WriteString(value)
		}
	}
	return b.String(), nil
}

// splitOutside splits s at sep outside quoted strings and <>; ok is
// false when a quote or < is left open.
func splitOutside(s string, sep byte) ([]string, bool) {
	var parts []string
	inQuote, inAngle, start := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '<':
			inAngle = true
		case !inQuote && c == '>':
			inAngle = false
		case !inQuote && !inAngle && c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if inQuote || inAngle {
		return nil, false
	}
	return append(parts, s[start:]), true
}

// indexOutsideQuotes is the index of c outside quoted strings, -1 when
// there is none, -2 when a quoted string is not closed.
func indexOutsideQuotes(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			end := quotedEnd(s[i:])
			if end < 0 {
				return -2
			}
			i += end - 1
		case c:
			return i
		}
	}
	return -1
}

// quotedEnd is the length of the quoted string at the start of s, -1
// when it is not closed.
func quotedEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

func isQuoted(v string) bool { return strings.HasPrefix(v, `"`) && quotedEnd(v) == len(v) }

// isParamValue: a token, a host (IPv6 references included).
func isParamValue(v string) bool {
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		_, err := netip.ParseAddr(v[1 : len(v)-1])
		return err == nil
	}
	return isToken(v)
}

func hasParam(v, name string) bool {
	_, ok := paramValue(v[max(0, strings.LastIndexByte(v, '>')):], name)
	return ok
}

// paramValue finds ;name[=value] in a normalized parameter list.
func paramValue(ps, name string) (string, bool) {
	for _, p := range strings.Split(ps, ";")[1:] {
		n, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(n, name) {
			return v, true
		}
	}
	return "", false
}

// rfc3261Branch reports whether a (normalized) Via's first value has an
// RFC 3261 branch.
func rfc3261Branch(via *rawHeader) bool {
	if via == nil {
		return false
	}
	first, _, _ := strings.Cut(via.value, ",")
	_, ps, _ := strings.Cut(first, ";")
	br, ok := paramValue(";"+ps, "branch")
	return ok && strings.HasPrefix(br, "z9hG4bK") && len(br) > len("z9hG4bK")
}

// rfc2543Tag is the From tag given to an RFC 2543 request that has none:
// the same for its retransmissions and its ACK.
func rfc2543Tag(m rawMessage) string {
	h := fnv.New64a()
	if c := m.first("call-id"); c != nil {
		h.Write([]byte(c.value))
	}
	if c := m.first("cseq"); c != nil {
		n, _, _ := strings.Cut(c.value, " ")
		h.Write([]byte{0})
		h.Write([]byte(n))
	}
	return fmt.Sprintf("rfc2543-%016x", h.Sum64())
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-.!%*_+`'~", c) >= 0) {
			return false
		}
	}
	return true
}

func isScheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// statelessResponse is the answer to a refused request m: status line,
// its Vias, From, To (with a tag), Call-ID and CSeq as they came, and
// where it goes (RFC 3261 §18.2.2: the source address, at the top Via's
// port, or the source port when it asked for rport). nil when m has no
// Via to answer along.
func statelessResponse(m rawMessage, r *refusal, src netip.AddrPort) ([]byte, netip.AddrPort) {
	vias := m.all("via")
	if len(vias) == 0 || !src.IsValid() {
		return nil, netip.AddrPort{}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", r.code, r.reason)
	dst := netip.AddrPortFrom(src.Addr(), 5060)
	for i, v := range vias {
		val := v.value
		if i == 0 {
			first, rest, _ := strings.Cut(val, ",")
			_, sentBy, _ := strings.Cut(strings.TrimSpace(first), " ")
			sentBy, params, _ := strings.Cut(sentBy, ";")
			if _, p, err := net.SplitHostPort(strings.TrimSpace(sentBy)); err == nil {
				if n, err := strconv.ParseUint(p, 10, 16); err == nil && n > 0 {
					dst = netip.AddrPortFrom(src.Addr(), uint16(n))
				}
			}
			if v, ok := paramValue(";"+params, "rport"); ok && v == "" {
				dst = src
				first = strings.Replace(first, ";rport", fmt.Sprintf(";rport=%d", src.Port()), 1)
			}
			first += ";received=" + src.Addr().String()
			val = first
			if rest != "" {
				val += "," + rest
			}
		}
		b.WriteString("Via: " + val + "\r\n")
	}
	for _, name := range []string{"from", "to", "call-id", "cseq"} {
		if h := m.first(name); h != nil {
			val := h.value
			if name == "to" && indexOutsideQuotes(val, '<') >= -1 && !hasParam(val, "tag") {
				val += ";tag=" + randomHex(6)
			}
			fmt.Fprintf(&b, "%s: %s\r\n", canonicalName(name), val)
		}
	}
	for _, h := range r.hdrs {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Server: " + userAgent + "\r\nContent-Length: 0\r\n\r\n")
	return []byte(b.String()), dst
}

func canonicalName(n string) string {
	switch n {
	case "call-id":
		return "Call-ID"
	case "cseq":
		return "CSeq"
	}
	return strings.ToUpper(n[:1]) + n[1:]
}
