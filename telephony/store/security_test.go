package store

import (
	"strings"
	"testing"
)

// TestSecurityState: values are kept across a reopen, bounded and JSON
// only, and a new admin password ends the saved web sessions (whichever
// way it is set) but not the lock-out table.
func TestSecurityState(t *testing.T) {
	db, path := openTemp(t)
	if v, err := db.LoadSecurityState("web-lockout"); err != nil || v != nil {
		t.Fatalf("new database: %q, %v", v, err)
	}
	save := func(name, v string) {
		t.Helper()
		if err := db.SaveSecurityState(name, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	load := func(name string) string {
		t.Helper()
		v, err := db.LoadSecurityState(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	save("web-lockout", `{"clients":{}}`)
	save(WebSessionsState, `[{"k":"ab"}]`)
	for _, bad := range []string{`{"cut`, strings.Repeat(" ", MaxSecurityStateBytes+1)} {
		if err := db.SaveSecurityState("x", []byte(bad)); err == nil {
			t.Errorf("saved %.20q", bad)
		}
	}
	db = reopenChecked(t, db, path)
	if load("web-lockout") != `{"clients":{}}` || load(WebSessionsState) != `[{"k":"ab"}]` {
		t.Fatal("not kept across a reopen")
	}
	if _, _, err := db.EnsureAdminPassword(); err != nil {
		t.Fatal(err)
	}
	save(WebSessionsState, `[{"k":"ab"}]`)
	if err := db.SetAdminPassword("a new password 1"); err != nil {
		t.Fatal(err)
	}
	if load(WebSessionsState) != "" || load("web-lockout") == "" {
		t.Fatal("SetAdminPassword: the sessions must end, the lock-out table stay")
	}
	save(WebSessionsState, `[{"k":"ab"}]`)
	if _, err := db.ResetAdminPassword(); err != nil {
		t.Fatal(err)
	}
	if load(WebSessionsState) != "" {
		t.Fatal("ResetAdminPassword left the sessions")
	}
}
