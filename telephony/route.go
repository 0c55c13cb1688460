package telephony

import (
	"fmt"
	"strings"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// Destination is where a dialled number leads.
type Destination struct {
	// Kind is DestExtension or DestOutside.
	Kind DestKind
	// Extension is the reached extension (DestExtension).
	Extension store.Extension
	// Digits is the number to dial on an outside line (DestOutside), without
	// the outside prefix.
	Digits string
}

// DestKind classifies a Destination.
type DestKind int

const (
	DestExtension DestKind = iota + 1
	DestOutside
)

// dialState is what a number dialled so far means under the numbering plan.
type dialState int

const (
	// dialIncomplete: more digits may come and are needed.
	dialIncomplete dialState = iota
	// dialComplete: the number is whole; route it now.
	dialComplete
	// dialOpenEnded: the number may be whole, but more digits may follow
	// (an outside number); route it at the inter-digit timeout or on '#'.
	dialOpenEnded
	// dialInvalid: no number starts like this.
	dialInvalid
)

// maxOutsideDigits bounds an outside number (E.164 allows 15, plus room for
// national and international prefixes).
const maxOutsideDigits = 20

// classify tells whether digits dialled so far form a number under cfg.
func classify(cfg *store.Config, digits string) dialState {
	if digits == "" {
		return dialIncomplete
	}
	if p := cfg.System.OutsidePrefix; p != "" {
		switch {
		case strings.HasPrefix(digits, p):
			rest := digits[len(p):]
			if len(rest) >= maxOutsideDigits {
				return dialComplete
			}
			if rest == "" {
				return dialIncomplete
			}
			return dialOpenEnded
		case strings.HasPrefix(p, digits):
			return dialIncomplete
		}
	}
	n := cfg.System.ExtensionLength
	if len(digits) < n {
		for _, e := range cfg.Extensions {
			if strings.HasPrefix(e.Number, digits) {
				return dialIncomplete
			}
		}
		return dialInvalid
	}
	if len(digits) == n {
		return dialComplete
	}
	return dialInvalid
}

// route resolves a complete number dialled by caller under cfg. caller is
// the calling extension, nil when the call comes from outside (an FXO line,
// a trunk): outside callers may reach extensions only, never an outside
// line — the first rule against toll fraud.
func route(cfg *store.Config, caller *store.Extension, number string) (Destination, channel.Cause, error) {
	if number == "" {
		return Destination{}, channel.CauseNotFound, fmt.Errorf("route: empty number")
	}
	for _, e := range cfg.Extensions {
		if e.Number == number {
			return Destination{Kind: DestExtension, Extension: e}, 0, nil
		}
	}
	if p := cfg.System.OutsidePrefix; p != "" && strings.HasPrefix(number, p) && len(number) > len(p) {
		digits := number[len(p):]
		if !isDialString(digits) {
			return Destination{}, channel.CauseNotFound, fmt.Errorf("route: %q is not a dialable number", number)
		}
		if caller == nil {
			return Destination{}, channel.CauseForbidden, fmt.Errorf("route: outside caller may not dial out (%s)", number)
		}
		if !caller.OutsideCalls {
			return Destination{}, channel.CauseForbidden, fmt.Errorf("route: extension %s is not allowed outside calls", caller.Number)
		}
		return Destination{Kind: DestOutside, Digits: digits}, 0, nil
	}
	return Destination{}, channel.CauseNotFound, fmt.Errorf("route: no extension %s", number)
}

// isDialString reports whether s holds only DTMF dialable characters.
func isDialString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '*' || c == '#') {
			return false
		}
	}
	return s != ""
}

// findExtension returns the extension with the given number.
func findExtension(cfg *store.Config, number string) (store.Extension, bool) {
	for _, e := range cfg.Extensions {
		if e.Number == number {
			return e, true
		}
	}
	return store.Extension{}, false
}

// extensionForFXS returns the extension an FXS port (1-based) belongs to.
func extensionForFXS(cfg *store.Config, port int) (store.Extension, bool) {
	for _, e := range cfg.Extensions {
		if e.FXSPort == port {
			return e, true
		}
	}
	return store.Extension{}, false
}
