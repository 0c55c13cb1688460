package dialplan

import (
	"fmt"
	"strconv"
	"strings"
)

// DestKind is the kind of a call destination.
type DestKind string

const (
	// DestExtension rings an extension (its phones and FXS port).
	DestExtension DestKind = "ext"
	// DestFXS rings one FXS port.
	DestFXS DestKind = "fxs"
	// DestGroup rings a ring group.
	DestGroup DestKind = "group"
	// DestNumber dials a number through the dial plan (an outside number
	// for forwarding to a mobile, or any internal number).
	DestNumber DestKind = "number"
	// DestQueue, DestMenu and DestVoicemail name features a configuration
	// may refer to only once the firmware has them.
	DestQueue     DestKind = "queue"
	DestMenu      DestKind = "menu"
	DestVoicemail DestKind = "voicemail"
	// DestAnnounce answers the call, plays an announcement's prompts and
	// goes on to the announcement's next destination.
	DestAnnounce DestKind = "announce"
	// DestTime goes to a time condition's open or closed destination by
	// its schedule at the moment the call gets there.
	DestTime DestKind = "time"
	// DestCond reaches a condition's destination and, on busy, no answer
	// or no route, goes on to the destination the condition names for it.
	DestCond DestKind = "cond"
	// DestHangup ends the call (busy tone / 486).
	DestHangup DestKind = "hangup"
	// DestConf joins a conference room; DestPage pages a paging group.
	DestConf DestKind = "conf"
	DestPage DestKind = "page"
	// DestFax answers the call as the box's fax receiver of that name and
	// receives the fax it carries.
	DestFax DestKind = "fax"
	// DestDISA gives the caller the box's dial tone to dial out through
	// the outbound routes, once a DISA object's checks let them in;
	// DestCallback hangs up on a caller a callback object knows and calls
	// them back.
	DestDISA     DestKind = "disa"
	DestCallback DestKind = "callback"
)

// Destination is where a route, a condition or a menu key sends a call,
// written "kind:value": "ext:101", "fxs:2", "group:sales",
// "number:89161234567", "announce:closed", "time:office", "cond:boss",
// "fax:office", "hangup".
type Destination struct {
	Kind  DestKind
	Value string
}

func (d Destination) String() string {
	if d.Kind == DestHangup {
		return string(d.Kind)
	}
	return string(d.Kind) + ":" + d.Value
}

// ParseDestination parses the "kind:value" form. Names (of groups, queues,
// menus) are checked for form only; whether they exist is the
// configuration's business.
func ParseDestination(s string) (Destination, error) {
	if s == string(DestHangup) {
		return Destination{Kind: DestHangup}, nil
	}
	k, v, ok := strings.Cut(s, ":")
	if !ok {
		return Destination{}, fmt.Errorf("destination %q: want kind:value (ext:101, fxs:1, group:NAME, number:DIGITS, hangup)", s)
	}
	d := Destination{Kind: DestKind(k), Value: v}
	switch d.Kind {
	case DestExtension, DestNumber, DestVoicemail:
		if !IsDialString(v) {
			return Destination{}, fmt.Errorf("destination %q: %q is not a number", s, v)
		}
	case DestFXS:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 99 || strconv.Itoa(n) != v {
			return Destination{}, fmt.Errorf("destination %q: %q is not a port number", s, v)
		}
	case DestGroup, DestQueue, DestMenu, DestAnnounce, DestTime, DestCond, DestConf, DestPage, DestFax, DestDISA, DestCallback:
		if err := CheckName(v); err != nil {
			return Destination{}, fmt.Errorf("destination %q: %w", s, err)
		}
	default:
		return Destination{}, fmt.Errorf("destination %q: unknown kind %q (ext, fxs, group, number, queue, menu, announce, time, cond, voicemail, conf, page, fax, disa, callback, hangup)", s, k)
	}
	return d, nil
}

// MaxNameLen bounds the names of dial-plan objects.
const MaxNameLen = 32

// CheckName checks the name of a dial-plan object (a line group, route,
// ring group, schedule...): 1–32 lower-case letters, digits, '-' and '_',
// starting with a letter or digit, so that it is safe in URLs and
// destinations.
func CheckName(s string) error {
	if s == "" {
		return fmt.Errorf("name is empty")
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("name %q is longer than %d characters", s, MaxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '-' || c == '_'))
		if !ok {
			return fmt.Errorf("name %q: use lower-case letters, digits, '-' and '_' (starting with a letter or digit)", s)
		}
	}
	return nil
}
