package dialplan

import (
	"errors"
	"strings"
	"testing"
)

func lit(k Kind, n, owner string) Entry {
	return Entry{Kind: k, Pattern: MustParsePattern(n), Owner: owner, Target: owner}
}

func route(pat, name string) Entry {
	return Entry{Kind: KindRoute, Pattern: MustParsePattern(pat), Owner: name, Target: name}
}

func TestNewPlanConflicts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    []string // substrings of the errors, in order; none = valid
	}{
		{"office", []Entry{
			lit(KindExtension, "101", "101"), lit(KindExtension, "102", "102"),
			lit(KindShort, "301", "3109999"), lit(KindFeature, "*72", "forward"), lit(KindFeature, "*73", "unforward"),
			lit(KindEmergency, "112", "112"), route("8XXXXXXXXXX", "national"), route("810X.", "international"), route("0XX", "services"),
		}, nil},
		{"duplicate extension", []Entry{lit(KindExtension, "101", "101"), lit(KindExtension, "101", "101b")},
			[]string{"extension 101 and extension 101b both match 101"}},
		{"short number clashes with extension", []Entry{lit(KindExtension, "301", "301"), lit(KindShort, "301", "3109999")},
			[]string{"both match 301"}},
		{"feature code prefix of another", []Entry{lit(KindFeature, "*7", "a"), lit(KindFeature, "*72", "b")},
			[]string{"feature code a (*7) is the beginning of feature code b (*72)"}},
		{"extension inside a route", []Entry{lit(KindExtension, "801", "801"), route("8XXXXXXXXXX", "national")},
			[]string{"extension 801 (801) is the beginning of outbound route national (80100000000)"}},
		{"extension equal to a route", []Entry{lit(KindExtension, "012", "012"), route("0XX", "services")},
			[]string{"extension 012 and outbound route services both match 012"}},
		{"closed route shadows an extension", []Entry{lit(KindExtension, "1234", "1234"), route("1XX", "short")},
			[]string{"outbound route short (123) is the beginning of extension 1234 (1234)"}},
		{"emergency matched by a route is fine", []Entry{lit(KindEmergency, "112", "112"), route("1XX", "r")}, nil},
		{"emergency shadowing an open route is fine", []Entry{lit(KindEmergency, "911", "911"), route("9.", "r")}, nil},
		{"emergency equal to an extension", []Entry{lit(KindEmergency, "112", "112"), lit(KindExtension, "112", "112")},
			[]string{"both match 112"}},
		{"overlapping routes are ordered, not conflicts", []Entry{route("8XXXXXXXXXX", "a"), route("8.", "b")}, nil},
		{"every conflict reported", []Entry{lit(KindExtension, "10", "10"), lit(KindExtension, "101", "101"), lit(KindExtension, "101", "x")},
			[]string{"extension 10 (10) is the beginning of extension 101", "extension 10 (10) is the beginning of extension x", "both match 101"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, errs := NewPlan(tc.entries)
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d conflicts %v, want %d", len(errs), errs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("conflict %d = %q, want it to contain %q", i, errs[i], w)
				}
			}
			if (p == nil) != (len(tc.want) > 0) {
				t.Errorf("plan %v with %d conflicts", p, len(errs))
			}
		})
	}
}

func TestPlanLookup(t *testing.T) {
	p, errs := NewPlan([]Entry{
		lit(KindExtension, "101", "101"), lit(KindShort, "301", "3109999"), lit(KindFeature, "*72", "forward"),
		lit(KindEmergency, "112", "112"), lit(KindEmergency, "911", "911"), route("8XXXXXXXXXX", "national"), route("810X.", "international"),
		{Kind: KindFeature, Pattern: MustParsePattern("*73X."), Owner: "forward", Target: "forward"},
		route("0XX", "services"), route("9.", "legacy"), route("11X", "shadowed-emergency"),
	})
	if errs != nil {
		t.Fatal(errs)
	}
	for _, tc := range []struct {
		digits string
		state  State
		target string
		kind   Kind
	}{
		{"", Incomplete, "", 0},
		{"1", Incomplete, "", 0},
		{"10", Incomplete, "", 0},
		{"101", Complete, "101", KindExtension},
		{"113", Complete, "shadowed-emergency", KindRoute},
		{"102", Invalid, "", 0},
		{"112", Complete, "112", KindEmergency},
		{"301", Complete, "3109999", KindShort},
		{"30", Incomplete, "", 0},
		{"31", Invalid, "", 0},
		{"*", Incomplete, "", 0},
		{"*72", Complete, "forward", KindFeature},
		{"*8", Invalid, "", 0},
		{"*7", Incomplete, "", 0},
		{"*73", Incomplete, "", 0},
		{"*73201", OpenEnded, "forward", KindFeature},
		{"8", Incomplete, "", 0},
		{"8101", Incomplete, "", 0},
		{"84951234567", Complete, "national", KindRoute}, // first route wins
		{"81012", OpenEnded, "international", KindRoute},
		{"849512345678", Invalid, "", 0},
		{"810123456789", OpenEnded, "international", KindRoute},
		{"82", Incomplete, "", 0},
		{"822222222222", Invalid, "", 0},
		{"012", Complete, "services", KindRoute},
		{"9", Incomplete, "", 0},
		{"911", Complete, "911", KindEmergency}, // literal before the open route
		{"9123", OpenEnded, "legacy", KindRoute},
		{"#", Invalid, "", 0},
	} {
		st, e := p.Lookup(tc.digits)
		if st != tc.state || e.Target != tc.target || e.Kind != tc.kind {
			t.Errorf("Lookup(%q) = %v %v %q, want %v %v %q", tc.digits, st, e.Kind, e.Target, tc.state, tc.kind, tc.target)
		}
	}
	if !p.Emergency("112") || p.Emergency("101") || p.Emergency("1120") {
		t.Error("Emergency")
	}
}

var (
	national = Route{Name: "national", Pattern: MustParsePattern("8XXXXXXXXXX"), Strip: 1, Prepend: "+7", Class: ClassNational, Via: []string{"sip-provider", "lines"}}
	intl     = Route{Name: "international", Pattern: MustParsePattern("810X."), Strip: 3, Prepend: "00", Class: ClassInternational, Via: []string{"sip-provider"}}
	local    = Route{Name: "local", Pattern: MustParsePattern("9NXXXXXX"), Strip: 1, Class: ClassLocal, Via: []string{"lines"}}
	all      = Route{Name: "any", Pattern: MustParsePattern("9."), Strip: 1, Class: ClassInternational, Via: []string{"lines"}}
)

func TestRouterSelect(t *testing.T) {
	r := &Router{Routes: []Route{national, intl, local, all}, EmergencyVia: []string{"lines", "sip-provider"}}
	for _, tc := range []struct {
		number    string
		class     Class
		emergency bool
		route     string
		digits    string
		via       string
		err       error
	}{
		{"84951234567", ClassNational, false, "national", "+74951234567", "sip-provider,lines", nil},
		{"84951234567", ClassInternational, false, "national", "+74951234567", "sip-provider,lines", nil},
		{"84951234567", ClassLocal, false, "", "", "", ErrForbidden},
		{"810441234567", ClassNational, false, "", "", "", ErrForbidden},
		{"810441234567", ClassInternational, false, "international", "00441234567", "sip-provider", nil},
		{"810441234567", ClassInternal, false, "", "", "", ErrForbidden},
		{"92345678", ClassLocal, false, "local", "2345678", "lines", nil},
		// a local-class caller falls through the forbidden national pattern
		// but not into the catch-all, which needs international.
		{"912345", ClassLocal, false, "", "", "", ErrForbidden},
		{"912345", ClassInternational, false, "any", "12345", "lines", nil},
		{"7777", ClassInternational, false, "", "", "", ErrNoRoute},
		// emergency numbers: any class, sent unchanged, route carriers first then the rest
		{"112", ClassInternal, true, "emergency", "112", "lines,sip-provider", nil},
		{"9112", ClassInternal, true, "any", "112", "lines,sip-provider", nil},
		{"1120", ClassInternal, false, "", "", "", ErrNoRoute},
	} {
		out, err := r.Select(tc.number, tc.class, func(n string) bool { return n == "112" })
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Select(%s, %v) err = %v, want %v", tc.number, tc.class, err, tc.err)
			}
			continue
		}
		if err != nil || out.Route.Name != tc.route || out.Digits != tc.digits || strings.Join(out.Via, ",") != tc.via || out.Emergency != tc.emergency {
			t.Errorf("Select(%s, %v) = %+v, %v; want route %s digits %s via %s", tc.number, tc.class, out, err, tc.route, tc.digits, tc.via)
		}
	}
	// The route's own carrier list is never modified by emergency merging.
	if strings.Join(all.Via, ",") != "lines" {
		t.Errorf("route Via modified: %v", all.Via)
	}
	if out, err := r.Select("84951234567", ClassNational, nil); err != nil || out.Emergency {
		t.Errorf("nil isEmergency: %+v %v", out, err)
	}
	if _, err := (&Router{}).Select("112", ClassInternal, func(string) bool { return true }); !errors.Is(err, ErrNoRoute) {
		t.Errorf("emergency with no carrier: %v", err)
	}
}

func TestRouteDigits(t *testing.T) {
	for _, tc := range []struct {
		strip   int
		prepend string
		in, out string
	}{{0, "", "123", "123"}, {1, "", "9123", "123"}, {3, "00", "810441", "00441"}, {5, "x", "123", "x"}, {0, "+", "7", "+7"}} {
		if got := (Route{Strip: tc.strip, Prepend: tc.prepend}).Digits(tc.in); got != tc.out {
			t.Errorf("strip %d prepend %q of %q = %q, want %q", tc.strip, tc.prepend, tc.in, got, tc.out)
		}
	}
}

func TestClasses(t *testing.T) {
	for _, n := range ClassNames() {
		c, err := ParseClass(n)
		if err != nil || c.String() != n {
			t.Errorf("ParseClass(%q) = %v, %v", n, c, err)
		}
	}
	if _, err := ParseClass("world"); err == nil {
		t.Error("ParseClass accepted an unknown class")
	}
	if _, err := ParseClass(""); err == nil {
		t.Error("ParseClass accepted an empty class")
	}
	if !ClassInternational.Allows(ClassLocal) || ClassInternal.Allows(ClassLocal) || !ClassLocal.Allows(ClassLocal) {
		t.Error("Allows")
	}
	if Class(9).String() != "class(9)" {
		t.Error(Class(9).String())
	}
}

func TestApplyCallerID(t *testing.T) {
	rules := []CallerIDRule{
		{Prefix: "", Number: "4951112233", Name: "Office"},
		{Prefix: "8800", Withhold: true},
		{Prefix: "810", Number: "+74951112233"},
		{Prefix: "810", Number: "ignored (second of equal length)"},
	}
	own := CallerID{Number: "101", Name: "Alice"}
	for _, tc := range []struct {
		digits string
		want   CallerID
	}{
		{"84951234567", CallerID{Number: "4951112233", Name: "Office"}},
		{"88001234567", CallerID{Number: "101", Name: "Alice", Withheld: true}},
		{"81044123", CallerID{Number: "+74951112233", Name: "Alice"}},
	} {
		if got := ApplyCallerID(rules, tc.digits, own); got != tc.want {
			t.Errorf("ApplyCallerID(%s) = %+v, want %+v", tc.digits, got, tc.want)
		}
	}
	if got := ApplyCallerID(nil, "1", own); got != own {
		t.Errorf("no rules: %+v", got)
	}
}

// Codes that take digits after them may not overlap, nor be the
// beginning of one another: *6 and an extension against *67 and a
// number, *8 against *80 and an extension.
func TestFeaturePatternsConflict(t *testing.T) {
	for _, tc := range []struct{ a, b string }{{"*6XXX", "*67X."}, {"*8", "*80XXX"}, {"*72X.", "*72X."}} {
		_, errs := NewPlan([]Entry{
			{Kind: KindFeature, Pattern: MustParsePattern(tc.a), Owner: "a"},
			{Kind: KindFeature, Pattern: MustParsePattern(tc.b), Owner: "b"},
		})
		if errs == nil {
			t.Errorf("%s and %s accepted together", tc.a, tc.b)
		}
	}
	// Routes may overlap one another and feature codes that do not clash
	// live together.
	if _, errs := NewPlan([]Entry{
		{Kind: KindFeature, Pattern: MustParsePattern("*4XXX"), Owner: "intercom"},
		{Kind: KindFeature, Pattern: MustParsePattern("*67X."), Owner: "withhold"},
		{Kind: KindRoute, Pattern: MustParsePattern("8X."), Owner: "r1"},
		{Kind: KindRoute, Pattern: MustParsePattern("81X."), Owner: "r2"},
	}); errs != nil {
		t.Errorf("refused: %v", errs)
	}
}
