package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzCheckToken: no string but a token made by CreateToken lets anyone
// in, and none makes the check panic.
func FuzzCheckToken(f *testing.F) {
	db, secret := userWithToken(f)
	for _, s := range []string{secret[:len(secret)-1] + "A", secret + "A", "mpx_" + strings.Repeat("-", 43), "", "mpx_\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, _, err := db.CheckToken(s)
		if s == secret {
			if err != nil || a.Login != "101" {
				t.Fatalf("the token itself: %v", err)
			}
			return
		}
		if !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("CheckToken(%q): %+v %v", s, a, err)
		}
	})
}

// FuzzDiffLines: any two JSON documents diff without panicking, in
// lines of bounded length that never show a hidden field's value.
func FuzzDiffLines(f *testing.F) {
	for _, p := range [][2]string{
		{`{"extensions":[{"number":"101","secret":"s1"}]}`, `{"extensions":[{"number":"101","secret":"s2"}]}`},
		{`{"a":[1,2]}`, `{"a":{"b":[{"name":"x"},{"name":"x"}]}}`},
		{`{"pin":"1234"}`, `{}`},
		{`[]`, `null`},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var va, vb any
		if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
			return
		}
		for _, l := range diffLines(va, vb, "x") {
			if len(l) > maxAuditLine+len("…") {
				t.Fatalf("line of %d bytes", len(l))
			}
			path, _, _ := strings.Cut(l, ": ")
			key := path[strings.LastIndexAny(path, ".]")+1:]
			if hidden(key) && !strings.HasSuffix(l, "(hidden)") {
				t.Fatalf("a hidden field's value shown: %q", l)
			}
		}
	})
}
