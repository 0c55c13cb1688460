package webui

import (
	"context"
	"slices"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// The fake service's side of the setup wizard: a whole-configuration
// change without the store's rules (the wizard's tests that need those
// use storeService), and a fake provider behind TestTrunk.

func (f *fakeService) configLocked() store.Config {
	c := store.Config{Version: store.SchemaVersion, System: f.sys, Extensions: slices.Clone(f.exts), FXOLines: slices.Clone(f.lines)}
	c.SetDialPlan(f.plan)
	return c
}

func (f *fakeService) ChangeConfig(ctx context.Context, fn func(c *store.Config) error) (store.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.takeFail(); err != nil {
		return store.Config{}, err
	}
	c := f.configLocked()
	if err := fn(&c); err != nil {
		return store.Config{}, err
	}
	f.sys, f.exts, f.lines, f.plan = c.System, c.Extensions, c.FXOLines, c.DialPlan()
	f.writes++
	return c, nil
}

func (f *fakeService) CheckConfigChange(ctx context.Context, fn func(c *store.Config) error) (store.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.configLocked()
	if err := fn(&c); err != nil {
		return store.Config{}, err
	}
	return c, nil
}

// fakeTrunkPassword is the one password the fake provider accepts.
const fakeTrunkPassword = "provider-pass-1"

func (f *fakeService) TestTrunk(ctx context.Context, t store.Trunk) (telephony.TrunkTest, error) {
	if t.Host == "" || t.Username == "" || t.Password == "" {
		return telephony.TrunkTest{}, invalid("host", "enter the provider's host name or address")
	}
	if t.Password != fakeTrunkPassword {
		return telephony.TrunkTest{Answer: "403 Forbidden"}, nil
	}
	return telephony.TrunkTest{Registered: true, Answer: "200 OK", ExpiresS: 300}, nil
}

// The wizard's tests with the store's own rules.

func (s *storeService) ChangeConfig(_ context.Context, fn func(c *store.Config) error) (store.Config, error) {
	return s.db.ChangeConfig(fn)
}

func (s *storeService) CheckConfigChange(_ context.Context, fn func(c *store.Config) error) (store.Config, error) {
	return s.db.CheckConfigChange(fn)
}
