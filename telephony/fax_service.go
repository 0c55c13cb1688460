package telephony

import (
	"context"
	"errors"
	"fmt"
	"io"

	"minipbx/telephony/faxstore"
	"minipbx/telephony/store"
)

// Faxes implements FaxService.
func (a *Admin) Faxes(ctx context.Context) ([]Fax, error) {
	if a.faxes == nil {
		return []Fax{}, nil
	}
	return a.faxes.List(), nil
}

// FaxFile implements FaxService.
func (a *Admin) FaxFile(ctx context.Context, id string, format FaxFormat) (io.ReadSeekCloser, Fax, error) {
	if a.faxes == nil {
		return nil, Fax{}, fmt.Errorf("%w: the box keeps no faxes", store.ErrNotFound)
	}
	f, fx, err := a.faxes.Open(id, format)
	if errors.Is(err, faxstore.ErrNotFound) {
		return nil, Fax{}, fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	if err != nil {
		return nil, Fax{}, err
	}
	return f, fx, nil
}

// DeleteFax implements FaxService.
func (a *Admin) DeleteFax(ctx context.Context, id string) error {
	if a.faxes == nil {
		return fmt.Errorf("%w: the box keeps no faxes", store.ErrNotFound)
	}
	err := a.faxes.Delete(id)
	if errors.Is(err, faxstore.ErrNotFound) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	if err == nil {
		a.log.Info("fax deleted", "id", id)
	}
	return err
}
