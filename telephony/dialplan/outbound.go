package dialplan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Route is an outbound route: numbers matching Pattern go out through the
// carriers in Via (trunk or line-group names), tried in order: when one
// fails (all its lines busy, the trunk down), the next is tried.
type Route struct {
	Name    string
	Pattern Pattern
	// Strip is how many leading digits to remove (an access code such as
	// the outside prefix 9); Prepend is added in front afterwards.
	Strip   int
	Prepend string
	// Class is the permission class a caller needs to use the route.
	Class Class
	// Via are the carriers in fallback order.
	Via []string
	// CallerID is the number (and name) the far end is shown for callers
	// without an outbound caller ID of their own; with OverrideCallerID,
	// for every caller.
	CallerID         CallerID
	OverrideCallerID bool
}

// Digits returns the number to send on the carrier for a dialled number.
func (r Route) Digits(number string) string {
	if r.Strip >= len(number) {
		return r.Prepend
	}
	return r.Prepend + number[r.Strip:]
}

// Errors of Router.Select. They are wrapped with the number and the reason.
var (
	// ErrNoRoute: no outbound route matches the number.
	ErrNoRoute = errors.New("no outbound route")
	// ErrForbidden: a route matches but the caller's class does not allow it.
	ErrForbidden = errors.New("not allowed for the caller's permission class")
)

// Router chooses outbound routes.
type Router struct {
	// Routes in precedence order: the first that matches a number is used.
	Routes []Route
	// EmergencyVia are the carriers for an emergency number no route
	// matches (all line groups and trunks, typically): an emergency call
	// must never fail for want of a route.
	EmergencyVia []string
	// CallerID rules by destination prefix.
	CallerID []CallerIDRule
}

// Outbound is the decision for one outside call.
type Outbound struct {
	Route Route
	// Digits to send (after strip and prepend).
	Digits string
	// Via are the carriers to try, in order.
	Via []string
	// Emergency is set for an emergency number (allowed whatever the class).
	Emergency bool
}

// Select picks the route for number dialled by a caller of class.
// isEmergency tells emergency numbers (nil: none). A number that is an
// emergency number, or becomes one once a matching route strips its access
// code (9112 on a route "9." stripping 1), is sent as that emergency number
// on the route's carriers and then on EmergencyVia, whatever the caller's
// class; one that no route matches still goes out on EmergencyVia. A number
// that only matches routes the caller may not use fails with ErrForbidden,
// one that matches none with ErrNoRoute.
func (r *Router) Select(number string, class Class, isEmergency func(string) bool) (Outbound, error) {
	if isEmergency == nil {
		isEmergency = func(string) bool { return false }
	}
	var forbidden *Route
	for i := range r.Routes {
		rt := r.Routes[i]
		if !rt.Pattern.Matches(number) {
			continue
		}
		em := ""
		if isEmergency(number) {
			em = number
		} else if stripped := (Route{Strip: rt.Strip}).Digits(number); isEmergency(stripped) {
			em = stripped
		}
		if em != "" {
			// Dial the emergency number itself, never a rewritten one.
			return Outbound{Route: rt, Digits: em, Via: slices.Concat(rt.Via, missing(r.EmergencyVia, rt.Via)), Emergency: true}, nil
		}
		if !class.Allows(rt.Class) {
			if forbidden == nil {
				forbidden = &rt
			}
			continue
		}
		return Outbound{Route: rt, Digits: rt.Digits(number), Via: rt.Via}, nil
	}
	if isEmergency(number) {
		if len(r.EmergencyVia) == 0 {
			return Outbound{}, fmt.Errorf("emergency number %s: %w (no carrier configured)", number, ErrNoRoute)
		}
		return Outbound{Route: Route{Name: "emergency"}, Digits: number, Via: slices.Clone(r.EmergencyVia), Emergency: true}, nil
	}
	if forbidden != nil {
		return Outbound{}, fmt.Errorf("%s: route %s needs class %s, caller has %s: %w", number, forbidden.Name, forbidden.Class, class, ErrForbidden)
	}
	return Outbound{}, fmt.Errorf("%s: %w", number, ErrNoRoute)
}

// missing returns the elements of all not in have, in order.
func missing(all, have []string) []string {
	var out []string
	for _, a := range all {
		if !slices.Contains(have, a) {
			out = append(out, a)
		}
	}
	return out
}

// CallerIDRule sets the caller ID sent with outside calls whose digits
// start with Prefix ("" matches every number).
type CallerIDRule struct {
	Prefix string
	// Number and Name replace the caller's (empty: keep).
	Number, Name string
	// Withhold sends the caller ID as private.
	Withhold bool
}

// CallerID is what the far end is shown.
type CallerID struct {
	Number, Name string
	Withheld     bool
}

// ApplyCallerID returns the caller ID for an outside call to digits: the
// rule with the longest matching prefix applies (the first one listed
// among equally long prefixes); with none, the caller's own.
func ApplyCallerID(rules []CallerIDRule, digits string, own CallerID) CallerID {
	best := -1
	for i, r := range rules {
		if strings.HasPrefix(digits, r.Prefix) && (best < 0 || len(r.Prefix) > len(rules[best].Prefix)) {
			best = i
		}
	}
	if best < 0 {
		return own
	}
	r := rules[best]
	out := own
	if r.Number != "" {
		out.Number = r.Number
	}
	if r.Name != "" {
		out.Name = r.Name
	}
	if r.Withhold {
		out.Withheld = true
	}
	return out
}
