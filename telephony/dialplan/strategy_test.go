package dialplan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// ringOnce simulates one call through a group: members ring wave by wave;
// the first member in the order who is free answers. It returns who rang,
// in order, and who answered.
func ringOnce(d *Distributor, members []string, free func(string) bool, at time.Time) (rang []string, answered string) {
	for _, wave := range d.Waves(members) {
		rang = append(rang, strings.Join(wave, "+"))
		for _, m := range wave {
			if free(m) {
				d.Answered(m, at)
				return rang, m
			}
		}
	}
	return rang, ""
}

func TestStrategiesOverManyCalls(t *testing.T) {
	members := []string{"101", "102", "103"}
	everyone := func(string) bool { return true }
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		s Strategy
		// free decides who picks up on call i (nil: everyone free).
		free func(call int, m string) bool
		// want lists the ring order per call.
		want []string
	}{
		{s: RingAll, want: []string{"101+102+103", "101+102+103", "101+102+103"}},
		{s: Linear, want: []string{"101", "101", "101"}},
		{s: Linear, free: func(_ int, m string) bool { return m != "101" }, want: []string{"101,102", "101,102"}},
		// Round robin with memory: start after the last who answered.
		{s: RRMemory, want: []string{"101", "102", "103", "101", "102"}},
		// 102 busy on call 1: 103 answers, so call 2 starts at 101 again.
		{s: RRMemory, free: func(i int, m string) bool { return !(i == 1 && m == "102") }, want: []string{"101", "102,103", "101", "102"}},
		// Least recent: everyone once, then the longest idle.
		{s: LeastRecent, want: []string{"101", "102", "103", "101", "102", "103"}},
		// 101 always busy: it never answers so it stays least recent and rings first, in vain.
		{s: LeastRecent, free: func(_ int, m string) bool { return m != "101" }, want: []string{"101,102", "101,103", "101,102", "101,103"}},
		{s: FewestCalls, want: []string{"101", "102", "103", "101"}},
		{s: FewestCalls, free: func(i int, m string) bool { return !(i < 2 && m == "101") }, want: []string{"101,102", "101,103", "101", "101", "102"}},
	} {
		t.Run(string(tc.s), func(t *testing.T) {
			d := NewDistributor(tc.s, nil)
			for i, want := range tc.want {
				free := everyone
				if tc.free != nil {
					free = func(m string) bool { return tc.free(i, m) }
				}
				rang, _ := ringOnce(d, members, free, t0.Add(time.Duration(i)*time.Minute))
				if got := strings.Join(rang, ","); got != want {
					t.Fatalf("call %d rang %s, want %s", i, got, want)
				}
			}
		})
	}
}

func TestRandomStrategy(t *testing.T) {
	members := []string{"101", "102", "103", "104"}
	// Deterministic with a seeded source; every member first about equally
	// often, and every wave list a permutation.
	r := rand.New(rand.NewPCG(1, 2))
	d := NewDistributor(Random, r.IntN)
	first := map[string]int{}
	const calls = 4000
	for range calls {
		w := d.Waves(members)
		var flat []string
		for _, x := range w {
			if len(x) != 1 {
				t.Fatalf("wave %v", x)
			}
			flat = append(flat, x[0])
		}
		sorted := slices.Sorted(slices.Values(flat))
		if !slices.Equal(sorted, members) {
			t.Fatalf("not a permutation: %v", flat)
		}
		first[flat[0]]++
	}
	for _, m := range members {
		if n := first[m]; n < calls/4-150 || n > calls/4+150 {
			t.Errorf("member %s first %d times of %d, want about %d", m, n, calls, calls/4)
		}
	}
	// The same seed gives the same order.
	a := NewDistributor(Random, rand.New(rand.NewPCG(7, 7)).IntN).Waves(members)
	b := NewDistributor(Random, rand.New(rand.NewPCG(7, 7)).IntN).Waves(members)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different orders %v %v", a, b)
	}
	// The configured order is never modified.
	if !slices.Equal(members, []string{"101", "102", "103", "104"}) {
		t.Errorf("members modified: %v", members)
	}
}

func TestDistributorEdges(t *testing.T) {
	for _, s := range Strategies() {
		d := NewDistributor(s, rand.New(rand.NewPCG(1, 1)).IntN)
		if d.Waves(nil) != nil {
			t.Errorf("%s: waves of no members", s)
		}
		if got := d.Waves([]string{"101"}); len(got) != 1 || got[0][0] != "101" {
			t.Errorf("%s: one member: %v", s, got)
		}
		if p, err := ParseStrategy(string(s)); err != nil || p != s || d.Strategy() != s {
			t.Errorf("ParseStrategy(%s) = %v %v", s, p, err)
		}
	}
	if _, err := ParseStrategy("roundrobin"); err == nil {
		t.Error("ParseStrategy accepted an unknown strategy")
	}
	// rrmemory when the last answering member left the group: start at the top.
	d := NewDistributor(RRMemory, nil)
	d.Answered("999", time.Now())
	if got := d.Waves([]string{"101", "102"}); got[0][0] != "101" {
		t.Errorf("rrmemory after a removed member: %v", got)
	}
	if d.Calls("999") != 1 || d.Calls("101") != 0 {
		t.Error("Calls")
	}
}

func BenchmarkWavesLeastRecent(b *testing.B) {
	members := []string{"101", "102", "103", "104", "105", "106", "107", "108"}
	d := NewDistributor(LeastRecent, nil)
	for i := 0; b.Loop(); i++ {
		w := d.Waves(members)
		d.Answered(w[0][0], time.Unix(int64(i), 0))
	}
}
