package store

import (
	"slices"
	"testing"
)

// TestInvalidUTF8Refused: a string of invalid UTF-8 anywhere in the
// configuration — as a web form or a Go caller can hand over, past the
// strict JSON reader — is refused naming the field, through every way a
// change is made, and changes nothing.
func TestInvalidUTF8Refused(t *testing.T) {
	const bad = "Caf\xe9"
	db, _ := openTemp(t)
	if _, err := db.CreateExtension(Extension{Number: "150", Name: "ok", Secret: "Abcdefgh1234"}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Config()
	changes := []struct {
		name  string
		do    func() error
		field string
	}{
		{"system name", func() error {
			s := before.System
			s.Name = bad
			_, err := db.UpdateSystem(s)
			return err
		}, "name"},
		{"extension name", func() error {
			_, err := db.UpdateExtension("150", Extension{Number: "150", Name: bad, Secret: "Abcdefgh1234"})
			return err
		}, "name"},
		{"new extension name", func() error {
			_, err := db.CreateExtension(Extension{Number: "151", Name: bad})
			return err
		}, "name"},
		{"line name", func() error {
			l := before.FXOLines[0]
			l.Name = bad
			_, err := db.UpdateFXOLine(l)
			return err
		}, "name"},
		{"caller ID rule name", func() error {
			_, err := db.UpdateDialPlan(func(c *Config) error {
				c.CallerIDRules = []CallerIDRule{{Name: bad}}
				return nil
			})
			return err
		}, "caller_id_rules[0].name"},
		{"import, trunk caller name", func() error {
			c := before
			c.Trunks = []Trunk{{Name: "t1", CallerName: bad}}
			return db.ImportConfig(c)
		}, "trunks[0].caller_name"},
		{"import, extension", func() error {
			c := before
			c.Extensions = []Extension{{Number: "150", Name: bad, Secret: "Abcdefgh1234"}}
			return db.ImportConfig(c)
		}, "extensions[0].name"},
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			err := c.do()
			if fields := fieldsOf(t, err); !slices.Contains(fields, c.field) {
				t.Fatalf("error %v does not name %q", err, c.field)
			}
			v, _ := AsValidationError(err)
			for _, f := range v.Fields {
				if f.Field == c.field && f.Message != "must be valid UTF-8 text" {
					t.Errorf("%s: %q", f.Field, f.Message)
				}
			}
			after, _ := db.Config()
			if !slices.Equal(after.Extensions, before.Extensions) || after.System != before.System || len(after.CallerIDRules) != 0 || len(after.Trunks) != 0 {
				t.Fatal("a refused change was stored")
			}
		})
	}
}
