package sip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Checks of a request sipgo has parsed, over every transport, made before
// a handler acts on it (RFC 3261 §8.2: method, headers, content, then
// extensions; all before authentication, which tells a sender nothing it
// could not learn anyway). The pre-parse layer (preparse.go) has already
// refused what breaks the grammar in a UDP datagram.

// supportedExtensions are the option tags a request may Require of us:
// those the Supported header names (server.go's supportedHeader).
var supportedExtensions = map[string]bool{"replaces": true, "norefersub": true}

// checkRequest returns why req is refused, nil when it may be processed.
func checkRequest(req *sip.Request) *refusal {
	if req.SipVersion != "SIP/2.0" {
		return versionNotSupported()
	}
	if sc := strings.ToLower(req.Recipient.Scheme); sc != "sip" && sc != "sips" {
		return unsupportedScheme()
	}
	if req.Recipient.Headers.Length() > 0 {
		return badRequest("headers in Request-URI")
	}
	for _, name := range []string{"Call-ID", "From", "To", "CSeq", "Max-Forwards", "Content-Length", "Content-Type", "Expires", "Date"} {
		if len(req.GetHeaders(name)) > 1 {
			return badRequest("more than one " + strings.ToLower(name))
		}
	}
	if via := req.Via(); via != nil {
		if br, ok := via.Params.Get("branch"); ok && br == sip.RFC3261BranchMagicCookie {
			return badRequest("branch")
		}
	}
	if h := req.GetHeader("Date"); h != nil {
		// RFC 3261 §20.17: rfc1123-date, and GMT only.
		if _, err := time.Parse(http.TimeFormat, h.Value()); err != nil {
			return badRequest("Date")
		}
	}
	var unsupported []string
	for _, h := range req.GetHeaders("Require") {
		for tag := range strings.SplitSeq(h.Value(), ",") {
			if tag = strings.TrimSpace(tag); tag != "" && !supportedExtensions[strings.ToLower(tag)] {
				unsupported = append(unsupported, tag)
			}
		}
	}
	if len(unsupported) > 0 {
		return &refusal{code: 420, reason: "Bad Extension", hdrs: []string{"Unsupported: " + strings.Join(unsupported, ", ")}}
	}
	if req.IsInvite() {
		return checkInviteContent(req)
	}
	return nil
}

// checkInviteContent: we take SDP and only SDP (RFC 3261 §8.2.3: 415 for
// a body we cannot read; §21.4.7: 406 when the caller accepts no answer
// we could give).
func checkInviteContent(req *sip.Request) *refusal {
	sdpOnly := "Accept: application/sdp"
	if len(req.Body()) > 0 {
		ct := req.ContentType()
		if ct == nil || !isMediaType(ct.Value(), "application/sdp") {
			return &refusal{code: 415, reason: "Unsupported Media Type", hdrs: []string{sdpOnly}}
		}
	}
	if hs := req.GetHeaders("Accept"); len(hs) > 0 {
		for _, h := range hs {
			for t := range strings.SplitSeq(h.Value(), ",") {
				if isMediaType(t, "application/sdp") || isMediaType(t, "application/*") || isMediaType(t, "*/*") {
					return nil
				}
			}
		}
		return &refusal{code: 406, reason: "Not Acceptable", hdrs: []string{sdpOnly,
			`Warning: 399 minipbx "a session description is answered in application/sdp only"`}}
	}
	return nil
}

// isMediaType reports whether the media type v (parameters allowed) is t.
func isMediaType(v, t string) bool {
	mt, _, _ := strings.Cut(v, ";")
	return strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(mt), " ", ""), t)
}

// refuse answers req with r through its transaction.
func (s *Server) refuse(tx sip.ServerTransaction, req *sip.Request, r *refusal) {
	hdrs := make([]sip.Header, 0, len(r.hdrs))
	for _, h := range r.hdrs {
		name, value, _ := strings.Cut(h, ": ")
		hdrs = append(hdrs, sip.NewHeader(name, value))
	}
	s.respond(tx, req, r.code, r.reason, hdrs...)
}

// preparse is the pre-parse layer's part of the read filter: UDP
// datagrams only (a TCP read is any part of a stream).
func (s *Server) preparse(p sip.TransportReadProps, data []byte) []byte {
	if p.Transport != "UDP" {
		return data
	}
	out, m, bad := checkDatagram(data)
	if bad == nil {
		return out
	}
	var src netip.AddrPort
	if a, ok := p.RemoteAddr.(*net.UDPAddr); ok {
		src = netip.AddrPortFrom(a.AddrPort().Addr().Unmap(), a.AddrPort().Port())
	}
	res, dst := statelessResponse(m, bad, src)
	s.log.Debug("sip: malformed request refused", "from", src, "status", bad.code, "reason", bad.reason)
	if res != nil && s.bans.allowChallenge(src.Addr()) {
		if _, err := s.udpConn.WriteToUDPAddrPort(res, dst); err != nil {
			s.log.Debug("sip: stateless response", "err", err)
		}
	}
	return nil
}
