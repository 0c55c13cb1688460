// Package smdr is the box's billing output: one line per finished call
// ("station message detail recording") in the Avaya IP Office SMDR
// layout, which call-accounting packages read as it is, sent to a serial
// port (the reference board's SMDR port, a USB adapter) and to a TCP
// client. The lines come from the store's SMDR spool, where each call
// record is queued in the transaction that stores it; each output
// acknowledges every line it delivered, so a port that is unplugged, a
// client that is away or a restart loses no line and sends none twice,
// and a backlog goes out in order when the port is back.
package smdr

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// The Avaya IP Office SMDR fields, in order (IP Office Manager's "SMDR
// Fields" appendix). The box writes one record per call: Continuation
// is always 0.
var fields = []string{
	"Call Start", "Connected Time", "Ring Time", "Caller", "Direction", "Called Number", "Dialled Number", "Account",
	"Is Internal", "Call ID", "Continuation", "Party1Device", "Party1Name", "Party2Device", "Party2Name",
	"Hold Time", "Park Time", "AuthValid", "AuthCode", "User Charged", "Call Charge", "Currency",
	"Amount at Last User Change", "Call Units", "Units at Last User Change", "Cost per Unit", "Mark Up",
	"External Targeting Cause", "External Targeter Id", "External Targeted Number",
}

// Fields are the names of a line's fields, in order.
func Fields() []string { return append([]string(nil), fields...) }

// Format writes r as one SMDR line (CR LF at the end), times in loc,
// the charge in currency.
//
//   - Call Start: YYYY/MM/DD HH:MM:SS; Connected Time: HH:MM:SS of talk
//     less hold and park; Ring Time: seconds to the answer (of the whole
//     call, not one phone).
//   - Direction: I for a call from a line or trunk, O otherwise; Is
//     Internal 1 for a call between extensions.
//   - Called Number and Dialled Number: the number dialled (for an
//     inbound call, the number the caller reached).
//   - Call ID: the call record's ID.
//   - Party1 is the caller, Party2 the party that answered (else the
//     one called): E<extension> and Extn<extension>, T<port or trunk>
//     and Line <port> or the trunk's name, V<mailbox> and VM Channel
//     for voicemail.
//   - Hold Time and Park Time: seconds held and parked, from the call's
//     path.
//   - User Charged: the extension that placed an outside call; Call
//     Charge: its cost by the route's tariff (a decimal, as the box
//     priced it); Currency: the billing currency.
func Format(r store.CallRecord, loc *time.Location, currency string) []byte {
	if loc == nil {
		loc = time.UTC
	}
	hold, park := holdAndPark(r.Path)
	connected := max(0, r.DurationS-hold-park)
	ring := 0
	if !r.Answer.IsZero() {
		ring = int(r.Answer.Sub(r.Start).Round(time.Second) / time.Second)
	}
	direction, internal := "O", "0"
	switch r.Direction {
	case store.DirectionIn:
		direction = "I"
	case store.DirectionInternal, "":
		internal = "1"
	}
	p1dev, p1name := device(r.Source, r.Caller)
	p2ch, p2num := r.Destination, r.Callee
	if p2ch == "" {
		// Nobody answered: the party called (the first other leg).
		for _, l := range r.Legs {
			if l.Name != r.Source {
				p2ch, p2num = l.Name, l.Number
				break
			}
		}
	}
	if r.Disposition == store.DispositionVoicemail {
		box, _, _ := strings.Cut(r.Voicemail, "/")
		if box == "" {
			box = r.Callee
		}
		p2ch, p2num = "vm:"+box, box
	}
	p2dev, p2name := device(p2ch, p2num)
	charged, charge, cur := "", "", ""
	if r.Cost != 0 || r.Route != "" {
		charged = p1name
		charge, cur = r.Cost.Format(2), currency
	}
	rec := []string{
		r.Start.In(loc).Format("2006/01/02 15:04:05"), clock(connected), strconv.Itoa(ring), r.Caller, direction,
		r.Callee, r.Callee, "", internal, strconv.FormatUint(r.ID, 10), "0", p1dev, p1name, p2dev, p2name,
		strconv.Itoa(hold), strconv.Itoa(park), "", "", charged, charge, cur, "", "", "", "", "", "", "", "",
	}
	for i, f := range rec {
		rec[i] = clean(f)
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	_ = w.Write(rec) // a strings.Builder does not fail
	w.Flush()
	return []byte(b.String())
}

// clock writes seconds as HH:MM:SS.
func clock(s int) string { return fmt.Sprintf("%02d:%02d:%02d", s/3600, s%3600/60, s%60) }

// clean keeps a field to one printable line without the separators a
// reader that splits on commas would trip on.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < ' ' || r == 0x7f:
			return -1
		case r == ',' || r == '"':
			return ' '
		}
		return r
	}, s)
}

// device names a channel as an SMDR party: its device and name fields.
func device(channel, number string) (dev, name string) {
	kind, id, _ := strings.Cut(channel, ":")
	switch kind {
	case "sip", "fxs":
		ext := number
		if ext == "" && kind == "sip" {
			ext = id
		}
		return "E" + ext, "Extn" + ext
	case "fxo":
		return "T" + id, "Line " + id
	case "trunk":
		return "T" + id, id
	case "vm":
		return "V" + id, "VM Channel " + id
	}
	return "", number
}

// holdAndPark adds up the seconds the path shows the call held (held to
// resumed) and parked (parked to retrieved).
func holdAndPark(path []store.CallStep) (hold, park int) {
	var heldAt, parkedAt time.Time
	for _, s := range path {
		switch s.Event {
		case "held":
			if heldAt.IsZero() {
				heldAt = s.Time
			}
		case "resumed":
			if !heldAt.IsZero() {
				hold += int(s.Time.Sub(heldAt).Round(time.Second) / time.Second)
				heldAt = time.Time{}
			}
		case "parked":
			parkedAt = s.Time
		case "retrieved":
			if !parkedAt.IsZero() {
				park += int(s.Time.Sub(parkedAt).Round(time.Second) / time.Second)
				parkedAt = time.Time{}
			}
		}
	}
	return max(0, hold), max(0, park)
}
