package telephony

import (
	"context"

	"minipbx/telephony/store"
)

// recordsStore is what the search of the call records needs of the
// database; telephony/store.DB implements it.
type recordsStore interface {
	CallRecord(id uint64) (store.CallRecord, error)
	SearchCallRecords(q store.CallQuery) (store.CallPage, error)
	EachCallRecord(q store.CallQuery, fn func(store.CallRecord) error) error
	CallStatistics(q store.StatsQuery) (store.CallStats, error)
}

// rs is the store as the records' search needs it.
func (a *Admin) rs() (recordsStore, error) {
	s, ok := a.store.(recordsStore)
	if !ok {
		return nil, errNoConfigStore
	}
	return s, nil
}

// CallRecord implements RecordsService.
func (a *Admin) CallRecord(ctx context.Context, id uint64) (store.CallRecord, error) {
	s, err := a.rs()
	if err != nil {
		return store.CallRecord{}, err
	}
	return s.CallRecord(id)
}

// SearchCallRecords implements RecordsService.
func (a *Admin) SearchCallRecords(ctx context.Context, q store.CallQuery) (store.CallPage, error) {
	s, err := a.rs()
	if err != nil {
		return store.CallPage{}, err
	}
	return s.SearchCallRecords(q)
}

// ExportCallRecords implements RecordsService; it stops when ctx ends
// (the client went away).
func (a *Admin) ExportCallRecords(ctx context.Context, q store.CallQuery, fn func(store.CallRecord) error) error {
	s, err := a.rs()
	if err != nil {
		return err
	}
	return s.EachCallRecord(q, func(r store.CallRecord) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(r)
	})
}

// CallStatistics implements RecordsService.
func (a *Admin) CallStatistics(ctx context.Context, q store.StatsQuery) (store.CallStats, error) {
	s, err := a.rs()
	if err != nil {
		return store.CallStats{}, err
	}
	return s.CallStatistics(q)
}
