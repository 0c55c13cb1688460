package box

import (
	"minipbx/telephony"
	"minipbx/telephony/sip"
)

// Busy lamps: the exchange works out what each extension's and park
// slot's lamp shows (telephony.Presence) and the SIP server tells the
// phones whose BLF keys watch them (RFC 4235 dialog events). The two meet
// here so that neither imports the other.

// lampOf is what number's lamp shows now, for a new subscription: a park
// slot's or an extension's; false when it is neither.
func lampOf(ex *telephony.Exchange, number string) (sip.Lamp, bool) {
	if ex == nil || number == "" {
		return sip.Lamp{}, false
	}
	if ex.IsParkSlot(number) {
		return lampFrom(ex.Presence("", number)), true
	}
	for _, e := range ex.Config().Extensions {
		if e.Number == number {
			return lampFrom(ex.Presence(number, "")), true
		}
	}
	return sip.Lamp{}, false
}

// lampFrom is the SIP server's form of a presence.
func lampFrom(p telephony.Presence) sip.Lamp {
	l := sip.Lamp{Number: p.Extension, Dialog: p.Dialog, Caller: p.Caller, Direction: p.Direction}
	if p.Slot != "" {
		l.Number = p.Slot
	}
	switch p.State {
	case "ringing":
		l.State = sip.LampRinging
	case "busy":
		l.State = sip.LampBusy
	default:
		l.State = sip.LampIdle
	}
	return l
}
