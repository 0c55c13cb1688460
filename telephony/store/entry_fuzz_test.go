package store

import (
	"bytes"
	"strings"
	"testing"
)

// entrySeeds are documents that reached a panic once, or sit on a
// boundary of a rule; they run as plain tests too.
var entrySeeds = []string{
	// An outside prefix longer than a dial-plan pattern (32) once
	// panicked the numbering check after the length rule had failed.
	`{"version":1,"system":{"name":"x","time_zone":"UTC","extension_length":3,"outside_prefix":"` + strings.Repeat("9", 33) + `"}}`,
	`{"version":1,"system":{"name":"x","time_zone":"UTC","extension_length":3,"outside_prefix":"` + strings.Repeat("0", 5000) + `"}}`,
	`{"version":1,"system":{"name":"x","time_zone":"UTC","extension_length":3,"outside_prefix":"9"},
	  "numbering":{"short_numbers":[{"number":"` + strings.Repeat("5", 40) + `","destination":"101"}],"emergency_numbers":["` + strings.Repeat("1", 40) + `"]},
	  "outbound_routes":[{"name":"r","pattern":"_` + strings.Repeat("X", 40) + `","class":"local"}]}`,
	`{"version":1,"system":{"name":"x","time_zone":"UTC","extension_length":8,"outside_prefix":"0"},"extensions":[{"number":"` + strings.Repeat("1", 40) + `"}]}`,
	`{"version":1,"system":{"name":"x","time_zone":"UTC","extension_length":3,"outside_prefix":"9"},"ring_groups":[{"number":"500","members":[{"destination":"ext:` + strings.Repeat("1", 64) + `"}]}]}`,
	`{"version":0,"system":{"name":"x","outside_prefix":"` + strings.Repeat("9", 40) + `"}}`,
	// Fax receivers: a number, an address, an identity, and a route that
	// detects faxes for one (issue 17).
	`{"version":1,"system":{"name":"x","time_zone":"UTC","extension_length":2,"outside_prefix":"9"},"fxo_lines":[{"port":1,"destination":"fax:office"}],
	  "fax_receivers":[{"name":"office","number":"50","email":"fax@example.com","station_id":"+1 555 0100"},{"name":"Bad","number":"5","email":"@","station_id":"` + strings.Repeat("x", 30) + `"}],
	  "inbound_routes":[{"name":"in","destination":"fax:office","fax_detect":"fax:nope"}]}`,
}

// FuzzValidatorEntryPoints drives the configuration validator through
// each public way in — ImportConfig, UpdateSystem and UpdateDialPlan —
// with any document DecodeConfig accepts: each either refuses with field
// errors and changes nothing, or stores something that reads back and
// passes validation again. Never a panic.
func FuzzValidatorEntryPoints(f *testing.F) {
	var def bytes.Buffer
	EncodeConfig(&def, DefaultConfig(DefaultLimits()))
	f.Add(def.String())
	for _, s := range entrySeeds {
		f.Add(s)
	}
	db, _ := openTemp(f)
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := DecodeConfig(strings.NewReader(doc))
		if err != nil {
			return
		}
		before, err := db.Config()
		if err != nil {
			t.Fatal(err)
		}
		unchanged := func(what string) {
			t.Helper()
			after, err := db.Config()
			if err != nil {
				t.Fatal(err)
			}
			var a, b bytes.Buffer
			EncodeConfig(&a, before)
			EncodeConfig(&b, after)
			if a.String() != b.String() {
				t.Fatalf("a refused %s changed the configuration", what)
			}
		}
		stored := func(what string) {
			t.Helper()
			after, err := db.Config()
			if err != nil {
				t.Fatalf("after %s: %v", what, err)
			}
			if err := db.ValidateConfig(after); err != nil {
				t.Fatalf("%s stored a configuration that does not validate: %v", what, err)
			}
			before = after
		}
		check := func(what string, err error) {
			t.Helper()
			if err == nil {
				stored(what)
				return
			}
			if v, ok := AsValidationError(err); !ok || len(v.Fields) == 0 {
				t.Fatalf("%s: %v is not a ValidationError with fields", what, err)
			}
			unchanged(what)
		}
		_, err = db.UpdateSystem(c.System)
		check("UpdateSystem", err)
		_, err = db.UpdateDialPlan(func(cur *Config) error { cur.SetDialPlan(c.DialPlan()); return nil })
		check("UpdateDialPlan", err)
		check("ImportConfig", db.ImportConfig(c))
	})
}
