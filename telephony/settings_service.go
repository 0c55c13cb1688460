package telephony

import (
	"context"

	"minipbx/telephony/store"
)

// settingsStore is what the billing and mail settings need of the
// database; telephony/store.DB implements it.
type settingsStore interface {
	Billing() (store.Billing, error)
	UpdateBilling(b store.Billing) (store.Billing, error)
	Mail() (store.Mail, error)
	UpdateMail(m store.Mail) (store.Mail, error)
}

func (a *Admin) ss() (settingsStore, error) {
	s, ok := a.store.(settingsStore)
	if !ok {
		return nil, errNoConfigStore
	}
	return s, nil
}

// Billing implements ConfigService.
func (a *Admin) Billing(ctx context.Context) (store.Billing, error) {
	s, err := a.ss()
	if err != nil {
		return store.Billing{}, err
	}
	return s.Billing()
}

// UpdateBilling implements ConfigService; the box's SMDR output follows
// the change (Reload tells the wiring).
func (a *Admin) UpdateBilling(ctx context.Context, b store.Billing) (store.Billing, error) {
	s, err := a.ss()
	if err != nil {
		return store.Billing{}, err
	}
	if b, err = s.UpdateBilling(b); err != nil {
		return b, err
	}
	return b, a.changed()
}

// Mail implements ConfigService.
func (a *Admin) Mail(ctx context.Context) (store.Mail, error) {
	s, err := a.ss()
	if err != nil {
		return store.Mail{}, err
	}
	return s.Mail()
}

// UpdateMail implements ConfigService.
func (a *Admin) UpdateMail(ctx context.Context, m store.Mail) (store.Mail, error) {
	s, err := a.ss()
	if err != nil {
		return store.Mail{}, err
	}
	if m, err = s.UpdateMail(m); err != nil {
		return m, err
	}
	return m, a.changed()
}
