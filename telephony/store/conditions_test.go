package store

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzConditionChains: for any graph of time conditions, conditions and
// announcements (announcements alone never in a loop, which is
// checkAnnouncements' business), checkConditions reports a loop or a long
// chain exactly when there is one: a cycle through a time condition or a
// condition, or a path of more than MaxConditionChain of them from one.
// The oracle is a plain three-colour search and a longest-path count,
// independent of the checker's walk.
func FuzzConditionChains(f *testing.F) {
	f.Add([]byte{2, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{1, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{4, 4, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		next := func() int {
			if len(b) == 0 {
				return 0
			}
			v := int(b[0])
			b = b[1:]
			return v
		}
		nt, nc, na := next()%5, next()%5, next()%3
		var nodes []string
		for i := range nt {
			nodes = append(nodes, fmt.Sprintf("time:t%d", i))
		}
		for i := range nc {
			nodes = append(nodes, fmt.Sprintf("cond:c%d", i))
		}
		for i := range na {
			nodes = append(nodes, fmt.Sprintf("announce:a%d", i))
		}
		// pick is a destination: one of the nodes, an extension, or none.
		pick := func() string {
			v := next() % (len(nodes) + 2)
			switch {
			case v == len(nodes):
				return ""
			case v == len(nodes)+1:
				return "ext:101"
			}
			return nodes[v]
		}
		var c Config
		edges := map[string][]string{}
		edge := func(from, to string) string {
			if strings.Contains(to, ":") && !strings.HasPrefix(to, "ext:") {
				edges[from] = append(edges[from], to)
			}
			return to
		}
		for i := range nt {
			n := fmt.Sprintf("time:t%d", i)
			open := pick()
			if open == "" {
				open = "ext:101"
			}
			c.TimeConditions = append(c.TimeConditions, TimeCondition{Name: fmt.Sprintf("t%d", i), Schedule: "s",
				Open: edge(n, open), Closed: edge(n, pick())})
		}
		for i := range nc {
			n := fmt.Sprintf("cond:c%d", i)
			c.Conditions = append(c.Conditions, Condition{Name: fmt.Sprintf("c%d", i), Destination: "ext:101",
				NoAnswer: edge(n, pick()), Busy: edge(n, pick()), NoRoute: edge(n, pick())})
		}
		for i := range na {
			n := fmt.Sprintf("announce:a%d", i)
			then := pick()
			// Announcements lead only to later announcements: no loop
			// among them alone.
			if strings.HasPrefix(then, "announce:") && then <= n {
				then = ""
			}
			c.Announcements = append(c.Announcements, Announcement{Name: fmt.Sprintf("a%d", i), Then: edge(n, then)})
		}
		var problems []string
		add := func(path, format string, args ...any) {
			problems = append(problems, path+": "+fmt.Sprintf(format, args...))
		}
		(&planCheck{c: &c, add: add}).conditionChains()

		// The oracle: a cycle through a time condition or condition, or a
		// path of more than MaxConditionChain nodes from one.
		colour := map[string]int{}
		cyclic := false
		var visit func(n string)
		visit = func(n string) {
			colour[n] = 1
			for _, m := range edges[n] {
				switch colour[m] {
				case 0:
					visit(m)
				case 1:
					cyclic = true // announcements alone make none: this one passes a time condition or condition
				}
			}
			colour[n] = 2
		}
		for _, n := range nodes {
			if colour[n] == 0 {
				visit(n)
			}
		}
		tooLong := false
		if !cyclic {
			longest := map[string]int{}
			var depth func(n string) int
			depth = func(n string) int {
				if d, ok := longest[n]; ok {
					return d
				}
				d := 1
				for _, m := range edges[n] {
					d = max(d, 1+depth(m))
				}
				longest[n] = d
				return d
			}
			for _, n := range nodes {
				if !strings.HasPrefix(n, "announce:") && depth(n) > MaxConditionChain {
					tooLong = true
				}
			}
		}
		if got, want := len(problems) > 0, cyclic || tooLong; got != want {
			t.Fatalf("problems %q; oracle: cyclic %v, too long %v; edges %v", problems, cyclic, tooLong, edges)
		}
	})
}
