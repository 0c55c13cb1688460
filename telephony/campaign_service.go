package telephony

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"minipbx/telephony/dialplan"
	"minipbx/telephony/store"
)

// CampaignService is the web UI's view of the auto-dialer: campaigns,
// their contacts and results, and the do-not-call list. The Exchange
// implements it.
type CampaignService interface {
	// Campaigns lists the campaigns without their contacts, each with
	// its progress and the calls it has up.
	Campaigns(ctx context.Context) ([]CampaignSummary, error)
	// Campaign returns one campaign with its contacts and their results
	// (store.ErrNotFound when none).
	Campaign(ctx context.Context, name string) (CampaignSummary, store.Campaign, error)
	// CreateCampaign stores a new campaign (a draft); problems are a
	// *store.ValidationError.
	CreateCampaign(ctx context.Context, c store.Campaign) (store.Campaign, error)
	// UpdateCampaign replaces a campaign's settings; its state, contacts
	// and results stay.
	UpdateCampaign(ctx context.Context, name string, c store.Campaign) (store.Campaign, error)
	DeleteCampaign(ctx context.Context, name string) error
	// SetCampaignState makes a campaign active, paused or a draft
	// (blocked and completed are the box's to set).
	SetCampaignState(ctx context.Context, name, state string) (store.Campaign, error)
	// ImportContacts adds contacts from a CSV list (csv) or the numbers
	// of a caller list (callerList) after the campaign's own; the bad
	// rows are listed, the good ones added.
	ImportContacts(ctx context.Context, name string, csv io.Reader, callerList string) (ContactImport, error)
	DoNotCallList(ctx context.Context) ([]store.DoNotCall, error)
	AddDoNotCall(ctx context.Context, number, why string) (store.DoNotCall, error)
	RemoveDoNotCall(ctx context.Context, number string) error
}

// CampaignSummary is a campaign's settings, progress and lines up.
type CampaignSummary struct {
	Name          string                 `json:"name"`
	State         string                 `json:"state"`
	BlockedReason string                 `json:"blocked_reason,omitempty"`
	Progress      store.CampaignProgress `json:"progress"`
	// LinesUp is how many of its calls are up now.
	LinesUp  int `json:"lines_up"`
	MaxLines int `json:"max_lines"`
}

// ContactImport reports an import of contacts.
type ContactImport struct {
	Imported int                 `json:"imported"`
	Bad      []store.CSVRowError `json:"bad"`
	Total    int                 `json:"total"`
}

// ErrNoCampaigns: the box has no auto-dialer (no campaign store).
var ErrNoCampaigns = errors.New("telephony: this box has no campaigns")

func (x *Exchange) summary(c store.Campaign) CampaignSummary {
	return CampaignSummary{Name: c.Name, State: c.State, BlockedReason: c.BlockedReason, Progress: c.Progress(),
		LinesUp: x.campaignLines(c.Name), MaxLines: c.MaxLines}
}

// Campaigns implements CampaignService.
func (x *Exchange) Campaigns(context.Context) ([]CampaignSummary, error) {
	if x.dial.db == nil {
		return nil, ErrNoCampaigns
	}
	cs, err := x.dial.db.Campaigns()
	if err != nil {
		return nil, err
	}
	out := make([]CampaignSummary, 0, len(cs))
	for _, c := range cs {
		out = append(out, x.summary(c))
	}
	return out, nil
}

// Campaign implements CampaignService.
func (x *Exchange) Campaign(_ context.Context, name string) (CampaignSummary, store.Campaign, error) {
	if x.dial.db == nil {
		return CampaignSummary{}, store.Campaign{}, ErrNoCampaigns
	}
	c, err := x.dial.db.Campaign(name)
	if err != nil {
		return CampaignSummary{}, store.Campaign{}, err
	}
	return x.summary(c), c, nil
}

// CreateCampaign implements CampaignService.
func (x *Exchange) CreateCampaign(ctx context.Context, c store.Campaign) (store.Campaign, error) {
	if x.dial.db == nil {
		return store.Campaign{}, ErrNoCampaigns
	}
	if c.State != "" && c.State != store.CampaignDraft {
		return store.Campaign{}, &store.ValidationError{Fields: []store.FieldError{{Field: "state", Message: "a new campaign is a draft: make it active once it is ready"}}}
	}
	for i := range c.Contacts {
		c.Contacts[i] = store.CampaignContact{Number: c.Contacts[i].Number, Name: c.Contacts[i].Name}
	}
	c.State, c.BlockedReason = store.CampaignDraft, ""
	return x.campaignsAs(ctx).CreateCampaign(c)
}

// UpdateCampaign implements CampaignService.
func (x *Exchange) UpdateCampaign(ctx context.Context, name string, n store.Campaign) (store.Campaign, error) {
	if x.dial.db == nil {
		return store.Campaign{}, ErrNoCampaigns
	}
	if n.Name == "" {
		n.Name = name
	}
	return x.campaignsAs(ctx).ChangeCampaign(name, func(c *store.Campaign) error {
		n.State, n.BlockedReason, n.Contacts = c.State, c.BlockedReason, c.Contacts
		*c = n
		return nil
	})
}

// DeleteCampaign implements CampaignService. Calls it has up go on.
func (x *Exchange) DeleteCampaign(ctx context.Context, name string) error {
	if x.dial.db == nil {
		return ErrNoCampaigns
	}
	return x.campaignsAs(ctx).DeleteCampaign(name)
}

// SetCampaignState implements CampaignService.
func (x *Exchange) SetCampaignState(ctx context.Context, name, state string) (store.Campaign, error) {
	if x.dial.db == nil {
		return store.Campaign{}, ErrNoCampaigns
	}
	if !slices.Contains([]string{store.CampaignActive, store.CampaignPaused, store.CampaignDraft}, state) {
		return store.Campaign{}, &store.ValidationError{Fields: []store.FieldError{{Field: "state",
			Message: "must be active, paused or draft (the box sets blocked and completed)"}}}
	}
	c, err := x.campaignsAs(ctx).ChangeCampaign(name, func(c *store.Campaign) error {
		c.State, c.BlockedReason = state, ""
		return nil
	})
	if err == nil {
		x.log.Info("campaign state", "campaign", name, "state", state)
	}
	return c, err
}

// ImportContacts implements CampaignService.
func (x *Exchange) ImportContacts(ctx context.Context, name string, csv io.Reader, callerList string) (ContactImport, error) {
	if x.dial.db == nil {
		return ContactImport{}, ErrNoCampaigns
	}
	var add []store.ContactRow
	var bad []store.CSVRowError
	if csv != nil {
		var err error
		add, bad, err = store.ParseContactsCSV(csv)
		if err != nil {
			return ContactImport{}, &store.ValidationError{Fields: []store.FieldError{{Field: "contacts", Message: err.Error()}}}
		}
	} else {
		var err error
		if add, bad, err = x.callerListContacts(callerList); err != nil {
			return ContactImport{}, err
		}
	}
	var rep ContactImport
	c, err := x.campaignsAs(ctx).ChangeCampaign(name, func(c *store.Campaign) error {
		rep = ContactImport{Bad: slices.Clone(bad)}
		have := map[string]bool{}
		for _, ct := range c.Contacts {
			have[ct.Number] = true
		}
		for _, ct := range add {
			if have[ct.Number] {
				rep.Bad = append(rep.Bad, store.CSVRowError{Line: ct.Line, Message: ct.Number + " is in the campaign already"})
				continue
			}
			c.Contacts = append(c.Contacts, store.CampaignContact{Number: ct.Number, Name: ct.Name})
			rep.Imported++
		}
		if len(c.Contacts) > store.MaxCampaignContacts {
			return &store.ValidationError{Fields: []store.FieldError{{Field: "contacts", Message: fmt.Sprintf("the campaign would have more than %d contacts", store.MaxCampaignContacts)}}}
		}
		if c.State == store.CampaignCompleted && rep.Imported > 0 {
			c.State = store.CampaignPaused // new contacts to call: the installer resumes it
		}
		return nil
	})
	if err != nil {
		return ContactImport{}, err
	}
	rep.Total = len(c.Contacts)
	slices.SortStableFunc(rep.Bad, func(a, b store.CSVRowError) int { return a.Line - b.Line })
	x.log.Info("campaign contacts imported", "campaign", name, "imported", rep.Imported, "bad", len(rep.Bad))
	return rep, nil
}

// callerListContacts are the numbers of caller list name as contacts: a
// pattern ("8495XXXXXXX") is not one number and is listed as bad, by
// its position in the list.
func (x *Exchange) callerListContacts(name string) ([]store.ContactRow, []store.CSVRowError, error) {
	cfg := x.config()
	i := slices.IndexFunc(cfg.Classifiers, func(c store.Classifier) bool { return c.Name == name })
	if i < 0 {
		return nil, nil, &store.ValidationError{Fields: []store.FieldError{{Field: "caller_list", Message: fmt.Sprintf("there is no caller list %q", name)}}}
	}
	var add []store.ContactRow
	var bad []store.CSVRowError
	seen := map[string]bool{}
	for j, n := range cfg.Classifiers[i].Numbers {
		num := store.ContactNumber(n)
		if num == "" || num != n || !dialplan.IsDialString(num) {
			bad = append(bad, store.CSVRowError{Line: j + 1, Message: fmt.Sprintf("%q is a pattern, not one number", n)})
			continue
		}
		if seen[num] {
			continue
		}
		seen[num] = true
		add = append(add, store.ContactRow{Line: j + 1, CampaignContact: store.CampaignContact{Number: num}})
	}
	return add, bad, nil
}

// DoNotCallList implements CampaignService.
func (x *Exchange) DoNotCallList(context.Context) ([]store.DoNotCall, error) {
	if x.dial.db == nil {
		return nil, ErrNoCampaigns
	}
	return x.dial.db.DoNotCallList()
}

// AddDoNotCall implements CampaignService.
func (x *Exchange) AddDoNotCall(ctx context.Context, number, why string) (store.DoNotCall, error) {
	if x.dial.db == nil {
		return store.DoNotCall{}, ErrNoCampaigns
	}
	return x.campaignsAs(ctx).AddDoNotCall(number, why, x.now())
}

// RemoveDoNotCall implements CampaignService.
func (x *Exchange) RemoveDoNotCall(ctx context.Context, number string) error {
	if x.dial.db == nil {
		return ErrNoCampaigns
	}
	return x.campaignsAs(ctx).RemoveDoNotCall(number)
}

// campaignsAs is the campaign store acting as ctx's actor: the audit log
// names who changed a campaign or the do-not-call list.
func (x *Exchange) campaignsAs(ctx context.Context) CampaignStore {
	if as, ok := x.dial.db.(actorStore); ok {
		return as.As(store.ActorFrom(ctx))
	}
	return x.dial.db
}
