package telephony

import (
	"context"
	"errors"

	"minipbx/telephony/store"
)

var errNoDialPlanStore = errors.New("telephony: the store does not support dial-plan changes")

// UpdateDialPlan implements Service. The replacement happens inside the
// store's own transaction, so a change made meanwhile to extensions or
// settings (another admin, pbxctl) is not overwritten, as an export and
// re-import of the whole document would.
func (x *Exchange) UpdateDialPlan(ctx context.Context, d store.DialPlan) (store.DialPlan, error) {
	s, err := x.sstore()
	if err != nil {
		return store.DialPlan{}, err
	}
	// dialPlanStore (feature.go) is asserted rather than added to
	// serviceStore so that stores without it still serve everything else.
	ds, ok := s.(dialPlanStore)
	if !ok {
		return store.DialPlan{}, errNoDialPlanStore
	}
	c, err := ds.UpdateDialPlan(func(c *store.Config) error {
		c.SetDialPlan(d)
		return nil
	})
	if err != nil {
		return store.DialPlan{}, err
	}
	return c.DialPlan(), x.changed()
}
