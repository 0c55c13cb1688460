package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// The audit log's diff: two JSON values (as maps, slices and scalars)
// flattened to paths and compared, one line per value that differs:
//
//	extensions[201].name: "Bob" → "Robert"
//	extension_rules[202].forward_always: (none) → "number:95551234"
//	extensions[203].secret: changed (hidden)
//
// A list of objects is keyed by what names its elements (number,
// extension, port, name, login, destination: the first that every
// element has, once each), so that adding an extension reads as that
// extension's values and not as every later index shifting; a list of
// plain values is one value. Secrets, passwords and PINs never appear:
// their lines say only that they changed.

// identityKeys name a list's elements, in order of preference.
var identityKeys = [...]string{"number", "extension", "port", "name", "login", "destination"}

// hiddenKeys are the fields whose values the log must not hold.
func hidden(key string) bool {
	switch key {
	case "secret", "password", "pin":
		return true
	}
	return false
}

// diffLines compares before and after (either may be nil: absent) under
// the path prefix.
func diffLines(before, after any, prefix string) []string {
	b, a := map[string]any{}, map[string]any{}
	flatten(before, prefix, b)
	flatten(after, prefix, a)
	var out []string
	for _, p := range sortedKeys(b, a) {
		ov, inB := b[p]
		nv, inA := a[p]
		if inB && inA && leafEqual(ov, nv) {
			continue
		}
		key := p[strings.LastIndexAny(p, ".]")+1:]
		var line string
		switch {
		case hidden(key) && !inA:
			line = p + ": removed (hidden)"
		case hidden(key) && !inB:
			line = p + ": set (hidden)"
		case hidden(key):
			line = p + ": changed (hidden)"
		default:
			line = p + ": " + leafText(ov, inB) + " → " + leafText(nv, inA)
		}
		out = append(out, clip(line))
	}
	return out
}

// flatten adds v's leaves to out by path. Empty objects and lists add
// nothing (an empty section reads as absent).
func flatten(v any, path string, out map[string]any) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if hidden(k) {
				out[p] = e // whole: its parts must not show either
				continue
			}
			flatten(e, p, out)
		}
	case []any:
		if len(x) == 0 {
			return
		}
		objects := true
		for _, e := range x {
			if _, ok := e.(map[string]any); !ok {
				objects = false
			}
		}
		if !objects {
			out[path] = x
			return
		}
		key := listIdentity(x)
		for i, e := range x {
			if key == "" {
				flatten(e, fmt.Sprintf("%s[%d]", path, i), out)
				continue
			}
			// The key is in the path: its own line would say it again.
			m := maps.Clone(e.(map[string]any))
			id := fmt.Sprint(m[key])
			delete(m, key)
			flatten(m, path+"["+id+"]", out)
		}
	default:
		out[path] = x
	}
}

// listIdentity is the field that names every element of a list of
// objects once ("" none: the elements go by index).
func listIdentity(list []any) string {
	for _, k := range identityKeys {
		seen := map[string]bool{}
		ok := true
		for _, e := range list {
			v, has := e.(map[string]any)[k]
			s := fmt.Sprint(v)
			if !has || seen[s] || strings.ContainsAny(s, "[]") {
				ok = false
				break
			}
			seen[s] = true
		}
		if ok {
			return k
		}
	}
	return ""
}

func leafEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// leafText is a value as the diff shows it: JSON, "(none)" when absent.
func leafText(v any, present bool) string {
	if !present {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// clip bounds a line, cutting at a rune boundary.
func clip(s string) string {
	if len(s) <= maxAuditLine {
		return s
	}
	cut := maxAuditLine
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sortedKeys is the union of the maps' keys, sorted.
func sortedKeys[V any](ms ...map[string]V) []string {
	set := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
