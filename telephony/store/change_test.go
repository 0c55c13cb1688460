package store

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// snapshotBytes is the database's whole file, to prove that nothing was
// written.
func snapshotBytes(t *testing.T, db *DB) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := db.Snapshot(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestChangeConfigSpansSections: one change adds extensions, moves a
// port, gives the new extensions mailboxes, a ring group and a route for
// line 1, and sets the tone zone: all of it is stored together.
func TestChangeConfigSpansSections(t *testing.T) {
	db, _ := openTemp(t)
	got, err := db.ChangeConfig(func(c *Config) error {
		c.System.ToneZone = "ru"
		c.Extensions[0].FXSPort = 0
		c.Extensions = append(c.Extensions,
			Extension{Number: "201", Name: "Reception", Secret: GenerateSecret(), FXSPort: 1},
			Extension{Number: "202", Name: "Sales", Secret: GenerateSecret()})
		c.Voicemail.Boxes = append(c.Voicemail.Boxes, Mailbox{Extension: "201", PIN: "4826"})
		c.RingGroups = append(c.RingGroups, RingGroup{Name: "all", Strategy: "ringall",
			Members: []GroupMember{{Destination: "ext:201"}, {Destination: "ext:202"}}})
		c.InboundRoutes = append(c.InboundRoutes, InboundRoute{Name: "line-1", Lines: []int{1}, Destination: "group:all"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.Config()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, stored) {
		t.Errorf("ChangeConfig returned\n%+v\nbut stored\n%+v", got, stored)
	}
	if stored.System.ToneZone != "ru" || len(stored.Extensions) != 4 || stored.Extensions[0].FXSPort != 0 ||
		len(stored.Voicemail.Boxes) != 1 || len(stored.RingGroups) != 1 || len(stored.InboundRoutes) != 1 {
		t.Errorf("stored %+v", stored)
	}
}

// TestChangeConfigAllOrNothing: a change that fails half-way (the
// function's own error) or that the validation refuses writes nothing;
// the problems come back by document path.
func TestChangeConfigAllOrNothing(t *testing.T) {
	db, _ := openTemp(t)
	before := snapshotBytes(t, db)
	stop := errors.New("the configuration changed meanwhile")
	_, err := db.ChangeConfig(func(c *Config) error {
		c.System.ToneZone = "ru"
		c.Extensions = append(c.Extensions, Extension{Number: "201", Secret: GenerateSecret()})
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err %v, want the function's", err)
	}
	_, err = db.ChangeConfig(func(c *Config) error {
		c.System.ToneZone = "ru"
		c.Extensions = append(c.Extensions, Extension{Number: "201", Secret: GenerateSecret(), FXSPort: 1})
		c.InboundRoutes = append(c.InboundRoutes, InboundRoute{Name: "line-1", Lines: []int{1}, Destination: "group:nobody"})
		return nil
	})
	v, ok := AsValidationError(err)
	if !ok {
		t.Fatalf("err %v, want a validation error", err)
	}
	paths := map[string]bool{}
	for _, f := range v.Fields {
		paths[f.Field] = true
	}
	if !paths["inbound_routes[0].destination"] || len(v.Fields) < 2 {
		t.Errorf("problems %+v: want the route's destination and the port taken twice, by path", v.Fields)
	}
	if after := snapshotBytes(t, db); !bytes.Equal(before, after) {
		t.Error("a refused change wrote to the database")
	}
}

// TestCheckConfigChangeWritesNothing: the review of a valid change
// returns what would be stored and leaves the database as it was; an
// invalid one reports the same problems ChangeConfig would.
func TestCheckConfigChangeWritesNothing(t *testing.T) {
	db, _ := openTemp(t)
	before := snapshotBytes(t, db)
	add := func(c *Config) error {
		c.Extensions = append(c.Extensions, Extension{Number: "201", Name: "Reception", Secret: GenerateSecret()})
		return nil
	}
	got, err := db.CheckConfigChange(add)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Extensions) != 3 || got.Extensions[2].Number != "201" {
		t.Errorf("would store %+v", got.Extensions)
	}
	if after := snapshotBytes(t, db); !bytes.Equal(before, after) {
		t.Error("a check wrote to the database")
	}
	bad := func(c *Config) error {
		c.Extensions = append(c.Extensions, Extension{Number: "2011", Secret: GenerateSecret()})
		return nil
	}
	_, checkErr := db.CheckConfigChange(bad)
	_, changeErr := db.ChangeConfig(bad)
	if checkErr == nil || changeErr == nil || checkErr.Error() != changeErr.Error() {
		t.Errorf("check said %v, change said %v: want the same refusal", checkErr, changeErr)
	}
}
