package telephony

import (
	"slices"
	"testing"

	"minipbx/telephony/store"
)

// TestCompileStepsCoverTheSections: the plan compiler's table has one
// step per section of the store's table, in the same order, so that a
// section added to the store cannot be forgotten by the compiler (or the
// other way round).
func TestCompileStepsCoverTheSections(t *testing.T) {
	var got []string
	for _, st := range compileSteps {
		got = append(got, st.section)
	}
	if want := store.DialPlanSections(); !slices.Equal(got, want) {
		t.Errorf("compile steps %v, store sections %v", got, want)
	}
}

// TestFallbackPlanKeepsOnlyKeptSections: a dial plan that does not
// compile is dropped except for the sections marked keep, and the box
// still routes its extensions.
func TestFallbackPlanKeepsOnlyKeptSections(t *testing.T) {
	cfg := store.Config{System: store.System{ExtensionLength: 3, OutsidePrefix: "9", TimeZone: "UTC"},
		Extensions: []store.Extension{{Number: "101"}, {Number: "102"}},
		LineGroups: []store.LineGroup{{Name: "city", Lines: []int{1}, Hunt: store.HuntAscending}},
		RingGroups: []store.RingGroup{{Name: "sales", Strategy: "ringall", Members: []store.GroupMember{{Destination: "ext:101"}}}},
		// Hand-edited nonsense the store would refuse.
		Menus: []store.Menu{{Name: "main", Keys: map[string]string{"1": "bogus"}}},
	}
	p, err := compilePlan(&cfg)
	if err == nil || p == nil {
		t.Fatalf("compilePlan = %v, %v; want a fallback plan and an error", p, err)
	}
	if _, ok := p.lineGroups["city"]; !ok {
		t.Error("the fallback plan dropped the line groups (kept)")
	}
	if len(p.ringGroups) != 0 || len(p.menus) != 0 {
		t.Error("the fallback plan kept ring groups or menus")
	}
	if p.classify("101") != dialComplete {
		t.Error("the fallback plan does not route extension 101")
	}
}
