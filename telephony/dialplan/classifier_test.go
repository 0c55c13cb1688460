package dialplan

import (
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	black := &Classifier{Name: "blacklist", Action: ActionReject, Numbers: []Pattern{MustParsePattern("84951234567"), MustParsePattern("8800.")}, Anonymous: true}
	vip := &Classifier{Name: "vip", Action: ActionRoute, Numbers: []Pattern{MustParsePattern("_89XXXXXXXXX")}}
	lists := []*Classifier{black, vip}
	for _, tc := range []struct {
		caller string
		want   string
	}{
		{"84951234567", "blacklist"},
		{"+7 (495) 123-45-67", ""}, // 74951234567: not the listed 8-form
		{"8 495 123-45-67", "blacklist"},
		{"88001002030", "blacklist"},
		{"8800", ""},      // '.' needs one more digit
		{"", "blacklist"}, // withheld, and the blacklist takes anonymous callers
		{"89161234567", "vip"},
		{"8916123456", ""},
		{"101", ""},
	} {
		c, ok := Classify(lists, tc.caller)
		got := ""
		if ok {
			got = c.Name
		}
		if got != tc.want {
			t.Errorf("Classify(%q) = %q, want %q", tc.caller, got, tc.want)
		}
	}
}

func TestForwarding(t *testing.T) {
	f := Forwarding{Busy: "102", NoAnswer: "103", Unavailable: "104"}
	for _, tc := range []struct {
		c    Condition
		want string
	}{{CondBusy, "102"}, {CondNoAnswer, "103"}, {CondUnavailable, "104"}, {CondNoRoute, "104"}} {
		if n, ok := f.Next(tc.c); !ok || n != tc.want {
			t.Errorf("Next(%v) = %q %v", tc.c, n, ok)
		}
	}
	if _, ok := (Forwarding{}).Next(CondBusy); ok {
		t.Error("empty forwarding forwards")
	}
	if f.Ring(30*time.Second) != DefaultNoAnswer {
		t.Errorf("Ring = %v, want the 20 s default", f.Ring(30*time.Second))
	}
	if (Forwarding{NoAnswer: "1", NoAnswerAfter: 5 * time.Second}).Ring(30*time.Second) != 5*time.Second {
		t.Error("Ring with a timeout")
	}
	if (Forwarding{}).Ring(30*time.Second) != 30*time.Second {
		t.Error("Ring without no-answer forwarding keeps the fallback")
	}
	for _, c := range []Condition{CondBusy, CondNoAnswer, CondUnavailable, CondNoRoute, 0} {
		if c.String() == "" {
			t.Error("empty condition name")
		}
	}
}

func TestFeatureCodes(t *testing.T) {
	var entries []Entry
	for _, f := range FeatureCodes() {
		entries = append(entries, Entry{Kind: KindFeature, Pattern: f.Pattern(), Owner: f.Code, Target: f.Code})
	}
	p, errs := NewPlan(entries)
	if errs != nil {
		t.Fatalf("the feature codes conflict: %v", errs)
	}
	for _, tc := range []struct {
		digits string
		state  State
		code   string
		arg    string
		kind   FeatureKind
		on     bool
	}{
		{"*72201", OpenEnded, "*72", "201", ForwardAlways, true},
		{"*73", Complete, "*73", "", ForwardAlways, false},
		{"*9089161234567", OpenEnded, "*90", "89161234567", ForwardBusy, true},
		{"*53", Complete, "*53", "", ForwardNoAnswer, false},
		{"*72", Incomplete, "", "", "", false},
	} {
		st, e := p.Lookup(tc.digits)
		if st != tc.state || e.Target != tc.code {
			t.Errorf("Lookup(%s) = %v %q", tc.digits, st, e.Target)
			continue
		}
		if tc.code == "" {
			continue
		}
		f, arg, ok := SplitFeature(tc.digits)
		if !ok || f.Code != tc.code || arg != tc.arg || f.Kind != tc.kind || f.Activate != tc.on {
			t.Errorf("SplitFeature(%s) = %+v %q %v", tc.digits, f, arg, ok)
		}
	}
	if _, _, ok := SplitFeature("101"); ok {
		t.Error("SplitFeature(101)")
	}
}
