package dialplan

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is what a number of the numbering plan stands for.
type Kind int

const (
	// KindExtension is an extension's own number.
	KindExtension Kind = iota + 1
	// KindShort is a virtual short number standing for another number
	// (an extension, a ring group...), e.g. 301 for 3109999.
	KindShort
	// KindFeature is a feature code (*72 forward, ...).
	KindFeature
	// KindEmergency is an emergency number: it always routes, whatever the
	// caller's permission class.
	KindEmergency
	// KindService is any other internal number: a ring group, a queue, a
	// voice menu, voicemail.
	KindService
	// KindRoute is an outbound route's pattern.
	KindRoute
)

func (k Kind) String() string {
	switch k {
	case KindExtension:
		return "extension"
	case KindShort:
		return "short number"
	case KindFeature:
		return "feature code"
	case KindEmergency:
		return "emergency number"
	case KindService:
		return "internal number"
	case KindRoute:
		return "outbound route"
	}
	return "number"
}

// Entry is one number or pattern of the numbering plan.
type Entry struct {
	Kind Kind
	// Pattern is the number (a literal pattern) or, for a route, the
	// route's pattern.
	Pattern Pattern
	// Target is what the entry leads to: the extension a short number
	// stands for, the feature's name, the route's name, the service's id.
	Target string
	// Owner names the entry for errors: "101" shows as "extension 101".
	Owner string
	// Label, when set, replaces "Kind Owner" in errors ("outside prefix 9").
	Label string
}

func (e Entry) label() string {
	if e.Label != "" {
		return e.Label
	}
	return e.Kind.String() + " " + e.Owner
}

// Number returns a literal entry's number (its pattern as written without
// a leading '_').
func (e Entry) Number() string { return strings.TrimPrefix(e.Pattern.String(), "_") }

// ConflictError is a numbering plan with two entries that cannot live
// together: the same number twice, or a number that is the beginning of
// another one (dialling would stop at the shorter).
type ConflictError struct {
	A, B Entry
	// Short and Long are example numbers showing the clash (equal for a
	// duplicate).
	Short, Long string
}

func (e *ConflictError) Error() string {
	if e.Short == e.Long {
		return fmt.Sprintf("%s and %s both match %s", e.A.label(), e.B.label(), e.Short)
	}
	return fmt.Sprintf("%s (%s) is the beginning of %s (%s): dialling would stop at %s",
		e.A.label(), e.Short, e.B.label(), e.Long, e.Short)
}

// Plan is a checked numbering plan. Build it with NewPlan.
type Plan struct {
	literals map[string]Entry
	routes   []Entry // in order of precedence
	// prefixes of literal numbers, for MatchPartial.
	prefixes map[string]bool
}

// NewPlan checks entries and builds the plan. Entries conflict when two
// literal numbers are equal, when one number is a proper prefix of another
// (the shorter would always win), or when a literal number matches an
// outbound route or begins one of its numbers. The only overlaps allowed
// are between outbound routes (the first listed wins, as in every PBX)
// and between an emergency number and an outbound route that matches it
// or numbers beginning with it: emergency numbers are looked up first and
// complete at once (911 must work even where 9 is the outside prefix, and
// no outside number begins with an emergency number). It reports every
// conflict.
func NewPlan(entries []Entry) (*Plan, []*ConflictError) {
	p := &Plan{literals: map[string]Entry{}, prefixes: map[string]bool{}}
	var errs []*ConflictError
	var lits []Entry
	for _, e := range entries {
		// Patterns (routes, and feature codes taking a number such as
		// *72X.) are matched in order; literal numbers by lookup.
		if e.Kind == KindRoute || !e.Pattern.IsLiteral() {
			p.routes = append(p.routes, e)
			continue
		}
		lits = append(lits, e)
	}
	// Deterministic error order: by number.
	sort.SliceStable(lits, func(i, j int) bool { return lits[i].Number() < lits[j].Number() })
	for i, a := range lits {
		for _, b := range lits[i+1:] {
			if a.Number() == b.Number() {
				errs = append(errs, &ConflictError{A: a, B: b, Short: a.Number(), Long: a.Number()})
				continue
			}
			if s, l, ok := PrefixConflict(a.Pattern, b.Pattern); ok {
				errs = append(errs, &ConflictError{A: a, B: b, Short: s, Long: l})
			} else if s, l, ok := PrefixConflict(b.Pattern, a.Pattern); ok {
				errs = append(errs, &ConflictError{A: b, B: a, Short: s, Long: l})
			}
		}
		for _, r := range p.routes {
			if Overlaps(a.Pattern, r.Pattern) {
				if a.Kind == KindEmergency {
					continue
				}
				errs = append(errs, &ConflictError{A: a, B: r, Short: a.Number(), Long: a.Number()})
				continue
			}
			if s, l, ok := PrefixConflict(a.Pattern, r.Pattern); ok {
				if a.Kind != KindEmergency {
					errs = append(errs, &ConflictError{A: a, B: r, Short: s, Long: l})
				}
			} else if s, l, ok := PrefixConflict(r.Pattern, a.Pattern); ok {
				errs = append(errs, &ConflictError{A: r, B: a, Short: s, Long: l})
			}
		}
	}
	// Codes that take digits after them (*72 and a number, an intercom
	// code and an extension) must not overlap one another: one dialled
	// string would do two things, or stop one short of the other.
	// Outbound routes may overlap (the first listed wins).
	for i, a := range p.routes {
		if a.Kind == KindRoute {
			continue
		}
		for _, b := range p.routes[i+1:] {
			if b.Kind == KindRoute {
				continue
			}
			if Overlaps(a.Pattern, b.Pattern) {
				errs = append(errs, &ConflictError{A: a, B: b, Short: a.Pattern.String(), Long: a.Pattern.String()})
			} else if s, l, ok := PrefixConflict(a.Pattern, b.Pattern); ok {
				errs = append(errs, &ConflictError{A: a, B: b, Short: s, Long: l})
			} else if s, l, ok := PrefixConflict(b.Pattern, a.Pattern); ok {
				errs = append(errs, &ConflictError{A: b, B: a, Short: s, Long: l})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, e := range lits {
		n := e.Number()
		p.literals[n] = e
		for i := 1; i < len(n); i++ {
			p.prefixes[n[:i]] = true
		}
	}
	return p, nil
}

// State is what the digits dialled so far mean.
type State int

const (
	// Incomplete: more digits are needed.
	Incomplete State = iota
	// Complete: the number is whole; route it now.
	Complete
	// OpenEnded: the number may be whole but more digits may follow (an
	// outbound route with '.' or '!'); route it at the inter-digit
	// timeout or on '#'.
	OpenEnded
	// Invalid: no number of the plan starts like this.
	Invalid
)

func (s State) String() string {
	return [...]string{"incomplete", "complete", "open-ended", "invalid"}[s]
}

// Lookup tells whether digits form a number of the plan and, when they do
// (Complete or OpenEnded), which entry. Literal numbers win over patterns;
// among patterns (routes, feature codes with a number) the first matching
// one wins.
func (p *Plan) Lookup(digits string) (State, Entry) {
	if digits == "" {
		return Incomplete, Entry{}
	}
	if e, ok := p.literals[digits]; ok {
		return Complete, e
	}
	partial := p.prefixes[digits]
	for _, r := range p.routes {
		switch r.Pattern.Match(digits) {
		case MatchFull:
			return Complete, r
		case MatchOpen:
			return OpenEnded, r
		case MatchPartial:
			partial = true
		}
	}
	if partial {
		return Incomplete, Entry{}
	}
	return Invalid, Entry{}
}

// Emergency reports whether number is one of the plan's emergency numbers.
func (p *Plan) Emergency(number string) bool {
	e, ok := p.literals[number]
	return ok && e.Kind == KindEmergency
}
