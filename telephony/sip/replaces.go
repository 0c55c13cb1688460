package sip

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Naming the box's dialogs from outside: the Replaces header of RFC 3891
// (an INVITE that takes a dialog's place: pickup of a ringing phone, a
// call moved to another of its user's phones) and the ?Replaces= of a
// REFER's Refer-To (attended transfer, RFC 5589), and the dialog
// identifiers that busy lamps publish (dialog_event.go) so that a phone
// can pick a ringing call up by its BLF key.
//
// A dialog is its Call-ID and two tags. RFC 3891 says to-tag is the tag
// of the UA that receives the Replaces and from-tag the other party's,
// but phones disagree about whose is whose once a B2BUA sits in the
// middle (a BLF watcher copies the tags of a dialog it saw only in a
// NOTIFY; some send them swapped), so a dialog matches with its tags in
// either order. That costs nothing: what guards a dialog is its Call-ID
// and the box's own tag, 64 random bits a stranger cannot guess, and the
// exchange's checks of who may take it (the same user, or a pickup
// group).
//
// An analog phone's leg has no SIP dialog, yet a BLF key should pick up a
// call ringing it: busy lamps name such a leg by a made-up dialog whose
// Call-ID carries the channel ID and whose tags are an HMAC of it under a
// key the server draws at start (synthetic below), so that only names
// the box gave out resolve.

// maxDialogToken bounds each part of a dialog's name.
const maxDialogToken = 256

// dialogID is a dialog as Replaces names it.
type dialogID struct {
	callID, toTag, fromTag string
	// earlyOnly: replace the dialog only while it is early (RFC 3891
	// §3: a confirmed one gets 486).
	earlyOnly bool
}

var errBadReplaces = errors.New("malformed Replaces")

// parseReplaces reads a Replaces header value (RFC 3891 §6.1):
// callid *(";" replaces-param), where the parameters are to-tag, from-tag,
// early-only and any generic parameter (ignored). Both tags are required.
func parseReplaces(v string) (dialogID, error) {
	var d dialogID
	parts := strings.Split(v, ";")
	d.callID = strings.TrimSpace(parts[0])
	if !isDialogToken(d.callID, true) {
		return d, fmt.Errorf("%w: Call-ID %q", errBadReplaces, truncate(d.callID, 40))
	}
	var haveTo, haveFrom bool
	for _, p := range parts[1:] {
		name, val, hasVal := strings.Cut(strings.TrimSpace(p), "=")
		name, val = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val)
		switch name {
		case "to-tag", "from-tag":
			if !isDialogToken(val, false) {
				return d, fmt.Errorf("%w: %s %q", errBadReplaces, name, truncate(val, 40))
			}
			if name == "to-tag" {
				if haveTo {
					return d, fmt.Errorf("%w: two to-tags", errBadReplaces)
				}
				d.toTag, haveTo = val, true
			} else {
				if haveFrom {
					return d, fmt.Errorf("%w: two from-tags", errBadReplaces)
				}
				d.fromTag, haveFrom = val, true
			}
		case "early-only":
			if hasVal {
				return d, fmt.Errorf("%w: early-only takes no value", errBadReplaces)
			}
			d.earlyOnly = true
		case "":
			return d, fmt.Errorf("%w: empty parameter", errBadReplaces)
		default:
			if !isToken(name) {
				return d, fmt.Errorf("%w: parameter %q", errBadReplaces, truncate(name, 40))
			}
		}
	}
	if !haveTo || !haveFrom {
		return d, fmt.Errorf("%w: to-tag and from-tag are required", errBadReplaces)
	}
	return d, nil
}

// isDialogToken reports whether s is a usable tag (token) or, with at,
// Call-ID (word ["@" word]): printable, no separators that would end it,
// not too long.
func isDialogToken(s string, at bool) bool {
	if s == "" || len(s) > maxDialogToken {
		return false
	}
	ats := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' || c >= 0x7f, c == ';', c == ',', c == '"', c == '<', c == '>', c == '=':
			return false
		case c == '@':
			ats++
			if !at || ats > 1 {
				return false
			}
		}
	}
	return true
}

// dialogMatch is what a dialog name resolved to.
type dialogMatch struct {
	id  string // the channel ID (channel.Info.ID) of the box's leg
	leg *leg   // nil for a synthetic dialog (a leg that is not SIP)
	// confirmed: the dialog was answered; earlyIn: it is an inbound leg
	// not yet answered, an early dialog the box did not initiate.
	confirmed, earlyIn bool
}

// findDialog resolves d to one of the box's legs.
func (s *Server) findDialog(d dialogID) (dialogMatch, bool) {
	if id, ok := s.dialogs.syntheticID(d); ok {
		return dialogMatch{id: id}, true
	}
	for _, l := range s.legList() {
		l.mu.Lock()
		m, ok := l.matchLocked(d)
		l.mu.Unlock()
		if ok {
			return m, true
		}
	}
	return dialogMatch{}, false
}

// legList is a snapshot of the live legs.
func (s *Server) legList() []*leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*leg, 0, len(s.all))
	for l := range s.all {
		out = append(out, l)
	}
	return out
}

// legByID is the live leg with channel ID id, or nil.
func (s *Server) legByID(id string) *leg {
	for _, l := range s.legList() {
		if l.info.ID == id {
			return l
		}
	}
	return nil
}

// matchLocked reports whether d names l's dialog, or while an outbound
// leg rings one of its forks' early dialogs; l.mu held.
func (l *leg) matchLocked(d dialogID) (dialogMatch, bool) {
	if l.state == stEnded {
		return dialogMatch{}, false
	}
	m := dialogMatch{id: l.info.ID, leg: l, confirmed: l.state == stAnswered, earlyIn: l.inbound && l.state == stRinging}
	if l.callID != "" && d.callID == l.callID && tagsMatch(d, l.localTag, l.remoteTag) {
		return m, true
	}
	if !l.inbound && l.state == stRinging && l.out != nil {
		for _, f := range l.out.forks {
			if !f.done && d.callID == f.callID && tagsMatch(d, l.localTag, f.toTag) {
				return m, true
			}
		}
	}
	return dialogMatch{}, false
}

// tagsMatch reports whether d's two tags are ours and the peer's, in
// either order; a peer tag not known yet (a fork that sent no tagged 1xx)
// matches any.
func tagsMatch(d dialogID, ours, peer string) bool {
	other := ""
	switch ours {
	case d.toTag:
		other = d.fromTag
	case d.fromTag:
		other = d.toTag
	default:
		return false
	}
	return peer == "" || other == peer
}

// dialogUser is the extension whose phone holds l's dialog: the
// authenticated caller of an inbound leg, the dialled extension of an
// outbound one; "" for a trunk's.
func dialogUser(l *leg) string {
	if strings.HasPrefix(l.info.Endpoint, "trunk:") {
		return ""
	}
	return l.info.Endpoint
}

// inviteReplaces resolves the Replaces header of a new INVITE (RFC 3891
// §3) to the channel ID the exchange takes over ("" when it has none).
// Otherwise it returns the refusal: 400 for a malformed or repeated
// header, 481 when no such dialog exists (or it is an early dialog the
// box did not initiate), 486 for early-only on a confirmed dialog.
func (s *Server) inviteReplaces(req *sip.Request) (id string, code int, reason string) {
	hs := req.GetHeaders("Replaces")
	switch {
	case len(hs) == 0:
		return "", 0, ""
	case len(hs) > 1:
		return "", 400, "Bad Request (more than one Replaces)"
	}
	d, err := parseReplaces(hs[0].Value())
	if err != nil {
		return "", 400, "Bad Request (" + sanitize(err.Error()) + ")"
	}
	m, ok := s.findDialog(d)
	switch {
	case !ok, m.earlyIn:
		return "", 481, "Call/Transaction Does Not Exist"
	case d.earlyOnly && m.confirmed:
		return "", 486, "Busy Here"
	}
	return m.id, 0, ""
}

// dialogOf names the dialog of channel id as the watcher of a busy lamp
// sees it: the Call-ID, the tag of the phone the lamp belongs to
// (dialog-info's local-tag) and the box's (remote-tag). A leg that is not
// one of the server's SIP dialogs gets its synthetic name.
func (s *Server) dialogOf(id string) (callID, phoneTag, boxTag string) {
	if l := s.legByID(id); l != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.callID != "" {
			return l.callID, l.remoteTag, l.localTag
		}
		if !l.inbound && l.out != nil {
			for _, f := range l.out.forks {
				if !f.done {
					return f.callID, f.toTag, l.localTag
				}
			}
		}
	}
	return s.dialogs.synthetic(id)
}

// syntheticPrefix starts the Call-ID of a synthetic dialog.
const syntheticPrefix = "blf-"

// synthetic is the made-up dialog of channel id: Call-ID
// "blf-ID@host", tags from the HMAC of id.
func (d *dialogEvents) synthetic(id string) (callID, phoneTag, boxTag string) {
	mac := hmac.New(sha256.New, d.key)
	mac.Write([]byte(id))
	sum := hex.EncodeToString(mac.Sum(nil))
	return syntheticPrefix + id + "@" + d.s.host, sum[:16], sum[16:32]
}

// syntheticID is the channel ID of the synthetic dialog d names, if it
// is one the box made.
func (d *dialogEvents) syntheticID(n dialogID) (string, bool) {
	rest, ok := strings.CutPrefix(n.callID, syntheticPrefix)
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "@")
	if !ok || id == "" {
		return "", false
	}
	_, a, b := d.synthetic(id)
	eq := func(x, y string) bool { return hmac.Equal([]byte(x), []byte(y)) }
	if eq(n.toTag, a) && eq(n.fromTag, b) || eq(n.toTag, b) && eq(n.fromTag, a) {
		return id, true
	}
	return "", false
}
