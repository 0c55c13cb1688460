package webui

import (
	"slices"
	"strings"
	"testing"
)

func TestParseNumberRange(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "201-204", want: []string{"201", "202", "203", "204"}},
		{in: " 201, 205;210-212 ", want: []string{"201", "205", "210", "211", "212"}},
		{in: "001-003", want: []string{"001", "002", "003"}},
		{in: "209-211", want: []string{"209", "210", "211"}},
		{in: "99", want: []string{"99"}},
		{in: "", want: nil},
		{in: "201-201", want: []string{"201"}},
		{in: "204-201", err: "goes down"},
		{in: "201-2010", err: "different lengths"},
		{in: "201-", err: "on each side"},
		{in: "-5", err: "on each side"},
		{in: "201-203-205", err: "not a number"},
		{in: "2a1", err: "not a number"},
		{in: "123456789", err: "too long"},
		{in: "201, 202, 201", err: "201 is listed twice"},
		{in: "201-205, 203", err: "203 is listed twice"},
		{in: "100-199", err: "At most 50"},
		{in: "10000000-99999999", err: "At most 50"},
	} {
		got, err := parseNumberRange(c.in, 50)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, %v; want an error saying %q", c.in, got, err, c.err)
			}
		case err != nil || !slices.Equal(got, c.want):
			t.Errorf("%q: %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestFormatNumberRange(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"201", "202", "203", "205", "099", "100", "300"}, "201-203, 205, 099-100, 300"},
		{[]string{"201"}, "201"},
		{nil, ""},
	} {
		if got := formatNumberRange(c.in); got != c.want {
			t.Errorf("%v: %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzParseNumberRange: whatever is typed, the parser answers without
// panicking, within its bound, with numbers only, none twice; its answer
// written back compactly reads the same.
func FuzzParseNumberRange(f *testing.F) {
	for _, s := range []string{"201-208", "201, 205;210-212", "001-010", "9-0", "12345678-12345699", "1-2-3", "",
		",,,", "201 -205", "0000000-9999999", "١٢٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const max = 100
		got, err := parseNumberRange(s, max)
		if err != nil {
			if got != nil || err.Error() == "" {
				t.Fatalf("%q: error %q with numbers %v", s, err, got)
			}
			return
		}
		if len(got) > max {
			t.Fatalf("%q: %d numbers, more than %d", s, len(got), max)
		}
		seen := map[string]bool{}
		for _, n := range got {
			if n == "" || len(n) > maxNumberLen || strings.Trim(n, "0123456789") != "" || seen[n] {
				t.Fatalf("%q: bad or repeated number %q in %v", s, n, got)
			}
			seen[n] = true
		}
		again, err := parseNumberRange(formatNumberRange(got), max)
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("%q: %v written as %q reads %v, %v", s, got, formatNumberRange(got), again, err)
		}
	})
}
