package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fieldsOf returns the field paths of a ValidationError (nil if none).
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	v, ok := AsValidationError(err)
	if !ok {
		t.Fatalf("not a ValidationError: %v", err)
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestValidateSystem(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(s *System)
		field string // "" = accepted
	}{
		{"defaults", func(s *System) {}, ""},
		{"name empty", func(s *System) { s.Name = "" }, "name"},
		{"name 64", func(s *System) { s.Name = strings.Repeat("é", 64) }, ""},
		{"name 65", func(s *System) { s.Name = strings.Repeat("a", 65) }, "name"},
		{"name control", func(s *System) { s.Name = "a\x07b" }, "name"},
		{"name quote", func(s *System) { s.Name = `my "pbx"` }, "name"},
		{"name spaces around", func(s *System) { s.Name = " pbx" }, "name"},
		{"zone known", func(s *System) { s.ToneZone = "de" }, ""},
		{"zone unknown", func(s *System) { s.ToneZone = "zz" }, "tone_zone"},
		{"zone empty", func(s *System) { s.ToneZone = "" }, "tone_zone"},
		{"tz ok", func(s *System) { s.TimeZone = "Europe/Paris" }, ""},
		{"tz bad", func(s *System) { s.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"tz local", func(s *System) { s.TimeZone = "Local" }, "time_zone"},
		{"tz empty", func(s *System) { s.TimeZone = "" }, "time_zone"},
		{"language Russian", func(s *System) { s.Language = "ru" }, ""},
		{"language Armenian", func(s *System) { s.Language = "hy" }, ""},
		{"language English by default", func(s *System) { s.Language = "" }, ""},
		{"language unknown", func(s *System) { s.Language = "de" }, "language"},
		{"language upper case", func(s *System) { s.Language = "RU" }, "language"},
		{"language name", func(s *System) { s.Language = "Italian" }, "language"},
		{"length 1", func(s *System) { s.ExtensionLength = 1 }, "extension_length"},
		{"length 9", func(s *System) { s.ExtensionLength = 9 }, "extension_length"},
		{"length change with extensions", func(s *System) { s.ExtensionLength = 4 }, "extension_length"},
		{"max calls automatic", func(s *System) { s.MaxCalls = 0 }, ""},
		{"max calls 250", func(s *System) { s.MaxCalls = 250 }, ""},
		{"max calls at the bound", func(s *System) { s.MaxCalls = MaxSystemCalls }, ""},
		{"max calls negative", func(s *System) { s.MaxCalls = -1 }, "max_calls"},
		{"max calls too many", func(s *System) { s.MaxCalls = MaxSystemCalls + 1 }, "max_calls"},
		{"prefix empty", func(s *System) { s.OutsidePrefix = "" }, ""},
		{"prefix 0", func(s *System) { s.OutsidePrefix = "0" }, ""},
		{"prefix letters", func(s *System) { s.OutsidePrefix = "9a" }, "outside_prefix"},
		{"prefix long", func(s *System) { s.OutsidePrefix = "00000" }, "outside_prefix"},
		{"prefix conflicts with 101", func(s *System) { s.OutsidePrefix = "1" }, "outside_prefix"},
		{"prefix extends 101", func(s *System) { s.OutsidePrefix = "1011" }, "outside_prefix"},
		{"interdigit low", func(s *System) { s.InterDigitTimeoutMS = 999 }, "inter_digit_timeout_ms"},
		{"interdigit min", func(s *System) { s.InterDigitTimeoutMS = 1000 }, ""},
		{"interdigit high", func(s *System) { s.InterDigitTimeoutMS = 30001 }, "inter_digit_timeout_ms"},
		{"noanswer low", func(s *System) { s.NoAnswerTimeoutS = 4 }, "no_answer_timeout_s"},
		{"noanswer high", func(s *System) { s.NoAnswerTimeoutS = 601 }, "no_answer_timeout_s"},
		{"retention 0", func(s *System) { s.CallRecordRetention = 0 }, "call_record_retention"},
		{"retention max", func(s *System) { s.CallRecordRetention = MaxCallRecordRetention }, ""},
		{"retention over", func(s *System) { s.CallRecordRetention = MaxCallRecordRetention + 1 }, "call_record_retention"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTemp(t)
			before, _ := db.Config()
			s := DefaultSystem()
			tc.edit(&s)
			_, err := db.UpdateSystem(s)
			got := fieldsOf(t, err)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				after, _ := db.System()
				if after != s {
					t.Errorf("stored %+v, want %+v", after, s)
				}
				return
			}
			if !reflect.DeepEqual(got, []string{tc.field}) {
				t.Fatalf("fields %v, want [%s] (%v)", got, tc.field, err)
			}
			after, _ := db.Config()
			if !reflect.DeepEqual(before, after) {
				t.Error("a refused change changed the configuration")
			}
		})
	}
}

func TestExtensionLengthChange(t *testing.T) {
	db, _ := openTemp(t)
	s := DefaultSystem()
	s.ExtensionLength = 4
	_, err := db.UpdateSystem(s)
	if err == nil || !strings.Contains(err.Error(), "101, 102") {
		t.Fatalf("want a clear refusal naming the extensions, got %v", err)
	}
	// Once no extension is in the way (lines routed away), it works.
	c, _ := db.Config()
	c.System.ExtensionLength = 4
	c.Extensions = []Extension{{Number: "1001", Secret: GenerateSecret()}}
	for i := range c.FXOLines {
		c.FXOLines[i].Destination = "1001"
	}
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
}

func TestValidateExtension(t *testing.T) {
	cases := []struct {
		name  string
		e     Extension
		field string
	}{
		{"ok", Extension{Number: "150", Name: "Office"}, ""},
		{"ok with secret", Extension{Number: "150", Secret: "Abcdefgh1234"}, ""},
		{"ok symbols", Extension{Number: "150", Secret: "abcdefgh-1234"}, ""},
		{"number empty", Extension{Number: ""}, "number"},
		{"number letters", Extension{Number: "1a0"}, "number"},
		{"number short", Extension{Number: "15"}, "number"},
		{"number long", Extension{Number: "1500"}, "number"},
		{"number duplicate", Extension{Number: "101"}, "number"},
		{"number prefix conflict", Extension{Number: "901"}, "number"},
		{"name 65", Extension{Number: "150", Name: strings.Repeat("x", 65)}, "name"},
		{"language", Extension{Number: "150", Language: "ky"}, ""},
		{"language unknown", Extension{Number: "150", Language: "kk"}, "language"},
		{"name newline", Extension{Number: "150", Name: "a\nb"}, "name"},
		{"name bad utf8", Extension{Number: "150", Name: "a\xffb"}, "name"},
		{"secret short", Extension{Number: "150", Secret: "Abc123"}, "secret"},
		{"secret one class", Extension{Number: "150", Secret: "abcdefghijklmnop"}, "secret"},
		{"secret two classes", Extension{Number: "150", Secret: "abcdefgh12345"}, "secret"},
		{"secret space", Extension{Number: "150", Secret: "Abcdefgh 1234"}, "secret"},
		{"secret too long", Extension{Number: "150", Secret: "Aa1" + strings.Repeat("x", 126)}, "secret"},
		{"fxs port free", Extension{Number: "150", FXSPort: 0}, ""},
		{"fxs port taken", Extension{Number: "150", FXSPort: 1}, "fxs_port"},
		{"fxs port missing", Extension{Number: "150", FXSPort: 3}, "fxs_port"},
		{"fxs port negative", Extension{Number: "150", FXSPort: -1}, "fxs_port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTemp(t)
			before, _ := db.Config()
			got, err := db.CreateExtension(tc.e)
			fields := fieldsOf(t, err)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				stored, err := db.Extension(tc.e.Number)
				if err != nil || stored != got {
					t.Fatalf("stored %+v %v, returned %+v", stored, err, got)
				}
				if tc.e.Secret == "" && secretProblem(got.Secret) != "" {
					t.Errorf("generated secret %q weak", got.Secret)
				}
				return
			}
			if !reflect.DeepEqual(fields, []string{tc.field}) {
				t.Fatalf("fields %v, want [%s] (%v)", fields, tc.field, err)
			}
			after, _ := db.Config()
			if !reflect.DeepEqual(before, after) {
				t.Error("a refused change changed the configuration")
			}
		})
	}
}

func TestUpdateAndDeleteExtension(t *testing.T) {
	db, _ := openTemp(t)
	orig, _ := db.Extension("102")
	// Empty secret keeps the stored one.
	e, err := db.UpdateExtension("102", Extension{Number: "102", Name: "Fax", FXSPort: 2})
	if err != nil || e.Secret != orig.Secret || e.Name != "Fax" {
		t.Fatalf("%+v %v", e, err)
	}
	// Moving 102 onto 101's port is blamed on 102.
	_, err = db.UpdateExtension("102", Extension{Number: "102", FXSPort: 1})
	if f := fieldsOf(t, err); !reflect.DeepEqual(f, []string{"fxs_port"}) {
		t.Errorf("fields %v (%v)", f, err)
	}
	// Renumbering 101 onto 102 is a duplicate.
	_, err = db.UpdateExtension("101", Extension{Number: "102", FXSPort: 1})
	if f := fieldsOf(t, err); !reflect.DeepEqual(f, []string{"number"}) {
		t.Errorf("fields %v (%v)", f, err)
	}
	if _, err := db.UpdateExtension("555", Extension{Number: "555"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update missing: %v", err)
	}
	// Deleting 101, the FXO destination, is refused; renumbering it
	// carries the lines along, and then the old number is gone.
	err = db.DeleteExtension("101")
	if f := fieldsOf(t, err); !reflect.DeepEqual(f, []string{"number"}) || !strings.Contains(err.Error(), "FXO line 1") {
		t.Errorf("delete of the FXO destination: %v", err)
	}
	if _, err := db.UpdateExtension("101", Extension{Number: "110", FXSPort: 1}); err != nil {
		t.Fatal(err)
	}
	lines, _ := db.FXOLines()
	for _, l := range lines {
		if l.Destination != "110" {
			t.Errorf("line %d still routed to %q", l.Port, l.Destination)
		}
	}
	if err := db.DeleteExtension("102"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Extension("102"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted extension still there: %v", err)
	}
	if err := db.DeleteExtension("102"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	// A secret set by the user must meet the policy; the stored one is
	// not re-checked.
	if _, err := db.UpdateExtension("110", Extension{Number: "110", Secret: "weak"}); err == nil {
		t.Error("weak secret accepted on update")
	}
}

func TestValidateFXOLine(t *testing.T) {
	cases := []struct {
		name  string
		l     FXOLine
		field string
	}{
		{"ok", FXOLine{Port: 1, Name: "Telco", Enabled: true, AnswerAfterRings: 1, Destination: "102"}, ""},
		{"disabled without destination", FXOLine{Port: 2, AnswerAfterRings: 10}, ""},
		{"enabled without destination", FXOLine{Port: 2, Enabled: true, AnswerAfterRings: 2}, "destination"},
		{"unknown destination", FXOLine{Port: 2, AnswerAfterRings: 2, Destination: "555"}, "destination"},
		{"rings 0", FXOLine{Port: 1, Enabled: true, AnswerAfterRings: 0, Destination: "101"}, "answer_after_rings"},
		{"rings 11", FXOLine{Port: 1, Enabled: true, AnswerAfterRings: 11, Destination: "101"}, "answer_after_rings"},
		{"name long", FXOLine{Port: 1, Name: strings.Repeat("x", 65), AnswerAfterRings: 2, Destination: "101"}, "name"},
		{"port missing", FXOLine{Port: 3, AnswerAfterRings: 2, Destination: "101"}, "port"},
		{"port 0", FXOLine{Port: 0, AnswerAfterRings: 2, Destination: "101"}, "port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTemp(t)
			before, _ := db.Config()
			_, err := db.UpdateFXOLine(tc.l)
			fields := fieldsOf(t, err)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				lines, _ := db.FXOLines()
				if lines[tc.l.Port-1] != tc.l {
					t.Errorf("stored %+v", lines[tc.l.Port-1])
				}
				return
			}
			if !reflect.DeepEqual(fields, []string{tc.field}) {
				t.Fatalf("fields %v, want [%s] (%v)", fields, tc.field, err)
			}
			after, _ := db.Config()
			if !reflect.DeepEqual(before, after) {
				t.Error("a refused change changed the configuration")
			}
		})
	}
}

// A whole document reports every problem with its full path, and a
// refused import changes nothing.
func TestImportReportsAllFields(t *testing.T) {
	db, _ := openTemp(t)
	before, _ := db.Config()
	c := before
	c.System.ToneZone = "xx"
	c.Extensions = []Extension{
		{Number: "101", Secret: "Abcdefgh1234", FXSPort: 1},
		{Number: "101", Secret: "Abcdefgh1234"},
		{Number: "9", Secret: "short"},
		{Number: "103", FXSPort: 1},
	}
	c.FXOLines = []FXOLine{{Port: 1, Enabled: true, AnswerAfterRings: 2, Destination: "777"}, {Port: 1, AnswerAfterRings: 2}}
	err := db.ImportConfig(c)
	want := []string{"system.tone_zone", "extensions[1].number", "extensions[2].number", "extensions[2].secret",
		"extensions[3].fxs_port", "fxo_lines[0].destination", "fxo_lines[1].port"}
	if got := fieldsOf(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("fields\n got %v\nwant %v\n(%v)", got, want, err)
	}
	after, _ := db.Config()
	if !reflect.DeepEqual(before, after) {
		t.Error("refused import changed the configuration")
	}
	// Error text is readable.
	if !strings.Contains(err.Error(), `extensions[1].number: extension 101 already exists`) {
		t.Errorf("message: %v", err)
	}
}

func TestImportKeepsSecrets(t *testing.T) {
	db, _ := openTemp(t)
	before, _ := db.Config()
	c, _ := db.ExportConfig()
	for i := range c.Extensions {
		c.Extensions[i].Secret = ""
	}
	c.Extensions = append(c.Extensions, Extension{Number: "150"})
	c.System.Name = "office"
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	after, _ := db.Config()
	if after.System.Name != "office" || len(after.Extensions) != 3 {
		t.Fatalf("%+v", after)
	}
	for i := range before.Extensions {
		if after.Extensions[i].Secret != before.Extensions[i].Secret {
			t.Errorf("secret of %s changed", before.Extensions[i].Number)
		}
	}
	if secretProblem(after.Extensions[2].Secret) != "" {
		t.Errorf("new extension's secret %q", after.Extensions[2].Secret)
	}
}

// A document that leaves out an FXO port gets a disabled line for it.
func TestImportMissingLine(t *testing.T) {
	db, _ := openTemp(t)
	c, _ := db.Config()
	c.FXOLines = c.FXOLines[:1]
	if err := db.ImportConfig(c); err != nil {
		t.Fatal(err)
	}
	lines, _ := db.FXOLines()
	if len(lines) != 2 || lines[1] != (FXOLine{Port: 2, Name: "Line 2", AnswerAfterRings: 2}) {
		t.Errorf("%+v", lines)
	}
}
