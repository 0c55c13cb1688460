package dialplan

// Action is what a caller list does to the calls it matches.
type Action string

const (
	// ActionReject refuses the call (a blacklist).
	ActionReject Action = "reject"
	// ActionRoute sends the call to the list's own destination (a VIP
	// list going straight to the boss, say).
	ActionRoute Action = "route"
	// ActionFirst keeps the route's destination but puts the call first
	// in a queue (a VIP list going ahead of the others).
	ActionFirst Action = "first"
)

// Classifier is a named list of caller numbers.
type Classifier struct {
	Name   string
	Action Action
	// Numbers are literal numbers or patterns ("_8495XXXXXXX", "8800.").
	Numbers []Pattern
	// Anonymous also matches callers whose number is withheld or absent.
	Anonymous bool
}

// Match reports whether a caller number (empty when withheld) is on the
// list.
func (c *Classifier) Match(caller string) bool {
	if caller == "" {
		return c.Anonymous
	}
	for _, p := range c.Numbers {
		if p.Matches(caller) {
			return true
		}
	}
	return false
}

// Classify returns the first classifier of lists that matches caller, if
// any. A caller number is reduced to its dialable characters first, so
// that "+7 (495) 123" matches "7495123".
func Classify(lists []*Classifier, caller string) (*Classifier, bool) {
	number := dialable(caller)
	for _, c := range lists {
		if c.Match(number) {
			return c, true
		}
	}
	return nil, false
}

// dialable keeps the digits, '*' and '#' of s.
func dialable(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if _, ok := charBit(s[i]); ok {
			b = append(b, s[i])
		}
	}
	return string(b)
}
