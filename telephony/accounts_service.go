package telephony

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"minipbx/telephony/channel"
	"minipbx/telephony/recordings"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// AccountsService is the accounts of the web UI and API: logins and
// passwords, roles and their permission sets, API tokens, and the audit
// log (telephony/store: accounts.go, roles.go, tokens.go, audit.go).
// Changes are made as the actor ctx carries (store.WithActor), which the
// store holds to its role and names in the audit log. Problems an
// administrator can fix are a *store.ValidationError; a wrong login or
// password, or an unknown token, is store.ErrBadCredentials.
type AccountsService interface {
	CheckPassword(ctx context.Context, login, password string) (store.Account, error)
	CheckToken(ctx context.Context, token string) (store.Account, error)
	Account(ctx context.Context, login string) (store.Account, error)
	Accounts(ctx context.Context) ([]store.Account, error)
	// CreateAccount returns the password it generated when password is
	// "" (shown once).
	CreateAccount(ctx context.Context, a store.Account, password string) (store.Account, string, error)
	UpdateAccount(ctx context.Context, login string, a store.Account) (store.Account, error)
	DeleteAccount(ctx context.Context, login string) error
	// SetAccountPassword: mustChange for a password someone sets for
	// another, false for the owner's own choice.
	SetAccountPassword(ctx context.Context, login, password string, mustChange bool) error
	Roles(ctx context.Context) ([]store.Role, error)
	UpdateRole(ctx context.Context, r store.Role) (store.Role, error)
	Tokens(ctx context.Context, login string) ([]store.APIToken, error)
	// CreateToken returns the token itself: the only time it is seen.
	CreateToken(ctx context.Context, login, label string) (string, store.APIToken, error)
	RevokeToken(ctx context.Context, login, id string) error
	AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error)
	// RecordRefusal writes a request refused for lacking permission to
	// the audit log.
	RecordRefusal(ctx context.Context, request, permission string) error
}

// SelfService is what a user changes of their own extension from the web:
// its forwarding, follow-me and do not disturb (its extension rule), and
// its mailbox's greetings.
type SelfService interface {
	// ExtensionRule returns the rule of ext (the zero rule when it has
	// none); store.ErrNotFound for no such extension.
	ExtensionRule(ctx context.Context, ext string) (store.ExtensionRule, error)
	// UpdateExtensionRule changes ext's rule with fn in one validated
	// transaction (a rule that ends up empty is removed); problems come
	// back by path ("extension_rules[2].forward_always").
	UpdateExtensionRule(ctx context.Context, ext string, fn func(r *store.ExtensionRule) error) (store.ExtensionRule, error)
	// ForwardTarget turns a number the user of ext forwards to into a
	// destination (ext:N or number:N), as the feature codes do: refused
	// with a *store.ValidationError on "number" when it is not a
	// number, ext's own, unknown, or one ext may not call.
	ForwardTarget(ctx context.Context, ext, number string) (string, error)
	// SaveGreeting converts an upload (WAV or MP3, as recordings) into
	// the mailbox's greeting of kind (voicemail.GreetingUnavailable or
	// GreetingBusy); GreetingAudio opens it as a 16-bit PCM WAV
	// (store.ErrNotFound when there is none); DeleteGreeting removes it
	// (the built-in one plays again).
	SaveGreeting(ctx context.Context, box, kind string, r io.Reader) error
	GreetingAudio(ctx context.Context, box, kind string) (io.ReadCloser, int64, error)
	DeleteGreeting(ctx context.Context, box, kind string) error
}

// ParametersService is the PBX parameters page's part of the
// configuration (store.PBXParameters).
type ParametersService interface {
	PBXParameters(ctx context.Context) (store.PBXParameters, error)
	UpdatePBXParameters(ctx context.Context, p store.PBXParameters) (store.PBXParameters, error)
}

var (
	_ AccountsService   = (*Admin)(nil)
	_ SelfService       = (*Admin)(nil)
	_ ParametersService = (*Admin)(nil)
)

// accountsStore is what the accounts need of the database
// (telephony/store.DB).
type accountsStore interface {
	CheckPassword(login, pw string) (store.Account, error)
	CheckToken(secret string) (store.Account, store.APIToken, error)
	Account(login string) (store.Account, error)
	Accounts() ([]store.Account, error)
	CreateAccount(a store.Account, pw string) (store.Account, string, error)
	UpdateAccount(login string, a store.Account) (store.Account, error)
	DeleteAccount(login string) error
	SetAccountPassword(login, pw string, mustChange bool) error
	Roles() ([]store.Role, error)
	UpdateRole(r store.Role) (store.Role, error)
	Tokens(login string) ([]store.APIToken, error)
	CreateToken(login, label string) (string, store.APIToken, error)
	RevokeToken(login, id string) error
	AuditLog(f store.AuditFilter) ([]store.AuditEntry, error)
	RecordRefusal(request, permission string) error
	UpdatePBXParameters(p store.PBXParameters) (store.PBXParameters, error)
}

// as is the store as the accounts need it, acting as ctx's actor.
func (a *Admin) as(ctx context.Context) (accountsStore, error) {
	as, ok := a.store.(actorStore)
	if !ok {
		return nil, errNoConfigStore
	}
	return as.As(store.ActorFrom(ctx)), nil
}

// CheckPassword implements AccountsService.
func (a *Admin) CheckPassword(ctx context.Context, login, password string) (store.Account, error) {
	s, err := a.as(ctx)
	if err != nil {
		return store.Account{}, err
	}
	return s.CheckPassword(login, password)
}

// CheckToken implements AccountsService.
func (a *Admin) CheckToken(ctx context.Context, token string) (store.Account, error) {
	s, err := a.as(ctx)
	if err != nil {
		return store.Account{}, err
	}
	acc, _, err := s.CheckToken(token)
	return acc, err
}

// Account implements AccountsService.
func (a *Admin) Account(ctx context.Context, login string) (store.Account, error) {
	s, err := a.as(ctx)
	if err != nil {
		return store.Account{}, err
	}
	return s.Account(login)
}

// Accounts implements AccountsService.
func (a *Admin) Accounts(ctx context.Context) ([]store.Account, error) {
	s, err := a.as(ctx)
	if err != nil {
		return nil, err
	}
	return s.Accounts()
}

// CreateAccount implements AccountsService.
func (a *Admin) CreateAccount(ctx context.Context, acc store.Account, password string) (store.Account, string, error) {
	s, err := a.as(ctx)
	if err != nil {
		return store.Account{}, "", err
	}
	return s.CreateAccount(acc, password)
}

// UpdateAccount implements AccountsService.
func (a *Admin) UpdateAccount(ctx context.Context, login string, acc store.Account) (store.Account, error) {
	s, err := a.as(ctx)
	if err != nil {
		return store.Account{}, err
	}
	return s.UpdateAccount(login, acc)
}

// DeleteAccount implements AccountsService.
func (a *Admin) DeleteAccount(ctx context.Context, login string) error {
	s, err := a.as(ctx)
	if err != nil {
		return err
	}
	return s.DeleteAccount(login)
}

// SetAccountPassword implements AccountsService.
func (a *Admin) SetAccountPassword(ctx context.Context, login, password string, mustChange bool) error {
	s, err := a.as(ctx)
	if err != nil {
		return err
	}
	return s.SetAccountPassword(login, password, mustChange)
}

// Roles implements AccountsService.
func (a *Admin) Roles(ctx context.Context) ([]store.Role, error) {
	s, err := a.as(ctx)
	if err != nil {
		return nil, err
	}
	return s.Roles()
}

// UpdateRole implements AccountsService.
func (a *Admin) UpdateRole(ctx context.Context, r store.Role) (store.Role, error) {
	s, err := a.as(ctx)
	if err != nil {
		return store.Role{}, err
	}
	return s.UpdateRole(r)
}

// Tokens implements AccountsService.
func (a *Admin) Tokens(ctx context.Context, login string) ([]store.APIToken, error) {
	s, err := a.as(ctx)
	if err != nil {
		return nil, err
	}
	return s.Tokens(login)
}

// CreateToken implements AccountsService.
func (a *Admin) CreateToken(ctx context.Context, login, label string) (string, store.APIToken, error) {
	s, err := a.as(ctx)
	if err != nil {
		return "", store.APIToken{}, err
	}
	return s.CreateToken(login, label)
}

// RevokeToken implements AccountsService.
func (a *Admin) RevokeToken(ctx context.Context, login, id string) error {
	s, err := a.as(ctx)
	if err != nil {
		return err
	}
	return s.RevokeToken(login, id)
}

// AuditLog implements AccountsService.
func (a *Admin) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	s, err := a.as(ctx)
	if err != nil {
		return nil, err
	}
	return s.AuditLog(f)
}

// RecordRefusal implements AccountsService.
func (a *Admin) RecordRefusal(ctx context.Context, request, permission string) error {
	s, err := a.as(ctx)
	if err != nil {
		return err
	}
	return s.RecordRefusal(request, permission)
}

// PBXParameters implements ParametersService.
func (a *Admin) PBXParameters(ctx context.Context) (store.PBXParameters, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.PBXParameters{}, err
	}
	c, err := s.ExportConfig()
	if err != nil {
		return store.PBXParameters{}, err
	}
	return c.PBXParameters(), nil
}

// UpdatePBXParameters implements ParametersService.
func (a *Admin) UpdatePBXParameters(ctx context.Context, p store.PBXParameters) (store.PBXParameters, error) {
	s, err := a.as(ctx)
	if err != nil {
		return store.PBXParameters{}, err
	}
	if p, err = s.UpdatePBXParameters(p); err != nil {
		return p, err
	}
	return p, a.changed()
}

// ExtensionRule implements SelfService.
func (a *Admin) ExtensionRule(ctx context.Context, ext string) (store.ExtensionRule, error) {
	cfg := a.config()
	if _, ok := findExtension(cfg, ext); !ok {
		return store.ExtensionRule{}, fmt.Errorf("extension %q: %w", ext, store.ErrNotFound)
	}
	if i := slices.IndexFunc(cfg.ExtensionRules, func(r store.ExtensionRule) bool { return r.Extension == ext }); i >= 0 {
		r := cfg.ExtensionRules[i]
		r.FollowMe = slices.Clone(r.FollowMe)
		return r, nil
	}
	return store.ExtensionRule{Extension: ext}, nil
}

// UpdateExtensionRule implements SelfService.
func (a *Admin) UpdateExtensionRule(ctx context.Context, ext string, fn func(r *store.ExtensionRule) error) (store.ExtensionRule, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.ExtensionRule{}, err
	}
	var out store.ExtensionRule
	_, err = s.UpdateDialPlan(func(c *store.Config) error {
		if !slices.ContainsFunc(c.Extensions, func(e store.Extension) bool { return e.Number == ext }) {
			return fmt.Errorf("extension %q: %w", ext, store.ErrNotFound)
		}
		i := slices.IndexFunc(c.ExtensionRules, func(r store.ExtensionRule) bool { return r.Extension == ext })
		if i < 0 {
			c.ExtensionRules = append(c.ExtensionRules, store.ExtensionRule{Extension: ext})
			i = len(c.ExtensionRules) - 1
		}
		r := &c.ExtensionRules[i]
		r.FollowMe = slices.Clone(r.FollowMe)
		if err := fn(r); err != nil {
			return err
		}
		r.Extension = ext
		out = *r
		if isEmptyRule(*r) {
			c.ExtensionRules = slices.Delete(c.ExtensionRules, i, i+1)
		}
		return nil
	})
	if err != nil {
		return store.ExtensionRule{}, err
	}
	return out, a.changed()
}

// isEmptyRule reports whether a rule says nothing beyond its extension.
func isEmptyRule(r store.ExtensionRule) bool {
	return r.Class == "" && r.ForwardAlways == "" && r.ForwardBusy == "" && r.ForwardNoAnswer == "" && r.ForwardUnavailable == "" &&
		r.NoAnswerS == 0 && len(r.FollowMe) == 0 && r.FollowMeSchedule == "" && r.ForwardCallerID == "" && !r.DND &&
		!r.NoCallWaiting && r.MOHClass == "" && r.Record == ""
}

// ForwardTarget implements SelfService with the running plan's numbering,
// as the feature codes (*72 NUMBER) check a number.
func (a *Admin) ForwardTarget(ctx context.Context, ext, number string) (string, error) {
	cfg := a.config()
	e, ok := findExtension(cfg, ext)
	if !ok {
		return "", fmt.Errorf("extension %q: %w", ext, store.ErrNotFound)
	}
	p, err := compileFull(cfg)
	if err != nil {
		return "", fmt.Errorf("telephony: forward target: %w", err)
	}
	dest, cause := p.forwardTarget(&e, number)
	if dest != "" {
		return dest, nil
	}
	v := &store.ValidationError{}
	msg := "is not a number this box can reach"
	switch cause {
	case channel.CauseRejected:
		msg = "is your own extension"
	case channel.CauseForbidden:
		msg = "is a number your extension may not call (its class of service)"
	}
	v.Fields = append(v.Fields, store.FieldError{Field: "number", Message: msg})
	return "", v
}

// SaveGreeting implements SelfService.
func (a *Admin) SaveGreeting(ctx context.Context, box, kind string, r io.Reader) error {
	vm, err := a.vmStore()
	if err != nil {
		return err
	}
	if err := a.mailboxKnown(vm, box); err != nil {
		return err
	}
	if kind != voicemail.GreetingUnavailable && kind != voicemail.GreetingBusy {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "kind", Message: "must be unavailable or busy"}}}
	}
	samples, err := recordings.ImportAudio(r, int(voicemail.MaxGreeting.Seconds()))
	if err != nil {
		return err
	}
	if err := vm.SaveGreeting(box, kind, samples); err != nil {
		return fmt.Errorf("telephony: %w", err)
	}
	a.log.Info("greeting saved", "mailbox", box, "kind", kind, "samples", len(samples))
	return nil
}

// GreetingAudio implements SelfService.
func (a *Admin) GreetingAudio(ctx context.Context, box, kind string) (io.ReadCloser, int64, error) {
	vm, err := a.vmStore()
	if err != nil {
		return nil, 0, err
	}
	if err := a.mailboxKnown(vm, box); err != nil {
		return nil, 0, err
	}
	samples, ok, err := vm.Greeting(box, kind)
	if err != nil {
		return nil, 0, fmt.Errorf("telephony: %w", err)
	}
	if !ok {
		return nil, 0, fmt.Errorf("greeting %s of mailbox %s: %w", kind, box, store.ErrNotFound)
	}
	return recordings.PCMWAV(samples)
}

// DeleteGreeting implements SelfService.
func (a *Admin) DeleteGreeting(ctx context.Context, box, kind string) error {
	vm, err := a.vmStore()
	if err != nil {
		return err
	}
	if err := a.mailboxKnown(vm, box); err != nil {
		return err
	}
	err = vm.DeleteGreeting(box, kind)
	if errors.Is(err, voicemail.ErrNoGreeting) {
		return fmt.Errorf("greeting %s of mailbox %s: %w", kind, box, store.ErrNotFound)
	}
	return err
}
