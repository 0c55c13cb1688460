package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Schema history
//
//	v0  the prototype's format (never shipped; kept as the worked example
//	    that keeps this mechanism exercised): no "schema" key in the meta
//	    bucket, values stored as bare JSON without an envelope, and older
//	    field names: system.country, system.inter_digit_timeout_s (seconds),
//	    system.cdr_retention, extension.password, extension.fxs,
//	    extension.outside, fxo_line.rings, cdr.duration; admin records had
//	    no "algorithm" (always PBKDF2-SHA256).
//	v1  the first release: envelopes {"schema":1,"data":...}, model.go.
//	    Later v1 firmware added buckets created on their first write
//	    (dialplan, accounts, roles, api_tokens, audit): a file without
//	    them reads as empty ones (accounts.go: the admin account alone).
//	    A v2 step must re-encode their values too.
//
// To add v2: bump SchemaVersion in model.go, write the v1→v2 step below
// (a function per kind that changes, a document step if the shape of the
// JSON document changes), add a v1 fixture to the tests, and keep every
// older step: a box may jump several versions in one upgrade, and a backup
// from any older firmware must restore.

// valueStep migrates one value of a kind from version `from` to from+1,
// in its generic JSON form. Kinds without a step are unchanged.
type valueStep func(m map[string]any) error

// migration is one step of the schema history.
type migration struct {
	from   int
	values map[string]valueStep
}

// migrations lists every step, oldest first; index i migrates from i.
func migrations() []migration {
	return []migration{
		{from: 0, values: map[string]valueStep{
			"system": func(m map[string]any) error {
				if err := rename(m, "country", "tone_zone"); err != nil {
					return err
				}
				if err := rename(m, "cdr_retention", "call_record_retention"); err != nil {
					return err
				}
				if v, ok := m["inter_digit_timeout_s"]; ok {
					if _, dup := m["inter_digit_timeout_ms"]; dup {
						return fmt.Errorf("both inter_digit_timeout_s and inter_digit_timeout_ms")
					}
					n, ok := v.(json.Number)
					if !ok {
						return fmt.Errorf("inter_digit_timeout_s: not a number")
					}
					sec, err := strconv.ParseFloat(string(n), 64)
					if err != nil || sec < 0 || sec > 3600 {
						return fmt.Errorf("inter_digit_timeout_s: %q out of range", n)
					}
					delete(m, "inter_digit_timeout_s")
					m["inter_digit_timeout_ms"] = json.Number(strconv.Itoa(int(sec * 1000)))
				}
				return nil
			},
			"extension": func(m map[string]any) error {
				for _, r := range [][2]string{{"password", "secret"}, {"fxs", "fxs_port"}, {"outside", "outside_calls"}} {
					if err := rename(m, r[0], r[1]); err != nil {
						return err
					}
				}
				return nil
			},
			"fxo_line": func(m map[string]any) error { return rename(m, "rings", "answer_after_rings") },
			"cdr":      func(m map[string]any) error { return rename(m, "duration", "duration_s") },
			"admin": func(m map[string]any) error {
				if _, ok := m["algorithm"]; !ok {
					m["algorithm"] = kdfPBKDF2SHA256
				}
				return nil
			},
		}},
	}
}

// rename moves a field; both present is an error (which one is right?).
func rename(m map[string]any, from, to string) error {
	v, ok := m[from]
	if !ok {
		return nil
	}
	if _, dup := m[to]; dup {
		return fmt.Errorf("both %q and %q are present", from, to)
	}
	delete(m, from)
	m[to] = v
	return nil
}

// migrateValue brings one value of kind from version `from` to
// SchemaVersion.
func migrateValue(kind string, from int, data []byte) ([]byte, error) {
	if from < 0 || from > SchemaVersion {
		return nil, fmt.Errorf("%s: no migration from schema %d", kind, from)
	}
	if from == SchemaVersion {
		return data, nil
	}
	m, err := genericObject(data)
	if err != nil {
		return nil, fmt.Errorf("%s (schema %d): %w", kind, from, err)
	}
	steps := migrations()
	for v := from; v < SchemaVersion; v++ {
		if step := steps[v].values[kind]; step != nil {
			if err := step(m); err != nil {
				return nil, fmt.Errorf("%s: migrate schema %d to %d: %w", kind, v, v+1, err)
			}
		}
	}
	return json.Marshal(m)
}

// migrateDocument brings a configuration document (generic form) from
// version `from` to SchemaVersion, applying each kind's steps to the
// system object and to every element of "extensions" and "fxo_lines".
func migrateDocument(doc map[string]any, from int) error {
	steps := migrations()
	for v := from; v < SchemaVersion; v++ {
		st := steps[v]
		if sys, ok := doc["system"].(map[string]any); ok && st.values["system"] != nil {
			if err := st.values["system"](sys); err != nil {
				return fmt.Errorf("system: migrate version %d to %d: %w", v, v+1, err)
			}
		}
		for key, kind := range map[string]string{"extensions": "extension", "fxo_lines": "fxo_line"} {
			list, _ := doc[key].([]any)
			for i, el := range list {
				if m, ok := el.(map[string]any); ok && st.values[kind] != nil {
					if err := st.values[kind](m); err != nil {
						return fmt.Errorf("%s[%d]: migrate version %d to %d: %w", key, i, v, v+1, err)
					}
				}
			}
		}
		doc["version"] = json.Number(strconv.Itoa(v + 1))
	}
	return nil
}

// genericObject decodes a JSON object keeping numbers exact.
func genericObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the value")
	}
	return m, nil
}
