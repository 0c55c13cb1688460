package store

import (
	"slices"
	"strings"

	"go.etcd.io/bbolt"
)

// Roles and their permission sets (config.md, "Accounts and roles").
// Every account has one of four roles; what a role may do is its set of
// permissions, which an administrator edits (the Roles page). The web UI
// gives each page and API route one permission (webui/permissions.go)
// and lets a request through only when the account's role holds it.

// The roles.
const (
	RoleAdministrator = "administrator"
	RoleInstaller     = "installer"
	RoleOfficeManager = "office_manager"
	RoleUser          = "user"
)

// RoleNames lists the roles, most powerful first.
func RoleNames() []string {
	return []string{RoleAdministrator, RoleInstaller, RoleOfficeManager, RoleUser}
}

// The permissions. The "own." ones act on the account's own extension
// only (its mailbox, forwarding, call history, API tokens).
const (
	PermStatus          = "status"
	PermOperator        = "operator"
	PermSimulator       = "simulator"
	PermExtensionsView  = "extensions.view"
	PermExtensionsEdit  = "extensions.edit"
	PermDialPlanView    = "dialplan.view"
	PermDialPlanEdit    = "dialplan.edit"
	PermSettingsView    = "settings.view"
	PermSettingsEdit    = "settings.edit"
	PermDiagnosticsView = "diagnostics.view"
	PermDiagnosticsRun  = "diagnostics.run"
	PermRecordingsView  = "recordings.view"
	PermRecordingsEdit  = "recordings.edit"
	PermVoicemailAll    = "voicemail.all"
	PermCallsAll        = "calls.all"
	PermStatistics      = "statistics"
	PermCallRecView     = "call_recordings.view"
	PermCallRecDelete   = "call_recordings.delete"
	PermFaxView         = "faxes.view"
	PermFaxDelete       = "faxes.delete"
	PermConfigExport    = "config.export"
	PermConfigImport    = "config.import"
	PermMaintenance     = "maintenance"
	PermUsers           = "users"
	PermRoles           = "roles"
	PermAudit           = "audit"
	PermOwnVoicemail    = "own.voicemail"
	PermOwnForwarding   = "own.forwarding"
	PermOwnCalls        = "own.calls"
	PermOwnTokens       = "own.tokens"
)

// PermissionInfo is a permission and what it allows, in words.
type PermissionInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Permissions lists every permission in the order the Roles page shows
// them.
func Permissions() []PermissionInfo {
	return []PermissionInfo{
		{PermStatus, "See the status page: ports, registrations, calls"},
		{PermOperator, "Act on live calls: hang up, transfer, park; switch any extension's do not disturb"},
		{PermSimulator, "Use the simulated board's phones and lines"},
		{PermExtensionsView, "See the extensions"},
		{PermExtensionsEdit, "Create, change and delete extensions"},
		{PermDialPlanView, "See the dial plan"},
		{PermDialPlanEdit, "Change the dial plan (routes, groups, menus, voicemail, features)"},
		{PermSettingsView, "See the settings and PBX parameters"},
		{PermSettingsEdit, "Change the settings, FXO lines and PBX parameters"},
		{PermDiagnosticsView, "See the diagnostics"},
		{PermDiagnosticsRun, "Run the diagnostics and change their schedule"},
		{PermRecordingsView, "List and play the recordings menus and queues play"},
		{PermRecordingsEdit, "Upload and delete those recordings"},
		{PermVoicemailAll, "Listen to and delete the messages of every mailbox"},
		{PermCallsAll, "See everyone's call history"},
		{PermStatistics, "See the call statistics"},
		{PermCallRecView, "List and play the recordings of calls"},
		{PermCallRecDelete, "Delete recordings of calls"},
		{PermFaxView, "List, show and download the faxes the box received"},
		{PermFaxDelete, "Delete received faxes"},
		{PermConfigExport, "Export the whole configuration (with SIP passwords)"},
		{PermConfigImport, "Replace the whole configuration"},
		{PermMaintenance, "Upgrade the firmware, back up, restore, factory reset"},
		{PermUsers, "Manage the accounts of roles with no more rights than one's own"},
		{PermRoles, "Change what each role may do"},
		{PermAudit, "See and export the audit log"},
		{PermOwnVoicemail, "Own mailbox: listen, delete, greetings"},
		{PermOwnForwarding, "Own forwarding, follow-me and do not disturb"},
		{PermOwnCalls, "Own call history"},
		{PermOwnTokens, "Own API tokens for scripts"},
	}
}

// IsPermission reports whether p names a permission.
func IsPermission(p string) bool {
	return slices.ContainsFunc(Permissions(), func(i PermissionInfo) bool { return i.Name == p })
}

// adminFloor is what the administrator role always keeps: with these an
// administrator can give any permission back to any role, so no edit can
// leave the box without someone able to administer it.
func adminFloor() []string { return []string{PermUsers, PermRoles} }

// AdminFloor lists the permissions the administrator role cannot lose.
func AdminFloor() []string { return adminFloor() }

// Role is a role and its permission set.
type Role struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}

// Has reports whether the role holds permission p.
func (r Role) Has(p string) bool { return slices.Contains(r.Permissions, p) }

// covers reports whether r holds every permission of o.
func (r Role) covers(o Role) bool {
	for _, p := range o.Permissions {
		if !r.Has(p) {
			return false
		}
	}
	return true
}

// DefaultRoles are a new box's permission sets: the administrator may do
// everything; the installer sets the box up but does not hear or see
// people's calls, messages and recordings, nor manage accounts; the
// office manager sees the call history, statistics and recordings and
// manages the accounts of users; a user manages their own extension.
func DefaultRoles() []Role {
	all := make([]string, 0, len(Permissions()))
	for _, p := range Permissions() {
		all = append(all, p.Name)
	}
	own := []string{PermOwnVoicemail, PermOwnForwarding, PermOwnCalls, PermOwnTokens}
	return []Role{
		{RoleAdministrator, all},
		{RoleInstaller, append([]string{PermStatus, PermOperator, PermSimulator, PermExtensionsView, PermExtensionsEdit,
			PermDialPlanView, PermDialPlanEdit, PermSettingsView, PermSettingsEdit, PermDiagnosticsView, PermDiagnosticsRun,
			PermRecordingsView, PermRecordingsEdit, PermConfigExport, PermConfigImport, PermMaintenance, PermAudit}, own...)},
		{RoleOfficeManager, append([]string{PermStatus, PermCallsAll, PermStatistics, PermCallRecView, PermCallRecDelete,
			PermFaxView, PermFaxDelete, PermVoicemailAll, PermUsers}, own...)},
		{RoleUser, own},
	}
}

func defaultRole(defaults []Role, name string) (Role, bool) {
	i := slices.IndexFunc(defaults, func(r Role) bool { return r.Name == name })
	if i < 0 {
		return Role{}, false
	}
	return defaults[i], true
}

// normalizeRole sorts the permissions in the Permissions order and drops
// duplicates, so that stored sets compare and diff cleanly.
func normalizeRole(r Role) Role {
	var out []string
	for _, p := range Permissions() {
		if slices.Contains(r.Permissions, p.Name) {
			out = append(out, p.Name)
		}
	}
	if out == nil {
		out = []string{}
	}
	r.Permissions = out
	return r
}

// validateRole checks a permission set: known role, known permissions
// (each once), and the administrator's floor.
func validateRole(r Role) error {
	v := &ValidationError{}
	if !slices.Contains(RoleNames(), r.Name) {
		v.add("name", "unknown role %q (roles: %s)", r.Name, strings.Join(RoleNames(), ", "))
	}
	seen := map[string]bool{}
	for i, p := range r.Permissions {
		switch {
		case !IsPermission(p):
			v.add("permissions", "unknown permission %q (item %d)", p, i+1)
		case seen[p]:
			v.add("permissions", "permission %q is listed twice", p)
		}
		seen[p] = true
	}
	if r.Name == RoleAdministrator {
		for _, p := range adminFloor() {
			if !seen[p] {
				v.add("permissions", "the administrator must keep %q (%s): without it nobody could administer the box", p, strings.Join(adminFloor(), " and "))
			}
		}
	}
	return v.err()
}

// ValidateRole checks a permission set as UpdateRole would, without
// writing.
func ValidateRole(r Role) error { return validateRole(r) }

// readRole reads a role's permission set inside tx: the stored one, or
// the default.
func readRole(tx *bbolt.Tx, schema int, name string) (Role, error) {
	return readRoleOr(tx, schema, name, DefaultRoles())
}

// readRoleOr is readRole with the default roles at hand.
func readRoleOr(tx *bbolt.Tx, schema int, name string, defaults []Role) (Role, error) {
	if b := tx.Bucket([]byte(bucketRoles)); b != nil {
		if raw := b.Get([]byte(name)); raw != nil {
			var r Role
			if err := decodeValue("role", raw, schema, &r); err != nil {
				return Role{}, &valueError{bucketRoles, name, err}
			}
			return normalizeRole(r), nil
		}
	}
	r, ok := defaultRole(defaults, name)
	if !ok {
		return Role{}, fieldErr("role", "unknown role %q", name)
	}
	return r, nil
}

// Roles returns every role's permission set, most powerful first.
func (db *DB) Roles() ([]Role, error) {
	var out []Role
	defaults := DefaultRoles()
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		for _, n := range RoleNames() {
			r, err := readRoleOr(tx, db.schema, n, defaults)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, wrapStore("roles", err)
	}
	return out, nil
}

// Role returns one role's permission set.
func (db *DB) Role(name string) (Role, error) {
	var r Role
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		r, err = readRole(tx, db.schema, name)
		return err
	})
	if err != nil {
		return Role{}, wrapStore("role", err)
	}
	return r, nil
}

// UpdateRole replaces a role's permission set. An account may change only
// roles whose old and new sets it holds itself (no one grants what they
// do not have, or takes away from someone above them); the administrator
// keeps AdminFloor. Refusals are a *ValidationError on "name" or
// "permissions". The change is in the audit log.
func (db *DB) UpdateRole(r Role) (Role, error) {
	if err := validateRole(r); err != nil {
		return Role{}, err
	}
	r = normalizeRole(r)
	err := db.update(func(tx *bbolt.Tx) error {
		old, err := readRole(tx, db.schema, r.Name)
		if err != nil {
			return err
		}
		if !db.actor.IsBox() {
			mine, err := db.actorRole(tx)
			if err != nil {
				return err
			}
			if !mine.covers(old) || !mine.covers(r) {
				return fieldErr("permissions", "your role (%s) lacks some of these permissions: only someone who holds every permission of the old and the new set may change it", db.actor.Role)
			}
		}
		b, err := tx.CreateBucketIfNotExists([]byte(bucketRoles))
		if err != nil {
			return err
		}
		if err := putValue(b, r.Name, r); err != nil {
			return err
		}
		return db.appendAudit(tx, AuditEntry{Action: AuditRole, Section: "roles", Target: r.Name,
			Changes: diffLines(map[string]any{"permissions": old.Permissions}, map[string]any{"permissions": r.Permissions}, "roles["+r.Name+"]")})
	})
	if err != nil {
		return Role{}, err
	}
	return r, nil
}

// actorRole is the permission set of the actor's role as stored now
// (not as it was when the actor logged in).
func (db *DB) actorRole(tx *bbolt.Tx) (Role, error) {
	a, err := readAccount(tx, db.schema, db.actor.Login)
	if err != nil {
		return Role{}, fieldErr("", "your account %q no longer exists", db.actor.Login)
	}
	return readRole(tx, db.schema, a.Role)
}
