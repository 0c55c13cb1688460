package telephony

import (
	"context"

	"minipbx/telephony/store"
)

// webhooksStore is what the webhook settings need of the database;
// telephony/store.DB implements it.
type webhooksStore interface {
	Webhooks() (store.Webhooks, error)
	UpdateWebhooks(w store.Webhooks) (store.Webhooks, error)
}

func (a *Admin) ws() (webhooksStore, error) {
	s, ok := a.store.(webhooksStore)
	if !ok {
		return nil, errNoConfigStore
	}
	return s, nil
}

// Webhooks implements ConfigService.
func (a *Admin) Webhooks(ctx context.Context) (store.Webhooks, error) {
	s, err := a.ws()
	if err != nil {
		return store.Webhooks{}, err
	}
	return s.Webhooks()
}

// UpdateWebhooks implements ConfigService; the box's webhook sender
// follows the change (Reload tells the wiring).
func (a *Admin) UpdateWebhooks(ctx context.Context, w store.Webhooks) (store.Webhooks, error) {
	s, err := a.ws()
	if err != nil {
		return store.Webhooks{}, err
	}
	if w, err = s.UpdateWebhooks(w); err != nil {
		return w, err
	}
	return w, a.changed()
}
