package telephony

import (
	"context"
	"errors"

	"minipbx/telephony/store"
)

// serviceStore is what the Service needs of the configuration database
// beyond Store; telephony/store.DB implements it.
type serviceStore interface {
	Store
	Extensions() ([]store.Extension, error)
	Extension(number string) (store.Extension, error)
	CreateExtension(e store.Extension) (store.Extension, error)
	UpdateExtension(number string, e store.Extension) (store.Extension, error)
	DeleteExtension(number string) error
	System() (store.System, error)
	UpdateSystem(s store.System) (store.System, error)
	FXOLines() ([]store.FXOLine, error)
	UpdateFXOLine(l store.FXOLine) (store.FXOLine, error)
	CallRecords(before uint64, limit int) ([]store.CallRecord, error)
	ImportConfig(c store.Config) error
	CheckAdminPassword(password string) (ok, mustChange bool, err error)
	SetAdminPassword(password string) error
}

var errNoServiceStore = errors.New("telephony: the store does not support configuration changes")

func (x *Exchange) sstore() (serviceStore, error) {
	if x.svcStore == nil {
		return nil, errNoServiceStore
	}
	return x.svcStore, nil
}

// changed reloads the configuration after a successful change, applies it
// to the running parts, and tells subscribers.
func (x *Exchange) changed() error {
	if err := x.reload(); err != nil {
		return err
	}
	if x.onConfig != nil {
		x.onConfig(x.config())
	}
	x.announceMWI() // mailboxes added or removed, extensions moved
	x.publish("config")
	return nil
}

// Extensions implements Service.
func (x *Exchange) Extensions(ctx context.Context) ([]store.Extension, error) {
	s, err := x.sstore()
	if err != nil {
		return nil, err
	}
	return s.Extensions()
}

// Extension implements Service.
func (x *Exchange) Extension(ctx context.Context, number string) (store.Extension, error) {
	s, err := x.sstore()
	if err != nil {
		return store.Extension{}, err
	}
	return s.Extension(number)
}

// CreateExtension implements Service.
func (x *Exchange) CreateExtension(ctx context.Context, e store.Extension) (store.Extension, error) {
	s, err := x.sstore()
	if err != nil {
		return store.Extension{}, err
	}
	e, err = s.CreateExtension(e)
	if err != nil {
		return e, err
	}
	return e, x.changed()
}

// UpdateExtension implements Service.
func (x *Exchange) UpdateExtension(ctx context.Context, number string, e store.Extension) (store.Extension, error) {
	s, err := x.sstore()
	if err != nil {
		return store.Extension{}, err
	}
	e, err = s.UpdateExtension(number, e)
	if err != nil {
		return e, err
	}
	return e, x.changed()
}

// DeleteExtension implements Service.
func (x *Exchange) DeleteExtension(ctx context.Context, number string) error {
	s, err := x.sstore()
	if err != nil {
		return err
	}
	if err := s.DeleteExtension(number); err != nil {
		return err
	}
	return x.changed()
}

// Settings implements Service.
func (x *Exchange) Settings(ctx context.Context) (store.System, error) {
	s, err := x.sstore()
	if err != nil {
		return store.System{}, err
	}
	return s.System()
}

// UpdateSettings implements Service.
func (x *Exchange) UpdateSettings(ctx context.Context, sys store.System) (store.System, error) {
	s, err := x.sstore()
	if err != nil {
		return store.System{}, err
	}
	sys, err = s.UpdateSystem(sys)
	if err != nil {
		return sys, err
	}
	return sys, x.changed()
}

// FXOLines implements Service.
func (x *Exchange) FXOLines(ctx context.Context) ([]store.FXOLine, error) {
	s, err := x.sstore()
	if err != nil {
		return nil, err
	}
	return s.FXOLines()
}

// UpdateFXOLine implements Service.
func (x *Exchange) UpdateFXOLine(ctx context.Context, l store.FXOLine) (store.FXOLine, error) {
	s, err := x.sstore()
	if err != nil {
		return store.FXOLine{}, err
	}
	l, err = s.UpdateFXOLine(l)
	if err != nil {
		return l, err
	}
	return l, x.changed()
}

// CallRecords implements Service.
func (x *Exchange) CallRecords(ctx context.Context, before uint64, limit int) ([]store.CallRecord, error) {
	s, err := x.sstore()
	if err != nil {
		return nil, err
	}
	return s.CallRecords(before, limit)
}

// ExportConfig implements Service.
func (x *Exchange) ExportConfig(ctx context.Context) (store.Config, error) {
	return x.store.ExportConfig()
}

// ImportConfig implements Service.
func (x *Exchange) ImportConfig(ctx context.Context, c store.Config) error {
	s, err := x.sstore()
	if err != nil {
		return err
	}
	if err := s.ImportConfig(c); err != nil {
		return err
	}
	return x.changed()
}

// CheckAdminPassword implements Service.
func (x *Exchange) CheckAdminPassword(ctx context.Context, password string) (ok, mustChange bool, err error) {
	s, err := x.sstore()
	if err != nil {
		return false, false, err
	}
	return s.CheckAdminPassword(password)
}

// SetAdminPassword implements Service.
func (x *Exchange) SetAdminPassword(ctx context.Context, password string) error {
	s, err := x.sstore()
	if err != nil {
		return err
	}
	return s.SetAdminPassword(password)
}

// Sim implements Service.
func (x *Exchange) Sim() SimControl { return x.sim }

// Version implements Service.
func (x *Exchange) Version() string { return x.version }

var _ Service = (*Exchange)(nil)
