package store

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fieldOf returns the field of the first problem in a *ValidationError
// ("" when err is not one).
func fieldOf(err error) string {
	if v, ok := AsValidationError(err); ok && len(v.Fields) > 0 {
		return v.Fields[0].Field
	}
	return ""
}

func TestAdminAccountOfAnOlderDatabase(t *testing.T) {
	// A new database has no accounts bucket: exactly what a database
	// from before accounts looks like. It reads as the admin account,
	// an administrator, with the admin password it always had.
	db, _ := openTemp(t)
	pw, _, err := db.EnsureAdminPassword()
	if err != nil {
		t.Fatal(err)
	}
	accs, err := db.Accounts()
	if err != nil || len(accs) != 1 || accs[0].Login != AdminLogin || accs[0].Role != RoleAdministrator || !accs[0].MustChange {
		t.Fatalf("accounts of an older database: %+v %v", accs, err)
	}
	a, err := db.CheckPassword(AdminLogin, pw)
	if err != nil || a.Role != RoleAdministrator || !a.MustChange {
		t.Fatalf("admin login: %+v %v", a, err)
	}
	// The old method still answers for the same account.
	if ok, _, err := db.CheckAdminPassword(pw); !ok || err != nil {
		t.Fatalf("CheckAdminPassword: %v %v", ok, err)
	}
	// The first write creates the bucket with the admin in it, and the
	// admin password stays where an older firmware finds it.
	if _, _, err := db.CreateAccount(Account{Login: "101", Role: RoleUser}, ""); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := db.CheckAdminPassword(pw); !ok {
		t.Fatal("the admin password moved")
	}
	if accs, _ := db.Accounts(); len(accs) != 2 || accs[0].Login != AdminLogin {
		t.Fatalf("after the first account: %+v", accs)
	}
}

func TestAccountLoginAndRules(t *testing.T) {
	db, _ := openTemp(t)
	u, gen, err := db.CreateAccount(Account{Login: "102", Role: RoleUser, Name: "Bob"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if gen == "" || u.Extension != "102" || !u.MustChange {
		t.Fatalf("created %+v with generated %q", u, gen)
	}
	got, err := db.CheckPassword("102", gen)
	if err != nil || got.Login != "102" || got.Role != RoleUser || !got.MustChange {
		t.Fatalf("login: %+v %v", got, err)
	}
	for _, bad := range [][2]string{{"102", "wrong password"}, {"103", gen}, {"", gen}, {"../x", gen}, {"102", strings.Repeat("x", 300)}} {
		if _, err := db.CheckPassword(bad[0], bad[1]); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("CheckPassword(%q): %v, want ErrBadCredentials", bad[0], err)
		}
	}
	// The owner chooses their own password: no longer must-change, and
	// the same one again is refused.
	owner := db.As(Actor{Login: "102", Role: RoleUser, Via: "web"})
	if err := owner.SetAccountPassword("102", "my own good password", false); err != nil {
		t.Fatal(err)
	}
	if err := owner.SetAccountPassword("102", "my own good password", false); fieldOf(err) != "password" {
		t.Fatalf("same password again: %v", err)
	}
	if a, err := db.CheckPassword("102", "my own good password"); err != nil || a.MustChange {
		t.Fatalf("after the change: %+v %v", a, err)
	}
	if err := owner.SetAccountPassword("102", "short", false); fieldOf(err) != "password" {
		t.Fatalf("short password: %v", err)
	}

	for _, c := range []struct {
		name  string
		a     Account
		field string
	}{
		{"no such extension", Account{Login: "999", Role: RoleUser}, "login"},
		{"user without extension", Account{Login: "anna", Role: RoleUser}, "extension"},
		{"digits login, other extension", Account{Login: "101", Role: RoleUser, Extension: "102"}, "extension"},
		{"extension taken", Account{Login: "bob", Role: RoleOfficeManager, Extension: "102"}, "extension"},
		{"unknown role", Account{Login: "anna", Role: "root"}, "role"},
		{"bad login", Account{Login: "Anna", Role: RoleInstaller}, "login"},
		{"login with slash", Account{Login: "a/b", Role: RoleInstaller}, "login"},
		{"admin again", Account{Login: AdminLogin, Role: RoleInstaller}, "login"},
		{"taken login", Account{Login: "102", Role: RoleUser}, "login"},
		{"language", Account{Login: "anna", Role: RoleInstaller, Language: "de"}, "language"},
	} {
		if _, _, err := db.CreateAccount(c.a, ""); fieldOf(err) != c.field {
			t.Errorf("%s: %v, want a problem on %q", c.name, err, c.field)
		}
	}
	if _, _, err := db.CreateAccount(Account{Login: "anna", Role: RoleInstaller}, "short"); fieldOf(err) != "password" {
		t.Errorf("short initial password: %v", err)
	}
	if accs, _ := db.Accounts(); len(accs) != 2 {
		t.Fatalf("refused creations left accounts: %+v", accs)
	}
}

func TestAccountRulesHoldTheActorToItsRole(t *testing.T) {
	db, _ := openTemp(t)
	if _, _, err := db.CreateAccount(Account{Login: "olga", Role: RoleOfficeManager}, "office manager pw"); err != nil {
		t.Fatal(err)
	}
	om := db.As(Actor{Login: "olga", Role: RoleOfficeManager, Via: "web"})
	// An office manager manages users...
	if _, _, err := om.CreateAccount(Account{Login: "101", Role: RoleUser}, ""); err != nil {
		t.Fatalf("office manager creates a user: %v", err)
	}
	if err := om.SetAccountPassword("101", "reset by olga 1", true); err != nil {
		t.Fatalf("office manager resets a user's password: %v", err)
	}
	// ...but can neither make nor touch accounts with more rights.
	if _, _, err := om.CreateAccount(Account{Login: "eve", Role: RoleAdministrator}, ""); fieldOf(err) != "role" {
		t.Fatalf("office manager creates an administrator: %v", err)
	}
	if _, err := om.UpdateAccount("101", Account{Role: RoleInstaller}); fieldOf(err) != "role" {
		t.Fatalf("office manager promotes a user: %v", err)
	}
	if err := om.SetAccountPassword(AdminLogin, "taken over now", true); fieldOf(err) != "role" {
		t.Fatalf("office manager resets the admin password: %v", err)
	}
	if err := om.DeleteAccount(AdminLogin); fieldOf(err) != "role" {
		t.Fatalf("office manager deletes admin: %v", err)
	}
	if _, _, err := om.CreateToken(AdminLogin, "mine now"); fieldOf(err) != "role" {
		t.Fatalf("office manager makes a token for admin: %v", err)
	}
	if _, err := om.UpdateRole(Role{Name: RoleUser, Permissions: []string{PermOwnCalls, PermMaintenance}}); fieldOf(err) != "permissions" {
		t.Fatalf("office manager grants what it lacks: %v", err)
	}
	// Anyone changes their own name and language.
	if a, err := om.UpdateAccount("olga", Account{Role: RoleOfficeManager, Name: "Olga", Language: "ru"}); err != nil || a.Language != "ru" {
		t.Fatalf("own language: %+v %v", a, err)
	}
}

func TestLastAdministrator(t *testing.T) {
	db, _ := openTemp(t)
	if _, _, err := db.EnsureAdminPassword(); err != nil {
		t.Fatal(err)
	}
	admin := db.As(Actor{Login: AdminLogin, Role: RoleAdministrator, Via: "web"})
	if _, err := admin.UpdateAccount(AdminLogin, Account{Role: RoleInstaller}); fieldOf(err) != "role" {
		t.Fatalf("demoting the last administrator: %v", err)
	}
	if err := admin.DeleteAccount(AdminLogin); fieldOf(err) != "login" {
		t.Fatalf("deleting the last administrator: %v", err)
	}
	if _, _, err := admin.CreateAccount(Account{Login: "boss", Role: RoleAdministrator}, "the boss password"); err != nil {
		t.Fatal(err)
	}
	if err := admin.DeleteAccount(AdminLogin); err != nil {
		t.Fatalf("deleting admin beside another administrator: %v", err)
	}
	boss := db.As(Actor{Login: "boss", Role: RoleAdministrator, Via: "web"})
	if err := boss.DeleteAccount("boss"); fieldOf(err) != "login" {
		t.Fatalf("the new last administrator deleted itself: %v", err)
	}
	// A deleted admin account is not made again at the next start...
	if pw, created, err := db.EnsureAdminPassword(); created || pw != "" || err != nil {
		t.Fatalf("EnsureAdminPassword brought admin back: %q %v %v", pw, created, err)
	}
	if _, err := db.CheckPassword(AdminLogin, "anything at all"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("deleted admin logs in: %v", err)
	}
	// ...but pbxctl passwd is the owner's way back.
	pw, err := db.ResetAdminPassword()
	if err != nil {
		t.Fatal(err)
	}
	if a, err := db.CheckPassword(AdminLogin, pw); err != nil || a.Role != RoleAdministrator || !a.MustChange {
		t.Fatalf("after pbxctl passwd: %+v %v", a, err)
	}
}

func TestRoles(t *testing.T) {
	db, _ := openTemp(t)
	roles, err := db.Roles()
	if err != nil || len(roles) != 4 || roles[0].Name != RoleAdministrator || len(roles[0].Permissions) != len(Permissions()) {
		t.Fatalf("default roles: %+v %v", roles, err)
	}
	admin := db.As(Actor{Login: AdminLogin, Role: RoleAdministrator})
	if _, err := admin.UpdateRole(Role{Name: RoleAdministrator, Permissions: []string{PermStatus, PermUsers}}); fieldOf(err) != "permissions" {
		t.Fatalf("administrator below the floor: %v", err)
	}
	for _, bad := range []Role{
		{Name: "root", Permissions: nil},
		{Name: RoleUser, Permissions: []string{"own.everything"}},
		{Name: RoleUser, Permissions: []string{PermOwnCalls, PermOwnCalls}},
	} {
		if err := ValidateRole(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	r, err := admin.UpdateRole(Role{Name: RoleUser, Permissions: []string{PermOwnVoicemail, PermOwnCalls}})
	if err != nil || !slices.Equal(r.Permissions, []string{PermOwnVoicemail, PermOwnCalls}) {
		t.Fatalf("%+v %v", r, err)
	}
	if got, _ := db.Role(RoleUser); got.Has(PermOwnForwarding) || !got.Has(PermOwnCalls) {
		t.Fatalf("stored user role: %+v", got)
	}
	log, _ := db.AuditLog(AuditFilter{Action: AuditRole})
	if len(log) != 1 || log[0].Actor != AdminLogin || log[0].Target != RoleUser ||
		!strings.Contains(strings.Join(log[0].Changes, "\n"), `"own.forwarding"`) {
		t.Fatalf("audit of the role change: %+v", log)
	}
}

func TestTokens(t *testing.T) {
	db, _ := openTemp(t)
	if _, _, err := db.CreateAccount(Account{Login: "101", Role: RoleUser}, ""); err != nil {
		t.Fatal(err)
	}
	owner := db.As(Actor{Login: "101", Role: RoleUser})
	secret, tok, err := owner.CreateToken("101", "backup script")
	if err != nil {
		t.Fatal(err)
	}
	if !ValidTokenSyntax(secret) || len(tok.ID) != 12 || tok.Login != "101" {
		t.Fatalf("token %q %+v", secret, tok)
	}
	a, got, err := db.CheckToken(secret)
	if err != nil || a.Login != "101" || a.Role != RoleUser || got.ID != tok.ID {
		t.Fatalf("check: %+v %+v %v", a, got, err)
	}
	// The role is the account's as it is now.
	if _, err := db.UpdateAccount("101", Account{Role: RoleOfficeManager}); err != nil {
		t.Fatal(err)
	}
	if a, _, _ := db.CheckToken(secret); a.Role != RoleOfficeManager {
		t.Fatalf("role after the change: %+v", a)
	}
	for _, bad := range []string{"", "mpx_", secret[:len(secret)-1], secret[:len(secret)-1] + "!", "Bearer " + secret, strings.ToUpper(secret)} {
		if _, _, err := db.CheckToken(bad); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("CheckToken(%q): %v", bad, err)
		}
	}
	if _, _, err := owner.CreateToken("101", "backup script"); fieldOf(err) != "label" {
		t.Fatalf("same label twice: %v", err)
	}
	for i := range MaxTokensPerAccount - 1 {
		if _, _, err := owner.CreateToken("101", "t"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := owner.CreateToken("101", "one too many"); fieldOf(err) != "label" {
		t.Fatalf("token over the limit: %v", err)
	}
	if err := owner.RevokeToken("101", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CheckToken(secret); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("revoked token: %v", err)
	}
	if err := owner.RevokeToken("101", tok.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked twice: %v", err)
	}
	// Only the hash is stored: the token appears nowhere in the file.
	if list, _ := db.Tokens("101"); len(list) != MaxTokensPerAccount-1 {
		t.Fatalf("tokens left: %d", len(list))
	}
	if err := db.DeleteAccount("101"); err != nil {
		t.Fatal(err)
	}
	if list, _ := db.Tokens("101"); len(list) != 0 {
		t.Fatalf("tokens of a deleted account: %+v", list)
	}
}

func TestAuditOfConfigurationChanges(t *testing.T) {
	db, _ := openTemp(t)
	anna := db.As(Actor{Login: "anna", Role: RoleInstaller, Via: "web", Remote: "192.0.2.7:5000"})
	e, err := anna.Extension("101")
	if err != nil {
		t.Fatal(err)
	}
	e.Name = "Reception desk"
	e.Secret = "NewSecret123456789a"
	if _, err := anna.UpdateExtension("101", e); err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(AuditFilter{})
	if err != nil || len(log) != 1 {
		t.Fatalf("%+v %v", log, err)
	}
	got := log[0]
	if got.Actor != "anna" || got.Role != RoleInstaller || got.Via != "web" || got.Remote != "192.0.2.7:5000" ||
		got.Action != AuditChange || got.Section != "extensions" || got.Target != "ext:101" {
		t.Fatalf("entry %+v", got)
	}
	want := []string{`extensions[101].name: "FXS 1" → "Reception desk"`, "extensions[101].secret: changed (hidden)"}
	if !slices.Equal(got.Changes, want) {
		t.Fatalf("changes %q, want %q", got.Changes, want)
	}
	if strings.Contains(strings.Join(got.Changes, ""), "NewSecret") {
		t.Fatal("a secret in the audit log")
	}
	// A refused change writes nothing; the box's own change has no actor.
	e.FXSPort = 9
	if _, err := anna.UpdateExtension("101", e); err == nil {
		t.Fatal("port 9 accepted")
	}
	if _, err := db.UpdateDialPlan(func(c *Config) error {
		c.ExtensionRules = append(c.ExtensionRules, ExtensionRule{Extension: "102", ForwardAlways: "ext:101"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	log, _ = db.AuditLog(AuditFilter{})
	if len(log) != 2 || log[0].Actor != "" || log[0].Section != "extension_rules" ||
		!slices.Equal(log[0].Changes, []string{`extension_rules[102].forward_always: (none) → "ext:101"`}) {
		t.Fatalf("box change: %+v", log[0])
	}
	// Filters.
	for _, c := range []struct {
		f    AuditFilter
		want int
	}{
		{AuditFilter{Actor: "anna"}, 1},
		{AuditFilter{Actor: "-"}, 1},
		{AuditFilter{Section: "extension_rules"}, 1},
		{AuditFilter{Text: "RECEPTION"}, 1},
		{AuditFilter{Action: AuditRefused}, 0},
		{AuditFilter{From: time.Now().Add(time.Hour)}, 0},
		{AuditFilter{Before: log[0].ID}, 1},
		{AuditFilter{Limit: 1}, 1},
	} {
		if got, _ := db.AuditLog(c.f); len(got) != c.want {
			t.Errorf("filter %+v: %d entries, want %d", c.f, len(got), c.want)
		}
	}
}

func TestAuditRefusalsAndRetention(t *testing.T) {
	o := testOptions()
	o.auditMax = 5
	db, err := Open(filepath.Join(t.TempDir(), "pbx.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u := db.As(Actor{Login: "101", Role: RoleUser, Via: "api"})
	for range 3 {
		if err := u.RecordRefusal("GET /api/v1/config", PermConfigExport); err != nil {
			t.Fatal(err)
		}
	}
	log, _ := db.AuditLog(AuditFilter{Action: AuditRefused})
	if len(log) != 1 || log[0].Count != 3 || log[0].Target != "GET /api/v1/config" || log[0].Section != PermConfigExport {
		t.Fatalf("repeated refusals: %+v", log)
	}
	for i := range 8 {
		if err := u.RecordRefusal("GET /x"+string(rune('a'+i)), PermStatus); err != nil {
			t.Fatal(err)
		}
	}
	log, _ = db.AuditLog(AuditFilter{Limit: 100})
	if len(log) != 5 || log[0].Target != "GET /xh" || log[4].Target != "GET /xd" {
		t.Fatalf("retention of 5: %d entries, newest %+v", len(log), log[0])
	}
}

func TestDiffLines(t *testing.T) {
	before := map[string]any{"extensions": []any{
		map[string]any{"number": "101", "name": "A", "secret": "x"},
		map[string]any{"number": "102", "name": "B"},
	}, "hours": []any{"mon-fri 09:00-18:00"}}
	after := map[string]any{"extensions": []any{
		map[string]any{"number": "100", "name": "New"},
		map[string]any{"number": "101", "name": "A", "secret": "y"},
		map[string]any{"number": "102", "name": "B"},
	}, "hours": []any{"mon-fri 08:00-18:00"}}
	got := diffLines(before, after, "c")
	want := []string{
		`c.extensions[100].name: (none) → "New"`,
		"c.extensions[101].secret: changed (hidden)",
		`c.hours: ["mon-fri 09:00-18:00"] → ["mon-fri 08:00-18:00"]`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if l := diffLines(nil, map[string]any{"name": strings.Repeat("é", 500)}, "x"); len(l) != 1 || len(l[0]) > maxAuditLine+3 {
		t.Fatalf("long line not clipped: %d bytes", len(l[0]))
	}
}

func TestPBXParameters(t *testing.T) {
	db, _ := openTemp(t)
	c, _ := db.Config()
	p := c.PBXParameters()
	if p.Name != "minipbx" || p.ExtensionLength != 3 || p.MusicPort != "" {
		t.Fatalf("defaults %+v", p)
	}
	p.PBXID, p.MusicPort = "office-1", "fxo:2"
	p.VoiceModem = VoiceModem{InitString: "AT+GCI=59", TimeoutMS: 3000}
	got, err := db.UpdatePBXParameters(p)
	if err != nil || got != p {
		t.Fatalf("%+v %v", got, err)
	}
	c, _ = db.Config()
	if c.Features.MusicOnHold != MusicPortClass || len(c.MOHClasses) != 1 || c.MOHClasses[0].Port != "fxo:2" {
		t.Fatalf("music port: %+v %+v", c.Features, c.MOHClasses)
	}
	for _, bad := range []struct {
		mod   func(*PBXParameters)
		field string
	}{
		{func(p *PBXParameters) { p.MusicPort = "fxo:9" }, "music_port"},
		{func(p *PBXParameters) { p.PBXID = "office 1" }, "pbx_id"},
		{func(p *PBXParameters) { p.ExtensionLength = 9 }, "extension_length"},
		{func(p *PBXParameters) { p.VoiceModem.InitString = "ATZ" }, "voice_modem.init_string"},
		{func(p *PBXParameters) { p.VoiceModem.InitString = "AT&F\r\nATH1" }, "voice_modem.init_string"},
		{func(p *PBXParameters) { p.VoiceModem.InitString = "+GCI=59" }, "voice_modem.init_string"},
		{func(p *PBXParameters) { p.VoiceModem.TimeoutMS = 50 }, "voice_modem.timeout_ms"},
	} {
		q := p
		bad.mod(&q)
		if _, err := db.UpdatePBXParameters(q); fieldOf(err) != bad.field {
			t.Errorf("%+v: %v, want a problem on %s", q, err, bad.field)
		}
	}
	p.MusicPort = ""
	if _, err := db.UpdatePBXParameters(p); err != nil {
		t.Fatal(err)
	}
	if c, _ = db.Config(); c.Features.MusicOnHold != "" || len(c.MOHClasses) != 0 {
		t.Fatalf("music port off: %+v %+v", c.Features, c.MOHClasses)
	}
}

// BenchmarkCheckToken is what an API request with a token costs in the
// store: a SHA-256 and two lookups (against BenchmarkCheckAdminPassword,
// the PBKDF2 of HTTP Basic).
func BenchmarkCheckToken(b *testing.B) {
	db, secret := userWithToken(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := db.CheckToken(secret); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckTokenFirst is a token's first check (or the first after
// a change to accounts or tokens): read from the database, not the cache.
func BenchmarkCheckTokenFirst(b *testing.B) {
	db, secret := userWithToken(b)
	b.ReportAllocs()
	for b.Loop() {
		db.tokens.clear()
		if _, _, err := db.CheckToken(secret); err != nil {
			b.Fatal(err)
		}
	}
}

// userWithToken is a database with user 101 and a token of theirs.
func userWithToken(t testing.TB) (*DB, string) {
	t.Helper()
	db, _ := openTemp(t)
	if _, _, err := db.CreateAccount(Account{Login: "101", Role: RoleUser}, ""); err != nil {
		t.Fatal(err)
	}
	secret, _, err := db.CreateToken("101", "test")
	if err != nil {
		t.Fatal(err)
	}
	return db, secret
}
