package dialplan

import (
	"fmt"
	"testing"
)

// BenchmarkPlanLookup: one digit of a caller's dialling against an office
// plan of 200 extensions, short numbers, emergency numbers and routes.
func BenchmarkPlanLookup(b *testing.B) {
	var entries []Entry
	for i := range 200 {
		n := fmt.Sprintf("%d", 200+i)
		entries = append(entries, Entry{Kind: KindExtension, Pattern: MustParsePattern(n), Owner: n})
	}
	for _, n := range []string{"112", "911"} {
		entries = append(entries, Entry{Kind: KindEmergency, Pattern: MustParsePattern(n), Owner: n})
	}
	for _, r := range []string{"810X.", "8XXXXXXXXXX", "0XX", "9NXXXXXX"} {
		entries = append(entries, Entry{Kind: KindRoute, Pattern: MustParsePattern(r), Owner: r})
	}
	p, errs := NewPlan(entries)
	if errs != nil {
		b.Fatal(errs)
	}
	numbers := []string{"3", "39", "399", "8495", "84951234567", "810441234567"}
	for i := 0; b.Loop(); i++ {
		p.Lookup(numbers[i%len(numbers)])
	}
}

func BenchmarkPatternMatch(b *testing.B) {
	p := MustParsePattern("_8[1-9]XXXXXXXXX")
	for b.Loop() {
		p.Match("84951234567")
	}
}
