package webui

import (
	"context"

	"minipbx/telephony/store"
)

// The accounts of storeService are the store's own, with its rules, each
// change made as the request's actor (as telephony.Admin makes them).

func (s *storeService) as(ctx context.Context) *store.DB { return s.db.As(store.ActorFrom(ctx)) }

func (s *storeService) CheckPassword(ctx context.Context, login, pw string) (store.Account, error) {
	return s.db.CheckPassword(login, pw)
}
func (s *storeService) CheckToken(ctx context.Context, tok string) (store.Account, error) {
	a, _, err := s.db.CheckToken(tok)
	return a, err
}
func (s *storeService) Account(ctx context.Context, login string) (store.Account, error) {
	return s.db.Account(login)
}
func (s *storeService) Accounts(ctx context.Context) ([]store.Account, error) { return s.db.Accounts() }
func (s *storeService) CreateAccount(ctx context.Context, a store.Account, pw string) (store.Account, string, error) {
	return s.as(ctx).CreateAccount(a, pw)
}
func (s *storeService) UpdateAccount(ctx context.Context, login string, a store.Account) (store.Account, error) {
	return s.as(ctx).UpdateAccount(login, a)
}
func (s *storeService) DeleteAccount(ctx context.Context, login string) error {
	return s.as(ctx).DeleteAccount(login)
}
func (s *storeService) SetAccountPassword(ctx context.Context, login, pw string, must bool) error {
	return s.as(ctx).SetAccountPassword(login, pw, must)
}
func (s *storeService) Roles(ctx context.Context) ([]store.Role, error) { return s.db.Roles() }
func (s *storeService) UpdateRole(ctx context.Context, r store.Role) (store.Role, error) {
	return s.as(ctx).UpdateRole(r)
}
func (s *storeService) Tokens(ctx context.Context, login string) ([]store.APIToken, error) {
	return s.db.Tokens(login)
}
func (s *storeService) CreateToken(ctx context.Context, login, label string) (string, store.APIToken, error) {
	return s.as(ctx).CreateToken(login, label)
}
func (s *storeService) RevokeToken(ctx context.Context, login, id string) error {
	return s.as(ctx).RevokeToken(login, id)
}
func (s *storeService) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	return s.db.AuditLog(f)
}
func (s *storeService) RecordRefusal(ctx context.Context, request, perm string) error {
	return s.as(ctx).RecordRefusal(request, perm)
}
func (s *storeService) PBXParameters(ctx context.Context) (store.PBXParameters, error) {
	c, err := s.db.Config()
	return c.PBXParameters(), err
}
func (s *storeService) UpdatePBXParameters(ctx context.Context, p store.PBXParameters) (store.PBXParameters, error) {
	return s.as(ctx).UpdatePBXParameters(p)
}
