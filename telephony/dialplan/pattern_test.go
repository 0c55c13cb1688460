package dialplan

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePatternErrors(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "is empty"},
		{"_", "is empty"},
		{".", "needs at least one character"},
		{"!", "needs at least one character"},
		{"9.1", "may only end a pattern"},
		{"9!.", "may only end a pattern"},
		{"8[1-", "without ']'"},
		{"8[]", "empty set"},
		{"8[5-1]", "not an ascending digit range"},
		{"8[1-]", "range without an upper digit"},
		{"8[a]", "only digits and ranges"},
		{"8Y", "is not a digit"},
		{"+7X", "is not a digit"},
		{strings.Repeat("X", MaxPatternLen+1), "longer than"},
	} {
		_, err := ParsePattern(tc.in)
		var pe *PatternError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParsePattern(%q) = %v, want a PatternError containing %q", tc.in, err, tc.want)
		}
	}
}

func TestPatternMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, num string
		want     Match
	}{
		{"8XXXXXXXXXX", "84951234567", MatchFull},
		{"8XXXXXXXXXX", "8495", MatchPartial},
		{"8XXXXXXXXXX", "849512345678", NoMatch},
		{"8XXXXXXXXXX", "74951234567", NoMatch},
		{"8XXXXXXXXXX", "", MatchPartial},
		{"810X.", "810", MatchPartial},
		{"810X", "8101", MatchFull},
		{"810X.", "8101", MatchPartial},
		{"810X.", "81012", MatchOpen},
		{"810X.", "810123456789012", MatchOpen},
		{"810X.", "820", NoMatch},
		{"810X!", "8101", MatchOpen},
		{"0XX", "03", MatchPartial},
		{"0XX", "012", MatchFull},
		{"0XX", "0123", NoMatch},
		{"_NXXXXXX", "2345678", MatchFull},
		{"_NXXXXXX", "1345678", NoMatch},
		{"ZXX", "012", NoMatch},
		{"ZXX", "112", MatchFull},
		{"[1-5]X", "59", MatchFull},
		{"[1-5]X", "69", NoMatch},
		{"[13-5]X", "29", NoMatch},
		{"[13-5]X", "49", MatchFull},
		{"*7X", "*72", MatchFull},
		{"*7X", "#72", NoMatch},
		{"9.", "9", MatchPartial},
		{"9.", "9*1#", MatchOpen},
		{"xzn", "912", MatchFull},
		{"112", "112", MatchFull},
		{"112", "11a", NoMatch},
	} {
		p := MustParsePattern(tc.pat)
		if got := p.Match(tc.num); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.pat, tc.num, got, tc.want)
		}
	}
}

func TestPatternProperties(t *testing.T) {
	for _, tc := range []struct {
		pat      string
		literal  bool
		min, max int
		example  string
	}{
		{"101", true, 3, 3, "101"},
		{"_101", true, 3, 3, "101"},
		{"1[1]1", true, 3, 3, "111"},
		{"1X1", false, 3, 3, "101"},
		{"9.", false, 2, -1, "90"},
		{"9!", false, 1, -1, "9"},
		{"N[5-7]Z", false, 3, 3, "251"},
	} {
		p := MustParsePattern(tc.pat)
		if p.IsLiteral() != tc.literal || p.MinLen() != tc.min || p.MaxLen() != tc.max || p.Example() != tc.example {
			t.Errorf("%q: literal %v min %d max %d example %q; want %v %d %d %q", tc.pat,
				p.IsLiteral(), p.MinLen(), p.MaxLen(), p.Example(), tc.literal, tc.min, tc.max, tc.example)
		}
		if p.String() != tc.pat {
			t.Errorf("String() = %q, want %q", p.String(), tc.pat)
		}
		if !p.Matches(p.Example()) {
			t.Errorf("%q does not match its own example %q", tc.pat, p.Example())
		}
	}
	var zero Pattern
	if zero.Matches("") || zero.Match("1") != NoMatch || !zero.IsZero() {
		t.Error("the zero Pattern must match nothing")
	}
}

func TestOverlaps(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"8XXXXXXXXXX", "810X.", true},
		{"8XXXXXXXXXX", "0XX", false},
		{"0XX", "0X.", true},
		{"0XX", "0X", false},
		{"0X.", "0X", false},
		{"0X!", "0X", true},
		{"NXX", "1XX", false},
		{"[1-3]X", "[3-5]X", true},
		{"[1-2]X", "[3-5]X", false},
		{"9.", "9*", true},
		{"101", "101", true},
		{"101", "102", false},
	} {
		a, b := MustParsePattern(tc.a), MustParsePattern(tc.b)
		if got := Overlaps(a, b); got != tc.want {
			t.Errorf("Overlaps(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := Overlaps(b, a); got != tc.want {
			t.Errorf("Overlaps(%q, %q) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestPrefixConflict(t *testing.T) {
	for _, tc := range []struct {
		a, b        string
		short, long string
		want        bool
	}{
		{"10", "101", "10", "101", true},
		{"101", "10", "", "", false},
		{"101", "101", "", "", false},
		{"95", "9.", "95", "950", true},
		{"9.", "95", "", "", false}, // an open pattern completes only on timeout or '#'
		{"8XX", "810X.", "810", "81000", true},
		{"112", "11X", "", "", false},
		{"112", "11X.", "112", "1120", true},
		{"2XX", "3XXX", "", "", false},
		{"*7", "*72", "*7", "*72", true},
	} {
		s, l, ok := PrefixConflict(MustParsePattern(tc.a), MustParsePattern(tc.b))
		if ok != tc.want || s != tc.short || l != tc.long {
			t.Errorf("PrefixConflict(%q, %q) = %q, %q, %v; want %q, %q, %v", tc.a, tc.b, s, l, ok, tc.short, tc.long, tc.want)
		}
		if ok && (!MustParsePattern(tc.a).Matches(s) || !MustParsePattern(tc.b).Matches(l) || !strings.HasPrefix(l, s)) {
			t.Errorf("PrefixConflict(%q, %q): examples %q, %q do not show the conflict", tc.a, tc.b, s, l)
		}
	}
}

func TestIsDialString(t *testing.T) {
	for s, want := range map[string]bool{"": false, "123": true, "*72#": true, "12a": false, "+7": false, strings.Repeat("1", 33): false} {
		if IsDialString(s) != want {
			t.Errorf("IsDialString(%q) = %v", s, !want)
		}
	}
}

// FuzzParsePattern: no panic; whatever parses matches its own example and
// is consistent between Match, Overlaps and PrefixConflict.
func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"8XXXXXXXXXX", "810X.", "0XX", "_N[1-5]Z!", "9.", "[13-5]", "*72", "8[1-", ".", "9.1"} {
		f.Add(s, "81012345")
	}
	f.Fuzz(func(t *testing.T, s, num string) {
		p, err := ParsePattern(s)
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		ex := p.Example()
		if !p.Matches(ex) {
			t.Fatalf("%q does not match its example %q", s, ex)
		}
		if !Overlaps(p, p) {
			t.Fatalf("%q does not overlap itself", s)
		}
		m := p.Match(num)
		if m != NoMatch && !IsDialString(num) && num != "" && len(num) <= MaxPatternLen {
			t.Fatalf("%q matches non-dialable %q", s, num)
		}
		if q, err := ParsePattern(num); err == nil && q.IsLiteral() {
			if Overlaps(p, q) != p.Matches(q.Example()) {
				t.Fatalf("Overlaps(%q, %q) disagrees with Match", s, num)
			}
		}
	})
}
