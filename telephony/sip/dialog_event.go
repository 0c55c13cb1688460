package sip

import (
	"crypto/rand"
	"encoding/xml"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Busy lamps: the "dialog" event package of RFC 4235, which IP phones'
// BLF keys subscribe to, for the box's extensions and park slots.
//
// A phone SUBSCRIBEs (Event: dialog, digest-authenticated like its
// REGISTER; subscription.go) to a number: sip:201@box for an extension,
// sip:701@box for a park slot. Any extension may watch any of them (what
// the office's receptionist needs); a number that is neither gets 404.
// Config.Lamps says what a number shows when a subscription starts, and
// the exchange tells every change through SetLamp; each subscriber then
// gets a NOTIFY with an application/dialog-info+xml body of the full state
// (RFC 4235 §4.1: state="full", a version counting its NOTIFYs from 0):
//
//   - idle: one dialog in state terminated — the one that just ended, or
//     one named after the number. Asterisk says idle the same way, so the
//     phones that work with it read it; an empty document says it too, by
//     RFC, but not to all of them.
//   - ringing: a dialog in state early, direction recipient; busy: a
//     dialog in state confirmed, direction initiator when the extension
//     placed the call. A park slot is busy while a call waits on it.
//
// A ringing or busy dialog carries call-id, local-tag (the watched phone's)
// and remote-tag (the box's) of the leg the exchange names, and the other
// party's identity, so that a phone's BLF key picks a ringing call up with
// an INVITE carrying Replaces (replaces.go) — or by dialling the directed
// pickup code and the extension, which needs nothing from SIP.

const (
	dialogEvent       = "dialog"
	dialogContentType = "application/dialog-info+xml"
	// RFC 4235 §3.4: 3600 s by default. BLF keys refresh well within it.
	dialogDefaultExpires = 3600 * time.Second
	dialogMinExpires     = 60 * time.Second
	dialogMaxExpires     = 3600 * time.Second
	// dialogSubsPerUser bounds the lamps one extension watches, over all
	// its phones: a receptionist's phone with expansion modules has
	// about a hundred keys.
	dialogSubsPerUser = 200
)

// What a lamp shows (Lamp.State).
const (
	LampIdle    = "idle"
	LampRinging = "ringing"
	LampBusy    = "busy"
)

// Lamp is what a busy lamp shows for one number: an extension or a park
// slot.
type Lamp struct {
	Number string // the extension or park slot
	State  string // LampIdle, LampRinging or LampBusy
	// Dialog is the channel ID (channel.Info.ID) of the leg that rings
	// or talks; "" when there is none to name.
	Dialog string
	// Caller is the other party's number or name, where known.
	Caller string
	// Direction is "initiator" when the extension placed the call,
	// "recipient" when it was called (or a call waits on the slot).
	Direction string
}

// LampSource says what number's lamp shows now; ok is false when number
// is neither an extension nor a park slot.
type LampSource func(number string) (l Lamp, ok bool)

// dialogEvents holds the lamps and serves their subscriptions.
type dialogEvents struct {
	*notifier
	source LampSource
	key    []byte // the synthetic dialogs' HMAC key (replaces.go)

	lampMu sync.Mutex
	lamps  map[string]lampState // number → what it shows
}

// lampState is a lamp and the dialog that last ended on it, which an idle
// lamp reports as terminated.
type lampState struct {
	Lamp
	ended string
}

func newDialogEvents(s *Server) *dialogEvents {
	d := &dialogEvents{notifier: newNotifier(s, dialogEvent, dialogContentType), source: s.cfg.Lamps,
		key: make([]byte, 32), lamps: map[string]lampState{}}
	_, _ = rand.Read(d.key)
	d.min, d.max, d.def = dialogMinExpires, dialogMaxExpires, dialogDefaultExpires
	d.limit = func() int { return dialogSubsPerUser }
	d.authorize = func(_, number string) (int, string) {
		l, ok := d.source(number)
		if !ok || l.Number != number {
			return 404, "Not Found"
		}
		d.lampMu.Lock()
		if _, known := d.lamps[number]; !known {
			d.lamps[number] = lampState{Lamp: l}
		}
		d.lampMu.Unlock()
		return 0, ""
	}
	d.body = d.dialogInfo
	return d
}

// enabled reports whether the server serves busy lamps (Config.Lamps).
func (d *dialogEvents) enabled() bool { return d.source != nil }

// SetLamp records what a busy lamp shows now and tells the phones that
// watch it (the exchange calls it on every change, telephony.Options.
// Presence). An unchanged lamp sends nothing.
func (s *Server) SetLamp(l Lamp) {
	d := s.dialogs
	if !d.enabled() || l.Number == "" {
		return
	}
	if l.State != LampRinging && l.State != LampBusy {
		l.State = LampIdle
	}
	d.lampMu.Lock()
	old, known := d.lamps[l.Number]
	if known && old.Lamp == l {
		d.lampMu.Unlock()
		return
	}
	st := lampState{Lamp: l}
	switch {
	case l.State == LampIdle && old.State != LampIdle && old.Dialog != "":
		st.ended = old.Dialog
	case l.State == LampIdle:
		st.ended = old.ended
	}
	d.lamps[l.Number] = st
	d.lampMu.Unlock()
	d.notifyResource(l.Number)
}

// Watchers is the number of live dialog subscriptions to number (for
// status pages and tests).
func (s *Server) Watchers(number string) int { return s.dialogs.count(number) }

// dialogInfo is sub's NOTIFY body: the lamp's state now, as RFC 4235
// dialog-info; the notifier's lock is held.
func (d *dialogEvents) dialogInfo(sub *subscription) []byte {
	d.lampMu.Lock()
	st := d.lamps[sub.resource]
	d.lampMu.Unlock()
	host := d.s.host
	doc := dialogDoc{Entity: "sip:" + escapeUser(sub.resource) + "@" + host, Version: sub.version}
	sub.version++
	self := "sip:" + escapeUser(sub.resource) + "@" + host
	el := dialogElem{ID: sub.resource, State: "terminated", Local: party{URI: self}}
	switch st.State {
	case LampRinging, LampBusy:
		el.State, el.Direction = "early", st.Direction
		if st.State == LampBusy {
			el.State = "confirmed"
		}
		if st.Dialog != "" {
			el.ID = st.Dialog
			el.CallID, el.LocalTag, el.RemoteTag = d.s.dialogOf(st.Dialog)
		}
		if st.Caller != "" {
			el.Remote = party{URI: "sip:" + escapeUser(st.Caller) + "@" + host, Display: st.Caller}
		}
	default:
		if st.ended != "" {
			el.ID = st.ended
		}
	}
	doc.Dialogs = append(doc.Dialogs, el)
	return doc.marshal()
}

// dialogDoc is a dialog-info document (RFC 4235 §4).
type dialogDoc struct {
	Entity  string
	Version uint32
	Dialogs []dialogElem
}

// dialogElem is one dialog element.
type dialogElem struct {
	ID, CallID, LocalTag, RemoteTag, Direction string
	State                                      string // trying, proceeding, early, confirmed, terminated
	Local, Remote                              party
}

// party is a dialog's local or remote participant.
type party struct{ URI, Display string }

// marshal writes the document, every value escaped.
func (doc dialogDoc) marshal() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="`)
	b.WriteString(strconv.FormatUint(uint64(doc.Version), 10))
	b.WriteString(`" state="full" entity="`)
	escapeXML(&b, doc.Entity)
	b.WriteString("\">\n")
	for _, e := range doc.Dialogs {
		b.WriteString(` <dialog id="`)
		escapeXML(&b, e.ID)
		b.WriteByte('"')
		attr := func(name, v string) {
			if v != "" {
				b.WriteString(" " + name + `="`)
				escapeXML(&b, v)
				b.WriteByte('"')
			}
		}
		attr("call-id", e.CallID)
		attr("local-tag", e.LocalTag)
		attr("remote-tag", e.RemoteTag)
		attr("direction", e.Direction)
		b.WriteString(">\n  <state>")
		escapeXML(&b, e.State)
		b.WriteString("</state>\n")
		for _, p := range []struct {
			name string
			p    party
		}{{"local", e.Local}, {"remote", e.Remote}} {
			if p.p.URI == "" {
				continue
			}
			b.WriteString("  <" + p.name + ">\n   <identity")
			attr("display", p.p.Display)
			b.WriteByte('>')
			escapeXML(&b, p.p.URI)
			b.WriteString("</identity>\n   <target uri=\"")
			escapeXML(&b, p.p.URI)
			b.WriteString("\"/>\n  </" + p.name + ">\n")
		}
		b.WriteString(" </dialog>\n")
	}
	b.WriteString("</dialog-info>\n")
	return []byte(b.String())
}

// escapeXML writes s escaped for XML text and attribute values; bytes XML
// cannot carry at all (control characters, invalid UTF-8) become U+FFFD.
func escapeXML(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s))
}

// escapeUser percent-escapes what the user part of a SIP URI may not
// carry (RFC 3261 §25.1: unreserved and user-unreserved characters stay).
func escapeUser(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()&=+$,;?/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
