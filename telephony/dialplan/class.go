package dialplan

import "fmt"

// Class is a permission class: how far an extension may call. Each class
// includes the ones below it. Emergency numbers are always allowed.
type Class int

const (
	// ClassInternal: extensions and internal numbers only.
	ClassInternal Class = iota + 1
	// ClassLocal: also local outside numbers.
	ClassLocal
	// ClassNational: also long-distance numbers in the country (and mobiles).
	ClassNational
	// ClassInternational: every number.
	ClassInternational
)

var classNames = [...]string{"", "internal", "local", "national", "international"}

func (c Class) String() string {
	if c < ClassInternal || c > ClassInternational {
		return fmt.Sprintf("class(%d)", int(c))
	}
	return classNames[c]
}

// ParseClass parses a class name ("internal", "local", "national",
// "international").
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if i > 0 && n == s {
			return Class(i), nil
		}
	}
	return 0, fmt.Errorf("unknown permission class %q (internal, local, national or international)", s)
}

// ClassNames lists the class names from the narrowest.
func ClassNames() []string { return append([]string(nil), classNames[1:]...) }

// Allows reports whether a caller of class c may use something that
// requires class need.
func (c Class) Allows(need Class) bool { return c >= need }
