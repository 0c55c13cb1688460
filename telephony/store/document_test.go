package store

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestDecodeConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		// either a syntax position "line:col" or the field paths
		pos    string
		fields []string
		isErr  error
		text   string
	}{
		{name: "empty", doc: ``, pos: "1:1"},
		{name: "not object", doc: `[1,2]`, pos: "1:1"},
		{name: "bad syntax", doc: "{\n  \"version\": 1,\n  \"system\": {,}\n}", pos: "3:14"},
		{name: "unterminated", doc: `{"version": 1, "system": {`, text: "unexpected end"},
		{name: "trailing garbage", doc: `{"version":1,"system":{}} x`, pos: "1:27"},
		{name: "second document", doc: "{\"version\":1,\"system\":{}}\n{}", pos: "2:1"},
		{name: "duplicate key", doc: `{"version":1,"version":1}`, pos: "1:14", text: `duplicate key "version"`},
		{name: "duplicate nested", doc: `{"version":1,"system":{"name":"a","name":"b"}}`, text: `duplicate key "name"`},
		{name: "missing version", doc: `{"system":{}}`, fields: []string{"version"}},
		{name: "string version", doc: `{"version":"1","system":{}}`, fields: []string{"version"}},
		{name: "newer", doc: `{"version":2,"system":{}}`, isErr: ErrTooNew},
		{name: "negative", doc: `{"version":-1,"system":{}}`, fields: []string{"version"}},
		{name: "unknown top", doc: `{"version":1,"system":{},"colour":"red"}`, fields: []string{"colour"}},
		{name: "missing system", doc: `{"version":1}`, fields: []string{"system"}},
		{name: "system not object", doc: `{"version":1,"system":[]}`, fields: []string{"system"}},
		{name: "unknown system field", doc: `{"version":1,"system":{"nam":"x"}}`, fields: []string{"system.nam"}},
		{name: "wrong type", doc: `{"version":1,"system":{"extension_length":"3"}}`, fields: []string{"system.extension_length"}, text: "must be an integer, not string"},
		{name: "float for int", doc: `{"version":1,"system":{"extension_length":3.5}}`, fields: []string{"system.extension_length"}},
		{name: "extensions not array", doc: `{"version":1,"system":{},"extensions":{}}`, fields: []string{"extensions"}},
		{name: "extension wrong type", doc: `{"version":1,"system":{},"extensions":[{"number":"101"},{"number":102}]}`,
			fields: []string{"extensions[1].number"}, text: "must be a string, not number"},
		{name: "extension unknown", doc: `{"version":1,"system":{},"extensions":[{"number":"101","fxs":1}]}`, fields: []string{"extensions[0].fxs"}},
		{name: "extension not object", doc: `{"version":1,"system":{},"extensions":["101"]}`, fields: []string{"extensions[0]"}},
		{name: "bool type", doc: `{"version":1,"system":{},"fxo_lines":[{"port":1,"enabled":"yes"}]}`, fields: []string{"fxo_lines[0].enabled"}, text: "true or false"},
		{name: "deep", doc: `{"version":1,"system":{},"x":` + strings.Repeat("[", 100000), text: "nested more than"},
		{name: "several", doc: `{"version":1,"system":{"name":1},"extensions":[{"x":1}],"fxo_lines":[{"port":"1"}],"y":2}`,
			fields: []string{"y", "system.name", "extensions[0].x", "fxo_lines[0].port"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeConfig(strings.NewReader(tc.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.pos != "" {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("not a SyntaxError: %v", err)
				}
				if got := strings.Join([]string{itoa(se.Line), itoa(se.Column)}, ":"); got != tc.pos {
					t.Errorf("position %s, want %s (%v)", got, tc.pos, err)
				}
			}
			if tc.fields != nil {
				got := fieldsOf(t, err)
				// the top-level unknown-field check iterates a map
				if !sameSet(got, tc.fields) {
					t.Errorf("fields %v, want %v", got, tc.fields)
				}
			}
			if tc.isErr != nil && !errors.Is(err, tc.isErr) {
				t.Errorf("%v is not %v", err, tc.isErr)
			}
			if tc.text != "" && !strings.Contains(err.Error(), tc.text) {
				t.Errorf("%q does not say %q", err, tc.text)
			}
		})
	}
}

func TestDecodeConfigTooLarge(t *testing.T) {
	doc := `{"version":1,"system":{"name":"` + strings.Repeat("x", MaxDocumentSize) + `"}}`
	if _, err := DecodeConfig(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("%v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// Export → encode → decode → import on another box gives the same config.
func TestExportImportRoundTrip(t *testing.T) {
	a, _ := openTemp(t)
	if _, err := a.CreateExtension(Extension{Number: "150", Name: "Ünïcode näme", OutsideCalls: false}); err != nil {
		t.Fatal(err)
	}
	s := DefaultSystem()
	s.TimeZone = "Europe/Paris"
	s.ToneZone = "fr"
	if _, err := a.UpdateSystem(s); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpdateFXOLine(FXOLine{Port: 2, Name: "Fax line", AnswerAfterRings: 4, Destination: "150"}); err != nil {
		t.Fatal(err)
	}
	exported, err := a.ExportConfig()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncodeConfig(&buf, exported); err != nil {
		t.Fatal(err)
	}
	decoded, err := DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(decoded, exported) {
		t.Fatalf("decode(encode(x)) != x:\n%+v\n%+v", decoded, exported)
	}
	b, _ := openTemp(t)
	if err := b.ImportConfig(decoded); err != nil {
		t.Fatal(err)
	}
	got, _ := b.ExportConfig()
	if !reflect.DeepEqual(got, exported) {
		t.Fatalf("round trip differs:\n%+v\n%+v", got, exported)
	}
	// Export is stable: exporting twice gives the same bytes.
	var again bytes.Buffer
	EncodeConfig(&again, got)
	if again.String() != buf.String() {
		t.Error("export is not stable")
	}
}

// The example in config.md is a valid document and the documented
// defaults match DefaultSystem.
func TestConfigDocExample(t *testing.T) {
	md, err := os.ReadFile("config.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindSubmatch(md)
	if m == nil {
		t.Fatal("no JSON example in config.md")
	}
	c, err := DecodeConfig(bytes.NewReader(m[1]))
	if err != nil {
		t.Fatalf("the documented example does not decode: %v", err)
	}
	db, _ := openTemp(t)
	if err := db.ValidateConfig(c); err != nil {
		t.Fatalf("the documented example is invalid: %v", err)
	}
	if c.System != DefaultSystem() {
		t.Errorf("the example's system %+v is not the default %+v", c.System, DefaultSystem())
	}
	// Every JSON field of the model is documented.
	for _, f := range []string{"version", "name", "tone_zone", "time_zone", "extension_length", "outside_prefix",
		"inter_digit_timeout_ms", "no_answer_timeout_s", "call_record_retention", "number", "secret", "fxs_port",
		"outside_calls", "port", "enabled", "answer_after_rings", "destination"} {
		if !strings.Contains(string(md), "`"+f+"`") {
			t.Errorf("config.md does not document %q", f)
		}
	}
}
