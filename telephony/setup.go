package telephony

import (
	"context"
	"errors"

	"minipbx/telephony/store"
)

// What the setup wizard needs beyond the other roles: a change of many
// objects at once, all or nothing (Admin), and a test registration of a
// trunk before it is configured (Exchange).

// configChanger is the store's change of the whole configuration in one
// transaction (telephony/store.DB).
type configChanger interface {
	ChangeConfig(fn func(c *store.Config) error) (store.Config, error)
	CheckConfigChange(fn func(c *store.Config) error) (store.Config, error)
}

func (a *Admin) changer() (configChanger, error) {
	s, ok := a.store.(configChanger)
	if !ok {
		return nil, errNoConfigStore
	}
	return s, nil
}

// ChangeConfig implements ConfigService: the change is stored in one
// transaction, then taken into use without dropping calls.
func (a *Admin) ChangeConfig(ctx context.Context, fn func(c *store.Config) error) (store.Config, error) {
	s, err := a.changer()
	if err != nil {
		return store.Config{}, err
	}
	c, err := s.ChangeConfig(fn)
	if err != nil {
		return store.Config{}, err
	}
	return c, a.changed()
}

// CheckConfigChange implements ConfigService.
func (a *Admin) CheckConfigChange(ctx context.Context, fn func(c *store.Config) error) (store.Config, error) {
	s, err := a.changer()
	if err != nil {
		return store.Config{}, err
	}
	return s.CheckConfigChange(fn)
}

// ErrNoTrunkTest: the box has no SIP stack to try a trunk with.
var ErrNoTrunkTest = errors.New("telephony: this box cannot test trunks (no SIP stack)")

var _ TrunkTestService = (*Exchange)(nil)

// TestTrunk implements TrunkTestService through the SIP stack
// (Options.TestTrunk).
func (x *Exchange) TestTrunk(ctx context.Context, t store.Trunk) (TrunkTest, error) {
	if x.testTrunk == nil {
		return TrunkTest{}, ErrNoTrunkTest
	}
	return x.testTrunk(ctx, t)
}
