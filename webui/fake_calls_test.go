package webui

import (
	"context"
	"fmt"

	"minipbx/telephony"
	"minipbx/telephony/store"
)

// PlaceCall is the fake's click-to-call: the request checked as the
// exchange checks it, an unknown extension not found, and an extension
// without outside calls refused any number of more than 4 digits (its
// permission class, in the fake's terms). Placed calls are recorded.
func (f *fakeService) PlaceCall(ctx context.Context, ext, number string) (telephony.PlacedCall, error) {
	if v := telephony.CheckClickToCall(ext, number); v != nil {
		return telephony.PlacedCall{}, fmt.Errorf("fake: %w", v)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.exts {
		if e.Number != ext {
			continue
		}
		if !e.OutsideCalls && len(number) > 4 {
			return telephony.PlacedCall{}, fmt.Errorf("fake: %s: %w", number, telephony.ErrForbidden)
		}
		f.placed = append(f.placed, ext+" "+number)
		return telephony.PlacedCall{ID: fmt.Sprintf("c%d", len(f.placed)), Extension: ext, Number: number}, nil
	}
	return telephony.PlacedCall{}, fmt.Errorf("fake: extension %s: %w", ext, store.ErrNotFound)
}

func (f *fakeService) Webhooks(ctx context.Context) (store.Webhooks, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hooks, nil
}

func (f *fakeService) UpdateWebhooks(ctx context.Context, w store.Webhooks) (store.Webhooks, error) {
	if err := w.Validate(); err != nil {
		return w, fmt.Errorf("fake: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks = w
	f.writes++
	return w, nil
}
