package dialplan

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// A distributor restored from its saved state orders the members as the
// original would have, for every strategy with memory.
func TestDistributorStateRoundTrip(t *testing.T) {
	members := []string{"ext:201", "ext:202", "ext:203"}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, s := range []Strategy{RRMemory, LeastRecent, FewestCalls, Linear} {
		d := NewDistributor(s, nil)
		changes := 0
		d.OnChange(func() { changes++ })
		d.Answered("ext:202", t0)
		d.Answered("ext:201", t0.Add(time.Minute))
		d.Answered("ext:202", t0.Add(2*time.Minute))
		d.Answered("ext:gone", t0.Add(3*time.Minute))
		if changes != 4 {
			t.Errorf("%s: told of %d changes, want 4", s, changes)
		}
		raw, err := json.Marshal(d.State(members))
		if err != nil {
			t.Fatal(err)
		}
		var st DistributorState
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatal(err)
		}
		if _, ok := st.Calls["ext:gone"]; ok || st.LastAnswered != "" {
			t.Errorf("%s: a removed member is kept: %s", s, raw)
		}
		back, err := RestoreDistributor(st, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The round robin of a group whose last answerer was removed
		// starts over; bring both to the same point to compare.
		d.Answered("ext:202", t0.Add(4*time.Minute))
		back.Answered("ext:202", t0.Add(4*time.Minute))
		if a, b := d.Waves(members), back.Waves(members); !slices.EqualFunc(a, b, slices.Equal) {
			t.Errorf("%s: restored order %v, original %v", s, b, a)
		}
	}
}

func TestRestoreDistributorChecksState(t *testing.T) {
	for _, st := range []DistributorState{{Strategy: "roundrobin"}, {Strategy: FewestCalls, Calls: map[string]int{"ext:201": -1}}} {
		if _, err := RestoreDistributor(st, nil); err == nil {
			t.Errorf("%+v restored", st)
		}
	}
}
