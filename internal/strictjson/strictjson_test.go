package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type ext struct {
	Number string   `json:"number"`
	Name   string   `json:"name"`
	Port   int      `json:"fxs_port"`
	Tags   []string `json:"tags"`
	Inner  struct {
		On bool `json:"on"`
	} `json:"inner"`
}

// TestDecodeCases is the table of what the standard decoder lets through
// and this reader refuses, each with the field and position it must name.
func TestDecodeCases(t *testing.T) {
	for _, c := range []struct {
		name, in  string
		field     string // "" = the error names no field
		line, col int
		msg       string
	}{
		{"null", `null`, "", 1, 1, "must be a JSON object, not null"},
		{"null with space", " \n null ", "", 2, 2, "not null"},
		{"array", `[]`, "", 1, 1, "not an array"},
		{"string", `"x"`, "", 1, 1, "not a string"},
		{"number", `42`, "", 1, 1, "not a number"},
		{"empty", ``, "", 1, 1, "empty"},
		{"blank", " \n", "", 1, 1, "empty"},
		{"duplicate key", `{"name":"a","name":"b"}`, "name", 1, 13, `duplicate key "name"`},
		{"duplicate nested key", "{\"inner\":{\"on\":true,\n \"on\":false}}", "inner.on", 2, 2, "duplicate key"},
		{"invalid UTF-8", "{\"name\":\"ab\xffc\"}", "name", 1, 9, "not valid UTF-8 (byte 0xFF)"},
		{"invalid UTF-8 in an array", "{\"tags\":[\"ok\",\"\xc3\"]}", "tags[1]", 1, 15, "not valid UTF-8"},
		{"invalid UTF-8 in a key", "{\"na\xe9me\":\"x\"}", "", 1, 2, "not valid UTF-8"},
		{"overlong UTF-8", "{\"name\":\"\xc0\xaf\"}", "name", 1, 9, "not valid UTF-8"},
		{"lone high surrogate", `{"name":"\ud800"}`, "name", 1, 9, `\uD800 is half`},
		{"lone low surrogate", `{"name":"x\udc00y"}`, "name", 1, 9, `\uDC00 is half`},
		{"high then non-surrogate", `{"name":"\ud800\u0041"}`, "name", 1, 9, "half"},
		{"trailing data", `{}{}`, "", 1, 3, "unexpected data after"},
		{"trailing data after space", "{} \n x", "", 2, 2, "unexpected data after"},
		{"malformed", `{"name":}`, "", 1, 9, "invalid character"},
		{"unexpected end", `{"name":"x"`, "", 1, 12, "unexpected end"},
		{"unknown field", `{"nmae":"x"}`, "", 1, 13, `unknown field "nmae"`},
		{"wrong type", `{"fxs_port":"1"}`, "fxs_port", 1, 16, "must be a whole number, not string"},
		{"wrong nested type", `{"inner":{"on":1}}`, "inner.on", 1, 17, "must be true or false"},
		{"too deep", `{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, "a" + strings.Repeat("[0]", MaxDepth-1), 1, 5 + MaxDepth, "nested more than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v ext
			err := Decode([]byte(c.in), &v)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode(%q) = %v, want an *Error", c.in, err)
			}
			if e.Field != c.field || e.Line != c.line || e.Column != c.col || !strings.Contains(e.Msg, c.msg) {
				t.Fatalf("Decode(%q) = field %q at %d:%d %q; want field %q at %d:%d containing %q",
					c.in, e.Field, e.Line, e.Column, e.Msg, c.field, c.line, c.col, c.msg)
			}
			if c.field != "" && !strings.Contains(e.Error(), `"`+c.field+`"`) {
				t.Fatalf("message %q does not name the field %q", e.Error(), c.field)
			}
		})
	}
}

// TestDecodeAccepts: what must keep working — escapes of every kind,
// paired surrogates, a literal and an escaped U+FFFD (a real character),
// null members (the field keeps its zero value), unicode names.
func TestDecodeAccepts(t *testing.T) {
	for in, want := range map[string]string{
		`{"name":"a\"b\\u0041\/"}`:      `a"b\u0041/`,
		`{"name":"\u00e9\ud83d\ude00"}`: "é😀",
		`{"name":"\ufffd�"}`:            "\ufffd\ufffd",
		`{"name":null,"number":"1"}`:    "",
		`{"name":"Zoë Ünal"}`:           "Zoë Ünal",
		` {"name":"x"} ` + "\n":         "x",
	} {
		var v ext
		if err := Decode([]byte(in), &v); err != nil {
			t.Errorf("Decode(%q): %v", in, err)
		} else if v.Name != want {
			t.Errorf("Decode(%q).Name = %q, want %q", in, v.Name, want)
		}
	}
}

// FuzzDecode: no input panics; whatever is accepted is valid JSON whose
// strings are valid UTF-8, and an *Error always has a message and a
// position inside the input.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"number":"101"}`, `null`, `{"a":1,"a":2}`, "{\"name\":\"\xff\"}", `{"name":"\ud800"}`,
		`{}{}`, `[1]`, `{"fxs_port":1e400}`, `{"inner":{"on":true}}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v ext
		err := Decode(data, &v)
		if err == nil {
			if !json.Valid(data) {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			for _, s := range append([]string{v.Name, v.Number}, v.Tags...) {
				if strings.ContainsRune(s, '\uFFFD') && !strings.Contains(strings.ToLower(string(data)), `\ufffd`) && !strings.Contains(string(data), "\uFFFD") {
					t.Fatalf("accepted %q, which decoded with a replacement character", data)
				}
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is not an *Error", err)
		}
		if e.Msg == "" || e.Line < 1 || e.Column < 1 || e.Offset < 0 || e.Offset > int64(len(data)) {
			t.Fatalf("bad error %+v for %q", e, data)
		}
	})
}
