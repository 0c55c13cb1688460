package store

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// checkText reports every string of c that is not valid UTF-8, by its
// JSON path. The strict JSON reader refuses such strings in documents and
// API bodies, but a web form or a Go caller can still hand one over, and
// the JSON encoding of a stored value would silently turn its bytes into
// U+FFFD: a change is refused instead, naming the field.
func checkText(c *Config, add func(entity, path, field, format string, args ...any)) {
	walkStrings(reflect.ValueOf(c).Elem(), "", func(path, s string) {
		if utf8.ValidString(s) {
			return
		}
		entity, prefix, field := textEntity(c, path)
		add(entity, prefix, field, "must be valid UTF-8 text")
	})
}

// walkStrings calls fn with every string reachable from v, and its path
// in JSON names ("ring_groups[2].members[0].destination", "keys.1").
func walkStrings(v reflect.Value, path string, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		fn(path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, fn)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			key := fmt.Sprint(it.Key().Interface())
			if it.Key().Kind() == reflect.String && !utf8.ValidString(key) {
				fn(path, key)
				continue
			}
			walkStrings(it.Value(), join(path, key), fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			walkStrings(v.Field(i), join(path, name), fn)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// textEntity says which entity a path of a whole Config belongs to, as
// the other rules name them (so that a change to one extension is blamed
// for its own fields only), with the path split into the entity's prefix
// and the field within it.
func textEntity(c *Config, path string) (entity, prefix, field string) {
	var i int
	switch {
	case strings.HasPrefix(path, "system."):
		return "system", "system.", strings.TrimPrefix(path, "system.")
	case scanIndex(path, "extensions[%d].", &i) && i < len(c.Extensions):
		prefix = fmt.Sprintf("extensions[%d].", i)
		return "ext:" + c.Extensions[i].Number, prefix, strings.TrimPrefix(path, prefix)
	case scanIndex(path, "fxo_lines[%d].", &i) && i < len(c.FXOLines):
		prefix = fmt.Sprintf("fxo_lines[%d].", i)
		return fmt.Sprintf("fxo:%d", c.FXOLines[i].Port), prefix, strings.TrimPrefix(path, prefix)
	}
	return entityDialPlan, "", path
}

func scanIndex(path, format string, i *int) bool {
	n, err := fmt.Sscanf(path, format, i)
	return err == nil && n == 1
}
