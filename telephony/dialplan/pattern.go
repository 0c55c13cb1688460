package dialplan

import (
	"fmt"
	"strings"
)

// MaxPatternLen bounds a pattern (and a dialled number): E.164 allows 15
// digits; prefixes and access codes leave room up to 32.
const MaxPatternLen = 32

// charSet is a set of dialable characters: bits 0-9 for the digits, 10
// for '*', 11 for '#'.
type charSet uint16

const (
	setDigits charSet = 1<<10 - 1
	setAll    charSet = 1<<12 - 1
)

func charBit(c byte) (charSet, bool) {
	switch {
	case c >= '0' && c <= '9':
		return 1 << (c - '0'), true
	case c == '*':
		return 1 << 10, true
	case c == '#':
		return 1 << 11, true
	}
	return 0, false
}

// tail is what a pattern allows after its fixed positions.
type tail int

const (
	tailNone       tail = iota // exactly the fixed positions
	tailOneOrMore              // '.'
	tailZeroOrMore             // '!'
)

// Pattern is a parsed dial pattern (see the package documentation for the
// notation). The zero Pattern matches nothing.
type Pattern struct {
	src  string
	pos  []charSet
	tail tail
}

// PatternError is a pattern that does not parse, with the 0-based offset
// of the offending character.
type PatternError struct {
	Pattern string
	Offset  int
	Msg     string
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("pattern %q: at character %d: %s", e.Pattern, e.Offset+1, e.Msg)
}

// ParsePattern parses a dial pattern. A pattern of plain digits matches
// only that number.
func ParsePattern(s string) (Pattern, error) {
	bad := func(off int, format string, args ...any) (Pattern, error) {
		return Pattern{}, &PatternError{Pattern: s, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	body := strings.TrimPrefix(s, "_")
	start := len(s) - len(body)
	if body == "" {
		return bad(0, "is empty")
	}
	p := Pattern{src: s}
	for i := 0; i < len(body); i++ {
		c := body[i]
		off := start + i
		if p.tail != tailNone {
			return bad(off-1, "%q may only end a pattern", body[i-1])
		}
		switch c {
		case 'X', 'x':
			p.pos = append(p.pos, setDigits)
		case 'Z', 'z':
			p.pos = append(p.pos, setDigits&^1)
		case 'N', 'n':
			p.pos = append(p.pos, setDigits&^3)
		case '.':
			if len(p.pos) == 0 {
				return bad(off, "'.' needs at least one character before it (it would match every number)")
			}
			p.tail = tailOneOrMore
		case '!':
			if len(p.pos) == 0 {
				return bad(off, "'!' needs at least one character before it (it would match every number)")
			}
			p.tail = tailZeroOrMore
		case '[':
			end := strings.IndexByte(body[i:], ']')
			if end < 0 {
				return bad(off, "'[' without ']'")
			}
			set, err := parseSet(body[i+1 : i+end])
			if err != "" {
				return bad(off, "%s", err)
			}
			p.pos = append(p.pos, set)
			i += end
		default:
			b, ok := charBit(c)
			if !ok {
				return bad(off, "%q is not a digit, *, #, X, Z, N, [set], '.' or '!'", c)
			}
			p.pos = append(p.pos, b)
		}
		if len(p.pos) > MaxPatternLen {
			return bad(off, "longer than %d characters", MaxPatternLen)
		}
	}
	return p, nil
}

// parseSet parses the inside of [...]: digits and ascending digit ranges.
func parseSet(s string) (charSet, string) {
	if s == "" {
		return 0, "empty set []"
	}
	var set charSet
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Sprintf("%q in a set: only digits and ranges such as [1-5]", c)
		}
		if i+2 < len(s) && s[i+1] == '-' {
			hi := s[i+2]
			if hi < '0' || hi > '9' || hi < c {
				return 0, fmt.Sprintf("range %c-%c is not an ascending digit range", c, hi)
			}
			for d := c; d <= hi; d++ {
				set |= 1 << (d - '0')
			}
			i += 2
			continue
		}
		if i+1 < len(s) && s[i+1] == '-' {
			return 0, "range without an upper digit"
		}
		set |= 1 << (c - '0')
	}
	return set, ""
}

// MustParsePattern is ParsePattern for patterns written in code and tests.
func MustParsePattern(s string) Pattern {
	p, err := ParsePattern(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.src }

// IsZero reports whether p is the zero Pattern.
func (p Pattern) IsZero() bool { return len(p.pos) == 0 }

// IsLiteral reports whether p matches exactly one number.
func (p Pattern) IsLiteral() bool {
	if p.tail != tailNone || len(p.pos) == 0 {
		return false
	}
	for _, s := range p.pos {
		if s&(s-1) != 0 {
			return false
		}
	}
	return true
}

// MinLen and MaxLen bound the length of the numbers p matches; MaxLen is
// -1 when unbounded.
func (p Pattern) MinLen() int {
	if p.tail == tailOneOrMore {
		return len(p.pos) + 1
	}
	return len(p.pos)
}

// MaxLen is the longest number p matches, or -1 when there is no limit.
func (p Pattern) MaxLen() int {
	if p.tail != tailNone {
		return -1
	}
	return len(p.pos)
}

// at is the set allowed at position i (any character past the fixed part
// of an open pattern).
func (p Pattern) at(i int) charSet {
	if i < len(p.pos) {
		return p.pos[i]
	}
	return setAll
}

// Match says how number relates to p.
type Match int

const (
	// NoMatch: no number starting like this matches.
	NoMatch Match = iota
	// MatchPartial: the number does not match yet, but more characters could make it.
	MatchPartial
	// MatchOpen: the number matches, and longer ones would too (an open pattern).
	MatchOpen
	// MatchFull: the number matches, and no longer number would.
	MatchFull
)

func (m Match) String() string {
	return [...]string{"no match", "partial", "open", "full"}[m]
}

// Match tells whether number (dialable characters) matches p, could still
// match with more characters, or cannot.
func (p Pattern) Match(number string) Match {
	if len(p.pos) == 0 {
		return NoMatch
	}
	for i := 0; i < len(number); i++ {
		b, ok := charBit(number[i])
		if !ok || p.at(i)&b == 0 {
			return NoMatch
		}
		if p.tail == tailNone && i >= len(p.pos) {
			return NoMatch
		}
	}
	switch {
	case len(number) < p.MinLen():
		return MatchPartial
	case p.tail == tailNone:
		return MatchFull
	}
	return MatchOpen
}

// Matches reports whether number is matched (fully or open-endedly).
func (p Pattern) Matches(number string) bool {
	m := p.Match(number)
	return m == MatchFull || m == MatchOpen
}

// Overlaps reports whether some number is matched by both a and b.
func Overlaps(a, b Pattern) bool {
	if a.IsZero() || b.IsZero() {
		return false
	}
	lo := max(a.MinLen(), b.MinLen())
	if (a.MaxLen() >= 0 && lo > a.MaxLen()) || (b.MaxLen() >= 0 && lo > b.MaxLen()) {
		return false
	}
	// Positions past both fixed parts allow anything, so the shortest
	// common length decides.
	for i := 0; i < lo; i++ {
		if a.at(i)&b.at(i) == 0 {
			return false
		}
	}
	return true
}

// PrefixConflict reports whether a number matched by a is a proper prefix
// of a number matched by b: dialling would then complete on a before the
// caller could finish a number of b. It returns such a pair as an example.
func PrefixConflict(a, b Pattern) (short, long string, ok bool) {
	if a.IsZero() || b.IsZero() || a.MaxLen() < 0 {
		// An open pattern never completes on its own: the caller ends it
		// with '#' or the inter-digit timeout, so it shadows nothing.
		return "", "", false
	}
	n := a.MaxLen()
	for l := a.MinLen(); l <= n; l++ {
		// need b to match something longer than l whose first l chars fit a.
		if b.MaxLen() >= 0 && b.MaxLen() <= l {
			continue
		}
		var sb strings.Builder
		fits := true
		for i := 0; i < l; i++ {
			s := a.at(i) & b.at(i)
			if s == 0 {
				fits = false
				break
			}
			sb.WriteByte(example(s))
		}
		if !fits {
			continue
		}
		short = sb.String()
		for i := l; i < max(b.MinLen(), l+1); i++ {
			sb.WriteByte(example(b.at(i)))
		}
		return short, sb.String(), true
	}
	return "", "", false
}

// example returns the lowest character of a non-empty set.
func example(s charSet) byte {
	for i := 0; i < 12; i++ {
		if s&(1<<i) != 0 {
			switch i {
			case 10:
				return '*'
			case 11:
				return '#'
			}
			return byte('0' + i)
		}
	}
	return '?'
}

// Example returns the shortest number p matches (the lowest digit at each
// position), for messages.
func (p Pattern) Example() string {
	var b strings.Builder
	for i := 0; i < p.MinLen(); i++ {
		b.WriteByte(example(p.at(i)))
	}
	return b.String()
}

// IsDialString reports whether s is a non-empty string of dialable
// characters (0-9, *, #) no longer than MaxPatternLen.
func IsDialString(s string) bool {
	if s == "" || len(s) > MaxPatternLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := charBit(s[i]); !ok {
			return false
		}
	}
	return true
}
