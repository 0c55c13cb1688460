package webui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"minipbx/telephony/store"
)

// The fake service's accounts, in memory: the admin account's password is
// the fake's own (password, mustChange, checks: the older tests use
// them), other accounts have theirs here. The store's rules (the last
// administrator, no one giving rights they lack) are the store's and are
// tested there and through storeService; the fake keeps roles, tokens and
// an audit log of refusals so that the pages and the access matrix have
// something real to show.
type fakeAccounts struct {
	admin    store.Account // its name and language; its password is the fake's
	accounts map[string]*fakeAccount
	roles    map[string]store.Role
	tokens   map[string]store.APIToken // by the token itself
	audit    []store.AuditEntry
	rules    map[string]store.ExtensionRule
	greeting map[string][]byte // "box/kind"
	params   store.PBXParameters
}

type fakeAccount struct {
	store.Account
	password string
}

func (f *fakeService) acc() *fakeAccounts {
	if f.accs == nil {
		f.accs = &fakeAccounts{accounts: map[string]*fakeAccount{}, roles: map[string]store.Role{}, tokens: map[string]store.APIToken{},
			rules: map[string]store.ExtensionRule{}, greeting: map[string][]byte{},
			params: store.PBXParameters{Name: "testbox", ExtensionLength: 3}}
		for _, r := range store.DefaultRoles() {
			f.accs.roles[r.Name] = r
		}
	}
	return f.accs
}

// addAccount makes an account with a password that need not change.
func (f *fakeService) addAccount(a store.Account, password string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a.Extension == "" && strings.Trim(a.Login, "0123456789") == "" {
		a.Extension = a.Login
	}
	a.PasswordChanged = time.Now()
	f.acc().accounts[a.Login] = &fakeAccount{Account: a, password: password}
}

func (f *fakeService) account(login string) (store.Account, bool) {
	if login == store.AdminLogin {
		a := f.acc().admin
		a.Login, a.Role, a.MustChange = store.AdminLogin, store.RoleAdministrator, f.mustChange
		return a, true
	}
	a, ok := f.acc().accounts[login]
	if !ok {
		return store.Account{}, false
	}
	return a.Account, true
}

func (f *fakeService) CheckPassword(ctx context.Context, login, password string) (store.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks++
	if login == store.AdminLogin {
		if password != f.password {
			return store.Account{}, store.ErrBadCredentials
		}
		a, _ := f.account(login)
		return a, nil
	}
	a, ok := f.acc().accounts[login]
	if !ok || a.password != password {
		return store.Account{}, store.ErrBadCredentials
	}
	return a.Account, nil
}

func (f *fakeService) CheckToken(ctx context.Context, token string) (store.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.acc().tokens[token]
	if !ok {
		return store.Account{}, store.ErrBadCredentials
	}
	a, ok := f.account(t.Login)
	if !ok {
		return store.Account{}, store.ErrBadCredentials
	}
	return a, nil
}

func (f *fakeService) Account(ctx context.Context, login string) (store.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.account(login)
	if !ok {
		return store.Account{}, fmt.Errorf("fake: account %q: %w", login, store.ErrNotFound)
	}
	return a, nil
}

func (f *fakeService) Accounts(ctx context.Context) ([]store.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	admin, _ := f.account(store.AdminLogin)
	out := []store.Account{admin}
	for _, a := range f.acc().accounts {
		out = append(out, a.Account)
	}
	slices.SortFunc(out[1:], func(a, b store.Account) int { return strings.Compare(a.Login, b.Login) })
	return out, nil
}

func (f *fakeService) CreateAccount(ctx context.Context, a store.Account, password string) (store.Account, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.account(a.Login); ok || a.Login == "" {
		return store.Account{}, "", invalid("login", "the account exists already")
	}
	if !slices.Contains(store.RoleNames(), a.Role) {
		return store.Account{}, "", invalid("role", "unknown role")
	}
	gen := ""
	if password == "" {
		password, gen = "generated-pw-1", "generated-pw-1"
	}
	a.MustChange = true
	f.acc().accounts[a.Login] = &fakeAccount{Account: a, password: password}
	return a, gen, nil
}

func (f *fakeService) UpdateAccount(ctx context.Context, login string, a store.Account) (store.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if login == store.AdminLogin {
		f.acc().admin.Name, f.acc().admin.Language = a.Name, a.Language
		x, _ := f.account(login)
		return x, nil
	}
	x, ok := f.acc().accounts[login]
	if !ok {
		return store.Account{}, fmt.Errorf("fake: account %q: %w", login, store.ErrNotFound)
	}
	if a.Language != "" && !slices.Contains(store.WebLanguages(), a.Language) {
		return store.Account{}, invalid("language", "unknown language")
	}
	x.Role, x.Name, x.Extension, x.Language = a.Role, a.Name, a.Extension, a.Language
	return x.Account, nil
}

func (f *fakeService) DeleteAccount(ctx context.Context, login string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if login == store.AdminLogin {
		return invalid("login", "admin is the last administrator")
	}
	delete(f.acc().accounts, login)
	return nil
}

func (f *fakeService) SetAccountPassword(ctx context.Context, login, password string, mustChange bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if login == store.AdminLogin {
		if !mustChange && password == f.password {
			return invalid("password", "must differ from the current password")
		}
		f.password, f.mustChange = password, mustChange
		f.writes++
		return nil
	}
	a, ok := f.acc().accounts[login]
	if !ok {
		return fmt.Errorf("fake: account %q: %w", login, store.ErrNotFound)
	}
	a.password, a.MustChange = password, mustChange
	return nil
}

func (f *fakeService) Roles(ctx context.Context) ([]store.Role, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Role
	for _, n := range store.RoleNames() {
		out = append(out, f.acc().roles[n])
	}
	return out, nil
}

func (f *fakeService) UpdateRole(ctx context.Context, r store.Role) (store.Role, error) {
	if err := store.ValidateRole(r); err != nil {
		return store.Role{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acc().roles[r.Name] = r
	return r, nil
}

func (f *fakeService) Tokens(ctx context.Context, login string) ([]store.APIToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []store.APIToken{}
	for _, t := range f.acc().tokens {
		if t.Login == login {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fakeService) CreateToken(ctx context.Context, login, label string) (string, store.APIToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if label == "" {
		return "", store.APIToken{}, invalid("label", "is required")
	}
	secret := fmt.Sprintf("mpx_fake-token-%s-%d", login, len(f.acc().tokens))
	h := sha256.Sum256([]byte(secret))
	t := store.APIToken{ID: hex.EncodeToString(h[:6]), Login: login, Label: label, Created: time.Now()}
	f.acc().tokens[secret] = t
	return secret, t, nil
}

func (f *fakeService) RevokeToken(ctx context.Context, login, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, t := range f.acc().tokens {
		if t.Login == login && t.ID == id {
			delete(f.acc().tokens, k)
			return nil
		}
	}
	return fmt.Errorf("fake: token %q: %w", id, store.ErrNotFound)
}

func (f *fakeService) AuditLog(ctx context.Context, flt store.AuditFilter) ([]store.AuditEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []store.AuditEntry{}
	for i := len(f.acc().audit) - 1; i >= 0; i-- {
		if e := f.acc().audit[i]; flt.Match(e) && (flt.Before == 0 || e.ID < flt.Before) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeService) RecordRefusal(ctx context.Context, request, permission string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := store.ActorFrom(ctx)
	acc := f.acc()
	acc.audit = append(acc.audit, store.AuditEntry{ID: uint64(len(acc.audit) + 1), Time: time.Now(), Actor: a.Login, Role: a.Role, Via: a.Via,
		Remote: a.Remote, Action: store.AuditRefused, Section: permission, Target: request})
	return nil
}

// refusals returns the refusals the fake's audit log holds.
func (f *fakeService) refusals() []store.AuditEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.acc().audit)
}

func (f *fakeService) ExtensionRule(ctx context.Context, ext string) (store.ExtensionRule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.acc().rules[ext]; ok {
		return r, nil
	}
	return store.ExtensionRule{Extension: ext}, nil
}

func (f *fakeService) UpdateExtensionRule(ctx context.Context, ext string, fn func(r *store.ExtensionRule) error) (store.ExtensionRule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.acc().rules[ext]
	if !ok {
		r = store.ExtensionRule{Extension: ext}
	}
	if err := fn(&r); err != nil {
		return store.ExtensionRule{}, err
	}
	for i, m := range r.FollowMe {
		if m.RingS != 0 && (m.RingS < 5 || m.RingS > 600) {
			return store.ExtensionRule{}, invalid(fmt.Sprintf("extension_rules[0].follow_me[%d].ring_s", i), "must be 0 (default) or 5 to 600")
		}
	}
	f.acc().rules[ext] = r
	f.writes++
	return r, nil
}

// ForwardTarget knows the fake's extensions; numbers starting with 9 are
// outside numbers, 0 ones are forbidden.
func (f *fakeService) ForwardTarget(ctx context.Context, ext, number string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case number == ext:
		return "", invalid("number", "is your own extension")
	case slices.ContainsFunc(f.exts, func(e store.Extension) bool { return e.Number == number }):
		return "ext:" + number, nil
	case strings.Trim(number, "0123456789") != "" || number == "":
		return "", invalid("number", "is not a number this box can reach")
	case strings.HasPrefix(number, "0"):
		return "", invalid("number", "is a number your extension may not call (its class of service)")
	}
	return "number:" + number, nil
}

func (f *fakeService) SaveGreeting(ctx context.Context, box, kind string, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(b), "RIFF") {
		return invalid("file", "This is not a WAV or MP3 file.")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acc().greeting[box+"/"+kind] = b
	if f.vm.greetings == nil {
		f.vm.greetings = map[string][]string{}
	}
	if !slices.Contains(f.vm.greetings[box], kind) {
		f.vm.greetings[box] = append(f.vm.greetings[box], kind)
	}
	return nil
}

func (f *fakeService) GreetingAudio(ctx context.Context, box, kind string) (io.ReadCloser, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.acc().greeting[box+"/"+kind]
	if !ok {
		return nil, 0, store.ErrNotFound
	}
	return nopSeekCloser{bytes.NewReader(b)}, int64(len(b)), nil
}

func (f *fakeService) DeleteGreeting(ctx context.Context, box, kind string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.acc().greeting[box+"/"+kind]; !ok {
		return store.ErrNotFound
	}
	delete(f.acc().greeting, box+"/"+kind)
	f.vm.greetings[box] = slices.DeleteFunc(f.vm.greetings[box], func(k string) bool { return k == kind })
	return nil
}

func (f *fakeService) PBXParameters(ctx context.Context) (store.PBXParameters, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acc().params, nil
}

func (f *fakeService) UpdatePBXParameters(ctx context.Context, p store.PBXParameters) (store.PBXParameters, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.ExtensionLength < 2 || p.ExtensionLength > 8 {
		return store.PBXParameters{}, invalid("extension_length", "must be 2 to 8 digits")
	}
	if p.VoiceModem.InitString != "" && !strings.HasPrefix(strings.ToUpper(p.VoiceModem.InitString), "AT") {
		return store.PBXParameters{}, invalid("voice_modem.init_string", "must be an AT command line (start with AT)")
	}
	f.acc().params = p
	f.writes++
	return p, nil
}
