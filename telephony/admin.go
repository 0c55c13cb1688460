package telephony

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"minipbx/telephony/callrec"
	"minipbx/telephony/faxstore"
	"minipbx/telephony/store"
	"minipbx/telephony/voicemail"
)

// adminStore is what the administration needs of the configuration
// database; telephony/store.DB implements it.
type adminStore interface {
	ExportConfig() (store.Config, error)
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
	UpdateDialPlan(fn func(c *store.Config) error) (store.Config, error)
	UpdateExtensionProfile(number string, p store.ExtensionProfile) (store.ExtensionProfile, error)
	CheckAdminPassword(password string) (ok, mustChange bool, err error)
	SetAdminPassword(password string) error
}

// Reloader takes a changed configuration into use: the exchange's Reload.
type Reloader interface {
	Reload() error
	// Config is the configuration in use (read only).
	Config() *store.Config
}

// Admin is the administration side of the box: the configuration, the
// call records, the admin password, the voice mailboxes and the
// recordings (ConfigService, RecordsService, AuthService,
// VoicemailService, RecordingsService). Every change is validated and
// stored first; then the exchange takes it into use (Reloader), without
// dropping calls.
type Admin struct {
	log       *slog.Logger
	store     Store
	x         Reloader
	vm        *voicemail.Store
	recs      *callrec.Store
	faxes     *faxstore.Store
	promptDir string
}

// AdminOptions configure an Admin.
type AdminOptions struct {
	// Store is the database; the configuration methods need all of
	// telephony/store.DB (others answer errNoConfigStore).
	Store  Store
	Reload Reloader
	Logger *slog.Logger
	// Voicemail is the message store (nil: the box keeps none).
	Voicemail *voicemail.Store
	// PromptDir holds the recordings ("" none: the recordings methods
	// say so).
	PromptDir string
	// CallRecordings keeps the recordings of calls (nil: none).
	CallRecordings *callrec.Store
	// Faxes keeps the faxes received (nil: none).
	Faxes *faxstore.Store
}

// NewAdmin makes the administration side.
func NewAdmin(o AdminOptions) (*Admin, error) {
	if o.Store == nil || o.Reload == nil {
		return nil, errors.New("telephony: admin needs a store and an exchange")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Admin{log: o.Logger, store: o.Store, x: o.Reload, vm: o.Voicemail, promptDir: o.PromptDir, recs: o.CallRecordings, faxes: o.Faxes}, nil
}

var (
	_ ConfigService     = (*Admin)(nil)
	_ RecordsService    = (*Admin)(nil)
	_ AuthService       = (*Admin)(nil)
	_ VoicemailService  = (*Admin)(nil)
	_ RecordingsService = (*Admin)(nil)
)

// errNoConfigStore is what the configuration methods answer on a store
// without them (unit tests with an in-memory store).
var errNoConfigStore = errors.New("telephony: the store does not support configuration changes")

// actorStore is a store whose changes can be made as an actor
// (store.DB.As): the audit log names who made each.
type actorStore interface {
	As(store.Actor) *store.DB
}

// cs is the store as the configuration methods need it, acting as the
// actor ctx carries (store.WithActor; none: the box itself).
func (a *Admin) cs(ctx context.Context) (adminStore, error) {
	if as, ok := a.store.(actorStore); ok {
		return as.As(store.ActorFrom(ctx)), nil
	}
	s, ok := a.store.(adminStore)
	if !ok {
		return nil, errNoConfigStore
	}
	return s, nil
}

// config is the configuration in use.
func (a *Admin) config() *store.Config { return a.x.Config() }

// changed takes a stored change into use.
func (a *Admin) changed() error { return a.x.Reload() }

// Extensions implements ConfigService.
func (a *Admin) Extensions(ctx context.Context) ([]store.Extension, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return nil, err
	}
	return s.Extensions()
}

// Extension implements ConfigService.
func (a *Admin) Extension(ctx context.Context, number string) (store.Extension, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.Extension{}, err
	}
	return s.Extension(number)
}

// CreateExtension implements ConfigService.
func (a *Admin) CreateExtension(ctx context.Context, e store.Extension) (store.Extension, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.Extension{}, err
	}
	e, err = s.CreateExtension(e)
	if err != nil {
		return e, err
	}
	return e, a.changed()
}

// UpdateExtension implements ConfigService.
func (a *Admin) UpdateExtension(ctx context.Context, number string, e store.Extension) (store.Extension, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.Extension{}, err
	}
	e, err = s.UpdateExtension(number, e)
	if err != nil {
		return e, err
	}
	return e, a.changed()
}

// DeleteExtension implements ConfigService.
func (a *Admin) DeleteExtension(ctx context.Context, number string) error {
	s, err := a.cs(ctx)
	if err != nil {
		return err
	}
	if err := s.DeleteExtension(number); err != nil {
		return err
	}
	return a.changed()
}

// Settings implements ConfigService.
func (a *Admin) Settings(ctx context.Context) (store.System, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.System{}, err
	}
	return s.System()
}

// UpdateSettings implements ConfigService.
func (a *Admin) UpdateSettings(ctx context.Context, sys store.System) (store.System, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.System{}, err
	}
	sys, err = s.UpdateSystem(sys)
	if err != nil {
		return sys, err
	}
	return sys, a.changed()
}

// FXOLines implements ConfigService.
func (a *Admin) FXOLines(ctx context.Context) ([]store.FXOLine, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return nil, err
	}
	return s.FXOLines()
}

// UpdateFXOLine implements ConfigService.
func (a *Admin) UpdateFXOLine(ctx context.Context, l store.FXOLine) (store.FXOLine, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.FXOLine{}, err
	}
	l, err = s.UpdateFXOLine(l)
	if err != nil {
		return l, err
	}
	return l, a.changed()
}

// ExportConfig implements ConfigService.
func (a *Admin) ExportConfig(ctx context.Context) (store.Config, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.Config{}, err
	}
	return s.ExportConfig()
}

// ImportConfig implements ConfigService.
func (a *Admin) ImportConfig(ctx context.Context, c store.Config) error {
	s, err := a.cs(ctx)
	if err != nil {
		return err
	}
	if err := s.ImportConfig(c); err != nil {
		return err
	}
	return a.changed()
}

// UpdateDialPlan implements ConfigService. The replacement happens inside
// the store's own transaction, so a change made meanwhile to extensions or
// settings (another admin, pbxctl) is not overwritten, as an export and
// re-import of the whole document would.
func (a *Admin) UpdateDialPlan(ctx context.Context, d store.DialPlan) (store.DialPlan, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.DialPlan{}, err
	}
	c, err := s.UpdateDialPlan(func(c *store.Config) error {
		c.SetDialPlan(d)
		return nil
	})
	if err != nil {
		return store.DialPlan{}, err
	}
	return c.DialPlan(), a.changed()
}

// UpdateExtensionProfile implements ConfigService.
func (a *Admin) UpdateExtensionProfile(ctx context.Context, number string, p store.ExtensionProfile) (store.ExtensionProfile, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return store.ExtensionProfile{}, err
	}
	out, err := s.UpdateExtensionProfile(number, p)
	if err != nil {
		return out, err
	}
	return out, a.changed()
}

// CallRecords implements RecordsService.
func (a *Admin) CallRecords(ctx context.Context, before uint64, limit int) ([]store.CallRecord, error) {
	s, err := a.cs(ctx)
	if err != nil {
		return nil, err
	}
	return s.CallRecords(before, limit)
}

// CheckAdminPassword implements AuthService.
func (a *Admin) CheckAdminPassword(ctx context.Context, password string) (ok, mustChange bool, err error) {
	s, err := a.cs(ctx)
	if err != nil {
		return false, false, err
	}
	return s.CheckAdminPassword(password)
}

// SetAdminPassword implements AuthService.
func (a *Admin) SetAdminPassword(ctx context.Context, password string) error {
	s, err := a.cs(ctx)
	if err != nil {
		return err
	}
	return s.SetAdminPassword(password)
}

// Compose bundles an exchange, its administration and the diagnostics'
// (nil: the box has none) into the Service the web UI is given.
func Compose(x *Exchange, a *Admin, d DiagnosticsService) Services {
	if d == nil {
		d = noDiagnostics{}
	}
	return Services{StatusService: x, CallControl: x, ConfigService: a, RecordsService: a, AuthService: a,
		VoicemailService: a, RecordingsService: a, DiagnosticsService: d, CallRecordingsService: a, FaxService: a,
		AccountsService: a, SelfService: a, ParametersService: a, PlanService: x,
		TrunkTestService: x}
}

// noDiagnostics is the diagnostics of a box without them.
type noDiagnostics struct{}

func (noDiagnostics) Diagnostics(context.Context) (DiagnosticsStatus, error) {
	return DiagnosticsStatus{Tests: store.DiagTests()}, nil
}
func (noDiagnostics) DiagnosticRuns(context.Context, uint64, int) ([]store.DiagRun, error) {
	return nil, ErrNoDiagnostics
}
func (noDiagnostics) RunDiagnostics(context.Context, []string, bool) (store.DiagRun, error) {
	return store.DiagRun{}, ErrNoDiagnostics
}
func (noDiagnostics) UpdateDiagnostics(context.Context, store.Diagnostics) (store.Diagnostics, error) {
	return store.Diagnostics{}, ErrNoDiagnostics
}

// errNoCallRecordings: the box keeps no recordings of calls.
var errNoCallRecordings = errors.New("telephony: the box keeps no recordings of calls")

// CallRecordings implements CallRecordingsService.
func (a *Admin) CallRecordings(ctx context.Context, f CallRecordingFilter) ([]CallRecording, error) {
	if a.recs == nil {
		return []CallRecording{}, nil
	}
	out := a.recs.List(f)
	if out == nil {
		out = []CallRecording{}
	}
	return out, nil
}

// CallRecordingAudio implements CallRecordingsService.
func (a *Admin) CallRecordingAudio(ctx context.Context, id string) (io.ReadSeekCloser, int64, error) {
	if a.recs == nil {
		return nil, 0, errNoCallRecordings
	}
	rc, n, err := a.recs.Audio(id)
	if errors.Is(err, callrec.ErrNotFound) {
		return nil, 0, fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return rc, n, err
}

// DeleteCallRecording implements CallRecordingsService.
func (a *Admin) DeleteCallRecording(ctx context.Context, id string) error {
	if a.recs == nil {
		return errNoCallRecordings
	}
	err := a.recs.Delete(id)
	if errors.Is(err, callrec.ErrNotFound) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	if err == nil {
		a.log.Info("call recording deleted", "recording", id)
	}
	return err
}

// CallRecordingUsage implements CallRecordingsService.
func (a *Admin) CallRecordingUsage(ctx context.Context) (CallRecordingUsage, error) {
	if a.recs == nil {
		return CallRecordingUsage{ByExtension: map[string]int64{}}, nil
	}
	return a.recs.Usage(), nil
}
