package webui

import (
	"context"

	"minipbx/telephony/store"
)

// The call records' search, export and statistics and the billing and
// mail settings of the real store, for tests through storeService.

func (s *storeService) CallRecord(_ context.Context, id uint64) (store.CallRecord, error) {
	return s.db.CallRecord(id)
}
func (s *storeService) SearchCallRecords(_ context.Context, q store.CallQuery) (store.CallPage, error) {
	return s.db.SearchCallRecords(q)
}
func (s *storeService) ExportCallRecords(_ context.Context, q store.CallQuery, fn func(store.CallRecord) error) error {
	return s.db.EachCallRecord(q, fn)
}
func (s *storeService) CallStatistics(_ context.Context, q store.StatsQuery) (store.CallStats, error) {
	return s.db.CallStatistics(q)
}
func (s *storeService) Billing(context.Context) (store.Billing, error) { return s.db.Billing() }
func (s *storeService) UpdateBilling(_ context.Context, b store.Billing) (store.Billing, error) {
	return s.db.UpdateBilling(b)
}
func (s *storeService) Mail(context.Context) (store.Mail, error) { return s.db.Mail() }
func (s *storeService) UpdateMail(_ context.Context, m store.Mail) (store.Mail, error) {
	return s.db.UpdateMail(m)
}
